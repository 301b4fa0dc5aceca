//! `HttpCommerce` against a small fake shop backend on 127.0.0.1:0: routes, JSON, error
//! mapping, GET retries and no retries for writes.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use frontdesk_commerce::{HttpCommerce, HttpCommerceConfig};
use frontdesk_core::commerce::Commerce;
use frontdesk_core::CommerceError;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct Counters {
    order_gets: AtomicU32,
    cancels: AtomicU32,
}

fn order_json(id: &str, status: &str) -> Value {
    json!({"order_id": id, "user_id": "u1", "address": {"address1": "A", "city": "B", "country": "C", "zip": "12345"},
        "items": [], "fulfillments": [], "status": status, "payment_history": []})
}

async fn serve() -> (String, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    let app = Router::new()
        .route(
            "/customers/lookup",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                match q.get("email").map(String::as_str) {
                    Some("a@b.io") => Ok(Json(json!({"user_id": "u1"}))),
                    _ => Err(StatusCode::NOT_FOUND),
                }
            }),
        )
        .route(
            "/orders/{id}",
            get(
                |State(c): State<Arc<Counters>>, Path(id): Path<String>| async move {
                    // The first read fails with 503: the adapter must retry reads.
                    if c.order_gets.fetch_add(1, Ordering::SeqCst) == 0 {
                        return Err(StatusCode::SERVICE_UNAVAILABLE);
                    }
                    Ok(Json(order_json(&id, "pending")))
                },
            ),
        )
        .route(
            "/orders/{id}/cancel",
            post(
                |State(c): State<Arc<Counters>>,
                 Path(id): Path<String>,
                 Json(body): Json<Value>| async move {
                    c.cancels.fetch_add(1, Ordering::SeqCst);
                    if body["reason"] == "bad" {
                        return Err((
                            StatusCode::CONFLICT,
                            "not allowed: already shipped".to_string(),
                        ));
                    }
                    if body["reason"] == "boom" {
                        return Err((StatusCode::SERVICE_UNAVAILABLE, "down".to_string()));
                    }
                    Ok(Json(order_json(&id, "cancelled")))
                },
            ),
        )
        .with_state(counters.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), counters)
}

#[tokio::test]
async fn reads_retry_writes_do_not() {
    let (base, counters) = serve().await;
    let shop = HttpCommerce::new(HttpCommerceConfig {
        base_url: base,
        backoff_ms: 10,
        ..HttpCommerceConfig::default()
    })
    .expect("client");
    assert_eq!(
        shop.find_customer_by_email("a@b.io").await.ok().as_deref(),
        Some("u1")
    );
    assert!(matches!(
        shop.find_customer_by_email("x@y.io").await,
        Err(CommerceError::NotFound { .. })
    ));
    let o = shop.order("#W1").await.expect("retried after a 503");
    assert_eq!((o.order_id.as_str(), o.status.as_str()), ("#W1", "pending"));
    assert_eq!(counters.order_gets.load(Ordering::SeqCst), 2);

    let o = shop
        .cancel_pending_order("#W1", "no longer needed")
        .await
        .expect("cancel");
    assert_eq!(o.status, "cancelled");
    assert!(matches!(
        shop.cancel_pending_order("#W1", "bad").await,
        Err(CommerceError::NotAllowed(_))
    ));
    assert!(matches!(
        shop.cancel_pending_order("#W1", "boom").await,
        Err(CommerceError::Backend(_))
    ));
    assert_eq!(
        counters.cancels.load(Ordering::SeqCst),
        3,
        "a failed write is sent once"
    );
}

#[tokio::test]
async fn missing_base_url_and_unreachable_backend_are_clear_errors() {
    assert!(HttpCommerce::new(HttpCommerceConfig::default()).is_err());
    let shop = HttpCommerce::new(HttpCommerceConfig {
        base_url: "http://127.0.0.1:9".into(),
        read_retries: 0,
        timeout_ms: 500,
        ..HttpCommerceConfig::default()
    })
    .expect("client");
    let err = shop
        .order("#W1")
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("unreachable"), "{err}");
}
