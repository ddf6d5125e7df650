//! What the page does between our calls: network activity, storage writes, frames, dialogs, crashes.
//!
//! Each CDP event of the page's session (and of the targets attached to it) is read once into a
//! typed [`PageEvent`] ([`event`]), then routed: requests to the [`RequestLog`] ([`requests`]),
//! the page and its frames to their bookkeeping ([`frames`]). The page hook ([`hook`]) reports
//! the cookie writes the browser refused.

pub mod event;
pub mod frames;
pub mod hook;
pub mod requests;

pub use event::PageEvent;
pub use frames::{BlockedCookie, DocumentResponse, FrameInfo};
pub use hook::{COOKIE_HOOK, REFUSED_BINDING};
pub use requests::{
    HostTally, MAX_HOST_TALLIES, MAX_REQUEST_ENTRIES, RawRequest, RequestLog, SAMPLES_PER_HOST,
    Timings,
};

use crate::browser::cdp::{Cdp, Page};
use crate::vocab::Step;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// The step in progress, set by the scan: requests are recorded with it.
    pub step: Step,
    /// The journey's page in progress, set by the scan: requests are recorded with it.
    pub page: String,
    /// Every request the page made (documents, scripts, XHR/fetch, WebSockets, beacons, …).
    pub requests: RequestLog,
    /// Told when the page has lived the page time it was granted (the page's clock listens).
    pub on_budget_expired: Option<BudgetListener>,
}

/// What the page's clock does when a grant of page time runs out.
#[derive(Clone)]
pub struct BudgetListener(pub Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for BudgetListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BudgetListener")
    }
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
            step: Step::Load,
            page: String::new(),
            requests: RequestLog::default(),
            on_budget_expired: None,
        })));
        let events = page.cdp.events(&page.session_id);
        let state = Arc::clone(&watch.0);
        let page = page.clone();
        // The pump ends when the session is forgotten or the connection closes.
        std::thread::spawn(move || {
            for event in events.iter().filter_map(|e| parse(&e)) {
                if Child::route(&page.cdp, &state, &event, call_timeout) {
                    continue;
                }
                if matches!(event, PageEvent::VirtualTimeBudgetExpired) {
                    // Called outside the state's lock: the clock takes its own.
                    let listener = lock(&state).on_budget_expired.clone();
                    if let Some(BudgetListener(tell)) = listener {
                        tell();
                    }
                    continue;
                }
                let dialog = matches!(event, PageEvent::DialogOpening { .. });
                lock(&state).apply(event);
                if dialog {
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
        lock(&self.0)
    }
}

fn lock(state: &Mutex<WatchState>) -> std::sync::MutexGuard<'_, WatchState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// The typed event of a CDP event message, if the watcher handles it.
fn parse(message: &Value) -> Option<PageEvent> {
    let method = message
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    PageEvent::parse(method, message.get("params").unwrap_or(&Value::Null))
}

/// Auto-attaching to the page's own targets: its service workers, dedicated workers and, in a
/// browser with site isolation (a farm's), its cross-origin frames. Each is paused until its
/// session is set up, so none of its requests is missed.
pub fn auto_attach() -> (&'static str, Value) {
    (
        "Target.setAutoAttach",
        json!({ "autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true }),
    )
}

/// A target the browser attached to the page's session (see [`auto_attach`]).
struct Child {
    session: String,
    kind: String,
}

impl Child {
    /// Handles a target event of a session: a child attached is watched, a child detached is
    /// forgotten. True when `event` was one of them.
    fn route(cdp: &Cdp, state: &Arc<Mutex<WatchState>>, event: &PageEvent, t: Duration) -> bool {
        match event {
            PageEvent::AttachedToTarget { session, kind } => {
                let child = Child {
                    session: session.clone(),
                    kind: kind.clone(),
                };
                child.watch(cdp, state, t);
                true
            }
            PageEvent::DetachedFromTarget { session } => {
                cdp.forget(session);
                true
            }
            _ => false,
        }
    }

    /// Records the child's requests in the page's log (its request ids kept apart by session),
    /// and sets it up off the pump: a frame gets the cookie hook and the visitor's signals, as
    /// the page did, then every child is let run.
    fn watch(self, cdp: &Cdp, state: &Arc<Mutex<WatchState>>, t: Duration) {
        let events = cdp.events(&self.session);
        let (cdp, state) = (cdp.clone(), Arc::clone(state));
        std::thread::spawn(move || {
            let mut calls = vec![("Network.enable", json!({}))];
            if self.kind == "iframe" {
                calls.push(("Runtime.addBinding", json!({ "name": REFUSED_BINDING })));
                for source in [COOKIE_HOOK, crate::browser::visitor::NOT_AUTOMATED] {
                    calls.push((
                        "Page.addScriptToEvaluateOnNewDocument",
                        json!({ "source": source }),
                    ));
                }
            }
            calls.push(auto_attach());
            calls.push(("Runtime.runIfWaitingForDebugger", json!({})));
            // A child that went away meanwhile answers with errors: nothing to record then.
            let _ = cdp.call_all(Some(&self.session), calls, t);
            for event in events.iter().filter_map(|e| parse(&e)) {
                if Child::route(&cdp, &state, &event, t) {
                    continue;
                }
                if let Some(event) = event.of_child(&self.session) {
                    lock(&state).apply(event);
                }
            }
        });
    }
}

/// The routing of events to what they change.
impl WatchState {
    /// Applies one event of the page (or of a child target, see [`PageEvent::of_child`]).
    pub fn apply(&mut self, event: PageEvent) {
        let now = Instant::now();
        match event {
            PageEvent::RequestWillBeSent(r) => {
                let url = r.url.clone().unwrap_or_default();
                self.inflight.insert(r.id.clone(), (now, url));
                self.last_network_activity = now;
                self.requests.sent(&r, self.step, &self.page);
                if r.resource_type == "Script"
                    && let Some(url) = r.url
                {
                    self.script_urls.insert(url);
                }
            }
            PageEvent::LoadingEnded(e) => {
                self.inflight.remove(&e.id);
                self.last_network_activity = now;
                self.requests.ended(&e);
            }
            PageEvent::WebSocketCreated { id, url, initiator } if !self.requests.is_open(&id) => {
                self.last_network_activity = now;
                self.requests
                    .websocket_created(&id, &url, &initiator, self.step, &self.page);
            }
            PageEvent::WebSocketCreated { .. } => {}
            PageEvent::WebSocketHandshakeResponse {
                id,
                status,
                status_text,
                headers,
            } => self
                .requests
                .websocket_answered(&id, status, &status_text, &headers),
            PageEvent::WebSocketHandshakeRequest { id, headers } => {
                self.requests.request_headers(&id, &headers)
            }
            PageEvent::WebSocketFrameError { id, message } => self.requests.failed(&id, &message),
            PageEvent::ResponseReceived {
                id,
                resource_type,
                frame,
                response,
            } => {
                self.last_network_activity = now;
                self.requests.responded(&id, &response);
                self.document_answered(&resource_type, frame.as_deref(), &response);
            }
            // The headers as sent, Cookie included (the first event's lack what the network adds).
            PageEvent::RequestExtraInfo { id, headers } if !headers.is_empty() => {
                self.requests.request_headers(&id, &headers)
            }
            PageEvent::RequestExtraInfo { .. } => {}
            PageEvent::ResponseExtraInfo {
                id,
                headers,
                blocked,
            } => {
                if !headers.is_empty() {
                    self.requests.response_headers(&id, &headers);
                }
                self.set_cookies_refused(&id, blocked);
            }
            PageEvent::StorageWritten => self.last_storage_write = now,
            PageEvent::FrameNavigated(frame) => self.frame_navigated(frame),
            PageEvent::FrameDetached { id } => {
                self.frames.remove(&id);
            }
            PageEvent::LoadEventFired => self.load_fired = true,
            PageEvent::TargetCrashed => self.crashed = true,
            PageEvent::DialogOpening { kind, message } => {
                self.dialogs.push(format!("{kind}: {message}"))
            }
            PageEvent::RefusedCookie { name, origin } => self.cookie_write_refused(name, origin),
            // Targets are the pumps' own business (see `Child::route`).
            PageEvent::AttachedToTarget { .. } | PageEvent::DetachedFromTarget { .. } => {}
            // The clock's business, handed over by the pump.
            PageEvent::VirtualTimeBudgetExpired => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> WatchState {
        let now = Instant::now();
        WatchState {
            inflight: HashMap::new(),
            last_network_activity: now,
            last_storage_write: now,
            frames: BTreeMap::new(),
            main_frame: Some("main".into()),
            load_fired: false,
            document: None,
            script_urls: BTreeSet::new(),
            blocked: Vec::new(),
            dialogs: Vec::new(),
            crashed: false,
            step: Step::Load,
            page: "/".into(),
            requests: RequestLog::default(),
            on_budget_expired: None,
        }
    }

    fn event(method: &str, params: Value) -> PageEvent {
        PageEvent::parse(method, &params).expect(method)
    }

    #[test]
    fn a_redirected_request_ends_its_first_hop_and_the_document_is_the_main_frames() {
        let mut s = state();
        let sent = |url: &str, redirect: Option<Value>| {
            let mut p = json!({
                "requestId": "1", "type": "Document", "frameId": "main", "timestamp": 1.0,
                "wallTime": 100.0, "request": { "url": url, "method": "GET" },
                "initiator": { "type": "script", "stack": { "callFrames": [{ "url": "" }],
                    "parent": { "callFrames": [{ "url": "https://a.test/app.js" }] } } },
            });
            if let Some(r) = redirect {
                p["redirectResponse"] = r;
            }
            event("Network.requestWillBeSent", p)
        };
        s.apply(sent("http://a.test/", None));
        s.apply(sent(
            "https://a.test/",
            Some(json!({ "status": 301, "statusText": "Moved" })),
        ));
        s.apply(event(
            "Network.responseReceived",
            json!({ "requestId": "1", "type": "Document", "frameId": "main",
                    "response": { "url": "https://a.test/", "status": 200, "mimeType": "text/html" } }),
        ));
        s.apply(event(
            "Network.loadingFinished",
            json!({ "requestId": "1", "timestamp": 1.5, "encodedDataLength": 42.0 }),
        ));
        let e = &s.requests.entries;
        assert_eq!((e[0].status, e[1].status), (Some(301), Some(200)));
        assert_eq!(e[1].encoded_length, Some(42.0));
        assert_eq!(e[0].initiator_url.as_deref(), Some("https://a.test/app.js"));
        assert_eq!(s.document.as_ref().map(|d| d.status), Some(200));
        assert!(s.inflight.is_empty());
    }

    #[test]
    fn a_childs_requests_are_kept_apart_and_its_frames_are_not_the_pages() {
        let sent = event(
            "Network.requestWillBeSent",
            json!({ "requestId": "7", "request": { "url": "https://w.test/x" } }),
        );
        let Some(PageEvent::RequestWillBeSent(r)) = sent.of_child("S") else {
            panic!("a child's request is recorded");
        };
        assert_eq!(r.id, "S:7");
        let nav = event("Page.frameNavigated", json!({ "frame": { "id": "f" } }));
        assert!(nav.clone().of_child("S").is_none());
        let mut s = state();
        s.apply(nav);
        assert_eq!(s.main_frame.as_deref(), Some("f"));
        assert!(PageEvent::parse("Network.dataReceived", &json!({})).is_none());
    }
}
