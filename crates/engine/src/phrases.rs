//! The engine's word lists are read with `frontdesk-core`'s one phrase matcher; re-exported here
//! so the engine's modules name it as before.

pub use frontdesk_core::text::phrases::{any, find, Boundary};
