//! The readable units of a passage — a sentence, a list item, a spec line ("Packed weight:
//! 2.1 kg") — and the text each is embedded as. One implementation: the index embeds every
//! passage's units when it indexes, and the reader scores and quotes the units that answer;
//! both must agree on what a unit is and what it is embedded as.

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

/// The units of a passage: its sentences and lines, and a table's rows. `whole` (an FAQ answer)
/// makes the passage one unit. A short line ending in a colon introduces the list (or table)
/// below it: it states no fact itself, so it is not a unit, and its items carry it as their
/// label. Markdown headings and pieces shorter than [`MIN_UNIT_CHARS`] (a list number, a stray
/// word) are dropped. A Markdown table gives one unit per data row, each cell after its
/// column's header ("Saturday: 09–15"), so that a question about one row is answered by that
/// row and not by the header line.
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
    let push = |out: &mut Vec<Unit>, label: &Option<String>, text: &str| {
        if text.chars().count() >= MIN_UNIT_CHARS && !text.starts_with('#') {
            out.push(Unit {
                label: label.clone(),
                text: text.to_string(),
            });
        }
    };
    for block in blocks(text) {
        match block {
            Block::Table(lines) => {
                for row in table_rows(&lines) {
                    push(&mut out, &label, &row);
                }
                label = None;
            }
            Block::Text(text) => {
                for s in sentences(&text) {
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
                    push(&mut out, &label, text);
                }
            }
        }
    }
    out
}

/// A run of a passage's lines: a Markdown table, or anything else.
enum Block {
    Table(Vec<String>),
    Text(String),
}

/// A Markdown table line: it starts with a pipe and has at least one more.
pub fn is_table_line(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.matches('|').count() >= 2
}

/// The line under a table's header: pipes, dashes and alignment colons only.
pub fn is_table_separator(line: &str) -> bool {
    let t = line.trim();
    t.contains('-') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for line in text.lines() {
        let table = is_table_line(line);
        match out.last_mut() {
            Some(Block::Table(lines)) if table => lines.push(line.to_string()),
            Some(Block::Text(t)) if !table => {
                t.push('\n');
                t.push_str(line);
            }
            _ if table => out.push(Block::Table(vec![line.to_string()])),
            _ => out.push(Block::Text(line.to_string())),
        }
    }
    out
}

/// The cells of a table line, without the outer pipes.
fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    t.split('|').map(|c| c.trim().to_string()).collect()
}

/// A table's data rows as text, each cell after its column's header ("Zone 1: 39 RSD"); a cell
/// under an empty header stands alone. Without a separator line under the first row there is
/// no header, and the cells are joined as they are.
fn table_rows(lines: &[String]) -> Vec<String> {
    let has_header = lines.len() >= 2 && is_table_separator(&lines[1]);
    let header = if has_header {
        cells(&lines[0])
    } else {
        Vec::new()
    };
    let body = if has_header { &lines[2..] } else { lines };
    body.iter()
        .filter(|l| !is_table_separator(l))
        .map(|l| {
            cells(l)
                .into_iter()
                .enumerate()
                .filter(|(_, c)| !c.is_empty())
                .map(|(j, c)| match header.get(j).filter(|h| !h.is_empty()) {
                    Some(h) => format!("{h}: {c}"),
                    None => c,
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect()
}

/// What a unit is embedded as: its passage's heading (FAQ question, section path or title) and
/// its list label first, so that "Weight: 410 g" knows which product it describes.
pub fn unit_embed_text(heading: &str, unit: &Unit) -> String {
    match &unit.label {
        Some(label) => format!("{heading}: {label}: {}", unit.text),
        None => format!("{heading}: {}", unit.text),
    }
}

/// The heading a passage's units are embedded under: its FAQ question, else its section path,
/// else its document's title.
pub fn unit_heading<'a>(question: Option<&'a str>, section: &'a str, title: &'a str) -> &'a str {
    match question {
        Some(q) => q,
        None if !section.is_empty() => section,
        None => title,
    }
}

/// What each of a passage's [`units`] is embedded as, in their order (`faq`: the passage is an
/// FAQ answer, one unit).
pub fn unit_inputs(text: &str, faq: bool, heading: &str) -> Vec<String> {
    units(text, faq)
        .iter()
        .map(|u| unit_embed_text(heading, u))
        .collect()
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
    fn a_table_gives_one_unit_per_row_with_its_headers() {
        let text = "Prices:\n\n| Zone | Call | SMS |\n|---|:---:|---|\n| EU | 39 RSD | 15 RSD |\n| Rest of world | 149 RSD |  |\n\nPrices include VAT.\n";
        let got = units(text, false);
        let texts: Vec<&str> = got.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Zone: EU; Call: 39 RSD; SMS: 15 RSD",
                "Zone: Rest of world; Call: 149 RSD",
                "Prices include VAT."
            ]
        );
        assert_eq!(got[0].label.as_deref(), Some("Prices"));
        assert_eq!(got[2].label, None);
        // An empty corner header leaves the row's first cell alone; no separator, no header.
        let corner = units(
            "| | Zone 1 | Zone 2 |\n|--|--|--|\n| per minute | 39 | 149 |\n",
            false,
        );
        assert_eq!(corner[0].text, "per minute; Zone 1: 39; Zone 2: 149");
        let plain = units("| Mon–Fri | 08–20 |\n| Saturday | 09–15 |\n", false);
        assert_eq!(plain[1].text, "Saturday; 09–15");
        // A pipe inside a sentence is not a table.
        assert_eq!(
            units("Pay by card | cash.", false)[0].text,
            "Pay by card | cash."
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
