//! The CI gate: which findings fail a run (`--fail-on`), what a baseline forgives, and annotations.

use crate::findings::{Finding, Rule, Severity};
use crate::report::ScanReport;
use anyhow::Context;
use std::collections::BTreeSet;
use std::path::Path;

/// What fails the run: findings of these rules, and findings at or above this severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailOn {
    pub rules: BTreeSet<Rule>,
    pub severity: Option<Severity>,
}

impl FailOn {
    /// Parses a comma-separated list of rule ids and severities; `never` fails on nothing.
    pub fn parse(s: &str) -> Result<FailOn, String> {
        let mut f = FailOn::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "never" || part == "none" {
                continue;
            }
            if let Some(sev) = Severity::ALL.into_iter().find(|v| v.as_str() == part) {
                f.severity = Some(f.severity.map_or(sev, |cur| cur.min(sev)));
            } else if let Ok(rule) = part.parse::<Rule>() {
                f.rules.insert(rule);
            } else {
                let rules: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
                return Err(format!(
                    "`{part}` is neither a rule nor a severity (severities: info, low, medium, high; rules: {})",
                    rules.join(", ")
                ));
            }
        }
        Ok(f)
    }

    pub fn gates(&self, f: &Finding) -> bool {
        self.rules.contains(&f.rule) || self.severity.is_some_and(|s| f.severity >= s)
    }

    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.rules.iter().map(|r| r.id().to_string()).collect();
        if let Some(s) = self.severity {
            parts.push(format!("severity ≥ {s}"));
        }
        if parts.is_empty() {
            // The --fail-on value that gives this gate.
            "never".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Fingerprints of the findings a previous report already had.
#[derive(Debug, Clone, Default)]
pub struct Baseline(pub BTreeSet<String>);

impl Baseline {
    /// Reads a JSON report written by `--format json` (one report or an array of them).
    pub fn load(path: &Path) -> anyhow::Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the baseline {}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}:{}:{}: the baseline is not JSON: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        let reports = match v {
            serde_json::Value::Array(a) => a,
            one => vec![one],
        };
        let mut set = BTreeSet::new();
        for r in &reports {
            let findings = r
                .get("findings")
                .and_then(|f| f.as_array())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: not a chatcookie JSON report (no `findings`)",
                        path.display()
                    )
                })?;
            set.extend(
                findings
                    .iter()
                    .filter_map(|f| f.get("fingerprint")?.as_str().map(str::to_string)),
            );
        }
        Ok(Baseline(set))
    }
}

/// Marks each finding as gating (or forgiven by the baseline); returns how many gate.
pub fn apply(reports: &mut [ScanReport], fail_on: &FailOn, baseline: Option<&Baseline>) -> usize {
    let mut failing = 0;
    for r in reports {
        for f in &mut r.findings {
            f.in_baseline = baseline.is_some_and(|b| b.0.contains(&f.fingerprint));
            f.gating = fail_on.gates(f) && !f.in_baseline;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_takes_rules_and_severities() {
        let f = FailOn::parse("undeclared, high").unwrap();
        assert!(f.rules.contains(&Rule::Undeclared));
        assert_eq!(f.severity, Some(Severity::High));
        assert_eq!(
            FailOn::parse("medium,high").unwrap().severity,
            Some(Severity::Medium)
        );
        assert_eq!(FailOn::parse("never").unwrap(), FailOn::default());
        assert!(
            FailOn::parse("undeclard")
                .unwrap_err()
                .contains("neither a rule nor a severity")
        );
    }
}
