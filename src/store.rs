//! The scan history store: every judged scan recorded in an SQLite file or a PostgreSQL database, and what changed from scan to scan.
//!
//! The schema is documented for users in `docs/store.md`; keep the two in step. Values are never
//! stored: only their length and short hash, as reports show them by default.

pub use crate::compare::{
    AttributeChange, Changes, Compared, FindingBrief, KeyChange, KeyState, ScanContents, compare,
    expiry_class, place_of,
};
pub use read::{Aborted, History, HistoryEntry, ScanSummary, SiteSummary};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};

use crate::error::{Error, Result};
use sql::Db;
use std::path::{Path, PathBuf};

/// Where a store lives: an SQLite file (the embedded default), or a PostgreSQL database that a
/// fleet of sharded jobs writes into together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    File(PathBuf),
    /// A `postgres://` or `postgresql://` URL, as given (it may hold a password: see Display).
    Postgres(String),
}

impl StoreLocation {
    /// Reads a `--store` value: a PostgreSQL URL, or else a file path. Only the kind is decided
    /// here; [`Store::check_usable`] says what is wrong with it (a message that never repeats a
    /// password, as a command-line parser's "invalid value" would).
    pub fn parse(s: &str) -> Result<StoreLocation> {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(StoreLocation::Postgres(s.to_string()));
        }
        if s.is_empty() {
            return Err(Error::usage("the store is an empty path"));
        }
        Ok(StoreLocation::File(PathBuf::from(s)))
    }
}

impl std::fmt::Display for StoreLocation {
    /// The file's path, or the URL with its password replaced (messages and reports show it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::File(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&postgresql::shown(url)),
        }
    }
}

impl From<&Path> for StoreLocation {
    fn from(path: &Path) -> StoreLocation {
        StoreLocation::File(path.to_path_buf())
    }
}

impl From<&PathBuf> for StoreLocation {
    fn from(path: &PathBuf) -> StoreLocation {
        StoreLocation::File(path.clone())
    }
}

impl From<&StoreLocation> for StoreLocation {
    fn from(location: &StoreLocation) -> StoreLocation {
        location.clone()
    }
}

/// An open scan history store.
pub struct Store {
    db: Db,
    location: StoreLocation,
}

impl Store {
    /// Opens the store, creating the file (or the tables in the database) if missing. Refuses a
    /// file that is not SQLite, another program's database, or a store of a newer schema.
    pub fn open(location: impl Into<StoreLocation>) -> Result<Store> {
        Store::open_as(location.into(), true)
    }

    /// Opens an existing store (history reads it); a missing one is an error, not a new store.
    pub fn open_existing(location: impl Into<StoreLocation>) -> Result<Store> {
        Store::open_as(location.into(), false)
    }

    fn open_as(location: StoreLocation, create: bool) -> Result<Store> {
        let db = match &location {
            StoreLocation::File(path) => Db::Sqlite(sqlite::open(path, create)?),
            StoreLocation::Postgres(url) => Db::Postgres(Box::new(postgresql::open(url, create)?)),
        };
        Ok(Store { db, location })
    }

    /// Checks, without changing anything, that the store can be created or already is one: run
    /// before a scan so that a wrong `--store` is refused before minutes of scanning, not after.
    pub fn check_usable(location: impl Into<StoreLocation>) -> Result<()> {
        match location.into() {
            StoreLocation::File(path) => sqlite::check_usable(&path),
            StoreLocation::Postgres(url) => postgresql::check_usable(&url),
        }
    }

    /// Where this store lives.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }
}

/// The site a scanned URL belongs to: `scheme://host`, lower-cased, without port, path or query.
///
/// The port is dropped on purpose: a served directory gets a new loopback port on every run, and
/// cookies are not kept apart by port either. `None` for anything but an http(s) URL with a host.
pub fn site_key(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    Some(format!("{}://{host}", u.scheme()))
}

/// Normalises an RFC 3339 time, or a `YYYY-MM-DD` date (midnight UTC), to the store's sortable
/// UTC form `YYYY-MM-DDTHH:MM:SS.sssZ`, which SQLite's date functions read as it is.
pub fn timestamp_key(s: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let s = s.trim();
    let t = match time::OffsetDateTime::parse(s, &Rfc3339) {
        Ok(t) => t,
        Err(_) => time::Date::parse(s, format_description!("[year]-[month]-[day]"))
            .ok()?
            .midnight()
            .assume_utc(),
    };
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .ok()
}

/// `2026-11-23 18:40 UTC` from a stored timestamp.
pub fn short_time(stored: &str) -> String {
    match (stored.get(..10), stored.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => stored.to_string(),
    }
}

mod postgresql;
mod read;
mod schema;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;
mod write;
