//! What a visitor does at each step: wait for the widget, answer the cookie banner, open the chat.

use super::StepOutcome;
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::input::{self, Gestures};
use crate::browser::poll_until;

/// Real time between a gesture and the look after it (as the looks were 10 ms apart before).
const GESTURE_LOOK: Duration = Duration::from_millis(10);
use super::{ConsentChoice, ConsentMethod};
use crate::browser::watch::{FrameInfo, PageWatch};
use crate::catalog::{Catalog, Evidence};
use crate::consent::{ConsentRecord, UserAnswer};
use crate::vocab::ConsentAction;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The catalog vendors the page shows now: their globals, and their script signatures among
/// the page's script elements and the scripts any frame loaded (cross-origin iframes included,
/// from the network log). A script of the page's own site counts by its path only: the site's
/// host name may contain a vendor's name.
pub fn look_for_vendors(
    page: &Page,
    watch: &PageWatch,
    catalog: &Catalog,
    call_timeout: Duration,
) -> Evidence {
    let globals: Vec<(&str, &str)> = catalog
        .vendors
        .iter()
        .flat_map(|v| {
            v.detect
                .globals
                .iter()
                .map(move |g| (v.id.as_str(), g.as_str()))
        })
        .collect();
    let paths: Vec<&str> = globals.iter().map(|(_, g)| *g).collect();
    let script = format!(
        r#"(() => {{
  const has = (path) => {{ try {{
    let o = window;
    for (const k of path.split('.')) {{ if (o == null || !(k in Object(o))) return false; o = o[k]; }}
    return o !== undefined && o !== null;
  }} catch (e) {{ return false; }} }};
  return {{
    globals: {paths}.filter(has),
    scripts: Array.from(document.scripts, s => s.src).filter(Boolean),
  }};
}})()"#,
        paths = serde_json::to_string(&paths).expect("strings serialize")
    );
    let (page_url, loaded) = {
        let w = watch.lock();
        let url = w
            .main_frame
            .as_ref()
            .and_then(|id| w.frames.get(id))
            .map(|f| f.url.clone())
            .unwrap_or_default();
        (url, w.script_urls.iter().cloned().collect::<Vec<String>>())
    };
    let page_site = crate::vocab::host_of(&page_url)
        .map(|h| crate::vocab::site_of(&h))
        .unwrap_or_default();
    let mut ev = Evidence::default();
    if let Ok(v) = page.evaluate(&script, call_timeout) {
        for g in v
            .get("globals")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let g = g.as_str().unwrap_or_default();
            for (vendor, _) in globals.iter().filter(|(_, name)| *name == g) {
                ev.add(vendor, format!("global {g}"));
            }
        }
        let scripts: Vec<String> = v
            .get("scripts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        ev.merge(
            catalog.evidence_from_page_scripts(scripts.iter().map(String::as_str), &page_site),
        );
    }
    ev.merge(catalog.evidence_from_page_scripts(loaded.iter().map(String::as_str), &page_site));
    catalog.settle(&mut ev);
    ev
}

/// Looks at the page until a catalog vendor shows (global or script), for `window` of the
/// page's own time on `clock` (see `browser::clock`). While nothing shows, the visitor first
/// makes its `gestures` one by one in real time (a widget that loads on the first mouse move,
/// scroll or touch then shows); the second value says which preceded the widget.
pub fn wait_for_widget(
    page: &Page,
    watch: &PageWatch,
    catalog: &Catalog,
    (clock, window): (&PageClock, Duration),
    call_timeout: Duration,
    gestures: &mut Gestures,
) -> (Evidence, Option<String>) {
    let look = || look_for_vendors(page, watch, catalog, call_timeout);
    let started = Instant::now();
    let deadline = started + window;
    let mut found = look();
    // Gestures in real time, one per look, as a reader moves while the page comes up.
    while found.0.is_empty() && !gestures.exhausted() && !page.cdp.is_closed() {
        if Instant::now() >= deadline {
            break;
        }
        gestures.next(page, call_timeout);
        std::thread::sleep(GESTURE_LOOK);
        found = look();
    }
    // The rest of the window on the page's clock; a browser that went away shows no widget.
    if found.0.is_empty() {
        let rest = window.saturating_sub(started.elapsed());
        clock.run_ahead(rest, || {
            found = look();
            !found.0.is_empty() || page.cdp.is_closed()
        });
    }
    let after_gesture =
        (!found.0.is_empty() && !gestures.done.is_empty()).then(|| gestures.describe());
    (found, after_gesture)
}

/// Performs the consent action and checks that it took; returns the step's outcome and the
/// record of what was done (every method but `--consent none` has one).
pub fn consent(
    page: &Page,
    frames: &[FrameInfo],
    choice: &ConsentChoice,
    timeouts: (Duration, Duration),
    clock: &PageClock,
    gestures: &mut Gestures,
) -> (StepOutcome, Option<ConsentRecord>) {
    let (step_timeout, call_timeout) = timeouts;
    let (verb, reject) = match choice.action {
        ConsentAction::None => {
            let why = "consent not requested (--consent none)".to_string();
            return (StepOutcome::Skipped(why), None);
        }
        ConsentAction::Accept => ("accepted", false),
        ConsentAction::Reject => ("rejected", true),
    };
    let t0 = Instant::now();
    let answer = match &choice.method {
        ConsentMethod::Auto => {
            let record = crate::consent::auto_consent(
                page,
                frames,
                &choice.rules,
                reject,
                step_timeout,
                call_timeout,
                clock,
                gestures,
                &choice.words,
            );
            let mut detail = record.summary(&choice.rules, reject);
            if let Some(g) = &record.gesture {
                detail.push_str(&format!(" (the banner showed {g})"));
            }
            let outcome = if record.done {
                StepOutcome::Acted(detail)
            } else if record.acted() {
                // A click that did not take, or took the wrong way, still changed the page.
                StepOutcome::Failed(detail)
            } else {
                StepOutcome::Unanswered(detail)
            };
            return (outcome, Some(record));
        }
        ConsentMethod::Js(js) => UserAnswer::Script(js),
        ConsentMethod::Click(sel) => UserAnswer::Click(sel),
        ConsentMethod::Text(text) => UserAnswer::Text(text),
    };
    // A user's own answer: carried out, then checked like an automatic one.
    let mut record = crate::consent::user_answer(
        page,
        frames,
        &choice.rules,
        &choice.words,
        answer,
        reject,
        timeouts,
        clock,
        gestures,
    );
    let how = match answer {
        UserAnswer::Script(js) => format!(" by script `{js}`"),
        UserAnswer::Text(_) => " by button text".to_string(),
        UserAnswer::Click(_) => String::new(),
    };
    let outcome = match (&record.element, record.tried.first()) {
        (Some(d), _) => {
            let checked = record
                .outcome
                .as_ref()
                .map_or_else(String::new, |o| format!("; {o}"));
            if record.done {
                StepOutcome::Acted(format!("{verb}{how}: {d}{checked}"))
            } else {
                let why = record.outcome.clone().unwrap_or_default();
                StepOutcome::Failed(format!("answered{how}: {d}; but {why}"))
            }
        }
        (None, e) => StepOutcome::Unanswered(e.cloned().unwrap_or_default()),
    };
    record.duration_ms = t0.elapsed().as_millis() as u64;
    (outcome, Some(record))
}

/// Which vendor call a chat step makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatCall {
    /// `[open]`: open the chat.
    Open,
    /// `[message]`: send a first message.
    Message,
}

/// Opens the chat (or sends `message`) of every detected vendor with its own call from the
/// catalog. `evidence` says how each vendor was seen: one known only from keys already stored,
/// whose globals are not on the page, cannot be called, and is not waited for. The wait for a
/// vendor's API runs on the page's `clock`: a loader the consent answer never released is
/// known missing once the idle page has lived the bound, not after it in real time.
pub fn call_vendors(
    page: &Page,
    clock: &PageClock,
    catalog: &Catalog,
    evidence: &Evidence,
    call: ChatCall,
    message: &str,
    timeouts: (Duration, Duration),
) -> StepOutcome {
    let (step_timeout, call_timeout) = timeouts;
    let mut done = Vec::new();
    let mut failed = Vec::new();
    // A call that ran but did not open the chat still acted on the page.
    let mut ran = false;
    for (id, reasons) in &evidence.0 {
        let vendor = catalog.vendor(id);
        let spec = vendor.and_then(|v| match call {
            ChatCall::Open => v.open.as_ref(),
            ChatCall::Message => v.message.as_ref(),
        });
        let Some(spec) = spec else {
            let table = if call == ChatCall::Open {
                "open"
            } else {
                "message"
            };
            failed.push(format!("{id}: the catalog has no [{table}] call"));
            continue;
        };
        let script = match call {
            ChatCall::Open => spec.script.clone(),
            ChatCall::Message => spec.script.replace(
                "{message}",
                &serde_json::to_string(message).expect("strings serialize"),
            ),
        };
        if let Some(ready) = &spec.ready {
            let only_keys = reasons.iter().all(|r| r.starts_with("key "));
            let check = || {
                page.evaluate(ready, call_timeout)
                    .is_ok_and(|v| v == Value::Bool(true))
            };
            // A message that cannot go through the vendor's call is typed instead: do not
            // spend the whole step on waiting for the call.
            let bound = match call {
                ChatCall::Open => step_timeout,
                ChatCall::Message => step_timeout / 3,
            };
            // Known only from stored keys: its API is there now or not at all.
            let is_ready = if only_keys {
                check()
                    || globals_present(page, vendor, call_timeout) && clock.run_ahead(bound, check)
            } else {
                clock.run_ahead(bound, check)
            };
            if !is_ready {
                failed.push(if only_keys {
                    format!("{id}: known only from its stored keys, and its API is not on the page")
                } else {
                    format!(
                        "{id}: `{ready}` not true within {bound:?}{}",
                        if clock.is_virtual() {
                            " of the page's own time"
                        } else {
                            ""
                        }
                    )
                });
                continue;
            }
        }
        match page.act(&script, call_timeout) {
            Ok(_) => match check_opened(page, spec, call, call_timeout) {
                Some(false) => {
                    ran = true;
                    failed.push(format!(
                        "{id}: `{}` ran, but the chat did not open (`{}` stayed false)",
                        spec.script,
                        spec.opened.as_deref().unwrap_or_default()
                    ));
                }
                Some(true) => done.push(format!("{id}: `{}`, and the chat opened", spec.script)),
                None => done.push(format!("{id}: `{}`", spec.script)),
            },
            Err(e) => failed.push(format!("{id}: `{}` failed: {e}", spec.script)),
        }
    }
    let (verb, past) = match call {
        ChatCall::Open => ("open the chat", "opened the chat"),
        ChatCall::Message => ("send a message", "sent a message"),
    };
    if done.is_empty() {
        let why = format!("cannot {verb}: {}", failed.join("; "));
        return if ran {
            StepOutcome::Failed(why)
        } else {
            StepOutcome::Skipped(why)
        };
    }
    let mut detail = format!("{past} with {}", done.join(", "));
    if !failed.is_empty() {
        detail.push_str(&format!(" (failed: {})", failed.join("; ")));
    }
    StepOutcome::Acted(detail)
}

/// How long an open call may take to show the chat.
const OPEN_BOUND: Duration = Duration::from_secs(2);

/// Whether the chat opened after an open call, from the catalog's `opened` expression: None when
/// the catalog has none or the page cannot tell (the expression is undefined or null).
fn check_opened(
    page: &Page,
    spec: &crate::catalog::OpenCall,
    call: ChatCall,
    call_timeout: Duration,
) -> Option<bool> {
    let expr = spec.opened.as_ref().filter(|_| call == ChatCall::Open)?;
    let wrapped =
        format!("(() => {{ try {{ return ({expr}); }} catch (e) {{ return null; }} }})()");
    let mut last = None;
    poll_until(Instant::now() + OPEN_BOUND, || {
        last = page
            .evaluate(&wrapped, call_timeout)
            .ok()
            .and_then(|v| v.as_bool());
        last != Some(false)
    });
    last
}

/// Checks, after a click on `--open-click`, that a detected vendor's chat opened.
pub fn check_opened_by_click(
    page: &Page,
    catalog: &Catalog,
    evidence: &Evidence,
    call_timeout: Duration,
) -> Option<bool> {
    let mut seen = None;
    for id in evidence.vendors() {
        let Some(spec) = catalog.vendor(id).and_then(|v| v.open.as_ref()) else {
            continue;
        };
        match check_opened(page, spec, ChatCall::Open, call_timeout) {
            Some(true) => return Some(true),
            Some(false) => seen = Some(false),
            None => {}
        }
    }
    seen
}

/// True when any of the vendor's detection globals is defined in the page.
fn globals_present(
    page: &Page,
    vendor: Option<&crate::catalog::Vendor>,
    call_timeout: Duration,
) -> bool {
    let Some(v) = vendor else { return false };
    v.detect.globals.iter().any(|g| {
        let path = serde_json::to_string(g).expect("strings serialize");
        let expr = format!(
            "(() => {{ try {{ let o = window; for (const k of {path}.split('.')) {{ if (o == null || !(k in Object(o))) return false; o = o[k]; }} return o != null; }} catch (e) {{ return false; }} }})()"
        );
        page.evaluate(&expr, call_timeout)
            .is_ok_and(|v| v == Value::Bool(true))
    })
}

/// Sends `message` by typing it into the chat's message box (in the page, its shadow roots or
/// any frame) and pressing Enter: for vendors the catalog has no `[message]` call for.
pub fn type_message(
    page: &Page,
    frames: &[FrameInfo],
    message: &str,
    timeouts: (Duration, Duration),
) -> anyhow::Result<String> {
    let (step_timeout, call_timeout) = timeouts;
    let mut focused = None;
    poll_until(
        Instant::now() + step_timeout.min(Duration::from_secs(3)),
        || {
            focused = crate::consent::focus_message_box(page, frames, false, call_timeout);
            focused.is_some()
        },
    );
    let Some(place) = focused else {
        anyhow::bail!(
            "no message box (textarea, text input or contenteditable naming a message or chat) in the page or its frames"
        );
    };
    input::type_and_enter(page, message, call_timeout)
        .map_err(|e| anyhow::anyhow!("typing into {place} failed: {e}"))?;
    Ok(format!("typed the message into {place} and pressed Enter"))
}
