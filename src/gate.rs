//! The CI gate: which findings fail a run (`--fail-on`), what a baseline forgives, and annotations.

use crate::compare::ScanContents;
use crate::error::Result;
use crate::report::{ScanReport, read_json};
use crate::vocab::FailOn;
use std::collections::BTreeSet;
use std::path::Path;

/// Fingerprints of the findings a previous report already had.
#[derive(Debug, Clone, Default)]
pub struct Baseline(pub BTreeSet<String>);

impl Baseline {
    /// Reads a JSON report written by `--format json` (one report or an array of them).
    pub fn load(path: &Path) -> Result<Baseline> {
        let reports = read_json(path).map_err(|e| e.context("--baseline"))?;
        Ok(Baseline::of(&reports))
    }

    /// The findings of `reports`, by the fingerprint every comparison uses.
    pub fn of(reports: &[ScanReport]) -> Baseline {
        Baseline(ScanContents::of(reports).fingerprints())
    }
}

/// Marks each finding as gating (or forgiven by the baseline); returns how many gate.
pub fn apply(reports: &mut [ScanReport], fail_on: &FailOn, baseline: Option<&Baseline>) -> usize {
    let mut failing = 0;
    for r in reports {
        for f in &mut r.findings {
            f.in_baseline = baseline.is_some_and(|b| b.0.contains(&f.fingerprint));
            f.gating = fail_on.gates(f.rule, f.severity) && !f.in_baseline;
            failing += f.gating as usize;
        }
    }
    failing
}

/// GitHub Actions workflow commands for the gating findings (stderr, one line each).
pub fn github_annotations(reports: &[ScanReport], policy_file: Option<&Path>) -> Vec<String> {
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_prop = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
    reports
        .iter()
        .flat_map(|r| r.findings.iter().filter(|f| f.gating).map(move |f| (r, f)))
        .map(|(r, f)| {
            let mut props = vec![format!(
                "title={}",
                escape_prop(&format!("chatcookie {} ({})", f.rule, r.provenance.url))
            )];
            if let Some(p) = policy_file {
                props.push(format!("file={}", escape_prop(&p.display().to_string())));
                if let Some(line) = f.policy_line {
                    props.push(format!("line={line}"));
                }
            }
            format!("::error {}::{}", props.join(","), escape(&f.message))
        })
        .collect()
}
