//! The actions of the steps on one page: load it, wait for the widget, answer the banner, open the chat, send a message.

use super::{
    AbortKind, ChatCall, DEFAULT_MESSAGE, Fatal, Scan, StepOutcome, StepStatus, actions,
    call_timeout, describe,
};
use crate::browser::clock::PageClock;
use crate::browser::input::Gestures;
use crate::browser::visitor::Seen;
use crate::browser::watch;
use crate::catalog::Evidence;
use crate::vocab::Step;
use serde_json::json;
use std::time::Instant;

impl Scan<'_> {
    /// `load`: navigate to `url` and wait for the load event; a failed navigation ends the scan
    /// (on the start page; a later page of a journey is left out instead, by the caller). A page
    /// after the first is reached as a visitor following a link: with the last page as referrer.
    pub(super) fn load(&mut self, url: &str) -> Result<StepOutcome, Fatal> {
        let mut params = json!({ "url": url });
        let later = self.loaded_at.is_some();
        if later {
            params["referrer"] = self.page_url.clone().into();
            params["transitionType"] = "link".into();
        }
        {
            // The load event and the answer awaited are the new document's.
            let mut w = self.watch.lock();
            w.load_fired = false;
            w.document = None;
        }
        self.on_page = Evidence::default();
        if later {
            let d = &self.opts.settings.visitor.device;
            self.gestures = Gestures::new(d.touch, d.width, d.height);
        }
        let reply = self
            .page
            .call("Page.navigate", params, self.opts.settings.step_timeout)
            .map_err(|e| {
                Fatal::new(
                    AbortKind::Unreachable,
                    format!("cannot navigate to {url}: {e}"),
                )
            })?;
        if let Some(err) = reply
            .get("errorText")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
        {
            return Err(Fatal {
                kind: AbortKind::Unreachable,
                reason: format!("cannot load {url}: {}", explain_net_error(err)),
                net_error: Some(err.to_string()),
            });
        }
        let navigated = Instant::now();
        self.loaded_at = Some(navigated);
        let deadline = Instant::now() + self.opts.settings.step_timeout;
        let loaded = crate::browser::poll_until(deadline, || {
            self.watch.lock().load_fired || self.watch.lock().crashed
        });
        let ct = call_timeout(self.opts);
        if later && self.clock.is_virtual() {
            // The clock keeps running through the navigation; the new page's age starts now.
            self.clock.navigated(navigated);
        } else {
            // Loading is real time (what a visitor waits); the waits after it may run ahead.
            self.clock = PageClock::start(
                self.opts.settings.clock,
                &self.page,
                &self.watch,
                ct,
                navigated,
            );
        }
        // The starting state seeds the first page only: a key the site deletes stays deleted.
        if let Some(id) = self.seed_script.take() {
            let _ = self.page.call(
                "Page.removeScriptToEvaluateOnNewDocument",
                json!({ "identifier": id }),
                ct,
            );
        }
        if self.visitor_seen.is_none() {
            self.visitor_seen = Seen::read(&self.page, ct).ok();
        }
        self.page_url = self.current_url().unwrap_or_else(|| url.to_string());
        if self.start_status.is_none() {
            // The start page's answer, before any consent click or later page replaces it.
            self.start_status = self.watch.lock().document.as_ref().map(|d| d.status);
        }
        if let Some(doc) = self.watch.lock().document.clone()
            && doc.status >= 400
        {
            return Err(Fatal::new(
                AbortKind::HttpError,
                format!(
                    "{} answered HTTP {} {}: not the page to audit",
                    doc.url, doc.status, doc.status_text
                ),
            ));
        }
        // A redirect is said, so the detail names the page the step ran on.
        let led = if self.page_url != url && later {
            format!(", which led to {}", self.page_url)
        } else {
            String::new()
        };
        Ok(StepOutcome::Acted(if loaded {
            format!("navigated to {url}{led}")
        } else {
            let pending = self.watch.lock().pending_urls();
            format!(
                "navigated to {url}{led}; the load event did not fire within {:?} (waiting for: {})",
                self.opts.settings.step_timeout,
                if pending.is_empty() {
                    "nothing the network shows"
                } else {
                    &pending
                }
            )
        }))
    }

    /// The main frame's address now.
    pub(super) fn current_url(&self) -> Option<String> {
        let w = self.watch.lock();
        w.main_frame
            .as_ref()
            .and_then(|id| w.frames.get(id))
            .map(|f| f.url.clone())
            .filter(|u| !u.is_empty())
    }

    /// Waits (bounded by `--widget-timeout` of page time) for a catalog vendor to show, and
    /// records what showed as evidence of `step`; also says which gestures came before it.
    fn look_for_widget(&mut self, step: Step) -> (Evidence, Option<String>) {
        let (found, gesture) = actions::wait_for_widget(
            &self.page,
            &self.watch,
            self.catalog,
            (&self.clock, self.opts.settings.widget_timeout),
            call_timeout(self.opts),
            &mut self.gestures,
        );
        self.on_page.merge(found.clone());
        self.evidence(step, found.clone());
        (found, gesture)
    }

    /// `widget`: wait (bounded) until a catalog vendor is detected on the page.
    pub(super) fn widget(&mut self) -> Result<StepOutcome, Fatal> {
        let (found, gesture) = self.look_for_widget(Step::Widget);
        if let Some(reason) = self.fatal_state() {
            return Err(reason);
        }
        // On a journey the question is this page's widget: keys stored on an earlier page are
        // in the jar everywhere.
        let known = if self.opts.journey() {
            &self.on_page
        } else {
            &self.detected
        };
        if found.0.is_empty() && !known.0.is_empty() {
            // Evidenced by keys already stored, though no script or global showed.
            return Ok(StepOutcome::Observed(format!(
                "detected by stored keys: {}",
                self.detected.vendors().collect::<Vec<_>>().join(", ")
            )));
        }
        if known.0.is_empty() {
            let moved = self.gestures.describe();
            return Ok(StepOutcome::Skipped(format!(
                "no chat widget found within {:.1} s of the page's own time{}",
                self.opts.settings.widget_timeout.as_secs_f64(),
                if moved.is_empty() {
                    String::new()
                } else {
                    format!(", {moved}")
                }
            )));
        }
        let after = gesture.map_or_else(String::new, |g| format!(", {g}"));
        Ok(StepOutcome::Observed(format!(
            "detected {}{after}",
            describe(&self.detected)
        )))
    }

    pub(super) fn consent(&mut self) -> Result<StepOutcome, Fatal> {
        let frames: Vec<watch::FrameInfo> = self.watch.lock().frames.values().cloned().collect();
        let (outcome, record) = actions::consent(
            &self.page,
            &frames,
            &self.opts.consent,
            (self.opts.settings.step_timeout, call_timeout(self.opts)),
            &self.clock,
            &mut self.gestures,
        );
        self.consent_record = record;
        // A widget the answer released, at once or on a timer of the site's, is what the
        // answer did: it is waited for here (as long as the widget step waits), so its keys are
        // dated to this step whatever the clock, and the chat step does not wait again.
        let answered = matches!(outcome, StepOutcome::Acted(_) | StepOutcome::Failed(_));
        if !answered || !self.widget_known().0.is_empty() {
            return Ok(outcome);
        }
        // A page that crashed meanwhile ends the scan after this step's snapshot, the answer
        // recorded.
        let (found, _) = self.look_for_widget(Step::Consent);
        if found.0.is_empty() {
            return Ok(outcome);
        }
        let released = format!("; then the answer released {}", describe(&found));
        Ok(match outcome {
            StepOutcome::Acted(d) => StepOutcome::Acted(d + &released),
            StepOutcome::Failed(d) => StepOutcome::Failed(d + &released),
            other => other,
        })
    }

    pub(super) fn chat_open(&mut self) -> Result<StepOutcome, Fatal> {
        let timeouts = (self.opts.settings.step_timeout, call_timeout(self.opts));
        if let Some(sel) = &self.opts.settings.open_click {
            let frames: Vec<watch::FrameInfo> =
                self.watch.lock().frames.values().cloned().collect();
            let clicked =
                crate::consent::click_selector(&self.page, &frames, sel, timeouts.0, timeouts.1);
            return Ok(match clicked {
                Ok(d) => match actions::check_opened_by_click(
                    &self.page,
                    self.catalog,
                    &self.detected,
                    timeouts.1,
                ) {
                    Some(false) => StepOutcome::Failed(format!(
                        "clicked to open the chat: {d}; but the chat did not open"
                    )),
                    Some(true) => {
                        StepOutcome::Acted(format!("opened the chat: {d}; the chat opened"))
                    }
                    None => StepOutcome::Acted(format!("opened the chat: {d}")),
                },
                Err(e) => StepOutcome::Skipped(format!("cannot open the chat: {e}")),
            });
        }
        // A scan without the widget step and without an answer has not looked for the widget
        // yet; the widget step looked, and an answer looked for what it released.
        // On a journey: this page's steps.
        let waited = self.steps.iter().any(|s| {
            s.page == self.page_url
                && (s.step == Step::Widget
                    || (s.step == Step::Consent && s.status != StepStatus::Skipped))
        });
        if self.widget_known().0.is_empty() && !waited {
            self.look_for_widget(Step::ChatOpen);
        }
        if self.widget_known().0.is_empty() {
            return Ok(StepOutcome::Skipped("no chat widget to open".into()));
        }
        Ok(actions::call_vendors(
            &self.page,
            &self.clock,
            self.catalog,
            &self.detected,
            ChatCall::Open,
            "",
            timeouts,
        ))
    }

    /// The vendors known to be there to act on: on a journey those shown on this page, else
    /// every vendor evidenced (a widget known by its keys alone included).
    pub(super) fn widget_known(&self) -> &Evidence {
        if self.opts.journey() {
            &self.on_page
        } else {
            &self.detected
        }
    }

    /// `chat_message`: the visitor sends a first message, through the vendor's own call or by
    /// typing into the chat's message box.
    pub(super) fn chat_message(&mut self) -> Result<StepOutcome, Fatal> {
        let timeouts = (self.opts.settings.step_timeout, call_timeout(self.opts));
        let message = self
            .opts
            .settings
            .message
            .as_deref()
            .unwrap_or(DEFAULT_MESSAGE);
        let has_call = self
            .detected
            .vendors()
            .any(|v| self.catalog.vendor(v).is_some_and(|v| v.message.is_some()));
        let mut why_not = String::new();
        if has_call {
            match actions::call_vendors(
                &self.page,
                &self.clock,
                self.catalog,
                &self.detected,
                ChatCall::Message,
                message,
                timeouts,
            ) {
                StepOutcome::Skipped(why) => why_not = why,
                acted => return Ok(acted),
            }
        }
        let frames: Vec<watch::FrameInfo> = self.watch.lock().frames.values().cloned().collect();
        match actions::type_message(&self.page, &frames, message, timeouts) {
            Ok(d) => Ok(StepOutcome::Acted(d)),
            Err(e) if why_not.is_empty() => {
                Ok(StepOutcome::Skipped(format!("cannot send a message: {e}")))
            }
            Err(e) => Ok(StepOutcome::Skipped(format!("{why_not}; {e}"))),
        }
    }
}

/// Chromium's net error names, in words a user acts on.
fn explain_net_error(err: &str) -> String {
    let hint = match err {
        "net::ERR_NAME_NOT_RESOLVED" => "the host name does not resolve",
        "net::ERR_CONNECTION_REFUSED" => "nothing listens at that address",
        "net::ERR_CONNECTION_TIMED_OUT" | "net::ERR_TIMED_OUT" => "the connection timed out",
        "net::ERR_ADDRESS_UNREACHABLE" | "net::ERR_INTERNET_DISCONNECTED" => {
            "the host is unreachable"
        }
        "net::ERR_TOO_MANY_REDIRECTS" => "the site redirects in a loop",
        e if e.starts_with("net::ERR_CERT") || e.starts_with("net::ERR_SSL") => {
            "the TLS certificate or handshake failed"
        }
        "net::ERR_ABORTED" => "the navigation was aborted",
        "net::ERR_PROXY_CONNECTION_FAILED" | "net::ERR_TUNNEL_CONNECTION_FAILED" => {
            "the proxy refused or dropped the connection"
        }
        "net::ERR_PROXY_AUTH_UNSUPPORTED" | "net::ERR_PROXY_AUTH_REQUESTED" => {
            "the proxy asks for credentials"
        }
        _ => "",
    };
    if hint.is_empty() {
        err.to_string()
    } else {
        format!("{hint} ({err})")
    }
}
