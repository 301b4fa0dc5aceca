//! The words of a text as catalogue names and option values are compared: the message's
//! words are read once into `Understanding::tokens`, and a flow reads a product's name or a
//! variant's option the same way to match them.

use crate::lang::fold;

/// Normalised tokens: folded, "feet"/"foot" → "ft", hyphens split, plural `s` kept as is
/// (`flows::matching` compares words with `same_word`).
pub fn tokens(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '%'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "feet" | "foot" => "ft".to_string(),
            "inches" => "inch".to_string(),
            other => serbian_colour(other).unwrap_or(other).to_string(),
        })
        .collect()
}

/// Serbian colour words in any case ending ("crnu", "plavoj", "sivi") as the English option
/// values catalogues use, so "crnu za plavu" picks the blue variant.
fn serbian_colour(token: &str) -> Option<&'static str> {
    const STEMS: &[(&str, &str)] = &[
        ("crn", "black"),
        ("plav", "blue"),
        ("zelen", "green"),
        ("crven", "red"),
        ("bel", "white"),
        ("siv", "grey"),
        ("narandzast", "orange"),
        ("zut", "yellow"),
        ("braon", "brown"),
        ("smedj", "brown"),
        ("teget", "navy"),
        ("ljubicast", "purple"),
        ("roze", "pink"),
        ("maslinast", "olive"),
    ];
    // Adjective endings only, so English words that share a stem ("belt", "below") stay.
    const ENDINGS: &[&str] = &[
        "", "a", "i", "u", "o", "e", "og", "om", "oj", "ih", "im", "ima", "oga", "ome",
    ];
    STEMS
        .iter()
        .find(|(stem, _)| {
            token
                .strip_prefix(stem)
                .is_some_and(|rest| ENDINGS.contains(&rest))
        })
        .map(|(_, english)| *english)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serbian_colour_words_read_as_catalogue_values_and_english_words_stay() {
        assert_eq!(
            tokens("crnu za plavu, belt below sivoj"),
            vec!["black", "za", "blue", "belt", "below", "grey"]
        );
    }
}
