//! Customer data rights (admin key): export everything stored about a verified customer, and
//! erase it. Order records in the shop's database are the shop's to keep and are not touched.

use crate::error::ApiError;
use crate::extract::{RoleKey, ADMIN};
use crate::retention::erase_conversations;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use frontdesk_core::store::ErasureSubject;
use serde_json::{json, Value};

/// Longest customer id accepted; the demo shop's are about 20 characters.
const MAX_CUSTOMER_ID_CHARS: usize = 200;

fn valid_customer_id(raw: &str) -> Result<&str, ApiError> {
    let id = raw.trim();
    if id.is_empty() {
        return Err(ApiError::Unprocessable("customer id is empty".into()));
    }
    if id.chars().count() > MAX_CUSTOMER_ID_CHARS {
        return Err(ApiError::Unprocessable(format!(
            "customer id is longer than {MAX_CUSTOMER_ID_CHARS} characters"
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(
            "customer id contains control characters".into(),
        ));
    }
    Ok(id)
}

/// `GET /v1/admin/customers/{customer_id}`: the customer's conversations with their messages,
/// handoffs, feedback and audit rows, and the tombstones of earlier erasures. A customer of
/// whom nothing is stored gets empty lists (that is the answer to their request).
pub async fn export(
    State(st): State<AppState>,
    RoleKey(who): RoleKey<ADMIN>,
    Path(customer_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let customer_id = valid_customer_id(&customer_id)?;
    let export = st.store.customer_export(customer_id).await?;
    st.store
        .audit(
            "-",
            "customer_exported",
            &json!({"by": who, "conversations": export.conversations.len()}),
        )
        .await?;
    let mut body = serde_json::to_value(&export).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["exported_at"] = json!(chrono::Utc::now());
    Ok(Json(body))
}

/// `POST /v1/admin/customers/{customer_id}/erase`: erases the customer's conversations,
/// messages, handoffs, feedback and webhook payloads, turns their audit rows into tombstones,
/// and checkpoints the database so the erased text is gone from its files. Repeating it is
/// harmless (nothing left: zero counts, no new tombstone).
pub async fn erase(
    State(st): State<AppState>,
    RoleKey(who): RoleKey<ADMIN>,
    Path(customer_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let customer_id = valid_customer_id(&customer_id)?;
    let ids = st.store.customer_conversations(customer_id).await?;
    let subject = ErasureSubject::Customer(customer_id.to_string());
    let report = erase_conversations(&st, &ids, &subject).await?;
    // The operator's log names the erasure, never the customer.
    st.store
        .audit(
            "-",
            "customer_erased",
            &json!({"by": who, "erasure_id": report.erasure_id, "conversations": report.conversations}),
        )
        .await?;
    Ok(Json(json!({
        "erased": report,
        "kept": "order and customer records in the shop database, which the shop must keep; backups taken before now still hold the erased data",
    })))
}
