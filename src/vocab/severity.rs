//! How serious a finding is, and the rules a finding can come from.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// How serious a finding is; the gate compares against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rules a finding can come from. Ids are stable: policies and baselines refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    BeforeConsent,
    BeforeChatOpen,
    TransferBeforeConsent,
    NoRefusal,
    VendorPromise,
    VendorDocMismatch,
    Undeclared,
    DeclaredNotSeen,
    Unknown,
    Duration,
    PersonalData,
    ThirdParty,
    SameSiteNoneInsecure,
    MissingSecure,
}

impl Rule {
    pub const ALL: [Rule; 14] = [
        Rule::BeforeConsent,
        Rule::BeforeChatOpen,
        Rule::TransferBeforeConsent,
        Rule::NoRefusal,
        Rule::VendorPromise,
        Rule::VendorDocMismatch,
        Rule::Undeclared,
        Rule::DeclaredNotSeen,
        Rule::Unknown,
        Rule::Duration,
        Rule::PersonalData,
        Rule::ThirdParty,
        Rule::SameSiteNoneInsecure,
        Rule::MissingSecure,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::BeforeConsent => "before-consent",
            Rule::BeforeChatOpen => "before-chat-open",
            Rule::TransferBeforeConsent => "transfer-before-consent",
            Rule::NoRefusal => "no-refusal",
            Rule::VendorPromise => "vendor-promise",
            Rule::VendorDocMismatch => "vendor-doc-mismatch",
            Rule::Undeclared => "undeclared",
            Rule::DeclaredNotSeen => "declared-not-seen",
            Rule::Unknown => "unknown",
            Rule::Duration => "duration",
            Rule::PersonalData => "personal-data",
            Rule::ThirdParty => "third-party",
            Rule::SameSiteNoneInsecure => "samesite-none-insecure",
            Rule::MissingSecure => "missing-secure",
        }
    }

    /// One sentence on what the rule checks (SARIF rule descriptions, `--help`).
    pub fn description(self) -> &'static str {
        match self {
            Rule::BeforeConsent => {
                "A key that is not strictly necessary was stored before consent, or after consent was rejected."
            }
            Rule::BeforeChatOpen => {
                "A chat-widget key was stored before the visitor opened the chat (and was not covered by an accepted consent)."
            }
            Rule::TransferBeforeConsent => {
                "The page made the browser contact a chat vendor's host (or another third party not strictly necessary) before the visitor consented or opened the chat."
            }
            Rule::NoRefusal => {
                "The cookie banner offers no way to refuse, or only behind its settings while accepting takes one click."
            }
            Rule::VendorPromise => "A chat vendor broke one of its own published promises.",
            Rule::VendorDocMismatch => {
                "What the browser stored differs from the vendor's own declaration (storage kind or lifetime)."
            }
            Rule::Undeclared => {
                "A key was observed that the site's policy does not declare (or not at that step)."
            }
            Rule::DeclaredNotSeen => {
                "The policy declares a key that the scan never observed: a stale declaration."
            }
            Rule::Unknown => "No catalog entry and no declaration matches the key.",
            Rule::Duration => {
                "A cookie lives longer than declared, or is persistent where a session cookie is declared."
            }
            Rule::PersonalData => {
                "A cookie or storage value holds personal data (e-mail address, phone number, name)."
            }
            Rule::ThirdParty => "A third-party cookie or storage item (informational).",
            Rule::SameSiteNoneInsecure => {
                "A cookie with SameSite=None lacks Secure (informational)."
            }
            Rule::MissingSecure => "A cookie on an https page lacks Secure (informational).",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Rule::ALL
            .into_iter()
            .find(|r| r.id() == s)
            .ok_or_else(|| format!("unknown rule `{s}`"))
    }
}

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
                .contains("neither a rule nor a severity")
        );
    }
}
