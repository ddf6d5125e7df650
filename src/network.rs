//! The page's requests, matched: each with its step, redacted URL, host, party and vendor, and
//! per host the steps at which it was contacted.
//!
//! The browser layer records requests as Chromium reports them ([`RequestLog`]); this layer
//! redacts their URLs (query and fragment values, user info) unless values are shown, and
//! attributes each to a catalog vendor by its host (`[[host]]`) or a script signature.

use crate::browser::watch::{FrameInfo, RawRequest, RequestLog, Timings};
use crate::catalog::Catalog;
use crate::observation::same_page;
use crate::vocab::{Party, Step, host_of, site_of};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long a URL may be in the report; longer ones are cut (with `…`).
pub const MAX_URL_CHARS: usize = 2_000;

/// One request of the page, as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The step during which it started.
    pub step: Step,
    /// The journey's page it started on (see `StepRecord::page`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page: String,
    /// Its URL, query and fragment values redacted unless values are shown.
    pub url: String,
    pub host: String,
    pub method: String,
    /// Chromium's resource type: `Document`, `Script`, `XHR`, `Fetch`, `WebSocket`, `Ping`
    /// (beacons), `Image`, `Stylesheet`, `Font`, `Other`, …
    pub resource_type: String,
    /// The frame that made it: `top`, the frame's origin, or Chromium's frame id when the
    /// frame was gone before any snapshot saw it; absent for WebSockets (Chromium does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<String>,
    /// What started it (`parser`, `script`, `preload`, `other`, …) and, where known, the
    /// document or script behind it (redacted like `url`).
    pub initiator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator_url: Option<String>,
    /// The HTTP status (101 for a WebSocket that connected); absent when no answer came.
    pub status: Option<i64>,
    /// Why it failed, when it did (`net::ERR_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// First- or third-party, by the registrable domain of its host against the page's.
    pub party: Party,
    /// The catalog vendor its host or path belongs to.
    pub vendor: Option<String>,
    /// Wall-clock start, seconds since the epoch (for HAR).
    #[serde(default)]
    pub started: f64,
    /// Milliseconds from start to finish, when it finished while watched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_service_worker: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status_text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mime_type: String,
    /// The protocol it went over: `http/1.1`, `h2`, `h3`, `data`, …
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub http_version: String,
    /// Bytes received over the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoded_size: Option<u64>,
    /// Where its time went, in milliseconds (HAR 1.2's split; -1 where not applicable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<Timings>,
    /// Headers and cookies, values redacted unless shown: for the HAR only, never in the JSON
    /// report (they would multiply its size).
    #[serde(default, skip_serializing)]
    pub request_headers: Vec<Header>,
    #[serde(default, skip_serializing)]
    pub response_headers: Vec<Header>,
    #[serde(default, skip_serializing)]
    pub request_cookies: Vec<Header>,
    #[serde(default, skip_serializing)]
    pub response_cookies: Vec<Header>,
}

/// A header or cookie: its name, and its value (`[redacted]` unless values are shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// What stands in for every value not shown.
pub const REDACTED: &str = "[redacted]";

/// The requests of one host at one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepContacts {
    pub step: Step,
    /// The journey's page (see `StepRecord::page`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page: String,
    /// How many requests started at this step (all of them, listed or not).
    pub count: u64,
    /// The first few (up to three), as evidence.
    pub samples: Vec<Request>,
}

/// A host the page contacted: whose, and at which steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostContact {
    pub host: String,
    /// Its registrable domain.
    pub site: String,
    pub party: Party,
    pub vendor: Option<String>,
    /// How the vendor was recognised: `host embed.tawk.to (script)`, `script signature …`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
    /// The first step at which it was contacted.
    pub first_step: Step,
    /// The page of `first_step` (see `StepRecord::page`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub first_page: String,
    pub steps: Vec<StepContacts>,
}

/// The network side of a scan: how many requests, how many listed, and every host contacted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// Every request the page made during the scan.
    pub total: u64,
    /// Requests counted but not listed in `requests` (over the per-scan cap): the hosts below
    /// still count them.
    pub dropped: u64,
    /// The per-scan cap on listed requests.
    pub cap: u64,
    /// Requests not tallied by host because too many distinct hosts were contacted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hosts_dropped: u64,
    /// Every host contacted, in order of first contact.
    pub hosts: Vec<HostContact>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Network {
    /// The hosts first contacted at `step` of `page` (any page when empty), as `host (vendor)`,
    /// `host (third party)` or `host`, for the readable formats' "hosts contacted per step".
    pub fn first_contacted_at(&self, step: Step, page: &str) -> Vec<String> {
        self.hosts
            .iter()
            .filter(|h| h.first_step == step && !h.host.is_empty())
            .filter(|h| same_page(&h.first_page, page))
            .map(|h| match (&h.vendor, h.party) {
                (Some(v), _) => format!("{} ({v})", h.host),
                (None, Party::ThirdParty) => format!("{} (third party)", h.host),
                (None, Party::FirstParty) => h.host.clone(),
            })
            .collect()
    }
}

/// Matches a scan's request log against the catalog: the listed requests, and the hosts.
/// `evidenced`: the vendors evidenced on the page (a host a vendor shares with its products is
/// the product's where only the product is evidenced).
pub fn build(
    catalog: &Catalog,
    log: &RequestLog,
    frames: &[FrameInfo],
    page_url: &str,
    evidenced: &crate::catalog::Evidence,
    show_values: bool,
) -> (Vec<Request>, Network) {
    let page_site = host_of(page_url).map(|h| site_of(&h)).unwrap_or_default();
    let top = frames
        .iter()
        .find(|f| f.parent.is_none())
        .map(|f| f.id.as_str());
    let cx = Matching {
        catalog,
        evidenced,
        frames,
        top,
        page_site: &page_site,
        show_values,
    };
    let requests = log.entries.iter().map(|r| cx.request(r)).collect();
    let mut hosts: Vec<HostContact> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &log.hosts {
        let contacts = StepContacts {
            step: t.step,
            page: t.page.clone(),
            count: t.count,
            // A listed sample is complete (status, timings); one past the cap is as it started.
            samples: t
                .samples
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let listed = t.listed.get(i).copied().flatten();
                    cx.request(listed.and_then(|l| log.entries.get(l)).unwrap_or(r))
                })
                .collect(),
        };
        // The host's vendor: the first of its sampled requests that matches one. The page's
        // own site is nobody's, even where it serves a vendor's script itself.
        let own = cx.party(&t.host) == Party::FirstParty;
        let (vendor, matched_by) = t
            .samples
            .iter()
            .map(|r| cx.vendor(&r.url))
            .find(|(v, how)| {
                v.is_some() && (!own || how.as_deref().is_some_and(|h| h.starts_with("host ")))
            })
            .unwrap_or((None, None));
        match index.get(t.host.as_str()) {
            Some(&i) => {
                let h = &mut hosts[i];
                h.steps.push(contacts);
                if h.vendor.is_none() {
                    (h.vendor, h.matched_by) = (vendor, matched_by);
                }
            }
            None => {
                index.insert(&t.host, hosts.len());
                hosts.push(HostContact {
                    host: t.host.clone(),
                    site: site_of(&t.host),
                    party: cx.party(&t.host),
                    vendor,
                    matched_by,
                    first_step: t.step,
                    first_page: t.page.clone(),
                    steps: vec![contacts],
                });
            }
        }
    }
    // In the order of the journey: its pages as first contacted, each page's steps in order.
    let page_order: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for t in &log.hosts {
            if !seen.contains(&t.page.as_str()) {
                seen.push(&t.page);
            }
        }
        seen
    };
    let at = |page: &str| page_order.iter().position(|p| *p == page);
    for h in &mut hosts {
        h.steps.sort_by_key(|s| (at(&s.page), s.step));
        if let Some(first) = h.steps.first() {
            h.first_step = first.step;
            h.first_page = first.page.clone();
        }
    }
    let network = Network {
        total: log.total,
        dropped: log.dropped,
        cap: crate::browser::watch::MAX_REQUEST_ENTRIES as u64,
        hosts_dropped: log.hosts_dropped,
        hosts,
    };
    (requests, network)
}

struct Matching<'a> {
    catalog: &'a Catalog,
    evidenced: &'a crate::catalog::Evidence,
    frames: &'a [FrameInfo],
    top: Option<&'a str>,
    page_site: &'a str,
    show_values: bool,
}

impl Matching<'_> {
    fn party(&self, host: &str) -> Party {
        if !host.is_empty() && site_of(host) == self.page_site {
            Party::FirstParty
        } else if host.is_empty() {
            // data:, blob: and about: URLs go nowhere: the page's own.
            Party::FirstParty
        } else {
            Party::ThirdParty
        }
    }

    fn vendor(&self, url: &str) -> (Option<String>, Option<String>) {
        let host = host_of(url).unwrap_or_default().to_ascii_lowercase();
        let first_party = self.party(&host) == Party::FirstParty;
        match self
            .catalog
            .vendor_of_request(url, first_party, self.evidenced)
        {
            Some((v, how)) => (Some(v.id.clone()), Some(how)),
            None => (None, None),
        }
    }

    fn request(&self, r: &RawRequest) -> Request {
        let host = host_of(&r.url).unwrap_or_default().to_ascii_lowercase();
        let frame = r.frame.as_ref().map(|id| {
            if Some(id.as_str()) == self.top {
                "top".to_string()
            } else {
                self.frames
                    .iter()
                    .find(|f| &f.id == id)
                    .map_or_else(|| id.clone(), |f| f.origin.clone())
            }
        });
        Request {
            step: r.step,
            page: r.page.clone(),
            url: redact_url(&r.url, self.show_values),
            party: self.party(&host),
            vendor: self.vendor(&r.url).0,
            host,
            method: r.method.clone(),
            resource_type: r.resource_type.clone(),
            frame,
            initiator: r.initiator_type.clone(),
            initiator_url: r
                .initiator_url
                .as_deref()
                .map(|u| redact_url(u, self.show_values)),
            status: r.status,
            error: r.error.clone(),
            started: r.started,
            duration_ms: r.duration_ms.map(|d| (d * 1000.0).round() / 1000.0),
            from_service_worker: r.from_service_worker,
            status_text: r.status_text.clone(),
            mime_type: r.mime_type.clone(),
            http_version: r.protocol.clone(),
            encoded_size: r.encoded_length.map(|n| n.max(0.0) as u64),
            timings: r.timings,
            request_headers: self.headers(&r.request_headers),
            response_headers: self.headers(&r.response_headers),
            request_cookies: self.cookies(&r.request_headers, "cookie", |v| {
                v.split(';').map(str::to_string).collect()
            }),
            response_cookies: self.cookies(&r.response_headers, "set-cookie", |v| {
                // Chromium joins several Set-Cookie lines with newlines; attributes follow `;`.
                v.lines()
                    .map(|l| l.split(';').next().unwrap_or("").to_string())
                    .collect()
            }),
        }
    }

    fn value(&self, v: &str) -> String {
        if self.show_values {
            v.to_string()
        } else {
            REDACTED.to_string()
        }
    }

    fn headers(&self, h: &[(String, String)]) -> Vec<Header> {
        h.iter()
            .map(|(name, value)| Header {
                name: name.clone(),
                value: self.value(value),
            })
            .collect()
    }

    /// The cookies of the headers named `header`, split by `split` into `name=value` parts.
    fn cookies(
        &self,
        h: &[(String, String)],
        header: &str,
        split: impl Fn(&str) -> Vec<String>,
    ) -> Vec<Header> {
        h.iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(header))
            .flat_map(|(_, v)| split(v))
            .filter_map(|part| {
                let (name, value) = part.trim().split_once('=')?;
                Some(Header {
                    name: name.trim().to_string(),
                    value: self.value(value.trim()),
                })
            })
            .filter(|c| !c.name.is_empty())
            .collect()
    }
}

/// A URL as the report shows it: every query and fragment value, and any password, replaced
/// by `[redacted]` unless `show_values`; `data:` URLs cut to their type; at most
/// [`MAX_URL_CHARS`] characters.
pub fn redact_url(url: &str, show_values: bool) -> String {
    if let Some(rest) = url.strip_prefix("data:") {
        let kind = rest.split([',', ';']).next().unwrap_or("");
        return format!("data:{kind},…");
    }
    let out = if show_values {
        url.to_string()
    } else {
        match url::Url::parse(url) {
            Ok(mut u) if u.has_host() => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("redacted"));
                }
                let query = u.query().map(redact_pairs);
                u.set_query(None);
                let fragment = u.fragment().map(redact_pairs);
                u.set_fragment(None);
                let mut s = u.to_string();
                if let Some(q) = query {
                    s.push('?');
                    s.push_str(&q);
                }
                if let Some(f) = fragment {
                    s.push('#');
                    s.push_str(&f);
                }
                s
            }
            // Not a URL with a host (about:blank, blob:…): nothing to redact but its text.
            _ => url.split(['?', '#']).next().unwrap_or("").to_string(),
        }
    };
    if out.chars().count() > MAX_URL_CHARS {
        let mut cut: String = out.chars().take(MAX_URL_CHARS).collect();
        cut.push('…');
        cut
    } else {
        out
    }
}

/// `a=1&b&c=3` → `a=[redacted]&b&c=[redacted]`: names kept, values gone.
fn redact_pairs(q: &str) -> String {
    q.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) => format!("{name}={REDACTED}"),
            // A bare value (`?abc123`, `#token`) is a value too.
            None if pair.is_empty() => String::new(),
            None => REDACTED.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_fragment_values_are_redacted_unless_shown() {
        let u = "https://user:secret@va.tawk.to:8443/v1/session?visitor=abc123&flag&t=9#token=xyz";
        assert_eq!(
            redact_url(u, false),
            "https://user:redacted@va.tawk.to:8443/v1/session?visitor=[redacted]&[redacted]&t=[redacted]#token=[redacted]"
        );
        assert_eq!(redact_url(u, true), u);
        assert_eq!(
            redact_url("https://embed.tawk.to/5f2b/default", false),
            "https://embed.tawk.to/5f2b/default"
        );
        assert_eq!(
            redact_url("data:image/png;base64,AAAA", true),
            "data:image/png,…"
        );
        let long = format!("https://a.test/{}", "x".repeat(3 * MAX_URL_CHARS));
        assert_eq!(redact_url(&long, true).chars().count(), MAX_URL_CHARS + 1);
    }

    fn raw(step: Step, url: &str) -> RawRequest {
        RawRequest {
            step,
            page: String::new(),
            url: url.into(),
            method: "GET".into(),
            resource_type: "Script".into(),
            frame: Some("MAIN".into()),
            initiator_type: "parser".into(),
            initiator_url: Some("http://www.shop.test:8080/?q=secret".into()),
            status: Some(200),
            error: None,
            started: 0.0,
            duration_ms: None,
            from_service_worker: false,
            status_text: String::new(),
            mime_type: String::new(),
            protocol: String::new(),
            encoded_length: None,
            request_headers: vec![("Cookie".into(), "a=1; b=2".into())],
            response_headers: Vec::new(),
            timings: None,
        }
    }

    #[test]
    fn requests_get_their_party_vendor_and_hosts_their_steps() {
        let catalog = Catalog::embedded().unwrap();
        let mut log = RequestLog::default();
        let reqs = [
            (Step::Load, "http://www.shop.test:8080/"),
            (
                Step::Load,
                "http://embed.tawk.to:8080/5f2b1c9e8a4d3b0012c7e6a1/default",
            ),
            (Step::Load, "http://cdn.shop.test:8080/app.js"),
            (
                Step::Consent,
                "http://code.jivosite.com:8080/widget/EBSrukxUuA",
            ),
            (Step::ChatOpen, "wss://vsa42.tawk.to/s?k=v"),
            (Step::Load, "https://fonts.example.net/css?family=x"),
        ];
        for (i, (step, url)) in reqs.iter().enumerate() {
            log.start(&i.to_string(), raw(*step, url), 0.0);
        }
        let frames = [FrameInfo {
            id: "MAIN".into(),
            parent: None,
            url: "http://www.shop.test:8080/".into(),
            origin: "http://www.shop.test:8080".into(),
        }];
        let (requests, net) = build(
            &catalog,
            &log,
            &frames,
            "http://www.shop.test:8080/",
            &Default::default(),
            false,
        );
        assert_eq!(net.total, 6);
        assert_eq!(requests.len(), 6);
        let by_host = |h: &str| requests.iter().find(|r| r.host == h).unwrap();
        assert_eq!(by_host("www.shop.test").party, Party::FirstParty);
        assert_eq!(by_host("cdn.shop.test").party, Party::FirstParty);
        assert_eq!(by_host("www.shop.test").frame.as_deref(), Some("top"));
        let tawk = by_host("embed.tawk.to");
        assert_eq!(
            (tawk.party, tawk.vendor.as_deref()),
            (Party::ThirdParty, Some("tawkto"))
        );
        assert_eq!(
            tawk.initiator_url.as_deref(),
            Some("http://www.shop.test:8080/?q=[redacted]")
        );
        assert_eq!(by_host("vsa42.tawk.to").vendor.as_deref(), Some("tawkto"));
        assert_eq!(
            tawk.request_cookies,
            [
                Header {
                    name: "a".into(),
                    value: REDACTED.into()
                },
                Header {
                    name: "b".into(),
                    value: REDACTED.into()
                }
            ]
        );
        assert_eq!(tawk.request_headers[0].value, REDACTED);
        // Headers and cookies are for the HAR: not in the JSON report.
        let json = serde_json::to_string(tawk).unwrap();
        assert!(
            !json.contains("request_headers") && !json.contains("Cookie"),
            "{json}"
        );
        assert_eq!(
            by_host("vsa42.tawk.to").url,
            "wss://vsa42.tawk.to/s?k=[redacted]"
        );
        assert_eq!(
            by_host("code.jivosite.com").vendor.as_deref(),
            Some("jivochat")
        );
        let fonts = by_host("fonts.example.net");
        assert_eq!(
            (fonts.party, fonts.vendor.as_deref()),
            (Party::ThirdParty, None)
        );
        let h = net
            .hosts
            .iter()
            .find(|h| h.host == "embed.tawk.to")
            .unwrap();
        assert_eq!(h.first_step, Step::Load);
        assert_eq!(h.matched_by.as_deref(), Some("host embed.tawk.to (script)"));
        // A sample is the listed request, completed.
        assert_eq!(h.steps[0].samples[0].status, Some(200));
        let load = net.first_contacted_at(Step::Load, "");
        assert!(
            load.contains(&"embed.tawk.to (tawkto)".to_string()),
            "{load:?}"
        );
        assert!(
            load.contains(&"fonts.example.net (third party)".to_string()),
            "{load:?}"
        );
        assert!(load.contains(&"www.shop.test".to_string()), "{load:?}");
        assert_eq!(
            net.first_contacted_at(Step::Consent, ""),
            ["code.jivosite.com (jivochat)"]
        );
    }

    #[test]
    fn a_site_named_after_a_vendor_is_not_the_vendors() {
        let catalog = Catalog::embedded().unwrap();
        let mut log = RequestLog::default();
        log.start("1", raw(Step::Load, "http://www.web1on1-eager.test/"), 0.0);
        log.start(
            "2",
            raw(Step::Load, "http://cdn.web1on1.test/js/web1on1-loader.js"),
            0.0,
        );
        log.start(
            "3",
            raw(
                Step::Load,
                "http://www.web1on1-eager.test/js/web1on1-loader.js",
            ),
            0.0,
        );
        let (requests, net) = build(
            &catalog,
            &log,
            &[],
            "http://www.web1on1-eager.test/",
            &Default::default(),
            false,
        );
        let vendors: Vec<Option<&str>> = requests.iter().map(|r| r.vendor.as_deref()).collect();
        // The page itself is nobody's; a self-hosted loader is the vendor's by its path.
        assert_eq!(vendors, [None, Some("web1on1"), Some("web1on1")]);
        assert_eq!(net.hosts[0].vendor, None);
    }

    #[test]
    fn requests_and_hosts_read_back_from_their_json() {
        let catalog = Catalog::embedded().unwrap();
        let mut log = RequestLog::default();
        log.start(
            "1",
            raw(Step::Load, "http://embed.tawk.to/a/default?k=v"),
            0.0,
        );
        let (requests, net) = build(
            &catalog,
            &log,
            &[],
            "http://www.shop.test/",
            &Default::default(),
            false,
        );
        let back: Vec<Request> =
            serde_json::from_str(&serde_json::to_string(&requests).unwrap()).unwrap();
        // Headers and cookies stay out of the JSON; everything else reads back as written.
        let without_headers: Vec<Request> = requests
            .iter()
            .map(|r| Request {
                request_headers: Vec::new(),
                request_cookies: Vec::new(),
                ..r.clone()
            })
            .collect();
        assert_eq!(back, without_headers);
        let net_back: Network =
            serde_json::from_str(&serde_json::to_string(&net).unwrap()).unwrap();
        assert_eq!(net_back.hosts.len(), 1);
        assert_eq!(net_back.hosts[0].vendor.as_deref(), Some("tawkto"));
        assert_eq!(net_back.total, 1);
    }

    #[test]
    fn the_log_caps_entries_but_counts_every_request_per_host() {
        let mut log = RequestLog::default();
        let n = crate::browser::watch::MAX_REQUEST_ENTRIES + 500;
        for i in 0..n {
            log.start(
                &i.to_string(),
                raw(Step::Load, &format!("http://www.shop.test/r?i={i}")),
                0.0,
            );
        }
        assert_eq!(log.total, n as u64);
        assert_eq!(
            log.entries.len(),
            crate::browser::watch::MAX_REQUEST_ENTRIES
        );
        assert_eq!(log.dropped, 500);
        assert_eq!(log.hosts.len(), 1);
        assert_eq!(log.hosts[0].count, n as u64);
        assert_eq!(
            log.hosts[0].samples.len(),
            crate::browser::watch::SAMPLES_PER_HOST
        );
    }
}
