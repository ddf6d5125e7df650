//! What a visitor does at each step: wait for the widget, answer the cookie banner, open the chat.

use super::StepOutcome;
use super::settle::poll_until;
use super::watch::{FrameInfo, PageWatch};
use crate::browser::cdp::Page;
use crate::catalog::{Catalog, Evidence};
use crate::consent::{CmpRules, ConsentRecord};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// What to answer the cookie banner.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentAction {
    /// Accept all cookies.
    Accept,
    /// Reject all but strictly necessary cookies.
    Reject,
    /// Leave the banner alone (the consent step is skipped).
    None,
}

/// The consent action and how to perform it on this site.
#[derive(Debug, Clone)]
pub struct ConsentChoice {
    pub action: ConsentAction,
    pub method: ConsentMethod,
}

/// How the consent step answers the banner.
#[derive(Debug, Clone)]
pub enum ConsentMethod {
    /// Detect the consent manager and click through its rule (the default).
    Auto(CmpRules),
    /// Click the element this CSS selector finds.
    Click(String),
    /// Evaluate this JavaScript instead of a click.
    Js(String),
    /// Click the button, link or [role=button] with this visible text.
    Text(String),
}

impl ConsentChoice {
    /// The choice the flags describe: a script wins over a selector, a selector over a button
    /// text; with none of them, automatic detection through `rules`.
    pub fn from_flags(
        action: ConsentAction,
        click: Option<String>,
        js: Option<String>,
        text: Option<String>,
        rules: CmpRules,
    ) -> ConsentChoice {
        let method = match (js, click, text) {
            (Some(js), _, _) => ConsentMethod::Js(js),
            (None, Some(sel), _) => ConsentMethod::Click(sel),
            (None, None, Some(text)) => ConsentMethod::Text(text),
            (None, None, None) => ConsentMethod::Auto(rules),
        };
        ConsentChoice { action, method }
    }
}

/// Recorded as `action`, `method` (auto, click, js or text) and the method's argument under its
/// own key (`click`, `js`, `text`, or `cmp_rules`: the rules' version).
impl serde::Serialize for ConsentChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("ConsentChoice", 3)?;
        m.serialize_field("action", &self.action)?;
        let (method, key, value) = match &self.method {
            ConsentMethod::Auto(rules) => ("auto", "cmp_rules", rules.version()),
            ConsentMethod::Click(sel) => ("click", "click", sel.as_str()),
            ConsentMethod::Js(js) => ("js", "js", js.as_str()),
            ConsentMethod::Text(text) => ("text", "text", text.as_str()),
        };
        m.serialize_field("method", method)?;
        m.serialize_field(key, value)?;
        m.end()
    }
}

/// Polls the page until a catalog vendor shows (global or script), or `timeout` passes.
pub fn wait_for_widget(
    page: &Page,
    watch: &PageWatch,
    catalog: &Catalog,
    timeout: Duration,
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
    let deadline = Instant::now() + timeout;
    let mut found = Evidence::default();
    poll_until(deadline, || {
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
            ev.merge(catalog.evidence_from_scripts(scripts.iter().map(String::as_str)));
        }
        // Scripts loaded by any frame, including cross-origin iframes, from the network log.
        let urls: Vec<String> = watch.lock().script_urls.iter().cloned().collect();
        ev.merge(catalog.evidence_from_scripts(urls.iter().map(String::as_str)));
        // A browser that went away will not show a widget: stop waiting.
        let done = !ev.0.is_empty() || page.cdp.is_closed();
        found = ev;
        done
    });
    found
}

/// Performs the consent action; automatic and by-text answers also return their record.
pub fn consent(
    page: &Page,
    frames: &[FrameInfo],
    choice: &ConsentChoice,
    step_timeout: Duration,
    call_timeout: Duration,
    page_age: Duration,
) -> (StepOutcome, Option<ConsentRecord>) {
    let (verb, reject) = match choice.action {
        ConsentAction::None => {
            let why = "consent not requested (--consent none)".to_string();
            return (StepOutcome::Skipped(why), None);
        }
        ConsentAction::Accept => ("accepted", false),
        ConsentAction::Reject => ("rejected", true),
    };
    let infinitive = if reject { "reject" } else { "accept" };
    match &choice.method {
        ConsentMethod::Js(js) => (
            match page.evaluate(js, call_timeout) {
                Ok(_) => StepOutcome::Acted(format!("{verb} by script `{js}`")),
                Err(e) => StepOutcome::Skipped(format!("consent script `{js}` failed: {e}")),
            },
            None,
        ),
        ConsentMethod::Click(sel) => (
            match click(page, sel, step_timeout, call_timeout) {
                Ok(d) => StepOutcome::Acted(format!("{verb}: {d}")),
                Err(e) => StepOutcome::Skipped(format!("cannot {infinitive} consent: {e}")),
            },
            None,
        ),
        ConsentMethod::Text(text) => {
            let t0 = Instant::now();
            let clicked =
                crate::consent::click_by_text(page, frames, text, step_timeout, call_timeout);
            let record = ConsentRecord {
                rule: Some("text".into()),
                done: clicked.is_ok(),
                element: clicked.as_ref().ok().cloned(),
                tried: clicked.as_ref().err().cloned().into_iter().collect(),
                duration_ms: t0.elapsed().as_millis() as u64,
                ..Default::default()
            };
            let outcome = match clicked {
                Ok(d) => StepOutcome::Acted(format!("{verb} by button text: {d}")),
                Err(e) => StepOutcome::Skipped(format!("cannot {infinitive} consent: {e}")),
            };
            (outcome, Some(record))
        }
        ConsentMethod::Auto(rules) => {
            let record = crate::consent::auto_consent(
                page,
                frames,
                rules,
                reject,
                step_timeout,
                call_timeout,
                page_age,
            );
            let detail = record.summary(rules, reject);
            // A click that did not take still changed the page: snapshot it.
            let outcome = if record.acted() {
                StepOutcome::Acted(detail)
            } else {
                StepOutcome::Skipped(detail)
            };
            (outcome, Some(record))
        }
    }
}

/// Waits for `selector` to be visible, then clicks its centre with real mouse events.
pub fn click(
    page: &Page,
    selector: &str,
    step_timeout: Duration,
    call_timeout: Duration,
) -> Result<String, String> {
    let sel = serde_json::to_string(selector).expect("strings serialize");
    let locate = format!(
        r#"(() => {{
  let el;
  try {{ el = document.querySelector({sel}); }} catch (e) {{ return {{ error: 'invalid selector: ' + e.message }}; }}
  if (!el) return {{ state: 'missing' }};
  el.scrollIntoView({{ block: 'center', inline: 'center' }});
  const r = el.getBoundingClientRect();
  const st = getComputedStyle(el);
  if (r.width === 0 || r.height === 0 || st.visibility === 'hidden' || st.display === 'none') return {{ state: 'hidden' }};
  if (el.disabled) return {{ state: 'disabled' }};
  return {{ state: 'ready', x: r.left + r.width / 2, y: r.top + r.height / 2 }};
}})()"#
    );
    let deadline = Instant::now() + step_timeout;
    let mut last = Value::Null;
    let mut last_err = String::new();
    let ready = poll_until(deadline, || match page.evaluate(&locate, call_timeout) {
        Ok(v) => {
            let done =
                v.get("state").and_then(Value::as_str) == Some("ready") || v.get("error").is_some();
            last = v;
            done
        }
        Err(e) => {
            last_err = e.to_string();
            false
        }
    });
    if let Some(err) = last.get("error").and_then(Value::as_str) {
        return Err(format!("`{selector}`: {err}"));
    }
    if !ready {
        let state = last
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or(&last_err);
        return Err(format!(
            "`{selector}` not clickable within {step_timeout:?} (last seen: {state})"
        ));
    }
    let x = last.get("x").and_then(Value::as_f64).unwrap_or(0.0);
    let y = last.get("y").and_then(Value::as_f64).unwrap_or(0.0);
    for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
        let params = json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 });
        page.call("Input.dispatchMouseEvent", params, call_timeout)
            .map_err(|e| format!("click on `{selector}` failed: {e}"))?;
    }
    Ok(format!("clicked `{selector}` at ({x:.0}, {y:.0})"))
}

/// Opens the chat of every detected vendor with its own call from the catalog.
pub fn open_chat(
    page: &Page,
    catalog: &Catalog,
    vendors: &[String],
    step_timeout: Duration,
    call_timeout: Duration,
) -> Result<StepOutcome, String> {
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for id in vendors {
        let Some(open) = catalog.vendor(id).and_then(|v| v.open.as_ref()) else {
            failed.push(format!("{id}: the catalog has no open call"));
            continue;
        };
        if let Some(ready) = &open.ready {
            let deadline = Instant::now() + step_timeout;
            let is_ready = poll_until(deadline, || {
                page.evaluate(ready, call_timeout)
                    .is_ok_and(|v| v == Value::Bool(true))
            });
            if !is_ready {
                failed.push(format!("{id}: `{ready}` not true within {step_timeout:?}"));
                continue;
            }
        }
        match page.evaluate(&open.script, call_timeout) {
            Ok(_) => done.push(format!("{id}: `{}`", open.script)),
            Err(e) => failed.push(format!("{id}: `{}` failed: {e}", open.script)),
        }
    }
    if done.is_empty() {
        return Ok(StepOutcome::Skipped(format!(
            "cannot open the chat: {}",
            failed.join("; ")
        )));
    }
    let mut detail = format!("opened the chat with {}", done.join(", "));
    if !failed.is_empty() {
        detail.push_str(&format!(" (failed: {})", failed.join("; ")));
    }
    Ok(StepOutcome::Acted(detail))
}
