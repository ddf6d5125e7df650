//! Automatic consent: detect the page's consent managers, answer the first banner that shows, check that it took.

use super::heuristic::{Look, Sight, refusal_of};
use super::rules::{Cmp, CmpRules, Condition};
use super::{AnswerMethod, BannerWords, ConsentRecord, ConsentResult, Refusal};
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::dom::{Found, Worlds};
use crate::browser::input::Gestures;
use crate::browser::poll_until;
use crate::browser::watch::FrameInfo;
use crate::catalog::words::Prepared;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

// Child modules: they run on this one's private state.
mod answer;
mod conditions;
mod steps;
mod user;
mod withdraw;

pub use user::{UserAnswer, user_answer};
pub use withdraw::{banner_showing, withdraw};

/// How long a page without any known CMP is watched for a late one before giving up.
const DETECT_GRACE: Duration = Duration::from_secs(3);

/// How long the banner may take to close after the click.
const VERIFY_BOUND: Duration = Duration::from_secs(2);

/// How long to look for a banner after the visitor's gestures on a page that showed none.
const AFTER_GESTURE: Duration = Duration::from_millis(600);

/// How long a banner seen by sight but not yet answerable (its buttons sliding or fading in, a
/// CSS transition the page's fast clock does not run) is given in real time.
const TRANSITION: Duration = Duration::from_millis(1500);

/// How long (page time) a banner found by sight must look the same before it is answered.
const STEADY: Duration = Duration::from_millis(150);

/// Pause between two looks at the page while waiting for an element.
const POLL: Duration = Duration::from_millis(20);

/// See [`super::auto_consent`].
// The page, what to answer and three bounds: grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn auto_consent(
    page: &Page,
    frames: &[FrameInfo],
    rules: &CmpRules,
    reject: bool,
    step_timeout: Duration,
    call_timeout: Duration,
    clock: &PageClock,
    gestures: &mut Gestures,
    words: &BannerWords,
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
    run.reject = reject;
    run.deadline = start + step_timeout;
    // A CMP shows up early in a page's life; the widget step's wait already counted.
    run.grace = DETECT_GRACE
        .saturating_sub(clock.page_age())
        .min(step_timeout);
    run.run(start, gestures);
    run.worlds.release();
    run.record.gestures_before = gestures
        .done
        .iter()
        .map(|g| g.as_str().to_string())
        .collect();
    run.record.duration_ms = start.elapsed().as_millis() as u64;
    run.record.page_age_ms = Some(clock.page_age().as_millis() as u64);
    run.record
}

/// One automatic answer in progress.
struct AutoRun<'a, 'p> {
    worlds: Worlds<'p>,
    rules: &'a CmpRules,
    /// The words of banners, for the search by sight when no rule matches.
    vocab: &'a Prepared,
    reject: bool,
    step_timeout: Duration,
    /// Every wait ends here (verifying a click may run a little past it).
    deadline: Instant,
    /// How long to look for a CMP when none is there at first.
    grace: Duration,
    /// The page's clock: the waits for a CMP that may not come run on it.
    clock: &'p PageClock,
    record: ConsentRecord,
    /// An optional `click` step of the sequence now running found its element and clicked it.
    optional_clicked: bool,
}

/// A step that answered: which one, and on what.
struct Acted {
    step: usize,
    element: String,
}

impl<'a, 'p> AutoRun<'a, 'p> {
    /// A run that accepts, bounded by `step_timeout` from now, with no grace for a late CMP.
    fn new(
        page: &'p Page,
        frames: &'p [FrameInfo],
        rules: &'a CmpRules,
        words: &'a BannerWords,
        (step_timeout, call_timeout): (Duration, Duration),
        clock: &'p PageClock,
    ) -> Self {
        AutoRun {
            worlds: Worlds::new(page, frames, call_timeout).with_clock(clock),
            rules,
            vocab: words.prepared(),
            reject: false,
            step_timeout,
            deadline: Instant::now() + step_timeout,
            grace: Duration::ZERO,
            clock,
            record: ConsentRecord::default(),
            optional_clicked: false,
        }
    }

    fn action(&self) -> &'static str {
        if self.reject { "reject" } else { "accept" }
    }

    fn run(&mut self, start: Instant, gestures: &mut Gestures) {
        let rules = self.rules;
        // A page without any known CMP costs a short grace, not the whole step.
        let grace = self.grace;
        let mut detected: BTreeMap<usize, String> = BTreeMap::new();
        let clock = self.clock;
        let vocab = self.vocab;
        let sight = Sight::new(&mut self.worlds, vocab);
        // One look: the CMP rules first; the search by sight only where no rule matched.
        let mut look = Look::default();
        let look_once = |run: &mut Self, look: &mut Look| -> BTreeMap<usize, String> {
            let found = run.detect();
            if !found.is_empty() {
                return found;
            }
            *look = sight.look(&mut run.worlds);
            if look.best().is_some() {
                // The banner (or its frame) may have come in after the rules were asked: ask
                // them again, so a banner a rule knows is answered by its rule, not by sight.
                return run.detect();
            }
            found
        };
        clock.run_ahead(grace, || {
            detected = look_once(self, &mut look);
            !detected.is_empty() || look.best().is_some()
        });
        // Some sites load their banner only once the visitor moves: move, then look again.
        while detected.is_empty() && look.best().is_none() && Instant::now() < self.deadline {
            let page = self.worlds.page();
            if gestures.next(page, self.worlds.call_timeout).is_none() {
                break;
            }
            let window = AFTER_GESTURE.min(self.deadline.saturating_duration_since(Instant::now()));
            clock.run_ahead(window, || {
                detected = look_once(self, &mut look);
                !detected.is_empty() || look.best().is_some()
            });
            if !detected.is_empty() || look.best().is_some() {
                self.record.gesture = Some(gestures.describe());
            }
        }
        if detected.is_empty() && look.best().is_none() {
            // What the fast clock does not run: frames (a component rendering its banner) and
            // CSS transitions (a banner sliding in). Let the page render, look again, and give a
            // banner seen but not yet answerable the real time of a transition.
            sight.render(&mut self.worlds);
            detected = look_once(self, &mut look);
            if detected.is_empty() && look.best().is_none() && look.any_banner() {
                poll_until(Instant::now() + TRANSITION, || {
                    detected = look_once(self, &mut look);
                    !detected.is_empty() || look.best().is_some()
                });
            }
        }
        if detected.is_empty() {
            self.by_sight(&sight, &look);
            return;
        }
        self.record.method = Some(AnswerMethod::Rule);
        // A detected CMP may show its banner late (a geo lookup, a delay): wait for one, keeping
        // a little of the step for the answer itself.
        let reserve = (self.step_timeout / 4).min(Duration::from_secs(2));
        let show_by = self.deadline.checked_sub(reserve).unwrap_or(self.deadline);
        let mut shown: Vec<usize> = Vec::new();
        clock.run_ahead(show_by.saturating_duration_since(Instant::now()), || {
            detected.extend(self.detect());
            shown = detected
                .keys()
                .copied()
                .filter(|&i| self.is_shown(&rules.cmps()[i]) == Some(true))
                .collect();
            !shown.is_empty()
        });
        self.record.detected = detected
            .keys()
            .map(|&i| rules.cmps()[i].id.clone())
            .collect();
        if shown.is_empty() {
            let waited = start.elapsed();
            for (&i, how) in &detected {
                self.record.tried.push(format!(
                    "{}: detected ({how}), but its banner did not show within {:.1} s",
                    rules.cmps()[i].id,
                    waited.as_secs_f64()
                ));
            }
            // Another banner, the site's own, may be what the visitor sees.
            let look = sight.look(&mut self.worlds);
            self.by_sight(&sight, &look);
            if self.record.result == Some(ConsentResult::NoBanner) {
                self.record.result = Some(ConsentResult::Unanswered);
            }
            return;
        }
        // Banners that show first, in rule order; then the other detected CMPs.
        let order: Vec<usize> = shown
            .iter()
            .copied()
            .chain(detected.keys().copied().filter(|i| !shown.contains(i)))
            .collect();
        // What the answer writes that speaks of consent is the CMP's record, rule or not.
        let top = self.worlds.top().to_string();
        let before = sight.stored(&mut self.worlds, &top);
        for i in order {
            if self.answer(&rules.cmps()[i], &sight, &before) {
                self.record.result = Some(ConsentResult::Answered);
                let after = sight.stored(&mut self.worlds, &top);
                self.record.record_keys = sight.written(&before, &after);
                return;
            }
        }
        if self.record.acted() {
            self.record.result = Some(ConsentResult::Answered);
            return;
        }
        // A CMP detected whose rule could not answer (an outdated rule, another banner on top):
        // the banner may still be answered by sight.
        let look = sight.look(&mut self.worlds);
        if look.best().is_some() {
            self.record
                .tried
                .push("no rule could answer: looking for the banner by sight".into());
            self.by_sight(&sight, &look);
        } else {
            self.record.result = Some(ConsentResult::Unanswered);
        }
    }

    /// Answers the banner `look` found by sight, or records why there is none to answer.
    fn by_sight(&mut self, sight: &Sight, look: &Look) {
        // A banner just shown may not have all its controls yet (a component still rendering,
        // a second button fading in): look until the surest one stays the same for a moment.
        let settled;
        let look = match look.best() {
            None => look,
            Some(_) => {
                let mut steady = self.steady(sight, look.clone());
                // Two things the page's clock does not run get the real time of a transition,
                // looking after each rendered frame: a banner still sliding or fading in (its
                // lower buttons, a first-layer refusal say, may still be off screen), and a
                // refusal still being drawn (a link slotted into a component, a second button
                // fading in) before "no way to refuse", a finding, is said.
                let ready = |l: &Look, w: &mut Worlds| {
                    l.best().is_some_and(|b| {
                        refusal_of(&b.candidate) != Refusal::None && !sight.moving(w, b)
                    })
                };
                if !ready(&steady, &mut self.worlds) {
                    let until = (Instant::now() + TRANSITION).min(self.deadline);
                    poll_until(until, || {
                        sight.render(&mut self.worlds);
                        // The latest look is the one whose elements are kept for the click.
                        steady = sight.look(&mut self.worlds);
                        ready(&steady, &mut self.worlds)
                    });
                }
                settled = steady;
                &settled
            }
        };
        self.record.declined = look.declined();
        let Some(best) = look.best() else {
            if look.any_banner() {
                // Seen, but not one the scan may answer: say what it was and why not.
                let seen = &look.banners[0];
                self.record.result = Some(ConsentResult::Unanswered);
                self.record.banner = Some(seen.seen());
                self.record.outcome = Some(format!(
                    "a banner that speaks of {} was seen ({}), but not answered: {}",
                    seen.candidate.topic.join(", "),
                    seen.candidate.label,
                    seen.judgement.declined.clone().unwrap_or_else(|| {
                        "none of its controls has words the vocabulary knows".into()
                    })
                ));
            } else if self.record.result.is_none() {
                self.record.result = Some(ConsentResult::NoBanner);
            }
            return;
        };
        self.record.method = Some(AnswerMethod::Heuristic);
        let top = self.worlds.top().to_string();
        let top_context = self.worlds.context(&top).ok();
        let answered = sight.answer(&mut self.worlds, best, self.reject, top_context);
        self.record.banner = Some(answered.banner);
        self.record.refusal = answered.refusal;
        self.record.record_keys = answered.record_keys;
        self.record.verified = answered.verified;
        self.record.tried.extend(answered.tried);
        self.record.element = answered.element;
        self.record.rule = answered.acted.then(|| "heuristic".to_string());
        if let Some(why) = answered.unanswered {
            // Its settings may have been opened, but the answer was not given.
            self.record.result = Some(ConsentResult::Unanswered);
            self.record.outcome = Some(why);
            return;
        }
        self.record.result = Some(ConsentResult::Answered);
        self.record.outcome = Some(answered.outcome);
        self.record.done = answered.done;
    }

    /// The CMPs whose detect condition holds now, by rule index, with what showed each: every
    /// rule in every document it runs in (the top one; frames for frame rules), one request per
    /// document.
    fn detect(&mut self) -> BTreeMap<usize, String> {
        let cmps = self.rules.cmps();
        let docs = conditions::documents(&self.worlds, cmps.iter().any(conditions::needs_urls));
        let mut asks: Vec<(usize, usize)> = Vec::new();
        for (i, c) in cmps.iter().enumerate() {
            for (d, doc) in docs.iter().enumerate() {
                if c.run.applies(doc.top, &doc.url) {
                    asks.push((i, d));
                }
            }
        }
        let conds: Vec<(&Condition, &str)> = asks
            .iter()
            .map(|&(i, d)| (&cmps[i].detect, docs[d].id.as_str()))
            .collect();
        let held = conditions::evaluate(&mut self.worlds, &conds);
        let mut found = BTreeMap::new();
        for (&(i, d), h) in asks.iter().zip(held) {
            if h.holds != Some(true) || found.contains_key(&i) {
                continue;
            }
            let how = if docs[d].top {
                h.how
            } else {
                format!("{} in frame {}", h.how, docs[d].url)
            };
            found.insert(i, how);
        }
        found
    }

    /// Whether `cmp`'s banner shows (in any document the rule runs in); `None` when the page
    /// could not be asked.
    fn is_shown(&mut self, cmp: &Cmp) -> Option<bool> {
        let docs = conditions::documents_for(&self.worlds, cmp);
        let asks: Vec<(&Condition, &str)> =
            docs.iter().map(|d| (&cmp.shown, d.id.as_str())).collect();
        let held = conditions::evaluate(&mut self.worlds, &asks);
        if held.iter().any(|h| h.holds == Some(true)) {
            Some(true)
        } else if held.iter().any(|h| h.holds.is_none()) {
            None
        } else {
            Some(false)
        }
    }

    /// Looks again until the surest banner and its controls stay the same for `STEADY` of the
    /// page's time and across two rendered frames (at most four rounds).
    fn steady(&mut self, sight: &Sight, mut look: Look) -> Look {
        let clock = self.clock;
        for _ in 0..4 {
            let before = look.signature();
            let mut next = None;
            let changed = clock.run_ahead(STEADY, || {
                let now = sight.look(&mut self.worlds);
                let moved = now.signature() != before;
                next = Some(now);
                moved
            });
            if let Some(n) = next {
                look = n;
            }
            if changed {
                continue;
            }
            // Page time ran on without frames: a web component that renders on animation
            // frames may not have drawn its last controls yet (a refusal link slotted in late).
            sight.render(&mut self.worlds);
            let now = sight.look(&mut self.worlds);
            let moved = now.signature() != look.signature();
            look = now;
            if !moved {
                break;
            }
        }
        look
    }
}

/// "`chain` → <button#x> "Accept" in the top frame, by mouse click at (x, y)".
pub(super) fn describe_click(chain: &str, found: &Found, how: &str) -> String {
    format!("{chain} → {} {}, by {how}", found.label, found.place())
}
