//! Per-message language detection (en / sr-Cyrl / sr-Latn) and Serbian script conversion.
//!
//! The script of the customer's own words (not names, codes, links or e-mail addresses) comes
//! first. Cyrillic is Serbian unless its letters or words are Russian, Ukrainian, Bulgarian or
//! Macedonian. Latin text weighs Serbian evidence (č ć š ž đ, common Serbian words with or
//! without diacritics, Serbian word shapes) against English and against other languages written
//! in Latin; other languages are answered in English. Messages with no cue ("ok", "#K1001",
//! "Kestrel") keep the conversation's previous language, because a one-word reply says nothing
//! about it. Measured on `evals/langid` (dev for tuning, test held out):
//! `cargo run -p frontdesk-engine --example langid_eval -- evals/langid/dev.jsonl`.

use frontdesk_core::Lang;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The engine's names for the shared text mechanisms (`frontdesk_core::text`): `fold` is the one
/// form keyword lists are matched on, `cyr_to_lat` the Serbian Cyrillic → Latin transliteration
/// (`lat_to_cyr` the reverse).
pub use frontdesk_core::text::{
    cyrillic_to_latin as cyr_to_lat, fold, latin_to_cyrillic as lat_to_cyr,
};

/// Common Serbian words in folded form (`fold`: lower case, no diacritics, Cyrillic read as
/// Latin), so one list serves Latin with or without diacritics and Cyrillic. Function words,
/// question words, pronouns, frequent verbs and the everyday words of a shop, telecom, bank or
/// travel chat; Croatian/Bosnian (ijekavian) spellings count as Serbian. Words that are also
/// common in English ("i", "to", "a", "on") are in both lists and cancel out.
const SR_WORDS: &str = "
a ako ali bez bi bih bismo biti bilo bio bila da do dok gde gdje i ili iz ja je jer jel
jeste jesam jesi jos joj ju kad kada kako kao kod koga koj koji koja koje kojoj kojim
koliko kolika kome kuda li me mene meni mi moj moja moje mog moga mojoj moju mojim mozda
na nad nam nama nas nasa nase nasu ne neki neka neko nesto nema nemam nemamo nije nisam
nismo nista niko nikad nikada njega njih njoj o od ona oni ono onu opet ova ovaj ove ovo
ovu ovde ovdje pa po pod pored posle poslije pre prije preko pri sa sad sada sam sami samo
se si smo ste sta sto su svaki sve svi ta taj tako te ti to tu tvoj u uz vam vama vas vasa
vase vasu vec vi za zato zasto uvek uvijek jedan jedna jedno dva dve dvije tri cetiri evo
eto ej aj ajde hajde bas vise manje mnogo malo puno jako vrlo dosta ni niti tek odmah
zdravo cao pozdrav pozdravi dobar dobro dobra dan jutro vece vecer laku noc hvala fala
molim izvinite izvini oprostite prijatno dovidjenja vazi moze okej redu naravno svakako
lijepo lepo savrseno odlicno
imam imas ima imamo imate imaju mogu mozes mozemo mozete mogli hocu hoces hoce hocemo necu
nece zelim zelimo zelite treba trebam trebalo trebate znam znate radi rade radite kaze
kazete recite reci pitam pitao pitala pitanje javite javi javlja cekam cekamo sacekajte
stize stigao stigla stiglo stici dobio dobila dobijam dobiti kupio kupila kupiti kupujem
kupovati porucio porucila poruciti naruciti narucio narucila platio platila platiti platim
vratio vratila vratiti vratim vrate poslati posaljite posaljem poslao poslala saljete
promeniti promenite promijeniti otkazati otkazem otkazite otkazi zamenim zameniti pozovite
zovem zvao zvala razgovarati pricati pricam razumem razumijem ponovite obrisite prestanite
rezervisem rezervisati uzmem uzeti dopunim aktiviram aktivirati ulogujem prijavim
blokirajte odjavite potvrdjujem potvrdite nemojte zanima zanimaju placam koristio
koristila napravio napravila dostavljate dostavite primate primili saljem htio htela hteo
htjela provjerite proverite pogledajte
porudzbina porudzbinu porudzbine porudzbini narudzbina narudzbinu narudzba narudzbu
posiljka posiljku paket paketa paketu dostava dostavu dostave isporuka isporuku kurir
kurira povrat povracaj povracaja vracanje reklamacija reklamaciju zamena zamenu racun
racuna racunu racunom cena cenu cene cijena cijenu kosta kostaju popust akcija akcije
kartica karticu kartice karticom novac novca para pare dinara din evra placanje placanja
rate kredit kredita kamata stanju stanje broj broja broju velicina velicinu boja boji boje
crna crnu plavu belu bijelu crvena komad komada artikal artikla proizvod proizvoda
garancija garanciju radnja radnji prodavnica prodavnici adresa adresu adresi ulica ulici
stan sprat telefon telefona telefonu poruka poruku mejl lozinka lozinku nalog naloga
aplikacija aplikaciju aplikaciji signala kvar mreza mreze dopuna roming ugovor ugovora
tarifa tarifu leta karta kartu karte rezervacija rezervaciju soba sobe sobu prtljag
prtljaga dorucak aerodrom aerodroma hotela putovanje stedni transakcija transakciju uplata
uplatu isplata dokumenta operater operatera operaterom covek coveka covjek usluga uslugu
sramota zalba zalim problema pomoc pomoci odgovor dana nedelja nedelje nedeljom subotom
sutra danas juce jucer jutros vreme vrijeme sati mesec meseca mjesec godina tjedan tjedna
firma firme radno besplatna besplatno skupo jeftino nov nova novi veci manji drugi drugu
druga isti istu pogresan pogresno ostecen osteceno ostecena zadovoljan zadovoljna
nezadovoljan razocaran razocarana uzasno uzasna brate srbija srbiju srbiji beograd
beogradu
";

/// Common English words; words both languages use ("i", "to", "a", "on") are in both lists.
const EN_WORDS: &str = "
a about account after again agent all already also am an and any anyone are arrived as ask
asked at back be been before but buy by bye call called can cancel cant card change
charged check come could day days deliver delivered delivery did do does dont each even
ever every for forgot from get give go good got great had has have hello help her here hey
hi him his how human i if im in into is it its just keep know last like long made make
many may me money more morning much my need never new next no not now of off on one only
or order ordered other our out over paid pay payment people person phone please pls plz
price received refund return returned same say says see send sent service she ship
shipping should since size so some someone sorry speak still stock such sure take talk
tell than thank thanks thx ty that the their them then there these they this those time to
today tomorrow too two up us very want was way we week well were what whats when where
which while who why will with without wont work works would wrong yes yeah yep yet you
your youre nope bill box broke broken damaged item items package parcel courier address
available open hours store shop free cost costs discount code warranty exchange bigger
smaller colour color black white blue red wait hold fine cool alright perfect nice
understand repeat asap possible complaint complain rude terrible disappointed quality
booking flight hotel room rooms luggage breakfast included loan interest abroad blocked
limit transaction password reset log login app crashing down outage upgrade number lost
block balance top invoice receipt documents yesterday waterproof fits zipper missing
notify sunday saturday friday monday home unsubscribe delete ahead confirm don't i'm it's
what's can't won't didn't doesn't isn't that's i've i'll
";

/// Frequent words of other languages written in Latin script (German, French, Spanish, Italian,
/// Portuguese, Dutch, Polish, Czech, Slovak, Slovene, Turkish, Hungarian, Romanian, Swedish,
/// Albanian) that are neither Serbian nor English words. The engine answers these in English.
const OTHER_LATIN_WORDS: &str = "
ich ist nicht und mein meine meinen wo wann warum wie bitte danke hallo guten morgen kann
sie wir das der die den dem ein eine mit auf auch noch nach von bestellung lieferung geld
zuruck haben habe möchte mochte kommt schön schon vielen dank frage
bonjour bonsoir merci beaucoup suis est mon mes commande vous nous le les une des du
et ou avec pour voudrais livraison combien pourquoi quand oui colis remboursement
hola gracias muchas quiero pedido donde cuanto cuesta el los las por necesito puedo tengo
buenos dias envio muito obrigado obrigada ola encomenda quero voce voces nao meu minha
ciao grazie mille buongiorno vorrei ordine il non sono della quanto costa posso pagare
spedizione che ik het een niet mijn waar bestelling wel hoeveel kost goedemorgen wil graag
bedankt
gdzie dziekuje dzien dobry czy prosze zamowienie ile kde dekuji chci objednavka
objednavku kje kdaj narocilo dakujem kedy prosim merhaba tesekkur ederim siparis siparisim
nerede kadar bir ve hol rendeles koszonom szia unde este comanda multumesc vreau var tack
mycket ku eshte porosia faleminderit
";

/// Frequent Russian, Ukrainian, Bulgarian and Macedonian words (lower case, Cyrillic) that
/// Serbian does not use and that carry none of the letters Serbian lacks.
const OTHER_CYRILLIC_WORDS: &str = "
спасибо привет пока заказ заказа посылка посылку сколько стоит можно нужно надо
почему так долго когда что это как хорошо очень большое сегодня вчера завтра деньги денег
нет мне меня тебя пришла пришел получил получила оплата товар колко струва
искам благодаря моля каде благодарам нарачка сум маю дякую добрий
";

/// A word list as a set, built on first use.
fn word_set(
    cell: &'static OnceLock<HashSet<&'static str>>,
    words: &'static str,
) -> &'static HashSet<&'static str> {
    cell.get_or_init(|| words.split_whitespace().collect())
}

fn is_sr_word(folded: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    word_set(&SET, SR_WORDS).contains(folded)
}

fn is_en_word(lower: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    word_set(&SET, EN_WORDS).contains(lower)
}

fn is_other_latin_word(folded: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    word_set(&SET, OTHER_LATIN_WORDS).contains(folded)
}

fn is_other_cyrillic_word(lower: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    word_set(&SET, OTHER_CYRILLIC_WORDS).contains(lower)
}

/// Cyrillic letters of Serbian's alphabet that no other Cyrillic alphabet has.
const SR_ONLY_CYRILLIC: &str = "ђћ";
/// Cyrillic letters Serbian shares with Macedonian only (Russian, Ukrainian and Bulgarian lack
/// them): weaker evidence, since a Macedonian word has them too.
const SR_MK_CYRILLIC: &str = "јљњџ";
/// Cyrillic letters that Serbian's alphabet lacks (Russian, Ukrainian, Belarusian, Bulgarian,
/// Macedonian).
const NON_SR_CYRILLIC: &str = "йыэёъщьюяіїєґўѓќѕ";
/// Serbian (Gaj's) Latin letters with diacritics; ć and đ are the distinctive ones (Czech,
/// Slovak and Slovene also write č, š and ž).
const SR_STRONG_LATIN: &str = "ćđ";
const SR_WEAK_LATIN: &str = "čšž";
/// Latin letters with diacritics that Serbian does not use: a cue for another language.
const NON_SR_LATIN: &str = "äöüßáéíóúàèìòùâêîôûëïÿçñãõąęłńśźżěřůýťďňőűığşțșăåæøœ";

/// Evidence weights. A listed word counts 1; a word written with letters only one side uses is
/// stronger evidence than a listed word (it cannot be a loan word typed without diacritics);
/// a word shape typical of a language (English "th", "-ing"; Serbian "-ite", "dj") is weaker.
/// A message needs `DECIDE` points to leave the previous language. Chosen on evals/langid
/// dev.jsonl (335 rows, one value changed at a time): `DECIDE` 0.5 or 1.0 → 0.994, 1.5 or 2.0 →
/// 0.988 (single cue words such as "hvala" no longer override the previous language);
/// `W_STRONG_LETTER` 1.0 → 0.991, 2.0 or 3.0 → 0.994; `W_WEAK_LETTER` 0.5 or 1.0 and
/// `W_SHAPE` 0, 0.5 or 1.0 made no difference on dev (kept at the middle values).
const W_WORD: f32 = 1.0;
const W_STRONG_LETTER: f32 = 2.0;
const W_WEAK_LETTER: f32 = 1.0;
const W_SHAPE: f32 = 0.5;
const DECIDE: f32 = 1.0;

/// One word of a message as the detector reads it.
struct Token {
    /// Lower case as written (diacritics and script kept).
    lower: String,
    /// `fold`ed: Serbian diacritics dropped, Serbian Cyrillic read as Latin.
    folded: String,
    /// Written with a capital inside a sentence ("Milica", "Samsung", "SKU"): a name or a code,
    /// which says nothing about the language the customer writes in.
    name_like: bool,
}

/// The words of `text` that can carry a language: links, e-mail addresses and anything with a
/// digit (order numbers, SKUs, phone numbers, sizes) are dropped.
fn tokens(text: &str) -> Vec<Token> {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    // A message in capitals ("NAPLATILI STE MI DVAPUT") is read word by word as usual.
    let shouting = letters.len() >= 6 && upper * 10 >= letters.len() * 8;
    let mut out = Vec::new();
    let mut sentence_start = true;
    for chunk in text.split_whitespace() {
        let skip = chunk.contains("://")
            || chunk.starts_with("www.")
            || chunk.contains('@')
            || chunk.chars().any(|c| c.is_ascii_digit());
        let words = chunk
            .split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’'))
            .map(|w| w.trim_matches(|c| c == '\'' || c == '’'))
            .filter(|w| !skip && !w.is_empty());
        for word in words {
            let first_upper = word.chars().next().is_some_and(char::is_uppercase);
            let all_upper = word
                .chars()
                .filter(|c| c.is_alphabetic())
                .all(char::is_uppercase);
            let english_i = word == "I" || word.starts_with("I'") || word.starts_with("I’");
            let name_like = !shouting
                && !english_i
                && ((first_upper && !sentence_start)
                    || (all_upper && word.chars().count() > 1)
                    || word.chars().skip(1).any(char::is_uppercase));
            out.push(Token {
                lower: word.to_lowercase(),
                folded: fold(word),
                name_like,
            });
            sentence_start = false;
        }
        if chunk.ends_with(['.', '!', '?', ':']) {
            sentence_start = true;
        }
    }
    out
}

/// English word shapes Serbian does not have: q, w, x, y, "th", doubled vowels, "-ing".
fn english_shape(word: &str) -> bool {
    word.contains(['q', 'w', 'x', 'y'])
        || word.contains("th")
        || word.contains("ee")
        || word.contains("oo")
        || word.contains("ea")
        || (word.len() > 4 && word.ends_with("ing"))
        || word.contains('\'')
        || word.contains('’')
}

/// Serbian word shapes English does not have (on the folded word): "dj", an imperative in
/// "-ite"/"-ijte", an infinitive in "-ati"/"-iti"/"-eti", a past participle in "-ao"/"-ala"/"-ila".
fn serbian_shape(word: &str) -> bool {
    word.len() > 4
        && (word.contains("dj")
            || [
                "ite", "ijte", "ati", "iti", "eti", "ao", "ala", "ila", "ujem", "ovati",
            ]
            .iter()
            .any(|end| word.ends_with(end)))
}

/// Detects the language of `text`; when the text carries no cue, returns `previous` (or English).
///
/// Script first: a message whose own words are mostly Cyrillic is Serbian Cyrillic unless its
/// letters or words are Russian, Ukrainian, Bulgarian or Macedonian (answered in English, as
/// is Greek). Latin text weighs Serbian evidence (diacritics, listed words, word shapes)
/// against English and against other languages written in Latin (their letters and words).
/// Names, codes, numbers, links and e-mail addresses count for nothing, so "ok", "#K1001" or
/// "Kestrel" keep the conversation's language.
pub fn detect_language(text: &str, previous: Option<Lang>) -> Lang {
    let fallback = previous.unwrap_or(Lang::En);
    let all = tokens(text);
    let own: Vec<&Token> = all.iter().filter(|t| !t.name_like).collect();
    // Script is decided on the customer's own words; names only when there is nothing else
    // ("Драган Петровић").
    let script_words: Vec<&Token> = if own.is_empty() {
        all.iter().collect()
    } else {
        own.clone()
    };
    let (mut cyr, mut lat, mut other_script) = (0usize, 0usize, 0usize);
    for c in script_words.iter().flat_map(|t| t.lower.chars()) {
        if ('\u{0400}'..='\u{04FF}').contains(&c) {
            cyr += 1;
        } else if c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c) {
            lat += 1;
        } else if c.is_alphabetic() {
            other_script += 1;
        }
    }
    if other_script > cyr + lat {
        // Greek, Arabic, Chinese, ...: not a language the bot writes.
        return Lang::En;
    }
    if cyr > 0 && cyr >= lat {
        return cyrillic(&script_words);
    }
    if lat == 0 {
        return fallback;
    }
    let (mut sr, mut en, mut other) = (0f32, 0f32, 0f32);
    for t in &own {
        let word = t.lower.as_str();
        if word.contains(|c| NON_SR_LATIN.contains(c)) {
            other += W_STRONG_LETTER;
            continue;
        }
        let folded = t.folded.as_str();
        if is_other_latin_word(folded) {
            // A listed word of another language ("naročilo") is that language's evidence: its
            // č is not Serbian's.
            other += W_WORD;
            continue;
        }
        if word.contains(|c| SR_STRONG_LATIN.contains(c)) {
            sr += W_STRONG_LETTER;
        } else if word.contains(|c| SR_WEAK_LATIN.contains(c)) {
            sr += W_WEAK_LETTER;
        }
        let in_sr = is_sr_word(folded);
        let in_en = is_en_word(word);
        if in_sr {
            sr += W_WORD;
        }
        if in_en {
            en += W_WORD;
        }
        if !in_sr && !in_en {
            if english_shape(word) {
                en += W_SHAPE;
            } else if serbian_shape(folded) {
                sr += W_SHAPE;
            }
        }
    }
    let best = sr.max(en).max(other);
    if best < DECIDE && (previous.is_some() || best == 0.0) {
        return fallback;
    }
    if other > sr && other > en {
        Lang::En
    } else if sr > en {
        Lang::SrLatn
    } else if en > sr {
        Lang::En
    } else if previous.is_some_and(|p| p.is_serbian()) {
        Lang::SrLatn
    } else {
        Lang::En
    }
}

/// Cyrillic text: Serbian unless it reads as Russian, Ukrainian, Bulgarian or Macedonian.
fn cyrillic(words: &[&Token]) -> Lang {
    let (mut sr, mut other) = (0f32, 0f32);
    for t in words {
        let word = t.lower.as_str();
        if is_other_cyrillic_word(word) {
            other += W_WORD;
            continue;
        }
        if word.contains(|c| NON_SR_CYRILLIC.contains(c)) {
            other += W_STRONG_LETTER;
        } else if word.contains(|c| SR_ONLY_CYRILLIC.contains(c)) {
            sr += W_STRONG_LETTER;
        } else if word.contains(|c| SR_MK_CYRILLIC.contains(c)) {
            sr += W_WEAK_LETTER;
        }
        if is_sr_word(&t.folded) {
            sr += W_WORD;
        }
    }
    if other > sr {
        Lang::En
    } else {
        Lang::SrCyrl
    }
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
    fn cyrillic_letter_cues_table() {
        // Letters only Serbian's Cyrillic has keep it Serbian; letters it lacks (Russian,
        // Ukrainian, Bulgarian) make it another language, answered in English.
        let cases: &[(&str, Lang)] = &[
            ("љубав", Lang::SrCyrl),
            ("ћерка", Lang::SrCyrl),
            ("џем", Lang::SrCyrl),
            ("ђак", Lang::SrCyrl),
            ("њива", Lang::SrCyrl),
            ("јаје", Lang::SrCyrl),
            ("рыба", Lang::En),
            ("этаж", Lang::En),
            ("ёлка", Lang::En),
            ("объём", Lang::En),
            ("щука", Lang::En),
            ("моя", Lang::En),
            ("їжак", Lang::En),
            ("ґанок", Lang::En),
            ("лъв", Lang::En),
            // No cue either way: Serbian Cyrillic, the bot's own script.
            ("мама", Lang::SrCyrl),
            // A Serbian-only letter does not outweigh two words with letters Serbian lacks.
            ("њива моя рыба", Lang::En),
        ];
        for (text, want) in cases {
            assert_eq!(detect_language(text, None), *want, "{text:?}");
            assert_eq!(detect_language(text, Some(Lang::SrLatn)), *want, "{text:?}");
        }
    }

    #[test]
    fn latin_letter_cues_table() {
        let cases: &[(&str, Lang)] = &[
            // ć and đ are Serbian (or Croatian/Bosnian) alone; č š ž count less but still count.
            ("ćevapi", Lang::SrLatn),
            ("đuveč", Lang::SrLatn),
            ("šljiva", Lang::SrLatn),
            ("žuto", Lang::SrLatn),
            // Letters Serbian does not write: another language.
            ("Größe", Lang::En),
            ("façade", Lang::En),
            ("mañana", Lang::En),
            ("zażółć", Lang::En),
            ("říjen", Lang::En),
            ("ağaç", Lang::En),
            // Greek is not a language the bot writes.
            ("ευχαριστώ", Lang::En),
        ];
        for (text, want) in cases {
            assert_eq!(detect_language(text, None), *want, "{text:?}");
            assert_eq!(detect_language(text, Some(Lang::SrCyrl)), *want, "{text:?}");
        }
    }

    #[test]
    fn names_codes_and_links_carry_no_language() {
        let cases: &[(&str, Option<Lang>, Lang)] = &[
            // A capitalised word inside a sentence is a name: its diacritics say nothing.
            ("my friend lives in Čačak", None, Lang::En),
            ("this is Đorđe", Some(Lang::SrCyrl), Lang::En),
            // ... but a capital at the start of a sentence is just a capital.
            ("Šaljite", None, Lang::SrLatn),
            // The English "I" is not a name.
            ("I", None, Lang::En),
            // Links, e-mail addresses and anything with a digit are dropped.
            (
                "https://example.com/the-best-shop",
                Some(Lang::SrLatn),
                Lang::SrLatn,
            ),
            ("zdravo.hvala@example.com", Some(Lang::En), Lang::En),
            ("SKU-TH-2024", Some(Lang::SrCyrl), Lang::SrCyrl),
            // Latin brand names inside Cyrillic text do not make it Latin.
            ("да ли имате Samsung Galaxy", None, Lang::SrCyrl),
            // A message in capitals is read as words, not as a row of acronyms.
            ("GDE JE MOJ PAKET", None, Lang::SrLatn),
            ("WHERE IS MY PARCEL", Some(Lang::SrLatn), Lang::En),
        ];
        for (text, prev, want) in cases {
            assert_eq!(detect_language(text, *prev), *want, "{text:?} ({prev:?})");
        }
    }

    #[test]
    fn word_shapes_table() {
        for word in ["throw", "queue", "sleeping", "it's", "box", "keep"] {
            assert!(english_shape(word), "{word}");
        }
        for word in [
            "vidjeti",
            "posaljite",
            "kupovati",
            "gledao",
            "radila",
            "kupujem",
        ] {
            assert!(serbian_shape(word), "{word}");
            assert!(!english_shape(word), "{word}");
        }
        for word in ["the", "ok", "mama", "nesto"] {
            assert!(!serbian_shape(word), "{word}");
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
