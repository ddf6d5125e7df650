//! The cookie declaration as an HTML fragment: one table per vendor, ready to paste into a privacy policy.

use super::declaration::{heading, sections};
use super::escape::html as h;
use super::{Renderer, ScanReport};
use std::io::Write;

pub struct DeclarationHtmlRenderer;

impl Renderer for DeclarationHtmlRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "<section class=\"cookie-declaration\">")?;
        writeln!(out, "<h2>Cookies and similar technologies</h2>")?;
        writeln!(
            out,
            "<p>This site and the services it embeds store the following cookies and browser storage entries.</p>"
        )?;
        for s in sections(reports) {
            writeln!(out, "<h3>{}</h3>", h(&heading(&s)))?;
            writeln!(
                out,
                "<table>\n<thead><tr><th>Name</th><th>Purpose</th><th>Duration</th><th>Category</th><th>Storage</th></tr></thead>\n<tbody>"
            )?;
            for k in &s.keys {
                writeln!(
                    out,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    h(&k.name),
                    h(&k.purpose),
                    h(&k.duration),
                    h(&k.category),
                    k.storage
                )?;
            }
            writeln!(out, "</tbody>\n</table>")?;
        }
        for r in reports {
            let p = &r.provenance;
            writeln!(
                out,
                "<p><small>Observed by {} {} (catalog {}) on {} at {}.</small></p>",
                p.tool,
                h(&p.tool_version),
                h(&p.catalog_version),
                h(&p.url),
                h(&p.started_at)
            )?;
            if let Some(db) = &p.cookie_database {
                writeln!(
                    out,
                    "<p><small>Platforms and categories of other keys: {}.</small></p>",
                    h(&db.describe())
                )?;
            }
        }
        writeln!(out, "</section>")?;
        Ok(())
    }
}
