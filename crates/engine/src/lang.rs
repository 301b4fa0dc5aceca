//! Per-message language detection (en / sr-Cyrl / sr-Latn) and Serbian script conversion.
//!
//! A script check decides Cyrillic at once; Latin text is Serbian when it carries Serbian
//! diacritics or enough common Serbian words. Short messages with no cue ("ok", "#K1001") keep
//! the conversation's previous language, because a one-word reply says nothing about it.

use frontdesk_core::Lang;

/// The engine's names for the shared text mechanisms (`frontdesk_core::text`): `fold` is the one
/// form keyword lists are matched on, `cyr_to_lat` the Serbian Cyrillic → Latin transliteration.
pub use frontdesk_core::text::{cyrillic_to_latin as cyr_to_lat, fold};

/// Common Serbian (Latin) words that do not occur in English text.
const SR_WORDS: &[&str] = &[
    "da",
    "li",
    "kako",
    "gde",
    "gdje",
    "koliko",
    "kada",
    "kad",
    "sta",
    "šta",
    "što",
    "zasto",
    "zašto",
    "hvala",
    "molim",
    "porudzbina",
    "porudžbina",
    "porudzbinu",
    "porudžbinu",
    "narudzbina",
    "narudžbina",
    "je",
    "su",
    "sam",
    "mogu",
    "moze",
    "može",
    "zelim",
    "želim",
    "hocu",
    "hoću",
    "ne",
    "nije",
    "i",
    "u",
    "na",
    "za",
    "sa",
    "od",
    "do",
    "mi",
    "moj",
    "moja",
    "moje",
    "vas",
    "vaš",
    "vam",
    "dostava",
    "dostavu",
    "vracanje",
    "vraćanje",
    "povrat",
    "cena",
    "cenu",
    "kosta",
    "košta",
    "dobar",
    "dan",
    "zdravo",
    "pozdrav",
    "treba",
    "imate",
    "imam",
    "nemam",
    "jos",
    "još",
    "ili",
    "ali",
    "kupio",
    "kupila",
    "paket",
    "paketa",
    "reklamacija",
    "otkazati",
    "otkazem",
    "otkažem",
    "cipele",
    "jakna",
    "dana",
    "dinara",
    "evra",
    "se",
    "bih",
    "bi",
    "ako",
    "kod",
    "iz",
    "to",
    "ovo",
    "taj",
    "koji",
    "koja",
    "operater",
    "covek",
    "čovek",
    "razgovarati",
    "zovem",
    "vratiti",
    "promeniti",
    "adresu",
    "adresa",
    "placanje",
    "plaćanje",
    "karticom",
    "poslati",
    "saljete",
    "šaljete",
    "srbiju",
    "srbija",
    "pozdravi",
    "dovidjenja",
    "doviđenja",
    "ćao",
    "cao",
    "jel",
    "jesi",
];

/// Common English words; a tie-breaker against Serbian words that look English ("to", "i").
const EN_WORDS: &[&str] = &[
    "the", "is", "are", "do", "does", "you", "your", "my", "i", "how", "what", "where", "when",
    "can", "to", "for", "and", "of", "a", "an", "in", "on", "it", "please", "thanks", "thank",
    "hello", "hi", "order", "return", "refund", "ship", "shipping", "want", "would", "like",
    "have", "has", "with", "not", "no", "yes", "this", "that", "long", "much", "cost", "get", "be",
    "was", "will", "me", "we", "agent", "human", "help",
];

/// Detects the language of `text`; when the text carries no cue, returns `previous` (or English).
pub fn detect_language(text: &str, previous: Option<Lang>) -> Lang {
    let fallback = previous.unwrap_or(Lang::En);
    let mut cyr = 0usize;
    let mut lat = 0usize;
    let mut sr_diacritics = 0usize;
    for c in text.chars() {
        if ('\u{0400}'..='\u{04FF}').contains(&c) {
            cyr += 1;
        } else if c.is_ascii_alphabetic() {
            lat += 1;
        } else if "čćšžđČĆŠŽĐ".contains(c) {
            lat += 1;
            sr_diacritics += 1;
        }
    }
    if cyr > 0 && cyr >= lat {
        return Lang::SrCyrl;
    }
    if lat == 0 {
        return fallback;
    }
    if sr_diacritics > 0 {
        return Lang::SrLatn;
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let sr = words.iter().filter(|w| SR_WORDS.contains(w)).count();
    let en = words.iter().filter(|w| EN_WORDS.contains(w)).count();
    if sr == 0 && en == 0 {
        // Only names, codes or unknown words: nothing to go on.
        return fallback;
    }
    if sr > en {
        Lang::SrLatn
    } else if en > sr {
        Lang::En
    } else if previous.is_some_and(|p| p.is_serbian()) {
        Lang::SrLatn
    } else {
        Lang::En
    }
}

/// Serbian Latin (Gaj's alphabet) → Cyrillic, letter by letter, reading "lj", "nj" and "dž" as
/// one letter each; letters Serbian does not have (q, w, x, y) and other text pass through.
pub fn lat_to_cyr(text: &str) -> String {
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

/// The query in Serbian's other script, for the dense side of retrieval: e5 puts a Latin
/// "Da li radite nedeljom?" 0.02–0.04 further from a Cyrillic page than the same words in
/// Cyrillic, enough to turn a right answer into a low-confidence handoff. English: none.
pub fn other_script(text: &str, lang: Lang) -> Option<String> {
    let other = match lang {
        Lang::SrLatn => lat_to_cyr(text),
        Lang::SrCyrl => cyr_to_lat(text),
        _ => return None,
    };
    (other != text).then_some(other)
}

/// Text in the script of `lang`: templates are written in Cyrillic and converted for sr-Latn.
pub fn in_script(text: &str, lang: Lang) -> String {
    match lang {
        Lang::SrLatn => cyr_to_lat(text),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_to_cyrillic_table() {
        let cases: &[(&str, &str)] = &[
            ("Da li radite nedeljom?", "Да ли радите недељом?"),
            ("Ljubav, NJEGOV džep", "Љубав, ЊЕГОВ џеп"),
            ("Džak i Lj", "Џак и Љ"),
            ("šator Alpina 3, 42 EUR", "шатор Алпина 3, 42 ЕУР"),
            ("PayPal #K1001", "ПаyПал #К1001"),
            ("ćao đače", "ћао ђаче"),
        ];
        for (lat, cyr) in cases {
            assert_eq!(lat_to_cyr(lat), *cyr, "{lat}");
        }
        // Round trip through both directions.
        for word in ["Kestrel šator", "ljubičasta jakna", "Džemper"] {
            assert_eq!(cyr_to_lat(&lat_to_cyr(word)), word);
        }
    }

    #[test]
    fn other_script_table() {
        let cases: &[(&str, Lang, Option<&str>)] = &[
            (
                "Koliko traje dostava?",
                Lang::SrLatn,
                Some("Колико траје достава?"),
            ),
            (
                "Колико траје достава?",
                Lang::SrCyrl,
                Some("Koliko traje dostava?"),
            ),
            ("How long is delivery?", Lang::En, None),
            ("#1001?", Lang::SrLatn, None),
        ];
        for (text, lang, want) in cases {
            assert_eq!(other_script(text, *lang).as_deref(), *want, "{text}");
        }
    }

    #[test]
    fn detects_language_table() {
        let cases: &[(&str, Option<Lang>, Lang)] = &[
            ("How long does shipping take?", None, Lang::En),
            ("Колико траје достава?", None, Lang::SrCyrl),
            ("Koliko traje dostava?", None, Lang::SrLatn),
            ("Da li mogu da vratim cipele?", None, Lang::SrLatn),
            ("Gde je moja porudžbina?", None, Lang::SrLatn),
            ("hvala", Some(Lang::En), Lang::SrLatn),
            ("želim povrat", None, Lang::SrLatn),
            ("Where is my order #K1001?", Some(Lang::SrCyrl), Lang::En),
            ("ok", Some(Lang::SrCyrl), Lang::SrCyrl),
            ("#K1001", Some(Lang::SrLatn), Lang::SrLatn),
            ("12345", None, Lang::En),
            ("Kestrel", Some(Lang::SrLatn), Lang::SrLatn),
            ("I want to talk to a human", Some(Lang::SrLatn), Lang::En),
            ("Здраво", Some(Lang::En), Lang::SrCyrl),
        ];
        for (text, prev, want) in cases {
            assert_eq!(
                detect_language(text, *prev),
                *want,
                "{text:?} (previous {prev:?})"
            );
        }
    }

    #[test]
    fn transliterates_and_folds() {
        assert_eq!(cyr_to_lat("Љубав Џеп ђак"), "Ljubav Džep đak");
        assert_eq!(fold("Човек"), "covek");
        assert_eq!(fold("Čovek ĐAK"), "covek djak");
        assert_eq!(in_script("Хвала", Lang::SrLatn), "Hvala");
        assert_eq!(in_script("Хвала", Lang::SrCyrl), "Хвала");
    }
}
