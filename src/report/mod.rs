//! The report model of a scan, and one renderer per output format.

mod csv;
mod declaration;
mod declaration_html;
mod declaration_md;
pub mod escape;
mod har;
mod html;
mod index;
mod json;
mod jsonl;
mod junit;
mod markdown;
mod sarif;
pub mod summary;
mod table;

use crate::vocab::{Clock, ConsentAction, Step, ThirdPartyCookies, human_lifetime};
pub use index::{render_index, site_report_name};
pub use json::{parse as parse_json, read as read_json};
pub use jsonl::JsonlRenderer;

use crate::catalog::Catalog;
use crate::consent::{AnswerMethod, ConsentRecord, ConsentResult, Refusal};
use crate::observation::{self, Attempt, Observation, VendorSeen};
use crate::scan::{Abort, ConsentChoice, ConsentMethod, ScanOptions, ScanRun, StepRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;

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

impl ConsentSetting {
    /// The record of `choice`.
    pub fn of(choice: &ConsentChoice) -> ConsentSetting {
        let mut s = ConsentSetting {
            action: choice.action,
            method: method_name(&choice.method).to_string(),
            cmp_rules: None,
            banner_words: None,
            click: None,
            js: None,
            text: None,
        };
        match &choice.method {
            ConsentMethod::Auto => {
                s.cmp_rules = Some(choice.rules.version().to_string());
                s.banner_words = Some(choice.words.version().to_string());
            }
            ConsentMethod::Click(sel) => s.click = Some(sel.clone()),
            ConsentMethod::Js(js) => s.js = Some(js.clone()),
            ConsentMethod::Text(text) => s.text = Some(text.clone()),
        }
        s
    }
}

/// `auto` (CMP rules), `click` (a selector), `js` (a script) or `text` (a button's text).
fn method_name(method: &ConsentMethod) -> &'static str {
    match method {
        ConsentMethod::Auto => "auto",
        ConsentMethod::Click(_) => "click",
        ConsentMethod::Js(_) => "js",
        ConsentMethod::Text(_) => "text",
    }
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

impl ConsentSummary {
    /// The summary of `choice` as the consent step's `record` carried it out.
    pub fn of(choice: &ConsentChoice, record: Option<&ConsentRecord>) -> ConsentSummary {
        ConsentSummary {
            action: choice.action,
            method: method_name(&choice.method).to_string(),
            cmp_detected: record.map(|r| r.detected.clone()).unwrap_or_default(),
            cmp_used: record.and_then(|r| r.cmp.clone()),
            element: record.and_then(|r| r.element.clone()),
            outcome: record.and_then(|r| r.outcome.clone()),
            done: record.is_some_and(|r| r.done),
            result: record.and_then(|r| r.result),
            answered_by: record.and_then(|r| r.method),
            banner: record
                .and_then(|r| r.banner.as_ref())
                .map(|b| format!("{} (confidence {:.2})", b.element, b.confidence)),
            refusal: record.and_then(|r| r.refusal),
        }
    }
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

/// What a report records of how it was judged, gated and is to be written, beyond the scan.
#[derive(Debug, Clone, Default)]
pub struct Assembly {
    pub show_values: bool,
    /// The policy file the findings were judged against.
    pub policy: Option<String>,
    /// The gate (`--fail-on`) and baseline, when the findings were gated.
    pub fail_on: Option<String>,
    pub baseline: Option<String>,
    /// Why a first attempt was lost, when this is the retry.
    pub retried_after: Option<String>,
    /// Where screenshots are written: `Some(site)` names them as files of an output directory
    /// (`site`: the report's number among several written together); `None`: no files.
    pub screenshot_files: Option<Option<usize>>,
}

impl ScanReport {
    /// The report of a scan, complete: matched against the catalog, judged by `judge` (which
    /// also gates), its provenance and screenshot files recorded. Nothing changes it afterwards;
    /// renderers, the gate's verdict and the store only read it.
    pub fn assemble(
        catalog: &Catalog,
        run: ScanRun,
        opts: &ScanOptions,
        assembly: Assembly,
        judge: impl FnOnce(&crate::findings::Facts<'_>) -> Vec<crate::findings::Finding>,
    ) -> ScanReport {
        let mut report = ScanReport::build(catalog, run, opts, assembly.show_values);
        report.findings = judge(&report.facts());
        let p = &mut report.provenance;
        p.policy = assembly.policy;
        p.fail_on = assembly.fail_on;
        p.baseline = assembly.baseline;
        p.retried_after = assembly.retried_after;
        if let Some(site) = assembly.screenshot_files {
            for (position, step) in report.steps.iter_mut().enumerate() {
                if step.screenshot_png.is_some() {
                    step.screenshot = Some(screenshot_file_name(site, position, step.step));
                }
            }
        }
        report
    }

    /// More than one page was visited.
    pub fn is_journey(&self) -> bool {
        self.pages.visited.len() > 1
    }

    /// The keys first seen at step record `s` (on its page).
    pub fn first_seen_at<'a>(&'a self, s: &'a StepRecord) -> impl Iterator<Item = &'a Observation> {
        self.observations.iter().filter(move |o| {
            o.first_step == s.step
                && (o.first_page == s.page || o.first_page.is_empty() || s.page.is_empty())
        })
    }

    /// The keys that changed at step record `s` (on its page), with the change.
    pub fn changes_at<'a>(
        &'a self,
        s: &'a StepRecord,
    ) -> impl Iterator<Item = (&'a Observation, &'a crate::observation::Change)> {
        self.observations.iter().flat_map(move |o| {
            o.changes
                .iter()
                .filter(move |c| {
                    c.step == s.step && (c.page == s.page || c.page.is_empty() || s.page.is_empty())
                })
                .map(move |c| (o, c))
        })
    }

    /// The journey in sentences, for the readable formats: the pages visited in order, those
    /// left out and why, and how many the limit left unvisited; none for a one-page scan.
    pub fn journey_lines(&self) -> Vec<String> {
        if !self.is_journey() {
            return Vec::new();
        }
        let visited: Vec<String> = self
            .pages
            .visited
            .iter()
            .map(|p| match &p.requested {
                Some(r) => format!("{} (via {})", page_path(&p.url), page_path(r)),
                None => page_path(&p.url),
            })
            .collect();
        let mut lines = vec![format!(
            "Pages visited ({}), in order: {}",
            visited.len(),
            visited.join(", ")
        )];
        if !self.pages.skipped.is_empty() {
            let left: Vec<String> = self
                .pages
                .skipped
                .iter()
                .map(|s| {
                    let detail = if s.detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", s.detail)
                    };
                    format!("{} ({}{detail})", s.url, s.why)
                })
                .collect();
            lines.push(format!("Left out: {}", left.join(", ")));
        }
        if self.pages.beyond_limit > 0 {
            lines.push(format!(
                "Found but not visited ({} reached): {} page{}",
                "--pages",
                self.pages.beyond_limit,
                if self.pages.beyond_limit == 1 {
                    ""
                } else {
                    "s"
                }
            ));
        }
        lines
    }

    /// The hosts first contacted at step record `s` (on its page), for reading.
    pub fn first_contacted_at(&self, s: &StepRecord) -> Vec<String> {
        self.network.first_contacted_at(s.step, &s.page)
    }

    /// A step as readers name it: `load`, or on a journey `load (/contact/)`.
    pub fn step_label(&self, s: &StepRecord) -> String {
        if self.is_journey() && !s.page.is_empty() {
            format!("{} ({})", s.step, page_path(&s.page))
        } else {
            s.step.to_string()
        }
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

    /// Matches a scan's snapshots against the catalog: the report before judgement (no
    /// findings, no gate); [`ScanReport::assemble`] is the whole of it.
    pub fn build(
        catalog: &Catalog,
        run: ScanRun,
        opts: &ScanOptions,
        show_values: bool,
    ) -> ScanReport {
        let observation::Built {
            mut observations,
            evidence,
            evidence_at,
        } = observation::build(
            catalog,
            &run.snapshots,
            (&run.detected, &run.detected_at),
            &run.final_url,
            show_values,
        );
        // A consent manager's own record is strictly necessary, never unknown.
        {
            let records: Vec<&crate::consent::ConsentRecord> = run
                .steps
                .iter()
                .filter_map(|s| s.consent.as_ref())
                .collect();
            observation::consent_records(&mut observations, &opts.consent.rules, &records);
        }
        let attempts = observation::attempts(catalog, &run.steps, &evidence);
        let vendors = observation::vendors_seen(catalog, &evidence, &evidence_at, &observations);
        let unreached = unreached_keys(catalog, &vendors, &opts.steps, &observations);
        let (requests, network) = {
            let frames: Vec<_> = run
                .snapshots
                .iter()
                .flat_map(|s| s.frames.iter().cloned())
                .collect();
            crate::network::build(
                catalog,
                &run.requests,
                &frames,
                &run.final_url,
                &evidence,
                show_values,
            )
        };
        let snapshot_errors = run
            .snapshots
            .iter()
            .flat_map(|s| s.errors.iter().map(move |e| format!("{}: {e}", s.step)))
            .collect();
        ScanReport {
            schema_version: SCHEMA_VERSION,
            provenance: Provenance {
                tool: "chatcookie".into(),
                tool_version: env!("CARGO_PKG_VERSION").into(),
                catalog_version: catalog.version.clone(),
                cookie_database: (!catalog.ocd.is_empty()).then(|| catalog.ocd.database.clone()),
                browser_version: run.browser_version,
                started_at: run.started_at,
                duration_ms: run.duration_ms,
                url: run.url,
                final_url: run.final_url,
                http_status: run.http_status,
                third_party_cookies: run.third_party_cookies,
                options: ScanSettings {
                    consent: ConsentSetting::of(&opts.consent),
                    open_click: opts.open_click.clone(),
                    step_timeout_ms: opts.step_timeout.as_millis() as u64,
                    quiet_ms: opts.quiet.as_millis() as u64,
                    widget_timeout_ms: opts.widget_timeout.as_millis() as u64,
                    clock: opts.clock,
                    show_values,
                    steps: opts.steps.clone(),
                    screenshots: opts.screenshots,
                    message: opts.steps.contains(&Step::ChatMessage).then(|| {
                        opts.message
                            .clone()
                            .unwrap_or_else(|| crate::scan::DEFAULT_MESSAGE.into())
                    }),
                    pages: opts.pages,
                    page: opts.asked_pages.clone(),
                    withdraw_click: opts.withdraw_click.clone(),
                },
                visitor: VisitorSummary {
                    asked: opts.visitor.clone(),
                    seen: run.visitor_seen.clone(),
                },
                unreached,
                // The consent step that answered, on whichever page (a journey may look for the
                // banner on several).
                consent: ConsentSummary::of(
                    &opts.consent,
                    run.steps
                        .iter()
                        .filter(|s| s.step == Step::Consent)
                        .filter_map(|s| s.consent.as_ref())
                        .next_back(),
                ),
                policy: None,
                fail_on: None,
                baseline: None,
                retried_after: None,
            },
            steps: run.steps,
            vendors,
            observations,
            attempts,
            snapshot_errors,
            aborted: run.aborted,
            findings: Vec::new(),
            requests,
            network,
            pages: run.pages,
        }
    }
}

/// A page's address as a reader scans a list of them: the path (and query), without the origin
/// every page of the journey shares.
pub fn page_path(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => url.to_string(),
    }
}

/// How a vendor was evidenced, for reading: each reason, with the step it first showed at when
/// the scan recorded it (`global web1on1 (at consent)`).
pub(crate) fn vendor_evidence(v: &VendorSeen) -> String {
    v.evidence
        .iter()
        .map(|r| match v.evidence_at.get(r) {
            Some(step) => format!("{r} (at {step})"),
            None => r.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders scan reports in one output format.
pub trait Renderer {
    /// Writes the reports; most formats write one report, several in sequence for the demo.
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> anyhow::Result<()>;
}

/// The output formats of `scan` and `demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable tables, one per step.
    Table,
    /// The full report as JSON (one object; an array for several sites).
    Json,
    /// JSON Lines: one compact report object per line, streamed as each site finishes.
    Jsonl,
    /// JUnit XML: a failing test case per gating finding (for CI test reports).
    Junit,
    /// SARIF 2.1.0 (for code-scanning dashboards such as GitHub's).
    Sarif,
    /// A readable Markdown report: provenance, step timeline, keys, vendors, findings.
    Markdown,
    /// One self-contained HTML file: timeline of keys × steps, vendors, findings, screenshots.
    Html,
    /// An inventory for spreadsheets: one row per key.
    Csv,
    /// A cookie declaration in Markdown, to paste into a privacy policy.
    DeclarationMd,
    /// A cookie declaration as an HTML fragment, to paste into a privacy policy.
    DeclarationHtml,
    /// HAR 1.2: every listed request, one page per step; header and cookie values redacted
    /// unless --show-values.
    Har,
}

impl Format {
    /// The renderer; `colour` asks for terminal colours (the table only).
    pub fn renderer(self, colour: bool) -> Box<dyn Renderer> {
        match self {
            Format::Table => Box::new(table::TableRenderer { colour }),
            Format::Json => Box::new(json::JsonRenderer),
            Format::Jsonl => Box::new(jsonl::JsonlRenderer),
            Format::Junit => Box::new(junit::JunitRenderer),
            Format::Sarif => Box::new(sarif::SarifRenderer),
            Format::Markdown => Box::new(markdown::MarkdownRenderer),
            Format::Html => Box::new(html::HtmlRenderer),
            Format::Csv => Box::new(csv::CsvRenderer),
            Format::DeclarationMd => Box::new(declaration_md::DeclarationMarkdownRenderer),
            Format::DeclarationHtml => Box::new(declaration_html::DeclarationHtmlRenderer),
            Format::Har => Box::new(har::HarRenderer),
        }
    }

    /// Written site by site while a many-site scan runs, not once at the end.
    pub fn streams(self) -> bool {
        self == Format::Jsonl
    }

    /// Shows the steps' screenshots (so taking them is the default when it is asked for).
    pub fn shows_screenshots(self) -> bool {
        self == Format::Html
    }

    /// With several sites in an output directory, also writes an index and one page per site.
    pub fn pages_per_site(self) -> bool {
        self == Format::Html
    }

    /// Text for a person at a terminal: other notes for people may be printed beside it.
    pub fn for_the_terminal(self) -> bool {
        self == Format::Table
    }

    /// The file this format is written to in an output directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Table => "report.txt",
            Format::Json => "report.json",
            Format::Jsonl => "report.jsonl",
            Format::Junit => "report.junit.xml",
            Format::Sarif => "report.sarif",
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Csv => "inventory.csv",
            Format::DeclarationMd => "declaration.md",
            Format::DeclarationHtml => "declaration.html",
            Format::Har => "scan.har",
        }
    }
}

/// The file name of a step's screenshot in an output directory, e.g. `step-1-load.png`; with
/// several reports (the demo), prefixed by the report's number: `site-2-step-1-load.png`.
pub fn screenshot_file_name(report: Option<usize>, position: usize, step: Step) -> String {
    let name = format!("step-{}-{step}.png", position + 1);
    match report {
        Some(r) => format!("site-{}-{name}", r + 1),
        None => name,
    }
}

/// How long a key lived as observed: a cookie's remaining lifetime, or what its storage implies.
pub fn observed_lifetime(o: &Observation) -> String {
    match (&o.cookie, o.storage) {
        (Some(c), _) => c
            .lifetime_seconds
            .map_or_else(|| "session".to_string(), human_lifetime),
        (None, crate::vocab::StorageKind::SessionStorage) => "session (tab)".into(),
        (None, _) => "persistent (until cleared)".into(),
    }
}

/// The vendor a key is attributed to, by name, or `None` when unattributed.
pub fn vendor_name<'r>(r: &'r ScanReport, o: &'r Observation) -> Option<&'r str> {
    let id = o.attribution.vendor()?;
    Some(
        o.catalog
            .as_ref()
            .map(|c| c.vendor_name.as_str())
            .or_else(|| {
                r.vendors
                    .iter()
                    .find(|v| v.id == id)
                    .map(|v| v.name.as_str())
            })
            .unwrap_or(id),
    )
}

/// Who a key is attributed to, by name: its chat vendor, or its Open Cookie Database platform
/// (with "(likely)" for a generic name attributed on the platform's other evidence).
pub fn owner_name(r: &ScanReport, o: &Observation) -> Option<String> {
    match &o.attribution {
        crate::catalog::Attribution::Platform {
            platform_name,
            confidence,
            ..
        } => Some(match confidence {
            crate::catalog::Certainty::Certain => platform_name.clone(),
            crate::catalog::Certainty::Likely => format!("{platform_name} (likely)"),
        }),
        crate::catalog::Attribution::ConsentManager { cmp_name, .. } => {
            Some(format!("{cmp_name} (consent manager)"))
        }
        a => vendor_name(r, o).map(|n| match a.confidence() {
            Some(crate::catalog::Certainty::Likely) => format!("{n} (likely)"),
            _ => n.to_string(),
        }),
    }
}

/// The catalog's name for an observed key, to declare it by: the chat vendor's pattern
/// (`twk_uuid_{propertyId}`), or the Open Cookie Database's name (`_ga_*` for a prefix; the
/// observed name itself when it is the prefix). `None` for an unattributed key.
pub fn catalog_name(o: &Observation) -> Option<String> {
    match &o.attribution {
        crate::catalog::Attribution::Platform { key, .. } => Some(match key.strip_suffix('*') {
            Some(prefix) if prefix == o.name => o.name.clone(),
            _ => key.clone(),
        }),
        a => a.catalog_key().map(str::to_string),
    }
}

/// A group of a report's keys: one chat vendor's, one platform's, or the unattributed ones.
pub struct KeyGroup<'r> {
    /// The chat vendor seen on the page, for a vendor group.
    pub vendor: Option<&'r VendorSeen>,
    /// `(platform id, platform name)`, for an Open Cookie Database platform group.
    pub platform: Option<(&'r str, &'r str)>,
    pub keys: Vec<&'r Observation>,
}

impl KeyGroup<'_> {
    /// True for the group of keys attributed to nothing.
    pub fn is_unattributed(&self) -> bool {
        self.vendor.is_none() && self.platform.is_none()
    }
}

/// The report's keys grouped by who they belong to: the chat vendors first (in the report's
/// order, even without keys, since they were seen), then the platforms by name, then the
/// unattributed keys (when there are any). Within a group, keys keep their order of appearance.
pub fn key_groups(r: &ScanReport) -> Vec<KeyGroup<'_>> {
    use crate::catalog::Attribution;
    let mut groups: Vec<KeyGroup<'_>> = r
        .vendors
        .iter()
        .map(|v| KeyGroup {
            vendor: Some(v),
            platform: None,
            keys: r
                .observations
                .iter()
                .filter(|o| o.attribution.vendor() == Some(v.id.as_str()))
                .collect(),
        })
        .collect();
    let mut platforms: BTreeMap<(String, &str), (&str, Vec<&Observation>)> = BTreeMap::new();
    let mut unattributed = Vec::new();
    for o in &r.observations {
        match &o.attribution {
            Attribution::Platform {
                platform,
                platform_name,
                ..
            } => {
                platforms
                    .entry((platform_name.to_lowercase(), platform.as_str()))
                    .or_insert((platform_name.as_str(), Vec::new()))
                    .1
                    .push(o);
            }
            Attribution::ConsentManager { cmp, cmp_name, .. } => {
                platforms
                    .entry((cmp_name.to_lowercase(), cmp.as_str()))
                    .or_insert((cmp_name.as_str(), Vec::new()))
                    .1
                    .push(o);
            }
            // Listed under their vendor (every attributed vendor is among those seen).
            Attribution::Known { .. } => {}
            Attribution::Unknown { .. } => unattributed.push(o),
        }
    }
    for ((_, id), (name, keys)) in platforms {
        groups.push(KeyGroup {
            vendor: None,
            platform: Some((id, name)),
            keys,
        });
    }
    if !unattributed.is_empty() {
        groups.push(KeyGroup {
            vendor: None,
            platform: None,
            keys: unattributed,
        });
    }
    groups
}

/// The value as evidence in one line: length and short hash, and the value when shown.
pub fn value_evidence(o: &Observation) -> String {
    let mut s = format!("{} B #{}", o.value.length, o.value.sha256);
    if let Some(v) = &o.value.value {
        s.push_str(&format!(" = {v}"));
    }
    s
}

/// Keys the found vendors document as written only at a step the scan did not run.
/// (Keys observed anyway, written earlier than documented, are not listed.)
fn unreached_keys(
    catalog: &Catalog,
    vendors: &[VendorSeen],
    steps: &[Step],
    observed: &[Observation],
) -> Vec<String> {
    let mut out = Vec::new();
    for seen in vendors {
        let Some(v) = catalog.vendor(&seen.id) else {
            continue;
        };
        for k in &v.keys {
            let seen = observed.iter().any(|o| {
                o.attribution.vendor() == Some(v.id.as_str())
                    && o.attribution.key() == Some(k.name.get_ref().as_str())
            });
            if let Some(step) = k.written_at
                && !steps.contains(&step)
                && !seen
            {
                out.push(format!("{} {} ({step})", v.id, k.name.get_ref()));
            }
        }
    }
    out
}

/// The provenance as labelled lines, in reading order: what every document format shows.
pub fn provenance_fields(p: &Provenance) -> Vec<(&'static str, String)> {
    let c = &p.consent;
    let mut consent = format!("{} ({})", c.action, c.method);
    if let Some(cmp) = &c.cmp_used {
        consent.push_str(&format!(" through {cmp}"));
    } else if !c.cmp_detected.is_empty() {
        consent.push_str(&format!("; detected {}", c.cmp_detected.join(", ")));
    }
    match (c.result, &c.banner) {
        (Some(ConsentResult::NoBanner), _) => consent.push_str("; no banner on the page"),
        (Some(ConsentResult::Unanswered), _) => consent.push_str("; a banner seen, not answered"),
        _ => {}
    }
    if let Some(b) = &c.banner {
        let how = if c.answered_by == Some(AnswerMethod::Heuristic) {
            "found by sight"
        } else {
            "around the answer"
        };
        consent.push_str(&format!("; banner {b}, {how}"));
    }
    match c.refusal {
        Some(Refusal::SecondLayer) => consent.push_str("; refusal only behind its settings"),
        Some(Refusal::None) => consent.push_str("; no way to refuse"),
        Some(Refusal::OtherPage) => {
            consent.push_str("; refusal only through a link to another page")
        }
        _ => {}
    }
    if let Some(e) = &c.element {
        consent.push_str(&format!("; element {e}"));
    }
    if let Some(o) = &c.outcome {
        consent.push_str(&format!("; {o}"));
    }
    let o = &p.options;
    let steps: Vec<&str> = o.steps.iter().map(|s| s.as_str()).collect();
    let mut options = format!(
        "steps {}; step timeout {} ms; quiet {} ms; widget timeout {} ms; {} clock",
        steps.join(","),
        o.step_timeout_ms,
        o.quiet_ms,
        o.widget_timeout_ms,
        match o.clock {
            Clock::Fast => "fast",
            Clock::Real => "real",
        }
    );
    if let Some(sel) = &o.open_click {
        options.push_str(&format!("; open click {sel}"));
    }
    if o.show_values {
        options.push_str("; values shown");
    }
    if o.screenshots {
        options.push_str("; screenshots");
    }
    let mut fields = vec![
        ("URL", p.url.clone()),
        ("Final URL", p.final_url.clone()),
        (
            "HTTP status",
            p.http_status
                .map_or_else(|| "unknown".into(), |s| s.to_string()),
        ),
        ("Tool", format!("{} {}", p.tool, p.tool_version)),
        ("Catalog", p.catalog_version.clone()),
        ("Browser", p.browser_version.clone()),
        ("Started", p.started_at.clone()),
        ("Duration", format!("{} ms", p.duration_ms)),
        (
            "Third-party cookies",
            match p.third_party_cookies {
                Some(ThirdPartyCookies::Allow) => "allowed".into(),
                Some(ThirdPartyCookies::Block) => "blocked".into(),
                None => "the connected browser's own setting".into(),
            },
        ),
        ("Consent", consent),
        ("Options", options),
        ("Visitor", {
            let v = &p.visitor;
            match &v.seen {
                Some(seen) => format!("{}; the page saw: {}", v.asked.describe(), seen.describe()),
                None => format!("{}; not read back from the page", v.asked.describe()),
            }
        }),
    ];
    if !p.unreached.is_empty() {
        fields.push((
            "Not reached",
            format!(
                "documented keys written only at a step not run: {}",
                p.unreached.join(", ")
            ),
        ));
    }
    if let Some(db) = &p.cookie_database {
        let at = fields
            .iter()
            .position(|(label, _)| *label == "Catalog")
            .map_or(fields.len(), |i| i + 1);
        fields.insert(at, ("Cookie database", db.describe()));
    }
    for (label, value) in [
        ("Policy", &p.policy),
        ("Fail on", &p.fail_on),
        ("Baseline", &p.baseline),
    ] {
        if let Some(v) = value {
            fields.push((label, v.clone()));
        }
    }
    fields
}

/// A step's status in words.
pub fn status_text(s: crate::scan::StepStatus) -> &'static str {
    match s {
        crate::scan::StepStatus::Done => "done",
        crate::scan::StepStatus::TimedOut => "timed out",
        crate::scan::StepStatus::Skipped => "skipped",
        crate::scan::StepStatus::Failed => "failed",
    }
}
