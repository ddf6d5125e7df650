//! Clicking a located element the way a visitor does: a real mouse press at its centre, guarded
//! against landing elsewhere, with the element's own activation (`el.click()`) as the fallback.

use super::worlds::is_context_gone;
use super::{Found, OBJECT_GROUP, Worlds};
use crate::browser::cdp::Page;
use crate::browser::poll_until;
use crate::error::{Error, Result};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long a real click gets to reach its element before `el.click()` is used instead.
const CLICK_ARRIVAL: Duration = Duration::from_millis(300);

/// How long (page time) an element that is moving or covered may take to become clickable
/// before its own activation (`el.click()`) is used instead of the mouse.
const CLICK_SETTLE: Duration = Duration::from_millis(1500);

/// Why a click did not happen; callers look again when the element is [`ClickError::Gone`].
#[derive(Debug, thiserror::Error)]
pub enum ClickError {
    /// The element left the document between locating and clicking it.
    #[error("it left the page before the click")]
    Gone,
    /// The page could not be asked or clicked in.
    #[error(transparent)]
    Failed(#[from] Error),
}

/// Why the mouse was not used (the element is then activated with `el.click()`), for the record.
#[derive(Debug, thiserror::Error)]
enum NotByMouse {
    /// Still moving when the wait for it to settle ended.
    #[error("{0} after {secs:.1} s", secs = CLICK_SETTLE.as_secs_f64())]
    Moving(String),
    /// Something else is on top of it.
    #[error("covered by {0}")]
    Covered(String),
    /// The last hit test before the press found another element there.
    #[error("something else is at ({x:.0}, {y:.0}) now")]
    Elsewhere { x: f64, y: f64 },
    #[error("the point cannot be hit-tested ({0})")]
    NoHitTest(Error),
    /// The frame's offset, the guard or the press itself failed.
    #[error(transparent)]
    Failed(#[from] Error),
}

/// `el.click()` on what `resolve` kept ([`super::Located::Stored`]), in its own frame, as the
/// visitor's gesture: autoconsent's click, for a match that is hidden or disabled, or for every
/// match. Returns how many elements were clicked.
pub fn el_click(worlds: &mut Worlds, found: &Found) -> Result<u64> {
    let context = worlds.context(&found.frame_id)?;
    match worlds.act_in(context, json!({ "op": "elClick", "key": found.key })) {
        Ok(v) => Ok(v.as_u64().unwrap_or(0)),
        // The click replaced the document (it navigated): it arrived.
        Err(e) if is_context_gone(&e) => Ok(1),
        Err(e) => Err(Error::browser(e)),
    }
}

/// Clicks a located element the way a visitor does, and never anything else: a real mouse click
/// at its centre (scrolled into view, at page coordinates across frames) once it is still and
/// on top there; `el.click()` in its own frame when it stays covered or moving, or when the mouse
/// cannot reach it. Right before the press the point is hit-tested across frames, and while the
/// click is under way a press that would land elsewhere is stopped before the page sees it.
/// Returns how it was clicked.
pub fn click(worlds: &mut Worlds, found: &Found) -> Result<String, ClickError> {
    let context = worlds.context(&found.frame_id)?;
    let prepared = settle(worlds, found, context)?;
    let why_not_mouse = match by_mouse(worlds, found, context, &prepared) {
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
            e.to_string()
        }
    };
    match worlds.act_in(context, json!({ "op": "jsClick", "key": found.key })) {
        Ok(Value::Bool(true)) => Ok(format!("el.click(), since {why_not_mouse}")),
        Ok(_) => Err(ClickError::Gone),
        Err(e) if is_context_gone(&e) => Ok(format!("el.click(), since {why_not_mouse}")),
        Err(e) => Err(ClickError::Failed(Error::browser(e))),
    }
}

/// Waits (page time) until the element is still and on top, or the wait ends: a banner fading
/// in, a launcher sliding over it. What dom.js's `prepare` last said of it (its centre, whether
/// it is covered or moving).
fn settle(worlds: &mut Worlds, found: &Found, context: i64) -> Result<Value, ClickError> {
    let prepare = json!({ "op": "prepare", "key": found.key });
    let mut prepared = Value::Null;
    let mut failed = None;
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
            ClickError::Failed(Error::browser(e))
        });
    }
    if prepared.get("gone").is_some() || prepared.is_null() {
        return Err(ClickError::Gone);
    }
    Ok(prepared)
}

/// Presses the mouse at the element's centre, at page coordinates, once the last hit test says
/// it lands there and the guard is armed; where it pressed, or why the mouse was not used.
fn by_mouse(
    worlds: &mut Worlds,
    found: &Found,
    context: i64,
    prepared: &Value,
) -> std::result::Result<(f64, f64), NotByMouse> {
    if let Some(m) = prepared.get("moving").and_then(Value::as_str) {
        return Err(NotByMouse::Moving(m.to_string()));
    }
    if prepared.get("covered").and_then(Value::as_bool) == Some(true) {
        let by = prepared.get("by").and_then(Value::as_str);
        return Err(NotByMouse::Covered(
            by.unwrap_or("another element").to_string(),
        ));
    }
    let num = |k: &str| prepared.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let (ox, oy) = worlds.frame_offset(&found.frame_id)?;
    let (x, y) = (num("x") + ox, num("y") + oy);
    // The last look before the press: what is at that point of the page now.
    match worlds.lands_on(found, context, x, y) {
        Ok(true) => {}
        Ok(false) => return Err(NotByMouse::Elsewhere { x, y }),
        Err(e) => return Err(NotByMouse::NoHitTest(e)),
    }
    worlds.arm(found, context)?;
    dispatch_click(worlds.page(), x, y, worlds.call_timeout)?;
    Ok((x, y))
}

impl Worlds<'_> {
    /// Whether the node at page point (x, y) is the located element or inside it: hit-tested by
    /// the browser across frames (`DOM.getNodeForLocation`), as the press would be.
    fn lands_on(&mut self, found: &Found, context: i64, x: f64, y: f64) -> Result<bool> {
        let t = self.call_timeout;
        let page = self.page();
        let hit = page
            .call(
                "DOM.getNodeForLocation",
                json!({ "x": x.round() as i64, "y": y.round() as i64, "ignorePointerEventsNone": true }),
                t,
            )
            .map_err(Error::browser)?;
        if hit.get("frameId").and_then(Value::as_str) != Some(found.frame_id.as_str()) {
            return Ok(false);
        }
        let node = page
            .call(
                "DOM.resolveNode",
                json!({
                    "backendNodeId": hit.get("backendNodeId"),
                    "executionContextId": context,
                    "objectGroup": OBJECT_GROUP,
                }),
                t,
            )
            .map_err(Error::browser)?;
        let object_id = node
            .pointer("/object/objectId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::browser(anyhow::anyhow!("the node at that point has no object"))
            })?;
        let inside = format!(
            "function () {{ const t = window.__chatcookieConsent && window.__chatcookieConsent.targets.get({}); for (let n = this; n; n = n.parentNode || n.host) if (n === t) return true; return false; }}",
            serde_json::to_string(&found.key).expect("strings serialize")
        );
        let reply = page
            .call(
                "Runtime.callFunctionOn",
                json!({ "objectId": object_id, "functionDeclaration": inside, "returnByValue": true }),
                t,
            )
            .map_err(Error::browser)?;
        Ok(reply.pointer("/result/value") == Some(&Value::Bool(true)))
    }

    /// Arms the guard against a stray press: in the element's frame, and in the top frame when
    /// the element is in another one (every press there would be stray).
    fn arm(&mut self, found: &Found, context: i64) -> Result<()> {
        self.run_in(context, json!({ "op": "arm", "key": found.key }))
            .map_err(|e| Error::browser(anyhow::anyhow!("cannot guard the click ({e})")))?;
        if !found.top {
            let top = self.top().to_string();
            self.run(&top, json!({ "op": "arm", "key": null }))
                .map_err(|e| {
                    Error::browser(anyhow::anyhow!(
                        "cannot guard the click in the top frame ({e})"
                    ))
                })?;
        }
        Ok(())
    }

    /// Disarms the guards; the presses they stopped, if any.
    fn disarm(&mut self, found: &Found, context: i64) -> Option<String> {
        let mut stray: Vec<String> = Vec::new();
        let mut read = |v: Option<Value>| {
            if let Some(v) = v {
                stray.extend(
                    v.get("stray")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|s| s.as_str().map(str::to_string)),
                );
            }
        };
        read(self.run_in(context, json!({ "op": "disarm" })).ok());
        if !found.top {
            let top = self.top().to_string();
            read(self.run(&top, json!({ "op": "disarm" })).ok());
        }
        (!stray.is_empty()).then(|| stray.join(", "))
    }
}

/// Left-button press and release at page coordinates, after moving there.
fn dispatch_click(page: &Page, x: f64, y: f64, timeout: Duration) -> Result<()> {
    for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
        let params = json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 });
        page.call("Input.dispatchMouseEvent", params, timeout)
            .map_err(|e| Error::browser(anyhow::anyhow!("the mouse click failed: {e}")))?;
    }
    Ok(())
}
