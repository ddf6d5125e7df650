//! `withdraw`: the visitor withdraws consent on the start page, the way the consent manager offers it.

use super::{Fatal, Scan, StepOutcome, StepStatus, call_timeout};
use crate::vocab::Step;
use std::time::Instant;

impl Scan<'_> {
    /// Back on the start page (navigating there in the same tab if the journey is elsewhere),
    /// reopens the consent settings and refuses in them; then lets the page live on for the
    /// widget wait's bound of its own time (a widget may write again moments later), ending
    /// as soon as anything is written.
    pub(super) fn withdraw(&mut self) -> Result<StepOutcome, Fatal> {
        let given = self.steps.iter().find(|s| {
            s.step == Step::Consent && matches!(s.status, StepStatus::Done | StepStatus::TimedOut)
        });
        let Some(given) = given else {
            return Ok(StepOutcome::Skipped(
                "consent was never given in this scan: nothing to withdraw".into(),
            ));
        };
        let cmp = given.consent.as_ref().and_then(|c| c.cmp.clone());
        let start = self
            .journey
            .visited
            .first()
            .map_or_else(|| self.opts.url.clone(), |p| p.url.clone());
        let mut back = String::new();
        if self.page_url != start {
            self.watch.lock().page = start.clone();
            match self.load(&start)? {
                StepOutcome::Acted(d) => back = format!("{d}; "),
                other => return Ok(other),
            }
            self.page_url = start;
        }
        let frames: Vec<_> = self.watch.lock().frames.values().cloned().collect();
        let rules = &self.opts.consent.rules;
        let record = crate::consent::withdraw(
            &self.page,
            &frames,
            rules,
            &self.opts.consent.words,
            cmp.as_deref(),
            self.opts.settings.withdraw_click.as_deref(),
            (self.opts.settings.step_timeout, call_timeout(self.opts)),
            &self.clock,
            &mut self.gestures,
        );
        // What refused, how it was checked, and what the CMP recorded.
        let refusal = [
            record.element.as_ref().map(|e| format!("refused: {e}")),
            record.outcome.clone(),
            record.recorded.as_ref().map(|r| {
                format!(
                    "{} recorded `{r}`",
                    record.cmp.as_deref().unwrap_or("the CMP")
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
        let outcome = match &record.reopened {
            None => StepOutcome::Unanswered(format!(
                "{back}no way to withdraw consent was found: {}",
                record.tried.join("; ")
            )),
            Some(how) if record.done => StepOutcome::Acted(format!(
                "{back}withdrew consent: reopened the settings by {how}; {refusal}"
            )),
            Some(how) => StepOutcome::Failed(format!(
                "{back}reopened the settings by {how}, but the refusal did not take: {}",
                if record.tried.is_empty() {
                    refusal
                } else {
                    record.tried.join("; ")
                }
            )),
        };
        if record.reopened.is_some() {
            let since = Instant::now();
            let watch = &self.watch;
            self.clock.run_ahead(self.opts.settings.widget_timeout, || {
                watch.lock().last_storage_write > since
            });
        }
        self.consent_record = Some(record);
        Ok(outcome)
    }
}
