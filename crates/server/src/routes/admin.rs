//! Operator routes (admin key): re-index, reload config, analytics, webhooks.

use crate::error::ApiError;
use crate::extract::{ApiJson, RoleKey, ADMIN};
use crate::reindex::reindex_everywhere;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use frontdesk_core::config::ApiRole;
use frontdesk_core::store::WebhookConfig;
use serde::Deserialize;
use serde_json::{json, Value};

pub const WEBHOOK_EVENTS: [&str; 2] = ["handoff.created", "conversation.resolved"];

/// Rebuilds this replica's index; with a shared store every other replica follows
/// (`crate::reindex`).
pub async fn reindex(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let who = st.keys().authorize(&headers, &[ApiRole::Admin])?;
    let done = reindex_everywhere(&st).await?;
    st.store
        .audit(
            "-",
            "reindex",
            &json!({"by": who, "report": done["report"], "index_version": done["index_version"]}),
        )
        .await?;
    Ok(Json(
        json!({"ok": true, "report": done["report"], "index_version": done["index_version"]}),
    ))
}

pub async fn reload(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let who = st.keys().authorize(&headers, &[ApiRole::Admin])?;
    let Some(r) = st.reloader.clone() else {
        return Err(ApiError::busy(
            "config reload is not available in this server",
        ));
    };
    let config = r.reload().map_err(ApiError::Unprocessable)?;
    st.replace_config(config);
    st.store.audit("-", "reload", &json!({"by": who})).await?;
    Ok(Json(
        json!({"ok": true, "note": "keys, limits and business hours reloaded; max_concurrent_turns and addr need a restart"}),
    ))
}

#[derive(Deserialize)]
pub struct AnalyticsQuery {
    days: Option<String>,
}

/// Days of the `daily` series when the query names none, and the most it may name.
const DEFAULT_DAYS: u32 = 30;
const MAX_DAYS: u32 = 366;

/// The totals over the whole store and, in `daily`, the same figures per UTC day for the last
/// `days` days (today included).
pub async fn analytics(
    State(st): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    st.keys().authorize(&headers, &[ApiRole::Admin])?;
    let days = match q.days.as_deref() {
        None | Some("") => DEFAULT_DAYS,
        Some(d) => d
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "days must be a whole number from 1 to {MAX_DAYS}, got {d:?}"
                ))
            })?,
    };
    let a = st.store.analytics().await?;
    let today = chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .ok_or_else(|| ApiError::Internal("midnight does not exist today".into()))?;
    let since = today - chrono::Duration::days(i64::from(days) - 1);
    let daily = st.store.daily_analytics(since).await?;
    let mut body = serde_json::to_value(a).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["days"] = json!(days);
    body["daily"] = serde_json::to_value(daily).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(body))
}

fn mask_secret(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        "********".into()
    }
}

pub async fn get_webhooks(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    st.keys().authorize(&headers, &[ApiRole::Admin])?;
    let hooks: Vec<Value> = st
        .store
        .webhooks()
        .await?
        .into_iter()
        .map(|h| json!({"url": h.url, "secret": mask_secret(&h.secret), "events": h.events}))
        .collect();
    Ok(Json(json!({"webhooks": hooks, "events": WEBHOOK_EVENTS})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutWebhooks {
    webhooks: Vec<WebhookConfig>,
}

pub async fn put_webhooks(
    State(st): State<AppState>,
    RoleKey(who): RoleKey<ADMIN>,
    ApiJson(body): ApiJson<PutWebhooks>,
) -> Result<Json<Value>, ApiError> {
    for h in &body.webhooks {
        if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
            return Err(ApiError::Unprocessable(format!(
                "webhook url {:?} must start with http:// or https://",
                h.url
            )));
        }
        if h.secret.len() < 16 {
            return Err(ApiError::Unprocessable(
                "webhook secret must be at least 16 characters".into(),
            ));
        }
        if let Some(bad) = h
            .events
            .iter()
            .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()) && e.as_str() != "*")
        {
            return Err(ApiError::Unprocessable(format!(
                "unknown webhook event {bad:?}; use {WEBHOOK_EVENTS:?} or \"*\""
            )));
        }
    }
    st.store.set_webhooks(&body.webhooks).await?;
    st.store
        .audit(
            "-",
            "webhooks_updated",
            &json!({"by": who, "count": body.webhooks.len()}),
        )
        .await?;
    Ok(Json(json!({"ok": true, "count": body.webhooks.len()})))
}
