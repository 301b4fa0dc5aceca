//! The readable units of a passage — a sentence, a list item, a spec line ("Packed weight:
//! 2.1 kg") — and the text each is embedded as. One implementation: the index embeds units at
//! index time to rank passages by the fact they state, and the reader quotes the units that
//! answer; both must agree on what a unit is.

use super::sentences;

/// Shortest unit worth giving on its own ("Weight: 410 g" is 13 characters).
const MIN_UNIT_CHARS: usize = 8;

/// Longest line read as the label of the list below it ("Specifications:").
const MAX_LABEL_CHARS: usize = 40;

/// One unit of a passage: what the customer is shown, and the label of the list it belongs to
/// ("Specifications", "Variants"), which only goes into its embedding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub label: Option<String>,
    pub text: String,
}

/// The units of a passage: its sentences and lines. `whole` (an FAQ answer) makes the passage
/// one unit. A short line ending in a colon introduces the list below it: it states no fact
/// itself, so it is not a unit, and its list items carry it as their label. Markdown headings
/// and pieces shorter than [`MIN_UNIT_CHARS`] (a list number, a stray word) are dropped.
pub fn units(text: &str, whole: bool) -> Vec<Unit> {
    if whole {
        let text = text.trim();
        return if text.is_empty() {
            Vec::new()
        } else {
            vec![Unit {
                label: None,
                text: text.to_string(),
            }]
        };
    }
    let mut label: Option<String> = None;
    let mut out = Vec::new();
    for s in sentences(text) {
        let raw = s.trim();
        let is_item = raw.starts_with(['-', '*']);
        let text = raw.trim_start_matches(['-', '*', ' ']).trim();
        if !is_item && text.ends_with(':') && text.chars().count() <= MAX_LABEL_CHARS {
            label = Some(text.trim_end_matches(':').trim().to_string());
            continue;
        }
        if !is_item {
            label = None;
        }
        if text.chars().count() >= MIN_UNIT_CHARS && !text.starts_with('#') {
            out.push(Unit {
                label: label.clone(),
                text: text.to_string(),
            });
        }
    }
    out
}

/// What a unit is embedded as: its passage's heading (FAQ question, section path or title) and
/// its list label first, so that "Weight: 410 g" knows which product it describes.
pub fn unit_embed_text(heading: &str, unit: &Unit) -> String {
    match &unit.label {
        Some(label) => format!("{heading}: {label}: {}", unit.text),
        None => format!("{heading}: {}", unit.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_sentences_and_list_lines_with_their_label() {
        let text = "Alpina 2 Tent: a light tent. Price: 289.00 EUR.\n\nSpecifications:\n\n- Packed weight: 2.1 kg\n- Capacity: 2 people\n\nWarranty: 2 years on the poles.\n";
        let got = units(text, false);
        let texts: Vec<&str> = got.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Alpina 2 Tent: a light tent.",
                "Price: 289.00 EUR.",
                "Packed weight: 2.1 kg",
                "Capacity: 2 people",
                "Warranty: 2 years on the poles."
            ]
        );
        let labels: Vec<Option<&str>> = got.iter().map(|u| u.label.as_deref()).collect();
        assert_eq!(
            labels,
            vec![
                None,
                None,
                Some("Specifications"),
                Some("Specifications"),
                None
            ]
        );
        assert_eq!(
            unit_embed_text("Tents > Alpina 2 Tent", &got[2]),
            "Tents > Alpina 2 Tent: Specifications: Packed weight: 2.1 kg"
        );
        assert_eq!(
            unit_embed_text("Tents > Alpina 2 Tent", &got[0]),
            "Tents > Alpina 2 Tent: Alpina 2 Tent: a light tent."
        );
    }

    #[test]
    fn a_whole_passage_is_one_unit_and_empty_text_none() {
        assert_eq!(
            units(" Returns are free. Within 30 days. ", true),
            vec![Unit {
                label: None,
                text: "Returns are free. Within 30 days.".into()
            }]
        );
        assert!(units("  ", true).is_empty());
        assert!(units("# Heading\n1.\n", false).is_empty());
    }
}
