//! Integration tests: every consent-manager fixture detected, accepted and rejected in the real Chromium, plus hostile banners.
//!
//! The fixtures of imported rules (`fixtures/cmps/ac-*`, rules of catalog/autoconsent.toml) may
//! serve hosts over https (their rules' `url_pattern`s name real https sites): a TLS front with
//! a test certificate (tests/common/tls.rs) stands before the loopback server, and the browser is
//! one started here with `--ignore-certificate-errors`, those hosts mapped to the front.

use crate::common;
use crate::common::{chatcookie, tls};

use chatcookie::ThirdPartyCookies;
use chatcookie::browser::endpoint::Endpoint;
use chatcookie::browser::{BrowserOptions, BrowserSession, Farm};
use chatcookie::catalog::Catalog;
use chatcookie::consent::{CmpRules, ConsentRecord};
use chatcookie::scan::{
    self, ConsentChoice, ConsentMethod, ScanOptions, ScanRun, Settings, StepStatus,
};
use chatcookie::serve::{SiteFiles, SiteServer};
use chatcookie::{Clock, ConsentAction, Step};
use serde::Deserialize;
use serde_json::json;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn fixture_dir(name: &str) -> PathBuf {
    common::root().join("fixtures/cmps").join(name)
}

/// A fixture's expected.toml.
#[derive(Debug, Deserialize)]
struct Expected {
    host: String,
    cmp: Option<String>,
    consent_text: Option<String>,
    reject_text: Option<String>,
    /// Hosts served over https (through the TLS front), the site's own host included when its
    /// start URL is https.
    #[serde(default)]
    https: Vec<String>,
}

fn expected(name: &str) -> Expected {
    let text = std::fs::read_to_string(fixture_dir(name).join("expected.toml")).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/expected.toml: {e}"))
}

/// A fixture served on loopback.
struct Site {
    name: String,
    exp: Expected,
    server: SiteServer,
    /// The TLS front of its https hosts, if it has any.
    front: Option<tls::TlsFront>,
}

impl Site {
    /// The URL of `path` (no leading slash) on the site's own host.
    fn url(&self, path: &str) -> String {
        if self.exp.https.contains(&self.exp.host) {
            format!("https://{}/{path}", self.exp.host)
        } else {
            format!("{}{path}", self.server.url())
        }
    }
}

/// One browser for one or more fixture sites (all their host names mapped to loopback at launch);
/// its scans run one after the other, each in a new page.
struct Bench {
    sites: Vec<Site>,
    session: BrowserSession,
    catalog: Catalog,
    /// The browser started here for https fixtures (dropped after the session).
    _browser: Option<common::ExternalChromium>,
}

impl Bench {
    fn start(names: &[&str]) -> Bench {
        let sites: Vec<Site> = names
            .iter()
            .map(|name| {
                let exp = expected(name);
                let server =
                    SiteServer::start(SiteFiles::Disk(fixture_dir(name)), &exp.host).unwrap();
                let front = (!exp.https.is_empty()).then(|| tls::TlsFront::start(server.port));
                Site {
                    name: name.to_string(),
                    exp,
                    server,
                    front,
                }
            })
            .collect();
        let loopback: Vec<String> = sites
            .iter()
            .flat_map(|s| s.server.hosts.iter().cloned())
            .collect();
        if sites.iter().all(|s| s.front.is_none()) {
            let session = BrowserSession::start(&BrowserOptions {
                third_party_cookies: ThirdPartyCookies::Block,
                map_to_loopback: loopback,
                launch_timeout: Duration::from_secs(30),
                ..BrowserOptions::default()
            })
            .expect("Chromium must be installed for the integration tests (see README)");
            return Bench {
                sites,
                session,
                catalog: Catalog::embedded().unwrap(),
                _browser: None,
            };
        }
        // https hosts go to their site's TLS front, the others to loopback at the URL's port.
        let mut rules = Vec::new();
        for site in &sites {
            for host in &site.server.hosts {
                match &site.front {
                    Some(front) if site.exp.https.contains(host) => {
                        rules.push(format!("MAP {host} 127.0.0.1:{}", front.port))
                    }
                    _ => rules.push(format!("MAP {host} 127.0.0.1")),
                }
            }
        }
        let browser = common::ExternalChromium::start(&[
            "--ignore-certificate-errors",
            // As chatcookie's own launch: one frame tree for the page (see README, farms).
            "--disable-site-isolation-trials",
            "--disable-features=IsolateOrigins,site-per-process",
            &format!("--host-resolver-rules={}", rules.join(", ")),
        ]);
        let session = BrowserSession::start(&BrowserOptions {
            connect: Some(Farm {
                endpoint: Endpoint::parse(&browser.ws).unwrap(),
                headers: Vec::new(),
            }),
            launch_timeout: Duration::from_secs(30),
            ..BrowserOptions::default()
        })
        .expect("the browser started for the https fixtures must be reachable");
        Bench {
            sites,
            session,
            catalog: Catalog::embedded().unwrap(),
            _browser: Some(browser),
        }
    }

    fn site(&self, name: &str) -> &Site {
        self.sites.iter().find(|s| s.name == name).unwrap()
    }

    /// The first (or only) site's expectations.
    fn exp(&self) -> &Expected {
        &self.sites[0].exp
    }

    /// Loads the first (or only) site and answers its banner.
    fn scan(&self, consent: ConsentChoice, step_timeout: Duration) -> Scanned {
        self.scan_site(&self.sites[0].name, consent, step_timeout)
    }

    fn auto(&self, action: ConsentAction) -> Scanned {
        self.scan(auto(action), Duration::from_secs(10))
    }

    /// Loads `name` and answers its banner: the load and consent steps only.
    fn scan_site(&self, name: &str, consent: ConsentChoice, step_timeout: Duration) -> Scanned {
        self.scan_site_on(name, consent, step_timeout, Clock::default())
    }

    /// As `scan_site`, with the page on `clock`.
    fn scan_site_on(
        &self,
        name: &str,
        consent: ConsentChoice,
        step_timeout: Duration,
        clock: Clock,
    ) -> Scanned {
        self.scan_path_on(name, "", consent, step_timeout, clock)
    }

    /// As `scan_site_on`, at `path` on the site's own host.
    fn scan_path_on(
        &self,
        name: &str,
        path: &str,
        consent: ConsentChoice,
        step_timeout: Duration,
        clock: Clock,
    ) -> Scanned {
        let site = self.site(name);
        self.forget_cookies(site);
        let opts = ScanOptions {
            url: site.url(path),
            consent,
            settings: Settings {
                step_timeout,
                quiet: Duration::from_millis(100),
                widget_timeout: Duration::from_secs(1),
                steps: vec![Step::Load, Step::Consent],
                clock,
                ..Settings::default()
            },
            ..ScanOptions::default()
        };
        let t0 = Instant::now();
        let run = scan::run(&self.session, &self.catalog, &opts).unwrap();
        let took = t0.elapsed();
        self.close_pages(site);
        Scanned {
            fixture: name.to_string(),
            host: site.exp.host.clone(),
            run,
            took,
        }
    }

    /// Deletes the cookies of `site`'s hosts: the previous answer must not leak into the next scan.
    fn forget_cookies(&self, site: &Site) {
        let t = Duration::from_secs(5);
        let cookies = self
            .session
            .cdp
            .call_raw(None, "Storage.getCookies", json!({}), t)
            .unwrap();
        let page = self.session.new_page(t).unwrap();
        for c in cookies["cookies"].as_array().into_iter().flatten() {
            let domain = c["domain"].as_str().unwrap_or_default();
            if site.server.hosts.contains(domain.trim_start_matches('.')) {
                page.call(
                    "Network.deleteCookies",
                    json!({ "name": c["name"], "domain": domain, "path": c["path"] }),
                    t,
                )
                .unwrap();
            }
        }
        self.session.close_page(&page);
    }

    /// Closes the pages showing `site`, so their timers stop using the CPU.
    fn close_pages(&self, site: &Site) {
        let t = Duration::from_secs(5);
        let targets = self
            .session
            .cdp
            .call_raw(None, "Target.getTargets", json!({}), t)
            .unwrap();
        let prefix = site.url("");
        for target in targets["targetInfos"].as_array().into_iter().flatten() {
            let url = target["url"].as_str().unwrap_or_default();
            if target["type"] == "page" && url.starts_with(&prefix) {
                let _ = self.session.cdp.call_raw(
                    None,
                    "Target.closeTarget",
                    json!({ "targetId": target["targetId"] }),
                    t,
                );
            }
        }
    }
}

fn auto(action: ConsentAction) -> ConsentChoice {
    ConsentChoice::new(action, ConsentMethod::Auto, CmpRules::embedded().unwrap())
}

fn by_text(action: ConsentAction, text: &str) -> ConsentChoice {
    ConsentChoice::new(
        action,
        ConsentMethod::Text(text.into()),
        CmpRules::embedded().unwrap(),
    )
}

/// A finished scan of one fixture.
struct Scanned {
    fixture: String,
    host: String,
    run: ScanRun,
    took: Duration,
}

impl Scanned {
    fn step(&self, step: Step) -> &scan::StepRecord {
        self.run
            .steps
            .iter()
            .find(|s| s.step == step)
            .unwrap_or_else(|| panic!("{}: no {step} step", self.fixture))
    }

    fn consent(&self) -> &ConsentRecord {
        self.step(Step::Consent)
            .consent
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no consent record", self.fixture))
    }

    fn detail(&self) -> &str {
        &self.step(Step::Consent).detail
    }

    /// A first-party cookie's value after the consent step (or after load, when it was skipped).
    fn cookie(&self, name: &str) -> Option<String> {
        self.run
            .snapshots
            .last()
            .unwrap()
            .cookies
            .iter()
            .find(|c| c.name == name && c.domain == self.host)
            .map(|c| c.value.clone())
    }

    /// Everything a failing assertion should show.
    fn dump(&self) -> String {
        format!(
            "{}: took {:?}\n{}",
            self.fixture,
            self.took,
            serde_json::to_string_pretty(&self.run.steps).unwrap()
        )
    }
}

/// Detects the fixture's CMP, accepts, then rejects (each in a new page, without its host's cookies).
fn accept_and_reject(bench: &Bench, name: &str) {
    let cmp = bench.site(name).exp.cmp.clone().unwrap();
    for (action, rule, value) in [
        (ConsentAction::Accept, "accept step", "accepted"),
        (ConsentAction::Reject, "reject step", "rejected"),
    ] {
        let s = bench.scan_site(name, auto(action), Duration::from_secs(10));
        let r = s.consent();
        let d = s.dump();
        assert_eq!(r.detected, [cmp.as_str()], "{d}");
        assert_eq!(r.cmp.as_deref(), Some(cmp.as_str()), "{d}");
        assert!(
            r.rule.as_deref().unwrap_or_default().starts_with(rule),
            "{d}"
        );
        assert!(r.done, "{d}");
        assert_eq!(r.outcome.as_deref(), Some("the banner closed"), "{d}");
        assert_eq!(s.cookie("cmp_choice").as_deref(), Some(value), "{d}");
        assert_eq!(s.step(Step::Consent).status, StepStatus::Done, "{d}");
        assert!(s.detail().contains(&format!("({cmp})")), "{d}");
        assert!(s.detail().contains(r.element.as_deref().unwrap()), "{d}");
        assert!(s.run.aborted.is_none(), "{d}");
        // Nothing answered the banner before the consent step.
        let load = s.run.snapshots.first().unwrap();
        assert!(
            !load
                .cookies
                .iter()
                .any(|c| c.name == "cmp_choice" && c.domain == s.host),
            "{d}"
        );
    }
}

/// How many browsers scan fixtures at once. Each scans its share one page at a time: a page in
/// the background of a browser gets no animation frames and throttled timers.
const WORKERS: usize = 4;

#[test]
fn every_cmp_fixture_is_detected_accepted_and_rejected() {
    let rules = CmpRules::embedded().unwrap();
    // The hand-written rules have a fixture each; the imported ones are tested below.
    let ids: Vec<&str> = rules
        .cmps()
        .iter()
        .filter(|c| c.file == "catalog/cmps.toml")
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids.len(), 23, "{ids:?}");
    for id in &ids {
        assert!(
            fixture_dir(id).join("index.html").is_file(),
            "no fixture for {id}"
        );
        assert_eq!(expected(id).cmp.as_deref(), Some(*id));
        assert_eq!(expected(id).host, format!("www.{id}.test"));
    }
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..WORKERS {
            let share: Vec<&str> = ids.iter().copied().skip(worker).step_by(WORKERS).collect();
            let failures = &failures;
            scope.spawn(move || {
                let bench = Bench::start(&share);
                for id in share {
                    let outcome = catch_unwind(AssertUnwindSafe(|| accept_and_reject(&bench, id)));
                    if let Err(panic) = outcome {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        failures.lock().unwrap().push(format!("{id}: {message}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} CMP fixtures failed:\n{}",
        failures.len(),
        ids.len(),
        failures.join("\n\n")
    );
}

#[test]
fn multi_step_and_frame_rules_record_the_step_and_frame_that_clicked() {
    let bench = Bench::start(&["cookieconsent-v2", "trustarc"]);
    let reject = || auto(ConsentAction::Reject);
    let s = bench.scan_site("cookieconsent-v2", reject(), Duration::from_secs(10));
    let d = s.dump();
    assert_eq!(s.consent().rule.as_deref(), Some("reject step 2"), "{d}");
    assert!(
        s.consent()
            .element
            .as_deref()
            .unwrap()
            .contains("#s-rall-bn"),
        "{d}"
    );

    let s = bench.scan_site("trustarc", reject(), Duration::from_secs(10));
    let element = s.consent().element.clone().unwrap();
    // `#truste-consent-required` and `.rejectAll` are missing: the third alternative answered.
    assert!(
        element.contains(".truste_popframe >>> .required"),
        "{element}"
    );
    assert!(
        element.contains("in frame http://consent-pref.trustarc.com:"),
        "{element}"
    );
    assert!(element.contains("mouse click at"), "{element}");
}

#[test]
fn a_banner_that_shows_five_seconds_late_is_still_answered() {
    let bench = Bench::start(&["late-banner"]);
    let s = bench.auto(ConsentAction::Accept);
    let d = s.dump();
    assert!(s.consent().done, "{d}");
    assert_eq!(s.consent().cmp.as_deref(), Some("cookiebot"), "{d}");
    assert_eq!(s.cookie("cmp_choice").as_deref(), Some("accepted"), "{d}");
    assert!(s.took < Duration::from_secs(16), "{d}");

    // On the real clock the same banner is answered too, after the 5 s it takes.
    let name = bench.sites[0].name.clone();
    let s = bench.scan_site_on(
        &name,
        auto(ConsentAction::Accept),
        Duration::from_secs(10),
        Clock::Real,
    );
    let d = s.dump();
    assert!(s.consent().done, "{d}");
    assert_eq!(s.cookie("cmp_choice").as_deref(), Some("accepted"), "{d}");
    assert!(s.step(Step::Consent).duration_ms >= 4000, "{d}");

    // With a step too short for it, the wait is bounded and says what it saw.
    let s = bench.scan(auto(ConsentAction::Accept), Duration::from_secs(2));
    let d = s.dump();
    assert_eq!(s.step(Step::Consent).status, StepStatus::Skipped, "{d}");
    assert_eq!(s.consent().detected, ["cookiebot"], "{d}");
    assert!(!s.consent().done, "{d}");
    assert!(s.detail().contains("did not show within"), "{d}");
    assert!(s.step(Step::Consent).duration_ms < 3000, "{d}");
    assert_eq!(s.cookie("cmp_choice"), None, "{d}");
}

#[test]
fn a_banner_that_reappears_is_answered_again() {
    let bench = Bench::start(&["reappearing-banner"]);
    let s = bench.auto(ConsentAction::Accept);
    let r = s.consent();
    let d = s.dump();
    assert!(r.done, "{d}");
    assert!(r.tried.iter().any(|t| t.contains("re-appeared")), "{d}");
    assert_eq!(s.cookie("cmp_answers").as_deref(), Some("2"), "{d}");
    assert_eq!(s.cookie("cmp_choice").as_deref(), Some("accepted"), "{d}");
}

#[test]
fn a_button_that_navigates_away_counts_as_answered() {
    let bench = Bench::start(&["navigating-button"]);
    for (action, value) in [
        (ConsentAction::Accept, "accepted"),
        (ConsentAction::Reject, "rejected"),
    ] {
        let s = bench.auto(action);
        let r = s.consent();
        let d = s.dump();
        assert!(r.done, "{d}");
        assert_eq!(r.cmp.as_deref(), Some("complianz"), "{d}");
        assert!(
            r.outcome.as_deref().unwrap().contains("navigated to")
                && r.outcome.as_deref().unwrap().contains("thanks.html"),
            "{d}"
        );
        assert_eq!(s.cookie("cmp_choice").as_deref(), Some(value), "{d}");
        assert_eq!(s.cookie("landed").as_deref(), Some("thanks"), "{d}");
        assert!(s.run.final_url.contains("thanks.html"), "{d}");
        assert!(s.took < Duration::from_secs(10), "{d}");
    }
}

#[test]
fn a_click_handler_that_throws_is_reported_not_fatal() {
    let bench = Bench::start(&["throwing-click"]);
    // AGREE: one listener throws, the other still records and closes.
    let s = bench.auto(ConsentAction::Accept);
    let d = s.dump();
    assert!(s.consent().done, "{d}");
    assert_eq!(s.cookie("cmp_choice").as_deref(), Some("accepted"), "{d}");
    // DISAGREE: its only listener throws; the banner stays and the record says so.
    let s = bench.auto(ConsentAction::Reject);
    let r = s.consent();
    let d = s.dump();
    assert!(!r.done, "{d}");
    assert_eq!(r.cmp.as_deref(), Some("quantcast"), "{d}");
    assert_eq!(
        r.outcome.as_deref(),
        Some("the banner is still shown"),
        "{d}"
    );
    assert!(r.tried.iter().any(|t| t.contains("still shown")), "{d}");
    assert!(s.detail().contains("but the banner is still shown"), "{d}");
    assert_eq!(s.cookie("cmp_choice"), None, "{d}");
    assert!(s.took < Duration::from_secs(12), "{d}");
}

#[test]
fn a_banner_no_rule_covers_is_answered_by_its_button_text() {
    let bench = Bench::start(&["text-only"]);
    // No rule knows it, so automatic consent answers it by sight: the visible, exact "Alle
    // akzeptieren" in the shadow root, never the hidden decoy or the link that holds the words.
    for (action, value, verb) in [
        (ConsentAction::Accept, "accepted", "accepted by sight"),
        (ConsentAction::Reject, "rejected", "rejected by sight"),
    ] {
        let s = bench.auto(action);
        let d = s.dump();
        assert_eq!(s.step(Step::Consent).status, StepStatus::Done, "{d}");
        assert!(s.detail().starts_with(verb), "{d}");
        assert!(s.consent().detected.is_empty(), "{d}");
        assert_eq!(
            s.consent().method,
            Some(chatcookie::consent::AnswerMethod::Heuristic),
            "{d}"
        );
        assert_eq!(s.cookie("cmp_choice").as_deref(), Some(value), "{d}");
        let banner = s.consent().banner.clone().unwrap();
        assert!(banner.element.contains("<div.box>"), "{d}");
        assert!(banner.confidence >= 0.5, "{d}");
        assert_eq!(
            s.consent().refusal,
            Some(chatcookie::consent::Refusal::FirstLayer),
            "{d}"
        );
    }

    let accept_text = bench.exp().consent_text.clone().unwrap();
    let s = bench.scan(
        by_text(ConsentAction::Accept, &accept_text),
        Duration::from_secs(10),
    );
    let d = s.dump();
    // The exact, visible match in the shadow root; not the hidden decoy, not the longer link.
    assert_eq!(s.cookie("cmp_choice").as_deref(), Some("accepted"), "{d}");
    let element = s.consent().element.clone().unwrap();
    assert!(element.contains("exact text match"), "{d}");
    assert!(s.detail().contains("by button text"), "{d}");

    let reject_text = bench.exp().reject_text.clone().unwrap();
    let s = bench.scan(
        by_text(ConsentAction::Reject, &reject_text),
        Duration::from_secs(10),
    );
    assert_eq!(
        s.cookie("cmp_choice").as_deref(),
        Some("rejected"),
        "{}",
        s.dump()
    );

    let s = bench.scan(
        by_text(ConsentAction::Accept, "Nirgends zu finden"),
        Duration::from_secs(1),
    );
    let d = s.dump();
    assert_eq!(s.step(Step::Consent).status, StepStatus::Skipped, "{d}");
    assert!(s.detail().contains("no visible, enabled button"), "{d}");
    assert!(!s.consent().done, "{d}");
}

#[test]
fn button_text_is_found_inside_a_cross_origin_frame() {
    let bench = Bench::start(&["sourcepoint"]);
    let s = bench.scan(
        by_text(ConsentAction::Accept, "accept"),
        Duration::from_secs(10),
    );
    let d = s.dump();
    assert_eq!(s.cookie("cmp_choice").as_deref(), Some("accepted"), "{d}");
    let element = s.consent().element.clone().unwrap();
    assert!(
        element.contains("in frame http://cdn.privacy-mgmt.com:"),
        "{d}"
    );
}

#[test]
fn a_user_rule_replaces_an_embedded_one_and_can_answer_by_script() {
    let mine = r##"
[[cmp]]
id = "didomi"
name = "Didomi (by its API)"
replace = true
detect = { globals = ["Didomi"] }
shown = "#didomi-notice"
accept = [{ wait = "#didomi-notice-agree-button" }, { eval = "Didomi.setUserAgreeToAll()" }]
reject = [{ eval = "Didomi.setUserDisagreeToAll()" }]
"##;
    let rules = CmpRules::with_user_texts(&[("mine.toml", mine)]).unwrap();
    let bench = Bench::start(&["didomi"]);
    let choice = ConsentChoice::new(ConsentAction::Accept, ConsentMethod::Auto, rules);
    let s = bench.scan(choice, Duration::from_secs(10));
    let r = s.consent();
    let d = s.dump();
    assert!(r.done, "{d}");
    assert_eq!(r.rule.as_deref(), Some("accept step 2"), "{d}");
    assert!(
        r.element
            .as_deref()
            .unwrap()
            .starts_with("script `Didomi.setUserAgreeToAll()`"),
        "{d}"
    );
    assert!(s.detail().contains("Didomi (by its API) (didomi)"), "{d}");
    assert_eq!(s.cookie("cmp_choice").as_deref(), Some("accepted"), "{d}");
}

#[test]
fn the_cli_answers_by_default_and_reports_the_record() {
    let site = fixture_dir("onetrust");
    let out = chatcookie(&[
        "scan",
        site.to_str().unwrap(),
        "--steps",
        "load,consent",
        "--consent",
        "reject",
        "--format",
        "json",
    ]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let consent = &report["steps"][1];
    assert_eq!(consent["step"], "consent", "{consent}");
    assert_eq!(consent["consent"]["cmp"], "onetrust", "{consent}");
    assert_eq!(consent["consent"]["done"], true, "{consent}");
    assert!(
        consent["detail"]
            .as_str()
            .unwrap()
            .contains("rejected through OneTrust")
    );
    let options = &report["provenance"]["options"]["consent"];
    assert_eq!(options["method"], "auto", "{options}");
    assert!(
        options["cmp_rules"].as_str().unwrap().starts_with("cmps."),
        "{options}"
    );
    let load = &report["steps"][0];
    assert!(load.get("consent").is_none(), "{load}");
}

#[test]
fn a_malformed_rules_file_is_a_usage_error_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(
        &path,
        "[[cmp]]\nid = \"mine\"\nname = \"Mine\"\ndetect = { present = \"#m\" }\nshown = \"#m\"\naccept = [{ wait_clik = \"#a\" }]\nreject = [{ click = \"#b\" }]\n",
    )
    .unwrap();
    let site = fixture_dir("onetrust");
    let out = chatcookie(&[
        "scan",
        site.to_str().unwrap(),
        "--cmp-rules",
        path.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("mine.toml:6:"), "{text}");
    assert!(text.contains("wait_clik"), "{text}");

    let help = chatcookie(&["scan", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--consent-text <TEXT>"), "{help}");
    assert!(help.contains("--cmp-rules <FILE>"), "{help}");
}

#[test]
fn a_click_never_lands_on_what_appears_over_its_target() {
    // The site's chat launcher appears over the button the moment the pointer reaches it: the
    // press that would land on it is stopped before the page sees it, and the button gets its own
    // activation instead. By sight, by text and by selector alike.
    let bench = Bench::start(&["launcher-trap"]);
    let choices = [
        (auto(ConsentAction::Accept), "accepted"),
        (auto(ConsentAction::Reject), "rejected"),
        (by_text(ConsentAction::Accept, "Accept all"), "accepted"),
        (
            ConsentChoice::new(
                ConsentAction::Reject,
                ConsentMethod::Click("#reject".into()),
                CmpRules::embedded().unwrap(),
            ),
            "rejected",
        ),
    ];
    for (choice, value) in choices {
        let s = bench.scan(choice, Duration::from_secs(10));
        let d = s.dump();
        assert_eq!(
            s.cookie("chat_opened"),
            None,
            "a stray click opened the chat: {d}"
        );
        assert_eq!(s.cookie("cmp_choice").as_deref(), Some(value), "{d}");
        let element = s.consent().element.clone().unwrap_or_default();
        assert!(
            element.contains("stopped: pointerdown on <button#launcher>"),
            "{d}"
        );
        assert!(s.consent().done, "{d}");
        assert_eq!(s.step(Step::Consent).status, StepStatus::Done, "{d}");
    }
}

/// An imported rule's fixture and what its answers leave.
struct Imported {
    name: &'static str,
    /// `cmp_choice` after accept and after reject.
    choices: [&'static str; 2],
    /// Part of the element line of the reject answer (the chain, the frame).
    reject_element: &'static str,
    /// A cookie the reject answer leaves (its host, name and value): the CMP's record, which the
    /// rule's check reads where it has one.
    record: (&'static str, &'static str, &'static str),
}

const IMPORTED: &[Imported] = &[
    Imported {
        name: "ac-aa-cookie-banner",
        choices: ["dismissed", "dismissed"],
        reject_element: "`adc-cookie-banner >>> #toast-dismiss-button`",
        record: ("www.aa.com", "cookie_banner", "closed"),
    },
    Imported {
        name: "ac-gmx-permission",
        choices: ["accepted", "rejected"],
        reject_element: "`#save-purpose-settings` → <button#save-purpose-settings> \"Auswahl speichern\" in frame https://plus.gmx.com/lt",
        record: ("plus.gmx.com", "ui_cid", "OPTOUT"),
    },
    Imported {
        name: "ac-privacymanager",
        choices: ["accepted", "rejected"],
        reject_element: "`button#saveAndExit` → <button#saveAndExit> \"Save and exit\" in frame https://cmp-consent-tool.privacymanager.io/latest/",
        record: ("www.ac-privacymanager.test", "cmp_choice", "rejected"),
    },
    Imported {
        name: "ac-ketch",
        choices: ["accepted", "rejected"],
        reject_element: "#ketch-banner button[aria-label^='Reject' i]",
        record: ("www.ac-ketch.test", "_ketch_consent_v1_", "eyJ"),
    },
    Imported {
        name: "ac-civic-cookie-control",
        choices: ["accepted", "rejected"],
        reject_element: "`.ccc-reject-button` → <button.ccc-reject-button> \"Reject All\"",
        record: (
            "www.ac-civic-cookie-control.test",
            "CookieControl",
            "%7B%22necessaryCookies",
        ),
    },
    Imported {
        name: "ac-clickio",
        choices: ["accepted", "rejected"],
        reject_element: "`[data-role=\"b_save\"]`",
        record: (
            "www.ac-clickio.test",
            "__lxG__consent__v2_daisybit",
            "CPx-NONE",
        ),
    },
];

impl Scanned {
    /// A cookie of `host` after the consent step.
    fn cookie_of(&self, host: &str, name: &str) -> Option<String> {
        self.run
            .snapshots
            .last()
            .unwrap()
            .cookies
            .iter()
            .find(|c| c.name == name && c.domain.trim_start_matches('.') == host)
            .map(|c| c.value.clone())
    }
}

/// Accepts, then rejects, an imported rule's fixture: detected alone, answered through that rule.
fn imported_accept_and_reject(bench: &Bench, case: &Imported) {
    let cmp = bench.site(case.name).exp.cmp.clone().unwrap();
    assert_eq!(cmp, case.name);
    assert!(
        CmpRules::embedded().unwrap().get(&cmp).unwrap().file == "catalog/autoconsent.toml",
        "{cmp} is an imported rule"
    );
    for (action, rule, choice) in [
        (ConsentAction::Accept, "accept step", case.choices[0]),
        (ConsentAction::Reject, "reject step", case.choices[1]),
    ] {
        let s = bench.scan_site(case.name, auto(action), Duration::from_secs(10));
        let r = s.consent();
        let d = s.dump();
        assert_eq!(r.detected, [cmp.as_str()], "{d}");
        assert_eq!(r.cmp.as_deref(), Some(cmp.as_str()), "{d}");
        assert!(
            r.rule.as_deref().unwrap_or_default().starts_with(rule),
            "{d}"
        );
        assert!(r.done, "{d}");
        assert_eq!(r.outcome.as_deref(), Some("the banner closed"), "{d}");
        assert_eq!(s.step(Step::Consent).status, StepStatus::Done, "{d}");
        let host = bench.site(case.name).exp.host.clone();
        assert_eq!(
            s.cookie_of(&host, "cmp_choice").as_deref(),
            Some(choice),
            "{d}"
        );
        if action == ConsentAction::Reject {
            let element = r.element.as_deref().unwrap();
            assert!(element.contains(case.reject_element), "{element}\n{d}");
            let (host, name, value) = case.record;
            let got = s.cookie_of(host, name).unwrap_or_default();
            assert!(got.starts_with(value), "{name} on {host}: {got:?}\n{d}");
        }
    }
}

#[test]
fn imported_rules_answer_their_fixtures_through_the_new_constructs() {
    // Two browsers, three fixtures each: https through a TLS front, frames, shadow roots, XPath.
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let share: Vec<&Imported> = IMPORTED.iter().skip(worker).step_by(2).collect();
            let failures = &failures;
            scope.spawn(move || {
                let names: Vec<&str> = share.iter().map(|c| c.name).collect();
                let bench = Bench::start(&names);
                for case in share {
                    let outcome = catch_unwind(AssertUnwindSafe(|| {
                        imported_accept_and_reject(&bench, case)
                    }));
                    if let Err(panic) = outcome {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{}: {message}", case.name));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} imported fixtures failed:\n{}",
        failures.len(),
        IMPORTED.len(),
        failures.join("\n\n")
    );
}

#[test]
fn an_imported_rules_check_that_fails_leaves_the_answer_not_done() {
    let bench = Bench::start(&["ac-aa-cookie-banner"]);
    // The toast's button closes it but writes no record: the reject check sees that.
    let s = bench.scan_path_on(
        "ac-aa-cookie-banner",
        "no-record.html",
        auto(ConsentAction::Reject),
        Duration::from_secs(10),
        Clock::default(),
    );
    let r = s.consent();
    let d = s.dump();
    assert_eq!(r.detected, ["ac-aa-cookie-banner"], "{d}");
    assert!(!r.done, "{d}");
    assert_eq!(s.step(Step::Consent).status, StepStatus::Skipped, "{d}");
    assert!(
        r.tried.iter().any(|t| t
            .contains("reject step 1 clicked `adc-cookie-banner >>> #toast-dismiss-button`")
            && t.contains("its check `cookie contains \"cookie_banner=closed\"` did not hold")),
        "{d}"
    );
    assert_eq!(
        s.cookie_of("www.aa.com", "cmp_choice").as_deref(),
        Some("dismissed"),
        "{d}"
    );
    // Accepting has no check: the same click is an accept that took.
    let s = bench.scan_path_on(
        "ac-aa-cookie-banner",
        "no-record.html",
        auto(ConsentAction::Accept),
        Duration::from_secs(10),
        Clock::default(),
    );
    assert!(s.consent().done, "{}", s.dump());
}
