//! Writing the store: one judged scan, its keys and its findings, in one transaction, with every value left out.

use super::sql::{Cell, Tx, cells};
use super::{KeyState, Store, site_key, timestamp_key};
use crate::error::{Error, Result};
use crate::report::ScanReport;
use anyhow::Context;
use serde::Serialize;

impl Store {
    /// Records one judged (and gated) scan, in one transaction; returns the scan's id.
    pub fn record(&mut self, report: &ScanReport) -> Result<i64> {
        let scan = scan_row(report)?;
        let location = self.location.to_string();
        self.db
            .transaction(|tx| {
                let scan_id = tx
                    .query(
                        "INSERT INTO scans (site, url, final_url, http_status, started_at,
                            duration_ms, recorded_at, tool_version, catalog_version,
                            browser_version, third_party_cookies, consent_action, consent_method,
                            consent_cmp, consent_done, options_json, policy, fail_on, baseline,
                            aborted_step, aborted_reason, key_count, finding_count, gating_count,
                            snapshot_error_count, report_json)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                            $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
                         RETURNING id",
                        &scan,
                    )?
                    .first()
                    .context("the store returned no id for the new scan")?
                    .int(0)?;
                insert_observations(tx, scan_id, report)?;
                insert_findings(tx, scan_id, report)?;
                Ok(scan_id)
            })
            .with_context(|| format!("cannot write to the store {location}"))
            .map_err(Error::store)
    }
}

/// The `scans` row of a report, in the order of its INSERT. A report whose URL has no site
/// (not http or https) cannot be filed under one.
fn scan_row(report: &ScanReport) -> Result<[Cell; 26]> {
    let p = &report.provenance;
    let site = site_key(&p.url)
        .ok_or_else(|| Error::usage(format!("cannot derive the site of `{}`", p.url)))?;
    let started_at = timestamp_key(&p.started_at).unwrap_or_else(|| p.started_at.clone());
    let recorded_at = timestamp_key(&crate::vocab::now_rfc3339()).unwrap_or_default();
    let gating = report.findings.iter().filter(|f| f.gating).count();
    Ok(cells![
        site,
        &p.url,
        &p.final_url,
        p.http_status,
        started_at,
        p.duration_ms as i64,
        recorded_at,
        &p.tool_version,
        &p.catalog_version,
        &p.browser_version,
        p.third_party_cookies.map(|t| enum_str(&t)),
        enum_str(&p.consent.action),
        &p.consent.method,
        p.consent.cmp_used.as_ref(),
        p.consent.done,
        serde_json::to_string(&p.options).map_err(Error::internal)?,
        p.policy.as_ref(),
        p.fail_on.as_ref(),
        p.baseline.as_ref(),
        report.aborted.as_ref().map(|a| a.step.as_str()),
        report.aborted.as_ref().map(|a| a.reason.as_str()),
        report.observations.len() as i64,
        report.findings.len() as i64,
        gating as i64,
        report.snapshot_errors.len() as i64,
        redacted_report_json(report).map_err(Error::internal)?,
    ])
}

/// The report's keys, one `observations` row each, in the report's order.
fn insert_observations(tx: &mut Tx<'_>, scan_id: i64, report: &ScanReport) -> anyhow::Result<()> {
    for (position, o) in report.observations.iter().enumerate() {
        // The identity and classes the comparison reads back: one definition.
        let key = KeyState::of(o);
        let c = o.cookie.as_ref();
        let attributes = serde_json::json!({
            "cookie": c,
            "changes": o.changes,
            "json_fields": o.json_fields,
        });
        tx.execute(
            "INSERT INTO observations (scan_id, position, storage, name, place,
                location, storage_key, frame_url, party, vendor, catalog_key,
                category, first_step, removed_at, expiry_class, lifetime_seconds,
                http_only, secure, same_site, partition_key, value_length,
                value_sha256, attributes_json, first_page)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
            &cells![
                scan_id,
                position as i64,
                o.storage.as_str(),
                &o.name,
                key.place,
                &o.location,
                o.storage_key.as_ref(),
                o.frame_url.as_ref(),
                key.party,
                o.attribution.vendor(),
                o.attribution.key(),
                o.catalog.as_ref().map(|f| f.category.as_str()),
                o.first_step.as_str(),
                o.removed_at.map(|s| s.as_str()),
                key.expiry_class,
                c.and_then(|c| c.lifetime_seconds),
                c.map(|c| c.http_only),
                c.map(|c| c.secure),
                c.and_then(|c| c.same_site.clone()),
                c.and_then(|c| c.partition_key.clone()),
                o.value.length as i64,
                &o.value.sha256,
                attributes.to_string(),
                (!o.first_page.is_empty()).then_some(o.first_page.as_str()),
            ],
        )?;
    }
    Ok(())
}

/// The report's findings, one `findings` row each, in the report's order.
fn insert_findings(tx: &mut Tx<'_>, scan_id: i64, report: &ScanReport) -> anyhow::Result<()> {
    for (position, f) in report.findings.iter().enumerate() {
        tx.execute(
            "INSERT INTO findings (scan_id, position, rule, severity, fingerprint,
                storage, name, location, step, message, evidence_json, policy_line,
                gating, in_baseline, page)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                $15)",
            &cells![
                scan_id,
                position as i64,
                f.rule.id(),
                f.severity.as_str(),
                &f.fingerprint,
                f.key.as_ref().map(|k| k.storage.as_str()),
                f.key.as_ref().map(|k| k.name.as_str()),
                f.key.as_ref().map(|k| k.location.as_str()),
                f.step.map(|s| s.as_str()),
                &f.message,
                serde_json::to_string(&f.evidence)?,
                f.policy_line.map(|l| l as i64),
                f.gating,
                f.in_baseline,
                f.page.as_deref(),
            ],
        )?;
    }
    Ok(())
}

/// The report as JSON with every value removed (`--show-values` puts them in the report, never
/// in the store): observations keep the value's length and short hash only.
fn redacted_report_json(report: &ScanReport) -> anyhow::Result<String> {
    let mut json = serde_json::to_value(report)?;
    if let Some(observations) = json.get_mut("observations").and_then(|o| o.as_array_mut()) {
        for o in observations {
            if let Some(value) = o.get_mut("value").and_then(|v| v.as_object_mut()) {
                value.remove("value");
            }
        }
    }
    redact_request_urls(&mut json);
    Ok(json.to_string())
}

/// Request URLs (`requests[]`, and the hosts' samples under `network`) with their query and
/// fragment values redacted, as in a report made without `--show-values`.
fn redact_request_urls(json: &mut serde_json::Value) {
    fn redact(r: &mut serde_json::Value) {
        for field in ["url", "initiator_url"] {
            if let Some(u) = r.get(field).and_then(|u| u.as_str()) {
                r[field] = crate::network::redact_url(u, false).into();
            }
        }
    }
    if let Some(requests) = json.get_mut("requests").and_then(|r| r.as_array_mut()) {
        requests.iter_mut().for_each(redact);
    }
    if let Some(hosts) = json
        .pointer_mut("/network/hosts")
        .and_then(|h| h.as_array_mut())
    {
        for step in hosts
            .iter_mut()
            .filter_map(|h| h.get_mut("steps").and_then(|s| s.as_array_mut()))
            .flatten()
        {
            if let Some(samples) = step.get_mut("samples").and_then(|s| s.as_array_mut()) {
                samples.iter_mut().for_each(redact);
            }
        }
    }
}

/// The serde name of a unit enum variant (`accept`, `block`): the spelling reports use.
fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
