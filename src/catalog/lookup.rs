//! Asking the loaded catalog: which vendor or platform a key name, a request, a script or a
//! host is, and on what evidence.

use super::Catalog;
use super::matcher::{self, Attribution, Evidence, KeyMatch};
use super::model::{HostEntry, Strength, Vendor};
use super::ocd::{self, PlatformMatch};
use std::collections::BTreeMap;

impl Catalog {
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
