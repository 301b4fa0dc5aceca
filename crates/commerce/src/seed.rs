//! Seed data for an empty shop: `users.json`, `orders.json` and `products.json` in the
//! tau-retail shape (objects keyed by id), read once for every backend.

use frontdesk_core::commerce::{Customer, Order, Product};
use frontdesk_core::CommerceError;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::Path;

/// The rows a seed directory holds, in id order. A customer's `user_id` is its key in
/// `users.json`; orders and products carry their own ids (the last of two equal ids wins).
pub(crate) struct Seed {
    pub customers: Vec<Customer>,
    pub orders: Vec<Order>,
    pub products: Vec<Product>,
}

impl Seed {
    pub fn read(dir: &Path) -> Result<Seed, CommerceError> {
        let users: BTreeMap<String, Customer> = read(dir, "users.json")?;
        let orders: BTreeMap<String, Order> = read(dir, "orders.json")?;
        let products: BTreeMap<String, Product> = read(dir, "products.json")?;
        Ok(Seed {
            customers: users
                .into_iter()
                .map(|(id, mut c)| {
                    c.user_id = id;
                    c
                })
                .collect(),
            orders: orders.into_values().collect(),
            products: products.into_values().collect(),
        })
    }
}

fn read<T: DeserializeOwned>(dir: &Path, file: &str) -> Result<BTreeMap<String, T>, CommerceError> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CommerceError::Backend(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CommerceError::Backend(format!(
            "{} is not an object of {file} records keyed by id: {e}",
            path.display()
        ))
    })
}
