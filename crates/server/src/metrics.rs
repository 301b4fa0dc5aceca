//! Prometheus metrics, rendered by hand in the text exposition format (a handful of series do
//! not justify a metrics stack).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const BUCKETS_S: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS_S.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    escalations: Mutex<BTreeMap<String, u64>>,
    turns_in_flight: AtomicU64,
    turns_total: AtomicU64,
    turns_rejected: AtomicU64,
    tokens_total: AtomicU64,
    /// Microseconds spent in turns that streamed tokens (for tokens/s).
    token_time_us: AtomicU64,
}

impl Metrics {
    pub fn record_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route.to_string(), method.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            let h = m.entry(route.to_string()).or_default();
            for (i, b) in BUCKETS_S.iter().enumerate() {
                if seconds <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        }
    }

    pub fn record_escalation(&self, reason: &str) {
        if let Ok(mut m) = self.escalations.lock() {
            *m.entry(reason.to_string()).or_default() += 1;
        }
    }

    pub fn turn_started(&self) {
        self.turns_in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn turn_finished(&self, tokens: u64, seconds: f64) {
        self.turns_in_flight.fetch_sub(1, Ordering::Relaxed);
        self.turns_total.fetch_add(1, Ordering::Relaxed);
        if tokens > 0 {
            self.tokens_total.fetch_add(tokens, Ordering::Relaxed);
            self.token_time_us
                .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        }
    }

    pub fn turn_rejected(&self) {
        self.turns_rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP frontdesk_http_requests_total HTTP requests by route, method and status.\n# TYPE frontdesk_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((route, method, status), n) in m.iter() {
                let _ = writeln!(out, "frontdesk_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP frontdesk_http_request_duration_seconds Request latency by route.\n# TYPE frontdesk_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for (route, h) in m.iter() {
                for (i, b) in BUCKETS_S.iter().enumerate() {
                    let _ = writeln!(out, "frontdesk_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}", h.counts[i]);
                }
                let _ = writeln!(out, "frontdesk_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(
                    out,
                    "frontdesk_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "frontdesk_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.count
                );
            }
        }
        out.push_str("# HELP frontdesk_escalations_total Handoffs to humans by reason.\n# TYPE frontdesk_escalations_total counter\n");
        if let Ok(m) = self.escalations.lock() {
            for (reason, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "frontdesk_escalations_total{{reason=\"{reason}\"}} {n}"
                );
            }
        }
        let tokens = self.tokens_total.load(Ordering::Relaxed);
        let secs = self.token_time_us.load(Ordering::Relaxed) as f64 / 1e6;
        let tps = if secs > 0.0 {
            tokens as f64 / secs
        } else {
            0.0
        };
        let _ = write!(
            out,
            "# HELP frontdesk_turn_queue_depth Turns being processed now.\n# TYPE frontdesk_turn_queue_depth gauge\nfrontdesk_turn_queue_depth {}\n\
             # HELP frontdesk_turns_total Turns completed.\n# TYPE frontdesk_turns_total counter\nfrontdesk_turns_total {}\n\
             # HELP frontdesk_turns_rejected_total Turns refused with 503 because the queue was full.\n# TYPE frontdesk_turns_rejected_total counter\nfrontdesk_turns_rejected_total {}\n\
             # HELP frontdesk_tokens_total Reply tokens streamed.\n# TYPE frontdesk_tokens_total counter\nfrontdesk_tokens_total {tokens}\n\
             # HELP frontdesk_tokens_per_second Reply tokens per second of turn time (lifetime average).\n# TYPE frontdesk_tokens_per_second gauge\nfrontdesk_tokens_per_second {tps:.3}\n",
            self.turns_in_flight.load(Ordering::Relaxed),
            self.turns_total.load(Ordering::Relaxed),
            self.turns_rejected.load(Ordering::Relaxed),
        );
        let _ = write!(
            out,
            "# HELP frontdesk_db_statements_total Statements this process sent to PostgreSQL (service store and shop; 0 on SQLite, which is not counted).\n# TYPE frontdesk_db_statements_total counter\nfrontdesk_db_statements_total {}\n",
            crate::db::postgres::statement_meter::process_statements()
        );
        render_process(&mut out);
        out
    }
}

/// The standard process series (names as Prometheus' client libraries export them), read from
/// `/proc` so a soak run can watch memory and descriptors; absent where there is no `/proc`.
fn render_process(out: &mut String) {
    if let Some(bytes) = resident_memory_bytes() {
        let _ = write!(
            out,
            "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {bytes}\n"
        );
    }
    if let Some(n) = open_fds() {
        let _ = write!(
            out,
            "# HELP process_open_fds Number of open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds {n}\n"
        );
    }
}

/// `VmRSS` of `/proc/self/status` (kB) in bytes.
pub fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Entries of `/proc/self/fd` (the listing's own descriptor included, as Prometheus' does).
pub fn open_fds() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_series() {
        let m = Metrics::default();
        m.record_request("/healthz", "GET", 200, 0.002);
        m.record_escalation("customer_request");
        m.turn_started();
        m.turn_finished(10, 0.5);
        let text = m.render();
        for want in [
            "frontdesk_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1",
            "frontdesk_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1",
            "frontdesk_escalations_total{reason=\"customer_request\"} 1",
            "frontdesk_turn_queue_depth 0",
            "frontdesk_tokens_per_second 20.000",
            "# TYPE frontdesk_db_statements_total counter",
            "# TYPE process_resident_memory_bytes gauge",
            "# TYPE process_open_fds gauge",
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
        let rss = resident_memory_bytes().unwrap();
        assert!(rss > 1 << 20, "resident memory of a running test: {rss}");
        // Other tests of this binary open files too: a margin keeps this exact enough.
        let before = open_fds().unwrap();
        let files: Vec<_> = (0..50)
            .map(|_| std::fs::File::open("/proc/self/status").unwrap())
            .collect();
        assert!(open_fds().unwrap() >= before + 40);
        drop(files);
    }
}
