//! Token-bucket rate limits keyed by API key / conversation token / client address.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct RateLimiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimiter {
    pub fn new() -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` from a bucket of `per_minute` (refilled continuously).
    /// `Err(seconds)` says when the next token will be there. `per_minute == 0` disables limits.
    pub fn check(&self, key: &str, per_minute: u32, now: Instant) -> Result<(), u64> {
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = per_minute as f64;
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Bound memory under address churn: drop full (idle) buckets.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_sec < capacity
            });
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((capacity, now));
        *tokens =
            (*tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_drains_and_refills() {
        let rl = RateLimiter::new();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(rl.check("a", 3, t0).is_ok());
        }
        let wait = rl.check("a", 3, t0).unwrap_err();
        assert_eq!(wait, 20);
        assert!(rl.check("b", 3, t0).is_ok(), "keys are independent");
        assert!(
            rl.check("a", 3, t0 + Duration::from_secs(20)).is_ok(),
            "refilled after 20 s"
        );
        assert!(rl.check("a", 0, t0).is_ok(), "0 disables");
    }
}
