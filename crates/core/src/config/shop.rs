use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where the embedded commerce store comes from. The shop's action rules are `[commerce]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopConfig {
    /// Folder with `users.json`, `orders.json`, `products.json` (tau-retail shape) loaded into a
    /// new database; an existing database is never re-seeded (customers' changes are kept).
    pub seed_dir: Option<PathBuf>,
    /// SQLite file of the store (default: `<data_dir>/shop.db`).
    pub database: Option<PathBuf>,
}

impl Default for ShopConfig {
    fn default() -> Self {
        Self {
            seed_dir: Some(PathBuf::from("knowledge/store")),
            database: None,
        }
    }
}
