//! The conversation engine: turns a customer message into the next move.

pub mod flows;
