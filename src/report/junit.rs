//! JUnit XML: one test suite per scanned URL, one failing test case per gating finding, one passing case per clean rule.

use super::{Renderer, ScanReport};
use crate::vocab::Rule;
use std::fmt::Write as _;
use std::io::Write;

pub struct JunitRenderer;

impl Renderer for JunitRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let (mut tests, mut failures, mut errors) = (0, 0, 0);
        let mut suites = String::new();
        for r in reports {
            let (suite, t, f, e) = suite(r);
            suites.push_str(&suite);
            tests += t;
            failures += f;
            errors += e;
        }
        let _ = writeln!(
            xml,
            "<testsuites name=\"chatcookie\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">"
        );
        xml.push_str(&suites);
        xml.push_str("</testsuites>\n");
        out.write_all(xml.as_bytes())?;
        Ok(())
    }
}

fn suite(r: &ScanReport) -> (String, usize, usize, usize) {
    let p = &r.provenance;
    let mut cases = String::new();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    if let Some(a) = &r.aborted {
        tests += 1;
        errors += 1;
        let _ = writeln!(
            cases,
            "    <testcase classname=\"chatcookie.scan\" name=\"scan completes\" time=\"0\">\n      <error message=\"{}\" type=\"scan-failed\">stopped at step {}</error>\n    </testcase>",
            super::escape::xml(&a.reason),
            a.step
        );
    }
    for rule in Rule::ALL {
        let gating: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.rule == rule && f.gating)
            .collect();
        if gating.is_empty() {
            tests += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"chatcookie.{}\" name=\"{}: no failing findings\" time=\"0\"/>",
                rule.id(),
                rule.id()
            );
        }
        for f in gating {
            tests += 1;
            failures += 1;
            let name = f.key.as_ref().map_or_else(
                || f.message.clone(),
                |k| format!("{} {}", k.storage, k.name),
            );
            // On a journey the page tells equal keys of two pages apart.
            let name = match (&f.page, r.is_journey()) {
                (Some(page), true) => format!("{name} ({})", super::page_path(page)),
                _ => name,
            };
            let _ = writeln!(
                cases,
                "    <testcase classname=\"chatcookie.{}\" name=\"{}\" time=\"0\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                rule.id(),
                super::escape::xml(&name),
                super::escape::xml(&f.message),
                f.severity,
                super::escape::xml(
                    &std::iter::once(format!("severity: {}", f.severity_reason))
                        .chain(f.evidence.iter().cloned())
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            );
        }
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" timestamp=\"{}\" time=\"{:.3}\">",
        super::escape::xml(&p.url),
        super::escape::xml(p.started_at.get(..19).unwrap_or(&p.started_at)),
        p.duration_ms as f64 / 1000.0
    );
    s.push_str("    <properties>\n");
    let fields = super::provenance_fields(p);
    let field = |label: &str| {
        fields
            .iter()
            .find(|(l, _)| *l == label)
            .map_or_else(String::new, |(_, v)| v.clone())
    };
    for (k, v) in [
        ("tool_version", p.tool_version.to_string()),
        ("catalog_version", p.catalog_version.clone()),
        ("cookie_database", field("Cookie database")),
        ("browser_version", p.browser_version.clone()),
        ("final_url", p.final_url.clone()),
        ("started_at", p.started_at.clone()),
        ("duration_ms", p.duration_ms.to_string()),
        ("consent", field("Consent")),
        ("options", field("Options")),
    ] {
        let _ = writeln!(
            s,
            "      <property name=\"{k}\" value=\"{}\"/>",
            super::escape::xml(&v)
        );
    }
    s.push_str("    </properties>\n");
    s.push_str(&cases);
    s.push_str("  </testsuite>\n");
    (s, tests, failures, errors)
}
