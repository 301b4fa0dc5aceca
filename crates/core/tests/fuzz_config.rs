//! Fuzz harness for the layered configuration loader (`Config::load_with_env`: defaults, a TOML
//! file, `FRONTDESK_*` variables). Inputs are TOML built from the real sections and keys with
//! values of every type, mixed with arbitrary text, plus environment overrides with arbitrary
//! paths and values. Loading must give a config or an error naming what is wrong, never panic.
//!
//! Short in `cargo test`; long runs: `FRONTDESK_FUZZ_CASES=1000000 cargo test --release -p
//! frontdesk-core --test fuzz_config` (see crates/server/README.md).

use frontdesk_core::Config;
use frontdesk_fuzzing::{
    check_memory, check_time, config, measure, regex, write_case_file, MeteredAlloc,
};
use proptest::prelude::*;
use std::time::Instant;

#[global_allocator]
static ALLOC: MeteredAlloc = MeteredAlloc;

const CI_CASES: u32 = 400;

const SECTIONS: &[&str] = &[
    "",
    "server",
    "server.business_hours",
    "engine",
    "engine.reader",
    "engine.intent_model",
    "retrieval",
    "models",
    "commerce",
    "shop",
    "nope",
    "server.api_keys",
];
const KEYS: &[&str] = &[
    "data_dir",
    "knowledge",
    "addr",
    "max_body_bytes",
    "max_message_chars",
    "rate_limit_per_minute",
    "max_concurrent_turns",
    "retention_days",
    "request_timeout_secs",
    "utc_offset_minutes",
    "open",
    "close",
    "days",
    "use_llm",
    "chunk_tokens",
    "chunk_overlap",
    "model_dir",
    "embed",
    "chat",
    "seed_dir",
    "database",
    "name",
    "key",
    "role",
    "enabled",
    "no_such_key",
];

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        Just("inf".to_string()),
        Just("nan".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        regex("\\PC{0,30}").prop_map(|s| format!("{s:?}")),
        Just("\"08:00\"".to_string()),
        Just("[1, 2, 7]".to_string()),
        Just("[[1], \"a\"]".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("18446744073709551615".to_string()),
        Just("-1".to_string()),
        regex("[ -~]{0,20}"),
    ]
}

fn toml_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        3 => (prop::sample::select(KEYS), toml_value()).prop_map(|(k, v)| format!("{k} = {v}\n")),
        1 => prop::sample::select(SECTIONS).prop_map(|s| format!("[{s}]\n")),
        1 => Just("[[server.api_keys]]\nname = \"ops\"\nkey = \"k\"\nrole = \"admin\"\n".to_string()),
        1 => regex("\\PC{0,40}").prop_map(|s| format!("{s}\n")),
    ];
    prop::collection::vec(line, 0..30).prop_map(|l| l.concat())
}

fn env_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        Just("FRONTDESK_DATA_DIR".to_string()),
        Just("FRONTDESK_MODEL_DIR".to_string()),
        (prop::sample::select(SECTIONS), prop::sample::select(KEYS)).prop_map(|(s, k)| {
            format!(
                "FRONTDESK_{}__{}",
                s.replace('.', "__").to_uppercase(),
                k.to_uppercase()
            )
        }),
        regex("FRONTDESK_[A-Z_]{0,20}"),
        Just("FRONTDESK___".to_string()),
        Just("FRONTDESK_SERVER__ADDR__DEEPER".to_string()),
    ];
    let value = prop_oneof![toml_value(), regex("\\PC{0,20}")];
    prop::collection::vec((name, value), 0..5)
}

proptest! {
    #![proptest_config(config(CI_CASES))]

    #[test]
    fn config_loader(text in toml_text(), env in env_pairs()) {
        let file = write_case_file("frontdesk.toml", text.as_bytes()).unwrap();
        let started = Instant::now();
        let (result, peak) = measure(|| Config::load_with_env(Some(&file), env.clone()));
        check_time(started, "loading the config")?;
        check_memory(peak, text.len(), "loading the config")?;
        if let Err(e) = result {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn config_loader_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let file = write_case_file("frontdesk.toml", &bytes).unwrap();
        let started = Instant::now();
        let _ = Config::load_with_env(Some(&file), Vec::new());
        check_time(started, "loading the config")?;
    }
}
