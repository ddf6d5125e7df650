//! Where a key is kept in the browser.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a key is kept in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StorageKind {
    Cookie,
    LocalStorage,
    SessionStorage,
}

impl StorageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Cookie => "cookie",
            StorageKind::LocalStorage => "localStorage",
            StorageKind::SessionStorage => "sessionStorage",
        }
    }
}

impl fmt::Display for StorageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A storage name that is none of cookie, localStorage and sessionStorage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown storage `{0}` (expected cookie, localStorage or sessionStorage)")]
pub struct UnknownStorage(pub String);

impl FromStr for StorageKind {
    type Err = UnknownStorage;
    fn from_str(s: &str) -> Result<Self, UnknownStorage> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cookie" | "cookies" => Ok(StorageKind::Cookie),
            "localstorage" | "local" => Ok(StorageKind::LocalStorage),
            "sessionstorage" | "session" => Ok(StorageKind::SessionStorage),
            _ => Err(UnknownStorage(s.to_string())),
        }
    }
}
