//! The catalog of known chat-widget keys: data under `catalog/`, embedded at build time, extendable by user files.

pub mod cmp;
mod matcher;
mod model;
pub mod ocd;
mod ocd_report;
pub mod pattern;
pub mod words;

use crate::vocab::StorageKind;
pub use matcher::{Attribution, Certainty, Decision, Evidence, EvidenceSteps, KeyMatch};
pub use model::{
    Category, DeclaredDuration, Detect, Holder, HostEntry, HostRole, InvalidDuration, JsonField,
    KeyEntry, KeyOrigin, OpenCall, Promise, PromiseRule, Scope, Source, Strength, Vendor,
};
pub use ocd::{DatabaseRef, Ocd, Platform, PlatformKey, PlatformMatch};
pub use ocd_report::{render_ocd_report, render_platforms};

use crate::diagnostic::{Diagnostic, Diagnostics};
use include_dir::{Dir, include_dir};
use matcher::Matcher;
use pattern::Pattern;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The vendor files compiled into the binary.
static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/catalog");

/// Release date of the embedded catalog data; the content hash follows it in the version.
const EMBEDDED_DATE: &str = "2026.12.07";

/// Files under `catalog/` that hold other rules than vendor keys.
const NOT_VENDOR_FILES: &[&str] = &["cmps.toml", "banner-words.toml"];

/// The loaded catalog: vendors, their keys, and the matcher over every name and alias.
#[derive(Debug)]
pub struct Catalog {
    pub vendors: Vec<Vendor>,
    /// `<date>+<hash>` of the embedded data, plus `+user.<hash>` when user files were added.
    pub version: String,
    matcher: Matcher,
    /// The Open Cookie Database: platforms and categories of the keys no chat vendor documents.
    pub ocd: Ocd,
}

/// A catalog file's name and text, before parsing.
struct CatalogText {
    file: String,
    text: String,
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn embedded() -> Result<Catalog, Diagnostics> {
        Self::build(embedded_texts(), &[])
    }

    /// The embedded catalog plus the user's files, in order.
    pub fn with_user_files(paths: &[impl AsRef<Path>]) -> anyhow::Result<Catalog> {
        let mut user = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let text = read_text(p)?;
            user.push(CatalogText {
                file: p.display().to_string(),
                text,
            });
        }
        Ok(Self::build(embedded_texts(), &user)?)
    }

    /// The embedded catalog plus user catalogs given as (file name, text), e.g. from memory.
    pub fn with_user_texts(texts: &[(&str, &str)]) -> Result<Catalog, Diagnostics> {
        let user: Vec<CatalogText> = texts
            .iter()
            .map(|(file, text)| CatalogText {
                file: file.to_string(),
                text: text.to_string(),
            })
            .collect();
        Self::build(embedded_texts(), &user)
    }

    /// Validates one catalog file on its own and against the embedded catalog. A new version of
    /// an embedded file (same file name, same vendor id: `catalog/tawkto.toml` being edited) is
    /// checked in place of the embedded one, not as a second vendor of the same id.
    pub fn check_file(path: &Path) -> anyhow::Result<Catalog> {
        let text = read_text(path)?;
        let file = path.display().to_string();
        let mut embedded = embedded_texts();
        let replaced = path.file_name().and_then(|name| {
            embedded.iter().position(|t| {
                Path::new(&t.file).file_name() == Some(name)
                    && vendor_id_of(&t.text).is_some()
                    && vendor_id_of(&t.text) == vendor_id_of(&text)
            })
        });
        match replaced {
            Some(i) => {
                embedded[i] = CatalogText { file, text };
                Ok(Self::build(embedded, &[])?)
            }
            None => Ok(Self::build(embedded, &[CatalogText { file, text }])?),
        }
    }

    fn build(embedded: Vec<CatalogText>, user: &[CatalogText]) -> Result<Catalog, Diagnostics> {
        let mut vendors: Vec<Vendor> = Vec::new();
        let mut errors = Vec::new();
        for (i, t) in embedded.iter().chain(user.iter()).enumerate() {
            let is_user = i >= embedded.len();
            match model::parse_vendor_file(&t.file, &t.text) {
                Ok(v) => merge_vendor(&mut vendors, v, is_user, &mut errors),
                Err(mut d) => errors.append(&mut d.0),
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        check_platforms(&vendors)?;
        check_products(&vendors)?;
        let matcher = Matcher::build(&vendors)?;
        let ocd_text = embedded_ocd_text();
        let ocd = Ocd::parse(ocd_text).map_err(|e| {
            Diagnostics(vec![Diagnostic::at(
                &format!("catalog/{}", ocd::FILE),
                ocd_text,
                e.span,
                e.message,
            )])
        })?;
        let mut version = format!(
            "{EMBEDDED_DATE}+{}",
            files_hash(
                embedded
                    .iter()
                    .map(|t| (t.file.as_str(), t.text.as_str()))
                    .chain(std::iter::once((ocd::FILE, ocd_text)))
            )
        );
        if !user.is_empty() {
            version.push_str(&format!("+user.{}", short_hash(user)));
        }
        Ok(Catalog {
            vendors,
            version,
            matcher,
            ocd,
        })
    }

    /// The vendor with this id.
    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.id == id)
    }

    /// The best catalog entry for `name`, whatever its strength (see [`Catalog::attribute`]).
    /// A platform's key is the platform's here; see [`Catalog::lookup_evidenced`].
    pub fn lookup(&self, name: &str) -> Option<KeyMatch<'_>> {
        self.matcher.lookup(&self.vendors, name)
    }

    /// [`Catalog::lookup`], with a platform's key given to the vendor built on the platform
    /// when that vendor is evidenced and documents the key (Web1on1's `<integrationId>.clientId`
    /// is the Smooch messenger's `<appId>.clientId`): a plain platform site keeps the platform.
    pub fn lookup_evidenced(&self, name: &str, evidence: &Evidence) -> Option<KeyMatch<'_>> {
        let m = self.lookup(name)?;
        if !m.vendor.platform {
            return Some(m);
        }
        for v in self.vendors.iter().filter(|v| {
            v.built_on
                .as_ref()
                .is_some_and(|p| p.get_ref() == &m.vendor.id)
                && evidence.contains(&v.id)
        }) {
            if let Some(k) = v.keys.iter().find(|k| {
                k.platform_key
                    .as_ref()
                    .is_some_and(|p| p.get_ref() == m.key.name.get_ref())
            }) {
                return Some(KeyMatch {
                    vendor: v,
                    key: k,
                    matched: k.patterns[0].as_str(),
                    via_alias: false,
                    captures: k.patterns[0].captures(name).unwrap_or(m.captures),
                });
            }
        }
        Some(m)
    }

    /// Drops from `evidence` each platform a vendor built on it is evidenced for: on a Web1on1
    /// site the Smooch messenger is Web1on1's, not a second chat.
    pub fn settle(&self, evidence: &mut Evidence) {
        let covered: Vec<String> = self
            .vendors
            .iter()
            .filter(|v| evidence.contains(&v.id))
            .filter_map(|v| v.built_on.as_ref().map(|p| p.get_ref().clone()))
            .collect();
        for p in covered {
            evidence.0.remove(&p);
        }
    }

    /// Attributes `name` under the generic-name rule, given which vendors are otherwise evidenced;
    /// a name no chat vendor documents goes to the Open Cookie Database (distinctive names only,
    /// as no platform evidence is given: see [`Catalog::judge`]).
    pub fn attribute(&self, name: &str, evidence: &Evidence) -> Attribution {
        match self.lookup_evidenced(name, evidence) {
            Some(m) => matcher::attribute(Some(m), evidence),
            None => match self.ocd.judge(name, &Evidence::default()) {
                Ok(m) => m.attribution(),
                Err(candidate) => Attribution::Unknown { candidate },
            },
        }
    }

    /// Judges `name` against the whole catalog. The chat vendors' entries come first and, when one
    /// matches, decide alone (attributed or not): the Open Cookie Database never overrides a chat
    /// vendor's key. Otherwise the database decides under the same generic-name rule, with
    /// `platforms` as the evidenced platforms (see [`Catalog::platform_evidence`]).
    pub fn judge(&self, name: &str, vendors: &Evidence, platforms: &Evidence) -> Judgement<'_> {
        if let Some(m) = self.lookup_evidenced(name, vendors) {
            return Judgement::of_vendor_key(m, vendors);
        }
        match self.ocd.judge(name, platforms) {
            Ok(m) => Judgement::of_platform_key(m),
            Err(candidate) => Judgement::unknown(candidate),
        }
    }

    /// Open Cookie Database platforms evidenced in an input: by one of their distinctive keys
    /// among `names` (names a chat vendor documents do not count), or by `hosts` (cookie domains,
    /// origins, script, frame or request URLs) on a domain the database gives for their keys.
    pub fn platform_evidence<'n, 'h>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
        hosts: impl IntoIterator<Item = &'h str>,
    ) -> Evidence {
        let mut ev = Evidence::default();
        let none = Evidence::default();
        for name in names {
            if self.lookup(name).is_some() {
                continue;
            }
            if let Ok(m) = self.ocd.judge(name, &none) {
                ev.add(&m.platform.id, format!("key {name}"));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for h in hosts {
            let host = ocd::host_part(h)
                .trim_start_matches('.')
                .to_ascii_lowercase();
            if host.is_empty() || !seen.insert(host.clone()) {
                continue;
            }
            for p in self.ocd.platforms_on_host(&host) {
                ev.add(&p.id, format!("host {host}"));
            }
        }
        ev
    }

    /// Vendors whose distinctive keys appear among `names`, and which names show it.
    pub fn evidence_from_names<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> Evidence {
        let mut ev = Evidence::default();
        for name in names {
            if let Some(m) = self.lookup(name)
                && m.key.strength == Strength::Distinctive
            {
                ev.add(&m.vendor.id, format!("key {name}"));
            }
        }
        ev
    }

    /// Vendors evidenced by their footprint: a vendor built on a platform (`built_on`) whose own
    /// generic keys (at least two different ones) sit beside the platform's evidenced keys.
    /// Web1on1's `widget_*` keys beside the Smooch messenger's `<id>.clientId` are Web1on1's
    /// declared set, and make the messenger's keys Web1on1's too; Smooch keys alone stay
    /// Smooch's, and a generic name alone still evidences nothing. The reason names the keys.
    pub fn evidence_from_footprint<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
        evidence: &Evidence,
    ) -> Evidence {
        let mut own: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
        for name in names {
            if let Some(m) = self.lookup(name)
                && m.key.strength == Strength::Generic
                && m.key.platform_key.is_none()
                && m.vendor
                    .built_on
                    .as_ref()
                    .is_some_and(|p| evidence.contains(p.get_ref()))
            {
                own.entry(m.vendor.id.as_str())
                    .or_default()
                    .entry(m.key.name.get_ref().as_str())
                    .or_insert(name);
            }
        }
        let mut ev = Evidence::default();
        for (vendor, keys) in own.into_iter().filter(|(_, k)| k.len() >= 2) {
            let platform = self
                .vendor(vendor)
                .and_then(|v| v.built_on.as_ref())
                .map(|p| p.get_ref().as_str())
                .unwrap_or_default();
            let names: Vec<&str> = keys.values().copied().collect();
            ev.add(
                vendor,
                format!("footprint {} beside {platform}'s keys", names.join(", ")),
            );
        }
        ev
    }

    /// The vendor a request's URL belongs to: by its host (`[[host]]`), else by a script
    /// signature (`[detect] scripts`) in its host and path (never its query), with how. For a
    /// request to the page's own site (`first_party`) only the path counts: a site's own host
    /// name may contain a vendor's name (`www.web1on1-shop.example`). A host a vendor shares with
    /// its products (`product_of`) is the product's where the product is `evidenced` on the page
    /// and the vendor itself is not.
    pub fn vendor_of_request(
        &self,
        url: &str,
        first_party: bool,
        evidenced: &Evidence,
    ) -> Option<(&Vendor, String)> {
        let parsed = url::Url::parse(url).ok()?;
        let host = crate::vocab::host_of(url)?.to_ascii_lowercase();
        for v in &self.vendors {
            if let Some(h) = v.hosts.iter().find(|h| h.matches(&host)) {
                let how = format!("host {} ({})", h.name.get_ref(), h.role.as_str());
                if evidenced.contains(&v.id) {
                    return Some((v, how));
                }
                if let Some(p) = self
                    .vendors
                    .iter()
                    .filter(|p| p.product_of.as_ref().is_some_and(|o| o.get_ref() == &v.id))
                    .find(|p| evidenced.contains(&p.id))
                {
                    return Some((p, format!("{how}, shared with {}", v.name)));
                }
                return Some((v, how));
            }
        }
        let where_ = signature_place(&parsed, &host, first_party);
        for v in &self.vendors {
            if let Some(sig) = v
                .detect
                .scripts
                .iter()
                .find(|s| where_.contains(&s.to_ascii_lowercase()))
            {
                return Some((v, format!("script signature {sig}")));
            }
        }
        None
    }

    /// Vendors whose script signatures appear in the script URLs a page loaded, matched as
    /// [`Catalog::vendor_of_request`] matches them: host and path, never the query, and only the
    /// path of a script of the page's own site (`page_site`), whose host name may contain a
    /// vendor's name (`www.klaro-web1on1.example/config.js` is no Web1on1 script).
    pub fn evidence_from_page_scripts<'u>(
        &self,
        urls: impl IntoIterator<Item = &'u str>,
        page_site: &str,
    ) -> Evidence {
        let mut ev = Evidence::default();
        for url in urls {
            let Ok(parsed) = url::Url::parse(url) else {
                continue;
            };
            let host = crate::vocab::host_of(url)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let first_party = !page_site.is_empty() && crate::vocab::site_of(&host) == page_site;
            let where_ = signature_place(&parsed, &host, first_party);
            for v in &self.vendors {
                if v.detect
                    .scripts
                    .iter()
                    .any(|s| where_.contains(&s.to_ascii_lowercase()))
                {
                    ev.add(&v.id, format!("script {url}"));
                }
            }
        }
        ev
    }

    /// The `[[host]]` entry of vendor `id` that `host` (lowercase, no port) is under: its own,
    /// or, for a product, its vendor's (the hosts a vendor shares with its products).
    pub fn host_of_vendor(&self, id: &str, host: &str) -> Option<&HostEntry> {
        let v = self.vendor(id)?;
        let owner = v.product_of.as_ref().and_then(|p| self.vendor(p.get_ref()));
        v.hosts
            .iter()
            .chain(owner.into_iter().flat_map(|o| o.hosts.iter()))
            .find(|h| h.matches(&host.to_ascii_lowercase()))
    }

    /// The products of vendor `id` (`product_of = "id"`).
    pub fn products_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Vendor> + 'a {
        self.vendors
            .iter()
            .filter(move |v| v.product_of.as_ref().is_some_and(|p| p.get_ref() == id))
    }

    /// Vendors whose script signatures appear in `urls`.
    pub fn evidence_from_scripts<'u>(&self, urls: impl IntoIterator<Item = &'u str>) -> Evidence {
        let mut ev = Evidence::default();
        for url in urls {
            let lower = url.to_ascii_lowercase();
            for v in &self.vendors {
                if v.detect
                    .scripts
                    .iter()
                    .any(|s| lower.contains(&s.to_ascii_lowercase()))
                {
                    ev.add(&v.id, format!("script {url}"));
                }
            }
        }
        ev
    }
}

/// A name judged against the whole catalog (see [`Catalog::judge`]).
#[derive(Debug, Clone)]
pub struct Judgement<'c> {
    pub attribution: Attribution,
    /// The chat vendor's entry, when the name is attributed to it.
    pub vendor_key: Option<KeyMatch<'c>>,
    /// The Open Cookie Database entry, when the name is attributed to a platform.
    pub platform_key: Option<PlatformMatch<'c>>,
}

impl<'c> Judgement<'c> {
    /// A name a chat vendor's entry matched, attributed by the evidence (see [`Catalog::judge`]).
    pub fn of_vendor_key(m: KeyMatch<'c>, vendors: &Evidence) -> Judgement<'c> {
        let attribution = matcher::attribute(Some(m.clone()), vendors);
        let vendor_key = attribution.vendor().is_some().then_some(m);
        Judgement {
            attribution,
            vendor_key,
            platform_key: None,
        }
    }

    /// A name the Open Cookie Database attributes to a platform.
    pub fn of_platform_key(m: PlatformMatch<'c>) -> Judgement<'c> {
        Judgement {
            attribution: m.attribution(),
            vendor_key: None,
            platform_key: Some(m),
        }
    }

    /// A name nothing attributes (with the platform it might be, when evidence could tell).
    pub fn unknown(candidate: Option<String>) -> Judgement<'c> {
        Judgement {
            attribution: Attribution::Unknown { candidate },
            vendor_key: None,
            platform_key: None,
        }
    }
}

/// Where a URL's script signatures are looked for: its host and path, lowercase, never its
/// query; only its path when it is of the page's own site.
fn signature_place(url: &url::Url, host: &str, first_party: bool) -> String {
    if first_party {
        url.path().to_ascii_lowercase()
    } else {
        format!("{host}{}", url.path()).to_ascii_lowercase()
    }
}

/// Every `product_of` names a vendor of the catalog that is itself no product and no platform.
fn check_products(vendors: &[Vendor]) -> Result<(), Diagnostics> {
    let mut errors = Vec::new();
    for v in vendors {
        let Some(p) = &v.product_of else { continue };
        let owner = vendors.iter().find(|x| &x.id == p.get_ref());
        let why = match owner {
            None => Some("names no vendor of the catalog"),
            Some(o) if o.id == v.id => Some("names this vendor itself"),
            Some(o) if o.product_of.is_some() => {
                Some("names a product of another vendor: name that vendor")
            }
            Some(o) if o.platform || v.platform => {
                Some("cannot join a platform (`platform = true`) to products")
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            errors.push(v.diagnostic(
                p.span(),
                format!("`product_of = \"{}\"` {why}", p.get_ref()),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(errors))
    }
}

/// The text of the embedded Open Cookie Database.
fn embedded_ocd_text() -> &'static str {
    EMBEDDED
        .get_file(ocd::FILE)
        .and_then(|f| f.contents_utf8())
        .expect("catalog/ocd.tsv is embedded as UTF-8")
}

/// The licence notice of the embedded Open Cookie Database (`catalog/OCD-LICENSE`).
pub fn ocd_notice() -> &'static str {
    EMBEDDED
        .get_file("OCD-LICENSE")
        .and_then(|f| f.contents_utf8())
        .expect("catalog/OCD-LICENSE is embedded as UTF-8")
}

/// Every `built_on` names a platform of the catalog, and every `platform_key` one of its keys.
fn check_platforms(vendors: &[Vendor]) -> Result<(), Diagnostics> {
    let mut errors = Vec::new();
    for v in vendors {
        let Some(p) = &v.built_on else { continue };
        let Some(platform) = vendors.iter().find(|x| x.platform && &x.id == p.get_ref()) else {
            errors.push(v.diagnostic(
                p.span(),
                format!(
                    "`built_on = \"{}\"` names no platform (a vendor file with `platform = true`)",
                    p.get_ref()
                ),
            ));
            continue;
        };
        for k in &v.keys {
            if let Some(pk) = &k.platform_key
                && !platform
                    .keys
                    .iter()
                    .any(|x| x.name.get_ref() == pk.get_ref())
            {
                errors.push(v.diagnostic(
                    pk.span(),
                    format!(
                        "`platform_key = \"{}\"`: {} has no such key",
                        pk.get_ref(),
                        platform.name
                    ),
                ));
            }
        }
    }
    for v in vendors {
        if v.built_on.is_none() && v.keys.iter().any(|k| k.platform_key.is_some()) {
            let k = v
                .keys
                .iter()
                .find(|k| k.platform_key.is_some())
                .expect("found");
            errors.push(v.diagnostic(
                k.name.span(),
                "`platform_key` needs `built_on` in the file's [vendor] table",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(errors))
    }
}

/// Adds a parsed vendor, or its extension of an existing one; conflicts become diagnostics.
fn merge_vendor(vendors: &mut Vec<Vendor>, v: Vendor, is_user: bool, errors: &mut Vec<Diagnostic>) {
    match vendors.iter_mut().find(|e| e.id == v.id) {
        None if v.extend => errors.push(Diagnostic::at(
            &v.file,
            &v.text,
            v.id_span.clone(),
            format!("`extend = true` but no vendor `{}` exists to extend", v.id),
        )),
        None => vendors.push(v),
        Some(existing) if v.extend && is_user => existing.absorb(v),
        Some(existing) => errors.push(Diagnostic::at(
            &v.file,
            &v.text,
            v.id_span.clone(),
            format!(
                "vendor `{}` is already defined in {}; give this vendor another id, or set `extend = true` to add keys to it",
                v.id, existing.file
            ),
        )),
    }
}

/// The `[vendor] id` of a vendor file's text, if it parses that far.
fn vendor_id_of(text: &str) -> Option<String> {
    let v: toml::Table = toml::from_str(text).ok()?;
    Some(v.get("vendor")?.get("id")?.as_str()?.to_string())
}

fn embedded_texts() -> Vec<CatalogText> {
    let mut files: Vec<_> = EMBEDDED
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        .filter(|f| !NOT_VENDOR_FILES.iter().any(|n| f.path() == Path::new(n)))
        // The consent-manager rules imported from autoconsent (catalog::cmp embeds them).
        .filter(|f| f.path() != Path::new("autoconsent.toml"))
        .collect();
    files.sort_by_key(|f| f.path().to_path_buf());
    files
        .into_iter()
        .map(|f| CatalogText {
            file: format!("catalog/{}", f.path().display()),
            text: f
                .contents_utf8()
                .expect("embedded catalog files are UTF-8")
                .to_string(),
        })
        .collect()
}

/// Reads a user file as UTF-8 text, with the path in the error.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    Ok(crate::error::read_input(path)?)
}

fn short_hash(texts: &[CatalogText]) -> String {
    files_hash(texts.iter().map(|t| (t.file.as_str(), t.text.as_str())))
}

/// The first 8 hex digits of the SHA-256 of (file name, text) pairs: a version for data files.
pub(crate) fn files_hash<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    for (file, text) in files {
        h.update(file.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Parses a pattern or reports it at its span.
pub(crate) fn parse_pattern(
    file: &str,
    text: &str,
    span: std::ops::Range<usize>,
    source: &str,
) -> Result<Pattern, Diagnostic> {
    Pattern::parse(source).map_err(|e| {
        Diagnostic::at(
            file,
            text,
            span,
            format!("invalid key pattern `{source}`: {e}"),
        )
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod ocd_tests;

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
