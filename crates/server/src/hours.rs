//! Business hours: whether a human can answer now, when one will, and how long a customer
//! waits for one (the median wait of the last day's handoffs).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, Utc};
use frontdesk_core::config::BusinessHours;
use frontdesk_core::store::HandoffRecord;

/// How far back the expected wait looks.
pub const WAIT_WINDOW_HOURS: i64 = 24;

/// The median time from waiting to claimed, in whole seconds, of the handoffs opened in the
/// `WAIT_WINDOW_HOURS` before `now` that an agent claimed; with it, how many there were.
/// `None` when none was claimed (no figure is better than a made-up one).
pub fn expected_wait_secs(handoffs: &[HandoffRecord], now: DateTime<Utc>) -> (Option<u64>, usize) {
    let since = now - Duration::hours(WAIT_WINDOW_HOURS);
    let mut waits: Vec<i64> = handoffs
        .iter()
        .filter(|h| h.created_at >= since && h.created_at <= now)
        .filter_map(|h| {
            h.claimed_at
                .map(|c| (c - h.created_at).num_seconds().max(0))
        })
        .collect();
    waits.sort_unstable();
    let n = waits.len();
    let median = match n {
        0 => None,
        _ if n % 2 == 1 => Some(waits[n / 2] as u64),
        _ => Some(((waits[n / 2 - 1] + waits[n / 2]) / 2) as u64),
    };
    (median, n)
}

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

    fn handoff(created: &str, claimed_after_secs: Option<i64>) -> HandoffRecord {
        let created_at: DateTime<Utc> = created.parse().unwrap();
        HandoffRecord {
            id: created.into(),
            conversation_id: "c".into(),
            reason: frontdesk_core::EscalationReason::CustomerRequest,
            summary: String::new(),
            state: frontdesk_core::store::HandoffState::Claimed,
            agent: None,
            created_at,
            updated_at: created_at,
            ticket: false,
            claimed_at: claimed_after_secs.map(|s| created_at + Duration::seconds(s)),
        }
    }

    #[test]
    fn expected_wait_is_the_median_of_the_last_days_claims() {
        let now: DateTime<Utc> = "2026-05-10T12:00:00Z".parse().unwrap();
        let list = [
            handoff("2026-05-09T11:00:00Z", Some(5)), // older than a day: left out
            handoff("2026-05-10T08:00:00Z", Some(60)),
            handoff("2026-05-10T09:00:00Z", Some(240)),
            handoff("2026-05-10T10:00:00Z", None), // still waiting: left out
            handoff("2026-05-10T11:00:00Z", Some(120)),
        ];
        assert_eq!(expected_wait_secs(&list, now), (Some(120), 3));
        assert_eq!(expected_wait_secs(&list[1..3], now), (Some(150), 2));
        assert_eq!(expected_wait_secs(&list[3..4], now), (None, 0));
    }

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
