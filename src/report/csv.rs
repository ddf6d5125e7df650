//! The CSV inventory: one row per observed key, quoted by the `csv` crate, formula injection defused.

use super::escape::csv_cell;
use super::{Renderer, ScanReport, observed_lifetime, owner_name};
use std::io::Write;

pub struct CsvRenderer;

const HEADER: [&str; 23] = [
    "url",
    "storage",
    "name",
    "location",
    "party",
    "first_step",
    "first_page",
    "removed_at",
    "vendor",
    "catalog_key",
    "category",
    "purpose",
    "declared_duration",
    "observed_lifetime",
    "lifetime_seconds",
    "http_only",
    "secure",
    "same_site",
    "partition_key",
    "value_length",
    "value_sha256",
    "value",
    "changes",
];

impl Renderer for CsvRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(HEADER)?;
        for r in reports {
            for o in &r.observations {
                let c = o.cookie.as_ref();
                let facts = o.catalog.as_ref();
                let flag = |f: fn(&crate::observation::CookieAttributes) -> bool| {
                    c.map_or_else(String::new, |c| f(c).to_string())
                };
                let changes: Vec<String> = o
                    .changes
                    .iter()
                    .map(|ch| format!("{}: {}", ch.step, ch.described("+")))
                    .collect();
                let row: [String; 23] = [
                    r.provenance.url.clone(),
                    o.storage.to_string(),
                    o.name.clone(),
                    o.location.clone(),
                    o.party.to_string(),
                    o.first_step.to_string(),
                    o.first_page.clone(),
                    o.removed_at.map(|s| s.to_string()).unwrap_or_default(),
                    // The chat vendor, or the Open Cookie Database platform ("(likely)" when generic).
                    owner_name(r, o).unwrap_or_default(),
                    o.attribution.catalog_key().unwrap_or_default().to_string(),
                    facts.map(|f| f.category.to_string()).unwrap_or_default(),
                    facts.map(|f| f.purpose.clone()).unwrap_or_default(),
                    facts
                        .map(|f| f.declared_duration.to_string())
                        .unwrap_or_default(),
                    observed_lifetime(o),
                    c.and_then(|c| c.lifetime_seconds)
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    flag(|c| c.http_only),
                    flag(|c| c.secure),
                    c.and_then(|c| c.same_site.clone()).unwrap_or_default(),
                    c.and_then(|c| c.partition_key.clone()).unwrap_or_default(),
                    o.value.length.to_string(),
                    o.value.sha256.clone(),
                    o.value.value.clone().unwrap_or_default(),
                    changes.join("; "),
                ];
                w.write_record(row.iter().map(|cell| csv_cell(cell)))?;
            }
        }
        w.flush()?;
        Ok(())
    }
}
