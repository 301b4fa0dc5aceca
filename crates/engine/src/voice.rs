//! Speakable rendering for the voice channel: no markdown, URLs or `[n]` markers; short
//! sentences; numbers and currencies written the way they are said; at most N sentences.

use crate::verify::strip_markers;
use frontdesk_core::text::sentences;
use frontdesk_core::Lang;

fn currency_words(code: &str, lang: Lang) -> (&'static str, &'static str) {
    match (code, lang.is_serbian()) {
        ("EUR", false) => ("euros", "cents"),
        ("EUR", true) => ("evra", "centi"),
        ("RSD", false) => ("dinars", "paras"),
        ("RSD", true) => ("dinara", "para"),
        (_, false) => ("dollars", "cents"),
        (_, true) => ("dolara", "centi"),
    }
}

fn speak_amount(int: &str, frac: Option<&str>, code: &str, lang: Lang) -> String {
    let (major, minor) = currency_words(code, lang);
    let int: String = int.chars().filter(char::is_ascii_digit).collect();
    let and = if lang.is_serbian() { " i " } else { " " };
    match frac
        .map(|f| f.trim_start_matches('0'))
        .filter(|f| !f.is_empty())
    {
        Some(f) => format!("{int} {major}{and}{f} {minor}"),
        None => format!("{int} {major}"),
    }
}

/// Rewrites money amounts ("€49.90", "49,90 EUR", "1.200 RSD", "300 din") into words.
fn speak_money(text: &str, lang: Lang) -> String {
    let re_pre =
        regex::Regex::new(r"(€|\$|EUR\s?|RSD\s?)(\d{1,3}(?:[.,]\d{3})*|\d+)(?:[.,](\d{2}))?\b")
            .ok();
    let re_post = regex::Regex::new(r"(?i)(\d{1,3}(?:[.,]\d{3})*|\d+)(?:[.,](\d{2}))?\s?(€|EUR\b|RSD\b|din\b|dinara\b|динара\b)").ok();
    let mut out = text.to_string();
    if let Some(re) = re_pre {
        out = re
            .replace_all(&out, |c: &regex::Captures| {
                let code = match c[1].trim() {
                    "€" | "EUR" => "EUR",
                    "$" => "USD",
                    _ => "RSD",
                };
                speak_amount(&c[2], c.get(3).map(|m| m.as_str()), code, lang)
            })
            .into_owned();
    }
    if let Some(re) = re_post {
        out = re
            .replace_all(&out, |c: &regex::Captures| {
                let code = if matches!(&c[3], "€") || c[3].eq_ignore_ascii_case("eur") {
                    "EUR"
                } else {
                    "RSD"
                };
                speak_amount(&c[1], c.get(2).map(|m| m.as_str()), code, lang)
            })
            .into_owned();
    }
    out
}

fn drop_urls_and_markdown(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if word.starts_with("http://") || word.starts_with("https://") || word.starts_with("www.") {
            continue;
        }
        // Markdown links [title](url): keep the title.
        let w = match (word.find("]("), word.starts_with('[')) {
            (Some(i), true) => word[1..i].to_string(),
            _ => word.to_string(),
        };
        let w: String = w
            .chars()
            .filter(|c| !matches!(c, '*' | '_' | '`' | '#' | '>' | '|'))
            .collect();
        if w.is_empty() || w == "-" {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w);
    }
    out.replace(" - ", ", ")
        .replace(['–', '—'], " to ")
        .replace("()", "")
}

/// Speakable text: at most `max_sentences` sentences.
pub fn render_voice(text: &str, lang: Lang, max_sentences: usize) -> String {
    let range_word = if lang.is_serbian() { " do " } else { " to " };
    let plain = drop_urls_and_markdown(&strip_markers(text)).replace(" to ", range_word);
    let spoken = speak_money(&plain, lang);
    let spoken = spoken.replace(
        '%',
        if lang.is_serbian() {
            " odsto"
        } else {
            " percent"
        },
    );
    let re_range = regex::Regex::new(r"(\d+)-(\d+)").ok();
    let spoken = match re_range {
        Some(re) => re
            .replace_all(&spoken, format!("$1{range_word}$2").as_str())
            .into_owned(),
        None => spoken,
    };
    let spoken = spoken
        .replace("  ", " ")
        .replace(" .", ".")
        .replace(" ,", ",")
        .replace(" !", "!")
        .replace(" ?", "?");
    sentences(&spoken)
        .into_iter()
        .take(max_sentences.max(1))
        .collect::<Vec<_>>()
        .join(" ")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// SSML: one `<s>` per sentence inside `<speak xml:lang=…>`.
pub fn render_ssml(text: &str, lang: Lang, max_sentences: usize) -> String {
    let voice = render_voice(text, lang, max_sentences);
    let xml_lang = if lang.is_serbian() { "sr-RS" } else { "en-US" };
    let body: String = sentences(&voice)
        .iter()
        .map(|s| format!("<s>{}</s>", xml_escape(s)))
        .collect();
    format!("<speak version=\"1.0\" xml:lang=\"{xml_lang}\"><p>{body}</p></speak>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_table() {
        let cases: &[(&str, Lang, usize, &str)] = &[
            (
                "The tent costs €49.90 [1].",
                Lang::En,
                3,
                "The tent costs 49 euros 90 cents.",
            ),
            (
                "Šator košta €49.90.",
                Lang::SrLatn,
                3,
                "Šator košta 49 evra i 90 centi.",
            ),
            (
                "Dostava je 300 din.",
                Lang::SrLatn,
                3,
                "Dostava je 300 dinara.",
            ),
            ("It costs 1.200 RSD.", Lang::En, 3, "It costs 1200 dinars."),
            (
                "Refunds take 5–7 business days.",
                Lang::En,
                3,
                "Refunds take 5 to 7 business days.",
            ),
            (
                "Povraćaj traje 5-7 dana.",
                Lang::SrLatn,
                3,
                "Povraćaj traje 5 do 7 dana.",
            ),
            (
                "See **our policy** at https://example.com/returns now.",
                Lang::En,
                3,
                "See our policy at now.",
            ),
            ("One. Two. Three. Four.", Lang::En, 2, "One. Two."),
            ("Get 10% off.", Lang::En, 1, "Get 10 percent off."),
            (
                "[Returns](https://x.y/r) are free.",
                Lang::En,
                3,
                "Returns are free.",
            ),
        ];
        for (text, lang, n, want) in cases {
            assert_eq!(render_voice(text, *lang, *n), *want, "{text}");
        }
    }

    #[test]
    fn ssml_wraps_sentences() {
        assert_eq!(
            render_ssml("Hi. A & B.", Lang::En, 3),
            "<speak version=\"1.0\" xml:lang=\"en-US\"><p><s>Hi.</s><s>A &amp; B.</s></p></speak>"
        );
    }
}
