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

pub async fn analytics(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    st.keys().authorize(&headers, &[ApiRole::Admin])?;
    let a = st.store.analytics().await?;
    Ok(Json(
        serde_json::to_value(a).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
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
