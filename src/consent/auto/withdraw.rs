//! Withdrawing consent as a visitor does (the way back into the settings, then a refusal), and whether a banner shows without answering it.

use super::super::text::{Query, search_and_click};
use super::{AutoRun, Sight};
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::input::Gestures;
use crate::browser::watch::FrameInfo;
use crate::consent::{BannerWords, Cmp, CmpRules, ConsentRecord, ConsentResult};
use std::time::{Duration, Instant};

/// Words of a link or button that reopens the cookie settings, for sites whose consent manager
/// no rule knows a way back for (a footer link is the common form).
const WAY_BACK: &[&str] = &[
    "Cookie settings",
    "Cookie Settings",
    "Cookie preferences",
    "Manage cookies",
    "Privacy settings",
    "Cookie-Einstellungen",
    "Datenschutzeinstellungen",
    "Cookie-instellingen",
    "Cookie instellingen",
    "Paramètres des cookies",
    "Gérer les cookies",
    "Gestion des cookies",
    "Configuración de cookies",
    "Impostazioni cookie",
];

/// The consent manager whose banner shows now (its name, or `seen by its words`), without
/// answering it; looked for on the page's `clock` for up to `window`.
pub fn banner_showing(
    page: &Page,
    frames: &[FrameInfo],
    rules: &CmpRules,
    words: &BannerWords,
    call_timeout: Duration,
    (clock, window): (&PageClock, Duration),
) -> Option<String> {
    let mut run = AutoRun::new(page, frames, rules, words, (window, call_timeout), clock);
    let sight = Sight::new(&mut run.worlds, run.vocab);
    let mut shown = None;
    clock.run_ahead(window, || {
        shown = run.showing(&sight);
        shown.is_some()
    });
    run.worlds.release();
    shown
}

/// Withdraws consent: reopens the settings (`click`, else the CMP `cmp`'s way back, else a link
/// by its words) and refuses in them (the rule's withdraw steps, else as the consent step would
/// refuse); where the page shows no control, the CMP's documented call. The record says how
/// (`reopened`), whether the refusal took and what the CMP recorded, or, when nothing could
/// withdraw, what was tried (`result` no-banner).
// The page, who answered, how to reopen and the bounds: grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn withdraw(
    page: &Page,
    frames: &[FrameInfo],
    rules: &CmpRules,
    words: &BannerWords,
    cmp: Option<&str>,
    click: Option<&str>,
    (step_timeout, call_timeout): (Duration, Duration),
    clock: &PageClock,
    gestures: &mut Gestures,
) -> ConsentRecord {
    let start = Instant::now();
    let mut run = AutoRun::new(
        page,
        frames,
        rules,
        words,
        (step_timeout, call_timeout),
        clock,
    );
    run.reject = true;
    // The reopened settings may take a moment to show.
    run.grace = super::DETECT_GRACE.min(step_timeout);
    let cmp = cmp.and_then(|id| rules.cmps().iter().find(|c| c.id == id).map(|c| (id, c)));
    match run.reopen(cmp, click) {
        Ok(Reopened::Settings(how)) => {
            run.record.reopened = Some(how);
            let own_steps = cmp
                .filter(|_| click.is_none())
                .and_then(|(_, c)| Some((c, &c.withdraw.as_ref()?.steps)))
                .filter(|(_, steps)| !steps.is_empty());
            match own_steps {
                Some((c, steps)) => run.refuse(c, steps),
                None => run.run(start, gestures),
            }
        }
        Ok(Reopened::Call(how, c)) => {
            run.record.reopened = Some(how);
            run.record.cmp = Some(c.id.clone());
            run.record.result = Some(ConsentResult::Answered);
            run.check_record(c, "the documented call returned".into());
        }
        Err(tried) => {
            run.record.tried = tried;
            run.record.result = Some(ConsentResult::NoBanner);
        }
    }
    run.worlds.release();
    run.record.duration_ms = start.elapsed().as_millis() as u64;
    run.record
}

/// How the settings were reopened.
enum Reopened<'c> {
    /// A control was clicked (said how): the settings are open for the refusal.
    Settings(String),
    /// The CMP's documented call withdrew consent itself.
    Call(String, &'c Cmp),
}

impl AutoRun<'_, '_> {
    /// The banner showing now, by rule (its CMP's name) or by sight.
    fn showing(&mut self, sight: &Sight) -> Option<String> {
        let rules = self.rules;
        let detected = self.detect();
        for &i in detected.keys() {
            let cmp = &rules.cmps()[i];
            if self.is_shown(cmp) == Some(true) {
                return Some(cmp.name.clone());
            }
        }
        if detected.is_empty() && sight.look(&mut self.worlds).best().is_some() {
            return Some("a cookie banner seen by its words".into());
        }
        None
    }

    /// Refuses in `cmp`'s reopened settings with its withdraw `steps`, then reads its record.
    fn refuse(&mut self, cmp: &Cmp, steps: &[crate::consent::RuleStep]) {
        self.record.cmp = Some(cmp.id.clone());
        self.record.method = Some(super::AnswerMethod::Rule);
        match self.run_sequence(steps, "withdraw") {
            Ok(acted) => {
                self.record.rule = Some(format!("withdraw step {}", acted.step));
                self.record.element = Some(acted.element.clone());
                self.record.result = Some(ConsentResult::Answered);
                self.check_record(cmp, "the withdraw steps ran".into());
            }
            Err(e) => {
                self.record.tried.push(format!("{}: {e}", cmp.id));
                self.record.result = Some(ConsentResult::Unanswered);
            }
        }
    }

    /// Reopens the consent settings (or withdraws by the CMP's documented call where the page
    /// shows no control); everything tried when nothing did.
    fn reopen<'c>(
        &mut self,
        cmp: Option<(&str, &'c Cmp)>,
        click: Option<&str>,
    ) -> Result<Reopened<'c>, Vec<String>> {
        let mut tried = Vec::new();
        if let Some(sel) = click {
            let window = self.step_timeout / 4;
            return search_and_click(
                &mut self.worlds,
                Query::Css(sel),
                Instant::now() + window,
                window,
            )
            .map(|d| Reopened::Settings(format!("--withdraw-click: {d}")))
            .map_err(|e| vec![format!("--withdraw-click `{sel}`: {e}")]);
        }
        match cmp {
            Some((_, c)) if c.withdraw.is_some() => {
                let w = c.withdraw.as_ref().expect("checked");
                if !w.open.is_empty() {
                    match self.run_sequence(&w.open, "withdraw open") {
                        Ok(acted) => {
                            return Ok(Reopened::Settings(format!(
                                "{}'s way back: {}",
                                c.name, acted.element
                            )));
                        }
                        Err(e) => tried.push(format!("{}: {e}", c.id)),
                    }
                }
                if let Some(js) = &w.api {
                    // The documented call, for a site that shows the visitor no control.
                    match self.worlds.page().act(js, self.worlds.call_timeout) {
                        Ok(_) => {
                            return Ok(Reopened::Call(
                                format!(
                                    "{}'s documented call `{js}` (the page shows no control to reopen its settings)",
                                    c.name
                                ),
                                c,
                            ));
                        }
                        Err(e) => tried.push(format!("{} `{js}`: {e}", c.id)),
                    }
                }
            }
            Some((id, _)) => tried.push(format!(
                "{id}: no rule knows its way back (`[cmp.withdraw]`)"
            )),
            None => {}
        }
        for text in WAY_BACK {
            // One look per phrase, in the worlds already set up: the link is there or it is not.
            let now = Instant::now();
            if let Ok(d) =
                search_and_click(&mut self.worlds, Query::Text(text), now, Duration::ZERO)
            {
                return Ok(Reopened::Settings(format!("a link by its words: {d}")));
            }
        }
        tried.push(format!(
            "no link or button says {}",
            WAY_BACK
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Err(tried)
    }
}
