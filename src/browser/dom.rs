//! The page's DOM across frames, for every layer that looks at or clicks in a page: selector
//! chains followed into shadow roots and frames, each frame asked in our isolated world.
//!
//! [`Worlds`] holds a page's worlds; [`resolve_in`] and [`resolve_many`] follow chains from a
//! document; [`click`] clicks what they found as a visitor does.

mod click;
mod worlds;

pub use click::{ClickError, click, el_click};
pub use worlds::Worlds;
use worlds::dom_value;

use crate::error::Result;
use serde_json::{Value, json};

/// The script every DOM request runs, a function of one request (see dom.js).
pub const DOM_JS: &str = include_str!("dom.js");

/// Remote objects we ask for (frame elements) live in this group, released at the end.
const OBJECT_GROUP: &str = "chatcookie-consent";

/// Frames nested deeper than this are not followed (a frame that embeds itself, say).
const MAX_FRAME_DEPTH: usize = 6;

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

/// Follows each chain from the top frame into shadow roots and frames, one request per frame.
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
            located: vec![Located::Failed(e.to_string()); asks.len()],
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
                    Err(e) => Located::Failed(e.to_string()),
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

/// Hides every match of `chains` in `frame`'s document and its open shadow roots.
pub fn hide_in(worlds: &mut Worlds, frame: &str, chains: &[&[String]]) -> Result<u64> {
    worlds
        .run(frame, json!({ "op": "hide", "chains": chains }))
        .map(|v| v.as_u64().unwrap_or(0))
}
