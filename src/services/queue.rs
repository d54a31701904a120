//! The chat queue and its wait estimates.
//!
//! A chat waits from its creation until an agent picks it up or it ends. The wait a chat
//! should expect is the recent average pick-up time (the last 50 picked-up chats of the
//! chat account, or its configured default while there are none) shared by the agents
//! online: each position ahead costs one such slot. The initial estimate is fixed when the
//! chat enters the queue; the current one counts the slots still ahead plus what is left of
//! the chat's own slot after the time it has already waited.

use serde::Serialize;

use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_session::ChatSession;
use crate::db::models::user::User;
use crate::db::{now_millis, Db, DbConnection};
use crate::error::ApiError;

const PICKUPS_SAMPLED: i64 = 50;

#[derive(Debug, Clone, Copy)]
pub struct WaitModel {
    pub average_pickup_secs: f64,
    pub agents_online: i64,
}

impl WaitModel {
    pub fn load(conn: &mut DbConnection, account: &ChatAccount) -> Result<WaitModel, ApiError> {
        let waits = ChatSession::recent_pickup_waits(conn, account.id, PICKUPS_SAMPLED)?;
        let average_pickup_secs = if waits.is_empty() {
            f64::from(account.default_wait_seconds)
        } else {
            waits.iter().sum::<i64>() as f64 / waits.len() as f64 / 1000.0
        };
        Ok(WaitModel {
            average_pickup_secs,
            agents_online: User::count_online(conn, account.tenant_id)?,
        })
    }

    fn slot_secs(&self) -> f64 {
        self.average_pickup_secs / self.agents_online.max(1) as f64
    }

    /// Seconds a chat entering at `position` (1 = next) should expect to wait.
    pub fn initial_estimate(&self, position: i64) -> i32 {
        (self.slot_secs() * position.max(1) as f64).round() as i32
    }

    /// Seconds still to wait at `position`, having waited `waited_secs` already.
    pub fn current_estimate(&self, position: i64, waited_secs: f64) -> i32 {
        let slot = self.slot_secs();
        let ahead = slot * (position.max(1) - 1) as f64;
        (ahead + (slot - waited_secs).max(0.0)).round() as i32
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntry {
    #[serde(rename = "chatSessionID")]
    pub chat_session_id: String,
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    pub chat_server: String,
    /// 1 for the chat waiting longest.
    pub position: i64,
    #[schema(format = DateTime)]
    pub entered_at: String,
    /// Seconds, estimated when the chat entered the queue.
    pub initial_estimated_wait: i32,
    /// Seconds, estimated now.
    pub current_estimated_wait: i32,
}

/// The waiting chats of the tenant's chat account with this token, oldest first.
pub async fn of_account(
    db: &Db,
    tenant_id: i64,
    token: String,
) -> Result<Vec<QueueEntry>, ApiError> {
    db.read(move |conn| {
        let account = ChatAccount::find_by_token(conn, tenant_id, &token)?;
        list(conn, &account, now_millis())
    })
    .await
}

pub fn list(
    conn: &mut DbConnection,
    account: &ChatAccount,
    now: i64,
) -> Result<Vec<QueueEntry>, ApiError> {
    let model = WaitModel::load(conn, account)?;
    let waiting = ChatSession::waiting(conn, account.id)?;
    Ok(waiting
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let position = i as i64 + 1;
            let waited = (now - s.queue_entered_at).max(0) as f64 / 1000.0;
            QueueEntry {
                chat_session_id: s.chat_session_id,
                ticket_id: s.ticket_id,
                chat_server: s.chat_server,
                position,
                entered_at: crate::domain::time::iso(s.queue_entered_at),
                initial_estimated_wait: s.initial_estimated_wait,
                current_estimated_wait: model.current_estimate(position, waited),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_share_the_average_pickup_among_agents_online() {
        let model = WaitModel {
            average_pickup_secs: 120.0,
            agents_online: 2,
        };
        assert_eq!(model.initial_estimate(1), 60);
        assert_eq!(model.initial_estimate(3), 180);
        assert_eq!(model.current_estimate(3, 20.0), 160);
        assert_eq!(model.current_estimate(1, 90.0), 0);
        let nobody = WaitModel {
            average_pickup_secs: 60.0,
            agents_online: 0,
        };
        assert_eq!(nobody.initial_estimate(2), 120);
    }
}
