//! Fuzz harness for our handling of GGUF files around candle's reader: `check_architecture`
//! (what `frontdesk models verify` and the chat loader run first) on GGUF files written here
//! from parts — versions, metadata of every value type (nested arrays, strings, the keys the
//! loader reads, `general.alignment` of every type and value), tensor infos with any dims,
//! dtypes and offsets, lengths that lie — and on arbitrary bytes behind the magic. Reading
//! must give the architecture or an error, never panic or allocate what the file cannot hold.
//!
//! Short in `cargo test`; long runs: `FRONTDESK_FUZZ_CASES=1000000 cargo test --release -p
//! frontdesk-inference --test fuzz_gguf` (see crates/server/README.md).

use frontdesk_fuzzing::{
    check_memory, check_time, config, measure, regex, write_case_file, MeteredAlloc,
};
use frontdesk_inference::chat::check_architecture;
use proptest::prelude::*;
use std::time::Instant;

#[global_allocator]
static ALLOC: MeteredAlloc = MeteredAlloc;

const CI_CASES: u32 = 400;

#[derive(Debug, Clone)]
enum Val {
    U8(u8),
    I32(i32),
    U32(u32),
    U64(u64),
    F32(f32),
    Bool(u8),
    Str(String),
    /// An array with its declared element type and (possibly lying) length.
    Arr(u32, Option<u64>, Vec<Val>),
    /// An unknown value type number.
    Unknown(u32),
}

impl Val {
    fn type_id(&self) -> u32 {
        match self {
            Val::U8(_) => 0,
            Val::U32(_) => 4,
            Val::I32(_) => 5,
            Val::F32(_) => 6,
            Val::Bool(_) => 7,
            Val::Str(_) => 8,
            Val::Arr(..) => 9,
            Val::U64(_) => 10,
            Val::Unknown(t) => *t,
        }
    }
}

fn put_len(b: &mut Vec<u8>, v1: bool, n: u64) {
    if v1 {
        b.extend_from_slice(&(n as u32).to_le_bytes());
    } else {
        b.extend_from_slice(&n.to_le_bytes());
    }
}

fn put_str(b: &mut Vec<u8>, v1: bool, s: &str, lie: Option<u64>) {
    put_len(b, v1, lie.unwrap_or(s.len() as u64));
    b.extend_from_slice(s.as_bytes());
}

fn put_val(b: &mut Vec<u8>, v1: bool, v: &Val) {
    match v {
        Val::U8(x) => b.push(*x),
        Val::I32(x) => b.extend_from_slice(&x.to_le_bytes()),
        Val::U32(x) => b.extend_from_slice(&x.to_le_bytes()),
        Val::U64(x) => b.extend_from_slice(&x.to_le_bytes()),
        Val::F32(x) => b.extend_from_slice(&x.to_le_bytes()),
        Val::Bool(x) => b.push(*x),
        Val::Str(s) => put_str(b, v1, s, None),
        Val::Arr(t, len, items) => {
            b.extend_from_slice(&t.to_le_bytes());
            put_len(b, v1, len.unwrap_or(items.len() as u64));
            for i in items {
                put_val(b, v1, i);
            }
        }
        Val::Unknown(_) => b.extend_from_slice(&[1, 2, 3, 4]),
    }
}

fn value() -> impl Strategy<Value = Val> {
    let leaf = prop_oneof![
        any::<u8>().prop_map(Val::U8),
        any::<i32>().prop_map(Val::I32),
        prop_oneof![Just(0u32), Just(1), Just(32), Just(u32::MAX), any::<u32>()].prop_map(Val::U32),
        any::<u64>().prop_map(Val::U64),
        any::<f32>().prop_map(Val::F32),
        (0u8..3).prop_map(Val::Bool),
        regex("\\PC{0,16}").prop_map(Val::Str),
        Just(Val::Str("qwen2".into())),
        Just(Val::Str("llama".into())),
        (11u32..40).prop_map(Val::Unknown),
    ];
    leaf.prop_recursive(3, 40, 8, |inner| {
        (
            inner.clone(),
            prop::collection::vec(inner, 0..8),
            prop::option::of(prop_oneof![Just(u64::MAX), Just(1u64 << 40), any::<u64>()]),
        )
            .prop_map(|(first, mut items, lie)| {
                // Homogeneous arrays mostly, as a writer would make them; a lie sometimes.
                let t = first.type_id();
                items.retain(|i| i.type_id() == t);
                items.insert(0, first);
                Val::Arr(t, lie.filter(|_| items.len() % 3 == 0), items)
            })
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "general.architecture",
            "general.alignment",
            "tokenizer.ggml.tokens",
            "tokenizer.ggml.model",
            "tokenizer.ggml.pre",
            "tokenizer.ggml.bos_token_id",
            "tokenizer.ggml.eos_token_id",
            "tokenizer.ggml.add_bos_token",
            "tokenizer.chat_template",
            "qwen2.context_length",
            "qwen2.embedding_length",
            "qwen2.block_count",
        ])
        .prop_map(str::to_string),
        regex("[a-z._]{0,20}"),
    ]
}

#[derive(Debug, Clone)]
struct TensorInfo {
    name: String,
    dims: Vec<u64>,
    dtype: u32,
    offset: u64,
}

fn tensor_info() -> impl Strategy<Value = TensorInfo> {
    let dim = prop_oneof![
        Just(0u64),
        Just(1),
        Just(32),
        Just(u64::MAX),
        Just(1 << 32),
        any::<u64>()
    ];
    (
        regex("[a-z._0-9]{0,16}"),
        prop::collection::vec(dim, 0..6),
        prop_oneof![0u32..16, any::<u32>()],
        prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()],
    )
        .prop_map(|(name, dims, dtype, offset)| TensorInfo {
            name,
            dims,
            dtype,
            offset,
        })
}

#[derive(Debug, Clone)]
struct GgufParts {
    version: u32,
    kv: Vec<(String, Val)>,
    tensors: Vec<TensorInfo>,
    /// Counts written in the header instead of the true ones.
    lie_counts: Option<(u64, u64)>,
    tail: Vec<u8>,
}

fn parts() -> impl Strategy<Value = GgufParts> {
    (
        prop_oneof![Just(3u32), Just(2), Just(1), any::<u32>()],
        prop::collection::vec((key(), value()), 0..10),
        prop::collection::vec(tensor_info(), 0..4),
        prop::option::of((any::<u64>(), any::<u64>())),
        prop::collection::vec(any::<u8>(), 0..256),
    )
        .prop_map(|(version, kv, tensors, lie_counts, tail)| GgufParts {
            version,
            kv,
            tensors,
            lie_counts,
            tail,
        })
}

fn write(p: &GgufParts) -> Vec<u8> {
    let v1 = p.version == 1;
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&p.version.to_le_bytes());
    let (t, k) = p
        .lie_counts
        .unwrap_or((p.tensors.len() as u64, p.kv.len() as u64));
    put_len(&mut b, v1, t);
    put_len(&mut b, v1, k);
    for (key, v) in &p.kv {
        put_str(&mut b, v1, key, None);
        b.extend_from_slice(&v.type_id().to_le_bytes());
        put_val(&mut b, v1, v);
    }
    for ti in &p.tensors {
        put_str(&mut b, v1, &ti.name, None);
        b.extend_from_slice(&(ti.dims.len() as u32).to_le_bytes());
        for d in &ti.dims {
            put_len(&mut b, v1, *d);
        }
        b.extend_from_slice(&ti.dtype.to_le_bytes());
        b.extend_from_slice(&ti.offset.to_le_bytes());
    }
    b.extend_from_slice(&p.tail);
    b
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = write_case_file("model.gguf", bytes).unwrap();
    let started = Instant::now();
    let (result, peak) = measure(|| check_architecture(&path));
    check_time(started, "reading the GGUF header")?;
    check_memory(peak, bytes.len(), "reading the GGUF header")?;
    if let Ok(arch) = result {
        prop_assert!(
            arch == "qwen2" || arch == "llama",
            "accepted architecture {arch}"
        );
    }
    Ok(())
}

#[test]
fn a_well_formed_header_names_its_architecture() {
    let p = GgufParts {
        version: 3,
        kv: vec![
            ("general.architecture".into(), Val::Str("qwen2".into())),
            ("general.alignment".into(), Val::U32(32)),
        ],
        tensors: vec![],
        lie_counts: None,
        tail: vec![],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.gguf");
    std::fs::write(&path, write(&p)).unwrap();
    assert_eq!(check_architecture(&path).unwrap(), "qwen2");
}

/// Regression (fuzz finding, a dependency crash): candle's reader divides by
/// `general.alignment`, so an alignment of 0 panicked inside candle; our reader now reports the
/// file as unreadable. Every integer type is tried.
#[test]
fn a_zero_alignment_is_an_error_not_a_panic() {
    for alignment in [Val::U8(0), Val::U32(0), Val::I32(0)] {
        let p = GgufParts {
            version: 3,
            kv: vec![
                ("general.architecture".into(), Val::Str("qwen2".into())),
                ("general.alignment".into(), alignment.clone()),
            ],
            tensors: vec![],
            lie_counts: None,
            tail: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.gguf");
        std::fs::write(&path, write(&p)).unwrap();
        let err = check_architecture(&path).unwrap_err().to_string();
        assert!(
            err.contains("not a readable GGUF file"),
            "{alignment:?}: {err}"
        );
    }
}

proptest! {
    #![proptest_config(config(CI_CASES))]

    #[test]
    fn gguf_header(p in parts()) {
        check(&write(&p))?;
    }

    #[test]
    fn gguf_header_arbitrary_bytes(version in 1u32..4, bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let mut b = b"GGUF".to_vec();
        b.extend_from_slice(&version.to_le_bytes());
        b.extend_from_slice(&bytes);
        check(&b)?;
    }
}
