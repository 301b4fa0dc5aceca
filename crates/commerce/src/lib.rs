//! Commerce backends: the embedded SQLite store (tau-retail data shape, state rules from
//! `CommercePolicy`, idempotency table and append-only audit log) and an HTTP adapter for a
//! shop's own backend.

pub mod http;
pub mod rules;
pub mod sqlite;

pub use http::{HttpCommerce, HttpCommerceConfig, HttpRoutes};
pub use sqlite::SqliteCommerce;
