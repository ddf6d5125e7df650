//! The journey's pages: which of a site's pages the visitor goes on to, in a fixed order.
//!
//! Breadth first from the start page: each page's links in document order, the pages asked for
//! by name right after the start page, the sitemap's pages right after the start page's links.
//! Nothing here touches the browser: the driver hands in what the page showed.

use crate::vocab::{host_of, site_of};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};

/// A link of a rendered page, as `LINKS_SCRIPT` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Link {
    /// The resolved address (`a.href`).
    pub href: String,
    /// What the visitor reads: the text, else the label or title.
    #[serde(default)]
    pub text: String,
    /// The link asks for a download (`download` attribute).
    #[serde(default)]
    pub download: bool,
}

/// Reads the main document's `<a href>` and `<area href>` in document order (resolved).
pub const LINKS_SCRIPT: &str = r#"JSON.stringify(Array.from(document.querySelectorAll('a[href], area[href]'), a => ({
  href: String(a.href || ''),
  text: String(a.innerText || a.textContent || a.getAttribute('aria-label') || a.title || '').replace(/\s+/g, ' ').trim().slice(0, 120),
  download: a.hasAttribute('download'),
})))"#;

/// A page the journey visited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageVisit {
    /// Where the visitor ended up (after redirects): the page's name in the report.
    pub url: String,
    /// The address followed, when a redirect led elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
    /// How the page was found: `start`, `asked` (`--page`), `sitemap`, or the page linking to it.
    pub found: String,
}

/// A page the journey did not visit, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageSkipped {
    pub url: String,
    pub why: SkipReason,
    /// Where it was found (as `PageVisit::found`).
    pub found: String,
    /// What decided it, where words help: a log-out link's text, the page a redirect led to,
    /// the type of an answer that is no page, why a load failed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

crate::vocab::named! {
    /// Why a link is not followed.
    pub enum SkipReason: "skip reason", as_str {
        /// Another site (another registrable domain, or another host for an IP address).
        OffSite = "off-site",
        /// Not a web page: `mailto:`, `tel:`, `javascript:`, `data:`...
        Scheme = "scheme",
        /// A link to a place on the page it is on.
        SamePage = "same-page",
        /// A `download` link.
        Download = "download",
        /// The answer is no HTML page (a PDF, an image), by its extension or its content type.
        NotHtml = "not-html",
        /// A log-out link: following it could wipe the visitor's state.
        LogOut = "log-out",
        /// The redirect led to a page already visited.
        Visited = "visited",
        /// The page could not be loaded (network error or HTTP error status).
        Failed = "failed",
    }
}

/// The pages of a journey as the report lists them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    /// The pages visited, in order (the start page first).
    pub visited: Vec<PageVisit>,
    /// The links not followed and the pages not visited, each with why.
    #[serde(default)]
    pub skipped: Vec<PageSkipped>,
    /// Pages found but not visited because `--pages` was reached.
    #[serde(default)]
    pub beyond_limit: usize,
}

/// The pages of one journey: what is queued, what was visited, what was left out.
#[derive(Debug)]
pub struct PageQueue {
    /// The start page's site: its registrable domain (its host, for an IP address).
    site: String,
    /// At most this many pages from links and the sitemap, the start page included.
    limit: usize,
    /// Pages asked for by name, visited right after the start page on top of the limit.
    asked: VecDeque<String>,
    queue: VecDeque<(String, String)>,
    /// Every address queued, visited or skipped (without fragment): each is considered once.
    seen: BTreeSet<String>,
    pub journey: Journey,
}

/// Extensions whose answer is no HTML page: not worth a navigation to find out.
const NOT_HTML: &[&str] = &[
    "pdf", "zip", "gz", "tgz", "rar", "7z", "jpg", "jpeg", "png", "gif", "webp", "svg", "ico",
    "mp3", "mp4", "webm", "mov", "avi", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods",
    "csv", "txt", "xml", "json", "exe", "dmg", "apk", "ics", "vcf", "woff", "woff2", "css", "js",
];

/// Words of a log-out link's path or text, in the languages of the banner vocabulary's sites.
const LOG_OUT: &[&str] = &[
    "logout",
    "log out",
    "log-out",
    "log_out",
    "signout",
    "sign out",
    "sign-out",
    "sign_out",
    "logoff",
    "log off",
    "abmelden",
    "ausloggen",
    "uitloggen",
    "afmelden",
    "déconnexion",
    "deconnexion",
    "se déconnecter",
    "se deconnecter",
    "cerrar sesión",
    "cerrar sesion",
    "esci",
    "disconnetti",
    "sair",
    "terminar sessão",
    "wyloguj",
    "logga ut",
    "log ud",
    "logg ut",
    "kirjaudu ulos",
    "odhlásit",
    "kijelentkezés",
    "deconectare",
];

impl PageQueue {
    /// A journey from `start` (already resolved), visiting at most `limit` pages of links and
    /// sitemap, plus `asked` (absolute addresses of the same site) right after the start page.
    pub fn new(start: &str, limit: usize, asked: &[String]) -> PageQueue {
        let mut pages = PageQueue {
            site: site_key(start),
            limit: limit.max(1),
            asked: VecDeque::new(),
            queue: VecDeque::new(),
            seen: BTreeSet::new(),
            journey: Journey::default(),
        };
        pages.seen.insert(without_fragment(start));
        for a in asked {
            if pages.seen.insert(without_fragment(a)) {
                pages.asked.push_back(a.clone());
            }
        }
        pages
    }

    /// The start page (or any page) was reached at `url`, found as `found`.
    pub fn arrived(&mut self, requested: &str, url: &str, found: &str) {
        self.seen.insert(without_fragment(url));
        self.journey.visited.push(PageVisit {
            url: url.to_string(),
            requested: (without_fragment(requested) != without_fragment(url))
                .then(|| requested.to_string()),
            found: found.to_string(),
        });
    }

    /// True when `url` (a redirect's end) is a page already visited.
    pub fn already_visited(&self, url: &str) -> bool {
        let u = without_fragment(url);
        self.journey
            .visited
            .iter()
            .any(|v| without_fragment(&v.url) == u)
    }

    /// A page that was followed but not visited (a failed load, a redirect to a visited page,
    /// an answer that is no page).
    pub fn skip(&mut self, url: &str, why: SkipReason, found: &str, detail: &str) {
        self.journey.skipped.push(PageSkipped {
            url: url.to_string(),
            why,
            found: found.to_string(),
            detail: detail.to_string(),
        });
    }

    /// Queues the links of the page at `from`, in document order; records those never followed.
    pub fn offer_links(&mut self, from: &str, links: Vec<Link>) {
        for link in links {
            match self.judge(from, &link) {
                Ok(url) => {
                    if self.seen.insert(without_fragment(&url)) {
                        self.queue.push_back((url, from.to_string()));
                    }
                }
                Err(why) => {
                    let key = format!("{}\u{0}{}", why.as_str(), link.href);
                    // Each left-out link once, however many pages show it.
                    if self.seen.insert(key) {
                        self.journey.skipped.push(PageSkipped {
                            url: link.href,
                            why,
                            found: from.to_string(),
                            detail: if why == SkipReason::LogOut {
                                link.text
                            } else {
                                String::new()
                            },
                        });
                    }
                }
            }
        }
    }

    /// Queues the sitemap's pages (after what is queued so far: the start page's links).
    pub fn offer_sitemap(&mut self, urls: Vec<String>) {
        let links = urls
            .into_iter()
            .map(|href| Link {
                href,
                text: String::new(),
                download: false,
            })
            .collect();
        self.offer_links("sitemap", links);
    }

    /// The next page to visit and how it was found, or `None` when the journey is over.
    pub fn next_page(&mut self) -> Option<(String, String)> {
        if let Some(a) = self.asked.pop_front() {
            return Some((a, "asked".into()));
        }
        let from_links = self
            .journey
            .visited
            .iter()
            .filter(|v| v.found != "asked")
            .count();
        if from_links >= self.limit {
            self.journey.beyond_limit += self
                .queue
                .iter()
                .filter(|(u, _)| !self.already_visited(u))
                .count();
            self.queue.clear();
            return None;
        }
        // A page a redirect already led to is not visited again.
        while let Some((url, found)) = self.queue.pop_front() {
            if !self.already_visited(&url) {
                return Some((url, found));
            }
        }
        None
    }

    /// Whether more pages than the start page are wanted (else links and sitemap are not read).
    pub fn wants_more(&self) -> bool {
        self.limit > 1
    }

    fn judge(&self, from: &str, link: &Link) -> Result<String, SkipReason> {
        let Ok(mut url) = url::Url::parse(&link.href) else {
            return Err(SkipReason::Scheme);
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SkipReason::Scheme);
        }
        if site_key(url.as_str()) != self.site {
            return Err(SkipReason::OffSite);
        }
        url.set_fragment(None);
        let url = url.to_string();
        if url == without_fragment(from) {
            return Err(SkipReason::SamePage);
        }
        if link.download {
            return Err(SkipReason::Download);
        }
        if is_log_out(&url, &link.text) {
            return Err(SkipReason::LogOut);
        }
        if not_html_by_name(&url) {
            return Err(SkipReason::NotHtml);
        }
        Ok(url)
    }
}

/// A page asked for by name (`--page`) that is neither a path nor an http(s) address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidPage(String);

/// Checks a page asked for by name (`--page`): a path (`/contact`) or an http(s) address.
pub fn check_asked(page: &str) -> Result<(), InvalidPage> {
    if page.starts_with('/') && !page.starts_with("//") {
        return url::Url::parse("http://x.invalid/")
            .and_then(|b| b.join(page))
            .map(|_| ())
            .map_err(|e| InvalidPage(format!("`--page {page}`: not a path ({e})")));
    }
    match url::Url::parse(page) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        Ok(u) => Err(InvalidPage(format!(
            "`--page {page}`: a page is a path such as /contact or an http(s) address, not a {}: address",
            u.scheme()
        ))),
        Err(e) => Err(InvalidPage(format!(
            "`--page {page}`: a page is a path such as /contact or an http(s) address ({e})"
        ))),
    }
}

/// The pages asked for by name, as addresses of the start page's site; those of another site
/// are left out, with why.
pub fn resolve_asked(start: &str, asked: &[String]) -> (Vec<String>, Vec<PageSkipped>) {
    let site = site_key(start);
    let mut ok = Vec::new();
    let mut other = Vec::new();
    for a in asked {
        match url::Url::parse(start).and_then(|b| b.join(a)) {
            Ok(u) if site_key(u.as_str()) == site => ok.push(u.to_string()),
            Ok(u) => other.push(PageSkipped {
                url: u.to_string(),
                why: SkipReason::OffSite,
                found: "asked".into(),
                detail: String::new(),
            }),
            Err(e) => other.push(PageSkipped {
                url: a.clone(),
                why: SkipReason::Scheme,
                found: "asked".into(),
                detail: e.to_string(),
            }),
        }
    }
    (ok, other)
}

/// The site a page belongs to: its registrable domain, or its host for an IP address.
fn site_key(url: &str) -> String {
    host_of(url).map(|h| site_of(&h)).unwrap_or_default()
}

fn without_fragment(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => url.split('#').next().unwrap_or(url).to_string(),
    }
}

/// A link whose path or text says it logs the visitor out.
pub fn is_log_out(url: &str, text: &str) -> bool {
    // The path and the query: `?action=logout` logs out as well as `/logout`.
    let path = url::Url::parse(url)
        .map(|u| format!("{} {}", u.path(), u.query().unwrap_or_default()).to_lowercase())
        .unwrap_or_default();
    let text = text.to_lowercase();
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let path_words = words(&path).join(" ");
    let text_words = words(&text).join(" ");
    LOG_OUT.iter().any(|w| {
        let w = words(w).join(" ");
        let joined = w.replace(' ', "");
        let has = |hay: &str| {
            format!(" {hay} ").contains(&format!(" {w} "))
                || format!(" {hay} ").contains(&format!(" {joined} "))
        };
        has(&path_words) || has(&text_words)
    })
}

fn not_html_by_name(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let last = u.path().rsplit('/').next().unwrap_or_default();
    match last.rsplit_once('.') {
        Some((_, ext)) => NOT_HTML.contains(&ext.to_ascii_lowercase().as_str()),
        None => false,
    }
}

/// What a sitemap file lists: pages, or (an index) further sitemaps.
#[derive(Debug, PartialEq, Eq)]
pub enum Sitemap {
    Pages(Vec<String>),
    Index(Vec<String>),
}

/// Reads a sitemap (`<urlset>`) or sitemap index (`<sitemapindex>`): each `<loc>`, resolved
/// against the sitemap's own address; `None` if it is neither.
pub fn parse_sitemap(xml: &str, base: &str) -> Option<Sitemap> {
    let xml: &str = &without_comments(xml);
    let index = xml.contains("<sitemapindex");
    if !index && !xml.contains("<urlset") {
        return None;
    }
    let base = url::Url::parse(base).ok();
    let mut locs = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<loc>") {
        let after = &rest[start + 5..];
        let Some(end) = after.find("</loc>") else {
            break;
        };
        let raw = unescape_xml(after[..end].trim());
        let raw = raw
            .strip_prefix("<![CDATA[")
            .and_then(|s| s.strip_suffix("]]>"))
            .unwrap_or(&raw)
            .trim()
            .to_string();
        let resolved = match &base {
            Some(b) => b.join(&raw).map(|u| u.to_string()).unwrap_or(raw),
            None => raw,
        };
        locs.push(resolved);
        rest = &after[end + 6..];
    }
    Some(if index {
        Sitemap::Index(locs)
    } else {
        Sitemap::Pages(locs)
    })
}

/// The XML without its comments (a comment may well speak of `<loc>`).
fn without_comments(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The sitemaps a `robots.txt` announces (`Sitemap:` lines), resolved against `base`.
pub fn robots_sitemaps(robots: &str, base: &str) -> Vec<String> {
    let base = url::Url::parse(base).ok();
    robots
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case("sitemap").then(|| v.trim())
        })
        .filter(|v| !v.is_empty())
        .filter_map(|v| match &base {
            Some(b) => b.join(v).ok().map(|u| u.to_string()),
            None => Some(v.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(href: &str, text: &str) -> Link {
        Link {
            href: href.into(),
            text: text.into(),
            download: false,
        }
    }

    #[test]
    fn links_are_followed_breadth_first_in_document_order_within_the_limit() {
        let start = "http://www.shop.test/";
        let mut p = PageQueue::new(start, 4, &["http://www.shop.test/asked".into()]);
        p.arrived(start, start, "start");
        p.offer_links(
            start,
            vec![
                link("http://www.shop.test/a", "A"),
                link("http://shop.test/b#x", "B"),
                link("https://elsewhere.example/", "Elsewhere"),
                link("mailto:x@shop.test", "Mail"),
                link("http://www.shop.test/#top", "Top"),
                link("http://www.shop.test/account/logout", "Account"),
                link("http://www.shop.test/session/end", "Abmelden"),
                link("http://www.shop.test/price-list.pdf", "Prices"),
                Link {
                    download: true,
                    ..link("http://www.shop.test/catalogue", "Catalogue")
                },
                link("http://www.shop.test/a", "A again"),
            ],
        );
        p.offer_sitemap(vec![
            "http://www.shop.test/faq".into(),
            "http://www.shop.test/a".into(),
        ]);
        assert_eq!(
            p.next_page(),
            Some(("http://www.shop.test/asked".into(), "asked".into()))
        );
        p.arrived(
            "http://www.shop.test/asked",
            "http://www.shop.test/asked",
            "asked",
        );
        let (a, from) = p.next_page().unwrap();
        assert_eq!(
            (a.as_str(), from.as_str()),
            ("http://www.shop.test/a", start)
        );
        p.arrived(&a, &a, &from);
        p.offer_links(&a, vec![link("http://www.shop.test/deeper", "D")]);
        let (b, _) = p.next_page().unwrap();
        assert_eq!(b, "http://shop.test/b");
        p.arrived(&b, &b, start);
        let (faq, from) = p.next_page().unwrap();
        assert_eq!(
            (faq.as_str(), from.as_str()),
            ("http://www.shop.test/faq", "sitemap")
        );
        p.arrived(&faq, &faq, &from);
        // Four pages from links and sitemap, the asked one on top: the deeper page waits.
        assert_eq!(p.next_page(), None);
        assert_eq!(p.journey.beyond_limit, 1);
        let why: Vec<(&str, SkipReason)> = p
            .journey
            .skipped
            .iter()
            .map(|s| (s.url.as_str(), s.why))
            .collect();
        assert_eq!(
            why,
            vec![
                ("https://elsewhere.example/", SkipReason::OffSite),
                ("mailto:x@shop.test", SkipReason::Scheme),
                ("http://www.shop.test/#top", SkipReason::SamePage),
                ("http://www.shop.test/account/logout", SkipReason::LogOut),
                ("http://www.shop.test/session/end", SkipReason::LogOut),
                ("http://www.shop.test/price-list.pdf", SkipReason::NotHtml),
                ("http://www.shop.test/catalogue", SkipReason::Download),
            ]
        );
        assert_eq!(p.journey.skipped[4].detail, "Abmelden");
    }

    #[test]
    fn pages_asked_for_are_paths_or_web_addresses_of_the_same_site() {
        assert!(check_asked("/contact").is_ok());
        assert!(check_asked("https://www.shop.test/contact").is_ok());
        for bad in ["contact", "mailto:x@y.z", "//cdn.test/x", "http://"] {
            assert!(check_asked(bad).is_err(), "{bad}");
        }
        let (ok, other) = resolve_asked(
            "http://www.shop.test/home",
            &[
                "/contact".into(),
                "http://shop.test/a".into(),
                "https://else.test/".into(),
            ],
        );
        assert_eq!(
            ok,
            vec!["http://www.shop.test/contact", "http://shop.test/a"]
        );
        assert_eq!(other[0].why, SkipReason::OffSite);
    }

    #[test]
    fn an_ip_address_is_its_own_site() {
        let start = "http://127.0.0.1:8080/";
        let mut p = PageQueue::new(start, 5, &[]);
        p.arrived(start, start, "start");
        p.offer_links(
            start,
            vec![
                link("http://127.0.0.1:8080/x", ""),
                link("http://127.0.0.2:8080/y", ""),
            ],
        );
        assert_eq!(p.next_page().unwrap().0, "http://127.0.0.1:8080/x");
        assert_eq!(p.journey.skipped[0].why, SkipReason::OffSite);
    }

    #[test]
    fn log_out_links_are_told_by_path_or_text_in_several_languages() {
        for (url, text) in [
            ("http://s.test/logout", ""),
            ("http://s.test/user/sign-out?next=/", ""),
            ("http://s.test/x", "Log out"),
            ("http://s.test/x", "Uitloggen"),
            ("http://s.test/x", "Déconnexion"),
            ("http://s.test/wp-login.php?action=logout", ""),
        ] {
            assert!(is_log_out(url, text), "{url} {text}");
        }
        for (url, text) in [
            ("http://s.test/blog/catalogue", "Our catalogue"),
            ("http://s.test/x", "Sign up"),
        ] {
            assert!(!is_log_out(url, text), "{url} {text}");
        }
    }

    #[test]
    fn sitemaps_and_indexes_are_read_and_resolved() {
        let index = r#"<?xml version="1.0"?><!-- a <loc>comment</loc> --><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
          <sitemap><loc>/sitemap-pages.xml</loc></sitemap></sitemapindex>"#;
        assert_eq!(
            parse_sitemap(index, "http://s.test/sitemap.xml"),
            Some(Sitemap::Index(vec![
                "http://s.test/sitemap-pages.xml".into()
            ]))
        );
        let set = "<urlset><url><loc> http://s.test/a?x=1&amp;y=2 </loc></url><url><loc><![CDATA[/b]]></loc></url></urlset>";
        assert_eq!(
            parse_sitemap(set, "http://s.test/sitemap-pages.xml"),
            Some(Sitemap::Pages(vec![
                "http://s.test/a?x=1&y=2".into(),
                "http://s.test/b".into()
            ]))
        );
        assert_eq!(parse_sitemap("<html></html>", "http://s.test/"), None);
        assert_eq!(
            robots_sitemaps(
                "User-agent: *\nDisallow:\nSitemap: /sm.xml\nsitemap: http://s.test/b.xml\n",
                "http://s.test/robots.txt"
            ),
            vec!["http://s.test/sm.xml", "http://s.test/b.xml"]
        );
    }
}
