//! One connection to either database a store lives in (SQLite or PostgreSQL): statements with
//! `$1`-style parameters, rows of plain cells, and transactions.
//!
//! The store's queries are written once, in the SQL both databases share; only opening and the
//! schema check differ (`sqlite.rs`, `postgresql.rs`).

use anyhow::Context;

/// One value sent to or read from the database. Booleans are stored as 0/1 integers in both
/// databases (one schema, and users' own SQL reads the same in both).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}

impl From<bool> for Cell {
    fn from(v: bool) -> Cell {
        Cell::Int(i64::from(v))
    }
}

impl From<u16> for Cell {
    fn from(v: u16) -> Cell {
        Cell::Int(i64::from(v))
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(v.to_string())
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(v)
    }
}

impl From<&String> for Cell {
    fn from(v: &String) -> Cell {
        Cell::Text(v.clone())
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Null, Into::into)
    }
}

/// The parameters of one statement: `cells![a, b, c]`.
macro_rules! cells {
    ($($v:expr),* $(,)?) => { [$($crate::store::sql::Cell::from($v)),*] };
}
pub(crate) use cells;

/// One row read back.
#[derive(Debug)]
pub struct Row(Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> anyhow::Result<&Cell> {
        self.0
            .get(i)
            .with_context(|| format!("the store returned no column {i}"))
    }

    pub fn int(&self, i: usize) -> anyhow::Result<i64> {
        self.opt_int(i)?
            .with_context(|| format!("column {i} of the store is NULL"))
    }

    pub fn opt_int(&self, i: usize) -> anyhow::Result<Option<i64>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            Cell::Text(t) => {
                anyhow::bail!("column {i} of the store holds text `{t}`, not a number")
            }
        }
    }

    pub fn text(&self, i: usize) -> anyhow::Result<String> {
        self.opt_text(i)?
            .with_context(|| format!("column {i} of the store is NULL"))
    }

    pub fn opt_text(&self, i: usize) -> anyhow::Result<Option<String>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Text(t) => Ok(Some(t.clone())),
            Cell::Int(v) => anyhow::bail!("column {i} of the store holds the number {v}, not text"),
        }
    }

    pub fn opt_bool(&self, i: usize) -> anyhow::Result<Option<bool>> {
        Ok(self.opt_int(i)?.map(|v| v != 0))
    }

    pub fn bool(&self, i: usize) -> anyhow::Result<bool> {
        Ok(self.int(i)? != 0)
    }
}

/// An open connection to the store's database.
pub enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::Client>),
}

/// A transaction in progress; committed by [`Db::transaction`] when its body succeeds.
pub enum Tx<'a> {
    Sqlite(rusqlite::Transaction<'a>),
    Postgres(postgres::Transaction<'a>),
}

impl Db {
    /// Runs a read outside any explicit transaction.
    pub fn query(&mut self, sql: &str, params: &[Cell]) -> anyhow::Result<Vec<Row>> {
        match self {
            Db::Sqlite(conn) => sqlite_query(conn, sql, params),
            Db::Postgres(client) => postgres_rows(client.query(sql, &postgres_params(params))?),
        }
    }

    /// Runs `body` in one write transaction: SQLite takes its write lock at the start (so two
    /// writers queue instead of failing at commit); both roll back when `body` fails.
    pub fn transaction<T>(
        &mut self,
        body: impl FnOnce(&mut Tx<'_>) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut tx = match self {
            Db::Sqlite(conn) => Tx::Sqlite(
                conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            ),
            Db::Postgres(client) => Tx::Postgres(client.transaction()?),
        };
        let out = body(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl Tx<'_> {
    fn commit(self) -> anyhow::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit()?,
            Tx::Postgres(tx) => tx.commit()?,
        }
        Ok(())
    }

    /// Runs one statement; returns the rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[Cell]) -> anyhow::Result<u64> {
        match self {
            Tx::Sqlite(tx) => {
                let mut stmt = tx.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Tx::Postgres(tx) => Ok(tx.execute(sql, &postgres_params(params))?),
        }
    }

    /// Runs one statement that returns rows (a SELECT, an INSERT … RETURNING).
    pub fn query(&mut self, sql: &str, params: &[Cell]) -> anyhow::Result<Vec<Row>> {
        match self {
            Tx::Sqlite(tx) => sqlite_query(tx, sql, params),
            Tx::Postgres(tx) => postgres_rows(tx.query(sql, &postgres_params(params))?),
        }
    }
}

impl rusqlite::ToSql for Cell {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Cell::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Cell::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Cell::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
        })
    }
}

fn sqlite_query(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Cell],
) -> anyhow::Result<Vec<Row>> {
    use rusqlite::types::ValueRef;
    let mut stmt = conn.prepare_cached(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut cells = Vec::with_capacity(columns);
        for i in 0..columns {
            cells.push(match r.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Real(v) => Cell::Int(v as i64),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    Cell::Text(String::from_utf8_lossy(t).into_owned())
                }
            });
        }
        out.push(Row(cells));
    }
    Ok(out)
}

impl postgres::types::ToSql for Cell {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        match self {
            Cell::Null => Ok(IsNull::Yes),
            // The parameter's type is the column's: BIGINT in the schema, INTEGER or BOOLEAN in
            // a user's own expression.
            Cell::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Cell::Int(v) if *ty == Type::BOOL => (*v != 0).to_sql(ty, out),
            Cell::Int(v) => v.to_sql(ty, out),
            Cell::Text(t) => t.as_str().to_sql(ty, out),
        }
    }

    fn accepts(ty: &postgres::types::Type) -> bool {
        use postgres::types::Type;
        [
            Type::INT8,
            Type::INT4,
            Type::BOOL,
            Type::TEXT,
            Type::VARCHAR,
        ]
        .contains(ty)
    }

    postgres::types::to_sql_checked!();
}

fn postgres_params(params: &[Cell]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|c| c as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

fn postgres_rows(rows: Vec<postgres::Row>) -> anyhow::Result<Vec<Row>> {
    use postgres::types::Type;
    rows.iter()
        .map(|r| {
            r.columns()
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let ty = c.type_();
                    Ok(if *ty == Type::INT8 {
                        r.try_get::<_, Option<i64>>(i)?
                            .map_or(Cell::Null, Cell::Int)
                    } else if *ty == Type::INT4 {
                        r.try_get::<_, Option<i32>>(i)?
                            .map_or(Cell::Null, |v| Cell::Int(v.into()))
                    } else if *ty == Type::BOOL {
                        r.try_get::<_, Option<bool>>(i)?
                            .map_or(Cell::Null, |v| Cell::Int(v.into()))
                    } else {
                        r.try_get::<_, Option<String>>(i)?
                            .map_or(Cell::Null, Cell::Text)
                    })
                })
                .collect::<anyhow::Result<Vec<Cell>>>()
                .map(Row)
        })
        .collect()
}
