//! API keys with roles (agent, admin, channel) and conversation tokens. Every comparison of a
//! secret is constant-time so response timing does not leak how much of a guess was right.

use crate::error::ApiError;
use axum::http::HeaderMap;
use frontdesk_core::config::{ApiKey, ApiRole, ServerConfig};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Keys from config plus the `FRONTDESK_{AGENT,ADMIN,CHANNEL}_KEY` shortcuts.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: Vec<ApiKey>,
}

impl KeyRing {
    pub fn from_config(
        config: &ServerConfig,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let mut keys = config.api_keys.clone();
        for (var, value) in env {
            let role = match var.as_str() {
                "FRONTDESK_AGENT_KEY" => ApiRole::Agent,
                "FRONTDESK_ADMIN_KEY" => ApiRole::Admin,
                "FRONTDESK_CHANNEL_KEY" => ApiRole::Channel,
                _ => continue,
            };
            if !value.is_empty() {
                keys.push(ApiKey {
                    name: var.trim_start_matches("FRONTDESK_").to_ascii_lowercase(),
                    key: value,
                    role,
                });
            }
        }
        Self { keys }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Returns the key's name when it holds one of `roles` (admin may act for every role).
    pub fn authorize(&self, headers: &HeaderMap, roles: &[ApiRole]) -> Result<String, ApiError> {
        let presented = bearer(headers, None).ok_or_else(|| {
            ApiError::Unauthorized("send `Authorization: Bearer <api key>`".into())
        })?;
        // Check every key (no early exit) so timing does not depend on which one matched.
        let mut found: Option<&ApiKey> = None;
        for k in &self.keys {
            if bool::from(k.key.as_bytes().ct_eq(presented.as_bytes())) && found.is_none() {
                found = Some(k);
            }
        }
        let key = found.ok_or_else(|| ApiError::Unauthorized("unknown API key".into()))?;
        if key.role == ApiRole::Admin || roles.contains(&key.role) {
            Ok(key.name.clone())
        } else {
            Err(ApiError::Forbidden(format!(
                "the API key {:?} has role {:?}; this route needs {:?}",
                key.name, key.role, roles
            )))
        }
    }
}

/// The bearer token from `Authorization`, or `query_token` (EventSource cannot set headers).
pub fn bearer(headers: &HeaderMap, query_token: Option<&str>) -> Option<String> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string())
        .or_else(|| query_token.map(str::to_string))
        .filter(|t| !t.is_empty())
}

/// A fresh conversation token: 32 random bytes as hex. Only its SHA-256 is stored.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn token_matches(token: &str, stored_hash: &str) -> bool {
    bool::from(hash_token(token).as_bytes().ct_eq(stored_hash.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert("authorization", HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn roles_table() {
        let cfg = ServerConfig {
            api_keys: vec![ApiKey {
                name: "ops".into(),
                key: "adm".into(),
                role: ApiRole::Admin,
            }],
            ..ServerConfig::default()
        };
        let ring = KeyRing::from_config(
            &cfg,
            vec![("FRONTDESK_AGENT_KEY".to_string(), "ag".to_string())],
        );
        let cases: Vec<(Option<&str>, ApiRole, u16)> = vec![
            (None, ApiRole::Agent, 401),
            (Some("Bearer nope"), ApiRole::Agent, 401),
            (Some("Basic ag"), ApiRole::Agent, 401),
            (Some("Bearer ag"), ApiRole::Agent, 200),
            (Some("Bearer ag"), ApiRole::Admin, 403),
            (Some("Bearer adm"), ApiRole::Agent, 200),
            (Some("Bearer adm"), ApiRole::Channel, 200),
        ];
        for (auth, role, want) in cases {
            let got = match ring.authorize(&headers(auth), &[role]) {
                Ok(_) => 200,
                Err(e) => e.status().as_u16(),
            };
            assert_eq!(got, want, "{auth:?} for {role:?}");
        }
    }

    #[test]
    fn tokens_are_random_and_checked_by_hash() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let h = hash_token(&a);
        assert!(token_matches(&a, &h));
        assert!(!token_matches(&b, &h));
    }
}
