//! Offline classification: a capture's key names matched against the catalog, without a browser.

use crate::capture::{Capture, CaptureFormat};
use crate::catalog::{Attribution, Catalog, Category, Evidence, StorageKind};
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
    pub keys: Vec<Classified>,
}

/// Attributes every key of `capture`, applying the generic-name rule over the whole input.
pub fn classify(catalog: &Catalog, capture: Capture, show_values: bool) -> Classification {
    let mut evidence = catalog.evidence_from_names(capture.keys.iter().map(|k| k.name.as_str()));
    evidence.merge(catalog.evidence_from_scripts(capture.evidence_urls.iter().map(String::as_str)));
    let keys = capture
        .keys
        .into_iter()
        .map(|k| {
            let attribution = catalog.attribute(&k.name, &evidence);
            let entry = catalog
                .lookup(&k.name)
                .filter(|_| attribution.vendor().is_some());
            Classified {
                category: entry.as_ref().map(|m| m.key.category),
                purpose: entry.as_ref().map(|m| m.key.purpose.clone()),
                declared_storage: entry
                    .as_ref()
                    .map(|m| m.key.storage)
                    .filter(|declared| k.storage.is_some_and(|s| s != *declared)),
                attribution,
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
        keys,
    }
}

/// Renders a classification as a terminal table.
pub fn render_table(c: &Classification, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use crate::report::terminal_safe;
    use tabled::{Table, Tabled, settings::Style};
    #[derive(Tabled)]
    struct Row {
        name: String,
        storage: String,
        vendor: String,
        key: String,
        ids: String,
        category: String,
    }
    writeln!(out, "input: {:?}; catalog {}", c.format, c.catalog_version)?;
    for (v, reasons) in &c.evidence.0 {
        let reasons: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|r| terminal_safe(r, 80))
            .collect();
        writeln!(out, "evidence for {v}: {}", reasons.join(", "))?;
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
    let unknown = c
        .keys
        .iter()
        .filter(|k| k.attribution.vendor().is_none())
        .count();
    writeln!(
        out,
        "{} keys: {} attributed, {unknown} unknown",
        c.keys.len(),
        c.keys.len() - unknown
    )?;
    Ok(())
}
