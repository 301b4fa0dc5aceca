//! One error type for every route; each variant has exactly one status code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use frontdesk_core::assistant::AssistantError;
use frontdesk_core::StoreError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body is larger than the {limit}-byte limit")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// This server's assistant cannot do what was asked.
    #[error("{0}")]
    NotImplemented(String),
    #[error("{message}")]
    Unavailable {
        message: String,
        retry_after_secs: u64,
    },
    #[error("the request took longer than {secs} s; a stored message is still answered and will appear in the transcript")]
    Timeout { secs: u64 },
    /// Logged in full; the client only learns that something failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::NotImplemented(_) => "not_implemented",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Timeout { .. } => "timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn busy(message: impl Into<String>) -> Self {
        ApiError::Unavailable {
            message: message.into(),
            retry_after_secs: 2,
        }
    }

    /// What the client may see: internals are replaced by a generic sentence.
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Internal(_) => {
                "internal server error; the details are in the server log".into()
            }
            other => crate::pii::mask_pii(&other.to_string()),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs }
            | ApiError::Unavailable {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %crate::pii::mask_pii(detail), "request failed");
        }
        let body = json!({"error": {"code": self.code(), "message": self.public_message()}});
        let mut resp = (self.status(), axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after() {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => ApiError::NotFound { what, id },
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Backend(m) => ApiError::Internal(m),
        }
    }
}

impl From<AssistantError> for ApiError {
    fn from(e: AssistantError) -> Self {
        match e {
            AssistantError::Overloaded(m) => {
                ApiError::busy(format!("the assistant is busy ({m}); retry shortly"))
            }
            AssistantError::NotWithBot(s) => {
                ApiError::Conflict(format!("conversation is {s}; the bot does not reply"))
            }
            AssistantError::InvalidInput(m) => ApiError::Unprocessable(m),
            AssistantError::Internal(m) => ApiError::Internal(m),
            AssistantError::Unsupported(m) => ApiError::NotImplemented(m),
        }
    }
}

impl ApiError {
    /// The error for a response the framework wrote itself (a path or query it could not
    /// decode, a method the route does not have, a body over the limit), so every error the
    /// service sends has the same JSON body. `None` for statuses the framework does not
    /// produce on bad input.
    pub fn from_framework(status: StatusCode, text: &str, body_limit: usize) -> Option<Self> {
        let text = text.trim();
        Some(match status {
            StatusCode::BAD_REQUEST => ApiError::BadRequest(text.to_string()),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed(
                "this route does not take that method; see /openapi.json".into(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: body_limit },
            StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::UNPROCESSABLE_ENTITY => {
                ApiError::Unprocessable(text.to_string())
            }
            _ => return None,
        })
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match &r {
            J::JsonDataError(_) => ApiError::Unprocessable(r.body_text()),
            J::JsonSyntaxError(_) => ApiError::BadRequest(r.body_text()),
            J::MissingJsonContentType(_) => ApiError::BadRequest(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ),
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge { limit: 0 }
            }
            _ => ApiError::BadRequest(r.body_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_status_and_hides_internals() {
        let cases: Vec<(ApiError, u16)> = vec![
            (ApiError::BadRequest("x".into()), 400),
            (ApiError::Unauthorized("x".into()), 401),
            (ApiError::Forbidden("x".into()), 403),
            (
                ApiError::NotFound {
                    what: "conversation",
                    id: "c1".into(),
                },
                404,
            ),
            (ApiError::MethodNotAllowed("x".into()), 405),
            (ApiError::Conflict("x".into()), 409),
            (ApiError::PayloadTooLarge { limit: 10 }, 413),
            (ApiError::Unprocessable("x".into()), 422),
            (
                ApiError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
            ),
            (ApiError::busy("x"), 503),
            (ApiError::Timeout { secs: 1 }, 504),
            (ApiError::Internal("secret path /etc/x".into()), 500),
        ];
        for (err, code) in cases {
            assert_eq!(err.status().as_u16(), code, "{err:?}");
            if code == 500 {
                assert!(!err.public_message().contains("/etc/x"));
            }
            let has_retry = err.retry_after().is_some();
            assert_eq!(has_retry, code == 429 || code == 503, "{err:?}");
        }
    }
}
