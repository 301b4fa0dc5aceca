//! A customer over real HTTP: open a conversation, send a message, read the transcript.

use serde_json::{json, Value};
use std::time::Duration;

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Creates a conversation on `base`; returns (id, token).
pub async fn open_conversation(http: &reqwest::Client, base: &str) -> (String, String) {
    let c: Value = http
        .post(format!("{base}/v1/conversations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        c["id"].as_str().unwrap().to_string(),
        c["token"].as_str().unwrap().to_string(),
    )
}

/// Sends a customer message; returns the status and the reply body (`Null` when not JSON).
pub async fn say(
    http: &reqwest::Client,
    base: &str,
    (id, token): &(String, String),
    text: &str,
) -> (u16, Value) {
    let r = http
        .post(format!("{base}/v1/conversations/{id}/messages"))
        .bearer_auth(token)
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The conversation's messages as (speaker, text).
pub async fn transcript(
    http: &reqwest::Client,
    base: &str,
    (id, token): &(String, String),
) -> Vec<(String, String)> {
    let t: Value = http
        .get(format!("{base}/v1/conversations/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["speaker"].as_str().unwrap().to_string(),
                m["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
