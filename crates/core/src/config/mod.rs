//! Layered configuration: built-in defaults → TOML file → `FRONTDESK_*` environment → flags.
//!
//! Environment overrides use `FRONTDESK_<SECTION>__<KEY>=value` (value parsed as TOML, else a
//! string), e.g. `FRONTDESK_SERVER__ADDR=0.0.0.0:8080`. Two short forms are kept because
//! operators expect them: `FRONTDESK_DATA_DIR` and `FRONTDESK_MODEL_DIR`.
//! Each section lives in its own file and is owned by the crate that reads it.

mod business;
mod commerce;
mod engine;
mod models;
mod retrieval;
mod server;
mod shop;

pub use business::{BusinessProfile, LocalText};
pub use commerce::CommercePolicy;
pub use engine::{
    EnginePolicy, EscalationThresholds, IntentModelConfig, LmReaderConfig, ReaderConfig,
};
pub use models::ModelsConfig;
pub use retrieval::{Fusion, QuestionTranslator, RetrievalConfig};
pub use server::{ApiKey, ApiRole, BusinessHours, CannedResponse, ServerConfig};
pub use shop::ShopConfig;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where indexes, the SQLite database and reports live.
    pub data_dir: PathBuf,
    /// Knowledge base roots (files or folders), relative to the working directory.
    pub knowledge: Vec<PathBuf>,
    pub models: ModelsConfig,
    pub retrieval: RetrievalConfig,
    pub engine: EnginePolicy,
    pub commerce: CommercePolicy,
    pub shop: ShopConfig,
    pub server: ServerConfig,
    /// Who the assistant speaks for (its own texts); see `business.rs`.
    pub business: BusinessProfile,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            knowledge: vec![PathBuf::from("knowledge")],
            models: ModelsConfig::default(),
            retrieval: RetrievalConfig::default(),
            engine: EnginePolicy::default(),
            commerce: CommercePolicy::default(),
            shop: ShopConfig::default(),
            server: ServerConfig::default(),
            business: BusinessProfile::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var} is not valid: {message}")]
    Env { var: String, message: String },
}

fn default_data_dir() -> PathBuf {
    dirs::data_local_dir()
        .map(|d| d.join("frontdesk"))
        .unwrap_or_else(|| PathBuf::from(".frontdesk"))
}

impl Config {
    /// Defaults, then `file` (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut merged = toml::Value::try_from(Config::default()).expect("defaults serialise");
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            let value: toml::Value = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            merge(&mut merged, value);
        }
        for (var, raw) in env {
            let Some(rest) = var.strip_prefix("FRONTDESK_") else {
                continue;
            };
            let keys: Vec<String> = match rest {
                "DATA_DIR" => vec!["data_dir".into()],
                "MODEL_DIR" => vec!["models".into(), "model_dir".into()],
                _ if rest.contains("__") => {
                    rest.split("__").map(|k| k.to_ascii_lowercase()).collect()
                }
                _ => continue,
            };
            let value = parse_env_value(&raw);
            set_path(&mut merged, &keys, value).map_err(|message| ConfigError::Env {
                var: var.clone(),
                message,
            })?;
        }
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("<environment>"));
        merged
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path,
                message: e.to_string(),
            })
    }
}

impl Config {
    /// The first file called `name` in a knowledge root: inside a root that is a folder, beside
    /// a root that is a file. This is how a business that brings only its knowledge folder
    /// brings its intent catalogue and its texts with it.
    pub fn knowledge_file(&self, name: &str) -> Option<PathBuf> {
        self.knowledge
            .iter()
            .map(|k| {
                if k.is_dir() {
                    k.join(name)
                } else {
                    k.with_file_name(name)
                }
            })
            .find(|p| p.is_file())
    }

    /// The intent catalogue the engine is trained on: `engine.intents`, else an
    /// `intents.jsonl` in a knowledge root, else none — then the knowledge base alone decides
    /// what is in scope. There is no fallback to the demo shop's catalogue: its topics would
    /// turn another business's questions away as out of scope.
    pub fn intent_catalogue(&self) -> Option<PathBuf> {
        self.engine
            .intents
            .clone()
            .or_else(|| self.knowledge_file("intents.jsonl"))
    }

    /// The folder a new shop is seeded from: `shop.seed_dir`, else a `store` folder in a
    /// knowledge root (the demo's `knowledge/store`), else none — an empty shop. There is no
    /// fallback to the demo shop's store: its products would be suggested to another
    /// business's customers.
    pub fn shop_seed_dir(&self) -> Option<PathBuf> {
        self.shop.seed_dir.clone().or_else(|| {
            self.knowledge
                .iter()
                .map(|k| {
                    if k.is_dir() {
                        k.join("store")
                    } else {
                        k.with_file_name("store")
                    }
                })
                .find(|p| p.is_dir())
        })
    }

    /// Whether the business has a store the engine can act on: a shared database, a shop
    /// database of its own, or a seed folder ([`Config::shop_seed_dir`]). Without one the shop
    /// would stay empty, so the engine serves the business from its pages alone (no order
    /// actions, identity checks or catalogue suggestions).
    pub fn has_shop(&self) -> bool {
        self.server.database_url.is_some()
            || self.shop.database.is_some()
            || self.shop_seed_dir().is_some()
    }

    /// `[business]` when the config sets any of it, else a `business.toml` in a knowledge root,
    /// else the empty profile (neutral texts).
    pub fn business_profile(&self) -> Result<BusinessProfile, ConfigError> {
        if !self.business.is_empty() {
            return Ok(self.business.clone());
        }
        match self.knowledge_file("business.toml") {
            Some(path) => BusinessProfile::load(&path),
            None => Ok(BusinessProfile::default()),
        }
    }
}

fn parse_env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn set_path(root: &mut toml::Value, keys: &[String], value: toml::Value) -> Result<(), String> {
    let mut cur = root;
    for (i, key) in keys.iter().enumerate() {
        let table = cur
            .as_table_mut()
            .ok_or_else(|| format!("{} is not a section", keys[..i].join(".")))?;
        if i + 1 == keys.len() {
            // Keep the declared type: a string default stays a string even if the value looks numeric.
            let value = match (table.get(key), value) {
                (Some(toml::Value::String(_)), v) if !v.is_str() => {
                    toml::Value::String(v.to_string().trim_matches('"').to_string())
                }
                (_, v) => v,
            };
            table.insert(key.clone(), value);
            return Ok(());
        }
        cur = table
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(Default::default()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("frontdesk.toml");
        std::fs::write(
            &file,
            "data_dir = \"/from/file\"\n[server]\naddr = \"127.0.0.1:1\"\n",
        )
        .unwrap();
        let env = vec![
            (
                "FRONTDESK_SERVER__ADDR".to_string(),
                "127.0.0.1:2".to_string(),
            ),
            ("FRONTDESK_MODEL_DIR".to_string(), "/models".to_string()),
            ("UNRELATED".to_string(), "x".to_string()),
        ];
        let cfg = Config::load_with_env(Some(&file), env).unwrap();
        assert_eq!(cfg.data_dir, PathBuf::from("/from/file"));
        assert_eq!(cfg.server.addr, "127.0.0.1:2");
        assert_eq!(cfg.models.model_dir, Some(PathBuf::from("/models")));
    }

    #[test]
    fn catalogue_and_business_come_from_config_then_the_knowledge_folder() {
        let dir = tempfile::tempdir().unwrap();
        let kb = dir.path().join("kb");
        std::fs::create_dir(&kb).unwrap();
        let mut cfg = Config {
            knowledge: vec![kb.clone()],
            ..Config::default()
        };
        // Nothing configured, nothing beside the pages: no catalogue, neutral texts, an empty
        // shop.
        assert_eq!(cfg.intent_catalogue(), None);
        assert!(cfg.business_profile().unwrap().is_empty());
        assert_eq!(cfg.shop_seed_dir(), None);
        assert!(!cfg.has_shop());

        std::fs::create_dir(kb.join("store")).unwrap();
        assert_eq!(cfg.shop_seed_dir(), Some(kb.join("store")));
        assert!(cfg.has_shop());
        cfg.shop.seed_dir = Some(PathBuf::from("/elsewhere/store"));
        assert_eq!(cfg.shop_seed_dir(), Some(PathBuf::from("/elsewhere/store")));

        std::fs::write(kb.join("intents.jsonl"), "").unwrap();
        std::fs::write(kb.join("business.toml"), "name = { en = \"Kb\" }\n").unwrap();
        assert_eq!(cfg.intent_catalogue(), Some(kb.join("intents.jsonl")));
        assert_eq!(
            cfg.business_profile().unwrap().name.en.as_deref(),
            Some("Kb")
        );

        cfg.engine.intents = Some(PathBuf::from("/elsewhere.jsonl"));
        cfg.business.name.en = Some("Config".into());
        assert_eq!(
            cfg.intent_catalogue(),
            Some(PathBuf::from("/elsewhere.jsonl"))
        );
        assert_eq!(
            cfg.business_profile().unwrap().name.en.as_deref(),
            Some("Config")
        );
    }

    #[test]
    fn the_database_url_comes_from_the_environment_or_stays_unset() {
        assert_eq!(
            Config::load_with_env(None, Vec::new())
                .unwrap()
                .server
                .database_url,
            None
        );
        // A URL is not TOML, so it is taken as a string, password and query included.
        let url = "postgres://fd:p%40ss=word@db.internal:5432/frontdesk?sslmode=disable";
        let env = vec![(
            "FRONTDESK_SERVER__DATABASE_URL".to_string(),
            url.to_string(),
        )];
        let cfg = Config::load_with_env(None, env).unwrap();
        assert_eq!(cfg.server.database_url.as_deref(), Some(url));
        // The environment overrides the file.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("frontdesk.toml");
        std::fs::write(
            &file,
            "[server]\ndatabase_url = \"postgres://from-file/db\"\n",
        )
        .unwrap();
        let cfg = Config::load_with_env(Some(&file), Vec::new()).unwrap();
        assert_eq!(
            cfg.server.database_url.as_deref(),
            Some("postgres://from-file/db")
        );
        let env = vec![(
            "FRONTDESK_SERVER__DATABASE_URL".to_string(),
            url.to_string(),
        )];
        let cfg = Config::load_with_env(Some(&file), env).unwrap();
        assert_eq!(cfg.server.database_url.as_deref(), Some(url));
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "no_such_key = 1\n").unwrap();
        let err = Config::load_with_env(Some(&file), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no_such_key"), "{err}");
    }
}
