//! Health, readiness, metrics, the OpenAPI document, the agents' stream and the web pages.

use crate::error::ApiError;
use crate::sse::{event, forward_broadcast};
use crate::state::{AgentEvent, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use frontdesk_core::config::ApiRole;
use serde_json::json;

pub const OPENAPI: &str = include_str!("../../web/openapi.json");

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// How long the readiness probe waits for the database's answer.
const DATABASE_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Ready when the models are loaded, the index is built and the database answers a trivial
/// query (`Store::ping`, within `DATABASE_CHECK`): a replica that lost its database is taken
/// out of the load balancer instead of failing every request.
pub async fn readyz(State(st): State<AppState>) -> Response {
    let r = &st.readiness;
    let (models, index) = (
        r.models.load(std::sync::atomic::Ordering::Acquire),
        r.index.load(std::sync::atomic::Ordering::Acquire),
    );
    let database = match tokio::time::timeout(DATABASE_CHECK, st.store.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!("not ready: the database check failed: {e}");
            false
        }
        Err(_) => {
            tracing::warn!(
                "not ready: the database did not answer within {} s",
                DATABASE_CHECK.as_secs()
            );
            false
        }
    };
    let ready = models && index && database;
    let body =
        Json(json!({"ready": ready, "models": models, "index": index, "database": database}));
    if ready {
        body.into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            body,
        )
            .into_response()
    }
}

pub async fn metrics(State(st): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response()
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub async fn agent_events(
    State(st): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    // EventSource cannot send headers: the key may come as `?key=`.
    let mut headers = headers;
    if let Some(k) = q.get("key") {
        if let Ok(v) = format!("Bearer {k}").parse() {
            headers.entry(header::AUTHORIZATION).or_insert(v);
        }
    }
    st.keys().authorize(&headers, &[ApiRole::Agent])?;
    let waiting = st
        .store
        .handoffs(Some(frontdesk_core::store::HandoffState::Waiting))
        .await?
        .len();
    let first = event("hello", &json!({"waiting": waiting}));
    Ok(forward_broadcast(
        st.agent_events.subscribe(),
        Some(first),
        |ev: &AgentEvent| Some(event(ev.event, &ev.data)),
    ))
}

pub async fn widget_page() -> Html<&'static str> {
    Html(include_str!("../../web/index.html"))
}
pub async fn agent_page() -> Html<&'static str> {
    Html(include_str!("../../web/agent.html"))
}
pub async fn admin_page() -> Html<&'static str> {
    Html(include_str!("../../web/admin.html"))
}

fn javascript(body: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The chat widget: the built-in page at `/` runs it, and a shop embeds it on its own pages
/// with `<script src=".../embed.js">` (any origin may load a script; its API calls are what
/// `server.allowed_origins` allows).
pub async fn embed_js() -> Response {
    javascript(include_str!("../../web/embed.js"))
}
pub async fn agent_js() -> Response {
    javascript(include_str!("../../web/agent.js"))
}
pub async fn admin_js() -> Response {
    javascript(include_str!("../../web/admin.js"))
}
pub async fn style_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../web/style.css"),
    )
        .into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound {
        what: "route",
        id: "(no such path)".into(),
    }
}
