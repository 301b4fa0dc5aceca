//! Where handoffs go once the engine decides to escalate (the server's inbox, a webhook outbox).

use crate::conversation::HandoffInfo;
use crate::error::StoreError;
use async_trait::async_trait;

#[async_trait]
pub trait HandoffSink: Send + Sync {
    /// Records a handoff for `conversation_id`; returns the handoff's own id.
    async fn hand_off(
        &self,
        conversation_id: &str,
        info: &HandoffInfo,
    ) -> Result<String, StoreError>;
}
