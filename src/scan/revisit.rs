//! `revisit`: the visitor comes back later the same day, to the start page in a new tab of the same profile.

use super::{AbortKind, Fatal, Scan, StepOutcome, call_timeout, prepare_tab};
use crate::browser::clock::PageClock;
use crate::browser::input::Gestures;
use crate::catalog::Evidence;
use crate::snapshot;
use crate::vocab::Step;

impl Scan<'_> {
    /// Closes the tab and opens the start page in a new one: cookies (session cookies too) and
    /// localStorage are kept, the closed tab's sessionStorage is gone. It only observes: no
    /// banner is answered and no chat opened; whether the banner shows again is recorded.
    pub(super) fn revisit(&mut self) -> Result<StepOutcome, Fatal> {
        let ct = call_timeout(self.opts);
        let gone = |e: String| Fatal::new(AbortKind::BrowserGone, e);
        let tab = self
            .session
            .new_tab(&self.page, ct)
            .map_err(|e| gone(format!("cannot open a new tab for the return visit: {e}")))?;
        let (watch, _) = prepare_tab(self.session, self.opts, &tab, false)
            .map_err(|e| gone(format!("cannot prepare the return visit's tab: {e:#}")))?;
        let start = self
            .journey
            .visited
            .first()
            .map_or_else(|| self.opts.url.clone(), |p| p.url.clone());
        {
            // One request log for the whole journey.
            let requests = std::mem::take(&mut self.watch.lock().requests);
            let mut w = watch.lock();
            w.requests = requests;
            w.step = Step::Revisit;
            w.page = start.clone();
        }
        let old = std::mem::replace(&mut self.page, tab);
        self.watch = watch;
        // The old tab's clock stops before its tab closes.
        self.clock = PageClock::real();
        self.session.close_tab(&old);
        self.storage_keys = snapshot::StorageKeys::default();
        self.on_page = Evidence::default();
        let d = &self.opts.settings.visitor.device;
        self.gestures = Gestures::new(d.touch, d.width, d.height);
        // A first navigation in this tab: no referrer, a clock of its own.
        self.loaded_at = None;
        let loaded = match self.load(&self.opts.url.clone())? {
            StepOutcome::Acted(d) | StepOutcome::Observed(d) => d,
            other => return Ok(other),
        };
        self.page_url = start;
        let frames: Vec<_> = self.watch.lock().frames.values().cloned().collect();
        let banner = crate::consent::banner_showing(
            &self.page,
            &frames,
            &self.opts.consent.rules,
            &self.opts.consent.words,
            ct,
            (&self.clock, self.opts.settings.widget_timeout),
        );
        let said = match &banner {
            Some(b) => format!("the banner showed again ({b}): the choice was not kept"),
            None => "no banner showed".into(),
        };
        self.banner_again = banner;
        Ok(StepOutcome::Observed(format!(
            "came back in a new tab of the same profile ({loaded}); {said}"
        )))
    }
}
