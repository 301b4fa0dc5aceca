//! Evaluation suites and reports.

pub mod actions;
