//! The index of a many-site output directory: every site with its verdict, linking its own HTML report.

use super::escape::html as h;
use super::summary::Summary;
use super::{ScanReport, html::CSP, html::STYLE};
use std::io::Write;

/// The file one site's HTML report is written to beside the index, e.g. `site-3.html`.
pub fn site_report_name(site: usize) -> String {
    format!("site-{}.html", site + 1)
}

/// `index.html`: a row per site, in run order, with the verdict, the findings by severity, the
/// vendors, and a link to [`site_report_name`].
pub fn render_index(reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
    let failing = reports.iter().filter(|r| Summary::of(r).alarming).count();
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<title>chatcookie: {} sites</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        reports.len()
    )?;
    writeln!(
        out,
        "<h1>Cookie and storage reports: {} sites</h1>\n<p class=\"verdict {}\">{failing} of {} site(s) fail the gate or could not be scanned completely</p>",
        reports.len(),
        if failing > 0 { "abort" } else { "pass" },
        reports.len()
    )?;
    writeln!(
        out,
        "<table id=\"sites\">\n<thead><tr><th>#</th><th>Site</th><th>Verdict</th><th>Findings</th><th>Chat vendors</th></tr></thead>\n<tbody>"
    )?;
    for (i, r) in reports.iter().enumerate() {
        let s = Summary::of(r);
        writeln!(
            out,
            "<tr><td>{}</td><td><a href=\"{}\">{}</a></td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            h(&site_report_name(i)),
            h(&r.provenance.url),
            if s.alarming { "fail" } else { "" },
            h(&s.verdict),
            h(&s.counts()),
            h(&s.vendors.join("; "))
        )?;
    }
    writeln!(out, "</tbody>\n</table>\n</body>\n</html>")?;
    Ok(())
}
