use diesel::prelude::*;

use crate::db::schema::mails;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// What a mail is: an agent's `reply` on an e-mail ticket, a chat `transcript` to the
/// customer, or a notice to an agent about a `new_chat` or a `missed_chat`.
pub const KIND_REPLY: &str = "reply";
pub const KIND_TRANSCRIPT: &str = "transcript";
pub const KIND_NEW_CHAT: &str = "new_chat";
pub const KIND_MISSED_CHAT: &str = "missed_chat";
pub const KIND_PASSWORD_RESET: &str = "password_reset";
pub const KIND_NEW_EMAIL: &str = "new_email";
/// To a customer whose chat nobody answered: the team answers by e-mail.
pub const KIND_OFFLINE_NOTICE: &str = "offline_notice";

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mails)]
pub struct NewMail<'a> {
    pub tenant_id: i64,
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
    pub kind: &'a str,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub message_id_header: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub state: &'a str,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mails)]
pub struct Mail {
    pub id: i64,
    pub tenant_id: i64,
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id_header: String,
    pub in_reply_to: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub created_at: i64,
}

impl Mail {
    /// How many mails are in each state (read off the `(state, next_attempt_at)` index).
    pub fn count_by_state(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, ApiError> {
        use diesel::dsl::count_star;
        Ok(on_backend!(conn, |c| mails::table
            .group_by(mails::state)
            .select((mails::state, count_star()))
            .load(c))?)
    }

    pub fn create(conn: &mut DbConnection, new: &NewMail<'_>) -> Result<i64, ApiError> {
        Ok(on_backend!(conn, |c| diesel::insert_into(mails::table)
            .values(new)
            .returning(mails::id)
            .get_result(c))?)
    }

    /// Leases up to `limit` due mails to `owner` until `lease_until`: a conditional update,
    /// so of several instances only one ever holds a row.
    pub fn claim(
        conn: &mut DbConnection,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<Mail>, ApiError> {
        let free = mails::lease_until.is_null().or(mails::lease_until.lt(now));
        let due: Vec<i64> = on_backend!(conn, |c| mails::table
            .filter(mails::state.eq(QUEUED))
            .filter(mails::next_attempt_at.le(now))
            .filter(free)
            .order((mails::next_attempt_at, mails::id))
            .limit(limit)
            .select(mails::id)
            .load(c))?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        on_backend!(conn, |c| diesel::update(
            mails::table
                .filter(mails::id.eq_any(&due))
                .filter(mails::state.eq(QUEUED))
                .filter(free)
        )
        .set((
            mails::lease_owner.eq(owner),
            mails::lease_until.eq(lease_until),
        ))
        .execute(c))?;
        Ok(on_backend!(conn, |c| mails::table
            .filter(mails::lease_owner.eq(owner))
            .filter(mails::state.eq(QUEUED))
            .order(mails::id)
            .select(Mail::as_select())
            .load(c))?)
    }

    /// Extends `owner`'s lease on the mail until `until`; `false` when the lease is no longer
    /// `owner`'s (it ran out and another instance took the mail): then it must not be sent.
    pub fn renew_lease(
        conn: &mut DbConnection,
        id: i64,
        owner: &str,
        until: i64,
    ) -> Result<bool, ApiError> {
        let changed = on_backend!(conn, |c| diesel::update(
            mails::table
                .filter(mails::id.eq(id))
                .filter(mails::lease_owner.eq(owner))
                .filter(mails::state.eq(QUEUED))
        )
        .set(mails::lease_until.eq(until))
        .execute(c))?;
        Ok(changed == 1)
    }

    /// The outcome of an attempt, if the lease is still `owner`'s.
    #[allow(clippy::too_many_arguments)]
    pub fn record_attempt(
        conn: &mut DbConnection,
        id: i64,
        owner: &str,
        state: &str,
        attempts: i32,
        next_attempt_at: i64,
        last_error: Option<&str>,
        sent_at: Option<i64>,
    ) -> Result<bool, ApiError> {
        let changed = on_backend!(conn, |c| diesel::update(
            mails::table
                .filter(mails::id.eq(id))
                .filter(mails::lease_owner.eq(owner))
        )
        .set((
            mails::state.eq(state),
            mails::attempts.eq(attempts),
            mails::next_attempt_at.eq(next_attempt_at),
            mails::last_error.eq(last_error),
            mails::sent_at.eq(sent_at),
            mails::lease_owner.eq(None::<String>),
            mails::lease_until.eq(None::<i64>),
        ))
        .execute(c))?;
        Ok(changed == 1)
    }

    /// Forgets what a sent or failed mail said (a one-time link, say).
    pub fn erase_bodies(conn: &mut DbConnection, id: i64) -> Result<(), ApiError> {
        let erased = "(erased once sent)";
        on_backend!(conn, |c| diesel::update(mails::table.find(id))
            .set((mails::text_body.eq(erased), mails::html_body.eq(erased)))
            .execute(c))?;
        Ok(())
    }

    pub fn of_ticket(conn: &mut DbConnection, ticket_id: i64) -> Result<Vec<Mail>, ApiError> {
        Ok(on_backend!(conn, |c| mails::table
            .filter(mails::ticket_id.eq(Some(ticket_id)))
            .order(mails::id)
            .select(Mail::as_select())
            .load(c))?)
    }

    /// The `Message-ID` of the ticket's latest mail to `to`, for `In-Reply-To`.
    pub fn last_header_to(
        conn: &mut DbConnection,
        ticket_id: i64,
        to: &str,
    ) -> Result<Option<String>, ApiError> {
        Ok(on_backend!(conn, |c| mails::table
            .filter(mails::ticket_id.eq(Some(ticket_id)))
            .filter(mails::to_address.eq(to))
            .order(mails::id.desc())
            .select(mails::message_id_header)
            .first(c)
            .optional())?)
    }

    /// Whether a mail of this kind went (or is queued) to this address since then.
    pub fn sent_to_since(
        conn: &mut DbConnection,
        tenant_id: i64,
        kind: &str,
        to: &str,
        since: i64,
    ) -> Result<bool, ApiError> {
        let found: Option<i64> = on_backend!(conn, |c| mails::table
            .filter(mails::tenant_id.eq(tenant_id))
            .filter(mails::to_address.eq(to))
            .filter(mails::created_at.gt(since))
            .filter(mails::kind.eq(kind))
            .select(mails::id)
            .first(c)
            .optional())?;
        Ok(found.is_some())
    }

    /// The ticket of the tenant's mail whose `Message-ID` has this key (the part before `@`).
    pub fn ticket_of_key(
        conn: &mut DbConnection,
        tenant_id: i64,
        key: &str,
    ) -> Result<Option<i64>, ApiError> {
        let found: Option<Option<i64>> = on_backend!(conn, |c| mails::table
            .filter(mails::message_id_header.eq(key))
            .filter(mails::tenant_id.eq(tenant_id))
            .select(mails::ticket_id)
            .first(c)
            .optional())?;
        Ok(found.flatten())
    }

    /// The tenant's mail whose `Message-ID` has this key.
    pub fn find_by_key(
        conn: &mut DbConnection,
        tenant_id: i64,
        key: &str,
    ) -> Result<Option<Mail>, ApiError> {
        Ok(on_backend!(conn, |c| mails::table
            .filter(mails::message_id_header.eq(key))
            .filter(mails::tenant_id.eq(tenant_id))
            .select(Mail::as_select())
            .first(c)
            .optional())?)
    }

    /// The tenant of the first of these keys that names a mail (they are unique over every
    /// tenant).
    pub fn tenant_of_keys(conn: &mut DbConnection, keys: &[&str]) -> Result<Option<i64>, ApiError> {
        if keys.is_empty() {
            return Ok(None);
        }
        let found: Vec<(String, i64)> = on_backend!(conn, |c| mails::table
            .filter(mails::message_id_header.eq_any(keys))
            .select((mails::message_id_header, mails::tenant_id))
            .load(c))?;
        Ok(keys
            .iter()
            .find_map(|k| found.iter().find(|(key, _)| key == k).map(|(_, t)| *t)))
    }

    /// A delivery status notification said this mail bounced: it is `failed`, with the
    /// report's reason, whatever the server had answered when it was sent (a mail can bounce
    /// after the server took it). A mail `failed` already stays as it was (`None`).
    pub fn bounced(
        conn: &mut DbConnection,
        id: i64,
        reason: &str,
    ) -> Result<Option<Mail>, ApiError> {
        let target = mails::table
            .filter(mails::id.eq(id))
            .filter(mails::state.ne(FAILED));
        let updated: Option<Mail> = on_backend!(conn, |c| diesel::update(target)
            .set((
                mails::state.eq(FAILED),
                mails::last_error.eq(reason),
                mails::lease_owner.eq(None::<String>),
                mails::lease_until.eq(None::<i64>),
            ))
            .returning(Mail::as_returning())
            .get_result(c)
            .optional())?;
        Ok(updated)
    }

    /// Mails about these tickets: queued ones are cancelled (`why`), and none keeps an
    /// address or a text.
    pub fn purge_of_tickets(
        conn: &mut DbConnection,
        ticket_ids: &[i64],
        erased: &str,
        why: &str,
    ) -> Result<(), ApiError> {
        let of_tickets = || mails::ticket_id.eq_any(ticket_ids.iter().copied().map(Some));
        on_backend!(conn, |c| diesel::update(
            mails::table
                .filter(of_tickets())
                .filter(mails::state.eq(QUEUED))
        )
        // The lease goes too: a worker sending one now cannot record it queued again.
        .set((
            mails::state.eq(FAILED),
            mails::last_error.eq(why),
            mails::lease_owner.eq(None::<String>),
            mails::lease_until.eq(None::<i64>),
        ))
        .execute(c))?;
        on_backend!(conn, |c| diesel::update(mails::table.filter(of_tickets()))
            .set((
                mails::to_address.eq(erased),
                mails::subject.eq(erased),
                mails::text_body.eq(erased),
                mails::html_body.eq(erased),
            ))
            .execute(c))?;
        Ok(())
    }
}
