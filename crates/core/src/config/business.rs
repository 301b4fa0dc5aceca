//! `[business]`: who the assistant speaks for. The bot's own texts (greeting, out of scope,
//! hand-over, clarification) are written from it, so a bank's customers are not told they
//! reached "our shop". Every field is optional; without them the texts are neutral.
//!
//! A business that brings only a knowledge folder can put the same table in a `business.toml`
//! beside its pages (see `Config::knowledge_file`); the config's `[business]` wins when set.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A text in the languages the bot speaks. Serbian is written once, in either script; the
/// engine gives it to each customer in their script.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalText {
    pub en: Option<String>,
    pub sr: Option<String>,
}

impl LocalText {
    pub fn is_empty(&self) -> bool {
        self.en.is_none() && self.sr.is_none()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusinessProfile {
    /// The name customers know the business by.
    pub name: LocalText,
    /// What the assistant helps with, as a phrase that completes "I can help with …"
    /// ("orders, shipping, returns and our products").
    pub helps_with: LocalText,
    /// Replacements for whole bot texts, by template name (`greeting`, `out_of_scope`,
    /// `clarify`, `offer_person`, `handoff_low_confidence`, …; the engine's `Template::key`).
    pub texts: BTreeMap<String, LocalText>,
}

impl BusinessProfile {
    pub fn is_empty(&self) -> bool {
        self.name.is_empty() && self.helps_with.is_empty() && self.texts.is_empty()
    }

    /// Reads a `business.toml` (the same keys as the config's `[business]` table).
    pub fn load(path: &Path) -> Result<Self, super::ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| super::ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| super::ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_profile_and_rejects_misspelt_keys() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("business.toml");
        std::fs::write(
            &good,
            "name = { en = \"Acme\" }\n[helps_with]\nen = \"plans and bills\"\nsr = \"тарифе\"\n\
             [texts.greeting]\nen = \"Hi!\"\n",
        )
        .unwrap();
        let p = BusinessProfile::load(&good).unwrap();
        assert_eq!(p.name.en.as_deref(), Some("Acme"));
        assert_eq!(p.helps_with.sr.as_deref(), Some("тарифе"));
        assert_eq!(p.texts["greeting"].en.as_deref(), Some("Hi!"));
        assert!(!p.is_empty());

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "nmae = { en = \"Acme\" }\n").unwrap();
        let err = BusinessProfile::load(&bad).unwrap_err().to_string();
        assert!(err.contains("nmae"), "{err}");
    }
}
