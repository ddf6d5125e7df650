//! The SQLite store: a file, created with the schema on first use, shared by jobs on one machine.

use super::schema::{APPLICATION_ID, SCHEMA, SCHEMA_VERSION, SchemaState, upgrade_from};
use crate::error::{Error, Result};
use anyhow::Context;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

/// How long a writer waits for another one (two CI jobs recording into the same file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the store file; with `create`, a missing file is created and a new one gets the schema.
pub fn open(path: &Path, create: bool) -> Result<Connection> {
    if !create && !path.is_file() {
        return Err(Error::usage(format!(
            "no store at {} (`chatcookie scan URL --store {}` creates one)",
            path.display(),
            path.display()
        )));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags)
        .with_context(|| {
            if create {
                format!("cannot open or create the store {}", path.display())
            } else {
                format!("cannot open the store {}", path.display())
            }
        })
        .map_err(Error::store)?;
    prepare(&mut conn, path, create)?;
    Ok(conn)
}

/// Checks, without changing anything, that `path` can become or already is a store.
pub fn check_usable(path: &Path) -> Result<()> {
    if !path.exists() {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        return match parent {
            Some(dir) if !dir.is_dir() => Err(Error::usage(format!(
                "cannot create the store {}: the directory {} does not exist",
                path.display(),
                dir.display()
            ))),
            _ => Ok(()),
        };
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| store_failed(format!("cannot open the store {}: {e}", path.display())))?;
    schema_state(&conn, path).map(|_| ())
}

/// Validates the file and, when it is new and `create` is set, writes the schema.
fn prepare(conn: &mut Connection, path: &Path, create: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(Error::store)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(Error::store)?;
    match schema_state(conn, path)? {
        SchemaState::Current => return Ok(()),
        // An older store is read as it is; it is upgraded only to be written.
        SchemaState::Older(_) if !create => return Ok(()),
        _ => {}
    }
    if !create {
        return Err(Error::usage(format!(
            "{} is an empty SQLite file, not a chatcookie store",
            path.display()
        )));
    }
    // Converting a new file to WAL can meet another process doing the same, and SQLite then
    // answers "busy" at once instead of waiting: retry as long as a writer would wait.
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match create_schema(conn, path) {
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            result => {
                return result
                    .with_context(|| format!("cannot create the store {}", path.display()))
                    .map_err(Error::store);
            }
        }
    }
}

/// Writes the schema into a new file, unless another process just did.
fn create_schema(conn: &mut Connection, path: &Path) -> anyhow::Result<()> {
    // WAL lets `history` read while a scan writes; the mode is kept in the file.
    conn.pragma_update_and_check(None, "journal_mode", "wal", |_| Ok(()))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match schema_state(&tx, path)? {
        SchemaState::Empty => {
            tx.execute_batch(SCHEMA)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        SchemaState::Older(v) => {
            tx.execute_batch(&upgrade_from(v))?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        SchemaState::Current => {}
    }
    tx.commit()?;
    Ok(())
}

/// Whether SQLite answered "busy" (or "locked"): another connection holds the lock.
fn is_busy(e: &anyhow::Error) -> bool {
    e.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
        matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    })
}

/// Reads the file's application id and schema version; refuses what is not a usable store.
fn schema_state(conn: &Connection, path: &Path) -> Result<SchemaState> {
    let not_sqlite = |e: rusqlite::Error| {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
            Error::usage(format!(
                "{} is not an SQLite file, so not a chatcookie store; give a new file name \
                 (it is created) or a store written by `scan --store`",
                path.display()
            ))
        } else {
            store_failed(format!("cannot read the store {}: {e}", path.display()))
        }
    };
    // One statement, so one read snapshot: another process may be creating the schema right now.
    let (app_id, version, tables): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT user_version FROM pragma_user_version),
                    (SELECT COUNT(*) FROM sqlite_master)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(not_sqlite)?;
    if app_id == 0 && version == 0 && tables == 0 {
        return Ok(SchemaState::Empty);
    }
    if app_id != APPLICATION_ID {
        return Err(Error::usage(format!(
            "{} is an SQLite database of another program, not a chatcookie store; give a new \
             file name (it is created) or a store written by `scan --store`",
            path.display()
        )));
    }
    match version {
        SCHEMA_VERSION => Ok(SchemaState::Current),
        v if (1..SCHEMA_VERSION).contains(&v) => Ok(SchemaState::Older(v)),
        v if v > SCHEMA_VERSION => Err(Error::usage(format!(
            "{} was written by a newer chatcookie (store schema {v}; this one knows schema \
             {SCHEMA_VERSION}): upgrade chatcookie to use it",
            path.display()
        ))),
        v => Err(Error::usage(format!(
            "{} has an unknown store schema version {v}",
            path.display()
        ))),
    }
}

/// The database failed (it could not be opened or read): a store error with this message.
fn store_failed(message: String) -> Error {
    Error::store(anyhow::anyhow!(message))
}
