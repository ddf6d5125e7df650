//! Observations: each key's life across the snapshots (first step, changes, removal), matched against the catalog.

use crate::browser::watch::BlockedCookie;
use crate::catalog::{Attribution, Catalog, Category, DeclaredDuration, Evidence};
use crate::snapshot::{CookieRecord, Snapshot, StorageRecord};
use crate::vocab::{Party, Step, StorageKind, host_of, site_of};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A value as evidence: its length and a short hash (enough to see it change); the value only when asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ValueEvidence {
    pub length: usize,
    /// First 8 hex digits of the value's SHA-256.
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl ValueEvidence {
    pub fn of(value: &str, show: bool) -> Self {
        let digest = Sha256::digest(value.as_bytes());
        ValueEvidence {
            length: value.len(),
            sha256: digest.iter().take(4).map(|b| format!("{b:02x}")).collect(),
            value: show.then(|| value.to_string()),
        }
    }
}

/// Cookie attributes as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CookieAttributes {
    pub domain: String,
    pub path: String,
    /// `None` for a session cookie.
    pub expires: Option<f64>,
    /// Seconds from the snapshot to the expiry; `None` for a session cookie.
    pub lifetime_seconds: Option<i64>,
    pub size: u64,
    pub http_only: bool,
    pub secure: bool,
    pub same_site: Option<String>,
    pub partition_key: Option<String>,
}

/// A change seen at a later step.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Change {
    pub step: Step,
    /// `value`, an attribute name, `removed` or `reappeared`.
    pub what: Vec<String>,
}

/// What the catalog says of a matched key.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CatalogFacts {
    pub vendor_name: String,
    pub purpose: String,
    pub category: Category,
    pub category_assessed: bool,
    pub declared_storage: StorageKind,
    pub declared_duration: DeclaredDuration,
    /// True when found in another storage than the vendor declares.
    pub storage_differs: bool,
    pub source: String,
    /// For a key known from a third-party database rather than a chat vendor's catalog: the
    /// database and its version (`Open Cookie Database 2026-01-21 (0ee5a17)`). `vendor_name` is
    /// then the database's platform, and `declared_storage` the observed storage (the database
    /// does not record one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

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
        })
    }
}

/// One key (cookie or storage item) across the scan.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Observation {
    pub storage: StorageKind,
    pub name: String,
    /// Cookie: domain and path. Storage: the origin it belongs to.
    pub location: String,
    pub party: Party,
    /// Storage only: the storage partition (origin, plus top-level site when partitioned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_key: Option<String>,
    /// Storage only: the frame the storage was read through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_url: Option<String>,
    pub first_step: Step,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<Step>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie: Option<CookieAttributes>,
    pub value: ValueEvidence,
    /// Top-level names of a JSON object value (names only), e.g. JivoChat's client store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json_fields: Vec<String>,
    pub attribution: Attribution,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogFacts>,
    /// The raw value as last seen, for checks (never serialized: `value` carries what may be shown).
    #[serde(skip)]
    pub raw_value: String,
}

/// A cookie the browser refused, at the step it was tried.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Attempt {
    pub step: Step,
    #[serde(flatten)]
    pub cookie: BlockedCookie,
    pub attribution: Attribution,
}

/// One key's state in one snapshot.
#[derive(Clone, PartialEq)]
enum State<'a> {
    Cookie(&'a CookieRecord),
    Item(&'a StorageRecord),
}

impl State<'_> {
    fn value(&self) -> &str {
        match self {
            State::Cookie(c) => &c.value,
            State::Item(s) => &s.value,
        }
    }

    /// Names of the attributes that differ (value excluded).
    fn attribute_changes(&self, other: &State<'_>) -> Vec<String> {
        let (State::Cookie(a), State::Cookie(b)) = (self, other) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if a.expires.is_some() != b.expires.is_some()
            || matches!((a.expires, b.expires), (Some(x), Some(y)) if (x - y).abs() > 5.0)
        {
            out.push("expires".into());
        }
        if a.http_only != b.http_only {
            out.push("http_only".into());
        }
        if a.secure != b.secure {
            out.push("secure".into());
        }
        if a.same_site != b.same_site {
            out.push("same_site".into());
        }
        out
    }
}

/// Builds the observations of a scan: one per key, in order of first appearance.
pub fn build(
    catalog: &Catalog,
    snapshots: &[Snapshot],
    detected: &Evidence,
    page_url: &str,
    show_values: bool,
) -> (Vec<Observation>, Evidence) {
    let page_site = host_of(page_url).map(|h| site_of(&h)).unwrap_or_default();
    let mut order: Vec<KeyId> = Vec::new();
    let mut timeline: BTreeMap<KeyId, Vec<Seen<'_>>> = BTreeMap::new();
    for snap in snapshots {
        for c in &snap.cookies {
            let id = (
                StorageKind::Cookie,
                c.name.clone(),
                format!(
                    "{}{}|{}",
                    c.domain,
                    c.path,
                    c.partition_key.as_deref().unwrap_or("")
                ),
            );
            push(
                &mut order,
                &mut timeline,
                id,
                (snap.step, snap.taken_at, State::Cookie(c)),
            );
        }
        for s in &snap.storage {
            let id = (s.kind, s.name.clone(), s.storage_key.clone());
            push(
                &mut order,
                &mut timeline,
                id,
                (snap.step, snap.taken_at, State::Item(s)),
            );
        }
    }
    let mut evidence = detected.clone();
    evidence.merge(catalog.evidence_from_names(order.iter().map(|(_, n, _)| n.as_str())));
    catalog.settle(&mut evidence);
    // Open Cookie Database platforms: by their distinctive keys, and by the hosts the page
    // touched (itself, cookie domains, storage origins, frames).
    let hosts = std::iter::once(page_url).chain(snapshots.iter().flat_map(|s| {
        s.cookies
            .iter()
            .map(|c| c.domain.as_str())
            .chain(s.storage.iter().map(|i| i.origin.as_str()))
            .chain(s.frames.iter().map(|f| f.url.as_str()))
    }));
    let platforms = catalog.platform_evidence(order.iter().map(|(_, n, _)| n.as_str()), hosts);
    let steps: Vec<Step> = snapshots.iter().map(|s| s.step).collect();
    let observations = order
        .iter()
        .map(|id| {
            let seen = &timeline[id];
            observe(
                catalog,
                &evidence,
                &platforms,
                &page_site,
                &steps,
                seen,
                id.0,
                &id.1,
                show_values,
            )
        })
        .collect();
    (observations, evidence)
}

/// Identity of a key: storage kind, name and where it lives.
type KeyId = (StorageKind, String, String);

/// A key as seen in one snapshot: the step, the snapshot's time, its state.
type Seen<'a> = (Step, f64, State<'a>);

fn push<'a>(
    order: &mut Vec<KeyId>,
    timeline: &mut BTreeMap<KeyId, Vec<Seen<'a>>>,
    id: KeyId,
    seen: Seen<'a>,
) {
    let entry = timeline.entry(id.clone()).or_default();
    if entry.is_empty() {
        order.push(id);
    }
    entry.push(seen);
}

#[allow(clippy::too_many_arguments)]
fn observe(
    catalog: &Catalog,
    evidence: &Evidence,
    platforms: &Evidence,
    page_site: &str,
    steps: &[Step],
    seen: &[Seen<'_>],
    storage: StorageKind,
    name: &str,
    show_values: bool,
) -> Observation {
    let (first_step, _, first) = &seen[0];
    let (_, last_taken, last) = seen.last().expect("an observation is seen at least once");
    // Walk the snapshots in order, noting changes, removals and reappearances.
    let mut changes = Vec::new();
    let mut prev: Option<&State<'_>> = Some(first);
    let mut removed_at = None;
    for step in steps.iter().skip_while(|s| *s != first_step).skip(1) {
        match seen.iter().find(|(s, _, _)| s == step) {
            Some((_, _, now)) => {
                let mut what = Vec::new();
                match prev {
                    None => what.push("reappeared".to_string()),
                    Some(p) => {
                        if p.value() != now.value() {
                            what.push("value".into());
                        }
                        what.extend(p.attribute_changes(now));
                    }
                }
                if !what.is_empty() {
                    changes.push(Change { step: *step, what });
                }
                removed_at = None;
                prev = Some(now);
            }
            None if prev.is_some() => {
                changes.push(Change {
                    step: *step,
                    what: vec!["removed".into()],
                });
                removed_at = Some(*step);
                prev = None;
            }
            None => {}
        }
    }
    let judged = catalog.judge(name, evidence, platforms);
    let facts = CatalogFacts::of(catalog, &judged, storage);
    let attribution = judged.attribution;
    let raw_value = last.value().to_string();
    let json_fields = json_object_keys(&raw_value);
    let (location, party, storage_key, frame_url, cookie) = match last {
        State::Cookie(c) => {
            let party = if site_of(&c.domain) == page_site {
                Party::FirstParty
            } else {
                Party::ThirdParty
            };
            let attrs = CookieAttributes {
                domain: c.domain.clone(),
                path: c.path.clone(),
                expires: c.expires,
                lifetime_seconds: c.expires.map(|e| (e - last_taken).round() as i64),
                size: c.size,
                http_only: c.http_only,
                secure: c.secure,
                same_site: c.same_site.clone(),
                partition_key: c.partition_key.clone(),
            };
            (
                format!("{}{}", c.domain, c.path),
                party,
                None,
                None,
                Some(attrs),
            )
        }
        State::Item(s) => {
            let site = host_of(&s.origin).map(|h| site_of(&h)).unwrap_or_default();
            let party = if site == page_site {
                Party::FirstParty
            } else {
                Party::ThirdParty
            };
            (
                s.origin.clone(),
                party,
                Some(s.storage_key.clone()),
                Some(s.frame_url.clone()),
                None,
            )
        }
    };
    Observation {
        storage,
        name: name.to_string(),
        location,
        party,
        storage_key,
        frame_url,
        first_step: *first_step,
        removed_at,
        changes,
        cookie,
        value: ValueEvidence::of(&raw_value, show_values),
        json_fields,
        attribution,
        catalog: facts,
        raw_value,
    }
}

/// The top-level keys of a JSON object value, names only, at most 64.
fn json_object_keys(value: &str) -> Vec<String> {
    let v = value.trim_start();
    if !v.starts_with('{') {
        return Vec::new();
    }
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(value) {
        Ok(m) => m.keys().take(64).cloned().collect(),
        Err(_) => Vec::new(),
    }
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

/// A vendor found on the page, how it was evidenced, and the ids its keys carry.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct VendorSeen {
    pub id: String,
    pub name: String,
    pub evidence: BTreeSet<String>,
    /// Placeholder values captured from key names, e.g. `propertyId` → the tawk.to property.
    pub ids: BTreeMap<String, BTreeSet<String>>,
}

/// The vendors evidenced on the page, with the ids their keys carry.
pub fn vendors_seen(
    catalog: &Catalog,
    evidence: &Evidence,
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
            VendorSeen {
                id: id.clone(),
                name: catalog
                    .vendor(id)
                    .map_or_else(|| id.clone(), |v| v.name.clone()),
                evidence: reasons.clone(),
                ids,
            }
        })
        .collect()
}

/// Attributes the keys that are a consent manager's own record of the visitor's choice (the
/// `[cmp.record] keys` of the CMP rules) to that CMP, as strictly necessary: they store the
/// choice itself. Only keys no catalog explains; `detected` are the CMPs the scan detected
/// (certain), any other CMP's record name is likely.
pub fn consent_records(
    observations: &mut [Observation],
    rules: &crate::catalog::cmp::CmpRules,
    detected: &[String],
) {
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
        let found = rules
            .cmps()
            .iter()
            .filter(|c| detected.contains(&c.id))
            .find(holds)
            .or_else(|| rules.cmps().iter().find(holds));
        let Some(cmp) = found else { continue };
        let certain = detected.contains(&cmp.id);
        o.attribution = Attribution::ConsentManager {
            cmp: cmp.id.clone(),
            cmp_name: cmp.name.clone(),
            key: o.name.clone(),
            confidence: if certain {
                crate::catalog::Certainty::Certain
            } else {
                crate::catalog::Certainty::Likely
            },
        };
        o.catalog = Some(CatalogFacts {
            vendor_name: cmp.name.clone(),
            purpose: "The consent manager's own record of the visitor's choice.".into(),
            category: Category::StrictlyNecessary,
            category_assessed: true,
            declared_storage: o.storage,
            declared_duration: DeclaredDuration::Unspecified,
            storage_differs: false,
            source: format!("cmp:{}", cmp.id),
            database: Some(format!("consent-manager rules ({})", cmp.file)),
        });
    }
}
