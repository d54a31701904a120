//! Statements diesel would prepare anew on every run, written so that it prepares them once
//! per connection and keeps them (by their text): Postgres' inserts from `unnest` and its
//! lateral lookup, which the DSL cannot write (its `sql_query` is never kept), and the
//! statements of a message's hot path that the DSL writes but never keeps: every `UPDATE`,
//! and every insert of a row with an optional column. On SQLite, preparing those cost its
//! single writer more than running them.
//!
//! Each is written with [`statement!`], which gives it a type of its own: diesel finds it
//! in its cache by that type, instead of building its text again and hashing it on every
//! run (a tenth of what a message's insert cost SQLite's writer).

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Untyped};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, QueryableByName, RunQueryDsl};
use std::marker::PhantomData;

/// One column of rows, as an array to bind (`unnest` turns the arrays back into rows).
pub fn column<'r, R, T>(rows: &'r [R], f: impl Fn(&'r R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

/// A row's id, as a statement returns it.
#[derive(QueryableByName)]
pub struct Id {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
}

/// The id of the row this SQLite connection inserted last (of a table with an integer key).
pub fn last_inserted(conn: &mut diesel::SqliteConnection) -> QueryResult<i64> {
    Ok(crate::statement!("SELECT last_insert_rowid() AS id")
        .get_result::<Id>(conn)?
        .id)
}

/// A value for one `?` of a `Statement`; arrays are for Postgres.
pub enum Bind<'a> {
    BigInt(i64),
    NullableBigInt(Option<i64>),
    Integer(i32),
    Bool(bool),
    Text(&'a str),
    NullableText(Option<&'a str>),
    BigInts(Vec<i64>),
    NullableBigInts(Vec<Option<i64>>),
    Integers(Vec<i32>),
    Bools(Vec<bool>),
    Texts(Vec<&'a str>),
    NullableTexts(Vec<Option<&'a str>>),
}

/// SQL whose `?`s are bound in order; load its rows with `QueryableByName` types. `Q` is the
/// type that names it in diesel's cache: write it with [`statement!`].
pub struct Statement<'a, Q> {
    /// The SQL cut at its `?`s (a value goes between each two pieces), once per call site.
    pieces: &'static [&'static str],
    binds: Vec<Bind<'a>>,
    query: PhantomData<Q>,
}

/// A [`Statement`] of this SQL, named by a type of its own (each place it is written
/// declares one), so that diesel keeps it prepared and finds it again by that type. Its
/// values must be bound with the same `Bind` kinds on every run (Postgres prepares it for
/// their types).
#[macro_export]
macro_rules! statement {
    ($sql:literal $(,)?) => {{
        struct ThisStatement;
        static PIECES: std::sync::OnceLock<Box<[&'static str]>> = std::sync::OnceLock::new();
        $crate::db::statement::Statement::<ThisStatement>::new(
            PIECES.get_or_init(|| $crate::db::statement::pieces($sql)),
        )
    }};
}

/// The SQL cut at its `?`s, for [`statement!`] (which keeps it, so that a run does not cut
/// the text again to bind its values).
#[doc(hidden)]
pub fn pieces(sql: &'static str) -> Box<[&'static str]> {
    sql.split('?').collect()
}

impl<'a, Q> Statement<'a, Q> {
    /// Only for [`statement!`], which gives each statement its own `Q` and takes its SQL as
    /// a literal: a `Q` with two texts would run the first one prepared.
    #[doc(hidden)]
    pub fn new(pieces: &'static [&'static str]) -> Statement<'a, Q> {
        Statement {
            pieces,
            binds: Vec::new(),
            query: PhantomData,
        }
    }

    pub fn bind(mut self, value: Bind<'a>) -> Statement<'a, Q> {
        self.binds.push(value);
        self
    }
}

impl<Q: 'static> QueryId for Statement<'_, Q> {
    type QueryId = Q;
    // Found in the cache by `Q` alone: its text never changes, nor its binds' types.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Q> Query for Statement<'_, Q> {
    type SqlType = Untyped;
}

impl<Conn, Q> RunQueryDsl<Conn> for Statement<'_, Q> {}

impl<'a, Q> Statement<'a, Q> {
    /// The SQL with each `?` replaced by its value, pushed by `push`.
    fn walk<'b, DB: Backend>(
        &'b self,
        mut out: AstPass<'_, 'b, DB>,
        push: impl Fn(&'b Bind<'a>, AstPass<'_, 'b, DB>) -> QueryResult<()>,
    ) -> QueryResult<()> {
        let mut pieces = self.pieces.iter().copied();
        if let Some(first) = pieces.next() {
            out.push_sql(first);
        }
        let mut binds = self.binds.iter();
        for piece in pieces {
            let Some(bind) = binds.next() else {
                return Err(diesel::result::Error::QueryBuilderError(
                    "a ? of the statement has no value".into(),
                ));
            };
            push(bind, out.reborrow())?;
            out.push_sql(piece);
        }
        if binds.next().is_some() {
            return Err(diesel::result::Error::QueryBuilderError(
                "the statement has more values than ?s".into(),
            ));
        }
        Ok(())
    }
}

/// Binds a value both databases take alike; arrays are Postgres' alone.
fn push_scalar<'b, DB>(bind: &'b Bind<'_>, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()>
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Integer> + HasSqlType<Bool> + HasSqlType<Text>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
    bool: ToSql<Bool, DB>,
    str: ToSql<Text, DB>,
{
    match bind {
        Bind::BigInt(v) => out.push_bind_param::<BigInt, _>(v),
        Bind::NullableBigInt(v) => out.push_bind_param::<Nullable<BigInt>, _>(v),
        Bind::Integer(v) => out.push_bind_param::<Integer, _>(v),
        Bind::Bool(v) => out.push_bind_param::<Bool, _>(v),
        Bind::Text(v) => out.push_bind_param::<Text, _>(v),
        Bind::NullableText(v) => out.push_bind_param::<Nullable<Text>, _>(v),
        Bind::BigInts(_)
        | Bind::NullableBigInts(_)
        | Bind::Integers(_)
        | Bind::Bools(_)
        | Bind::Texts(_)
        | Bind::NullableTexts(_) => Err(diesel::result::Error::QueryBuilderError(
            "arrays are bound on Postgres only".into(),
        )),
    }
}

impl<Q> QueryFragment<Pg> for Statement<'_, Q> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.walk(out, |bind, mut out| match bind {
            Bind::BigInts(v) => out.push_bind_param::<Array<BigInt>, _>(v),
            Bind::NullableBigInts(v) => out.push_bind_param::<Array<Nullable<BigInt>>, _>(v),
            Bind::Integers(v) => out.push_bind_param::<Array<Integer>, _>(v),
            Bind::Bools(v) => out.push_bind_param::<Array<Bool>, _>(v),
            Bind::Texts(v) => out.push_bind_param::<Array<Text>, _>(v),
            Bind::NullableTexts(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v),
            scalar => push_scalar(scalar, out),
        })
    }
}

impl<Q> QueryFragment<Sqlite> for Statement<'_, Q> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.walk(out, push_scalar)
    }
}
