//! The analytics per day (`Store::daily_analytics`): both stores read the same facts per UTC
//! day with their own SQL, and this one function turns them into the series, every day from
//! the first to the last included.

use super::percentile;
use chrono::{DateTime, Days, NaiveDate, Utc};
use frontdesk_core::store::DailyAnalytics;
use std::collections::BTreeMap;

/// What a store reads per UTC day (`YYYY-MM-DD`), each list in any order.
#[derive(Default)]
pub(crate) struct DailyFacts {
    /// Conversations in which the customer wrote that day.
    pub active: Vec<(String, u64)>,
    /// Of those, the ones without a handoff opened that day.
    pub contained: Vec<(String, u64)>,
    /// Conversations with a handoff opened that day.
    pub escalated: Vec<(String, u64)>,
    /// Handoffs opened that day, by reason.
    pub by_reason: Vec<(String, String, u64)>,
    /// Ratings given that day: their mean and count.
    pub csat: Vec<(String, f64, u64)>,
    /// Every bot reply's latency in milliseconds, by the day it was sent.
    pub latencies: Vec<(String, u64)>,
}

/// The series from `since`'s day to `until`'s day (UTC), oldest first.
pub(crate) fn daily_series(
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    facts: DailyFacts,
) -> Vec<DailyAnalytics> {
    let mut days: BTreeMap<String, DailyAnalytics> = BTreeMap::new();
    let mut day: NaiveDate = since.date_naive();
    let last = until.date_naive();
    while day <= last {
        let key = day.format("%Y-%m-%d").to_string();
        days.insert(
            key.clone(),
            DailyAnalytics {
                day: key,
                ..DailyAnalytics::default()
            },
        );
        let Some(next) = day.checked_add_days(Days::new(1)) else {
            break;
        };
        day = next;
    }
    let mut contained = BTreeMap::new();
    for (d, n) in facts.contained {
        contained.insert(d, n);
    }
    for (d, n) in facts.active {
        if let Some(a) = days.get_mut(&d) {
            a.active_conversations = n;
            if n > 0 {
                let kept = contained.get(&d).copied().unwrap_or(0).min(n);
                a.containment_rate = Some(kept as f64 / n as f64);
            }
        }
    }
    for (d, n) in facts.escalated {
        if let Some(a) = days.get_mut(&d) {
            a.escalated_conversations = n;
        }
    }
    for (d, reason, n) in facts.by_reason {
        if let Some(a) = days.get_mut(&d) {
            *a.escalations_by_reason.entry(reason).or_insert(0) += n;
        }
    }
    for (d, mean, n) in facts.csat {
        if let Some(a) = days.get_mut(&d) {
            a.csat_average = (n > 0).then_some(mean);
            a.csat_count = n;
        }
    }
    let mut latencies: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (d, ms) in facts.latencies {
        latencies.entry(d).or_default().push(ms);
    }
    for (d, mut ms) in latencies {
        if let Some(a) = days.get_mut(&d) {
            ms.sort_unstable();
            a.bot_turns = ms.len() as u64;
            a.latency_p50_ms = percentile(&ms, 0.5);
            a.latency_p95_ms = percentile(&ms, 0.95);
        }
    }
    days.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_is_present_and_the_rates_are_per_day() {
        let since: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let until: DateTime<Utc> = "2026-03-03T09:00:00Z".parse().unwrap();
        let facts = DailyFacts {
            active: vec![("2026-03-01".into(), 4), ("2026-03-03".into(), 2)],
            contained: vec![("2026-03-01".into(), 3), ("2026-03-03".into(), 2)],
            escalated: vec![("2026-03-01".into(), 1)],
            by_reason: vec![
                ("2026-03-01".into(), "customer_request".into(), 1),
                ("2026-03-01".into(), "frustration".into(), 2),
            ],
            csat: vec![("2026-03-03".into(), 4.5, 2)],
            latencies: vec![
                ("2026-03-01".into(), 30),
                ("2026-03-01".into(), 10),
                ("2026-03-01".into(), 20),
                ("2026-02-28".into(), 999),
            ],
        };
        let s = daily_series(since, until, facts);
        let days: Vec<&str> = s.iter().map(|d| d.day.as_str()).collect();
        assert_eq!(days, ["2026-03-01", "2026-03-02", "2026-03-03"]);
        assert_eq!(s[0].containment_rate, Some(0.75));
        assert_eq!(s[0].escalations_by_reason["frustration"], 2);
        assert_eq!(s[0].bot_turns, 3);
        assert_eq!(s[0].latency_p50_ms, Some(20));
        assert_eq!(s[0].latency_p95_ms, Some(30));
        assert_eq!(s[1].containment_rate, None);
        assert_eq!(s[1].active_conversations, 0);
        assert_eq!(s[2].csat_average, Some(4.5));
        assert_eq!(s[2].containment_rate, Some(1.0));
    }
}
