//! The CI gate: which findings fail a run (`--fail-on`), what a baseline forgives, and annotations.

use crate::compare::ScanContents;
use crate::error::{Error, Result, read_input};
use crate::findings::Finding;
use crate::report::{SCHEMA_VERSION, ScanReport, parse_json};
use crate::vocab::FailOn;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Fingerprints of the findings a previous report already had.
#[derive(Debug, Clone, Default)]
pub struct Baseline(pub BTreeSet<String>);

impl Baseline {
    /// Reads a JSON report written by `--format json` (one report or an array of them). A report
    /// an older chatcookie wrote, which this one no longer reads whole, still gives its findings'
    /// fingerprints: a baseline committed months ago keeps forgiving what it forgave.
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = read_input(path).map_err(|e| e.context("--baseline"))?;
        match parse_json(&text) {
            Ok(reports) => Ok(Baseline::of(&reports)),
            Err(why) => older_fingerprints(&text)
                .map(Baseline)
                .ok_or_else(|| Error::usage(format!("--baseline: {}:{why}", path.display()))),
        }
    }

    /// The findings of `reports`, by the fingerprint every comparison uses.
    pub fn of(reports: &[ScanReport]) -> Baseline {
        Baseline(ScanContents::of(reports).fingerprints())
    }
}

/// The fingerprints of a report of the same schema version that an older chatcookie wrote (every
/// report has `findings`, each with a `fingerprint`); None for anything else.
fn older_fingerprints(text: &str) -> Option<BTreeSet<String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let reports = match v {
        serde_json::Value::Array(a) => a,
        one => vec![one],
    };
    let mut set = BTreeSet::new();
    for r in &reports {
        if r.get("schema_version")?.as_u64()? > u64::from(SCHEMA_VERSION) {
            return None;
        }
        for f in r.get("findings")?.as_array()? {
            set.insert(f.get("fingerprint")?.as_str()?.to_string());
        }
    }
    Some(set)
}

/// The gate as configured for a run: what fails it, and the baseline that forgives known findings.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    pub fail_on: FailOn,
    /// The baseline file as given, and what it holds.
    pub baseline: Option<(PathBuf, Baseline)>,
}

impl Gate {
    /// The gate of `fail_on`, reading the baseline first: a bad baseline stops the run before
    /// any scan, not after.
    pub fn new(fail_on: FailOn, baseline: Option<&Path>) -> Result<Gate> {
        let baseline = baseline
            .map(|p| Ok::<_, crate::Error>((p.to_path_buf(), Baseline::load(p)?)))
            .transpose()?;
        Ok(Gate { fail_on, baseline })
    }

    /// Marks each finding as gating, or as forgiven by the baseline; called while a report is
    /// assembled, so a report is never changed once it exists.
    pub fn mark(&self, findings: &mut [Finding]) {
        for f in findings {
            f.in_baseline = self
                .baseline
                .as_ref()
                .is_some_and(|(_, b)| b.0.contains(&f.fingerprint));
            f.gating = self.fail_on.gates(f.rule, f.severity) && !f.in_baseline;
        }
    }

    /// The baseline's path as the report records it.
    pub fn baseline_path(&self) -> Option<String> {
        self.baseline.as_ref().map(|(p, _)| p.display().to_string())
    }
}

/// How many findings of `reports` fail the gate.
pub fn failing(reports: &[ScanReport]) -> usize {
    reports
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.gating)
        .count()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_an_older_chatcookie_wrote_still_gives_its_fingerprints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        // Same schema version, but findings without the fields this version writes.
        std::fs::write(
            &path,
            r#"{"schema_version": 1, "findings": [{"rule": "unknown", "fingerprint": "unknown|x"}]}"#,
        )
        .unwrap();
        let b = Baseline::load(&path).unwrap();
        assert_eq!(b.0.into_iter().collect::<Vec<_>>(), ["unknown|x"]);
        // Not a report at all, or a newer one: refused, saying where.
        std::fs::write(&path, r#"{"schema_version": 1, "findings": "none"}"#).unwrap();
        let err = Baseline::load(&path).unwrap_err().to_string();
        assert!(err.contains("not a chatcookie JSON report"), "{err}");
        std::fs::write(&path, r#"{"schema_version": 9, "findings": []}"#).unwrap();
        let err = Baseline::load(&path).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }
}
