use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiRole {
    Agent,
    Admin,
    /// Voice platforms and OpenAI-compatible clients.
    Channel,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub name: String,
    pub key: String,
    pub role: ApiRole,
}

/// A ready-made answer the agent console offers (`server.canned_responses`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedResponse {
    /// What the console lists it as.
    pub title: String,
    /// The text inserted into the reply, editable before it is sent.
    pub text: String,
    /// The customer language it is written in (`en`, `sr-Latn`, `sr-Cyrl`); none: any.
    #[serde(default)]
    pub lang: Option<crate::lang::Lang>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusinessHours {
    /// IANA-free fixed offset from UTC in minutes (e.g. 60 for CET).
    pub utc_offset_minutes: i32,
    /// Opening and closing time, "HH:MM", applied on `days` (1 = Monday … 7 = Sunday).
    pub open: String,
    pub close: String,
    pub days: Vec<u8>,
}

impl Default for BusinessHours {
    fn default() -> Self {
        Self {
            utc_offset_minutes: 60,
            open: "08:00".into(),
            close: "20:00".into(),
            days: vec![1, 2, 3, 4, 5, 6],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub addr: String,
    pub api_keys: Vec<ApiKey>,
    pub max_body_bytes: usize,
    pub max_message_chars: usize,
    pub request_timeout_secs: u64,
    /// Requests per minute per key / per client address.
    pub rate_limit_per_minute: u32,
    pub business_hours: BusinessHours,
    /// Turns processed at once; beyond that, 503 + Retry-After.
    pub max_concurrent_turns: usize,
    /// Conversations with no activity for this many days (closed ones, and ones nobody
    /// came back to) are erased by a background job; 0 keeps them forever. The demo shop's
    /// privacy page promises 12 months.
    pub retention_days: u32,
    /// `postgres://…` to keep conversations, handoffs, webhooks and the embedded shop in
    /// PostgreSQL, shared by every replica; `None` keeps them in SQLite files under `data_dir`
    /// (one machine).
    pub database_url: Option<String>,
    /// Seconds after which a customer message that was accepted and never answered, and whose
    /// conversation no process is answering, counts as abandoned by the replica that accepted
    /// it (it died), so a live replica answers it. Well above the time a message may queue
    /// behind the turns before it.
    pub takeover_after_secs: u64,
    /// Seconds between two sweeps for such messages.
    pub unanswered_sweep_secs: u64,
    /// Origins (`https://shop.example`, scheme + host + port) whose pages may embed the chat
    /// widget (`embed.js`): the customer API answers their cross-origin calls (CORS). Empty:
    /// only the service's own pages; `"*"`: any origin (the widget sends no cookies, only the
    /// conversation token).
    pub allowed_origins: Vec<String>,
    /// Ready-made answers the agent console offers (`GET /v1/agent/canned-responses`).
    pub canned_responses: Vec<CannedResponse>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".into(),
            api_keys: Vec::new(),
            max_body_bytes: 64 * 1024,
            max_message_chars: 4000,
            request_timeout_secs: 120,
            rate_limit_per_minute: 120,
            business_hours: BusinessHours::default(),
            max_concurrent_turns: 8,
            retention_days: 365,
            database_url: None,
            takeover_after_secs: 120,
            unanswered_sweep_secs: 30,
            allowed_origins: Vec::new(),
            canned_responses: Vec::new(),
        }
    }
}
