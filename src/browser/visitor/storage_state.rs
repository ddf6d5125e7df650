//! The starting state a visitor may bring: a Playwright `storageState` file, read and checked, and seeded into the page.

use super::Visitor;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;

/// Playwright's `storageState` format (also what Puppeteer users export): cookies and
/// per-origin localStorage.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageState {
    #[serde(default)]
    pub cookies: Vec<StateCookie>,
    #[serde(default)]
    pub origins: Vec<StateOrigin>,
}

/// One cookie of a storage state.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateCookie {
    pub name: String,
    pub value: String,
    pub domain: String,
    #[serde(default = "root_path")]
    pub path: String,
    /// Unix seconds; -1 (or absent) for a session cookie.
    #[serde(default = "session_expiry")]
    pub expires: f64,
    #[serde(default)]
    pub http_only: bool,
    #[serde(default)]
    pub secure: bool,
    pub same_site: Option<String>,
    /// Playwright may write these; they are accepted and ignored.
    #[serde(default, skip_serializing)]
    pub partition_key: Option<Value>,
}

fn root_path() -> String {
    "/".into()
}

fn session_expiry() -> f64 {
    -1.0
}

/// One origin's localStorage in a storage state.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateOrigin {
    pub origin: String,
    #[serde(default)]
    pub local_storage: Vec<StateItem>,
}

/// A name/value pair of a storage state's localStorage.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StateItem {
    pub name: String,
    pub value: String,
}

/// Reads a Playwright `storageState` JSON file; a malformed one is reported with line and column.
pub fn load_storage_state(path: &Path) -> Result<StorageState> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage(format!(
            "cannot read the storage state {}: {e}",
            path.display()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let state: StorageState = serde_json::from_str(text).map_err(|e| {
        Error::usage(format!(
            "{}:{}:{}: not a storageState file (Playwright's {{\"cookies\": [...], \"origins\": [...]}}): {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    for o in &state.origins {
        let ok = url::Url::parse(&o.origin)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !ok {
            return Err(Error::usage(format!(
                "{}: origin `{}` is not an http(s) origin",
                path.display(),
                o.origin
            )));
        }
    }
    for c in &state.cookies {
        if c.name.is_empty() && c.value.is_empty() || c.domain.is_empty() {
            return Err(Error::usage(format!(
                "{}: cookie `{}` needs a name and a domain",
                path.display(),
                c.name
            )));
        }
        if let Some(s) = &c.same_site
            && !matches!(s.as_str(), "Strict" | "Lax" | "None")
        {
            return Err(Error::usage(format!(
                "{}: cookie `{}`: sameSite `{s}` is not Strict, Lax or None",
                path.display(),
                c.name
            )));
        }
    }
    Ok(state)
}

impl Visitor {
    /// A script for every new document that seeds the storage state's localStorage into the
    /// documents of its origins (removed after the first page load, so a key the site deletes
    /// stays deleted), or None when there is nothing to seed.
    pub fn seed_script(&self) -> Option<String> {
        let state = self.state.as_ref()?;
        let seeds: serde_json::Map<String, Value> = state
            .origins
            .iter()
            .filter(|o| !o.local_storage.is_empty())
            .map(|o| {
                let items: serde_json::Map<String, Value> = o
                    .local_storage
                    .iter()
                    .map(|i| (i.name.clone(), Value::String(i.value.clone())))
                    .collect();
                (
                    o.origin.trim_end_matches('/').to_string(),
                    Value::Object(items),
                )
            })
            .collect();
        if seeds.is_empty() {
            return None;
        }
        Some(format!(
            "(() => {{ const s = {}[location.origin]; if (!s) return; try {{ for (const k in s) if (localStorage.getItem(k) === null) localStorage.setItem(k, s[k]); }} catch (e) {{}} }})()",
            Value::Object(seeds)
        ))
    }
}

/// A storage state's cookie as `Network.setCookies` takes it.
pub(super) fn cookie_param(c: &StateCookie) -> Value {
    let mut p = json!({
        "name": c.name,
        "value": c.value,
        "domain": c.domain,
        "path": c.path,
        "secure": c.secure,
        "httpOnly": c.http_only,
    });
    if c.expires > 0.0 {
        p["expires"] = c.expires.into();
    }
    if let Some(s) = &c.same_site {
        p["sameSite"] = s.as_str().into();
    }
    p
}
