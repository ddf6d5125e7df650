//! How serious a finding is, and the rules a finding can come from.

use super::named::named;
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

named! {
    /// The rules a finding can come from. Ids are stable: policies and baselines refer to them.
    pub enum Rule: "rule", id {
        BeforeConsent = "before-consent",
        BeforeChatOpen = "before-chat-open",
        TransferBeforeConsent = "transfer-before-consent",
        NoRefusal = "no-refusal",
        KeptAfterWithdrawal = "kept-after-withdrawal",
        NoWithdrawal = "no-withdrawal",
        VendorPromise = "vendor-promise",
        VendorDocMismatch = "vendor-doc-mismatch",
        Undeclared = "undeclared",
        DeclaredNotSeen = "declared-not-seen",
        Unknown = "unknown",
        Duration = "duration",
        PersonalData = "personal-data",
        ThirdParty = "third-party",
        // Reports before 0.x spelled it as serde's kebab case of the variant did.
        SameSiteNoneInsecure = "samesite-none-insecure" | "same-site-none-insecure",
        MissingSecure = "missing-secure",
    }
}

impl Rule {
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
            Rule::KeptAfterWithdrawal => {
                "A chat vendor's or an analytics platform's key was still stored after consent was withdrawn, or written anew after it (info when strictly necessary)."
            }
            Rule::NoWithdrawal => {
                "Consent could not be withdrawn: no way back into the consent settings was found, or the refusal there did not take."
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
            if let Ok(sev) = part.parse::<Severity>() {
                f.severity = Some(f.severity.map_or(sev, |cur| cur.min(sev)));
            } else if let Ok(rule) = part.parse::<Rule>() {
                f.rules.insert(rule);
            } else {
                return Err(format!(
                    "`{part}` is neither a rule nor a severity (severities: {}; rules: {})",
                    Severity::NAMES.join(", "),
                    Rule::NAMES.join(", ")
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

    /// Reports, SARIF, the store and the docs all spell a rule by its id; JSON once spelled one
    /// rule `same-site-none-insecure` (serde's own kebab case), which a baseline may still hold.
    #[test]
    fn a_rule_is_spelled_by_its_id_everywhere_and_the_old_spelling_still_reads() {
        for rule in Rule::ALL {
            assert_eq!(
                serde_json::to_value(rule).unwrap(),
                serde_json::json!(rule.id())
            );
            assert_eq!(rule.id().parse::<Rule>(), Ok(rule));
        }
        let old: Rule = serde_json::from_str("\"same-site-none-insecure\"").unwrap();
        assert_eq!(old, Rule::SameSiteNoneInsecure);
        assert_eq!(old.id(), "samesite-none-insecure");
    }
}
