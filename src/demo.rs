//! The demo sites embedded in the binary (the fixture sites), served on loopback and scanned.

use include_dir::{Dir, include_dir};
use serde::Deserialize;

static SITES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/sites");

/// A demo site and how to answer its banner.
#[derive(Debug, Clone)]
pub struct DemoSite {
    pub name: String,
    pub description: String,
    pub host: String,
    pub consent_click: Option<String>,
    pub reject_click: Option<String>,
    pub files: &'static Dir<'static>,
}

/// The part of a site's `expected.toml` the demo needs.
#[derive(Deserialize)]
struct SiteFacts {
    description: String,
    host: String,
    consent_click: Option<String>,
    reject_click: Option<String>,
}

/// Every embedded demo site, by name.
pub fn sites() -> Vec<DemoSite> {
    let mut out: Vec<DemoSite> = SITES
        .dirs()
        .filter_map(|d| {
            let name = d.path().file_name()?.to_str()?.to_string();
            let facts: SiteFacts = toml::from_str(
                d.get_file(d.path().join("expected.toml"))?
                    .contents_utf8()?,
            )
            .ok()?;
            Some(DemoSite {
                name,
                description: facts.description,
                host: facts.host,
                consent_click: facts.consent_click,
                reject_click: facts.reject_click,
                files: d,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
