//! Language codes (BCP 47). The wire, the knowledge front matter, the eval reports and the
//! templates all use these exact strings.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Lang {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "sr-Cyrl")]
    SrCyrl,
    #[serde(rename = "sr-Latn")]
    SrLatn,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::SrCyrl, Lang::SrLatn];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::SrCyrl => "sr-Cyrl",
            Lang::SrLatn => "sr-Latn",
        }
    }

    /// Serbian in either script: the same language for policy and content, two spellings.
    pub fn is_serbian(self) -> bool {
        matches!(self, Lang::SrCyrl | Lang::SrLatn)
    }

    /// English name of the language, used inside LM prompts ("Reply in Serbian (Cyrillic script)").
    pub fn prompt_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::SrCyrl => "Serbian (Cyrillic script)",
            Lang::SrLatn => "Serbian (Latin script)",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown language code {0:?}; expected one of en, sr-Cyrl, sr-Latn (or sr, sr-Latn)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" | "english" => Ok(Lang::En),
            "sr" | "sr-cyrl" | "sr-cyrl-rs" | "sr-rs" => Ok(Lang::SrCyrl),
            "sr-latn" | "sr-latn-rs" | "sh" | "hbs" => Ok(Lang::SrLatn),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde_and_from_str() {
        for lang in Lang::ALL {
            let json = serde_json::to_string(&lang).unwrap();
            assert_eq!(json, format!("\"{}\"", lang.code()));
            assert_eq!(serde_json::from_str::<Lang>(&json).unwrap(), lang);
            assert_eq!(lang.code().parse::<Lang>().unwrap(), lang);
        }
        assert_eq!("sr".parse::<Lang>().unwrap(), Lang::SrCyrl);
        assert!("de".parse::<Lang>().is_err());
    }
}
