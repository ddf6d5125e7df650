//! The cookie declaration's content, shared by its Markdown and HTML renderings: per vendor, each key once.

use super::{ScanReport, catalog_name, observed_lifetime, vendor_name};
use crate::catalog::{Attribution, DeclaredDuration};
use crate::vocab::StorageKind;
use std::collections::BTreeMap;

/// One section of the declaration: a vendor, or the site's own and unattributed keys.
pub struct Section {
    /// The vendor's name; `None` for the site's own and unattributed keys (listed last).
    pub vendor: Option<String>,
    pub keys: Vec<DeclaredKey>,
}

/// One key as declared: named by its catalog pattern (e.g. `twk_uuid_{propertyId}`) when it has one.
pub struct DeclaredKey {
    pub name: String,
    pub storage: StorageKind,
    pub purpose: String,
    pub duration: String,
    pub category: String,
}

/// The declaration of the keys these reports observed: the chat vendors by name, then the
/// Open Cookie Database platforms by name, then the site's own and unattributed keys.
pub fn sections(reports: &[ScanReport]) -> Vec<Section> {
    let mut by_vendor: BTreeMap<(u8, Option<String>), Vec<DeclaredKey>> = BTreeMap::new();
    for r in reports {
        for o in &r.observations {
            let group = match &o.attribution {
                Attribution::Known { .. } => (0, vendor_name(r, o).map(str::to_string)),
                Attribution::Platform { platform_name, .. } => (1, Some(platform_name.clone())),
                Attribution::ConsentManager { cmp_name, .. } => {
                    (1, Some(format!("{cmp_name} (consent manager)")))
                }
                Attribution::Unknown { .. } => (2, None),
            };
            let name = catalog_name(o).unwrap_or_else(|| o.name.clone());
            let keys = by_vendor.entry(group).or_default();
            if keys
                .iter()
                .any(|k| k.name == name && k.storage == o.storage)
            {
                continue;
            }
            let facts = o.catalog.as_ref();
            let duration = match facts.map(|f| &f.declared_duration) {
                Some(d @ (DeclaredDuration::Session | DeclaredDuration::Period { .. })) => {
                    d.to_string()
                }
                // The catalog does not say how long (or only "persistent"): what the scan saw.
                _ => observed_lifetime(o),
            };
            keys.push(DeclaredKey {
                name,
                storage: o.storage,
                purpose: facts.map_or_else(
                    || "To be described by the site.".to_string(),
                    |f| f.purpose.clone(),
                ),
                duration,
                category: facts
                    .map_or_else(|| "unclassified".to_string(), |f| f.category.to_string()),
            });
        }
    }
    by_vendor
        .into_iter()
        .map(|((_, vendor), keys)| Section { vendor, keys })
        .collect()
}

/// The heading of a section.
pub fn heading(section: &Section) -> String {
    section
        .vendor
        .clone()
        .unwrap_or_else(|| "This site's own and other unattributed keys".to_string())
}
