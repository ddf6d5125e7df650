//! The cookie declaration in Markdown: one table per vendor, ready to paste into a privacy policy.

use super::declaration::{heading, sections};
use super::escape::markdown as md;
use super::{Renderer, ScanReport};
use std::io::Write;

pub struct DeclarationMarkdownRenderer;

impl Renderer for DeclarationMarkdownRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "# Cookies and similar technologies\n")?;
        writeln!(
            out,
            "This site and the services it embeds store the following cookies and browser storage entries.\n"
        )?;
        for s in sections(reports) {
            writeln!(out, "## {}\n", md(&heading(&s)))?;
            writeln!(out, "| Name | Purpose | Duration | Category | Storage |")?;
            writeln!(out, "|---|---|---|---|---|")?;
            for k in &s.keys {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    md(&k.name),
                    md(&k.purpose),
                    md(&k.duration),
                    md(&k.category),
                    k.storage
                )?;
            }
            writeln!(out)?;
        }
        for r in reports {
            let p = &r.provenance;
            writeln!(
                out,
                "_Observed by {} {} (catalog {}) on {} at {}._",
                p.tool,
                md(&p.tool_version),
                md(&p.catalog_version),
                md(&p.url),
                md(&p.started_at)
            )?;
            if let Some(db) = &p.cookie_database {
                writeln!(
                    out,
                    "\n_Platforms and categories of other keys: {}._",
                    md(&db.describe())
                )?;
            }
        }
        Ok(())
    }
}
