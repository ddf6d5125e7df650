//! Observations: each key's life across the snapshots (first step, changes, removal), matched against the catalog.

use crate::browser::watch::BlockedCookie;
use crate::catalog::{
    Attribution, Catalog, Category, Decision, DeclaredDuration, Evidence, EvidenceSteps, Strength,
};
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
    /// The journey's page of that step (see `StepRecord::page`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page: String,
    pub what: Vec<Altered>,
}

impl Change {
    /// What changed, as words joined by `sep`.
    pub fn described(&self, sep: &str) -> String {
        let words: Vec<&str> = self.what.iter().map(|a| a.as_str()).collect();
        words.join(sep)
    }
}

crate::vocab::named! {
    /// What changed about a key from one step to the next.
    pub enum Altered: "change", as_str {
        /// Its value.
        Value = "value",
        /// A cookie's expiry (by more than 5 s), or whether it has one.
        Expires = "expires",
        HttpOnly = "http_only",
        Secure = "secure",
        SameSite = "same_site",
        /// It was gone at this step.
        Removed = "removed",
        /// It was back at this step, after being gone.
        Reappeared = "reappeared",
    }
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
    /// Web storage whose catalog entry documents the origins that hold it (`origin`): which
    /// origin held it here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_in: Option<HeldIn>,
    /// The documented placement the observed one matches (`vendor (since 2025-01-27)`); absent
    /// when it matches none of them (or none is documented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documented_origin: Option<String>,
}

/// Which origin held a web-storage key: the page's own, a frame of the vendor's hosts, another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeldIn {
    Site,
    Vendor,
    Other,
}

impl HeldIn {
    pub fn as_str(self) -> &'static str {
        match self {
            HeldIn::Site => "site",
            HeldIn::Vendor => "vendor",
            HeldIn::Other => "other",
        }
    }
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
    /// The journey's page where it was first seen (see `StepRecord::page`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub first_page: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<Step>,
    /// The page of `removed_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_page: Option<String>,
    /// Storage only: the last snapshot could not read its partition (no frame of its origin was
    /// on that page): not seen removed, only not seen.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub out_of_sight: bool,
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
    fn attribute_changes(&self, other: &State<'_>) -> Vec<Altered> {
        let (State::Cookie(a), State::Cookie(b)) = (self, other) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if a.expires.is_some() != b.expires.is_some()
            || matches!((a.expires, b.expires), (Some(x), Some(y)) if (x - y).abs() > 5.0)
        {
            out.push(Altered::Expires);
        }
        if a.http_only != b.http_only {
            out.push(Altered::HttpOnly);
        }
        if a.secure != b.secure {
            out.push(Altered::Secure);
        }
        if a.same_site != b.same_site {
            out.push(Altered::SameSite);
        }
        out
    }
}

/// The observations of a scan, and what evidenced its vendors: every vendor and reason, and the
/// step at which each reason first showed.
pub struct Built {
    pub observations: Vec<Observation>,
    pub evidence: Evidence,
    pub evidence_at: EvidenceSteps,
}

/// Builds the observations of a scan: one per key, in order of first appearance. `detected` is
/// what the scan saw of the vendors (globals, scripts, keys), `detected_at` when each of it
/// first showed; each attribution to a chat vendor says which evidence decided it, and when.
pub fn build(
    catalog: &Catalog,
    snapshots: &[Snapshot],
    (detected, detected_at): (&Evidence, &EvidenceSteps),
    page_url: &str,
    show_values: bool,
) -> Built {
    let page_site = host_of(page_url).map(|h| site_of(&h)).unwrap_or_default();
    let mut order: Vec<KeyId> = Vec::new();
    let mut timeline: BTreeMap<KeyId, Vec<Seen<'_>>> = BTreeMap::new();
    for (n, snap) in snapshots.iter().enumerate() {
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
                (n, snap.taken_at, State::Cookie(c)),
            );
        }
        for s in &snap.storage {
            let id = (s.kind, s.name.clone(), s.storage_key.clone());
            push(
                &mut order,
                &mut timeline,
                id,
                (n, snap.taken_at, State::Item(s)),
            );
        }
    }
    let mut evidence = detected.clone();
    let mut evidence_at = detected_at.clone();
    // A distinctive key evidences its vendor from the step it first showed at.
    for id in &order {
        let names = catalog.evidence_from_names([id.1.as_str()]);
        evidence_at.record(&names, snapshots[timeline[id][0].0].step);
        evidence.merge(names);
    }
    // A vendor's own generic keys beside its platform's: its footprint, from the first step at
    // which it was complete (two own keys and the platform's evidence, all shown by then).
    for step in Step::ALL {
        let names = order
            .iter()
            .filter(|id| snapshots[timeline[*id][0].0].step <= step)
            .map(|id| id.1.as_str());
        let mut upto = Evidence::default();
        for (vendor, reasons) in &evidence.0 {
            for r in reasons {
                if evidence_at.step_of(vendor, r).is_some_and(|at| at <= step) {
                    upto.add(vendor, r.clone());
                }
            }
        }
        let mut found = catalog.evidence_from_footprint(names, &upto);
        found.0.retain(|vendor, reasons| {
            !evidence
                .0
                .get(vendor)
                .is_some_and(|have| have.iter().any(|r| r.starts_with("footprint ")))
                && !reasons.is_empty()
        });
        if !found.is_empty() {
            evidence_at.record(&found, step);
            evidence.merge(found);
        }
    }
    catalog.settle(&mut evidence);
    // Judged on the reasons that came first: what a likely attribution names as its evidence is
    // what evidenced the vendor earliest.
    let judging = evidence.earliest(&evidence_at);
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
    let cx = Context {
        catalog,
        evidence: &judging,
        evidence_at: &evidence_at,
        platforms: &platforms,
        page_site: &page_site,
        snapshots,
        show_values,
    };
    let observations = order
        .iter()
        .map(|id| observe(&cx, &timeline[id], id))
        .collect();
    Built {
        observations,
        evidence,
        evidence_at,
    }
}

/// What every observation of one scan is judged with.
struct Context<'a> {
    catalog: &'a Catalog,
    /// The vendors evidenced, each with the reasons that came first.
    evidence: &'a Evidence,
    evidence_at: &'a EvidenceSteps,
    platforms: &'a Evidence,
    page_site: &'a str,
    snapshots: &'a [Snapshot],
    show_values: bool,
}

/// Identity of a key: storage kind, name and where it lives.
type KeyId = (StorageKind, String, String);

/// A key as seen in one snapshot: the snapshot's index, its time, the key's state.
type Seen<'a> = (usize, f64, State<'a>);

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

fn observe(cx: &Context<'_>, seen: &[Seen<'_>], id: &KeyId) -> Observation {
    let (storage, name) = (id.0, id.1.as_str());
    let (catalog, page_site, snapshots, show_values) =
        (cx.catalog, cx.page_site, cx.snapshots, cx.show_values);
    let (first_at, _, first) = &seen[0];
    let first_step = snapshots[*first_at].step;
    let (_, last_taken, last) = seen.last().expect("an observation is seen at least once");
    // Walk the snapshots in order, noting changes, removals and reappearances. A storage item
    // whose partition a snapshot did not read (its frame not on that page) was out of sight
    // there, not gone.
    let mut changes = Vec::new();
    let mut prev: Option<&State<'_>> = Some(first);
    let mut removed = None;
    for (n, snap) in snapshots.iter().enumerate().skip(first_at + 1) {
        if storage != StorageKind::Cookie && !snap.saw_partition(&id.2) {
            continue;
        }
        let page = snap.page.clone();
        // The return visit is a new tab: the closed tab's sessionStorage is gone, so what shows
        // there was written anew.
        if snap.step == Step::Revisit && storage == StorageKind::SessionStorage {
            prev = None;
            if removed.is_none() && !seen.iter().any(|(at, _, _)| *at == n) {
                changes.push(Change {
                    step: snap.step,
                    page: page.clone(),
                    what: vec![Altered::Removed],
                });
                removed = Some((snap.step, page));
                continue;
            }
        }
        match seen.iter().find(|(at, _, _)| *at == n) {
            Some((_, _, now)) => {
                let mut what = Vec::new();
                match prev {
                    None => what.push(Altered::Reappeared),
                    Some(p) => {
                        if p.value() != now.value() {
                            what.push(Altered::Value);
                        }
                        what.extend(p.attribute_changes(now));
                    }
                }
                if !what.is_empty() {
                    changes.push(Change {
                        step: snap.step,
                        page,
                        what,
                    });
                }
                removed = None;
                prev = Some(now);
            }
            None if prev.is_some() => {
                changes.push(Change {
                    step: snap.step,
                    page: page.clone(),
                    what: vec![Altered::Removed],
                });
                removed = Some((snap.step, page));
                prev = None;
            }
            None => {}
        }
    }
    let judged = catalog.judge(name, cx.evidence, cx.platforms);
    let mut facts = CatalogFacts::of(catalog, &judged, storage);
    if let (Some(f), Some(m), State::Item(item)) = (&mut facts, &judged.vendor_key, last) {
        place(f, catalog, m, &item.origin, page_site);
    }
    let mut attribution = judged.attribution;
    if let (Attribution::Known { decided_by, .. }, Some(m)) = (&mut attribution, &judged.vendor_key)
    {
        *decided_by = decision(cx, m, name, first_step);
    }
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
        first_step,
        first_page: snapshots[*first_at].page.clone(),
        removed_at: removed.as_ref().map(|(step, _)| *step),
        removed_page: removed.map(|(_, page)| page).filter(|p| !p.is_empty()),
        out_of_sight: storage != StorageKind::Cookie
            && snapshots.last().is_some_and(|s| !s.saw_partition(&id.2)),
        changes,
        cookie,
        value: ValueEvidence::of(&raw_value, show_values),
        json_fields,
        attribution,
        catalog: facts,
        raw_value,
    }
}

/// Which origin held a web-storage key whose catalog entry documents its origins, and which
/// documented placement that is.
fn place(
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
fn decision(
    cx: &Context<'_>,
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
        // Among the earliest reasons (`cx.evidence` keeps only those), the one the judgement
        // names.
        let reason = cx.evidence.first_reason(vendor)?;
        Some((reason.clone(), cx.evidence_at.step_of(vendor, reason)))
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
    /// In a scan: the step at which each reason of `evidence` first showed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence_at: BTreeMap<String, Step>,
    /// The vendor this is a product of (`product_of` in the catalog), when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_of: Option<String>,
    /// Placeholder values captured from key names, e.g. `propertyId` → the tawk.to property.
    pub ids: BTreeMap<String, BTreeSet<String>>,
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

impl VendorSeen {
    /// The vendor's own code on the page (a global or a script, not a stored key or a footprint
    /// of keys) that showed first, and the step it showed at.
    pub fn first_shown(&self) -> Option<(&str, Step)> {
        self.evidence_at
            .iter()
            .filter(|(r, _)| !r.starts_with("key ") && !r.starts_with("footprint "))
            .min_by_key(|(_, s)| **s)
            .map(|(r, s)| (r.as_str(), *s))
    }
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
