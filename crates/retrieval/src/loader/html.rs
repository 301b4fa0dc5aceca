//! HTML → heading-structured Markdown-like text: page chrome (scripts, styles, navigation,
//! header, footer) is dropped, headings become section boundaries.

use regex::Regex;
use std::sync::OnceLock;

struct Patterns {
    drop: Vec<Regex>,
    title: Regex,
    heading: Regex,
    block: Regex,
    tag: Regex,
    numeric: Regex,
    blank_runs: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("static regex {s}: {e}"));
        let drop = ["script", "style", "nav", "header", "footer", "noscript", "template", "svg"]
            .iter()
            .map(|t| re(&format!(r"(?is)<{t}\b[^>]*>.*?</{t}\s*>")))
            .chain([re(r"(?s)<!--.*?-->"), re(r"(?is)<head\b[^>]*>.*?</head\s*>")])
            .collect();
        Patterns {
            drop,
            title: re(r"(?is)<title\b[^>]*>(.*?)</title\s*>"),
            heading: re(r"(?is)<h([1-6])\b[^>]*>(.*?)</h[1-6]\s*>"),
            block: re(r"(?i)</?(p|div|br|li|ul|ol|tr|table|section|article|main|dd|dt|blockquote|pre)\b[^>]*>"),
            tag: re(r"(?s)<[^>]*>"),
            numeric: re(r"&#(x[0-9a-fA-F]+|[0-9]+);"),
            blank_runs: re(r"\n[ \t]*(\n[ \t]*)+"),
        }
    })
}

fn decode_entities(s: &str) -> String {
    let p = patterns();
    let s = p.numeric.replace_all(s, |c: &regex::Captures| {
        let code = &c[1];
        let n = match code.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => code.parse().ok(),
        };
        n.and_then(char::from_u32)
            .map(String::from)
            .unwrap_or_default()
    });
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn inline_text(fragment: &str) -> String {
    let p = patterns();
    decode_entities(&p.tag.replace_all(fragment, " "))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Returns (title from `<title>`, Markdown text).
pub fn html_to_markdown(html: &str) -> (Option<String>, String) {
    let p = patterns();
    let title = p
        .title
        .captures(html)
        .map(|c| inline_text(&c[1]))
        .filter(|t| !t.is_empty());
    let mut text = html.to_string();
    for re in &p.drop {
        text = re.replace_all(&text, " ").into_owned();
    }
    text = p
        .heading
        .replace_all(&text, |c: &regex::Captures| {
            let level: usize = c[1].parse().unwrap_or(2);
            format!("\n\n{} {}\n\n", "#".repeat(level), inline_text(&c[2]))
        })
        .into_owned();
    text = p.block.replace_all(&text, "\n").into_owned();
    text = p.tag.replace_all(&text, " ").into_owned();
    let text = decode_entities(&text);
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let joined = p
        .blank_runs
        .replace_all(&lines.join("\n"), "\n\n")
        .trim()
        .to_string();
    (title, joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_chrome_keeps_headings() {
        let html = "<html><head><title>Shipping &amp; Delivery</title><script>var x=1;</script></head><body>\
            <nav><a href=/>Home</a></nav><header>Logo</header><h1>Shipping</h1><p>We ship to the <b>EU</b>.</p>\
            <h2 class=x>Costs</h2><ul><li>Serbia: 420&nbsp;RSD</li><li>EU: 12.90&#8364;</li></ul>\
            <style>p{}</style><footer>(c) shop</footer></body></html>";
        let (title, md) = html_to_markdown(html);
        assert_eq!(title.as_deref(), Some("Shipping & Delivery"));
        assert!(md.starts_with("# Shipping"), "{md}");
        assert!(md.contains("## Costs"), "{md}");
        assert!(md.contains("EU: 12.90€"), "{md}");
        for gone in ["var x", "Home", "Logo", "(c) shop", "p{}"] {
            assert!(!md.contains(gone), "{gone} should be dropped: {md}");
        }
    }
}
