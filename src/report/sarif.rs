//! SARIF 2.1.0: one run per scanned URL, the rules as reporting descriptors, the findings as results.

use super::{Renderer, ScanReport};
use crate::vocab::{Rule, Severity};
use serde_json::{Value, json};
use std::io::Write;

pub struct SarifRenderer;

impl Renderer for SarifRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        let runs: Vec<Value> = reports.iter().map(run).collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": runs,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        Ok(())
    }
}

fn level(severity: Severity, gating: bool) -> &'static str {
    match (gating, severity) {
        (true, _) => "error",
        (false, Severity::High | Severity::Medium) => "warning",
        (false, _) => "note",
    }
}

fn run(r: &ScanReport) -> Value {
    let p = &r.provenance;
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id(),
                "shortDescription": { "text": rule.id() },
                "fullDescription": { "text": rule.description() },
            })
        })
        .collect();
    // Results need a location: the policy line when there is one, else the scanned page.
    let policy = p.policy.clone();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let index = Rule::ALL.iter().position(|x| *x == f.rule).unwrap_or(0);
            let location = match (&policy, f.policy_line) {
                (Some(file), Some(line)) => json!({ "physicalLocation": {
                    "artifactLocation": { "uri": file },
                    "region": { "startLine": line },
                }}),
                (Some(file), None) => json!({ "physicalLocation": {
                    "artifactLocation": { "uri": file },
                    "region": { "startLine": 1 },
                }}),
                // The page it concerns (a journey's), else the page scanned.
                (None, _) => json!({ "physicalLocation": { "artifactLocation": {
                    "uri": f.page.as_deref().unwrap_or(&p.final_url)
                } } }),
            };
            let mut props = json!({
                "severity": f.severity,
                "severityReason": f.severity_reason,
                "evidence": f.evidence,
                "inBaseline": f.in_baseline,
            });
            if let Some(step) = f.step {
                props["step"] = json!(step);
            }
            if let Some(page) = &f.page {
                props["page"] = json!(page);
            }
            if let Some(k) = &f.key {
                props["key"] = json!(k);
            }
            json!({
                "ruleId": f.rule.id(),
                "ruleIndex": index,
                "level": level(f.severity, f.gating),
                "message": { "text": f.message },
                "locations": [location],
                "partialFingerprints": { "chatcookie/v1": f.fingerprint },
                "properties": props,
            })
        })
        .collect();
    json!({
        "tool": { "driver": {
            "name": "chatcookie",
            "version": p.tool_version,
            "rules": rules,
        }},
        "invocations": [{
            "executionSuccessful": r.aborted.is_none(),
            "startTimeUtc": p.started_at,
        }],
        "results": results,
        "properties": {
            "url": p.url,
            "finalUrl": p.final_url,
            "catalogVersion": p.catalog_version,
            "cookieDatabase": p.cookie_database,
            "browserVersion": p.browser_version,
            "durationMs": p.duration_ms,
            "consent": p.consent,
            "options": p.options,
            "visitor": p.visitor,
        },
    })
}
