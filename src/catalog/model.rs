//! The catalog's data model as written in the TOML files, and its validation.

use super::pattern::Pattern;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::vocab::{Step, StorageKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// How long a key lives, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredDuration {
    Session,
    Persistent,
    Unspecified,
    /// A declared lifetime, in seconds, with the text it was written as.
    Period {
        seconds: u64,
        text: String,
    },
}

/// A declared duration that is none of those [`DeclaredDuration::parse`] takes (the text as given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration `{0}`: expected session, persistent, unspecified, or a period such as \"30 days\", \"6 months\", \"1 year\""
)]
pub struct InvalidDuration(pub String);

impl DeclaredDuration {
    /// Parses `session`, `persistent`, `unspecified` or `<n> <unit>` (minutes to years).
    pub fn parse(s: &str) -> Result<Self, InvalidDuration> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "session" => return Ok(Self::Session),
            "persistent" => return Ok(Self::Persistent),
            "unspecified" => return Ok(Self::Unspecified),
            _ => {}
        }
        let err = || InvalidDuration(s.to_string());
        let (n, unit) = t.split_once(char::is_whitespace).ok_or_else(err)?;
        let n: u64 = n.parse().map_err(|_| err())?;
        let unit_secs: u64 = match unit.trim().trim_end_matches('s') {
            "second" => 1,
            "minute" => 60,
            "hour" => 3600,
            "day" => 86_400,
            "week" => 7 * 86_400,
            // Calendar months and years as their average lengths.
            "month" => 2_629_746,
            "year" => 31_556_952,
            _ => return Err(err()),
        };
        Ok(Self::Period {
            seconds: n.checked_mul(unit_secs).ok_or_else(err)?,
            text: t.to_string(),
        })
    }
}

impl fmt::Display for DeclaredDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session => f.write_str("session"),
            Self::Persistent => f.write_str("persistent"),
            Self::Unspecified => f.write_str("unspecified"),
            Self::Period { text, .. } => f.write_str(text),
        }
    }
}

impl Serialize for DeclaredDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeclaredDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The purpose category of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    StrictlyNecessary,
    Functional,
    Analytics,
    Marketing,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::StrictlyNecessary => "strictly-necessary",
            Category::Functional => "functional",
            Category::Analytics => "analytics",
            Category::Marketing => "marketing",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a name identifies its vendor on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strength {
    /// Attributes on its own.
    Distinctive,
    /// Attributes only when the vendor is otherwise evidenced in the same input.
    Generic,
}

/// Who sets a key: the widget on a customer's site, or the vendor on its own website.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    #[default]
    Widget,
    VendorWebsite,
}

/// A vendor document the entries are transcribed from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub document: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// How a vendor is evidenced on a page or in a capture.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    #[serde(default)]
    pub scripts: Vec<String>,
    #[serde(default)]
    pub globals: Vec<String>,
}

/// What a vendor's host serves the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostRole {
    /// The embed or loader script.
    Script,
    /// The API the widget calls (XHR, fetch, long polls).
    Api,
    /// The WebSocket the chat talks over.
    Socket,
    /// Static files: the widget's bundles, styles, images.
    Cdn,
    /// Any host of the vendor's own registrable domain (`*.tawk.to`): the vendor's whatever it serves.
    VendorDomain,
}

impl HostRole {
    pub fn as_str(self) -> &'static str {
        match self {
            HostRole::Script => "script",
            HostRole::Api => "api",
            HostRole::Socket => "socket",
            HostRole::Cdn => "cdn",
            HostRole::VendorDomain => "vendor-domain",
        }
    }
}

/// A host the vendor's widget contacts (`[[host]]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostEntry {
    /// A host name (`embed.tawk.to`), or `*.` and a domain (`*.tawk.to`) for the domain and
    /// every host under it.
    pub name: Spanned<String>,
    pub role: HostRole,
    pub source: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HostEntry {
    /// Whether `host` (lowercase, no port) is this entry's.
    pub fn matches(&self, host: &str) -> bool {
        let name = self.name.get_ref();
        match name.strip_prefix("*.") {
            Some(domain) => {
                host == domain
                    || host
                        .strip_suffix(domain)
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            None => host == name,
        }
    }
}

/// The vendor's own JavaScript call that opens the chat.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenCall {
    pub script: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<String>,
    /// An expression true once the chat is open (`[open]` only), to check that the call took;
    /// undefined or null when the page cannot tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened: Option<String>,
}

/// The kinds of published promise an audit can check mechanically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PromiseRule {
    /// Nothing of the vendor's is stored before `step`.
    NoStorageBefore,
    /// Every cookie of the vendor's is a session cookie.
    SessionCookiesOnly,
    /// No cookie value of the vendor's holds personal data.
    NoPersonalDataInCookies,
    /// No localStorage value of the vendor's holds personal data.
    NoPersonalDataInLocalStorage,
}

/// A vendor's published promise.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promise {
    pub id: String,
    pub rule: PromiseRule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    pub quote: String,
    pub source: Spanned<String>,
}

/// Which origin holds a web-storage key: the page's own, or a frame of the vendor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holder {
    /// The page's own origin (the site's storage, read by the site's scripts too).
    Site,
    /// A frame served from one of the vendor's `[[host]]`s (its product's vendor's included):
    /// storage of the vendor's origin, partitioned under the site by current browsers.
    Vendor,
}

impl Holder {
    pub fn as_str(self) -> &'static str {
        match self {
            Holder::Site => "site",
            Holder::Vendor => "vendor",
        }
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A documented placement of a web-storage key (`origin = [{ held = "site", until = ... }]`):
/// which origin holds it, and since or until when the vendor's document says so.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyOrigin {
    pub held: Holder,
    /// The first day of this placement (`YYYY-MM-DD`), where the document gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The day this placement ended (`YYYY-MM-DD`), where the document gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    pub source: Spanned<String>,
}

impl KeyOrigin {
    /// `site (until 2025-01-27)`, `vendor (since 2025-01-27)`, `site`.
    pub fn describe(&self) -> String {
        let mut dates = Vec::new();
        if let Some(s) = &self.since {
            dates.push(format!("since {s}"));
        }
        if let Some(u) = &self.until {
            dates.push(format!("until {u}"));
        }
        if dates.is_empty() {
            self.held.to_string()
        } else {
            format!("{} ({})", self.held, dates.join(", "))
        }
    }
}

/// A named field inside a key's JSON value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonField {
    pub name: String,
    pub purpose: String,
    #[serde(default)]
    pub personal_data: bool,
}

/// One documented key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub name: Spanned<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<Spanned<String>>,
    pub storage: StorageKind,
    pub duration: DeclaredDuration,
    pub purpose: String,
    pub category: Category,
    #[serde(default)]
    pub category_assessed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_category: Option<String>,
    pub strength: Strength,
    #[serde(default)]
    pub scope: Scope,
    pub source: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, rename = "field", skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<JsonField>,
    /// Web storage only: the origins the vendor documents holding the key (the page's own, or
    /// a frame of the vendor's), each with the dates the document gives; empty: not documented.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origin: Vec<KeyOrigin>,
    /// The step at which the vendor first writes the key, where its document or its code says
    /// so (e.g. `chat_message`: only once the visitor sent a message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_at: Option<crate::vocab::Step>,
    /// The platform's key this documented key is (its name in the platform's file): the name is
    /// matched by the platform's entry, and given to this vendor only where it is evidenced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_key: Option<Spanned<String>>,
    /// The name then each alias, parsed.
    #[serde(skip)]
    pub patterns: Vec<Pattern>,
}

/// A chat vendor: who it is, how to find and open its widget, its promises and its keys.
#[derive(Debug, Clone, Serialize)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    pub sources: Vec<Source>,
    pub detect: Detect,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<OpenCall>,
    /// The vendor's own call that sends a message (`[message]`; `{message}` in its script is
    /// replaced by the message as a JavaScript string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<OpenCall>,
    pub promises: Vec<Promise>,
    pub keys: Vec<KeyEntry>,
    /// The hosts its widget contacts (script, API, socket, CDN).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostEntry>,
    /// The file it was loaded from, and its text, for diagnostics.
    pub file: String,
    #[serde(skip)]
    pub text: String,
    #[serde(skip)]
    pub id_span: Range<usize>,
    #[serde(skip)]
    pub extend: bool,
    /// A messaging platform others are built on (`[vendor] platform = true`): attributed only
    /// where no vendor built on it is evidenced.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub platform: bool,
    /// The platform this vendor is built on (`[vendor] built_on = "smooch"`); its keys that are
    /// the platform's carry `platform_key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub built_on: Option<Spanned<String>>,
    /// The vendor this is another product of (`[vendor] product_of = "genesys"`): listed under
    /// it, and sharing its `[[host]]`s (a request to them is the product's where the product,
    /// not the vendor's own, is evidenced on the page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_of: Option<Spanned<String>>,
}

impl Vendor {
    /// Takes in an extension's keys, promises and signatures (a user file with `extend = true`).
    pub fn absorb(&mut self, other: Vendor) {
        self.sources.extend(other.sources);
        self.detect.scripts.extend(other.detect.scripts);
        self.detect.globals.extend(other.detect.globals);
        if other.open.is_some() {
            self.open = other.open;
        }
        if other.message.is_some() {
            self.message = other.message;
        }
        self.promises.extend(other.promises);
        self.keys.extend(other.keys);
        self.hosts.extend(other.hosts);
    }

    /// The diagnostic location of a span in this vendor's file.
    pub fn diagnostic(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(&self.file, &self.text, span, message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorHeader {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    extend: bool,
    #[serde(default)]
    platform: bool,
    #[serde(default)]
    built_on: Option<Spanned<String>>,
    #[serde(default)]
    product_of: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorFile {
    vendor: VendorHeader,
    #[serde(default)]
    source: Vec<Source>,
    #[serde(default)]
    detect: Detect,
    #[serde(default)]
    open: Option<OpenCall>,
    #[serde(default)]
    message: Option<OpenCall>,
    #[serde(default)]
    promise: Vec<Promise>,
    #[serde(default)]
    key: Vec<KeyEntry>,
    #[serde(default)]
    host: Vec<HostEntry>,
}

/// `YYYY-MM-DD`, with a month and day in range.
fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| p.len() == len && p.bytes().all(|b| b.is_ascii_digit());
    matches!(parts[..], [y, m, d] if num(y, 4) && num(m, 2) && num(d, 2)
        && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d.parse::<u32>().unwrap_or(0)))
}

/// Parses and validates one vendor file.
pub fn parse_vendor_file(file: &str, text: &str) -> Result<Vendor, Diagnostics> {
    let raw: VendorFile = toml::from_str(text)
        .map_err(|e| Diagnostics(vec![Diagnostic::from_toml(file, text, &e)]))?;
    let extend = raw.vendor.extend;
    let mut check = FileCheck {
        file,
        text,
        // An extension adds to a vendor whose sources are declared in another file.
        sources: (!extend).then(|| raw.source.iter().map(|s| s.id.as_str()).collect()),
        errors: Vec::new(),
    };
    let id = raw.vendor.id.get_ref().clone();
    if !is_id(&id) {
        check.at(
            raw.vendor.id.span(),
            format!("vendor id `{id}` must be lowercase letters, digits and `-`"),
        );
    }
    let name = match raw.vendor.name {
        Some(n) => n,
        None if extend => id.clone(),
        None => {
            check.at(raw.vendor.id.span(), "missing `name` in [vendor]".into());
            id.clone()
        }
    };
    let mut keys = raw.key;
    keys.iter_mut().for_each(|k| check.key(k));
    raw.promise.iter().for_each(|p| check.promise(p));
    raw.host.iter().for_each(|h| check.host(h));
    if !check.errors.is_empty() {
        return Err(Diagnostics(check.errors));
    }
    Ok(Vendor {
        id,
        name,
        sources: raw.source,
        detect: raw.detect,
        open: raw.open,
        message: raw.message,
        promises: raw.promise,
        keys,
        hosts: raw.host,
        file: file.to_string(),
        text: text.to_string(),
        id_span: raw.vendor.id.span(),
        extend,
        platform: raw.vendor.platform,
        built_on: raw.vendor.built_on,
        product_of: raw.vendor.product_of,
    })
}

/// Lowercase letters, digits and `-`, at least one.
fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The checks of one vendor file's tables, each problem kept at its place in the file.
struct FileCheck<'f> {
    file: &'f str,
    text: &'f str,
    /// The file's `[[source]]` ids, which every key, origin, promise and host must cite; `None`
    /// in an extension (`extend = true`), whose sources are another file's.
    sources: Option<Vec<&'f str>>,
    errors: Vec<Diagnostic>,
}

impl FileCheck<'_> {
    fn at(&mut self, span: Range<usize>, message: String) {
        self.errors
            .push(Diagnostic::at(self.file, self.text, span, message));
    }

    /// A cited source is one of the file's `[[source]]` tables.
    fn source(&mut self, cited: &Spanned<String>) {
        if let Some(sources) = &self.sources
            && !sources.contains(&cited.get_ref().as_str())
        {
            self.at(
                cited.span(),
                format!(
                    "source `{}` is not declared in a [[source]] table",
                    cited.get_ref()
                ),
            );
        }
    }

    /// A `[[key]]`: its sources, purpose and origins; its name and aliases compiled into
    /// `k.patterns`.
    fn key(&mut self, k: &mut KeyEntry) {
        self.source(&k.source);
        if k.purpose.trim().is_empty() {
            self.at(
                k.name.span(),
                format!("key `{}` has an empty purpose", k.name.get_ref()),
            );
        }
        for o in &k.origin {
            self.source(&o.source);
            for date in o.since.iter().chain(o.until.iter()) {
                if !is_date(date) {
                    self.at(
                        o.source.span(),
                        format!(
                            "key `{}`: origin date `{date}` must be YYYY-MM-DD",
                            k.name.get_ref()
                        ),
                    );
                }
            }
        }
        if !k.origin.is_empty() && k.storage == StorageKind::Cookie {
            self.at(
                k.name.span(),
                format!(
                    "key `{}`: `origin` is for web storage (localStorage, sessionStorage); a cookie's place is its domain",
                    k.name.get_ref()
                ),
            );
        }
        for spanned in std::iter::once(&k.name).chain(k.aliases.iter()) {
            match super::parse_pattern(self.file, self.text, spanned.span(), spanned.get_ref()) {
                Ok(p) => k.patterns.push(p),
                Err(d) => self.errors.push(d),
            }
        }
    }

    /// A `[[promise]]`: its source, and the step a no-storage-before promise is about.
    fn promise(&mut self, p: &Promise) {
        self.source(&p.source);
        if p.rule == PromiseRule::NoStorageBefore && p.step.is_none() {
            self.at(
                p.source.span(),
                format!("promise `{}`: rule no-storage-before needs a `step`", p.id),
            );
        }
    }

    /// A `[[host]]`: its source, and a name that is a host or `*.` and a domain.
    fn host(&mut self, h: &HostEntry) {
        self.source(&h.source);
        let name = h.name.get_ref();
        let bare = name.strip_prefix("*.").unwrap_or(name);
        if bare.is_empty()
            || !bare.contains('.')
            || !bare
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        {
            self.at(
                h.name.span(),
                format!(
                    "host `{name}` must be a lowercase host name (`embed.tawk.to`) or `*.` and a domain (`*.tawk.to`): no scheme, port or path"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(
            DeclaredDuration::parse("Session"),
            Ok(DeclaredDuration::Session)
        );
        assert_eq!(
            DeclaredDuration::parse("persistent"),
            Ok(DeclaredDuration::Persistent)
        );
        match DeclaredDuration::parse("6 months").unwrap() {
            DeclaredDuration::Period { seconds, .. } => assert_eq!(seconds, 6 * 2_629_746),
            other => panic!("{other:?}"),
        }
        assert!(DeclaredDuration::parse("1 day").is_ok());
        assert!(DeclaredDuration::parse("forever").is_err());
        assert!(DeclaredDuration::parse("99999999999999999999 years").is_err());
    }

    #[test]
    fn storage_kinds_parse() {
        assert_eq!("localStorage".parse(), Ok(StorageKind::LocalStorage));
        assert_eq!("COOKIE".parse(), Ok(StorageKind::Cookie));
        assert!("disk".parse::<StorageKind>().is_err());
    }
}
