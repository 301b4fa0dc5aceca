//! The evaluator side's compiled-once regular expressions (scripted customer, LM customer's
//! fidelity check, paraphrase check): one cache, so each pattern compiles on first use only.

use regex::Regex;
use std::sync::OnceLock;

/// The regex in `cell`, compiled from `pattern` on first use. The patterns are the evaluator's
/// own literals, so a failure to compile is a bug.
pub(crate) fn cached(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("the evaluator's own patterns compile"))
}

/// `pattern!(name, r"…")` defines `fn name() -> &'static Regex`, compiled once.
macro_rules! pattern {
    ($name:ident, $p:expr) => {
        fn $name() -> &'static regex::Regex {
            static CELL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
            $crate::actions::patterns::cached(&CELL, $p)
        }
    };
}
pub(crate) use pattern;
