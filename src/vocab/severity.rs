//! How serious a finding is, and what fails the run: findings of which rules, or at which severity.

use super::named::named;
use super::rule::Rule;
use std::collections::BTreeSet;

named! {
    /// How serious a finding is; the gate compares against it.
    pub enum Severity: "severity", as_str {
        Info = "info",
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

/// A `--fail-on` (or `[gate] fail_on`) item that is neither a rule nor a severity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is neither a rule nor a severity (severities: {}; rules: {})",
    Severity::NAMES.join(", "),
    Rule::NAMES.join(", ")
)]
pub struct UnknownFailOn {
    pub given: String,
}

/// What fails the run: findings of these rules, and findings at or above this severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailOn {
    pub rules: BTreeSet<Rule>,
    pub severity: Option<Severity>,
}

impl FailOn {
    /// Parses a comma-separated list of rule ids and severities; `never` fails on nothing.
    pub fn parse(s: &str) -> Result<FailOn, UnknownFailOn> {
        let mut f = FailOn::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "never" || part == "none" {
                continue;
            }
            if let Ok(sev) = part.parse::<Severity>() {
                f.severity = Some(f.severity.map_or(sev, |cur| cur.min(sev)));
            } else if let Ok(rule) = part.parse::<Rule>() {
                f.rules.insert(rule);
            } else {
                return Err(UnknownFailOn {
                    given: part.to_string(),
                });
            }
        }
        Ok(f)
    }

    /// Whether a finding of `rule` at `severity` fails the run.
    pub fn gates(&self, rule: Rule, severity: Severity) -> bool {
        self.rules.contains(&rule) || self.severity.is_some_and(|s| severity >= s)
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
                .to_string()
                .contains("neither a rule nor a severity")
        );
    }
}
