//! Our isolated world in each frame of one page: created on first use, recreated after a navigation, asked by dom.js.
//!
//! Chromium runs without site isolation (see `browser`), so every frame, cross-origin ones
//! included, is reachable from the page's session: `Page.createIsolatedWorld` gives a context in
//! any frame, `DOM.describeNode` maps an `<iframe>` element to its frame, `DOM.getFrameOwner` maps
//! a frame back to its element (for page coordinates).

use super::{DOM_JS, MAX_FRAME_DEPTH, OBJECT_GROUP};
use crate::browser::cdp::{CdpError, Page};
use crate::browser::clock::PageClock;
use crate::browser::poll_until;
use crate::browser::watch::FrameInfo;
use crate::error::{Error, Result};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Our world's name in each frame; the same name gives back the same world.
const WORLD: &str = "chatcookie-consent";

/// The content-box offset of a frame element in its parent's viewport.
const CONTENT_BOX_FN: &str = "function () { const r = this.getBoundingClientRect(); const cs = getComputedStyle(this); return { x: r.left + this.clientLeft + (parseFloat(cs.paddingLeft) || 0), y: r.top + this.clientTop + (parseFloat(cs.paddingTop) || 0) }; }";

/// The page could not be asked what `message` says (a frame gone, its document replaced, our
/// script thrown out): the browser did not answer as asked.
fn unanswered(message: impl std::fmt::Display) -> Error {
    Error::browser(anyhow::anyhow!("{message}"))
}

/// Our isolated world in each frame of one page, created on first use.
pub struct Worlds<'p> {
    page: &'p Page,
    /// The page's clock: waits for a banner to stop moving run on it (real time without one).
    clock: Option<&'p PageClock>,
    /// The frames known when we started, used when the live frame tree cannot be read.
    known_frames: &'p [FrameInfo],
    pub call_timeout: Duration,
    contexts: HashMap<String, i64>,
    next_key: u64,
}

impl<'p> Worlds<'p> {
    pub fn new(page: &'p Page, known_frames: &'p [FrameInfo], call_timeout: Duration) -> Self {
        Worlds {
            page,
            clock: None,
            known_frames,
            call_timeout,
            contexts: HashMap::new(),
            next_key: 0,
        }
    }

    pub fn page(&self) -> &'p Page {
        self.page
    }

    /// Waits on the page's clock from now on (see `browser::clock`).
    pub fn with_clock(mut self, clock: &'p PageClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Lets the page live up to `window` of its own time until `cond` holds (real time
    /// without a clock); true if it held.
    pub fn wait(&mut self, window: Duration, mut cond: impl FnMut(&mut Self) -> bool) -> bool {
        match self.clock {
            Some(clock) => clock.run_ahead(window, || cond(self)),
            None => poll_until(Instant::now() + window, || cond(self)),
        }
    }

    /// The main frame's id (a page target's main frame has the target's id).
    pub fn top(&self) -> &'p str {
        &self.page.target_id
    }

    /// Our execution context in `frame`.
    pub fn context(&mut self, frame: &str) -> Result<i64> {
        if let Some(id) = self.contexts.get(frame) {
            return Ok(*id);
        }
        let reply = self
            .page
            .call(
                "Page.createIsolatedWorld",
                json!({ "frameId": frame, "worldName": WORLD }),
                self.call_timeout,
            )
            .map_err(Error::browser)?;
        let id = reply
            .get("executionContextId")
            .and_then(Value::as_i64)
            .ok_or_else(|| unanswered("no execution context for the frame"))?;
        self.contexts.insert(frame.to_string(), id);
        Ok(id)
    }

    /// True while `context` still exists: it goes when its document is replaced (a navigation).
    pub fn alive(&self, context: i64) -> bool {
        match self.in_context(context, "true", true) {
            Ok(_) => true,
            Err(e) => !is_context_gone(&e),
        }
    }

    /// Evaluates in `frame`'s world; a world lost to a navigation is recreated once.
    fn evaluate(&mut self, frame: &str, expression: &str, by_value: bool) -> Result<Value> {
        for _ in 0..2 {
            let ctx = self.context(frame)?;
            match self.in_context(ctx, expression, by_value) {
                Err(e) if is_context_gone(&e) => {
                    self.contexts.remove(frame);
                }
                other => return other.map_err(Error::browser),
            }
        }
        Err(unanswered("the frame's document keeps changing"))
    }

    /// `Runtime.evaluate` in one context: the result object (a value, or a remote object).
    pub(super) fn in_context(
        &self,
        context: i64,
        expression: &str,
        by_value: bool,
    ) -> Result<Value, CdpError> {
        self.in_context_as(context, expression, by_value, false)
    }

    /// `Runtime.evaluate` in one context; `user_gesture` gives the page user activation, which
    /// only a stand-in for the visitor's own click may do.
    fn in_context_as(
        &self,
        context: i64,
        expression: &str,
        by_value: bool,
        user_gesture: bool,
    ) -> Result<Value, CdpError> {
        let reply = self.page.call(
            "Runtime.evaluate",
            json!({
                "expression": expression,
                "contextId": context,
                "returnByValue": by_value,
                "userGesture": user_gesture,
                "awaitPromise": true,
                "objectGroup": OBJECT_GROUP,
                "timeout": self.call_timeout.as_millis() as u64,
            }),
            self.call_timeout,
        )?;
        if let Some(ex) = reply.get("exceptionDetails") {
            let message = ex
                .pointer("/exception/description")
                .and_then(Value::as_str)
                .or_else(|| ex.get("text").and_then(Value::as_str))
                .unwrap_or("exception");
            return Err(CdpError::Failed {
                method: "Runtime.evaluate".into(),
                message: format!(
                    "script threw: {}",
                    message.lines().next().unwrap_or_default()
                ),
            });
        }
        Ok(reply.get("result").cloned().unwrap_or(Value::Null))
    }

    /// Runs one dom.js request in `frame` and returns its value.
    pub fn run(&mut self, frame: &str, request: Value) -> Result<Value> {
        let expression = format!("({DOM_JS})({request})");
        self.evaluate(frame, &expression, true)
            .map(|r| r.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Runs `script` (a function taking one request, like dom.js and banner.js) in `frame`.
    pub fn run_script(&mut self, frame: &str, script: &str, request: &Value) -> Result<Value> {
        self.run_script_on(frame, script, &request.to_string())
    }

    /// [`Self::run_script`] with the request written as JavaScript source: a large part already
    /// serialized (the vocabulary) is spliced in rather than cloned and serialized again.
    pub fn run_script_on(&mut self, frame: &str, script: &str, argument: &str) -> Result<Value> {
        let expression = format!("({script})({argument})");
        self.evaluate(frame, &expression, true)
            .map(|r| r.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Runs one dom.js request in a given context, without recreating it.
    pub(super) fn run_in(&self, context: i64, request: Value) -> Result<Value, CdpError> {
        let expression = format!("({DOM_JS})({request})");
        self.in_context(context, &expression, true)
            .map(|r| r.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Runs one dom.js request that stands for the visitor's click (`el.click()`).
    pub(super) fn act_in(&self, context: i64, request: Value) -> Result<Value, CdpError> {
        let expression = format!("({DOM_JS})({request})");
        self.in_context_as(context, &expression, true, true)
            .map(|r| r.get("value").cloned().unwrap_or(Value::Null))
    }

    /// A fresh key under which dom.js keeps a located element.
    pub fn key(&mut self) -> String {
        self.next_key += 1;
        format!("k{}", self.next_key)
    }

    /// The live frame tree (falls back to the frames known at the start).
    pub fn frames(&self) -> Vec<FrameInfo> {
        match self
            .page
            .call("Page.getFrameTree", json!({}), self.call_timeout)
        {
            Ok(tree) => {
                let mut out = Vec::new();
                if let Some(root) = tree.get("frameTree") {
                    flatten_tree(root, &mut out);
                }
                out
            }
            Err(_) => self.known_frames.to_vec(),
        }
    }

    /// Drops the remote objects we held.
    pub fn release(&self) {
        let _ = self.page.call(
            "Runtime.releaseObjectGroup",
            json!({ "objectGroup": OBJECT_GROUP }),
            self.call_timeout,
        );
    }

    /// The frame an `<iframe>` element (kept in `parent`'s world under `key`) displays.
    pub(super) fn child_frame(&mut self, parent: &str, key: &str, src: &str) -> Result<String> {
        let lookup = format!(
            "window.__chatcookieConsent.frames.get({})",
            serde_json::to_string(key).expect("strings serialize")
        );
        let by_node = self
            .evaluate(parent, &lookup, false)
            .ok()
            .and_then(|r| {
                r.get("objectId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .and_then(|object_id| {
                self.page
                    .call(
                        "DOM.describeNode",
                        json!({ "objectId": object_id }),
                        self.call_timeout,
                    )
                    .ok()
            })
            .and_then(|n| {
                n.pointer("/node/frameId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        if let Some(id) = by_node {
            return Ok(id);
        }
        // Without a node answer: the parent's child frame showing that URL.
        self.frames()
            .into_iter()
            .find(|f| f.parent.as_deref() == Some(parent) && !src.is_empty() && f.url == src)
            .map(|f| f.id)
            .ok_or_else(|| unanswered(format!("cannot find the frame of the iframe {src}")))
    }

    /// The offset of `frame`'s viewport in the page's (top frame's) viewport.
    pub fn frame_offset(&mut self, frame: &str) -> Result<(f64, f64)> {
        let top = self.top().to_string();
        if frame == top {
            return Ok((0.0, 0.0));
        }
        let parents: HashMap<String, Option<String>> = self
            .frames()
            .into_iter()
            .map(|f| (f.id, f.parent))
            .collect();
        let (mut x, mut y) = (0.0, 0.0);
        let mut current = frame.to_string();
        for _ in 0..MAX_FRAME_DEPTH {
            if current == top {
                return Ok((x, y));
            }
            let parent = parents
                .get(&current)
                .cloned()
                .flatten()
                .ok_or_else(|| unanswered("the frame is no longer in the page"))?;
            let t = self.call_timeout;
            let owner = self
                .page
                .call("DOM.getFrameOwner", json!({ "frameId": current }), t)
                .map_err(Error::browser)?;
            let context = self.context(&parent)?;
            let node = self
                .page
                .call(
                    "DOM.resolveNode",
                    json!({
                        "backendNodeId": owner.get("backendNodeId"),
                        "executionContextId": context,
                        "objectGroup": OBJECT_GROUP,
                    }),
                    t,
                )
                .map_err(Error::browser)?;
            let object_id = node
                .pointer("/object/objectId")
                .and_then(Value::as_str)
                .ok_or_else(|| unanswered("the frame element has no object"))?;
            let offset = self
                .page
                .call(
                    "Runtime.callFunctionOn",
                    json!({
                        "objectId": object_id,
                        "functionDeclaration": CONTENT_BOX_FN,
                        "returnByValue": true,
                    }),
                    t,
                )
                .map_err(Error::browser)?;
            x += offset
                .pointer("/result/value/x")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            y += offset
                .pointer("/result/value/y")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            current = parent;
        }
        Err(unanswered("frames nested too deep"))
    }
}

fn flatten_tree(node: &Value, out: &mut Vec<FrameInfo>) {
    let f = node.get("frame").unwrap_or(&Value::Null);
    let s = |k: &str| {
        f.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    out.push(FrameInfo {
        id: s("id"),
        parent: f
            .get("parentId")
            .and_then(Value::as_str)
            .map(str::to_string),
        url: s("url"),
        origin: s("securityOrigin"),
    });
    for child in node
        .get("childFrames")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        flatten_tree(child, out);
    }
}

/// True when our context's document was replaced (navigated, reloaded, detached).
pub(super) fn is_context_gone(e: &CdpError) -> bool {
    e.is_context_gone()
}

impl Worlds<'_> {
    /// `Runtime.callFunctionOn` of dom.js on `request` in `context`: the function's source is
    /// the same on every call, so each world compiles it once (a look asks hundreds of rules in
    /// every frame; an expression with the request inside was compiled anew each time).
    pub(super) fn dom_call(&self, context: i64, request: &Value) -> Value {
        json!({
            "functionDeclaration": DOM_JS,
            "executionContextId": context,
            "arguments": [{ "value": request }],
            "returnByValue": true,
            "userGesture": false,
            "objectGroup": OBJECT_GROUP,
        })
    }

    /// Runs one dom.js request in `frame` as a function call; a world lost to a navigation is
    /// recreated once.
    pub(super) fn call_dom(&mut self, frame: &str, request: &Value) -> Result<Value> {
        for _ in 0..2 {
            let ctx = self.context(frame)?;
            let params = self.dom_call(ctx, request);
            match self
                .page
                .call("Runtime.callFunctionOn", params, self.call_timeout)
            {
                Err(e) if is_context_gone(&e) => {
                    self.contexts.remove(frame);
                }
                Err(e) => return Err(Error::browser(e)),
                Ok(reply) => return dom_value(&reply),
            }
        }
        Err(unanswered("the frame's document keeps changing"))
    }
}

/// The value of a dom.js call, or what it threw.
pub(super) fn dom_value(reply: &Value) -> Result<Value> {
    if let Some(ex) = reply.get("exceptionDetails") {
        let message = ex
            .pointer("/exception/description")
            .and_then(Value::as_str)
            .or_else(|| ex.get("text").and_then(Value::as_str))
            .unwrap_or("exception");
        return Err(unanswered(format!(
            "script threw: {}",
            message.lines().next().unwrap_or_default()
        )));
    }
    Ok(reply
        .pointer("/result/value")
        .cloned()
        .unwrap_or(Value::Null))
}
