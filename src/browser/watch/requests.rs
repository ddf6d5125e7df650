//! The request log: every request a page made, the first few thousand in full, all counted per host and step.

use super::event::{Initiator, LoadingEnded, RequestSent, Response};
use crate::vocab::Step;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

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
    pub(super) fn of(t: &Value) -> Timings {
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

/// A request as it starts: what the browser said of it so far.
fn started(step: Step, page: &str, url: String, initiator: &Initiator, started: f64) -> RawRequest {
    RawRequest {
        step,
        page: page.to_string(),
        url,
        method: "GET".into(),
        resource_type: "Other".into(),
        frame: None,
        initiator_type: initiator.kind.clone(),
        initiator_url: initiator.url.clone(),
        status: None,
        error: None,
        started,
        duration_ms: None,
        from_service_worker: false,
        status_text: String::new(),
        mime_type: String::new(),
        protocol: String::new(),
        encoded_length: None,
        request_headers: Vec::new(),
        response_headers: Vec::new(),
        timings: None,
    }
}

/// What a response (or a redirect's) says about its request.
fn apply_response(e: &mut RawRequest, r: &Response) {
    e.status = r.status;
    e.status_text = r.status_text.clone();
    e.mime_type = r.mime_type.clone();
    e.protocol = r.protocol.clone();
    e.from_service_worker = r.from_service_worker;
    e.response_headers = r.headers.clone();
    if let Some(t) = r.timing {
        e.timings = Some(t);
    }
}

/// The event handlers: each event of a request updates its entry, if it is kept.
impl RequestLog {
    /// `Network.requestWillBeSent`, during `step` on `page`.
    pub(super) fn sent(&mut self, r: &RequestSent, step: Step, page: &str) {
        // A redirect reuses the request id: the hop before it ends with the redirect's status.
        if let Some(redirect) = &r.redirect_response {
            self.responded(&r.id, redirect);
            self.finish(&r.id, r.timestamp, None, None);
        }
        let url = r.url.clone().unwrap_or_default();
        let request = RawRequest {
            method: r.method.clone(),
            resource_type: match r.resource_type.as_str() {
                "" => "Other".to_string(),
                t => t.to_string(),
            },
            frame: r.frame.clone(),
            request_headers: r.headers.clone(),
            ..started(step, page, url, &r.initiator, r.wall_time)
        };
        self.start(&r.id, request, r.timestamp);
    }

    /// `Network.loadingFinished` or `Network.loadingFailed`.
    pub(super) fn ended(&mut self, e: &LoadingEnded) {
        self.finish(&e.id, e.timestamp, e.error.clone(), e.encoded_length);
    }

    /// True while request `id` is open (started, kept and not finished).
    pub(super) fn is_open(&self, id: &str) -> bool {
        self.open.contains_key(id)
    }

    /// `Network.webSocketCreated`: a WebSocket starts now.
    pub(super) fn websocket_created(
        &mut self,
        id: &str,
        url: &str,
        initiator: &Initiator,
        step: Step,
        page: &str,
    ) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9;
        let request = RawRequest {
            resource_type: "WebSocket".into(),
            ..started(step, page, url.to_string(), initiator, now)
        };
        self.start(id, request, 0.0);
    }

    /// A WebSocket's handshake answer.
    pub(super) fn websocket_answered(
        &mut self,
        id: &str,
        status: Option<i64>,
        status_text: &str,
        headers: &[(String, String)],
    ) {
        if let Some(e) = self.entry(id) {
            e.status = status;
            e.status_text = status_text.to_string();
            e.response_headers = headers.to_vec();
        }
    }

    /// The headers request `id` was sent with.
    pub(super) fn request_headers(&mut self, id: &str, headers: &[(String, String)]) {
        if let Some(e) = self.entry(id) {
            e.request_headers = headers.to_vec();
        }
    }

    /// The headers request `id` was answered with.
    pub(super) fn response_headers(&mut self, id: &str, headers: &[(String, String)]) {
        if let Some(e) = self.entry(id) {
            e.response_headers = headers.to_vec();
        }
    }

    /// Request `id` failed with `error` (a WebSocket's frame error), though it may go on.
    pub(super) fn failed(&mut self, id: &str, error: &str) {
        if let Some(e) = self.entry(id) {
            e.error = Some(error.to_string());
        }
    }

    /// `Network.responseReceived` (or a redirect's answer) for request `id`.
    pub(super) fn responded(&mut self, id: &str, r: &Response) {
        if let Some(e) = self.entry(id) {
            apply_response(e, r);
        }
    }
}
