//! What the page does between our calls: network activity, storage writes, frames, dialogs, crashes.

use crate::browser::cdp::Page;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binding through which the page hook reports cookies the browser refused.
pub const REFUSED_BINDING: &str = "__chatcookieRefusedCookie";

/// Runs in every frame before its own scripts: wraps the `document.cookie` setter and reports a
/// write the browser did not keep (a refused third-party cookie, say). Network-set cookies that
/// are refused come from `Network.responseReceivedExtraInfo` instead.
pub const COOKIE_HOOK: &str = r#"(() => {
  const d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  const report = globalThis.__chatcookieRefusedCookie;
  if (!d || !d.set || !d.get || typeof report !== 'function') return;
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true, enumerable: d.enumerable,
    get() { return d.get.call(this); },
    set(v) {
      d.set.call(this, v);
      try {
        const line = String(v);
        const name = line.split(';')[0].split('=')[0].trim();
        const attrs = line.toLowerCase();
        const deleting = /max-age\s*=\s*(-|0)/.test(attrs) || /expires\s*=[^;]*19[0-9]{2}/.test(attrs);
        const kept = d.get.call(this).split(';').some(c => c.split('=')[0].trim() === name);
        if (!kept && !deleting) report(JSON.stringify({ name, origin: location.origin }));
      } catch (e) {}
    },
  });
})()"#;

/// A frame of the page, as last navigated.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FrameInfo {
    pub id: String,
    pub parent: Option<String>,
    pub url: String,
    pub origin: String,
}

/// A cookie the browser refused to store (recorded as attempted, not set).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct BlockedCookie {
    pub name: String,
    pub domain: Option<String>,
    /// The response whose `Set-Cookie` was refused.
    pub url: String,
    pub reasons: Vec<String>,
}

/// The main document's HTTP answer.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DocumentResponse {
    pub url: String,
    pub status: i64,
    pub status_text: String,
}

/// State the event listener keeps up to date.
#[derive(Debug)]
pub struct WatchState {
    /// Requests sent and not yet finished: when, and their URL.
    pub inflight: HashMap<String, (Instant, String)>,
    pub last_network_activity: Instant,
    pub last_storage_write: Instant,
    pub frames: BTreeMap<String, FrameInfo>,
    pub main_frame: Option<String>,
    pub load_fired: bool,
    pub document: Option<DocumentResponse>,
    pub script_urls: BTreeSet<String>,
    pub blocked: Vec<BlockedCookie>,
    pub dialogs: Vec<String>,
    pub crashed: bool,
}

/// A handle on the watched state of one page.
#[derive(Clone)]
pub struct PageWatch(pub Arc<Mutex<WatchState>>);

impl WatchState {
    /// Up to three URLs of requests still in flight, for timeout messages.
    pub fn pending_urls(&self) -> String {
        let mut urls: Vec<&str> = self.inflight.values().map(|(_, u)| u.as_str()).collect();
        urls.sort();
        let more = urls.len().saturating_sub(3);
        let mut s = urls.into_iter().take(3).collect::<Vec<_>>().join(", ");
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
        s
    }
}

impl PageWatch {
    /// Starts pumping the page's events into the state (the domains must be enabled by the caller).
    pub fn attach(page: &Page, call_timeout: Duration) -> PageWatch {
        let now = Instant::now();
        let watch = PageWatch(Arc::new(Mutex::new(WatchState {
            inflight: HashMap::new(),
            last_network_activity: now,
            last_storage_write: now,
            frames: BTreeMap::new(),
            // A page target's main frame has the target's id, known before any event.
            main_frame: Some(page.target_id.clone()),
            load_fired: false,
            document: None,
            script_urls: BTreeSet::new(),
            blocked: Vec::new(),
            dialogs: Vec::new(),
            crashed: false,
        })));
        let events = page.cdp.events(&page.session_id);
        let state = Arc::clone(&watch.0);
        let page = page.clone();
        // The pump ends when the session is forgotten or the connection closes.
        std::thread::spawn(move || {
            for event in events {
                let method = event
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let params = event.get("params").unwrap_or(&Value::Null);
                let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                on_event(&mut s, method, params);
                if method == "Page.javascriptDialogOpening" {
                    let kind = str_at(params, "type");
                    s.dialogs
                        .push(format!("{kind}: {}", str_at(params, "message")));
                    drop(s);
                    // Answered off the pump, so events keep flowing while the answer travels.
                    let page = page.clone();
                    std::thread::spawn(move || {
                        let _ = page.call(
                            "Page.handleJavaScriptDialog",
                            json!({ "accept": true }),
                            call_timeout,
                        );
                    });
                }
            }
        });
        watch
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn on_event(s: &mut WatchState, method: &str, p: &Value) {
    let now = Instant::now();
    match method {
        "Network.requestWillBeSent" => {
            let url = p
                .pointer("/request/url")
                .and_then(Value::as_str)
                .unwrap_or_default();
            s.inflight
                .insert(str_at(p, "requestId").to_string(), (now, url.to_string()));
            s.last_network_activity = now;
            if str_at(p, "type") == "Script"
                && let Some(url) = p.pointer("/request/url").and_then(Value::as_str)
            {
                s.script_urls.insert(url.to_string());
            }
        }
        "Network.loadingFinished" | "Network.loadingFailed" => {
            s.inflight.remove(str_at(p, "requestId"));
            s.last_network_activity = now;
        }
        "Network.responseReceived" => {
            s.last_network_activity = now;
            let frame = p.get("frameId").and_then(Value::as_str);
            if str_at(p, "type") == "Document"
                && frame.is_some()
                && frame == s.main_frame.as_deref()
            {
                let r = p.get("response").unwrap_or(&Value::Null);
                s.document = Some(DocumentResponse {
                    url: str_at(r, "url").to_string(),
                    status: r.get("status").and_then(Value::as_f64).unwrap_or(0.0) as i64,
                    status_text: str_at(r, "statusText").to_string(),
                });
            }
        }
        "Network.responseReceivedExtraInfo" => {
            for b in p
                .get("blockedCookies")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let line = str_at(b, "cookieLine");
                let (name, domain) = match b.get("cookie") {
                    Some(c) => (
                        str_at(c, "name").to_string(),
                        Some(str_at(c, "domain").to_string()),
                    ),
                    None => (
                        line.split(['=', ';'])
                            .next()
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                        None,
                    ),
                };
                let reasons = b
                    .get("blockedReasons")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                // The response that carried the Set-Cookie, from the request still in flight.
                let url = s
                    .inflight
                    .get(str_at(p, "requestId"))
                    .map(|(_, u)| u.clone())
                    .unwrap_or_default();
                s.blocked.push(BlockedCookie {
                    name,
                    domain,
                    url,
                    reasons,
                });
            }
        }
        "DOMStorage.domStorageItemAdded"
        | "DOMStorage.domStorageItemRemoved"
        | "DOMStorage.domStorageItemUpdated"
        | "DOMStorage.domStorageItemsCleared" => {
            s.last_storage_write = now;
        }
        "Page.frameNavigated" => {
            let f = p.get("frame").unwrap_or(&Value::Null);
            let id = str_at(f, "id").to_string();
            let parent = f
                .get("parentId")
                .and_then(Value::as_str)
                .map(str::to_string);
            if parent.is_none() {
                s.main_frame = Some(id.clone());
                s.load_fired = false;
            }
            s.frames.insert(
                id.clone(),
                FrameInfo {
                    id,
                    parent,
                    url: str_at(f, "url").to_string(),
                    origin: str_at(f, "securityOrigin").to_string(),
                },
            );
        }
        "Page.frameDetached" => {
            s.frames.remove(str_at(p, "frameId"));
        }
        "Page.loadEventFired" => s.load_fired = true,
        "Inspector.targetCrashed" => s.crashed = true,
        "Runtime.bindingCalled" if str_at(p, "name") == REFUSED_BINDING => {
            if let Ok(v) = serde_json::from_str::<Value>(str_at(p, "payload")) {
                s.blocked.push(BlockedCookie {
                    name: str_at(&v, "name").to_string(),
                    domain: crate::vocab::host_of(str_at(&v, "origin")),
                    url: str_at(&v, "origin").to_string(),
                    reasons: vec!["refused when set with document.cookie".into()],
                });
            }
        }
        _ => {}
    }
}
