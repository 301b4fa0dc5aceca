//! Business hours: whether a human can answer now, and when one will.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, Utc};
use frontdesk_core::config::BusinessHours;

fn parse_hm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

fn local(hours: &BusinessHours, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    Some(now.with_timezone(&FixedOffset::east_opt(hours.utc_offset_minutes * 60)?))
}

/// Unparseable hours count as always open: better a human queue than a silent ticket.
pub fn is_open(hours: &BusinessHours, now: DateTime<Utc>) -> bool {
    let (Some(open), Some(close), Some(t)) = (
        parse_hm(&hours.open),
        parse_hm(&hours.close),
        local(hours, now),
    ) else {
        return true;
    };
    let day = t.weekday().number_from_monday() as u8;
    hours.days.contains(&day) && t.time() >= open && t.time() < close
}

/// The next opening time in the shop's local offset (None if no valid day is configured).
pub fn next_open(hours: &BusinessHours, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    let open = parse_hm(&hours.open)?;
    let t = local(hours, now)?;
    (0..8).find_map(|d| {
        let date = (t + Duration::days(d)).date_naive();
        let candidate = date
            .and_time(open)
            .and_local_timezone(*t.offset())
            .single()?;
        let day = candidate.weekday().number_from_monday() as u8;
        (hours.days.contains(&day) && candidate > t).then_some(candidate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_next_open_table() {
        let h = BusinessHours {
            utc_offset_minutes: 60,
            open: "08:00".into(),
            close: "20:00".into(),
            days: vec![1, 2, 3, 4, 5],
        };
        // 2026-11-27 is a Friday.
        let cases = [
            ("2026-11-27T09:00:00Z", true, None),
            (
                "2026-11-27T06:59:00Z",
                false,
                Some("2026-11-27T08:00:00+01:00"),
            ),
            (
                "2026-11-27T19:00:00Z",
                false,
                Some("2026-11-30T08:00:00+01:00"),
            ),
            (
                "2026-11-28T10:00:00Z",
                false,
                Some("2026-11-30T08:00:00+01:00"),
            ),
        ];
        for (now, open, next) in cases {
            let now: DateTime<Utc> = now.parse().unwrap();
            assert_eq!(is_open(&h, now), open, "{now}");
            if let Some(next) = next {
                assert_eq!(next_open(&h, now).unwrap().to_rfc3339(), next, "{now}");
            }
        }
    }
}
