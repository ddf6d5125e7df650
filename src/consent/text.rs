//! Clicking an element found by its visible text (`--consent-text`) or by a user's CSS selector (`--consent-click`, `--open-click`), in every frame and open shadow root.

use super::auto::describe_click;
use crate::browser::cdp::Page;
use crate::browser::dom::{self, ClickError, Found, Worlds};
use crate::browser::watch::FrameInfo;
use crate::error::{Error, Result};
use anyhow::anyhow;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Pause between two searches of the page.
const POLL: Duration = Duration::from_millis(25);

/// See [`super::click_by_text`].
pub fn click_by_text(
    page: &Page,
    frames: &[FrameInfo],
    text: &str,
    step_timeout: Duration,
    call_timeout: Duration,
) -> Result<String> {
    let want = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if want.is_empty() {
        return Err(Error::usage("the button text to click is empty"));
    }
    let deadline = Instant::now() + step_timeout;
    let mut worlds = Worlds::new(page, frames, call_timeout);
    let outcome = search_and_click(&mut worlds, Query::Text(&want), deadline, step_timeout);
    worlds.release();
    outcome
}

/// See [`super::click_selector`].
pub fn click_selector(
    page: &Page,
    frames: &[FrameInfo],
    selector: &str,
    step_timeout: Duration,
    call_timeout: Duration,
) -> Result<String> {
    let deadline = Instant::now() + step_timeout;
    let mut worlds = Worlds::new(page, frames, call_timeout);
    let outcome = search_and_click(&mut worlds, Query::Css(selector), deadline, step_timeout);
    worlds.release();
    outcome
}

/// What to look for in each frame.
#[derive(Clone, Copy)]
pub(super) enum Query<'a> {
    Text(&'a str),
    Css(&'a str),
}

pub(super) fn search_and_click(
    worlds: &mut Worlds,
    query: Query,
    deadline: Instant,
    step_timeout: Duration,
) -> Result<String> {
    loop {
        let (found, what) = search(worlds, query, deadline, step_timeout)?;
        match dom::click(worlds, &found) {
            Ok(how) => return Ok(describe_click(&what, &found, &how)),
            // Re-rendered between finding and clicking: search again.
            Err(ClickError::Gone) if Instant::now() < deadline => {}
            Err(ClickError::Gone) => {
                return Err(Error::site(anyhow!("{} left the page", found.label)));
            }
            Err(ClickError::Failed(e)) => {
                return Err(Error::new(
                    e.kind(),
                    anyhow!("clicking {} failed: {e}", found.label),
                ));
            }
        }
    }
}

/// Searches every frame until an element answers `query` (polling until `deadline`): the
/// element, and how it was matched.
pub(super) fn search(
    worlds: &mut Worlds,
    query: Query,
    deadline: Instant,
    step_timeout: Duration,
) -> Result<(Found, String)> {
    let quoted = match query {
        Query::Text(want) => format!("\"{want}\""),
        Query::Css(sel) => format!("`{sel}`"),
    };
    let mut last_seen = "nothing".to_string();
    loop {
        let top = worlds.top().to_string();
        let mut best: Option<(bool, Found)> = None;
        // The top frame first (the live tree lists it first), then every frame in tree order.
        for frame in worlds.frames() {
            let key = worlds.key();
            let request = match query {
                Query::Text(want) => json!({ "op": "text", "text": want, "key": key }),
                Query::Css(sel) => json!({ "op": "css", "selector": sel, "key": key }),
            };
            let Ok(v) = worlds.run(&frame.id, request) else {
                continue;
            };
            if v.get("state").and_then(Value::as_str) == Some("invalid") {
                let error = v.get("error").and_then(Value::as_str).unwrap_or_default();
                return Err(Error::usage(format!(
                    "{quoted} is not a valid CSS selector: {error}"
                )));
            }
            let state = v.get("state").and_then(Value::as_str).unwrap_or_default();
            let url = v.get("url").and_then(Value::as_str).unwrap_or_default();
            match state {
                "ready" => {
                    let exact = v.get("exact").and_then(Value::as_bool) == Some(true);
                    if best.as_ref().is_none_or(|(e, _)| exact && !e) {
                        let found = Found {
                            top: frame.id == top,
                            frame_id: frame.id.clone(),
                            frame_url: url.to_string(),
                            key,
                            label: v
                                .get("label")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                        };
                        best = Some((exact, found));
                    }
                    if exact {
                        break;
                    }
                }
                "hidden" | "disabled" | "loading" => {
                    last_seen = format!("a {state} match in {url}")
                }
                _ => {}
            }
        }
        if let Some((exact, found)) = best {
            let what = match query {
                Query::Text(_) if exact => format!("exact text match for {quoted}"),
                Query::Text(_) => format!("partial text match for {quoted}"),
                Query::Css(_) => quoted.clone(),
            };
            return Ok((found, what));
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::site(match query {
                Query::Text(_) => anyhow!(
                    "no visible, enabled button, link or [role=button] with the text {quoted} within {step_timeout:?} (last seen: {last_seen})"
                ),
                Query::Css(_) => anyhow!(
                    "{quoted} matched no visible, enabled element in the page, its shadow roots or its frames within {step_timeout:?} (last seen: {last_seen})"
                ),
            }));
        }
        std::thread::sleep(POLL.min(deadline - now));
    }
}
