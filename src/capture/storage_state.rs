//! Playwright/Puppeteer `storageState` JSON: `cookies[]` as cookies, `origins[].localStorage[]` as localStorage.
//!
//! `{"cookies": [{name, value, domain, path, expires, httpOnly, secure, sameSite}],
//! "origins": [{"origin": "https://…", "localStorage": [{name, value}]}]}`. A cookie keeps its
//! (normalized) domain; a storage item's domain is its origin's host. A `sessionStorage` list
//! beside `localStorage` (some tools write one) is read as session storage; other fields (e.g.
//! Playwright's `indexedDB`) are skipped. Either list may be missing or null.

use serde::Deserialize;

use super::json::{NameValue, Text};
use super::{CapturedKey, Emitter, Sink, domain_of_url, normalize_domain};
use crate::vocab::StorageKind;

#[derive(Default)]
pub struct State {
    pub cookies: Vec<Cookie>,
    pub origins: Vec<Origin>,
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a storageState cookie (an object)")]
pub struct Cookie {
    name: Text,
    value: Text,
    domain: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a storageState origin (an object)")]
pub struct Origin {
    origin: Text,
    #[serde(rename = "localStorage")]
    local_storage: Option<Vec<NameValue>>,
    #[serde(rename = "sessionStorage")]
    session_storage: Option<Vec<NameValue>>,
}

pub fn emit<S: Sink + ?Sized>(state: State, out: &mut Emitter<'_, S>) {
    for (index, cookie) in state.cookies.into_iter().enumerate() {
        if let Some(name) = cookie.name.0 {
            out.key(CapturedKey {
                name,
                storage: Some(StorageKind::Cookie),
                domain: cookie.domain.0.as_deref().and_then(normalize_domain),
                value: cookie.value.0,
                origin: format!("storageState cookie {}", index + 1),
            });
        }
    }
    for (index, origin) in state.origins.into_iter().enumerate() {
        let domain = origin.origin.0.as_deref().and_then(domain_of_url);
        let lists = [
            (
                "localStorage",
                StorageKind::LocalStorage,
                origin.local_storage,
            ),
            (
                "sessionStorage",
                StorageKind::SessionStorage,
                origin.session_storage,
            ),
        ];
        for (label, storage, items) in lists {
            for (item_index, item) in items.unwrap_or_default().into_iter().enumerate() {
                if let Some(name) = item.name.0 {
                    out.key(CapturedKey {
                        name,
                        storage: Some(storage),
                        domain: domain.clone(),
                        value: item.value.0,
                        origin: format!(
                            "storageState origin {} {label} item {}",
                            index + 1,
                            item_index + 1
                        ),
                    });
                }
            }
        }
    }
}
