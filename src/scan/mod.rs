//! The scan: drive one page through its steps, settle after each, and snapshot what was stored.

mod actions;
mod journey;
pub mod pages;
mod revisit;
mod settle;
mod sitemap;
mod withdraw;

use crate::vocab::{Clock, Step, ThirdPartyCookies, now_rfc3339};
pub use actions::{ChatCall, ConsentChoice, ConsentMethod};

use crate::browser::BrowserSession;
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::input::Gestures;
use crate::browser::visitor::{self, Seen, Visitor};
use crate::browser::watch::{self, BlockedCookie, PageWatch, RequestLog};
use crate::catalog::{Catalog, Evidence, EvidenceSteps};
use crate::consent::ConsentRecord;
use crate::snapshot::{self, Snapshot};
use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};
use settle::{Settled, Stillness};
use std::time::{Duration, Instant};

/// How to run one scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub url: String,
    pub consent: ConsentChoice,
    /// `--open-click`: open the chat by clicking this element instead of the vendor's own call.
    pub open_click: Option<String>,
    /// Upper bound for each step's action and settling.
    pub step_timeout: Duration,
    /// How long cookies, storage and network must stay still for a step to count as settled.
    pub quiet: Duration,
    /// How long the widget step waits for a chat widget to appear (page time, see `clock`).
    pub widget_timeout: Duration,
    /// How the page's time runs while the scan waits for a widget or banner that may not come.
    pub clock: Clock,
    /// The steps to run (always in their natural order).
    pub steps: Vec<Step>,
    /// Print one line per finished step to standard error.
    pub progress: bool,
    /// Capture a PNG screenshot of the page after each step's snapshot (off by default: it costs time).
    pub screenshots: bool,
    /// Who the page sees: device, language, time zone, place, headers, starting state.
    pub visitor: Visitor,
    /// The first message the `chat_message` step sends (None: the default text).
    pub message: Option<String>,
    /// `--pages`: at most this many pages of the site, the start page included (links and
    /// sitemap, breadth first); 1 scans the start page alone.
    pub pages: usize,
    /// `--page`: pages of the same site visited right after the start page, on top of `pages`
    /// (paths, resolved against the start page, or addresses).
    pub asked_pages: Vec<String>,
    /// `--withdraw-click`: withdraw consent by clicking this element (then answering the
    /// settings it opens with a refusal) instead of the consent manager's own way back.
    pub withdraw_click: Option<String>,
}

/// The defaults of a scan, shared by every entry point (the CLI's flags, a policy's `[scan]`,
/// the demo, the library's [`ScanOptions::default`]); the `_TEXT` forms are what `--help` shows.
pub mod defaults {
    use std::time::Duration;

    pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);
    pub const STEP_TIMEOUT_TEXT: &str = "10s";
    pub const QUIET: Duration = Duration::from_millis(150);
    pub const QUIET_TEXT: &str = "150ms";
    pub const WIDGET_TIMEOUT: Duration = Duration::from_secs(3);
    pub const WIDGET_TIMEOUT_TEXT: &str = "3s";
    pub const STEPS_TEXT: &str = "load,widget,consent,chat_open";
}

impl Default for ScanOptions {
    /// Every default step, the banner accepted through the embedded consent-manager rules, the
    /// default bounds and visitor; `url` is empty until a target sets it.
    fn default() -> ScanOptions {
        ScanOptions {
            url: String::new(),
            consent: ConsentChoice::from_flags(
                crate::vocab::ConsentAction::Accept,
                None,
                None,
                None,
                crate::catalog::cmp::CmpRules::embedded()
                    .expect("the embedded CMP rules are valid"),
            ),
            open_click: None,
            step_timeout: defaults::STEP_TIMEOUT,
            quiet: defaults::QUIET,
            widget_timeout: defaults::WIDGET_TIMEOUT,
            clock: Clock::default(),
            steps: Step::DEFAULT.to_vec(),
            progress: false,
            screenshots: false,
            visitor: Visitor::default(),
            message: None,
            pages: 1,
            asked_pages: Vec::new(),
            withdraw_click: None,
        }
    }
}

impl ScanOptions {
    /// More than the start page is visited.
    pub fn journey(&self) -> bool {
        self.pages > 1 || !self.asked_pages.is_empty()
    }

    /// Whether the options make one scan: a withdrawal needs a consent given first.
    pub fn check(&self) -> Result<(), InvalidOptions> {
        if self.steps.contains(&Step::Withdraw)
            && (!self.steps.contains(&Step::Consent)
                || self.consent.action != crate::vocab::ConsentAction::Accept)
        {
            return Err(InvalidOptions::WithdrawWithoutConsent);
        }
        if self.pages == 0 {
            return Err(InvalidOptions::NoPages);
        }
        for p in &self.asked_pages {
            pages::check_asked(p).map_err(InvalidOptions::Page)?;
        }
        Ok(())
    }
}

/// Options that make no scan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOptions {
    #[error(
        "the `withdraw` step needs consent given first: add `consent` to the steps and answer with `--consent accept`"
    )]
    WithdrawWithoutConsent,
    #[error("`pages` must be at least 1 (the start page)")]
    NoPages,
    #[error("{0}")]
    Page(String),
}

/// What the `chat_message` step sends unless `--message` says otherwise: staff who read it on
/// a live site know what it is.
pub const DEFAULT_MESSAGE: &str = "Test message from a cookie audit (chatcookie): please ignore.";

/// Where a moment of the journey (`step` on `page`) stands against the visitor's choices: the
/// latest of its own step and every consent, chat or withdrawal step that took effect before it.
/// On one page that is the step itself; on a journey, a key first stored at a later page's load,
/// after consent was given on an earlier page, stands at `consent`.
pub fn phase(steps: &[StepRecord], page: &str, step: Step) -> Step {
    let Some(at) = steps
        .iter()
        .position(|r| r.step == step && (r.page == page || page.is_empty()))
    else {
        return step;
    };
    steps[..at]
        .iter()
        .filter(|r| r.status != StepStatus::Skipped && r.step > Step::Widget)
        .map(|r| r.step)
        .fold(step, Step::max)
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// The action happened and the page settled.
    Done,
    /// The action happened, but the page was still changing when the step timeout ran out.
    TimedOut,
    /// The step could not happen; `reason` says why.
    Skipped,
    /// The action was carried out but did not take, or took the wrong way (a consent manager
    /// that recorded another answer than the one asked); snapshotted.
    Failed,
}

/// What happened at one step.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StepRecord {
    pub step: Step,
    /// The page it ran on (its `pages.visited` address; the start page for `revisit` and
    /// `withdraw`).
    #[serde(default)]
    pub page: String,
    pub status: StepStatus,
    /// What was done (or why nothing was).
    pub detail: String,
    pub duration_ms: u64,
    /// Milliseconds from the action until the page settled (or the bound).
    pub settle_ms: u64,
    /// Cookies the browser refused during this step.
    pub blocked_cookies: Vec<BlockedCookie>,
    /// JavaScript dialogs the page opened (dismissed automatically).
    pub dialogs: Vec<String>,
    /// The consent step's automatic or by-text answer: which CMP, rule and element, what was tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentRecord>,
    /// At the return visit (`revisit`): the banner that showed again, by its consent manager's
    /// name or "seen by its words" (the choice was not kept); absent when none did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_again: Option<String>,
    /// The screenshot's file name when written to an output directory, else null.
    pub screenshot: Option<String>,
    /// Why the screenshot asked for could not be taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screenshot_error: Option<String>,
    /// The screenshot after the step's snapshot, PNG (reports embed or write it; never in JSON).
    #[serde(skip)]
    pub screenshot_png: Option<Vec<u8>>,
}

/// Why a scan stopped before its end.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Abort {
    pub step: Step,
    /// What stopped it, for callers that branch on it (absent in reports from before it was
    /// recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AbortKind>,
    /// The browser's network error when the site could not be reached (`net::ERR_NAME_NOT_RESOLVED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_error: Option<String>,
    /// What stopped it, in words.
    pub reason: String,
}

/// What stopped a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AbortKind {
    /// No browser to scan with: it could not be started or reached, or the scan could not begin.
    NotStarted,
    /// The browser, or the connection to it, went away during the scan.
    BrowserGone,
    /// The page's renderer process crashed.
    PageCrashed,
    /// The site could not be reached (a network error, or the navigation itself failed).
    Unreachable,
    /// The site answered with an HTTP error status: not the page to audit.
    HttpError,
}

/// What ends a step and the scan with it.
#[derive(Debug, Clone)]
pub struct Fatal {
    pub kind: AbortKind,
    pub reason: String,
    pub net_error: Option<String>,
}

impl Fatal {
    fn new(kind: AbortKind, reason: String) -> Fatal {
        Fatal {
            kind,
            reason,
            net_error: None,
        }
    }

    fn abort(self, step: Step) -> Abort {
        Abort {
            step,
            kind: Some(self.kind),
            net_error: self.net_error,
            reason: self.reason,
        }
    }
}

/// The raw outcome of a scan: steps and snapshots, before matching.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ScanRun {
    pub url: String,
    pub final_url: String,
    pub http_status: Option<i64>,
    pub browser_version: String,
    pub third_party_cookies: Option<ThirdPartyCookies>,
    pub started_at: String,
    pub duration_ms: u64,
    pub steps: Vec<StepRecord>,
    pub snapshots: Vec<Snapshot>,
    /// Vendors detected on the page, with how (globals and scripts).
    pub detected: Evidence,
    /// The step at which each reason of `detected` (and of every distinctive key) first showed.
    #[serde(default)]
    pub detected_at: EvidenceSteps,
    /// What the page saw of its visitor, read back from it after the load.
    pub visitor_seen: Option<Seen>,
    /// Set when the scan could not complete; what was gathered until then is still here.
    pub aborted: Option<Abort>,
    /// Every request the page made, with the step during which it started.
    pub requests: RequestLog,
    /// The pages visited, in order, and those left out.
    #[serde(default)]
    pub pages: pages::Journey,
}

impl ScanRun {
    /// A scan that could not start or was lost with its browser: nothing gathered, every step
    /// asked for recorded as not run, and `reason` as the abort.
    pub fn failed(
        opts: &ScanOptions,
        browser_version: String,
        third_party_cookies: Option<ThirdPartyCookies>,
        reason: String,
    ) -> ScanRun {
        let first = opts.steps.first().copied().unwrap_or(Step::Load);
        ScanRun {
            url: opts.url.clone(),
            final_url: opts.url.clone(),
            http_status: None,
            browser_version,
            third_party_cookies,
            started_at: now_rfc3339(),
            duration_ms: 0,
            steps: opts
                .steps
                .iter()
                .map(|&step| StepRecord {
                    step,
                    page: opts.url.clone(),
                    status: StepStatus::Skipped,
                    detail: format!("not run: {reason}"),
                    duration_ms: 0,
                    settle_ms: 0,
                    blocked_cookies: Vec::new(),
                    dialogs: Vec::new(),
                    consent: None,
                    banner_again: None,
                    screenshot: None,
                    screenshot_error: None,
                    screenshot_png: None,
                })
                .collect(),
            snapshots: Vec::new(),
            detected: Evidence::default(),
            detected_at: EvidenceSteps::default(),
            visitor_seen: None,
            aborted: Some(Fatal::new(AbortKind::NotStarted, reason).abort(first)),
            requests: RequestLog::default(),
            pages: pages::Journey::default(),
        }
    }
}

/// The per-call deadline for CDP calls that read or act: a hung renderer must not stall a step.
fn call_timeout(opts: &ScanOptions) -> Duration {
    opts.step_timeout.min(Duration::from_secs(5))
}

/// Runs the scan in a new tab of `session`.
pub fn run(
    session: &BrowserSession,
    catalog: &Catalog,
    opts: &ScanOptions,
) -> anyhow::Result<ScanRun> {
    let started = Instant::now();
    let started_at = now_rfc3339();
    if opts.steps.contains(&Step::Consent) {
        // The search by sight's vocabulary compiles while the page loads.
        opts.consent.words.prepare();
    }
    let ct = call_timeout(opts);
    let page = session
        .new_page(ct)
        .context("cannot open a page in the browser")?;
    let run = run_on_page(session, catalog, opts, &page, started, started_at);
    // A browser that outlives this scan (connected, or shared by several scans) keeps running:
    // close what we opened in it, whatever happened.
    if session.connected || session.shared {
        session.close_page(&page);
    }
    run
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
    let d = &opts.visitor.device;
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
    calls.extend(opts.visitor.calls(&session.version));
    if seed {
        for (method, params) in opts.visitor.browser_calls(page.context_id.as_deref()) {
            page.cdp
                .call_raw(None, &method, params, ct)
                .with_context(|| format!("cannot prepare the visitor ({method})"))?;
        }
    }
    let seed = if seed {
        opts.visitor.seed_script()
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
                    self.opts.step_timeout
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
                || self.opts.steps.contains(&Step::Revisit)
                || self.opts.steps.contains(&Step::Withdraw)
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

    /// `load`: navigate to `url` and wait for the load event; a failed navigation ends the scan
    /// (on the start page; a later page of a journey is left out instead, by the caller). A page
    /// after the first is reached as a visitor following a link: with the last page as referrer.
    fn load(&mut self, url: &str) -> Result<StepOutcome, Fatal> {
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
            let d = &self.opts.visitor.device;
            self.gestures = Gestures::new(d.touch, d.width, d.height);
        }
        let reply = self
            .page
            .call("Page.navigate", params, self.opts.step_timeout)
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
        let deadline = Instant::now() + self.opts.step_timeout;
        let loaded = crate::browser::poll_until(deadline, || {
            self.watch.lock().load_fired || self.watch.lock().crashed
        });
        let ct = call_timeout(self.opts);
        if later && self.clock.is_virtual() {
            // The clock keeps running through the navigation; the new page's age starts now.
            self.clock.navigated(navigated);
        } else {
            // Loading is real time (what a visitor waits); the waits after it may run ahead.
            self.clock = PageClock::start(self.opts.clock, &self.page, ct, navigated);
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
                self.opts.step_timeout,
                if pending.is_empty() {
                    "nothing the network shows"
                } else {
                    &pending
                }
            )
        }))
    }

    /// The main frame's address now.
    fn current_url(&self) -> Option<String> {
        let w = self.watch.lock();
        w.main_frame
            .as_ref()
            .and_then(|id| w.frames.get(id))
            .map(|f| f.url.clone())
            .filter(|u| !u.is_empty())
    }

    /// `widget`: wait (bounded) until a catalog vendor is detected on the page.
    fn widget(&mut self) -> Result<StepOutcome, Fatal> {
        let (found, gesture) = actions::wait_for_widget(
            &self.page,
            &self.watch,
            self.catalog,
            (&self.clock, self.opts.widget_timeout),
            call_timeout(self.opts),
            &mut self.gestures,
        );
        self.on_page.merge(found.clone());
        self.evidence(Step::Widget, found.clone());
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
                self.opts.widget_timeout.as_secs_f64(),
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

    fn consent(&mut self) -> Result<StepOutcome, Fatal> {
        let frames: Vec<watch::FrameInfo> = self.watch.lock().frames.values().cloned().collect();
        let (outcome, record) = actions::consent(
            &self.page,
            &frames,
            &self.opts.consent,
            (self.opts.step_timeout, call_timeout(self.opts)),
            &self.clock,
            &mut self.gestures,
        );
        self.consent_record = record;
        Ok(outcome)
    }

    fn chat_open(&mut self) -> Result<StepOutcome, Fatal> {
        let timeouts = (self.opts.step_timeout, call_timeout(self.opts));
        if let Some(sel) = &self.opts.open_click {
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
        // A widget the site loads only after consent shows up now; if the widget step already
        // waited and nothing was answered since, waiting again would only cost time.
        // On a journey: this page's widget step and answer.
        let here = |s: &&StepRecord| s.page == self.page_url;
        let waited = self
            .steps
            .iter()
            .filter(here)
            .any(|s| s.step == Step::Widget);
        let answered = self
            .steps
            .iter()
            .filter(here)
            .any(|s| s.step == Step::Consent && s.status != StepStatus::Skipped);
        if self.widget_known().0.is_empty() && (!waited || answered) {
            let (found, _) = actions::wait_for_widget(
                &self.page,
                &self.watch,
                self.catalog,
                (&self.clock, self.opts.widget_timeout),
                call_timeout(self.opts),
                &mut self.gestures,
            );
            self.on_page.merge(found.clone());
            self.evidence(Step::ChatOpen, found);
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
    fn widget_known(&self) -> &Evidence {
        if self.opts.journey() {
            &self.on_page
        } else {
            &self.detected
        }
    }

    /// `chat_message`: the visitor sends a first message, through the vendor's own call or by
    /// typing into the chat's message box.
    fn chat_message(&mut self) -> Result<StepOutcome, Fatal> {
        let timeouts = (self.opts.step_timeout, call_timeout(self.opts));
        let message = self.opts.message.as_deref().unwrap_or(DEFAULT_MESSAGE);
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
