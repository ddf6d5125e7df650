//! What a scan gathered: each step's record, why it stopped, and the raw run before matching.

use super::pages;
use crate::browser::visitor::Seen;
use crate::browser::watch::{BlockedCookie, RequestLog};
use crate::catalog::{Evidence, EvidenceSteps};
use crate::consent::ConsentRecord;
use crate::snapshot::Snapshot;
use crate::vocab::{Step, ThirdPartyCookies, now_rfc3339};
use serde::Serialize;

use super::ScanOptions;

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
    pub(super) fn new(kind: AbortKind, reason: String) -> Fatal {
        Fatal {
            kind,
            reason,
            net_error: None,
        }
    }

    pub(super) fn abort(self, step: Step) -> Abort {
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
        let first = opts.settings.steps.first().copied().unwrap_or(Step::Load);
        ScanRun {
            url: opts.url.clone(),
            final_url: opts.url.clone(),
            http_status: None,
            browser_version,
            third_party_cookies,
            started_at: now_rfc3339(),
            duration_ms: 0,
            steps: opts
                .settings
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
