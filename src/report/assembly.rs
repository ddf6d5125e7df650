//! The assembly of a report: a scan run matched against the catalog, judged, and given its provenance; nothing changes it afterwards.

use super::model::{
    ConsentSetting, ConsentSummary, Provenance, SCHEMA_VERSION, ScanReport, ScanSettings,
    VisitorSummary,
};
use crate::catalog::Catalog;
use crate::consent::ConsentRecord;
use crate::observation::{self, Observation, VendorSeen};
use crate::scan::{ConsentChoice, ConsentMethod, ScanOptions, ScanRun};
use crate::vocab::Step;

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
        let unreached = unreached_keys(catalog, &vendors, &opts.settings.steps, &observations);
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
                options: settings(opts, show_values),
                visitor: VisitorSummary {
                    asked: opts.settings.visitor.clone(),
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

/// The scan options as the report records them.
fn settings(opts: &ScanOptions, show_values: bool) -> ScanSettings {
    ScanSettings {
        consent: ConsentSetting::of(&opts.consent),
        open_click: opts.settings.open_click.clone(),
        step_timeout_ms: opts.settings.step_timeout.as_millis() as u64,
        quiet_ms: opts.settings.quiet.as_millis() as u64,
        widget_timeout_ms: opts.settings.widget_timeout.as_millis() as u64,
        clock: opts.settings.clock,
        show_values,
        steps: opts.settings.steps.clone(),
        screenshots: opts.screenshots,
        message: opts.settings.steps.contains(&Step::ChatMessage).then(|| {
            opts.settings
                .message
                .clone()
                .unwrap_or_else(|| crate::scan::DEFAULT_MESSAGE.into())
        }),
        pages: opts.settings.pages,
        page: opts.settings.asked_pages.clone(),
        withdraw_click: opts.settings.withdraw_click.clone(),
    }
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

/// The file name of a step's screenshot in an output directory, e.g. `step-1-load.png`; with
/// several reports (the demo), prefixed by the report's number: `site-2-step-1-load.png`.
pub fn screenshot_file_name(report: Option<usize>, position: usize, step: Step) -> String {
    let name = format!("step-{}-{step}.png", position + 1);
    match report {
        Some(r) => format!("site-{}-{name}", r + 1),
        None => name,
    }
}
