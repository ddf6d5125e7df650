//! Terminal renderings of the Open Cookie Database part of the catalog: a platform's keys
//! (`chatcookie catalog --platform NAME`) and the distinctiveness figures (`--ocd-report`).

use super::Catalog;
use super::model::Strength;
use super::ocd::{Ocd, Platform};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Renders platforms and their keys as terminal tables.
pub fn render_platforms(
    catalog: &Catalog,
    platforms: &[&Platform],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    use tabled::{Table, Tabled, settings::Style};
    #[derive(Tabled)]
    struct Row {
        key: String,
        category: String,
        duration: String,
        hosts: String,
        strength: String,
    }
    writeln!(out, "catalog {}", catalog.version)?;
    writeln!(out, "{}", catalog.ocd.database.describe())?;
    for p in platforms {
        writeln!(
            out,
            "\n{} ({}): {} keys, from the Open Cookie Database",
            p.name,
            p.id,
            p.keys.len()
        )?;
        let rows = p.keys.iter().map(|k| Row {
            key: crate::vocab::terminal_safe(&k.pattern(), 60),
            category: match &k.ocd_category {
                Some(label) => format!("{} (OCD: {label})", k.category),
                None => k.category.to_string(),
            },
            duration: match &k.retention {
                Some(r) => format!(
                    "{} (OCD: {})",
                    k.duration,
                    crate::vocab::terminal_safe(r, 40)
                ),
                None => k.duration.to_string(),
            },
            hosts: k.hosts.join(", "),
            strength: match &k.generic {
                Some(why) => format!("generic ({why})"),
                None => "distinctive".into(),
            },
        });
        writeln!(out, "{}", Table::new(rows).with(Style::sharp()))?;
    }
    Ok(())
}

/// How many entries are generic and why, over the whole database.
#[derive(Debug, Clone, Serialize)]
pub struct OcdFigures {
    pub database: super::DatabaseRef,
    pub platforms: usize,
    pub entries: usize,
    pub prefixes: usize,
    pub generic: usize,
    pub distinctive: usize,
    /// Generic entries by the rule that made them generic (short, shared, short-lowercase, common-words).
    pub generic_by_reason: BTreeMap<String, usize>,
    /// Entries by category.
    pub by_category: BTreeMap<String, usize>,
    /// Every generic entry: `platform: name` and the reason.
    pub generic_entries: Vec<(String, String)>,
}

impl OcdFigures {
    pub fn of(ocd: &Ocd) -> OcdFigures {
        let mut f = OcdFigures {
            database: ocd.database.clone(),
            platforms: ocd.platforms.len(),
            entries: 0,
            prefixes: 0,
            generic: 0,
            distinctive: 0,
            generic_by_reason: BTreeMap::new(),
            by_category: BTreeMap::new(),
            generic_entries: Vec::new(),
        };
        for p in &ocd.platforms {
            for k in &p.keys {
                f.entries += 1;
                f.prefixes += usize::from(k.prefix);
                *f.by_category.entry(k.category.to_string()).or_default() += 1;
                match (k.strength(), &k.generic) {
                    (Strength::Generic, Some(why)) => {
                        f.generic += 1;
                        *f.generic_by_reason.entry(why.clone()).or_default() += 1;
                        f.generic_entries
                            .push((format!("{}: {}", p.name, k.pattern()), why.clone()));
                    }
                    _ => f.distinctive += 1,
                }
            }
        }
        f
    }
}

/// Renders the distinctiveness figures of the embedded database.
pub fn render_ocd_report(catalog: &Catalog, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let f = OcdFigures::of(&catalog.ocd);
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&f)?)?;
        return Ok(());
    }
    writeln!(out, "{}", f.database.describe())?;
    writeln!(
        out,
        "{} platforms, {} entries ({} prefixes): {} distinctive, {} generic ({:.1}%)",
        f.platforms,
        f.entries,
        f.prefixes,
        f.distinctive,
        f.generic,
        100.0 * f.generic as f64 / f.entries.max(1) as f64
    )?;
    writeln!(out, "generic, by rule (docs/ocd.md):")?;
    for (why, n) in &f.generic_by_reason {
        writeln!(out, "  {why:<16} {n}")?;
    }
    writeln!(out, "by category:")?;
    for (cat, n) in &f.by_category {
        writeln!(out, "  {cat:<18} {n}")?;
    }
    writeln!(out, "generic entries:")?;
    for (entry, why) in &f.generic_entries {
        writeln!(out, "  {} ({why})", crate::vocab::terminal_safe(entry, 80))?;
    }
    Ok(())
}
