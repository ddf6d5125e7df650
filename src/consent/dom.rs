//! The page's DOM across frames: an isolated world per frame, selector chains, real mouse clicks.
//!
//! Chromium runs without site isolation (see `browser`), so every frame, cross-origin ones
//! included, is reachable from the page's session: `Page.createIsolatedWorld` gives a context in
//! any frame, `DOM.describeNode` maps an `<iframe>` element to its frame, `DOM.getFrameOwner` maps
//! a frame back to its element (for page coordinates).

use crate::browser::cdp::{CdpError, Page};
use crate::browser::poll_until;
use crate::browser::watch::FrameInfo;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The script every DOM request runs (see dom.js).
const DOM_JS: &str = include_str!("dom.js");

/// Our world's name in each frame; the same name gives back the same world.
const WORLD: &str = "chatcookie-consent";

/// Remote objects we ask for (frame elements) live in this group, released at the end.
const OBJECT_GROUP: &str = "chatcookie-consent";

/// Frames nested deeper than this are not followed (a frame that embeds itself, say).
const MAX_FRAME_DEPTH: usize = 6;

/// How long a real click gets to reach its element before `el.click()` is used instead.
const CLICK_ARRIVAL: Duration = Duration::from_millis(300);

/// The content-box offset of a frame element in its parent's viewport.
const CONTENT_BOX_FN: &str = "function () { const r = this.getBoundingClientRect(); const cs = getComputedStyle(this); return { x: r.left + this.clientLeft + (parseFloat(cs.paddingLeft) || 0), y: r.top + this.clientTop + (parseFloat(cs.paddingTop) || 0) }; }";

/// What a chain must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The last element exists.
    Present,
    /// The last element is rendered and visible.
    Visible,
    /// The last element is visible and enabled: it can be clicked.
    Ready,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Present => "present",
            Mode::Visible => "visible",
            Mode::Ready => "ready",
        }
    }
}

/// An element located for a click, kept in its frame's world under `key`.
#[derive(Debug, Clone)]
pub struct Found {
    pub frame_id: String,
    pub frame_url: String,
    pub top: bool,
    pub key: String,
    /// Tag, id, classes and text, e.g. `<button#ok> "Accept all"`.
    pub label: String,
}

impl Found {
    /// Where the element is: the top frame, or a frame's URL.
    pub fn place(&self) -> String {
        if self.top {
            "in the top frame".into()
        } else {
            format!("in frame {}", self.frame_url)
        }
    }
}

/// Where following one chain ended.
#[derive(Debug, Clone)]
pub enum Located {
    Missing {
        selector: String,
    },
    Invalid {
        selector: String,
        error: String,
    },
    Hidden,
    Disabled,
    /// Found, but its document is still being parsed (its handlers may not be attached yet).
    Loading,
    Present,
    Visible,
    Ready(Found),
    /// The page could not be asked (navigating, frame gone, renderer busy).
    Failed(String),
}

impl Located {
    /// Why a click could not happen, for the record.
    pub fn why_not(&self) -> String {
        match self {
            Located::Missing { selector } => format!("missing (`{selector}` matched nothing)"),
            Located::Invalid { selector, error } => {
                format!("invalid selector `{selector}`: {error}")
            }
            Located::Hidden => "hidden".into(),
            Located::Disabled => "disabled".into(),
            Located::Loading => "still loading".into(),
            Located::Present => "present".into(),
            Located::Visible => "visible".into(),
            Located::Ready(_) => "ready".into(),
            Located::Failed(e) => format!("cannot look ({e})"),
        }
    }
}

/// Why a click did not happen.
#[derive(Debug)]
pub enum ClickError {
    /// The element left the document between locating and clicking it.
    Gone,
    Failed(String),
}

/// Our isolated world in each frame of one page, created on first use.
pub struct Worlds<'p> {
    page: &'p Page,
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
            known_frames,
            call_timeout,
            contexts: HashMap::new(),
            next_key: 0,
        }
    }

    pub fn page(&self) -> &'p Page {
        self.page
    }

    /// The main frame's id (a page target's main frame has the target's id).
    pub fn top(&self) -> &'p str {
        &self.page.target_id
    }

    /// Our execution context in `frame`.
    pub fn context(&mut self, frame: &str) -> Result<i64, String> {
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
            .map_err(|e| e.to_string())?;
        let id = reply
            .get("executionContextId")
            .and_then(Value::as_i64)
            .ok_or("no execution context for the frame")?;
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
    fn evaluate(&mut self, frame: &str, expression: &str, by_value: bool) -> Result<Value, String> {
        for _ in 0..2 {
            let ctx = self.context(frame)?;
            match self.in_context(ctx, expression, by_value) {
                Err(e) if is_context_gone(&e) => {
                    self.contexts.remove(frame);
                }
                other => return other.map_err(|e| e.to_string()),
            }
        }
        Err("the frame's document keeps changing".into())
    }

    /// `Runtime.evaluate` in one context: the result object (a value, or a remote object).
    fn in_context(
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
    pub fn run(&mut self, frame: &str, request: Value) -> Result<Value, String> {
        let expression = format!("({DOM_JS})({request})");
        self.evaluate(frame, &expression, true)
            .map(|r| r.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Runs one dom.js request in a given context, without recreating it.
    fn run_in(&self, context: i64, request: Value) -> Result<Value, CdpError> {
        let expression = format!("({DOM_JS})({request})");
        self.in_context(context, &expression, true)
            .map(|r| r.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Runs one dom.js request that stands for the visitor's click (`el.click()`).
    fn act_in(&self, context: i64, request: Value) -> Result<Value, CdpError> {
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
    fn child_frame(&mut self, parent: &str, key: &str, src: &str) -> Result<String, String> {
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
            .ok_or_else(|| format!("cannot find the frame of the iframe {src}"))
    }

    /// The offset of `frame`'s viewport in the page's (top frame's) viewport.
    pub fn frame_offset(&mut self, frame: &str) -> Result<(f64, f64), String> {
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
                .ok_or("the frame is no longer in the page")?;
            let t = self.call_timeout;
            let owner = self
                .page
                .call("DOM.getFrameOwner", json!({ "frameId": current }), t)
                .map_err(|e| e.to_string())?;
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
                .map_err(|e| e.to_string())?;
            let object_id = node
                .pointer("/object/objectId")
                .and_then(Value::as_str)
                .ok_or("the frame element has no object")?;
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
                .map_err(|e| e.to_string())?;
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
        Err("frames nested too deep".into())
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

/// True when the error says our context's document was replaced (navigated, reloaded, detached).
fn is_context_gone(e: &CdpError) -> bool {
    matches!(e, CdpError::Failed { message, .. }
        if message.contains("Cannot find context") || message.contains("context was destroyed"))
}

/// Follows each chain from the top frame into shadow roots and frames, one request per frame.
pub fn resolve(worlds: &mut Worlds, chains: &[&[String]], mode: Mode) -> Vec<Located> {
    let top = worlds.top().to_string();
    resolve_in(worlds, &top, chains, mode, 0)
}

fn resolve_in(
    worlds: &mut Worlds,
    frame: &str,
    chains: &[&[String]],
    mode: Mode,
    depth: usize,
) -> Vec<Located> {
    if chains.is_empty() {
        return Vec::new();
    }
    let keys: Vec<String> = chains.iter().map(|_| worlds.key()).collect();
    let request = json!({ "op": "locate", "chains": chains, "keys": keys, "mode": mode.as_str() });
    let reply = match worlds.run(frame, request) {
        Ok(v) => v,
        Err(e) => return vec![Located::Failed(e); chains.len()],
    };
    let url = reply
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let results = reply
        .get("results")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::with_capacity(chains.len());
    for (i, chain) in chains.iter().enumerate() {
        let r = results.get(i).unwrap_or(&Value::Null);
        let at = r.get("at").and_then(Value::as_u64).unwrap_or(0) as usize;
        let selector = || chain.get(at).cloned().unwrap_or_default();
        let text = |k: &str| {
            r.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        out.push(
            match r.get("state").and_then(Value::as_str).unwrap_or_default() {
                "missing" => Located::Missing {
                    selector: selector(),
                },
                "invalid" => Located::Invalid {
                    selector: selector(),
                    error: text("error"),
                },
                "hidden" => Located::Hidden,
                "disabled" => Located::Disabled,
                "loading" => Located::Loading,
                "present" => Located::Present,
                "visible" => Located::Visible,
                "ready" => Located::Ready(Found {
                    frame_id: frame.to_string(),
                    frame_url: url.clone(),
                    top: depth == 0,
                    key: keys[i].clone(),
                    label: text("label"),
                }),
                "frame" if depth + 1 >= MAX_FRAME_DEPTH => {
                    Located::Failed("frames nested too deep".into())
                }
                "frame" => match worlds.child_frame(frame, &keys[i], &text("src")) {
                    Ok(child) => resolve_in(worlds, &child, &[&chain[at + 1..]], mode, depth + 1)
                        .pop()
                        .unwrap_or(Located::Failed("no answer from the frame".into())),
                    Err(e) => Located::Failed(e),
                },
                other => Located::Failed(format!("unexpected answer `{other}`")),
            },
        );
    }
    out
}

/// Clicks a located element: a real mouse click at its centre (scrolled into view, at page
/// coordinates across frames), or `el.click()` in its own frame when the mouse cannot reach it.
/// Returns how it was clicked.
pub fn click(worlds: &mut Worlds, found: &Found) -> Result<String, ClickError> {
    let context = worlds
        .context(&found.frame_id)
        .map_err(ClickError::Failed)?;
    let prepared = worlds
        .run_in(context, json!({ "op": "prepare", "key": found.key }))
        .map_err(|e| ClickError::Failed(e.to_string()))?;
    if prepared.get("gone").is_some() || prepared.is_null() {
        return Err(ClickError::Gone);
    }
    let num = |k: &str| prepared.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let (local_x, local_y) = (num("x"), num("y"));
    let mouse = if prepared.get("covered").and_then(Value::as_bool) == Some(true) {
        Err(format!(
            "covered by {}",
            prepared
                .get("by")
                .and_then(Value::as_str)
                .unwrap_or("another element")
        ))
    } else {
        worlds.frame_offset(&found.frame_id).and_then(|(ox, oy)| {
            let (x, y) = (local_x + ox, local_y + oy);
            dispatch_click(worlds.page(), x, y, worlds.call_timeout).map(|()| (x, y))
        })
    };
    let why_not_mouse = match mouse {
        Ok((x, y)) => {
            let arrived = poll_until(Instant::now() + CLICK_ARRIVAL, || {
                match worlds.run_in(context, json!({ "op": "clicked" })) {
                    Ok(v) => v == Value::Bool(true),
                    // The click replaced the document (it navigated): it arrived.
                    Err(e) => is_context_gone(&e),
                }
            });
            if arrived {
                return Ok(format!("mouse click at ({x:.0}, {y:.0})"));
            }
            "the mouse click did not reach it".to_string()
        }
        Err(e) => e,
    };
    match worlds.act_in(context, json!({ "op": "jsClick", "key": found.key })) {
        Ok(Value::Bool(true)) => Ok(format!("el.click(), since {why_not_mouse}")),
        Ok(_) => Err(ClickError::Gone),
        Err(e) if is_context_gone(&e) => Ok(format!("el.click(), since {why_not_mouse}")),
        Err(e) => Err(ClickError::Failed(e.to_string())),
    }
}

/// Hides every match of `chains` in the top frame and its open shadow roots.
pub fn hide(worlds: &mut Worlds, chains: &[&[String]]) -> Result<u64, String> {
    let top = worlds.top().to_string();
    worlds
        .run(&top, json!({ "op": "hide", "chains": chains }))
        .map(|v| v.as_u64().unwrap_or(0))
}

/// Left-button press and release at page coordinates, after moving there.
fn dispatch_click(page: &Page, x: f64, y: f64, timeout: Duration) -> Result<(), String> {
    for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
        let params = json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 });
        page.call("Input.dispatchMouseEvent", params, timeout)
            .map_err(|e| format!("the mouse click failed: {e}"))?;
    }
    Ok(())
}
