//! The report of a scan: its model, its assembly from a scan run, the output formats, and one renderer per format.

mod assembly;
mod csv;
mod declaration;
mod declaration_html;
mod declaration_md;
pub mod escape;
mod format;
mod har;
mod html;
mod index;
mod json;
mod jsonl;
mod junit;
mod keys;
mod markdown;
mod model;
mod presentation;
mod sarif;
pub mod summary;
mod table;

pub(crate) use crate::observation::same_page;
pub use assembly::{Assembly, screenshot_file_name};
pub use format::{Format, Renderer};
pub use index::{render_index, site_report_name};
pub use json::{parse as parse_json, read as read_json};
pub use jsonl::JsonlRenderer;
pub use keys::{
    KeyGroup, catalog_name, key_groups, observed_lifetime, owner_name, value_evidence, vendor_name,
};
pub use model::{
    ConsentSetting, ConsentSummary, Provenance, SCHEMA_VERSION, ScanReport, ScanSettings,
    VisitorSummary,
};
pub(crate) use presentation::vendor_evidence;
pub use presentation::{
    consent_line, headline, key_counts, page_path, provenance_fields, status_text, summary_rows,
    third_party_cookies_text, vendor_with_ids, visitor_line,
};
