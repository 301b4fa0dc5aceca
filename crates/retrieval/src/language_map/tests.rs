use super::*;
use frontdesk_core::testing::CountingEmbedder;

/// Deterministic pseudo-random numbers in [-1, 1).
fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) as f32 / (1u64 << 31) as f32) - 1.0
        })
        .collect()
}

fn times(v: &[f32], m: &[f32], dim: usize) -> Vec<f32> {
    (0..dim)
        .map(|j| (0..dim).map(|i| v[i] * m[i * dim + j]).sum())
        .collect()
}

#[test]
fn the_fit_recovers_a_linear_map_from_its_examples() {
    let dim = 6;
    let m = noise(7, dim * dim);
    let x: Vec<Vec<f32>> = (0..300).map(|i| noise(100 + i, dim)).collect();
    let y: Vec<Vec<f32>> = x.iter().map(|v| times(v, &m, dim)).collect();
    let map = LanguageMap::fit(&x, &y, 1e-6, "k".into()).unwrap();
    for (a, b) in map.w.iter().zip(&m) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
    // Applied, a vector lands on the normalised image.
    let v = noise(5, dim);
    let want = times(&v, &m, dim);
    let norm = want.iter().map(|x| x * x).sum::<f32>().sqrt();
    for (a, b) in map.apply(&v).iter().zip(&want) {
        assert!((a - b / norm).abs() < 1e-3);
    }
}

#[test]
fn pairs_that_agree_give_the_identity_and_a_strong_ridge_keeps_it() {
    let dim = 4;
    let x: Vec<Vec<f32>> = (0..50).map(|i| noise(i, dim)).collect();
    let map = LanguageMap::fit(&x, &x, 1.0, "k".into()).unwrap();
    for i in 0..dim {
        for j in 0..dim {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((map.w[i * dim + j] - want).abs() < 1e-4);
        }
    }
    // Disagreeing lengths or no rows: no map.
    assert!(LanguageMap::fit(&x, &x[1..], 1.0, "k".into()).is_none());
    assert!(LanguageMap::fit(&[], &[], 1.0, "k".into()).is_none());
    // A vector of another length passes through.
    assert_eq!(map.apply(&[1.0, 2.0]), vec![1.0, 2.0]);
}

#[test]
fn a_map_survives_its_byte_form_and_refuses_another_key() {
    let x: Vec<Vec<f32>> = (0..20).map(|i| noise(i, 3)).collect();
    let y: Vec<Vec<f32>> = (0..20).map(|i| noise(i + 50, 3)).collect();
    let map = LanguageMap::fit(&x, &y, 0.5, "abc".into()).unwrap();
    let bytes = map.to_bytes();
    assert_eq!(LanguageMap::from_bytes(&bytes, "abc"), Some(map.clone()));
    assert_eq!(LanguageMap::from_bytes(&bytes, "abd"), None);
    assert_eq!(
        LanguageMap::from_bytes(&bytes[..bytes.len() - 1], "abc"),
        None
    );
}

#[test]
fn the_builtin_pairs_parse_and_are_latin_script_serbian() {
    let pairs = parse_pairs(BUILTIN_PAIRS).unwrap();
    assert!(pairs.len() >= 300, "{} pairs", pairs.len());
    let mut seen = std::collections::HashSet::new();
    for p in &pairs {
        assert!(!p.en.trim().is_empty() && !p.sr.trim().is_empty());
        assert!(
            !p.sr.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)),
            "{}",
            p.sr
        );
        assert!(seen.insert(p.en.as_str()), "duplicate {}", p.en);
    }
    assert!(parse_pairs("{\"en\": \"a\"}\n").is_err());
}

const PAIRS: &str = "{\"en\": \"how much is delivery\", \"sr\": \"koliko košta dostava\"}\n\
{\"en\": \"where is my order\", \"sr\": \"gde je moja porudžbina\"}\n\
{\"en\": \"can I return shoes\", \"sr\": \"mogu li da vratim cipele\"}\n";

#[tokio::test]
async fn a_fitted_map_is_cached_by_what_it_was_fitted_from() {
    let dir = tempfile::tempdir().unwrap();
    let emb = CountingEmbedder::new(16);
    let first = load_or_fit(&emb, PAIRS, Some(dir.path())).await.unwrap();
    // English, Latin and Cyrillic of each pair.
    assert_eq!(emb.texts(), 9);
    let again = load_or_fit(&emb, PAIRS, Some(dir.path())).await.unwrap();
    assert_eq!(emb.texts(), 9, "read from the cache");
    assert_eq!(first, again);
    // Other pairs: another key, fitted anew.
    let two_pairs: String = PAIRS.lines().take(2).map(|l| format!("{l}\n")).collect();
    let other = load_or_fit(&emb, &two_pairs, Some(dir.path()))
        .await
        .unwrap();
    assert_ne!(other.to_english.key(), first.to_english.key());
    assert!(emb.texts() > 9);
    // A broken cache file is fitted again, not trusted.
    let path = dir
        .path()
        .join(format!("language-map-{}.bin", first.to_english.key()));
    std::fs::write(&path, b"junk").unwrap();
    let refit = load_or_fit(&emb, PAIRS, Some(dir.path())).await.unwrap();
    assert_eq!(refit, first);
    // A bad line is an error naming it.
    let err = load_or_fit(&emb, "{\"en\": 1}\n", None).await.unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
}
