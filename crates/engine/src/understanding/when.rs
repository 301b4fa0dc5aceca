//! When the customer says something happened: "it arrived in August", "I got it three weeks
//! ago", "stiglo je u junu", "пре два месеца". The latest date the words allow, so a claim is
//! never read as older than it is.
//!
//! Used where the shop's records lack the date a policy needs (a return window counted from
//! delivery, when an order has no `delivered_at`): a person at the counter would go by what the
//! customer says, and say so.

use crate::lang::fold;
use chrono::{Datelike, Duration, NaiveDate};

/// Month names: the English name and the Serbian stem (Latin; Cyrillic is folded to Latin).
/// A Serbian stem takes a case ending ("avgust", "avgusta", "avgustu").
const MONTHS: [(&str, &str); 12] = [
    ("january", "januar"),
    ("february", "februar"),
    ("march", "mart"),
    ("april", "april"),
    ("may", "maj"),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "avgust"),
    ("september", "septemb"),
    ("october", "oktob"),
    ("november", "novemb"),
    ("december", "decemb"),
];

/// Serbian case endings a month stem may take ("septembr-a": the stem drops its "a").
const ENDINGS: [&str; 7] = ["", "a", "u", "om", "i", "ra", "ru"];

/// Words that put a month in time ("in August", "early June", "u avgustu", "krajem jula"),
/// required because a month name alone can be a word ("may") or a name ("Maja").
const MONTH_LEADS: [&str; 14] = [
    "in", "since", "early", "late", "mid", "on", "of", "u", "od", "pocetkom", "krajem", "sredinom",
    "tokom", "jos",
];

/// Units of "… ago" / "pre …" and their length in days (a month as 28, the shortest, so that
/// "two months ago" is never read as longer ago than it can be).
const UNITS: [(&str, i64); 16] = [
    ("day", 1),
    ("days", 1),
    ("week", 7),
    ("weeks", 7),
    ("month", 28),
    ("months", 28),
    ("year", 365),
    ("years", 365),
    ("dan", 1),
    ("dana", 1),
    ("nedelj", 7),
    ("sedmic", 7),
    ("mesec", 28),
    ("meseca", 28),
    ("meseci", 28),
    ("godin", 365),
];

/// Words that count one or two of a unit only in "a day ago", "par dana": the article and
/// "a couple"; every other number word is the verifier's list (`verify::number_word`).
const COUNT_WORDS: [(&str, i64); 3] = [("a", 1), ("an", 1), ("par", 2)];

/// Words that put an event in the last days ("yesterday", "last week", "juče", "prošle
/// nedelje") and how many days ago at the latest: with them in the message, an older month
/// named too ("ordered in March, it came last week") is not when it arrived.
const RECENT: [(&str, i64); 12] = [
    ("today", 0),
    ("yesterday", 1),
    ("this week", 0),
    ("last week", 7),
    ("this month", 0),
    ("danas", 0),
    ("juce", 1),
    ("ove nedelje", 0),
    ("prosle nedelje", 7),
    ("prosle sedmice", 7),
    ("ovog meseca", 0),
    ("ovaj mesec", 0),
];

fn month_of(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|(en, sr)| {
            word == *en
                || word
                    .strip_prefix(sr)
                    .is_some_and(|rest| ENDINGS.contains(&rest))
        })
        .map(|i| i as u32 + 1)
}

fn unit_days(word: &str) -> Option<i64> {
    UNITS
        .iter()
        .find(|(u, _)| {
            word == *u || (u.len() >= 5 && word.starts_with(u) && word.len() <= u.len() + 2)
        })
        .map(|(_, d)| *d)
}

fn number(word: &str) -> Option<i64> {
    word.parse::<i64>()
        .ok()
        .or_else(|| crate::verify::number_word(word).map(i64::from))
        .or_else(|| {
            COUNT_WORDS
                .iter()
                .find(|(w, _)| *w == word)
                .map(|(_, n)| *n)
        })
        .filter(|n| (1..=100).contains(n))
}

/// The last day of `month` in the latest year that puts it before or at `today`.
fn end_of_latest(month: u32, today: NaiveDate) -> Option<NaiveDate> {
    let year = if month <= today.month() {
        today.year()
    } else {
        today.year() - 1
    };
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((first_next - Duration::days(1)).min(today))
}

/// The latest date the text puts a past event at, if it names one: a month after a word that
/// places it in time, or a count of days, weeks, months or years ago. The latest of several.
pub fn stated_past_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let folded = fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut dates = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if let Some(m) = month_of(w) {
            let led =
                i > 0 && (MONTH_LEADS.contains(&words[i - 1]) || number(words[i - 1]).is_some());
            if led {
                dates.extend(end_of_latest(m, today));
            }
        }
        // "three weeks ago" / "a year ago"
        if *w == "ago" && i >= 2 {
            if let (Some(n), Some(d)) = (number(words[i - 2]), unit_days(words[i - 1])) {
                dates.push(today - Duration::days(n * d));
            }
        }
        // "pre tri nedelje" / "pre godinu dana" (a bare unit is one)
        if *w == "pre" || *w == "prije" {
            let next = words.get(i + 1).copied();
            let after = words.get(i + 2).copied();
            match (
                next.and_then(number),
                after.and_then(unit_days),
                next.and_then(unit_days),
            ) {
                (Some(n), Some(d), _) => dates.push(today - Duration::days(n * d)),
                (None, _, Some(d)) => dates.push(today - Duration::days(d)),
                _ => {}
            }
        }
    }
    for (p, days) in RECENT {
        if crate::phrases::any(&folded, &[p], crate::phrases::Boundary::WholeWord) {
            dates.push(today - Duration::days(days));
        }
    }
    dates.into_iter().max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stated_dates_table() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let cases = [
            (
                "The stove came in early August and I never lit it",
                d(2026, 8, 31),
            ),
            ("got them in march", d(2026, 3, 31)),
            ("I received it three weeks ago", d(2026, 11, 14)),
            ("it came 2 months ago", d(2026, 10, 10)),
            ("Stiglo mi je u junu, nisam ga ni otvorio", d(2026, 6, 30)),
            ("dobio sam ih još u septembru", d(2026, 9, 30)),
            ("Шатор ми је стигао у августу", d(2026, 8, 31)),
            ("пре два месеца сам га купио", d(2026, 10, 10)),
            ("pre nedelju dana", d(2026, 11, 28)),
            ("it arrived in December", d(2026, 12, 5)),
            ("I may return it later", None),
            ("Maja je naručila ranac", None),
            ("the order arrived yesterday", d(2026, 12, 4)),
            ("I would like to send the tent back", None),
            (
                "I ordered it in March but it only came last week",
                d(2026, 11, 28),
            ),
            ("naručila sam u maju, a stiglo je juče", d(2026, 12, 4)),
        ];
        for (text, want) in cases {
            assert_eq!(stated_past_date(text, today), want, "{text}");
        }
    }
}
