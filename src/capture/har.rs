//! HAR files (Chrome, Firefox, mitmproxy, Charles, Insomnia, chatcookie's own): cookies and `Set-Cookie` per entry, request URLs as evidence, and chatcookie's stored keys per page.
//!
//! Per entry: `request.cookies[]` (domain: the request URL's host), or, when that is empty or
//! absent, the request's `Cookie` headers; `response.cookies[]` (domain: the cookie's `domain`,
//! else the URL's host) and `response.headers[]` named `Set-Cookie` (one cookie per line; domain:
//! its `Domain` attribute, else the URL's host), all with storage `Cookie`. Every request URL is
//! an evidence URL, so a HAR exported without cookies (Chrome's default) still evidences the
//! vendors whose scripts it loaded. Only `log.entries` is required: `request`, `response`,
//! `cookies` and `headers` may be absent or null, leaf fields of another type are dropped, and
//! everything else (pages, creator, bodies, timings, comments, `_`-prefixed extras) is skipped
//! without being stored.

use serde::Deserialize;

use super::json::{CookieHeaders, Text};
use super::{
    CapturedKey, Emitter, Sink, domain_of_url, normalize_domain, push_cookie_pairs, push_set_cookie,
};
use crate::vocab::StorageKind;

#[derive(Deserialize)]
#[serde(expecting = "a HAR log (an object with entries)")]
pub struct Log {
    entries: Vec<Entry>,
    /// chatcookie's own HAR lists, per page (step), the keys first stored then (`_storage`):
    /// script-set cookies and web storage, which no request carries. Other HARs' pages are
    /// read for that field only; anything else in them is ignored.
    #[serde(default)]
    pages: Option<Vec<Page>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Page {
    id: Text,
    #[serde(rename = "_storage")]
    storage: Option<Vec<StoredKey>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StoredKey {
    name: Text,
    storage: Text,
    domain: Text,
}

#[derive(Deserialize)]
#[serde(expecting = "a HAR entry (an object)")]
struct Entry {
    #[serde(default)]
    request: Option<Request>,
    #[serde(default)]
    response: Option<Response>,
}

#[derive(Deserialize)]
#[serde(expecting = "a HAR request (an object)")]
struct Request {
    #[serde(default)]
    url: Text,
    #[serde(default)]
    cookies: Option<Vec<Cookie>>,
    #[serde(default)]
    headers: CookieHeaders,
}

#[derive(Deserialize)]
#[serde(expecting = "a HAR response (an object)")]
struct Response {
    #[serde(default)]
    cookies: Option<Vec<Cookie>>,
    #[serde(default)]
    headers: CookieHeaders,
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a HAR cookie (an object)")]
struct Cookie {
    name: Text,
    value: Text,
    domain: Text,
}

/// Adds a HAR cookie object, unless its name is missing or not a string.
fn push_cookie<S: Sink + ?Sized>(
    out: &mut Emitter<'_, S>,
    cookie: Cookie,
    domain: Option<String>,
    origin: String,
) {
    if let Some(name) = cookie.name.0 {
        out.key(CapturedKey {
            name,
            storage: Some(StorageKind::Cookie),
            domain,
            value: cookie.value.0,
            origin,
        });
    }
}

pub fn emit<S: Sink + ?Sized>(log: Log, out: &mut Emitter<'_, S>) {
    for page in log.pages.into_iter().flatten() {
        let id = page.id.0.unwrap_or_default();
        for k in page.storage.into_iter().flatten() {
            let storage = match k.storage.0.as_deref() {
                Some("cookie") => Some(StorageKind::Cookie),
                Some("localStorage") => Some(StorageKind::LocalStorage),
                Some("sessionStorage") => Some(StorageKind::SessionStorage),
                _ => None,
            };
            if let Some(name) = k.name.0 {
                out.key(CapturedKey {
                    name,
                    storage,
                    domain: k.domain.0.as_deref().and_then(normalize_domain),
                    value: None,
                    origin: format!("HAR page {id} stored key"),
                });
            }
        }
    }
    for (index, entry) in log.entries.into_iter().enumerate() {
        let number = index + 1;
        let (url, cookies, headers) = match entry.request {
            Some(r) => (r.url.0, r.cookies.unwrap_or_default(), r.headers),
            None => (None, Vec::new(), CookieHeaders::default()),
        };
        let host = url.as_deref().and_then(domain_of_url);
        if let Some(url) = &url {
            out.url(url);
        }
        if cookies.is_empty() {
            // Proxies (browsermob, some mitmproxy scripts) leave `cookies` empty and keep the header.
            let origin = format!("HAR entry {number} Cookie header");
            for value in &headers.cookie {
                push_cookie_pairs(out, value, host.as_deref(), &origin);
            }
        }
        for cookie in cookies {
            push_cookie(
                out,
                cookie,
                host.clone(),
                format!("HAR entry {number} request cookie"),
            );
        }
        let Some(response) = entry.response else {
            continue;
        };
        for mut cookie in response.cookies.unwrap_or_default() {
            let domain = cookie
                .domain
                .0
                .take()
                .as_deref()
                .and_then(normalize_domain)
                .or_else(|| host.clone());
            push_cookie(
                out,
                cookie,
                domain,
                format!("HAR entry {number} response cookie"),
            );
        }
        // Chromium joins repeated Set-Cookie headers into one value, one cookie per line.
        let origin = format!("HAR entry {number} Set-Cookie");
        for line in response.headers.set_cookie.iter().flat_map(|h| h.lines()) {
            push_set_cookie(out, line, host.as_deref(), &origin);
        }
        if out.stopped() {
            return;
        }
    }
}
