//! The frontdesk HTTP service: customer chat (JSON and SSE), voice and OpenAI-compatible
//! turns, the human handoff inbox, operator routes, persistence (SQLite, or PostgreSQL for
//! several replicas), webhooks and the embedded web pages. Built against `Arc<dyn Assistant>`
//! and `Arc<dyn Store>` only.

pub mod auth;
pub mod backup;
pub mod db;
pub mod error;
pub mod extract;
pub mod handoff_queue;
pub mod handoffs;
pub mod hours;
pub mod metrics;
pub mod pii;
pub mod ratelimit;
pub mod reindex;
pub mod replica;
pub mod retention;
pub mod routes;
pub mod soak;
pub mod sse;
pub mod state;
pub mod transcript;
pub mod turn;
pub mod webhooks;

pub use db::postgres::PgStore;
pub use db::SqliteStore;
pub use error::ApiError;
pub use pii::mask_pii;
pub use state::{AppState, ConfigReloader, Readiness, Reindexer};

use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use routes::{admin, customer, openai, ops, privacy, voice};
use std::net::SocketAddr;
use std::time::Instant;

/// Every route of the service (`GET|PUT` pairs listed once per method). The OpenAPI test
/// checks each appears in `/openapi.json`.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/agent"),
    ("get", "/admin"),
    ("get", "/embed.js"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/v1/conversations"),
    ("post", "/v1/conversations/{id}/messages"),
    ("get", "/v1/conversations/{id}"),
    ("post", "/v1/conversations/{id}/feedback"),
    ("get", "/v1/conversations/{id}/events"),
    ("get", "/v1/availability"),
    ("post", "/v1/voice/turn"),
    ("post", "/v1/chat/completions"),
    ("get", "/v1/handoffs"),
    ("get", "/v1/handoffs/{id}"),
    ("post", "/v1/handoffs/{id}/claim"),
    ("post", "/v1/handoffs/{id}/messages"),
    ("post", "/v1/handoffs/{id}/release"),
    ("post", "/v1/handoffs/{id}/close"),
    ("get", "/v1/handoffs/{id}/suggestions"),
    ("get", "/v1/agent/events"),
    ("get", "/v1/agent/canned-responses"),
    ("post", "/v1/admin/reindex"),
    ("post", "/v1/admin/reload"),
    ("get", "/v1/admin/analytics"),
    ("get", "/v1/admin/webhooks"),
    ("put", "/v1/admin/webhooks"),
    ("get", "/v1/admin/customers/{customer_id}"),
    ("post", "/v1/admin/customers/{customer_id}/erase"),
];

pub fn app(state: AppState) -> Router {
    let body_limit = state.config().server.max_body_bytes;
    // What the embedded widget calls from a shop's own pages: answered cross-origin for the
    // origins of `server.allowed_origins` (read per request, so a reload applies).
    let customer_api = Router::new()
        .route("/v1/conversations", post(customer::create))
        .route("/v1/conversations/{id}", get(customer::transcript))
        .route(
            "/v1/conversations/{id}/messages",
            post(customer::post_message),
        )
        .route("/v1/conversations/{id}/feedback", post(customer::feedback))
        .route("/v1/conversations/{id}/events", get(customer::events))
        .route("/v1/availability", get(customer::availability))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(cors(&state));
    let api = Router::new()
        .route("/v1/voice/turn", post(voice::turn))
        .route("/v1/chat/completions", post(openai::completions))
        .route("/v1/handoffs", get(handoffs::list))
        .route("/v1/handoffs/{id}", get(handoffs::detail))
        .route("/v1/handoffs/{id}/claim", post(handoffs::claim))
        .route("/v1/handoffs/{id}/messages", post(handoffs::message))
        .route("/v1/handoffs/{id}/release", post(handoffs::release))
        .route("/v1/handoffs/{id}/close", post(handoffs::close))
        .route("/v1/handoffs/{id}/suggestions", get(handoffs::suggestions))
        .route("/v1/agent/events", get(ops::agent_events))
        .route(
            "/v1/agent/canned-responses",
            get(handoffs::canned_responses),
        )
        .route("/v1/admin/reindex", post(admin::reindex))
        .route("/v1/admin/reload", post(admin::reload))
        .route("/v1/admin/analytics", get(admin::analytics))
        .route(
            "/v1/admin/webhooks",
            get(admin::get_webhooks).put(admin::put_webhooks),
        )
        .route("/v1/admin/customers/{customer_id}", get(privacy::export))
        .route(
            "/v1/admin/customers/{customer_id}/erase",
            post(privacy::erase),
        )
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    Router::new()
        .route("/", get(ops::widget_page))
        .route("/agent", get(ops::agent_page))
        .route("/admin", get(ops::admin_page))
        .route("/embed.js", get(ops::embed_js))
        .route("/agent.js", get(ops::agent_js))
        .route("/admin.js", get(ops::admin_js))
        .route("/style.css", get(ops::style_css))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .merge(customer_api)
        .merge(api)
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), json_errors))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// CORS for the customer API: an origin listed in `server.allowed_origins` (or any, with
/// `"*"`) may call it from its pages; no credentials (the widget sends its conversation token
/// in `Authorization`, never a cookie).
fn cors(state: &AppState) -> tower_http::cors::CorsLayer {
    use axum::http::{header, HeaderValue, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let st = state.clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, _req: &axum::http::request::Parts| {
                let Ok(origin) = origin.to_str() else {
                    return false;
                };
                st.config()
                    .server
                    .allowed_origins
                    .iter()
                    .any(|o| o == "*" || o.trim_end_matches('/').eq_ignore_ascii_case(origin))
            },
        ))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600))
}

fn client_addr(req: &Request) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// Token bucket per credential (bearer token) or, without one, per client address.
async fn rate_limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let per_minute = st.config().server.rate_limit_per_minute;
    let key = match crate::auth::bearer(req.headers(), None) {
        Some(t) => format!("k:{}", &crate::auth::hash_token(&t)[..16]),
        None => format!(
            "ip:{}",
            client_addr(&req)
                .map(|a| a.ip().to_string())
                .unwrap_or_else(|| "unknown".into())
        ),
    };
    if let Err(secs) = st.limiter.check(&key, per_minute, Instant::now()) {
        return ApiError::RateLimited {
            retry_after_secs: secs,
        }
        .into_response();
    }
    next.run(req).await
}

/// Rewrites the framework's own plain-text rejections (an undecodable path segment or query,
/// a wrong method, an oversized body read by a non-JSON extractor) into `ApiError`'s JSON body,
/// so a client parses every error the same way. Found by the API fuzz harness.
async fn json_errors(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return resp;
    }
    let allow = resp.headers().get(axum::http::header::ALLOW).cloned();
    // Rejection texts are one short sentence; anything longer is not a rejection.
    let Ok(bytes) = axum::body::to_bytes(resp.into_body(), 4096).await else {
        return ApiError::BadRequest("the request could not be read".into()).into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let limit = st.config().server.max_body_bytes;
    let mut out = match ApiError::from_framework(status, &text, limit) {
        Some(e) => e.into_response(),
        None => (status, text.into_owned()).into_response(),
    };
    if let Some(allow) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    out
}

/// Metrics by matched route and a log line per request (paths only: ids are not personal,
/// bodies are never logged).
async fn observe(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let secs = started.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    st.metrics.record_request(&route, &method, status, secs);
    tracing::debug!(target: "frontdesk::http", %method, %route, status, ms = (secs * 1000.0) as u64, "request");
    resp
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits up to `drain` for in-flight
/// turns so no accepted message is left half-answered.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    drain: std::time::Duration,
) -> std::io::Result<()> {
    let router = app(state.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    if !state.drain_turns(drain).await {
        tracing::warn!("shutdown: some turns were still running after {drain:?}; they resume on the next start");
    }
    Ok(())
}
