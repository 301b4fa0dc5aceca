//! Request extractors whose failures are `ApiError`s (JSON bodies, not axum's plain text).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// `Json<T>` with our error body: 400 malformed, 422 wrong shape, 413 over `max_body_bytes`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge {
                    limit: state.config().server.max_body_bytes,
                })
            }
            Err(r) => Err(r.into()),
        }
    }
}

pub fn wants_sse(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// Checks the API key before the body is read, so a caller without a key learns nothing about
/// the body's shape (401/403 come before 400/422).
pub struct RoleKey<const ROLE: u8>(pub String);

pub const AGENT: u8 = 0;
pub const ADMIN: u8 = 1;
pub const CHANNEL: u8 = 2;

impl<const ROLE: u8> axum::extract::FromRequestParts<AppState> for RoleKey<ROLE> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        use frontdesk_core::config::ApiRole;
        let role = match ROLE {
            AGENT => ApiRole::Agent,
            ADMIN => ApiRole::Admin,
            _ => ApiRole::Channel,
        };
        state.keys().authorize(&parts.headers, &[role]).map(RoleKey)
    }
}
