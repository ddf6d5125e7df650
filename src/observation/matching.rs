//! Matching against the catalog: what it says of each key, which evidence decided an attribution, the vendors seen, refused cookies, and consent managers' own records.

use super::{Attempt, CatalogFacts, HeldIn, Observation, VendorSeen};
use crate::catalog::{
    Attribution, Catalog, Category, Decision, DeclaredDuration, Evidence, EvidenceSteps, Strength,
};
use crate::vocab::{Step, StorageKind, host_of, site_of};
use std::collections::{BTreeMap, BTreeSet};

impl CatalogFacts {
    /// What the catalog says of a judged key: the chat vendor's entry, or the database's.
    pub fn of(
        catalog: &Catalog,
        judged: &crate::catalog::Judgement<'_>,
        storage: StorageKind,
    ) -> Option<CatalogFacts> {
        if let Some(m) = &judged.vendor_key {
            return Some(CatalogFacts {
                vendor_name: m.vendor.name.clone(),
                purpose: m.key.purpose.clone(),
                category: m.key.category,
                category_assessed: m.key.category_assessed,
                declared_storage: m.key.storage,
                declared_duration: m.key.duration.clone(),
                storage_differs: m.key.storage != storage,
                source: m.key.source.get_ref().clone(),
                database: None,
                held_in: None,
                documented_origin: None,
            });
        }
        let m = judged.platform_key.as_ref()?;
        let db = &catalog.ocd.database;
        Some(CatalogFacts {
            vendor_name: m.platform.name.clone(),
            purpose: m.key.purpose(m.platform, Some(storage)),
            category: m.key.category,
            category_assessed: false,
            declared_storage: storage,
            declared_duration: m.key.duration.clone(),
            storage_differs: false,
            source: format!("ocd:{}", m.platform.id),
            database: Some(format!("{} {}", db.name, db.version())),
            held_in: None,
            documented_origin: None,
        })
    }
}

/// Which origin held a web-storage key whose catalog entry documents its origins, and which
/// documented placement that is.
pub(super) fn place(
    facts: &mut CatalogFacts,
    catalog: &Catalog,
    m: &crate::catalog::KeyMatch<'_>,
    origin: &str,
    page_site: &str,
) {
    if m.key.origin.is_empty() {
        return;
    }
    let host = host_of(origin).unwrap_or_default();
    let held = if !host.is_empty() && site_of(&host) == page_site {
        HeldIn::Site
    } else if catalog.host_of_vendor(&m.vendor.id, &host).is_some() {
        HeldIn::Vendor
    } else {
        HeldIn::Other
    };
    facts.held_in = Some(held);
    facts.documented_origin = m
        .key
        .origin
        .iter()
        .find(|o| o.held.as_str() == held.as_str())
        .map(|o| o.describe());
}

/// Which evidence decided an attribution to a chat vendor, and the step it first showed at: a
/// distinctive name of the vendor's own decides alone, from its first step; a generic name, or
/// a platform's key given to the vendor built on it, is decided by the vendor's evidence that
/// came first (a generic name of a vendor with no evidence of its own, by its platform's).
pub(super) fn decision(
    (evidence, evidence_at): (&Evidence, &EvidenceSteps),
    m: &crate::catalog::KeyMatch<'_>,
    name: &str,
    first_step: Step,
) -> Option<Decision> {
    if m.key.strength == Strength::Distinctive && m.key.platform_key.is_none() {
        return Some(Decision {
            evidence: format!("key {name}"),
            step: Some(first_step),
        });
    }
    let first = |vendor: &str| {
        // Among the earliest reasons (`evidence` keeps only those), the one the judgement
        // names.
        let reason = evidence.first_reason(vendor)?;
        Some((reason.clone(), evidence_at.step_of(vendor, reason)))
    };
    if let Some((reason, step)) = first(&m.vendor.id) {
        return Some(Decision {
            evidence: reason,
            step,
        });
    }
    let platform = m.vendor.built_on.as_ref()?.get_ref();
    let (reason, step) = first(platform)?;
    Some(Decision {
        evidence: format!("{platform}, which {} is built on: {reason}", m.vendor.name),
        step,
    })
}

/// Attributes refused cookies, step by step.
pub fn attempts(
    catalog: &Catalog,
    steps: &[crate::scan::StepRecord],
    evidence: &Evidence,
) -> Vec<Attempt> {
    steps
        .iter()
        .flat_map(|s| {
            s.blocked_cookies.iter().map(move |b| Attempt {
                step: s.step,
                cookie: b.clone(),
                attribution: catalog.attribute(&b.name, evidence),
            })
        })
        .collect()
}

/// The vendors evidenced on the page, with the ids their keys carry and when each reason of
/// their evidence first showed.
pub fn vendors_seen(
    catalog: &Catalog,
    evidence: &Evidence,
    evidence_at: &EvidenceSteps,
    observations: &[Observation],
) -> Vec<VendorSeen> {
    evidence
        .0
        .iter()
        .map(|(id, reasons)| {
            let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for o in observations {
                if let crate::catalog::Attribution::Known {
                    vendor, captures, ..
                } = &o.attribution
                    && vendor == id
                {
                    for (k, v) in captures {
                        ids.entry(k.clone()).or_default().insert(v.clone());
                    }
                }
            }
            let at = evidence_at.of(id);
            let vendor = catalog.vendor(id);
            VendorSeen {
                id: id.clone(),
                name: vendor.map_or_else(|| id.clone(), |v| v.name.clone()),
                evidence: reasons.clone(),
                evidence_at: reasons
                    .iter()
                    .filter_map(|r| at.get(r).map(|s| (r.clone(), *s)))
                    .collect(),
                product_of: vendor
                    .and_then(|v| v.product_of.as_ref())
                    .map(|p| p.get_ref().clone()),
                ids,
            }
        })
        .collect()
}

/// Attributes the keys that are a consent manager's own record of the visitor's choice to
/// that CMP, as strictly necessary: they store the choice itself. Only keys no catalog
/// explains. A record is known two ways: the `[cmp.record] keys` of the CMP rules (certain for
/// a CMP the scan detected, likely for any other's name), and the keys the consent step saw
/// the answer itself write whose names speak of consent (`record_keys`: likely, the banner's
/// or the answering CMP's).
pub fn consent_records(
    observations: &mut [Observation],
    rules: &crate::catalog::cmp::CmpRules,
    records: &[&crate::consent::ConsentRecord],
) {
    let detected: Vec<String> = records
        .iter()
        .flat_map(|r| r.detected.iter().cloned())
        .collect();
    for o in observations.iter_mut() {
        if o.attribution.is_known() {
            continue;
        }
        let holds = |c: &&crate::catalog::cmp::Cmp| {
            c.record
                .as_ref()
                .is_some_and(|r| r.keys.iter().any(|k| k == &o.name))
        };
        // Two CMPs may use one name (cookieconsent 2 and 3: cc_cookie): the detected one first.
        let by_rule = rules
            .cmps()
            .iter()
            .filter(|c| detected.contains(&c.id))
            .find(holds)
            .or_else(|| rules.cmps().iter().find(holds));
        let (id, name, certain, file) = match by_rule {
            Some(cmp) => (
                cmp.id.clone(),
                cmp.name.clone(),
                detected.contains(&cmp.id),
                format!("consent-manager rules ({})", cmp.file),
            ),
            None => {
                // Written or rewritten by the answer (a record a banner keeps from the load on,
                // saying "not answered yet", gets the answer at the click).
                let written = records.iter().find(|r| {
                    r.record_keys
                        .iter()
                        .any(|k| k.name == o.name && k.storage == o.storage)
                });
                let Some(r) = written else { continue };
                let (id, name) = match r.cmp.as_ref().and_then(|id| rules.get(id)) {
                    Some(cmp) => (cmp.id.clone(), cmp.name.clone()),
                    None => (
                        BANNER_ID.to_string(),
                        "the site's own cookie banner".to_string(),
                    ),
                };
                (
                    id,
                    name,
                    false,
                    "first written by the answer to the banner, its name speaking of consent"
                        .into(),
                )
            }
        };
        o.attribution = Attribution::ConsentManager {
            cmp: id.clone(),
            cmp_name: name.clone(),
            key: o.name.clone(),
            confidence: if certain {
                crate::catalog::Certainty::Certain
            } else {
                crate::catalog::Certainty::Likely
            },
        };
        o.catalog = Some(CatalogFacts {
            vendor_name: name,
            purpose: "The consent manager's own record of the visitor's choice.".into(),
            category: Category::StrictlyNecessary,
            category_assessed: true,
            declared_storage: o.storage,
            declared_duration: DeclaredDuration::Unspecified,
            storage_differs: false,
            source: format!("cmp:{id}"),
            database: Some(file),
            held_in: None,
            documented_origin: None,
        });
    }
}

/// The id a banner answered by sight (no CMP rule) is recorded under.
pub const BANNER_ID: &str = "site-banner";
