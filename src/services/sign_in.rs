//! Agents' passwords and console sessions: signing in (with its limits), the session a
//! browser's cookie names, signing out, and what ends every session of an agent (a new
//! password, the agent's removal).
//!
//! A password is hashed with argon2id, at sign-in and when it is set, never per request: a
//! session is a random token, and only its SHA-256 is stored (as API keys are).

use std::net::IpAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::config::ConsoleSettings;
use crate::db::models::console_session::ConsoleSession;
use crate::db::models::mail::KIND_PASSWORD_RESET;
use crate::db::models::password_reset::PasswordReset;
use crate::db::models::sign_in_failure::SignInFailure;
use crate::db::models::user::User;
use crate::db::{now_millis, Db, DbConnection};
use crate::domain::access::address_scope;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::services::keys::{hash, random_token};
use crate::services::mail::{self, Outgoing};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// The longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// A session's token: 43 random letters and digits (256 bits).
const TOKEN_CHARS: usize = 43;
/// A session's `last_seen_at` is written at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A signed-in agent, as the console sees them.
#[derive(Debug, Clone)]
pub struct SignedInAgent {
    pub session_id: i64,
    pub user: User,
    pub permissions: Vec<Permission>,
}

/// A password as it is kept: its argon2id hash. Refuses one too short or too long. Costs
/// tens of milliseconds of CPU (seconds in a debug build): see [`hash_password`] off the
/// async workers.
pub fn hash_password_now(password: &str) -> Result<String, ApiError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(ApiError::invalid(
            "password",
            "length",
            format!("{MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let salt = SaltString::encode_b64(random_token(16).as_bytes())
        .map_err(|e| ApiError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

/// [`hash_password_now`], on the blocking pool, one of the few at once.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    hashing(move || hash_password_now(&password)).await?
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The one place a password changes (in the caller's transaction): the new hash is stored,
/// and every session and every "forgot password" link of the agent ends.
pub fn replace_password(
    conn: &mut DbConnection,
    tenant_id: i64,
    user_id: i64,
    hashed: &str,
) -> Result<(), ApiError> {
    let user = User::find(conn, tenant_id, user_id)?;
    user.set_password_hash(conn, hashed)?;
    ConsoleSession::delete_of_user(conn, user.id)?;
    PasswordReset::delete_of_user(conn, user.id)
}

/// What a sign-in gives the browser: the token for its cookie.
pub struct NewSession {
    pub token: String,
}

fn scopes(email: &str, address: Option<IpAddr>) -> (String, Option<String>) {
    (
        format!("account:{email}"),
        address.map(|ip| format!("address:{}", address_scope(ip))),
    )
}

/// Password checks running at once, at most: each holds ~19 MiB and a core for tens of
/// milliseconds, so a flood of sign-ins must queue, not exhaust the machine.
static HASHING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Arc::new(Semaphore::new(cores))
});
/// How long a password check waits for its turn before the answer is `503`.
const HASHING_WAIT: Duration = Duration::from_secs(10);

/// Runs an argon2 computation on the blocking pool, when a permit is free.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let permit = tokio::time::timeout(HASHING_WAIT, HASHING.clone().acquire_owned())
        .await
        .map_err(|_| ApiError::Busy("too many sign-ins at once; try again in a moment".into()))?
        .map_err(|e| ApiError::Internal(format!("hashing: {e}")))?;
    // The permit goes with the work: a client that leaves does not free it early.
    tokio::task::spawn_blocking(move || {
        let done = work();
        drop(permit);
        done
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hashing: {e}")))
}

/// Signs an agent in with their e-mail and password. Refused the same way whether the e-mail
/// exists or not (`401`), and `429` with the seconds to wait once an account or an address
/// has had too many wrong passwords lately. Each attempt is counted before its password is
/// checked (so attempts sent at once cannot pass the limit together) and forgotten when it
/// succeeds. An e-mail that several tenants' agents share signs in whichever of them has
/// this password. `replaces`: the token of a session the browser had, which ends.
pub async fn sign_in(
    db: &Db,
    settings: &ConsoleSettings,
    email: &str,
    password: String,
    address: Option<IpAddr>,
    replaces: Option<String>,
) -> Result<NewSession, ApiError> {
    let email = email.trim().to_lowercase();
    if email.len() > MAX_EMAIL_CHARS || password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::WrongCredentials);
    }
    let window_ms = settings.sign_in_window_seconds as i64 * 1000;
    let limits = [
        settings.sign_in_attempts_per_account,
        settings.sign_in_attempts_per_address,
    ];
    let (account, address) = scopes(&email, address);
    let (charged, candidates) = {
        let (account, address, email) = (account.clone(), address.clone(), email.clone());
        db.write(move |conn| {
            let now = now_millis();
            let scopes = [Some(&account), address.as_ref()];
            // Always the account first, then the address: no two attempts wait on each other.
            for scope in scopes.into_iter().flatten() {
                SignInFailure::lock(conn, scope)?;
            }
            for (scope, limit) in scopes.into_iter().zip(limits) {
                let Some(scope) = scope else { continue };
                let (failures, oldest) = SignInFailure::since(conn, scope, now - window_ms)?;
                if failures >= limit {
                    let until = oldest.unwrap_or(now) + window_ms;
                    let seconds = ((until - now).max(0) + 999) / 1000;
                    return Err(ApiError::TooManyRequests(seconds.max(1) as u64));
                }
            }
            let mut charged = Vec::new();
            for scope in scopes.into_iter().flatten() {
                charged.push(SignInFailure::record(conn, scope, now, now - window_ms)?);
            }
            Ok((charged, User::who_sign_in_as(conn, &email)?))
        })
        .await?
    };
    let matched = hashing(move || {
        if candidates.is_empty() {
            // As long as a real check, so that the answer's time tells nothing.
            password_matches(&password, DUMMY_HASH);
            return None;
        }
        candidates.into_iter().find(|user| {
            user.password_hash
                .as_deref()
                .is_some_and(|stored| password_matches(&password, stored))
        })
    })
    .await?;
    // A wrong password stays counted.
    let Some(user) = matched else {
        return Err(ApiError::WrongCredentials);
    };
    let token = random_token(TOKEN_CHARS);
    let token_hash = hash(&token);
    let replaced = replaces.map(|old| hash(&old));
    let created = db
        .write(move |conn| {
            // The password may have changed while it was checked: only the one checked counts.
            let now_user = User::find(conn, user.tenant_id, user.id)?;
            if now_user.password_hash != user.password_hash {
                return Ok(false);
            }
            SignInFailure::clear(conn, &account)?;
            SignInFailure::delete(conn, &charged)?;
            if let Some(old) = &replaced {
                if let Some((session, _)) = ConsoleSession::find_by_hash(conn, old)? {
                    session.delete(conn)?;
                }
            }
            ConsoleSession::create(conn, &now_user, &token_hash, now_millis())?;
            Ok(true)
        })
        .await?;
    match created {
        true => Ok(NewSession { token }),
        false => Err(ApiError::WrongCredentials),
    }
}

/// argon2id of a password nobody has, with the default parameters: checked when the e-mail
/// matches no agent.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$mFbGnwPFzpXwRNn5XkGJTq1Sz2I7ljTA5bt7tlA/7qc";

/// The agent signed in with this token, if its session is still live (used within
/// `session_idle_minutes`, begun within `session_max_hours`). An ended session is deleted.
/// `used`: the agent is using it now (a page they opened, a change they made), which keeps
/// it from going idle; a page's own background reads and its event stream do not.
pub async fn session(
    db: &Db,
    settings: &ConsoleSettings,
    token: &str,
    used: bool,
) -> Result<Option<SignedInAgent>, ApiError> {
    if token.len() != TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let token_hash = hash(token);
    let idle_ms = settings.session_idle_minutes as i64 * 60_000;
    let max_ms = settings.session_max_hours as i64 * 3_600_000;
    let found = {
        let token_hash = token_hash.clone();
        db.read(move |conn| ConsoleSession::find_by_hash(conn, &token_hash))
            .await?
    };
    let Some((session, user)) = found else {
        return Ok(None);
    };
    // The index found it by the hash; compare it again in constant time all the same.
    if !bool::from(session.token_hash.as_bytes().ct_eq(token_hash.as_bytes())) {
        return Ok(None);
    }
    let now = now_millis();
    let expired = now - session.last_seen_at > idle_ms || now - session.created_at > max_ms;
    if expired || user.password_hash.is_none() {
        db.write(move |conn| session.delete(conn)).await?;
        return Ok(None);
    }
    if used && now - session.last_seen_at > TOUCH_EVERY_MS {
        let touched = session.clone();
        db.write(move |conn| touched.touch(conn, now)).await?;
    }
    Ok(Some(SignedInAgent {
        session_id: session.id,
        permissions: Permission::parse_list(&user.permissions),
        user,
    }))
}

/// How long a "forgot password" link works.
pub const RESET_LINK_MINUTES: i64 = 60;
/// Links mailed to one agent within an hour, at most.
const RESETS_PER_HOUR: i64 = 3;

/// "Forgot password": mails every agent with this e-mail a one-time link to
/// `{base}/reset?token=...` through the mail outbox. Says nothing of whether the e-mail
/// exists; counted against the address like a wrong password (so it cannot be used to mail
/// someone without end), and at most three links an hour go to one agent.
pub async fn request_reset(
    db: &Db,
    settings: &ConsoleSettings,
    base: &str,
    email: &str,
    address: Option<IpAddr>,
) -> Result<(), ApiError> {
    let email = email.trim().to_lowercase();
    let window_ms = settings.sign_in_window_seconds as i64 * 1000;
    let limit = settings.sign_in_attempts_per_address;
    let scope = address.map(|ip| format!("reset:{}", address_scope(ip)));
    let base = base.trim_end_matches('/').to_owned();
    db.write(move |conn| {
        let now = now_millis();
        if let Some(scope) = &scope {
            SignInFailure::lock(conn, scope)?;
            let (asked, oldest) = SignInFailure::since(conn, scope, now - window_ms)?;
            if asked >= limit {
                let until = oldest.unwrap_or(now) + window_ms;
                return Err(ApiError::TooManyRequests(
                    (((until - now).max(0) + 999) / 1000).max(1) as u64,
                ));
            }
            SignInFailure::record(conn, scope, now, now - window_ms)?;
        }
        // Only agents who can sign in: a mailbox does not open the console to one who never
        // had a password.
        for user in User::who_sign_in_as(conn, &email)? {
            if PasswordReset::count_since(conn, user.id, now - 3_600_000)? >= RESETS_PER_HOUR {
                continue;
            }
            let token = random_token(TOKEN_CHARS);
            let expires = now + RESET_LINK_MINUTES * 60_000;
            PasswordReset::create(conn, &user, &hash(&token), now, expires)?;
            let link = format!("{base}/reset?token={token}");
            let text = format!(
                "Hello {},\n\nsomeone (you, we hope) asked to set a new password for the \
                 omnibridge console. Open this link within {RESET_LINK_MINUTES} minutes to \
                 choose one; it works once:\n\n{link}\n\nIf it was not you, ignore this \
                 mail: your password stays as it is.\n",
                user.name
            );
            mail::queue(
                conn,
                user.tenant_id,
                &Outgoing {
                    kind: KIND_PASSWORD_RESET,
                    ticket_id: None,
                    message_id: None,
                    to: &user.email,
                    subject: "Your omnibridge password",
                    html: &mail::html_of(&text),
                    text: &text,
                    in_reply_to: None,
                },
                now,
            )?;
        }
        Ok(())
    })
    .await
}

/// The agent a live "forgot password" link is for (`None`: unknown, used or expired).
pub async fn reset_link_user(db: &Db, token: &str) -> Result<Option<User>, ApiError> {
    if token.len() != TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let token_hash = hash(token);
    db.read(move |conn| PasswordReset::user_of(conn, &token_hash, now_millis()))
        .await
}

/// Sets a new password through a "forgot password" link, which then works no more (nor does
/// any other of the agent's); every session of the agent ends. `false`: the link is
/// unknown, used or expired.
pub async fn reset_password(db: &Db, token: &str, password: String) -> Result<bool, ApiError> {
    if reset_link_user(db, token).await?.is_none() {
        return Ok(false);
    }
    let hashed = hash_password(password).await?;
    let token_hash = hash(token);
    db.write(move |conn| {
        // Used up in this write: a link used meanwhile is used.
        let Some((tenant_id, user_id)) = PasswordReset::consume(conn, &token_hash, now_millis())?
        else {
            return Ok(false);
        };
        replace_password(conn, tenant_id, user_id, &hashed)?;
        // The mailbox proved who it is: wrong passwords of before no longer lock it out.
        let user = User::find(conn, tenant_id, user_id)?;
        SignInFailure::clear(conn, &scopes(&user.email, None).0)?;
        Ok(true)
    })
    .await
}

/// Ends the session with this token (nothing happens if there is none).
pub async fn sign_out(db: &Db, token: &str) -> Result<(), ApiError> {
    let token_hash = hash(token);
    db.write(move |conn| {
        if let Some((session, _)) = ConsoleSession::find_by_hash(conn, &token_hash)? {
            session.delete(conn)?;
        }
        Ok(())
    })
    .await
}

/// The CSRF token of the session with this token: every form and every script call that
/// changes something carries it. Derived from the session's secret, so nothing more is
/// stored, and a page of another site can neither read nor make it.
pub fn csrf_token(session_token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(session_token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"omnibridge console csrf");
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `presented` is the CSRF token of the session with this token (constant time).
pub fn csrf_matches(session_token: &str, presented: &str) -> bool {
    csrf_token(session_token)
        .as_bytes()
        .ct_eq(presented.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash_of_no_usual_password() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("a PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(!password_matches("password", DUMMY_HASH));
    }

    #[test]
    fn a_csrf_token_belongs_to_its_session_alone() {
        let (a, b) = (random_token(TOKEN_CHARS), random_token(TOKEN_CHARS));
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&b, &csrf_token(&a)));
        assert!(!csrf_matches(&a, ""));
    }
}
