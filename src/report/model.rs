//! The report model: the serialized shape of one scan's report (provenance, settings, consent, keys, findings) and what reading it asks.

use crate::observation::{Attempt, Change, Observation, VendorSeen, same_page};
use crate::scan::{Abort, StepRecord};
use crate::vocab::{Clock, ConsentAction, Step, ThirdPartyCookies};
use serde::{Deserialize, Serialize};

/// Version of the JSON report's shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a report came from: enough to reproduce the scan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provenance {
    pub tool: String,
    pub tool_version: String,
    pub catalog_version: String,
    /// The third-party cookie database the catalog embeds (the Open Cookie Database): its
    /// version (commit and date) and licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_database: Option<crate::catalog::DatabaseRef>,
    pub browser_version: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub url: String,
    pub final_url: String,
    pub http_status: Option<i64>,
    /// `allow` or `block`; absent when scanning in a connected browser with its own policy.
    pub third_party_cookies: Option<ThirdPartyCookies>,
    pub options: ScanSettings,
    /// How the cookie banner was answered: the action and method asked, and what the consent step did.
    pub consent: ConsentSummary,
    /// The policy file the findings were judged against, if any.
    pub policy: Option<String>,
    /// What fails the run (`--fail-on`), and the baseline that forgives known findings.
    pub fail_on: Option<String>,
    pub baseline: Option<String>,
    /// Who the page was shown: the visitor asked for, and what the page saw, read back from it.
    pub visitor: VisitorSummary,
    /// Documented keys of the vendors found that only a step this scan did not run writes
    /// (e.g. `chat_message`), as `vendor key (step)`: why they cannot be in this report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreached: Vec<String>,
    /// In a many-site run, why the first attempt was lost (its browser died) when this
    /// report is from the one retry in a relaunched browser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retried_after: Option<String>,
}

/// The visitor of a scan: asked for, and seen by the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorSummary {
    pub asked: crate::browser::visitor::Visitor,
    /// Read back from the page after the load; absent when the page could not be asked.
    pub seen: Option<crate::browser::visitor::Seen>,
}

/// The scan options, as recorded in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanSettings {
    pub consent: ConsentSetting,
    pub open_click: Option<String>,
    pub step_timeout_ms: u64,
    pub quiet_ms: u64,
    pub widget_timeout_ms: u64,
    /// How the page's time ran while the scan waited (`--clock`); reports of older versions,
    /// which lack it, ran on real time.
    #[serde(default = "real_clock")]
    pub clock: Clock,
    pub show_values: bool,
    /// The steps asked for (`--steps`).
    pub steps: Vec<Step>,
    /// Whether a screenshot was taken after each step (`--screenshots`).
    pub screenshots: bool,
    /// The message the `chat_message` step sent, when that step ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// At most this many pages (`--pages`; 1 in reports of older versions).
    #[serde(default = "one_page")]
    pub pages: usize,
    /// The pages asked for by name (`--page`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page: Vec<String>,
    /// `--withdraw-click`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdraw_click: Option<String>,
}

fn one_page() -> usize {
    1
}

fn real_clock() -> Clock {
    Clock::Real
}

/// The consent choice as recorded: `action`, `method` (auto, click, js or text) and the method's
/// argument under its own key (`click`, `js`, `text`, or `cmp_rules`: the rules' version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSetting {
    pub action: ConsentAction,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmp_rules: Option<String>,
    /// The banner words' version (automatic answers: banners no rule knows are read by them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_words: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub js: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The consent step in brief: what was asked, how, and which consent manager (CMP) answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsentSummary {
    pub action: ConsentAction,
    /// `auto` (CMP rules), `click` (a selector), `js` (a script) or `text` (a button's text).
    pub method: String,
    /// CMP ids detected on the page (automatic consent only).
    pub cmp_detected: Vec<String>,
    /// The CMP whose rule answered the banner.
    pub cmp_used: Option<String>,
    /// The element clicked (or script evaluated), and where.
    pub element: Option<String>,
    /// What the page did after the answer.
    pub outcome: Option<String>,
    /// True when the answer took (banner closed or page navigated); false when nothing was answered.
    pub done: bool,
    /// `no-banner`, `unanswered` or `answered` (absent in reports of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<crate::consent::ConsentResult>,
    /// How the banner was answered: `rule`, `heuristic` (by sight and words), `selector`,
    /// `script` or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<crate::consent::AnswerMethod>,
    /// The banner seen by sight, and how sure the scan is that it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Whether the banner offers a way to refuse, where its controls were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<crate::consent::Refusal>,
}

/// Everything one scan found: the model every renderer draws from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub provenance: Provenance,
    pub steps: Vec<StepRecord>,
    pub vendors: Vec<VendorSeen>,
    pub observations: Vec<Observation>,
    /// Cookies the browser refused to store: attempted, not set.
    pub attempts: Vec<Attempt>,
    /// Parts of snapshots that could not be read, as `step: what`.
    pub snapshot_errors: Vec<String>,
    pub aborted: Option<Abort>,
    /// Judgements over the observations (filled by `findings::evaluate`).
    pub findings: Vec<crate::findings::Finding>,
    /// Every request the page made (up to `network.cap`), with its step, party and vendor.
    #[serde(default)]
    pub requests: Vec<crate::network::Request>,
    /// How many requests there were, how many are not listed, and every host contacted.
    #[serde(default)]
    pub network: crate::network::Network,
    /// The pages visited, in order, and the links and pages left out, with why.
    #[serde(default)]
    pub pages: crate::scan::pages::Journey,
}

impl ScanReport {
    /// More than one page was visited.
    pub fn is_journey(&self) -> bool {
        self.pages.visited.len() > 1
    }

    /// The keys first seen at step record `s` (on its page).
    pub fn first_seen_at<'a>(&'a self, s: &'a StepRecord) -> impl Iterator<Item = &'a Observation> {
        self.observations
            .iter()
            .filter(move |o| o.first_step == s.step && same_page(&o.first_page, &s.page))
    }

    /// The keys that changed at step record `s` (on its page), with the change.
    pub fn changes_at<'a>(
        &'a self,
        s: &'a StepRecord,
    ) -> impl Iterator<Item = (&'a Observation, &'a Change)> {
        self.observations.iter().flat_map(move |o| {
            o.changes
                .iter()
                .filter(move |c| c.step == s.step && same_page(&c.page, &s.page))
                .map(move |c| (o, c))
        })
    }

    /// The hosts first contacted at step record `s` (on its page), for reading.
    pub fn first_contacted_at(&self, s: &StepRecord) -> Vec<String> {
        self.network.first_contacted_at(s.step, &s.page)
    }

    /// The facts the findings judge.
    pub fn facts(&self) -> crate::findings::Facts<'_> {
        crate::findings::Facts {
            final_url: &self.provenance.final_url,
            consent: self.provenance.options.consent.action,
            steps: &self.steps,
            observations: &self.observations,
            attempts: &self.attempts,
            vendors: &self.vendors,
            network: &self.network,
        }
    }
}
