//! What the page does between our calls: network activity, storage writes, frames, dialogs, crashes.

use crate::browser::cdp::Page;
use crate::vocab::Step;
use serde::{Deserialize, Serialize};
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
    /// The answer's MIME type (`text/html`; a journey leaves other answers out).
    #[serde(default)]
    pub mime_type: String,
}

/// How many requests a scan keeps in full; those beyond are counted (per host and step) and
/// dropped, so a page that makes tens of thousands of requests costs bounded memory.
pub const MAX_REQUEST_ENTRIES: usize = 2_000;
/// How many distinct (host, step) pairs a scan tallies; contacts beyond are counted as dropped.
pub const MAX_HOST_TALLIES: usize = 2_000;
/// How many requests per (host, step) are kept as samples (the evidence of a finding).
pub const SAMPLES_PER_HOST: usize = 3;

/// One request the page made, as the browser reported it (URL unredacted: the report redacts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawRequest {
    /// The step during which it started.
    pub step: Step,
    /// The journey's page it started on (see `StepRecord::page`).
    #[serde(default)]
    pub page: String,
    pub url: String,
    pub method: String,
    /// Chromium's resource type: Document, Script, XHR, Fetch, WebSocket, Ping, Image, …
    pub resource_type: String,
    /// The frame that made it, when the browser says.
    pub frame: Option<String>,
    /// What started it: `parser`, `script`, `preload`, `other`, …
    pub initiator_type: String,
    /// The document or script that started it.
    pub initiator_url: Option<String>,
    /// The HTTP status (a redirect's for a hop that was redirected; 101 for a WebSocket).
    pub status: Option<i64>,
    /// Why it failed (`net::ERR_…`), when it did.
    pub error: Option<String>,
    /// Wall-clock start, seconds since the epoch.
    pub started: f64,
    /// From start to finish (or failure), when it finished while watched.
    pub duration_ms: Option<f64>,
    /// Served by a service worker.
    pub from_service_worker: bool,
    /// The response's status text, MIME type and protocol (`http/1.1`, `h2`, …).
    #[serde(default)]
    pub status_text: String,
    #[serde(default)]
    pub mime_type: String,
    #[serde(default)]
    pub protocol: String,
    /// Bytes received over the network, when it finished while watched.
    #[serde(default)]
    pub encoded_length: Option<f64>,
    /// Headers as sent and as received (kept for listed requests only, never for samples).
    #[serde(default)]
    pub request_headers: Vec<(String, String)>,
    #[serde(default)]
    pub response_headers: Vec<(String, String)>,
    #[serde(default)]
    pub timings: Option<Timings>,
}

/// Where a request's time went, in milliseconds, as HAR 1.2 counts it (-1: not applicable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub blocked: f64,
    pub dns: f64,
    pub connect: f64,
    pub ssl: f64,
    pub send: f64,
    pub wait: f64,
    pub receive: f64,
}

impl Timings {
    /// From Chromium's `ResourceTiming` (milliseconds relative to its `requestTime`).
    fn of(t: &Value) -> Timings {
        let at = |k: &str| t.get(k).and_then(Value::as_f64).unwrap_or(-1.0);
        let span = |a: &str, b: &str| {
            if at(a) >= 0.0 && at(b) >= at(a) {
                at(b) - at(a)
            } else {
                -1.0
            }
        };
        let blocked = ["dnsStart", "connectStart", "sendStart"]
            .iter()
            .map(|k| at(k))
            .find(|v| *v >= 0.0)
            .unwrap_or(-1.0);
        Timings {
            blocked,
            dns: span("dnsStart", "dnsEnd"),
            connect: span("connectStart", "connectEnd"),
            ssl: span("sslStart", "sslEnd"),
            send: span("sendStart", "sendEnd").max(0.0),
            wait: (at("receiveHeadersEnd") - at("sendEnd").max(0.0)).max(0.0),
            receive: 0.0,
        }
    }

    /// The time accounted for before the body arrived.
    fn before_body(&self) -> f64 {
        [self.blocked, self.dns, self.connect, self.send, self.wait]
            .iter()
            .filter(|v| **v > 0.0)
            .sum()
    }
}

fn headers_of(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// What a response (or a redirect's) says about its request.
fn apply_response(e: &mut RawRequest, r: &Value) {
    e.status = r.get("status").and_then(Value::as_f64).map(|v| v as i64);
    e.status_text = str_at(r, "statusText").to_string();
    e.mime_type = str_at(r, "mimeType").to_string();
    e.protocol = str_at(r, "protocol").to_string();
    e.from_service_worker = r
        .get("fromServiceWorker")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    e.response_headers = headers_of(r.get("headers"));
    if let Some(t) = r.get("timing") {
        e.timings = Some(Timings::of(t));
    }
}

/// The requests of one host at one step: how many, and the first few.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostTally {
    pub host: String,
    pub step: Step,
    /// The journey's page (see `StepRecord::page`).
    #[serde(default)]
    pub page: String,
    pub count: u64,
    /// The first few, as they started (status and timings unknown yet).
    pub samples: Vec<RawRequest>,
    /// Where each sample is listed in [`RequestLog::entries`] (and completed), if it is.
    #[serde(default)]
    pub listed: Vec<Option<usize>>,
}

/// Every request of a page: the first [`MAX_REQUEST_ENTRIES`] in full, every one counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestLog {
    pub entries: Vec<RawRequest>,
    /// Every request seen, kept or not.
    pub total: u64,
    /// Requests not kept in `entries` (over the cap).
    pub dropped: u64,
    /// Per host and step, in order of first contact.
    pub hosts: Vec<HostTally>,
    /// Requests not tallied because too many distinct hosts were contacted.
    pub hosts_dropped: u64,
    #[serde(skip)]
    open: HashMap<String, (usize, f64)>,
    #[serde(skip)]
    tally_index: HashMap<(String, String, Step), usize>,
}

/// A request as a host's sample: without its headers (kept once, in the listed entry).
fn sample(r: &RawRequest) -> RawRequest {
    RawRequest {
        request_headers: Vec::new(),
        response_headers: Vec::new(),
        ..r.clone()
    }
}

impl RequestLog {
    /// Records a request that starts now.
    pub fn start(&mut self, id: &str, r: RawRequest, timestamp: f64) {
        self.total += 1;
        let host = crate::vocab::host_of(&r.url).unwrap_or_default();
        let key = (host, r.page.clone(), r.step);
        let listed = (self.entries.len() < MAX_REQUEST_ENTRIES).then_some(self.entries.len());
        match self.tally_index.get(&key) {
            Some(&i) => {
                let t = &mut self.hosts[i];
                t.count += 1;
                if t.samples.len() < SAMPLES_PER_HOST {
                    t.samples.push(sample(&r));
                    t.listed.push(listed);
                }
            }
            None if self.hosts.len() < MAX_HOST_TALLIES => {
                self.tally_index.insert(key.clone(), self.hosts.len());
                self.hosts.push(HostTally {
                    host: key.0,
                    page: key.1,
                    step: key.2,
                    count: 1,
                    samples: vec![sample(&r)],
                    listed: vec![listed],
                });
            }
            None => self.hosts_dropped += 1,
        }
        if self.entries.len() < MAX_REQUEST_ENTRIES {
            self.open
                .insert(id.to_string(), (self.entries.len(), timestamp));
            self.entries.push(r);
        } else {
            self.dropped += 1;
        }
    }

    /// Requests recorded as on page `from` are on page `to` (a navigation that was redirected).
    pub fn rename_page(&mut self, from: &str, to: &str) {
        if from == to {
            return;
        }
        for e in self.entries.iter_mut().filter(|e| e.page == from) {
            e.page = to.to_string();
        }
        let mut renamed = false;
        for t in self.hosts.iter_mut().filter(|t| t.page == from) {
            t.page = to.to_string();
            for s in &mut t.samples {
                s.page = to.to_string();
            }
            renamed = true;
        }
        if renamed {
            self.tally_index = self
                .hosts
                .iter()
                .enumerate()
                .map(|(i, t)| ((t.host.clone(), t.page.clone(), t.step), i))
                .collect();
        }
    }

    /// The kept entry of an open request.
    fn entry(&mut self, id: &str) -> Option<&mut RawRequest> {
        let &(i, _) = self.open.get(id)?;
        self.entries.get_mut(i)
    }

    /// A request that finished (or failed) at `timestamp`: it is no longer open.
    fn finish(&mut self, id: &str, timestamp: f64, error: Option<String>, encoded: Option<f64>) {
        if let Some((i, t0)) = self.open.remove(id)
            && let Some(e) = self.entries.get_mut(i)
        {
            if timestamp > 0.0 && t0 > 0.0 {
                let total = ((timestamp - t0) * 1000.0).max(0.0);
                e.duration_ms = Some(total);
                if let Some(t) = &mut e.timings {
                    t.receive = (total - t.before_body()).max(0.0);
                }
            }
            if encoded.is_some() {
                e.encoded_length = encoded;
            }
            if error.is_some() {
                e.error = error;
            }
        }
    }
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
    /// The step in progress, set by the scan: requests are recorded with it.
    pub step: Step,
    /// The journey's page in progress, set by the scan: requests are recorded with it.
    pub page: String,
    /// Every request the page made (documents, scripts, XHR/fetch, WebSockets, beacons, …).
    pub requests: RequestLog,
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
                if Child::route(&page.cdp, &state, method, params, call_timeout) {
                    continue;
                }
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
    /// forgotten. True when `method` was one of them.
    fn route(
        cdp: &crate::browser::cdp::Cdp,
        state: &Arc<Mutex<WatchState>>,
        method: &str,
        p: &Value,
        t: Duration,
    ) -> bool {
        match method {
            "Target.attachedToTarget" => {
                let child = Child {
                    session: str_at(p, "sessionId").to_string(),
                    kind: p
                        .pointer("/targetInfo/type")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                };
                child.watch(cdp, state, t);
                true
            }
            "Target.detachedFromTarget" => {
                cdp.forget(str_at(p, "sessionId"));
                true
            }
            _ => false,
        }
    }

    /// Records the child's requests in the page's log (its request ids kept apart by session),
    /// and sets it up off the pump: a frame gets the cookie hook and the visitor's signals, as
    /// the page did, then every child is let run.
    fn watch(self, cdp: &crate::browser::cdp::Cdp, state: &Arc<Mutex<WatchState>>, t: Duration) {
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
            for event in events {
                let method = event
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let mut params = event.get("params").cloned().unwrap_or(Value::Null);
                if Child::route(&cdp, &state, method, &params, t) {
                    continue;
                }
                let wanted = method.starts_with("Network.")
                    || (method == "Runtime.bindingCalled"
                        && str_at(&params, "name") == REFUSED_BINDING);
                if !wanted {
                    continue;
                }
                if let Some(id) = params.get("requestId").and_then(Value::as_str) {
                    params["requestId"] = format!("{}:{id}", self.session).into();
                }
                let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                on_event(&mut s, method, &params);
            }
        });
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// What started a request: the initiator's type, and the document or script behind it.
fn initiator_of(p: &Value) -> (String, Option<String>) {
    let i = p.get("initiator").unwrap_or(&Value::Null);
    let kind = str_at(i, "type");
    let url = i
        .get("url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .or_else(|| {
            // A script's stack: its innermost frame with a URL, else the async parent's.
            let mut stack = i.get("stack");
            while let Some(st) = stack {
                if let Some(u) = st
                    .get("callFrames")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.get("url").and_then(Value::as_str))
                    .find(|u| !u.is_empty())
                {
                    return Some(u);
                }
                stack = st.get("parent");
            }
            None
        });
    (
        if kind.is_empty() { "other" } else { kind }.to_string(),
        url.map(str::to_string),
    )
}

fn f64_at(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(0.0)
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
            let id = str_at(p, "requestId");
            // A redirect reuses the request id: the hop before it ends with the redirect's status.
            if let Some(r) = p.get("redirectResponse") {
                let ts = f64_at(p, "timestamp");
                if let Some(e) = s.requests.entry(id) {
                    apply_response(e, r);
                }
                s.requests.finish(id, ts, None, None);
            }
            let (initiator_type, initiator_url) = initiator_of(p);
            let step = s.step;
            s.requests.start(
                id,
                RawRequest {
                    step,
                    page: s.page.clone(),
                    url: url.to_string(),
                    method: p
                        .pointer("/request/method")
                        .and_then(Value::as_str)
                        .unwrap_or("GET")
                        .to_string(),
                    resource_type: match str_at(p, "type") {
                        "" => "Other".to_string(),
                        t => t.to_string(),
                    },
                    frame: p.get("frameId").and_then(Value::as_str).map(str::to_string),
                    initiator_type,
                    initiator_url,
                    status: None,
                    error: None,
                    started: f64_at(p, "wallTime"),
                    duration_ms: None,
                    from_service_worker: false,
                    status_text: String::new(),
                    mime_type: String::new(),
                    protocol: String::new(),
                    encoded_length: None,
                    request_headers: headers_of(p.pointer("/request/headers")),
                    response_headers: Vec::new(),
                    timings: None,
                },
                f64_at(p, "timestamp"),
            );
            if str_at(p, "type") == "Script"
                && let Some(url) = p.pointer("/request/url").and_then(Value::as_str)
            {
                s.script_urls.insert(url.to_string());
            }
        }
        "Network.loadingFinished" | "Network.loadingFailed" => {
            s.inflight.remove(str_at(p, "requestId"));
            s.last_network_activity = now;
            let error = (method == "Network.loadingFailed").then(|| {
                let e = str_at(p, "errorText");
                match p.get("blockedReason").and_then(Value::as_str) {
                    Some(b) => format!("{e} (blocked: {b})"),
                    None => e.to_string(),
                }
            });
            let encoded = p.get("encodedDataLength").and_then(Value::as_f64);
            s.requests.finish(
                str_at(p, "requestId"),
                f64_at(p, "timestamp"),
                error,
                encoded,
            );
        }
        "Network.webSocketCreated" if !s.requests.open.contains_key(str_at(p, "requestId")) => {
            s.last_network_activity = now;
            let (initiator_type, initiator_url) = initiator_of(p);
            let step = s.step;
            s.requests.start(
                str_at(p, "requestId"),
                RawRequest {
                    step,
                    page: s.page.clone(),
                    url: str_at(p, "url").to_string(),
                    method: "GET".into(),
                    resource_type: "WebSocket".into(),
                    frame: None,
                    initiator_type,
                    initiator_url,
                    status: None,
                    error: None,
                    started: time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9,
                    duration_ms: None,
                    from_service_worker: false,
                    status_text: String::new(),
                    mime_type: String::new(),
                    protocol: String::new(),
                    encoded_length: None,
                    request_headers: Vec::new(),
                    response_headers: Vec::new(),
                    timings: None,
                },
                0.0,
            );
        }
        "Network.webSocketHandshakeResponseReceived" => {
            let status = p
                .pointer("/response/status")
                .and_then(Value::as_f64)
                .map(|v| v as i64);
            if let Some(e) = s.requests.entry(str_at(p, "requestId")) {
                e.status = status;
                e.status_text = p
                    .pointer("/response/statusText")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                e.response_headers = headers_of(p.pointer("/response/headers"));
            }
        }
        "Network.webSocketWillSendHandshakeRequest" => {
            if let Some(e) = s.requests.entry(str_at(p, "requestId")) {
                e.request_headers = headers_of(p.pointer("/request/headers"));
            }
        }
        "Network.webSocketFrameError" => {
            if let Some(e) = s.requests.entry(str_at(p, "requestId")) {
                e.error = Some(str_at(p, "errorMessage").to_string());
            }
        }
        "Network.responseReceived" => {
            s.last_network_activity = now;
            if let Some(e) = s.requests.entry(str_at(p, "requestId")) {
                apply_response(e, p.get("response").unwrap_or(&Value::Null));
            }
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
                    mime_type: str_at(r, "mimeType").to_string(),
                });
            }
        }
        "Network.requestWillBeSentExtraInfo" => {
            // The headers as sent, Cookie included (the first event's lack what the network adds).
            let headers = headers_of(p.get("headers"));
            if let Some(e) = s.requests.entry(str_at(p, "requestId"))
                && !headers.is_empty()
            {
                e.request_headers = headers;
            }
        }
        "Network.responseReceivedExtraInfo" => {
            let headers = headers_of(p.get("headers"));
            if let Some(e) = s.requests.entry(str_at(p, "requestId"))
                && !headers.is_empty()
            {
                e.response_headers = headers;
            }
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
                // A new document: the scripts that show a vendor are its own from here on.
                s.script_urls.clear();
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
