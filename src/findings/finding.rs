//! The finding: one judgement with its rule, severity, evidence and stable fingerprint; built in one place.

use crate::observation::Observation;
use crate::vocab::{Rule, Severity, Step, StorageKind};
use serde::{Deserialize, Serialize};

/// The key a finding concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRef {
    pub storage: StorageKind,
    pub name: String,
    pub location: String,
}

impl KeyRef {
    pub fn of(o: &Observation) -> KeyRef {
        KeyRef {
            storage: o.storage,
            name: o.name.clone(),
            location: o.location.clone(),
        }
    }
}

/// One judgement, with the evidence an auditor can defend.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// Why it has its severity, in one line (docs/rules.md has the sources).
    pub severity_reason: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    /// The journey's page of `step` (see `StepRecord::page`); not part of the fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// Facts backing the finding: when, with which attributes, which promise or declaration.
    pub evidence: Vec<String>,
    /// The policy line a declaration-related finding points at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_line: Option<usize>,
    /// A stable identity across scans (no ports, no values), for baselines and diffs.
    pub fingerprint: String,
    /// Set by the gate: this finding fails the run.
    #[serde(default)]
    pub gating: bool,
    /// Set by the gate: the baseline already had it.
    #[serde(default)]
    pub in_baseline: bool,
}

impl Finding {
    /// A finding of `rule` at `severity`, `because` (why that severity, one line); the builder
    /// methods below add what it concerns. Its fingerprint is the rule id until
    /// [`Finding::identity`] names what makes it this finding.
    pub fn new(
        rule: Rule,
        severity: Severity,
        because: impl Into<String>,
        message: String,
    ) -> Finding {
        Finding {
            rule,
            severity,
            severity_reason: because.into(),
            message,
            key: None,
            step: None,
            page: None,
            evidence: Vec::new(),
            policy_line: None,
            fingerprint: rule.id().to_string(),
            gating: false,
            in_baseline: false,
        }
    }

    /// The page it concerns (empty: none).
    pub fn page(mut self, page: &str) -> Finding {
        self.page = (!page.is_empty()).then(|| page.to_string());
        self
    }

    pub fn key(mut self, key: KeyRef) -> Finding {
        self.key = Some(key);
        self
    }

    pub fn step(mut self, step: Step) -> Finding {
        self.step = Some(step);
        self
    }

    pub fn evidence(mut self, evidence: Vec<String>) -> Finding {
        self.evidence = evidence;
        self
    }

    pub fn policy_line(mut self, line: Option<usize>) -> Finding {
        self.policy_line = line;
        self
    }

    /// The fingerprint: `rule|part|part…`, from parts that stay the same from scan to scan
    /// (names, storage, registrable domain; never ports or values).
    pub fn identity(mut self, parts: &[&str]) -> Finding {
        let mut fp = self.rule.id().to_string();
        for p in parts {
            fp.push('|');
            fp.push_str(p);
        }
        self.fingerprint = fp;
        self
    }
}
