//! Postgres statements diesel's DSL cannot write (an insert from `unnest`, a lateral lookup),
//! which diesel still prepares once per connection and runs by name after: its `sql_query`
//! is parsed and planned anew on every run.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// One column of rows, as an array to bind (`unnest` turns the arrays back into rows).
pub fn column<'r, R, T>(rows: &'r [R], f: impl Fn(&'r R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

/// A value for one `?` of a `Statement`.
pub enum Bind<'a> {
    BigInt(i64),
    Integer(i32),
    Text(&'a str),
    BigInts(Vec<i64>),
    NullableBigInts(Vec<Option<i64>>),
    Integers(Vec<i32>),
    Bools(Vec<bool>),
    Texts(Vec<&'a str>),
    NullableTexts(Vec<Option<&'a str>>),
}

/// SQL whose `?`s are bound in order; load its rows with `QueryableByName` types.
pub struct Statement<'a> {
    sql: &'static str,
    binds: Vec<Bind<'a>>,
}

impl<'a> Statement<'a> {
    pub fn new(sql: &'static str) -> Statement<'a> {
        Statement {
            sql,
            binds: Vec::new(),
        }
    }

    pub fn bind(mut self, value: Bind<'a>) -> Statement<'a> {
        self.binds.push(value);
        self
    }
}

impl QueryId for Statement<'_> {
    type QueryId = ();
    // Cached by its text (and its binds' types).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Statement<'_> {}

impl QueryFragment<Pg> for Statement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut pieces = self.sql.split('?');
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
            match bind {
                Bind::BigInt(v) => out.push_bind_param::<BigInt, _>(v)?,
                Bind::Integer(v) => out.push_bind_param::<Integer, _>(v)?,
                Bind::Text(v) => out.push_bind_param::<Text, _>(v)?,
                Bind::BigInts(v) => out.push_bind_param::<Array<BigInt>, _>(v)?,
                Bind::NullableBigInts(v) => out.push_bind_param::<Array<Nullable<BigInt>>, _>(v)?,
                Bind::Integers(v) => out.push_bind_param::<Array<Integer>, _>(v)?,
                Bind::Bools(v) => out.push_bind_param::<Array<Bool>, _>(v)?,
                Bind::Texts(v) => out.push_bind_param::<Array<Text>, _>(v)?,
                Bind::NullableTexts(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v)?,
            }
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
