//! The page's DOM across frames: an isolated world per frame, selector chains, real mouse clicks.
//!
//! Chromium runs without site isolation (see `browser`), so every frame, cross-origin ones
//! included, is reachable from the page's session: `Page.createIsolatedWorld` gives a context in
//! any frame, `DOM.describeNode` maps an `<iframe>` element to its frame, `DOM.getFrameOwner` maps
//! a frame back to its element (for page coordinates).

use crate::browser::cdp::{CdpError, Page};
use crate::browser::clock::PageClock;
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

/// How long (page time) an element that is moving or covered may take to become clickable
/// before its own activation (`el.click()`) is used instead of the mouse.
const CLICK_SETTLE: Duration = Duration::from_millis(1500);

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
    /// How many elements the last selector matches, and how many of them are visible.
    Count,
    /// Ready; else the first match, kept for `el.click()` (hidden or disabled).
    Any,
    /// Every match that is ready (`hidden: false`), or every match, kept for `el.click()`.
    All { hidden: bool },
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Present => "present",
            Mode::Visible => "visible",
            Mode::Ready => "ready",
            Mode::Count => "count",
            Mode::Any => "any",
            Mode::All { hidden: false } => "all",
            Mode::All { hidden: true } => "all-hidden",
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
    /// Kept for `el.click()` (`Mode::Any`, `Mode::All`): `count` elements, the first labelled.
    Stored {
        found: Found,
        count: u64,
    },
    /// `Mode::Count`: the last selector's matches, and how many are visible.
    Counted {
        total: u64,
        visible: u64,
    },
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
            Located::Stored { count, .. } => format!("{count} kept for el.click()"),
            Located::Counted { total, visible } => format!("{visible} of {total} visible"),
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
    pub fn run(&mut self, frame: &str, request: Value) -> Result<Value, String> {
        let expression = format!("({DOM_JS})({request})");
        self.evaluate(frame, &expression, true)
            .map(|r| r.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Runs `script` (a function taking one request, like dom.js and banner.js) in `frame`.
    pub fn run_script(
        &mut self,
        frame: &str,
        script: &str,
        request: &Value,
    ) -> Result<Value, String> {
        self.run_script_on(frame, script, &request.to_string())
    }

    /// [`Self::run_script`] with the request written as JavaScript source: a large part already
    /// serialized (the vocabulary) is spliced in rather than cloned and serialized again.
    pub fn run_script_on(
        &mut self,
        frame: &str,
        script: &str,
        argument: &str,
    ) -> Result<Value, String> {
        let expression = format!("({script})({argument})");
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

impl Worlds<'_> {
    /// `Runtime.callFunctionOn` of dom.js on `request` in `context`: the function's source is
    /// the same on every call, so each world compiles it once (a look asks hundreds of rules in
    /// every frame; an expression with the request inside was compiled anew each time).
    fn dom_call(&self, context: i64, request: &Value) -> Value {
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
    fn call_dom(&mut self, frame: &str, request: &Value) -> Result<Value, String> {
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
                Err(e) => return Err(e.to_string()),
                Ok(reply) => return dom_value(&reply),
            }
        }
        Err("the frame's document keeps changing".into())
    }
}

/// The value of a dom.js call, or what it threw.
fn dom_value(reply: &Value) -> Result<Value, String> {
    if let Some(ex) = reply.get("exceptionDetails") {
        let message = ex
            .pointer("/exception/description")
            .and_then(Value::as_str)
            .or_else(|| ex.get("text").and_then(Value::as_str))
            .unwrap_or("exception");
        return Err(format!(
            "script threw: {}",
            message.lines().next().unwrap_or_default()
        ));
    }
    Ok(reply
        .pointer("/result/value")
        .cloned()
        .unwrap_or(Value::Null))
}

/// Follows each chain from the top frame into shadow roots and frames, one request per frame.
// The rules go through `resolve_in`; this top-frame form stays for other callers.
#[allow(dead_code)]
pub fn resolve(worlds: &mut Worlds, chains: &[&[String]], mode: Mode) -> Vec<Located> {
    let top = worlds.top().to_string();
    let asks: Vec<(&[String], Mode)> = chains.iter().map(|c| (*c, mode)).collect();
    resolve_in(worlds, &top, &asks, false).located
}

/// What one look at a document found.
pub struct Looked {
    /// Per chain asked, in order.
    pub located: Vec<Located>,
    /// The document's `document.cookie`, when asked for; None when it could not be read.
    pub cookie: Option<String>,
}

/// Follows each chain, each in its own mode, from `frame`'s document (the root: a frame rule's
/// frame, or the top) into shadow roots and frames; one request per frame reached. With
/// `cookie`, also reads the root document's cookies in the same request.
pub fn resolve_in(
    worlds: &mut Worlds,
    frame: &str,
    asks: &[(&[String], Mode)],
    cookie: bool,
) -> Looked {
    resolve_at(worlds, frame, asks, cookie, 0)
}

fn resolve_at(
    worlds: &mut Worlds,
    frame: &str,
    asks: &[(&[String], Mode)],
    cookie: bool,
    depth: usize,
) -> Looked {
    if asks.is_empty() && !cookie {
        return Looked {
            located: Vec::new(),
            cookie: None,
        };
    }
    let (keys, request) = locate_request(worlds, asks, cookie);
    match worlds.call_dom(frame, &request) {
        Ok(reply) => looked_from(worlds, frame, asks, &keys, &reply, depth),
        Err(e) => Looked {
            located: vec![Located::Failed(e); asks.len()],
            cookie: None,
        },
    }
}

/// The keys and the dom.js `locate` request for `asks`.
fn locate_request(
    worlds: &mut Worlds,
    asks: &[(&[String], Mode)],
    cookie: bool,
) -> (Vec<String>, Value) {
    let keys: Vec<String> = asks.iter().map(|_| worlds.key()).collect();
    let chains: Vec<&[String]> = asks.iter().map(|(c, _)| *c).collect();
    let modes: Vec<&str> = asks.iter().map(|(_, m)| m.as_str()).collect();
    let request =
        json!({ "op": "locate", "chains": chains, "keys": keys, "modes": modes, "cookie": cookie });
    (keys, request)
}

/// What a `locate` reply says, chains that enter a frame followed there.
fn looked_from(
    worlds: &mut Worlds,
    frame: &str,
    asks: &[(&[String], Mode)],
    keys: &[String],
    reply: &Value,
    depth: usize,
) -> Looked {
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
    let top = frame == worlds.top();
    let mut out = Vec::with_capacity(asks.len());
    for (i, (chain, mode)) in asks.iter().enumerate() {
        let r = results.get(i).unwrap_or(&Value::Null);
        let at = r.get("at").and_then(Value::as_u64).unwrap_or(0) as usize;
        let selector = || chain.get(at).cloned().unwrap_or_default();
        let text = |k: &str| {
            r.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let num = |k: &str| r.get(k).and_then(Value::as_u64).unwrap_or(0);
        let found = || Found {
            frame_id: frame.to_string(),
            frame_url: url.clone(),
            top,
            key: keys[i].clone(),
            label: text("label"),
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
                "ready" => Located::Ready(found()),
                "stored" => Located::Stored {
                    found: found(),
                    count: num("count"),
                },
                "counted" => Located::Counted {
                    total: num("total"),
                    visible: num("visible"),
                },
                "frame" if depth + 1 >= MAX_FRAME_DEPTH => {
                    Located::Failed("frames nested too deep".into())
                }
                "frame" => match worlds.child_frame(frame, &keys[i], &text("src")) {
                    Ok(child) => resolve_at(
                        worlds,
                        &child,
                        &[(&chain[at + 1..], *mode)],
                        false,
                        depth + 1,
                    )
                    .located
                    .pop()
                    .unwrap_or(Located::Failed("no answer from the frame".into())),
                    Err(e) => Located::Failed(e),
                },
                other => Located::Failed(format!("unexpected answer `{other}`")),
            },
        );
    }
    Looked {
        located: out,
        cookie: reply
            .get("cookie")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// Whether `frame`'s document has a CSS transition or animation running; false when it cannot
/// be asked.
pub fn animating(worlds: &mut Worlds, frame: &str) -> bool {
    worlds
        .run(frame, json!({ "op": "animating" }))
        .is_ok_and(|v| v == Value::Bool(true))
}

/// What to look up in one document (see [`resolve_many`]).
pub struct Lookup<'a> {
    pub frame: &'a str,
    pub asks: Vec<(&'a [String], Mode)>,
    /// Read the document's cookies too.
    pub cookie: bool,
}

/// [`resolve_in`] for several documents at once: their requests are sent together, one round
/// trip instead of one per document (a detection look asks the top document and every frame
/// that frame rules run in). A document whose world is gone, or one not answered, is then asked
/// on its own; chains that enter a frame are followed there as `resolve_in` does.
pub fn resolve_many(worlds: &mut Worlds, lookups: &[Lookup]) -> Vec<Looked> {
    if lookups.len() < 2 {
        return lookups
            .iter()
            .map(|l| resolve_in(worlds, l.frame, &l.asks, l.cookie))
            .collect();
    }
    // Each document's world, and its request.
    let mut prepared = Vec::with_capacity(lookups.len());
    for l in lookups {
        let context = worlds.context(l.frame).ok();
        let (keys, request) = locate_request(worlds, &l.asks, l.cookie);
        prepared.push((context, keys, request));
    }
    let calls: Vec<(&str, Value)> = prepared
        .iter()
        .filter_map(|(context, _, request)| {
            Some((
                "Runtime.callFunctionOn",
                worlds.dom_call((*context)?, request),
            ))
        })
        .collect();
    let page = worlds.page();
    let mut replies = page
        .cdp
        .call_all(Some(&page.session_id), calls, worlds.call_timeout)
        .into_iter();
    let mut out = Vec::with_capacity(lookups.len());
    for (l, (context, keys, _)) in lookups.iter().zip(&prepared) {
        let reply = context.and_then(|_| replies.next()).and_then(|r| r.ok());
        let value = reply.and_then(|r| dom_value(&r).ok());
        out.push(match value {
            Some(v) => looked_from(worlds, l.frame, &l.asks, keys, &v, 0),
            // A world lost to a navigation, a frame gone, a script that threw: on its own.
            None => resolve_in(worlds, l.frame, &l.asks, l.cookie),
        });
    }
    out
}

/// `el.click()` on what `resolve` kept ([`Located::Stored`]), in its own frame, as the visitor's
/// gesture: autoconsent's click, for a match that is hidden or disabled, or for every match.
/// Returns how many elements were clicked.
pub fn el_click(worlds: &mut Worlds, found: &Found) -> Result<u64, String> {
    let context = worlds.context(&found.frame_id)?;
    match worlds.act_in(context, json!({ "op": "elClick", "key": found.key })) {
        Ok(v) => Ok(v.as_u64().unwrap_or(0)),
        // The click replaced the document (it navigated): it arrived.
        Err(e) if is_context_gone(&e) => Ok(1),
        Err(e) => Err(e.to_string()),
    }
}

/// Clicks a located element the way a visitor does, and never anything else: a real mouse click
/// at its centre (scrolled into view, at page coordinates across frames) once it is still and
/// on top there; `el.click()` in its own frame when it stays covered or moving, or when the mouse
/// cannot reach it. Right before the press the point is hit-tested across frames, and while the
/// click is under way a press that would land elsewhere is stopped before the page sees it.
/// Returns how it was clicked.
pub fn click(worlds: &mut Worlds, found: &Found) -> Result<String, ClickError> {
    let context = worlds
        .context(&found.frame_id)
        .map_err(ClickError::Failed)?;
    let prepare = json!({ "op": "prepare", "key": found.key });
    let mut prepared = Value::Null;
    let mut failed = None;
    // A banner fading in, a launcher sliding over it: wait (page time) until it is still and on top.
    worlds.wait(CLICK_SETTLE, |w| match w.run_in(context, prepare.clone()) {
        Ok(v) => {
            let busy = v.get("gone").is_none()
                && !v.is_null()
                && (v.get("covered").and_then(Value::as_bool) == Some(true)
                    || v.get("moving").is_some_and(|m| !m.is_null()));
            prepared = v;
            !busy
        }
        Err(e) => {
            failed = Some(e);
            true
        }
    });
    if let Some(e) = failed {
        return Err(if is_context_gone(&e) {
            ClickError::Gone
        } else {
            ClickError::Failed(e.to_string())
        });
    }
    if prepared.get("gone").is_some() || prepared.is_null() {
        return Err(ClickError::Gone);
    }
    let num = |k: &str| prepared.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let (local_x, local_y) = (num("x"), num("y"));
    let not_now = if let Some(m) = prepared.get("moving").and_then(Value::as_str) {
        Some(format!("{m} after {:.1} s", CLICK_SETTLE.as_secs_f64()))
    } else if prepared.get("covered").and_then(Value::as_bool) == Some(true) {
        Some(format!(
            "covered by {}",
            prepared
                .get("by")
                .and_then(Value::as_str)
                .unwrap_or("another element")
        ))
    } else {
        None
    };
    let mouse = match not_now {
        Some(why) => Err(why),
        None => worlds.frame_offset(&found.frame_id).and_then(|(ox, oy)| {
            let (x, y) = (local_x + ox, local_y + oy);
            // The last look before the press: what is at that point of the page now.
            match worlds.lands_on(found, context, x, y) {
                Ok(true) => {}
                Ok(false) => return Err(format!("something else is at ({x:.0}, {y:.0}) now")),
                Err(e) => return Err(format!("the point cannot be hit-tested ({e})")),
            }
            worlds.arm(found, context)?;
            let pressed = dispatch_click(worlds.page(), x, y, worlds.call_timeout);
            pressed.map(|()| (x, y))
        }),
    };
    let why_not_mouse = match mouse {
        Ok((x, y)) => {
            let mut gone = false;
            let arrived = poll_until(Instant::now() + CLICK_ARRIVAL, || {
                match worlds.run_in(context, json!({ "op": "clicked" })) {
                    Ok(v) => v == Value::Bool(true),
                    // The click replaced the document (it navigated): it arrived.
                    Err(e) => {
                        gone = is_context_gone(&e);
                        gone
                    }
                }
            });
            let stray = worlds.disarm(found, context);
            if arrived {
                return Ok(format!("mouse click at ({x:.0}, {y:.0})"));
            }
            match stray {
                Some(s) => format!("the mouse click did not reach it (stopped: {s})"),
                None => "the mouse click did not reach it".to_string(),
            }
        }
        Err(e) => {
            worlds.disarm(found, context);
            e
        }
    };
    match worlds.act_in(context, json!({ "op": "jsClick", "key": found.key })) {
        Ok(Value::Bool(true)) => Ok(format!("el.click(), since {why_not_mouse}")),
        Ok(_) => Err(ClickError::Gone),
        Err(e) if is_context_gone(&e) => Ok(format!("el.click(), since {why_not_mouse}")),
        Err(e) => Err(ClickError::Failed(e.to_string())),
    }
}

impl Worlds<'_> {
    /// Whether the node at page point (x, y) is the located element or inside it: hit-tested by
    /// the browser across frames (`DOM.getNodeForLocation`), as the press would be.
    fn lands_on(&mut self, found: &Found, context: i64, x: f64, y: f64) -> Result<bool, String> {
        let t = self.call_timeout;
        let hit = self
            .page
            .call(
                "DOM.getNodeForLocation",
                json!({ "x": x.round() as i64, "y": y.round() as i64, "ignorePointerEventsNone": true }),
                t,
            )
            .map_err(|e| e.to_string())?;
        if hit.get("frameId").and_then(Value::as_str) != Some(found.frame_id.as_str()) {
            return Ok(false);
        }
        let node = self
            .page
            .call(
                "DOM.resolveNode",
                json!({
                    "backendNodeId": hit.get("backendNodeId"),
                    "executionContextId": context,
                    "objectGroup": OBJECT_GROUP,
                }),
                t,
            )
            .map_err(|e| e.to_string())?;
        let object_id = node
            .pointer("/object/objectId")
            .and_then(Value::as_str)
            .ok_or("the node at that point has no object")?;
        let inside = format!(
            "function () {{ const t = window.__chatcookieConsent && window.__chatcookieConsent.targets.get({}); for (let n = this; n; n = n.parentNode || n.host) if (n === t) return true; return false; }}",
            serde_json::to_string(&found.key).expect("strings serialize")
        );
        let reply = self
            .page
            .call(
                "Runtime.callFunctionOn",
                json!({ "objectId": object_id, "functionDeclaration": inside, "returnByValue": true }),
                t,
            )
            .map_err(|e| e.to_string())?;
        Ok(reply.pointer("/result/value") == Some(&Value::Bool(true)))
    }

    /// Arms the guard against a stray press: in the element's frame, and in the top frame when
    /// the element is in another one (every press there would be stray).
    fn arm(&mut self, found: &Found, context: i64) -> Result<(), String> {
        self.run_in(context, json!({ "op": "arm", "key": found.key }))
            .map_err(|e| format!("cannot guard the click ({e})"))?;
        if !found.top {
            let top = self.top().to_string();
            self.run(&top, json!({ "op": "arm", "key": null }))
                .map_err(|e| format!("cannot guard the click in the top frame ({e})"))?;
        }
        Ok(())
    }

    /// Disarms the guards; the presses they stopped, if any.
    fn disarm(&mut self, found: &Found, context: i64) -> Option<String> {
        let mut stray: Vec<String> = Vec::new();
        let mut read = |v: Result<Value, String>| {
            if let Ok(v) = v {
                stray.extend(
                    v.get("stray")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|s| s.as_str().map(str::to_string)),
                );
            }
        };
        read(
            self.run_in(context, json!({ "op": "disarm" }))
                .map_err(|e| e.to_string()),
        );
        if !found.top {
            let top = self.top().to_string();
            read(self.run(&top, json!({ "op": "disarm" })));
        }
        (!stray.is_empty()).then(|| stray.join(", "))
    }
}

/// Hides every match of `chains` in `frame`'s document and its open shadow roots.
pub fn hide_in(worlds: &mut Worlds, frame: &str, chains: &[&[String]]) -> Result<u64, String> {
    worlds
        .run(frame, json!({ "op": "hide", "chains": chains }))
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
