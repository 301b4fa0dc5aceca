//! Voice front ends: one turn in, speakable text out (optionally SSML, optionally streamed
//! sentence by sentence), with a flag when the call should go to a person.

use crate::error::ApiError;
use crate::extract::{wants_sse, ApiJson, RoleKey, CHANNEL};
use crate::routes::customer::create_conversation;
use crate::sse::{error_event, event, stream_turn_with};
use crate::state::AppState;
use crate::turn::{start_turn, Reply};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use frontdesk_core::text::sentences;
use frontdesk_core::{Channel, ConversationStatus, Lang, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct VoiceTurn {
    #[serde(default)]
    conversation_id: Option<String>,
    text: String,
    #[serde(default)]
    lang: Option<Lang>,
    #[serde(default)]
    ssml: bool,
}

/// Ids chosen by the caller (a call id) are limited so they stay safe in URLs and logs.
pub fn valid_external_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

/// Uses the caller's conversation if it exists, creates it (with that id) if not.
pub async fn ensure_conversation(
    st: &AppState,
    id: Option<String>,
    channel: Channel,
    lang: Option<Lang>,
) -> Result<String, ApiError> {
    match id {
        Some(id) if !valid_external_id(&id) => Err(ApiError::BadRequest(
            "conversation id must be 1-128 characters of A-Z a-z 0-9 - _ . :".into(),
        )),
        Some(id) => match st.store.conversation(&id).await {
            Ok(_) => Ok(id),
            Err(StoreError::NotFound { .. }) => {
                match create_conversation(st, channel, lang, Some(id.clone())).await {
                    Ok(_) | Err(ApiError::Conflict(_)) => Ok(id),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e.into()),
        },
        None => Ok(create_conversation(st, channel, lang, None).await?.0),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

pub fn ssml(text: &str, lang: Option<Lang>) -> String {
    let lang = lang.map(|l| l.code()).unwrap_or("en");
    let body: String = sentences(text)
        .iter()
        .map(|s| format!("<s>{}</s>", xml_escape(s)))
        .collect();
    format!("<speak xml:lang=\"{lang}\"><p>{body}</p></speak>")
}

fn voice_json(reply: &Reply, with_ssml: bool) -> Value {
    let speak = if reply.voice_text.is_empty() {
        reply.text.clone()
    } else {
        reply.voice_text.clone()
    };
    let transfer = matches!(
        reply.status,
        ConversationStatus::WaitingForHuman | ConversationStatus::Human
    );
    let mut v = json!({
        "conversation_id": reply.conversation_id,
        "speak": speak,
        "transfer": transfer,
        "lang": reply.lang,
        "status": reply.status,
        "handoff": reply.handoff,
    });
    if with_ssml {
        v["ssml"] = Value::String(ssml(&speak, reply.lang));
    }
    v
}

pub async fn turn(
    State(st): State<AppState>,
    _key: RoleKey<CHANNEL>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<VoiceTurn>,
) -> Result<Response, ApiError> {
    let id = ensure_conversation(&st, body.conversation_id, Channel::Voice, body.lang).await?;
    let handle = start_turn(&st, &id, &body.text).await?;
    let with_ssml = body.ssml;
    if wants_sse(&headers) {
        // Sentences of the voice rendering (not the markdown tokens), then the full turn.
        return Ok(stream_turn_with(
            handle,
            |_| None,
            move |reply| {
                let v = voice_json(reply, with_ssml);
                let speak = v["speak"].as_str().unwrap_or_default().to_string();
                let mut evs: Vec<_> = sentences(&speak)
                    .into_iter()
                    .map(|s| event("token", &json!({"text": s})))
                    .collect();
                evs.push(event("done", &v));
                evs
            },
            |e| vec![error_event(e)],
        ));
    }
    let reply = crate::sse::await_reply(handle, st.config().server.request_timeout_secs).await?;
    Ok(Json(voice_json(&reply, with_ssml)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_split_table() {
        let cases: [(&str, &[&str]); 4] = [
            (
                "Hello. How are you? Fine!",
                &["Hello.", "How are you?", "Fine!"],
            ),
            ("Price is 1.5 euros. Ok", &["Price is 1.5 euros.", "Ok"]),
            ("", &[]),
            ("Здраво. Како сте?", &["Здраво.", "Како сте?"]),
        ];
        for (text, want) in cases {
            assert_eq!(
                sentences(text),
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{text}"
            );
        }
        assert_eq!(
            ssml("A & B.", Some(Lang::SrLatn)),
            "<speak xml:lang=\"sr-Latn\"><p><s>A &amp; B.</s></p></speak>"
        );
        assert!(
            valid_external_id("call-123:abc")
                && !valid_external_id("a b")
                && !valid_external_id("")
        );
    }
}
