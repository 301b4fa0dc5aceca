//! Delivers webhook events from the durable outbox: signed JSON POSTs, retried with
//! exponential backoff, so a helpdesk gets every handoff even across restarts.

use chrono::Utc;
use frontdesk_core::store::OutboxItem;
use frontdesk_core::{Store, StoreError};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub const SIGNATURE_HEADER: &str = "x-frontdesk-signature";
pub const EVENT_HEADER: &str = "x-frontdesk-event";

/// `sha256=<hex HMAC-SHA256 of the raw body keyed by the webhook secret>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Debug, Clone)]
pub struct OutboxOptions {
    pub poll: Duration,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    pub max_attempts: u32,
    pub request_timeout: Duration,
}

impl Default for OutboxOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 12,
            request_timeout: Duration::from_secs(10),
        }
    }
}

pub fn backoff(opts: &OutboxOptions, attempts_so_far: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts_so_far.min(20));
    opts.base_backoff
        .saturating_mul(factor)
        .min(opts.max_backoff)
}

async fn deliver_one(client: &reqwest::Client, item: &OutboxItem) -> Result<(), String> {
    let body = serde_json::to_vec(&item.payload).map_err(|e| e.to_string())?;
    let resp = client
        .post(&item.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, sign(&item.secret, &body))
        .header(EVENT_HEADER, &item.event)
        .header("x-frontdesk-delivery", item.id.to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("receiver answered {}", resp.status()))
    }
}

/// One pass over due deliveries; returns how many succeeded.
pub async fn deliver_due(
    store: &dyn Store,
    client: &reqwest::Client,
    opts: &OutboxOptions,
) -> Result<usize, StoreError> {
    let mut ok = 0;
    for item in store.due_outbox(Utc::now(), 32).await? {
        match deliver_one(client, &item).await {
            Ok(()) => {
                store.outbox_delivered(item.id).await?;
                ok += 1;
            }
            Err(e) => {
                let attempts = item.attempts + 1;
                let next = (attempts < opts.max_attempts)
                    .then(|| {
                        chrono::Duration::from_std(backoff(opts, item.attempts))
                            .ok()
                            .map(|d| Utc::now() + d)
                    })
                    .flatten();
                if next.is_none() {
                    tracing::warn!(url = %item.url, event = %item.event, attempts, "giving up on a webhook delivery: {e}");
                }
                store.outbox_failed(item.id, &e, next).await?;
            }
        }
    }
    Ok(ok)
}

/// Runs until `shutdown` turns true.
pub fn spawn_outbox_worker(
    store: Arc<dyn Store>,
    opts: OutboxOptions,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(opts.request_timeout)
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("webhook worker cannot start its HTTP client: {e}");
                return;
            }
        };
        loop {
            if let Err(e) = deliver_due(store.as_ref(), &client, &opts).await {
                tracing::warn!("webhook outbox pass failed: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(opts.poll) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_known_vector() {
        // RFC 4231 test case 2.
        let got = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            got,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let o = OutboxOptions {
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            ..Default::default()
        };
        let got: Vec<u64> = (0..6).map(|a| backoff(&o, a).as_secs()).collect();
        assert_eq!(got, vec![1, 2, 4, 8, 10, 10]);
    }
}
