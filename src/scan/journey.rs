//! The journey: the start page, then the site's other pages in the same tab, each through its steps.

use super::pages::{Link, PageQueue, PageVisit, SkipReason};
use super::{AbortKind, Scan, StepOutcome, StepStatus, call_timeout};
use crate::consent::ConsentResult;
use crate::vocab::Step;
use serde_json::json;
use std::time::Instant;

/// How many links of one page are considered (a page of ten thousand links is not a menu).
const MAX_LINKS: usize = 5_000;

impl Scan<'_> {
    /// Runs every step asked for: the start page's, each further page's, then the return visit
    /// and the withdrawal.
    pub(super) fn journey(&mut self) {
        let per_page: Vec<Step> = Step::ON_EACH_PAGE
            .into_iter()
            .filter(|s| self.opts.settings.steps.contains(s))
            .collect();
        self.watch.lock().page = self.opts.url.clone();
        self.page_steps(&per_page, true);
        let loaded = self.steps.iter().any(|s| s.step == Step::Load)
            && self.aborted.as_ref().is_none_or(|a| a.step != Step::Load);
        let start = PageVisit {
            url: self.page_url.clone(),
            requested: (self.page_url != self.opts.url).then(|| self.opts.url.clone()),
            found: "start".into(),
        };
        if self.opts.journey() && self.aborted.is_none() && loaded {
            let (asked, other) =
                super::pages::resolve_asked(&self.page_url, &self.opts.settings.asked_pages);
            let mut queue = PageQueue::new(&self.page_url, self.opts.settings.pages, &asked);
            queue.journey.skipped.extend(other);
            queue.arrived(&self.opts.url, &self.page_url.clone(), "start");
            // Downloads are no pages: a link that answers with one is left out, not saved.
            let _ = self.page.call(
                "Page.setDownloadBehavior",
                json!({ "behavior": "deny" }),
                call_timeout(self.opts),
            );
            let here = self.page_url.clone();
            queue.offer_links(&here, self.read_links());
            if queue.wants_more() {
                let frame = self.page.target_id.clone();
                let t = call_timeout(self.opts);
                queue.offer_sitemap(super::sitemap::pages(&self.page, &frame, &here, t));
            }
            while let Some((url, found)) = queue.next_page() {
                if self.aborted.is_some() || crate::browser::interrupted() {
                    break;
                }
                if self.visit(&mut queue, &url, &found) {
                    self.page_steps(&per_page, false);
                    let here = self.page_url.clone();
                    queue.offer_links(&here, self.read_links());
                }
            }
            self.journey = queue.journey;
            self.chat_not_found(&per_page);
        } else if loaded {
            self.journey.visited.push(start);
        }
        for step in [Step::Revisit, Step::Withdraw] {
            if self.opts.settings.steps.contains(&step) {
                self.after_pages(step);
            }
        }
    }

    /// Runs a page's steps: `load` on the start page only (a later page is loaded by
    /// [`Scan::visit`]), the consent step until a banner was answered, the chat's steps until
    /// the chat was opened.
    fn page_steps(&mut self, steps: &[Step], first: bool) {
        for &step in steps {
            if step == Step::Load && !first {
                continue;
            }
            if let Some(a) = &self.aborted {
                if first {
                    let reason = format!("not run: the scan stopped at {} ({})", a.step, a.reason);
                    self.record(step, StepStatus::Skipped, reason, Instant::now(), 0);
                }
                continue;
            }
            if !first && !self.wanted_here(step) {
                continue;
            }
            if !self.opts.journey() {
                self.run_step(step);
                self.progress(step);
                continue;
            }
            if step == Step::ChatMessage && !self.chat_opened_here() {
                continue;
            }
            let Some((outcome, t0)) = self.act(step) else {
                continue;
            };
            // A later page with no banner is not where consent is asked: nothing to record.
            let no_banner = self
                .consent_record
                .as_ref()
                .is_some_and(|r| r.result == Some(ConsentResult::NoBanner));
            if step == Step::Consent && !first && no_banner {
                self.consent_record = None;
                continue;
            }
            // The chat opens on the first page that has a widget: until then, nothing to record.
            if step == Step::ChatOpen
                && matches!(outcome, Ok(StepOutcome::Skipped(_)))
                && self.widget_known().0.is_empty()
            {
                continue;
            }
            self.conclude(step, outcome, t0);
            self.progress(step);
        }
    }

    /// Whether a once-per-journey step is still to come on a later page.
    fn wanted_here(&self, step: Step) -> bool {
        match step {
            Step::Consent => !self.consent_asked(),
            Step::ChatOpen => !self.steps.iter().any(|s| s.step == Step::ChatOpen),
            Step::ChatMessage => !self.steps.iter().any(|s| s.step == Step::ChatMessage),
            _ => true,
        }
    }

    /// Whether consent was asked on a page already: a banner was shown (answered or not), or no
    /// answer was to be given (`--consent none`).
    fn consent_asked(&self) -> bool {
        self.steps.iter().any(|s| {
            s.step == Step::Consent
                && s.consent
                    .as_ref()
                    .is_none_or(|r| r.result != Some(ConsentResult::NoBanner))
        })
    }

    fn chat_opened_here(&self) -> bool {
        self.steps
            .iter()
            .any(|s| s.step == Step::ChatOpen && s.page == self.page_url)
    }

    /// On a journey whose pages showed no widget, the chat step is recorded once, at the end.
    fn chat_not_found(&mut self, steps: &[Step]) {
        if self.aborted.is_some() {
            return;
        }
        for step in [Step::ChatOpen, Step::ChatMessage] {
            if steps.contains(&step) && !self.steps.iter().any(|s| s.step == step) {
                let n = self.journey.visited.len();
                let reason = format!(
                    "no chat widget to open on any of the {n} page{} visited",
                    if n == 1 { "" } else { "s" }
                );
                self.record(step, StepStatus::Skipped, reason, Instant::now(), 0);
            }
        }
    }

    /// Goes on to a further page: loads it as its `load` step. False when it was left out (it
    /// failed to load, led to a page already visited, or is no HTML page).
    fn visit(&mut self, queue: &mut PageQueue, url: &str, found: &str) -> bool {
        let t0 = Instant::now();
        {
            let mut w = self.watch.lock();
            w.step = Step::Load;
            w.page = url.to_string();
        }
        if let Some(fatal) = self.fatal_state() {
            self.aborted = Some(fatal.abort(Step::Load));
            return false;
        }
        let outcome = self.load(url);
        let landed = self.page_url.clone();
        {
            // Requests of the navigation belong to the page it landed on.
            let mut w = self.watch.lock();
            w.page = landed.clone();
            w.requests.rename_page(url, &landed);
        }
        match outcome {
            Err(f) if matches!(f.kind, AbortKind::Unreachable | AbortKind::HttpError) => {
                queue.skip(url, SkipReason::Failed, found, &f.reason);
                false
            }
            Err(f) => {
                self.conclude(Step::Load, Err(f), t0);
                false
            }
            Ok(outcome) => {
                if landed != url && queue.already_visited(&landed) {
                    queue.skip(url, SkipReason::Visited, found, &landed);
                    return false;
                }
                let mime = self
                    .watch
                    .lock()
                    .document
                    .as_ref()
                    .map(|d| d.mime_type.clone())
                    .unwrap_or_default();
                if !mime.is_empty() && !mime.contains("html") {
                    queue.skip(url, SkipReason::NotHtml, found, &mime);
                    return false;
                }
                queue.arrived(url, &landed, found);
                self.conclude(Step::Load, Ok(outcome), t0);
                self.progress(Step::Load);
                true
            }
        }
    }

    /// The links of the rendered page, in document order.
    fn read_links(&self) -> Vec<Link> {
        let read = self
            .page
            .evaluate(super::pages::LINKS_SCRIPT, call_timeout(self.opts));
        let mut links: Vec<Link> = read
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        links.truncate(MAX_LINKS);
        links
    }

    /// After the last page: the return visit or the withdrawal, unless the scan stopped.
    fn after_pages(&mut self, step: Step) {
        if let Some(a) = &self.aborted {
            let reason = format!("not run: the scan stopped at {} ({})", a.step, a.reason);
            self.record(step, StepStatus::Skipped, reason, Instant::now(), 0);
            return;
        }
        self.run_step(step);
        self.progress(step);
    }

    /// With `--progress`: one line per finished step, after its snapshot.
    fn progress(&self, step: Step) {
        if !self.opts.progress {
            return;
        }
        let Some(rec) = self.steps.last().filter(|r| r.step == step) else {
            return;
        };
        let keys = self
            .snapshots
            .last()
            .map_or(0, |s| s.cookies.len() + s.storage.len());
        let on = if self.opts.journey() {
            format!(" on {}", rec.page)
        } else {
            String::new()
        };
        eprintln!(
            "chatcookie: step {step}{on} {:?} after {} ms ({keys} keys at the last snapshot)",
            rec.status, rec.duration_ms
        );
    }
}
