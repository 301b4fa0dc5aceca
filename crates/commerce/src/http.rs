//! Adapter for a shop's own backend: every `Commerce` call becomes one JSON HTTP request to a
//! configurable route. Reads (GET) are retried with backoff; writes are sent once, because a
//! retried write could take effect twice.

use async_trait::async_trait;
use frontdesk_core::commerce::{Address, Commerce, Customer, Order, OrderLine, Product};
use frontdesk_core::CommerceError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Route templates; `{name}` placeholders are filled with URL-encoded arguments.
/// Reads are `GET`, writes `POST` with a JSON body of the remaining arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpRoutes {
    pub find_customer_by_email: String,
    pub find_customer_by_name_zip: String,
    pub customer: String,
    pub orders_of: String,
    pub order: String,
    pub product: String,
    pub search_products: String,
    pub cancel_pending_order: String,
    pub modify_pending_order_address: String,
    pub modify_pending_order_items: String,
    pub modify_pending_order_payment: String,
    pub modify_user_address: String,
    pub return_delivered_order_items: String,
    pub exchange_delivered_order_items: String,
    pub place_order: String,
}

impl Default for HttpRoutes {
    fn default() -> Self {
        Self {
            find_customer_by_email: "/customers/lookup?email={email}".into(),
            find_customer_by_name_zip:
                "/customers/lookup?first_name={first_name}&last_name={last_name}&zip={zip}".into(),
            customer: "/customers/{user_id}".into(),
            orders_of: "/customers/{user_id}/orders".into(),
            order: "/orders/{order_id}".into(),
            product: "/products/{product_id}".into(),
            search_products: "/products?q={query}".into(),
            cancel_pending_order: "/orders/{order_id}/cancel".into(),
            modify_pending_order_address: "/orders/{order_id}/address".into(),
            modify_pending_order_items: "/orders/{order_id}/items".into(),
            modify_pending_order_payment: "/orders/{order_id}/payment".into(),
            modify_user_address: "/customers/{user_id}/address".into(),
            return_delivered_order_items: "/orders/{order_id}/return".into(),
            exchange_delivered_order_items: "/orders/{order_id}/exchange".into(),
            place_order: "/orders".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpCommerceConfig {
    pub base_url: String,
    pub timeout_ms: u64,
    /// Extra attempts for GET requests (writes are never retried).
    pub read_retries: u32,
    pub backoff_ms: u64,
    /// Sent as `Authorization: Bearer …` when set.
    pub bearer_token: Option<String>,
    pub routes: HttpRoutes,
}

impl Default for HttpCommerceConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            timeout_ms: 5000,
            read_retries: 2,
            backoff_ms: 200,
            bearer_token: None,
            routes: HttpRoutes::default(),
        }
    }
}

/// `{"user_id": "…"}` answers of the lookup routes.
#[derive(Deserialize)]
struct UserIdReply {
    user_id: String,
}

pub struct HttpCommerce {
    client: reqwest::Client,
    config: HttpCommerceConfig,
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), &encode(v));
    }
    out
}

impl HttpCommerce {
    pub fn new(config: HttpCommerceConfig) -> Result<Self, CommerceError> {
        if config.base_url.is_empty() {
            return Err(CommerceError::Backend(
                "http commerce needs `base_url` (e.g. http://shop.internal:8080/api)".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms.max(1)))
            .build()
            .map_err(|e| CommerceError::Backend(format!("http client: {e}")))?;
        Ok(Self { client, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url.trim_end_matches('/'), path)
    }

    async fn error_of(resp: reqwest::Response, what: &'static str, id: &str) -> CommerceError {
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        match status {
            404 => CommerceError::NotFound {
                what,
                id: id.into(),
            },
            403 => CommerceError::Forbidden(id.into()),
            409 if body.contains("out_of_stock") => CommerceError::OutOfStock(body),
            409 | 422 if body.contains("payment") => CommerceError::PaymentMethodInvalid(body),
            409 | 422 if body.contains("limit") => CommerceError::PolicyLimit(body),
            409 | 422 => CommerceError::NotAllowed(body),
            _ => CommerceError::Backend(format!("shop backend answered {status}: {body}")),
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: String,
        what: &'static str,
        id: &str,
    ) -> Result<T, CommerceError> {
        let mut attempt = 0;
        loop {
            let mut req = self.client.get(self.url(&path));
            if let Some(t) = &self.config.bearer_token {
                req = req.bearer_auth(t);
            }
            let retryable = match req.send().await {
                Ok(resp) if resp.status().is_success() => {
                    return resp.json().await.map_err(|e| {
                        CommerceError::Backend(format!(
                            "shop backend sent unexpected JSON for {path}: {e}"
                        ))
                    });
                }
                Ok(resp) if resp.status().is_server_error() => Self::error_of(resp, what, id).await,
                Ok(resp) => return Err(Self::error_of(resp, what, id).await),
                Err(e) => CommerceError::Backend(format!(
                    "shop backend unreachable at {}: {e}",
                    self.config.base_url
                )),
            };
            if attempt >= self.config.read_retries {
                return Err(retryable);
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(
                self.config.backoff_ms << (attempt - 1),
            ))
            .await;
        }
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: String,
        body: serde_json::Value,
        what: &'static str,
        id: &str,
    ) -> Result<T, CommerceError> {
        let mut req = self.client.post(self.url(&path)).json(&body);
        if let Some(t) = &self.config.bearer_token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| {
            CommerceError::Backend(format!(
                "shop backend unreachable at {}: {e}",
                self.config.base_url
            ))
        })?;
        if !resp.status().is_success() {
            return Err(Self::error_of(resp, what, id).await);
        }
        resp.json().await.map_err(|e| {
            CommerceError::Backend(format!("shop backend sent unexpected JSON for {path}: {e}"))
        })
    }
}

#[async_trait]
impl Commerce for HttpCommerce {
    async fn find_customer_by_email(&self, email: &str) -> Result<String, CommerceError> {
        let r: UserIdReply = self
            .get(
                fill(
                    &self.config.routes.find_customer_by_email,
                    &[("email", email)],
                ),
                "customer with e-mail",
                email,
            )
            .await?;
        Ok(r.user_id)
    }
    async fn find_customer_by_name_zip(
        &self,
        first_name: &str,
        last_name: &str,
        zip: &str,
    ) -> Result<String, CommerceError> {
        let path = fill(
            &self.config.routes.find_customer_by_name_zip,
            &[
                ("first_name", first_name),
                ("last_name", last_name),
                ("zip", zip),
            ],
        );
        let r: UserIdReply = self
            .get(path, "customer with name and postcode", zip)
            .await?;
        Ok(r.user_id)
    }
    async fn customer(&self, user_id: &str) -> Result<Customer, CommerceError> {
        self.get(
            fill(&self.config.routes.customer, &[("user_id", user_id)]),
            "customer",
            user_id,
        )
        .await
    }
    async fn orders_of(&self, user_id: &str) -> Result<Vec<Order>, CommerceError> {
        self.get(
            fill(&self.config.routes.orders_of, &[("user_id", user_id)]),
            "customer",
            user_id,
        )
        .await
    }
    async fn order(&self, order_id: &str) -> Result<Order, CommerceError> {
        self.get(
            fill(&self.config.routes.order, &[("order_id", order_id)]),
            "order",
            order_id,
        )
        .await
    }
    async fn product(&self, product_id: &str) -> Result<Product, CommerceError> {
        self.get(
            fill(&self.config.routes.product, &[("product_id", product_id)]),
            "product",
            product_id,
        )
        .await
    }
    async fn search_products(&self, query: &str) -> Result<Vec<Product>, CommerceError> {
        self.get(
            fill(&self.config.routes.search_products, &[("query", query)]),
            "products",
            query,
        )
        .await
    }
    async fn cancel_pending_order(
        &self,
        order_id: &str,
        reason: &str,
    ) -> Result<Order, CommerceError> {
        self.post(
            fill(
                &self.config.routes.cancel_pending_order,
                &[("order_id", order_id)],
            ),
            serde_json::json!({ "reason": reason }),
            "order",
            order_id,
        )
        .await
    }
    async fn modify_pending_order_address(
        &self,
        order_id: &str,
        address: &Address,
    ) -> Result<Order, CommerceError> {
        self.post(
            fill(
                &self.config.routes.modify_pending_order_address,
                &[("order_id", order_id)],
            ),
            serde_json::json!({ "address": address }),
            "order",
            order_id,
        )
        .await
    }
    async fn modify_pending_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        let body = serde_json::json!({ "item_ids": item_ids, "new_item_ids": new_item_ids, "payment_method_id": payment_method_id });
        self.post(
            fill(
                &self.config.routes.modify_pending_order_items,
                &[("order_id", order_id)],
            ),
            body,
            "order",
            order_id,
        )
        .await
    }
    async fn modify_pending_order_payment(
        &self,
        order_id: &str,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        let body = serde_json::json!({ "payment_method_id": payment_method_id });
        self.post(
            fill(
                &self.config.routes.modify_pending_order_payment,
                &[("order_id", order_id)],
            ),
            body,
            "order",
            order_id,
        )
        .await
    }
    async fn modify_user_address(
        &self,
        user_id: &str,
        address: &Address,
    ) -> Result<Customer, CommerceError> {
        self.post(
            fill(
                &self.config.routes.modify_user_address,
                &[("user_id", user_id)],
            ),
            serde_json::json!({ "address": address }),
            "customer",
            user_id,
        )
        .await
    }
    async fn return_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        let body =
            serde_json::json!({ "item_ids": item_ids, "payment_method_id": payment_method_id });
        self.post(
            fill(
                &self.config.routes.return_delivered_order_items,
                &[("order_id", order_id)],
            ),
            body,
            "order",
            order_id,
        )
        .await
    }
    async fn exchange_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        let body = serde_json::json!({ "item_ids": item_ids, "new_item_ids": new_item_ids, "payment_method_id": payment_method_id });
        self.post(
            fill(
                &self.config.routes.exchange_delivered_order_items,
                &[("order_id", order_id)],
            ),
            body,
            "order",
            order_id,
        )
        .await
    }
    async fn place_order(
        &self,
        user_id: &str,
        lines: &[OrderLine],
        address: &Address,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        let body = serde_json::json!({ "user_id": user_id, "lines": lines, "address": address, "payment_method_id": payment_method_id });
        self.post(
            self.config.routes.place_order.clone(),
            body,
            "customer",
            user_id,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn route_placeholders_are_url_encoded() {
        assert_eq!(
            fill("/orders/{order_id}", &[("order_id", "#W1")]),
            "/orders/%23W1"
        );
        assert_eq!(
            fill("/c?email={email}", &[("email", "a+b@x.io")]),
            "/c?email=a%2Bb%40x.io"
        );
    }
}
