//! Lexical terms: one spelling per word, so that "Returns", "returned" and "return" meet, a
//! Latin-script Serbian query ("dostava", "čarapa" typed as "carapa") meets a Cyrillic page
//! ("достава", "чарапа"), and "paketomatu" meets "paketomat". The lexical index (retrieval's
//! BM25, at indexing and querying) and the reader's word overlap share this one analyser.

/// The one fold: lower case, Cyrillic → Latin and Serbian diacritics → ASCII, because customers
/// often type "cena" for "цена"/"cena" and "placanje" for "plaćanje".
use super::fold;

const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "is", "are", "be", "it", "i",
    "my", "me", "do", "does", "can", "how", "what", "with", "at", "by", "this", "that", "you",
    "your", "we", "our", "from", "as", "if", "there", "any", "will", "would", "should", "could",
    // Serbian function words (already folded to ASCII).
    "je", "da", "se", "na", "za", "u", "od", "su", "li", "koji", "koja", "koje", "sa", "iz",
];

/// Light English suffix stripping: enough to merge plurals and -ing/-ed forms, never so much
/// that product words collide.
fn stem(token: &str) -> String {
    if !token.bytes().all(|b| b.is_ascii_lowercase()) || token.len() <= 3 {
        return token.to_string();
    }
    let t = token;
    let strip = |suffix: &str, min_rest: usize| -> Option<&str> {
        t.strip_suffix(suffix).filter(|rest| rest.len() >= min_rest)
    };
    if let Some(rest) = strip("ies", 2) {
        return format!("{rest}y");
    }
    if let Some(rest) = strip("ing", 3) {
        return undouble(rest);
    }
    if let Some(rest) = strip("ed", 3) {
        return undouble(rest);
    }
    if let Some(rest) = strip("es", 3) {
        if rest.ends_with("sh")
            || rest.ends_with("ch")
            || rest.ends_with('x')
            || rest.ends_with('s')
        {
            return rest.to_string();
        }
    }
    if t.ends_with('s') && !t.ends_with("ss") && !t.ends_with("us") && !t.ends_with("is") {
        return t[..t.len() - 1].to_string();
    }
    t.to_string()
}

/// Serbian case and number endings (folded to ASCII), longest first. Serbian declines every
/// noun and adjective ("paketomat", "paketomatu", "paketomata"; "pošiljka", "pošiljku"), so
/// without this a question and the page that answers it share few exact words.
const SERBIAN_ENDINGS: &[&str] = &[
    "ovima", "evima", "ijama", "ama", "ima", "ega", "emu", "oga", "omu", "iju", "ija", "ije",
    "iji", "ih", "im", "om", "em", "og", "oj", "a", "e", "i", "o", "u",
];

/// Shortest stem a Serbian ending is taken from, so short words ("cena", "roba") keep theirs
/// apart from others.
const MIN_SERBIAN_STEM: usize = 4;

/// Light Serbian suffix stripping: the longest listed ending whose removal leaves at least
/// [`MIN_SERBIAN_STEM`] letters. Only for Serbian text: on English words it merged words that
/// differ (StackFAQ's English lexical recall@1 fell 0.75 → 0.72).
fn strip_serbian_ending(token: String) -> String {
    if !token.bytes().all(|b| b.is_ascii_lowercase()) {
        return token;
    }
    for ending in SERBIAN_ENDINGS {
        if let Some(rest) = token.strip_suffix(ending) {
            if rest.len() >= MIN_SERBIAN_STEM {
                return rest.to_string();
            }
        }
    }
    token
}

fn undouble(rest: &str) -> String {
    let b = rest.as_bytes();
    if b.len() >= 2
        && b[b.len() - 1] == b[b.len() - 2]
        && !matches!(b[b.len() - 1], b'l' | b's' | b'z')
    {
        return rest[..rest.len() - 1].to_string();
    }
    rest.to_string()
}

/// Index/query terms of a text: folded words, English plurals and -ing/-ed forms merged, and in
/// Serbian text (`serbian`) case endings stripped. Codes such as "NW-2041" or "v2.1" are kept
/// whole (and also split), so an exact SKU query ranks the page that names it first.
pub fn terms(text: &str, serbian: bool) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::new();
    let mut current = String::new();
    let stem_word = |part: &str| {
        let s = stem(part);
        if serbian {
            strip_serbian_ending(s)
        } else {
            s
        }
    };
    let flush = |word: &mut String, out: &mut Vec<String>| {
        let w = word.trim_matches(|c: char| matches!(c, '-' | '_' | '.' | '/'));
        if !w.is_empty() {
            let has_sep = w.contains(['-', '_', '.', '/']);
            if has_sep && w.chars().any(|c| c.is_ascii_digit()) {
                out.push(w.to_string());
            }
            for part in w.split(['-', '_', '.', '/']).filter(|p| !p.is_empty()) {
                if !STOPWORDS.contains(&part) {
                    out.push(stem_word(part));
                }
            }
        }
        word.clear();
    };
    for c in folded.chars() {
        if c.is_alphanumeric() || (matches!(c, '-' | '_' | '.' | '/') && !current.is_empty()) {
            current.push(c);
        } else {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out
}

/// The terms a question is looked up by: its words with the English rules only, as an English
/// page's are indexed, and with Serbian endings stripped too, as a Serbian page's are. Both,
/// whatever the question's language: a Serbian question meets an English page's names ("Alpina")
/// and a short Serbian question read as English ("dostava u Srbiju") still meets Serbian pages.
pub fn query_terms(text: &str) -> Vec<String> {
    let mut out = terms(text, true);
    out.extend(terms(text, false));
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_table() {
        // (text, is Serbian, terms)
        let cases: &[(&str, bool, &[&str])] = &[
            ("Returns and refunds", false, &["return", "refund"]),
            ("How do I return shoes?", false, &["return", "shoe"]),
            (
                "SKU NW-2041 in stock",
                false,
                &["sku", "nw-2041", "nw", "2041", "stock"],
            ),
            ("Достава у Србију", true, &["dostav", "srbij"]),
            ("Dostava u Srbiju", true, &["dostav", "srbij"]),
            ("Плаћање картицом", true, &["placanj", "kartic"]),
            ("plaćanje", true, &["placanj"]),
            ("plaćanje", false, &["placanje"]),
            // Serbian cases meet; short words keep their ending.
            (
                "paketomat paketomatu paketomatima",
                true,
                &["paketomat", "paketomat", "paketomat"],
            ),
            ("pošiljka pošiljku", true, &["posiljk", "posiljk"]),
            ("cena roba", true, &["cena", "roba"]),
            ("shipping shipped ships", false, &["ship", "ship", "ship"]),
            ("e-mail address.", false, &["e", "mail", "address"]),
            ("batteries boxes", false, &["battery", "box"]),
            // English text keeps its vowel endings.
            ("online store", false, &["online", "store"]),
        ];
        for (input, serbian, want) in cases {
            assert_eq!(terms(input, *serbian), *want, "input {input:?}");
        }
        // A question is looked up both ways.
        assert_eq!(
            query_terms("Alpinu ili Alpina"),
            vec!["alpin", "alpina", "alpinu", "ili"]
        );
    }
}
