//! Answer-vs-reference similarity: token F1 (SQuAD-style) and embedding cosine.

use std::collections::HashMap;

/// Lower-cased alphanumeric words, folded (Cyrillic → Latin, Serbian diacritics → ASCII):
/// Serbian is one language in two scripts, so a Latin answer quoting a Cyrillic page, or
/// compared with a Latin reference, matches word for word.
pub fn tokens(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// Lower case, Serbian Cyrillic → Latin, Serbian diacritics → ASCII ("Плаћање", "Plaćanje" and
/// "placanje" are one word). The metrics' own fold, not `frontdesk_core::text::fold`: a metric
/// shares no code with the bot it measures, so a change to how the bot folds cannot move a score.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        let ascii = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'ђ' | 'đ' => "dj",
            'е' => "e",
            'ж' | 'ž' | 'з' => "z",
            'и' => "i",
            'ј' => "j",
            'к' => "k",
            'л' => "l",
            'љ' => "lj",
            'м' => "m",
            'н' => "n",
            'њ' => "nj",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' | 'ш' | 'š' => "s",
            'т' => "t",
            'ћ' | 'ч' | 'ц' | 'ć' | 'č' => "c",
            'у' => "u",
            'ф' => "f",
            'х' => "h",
            'џ' => "dz",
            other => {
                out.push(other);
                continue;
            }
        };
        out.push_str(ascii);
    }
    out
}

/// Harmonic mean of token precision and recall with multiset overlap.
pub fn token_f1(prediction: &str, reference: &str) -> f64 {
    let (p, r) = (tokens(prediction), tokens(reference));
    if p.is_empty() || r.is_empty() {
        return if p.is_empty() && r.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &r {
        *counts.entry(t.as_str()).or_default() += 1;
    }
    let mut overlap = 0usize;
    for t in &p {
        if let Some(c) = counts.get_mut(t.as_str()) {
            if *c > 0 {
                *c -= 1;
                overlap += 1;
            }
        }
    }
    if overlap == 0 {
        return 0.0;
    }
    let precision = overlap as f64 / p.len() as f64;
    let recall = overlap as f64 / r.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

/// Cosine similarity (vectors need not be normalised); 0 when either is zero.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_f1_matches_hand_computed_values() {
        let cases = [
            ("the cat sat", "the cat sat", 1.0),
            // overlap 2 (the, cat): p = 2/3, r = 2/2 → f1 = 0.8
            ("the cat sat", "The cat.", 0.8),
            ("dog", "cat", 0.0),
            // repeated token counted once against one reference occurrence: p = 1/2, r = 1 → 2/3
            ("a a", "a", 2.0 / 3.0),
            // Serbian scripts and diacritics fold together.
            ("Da, besplatno.", "Да, бесплатно.", 1.0),
            ("placanje pouzecem", "Plaćanje pouzećem", 1.0),
            (
                "Враћање у року од 30 дана",
                "рок од 30 дана",
                2.0 * (3.0 / 6.0) * (3.0 / 4.0) / (3.0 / 6.0 + 3.0 / 4.0),
            ),
            ("", "", 1.0),
            ("", "x", 0.0),
        ];
        for (p, r, want) in cases {
            assert!(
                (token_f1(p, r) - want).abs() < 1e-12,
                "{p:?} vs {r:?}: {}",
                token_f1(p, r)
            );
        }
    }

    #[test]
    fn fold_table() {
        let cases = [
            ("Човек Čovek covek", "covek covek covek"),
            ("ЂАК Đak, Џеп", "djak djak, dzep"),
            ("Љубав њива ШЖЋ", "ljubav njiva szc"),
            ("NW-2041, 1.5 kg", "nw-2041, 1.5 kg"),
        ];
        for (text, want) in cases {
            assert_eq!(fold(text), want, "{text:?}");
        }
    }

    #[test]
    fn cosine_values() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-12);
        assert!(cosine(&[1.0, 0.0], &[0.0, 2.0]).abs() < 1e-12);
        assert!((cosine(&[1.0, 1.0], &[1.0, 0.0]) - 1.0 / 2f64.sqrt()).abs() < 1e-9);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}
