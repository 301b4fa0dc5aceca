use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where the embedded commerce store comes from. The shop's action rules are `[commerce]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopConfig {
    /// Folder with `users.json`, `orders.json`, `products.json` (tau-retail shape) loaded into a
    /// new database; an existing database is never re-seeded (customers' changes are kept).
    /// Unset: a `store` folder in a knowledge root, else none (`Config::shop_seed_dir`).
    pub seed_dir: Option<PathBuf>,
    /// SQLite file of the store (default: `<data_dir>/shop.db`).
    pub database: Option<PathBuf>,
}
