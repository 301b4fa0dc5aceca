//! Commerce backends: the embedded SQLite store (one machine), the PostgreSQL store (shared by
//! every replica) and an HTTP adapter for a shop's own backend.
//!
//! The two databases differ only in storage. Both keep customers, orders and products as JSON
//! rows, run each write in one transaction, apply the state rules of `CommercePolicy` through
//! [`rules`] (one implementation: [`rules::OrderEdit`] for edits of an order,
//! [`rules::new_order`] for a new one), read seed data through one loader, keep an idempotency
//! table and an append-only audit log, and pass the same conformance suite
//! (`tests/conformance.rs`). Both override `AuditLog::execute_once` (run a confirmed write once
//! per idempotency key): SQLite under a process-wide lock, PostgreSQL in one transaction with
//! the key and the audit row. See `README.md` for the PostgreSQL tables and how idempotency and
//! row locks hold across replicas.

pub mod http;
pub mod postgres;
pub mod rules;
mod seed;
pub mod sqlite;

pub use http::{HttpCommerce, HttpCommerceConfig, HttpRoutes};
pub use postgres::PgCommerce;
pub use sqlite::SqliteCommerce;
