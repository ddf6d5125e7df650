//! The verdict at the head of a document report: what an auditor reads in ten seconds, before the timeline and the details.

use super::ScanReport;
use crate::vocab::{Party, Severity, Step};

/// How many of the worst findings the summary names.
const WORST: usize = 5;

/// A report in brief. Plain text: each document format escapes it its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// One line: incomplete, failing or passing the gate, or not gated.
    pub verdict: String,
    /// Whether the verdict is bad news (a failing gate or an incomplete scan).
    pub alarming: bool,
    /// The most severe finding's severity, gated or not: a run the gate lets pass can still hold
    /// a high finding, and the headline says so.
    pub worst_severity: Option<Severity>,
    /// Findings per severity, the most severe first; severities with none are left out.
    pub by_severity: Vec<(Severity, usize)>,
    /// The chat vendors found, each with the ids their keys carry (`propertyId 5f3…`).
    pub vendors: Vec<String>,
    /// The worst findings, as `severity rule: message`.
    pub worst: Vec<String>,
    /// How many findings there are beyond `worst`.
    pub more: usize,
    /// Third-party hosts first contacted before the consent step (`host (vendor) at step`):
    /// the visitor's address went there before anyone could be asked.
    pub before_consent: Vec<String>,
}

/// How a headline is shown: its colour, in the formats that have colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A failing gate or an incomplete scan.
    Alarm,
    /// Nothing fails the gate, but a finding is medium or high.
    Warn,
    Pass,
}

impl Summary {
    pub fn of(r: &ScanReport) -> Summary {
        let gating = r.findings.iter().filter(|f| f.gating).count();
        let forgiven = r.findings.iter().filter(|f| f.in_baseline).count();
        let forgiven = if forgiven > 0 {
            format!("; {forgiven} known to the baseline")
        } else {
            String::new()
        };
        let worst_severity = r.findings.iter().map(|f| f.severity).max();
        // What the gate let pass still has its worst severity said in the headline.
        let worst_said = match worst_severity {
            Some(s) => format!("; worst: {s}"),
            None => String::new(),
        };
        let (verdict, alarming) = match (&r.aborted, &r.provenance.fail_on) {
            (Some(a), _) => (
                format!(
                    "Incomplete: the scan stopped at step {}: {}",
                    a.step, a.reason
                ),
                true,
            ),
            (None, _) if !r.snapshot_errors.is_empty() => (
                format!(
                    "Incomplete: {} part(s) of the snapshots could not be read",
                    r.snapshot_errors.len()
                ),
                true,
            ),
            (None, Some(gate)) if gate == "never" => (
                format!(
                    "Nothing fails this run (fail on: never): {} finding(s){forgiven}{worst_said}",
                    r.findings.len()
                ),
                false,
            ),
            (None, Some(gate)) if gating > 0 => (
                format!("Fails the gate ({gate}): {gating} finding(s) fail it{forgiven}"),
                true,
            ),
            (None, Some(gate)) => (
                format!(
                    "Passes the gate ({gate}): {} finding(s), none failing it{forgiven}{worst_said}",
                    r.findings.len()
                ),
                false,
            ),
            (None, None) => (
                format!("Not gated: {} finding(s){worst_said}", r.findings.len()),
                false,
            ),
        };
        let by_severity = Severity::ALL
            .iter()
            .rev()
            .map(|s| (*s, r.findings.iter().filter(|f| f.severity == *s).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let vendors = r
            .vendors
            .iter()
            .map(|v| super::vendor_with_ids(v, str::to_string))
            .collect();
        // Findings are sorted most severe first when judged.
        let worst = r
            .findings
            .iter()
            .take(WORST)
            .map(|f| format!("{} {}: {}", f.severity, f.rule, f.message))
            .collect();
        let before_consent = r
            .network
            .hosts
            .iter()
            .filter(|h| {
                h.party == Party::ThirdParty
                    && crate::scan::phase(&r.steps, &h.first_page, h.first_step) < Step::Consent
            })
            .map(|h| match &h.vendor {
                Some(v) => format!("{} ({v}) at {}", h.host, h.first_step),
                None => format!("{} at {}", h.host, h.first_step),
            })
            .collect();
        Summary {
            before_consent,
            verdict,
            alarming,
            worst_severity,
            by_severity,
            vendors,
            worst,
            more: r.findings.len().saturating_sub(WORST),
        }
    }

    /// How the headline is shown.
    pub fn tone(&self) -> Tone {
        if self.alarming {
            Tone::Alarm
        } else if self.worst_severity >= Some(Severity::Medium) {
            Tone::Warn
        } else {
            Tone::Pass
        }
    }

    /// `2 high, 1 low`, or `none`.
    pub fn counts(&self) -> String {
        if self.by_severity.is_empty() {
            return "none".into();
        }
        self.by_severity
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;
    use crate::vocab::Rule;

    fn finding(severity: Severity, gating: bool) -> Finding {
        let mut f =
            Finding::new(Rule::Unknown, severity, "why", "what".to_string()).step(Step::Load);
        f.gating = gating;
        f
    }

    #[test]
    fn the_verdict_says_fail_pass_incomplete_or_not_gated() {
        let catalog = crate::catalog::Catalog::embedded().unwrap();
        let opts = crate::scan::ScanOptions::default();
        let run = crate::scan::ScanRun::failed(&opts, String::new(), None, "none".into());
        let mut r = ScanReport::build(&catalog, run, &opts, false);
        r.aborted = None;
        assert_eq!(Summary::of(&r).verdict, "Not gated: 0 finding(s)");
        r.provenance.fail_on = Some("severity ≥ high".into());
        r.findings = vec![finding(Severity::High, true), finding(Severity::Low, false)];
        let s = Summary::of(&r);
        assert_eq!(
            s.verdict,
            "Fails the gate (severity ≥ high): 1 finding(s) fail it"
        );
        assert!(s.alarming);
        assert_eq!(s.counts(), "1 high, 1 low");
        assert_eq!(s.worst[0], "high unknown: what");
        r.findings[0].gating = false;
        r.findings[0].in_baseline = true;
        let s = Summary::of(&r);
        assert!(!s.alarming);
        assert_eq!(
            s.verdict,
            "Passes the gate (severity ≥ high): 2 finding(s), none failing it; 1 known to the baseline; worst: high"
        );
        // Let pass, a high finding is still no green headline.
        assert_eq!(s.tone(), Tone::Warn);
        r.provenance.fail_on = Some("never".into());
        let s = Summary::of(&r);
        assert_eq!(
            s.verdict,
            "Nothing fails this run (fail on: never): 2 finding(s); 1 known to the baseline; worst: high"
        );
        assert_eq!(s.tone(), Tone::Warn);
        r.findings.truncate(1);
        r.findings[0].severity = Severity::Low;
        assert_eq!(Summary::of(&r).tone(), Tone::Pass);
        r.snapshot_errors = vec!["load: frame gone".into()];
        assert!(Summary::of(&r).verdict.starts_with("Incomplete"));
    }
}
