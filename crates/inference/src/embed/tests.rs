//! Unit tests on a tiny random-weight E5S1 file written here: format parsing, the Unigram
//! tokenizer against hand-computed segmentations, and the forward pass's invariants.

use super::e5::E5Model;
use super::e5s1;
use super::unigram::Unigram;
use super::{spawn_e5, EmbedWorkerOptions};
use frontdesk_core::{EmbedKind, Embedder, InferenceError};
use half::f16;
use rand::{rngs::StdRng, Rng, SeedableRng};

const D: usize = 32;
const FF: usize = 64;
const LAYERS: usize = 2;
const HEADS: usize = 2;
const MAXP: usize = 16;

const PIECES: &[(&str, f32)] = &[
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("▁", -2.0),
    ("a", -3.0),
    ("b", -3.0),
    ("▁a", -1.5),
    ("ab", -2.0),
    ("▁ab", -1.0),
    ("c", -4.0),
    ("▁hello", -1.0),
    ("h", -5.0),
    ("e", -5.0),
    ("l", -5.0),
    ("o", -5.0),
    ("fi", -2.0),
    ("▁fi", -1.2),
    ("ш", -3.0),
    ("▁ша", -1.0),
];

/// (code point, replacement); an empty replacement deletes.
fn norm_table() -> Vec<(u32, Vec<u32>)> {
    vec![
        ('A' as u32, vec!['a' as u32]),
        ('B' as u32, vec!['b' as u32]),
        (0xA0, vec![' ' as u32]),
        ('\t' as u32, vec![' ' as u32]),
        (0xFB01, vec!['f' as u32, 'i' as u32]),
        (0x200B, vec![]),
    ]
}

fn put_i32(b: &mut Vec<u8>, v: usize) {
    b.extend_from_slice(&(v as i32).to_le_bytes());
}

/// A complete E5S1 image with random weights.
fn tiny_file(seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let vocab = PIECES.len() + 5;
    let mut b = Vec::new();
    b.extend_from_slice(b"E5S1");
    b.extend_from_slice(&1u32.to_le_bytes());
    for v in [D, LAYERS, HEADS, FF, vocab, MAXP, 2] {
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
    let table = norm_table();
    let mut nb = Vec::new();
    for (cp, out) in &table {
        nb.extend_from_slice(&cp.to_le_bytes());
        nb.push(out.len() as u8);
        for o in out {
            nb.extend_from_slice(&o.to_le_bytes());
        }
    }
    put_i32(&mut b, table.len());
    b.extend_from_slice(&(nb.len() as u32).to_le_bytes());
    b.extend_from_slice(&nb);

    // (name, elements, 4-bit?)
    let mut tensors: Vec<(String, usize, bool)> = vec![
        ("emb.word".into(), vocab * D, true),
        ("emb.pos".into(), MAXP * D, false),
        ("emb.type".into(), 2 * D, false),
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
    for (name, n, q4) in &tensors {
        let start = data.len();
        if *q4 {
            for _ in 0..n / 32 {
                data.extend_from_slice(&f16::from_f32(rng.gen_range(0.02..0.08)).to_le_bytes());
                for _ in 0..16 {
                    data.push(rng.gen::<u8>());
                }
            }
        } else {
            let ln_weight = name.ends_with("ln.w");
            for _ in 0..*n {
                let v: f32 = if ln_weight {
                    rng.gen_range(0.8..1.2)
                } else {
                    rng.gen_range(-0.1..0.1)
                };
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

pub(super) fn tiny_model() -> E5Model {
    E5Model::from_bytes(&tiny_file(7)).expect("tiny model loads")
}

fn tokenizer() -> Unigram {
    Unigram::new(e5s1::parse(&tiny_file(7)).expect("parses").tokenizer)
}

fn pieces(ids: &[u32]) -> Vec<&'static str> {
    ids.iter().map(|&i| PIECES[i as usize].0).collect()
}

#[test]
fn unigram_segments_like_the_reference() {
    let tok = tokenizer();
    let cases: &[(&str, &[&str])] = &[
        ("ab", &["▁ab"]),
        ("a b", &["▁a", "▁", "b"]),
        ("AB", &["▁ab"]),
        ("a  \u{A0}\tb", &["▁a", "▁", "b"]),
        (" ab", &["▁ab"]),
        ("x", &["▁", "<unk>"]),
        ("xy", &["▁", "<unk>", "<unk>"]),
        ("\u{FB01}", &["▁fi"]),
        ("a\u{200B}b", &["▁ab"]),
        ("hello", &["▁hello"]),
        ("helo", &["▁", "h", "e", "l", "o"]),
        ("ша", &["▁ша"]),
        ("шa", &["▁", "ш", "a"]),
        ("", &["▁"]),
        ("abab", &["▁ab", "ab"]),
    ];
    for (text, want) in cases {
        assert_eq!(
            pieces(&tok.encode(text, usize::MAX)),
            *want,
            "input {text:?}"
        );
    }
}

#[test]
fn unigram_normalises_before_collapsing_spaces() {
    let tok = tokenizer();
    assert_eq!(tok.normalize("a\u{A0} \tb"), "▁a▁b");
    assert_eq!(tok.normalize(" a"), "▁a");
    assert_eq!(tok.normalize("A\u{200B}"), "▁a");
}

#[test]
fn long_inputs_are_cut_to_the_position_limit() {
    let m = tiny_model();
    let ids = m.tokenize(&"ab ".repeat(100), EmbedKind::Passage);
    assert_eq!(ids.len(), MAXP);
    assert_eq!((ids[0], ids[MAXP - 1]), (0, 2));
    assert_eq!(m.tokenize("ab", EmbedKind::Query).first(), Some(&0));
}

#[test]
fn vectors_are_unit_length_and_depend_on_text_and_kind() {
    let m = tiny_model();
    let v = m
        .embed(&[
            ("ab", EmbedKind::Query),
            ("hello", EmbedKind::Query),
            ("ab", EmbedKind::Passage),
        ])
        .expect("embed");
    assert_eq!(v.len(), 3);
    for x in &v {
        assert_eq!(x.len(), D);
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        assert!(x.iter().all(|a| a.is_finite()));
    }
    let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>();
    assert!(
        dist(&v[0], &v[1]) > 1e-3,
        "different texts gave the same vector"
    );
    assert!(
        dist(&v[0], &v[2]) > 1e-3,
        "query and passage prefixes gave the same vector"
    );
}

#[test]
fn a_text_embeds_the_same_alone_and_in_a_batch() {
    let m = tiny_model();
    let alone = m.embed(&[("a b", EmbedKind::Query)]).expect("alone");
    let long = "hello ab ab ab ab ab ab ab ab ab";
    let batch = m
        .embed(&[
            (long, EmbedKind::Passage),
            ("a b", EmbedKind::Query),
            ("x", EmbedKind::Query),
        ])
        .expect("batch");
    for (a, b) in alone[0].iter().zip(&batch[1]) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let good = tiny_file(3);
    for cut in [0, 3, 8, 40, 200, good.len() / 2, good.len() - 1] {
        assert!(
            E5Model::from_bytes(&good[..cut]).is_err(),
            "truncated at {cut} loaded"
        );
    }
    let mut bad = good.clone();
    bad[..4].copy_from_slice(b"GGUF");
    assert!(matches!(
        e5s1::parse(&bad),
        Err(e5s1::FormatError::BadMagic(_))
    ));
}

#[tokio::test]
async fn spawned_handle_embeds_and_missing_file_says_what_to_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tiny.bin");
    std::fs::write(&path, tiny_file(11)).expect("write");
    let h = spawn_e5(&path, &EmbedWorkerOptions::default()).expect("spawn");
    assert_eq!(h.info().dim, D);
    let v = h
        .embed(vec!["ab".into(), "hello".into()], EmbedKind::Passage)
        .await
        .expect("embed");
    assert_eq!(v.len(), 2);

    match spawn_e5(
        &dir.path().join("absent.bin"),
        &EmbedWorkerOptions::default(),
    ) {
        Err(InferenceError::ModelUnavailable { model, why }) => {
            assert_eq!(model, "multilingual-e5-small");
            assert!(
                why.contains("frontdesk models fetch multilingual-e5-small"),
                "{why}"
            );
        }
        other => panic!("expected ModelUnavailable, got {:?}", other.map(|_| ())),
    }
    std::fs::write(&path, b"E5S1 but nothing else").expect("write");
    assert!(matches!(
        spawn_e5(&path, &EmbedWorkerOptions::default()),
        Err(InferenceError::ModelUnavailable { .. })
    ));
}
