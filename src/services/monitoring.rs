//! What `/metrics` reads from the database at each scrape: the outboxes by state and the
//! chats waiting per chat account. Each is one grouped count over an index.

use crate::db::models::chat_session::ChatSession;
use crate::db::models::delivery::Delivery;
use crate::db::models::mail::Mail;
use crate::db::Db;
use crate::error::ApiError;

pub struct Counts {
    /// (state, how many) of the calls to chat servers.
    pub deliveries: Vec<(String, i64)>,
    /// (state, how many) of the mails.
    pub mails: Vec<(String, i64)>,
    /// (chat account, chats waiting).
    pub waiting: Vec<(i64, i64)>,
}

pub async fn counts(db: &Db) -> Result<Counts, ApiError> {
    db.read(|conn| {
        Ok(Counts {
            deliveries: Delivery::count_by_state(conn)?,
            mails: Mail::count_by_state(conn)?,
            waiting: ChatSession::waiting_by_account(conn)?,
        })
    })
    .await
}
