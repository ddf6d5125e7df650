//! Loading the catalog: the embedded vendor files and database, user files, and the checks
//! across files (extensions, platforms, products) that no single file can make.

use super::Catalog;
use super::matcher::Matcher;
use super::model::{self, Vendor};
use super::ocd::{self, Ocd};
use super::pattern::Pattern;
use crate::diagnostic::{Diagnostic, Diagnostics};
use include_dir::{Dir, include_dir};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The vendor files compiled into the binary.
pub(super) static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/catalog");

/// Release date of the embedded catalog data; the content hash follows it in the version.
pub(super) const EMBEDDED_DATE: &str = "2026.12.07";

/// Files under `catalog/` that hold other rules than vendor keys.
const NOT_VENDOR_FILES: &[&str] = &["cmps.toml", "banner-words.toml"];

/// A catalog file's name and text, before parsing.
pub(super) struct CatalogText {
    pub(super) file: String,
    pub(super) text: String,
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn embedded() -> Result<Catalog, Diagnostics> {
        Self::build(embedded_texts(), &[])
    }

    /// The embedded catalog plus the user's files, in order.
    pub fn with_user_files(paths: &[impl AsRef<Path>]) -> crate::error::Result<Catalog> {
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
    pub fn check_file(path: &Path) -> crate::error::Result<Catalog> {
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

    pub(super) fn build(
        embedded: Vec<CatalogText>,
        user: &[CatalogText],
    ) -> Result<Catalog, Diagnostics> {
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
pub(super) fn embedded_ocd_text() -> &'static str {
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

pub(super) fn embedded_texts() -> Vec<CatalogText> {
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
pub fn read_text(path: &Path) -> crate::error::Result<String> {
    crate::error::read_input(path)
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
