//! Operator analytics, the same figures as `SqliteStore`'s, read in one REPEATABLE READ
//! snapshot so the counts agree with each other while replicas keep writing.

use super::{backend, PgStore};
use crate::db::daily::{daily_series, DailyFacts};
use crate::db::percentile;
use chrono::{DateTime, Utc};
use frontdesk_core::store::{Analytics, DailyAnalytics, UnansweredQuestion};
use frontdesk_core::StoreError;
use std::collections::BTreeMap;
use tokio_postgres::IsolationLevel;

impl PgStore {
    pub(super) async fn compute_analytics(&self) -> Result<Analytics, StoreError> {
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(backend)?;
        let counts = tx
            .query_one(
                "SELECT
                    (SELECT COUNT(*) FROM conversations),
                    (SELECT COUNT(DISTINCT conversation_id) FROM messages WHERE speaker = 'customer'),
                    (SELECT COUNT(DISTINCT conversation_id) FROM handoffs)",
                &[],
            )
            .await
            .map_err(backend)?;
        let count = |i: usize| counts.get::<_, i64>(i).max(0) as u64;
        let (conversations, active, escalated) = (count(0), count(1), count(2));

        let mut by_reason = BTreeMap::new();
        for r in tx
            .query("SELECT reason, COUNT(*) FROM handoffs GROUP BY reason", &[])
            .await
            .map_err(backend)?
        {
            by_reason.insert(r.get::<_, String>(0), r.get::<_, i64>(1).max(0) as u64);
        }

        // Questions the bot could not answer, grouped without regard to case (SQLite groups by
        // `lower(q)` too; of a group's spellings this reports the first in text order).
        // `unanswered` is matched as SQLite's `json_extract(...) = 1` matches it: true or 1.
        let unanswered = tx
            .query(
                "SELECT MIN(meta->>'question') AS q, COUNT(*) AS n FROM messages
                 WHERE speaker = 'bot' AND meta->'unanswered' IN ('true'::jsonb, '1'::jsonb)
                   AND jsonb_typeof(meta->'question') = 'string'
                 GROUP BY lower(meta->>'question') ORDER BY n DESC, q LIMIT 50",
                &[],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|r| UnansweredQuestion {
                text: r.get(0),
                count: r.get::<_, i64>(1).max(0) as u64,
            })
            .collect();

        let csat = tx
            .query_one("SELECT AVG(rating)::float8, COUNT(*) FROM feedback", &[])
            .await
            .map_err(backend)?;
        let (csat_average, csat_count): (Option<f64>, i64) = (csat.get(0), csat.get(1));

        // Latencies are whole milliseconds; a fractional one is rounded rather than refused.
        let mut latencies: Vec<u64> = tx
            .query(
                "SELECT round((meta->>'latency_ms')::numeric)::bigint FROM messages
                 WHERE speaker = 'bot' AND jsonb_typeof(meta->'latency_ms') = 'number'",
                &[],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|r| r.get::<_, i64>(0).max(0) as u64)
            .collect();
        tx.commit().await.map_err(backend)?;
        latencies.sort_unstable();
        Ok(Analytics {
            conversations,
            active_conversations: active,
            escalated_conversations: escalated,
            containment_rate: if active == 0 {
                0.0
            } else {
                active.saturating_sub(escalated) as f64 / active as f64
            },
            escalations_by_reason: by_reason,
            unanswered_questions: unanswered,
            csat_average,
            csat_count: csat_count.max(0) as u64,
            bot_turns: latencies.len() as u64,
            latency_p50_ms: percentile(&latencies, 0.5),
            latency_p95_ms: percentile(&latencies, 0.95),
        })
    }

    /// The same facts per UTC day as `SqliteStore` reads, in one REPEATABLE READ snapshot.
    pub(super) async fn compute_daily_analytics(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<DailyAnalytics>, StoreError> {
        const DAY: &str = "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
        let day = |col: &str| DAY.replace("%s", col);
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(backend)?;
        let pairs = |rows: Vec<tokio_postgres::Row>| -> Vec<(String, u64)> {
            rows.iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1).max(0) as u64))
                .collect()
        };
        let active = pairs(
            tx.query(
                &format!(
                    "SELECT {} AS d, COUNT(DISTINCT conversation_id) FROM messages
                     WHERE speaker = 'customer' AND at >= $1 GROUP BY d",
                    day("at")
                ),
                &[&since],
            )
            .await
            .map_err(backend)?,
        );
        let contained = pairs(
            tx.query(
                &format!(
                    "SELECT x.d, COUNT(*) FROM (SELECT DISTINCT {} AS d, conversation_id AS c
                       FROM messages WHERE speaker = 'customer' AND at >= $1) AS x
                     WHERE NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = x.c AND {} = x.d)
                     GROUP BY x.d",
                    day("at"),
                    day("h.created_at")
                ),
                &[&since],
            )
            .await
            .map_err(backend)?,
        );
        let escalated = pairs(
            tx.query(
                &format!(
                    "SELECT {} AS d, COUNT(DISTINCT conversation_id) FROM handoffs
                     WHERE created_at >= $1 GROUP BY d",
                    day("created_at")
                ),
                &[&since],
            )
            .await
            .map_err(backend)?,
        );
        let by_reason = tx
            .query(
                &format!(
                    "SELECT {} AS d, reason, COUNT(*) FROM handoffs WHERE created_at >= $1 GROUP BY d, reason",
                    day("created_at")
                ),
                &[&since],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, i64>(2).max(0) as u64))
            .collect();
        let csat = tx
            .query(
                &format!(
                    "SELECT {} AS d, AVG(rating)::float8, COUNT(*) FROM feedback WHERE at >= $1 GROUP BY d",
                    day("at")
                ),
                &[&since],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, i64>(2).max(0) as u64))
            .collect();
        let latencies = pairs(
            tx.query(
                &format!(
                    "SELECT {}, round((meta->>'latency_ms')::numeric)::bigint FROM messages
                     WHERE speaker = 'bot' AND at >= $1 AND jsonb_typeof(meta->'latency_ms') = 'number'",
                    day("at")
                ),
                &[&since],
            )
            .await
            .map_err(backend)?,
        );
        tx.commit().await.map_err(backend)?;
        Ok(daily_series(
            since,
            Utc::now(),
            DailyFacts {
                active,
                contained,
                escalated,
                by_reason,
                csat,
                latencies,
            },
        ))
    }
}
