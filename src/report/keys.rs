//! What readers are told of each key: its owner and catalog name, its lifetime and value as evidence, and the keys grouped by who they belong to.

use super::model::ScanReport;
use crate::observation::{Observation, VendorSeen};
use crate::vocab::human_lifetime;
use std::collections::BTreeMap;

/// How long a key lived as observed: a cookie's remaining lifetime, or what its storage implies.
pub fn observed_lifetime(o: &Observation) -> String {
    match (&o.cookie, o.storage) {
        (Some(c), _) => c
            .lifetime_seconds
            .map_or_else(|| "session".to_string(), human_lifetime),
        (None, crate::vocab::StorageKind::SessionStorage) => "session (tab)".into(),
        (None, _) => "persistent (until cleared)".into(),
    }
}

/// The vendor a key is attributed to, by name, or `None` when unattributed.
pub fn vendor_name<'r>(r: &'r ScanReport, o: &'r Observation) -> Option<&'r str> {
    let id = o.attribution.vendor()?;
    Some(
        o.catalog
            .as_ref()
            .map(|c| c.vendor_name.as_str())
            .or_else(|| {
                r.vendors
                    .iter()
                    .find(|v| v.id == id)
                    .map(|v| v.name.as_str())
            })
            .unwrap_or(id),
    )
}

/// Who a key is attributed to, by name: its chat vendor, or its Open Cookie Database platform
/// (with "(likely)" for a generic name attributed on the platform's other evidence).
pub fn owner_name(r: &ScanReport, o: &Observation) -> Option<String> {
    match &o.attribution {
        crate::catalog::Attribution::Platform {
            platform_name,
            confidence,
            ..
        } => Some(match confidence {
            crate::catalog::Certainty::Certain => platform_name.clone(),
            crate::catalog::Certainty::Likely => format!("{platform_name} (likely)"),
        }),
        crate::catalog::Attribution::ConsentManager { cmp_name, .. } => {
            Some(format!("{cmp_name} (consent manager)"))
        }
        a => vendor_name(r, o).map(|n| match a.confidence() {
            Some(crate::catalog::Certainty::Likely) => format!("{n} (likely)"),
            _ => n.to_string(),
        }),
    }
}

/// The catalog's name for an observed key, to declare it by: the chat vendor's pattern
/// (`twk_uuid_{propertyId}`), or the Open Cookie Database's name (`_ga_*` for a prefix; the
/// observed name itself when it is the prefix). `None` for an unattributed key.
pub fn catalog_name(o: &Observation) -> Option<String> {
    match &o.attribution {
        crate::catalog::Attribution::Platform { key, .. } => Some(match key.strip_suffix('*') {
            Some(prefix) if prefix == o.name => o.name.clone(),
            _ => key.clone(),
        }),
        a => a.catalog_key().map(str::to_string),
    }
}

/// A group of a report's keys: one chat vendor's, one platform's, or the unattributed ones.
pub struct KeyGroup<'r> {
    /// The chat vendor seen on the page, for a vendor group.
    pub vendor: Option<&'r VendorSeen>,
    /// `(platform id, platform name)`, for an Open Cookie Database platform group.
    pub platform: Option<(&'r str, &'r str)>,
    pub keys: Vec<&'r Observation>,
}

impl KeyGroup<'_> {
    /// True for the group of keys attributed to nothing.
    pub fn is_unattributed(&self) -> bool {
        self.vendor.is_none() && self.platform.is_none()
    }
}

/// The report's keys grouped by who they belong to: the chat vendors first (in the report's
/// order, even without keys, since they were seen), then the platforms by name, then the
/// unattributed keys (when there are any). Within a group, keys keep their order of appearance.
pub fn key_groups(r: &ScanReport) -> Vec<KeyGroup<'_>> {
    use crate::catalog::Attribution;
    let mut groups: Vec<KeyGroup<'_>> = r
        .vendors
        .iter()
        .map(|v| KeyGroup {
            vendor: Some(v),
            platform: None,
            keys: r
                .observations
                .iter()
                .filter(|o| o.attribution.vendor() == Some(v.id.as_str()))
                .collect(),
        })
        .collect();
    let mut platforms: BTreeMap<(String, &str), (&str, Vec<&Observation>)> = BTreeMap::new();
    let mut unattributed = Vec::new();
    for o in &r.observations {
        match &o.attribution {
            Attribution::Platform {
                platform,
                platform_name,
                ..
            } => {
                platforms
                    .entry((platform_name.to_lowercase(), platform.as_str()))
                    .or_insert((platform_name.as_str(), Vec::new()))
                    .1
                    .push(o);
            }
            Attribution::ConsentManager { cmp, cmp_name, .. } => {
                platforms
                    .entry((cmp_name.to_lowercase(), cmp.as_str()))
                    .or_insert((cmp_name.as_str(), Vec::new()))
                    .1
                    .push(o);
            }
            // Listed under their vendor (every attributed vendor is among those seen).
            Attribution::Known { .. } => {}
            Attribution::Unknown { .. } => unattributed.push(o),
        }
    }
    for ((_, id), (name, keys)) in platforms {
        groups.push(KeyGroup {
            vendor: None,
            platform: Some((id, name)),
            keys,
        });
    }
    if !unattributed.is_empty() {
        groups.push(KeyGroup {
            vendor: None,
            platform: None,
            keys: unattributed,
        });
    }
    groups
}

/// The value as evidence in one line: length and short hash, and the value when shown.
pub fn value_evidence(o: &Observation) -> String {
    let mut s = format!("{} B #{}", o.value.length, o.value.sha256);
    if let Some(v) = &o.value.value {
        s.push_str(&format!(" = {v}"));
    }
    s
}
