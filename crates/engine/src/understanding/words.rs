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

/// A size asked for relative to the one the customer has: `1` for "a size up", "a bigger
/// size", "larger", "veći broj", "већу"; `-1` for "smaller", "size down", "manji". Read from
/// folded tokens; the flow applies it to the product's own size order (`flows::matching`).
pub fn size_step(words: &[String]) -> Option<i8> {
    // Comparatives of "big" and "small" in English and Serbian (every gender and case ending
    // of veći/manji), and "size up/down".
    const UP: &[&str] = &[
        "bigger", "larger", "veci", "veca", "vece", "vecu", "veceg", "vecem", "vecoj",
    ];
    const DOWN: &[&str] = &[
        "smaller", "manji", "manja", "manje", "manju", "manjeg", "manjem", "manjoj",
    ];
    let mut step = None;
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str);
        let after_size = w == "size" || (i > 0 && words[i - 1] == "size");
        if UP.contains(&w.as_str())
            || (after_size && w == "up")
            || (w == "size" && next == Some("up"))
        {
            step = Some(1);
        } else if DOWN.contains(&w.as_str())
            || (after_size && w == "down")
            || (w == "size" && next == Some("down"))
        {
            step = Some(-1);
        }
    }
    step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_steps() {
        for (text, want) in [
            ("I need the next size up, same colour", Some(1)),
            ("a size bigger please", Some(1)),
            ("dajte mi veći broj", Some(1)),
            ("можете ли већу величину", Some(1)),
            ("one size down", Some(-1)),
            ("they're too big, a smaller pair", Some(-1)),
            ("manji broj", Some(-1)),
            ("set it up in black", None),
            ("the same size", None),
        ] {
            assert_eq!(size_step(&tokens(text)), want, "{text}");
        }
    }

    #[test]
    fn serbian_colour_words_read_as_catalogue_values_and_english_words_stay() {
        assert_eq!(
            tokens("crnu za plavu, belt below sivoj"),
            vec!["black", "za", "blue", "belt", "below", "grey"]
        );
    }
}
