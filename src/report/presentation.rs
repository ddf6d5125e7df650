//! The report in words, for the readable formats (table, Markdown, HTML): headline, summary rows, provenance lines, consent, journey, counts and labels, as plain text each format escapes its own way.

use super::model::{ConsentSummary, Provenance, ScanReport, ScanSettings, VisitorSummary};
use super::summary::Summary;
use crate::consent::{AnswerMethod, ConsentResult, Refusal};
use crate::observation::VendorSeen;
use crate::scan::StepRecord;
use crate::vocab::{Clock, ThirdPartyCookies};

/// The title of a document report: `Cookie and storage report: <url>`.
pub fn headline(r: &ScanReport) -> String {
    format!("Cookie and storage report: {}", r.provenance.url)
}

/// The summary's labelled rows under the verdict: findings by severity, the chat vendors, and
/// the third parties contacted before the consent step.
pub fn summary_rows(s: &Summary) -> [(&'static str, String); 3] {
    [
        ("Findings", s.counts()),
        (
            "Chat vendors",
            if s.vendors.is_empty() {
                "none detected".to_string()
            } else {
                s.vendors.join("; ")
            },
        ),
        (
            "Third parties contacted before the consent step",
            if s.before_consent.is_empty() {
                "none".to_string()
            } else {
                s.before_consent.join("; ")
            },
        ),
    ]
}

impl ScanReport {
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

    /// A step as readers name it: `load`, or on a journey `load (/contact/)`.
    pub fn step_label(&self, s: &StepRecord) -> String {
        if self.is_journey() && !s.page.is_empty() {
            format!("{} ({})", s.step, page_path(&s.page))
        } else {
            s.step.to_string()
        }
    }
}

/// `N keys observed: … attributed to a chat vendor, … to a platform, … unknown.`: who the
/// report's keys belong to, counted.
pub fn key_counts(r: &ScanReport) -> String {
    let unknown = r
        .observations
        .iter()
        .filter(|o| !o.attribution.is_known())
        .count();
    let platform = r
        .observations
        .iter()
        .filter(|o| o.attribution.platform().is_some())
        .count();
    let records = r
        .observations
        .iter()
        .filter(|o| {
            matches!(
                o.attribution,
                crate::catalog::Attribution::ConsentManager { .. }
            )
        })
        .count();
    format!(
        "{} observed: {} attributed to a chat vendor, {}{}{unknown} unknown.",
        match r.observations.len() {
            1 => "1 key".to_string(),
            n => format!("{n} keys"),
        },
        r.observations.len() - unknown - platform - records,
        if platform > 0 {
            format!("{platform} to a platform (Open Cookie Database), ")
        } else {
            String::new()
        },
        if records > 0 {
            format!("{records} a consent manager's own record, ")
        } else {
            String::new()
        }
    )
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

/// A chat vendor with the ids its keys carry: `Tawk.to (propertyId 5f1a2b)`, or its name alone;
/// `value` shows each id (the table shortens them for the terminal).
pub fn vendor_with_ids(v: &VendorSeen, value: impl Fn(&str) -> String) -> String {
    let ids: Vec<String> = v
        .ids
        .iter()
        .map(|(name, values)| {
            format!(
                "{name} {}",
                values
                    .iter()
                    .map(|s| value(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    if ids.is_empty() {
        v.name.clone()
    } else {
        format!("{} ({})", v.name, ids.join("; "))
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

/// The consent step in one line: what was asked and how, which consent manager answered, the
/// banner and its way to refuse, the element and what the page did.
pub fn consent_line(c: &ConsentSummary) -> String {
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
    consent
}

/// The scan options in one line.
fn options_line(o: &ScanSettings) -> String {
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
    options
}

/// The visitor asked for, and what the page saw of it.
pub fn visitor_line(v: &VisitorSummary) -> String {
    match &v.seen {
        Some(seen) => format!("{}; the page saw: {}", v.asked.describe(), seen.describe()),
        None => format!("{}; not read back from the page", v.asked.describe()),
    }
}

/// Whether third-party cookies were allowed, in words.
pub fn third_party_cookies_text(t: Option<ThirdPartyCookies>) -> &'static str {
    match t {
        Some(ThirdPartyCookies::Allow) => "allowed",
        Some(ThirdPartyCookies::Block) => "blocked",
        None => "the connected browser's own setting",
    }
}

/// The provenance as labelled lines, in reading order: what every document format shows.
pub fn provenance_fields(p: &Provenance) -> Vec<(&'static str, String)> {
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
            third_party_cookies_text(p.third_party_cookies).into(),
        ),
        ("Consent", consent_line(&p.consent)),
        ("Options", options_line(&p.options)),
        ("Visitor", visitor_line(&p.visitor)),
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
