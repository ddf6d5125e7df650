//! Observations: each key's life across the snapshots (first step, changes, removal), matched against the catalog.

use crate::browser::watch::BlockedCookie;
use crate::catalog::{Attribution, Category, DeclaredDuration};
use crate::vocab::{Party, Step, StorageKind};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

mod build;
mod life;
mod matching;

pub use build::{Built, build};
pub use matching::{BANNER_ID, attempts, consent_records, vendors_seen};

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

/// Whether two journey pages are the same one, a page left empty (not recorded: a one-page scan,
/// or a report from before journeys) matching any: how a key's first page or a change's page is
/// matched with a step record's or a host's.
pub fn same_page(a: &str, b: &str) -> bool {
    a.is_empty() || b.is_empty() || a == b
}
