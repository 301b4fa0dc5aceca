//! Fuzz harness for the shop's seed loader (`seed_from_dir`: `users.json`, `orders.json`,
//! `products.json` in tau-retail shape). Inputs are records of the demo shop's own seed data
//! with JSON-level mutations (a field replaced by another type, removed, renamed, deeply
//! nested, a huge number, odd text) plus arbitrary bytes as a file. Seeding must succeed or
//! fail with an error, never panic; what it stored must be readable back.
//!
//! Short in `cargo test`; long runs: `FRONTDESK_FUZZ_CASES=1000000 cargo test --release -p
//! frontdesk-commerce --test fuzz_seed` (see crates/server/README.md).

use frontdesk_commerce::SqliteCommerce;
use frontdesk_core::Commerce;
use frontdesk_fuzzing::{
    check_memory, check_time, config, measure, regex, scratch_dir, write_case_file, MeteredAlloc,
};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

#[global_allocator]
static ALLOC: MeteredAlloc = MeteredAlloc;

const CI_CASES: u32 = 200;
const FILES: [&str; 3] = ["users.json", "orders.json", "products.json"];
/// Records per file taken from the demo seed: enough for every shape, small enough to be fast.
const RECORDS_PER_FILE: usize = 3;

/// The first records of each demo seed file.
fn seed() -> &'static [Map<String, Value>; 3] {
    static SEED: OnceLock<[Map<String, Value>; 3]> = OnceLock::new();
    SEED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge/store");
        FILES.map(|f| {
            let text = std::fs::read_to_string(dir.join(f)).expect("demo seed file");
            let all: Map<String, Value> = serde_json::from_str(&text).expect("demo seed JSON");
            all.into_iter().take(RECORDS_PER_FILE).collect()
        })
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(Value::from(1e308)),
        Just(Value::from(-0.0)),
        Just(Value::from(u64::MAX)),
        regex("\\PC{0,40}").prop_map(Value::String),
        Just(Value::String(String::new())),
        Just(Value::String("#W1000001".into())),
    ];
    // Compiled once: proptest calls this closure again for every value it generates.
    let key = regex("[a-z_]{1,10}").boxed();
    leaf.prop_recursive(4, 32, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(Value),
    Remove,
    Rename(String),
    Nest(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => json_value().prop_map(Edit::Replace),
        2 => Just(Edit::Remove),
        1 => regex("[a-z_]{0,10}").prop_map(Edit::Rename),
        1 => (1usize..200).prop_map(Edit::Nest),
    ]
}

/// Applies `edit` at the `pick`-th node (depth-first) of `v`.
fn apply(v: &mut Value, pick: &mut usize, e: &Edit) -> bool {
    let children: Vec<String> = match v {
        Value::Object(m) => m.keys().cloned().collect(),
        Value::Array(a) => (0..a.len()).map(|i| i.to_string()).collect(),
        _ => return false,
    };
    for key in children {
        if *pick == 0 {
            match v {
                Value::Object(m) => match e {
                    Edit::Replace(x) => {
                        m.insert(key, x.clone());
                    }
                    Edit::Remove => {
                        m.remove(&key);
                    }
                    Edit::Rename(to) => {
                        if let Some(x) = m.remove(&key) {
                            m.insert(to.clone(), x);
                        }
                    }
                    Edit::Nest(depth) => {
                        let mut x = m.remove(&key).unwrap_or(Value::Null);
                        for _ in 0..*depth {
                            x = Value::Array(vec![x]);
                        }
                        m.insert(key, x);
                    }
                },
                Value::Array(a) => {
                    let i: usize = key.parse().unwrap_or(0);
                    match e {
                        Edit::Replace(x) => a[i] = x.clone(),
                        _ => {
                            a.remove(i);
                        }
                    }
                }
                _ => {}
            }
            return true;
        }
        *pick -= 1;
        let child = match v {
            Value::Object(m) => m.get_mut(&key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        };
        if let Some(c) = child {
            if apply(c, pick, e) {
                return true;
            }
        }
    }
    false
}

fn seed_and_read(dir: &Path) -> Result<(), String> {
    let shop = SqliteCommerce::in_memory().map_err(|e| e.to_string())?;
    shop.seed_from_dir(dir).map_err(|e| e.to_string())?;
    // What was stored must read back: every customer, their orders, every order.
    let snapshot = shop
        .snapshot()
        .map_err(|e| format!("snapshot after seeding: {e}"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        for id in snapshot["users"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            shop.customer(id)
                .await
                .map_err(|e| format!("customer {id} stored but unreadable: {e}"))?;
            shop.orders_of(id)
                .await
                .map_err(|e| format!("orders of {id}: {e}"))?;
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(config(CI_CASES))]

    #[test]
    fn seed_loader(edits in prop::collection::vec((0usize..3, any::<usize>(), edit()), 0..6)) {
        let mut files: Vec<Value> = seed().iter().cloned().map(Value::Object).collect();
        for (file, pick, e) in &edits {
            let v = &mut files[*file];
            let mut nodes = 0usize;
            count_nodes(v, &mut nodes);
            let mut pick = pick % nodes.max(1);
            apply(v, &mut pick, e);
        }
        let dir = scratch_dir();
        let mut input = 0;
        for (name, v) in FILES.iter().zip(&files) {
            let text = v.to_string();
            input += text.len();
            write_case_file(name, text.as_bytes()).unwrap();
        }
        let started = Instant::now();
        let (result, peak) = measure(|| seed_and_read(&dir));
        check_time(started, "seeding")?;
        check_memory(peak, input, "seeding")?;
        if let Err(e) = result {
            // Only the seed's own errors are acceptable, not a store that cannot read back.
            prop_assert!(!e.contains("unreadable") && !e.contains("snapshot after"), "{}", e);
        }
    }

    #[test]
    fn seed_loader_on_arbitrary_bytes(which in 0usize..3, bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let dir = scratch_dir();
        for (i, name) in FILES.iter().enumerate() {
            let content = if i == which { bytes.clone() } else { Value::Object(seed()[i].clone()).to_string().into_bytes() };
            write_case_file(name, &content).unwrap();
        }
        let started = Instant::now();
        let (result, _) = measure(|| seed_and_read(&dir));
        check_time(started, "seeding")?;
        prop_assert!(result.is_err() || bytes.iter().all(u8::is_ascii_whitespace) || serde_json::from_slice::<Value>(&bytes).is_ok());
    }
}

fn count_nodes(v: &Value, n: &mut usize) {
    match v {
        Value::Object(m) => m.values().for_each(|c| {
            *n += 1;
            count_nodes(c, n)
        }),
        Value::Array(a) => a.iter().for_each(|c| {
            *n += 1;
            count_nodes(c, n)
        }),
        _ => {}
    }
}
