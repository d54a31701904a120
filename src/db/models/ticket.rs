use diesel::prelude::*;

use crate::db::schema::{agent_group_members, chat_sessions, customers, tickets};
use crate::db::statement::{column, last_inserted, Bind};
use crate::db::DbConnection;
use crate::domain::search;
use crate::domain::view::{Direction, Filter, Sort, SortField, TimeField, Who};
use crate::error::ApiError;
use crate::on_backend;
use crate::statement;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = tickets)]
pub struct NewTicket<'a> {
    pub tenant_id: i64,
    pub customer_id: i64,
    pub title: &'a str,
    pub status: &'a str,
    pub priority: &'a str,
    pub channel_id: i32,
    pub direction: &'a str,
    pub source_url: &'a str,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_update_customer: Option<i64>,
    /// The chat session's state for a chat ticket (see `ChatSession`), else `None`.
    pub chat_state: Option<&'a str>,
}

/// How many tickets a list has: exact, or (when counting stopped at the count limit) at least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub exact: bool,
}

impl Total {
    pub fn exact(count: i64) -> Total {
        Total { count, exact: true }
    }

    pub fn at_least(count: i64) -> Total {
        Total {
            count,
            exact: false,
        }
    }
}

/// A ticket: a chat session's, or one an agent opened.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct Ticket {
    pub id: i64,
    pub tenant_id: i64,
    pub customer_id: i64,
    pub title: String,
    pub status: String,
    pub priority: String,
    pub channel_id: i32,
    pub direction: String,
    pub assigned_user_id: Option<i64>,
    pub source_url: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_update_customer: Option<i64>,
    pub last_update_agent: Option<i64>,
    pub closed_at: Option<i64>,
    pub assigned_group_id: Option<i64>,
}

/// A search matching at most this many tickets is looked up before the page is read.
const SEARCH_CANDIDATES: i64 = 10_000;

impl Ticket {
    pub fn create(conn: &mut DbConnection, new: &NewTicket<'_>) -> Result<i64, ApiError> {
        let c = match conn {
            DbConnection::Pg(c) => {
                return Ok(diesel::insert_into(tickets::table)
                    .values(new)
                    .returning(tickets::id)
                    .get_result(c)?)
            }
            DbConnection::Sqlite(c) => c,
        };
        // SQLite: not the DSL's insert, which it prepares anew on every run (optional
        // columns), nor RETURNING, answered from a temporary table made for each run.
        statement!(
            "INSERT INTO tickets (tenant_id, customer_id, title, status, priority, channel_id, \
             direction, source_url, created_at, updated_at, last_update_customer, chat_state) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        .bind(Bind::BigInt(new.tenant_id))
        .bind(Bind::BigInt(new.customer_id))
        .bind(Bind::Text(new.title))
        .bind(Bind::Text(new.status))
        .bind(Bind::Text(new.priority))
        .bind(Bind::Integer(new.channel_id))
        .bind(Bind::Text(new.direction))
        .bind(Bind::Text(new.source_url))
        .bind(Bind::BigInt(new.created_at))
        .bind(Bind::BigInt(new.updated_at))
        .bind(Bind::NullableBigInt(new.last_update_customer))
        .bind(Bind::NullableText(new.chat_state))
        .execute(c)?;
        Ok(last_inserted(c)?)
    }

    /// Inserts these tickets in one statement (Postgres); their ids, in the order given.
    pub fn create_many(
        conn: &mut DbConnection,
        new: &[NewTicket<'_>],
    ) -> Result<Vec<i64>, ApiError> {
        let DbConnection::Pg(c) = conn else {
            return Err(ApiError::Internal(
                "multi-row ticket inserts are for Postgres".into(),
            ));
        };
        use diesel::sql_types::BigInt;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        // One array a column: the same statement whatever the number of rows.
        let ids: Vec<Id> = statement!(
            "INSERT INTO tickets (tenant_id, customer_id, title, status, priority, channel_id, \
             direction, source_url, created_at, updated_at, last_update_customer, chat_state) \
             SELECT * FROM unnest(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             RETURNING id",
        )
        .bind(Bind::BigInts(column(new, |t| t.tenant_id)))
        .bind(Bind::BigInts(column(new, |t| t.customer_id)))
        .bind(Bind::Texts(column(new, |t| t.title)))
        .bind(Bind::Texts(column(new, |t| t.status)))
        .bind(Bind::Texts(column(new, |t| t.priority)))
        .bind(Bind::Integers(column(new, |t| t.channel_id)))
        .bind(Bind::Texts(column(new, |t| t.direction)))
        .bind(Bind::Texts(column(new, |t| t.source_url)))
        .bind(Bind::BigInts(column(new, |t| t.created_at)))
        .bind(Bind::BigInts(column(new, |t| t.updated_at)))
        .bind(Bind::NullableBigInts(column(new, |t| {
            t.last_update_customer
        })))
        .bind(Bind::NullableTexts(column(new, |t| t.chat_state)))
        .load(c)?;
        let mut ids: Vec<i64> = ids.into_iter().map(|row| row.id).collect();
        // Ids are drawn in the order of the rows.
        ids.sort_unstable();
        Ok(ids)
    }

    /// Marks the ticket updated by its customer (sorts it to the top of agents' lists).
    pub fn touch_by_customer(conn: &mut DbConnection, id: i64, at: i64) -> Result<(), ApiError> {
        // Not the DSL's update: diesel prepares every one anew.
        let touch =
            statement!("UPDATE tickets SET updated_at = ?, last_update_customer = ? WHERE id = ?",)
                .bind(Bind::BigInt(at))
                .bind(Bind::BigInt(at))
                .bind(Bind::BigInt(id));
        on_backend!(conn, |c| touch.execute(c))?;
        Ok(())
    }

    /// Marks these tickets updated by their customers (ids in ascending order, so that
    /// concurrent transactions lock them in the same order).
    pub fn touch_many_by_customer(
        conn: &mut DbConnection,
        ids: &[i64],
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(
            tickets::table.filter(tickets::id.eq_any(ids))
        )
        .set((
            tickets::updated_at.eq(at),
            tickets::last_update_customer.eq(at),
        ))
        .execute(c))?;
        Ok(())
    }

    /// Keeps the ticket's copy of its chat session's state in step (views filter on it).
    pub fn set_chat_state(conn: &mut DbConnection, id: i64, state: &str) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set(tickets::chat_state.eq(state))
            .execute(c))?;
        Ok(())
    }

    /// Marks the ticket updated by an agent.
    pub fn touch_by_agent(conn: &mut DbConnection, id: i64, at: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at)
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn customer_id(conn: &mut DbConnection, id: i64) -> Result<i64, ApiError> {
        Ok(tickets::table
            .find(id)
            .select(tickets::customer_id)
            .first(conn)?)
    }

    /// A live (not deleted) ticket of the tenant.
    pub fn find(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<Ticket, ApiError> {
        on_backend!(conn, |c| tickets::table
            .filter(tickets::id.eq(id))
            .filter(tickets::tenant_id.eq(tenant_id))
            .filter(tickets::deleted_at.is_null())
            .select(Ticket::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no ticket {id}")))
    }

    /// The tickets (of any tenant) whose title, messages or customer match every term: the
    /// newest `SEARCH_CANDIDATES` of each kind of match, and whether there were more (then a
    /// list's total is a lower bound).
    fn matching(conn: &mut DbConnection, terms: &[String]) -> Result<(Vec<i64>, bool), ApiError> {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        let (parts, query) = match conn {
            DbConnection::Pg(_) => (
                [
                    "SELECT ticket_id AS id FROM messages WHERE search @@ to_tsquery('simple', $1) \
                     ORDER BY id DESC LIMIT $2",
                    "SELECT id FROM tickets WHERE search @@ to_tsquery('simple', $1) \
                     ORDER BY id DESC LIMIT $2",
                    "SELECT id FROM tickets WHERE customer_id IN (SELECT id FROM customers \
                     WHERE search @@ to_tsquery('simple', $1)) ORDER BY id DESC LIMIT $2",
                ],
                search::tsquery(terms),
            ),
            DbConnection::Sqlite(_) => (
                [
                    // A row's rowid is its source's id * 4 + its kind (0 message, 1 title,
                    // 2 customer): the index keeps nothing else (src/db/search_index.rs).
                    "SELECT m.ticket_id AS id FROM search_index s JOIN messages m \
                     ON m.id = s.rowid / 4 WHERE search_index MATCH ?1 AND s.rowid % 4 = 0 \
                     ORDER BY s.rowid DESC LIMIT ?2",
                    "SELECT rowid / 4 AS id FROM search_index WHERE search_index MATCH ?1 \
                     AND rowid % 4 = 1 ORDER BY rowid DESC LIMIT ?2",
                    "SELECT id FROM tickets WHERE customer_id IN (SELECT rowid / 4 FROM \
                     search_index WHERE search_index MATCH ?1 AND rowid % 4 = 2) \
                     ORDER BY id DESC LIMIT ?2",
                ],
                search::fts5_query(terms),
            ),
        };
        let (mut ids, mut capped) = (Vec::new(), false);
        for sql in parts {
            let found: Vec<Id> = on_backend!(conn, |c| diesel::sql_query(sql)
                .bind::<diesel::sql_types::Text, _>(&query)
                .bind::<diesel::sql_types::BigInt, _>(SEARCH_CANDIDATES + 1)
                .load(c))?;
            capped |= found.len() as i64 > SEARCH_CANDIDATES;
            ids.extend(
                found
                    .into_iter()
                    .take(SEARCH_CANDIDATES as usize)
                    .map(|r| r.id),
            );
        }
        ids.sort_unstable();
        ids.dedup();
        Ok((ids, capped))
    }

    /// One page of the tenant's live tickets that pass every filter, in the given order, and
    /// how many pass: exactly up to `count_limit` past the page, a lower bound beyond that (0
    /// counts every time). `Who::Me` must have been resolved to a user before. A `limit` of 0
    /// only counts.
    #[allow(clippy::too_many_arguments)]
    pub fn list(
        conn: &mut DbConnection,
        tenant_id: i64,
        filters: &[Filter],
        sort: Sort,
        now: i64,
        start: i64,
        limit: i64,
        count_limit: i64,
    ) -> Result<(Vec<Ticket>, Total), ApiError> {
        use crate::db::schema::ticket_tags;
        use diesel::dsl::{exists, not};
        // A search is looked up first, in the full-text index (its newest matches), and the
        // page is read among those: never a walk of the sort index probing each ticket.
        let mut resolved = Vec::with_capacity(filters.len());
        let mut capped = false;
        for filter in filters {
            resolved.push(match filter {
                Filter::Text { terms } => {
                    let (ids, more) = Self::matching(conn, terms)?;
                    capped |= more;
                    Filter::Ids(ids)
                }
                other => other.clone(),
            });
        }
        let filters = &resolved[..];
        macro_rules! filtered {
            () => {{
                let mut q = tickets::table
                    .filter(tickets::tenant_id.eq(tenant_id))
                    .filter(tickets::deleted_at.is_null())
                    .into_boxed();
                for f in filters {
                    q = match f {
                        Filter::Status {
                            negate: false,
                            values,
                        } => q.filter(tickets::status.eq_any(values.clone())),
                        Filter::Status {
                            negate: true,
                            values,
                        } => q.filter(tickets::status.ne_all(values.clone())),
                        Filter::Priority {
                            negate: false,
                            values,
                        } => q.filter(tickets::priority.eq_any(values.clone())),
                        Filter::Priority {
                            negate: true,
                            values,
                        } => q.filter(tickets::priority.ne_all(values.clone())),
                        Filter::Channel {
                            negate: false,
                            values,
                        } => q.filter(tickets::channel_id.eq_any(values.clone())),
                        Filter::Channel {
                            negate: true,
                            values,
                        } => q.filter(tickets::channel_id.ne_all(values.clone())),
                        Filter::AssignedTo { negate, who } => {
                            let Who::User(user) = who else {
                                return Err(ApiError::Internal("unresolved `me` in a view".into()));
                            };
                            if *negate {
                                q.filter(
                                    tickets::assigned_user_id
                                        .ne(*user)
                                        .or(tickets::assigned_user_id.is_null()),
                                )
                            } else {
                                q.filter(tickets::assigned_user_id.eq(*user))
                            }
                        }
                        Filter::Assigned(true) => q.filter(tickets::assigned_user_id.is_not_null()),
                        Filter::Assigned(false) => q.filter(tickets::assigned_user_id.is_null()),
                        Filter::InGroup {
                            negate: false,
                            group_id,
                        } => q.filter(tickets::assigned_group_id.eq(*group_id)),
                        Filter::InGroup {
                            negate: true,
                            group_id,
                        } => q.filter(
                            tickets::assigned_group_id
                                .ne(*group_id)
                                .or(tickets::assigned_group_id.is_null()),
                        ),
                        Filter::Grouped(true) => q.filter(tickets::assigned_group_id.is_not_null()),
                        Filter::Grouped(false) => q.filter(tickets::assigned_group_id.is_null()),
                        Filter::InGroupsOf(who) => {
                            let Who::User(user) = who else {
                                return Err(ApiError::Internal(
                                    "unresolved `mine` in a view".into(),
                                ));
                            };
                            q.filter(
                                tickets::assigned_group_id.eq_any(
                                    agent_group_members::table
                                        .filter(agent_group_members::user_id.eq(*user))
                                        .select(agent_group_members::group_id.nullable()),
                                ),
                            )
                        }
                        Filter::Tag { negate, tag } => {
                            // Correlated, so the planner can walk a list index and probe
                            // the tag's primary key per ticket.
                            let tagged = exists(
                                ticket_tags::table
                                    .filter(ticket_tags::ticket_id.eq(tickets::id))
                                    .filter(ticket_tags::tag.eq(tag.clone())),
                            );
                            if *negate {
                                q.filter(not(tagged))
                            } else {
                                q.filter(tagged)
                            }
                        }
                        Filter::ChatState {
                            negate: false,
                            values,
                        } => q.filter(tickets::chat_state.eq_any(values.clone())),
                        Filter::ChatState {
                            negate: true,
                            values,
                        } => q.filter(
                            tickets::chat_state
                                .is_null()
                                .or(tickets::chat_state.ne_all(values.clone())),
                        ),
                        Filter::Customer(id) => q.filter(tickets::customer_id.eq(*id)),
                        Filter::Ids(ids) => q.filter(tickets::id.eq_any(ids.clone())),
                        Filter::Text { .. } => {
                            return Err(ApiError::Internal("unresolved search in a list".into()));
                        }
                        Filter::Time {
                            field,
                            newer,
                            ago_ms,
                        } => {
                            let edge = now - ago_ms;
                            match (field, newer) {
                                (TimeField::Created, true) => {
                                    q.filter(tickets::created_at.ge(edge))
                                }
                                (TimeField::Created, false) => {
                                    q.filter(tickets::created_at.lt(edge))
                                }
                                (TimeField::LastUpdate, true) => {
                                    q.filter(tickets::updated_at.ge(edge))
                                }
                                (TimeField::LastUpdate, false) => {
                                    q.filter(tickets::updated_at.lt(edge))
                                }
                            }
                        }
                    };
                }
                q
            }};
        }
        if limit == 0 {
            // How many, and no page: ids in whatever order is cheapest (no sort index walked
            // for a filter that matches little), at most `count_limit` + 1 of them.
            if count_limit == 0 {
                let all: i64 = on_backend!(conn, |c| filtered!().count().get_result(c))?;
                let total = match capped {
                    true => Total::at_least(all),
                    false => Total::exact(all),
                };
                return Ok((Vec::new(), total));
            }
            let ids: Vec<i64> = on_backend!(conn, |c| filtered!()
                .select(tickets::id)
                .limit(count_limit + 1)
                .load(c))?;
            let counted = ids.len() as i64;
            let total = match counted > count_limit || capped {
                true => Total::at_least(counted.min(count_limit)),
                false => Total::exact(counted),
            };
            return Ok((Vec::new(), total));
        }
        let rows = on_backend!(conn, |c| {
            let q = filtered!();
            let q = match (sort.field, sort.direction) {
                (SortField::LastUpdate, Direction::Desc) => {
                    q.order((tickets::updated_at.desc(), tickets::id.desc()))
                }
                (SortField::LastUpdate, Direction::Asc) => {
                    q.order((tickets::updated_at.asc(), tickets::id.asc()))
                }
                (SortField::CreatedAt, Direction::Desc) => {
                    q.order((tickets::created_at.desc(), tickets::id.desc()))
                }
                (SortField::CreatedAt, Direction::Asc) => {
                    q.order((tickets::created_at.asc(), tickets::id.asc()))
                }
                (SortField::Id, Direction::Desc) => q.order(tickets::id.desc()),
                (SortField::Id, Direction::Asc) => q.order(tickets::id.asc()),
            };
            q.offset(start)
                .limit(limit)
                .select(Ticket::as_select())
                .load(c)
        })?;
        let page = rows.len() as i64;
        let total = if page > 0 && page < limit || page == 0 && start == 0 {
            // The page is the last one: it tells the total.
            Total::exact(start + page)
        } else if page == 0 {
            // Past the end: fewer than `start` pass, and the page query has just walked them.
            let ids: Vec<i64> = on_backend!(conn, |c| filtered!()
                .select(tickets::id)
                .limit(start)
                .load(c))?;
            Total::exact(ids.len() as i64)
        } else if count_limit > 0 {
            // Count on past the page, at most `count_limit` more rows, reading only ids in
            // whatever order is cheapest.
            let from = start + page;
            let ids: Vec<i64> = on_backend!(conn, |c| filtered!()
                .select(tickets::id)
                .offset(from)
                .limit(count_limit + 1)
                .load(c))?;
            let counted = ids.len() as i64;
            if counted > count_limit {
                Total::at_least(from + count_limit)
            } else {
                Total::exact(from + counted)
            }
        } else {
            Total::exact(on_backend!(conn, |c| filtered!().count().get_result(c))?)
        };
        // A search that matched more than was looked up: there are more than counted.
        let total = match capped {
            true => Total::at_least(total.count),
            false => total,
        };
        Ok((rows, total))
    }

    /// A customer wrote again on a solved ticket: it is open again (the agent's last update
    /// stays what it was).
    pub fn reopen(conn: &mut DbConnection, id: i64, at: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::status.eq("open"),
                tickets::closed_at.eq(None::<i64>),
                tickets::updated_at.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn set_field_status(
        conn: &mut DbConnection,
        id: i64,
        status: &str,
        closed_at: Option<i64>,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::status.eq(status),
                tickets::closed_at.eq(closed_at),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn set_priority(
        conn: &mut DbConnection,
        id: i64,
        priority: &str,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::priority.eq(priority),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn set_title(
        conn: &mut DbConnection,
        id: i64,
        title: &str,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::title.eq(title),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn set_assignee(
        conn: &mut DbConnection,
        id: i64,
        user_id: Option<i64>,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::assigned_user_id.eq(user_id),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    /// An agent's change of the ticket's group.
    pub fn set_group(
        conn: &mut DbConnection,
        id: i64,
        group_id: Option<i64>,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::assigned_group_id.eq(group_id),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Soft delete: gone from lists, kept for audit.
    pub fn soft_delete(conn: &mut DbConnection, id: i64, at: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set(tickets::deleted_at.eq(at))
            .execute(c))?;
        Ok(())
    }

    /// The customer's newest tickets that are not solved, closed or deleted.
    pub fn open_of_customer(
        conn: &mut DbConnection,
        tenant_id: i64,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<Ticket>, ApiError> {
        Ok(on_backend!(conn, |c| tickets::table
            .filter(tickets::tenant_id.eq(tenant_id))
            .filter(tickets::customer_id.eq(customer_id))
            .filter(tickets::deleted_at.is_null())
            .filter(tickets::status.eq_any(["new", "open", "pending"]))
            .order(tickets::id.desc())
            .limit(limit)
            .select(Ticket::as_select())
            .load(c))?)
    }

    /// The ids of the tenant's tickets of a customer, deleted ones too.
    pub fn ids_of_customer(
        conn: &mut DbConnection,
        tenant_id: i64,
        customer_id: i64,
    ) -> Result<Vec<i64>, ApiError> {
        Ok(on_backend!(conn, |c| tickets::table
            .filter(tickets::tenant_id.eq(tenant_id))
            .filter(tickets::customer_id.eq(customer_id))
            .select(tickets::id)
            .load(c))?)
    }

    /// Erases what these tickets say of their customer: titles and source urls.
    pub fn purge(conn: &mut DbConnection, ids: &[i64], erased: &str) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(
            tickets::table.filter(tickets::id.eq_any(ids))
        )
        .set((tickets::title.eq(erased), tickets::source_url.eq("")))
        .execute(c))?;
        Ok(())
    }

    /// Customers of the chat account's chats (not purged yet) whose tickets have all been
    /// quiet since before `before`: the retention job's to purge, at most `limit`.
    pub fn customers_quiet_on_chat_account(
        conn: &mut DbConnection,
        tenant_id: i64,
        chat_account_id: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<i64>, ApiError> {
        let recent = diesel::alias!(tickets as recent);
        let active_since = diesel::dsl::exists(
            recent
                .filter(recent.field(tickets::customer_id).eq(tickets::customer_id))
                .filter(recent.field(tickets::updated_at).ge(before)),
        );
        Ok(on_backend!(conn, |c| tickets::table
            .inner_join(chat_sessions::table)
            .inner_join(customers::table)
            .filter(tickets::tenant_id.eq(tenant_id))
            .filter(tickets::updated_at.lt(before))
            .filter(chat_sessions::chat_account_id.eq(chat_account_id))
            .filter(customers::purged_at.is_null())
            .filter(diesel::dsl::not(active_since))
            .select(tickets::customer_id)
            .distinct()
            .limit(limit)
            .load(c))?)
    }

    /// Puts these tickets in a group (or in none).
    pub fn set_group_of(
        conn: &mut DbConnection,
        ids: &[i64],
        group: Option<i64>,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(
            tickets::table.filter(tickets::id.eq_any(ids))
        )
        .set(tickets::assigned_group_id.eq(group))
        .execute(c))?;
        Ok(())
    }

    /// Puts the ticket in the group unless it is in one already.
    pub fn set_group_if_none(conn: &mut DbConnection, id: i64, group: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(
            tickets::table
                .filter(tickets::id.eq(id))
                .filter(tickets::assigned_group_id.is_null())
        )
        .set(tickets::assigned_group_id.eq(group))
        .execute(c))?;
        Ok(())
    }

    /// Whether a ticket of the customer was touched at or after `before`.
    pub fn customer_active_since(
        conn: &mut DbConnection,
        customer_id: i64,
        before: i64,
    ) -> Result<bool, ApiError> {
        Ok(on_backend!(conn, |c| diesel::select(diesel::dsl::exists(
            tickets::table
                .filter(tickets::customer_id.eq(customer_id))
                .filter(tickets::updated_at.ge(before))
        ))
        .get_result(c))?)
    }

    /// Solved tickets of the chat account's chats untouched since before `before`: the
    /// retention job's to close, at most `limit`.
    pub fn solved_quiet_on_chat_account(
        conn: &mut DbConnection,
        tenant_id: i64,
        chat_account_id: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<i64>, ApiError> {
        Ok(on_backend!(conn, |c| tickets::table
            .inner_join(chat_sessions::table)
            .filter(tickets::tenant_id.eq(tenant_id))
            .filter(tickets::status.eq("solved"))
            .filter(tickets::deleted_at.is_null())
            .filter(tickets::updated_at.lt(before))
            .filter(chat_sessions::chat_account_id.eq(chat_account_id))
            .select(tickets::id)
            .order(tickets::id)
            .limit(limit)
            .load(c))?)
    }
}
