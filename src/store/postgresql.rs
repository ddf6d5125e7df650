//! The PostgreSQL store: the same tables in a database that a fleet of sharded jobs writes into.

use super::schema::{SCHEMA, SCHEMA_VERSION, SchemaState, upgrade_from};
use crate::error::{Error, Result};
use postgres::config::SslMode;
use postgres::{Client, Config, GenericClient, NoTls};
use std::time::Duration;

/// How long opening a connection may take before the store is reported unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The advisory lock under which the schema is created: shards starting together create it once.
const SCHEMA_LOCK: i64 = super::APPLICATION_ID;

/// The table that marks a database as a chatcookie store, and holds its schema version (SQLite
/// keeps both in the file header instead).
const MARKER: &str = "chatcookie_store";

/// The connection settings of `url`: `PGPASSWORD` and `PGUSER` (then the login name) fill what the
/// URL leaves out, as for psql; a missing host is localhost.
pub fn config(url: &str) -> Result<Config> {
    let mut config: Config = url.parse().map_err(|e| {
        Error::usage(format!(
            "`{}` is not a PostgreSQL URL: {e} (the form is postgres://USER@HOST:PORT/DATABASE)",
            shown(url)
        ))
    })?;
    if config.get_ssl_mode() == SslMode::Require {
        return Err(Error::usage(format!(
            "{}: chatcookie talks to PostgreSQL without TLS, so sslmode=require cannot be met; \
             reach the server over a private network or a TLS tunnel and drop sslmode=require",
            shown(url)
        )));
    }
    if config.get_hosts().is_empty() {
        config.host("localhost");
    }
    if config.get_user().is_none() {
        let user = std::env::var("PGUSER")
            .or_else(|_| std::env::var("USER"))
            .map_err(|_| {
                Error::usage(format!(
                    "{} names no user (postgres://USER@HOST/DATABASE, or set PGUSER)",
                    shown(url)
                ))
            })?;
        config.user(&user);
    }
    if config.get_password().is_none()
        && let Ok(password) = std::env::var("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("chatcookie");
    }
    Ok(config)
}

/// `url` as messages show it: the password replaced by `***`.
pub fn shown(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        // Not a URL at all: show only the scheme, since the rest may hold a password.
        return url.split("://").next().unwrap_or("postgres").to_string() + "://…";
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "password" {
                "***".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if !pairs.is_empty() {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// Connects; with `create`, a database without the store's tables gets them.
pub fn open(url: &str, create: bool) -> Result<Client> {
    let mut client = connect(url)?;
    match schema_state(&mut client, url)? {
        SchemaState::Current => Ok(client),
        // An older store is read as it is; it is upgraded only to be written.
        SchemaState::Older(_) if !create => Ok(client),
        SchemaState::Empty if !create => Err(Error::usage(format!(
            "the database {} holds no chatcookie store (`chatcookie scan URL --store {}` creates \
             one)",
            shown(url),
            shown(url)
        ))),
        SchemaState::Empty | SchemaState::Older(_) => {
            create_schema(&mut client, url).map_err(Error::store)?;
            Ok(client)
        }
    }
}

/// Checks, without changing anything, that the database is reachable and holds a store of this
/// schema or none yet.
pub fn check_usable(url: &str) -> Result<()> {
    let mut client = connect(url)?;
    schema_state(&mut client, url).map(|_| ())
}

fn connect(url: &str) -> Result<Client> {
    config(url)?.connect(NoTls).map_err(|e| {
        store_failed(format!(
            "cannot connect to the store {}: {}",
            shown(url),
            with_causes(&e)
        ))
    })
}

/// The error and its causes: the crate's own message says only "error connecting to server".
fn with_causes(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// The tables of `SCHEMA` in PostgreSQL's words: integers are 64-bit (PostgreSQL's INTEGER is
/// 32), the scan id an identity column. Booleans stay 0/1 integers, as in SQLite.
fn schema() -> String {
    let tables = SCHEMA
        .replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        )
        .replace("INTEGER", "BIGINT");
    format!("{tables}\nCREATE TABLE {MARKER} (schema_version BIGINT NOT NULL);\n")
}

/// Creates the tables under an advisory lock, unless another job just did. The lock is the
/// session's, taken before the transaction: a transaction that starts after the lock is held
/// sees the tables another job committed meanwhile (PostgreSQL reads pending catalog changes at
/// a transaction's start; taken inside it, the lock left a stale "no such table" in this
/// session's catalog cache, and two shards starting together both tried to create them).
fn create_schema(client: &mut Client, url: &str) -> anyhow::Result<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK])?;
    let created = (|| -> anyhow::Result<()> {
        let mut tx = client.transaction()?;
        let state = schema_state(&mut tx, url)?;
        match state {
            SchemaState::Empty => tx.batch_execute(&schema())?,
            SchemaState::Older(v) => tx.batch_execute(&upgrade_from(v))?,
            SchemaState::Current => {}
        }
        if state != SchemaState::Current {
            tx.execute(
                &format!("INSERT INTO {MARKER} (schema_version) VALUES ($1)"),
                &[&SCHEMA_VERSION],
            )?;
        }
        tx.commit().map_err(|e| {
            anyhow::anyhow!(
                "cannot create the store {}: {}",
                shown(url),
                with_causes(&e)
            )
        })
    })();
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK]);
    created
}

/// Reads the marker table; refuses a database whose `scans` table is another program's, or a
/// store of a newer schema.
fn schema_state(client: &mut impl GenericClient, url: &str) -> Result<SchemaState> {
    let failed = |e: postgres::Error| {
        store_failed(format!(
            "cannot read the store {}: {}",
            shown(url),
            with_causes(&e)
        ))
    };
    let row = client
        .query_one(
            &format!(
                "SELECT to_regclass('{MARKER}') IS NOT NULL, to_regclass('scans') IS NOT NULL"
            ),
            &[],
        )
        .map_err(failed)?;
    let (marked, scans): (bool, bool) = (row.get(0), row.get(1));
    if !marked {
        return if scans {
            Err(Error::usage(format!(
                "the database {} has a `scans` table of another program, not a chatcookie store; \
                 give another database (or a schema, with ?options=-csearch_path%3DNAME)",
                shown(url)
            )))
        } else {
            Ok(SchemaState::Empty)
        };
    }
    let version: Option<i64> = client
        .query_one(&format!("SELECT MAX(schema_version) FROM {MARKER}"), &[])
        .map_err(failed)?
        .get(0);
    match version {
        Some(SCHEMA_VERSION) => Ok(SchemaState::Current),
        Some(v) if (1..SCHEMA_VERSION).contains(&v) => Ok(SchemaState::Older(v)),
        Some(v) if v > SCHEMA_VERSION => Err(Error::usage(format!(
            "{} was written by a newer chatcookie (store schema {v}; this one knows schema \
             {SCHEMA_VERSION}): upgrade chatcookie to use it",
            shown(url)
        ))),
        v => Err(Error::usage(format!(
            "{} has an unknown store schema version {}",
            shown(url),
            v.map_or("(none)".to_string(), |v| v.to_string())
        ))),
    }
}

/// The database failed (unreachable, or it could not be read): a store error with this message.
fn store_failed(message: String) -> Error {
    Error::store(anyhow::anyhow!(message))
}
