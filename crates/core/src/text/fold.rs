//! Folding and Serbian Cyrillic → Latin transliteration.
//!
//! Serbian is one language written in two scripts, and customers often leave out its
//! diacritics ("cena" for "цена", "placanje" for "plaćanje"). Folding gives every spelling one
//! form, so a word matches whichever way it was typed or written on the page.

use unicode_normalization::UnicodeNormalization;

/// One lower-case Serbian Cyrillic letter in Gaj's Latin alphabet; `None` for anything else.
fn cyrillic_letter_in_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'ђ' => "đ",
        'е' => "e",
        'ж' => "ž",
        'з' => "z",
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
        'с' => "s",
        'т' => "t",
        'ћ' => "ć",
        'у' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "c",
        'ч' => "č",
        'џ' => "dž",
        'ш' => "š",
        _ => return None,
    })
}

/// Serbian Cyrillic → Latin (Gaj's alphabet), letter by letter, keeping capitals: a capital
/// digraph letter capitalises its first Latin letter only ("Љубав" → "Ljubav"), as Serbian
/// writes it at the start of a word. Everything else passes through unchanged.
pub fn cyrillic_to_latin(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        match cyrillic_letter_in_latin(lower) {
            Some(latin) if c.is_uppercase() => {
                let mut letters = latin.chars();
                if let Some(first) = letters.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(letters.as_str());
                }
            }
            Some(latin) => out.push_str(latin),
            None => out.push(c),
        }
    }
    out
}

/// The one form of a text for matching words in English and both Serbian scripts, with or
/// without diacritics: NFC-normalised (a "č" typed as "c" plus a combining caron is the same
/// letter as a precomposed "č"), lower case, Cyrillic → Latin, Serbian diacritics → ASCII
/// ("č"/"ć" → "c", "š" → "s", "ž" → "z", "đ" → "dj"). "Човек", "Čovek" and "covek" all become
/// "covek".
///
/// Each character is lower-cased on its own, without looking at its neighbours, so the fold of
/// a name is found inside the fold of a sentence that contains it.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfc().flat_map(char::to_lowercase) {
        match cyrillic_letter_in_latin(c) {
            Some(latin) => latin.chars().for_each(|l| push_ascii_folded(l, &mut out)),
            None => push_ascii_folded(c, &mut out),
        }
    }
    out
}

/// Pushes a lower-case letter with its Serbian diacritic removed; other characters as they are.
fn push_ascii_folded(c: char, out: &mut String) {
    match c {
        'č' | 'ć' => out.push('c'),
        'š' => out.push('s'),
        'ž' => out.push('z'),
        'đ' => out.push_str("dj"),
        other => out.push(other),
    }
}

/// Serbian Latin (Gaj's alphabet) → Cyrillic, letter by letter, reading "lj", "nj" and "dž" as
/// one letter each; letters Serbian does not have (q, w, x, y) and other text pass through.
pub fn latin_to_cyrillic(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let lower = c.to_lowercase().next().unwrap_or(c);
        let next = chars
            .get(i + 1)
            .map(|n| n.to_lowercase().next().unwrap_or(*n));
        let (cyr, width) = match (lower, next) {
            ('l', Some('j')) => ('љ', 2),
            ('n', Some('j')) => ('њ', 2),
            ('d', Some('ž')) => ('џ', 2),
            _ => {
                let one = match lower {
                    'a' => 'а',
                    'b' => 'б',
                    'v' => 'в',
                    'g' => 'г',
                    'd' => 'д',
                    'đ' => 'ђ',
                    'e' => 'е',
                    'ž' => 'ж',
                    'z' => 'з',
                    'i' => 'и',
                    'j' => 'ј',
                    'k' => 'к',
                    'l' => 'л',
                    'm' => 'м',
                    'n' => 'н',
                    'o' => 'о',
                    'p' => 'п',
                    'r' => 'р',
                    's' => 'с',
                    't' => 'т',
                    'ć' => 'ћ',
                    'u' => 'у',
                    'f' => 'ф',
                    'h' => 'х',
                    'c' => 'ц',
                    'č' => 'ч',
                    'š' => 'ш',
                    _ => {
                        out.push(c);
                        i += 1;
                        continue;
                    }
                };
                (one, 1)
            }
        };
        if c.is_uppercase() {
            out.extend(cyr.to_uppercase());
        } else {
            out.push(cyr);
        }
        i += width;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_to_latin_table() {
        let cases: &[(&str, &str)] = &[
            ("Љубав Џеп ђак", "Ljubav Džep đak"),
            ("Љубав и Џак", "Ljubav i Džak"),
            ("ЉУБАВ", "LjUBAV"),
            ("Колико траје достава?", "Koliko traje dostava?"),
            ("Плаћање картицом", "Plaćanje karticom"),
            ("шатор Alpina 3, 42 EUR", "šator Alpina 3, 42 EUR"),
            ("Already Latin: čćšžđ", "Already Latin: čćšžđ"),
            // Russian letters Serbian does not have pass through.
            ("ы э", "ы э"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(cyrillic_to_latin(text), *want, "{text:?}");
        }
    }

    #[test]
    fn fold_table() {
        let cases: &[(&str, &str)] = &[
            // The same word in three spellings.
            ("Човек", "covek"),
            ("Čovek", "covek"),
            ("covek", "covek"),
            // Every Serbian diacritic, in both scripts and both cases.
            ("ČĆŠŽĐ čćšžđ", "ccszdj ccszdj"),
            ("ЧЋШЖЂ чћшжђ", "ccszdj ccszdj"),
            ("Čovek ĐAK", "covek djak"),
            ("Џеп, ЉУБАВ, њива", "dzep, ljubav, njiva"),
            ("Плаћање картицом", "placanje karticom"),
            ("Dostava u Srbiju", "dostava u srbiju"),
            // A decomposed "č" (c + combining caron) and "Š" are the precomposed letters.
            ("pla\u{0063}\u{030C}anje", "placanje"),
            ("\u{0053}\u{030C}ta", "sta"),
            // Other accents, digits, codes and punctuation are kept.
            ("Café NW-2041, 1.5 kg!", "café nw-2041, 1.5 kg!"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(fold(text), *want, "{text:?}");
        }
    }

    #[test]
    fn fold_of_a_part_is_inside_the_fold_of_the_whole() {
        let whole = "Menjam ČARAPE Kestrel za џемпер.";
        for part in ["ČARAPE", "Kestrel", "џемпер"] {
            assert!(fold(whole).contains(&fold(part)), "{part}");
        }
    }
}
