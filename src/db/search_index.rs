//! SQLite's full-text index (`search_index`, FTS5), filled in batches.
//!
//! A trigger on every insert made each stored message tokenize its text and, because every
//! write runs in its own savepoint, made FTS5 flush its pending terms to disk as a segment of
//! one row: about half of what a message cost. Instead the writer calls [`catch_up`] after a
//! batch (see `group_commit::Chore`), which indexes every row written since the last call in
//! one statement per source. How far each source is indexed lives in `search_progress`,
//! committed in the same transaction as the index rows it covers: after a crash, the next
//! call goes on from what was committed. Updates of rows already indexed are still followed
//! by triggers; rows past the mark are read as they are when their turn comes.
//!
//! Postgres needs none of this: its search columns are generated with their rows.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::error::ApiError;

/// Most rows of each source one call indexes, so that a backlog (a restore, a seeded
/// database) never holds the writer for long: the writer calls again at once while more wait.
pub const CHUNK: i64 = 5_000;

/// One kind of row the index holds.
struct Source {
    /// Its mark in `search_progress`.
    mark: &'static str,
    table: &'static str,
    /// The index row of each `{table}` row: its rowid (id * 4 + the kind's number: 0 a
    /// message, 1 a ticket's title, 2 a customer) and its text. The index keeps no copy of the
    /// text (FTS5 `content=''`): a search reads a row's kind and id from its rowid.
    rows: &'static str,
}

const SOURCES: [Source; 3] = [
    Source {
        mark: "message_id",
        table: "messages",
        rows: "SELECT id * 4, body FROM messages",
    },
    Source {
        mark: "ticket_id",
        table: "tickets",
        rows: "SELECT id * 4 + 1, title FROM tickets",
    },
    Source {
        mark: "customer_id",
        table: "customers",
        rows: "SELECT id * 4 + 2, coalesce(name, '') || ' ' || coalesce(email, '') || ' ' \
               || coalesce(phone, '') FROM customers",
    },
];

#[derive(QueryableByName)]
struct Mark {
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    id: Option<i64>,
}

/// Indexes up to `limit` rows of each source written since the last call, and moves the
/// marks; true if more wait. Run it inside a write transaction. On Postgres: nothing to do.
pub fn catch_up(conn: &mut DbConnection, limit: i64) -> Result<bool, ApiError> {
    let DbConnection::Sqlite(c) = conn else {
        return Ok(false);
    };
    let mut more = false;
    for source in &SOURCES {
        let mark = diesel::sql_query(format!("SELECT {} AS id FROM search_progress", source.mark))
            .get_result::<Mark>(c)?
            .id
            .unwrap_or(0);
        // Ids only grow (one writer, AUTOINCREMENT): what is past the mark is new.
        let upto = diesel::sql_query(format!(
            "SELECT max(id) AS id FROM (SELECT id FROM {} WHERE id > ?1 ORDER BY id LIMIT ?2)",
            source.table
        ))
        .bind::<BigInt, _>(mark)
        .bind::<BigInt, _>(limit)
        .get_result::<Mark>(c)?
        .id;
        let Some(upto) = upto else { continue };
        let indexed = diesel::sql_query(format!(
            "INSERT INTO search_index (rowid, body) {} WHERE id > ?1 AND id <= ?2",
            source.rows
        ))
        .bind::<BigInt, _>(mark)
        .bind::<BigInt, _>(upto)
        .execute(c)?;
        diesel::sql_query(format!("UPDATE search_progress SET {} = ?1", source.mark))
            .bind::<BigInt, _>(upto)
            .execute(c)?;
        more |= indexed as i64 >= limit;
    }
    Ok(more)
}

/// Indexes everything written so far, a chunk per transaction (for commands that wrote
/// without the server's writer, such as `omnibridge seed`).
pub fn catch_up_fully(db: &crate::db::Db) -> Result<(), ApiError> {
    while db.write_blocking(|conn| catch_up(conn, CHUNK))? {}
    Ok(())
}
