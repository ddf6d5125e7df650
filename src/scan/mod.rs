//! The scan: drive one page through its steps, settle after each, and snapshot what was stored.

mod actions;
mod answer;
mod journey;
pub mod pages;
mod record;
mod revisit;
mod settings;
mod settle;
mod sitemap;
mod steps;
mod withdraw;

use crate::vocab::{Step, now_rfc3339};
pub use actions::ChatCall;
pub use answer::{ConflictingAnswers, ConsentChoice, ConsentKeys, ConsentMethod, ConsentSettings};
pub use record::{Abort, AbortKind, Fatal, ScanRun, StepRecord, StepStatus, phase};
pub use settings::{
    DEFAULT_MESSAGE, InvalidOptions, OptionsError, ScanOptions, Settings, defaults,
};

use crate::browser::BrowserSession;
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::input::Gestures;
use crate::browser::visitor::{self, Seen};
use crate::browser::watch::{self, PageWatch};
use crate::catalog::{Catalog, Evidence, EvidenceSteps};
use crate::consent::ConsentRecord;
use crate::error::{Error, ErrorKind};
use crate::snapshot::{self, Snapshot};
use anyhow::Context;
use serde_json::{Value, json};
use settle::{Settled, Stillness};
use std::time::{Duration, Instant};

/// The per-call deadline for CDP calls that read or act: a hung renderer must not stall a step.
fn call_timeout(opts: &ScanOptions) -> Duration {
    opts.settings.step_timeout.min(Duration::from_secs(5))
}

/// Runs the scan in a new tab of `session`. What the site does wrong is recorded in the run (an
/// aborted step); an error is the browser failing to give the scan a tab to work in.
pub fn run(
    session: &BrowserSession,
    catalog: &Catalog,
    opts: &ScanOptions,
) -> crate::error::Result<ScanRun> {
    let started = Instant::now();
    let started_at = now_rfc3339();
    if opts.settings.steps.contains(&Step::Consent) {
        // The search by sight's vocabulary compiles while the page loads.
        opts.consent.words.prepare();
    }
    let ct = call_timeout(opts);
    let page = session
        .new_page(ct)
        .context("cannot open a page in the browser")
        .map_err(Error::browser)?;
    let run = run_on_page(session, catalog, opts, &page, started, started_at);
    // A browser that outlives this scan (connected, or shared by several scans) keeps running:
    // close what we opened in it, whatever happened.
    if session.connected || session.shared {
        session.close_page(&page);
    }
    run.map_err(|e| Error::at_edge(ErrorKind::Browser, e))
}

fn run_on_page(
    session: &BrowserSession,
    catalog: &Catalog,
    opts: &ScanOptions,
    page: &Page,
    started: Instant,
    started_at: String,
) -> anyhow::Result<ScanRun> {
    let (watch, seed_script) = prepare_tab(session, opts, page, true)?;
    let d = &opts.settings.visitor.device;
    let mut scan = Scan {
        session,
        page: page.clone(),
        watch,
        catalog,
        opts,
        detected: Evidence::default(),
        detected_at: EvidenceSteps::default(),
        on_page: Evidence::default(),
        stillness: Stillness::new(),
        steps: Vec::new(),
        snapshots: Vec::new(),
        aborted: None,
        consent_record: None,
        banner_again: None,
        loaded_at: None,
        gestures: Gestures::new(d.touch, d.width, d.height),
        seed_script,
        visitor_seen: None,
        storage_keys: snapshot::StorageKeys::default(),
        clock: PageClock::real(),
        page_url: opts.url.clone(),
        journey: pages::Journey::default(),
        start_status: None,
    };
    scan.journey();
    // A journey's address is its start page's; one page's, where the page ended up (a consent
    // click may navigate).
    let (final_url, http_status) = match scan.journey.visited.first() {
        Some(start) if opts.journey() => (start.url.clone(), scan.start_status),
        _ => {
            let w = scan.watch.lock();
            let url = w
                .main_frame
                .as_ref()
                .and_then(|id| w.frames.get(id))
                .map(|f| f.url.clone())
                .unwrap_or_else(|| opts.url.clone());
            (url, w.document.as_ref().map(|d| d.status))
        }
    };
    let requests = std::mem::take(&mut scan.watch.lock().requests);
    // A tab opened for the return visit is the one to close now.
    if scan.page.target_id != page.target_id && (session.connected || session.shared) {
        session.close_tab(&scan.page);
    }
    let run = ScanRun {
        url: opts.url.clone(),
        final_url,
        http_status,
        browser_version: session.version.clone(),
        third_party_cookies: session.third_party_cookies,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        steps: scan.steps,
        snapshots: scan.snapshots,
        detected: scan.detected,
        detected_at: scan.detected_at,
        visitor_seen: scan.visitor_seen,
        aborted: scan.aborted,
        requests,
        pages: scan.journey,
    };
    Ok(run)
}

/// Sets a tab up for the scan: events on, the refused-cookie hook, the visitor (and, with
/// `seed`, its starting state), and its workers held until watched. Returns the tab's watch and
/// the seeding script's id (removed once the first page has loaded).
fn prepare_tab(
    session: &BrowserSession,
    opts: &ScanOptions,
    page: &Page,
    seed: bool,
) -> anyhow::Result<(PageWatch, Option<String>)> {
    let ct = call_timeout(opts);
    let watch = PageWatch::attach(page, ct);
    // Events on, then the refused-cookie hook: sent together, answered in order.
    let domains = ["Page", "Network", "DOMStorage", "Inspector", "Runtime"];
    let mut calls: Vec<(String, Value)> = domains
        .iter()
        .map(|d| (format!("{d}.enable"), json!({})))
        .collect();
    calls.push((
        "Runtime.addBinding".into(),
        json!({ "name": watch::REFUSED_BINDING }),
    ));
    calls.push((
        "Page.addScriptToEvaluateOnNewDocument".into(),
        json!({ "source": watch::COOKIE_HOOK }),
    ));
    // The visitor: not automated, its device, language, place, headers and starting jar.
    calls.push((
        "Page.addScriptToEvaluateOnNewDocument".into(),
        json!({ "source": visitor::NOT_AUTOMATED }),
    ));
    calls.extend(opts.settings.visitor.calls(&session.version));
    if seed {
        for (method, params) in opts
            .settings
            .visitor
            .browser_calls(page.context_id.as_deref())
        {
            page.cdp
                .call_raw(None, &method, params, ct)
                .with_context(|| format!("cannot prepare the visitor ({method})"))?;
        }
    }
    let seed = if seed {
        opts.settings.visitor.seed_script()
    } else {
        None
    };
    if let Some(seed) = &seed {
        calls.push((
            "Page.addScriptToEvaluateOnNewDocument".into(),
            json!({ "source": seed }),
        ));
    }
    // Last: the page's workers and (on a farm's browser) cross-origin frames are held until
    // their sessions are set up like the page's.
    let (method, params) = watch::auto_attach();
    calls.push((method.into(), params));
    let replies = page.cdp.call_all(
        Some(&page.session_id),
        calls.iter().map(|(m, p)| (m.as_str(), p.clone())).collect(),
        ct,
    );
    let mut seed_script = None;
    for ((method, _), reply) in calls.iter().zip(replies) {
        let reply = reply.with_context(|| format!("cannot prepare the page ({method})"))?;
        if seed.is_some() && method == "Page.addScriptToEvaluateOnNewDocument" {
            seed_script = reply
                .get("identifier")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    Ok((watch, seed_script))
}

/// The scan in progress.
struct Scan<'a> {
    session: &'a BrowserSession,
    page: Page,
    watch: PageWatch,
    catalog: &'a Catalog,
    opts: &'a ScanOptions,
    detected: Evidence,
    /// When each reason of `detected` first showed.
    detected_at: EvidenceSteps,
    stillness: Stillness,
    /// When the load step's navigation was answered (the page's age counts from here).
    loaded_at: Option<Instant>,
    steps: Vec<StepRecord>,
    snapshots: Vec<Snapshot>,
    aborted: Option<Abort>,
    /// The consent step's record, until the step is recorded.
    consent_record: Option<ConsentRecord>,
    /// The banner the return visit saw, until the step is recorded.
    banner_again: Option<String>,
    /// The visitor's gestures made so far on this page.
    gestures: Gestures,
    /// The storage-state seeding script, removed once the first page has loaded.
    seed_script: Option<String>,
    visitor_seen: Option<Seen>,
    /// The page's clock, started once it has loaded (real time until then).
    clock: PageClock,
    /// Each frame's storage partition, asked once (see `snapshot::read_storage`).
    storage_keys: snapshot::StorageKeys,
    /// What showed of the vendors on the current page itself (scripts and globals, not keys).
    on_page: Evidence,
    /// The journey's page the scan is on (its address after redirects).
    page_url: String,
    /// The pages visited and left out.
    journey: pages::Journey,
    /// The start page's HTTP status.
    start_status: Option<i64>,
}

impl Scan<'_> {
    fn run_step(&mut self, step: Step) {
        if let Some((outcome, t0)) = self.act(step) {
            self.conclude(step, outcome, t0);
        }
    }

    /// Carries out `step`'s action: what it came to, and when it began. A page or browser
    /// already lost records the step as not run (and ends the scan): `None`.
    fn act(&mut self, step: Step) -> Option<(Result<StepOutcome, Fatal>, Instant)> {
        let t0 = Instant::now();
        // Requests from here on started during this step (until the next one begins).
        self.watch.lock().step = step;
        if let Some(fatal) = self.fatal_state() {
            let detail = format!("not run: {}", fatal.reason);
            self.aborted = Some(fatal.abort(step));
            self.record(step, StepStatus::Skipped, detail, t0, 0);
            return None;
        }
        let outcome = match step {
            Step::Load => self.load(&self.opts.url.clone()),
            Step::Widget => self.widget(),
            Step::Consent => self.consent(),
            Step::ChatOpen => self.chat_open(),
            Step::ChatMessage => self.chat_message(),
            Step::Revisit => self.revisit(),
            Step::Withdraw => self.withdraw(),
        };
        Some((outcome, t0))
    }

    /// Records what a step's action came to: settles and snapshots unless it was skipped; a
    /// fatal outcome ends the scan (what the browser still holds is snapshotted).
    fn conclude(&mut self, step: Step, outcome: Result<StepOutcome, Fatal>, t0: Instant) {
        match outcome {
            Err(fatal) => {
                let detail = fatal.reason.clone();
                self.aborted = Some(fatal.abort(step));
                self.record(step, StepStatus::Skipped, detail, t0, 0);
                // Whatever the browser still holds is evidence too.
                self.snapshot(step);
            }
            Ok(StepOutcome::Skipped(reason)) => {
                self.record(step, StepStatus::Skipped, reason, t0, 0);
            }
            // An action may set off changes: stillness counts from it. An observation does not.
            Ok(StepOutcome::Acted(detail)) => self.settle_and_snapshot(step, detail, t0, Some(t0)),
            Ok(StepOutcome::Observed(detail)) => self.settle_and_snapshot(step, detail, t0, None),
            // What the attempt changed is evidence of this step, not of the next one.
            Ok(StepOutcome::Failed(detail)) => {
                self.settle_and_snapshot(step, detail, t0, Some(t0));
                if let Some(rec) = self.steps.last_mut()
                    && rec.status == StepStatus::Done
                {
                    rec.status = StepStatus::Failed;
                }
            }
            Ok(StepOutcome::Unanswered(detail)) => {
                self.settle_and_snapshot(step, detail, t0, None);
                if let Some(rec) = self.steps.last_mut() {
                    rec.status = StepStatus::Skipped;
                }
            }
        }
    }

    /// Waits for the page to settle, records the step, and snapshots it.
    fn settle_and_snapshot(
        &mut self,
        step: Step,
        detail: String,
        t0: Instant,
        acted_at: Option<Instant>,
    ) {
        let t_act = Instant::now();
        let settled =
            self.stillness
                .settle(&self.page, &self.watch, self.opts, acted_at, &self.clock);
        let settle_ms = t_act.elapsed().as_millis() as u64;
        let (status, detail) = match settled {
            Settled::Quiet => (StepStatus::Done, detail),
            Settled::Timeout(why) => (
                StepStatus::TimedOut,
                format!(
                    "{detail}; still changing after the {:?} step timeout ({why}): snapshot taken anyway",
                    self.opts.settings.step_timeout
                ),
            ),
        };
        self.record(step, status, detail, t0, settle_ms);
        self.snapshot(step);
        if let Some(fatal) = self.fatal_state() {
            self.aborted = Some(fatal.abort(step));
        }
    }

    fn record(
        &mut self,
        step: Step,
        status: StepStatus,
        detail: String,
        t0: Instant,
        settle_ms: u64,
    ) {
        let (blocked_cookies, dialogs) = {
            let mut w = self.watch.lock();
            let mut b = std::mem::take(&mut w.blocked);
            b.sort();
            b.dedup();
            (b, std::mem::take(&mut w.dialogs))
        };
        self.steps.push(StepRecord {
            step,
            page: self.page_url.clone(),
            status,
            detail,
            duration_ms: t0.elapsed().as_millis() as u64,
            settle_ms,
            blocked_cookies,
            dialogs,
            consent: if matches!(step, Step::Consent | Step::Withdraw) {
                self.consent_record.take()
            } else {
                None
            },
            banner_again: if step == Step::Revisit {
                self.banner_again.take()
            } else {
                None
            },
            screenshot: None,
            screenshot_error: None,
            screenshot_png: None,
        });
    }

    /// Takes in what evidenced vendors at `step`: the vendors detected, and when each reason
    /// first showed (a platform a vendor built on it is evidenced for is that vendor's).
    fn evidence(&mut self, step: Step, found: Evidence) {
        self.detected_at.record(&found, step);
        self.detected.merge(found);
        self.catalog.settle(&mut self.detected);
    }

    /// A state in which no further step can work: the page crashed or the browser is gone.
    fn fatal_state(&self) -> Option<Fatal> {
        if let Some(why) = self.page.cdp.close_reason() {
            return Some(Fatal::new(
                AbortKind::BrowserGone,
                format!("the browser went away ({why})"),
            ));
        }
        if self.watch.lock().crashed {
            return Some(Fatal::new(
                AbortKind::PageCrashed,
                "the page crashed (renderer process gone)".into(),
            ));
        }
        None
    }

    fn snapshot(&mut self, step: Step) {
        let ct = call_timeout(self.opts);
        let mut errors = Vec::new();
        let (frames, main_frame, page_url) = {
            let w = self.watch.lock();
            let frames: Vec<_> = w.frames.values().cloned().collect();
            let url = w
                .main_frame
                .as_ref()
                .and_then(|id| w.frames.get(id))
                .map(|f| f.url.clone())
                .unwrap_or_default();
            (frames, w.main_frame.clone(), url)
        };
        // Cookies, storage and the vendors' globals and scripts are read at once (a page that
        // does not answer costs one wait, not three). A lost browser is noticed by
        // `fatal_state`; here it only leaves the snapshot empty.
        let (cookies, read, shown) = if self.page.cdp.is_closed() {
            (
                Ok(Vec::new()),
                snapshot::StorageRead {
                    records: Vec::new(),
                    errors: Vec::new(),
                    partitions: Vec::new(),
                },
                Evidence::default(),
            )
        } else {
            let (page, watch, catalog) = (&self.page, &self.watch, self.catalog);
            let keys = &mut self.storage_keys;
            std::thread::scope(|s| {
                let look = s.spawn(|| actions::look_for_vendors(page, watch, catalog, ct));
                let cookies =
                    s.spawn(|| snapshot::read_cookies(page, ct).map_err(|e| e.to_string()));
                let read = snapshot::read_storage(page, &frames, main_frame.as_deref(), keys, ct);
                (
                    cookies
                        .join()
                        .unwrap_or_else(|_| Err("the cookie read panicked".into())),
                    read,
                    look.join().unwrap_or_default(),
                )
            })
        };
        let snapshot::StorageRead {
            records: storage,
            errors: mut storage_errors,
            partitions,
        } = read;
        let cookies = cookies.unwrap_or_else(|e| {
            errors.push(format!("cookies: {e}"));
            Vec::new()
        });
        errors.append(&mut storage_errors);
        self.on_page.merge(shown.clone());
        // Distinctive keys evidence their vendor for the steps that follow (the widget wait, the
        // open call), and so do the vendors' globals and scripts: a widget a consent answer
        // released is seen at the step that released it.
        let names = cookies
            .iter()
            .map(|c| c.name.as_str())
            .chain(storage.iter().map(|s| s.name.as_str()));
        let mut found = self.catalog.evidence_from_names(names);
        found.merge(shown);
        self.evidence(step, found);
        self.snapshots.push(Snapshot {
            step,
            page: self.page_url.clone(),
            taken_at: time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9,
            page_url,
            cookies,
            storage,
            frames,
            errors,
            // Only another page or tab can lose sight of a partition; one page's snapshots say
            // nothing more than before.
            partitions: if self.opts.journey()
                || self.opts.settings.steps.contains(&Step::Revisit)
                || self.opts.settings.steps.contains(&Step::Withdraw)
            {
                partitions
            } else {
                Vec::new()
            },
        });
        if self.opts.screenshots {
            self.screenshot(step);
        }
    }

    /// Captures the page as PNG into the step's record; a failure is recorded, never fatal.
    fn screenshot(&mut self, step: Step) {
        let Some(record) = self.steps.iter_mut().rev().find(|r| r.step == step) else {
            return;
        };
        if self
            .aborted
            .as_ref()
            .is_some_and(|a| a.kind == Some(AbortKind::BrowserGone))
        {
            record.screenshot_error = Some("the browser went away".into());
            return;
        }
        let shot = self
            .page
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png" }),
                call_timeout(self.opts),
            )
            .map_err(|e| e.to_string())
            .and_then(|reply| {
                let data = reply
                    .get("data")
                    .and_then(|d| d.as_str())
                    .ok_or("no image data in the reply")?;
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data)
                    .map_err(|e| format!("the image is not base64: {e}"))
            });
        match shot {
            Ok(png) => record.screenshot_png = Some(png),
            Err(e) => record.screenshot_error = Some(format!("no screenshot: {e}")),
        }
    }
}

/// What a step's action came to.
pub enum StepOutcome {
    /// Something was done; settle (counting from the action), then snapshot.
    Acted(String),
    /// Nothing was done but something was seen; settle, then snapshot.
    Observed(String),
    /// Nothing could be done; no snapshot.
    Skipped(String),
    /// Something was done but did not take; settle, snapshot, and report the step as failed.
    Failed(String),
    /// Nothing was answered, but the page was watched meanwhile: snapshot, report as skipped.
    Unanswered(String),
}

fn describe(ev: &Evidence) -> String {
    ev.0.iter()
        .map(|(v, reasons)| {
            format!(
                "{v} ({})",
                reasons.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
