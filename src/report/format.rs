//! The output formats: which renderer writes each, what each can do, and the file each is written to.

use super::ScanReport;
use super::{
    csv, declaration_html, declaration_md, har, html, json, jsonl, junit, markdown, sarif, table,
};
use std::io::Write;

/// Renders scan reports in one output format.
pub trait Renderer {
    /// Writes the reports; most formats write one report, several in sequence for the demo.
    /// The only failure is `out`'s, returned as it is: the caller, who chose the writer, tells
    /// a report file that cannot be written (an output error) from a reader of standard output
    /// that went away (a closed pipe, no error at all).
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()>;
}

/// The output formats of `scan` and `demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable tables, one per step.
    Table,
    /// The full report as JSON (one object; an array for several sites).
    Json,
    /// JSON Lines: one compact report object per line, streamed as each site finishes.
    Jsonl,
    /// JUnit XML: a failing test case per gating finding (for CI test reports).
    Junit,
    /// SARIF 2.1.0 (for code-scanning dashboards such as GitHub's).
    Sarif,
    /// A readable Markdown report: provenance, step timeline, keys, vendors, findings.
    Markdown,
    /// One self-contained HTML file: timeline of keys × steps, vendors, findings, screenshots.
    Html,
    /// An inventory for spreadsheets: one row per key.
    Csv,
    /// A cookie declaration in Markdown, to paste into a privacy policy.
    DeclarationMd,
    /// A cookie declaration as an HTML fragment, to paste into a privacy policy.
    DeclarationHtml,
    /// HAR 1.2: every listed request, one page per step; header and cookie values redacted
    /// unless --show-values.
    Har,
}

impl Format {
    /// The renderer; `colour` asks for terminal colours (the table only).
    pub fn renderer(self, colour: bool) -> Box<dyn Renderer> {
        match self {
            Format::Table => Box::new(table::TableRenderer { colour }),
            Format::Json => Box::new(json::JsonRenderer),
            Format::Jsonl => Box::new(jsonl::JsonlRenderer),
            Format::Junit => Box::new(junit::JunitRenderer),
            Format::Sarif => Box::new(sarif::SarifRenderer),
            Format::Markdown => Box::new(markdown::MarkdownRenderer),
            Format::Html => Box::new(html::HtmlRenderer),
            Format::Csv => Box::new(csv::CsvRenderer),
            Format::DeclarationMd => Box::new(declaration_md::DeclarationMarkdownRenderer),
            Format::DeclarationHtml => Box::new(declaration_html::DeclarationHtmlRenderer),
            Format::Har => Box::new(har::HarRenderer),
        }
    }

    /// Written site by site while a many-site scan runs, not once at the end.
    pub fn streams(self) -> bool {
        self == Format::Jsonl
    }

    /// Shows the steps' screenshots (so taking them is the default when it is asked for).
    pub fn shows_screenshots(self) -> bool {
        self == Format::Html
    }

    /// With several sites in an output directory, also writes an index and one page per site.
    pub fn pages_per_site(self) -> bool {
        self == Format::Html
    }

    /// Text for a person at a terminal: other notes for people may be printed beside it.
    pub fn for_the_terminal(self) -> bool {
        self == Format::Table
    }

    /// The file this format is written to in an output directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Table => "report.txt",
            Format::Json => "report.json",
            Format::Jsonl => "report.jsonl",
            Format::Junit => "report.junit.xml",
            Format::Sarif => "report.sarif",
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Csv => "inventory.csv",
            Format::DeclarationMd => "declaration.md",
            Format::DeclarationHtml => "declaration.html",
            Format::Har => "scan.har",
        }
    }
}
