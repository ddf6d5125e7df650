//! The CDP events the watcher handles, each read once from its JSON into a typed [`PageEvent`].

use super::frames::FrameInfo;
use super::hook::REFUSED_BINDING;
use super::requests::Timings;
use serde_json::Value;

/// One event of a page's (or a child target's) session that the watcher acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum PageEvent {
    /// `Network.requestWillBeSent`.
    RequestWillBeSent(RequestSent),
    /// `Network.loadingFinished` (`error` None) or `Network.loadingFailed`.
    LoadingEnded(LoadingEnded),
    /// `Network.webSocketCreated`.
    WebSocketCreated {
        id: String,
        url: String,
        initiator: Initiator,
    },
    /// `Network.webSocketWillSendHandshakeRequest`.
    WebSocketHandshakeRequest {
        id: String,
        headers: Vec<(String, String)>,
    },
    /// `Network.webSocketHandshakeResponseReceived`.
    WebSocketHandshakeResponse {
        id: String,
        status: Option<i64>,
        status_text: String,
        headers: Vec<(String, String)>,
    },
    /// `Network.webSocketFrameError`.
    WebSocketFrameError { id: String, message: String },
    /// `Network.responseReceived`.
    ResponseReceived {
        id: String,
        resource_type: String,
        frame: Option<String>,
        response: Response,
    },
    /// `Network.requestWillBeSentExtraInfo`: the headers as sent, Cookie included.
    RequestExtraInfo {
        id: String,
        headers: Vec<(String, String)>,
    },
    /// `Network.responseReceivedExtraInfo`: the headers as received, and the refused cookies.
    ResponseExtraInfo {
        id: String,
        headers: Vec<(String, String)>,
        blocked: Vec<RefusedSetCookie>,
    },
    /// Any `DOMStorage.domStorageItem*` event: the page wrote its storage.
    StorageWritten,
    /// `Page.frameNavigated`.
    FrameNavigated(FrameInfo),
    /// `Page.frameDetached`.
    FrameDetached { id: String },
    /// `Page.loadEventFired`.
    LoadEventFired,
    /// `Page.javascriptDialogOpening`.
    DialogOpening { kind: String, message: String },
    /// `Inspector.targetCrashed`.
    TargetCrashed,
    /// `Emulation.virtualTimeBudgetExpired`: the page lived the page time it was granted.
    VirtualTimeBudgetExpired,
    /// `Runtime.bindingCalled` of the page hook ([`REFUSED_BINDING`]) with its payload.
    RefusedCookie { name: String, origin: String },
    /// `Target.attachedToTarget`: a child target (see `auto_attach`).
    AttachedToTarget { session: String, kind: String },
    /// `Target.detachedFromTarget`.
    DetachedFromTarget { session: String },
}

/// What `Network.requestWillBeSent` says.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSent {
    pub id: String,
    /// The request's URL, when the event has one.
    pub url: Option<String>,
    pub method: String,
    /// Chromium's resource type as sent (empty when none).
    pub resource_type: String,
    pub frame: Option<String>,
    pub initiator: Initiator,
    pub wall_time: f64,
    pub timestamp: f64,
    pub headers: Vec<(String, String)>,
    /// The answer of the hop before, when this request is a redirect.
    pub redirect_response: Option<Response>,
}

/// What `Network.loadingFinished` or `Network.loadingFailed` says.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadingEnded {
    pub id: String,
    pub timestamp: f64,
    /// Why it failed (`net::ERR_…`, with the blocked reason), when it did.
    pub error: Option<String>,
    pub encoded_length: Option<f64>,
}

/// What started a request: the initiator's type, and the document or script behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Initiator {
    pub kind: String,
    pub url: Option<String>,
}

/// A CDP `Network.Response` (or a redirect's).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub url: String,
    pub status: Option<i64>,
    pub status_text: String,
    pub mime_type: String,
    pub protocol: String,
    pub from_service_worker: bool,
    pub headers: Vec<(String, String)>,
    pub timing: Option<Timings>,
}

/// A `Set-Cookie` the browser refused, as `Network.responseReceivedExtraInfo` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedSetCookie {
    pub name: String,
    pub domain: Option<String>,
    pub reasons: Vec<String>,
}

impl PageEvent {
    /// The event a CDP message (`method`, `params`) is, or None when the watcher ignores it.
    pub fn parse(method: &str, p: &Value) -> Option<PageEvent> {
        let id = || str_at(p, "requestId").to_string();
        Some(match method {
            "Network.requestWillBeSent" => PageEvent::RequestWillBeSent(RequestSent::of(p)),
            "Network.loadingFinished" | "Network.loadingFailed" => {
                let error = (method == "Network.loadingFailed").then(|| {
                    let e = str_at(p, "errorText");
                    match p.get("blockedReason").and_then(Value::as_str) {
                        Some(b) => format!("{e} (blocked: {b})"),
                        None => e.to_string(),
                    }
                });
                PageEvent::LoadingEnded(LoadingEnded {
                    id: id(),
                    timestamp: f64_at(p, "timestamp"),
                    error,
                    encoded_length: p.get("encodedDataLength").and_then(Value::as_f64),
                })
            }
            "Network.webSocketCreated" => PageEvent::WebSocketCreated {
                id: id(),
                url: str_at(p, "url").to_string(),
                initiator: Initiator::of(p),
            },
            "Network.webSocketWillSendHandshakeRequest" => PageEvent::WebSocketHandshakeRequest {
                id: id(),
                headers: headers_of(p.pointer("/request/headers")),
            },
            "Network.webSocketHandshakeResponseReceived" => PageEvent::WebSocketHandshakeResponse {
                id: id(),
                status: p
                    .pointer("/response/status")
                    .and_then(Value::as_f64)
                    .map(|v| v as i64),
                status_text: p
                    .pointer("/response/statusText")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                headers: headers_of(p.pointer("/response/headers")),
            },
            "Network.webSocketFrameError" => PageEvent::WebSocketFrameError {
                id: id(),
                message: str_at(p, "errorMessage").to_string(),
            },
            "Network.responseReceived" => PageEvent::ResponseReceived {
                id: id(),
                resource_type: str_at(p, "type").to_string(),
                frame: p.get("frameId").and_then(Value::as_str).map(str::to_string),
                response: Response::of(p.get("response").unwrap_or(&Value::Null)),
            },
            "Network.requestWillBeSentExtraInfo" => PageEvent::RequestExtraInfo {
                id: id(),
                headers: headers_of(p.get("headers")),
            },
            "Network.responseReceivedExtraInfo" => PageEvent::ResponseExtraInfo {
                id: id(),
                headers: headers_of(p.get("headers")),
                blocked: RefusedSetCookie::all_of(p),
            },
            "DOMStorage.domStorageItemAdded"
            | "DOMStorage.domStorageItemRemoved"
            | "DOMStorage.domStorageItemUpdated"
            | "DOMStorage.domStorageItemsCleared" => PageEvent::StorageWritten,
            "Page.frameNavigated" => {
                let f = p.get("frame").unwrap_or(&Value::Null);
                PageEvent::FrameNavigated(FrameInfo {
                    id: str_at(f, "id").to_string(),
                    parent: f
                        .get("parentId")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    url: str_at(f, "url").to_string(),
                    origin: str_at(f, "securityOrigin").to_string(),
                })
            }
            "Page.frameDetached" => PageEvent::FrameDetached {
                id: str_at(p, "frameId").to_string(),
            },
            "Page.loadEventFired" => PageEvent::LoadEventFired,
            "Page.javascriptDialogOpening" => PageEvent::DialogOpening {
                kind: str_at(p, "type").to_string(),
                message: str_at(p, "message").to_string(),
            },
            "Inspector.targetCrashed" => PageEvent::TargetCrashed,
            "Emulation.virtualTimeBudgetExpired" => PageEvent::VirtualTimeBudgetExpired,
            "Runtime.bindingCalled" if str_at(p, "name") == REFUSED_BINDING => {
                let v = serde_json::from_str::<Value>(str_at(p, "payload")).ok()?;
                PageEvent::RefusedCookie {
                    name: str_at(&v, "name").to_string(),
                    origin: str_at(&v, "origin").to_string(),
                }
            }
            "Target.attachedToTarget" => PageEvent::AttachedToTarget {
                session: str_at(p, "sessionId").to_string(),
                kind: p
                    .pointer("/targetInfo/type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            },
            "Target.detachedFromTarget" => PageEvent::DetachedFromTarget {
                session: str_at(p, "sessionId").to_string(),
            },
            _ => return None,
        })
    }

    /// The request this event is about, when it is a network event.
    fn request_id_mut(&mut self) -> Option<&mut String> {
        match self {
            PageEvent::RequestWillBeSent(RequestSent { id, .. })
            | PageEvent::LoadingEnded(LoadingEnded { id, .. })
            | PageEvent::WebSocketCreated { id, .. }
            | PageEvent::WebSocketHandshakeRequest { id, .. }
            | PageEvent::WebSocketHandshakeResponse { id, .. }
            | PageEvent::WebSocketFrameError { id, .. }
            | PageEvent::ResponseReceived { id, .. }
            | PageEvent::RequestExtraInfo { id, .. }
            | PageEvent::ResponseExtraInfo { id, .. } => Some(id),
            _ => None,
        }
    }

    /// What a child target reports to the page's state: its network events and its refused
    /// cookies, with its request ids kept apart from the page's by its session. None for the
    /// rest (its frames, dialogs and storage are the page's own events already).
    pub fn of_child(mut self, session: &str) -> Option<PageEvent> {
        if let Some(id) = self.request_id_mut() {
            *id = format!("{session}:{id}");
            return Some(self);
        }
        matches!(self, PageEvent::RefusedCookie { .. }).then_some(self)
    }
}

impl RequestSent {
    fn of(p: &Value) -> RequestSent {
        RequestSent {
            id: str_at(p, "requestId").to_string(),
            url: p
                .pointer("/request/url")
                .and_then(Value::as_str)
                .map(str::to_string),
            method: p
                .pointer("/request/method")
                .and_then(Value::as_str)
                .unwrap_or("GET")
                .to_string(),
            resource_type: str_at(p, "type").to_string(),
            frame: p.get("frameId").and_then(Value::as_str).map(str::to_string),
            initiator: Initiator::of(p),
            wall_time: f64_at(p, "wallTime"),
            timestamp: f64_at(p, "timestamp"),
            headers: headers_of(p.pointer("/request/headers")),
            redirect_response: p.get("redirectResponse").map(Response::of),
        }
    }
}

impl Initiator {
    /// The `initiator` of an event's params.
    fn of(p: &Value) -> Initiator {
        let i = p.get("initiator").unwrap_or(&Value::Null);
        let kind = str_at(i, "type");
        let url = i
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .or_else(|| stack_url(i));
        Initiator {
            kind: if kind.is_empty() { "other" } else { kind }.to_string(),
            url: url.map(str::to_string),
        }
    }
}

/// A script initiator's URL: its stack's innermost frame with a URL, else the async parent's.
fn stack_url(initiator: &Value) -> Option<&str> {
    let mut stack = initiator.get("stack");
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
}

impl Response {
    fn of(r: &Value) -> Response {
        Response {
            url: str_at(r, "url").to_string(),
            status: r.get("status").and_then(Value::as_f64).map(|v| v as i64),
            status_text: str_at(r, "statusText").to_string(),
            mime_type: str_at(r, "mimeType").to_string(),
            protocol: str_at(r, "protocol").to_string(),
            from_service_worker: r
                .get("fromServiceWorker")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            headers: headers_of(r.get("headers")),
            timing: r.get("timing").map(Timings::of),
        }
    }
}

impl RefusedSetCookie {
    /// The `blockedCookies` of a `Network.responseReceivedExtraInfo`.
    fn all_of(p: &Value) -> Vec<RefusedSetCookie> {
        p.get("blockedCookies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|b| {
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
                RefusedSetCookie {
                    name,
                    domain,
                    reasons,
                }
            })
            .collect()
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

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn f64_at(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}
