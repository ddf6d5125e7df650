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

impl FromStr for StorageKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cookie" | "cookies" => Ok(StorageKind::Cookie),
            "localstorage" | "local" => Ok(StorageKind::LocalStorage),
            "sessionstorage" | "session" => Ok(StorageKind::SessionStorage),
            _ => Err(format!(
                "unknown storage `{s}` (expected cookie, localStorage or sessionStorage)"
            )),
        }
    }
}
