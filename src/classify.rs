//! Offline classification: a capture's key names matched against the catalog, without a browser.

use crate::capture::{Capture, CaptureFormat};
use crate::catalog::{Attribution, Catalog, Category, Evidence};
use crate::vocab::StorageKind;
use serde::Serialize;

/// One classified key.
#[derive(Debug, Clone, Serialize)]
pub struct Classified {
    pub name: String,
    pub storage: Option<StorageKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Where in the input it came from.
    pub origin: String,
    pub attribution: Attribution,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The storage the vendor declares, when it differs from the capture's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_storage: Option<StorageKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The classification of a whole capture.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    pub format: CaptureFormat,
    pub catalog_version: String,
    /// Vendors evidenced in the input (distinctive keys; scripts in a HAR).
    pub evidence: Evidence,
    /// Open Cookie Database platforms evidenced in the input (distinctive keys; cookie domains
    /// and request hosts): what a generic name's `likely` attribution rests on.
    #[serde(skip_serializing_if = "Evidence::is_empty")]
    pub platform_evidence: Evidence,
    /// The third-party database the catalog embeds, with its version and licence.
    pub cookie_database: crate::catalog::DatabaseRef,
    pub keys: Vec<Classified>,
}

/// Attributes every key of `capture`, applying the generic-name rule over the whole input.
pub fn classify(catalog: &Catalog, capture: Capture, show_values: bool) -> Classification {
    let mut evidence = catalog.evidence_from_names(capture.keys.iter().map(|k| k.name.as_str()));
    evidence.merge(catalog.evidence_from_scripts(capture.evidence_urls.iter().map(String::as_str)));
    catalog.settle(&mut evidence);
    let platform_evidence = catalog.platform_evidence(
        capture.keys.iter().map(|k| k.name.as_str()),
        capture
            .keys
            .iter()
            .filter_map(|k| k.domain.as_deref())
            .chain(capture.evidence_urls.iter().map(String::as_str)),
    );
    let keys = capture
        .keys
        .into_iter()
        .map(|k| {
            let judged = catalog.judge(&k.name, &evidence, &platform_evidence);
            let entry = judged.vendor_key.as_ref();
            let platform = judged.platform_key.as_ref();
            Classified {
                category: entry
                    .map(|m| m.key.category)
                    .or(platform.map(|m| m.key.category)),
                purpose: entry
                    .map(|m| m.key.purpose.clone())
                    .or(platform.map(|m| m.key.purpose(m.platform, k.storage))),
                declared_storage: entry
                    .map(|m| m.key.storage)
                    .filter(|declared| k.storage.is_some_and(|s| s != *declared)),
                attribution: judged.attribution,
                name: k.name,
                storage: k.storage,
                domain: k.domain,
                origin: k.origin,
                value: if show_values { k.value } else { None },
            }
        })
        .collect();
    Classification {
        format: capture.format,
        catalog_version: catalog.version.clone(),
        evidence,
        platform_evidence,
        cookie_database: catalog.ocd.database.clone(),
        keys,
    }
}

/// Renders a classification as a terminal table.
pub fn render_table(c: &Classification, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use crate::vocab::terminal_safe;
    use tabled::{Table, Tabled, settings::Style};
    #[derive(Tabled)]
    struct Row {
        name: String,
        storage: String,
        #[tabled(rename = "vendor / platform")]
        vendor: String,
        key: String,
        ids: String,
        category: String,
    }
    writeln!(
        out,
        "input: {:?}; catalog {}; {}",
        c.format,
        c.catalog_version,
        c.cookie_database.describe()
    )?;
    for (v, reasons) in &c.evidence.0 {
        let reasons: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|r| terminal_safe(r, 80))
            .collect();
        writeln!(out, "evidence for {v}: {}", reasons.join(", "))?;
    }
    // Platform evidence only where a generic name rests on it.
    let likely: std::collections::BTreeSet<&str> = c
        .keys
        .iter()
        .filter_map(|k| match &k.attribution {
            Attribution::Platform {
                platform,
                confidence: crate::catalog::Certainty::Likely,
                ..
            } => Some(platform.as_str()),
            _ => None,
        })
        .collect();
    for (p, reasons) in c
        .platform_evidence
        .0
        .iter()
        .filter(|(p, _)| likely.contains(p.as_str()))
    {
        let reasons: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|r| terminal_safe(r, 80))
            .collect();
        writeln!(out, "evidence for platform {p}: {}", reasons.join(", "))?;
    }
    let rows = c.keys.iter().map(|k| {
        let (vendor, key, ids) = match &k.attribution {
            Attribution::Known {
                vendor,
                key,
                captures,
                ..
            } => (
                vendor.clone(),
                terminal_safe(key, 50),
                captures
                    .iter()
                    .map(|(n, v)| format!("{n}={}", terminal_safe(v, 30)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Attribution::Platform {
                platform_name,
                key,
                confidence,
                ..
            } => (
                match confidence {
                    crate::catalog::Certainty::Certain => platform_name.clone(),
                    crate::catalog::Certainty::Likely => format!("{platform_name} (likely)"),
                },
                terminal_safe(key, 50),
                String::new(),
            ),
            Attribution::ConsentManager { cmp_name, key, .. } => (
                format!("{cmp_name} (consent manager)"),
                terminal_safe(key, 50),
                String::new(),
            ),
            Attribution::Unknown { candidate } => (
                "unknown".to_string(),
                candidate
                    .as_ref()
                    .map(|c| format!("(generic; would be {})", terminal_safe(c, 40)))
                    .unwrap_or_default(),
                String::new(),
            ),
        };
        let mut storage = k
            .storage
            .map(|s| s.to_string())
            .unwrap_or_else(|| "?".into());
        if let Some(d) = k.declared_storage {
            storage.push_str(&format!(" (declared {d})"));
        }
        Row {
            name: terminal_safe(&k.name, 60),
            storage,
            vendor,
            key,
            ids,
            category: k.category.map(|c| c.to_string()).unwrap_or_default(),
        }
    });
    writeln!(out, "{}", Table::new(rows).with(Style::sharp()))?;
    let unknown = c.keys.iter().filter(|k| !k.attribution.is_known()).count();
    let platform = c
        .keys
        .iter()
        .filter(|k| k.attribution.platform().is_some())
        .count();
    writeln!(
        out,
        "{} keys: {} attributed to a chat vendor, {platform} to a platform (Open Cookie Database), {unknown} unknown",
        c.keys.len(),
        c.keys.len() - unknown - platform
    )?;
    Ok(())
}
