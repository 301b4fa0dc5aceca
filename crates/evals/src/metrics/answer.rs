//! The customer's view of one reply: did the bot answer, and does the reply hold the fact asked?
//!
//! A row or turn lists the strings a correct reply must contain (`contains`; `a|b` = either) or
//! says the knowledge base holds no answer (`answerable: false`). The judge reads only the reply's
//! text and its structured fields (handoff, decision when known, answer source, citations), as a
//! client would, and shares no code with the bot: the folding below is the metric's own, so a
//! change to how the engine folds text cannot move the score.

/// How a reply went, seen from the customer's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answered, and every expected string is in the reply.
    Correct,
    /// Answered without (some of) the expected strings.
    Wrong,
    /// Handed over, asked to rephrase, or said it does not know.
    Declined,
    /// An unanswerable question got an answer instead of "I don't know".
    UnanswerableAnswered,
    /// An unanswerable question was declined: the right outcome.
    UnanswerableDeclined,
}

/// The structured fields the judge reads (every target fills them the same way).
#[derive(Debug, Clone, Copy)]
pub struct ReplyFacts<'a> {
    pub text: &'a str,
    pub escalated: bool,
    /// `answer`, `clarify`, `start_action`, `escalate`; absent for a live server.
    pub decision: Option<&'a str>,
    /// `direct`, `generated`, `extractive`, `template`, `action`.
    pub source: Option<&'a str>,
    pub cited: bool,
}

/// Whether the bot declined: it handed over, asked to rephrase, or replied with a template that
/// cites nothing (out of scope, "I don't know"). A knowledge or action reply is an answer.
pub fn declined(r: &ReplyFacts) -> bool {
    if r.escalated || matches!(r.decision, Some("clarify") | Some("escalate")) {
        return true;
    }
    let knowledge = matches!(
        r.source,
        Some("direct") | Some("generated") | Some("extractive") | Some("action")
    );
    !knowledge && !r.cited
}

/// The verdict for one reply; `None` when the row can't be judged (answerable, no `contains`).
pub fn verdict(r: &ReplyFacts, contains: &[String], answerable: bool) -> Option<Verdict> {
    let declined = declined(r);
    if !answerable {
        return Some(if declined {
            Verdict::UnanswerableDeclined
        } else {
            Verdict::UnanswerableAnswered
        });
    }
    if contains.is_empty() {
        return None;
    }
    Some(if declined {
        Verdict::Declined
    } else if missing(r.text, contains).is_empty() {
        Verdict::Correct
    } else {
        Verdict::Wrong
    })
}

/// The expected strings `reply` lacks (each may list alternatives as `a|b`).
pub fn missing<'a>(reply: &str, contains: &'a [String]) -> Vec<&'a str> {
    let hay = Folded::new(reply);
    contains
        .iter()
        .filter(|want| !want.split('|').any(|alt| hay.has(alt)))
        .map(String::as_str)
        .collect()
}

/// A reply folded once for many look-ups.
struct Folded {
    plain: Vec<char>,
    grouped: Vec<char>,
}

impl Folded {
    fn new(text: &str) -> Self {
        let plain: Vec<char> = fold(text).chars().collect();
        let grouped = drop_digit_groups(&plain);
        Self { plain, grouped }
    }

    /// `needle` (folded the same way) occurs where a word or number starts; a number must also
    /// end there ("30" is not in "130" or "300"), and so must a short word ("no" is not in
    /// "not"), while a longer word may continue (Serbian endings: "zelen" in "zelena").
    fn has(&self, needle: &str) -> bool {
        let n: Vec<char> = fold(needle).trim().chars().collect();
        if n.is_empty() {
            return false;
        }
        let g = drop_digit_groups(&n);
        occurs(&self.plain, &n) || occurs(&self.grouped, &g)
    }
}

fn occurs(hay: &[char], needle: &[char]) -> bool {
    if needle.len() > hay.len() {
        return false;
    }
    let first = needle[0];
    let last = needle[needle.len() - 1];
    let whole_end = last.is_ascii_digit()
        || (needle.iter().filter(|c| c.is_alphanumeric()).count() <= 3 && last.is_alphanumeric());
    (0..=hay.len() - needle.len()).any(|i| {
        if hay[i..i + needle.len()] != *needle {
            return false;
        }
        if first.is_alphanumeric() && i > 0 {
            let before = hay[i - 1];
            // A number may not continue one ("1.30" does not hold "30").
            if before.is_alphanumeric()
                || (first.is_ascii_digit() && before == '.' && i > 1 && hay[i - 2].is_ascii_digit())
            {
                return false;
            }
        }
        let end = i + needle.len();
        if whole_end && end < hay.len() {
            let after = hay[end];
            // A number may be followed by a letter ("30-day", "2kg") but not by a digit; a short
            // word by neither.
            let runs_on = if last.is_ascii_digit() {
                after.is_ascii_digit()
            } else {
                after.is_alphanumeric()
            };
            if runs_on {
                return false;
            }
            if last.is_ascii_digit()
                && after == '.'
                && hay.get(end + 1).is_some_and(|c| c.is_ascii_digit())
            {
                return false;
            }
        }
        true
    })
}

/// "7.000" and "7,000" both as "7000": digit groups of three after a separator are joined, so a
/// thousands separator in one language matches none in another; and "289.00" as "289" (a whole
/// amount written with or without cents). Applied to both sides.
fn drop_digit_groups(s: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let after_digit = c == '.' && i > 0 && s[i - 1].is_ascii_digit();
        let ends_at = |n: usize| s.get(i + n).is_none_or(|c| !c.is_ascii_digit());
        let group = after_digit
            && s.len() >= i + 4
            && s[i + 1..i + 4].iter().all(char::is_ascii_digit)
            && ends_at(4);
        let no_cents =
            after_digit && s.get(i + 1) == Some(&'0') && s.get(i + 2) == Some(&'0') && ends_at(3);
        if no_cents {
            i += 3;
            continue;
        }
        if !group {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Lower case; Serbian Cyrillic → Latin and Latin diacritics → ASCII (so either script of either
/// spelling matches); every dash → '-'; a comma between digits → '.'; runs of spaces → one.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let lower: String = c.to_lowercase().collect();
        for c in lower.chars() {
            match c {
                ',' if i > 0
                    && chars[i - 1].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) =>
                {
                    out.push('.')
                }
                '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
                c if c.is_whitespace() => {
                    if !out.ends_with(' ') {
                        out.push(' ')
                    }
                }
                c => match latin_of(c) {
                    Some(s) => out.push_str(s),
                    None => out.push(c),
                },
            }
        }
    }
    out
}

/// Serbian Cyrillic letters and Serbian/Croatian Latin diacritics as plain ASCII.
fn latin_of(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'ђ' | 'đ' => "dj",
        'е' => "e",
        'ж' | 'ž' => "z",
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
        'ћ' | 'ć' | 'ч' | 'č' => "c",
        'у' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "c",
        'џ' => "dz",
        'ш' | 'š' => "s",
        'é' | 'è' | 'ë' => "e",
        'á' | 'à' | 'ä' => "a",
        'ö' | 'ó' => "o",
        'ü' | 'ú' => "u",
        _ => return None,
    })
}

/// Counts of verdicts, turned into the pinned rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerdictCounts {
    pub correct: usize,
    pub wrong: usize,
    pub declined: usize,
    pub unanswerable_answered: usize,
    pub unanswerable_declined: usize,
}

impl VerdictCounts {
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Correct => self.correct += 1,
            Verdict::Wrong => self.wrong += 1,
            Verdict::Declined => self.declined += 1,
            Verdict::UnanswerableAnswered => self.unanswerable_answered += 1,
            Verdict::UnanswerableDeclined => self.unanswerable_declined += 1,
        }
    }

    /// `correct_answer_rate`, `wrong_answer_rate`, `declined_rate` over the answerable rows
    /// (they add up to 1); `unanswerable_answered_rate` over the unanswerable ones. A rate with
    /// no rows is absent.
    pub fn write(&self, out: &mut crate::report::Metrics) {
        use frontdesk_core::metrics as m;
        let answerable = self.correct + self.wrong + self.declined;
        let unanswerable = self.unanswerable_answered + self.unanswerable_declined;
        for (name, num, den) in [
            (m::CORRECT_ANSWER_RATE, self.correct, answerable),
            (m::WRONG_ANSWER_RATE, self.wrong, answerable),
            (m::DECLINED_RATE, self.declined, answerable),
            (
                m::UNANSWERABLE_ANSWERED_RATE,
                self.unanswerable_answered,
                unanswerable,
            ),
        ] {
            if let Some(v) = super::ratio(num, den) {
                out.insert(name.into(), v);
            }
        }
    }
}

/// Median reply length in characters over the answered replies (`None` without any).
pub fn reply_length_p50(lengths: &[usize]) -> Option<f64> {
    if lengths.is_empty() {
        return None;
    }
    let mut v = lengths.to_vec();
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(reply: &str, want: &str) -> bool {
        missing(reply, &[want.to_string()]).is_empty()
    }

    #[test]
    fn containment_table() {
        for (reply, want, expected) in [
            ("Delivery costs 12,90 EUR.", "12.90", true),
            ("Delivery costs 12.90 EUR.", "12,90", true),
            ("Free from 7.000 RSD", "7,000", true),
            ("Free from 7000 RSD", "7,000", true),
            ("Free from 7,000 RSD", "7000", true),
            ("Price: 289.00 EUR", "289", true),
            ("Price: 289 EUR", "289.00", true),
            ("Price: 289,00 EUR", "289", true),
            ("Price: 289.50 EUR", "289", false),
            ("You have 30 days.", "30", true),
            ("You have 130 days.", "30", false),
            ("You have 300 days.", "30", false),
            ("It weighs 2.15 kg", "2.1", false),
            ("It weighs 2.1 kg", "2.1", true),
            ("It costs 1.30 EUR", "30", false),
            ("a 30-day window", "30", true),
            ("Open 08:00–20:00", "08:00-20:00", true),
            ("Достава у Србији кошта 420 динара", "420", true),
            ("Dostava je besplatna", "бесплатн", true),
            ("Достава је бесплатна", "besplatn", true),
            ("Isporuka za Niš", "nis", true),
            ("the green one", "zelen|green", true),
            ("Available in zelena boja", "zelen", true),
            ("I do not know", "no", false),
            ("No, it does not fit.", "no|ne", true),
            ("Ne, ne odgovara.", "no|ne", true),
            ("SKU KO-TNT-2P-ALP", "ko-tnt-2p-alp", true),
            ("Call +381 21 555 0142", "555 0142", true),
            ("Call +381  21 555\u{a0}0142", "555 0142", true),
            ("", "30", false),
            ("anything", "", false),
        ] {
            assert_eq!(has(reply, want), expected, "{reply:?} holds {want:?}");
        }
    }

    fn facts<'a>(
        text: &'a str,
        escalated: bool,
        decision: Option<&'a str>,
        source: Option<&'a str>,
        cited: bool,
    ) -> ReplyFacts<'a> {
        ReplyFacts {
            text,
            escalated,
            decision,
            source,
            cited,
        }
    }

    #[test]
    fn verdict_table() {
        let c = vec!["30".to_string()];
        use Verdict::*;
        for (r, contains, answerable, want) in [
            (
                facts("30 days", false, Some("answer"), Some("direct"), true),
                &c,
                true,
                Some(Correct),
            ),
            (
                facts("60 days", false, Some("answer"), Some("extractive"), true),
                &c,
                true,
                Some(Wrong),
            ),
            // A live server: no decision; a cited knowledge reply is an answer.
            (
                facts("30 days", false, None, Some("generated"), true),
                &c,
                true,
                Some(Correct),
            ),
            // A handoff declines even when the text happens to hold the fact.
            (
                facts("30 days; a colleague", true, None, Some("template"), false),
                &c,
                true,
                Some(Declined),
            ),
            (
                facts(
                    "Could you rephrase?",
                    false,
                    Some("clarify"),
                    Some("template"),
                    false,
                ),
                &c,
                true,
                Some(Declined),
            ),
            // Out of scope: a template citing nothing.
            (
                facts("Only shop questions", false, None, Some("template"), false),
                &c,
                true,
                Some(Declined),
            ),
            (
                facts("Some passage", false, None, Some("extractive"), true),
                &vec![],
                false,
                Some(UnanswerableAnswered),
            ),
            (
                facts("I don't know", false, None, Some("template"), false),
                &vec![],
                false,
                Some(UnanswerableDeclined),
            ),
            (
                facts("30", false, None, Some("direct"), true),
                &vec![],
                true,
                None,
            ),
        ] {
            assert_eq!(verdict(&r, contains, answerable), want, "{r:?}");
        }
    }

    #[test]
    fn rates_add_up_over_answerable_rows() {
        let mut c = VerdictCounts::default();
        for v in [
            Verdict::Correct,
            Verdict::Correct,
            Verdict::Wrong,
            Verdict::Declined,
            Verdict::UnanswerableAnswered,
        ] {
            c.add(v);
        }
        let mut m = crate::report::Metrics::new();
        c.write(&mut m);
        use frontdesk_core::metrics as mm;
        assert_eq!(m[mm::CORRECT_ANSWER_RATE], 0.5);
        assert_eq!(m[mm::WRONG_ANSWER_RATE], 0.25);
        assert_eq!(m[mm::DECLINED_RATE], 0.25);
        assert_eq!(m[mm::UNANSWERABLE_ANSWERED_RATE], 1.0);
        let mut empty = crate::report::Metrics::new();
        VerdictCounts::default().write(&mut empty);
        assert!(empty.is_empty());
    }

    #[test]
    fn median_length() {
        assert_eq!(reply_length_p50(&[]), None);
        assert_eq!(reply_length_p50(&[10]), Some(10.0));
        assert_eq!(reply_length_p50(&[30, 10, 20]), Some(20.0));
        assert_eq!(reply_length_p50(&[10, 20, 30, 40]), Some(25.0));
    }
}
