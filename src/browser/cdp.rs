//! A Chrome DevTools Protocol connection: one socket, a reader thread, flattened sessions, a deadline on every call.
//!
//! headless_chrome's own transport lets its reader hold the socket lock through a 100 ms read
//! timeout, so each call waits up to 100 ms to be sent, and its event loop drops events that no
//! longer match its generated types. Here the socket is split in a reading and a writing half,
//! so a call costs one round trip; events arrive as JSON; methods are headless_chrome's
//! protocol definitions (the [`Method`] trait), plus raw ones where its types drifted.

use super::endpoint::{self, Endpoint};
use super::stream::Stream;
use super::visitor::Header;
use crate::error::{Error, Result};
use anyhow::anyhow;
use headless_chrome::protocol::cdp::types::Method;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

/// A CDP call that failed or ran out of time.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CdpError {
    #[error("`{method}` got no answer within {timeout:?} (the page or browser is not responding)")]
    Timeout { method: String, timeout: Duration },
    #[error("`{method}` failed: {message}")]
    Failed { method: String, message: String },
    /// The call ran into an execution context whose document was replaced meanwhile
    /// (navigated, reloaded, detached): expected while a page moves on, not a failure.
    #[error("`{method}` failed: {message}")]
    ContextGone { method: String, message: String },
    #[error("the browser connection is closed ({0})")]
    Closed(String),
}

/// What Chromium answers a call into an execution context whose document was replaced
/// (navigated, reloaded, detached): its error code is the generic one, so only its words tell.
const CONTEXT_GONE: [&str; 2] = ["Cannot find context", "context was destroyed"];

impl CdpError {
    /// True when the browser connection itself is gone (crash or kill), not just one call.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, CdpError::Closed(_))
    }

    /// The browser's error answer to `method`, typed once here: Chromium gives a replaced
    /// document's context the generic error code, so only its words tell it apart.
    pub fn answered(method: String, message: String) -> CdpError {
        if CONTEXT_GONE.iter().any(|w| message.contains(w)) {
            CdpError::ContextGone { method, message }
        } else {
            CdpError::Failed { method, message }
        }
    }

    /// True when the call ran into an execution context that is gone: its document was
    /// replaced (navigated, reloaded, detached) meanwhile.
    pub fn is_context_gone(&self) -> bool {
        matches!(self, CdpError::ContextGone { .. })
    }
}

type Reply = Result<Value, CdpError>;

struct Inner {
    writer: Mutex<WebSocket<Stream>>,
    socket: TcpStream,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, SyncSender<Reply>>>,
    /// Event subscribers by session id ("" for browser-level events).
    listeners: Mutex<HashMap<String, Sender<Value>>>,
    closed: AtomicBool,
    close_reason: Mutex<String>,
}

/// A connection to a browser's DevTools endpoint. Cloning shares it.
#[derive(Clone)]
pub struct Cdp(Arc<Inner>);

impl Cdp {
    /// Connects to the browser chatcookie launched, at `ws://127.0.0.1:port/devtools/browser/…`.
    pub fn connect(ws_url: &str, timeout: Duration) -> Result<Cdp> {
        let url = url::Url::parse(ws_url).map_err(|e| failed(format!("bad DevTools URL: {e}")))?;
        if url.scheme() != "ws" {
            return Err(failed(format!(
                "unsupported scheme `{}` (use ws://)",
                url.scheme()
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| failed("no host in the DevTools URL"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(failed)?
            .next()
            .ok_or_else(|| failed("the DevTools host has no address"))?;
        let stream = Stream::connect(addr, None, timeout)?;
        let writer = stream.try_clone().map_err(failed)?;
        let (reader, _) =
            tungstenite::client::client_with_config(url.as_str(), stream, Some(config()))
                .map_err(|e| failed(format!("WebSocket handshake failed: {e}")))?;
        Self::start(reader, writer, None)
    }

    /// Connects to a farm's browser at `ep` (any `--connect` form), with `headers` on the
    /// handshake. Its close reason then names the farm and the setting that ends sessions.
    pub fn connect_remote(ep: &Endpoint, headers: &[Header], timeout: Duration) -> Result<Cdp> {
        let c = endpoint::connect(ep, headers, config(), timeout)?;
        Self::start(c.reader, c.writer, Some(Instant::now()))
    }

    /// Runs the reader thread over a handshaken socket; `remote_since` is when a farm's
    /// session began.
    fn start(
        reader: WebSocket<Stream>,
        writer: Stream,
        remote_since: Option<Instant>,
    ) -> Result<Cdp> {
        // After the handshake: blocking reads on one handle, writes on the other.
        let socket = writer.socket().try_clone().map_err(failed)?;
        socket.set_read_timeout(None).map_err(failed)?;
        let writer = WebSocket::from_raw_socket(writer, Role::Client, Some(config()));
        let inner = Arc::new(Inner {
            writer: Mutex::new(writer),
            socket,
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            listeners: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            close_reason: Mutex::new(String::new()),
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("cdp-reader".into())
            .spawn(move || read_loop(reader, weak, remote_since))
            .map_err(failed)?;
        Ok(Cdp(inner))
    }

    /// Sends a typed method (headless_chrome's protocol definitions) and parses its answer.
    pub fn call<M: Method + Serialize>(
        &self,
        session: Option<&str>,
        method: M,
        timeout: Duration,
    ) -> Result<M::ReturnObject, CdpError> {
        let params = serde_json::to_value(&method).map_err(|e| CdpError::Failed {
            method: M::NAME.into(),
            message: e.to_string(),
        })?;
        let params = if params.is_null() { json!({}) } else { params };
        let v = self.call_raw(session, M::NAME, params, timeout)?;
        serde_json::from_value(v).map_err(|e| CdpError::Failed {
            method: M::NAME.into(),
            message: format!("unexpected answer: {e}"),
        })
    }

    /// Sends `method` with JSON `params` and waits at most `timeout` for its JSON result.
    pub fn call_raw(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Reply {
        let sent = self.send(session, method, params)?;
        self.await_reply(sent, method, Instant::now() + timeout, timeout)
    }

    /// Sends several methods at once and waits for all their results, together bounded by
    /// `timeout`: one round trip instead of one per method (a session runs them in order).
    pub fn call_all(
        &self,
        session: Option<&str>,
        calls: Vec<(&str, Value)>,
        timeout: Duration,
    ) -> Vec<Reply> {
        let deadline = Instant::now() + timeout;
        let sent: Vec<(&str, Result<Sent, CdpError>)> = calls
            .into_iter()
            .map(|(method, params)| (method, self.send(session, method, params)))
            .collect();
        sent.into_iter()
            .map(|(method, s)| self.await_reply(s?, method, deadline, timeout))
            .collect()
    }

    fn send(&self, session: Option<&str>, method: &str, params: Value) -> Result<Sent, CdpError> {
        let inner = &self.0;
        if inner.closed.load(Ordering::SeqCst) {
            return Err(CdpError::Closed(
                inner
                    .close_reason
                    .lock()
                    .map(|r| r.clone())
                    .unwrap_or_default(),
            ));
        }
        let id = inner.next_id.fetch_add(1, Ordering::SeqCst);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = s.into();
        }
        let (tx, rx) = mpsc::sync_channel(1);
        lock(&inner.pending).insert(id, tx);
        let sent = lock(&inner.writer).send(Message::text(msg.to_string()));
        if let Err(e) = sent {
            lock(&inner.pending).remove(&id);
            return Err(CdpError::Closed(format!("cannot send: {e}")));
        }
        Ok(Sent { id, rx })
    }

    /// Waits until `deadline` for a sent call's answer (`timeout` is what the error reports).
    fn await_reply(&self, sent: Sent, method: &str, deadline: Instant, timeout: Duration) -> Reply {
        let wait = deadline.saturating_duration_since(Instant::now());
        match sent.rx.recv_timeout(wait) {
            Ok(reply) => reply.map_err(|e| match e {
                CdpError::Failed { message, .. } | CdpError::ContextGone { message, .. } => {
                    CdpError::answered(method.into(), message)
                }
                other => other,
            }),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                lock(&self.0.pending).remove(&sent.id);
                Err(CdpError::Timeout {
                    method: method.into(),
                    timeout,
                })
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(CdpError::Closed("the connection dropped".into()))
            }
        }
    }

    /// Events of one session ("" for the browser's own), as JSON messages with `method` and `params`.
    pub fn events(&self, session: &str) -> Receiver<Value> {
        let (tx, rx) = mpsc::channel();
        lock(&self.0.listeners).insert(session.to_string(), tx);
        rx
    }

    /// Stops delivering a session's events.
    pub fn forget(&self, session: &str) {
        lock(&self.0.listeners).remove(session);
    }

    pub fn is_closed(&self) -> bool {
        self.0.closed.load(Ordering::SeqCst)
    }

    /// Why the connection closed, once it has.
    pub fn close_reason(&self) -> Option<String> {
        self.is_closed().then(|| lock(&self.0.close_reason).clone())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Ends the reader thread's blocking read.
        let _ = self.socket.shutdown(Shutdown::Both);
    }
}

/// The browser could not be reached or attached to, for this reason.
fn failed(reason: impl std::fmt::Display) -> Error {
    Error::browser(anyhow!("{reason}"))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Large snapshots (thousands of cookies, megabyte storage values) are single messages.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(512 << 20))
        .max_frame_size(Some(512 << 20))
}

/// Why a farm's session ended, with the settings that bound a session's life: a farm that
/// ends it mid-message leaves only a protocol error (`Reserved bits are non-zero`) behind.
pub fn farm_closed(after: Duration, how: &str) -> String {
    let how = how.trim_start_matches("WebSocket protocol error: ");
    format!(
        "the farm closed the session after {} s ({how}); farms end sessions at a time limit: \
         raise browserless's `timeout` (30 s by default; timeout=MILLISECONDS in the --connect \
         query) or Selenium Grid's --session-timeout above the run's length",
        after.as_secs()
    )
}

fn read_loop(
    mut reader: WebSocket<Stream>,
    inner: std::sync::Weak<Inner>,
    remote_since: Option<Instant>,
) {
    let reason = loop {
        let msg = match reader.read() {
            Ok(Message::Text(t)) => t,
            Ok(Message::Close(frame)) => {
                let how = match frame {
                    Some(f) if !f.reason.is_empty() => format!(
                        "closed with code {}: {}",
                        u16::from(f.code),
                        crate::vocab::terminal_safe(&f.reason, 200)
                    ),
                    Some(f) => format!("closed with code {}", u16::from(f.code)),
                    None => "closed".into(),
                };
                break match remote_since {
                    Some(t) => farm_closed(t.elapsed(), &how),
                    None => format!("the browser closed the connection ({how})"),
                };
            }
            Ok(_) => continue,
            Err(e) => {
                break match remote_since {
                    Some(t) => farm_closed(t.elapsed(), &e.to_string()),
                    None => format!("{e}"),
                };
            }
        };
        let Some(inner) = inner.upgrade() else { return };
        let Some(v) = parse_lossy(&msg) else {
            continue;
        };
        if let Some(id) = v.get("id").and_then(Value::as_u64) {
            if let Some(tx) = lock(&inner.pending).remove(&id) {
                let reply = match v.get("error") {
                    Some(err) => Err(CdpError::answered(
                        String::new(),
                        err.get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("error")
                            .to_string(),
                    )),
                    None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
                };
                let _ = tx.send(reply);
            }
        } else if v.get("method").is_some() {
            let session = v
                .get("sessionId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let mut listeners = lock(&inner.listeners);
            if let Some(tx) = listeners.get(&session)
                && tx.send(v).is_err()
            {
                listeners.remove(&session);
            }
        }
    };
    if let Some(inner) = inner.upgrade() {
        inner.closed.store(true, Ordering::SeqCst);
        *lock(&inner.close_reason) = reason.clone();
        // Every waiting call learns at once that no answer will come.
        for (_, tx) in lock(&inner.pending).drain() {
            let _ = tx.send(Err(CdpError::Closed(reason.clone())));
        }
        lock(&inner.listeners).clear();
    }
}

/// Parses a protocol message. Page content can hold lone UTF-16 surrogates (a storage key
/// `"a\uD800"`), which Chromium escapes as is and serde_json rejects; dropping the message would
/// hide every item beside it, so those escapes become U+FFFD and the message is parsed again.
fn parse_lossy(msg: &str) -> Option<Value> {
    serde_json::from_str(msg)
        .ok()
        .or_else(|| serde_json::from_str(&replace_lone_surrogates(msg)).ok())
}

/// Replaces `\uXXXX` escapes of unpaired surrogates with `\ufffd`, leaving everything else as is.
fn replace_lone_surrogates(s: &str) -> String {
    let b = s.as_bytes();
    let hex_at = |i: usize| -> Option<u32> {
        if b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u') {
            std::str::from_utf8(b.get(i + 2..i + 6)?)
                .ok()
                .and_then(|h| u32::from_str_radix(h, 16).ok())
        } else {
            None
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match hex_at(i) {
                Some(hi @ 0xD800..=0xDBFF) if matches!(hex_at(i + 6), Some(0xDC00..=0xDFFF)) => {
                    let _ = hi;
                    out.push_str(&s[i..i + 12]);
                    i += 12;
                }
                Some(0xD800..=0xDFFF) => {
                    out.push_str("\\ufffd");
                    i += 6;
                }
                // Any other escape (including `\\`) is copied whole, so `\\uD800` stays literal text.
                _ => {
                    let end = (i + 2).min(b.len());
                    out.push_str(&s[i..end]);
                    i = end;
                }
            }
        } else {
            let ch = s[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_document_is_told_from_other_failures() {
        let failed =
            |message: &str| CdpError::answered("Runtime.callFunctionOn".into(), message.into());
        assert!(failed("Cannot find context with specified id").is_context_gone());
        assert!(failed("Execution context was destroyed.").is_context_gone());
        assert!(!failed("Object reference chain is too long").is_context_gone());
        assert!(!CdpError::Closed("gone".into()).is_context_gone());
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let v =
            parse_lossy(r#"{"k":"lone\ud800x","pair":"\ud83d\ude00","esc":"\\ud800"}"#).unwrap();
        assert_eq!(v["k"], "lone\u{fffd}x");
        assert_eq!(v["pair"], "😀");
        assert_eq!(v["esc"], "\\ud800");
        let v = parse_lossy(r#"{"k":"\udc00"}"#).unwrap();
        assert_eq!(v["k"], "\u{fffd}");
        assert!(parse_lossy("{not json").is_none());
    }
}

/// A call sent and not yet answered.
struct Sent {
    id: u64,
    rx: Receiver<Reply>,
}

/// A page target we attached to, with its flattened session.
#[derive(Clone)]
pub struct Page {
    pub cdp: Cdp,
    pub session_id: String,
    pub target_id: String,
    /// The browser context the page lives in, when we created one.
    pub context_id: Option<String>,
}

impl Page {
    /// Calls a raw method on this page's session.
    pub fn call(&self, method: &str, params: Value, timeout: Duration) -> Reply {
        self.cdp
            .call_raw(Some(&self.session_id), method, params, timeout)
    }

    /// Evaluates `expression` in the page's main world and returns its JSON value. The page is
    /// not given user activation: reading the page must not look like a click to it.
    pub fn evaluate(&self, expression: &str, timeout: Duration) -> Reply {
        self.evaluate_as(expression, false, timeout)
    }

    /// Evaluates `expression` as the visitor's own action (a consent script, a chat opened by
    /// its API): the page is given user activation, as a click would give it.
    pub fn act(&self, expression: &str, timeout: Duration) -> Reply {
        self.evaluate_as(expression, true, timeout)
    }

    fn evaluate_as(&self, expression: &str, user_gesture: bool, timeout: Duration) -> Reply {
        let params = json!({
            "expression": expression,
            "returnByValue": true,
            "awaitPromise": true,
            "userGesture": user_gesture,
            "timeout": timeout.as_millis() as u64,
        });
        let reply = self.call("Runtime.evaluate", params, timeout)?;
        if let Some(ex) = reply.get("exceptionDetails") {
            let message = ex
                .pointer("/exception/description")
                .and_then(Value::as_str)
                .or_else(|| ex.get("text").and_then(Value::as_str))
                .unwrap_or("exception")
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            return Err(CdpError::Failed {
                method: "Runtime.evaluate".into(),
                message: format!("script threw: {message}"),
            });
        }
        Ok(reply
            .pointer("/result/value")
            .cloned()
            .unwrap_or(Value::Null))
    }
}
