//! HAR 1.2: one page per step that ran (with `_storage`, the names of the keys first stored then),
//! one entry per listed request with its request,
//! response, timings and `pageref`. Header and cookie values are redacted unless the scan ran
//! with `--show-values` (they were redacted when the report was built); URLs as in the report.

use super::{Renderer, ScanReport};
use crate::network::Request;
use crate::scan::StepStatus;
use serde_json::{Value, json};
use std::io::Write;

pub struct HarRenderer;

impl Renderer for HarRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &har(reports))?;
        writeln!(out)?;
        Ok(())
    }
}

/// The HAR log of the reports (several for the demo: their pages one after the other).
pub fn har(reports: &[ScanReport]) -> Value {
    let several = reports.len() > 1;
    let mut pages = Vec::new();
    let mut entries = Vec::new();
    let mut comments = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        let page_id = |step: crate::vocab::Step| {
            if several {
                format!("site_{}_{step}", i + 1)
            } else {
                step.to_string()
            }
        };
        for s in r.steps.iter().filter(|s| s.status != StepStatus::Skipped) {
            let first = r
                .requests
                .iter()
                .filter(|q| q.step == s.step && q.started > 0.0)
                .map(|q| q.started)
                .reduce(f64::min);
            pages.push(json!({
                "startedDateTime": first.map_or_else(|| r.provenance.started_at.clone(), rfc3339),
                "id": page_id(s.step),
                "title": format!("{}: {}", s.step, r.provenance.url),
                "pageTimings": { "onContentLoad": -1, "onLoad": -1 },
                "comment": s.detail,
                // The keys first stored at this step, names only: script-set cookies and web
                // storage travel in no request, and `classify` reads them back from here.
                "_storage": r.first_seen_at(s).map(|o| json!({
                    "name": o.name,
                    "storage": o.storage.as_str(),
                    "domain": o.cookie.as_ref().map_or_else(
                        || crate::vocab::host_of(&o.location).unwrap_or_default(),
                        |c| c.domain.clone(),
                    ),
                })).collect::<Vec<_>>(),
            }));
        }
        for q in &r.requests {
            entries.push(entry(q, &page_id(q.step), &r.provenance.started_at));
        }
        let n = &r.network;
        if n.dropped > 0 {
            comments.push(format!(
                "{}: {} of {} requests listed (the per-scan cap is {}); {} not listed",
                r.provenance.url,
                r.requests.len(),
                n.total,
                n.cap,
                n.dropped
            ));
        }
    }
    let values = reports.iter().any(|r| r.provenance.options.show_values);
    comments.push(if values {
        "values shown (--show-values)".to_string()
    } else {
        "header, cookie and URL query values redacted (run with --show-values to keep them)"
            .to_string()
    });
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "chatcookie", "version": env!("CARGO_PKG_VERSION") },
            "browser": {
                "name": "Chromium",
                "version": reports.first().map_or("", |r| r.provenance.browser_version.as_str()),
            },
            "pages": pages,
            "entries": entries,
            "comment": comments.join("; "),
        }
    })
}

fn rfc3339(epoch_seconds: f64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos((epoch_seconds * 1e9) as i128)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

fn pairs(h: &[crate::network::Header]) -> Vec<Value> {
    h.iter()
        .map(|h| json!({ "name": h.name, "value": h.value }))
        .collect()
}

fn entry(q: &Request, pageref: &str, fallback_start: &str) -> Value {
    let query: Vec<Value> = url::Url::parse(&q.url)
        .map(|u| {
            u.query_pairs()
                .map(|(n, v)| json!({ "name": n, "value": v }))
                .collect()
        })
        .unwrap_or_default();
    let version = if q.http_version.is_empty() {
        "unknown".to_string()
    } else {
        q.http_version.to_ascii_uppercase()
    };
    let t = q.timings.unwrap_or_default();
    let (send, wait, receive) = match q.timings {
        Some(t) => (t.send, t.wait, t.receive),
        None => (0.0, 0.0, q.duration_ms.unwrap_or(0.0)),
    };
    let time = [t.blocked, t.dns, t.connect, send, wait, receive]
        .iter()
        .filter(|v| **v > 0.0)
        .sum::<f64>();
    let location = q
        .response_headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("location"))
        .map_or("", |h| h.value.as_str());
    let mut e = json!({
        "pageref": pageref,
        "startedDateTime": if q.started > 0.0 { rfc3339(q.started) } else { fallback_start.to_string() },
        "time": time,
        "request": {
            "method": q.method,
            "url": q.url,
            "httpVersion": version,
            "cookies": pairs(&q.request_cookies),
            "headers": pairs(&q.request_headers),
            "queryString": query,
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": {
            "status": q.status.unwrap_or(0),
            "statusText": q.status_text,
            "httpVersion": version,
            "cookies": pairs(&q.response_cookies),
            "headers": pairs(&q.response_headers),
            "content": {
                "size": q.encoded_size.unwrap_or(0),
                "mimeType": if q.mime_type.is_empty() { "x-unknown" } else { q.mime_type.as_str() },
            },
            "redirectURL": location,
            "headersSize": -1,
            "bodySize": q.encoded_size.map_or(-1, |n| n as i64),
        },
        "cache": {},
        "timings": {
            "blocked": t.blocked.max(-1.0),
            "dns": if q.timings.is_some() { t.dns } else { -1.0 },
            "connect": if q.timings.is_some() { t.connect } else { -1.0 },
            "ssl": if q.timings.is_some() { t.ssl } else { -1.0 },
            "send": send,
            "wait": wait,
            "receive": receive,
        },
        "_resourceType": q.resource_type,
        "_initiator": q.initiator,
        "_party": q.party,
        "_vendor": q.vendor,
    });
    if q.timings.is_none() {
        e["timings"]["blocked"] = json!(-1);
    }
    if let Some(err) = &q.error {
        e["comment"] = json!(err);
    }
    if let Some(u) = &q.initiator_url {
        e["_initiatorUrl"] = json!(u);
    }
    if let Some(f) = &q.frame {
        e["_frame"] = json!(f);
    }
    e
}
