//! Matching names to catalog entries, with precedence, load-time tie detection and the generic-name rule.

use super::model::{KeyEntry, Strength, Vendor};
use super::pattern::Pattern;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::vocab::Step;
use regex::RegexSet;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where an entry's pattern lives: vendor, key, and which of its patterns (0 = the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PatternRef {
    vendor: usize,
    key: usize,
    alias: usize,
}

/// Index over every name and alias of the catalog.
#[derive(Debug)]
pub struct Matcher {
    exact: HashMap<String, PatternRef>,
    /// All non-exact patterns in one automaton: one pass tells which can match.
    set: RegexSet,
    patterns: Vec<(PatternRef, usize)>,
}

/// A name's best catalog entry.
#[derive(Debug, Clone)]
pub struct KeyMatch<'c> {
    pub vendor: &'c Vendor,
    pub key: &'c KeyEntry,
    /// The name or alias that matched, as written in the catalog.
    pub matched: &'c str,
    /// True when an alias matched rather than the documented name.
    pub via_alias: bool,
    pub captures: BTreeMap<String, String>,
}

impl Matcher {
    /// Indexes the vendors' keys; two entries that tie for some name are an error.
    pub fn build(vendors: &[Vendor]) -> Result<Matcher, Diagnostics> {
        let mut exact: HashMap<String, PatternRef> = HashMap::new();
        let mut patterns: Vec<(PatternRef, usize)> = Vec::new();
        let mut errors = Vec::new();
        let pat = |r: PatternRef| -> &Pattern { &vendors[r.vendor].keys[r.key].patterns[r.alias] };
        for (vi, v) in vendors.iter().enumerate() {
            // A vendor's copy of its platform's key is found through the platform's entry.
            for (ki, k) in v
                .keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.platform_key.is_none())
            {
                for (ai, p) in k.patterns.iter().enumerate() {
                    let r = PatternRef {
                        vendor: vi,
                        key: ki,
                        alias: ai,
                    };
                    if p.is_exact() {
                        if let Some(prev) = exact.get(p.as_str()) {
                            errors.push(tie(vendors, *prev, r, "the same name"));
                        } else {
                            exact.insert(p.as_str().to_string(), r);
                        }
                    } else {
                        patterns.push((r, p.literal_len()));
                    }
                }
            }
        }
        for (i, (a, la)) in patterns.iter().enumerate() {
            for (b, lb) in &patterns[i + 1..] {
                let same_key = a.vendor == b.vendor && a.key == b.key;
                if la == lb && !same_key && pat(*a).overlaps(pat(*b)) {
                    errors.push(tie(
                        vendors,
                        *a,
                        *b,
                        "overlapping patterns with literal parts of equal length",
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        let set = RegexSet::new(
            patterns
                .iter()
                .map(|(r, _)| pat(*r).regex().expect("non-exact").as_str()),
        )
        .expect("pattern regexes compiled individually");
        Ok(Matcher {
            exact,
            set,
            patterns,
        })
    }

    /// The best entry for `name`: exact beats pattern; the longest literal part wins.
    pub fn lookup<'c>(&self, vendors: &'c [Vendor], name: &str) -> Option<KeyMatch<'c>> {
        let (r, captures) = if let Some(r) = self.exact.get(name) {
            (*r, BTreeMap::new())
        } else {
            let best = self
                .set
                .matches(name)
                .into_iter()
                .map(|i| self.patterns[i])
                // Ties were rejected at load; `max_by_key` keeps the choice deterministic anyway.
                .max_by_key(|(_, len)| *len)?;
            let p = &vendors[best.0.vendor].keys[best.0.key].patterns[best.0.alias];
            (best.0, p.captures(name)?)
        };
        let vendor = &vendors[r.vendor];
        let key = &vendor.keys[r.key];
        Some(KeyMatch {
            vendor,
            key,
            matched: key.patterns[r.alias].as_str(),
            via_alias: r.alias > 0,
            captures,
        })
    }
}

fn tie(vendors: &[Vendor], a: PatternRef, b: PatternRef, why: &str) -> Diagnostic {
    let span = |r: PatternRef| {
        let k = &vendors[r.vendor].keys[r.key];
        if r.alias == 0 {
            k.name.span()
        } else {
            k.aliases[r.alias - 1].span()
        }
    };
    let name = |r: PatternRef| {
        vendors[r.vendor].keys[r.key].patterns[r.alias]
            .as_str()
            .to_string()
    };
    let other = &vendors[a.vendor];
    let other_pos = other.diagnostic(span(a), "");
    vendors[b.vendor].diagnostic(
        span(b),
        format!(
            "`{}` ties with `{}` ({}, vendor `{}`, {}:{}:{}): {why}; neither can win, so the catalog is ambiguous",
            name(b),
            name(a),
            other.name,
            other.id,
            other_pos.file,
            other_pos.line,
            other_pos.column
        ),
    )
}

/// Vendors evidenced in an input, each with the reasons (a distinctive key, a script, a global);
/// also used, separately, for the Open Cookie Database platforms evidenced (a key, a host).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Evidence(pub BTreeMap<String, BTreeSet<String>>);

impl Evidence {
    pub fn add(&mut self, vendor: &str, reason: String) {
        self.0.entry(vendor.to_string()).or_default().insert(reason);
    }

    pub fn merge(&mut self, other: Evidence) {
        for (v, reasons) in other.0 {
            self.0.entry(v).or_default().extend(reasons);
        }
    }

    /// This evidence plus `vendor` (for tests and callers that know a vendor is there).
    pub fn with(mut self, vendor: &str) -> Evidence {
        self.add(vendor, "given".into());
        self
    }

    pub fn contains(&self, vendor: &str) -> bool {
        self.0.contains_key(vendor)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The reason a judgement names for `vendor`: the first in order, a footprint (an inference
    /// from generic keys) only when nothing else evidences the vendor.
    pub fn first_reason(&self, vendor: &str) -> Option<&String> {
        let reasons = self.0.get(vendor)?;
        reasons
            .iter()
            .find(|r| !r.starts_with("footprint "))
            .or_else(|| reasons.iter().next())
    }

    pub fn vendors(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// This evidence with, per vendor, only the reasons that appeared first (at the earliest
    /// step `steps` knows of; a reason it does not know counts as the latest): what a judgement
    /// then names as its evidence is what evidenced the vendor first.
    pub fn earliest(&self, steps: &EvidenceSteps) -> Evidence {
        let mut out = Evidence::default();
        for (vendor, reasons) in &self.0 {
            let at = |r: &String| steps.step_of(vendor, r).unwrap_or(Step::ChatMessage);
            let Some(first) = reasons.iter().map(at).min() else {
                continue;
            };
            for r in reasons.iter().filter(|r| at(r) == first) {
                out.add(vendor, r.clone());
            }
        }
        out
    }
}

/// The step at which each reason of the evidence (vendor, reason) first appeared in a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EvidenceSteps(pub BTreeMap<String, BTreeMap<String, Step>>);

impl EvidenceSteps {
    /// Records every reason of `ev` not seen before as first seen at `step`.
    pub fn record(&mut self, ev: &Evidence, step: Step) {
        for (vendor, reasons) in &ev.0 {
            let seen = self.0.entry(vendor.clone()).or_default();
            for r in reasons {
                seen.entry(r.clone()).or_insert(step);
            }
        }
    }

    /// The step at which `vendor` was first evidenced by `reason`.
    pub fn step_of(&self, vendor: &str, reason: &str) -> Option<Step> {
        self.0.get(vendor)?.get(reason).copied()
    }

    /// The reasons of `vendor` with their steps.
    pub fn of(&self, vendor: &str) -> BTreeMap<String, Step> {
        self.0.get(vendor).cloned().unwrap_or_default()
    }
}

/// What decided an attribution to a chat vendor, and at which step of the scan it appeared:
/// the key's own distinctive name, or (for a generic name, or a platform's key given to the
/// vendor built on it) the evidence of the vendor on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Decision {
    /// `key <name>` (a distinctive name), `global <path>`, `script <url>`; a platform's
    /// evidence is named with the platform (`smooch, which Web1on1 is built on: global Smooch`).
    pub evidence: String,
    /// The step at which that evidence first appeared; absent outside a scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
}

/// What a name is judged to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Attribution {
    /// Attributed to a vendor's documented key.
    Known {
        vendor: String,
        /// The documented name of the key (aliases are reported under it).
        key: String,
        /// The catalog name or alias that matched.
        matched: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        captures: BTreeMap<String, String>,
        /// `certain` for a distinctive name; `likely` for a generic one, attributed because its
        /// vendor is otherwise evidenced on the same page or in the same input.
        confidence: Certainty,
        /// For a likely attribution: what evidenced the vendor.
        #[serde(skip_serializing_if = "Option::is_none")]
        evidence: Option<String>,
        /// In a scan: which evidence decided the attribution, and the step it appeared at.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decided_by: Option<Decision>,
    },
    /// Attributed to a platform of the Open Cookie Database (not a chat vendor).
    Platform {
        /// The platform's id in `catalog/ocd.tsv` (e.g. `google-analytics`).
        platform: String,
        platform_name: String,
        /// The database's name for the key; a prefix (an OCD wildcard) ends in `*`.
        key: String,
        /// `certain` for a distinctive name; `likely` for a generic one whose platform is
        /// otherwise evidenced in the same page or input.
        confidence: Certainty,
        /// For a likely attribution: what evidenced the platform.
        #[serde(skip_serializing_if = "Option::is_none")]
        evidence: Option<String>,
    },
    /// A consent manager's own record of the visitor's choice (`[cmp.record] keys` of the CMP
    /// rules): strictly necessary, as it stores the choice itself.
    ConsentManager {
        /// The CMP's id in the consent-manager rules (`catalog/cmps.toml` or `--cmp-rules`).
        cmp: String,
        cmp_name: String,
        key: String,
        /// `certain` when the CMP was detected on the page; `likely` when only the name says so.
        confidence: Certainty,
    },
    /// No catalog match, or a generic name whose vendor is not otherwise evidenced.
    Unknown {
        /// A generic catalog entry the name would match if its vendor were evidenced.
        #[serde(skip_serializing_if = "Option::is_none")]
        candidate: Option<String>,
    },
}

/// How sure an attribution is (to a chat vendor or a platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Certainty {
    /// A distinctive name: it identifies its platform on its own.
    Certain,
    /// A generic name, attributed because its platform is otherwise evidenced.
    Likely,
}

impl Attribution {
    /// The chat vendor a key is attributed to (never an Open Cookie Database platform).
    pub fn vendor(&self) -> Option<&str> {
        match self {
            Attribution::Known { vendor, .. } => Some(vendor),
            Attribution::Platform { .. }
            | Attribution::ConsentManager { .. }
            | Attribution::Unknown { .. } => None,
        }
    }

    /// In a scan, what decided an attribution to a chat vendor, and when it appeared.
    pub fn decided_by(&self) -> Option<&Decision> {
        match self {
            Attribution::Known { decided_by, .. } => decided_by.as_ref(),
            _ => None,
        }
    }

    /// The chat vendor's catalog key.
    pub fn key(&self) -> Option<&str> {
        match self {
            Attribution::Known { key, .. } => Some(key),
            Attribution::Platform { .. }
            | Attribution::ConsentManager { .. }
            | Attribution::Unknown { .. } => None,
        }
    }

    /// How sure the attribution is; `None` for an unknown key.
    pub fn confidence(&self) -> Option<Certainty> {
        match self {
            Attribution::Known { confidence, .. }
            | Attribution::Platform { confidence, .. }
            | Attribution::ConsentManager { confidence, .. } => Some(*confidence),
            Attribution::Unknown { .. } => None,
        }
    }

    /// The Open Cookie Database platform a key is attributed to.
    pub fn platform(&self) -> Option<&str> {
        match self {
            Attribution::Platform { platform, .. } => Some(platform),
            _ => None,
        }
    }

    /// True when attributed to a chat vendor or a platform.
    pub fn is_known(&self) -> bool {
        !matches!(self, Attribution::Unknown { .. })
    }

    /// The catalog name of the key: the vendor's pattern, or the database's name (prefix with `*`).
    pub fn catalog_key(&self) -> Option<&str> {
        match self {
            Attribution::Known { key, .. }
            | Attribution::Platform { key, .. }
            | Attribution::ConsentManager { key, .. } => Some(key),
            Attribution::Unknown { .. } => None,
        }
    }
}

/// The generic-name rule: a generic key attributes only when its vendor is otherwise evidenced.
/// What evidences the owner of a generic key: its vendor's own evidence, else the evidence of the
/// platform the vendor is built on (Web1on1's `widget_*` keys beside the Smooch messenger's).
fn owner_evidence(m: &KeyMatch<'_>, evidence: &Evidence) -> Option<String> {
    if let Some(reason) = evidence.first_reason(&m.vendor.id) {
        return Some(reason.clone());
    }
    let platform = m.vendor.built_on.as_ref()?.get_ref();
    let reason = evidence.first_reason(platform)?;
    Some(format!(
        "{platform}, which {} is built on: {reason}",
        m.vendor.name
    ))
}

pub fn attribute(m: Option<KeyMatch<'_>>, evidence: &Evidence) -> Attribution {
    match m {
        None => Attribution::Unknown { candidate: None },
        Some(m)
            if m.key.strength == Strength::Generic && owner_evidence(&m, evidence).is_none() =>
        {
            Attribution::Unknown {
                candidate: Some(format!("{}: {}", m.vendor.id, m.key.name.get_ref())),
            }
        }
        Some(m) => {
            let likely = m.key.strength == Strength::Generic;
            let by = likely.then(|| owner_evidence(&m, evidence)).flatten();
            Attribution::Known {
                vendor: m.vendor.id.clone(),
                key: m.key.name.get_ref().clone(),
                matched: m.matched.to_string(),
                captures: m.captures,
                confidence: if likely {
                    Certainty::Likely
                } else {
                    Certainty::Certain
                },
                evidence: by,
                decided_by: None,
            }
        }
    }
}
