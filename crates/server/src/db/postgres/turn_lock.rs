//! The per-conversation turn lock across replicas: a session-level advisory lock, keyed by the
//! conversation id, held on one pooled connection for the length of a turn. Messages of one
//! conversation that reach two replicas are answered one at a time, each turn reading the state
//! the previous one saved. A replica that dies closes its connections, and PostgreSQL releases
//! the lock with the session, so a crash never leaves a conversation locked.

use super::{backend, PgStore};
use frontdesk_core::store::TurnLock;
use frontdesk_core::StoreError;

/// The first key of the two-key advisory lock space ("fd" in ASCII); the second is the
/// conversation id's `hashtext`. Two ids with the same hash only wait for each other.
pub(super) const LOCK_CLASS: i32 = 0x6664;

const LOCK: &str = "SELECT pg_advisory_lock($1, hashtext($2))";
const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1, hashtext($2))";
const UNLOCK: &str = "SELECT pg_advisory_unlock($1, hashtext($2))";

/// Holds the connection whose session holds the lock.
pub(super) struct HeldTurnLock {
    client: Option<deadpool_postgres::Client>,
    conversation_id: String,
}

impl HeldTurnLock {
    /// A guard for the lock of `conversation_id` that `client`'s session is about to ask for.
    pub(super) fn on(client: deadpool_postgres::Client, conversation_id: &str) -> Self {
        Self {
            client: Some(client),
            conversation_id: conversation_id.to_string(),
        }
    }

    /// The connection whose session holds (or is asking for) the lock.
    pub(super) fn client(&self) -> &deadpool_postgres::Client {
        self.client
            .as_ref()
            .expect("the connection leaves the guard only when it is dropped")
    }
}

impl Drop for HeldTurnLock {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let id = std::mem::take(&mut self.conversation_id);
        // A session lock outlives the connection's return to the pool, so it is released
        // first. Without a runtime to do that on, the connection is closed instead, which
        // releases it too.
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if let Err(e) = client.execute(UNLOCK, &[&LOCK_CLASS, &id]).await {
                        tracing::warn!(error = %e, "could not release a turn lock; closing its connection");
                        drop(deadpool_postgres::Object::take(client));
                    }
                });
            }
            Err(_) => drop(deadpool_postgres::Object::take(client)),
        }
    }
}

impl PgStore {
    pub(super) async fn take_turn_lock(
        &self,
        conversation_id: &str,
    ) -> Result<TurnLock, StoreError> {
        // The guard owns the connection before the lock is asked for: if this future is
        // dropped while PostgreSQL makes it wait, the guard's unlock queues behind the lock
        // request on the same connection, so a lock granted after the caller left is released
        // at once instead of staying with a pooled connection.
        let guard = HeldTurnLock {
            client: Some(self.client().await?),
            conversation_id: conversation_id.to_string(),
        };
        if let Some(client) = &guard.client {
            client
                .execute(LOCK, &[&LOCK_CLASS, &conversation_id])
                .await
                .map_err(backend)?;
        }
        Ok(Box::new(guard))
    }

    pub(super) async fn try_take_turn_lock(
        &self,
        conversation_id: &str,
    ) -> Result<Option<TurnLock>, StoreError> {
        // Guard first, as in `take_turn_lock`: dropped mid-query, it releases what was granted.
        let mut guard = HeldTurnLock {
            client: Some(self.client().await?),
            conversation_id: conversation_id.to_string(),
        };
        let granted = match &guard.client {
            Some(client) => client
                .query_one(TRY_LOCK, &[&LOCK_CLASS, &conversation_id])
                .await
                .map_err(backend)?
                .get::<_, bool>(0),
            None => false,
        };
        if !granted {
            // Nothing to release: the connection goes back to the pool as it is.
            drop(guard.client.take());
            return Ok(None);
        }
        Ok(Some(Box::new(guard)))
    }
}
