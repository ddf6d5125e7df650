//! The catalog's vendors and their keys as a terminal table (`chatcookie catalog`).

use super::Catalog;
use super::model::{Strength, Vendor};
use crate::vocab::StorageKind;

/// Renders vendors and their keys as a terminal table.
pub fn render_table(
    catalog: &Catalog,
    vendors: &[&Vendor],
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    use tabled::{Table, Tabled, settings::Style};
    #[derive(Tabled)]
    struct Row {
        key: String,
        storage: StorageKind,
        duration: String,
        category: String,
        strength: &'static str,
        purpose: String,
    }
    writeln!(out, "catalog {}", catalog.version)?;
    for v in vendors {
        writeln!(
            out,
            "\n{} ({}{}): {} keys, from {}",
            v.name,
            v.id,
            v.product_of
                .as_ref()
                .map_or_else(String::new, |p| format!(", a product of {}", p.get_ref())),
            v.keys.len(),
            v.file
        )?;
        let rows = v.keys.iter().map(|k| Row {
            key: std::iter::once(k.name.get_ref().as_str())
                .chain(k.aliases.iter().map(|a| a.get_ref().as_str()))
                .collect::<Vec<_>>()
                .join("\n"),
            storage: k.storage,
            duration: k.duration.to_string(),
            category: format!(
                "{}{}",
                k.category,
                if k.category_assessed {
                    " (assessed)"
                } else {
                    ""
                }
            ),
            strength: match k.strength {
                Strength::Distinctive => "distinctive",
                Strength::Generic => "generic",
            },
            purpose: k.purpose.clone(),
        });
        writeln!(out, "{}", Table::new(rows).with(Style::sharp()))?;
        for p in &v.promises {
            writeln!(
                out,
                "  promise {}: {:?}{} — \"{}\"",
                p.id,
                p.rule,
                p.step.map(|s| format!(" (before {s})")).unwrap_or_default(),
                p.quote
            )?;
        }
    }
    Ok(())
}
