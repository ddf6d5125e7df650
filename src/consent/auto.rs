//! Automatic consent: detect the page's consent managers, answer the first banner that shows, check that it took.

use super::heuristic::{Look, Sight, Stored, refusal_of};
use super::rules::{Cmp, CmpRules, Condition};
use super::{AnswerMethod, BannerWords, ConsentRecord, ConsentResult, Refusal};
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::dom::{self, ClickError, Found, Worlds};
use crate::browser::input::Gestures;
use crate::browser::poll_until;
use crate::browser::watch::FrameInfo;
use crate::catalog::words::Prepared;
use crate::error::Error;
use anyhow::anyhow;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

// The accept and reject steps, and the rules' conditions (child modules: they run on this
// one's private state).
#[path = "steps.rs"]
mod steps;
#[path = "conditions.rs"]
mod conditions;
#[path = "withdraw.rs"]
mod withdraw;

pub use withdraw::{banner_showing, withdraw};

/// How long a page without any known CMP is watched for a late one before giving up.
const DETECT_GRACE: Duration = Duration::from_secs(3);

/// How long the banner may take to close after the click.
const VERIFY_BOUND: Duration = Duration::from_secs(2);

/// How long a closed banner must stay closed to count (it may re-appear at once).
const STAY_CLOSED: Duration = Duration::from_millis(300);

/// How long the CMP's consent record may take to be written after its banner closed.
const RECORD_BOUND: Duration = Duration::from_secs(1);

/// How long to look for a banner after the visitor's gestures on a page that showed none.
const AFTER_GESTURE: Duration = Duration::from_millis(600);

/// How long a banner seen by sight but not yet answerable (its buttons sliding or fading in, a
/// CSS transition the page's fast clock does not run) is given in real time.
const TRANSITION: Duration = Duration::from_millis(1500);

/// How long (page time) a banner found by sight must look the same before it is answered.
const STEADY: Duration = Duration::from_millis(150);

/// How often a banner that re-appears is answered again before giving up.
const MAX_ANSWERS: usize = 3;

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
    let vocab = words.prepared();
    let mut run = AutoRun {
        worlds: Worlds::new(page, frames, call_timeout).with_clock(clock),
        rules,
        vocab,
        reject,
        step_timeout,
        deadline: start + step_timeout,
        // A CMP shows up early in a page's life; the widget step's wait already counted.
        grace: DETECT_GRACE
            .saturating_sub(clock.page_age())
            .min(step_timeout),
        clock,
        record: ConsentRecord::default(),
        optional_clicked: false,
    };
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

/// What the page did after the answer.
enum Verdict {
    Closed,
    Navigated(String),
    Reappeared,
    StillShown(Duration),
}

impl<'a> AutoRun<'a, '_> {
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
            if found.is_empty() {
                *look = sight.look(&mut run.worlds);
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
                // "No way to refuse" is a finding: before saying so, give a refusal still being
                // drawn (a link slotted into a component, a second button fading in) the real
                // time of a transition, looking after each rendered frame.
                let refuses = |l: &Look| {
                    l.best()
                        .is_some_and(|b| refusal_of(&b.candidate) != Refusal::None)
                };
                if !refuses(&steady) {
                    let until = (Instant::now() + TRANSITION).min(self.deadline);
                    poll_until(until, || {
                        sight.render(&mut self.worlds);
                        // The latest look is the one whose elements are kept for the click.
                        steady = sight.look(&mut self.worlds);
                        refuses(&steady)
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

    /// Answers `cmp`'s banner; true when the answer took.
    fn answer(&mut self, cmp: &Cmp, sight: &Sight, before: &Stored) -> bool {
        if self.is_shown(cmp) != Some(true) {
            self.record.tried.push(format!(
                "{}: detected, but its banner is not showing",
                cmp.id
            ));
            return false;
        }
        let top = self.worlds.top().to_string();
        for attempt in 1..=MAX_ANSWERS {
            // Our world in the top document dies with it: that is how a navigation shows.
            let top_context = self.worlds.context(&top).ok();
            self.optional_clicked = false;
            let acted = match self.run_steps(cmp) {
                Ok(a) => a,
                Err(why) => {
                    // An optional click that opened nothing may have come before the CMP bound
                    // its buttons: the sequence is tried once more while time is left.
                    let again = self.optional_clicked
                        && attempt < MAX_ANSWERS
                        && Instant::now() < self.deadline;
                    self.record.tried.push(format!(
                        "{}: {why}{}",
                        cmp.id,
                        if again { "; answering again" } else { "" }
                    ));
                    if again {
                        continue;
                    }
                    return false;
                }
            };
            let rule = format!("{} step {}", self.action(), acted.step);
            self.record.cmp = Some(cmp.id.clone());
            self.record.rule = Some(rule.clone());
            self.record.element = Some(acted.element.clone());
            let mut verdict = self.verify(cmp, top_context);
            if let Verdict::StillShown(after) = verdict {
                // Still there: the answer may have taken and the banner be on its way out (a
                // fade, a slide). Its record says so where it has one; otherwise it gets the
                // same time again to leave before anything is clicked again.
                if let Some(got) = self.recorded(cmp)
                    && got == self.action()
                {
                    self.record.recorded = Some(got.clone());
                    self.record.done = true;
                    self.record.outcome = Some(format!(
                        "the banner was still shown {:.1} s later, but {} recorded `{got}`: not answered again",
                        after.as_secs_f64(),
                        cmp.id
                    ));
                    self.record
                        .verified
                        .push(format!("{} recorded `{got}`", cmp.id));
                    return true;
                }
                verdict = match self.verify(cmp, top_context) {
                    Verdict::StillShown(more) => Verdict::StillShown(after + more),
                    other => other,
                };
            }
            if let Verdict::StillShown(after) = verdict
                && let Some(why) = self.took_while_shown(sight, before)
            {
                // Some banners stay on screen once answered: a confirmation in place of the
                // question, or a bar that keeps its place; clicking again would answer twice.
                self.record.done = true;
                self.record.outcome = Some(format!(
                    "the banner was still shown {:.1} s later, but {why}: not answered again",
                    after.as_secs_f64()
                ));
                self.record.verified.push(why);
                return true;
            }
            match verdict {
                Verdict::Closed => {
                    self.record
                        .verified
                        .push("the banner closed and stayed closed".into());
                    return self.check_record(cmp, "the banner closed".into());
                }
                Verdict::Navigated(url) => {
                    self.record
                        .verified
                        .push(format!("the page navigated to {url}"));
                    return self.check_record(cmp, format!("the page navigated to {url}"));
                }
                Verdict::Reappeared => {
                    let next = if attempt < MAX_ANSWERS {
                        "answering again"
                    } else {
                        "giving up"
                    };
                    self.record.tried.push(format!(
                        "{}: {rule} closed the banner, but it re-appeared (answer {attempt} of {MAX_ANSWERS}); {next}",
                        cmp.id
                    ));
                    self.record.outcome = Some("the banner re-appeared".into());
                }
                Verdict::StillShown(after) => {
                    // A click that came before the CMP bound its buttons did nothing (tarteaucitron
                    // binds them 500 ms after showing the banner): answer again while time is left.
                    let again = attempt < MAX_ANSWERS && Instant::now() < self.deadline;
                    self.record.tried.push(format!(
                        "{}: {rule} clicked {}, but the banner was still shown {:.1} s later{}",
                        cmp.id,
                        acted.element,
                        after.as_secs_f64(),
                        if again { "; answering again" } else { "" }
                    ));
                    self.record.outcome = Some("the banner is still shown".into());
                    if !again {
                        return false;
                    }
                }
            }
        }
        false
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

    /// Why an answer took although its banner is still shown: it wrote its record (a key whose
    /// name speaks of consent), or no banner on the page offers a choice any more.
    fn took_while_shown(&mut self, sight: &Sight, before: &Stored) -> Option<String> {
        let top = self.worlds.top().to_string();
        let after = sight.stored(&mut self.worlds, &top);
        let written = sight.written(before, &after);
        if !written.is_empty() {
            let names: Vec<&str> = written.iter().map(|k| k.name.as_str()).collect();
            return Some(format!(
                "the answer wrote its record ({})",
                names.join(", ")
            ));
        }
        let look = sight.look(&mut self.worlds);
        (look.any_banner() && !look.offers_choice())
            .then(|| "the banner shows no choice any more (a confirmation)".to_string())
    }

    /// What `cmp`'s record holds now, if it has one (no waiting: the answer was given a while ago).
    fn recorded(&self, cmp: &Cmp) -> Option<String> {
        let expr = cmp.record.as_ref()?.choice.as_ref()?;
        let wrapped =
            format!("(() => {{ try {{ return ({expr}); }} catch (e) {{ return null; }} }})()");
        self.worlds
            .page()
            .evaluate(&wrapped, self.worlds.call_timeout)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| matches!(s.as_str(), "accept" | "reject" | "partial"))
    }

    /// After the banner closed: the answer took unless the CMP's own record holds another choice.
    fn check_record(&mut self, cmp: &Cmp, outcome: String) -> bool {
        let want = self.action();
        let got = read_choice(
            self.worlds.page(),
            cmp,
            self.worlds.call_timeout,
            self.clock,
        );
        let Some(got) = got else {
            self.record.done = true;
            self.record.outcome = Some(outcome);
            return true;
        };
        self.record.recorded = Some(got.clone());
        if got == want {
            self.record.done = true;
            self.record.outcome = Some(outcome);
            return true;
        }
        let why = format!(
            "{outcome}, but {} recorded `{got}` where `{want}` was asked: the rule gave another answer",
            cmp.id
        );
        self.record.tried.push(format!("{}: {why}", cmp.id));
        self.record.outcome = Some(why);
        self.record.done = false;
        false
    }

    /// Waits until the banner closes (and stays closed a moment) or the page navigates.
    fn verify(&mut self, cmp: &Cmp, top_context: Option<i64>) -> Verdict {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let bound = VERIFY_BOUND
            .min(self.step_timeout / 2)
            .min(remaining.max(Duration::from_millis(500)));
        let navigated = |worlds: &Worlds| top_context.is_some_and(|c| !worlds.alive(c));
        let t0 = Instant::now();
        let (mut closed, mut nav) = (false, false);
        // On the page's clock: a banner that fades out, or comes back, does so on its timers.
        let clock = self.clock;
        clock.run_ahead(bound, || {
            nav = navigated(&self.worlds);
            closed = !nav && self.is_shown(cmp) == Some(false);
            nav || closed
        });
        if !nav && !closed {
            return Verdict::StillShown(t0.elapsed());
        }
        let mut back = false;
        if !nav {
            clock.run_ahead(STAY_CLOSED, || {
                nav = navigated(&self.worlds);
                back = !nav && self.is_shown(cmp) == Some(true);
                nav || back
            });
        }
        if nav {
            let url = self
                .worlds
                .page()
                .evaluate("location.href", self.worlds.call_timeout)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "another page".into());
            return Verdict::Navigated(url);
        }
        if back {
            Verdict::Reappeared
        } else {
            Verdict::Closed
        }
    }
}

/// The choice `cmp`'s own record holds (`accept`, `reject`, `partial`), waiting a moment for it
/// to be written (on the page's clock: a CMP writes it from its own timers or after a request);
/// None when the CMP has no readable record or wrote none.
pub(super) fn read_choice(
    page: &Page,
    cmp: &Cmp,
    call_timeout: Duration,
    clock: &PageClock,
) -> Option<String> {
    let expr = cmp.record.as_ref()?.choice.as_ref()?;
    let wrapped =
        format!("(() => {{ try {{ return ({expr}); }} catch (e) {{ return null; }} }})()");
    let mut got = None;
    clock.run_ahead(RECORD_BOUND, || {
        got = page
            .evaluate(&wrapped, call_timeout)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| matches!(s.as_str(), "accept" | "reject" | "partial"));
        got.is_some()
    });
    got
}

/// A user's own answer to the banner.
#[derive(Debug, Clone, Copy)]
pub enum UserAnswer<'a> {
    /// Click the element this CSS selector finds.
    Click(&'a str),
    /// Evaluate this script in the page, as the visitor's gesture.
    Script(&'a str),
    /// Click the button, link or [role=button] with this visible text.
    Text(&'a str),
}

/// Carries out a user's own answer (a selector, a script, a button text) and checks it the way
/// automatic answers are checked: the known CMPs on the page, their banners closing, their
/// records' choice; where no CMP is known, the banner around the clicked element (or, for a
/// script, the one a visitor sees) must leave and stay away, a reload followed.
// The page, what to answer and its bounds: grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn user_answer(
    page: &Page,
    frames: &[FrameInfo],
    rules: &CmpRules,
    words: &BannerWords,
    answer: UserAnswer,
    reject: bool,
    (step_timeout, call_timeout): (Duration, Duration),
    clock: &PageClock,
    gestures: &Gestures,
) -> ConsentRecord {
    let start = Instant::now();
    let vocab = words.prepared();
    let mut run = AutoRun {
        worlds: Worlds::new(page, frames, call_timeout).with_clock(clock),
        rules,
        vocab,
        reject,
        step_timeout: VERIFY_BOUND * 2,
        deadline: start + step_timeout,
        grace: Duration::ZERO,
        clock,
        record: ConsentRecord::default(),
        optional_clicked: false,
    };
    let (method, rule) = match answer {
        UserAnswer::Click(_) => (AnswerMethod::Selector, "click"),
        UserAnswer::Script(_) => (AnswerMethod::Script, "js"),
        UserAnswer::Text(_) => (AnswerMethod::Text, "text"),
    };
    run.record.method = Some(method);
    run.record.rule = Some(rule.into());
    run.record.gestures_before = gestures
        .done
        .iter()
        .map(|g| g.as_str().to_string())
        .collect();
    let sight = Sight::new(&mut run.worlds, vocab);
    let detected = run.detect();
    let deadline = start + step_timeout;
    // The banner the answer is given to, as the visitor sees it, and what was stored before.
    let mut banner: Option<super::heuristic::Sighted> = None;
    let mut before = super::heuristic::Stored::default();
    let acted: crate::error::Result<String> = match answer {
        UserAnswer::Click(sel) | UserAnswer::Text(sel) => {
            let query = match answer {
                UserAnswer::Click(_) => super::text::Query::Css(sel),
                _ => super::text::Query::Text(sel),
            };
            let verb = if reject { "reject" } else { "accept" };
            loop {
                match super::text::search(&mut run.worlds, query, deadline, step_timeout) {
                    Err(e) => break Err(e.context(format!("cannot {verb} consent"))),
                    Ok((found, what)) => {
                        banner = sight.around(&mut run.worlds, &found);
                        before = sight.stored(&mut run.worlds, &found.frame_id);
                        match dom::click(&mut run.worlds, &found) {
                            Ok(how) => break Ok(describe_click(&what, &found, &how)),
                            Err(ClickError::Gone) if Instant::now() < deadline => {}
                            Err(ClickError::Gone) => {
                                break Err(Error::site(anyhow!(
                                    "cannot {verb} consent: {} left the page",
                                    found.label
                                )));
                            }
                            Err(ClickError::Failed(e)) => {
                                break Err(Error::new(
                                    e.kind(),
                                    anyhow!(
                                        "cannot {verb} consent: clicking {} failed: {e}",
                                        found.label
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
        UserAnswer::Script(js) => {
            banner = sight.look(&mut run.worlds).best().cloned();
            if let Some(b) = &banner {
                before = sight.stored(&mut run.worlds, &b.frame_id);
            }
            page.act(js, call_timeout)
                .map(|_| format!("script `{js}` in the top frame"))
                .map_err(|e| Error::browser(anyhow!("consent script `{js}` failed: {e}")))
        }
    };
    run.record.detected = detected
        .keys()
        .map(|&i| rules.cmps()[i].id.clone())
        .collect();
    match acted {
        Err(e) => {
            run.record.tried.push(e.to_string());
            run.record.result = Some(if detected.is_empty() && banner.is_none() {
                ConsentResult::NoBanner
            } else {
                ConsentResult::Unanswered
            });
        }
        Ok(element) => {
            run.record.element = Some(element);
            run.record.done = true;
            run.record.result = Some(ConsentResult::Answered);
            if !detected.is_empty() {
                run.check_cmps(&detected);
            } else if let Some(b) = &banner {
                let top = run.worlds.top().to_string();
                let top_context = run.worlds.context(&top).ok();
                let mut out = super::heuristic::Answered::default();
                sight.check(&mut run.worlds, b, &before, top_context, &mut out);
                let mut seen = b.seen();
                seen.confidence = 1.0;
                seen.grounds = vec!["the banner around the element the user named".into()];
                run.record.banner = Some(seen);
                run.record.verified = out.verified;
                run.record.record_keys = out.record_keys;
                run.record.outcome = Some(out.outcome);
                run.record.done = out.done;
            } else {
                run.record.outcome = Some(
                    "unverified: no known consent manager on the page, and no banner around the clicked element that speaks of cookies or consent".into(),
                );
            }
        }
    }
    run.worlds.release();
    run.record.duration_ms = start.elapsed().as_millis() as u64;
    run.record.page_age_ms = Some(clock.page_age().as_millis() as u64);
    run.record
}

impl AutoRun<'_, '_> {
    /// After a user's answer: the known CMPs' banners must close and their records hold the
    /// choice asked for.
    fn check_cmps(&mut self, detected: &BTreeMap<usize, String>) {
        let rules = self.rules;
        // The banners that still show, until they close or the bound passes.
        let mut open: Vec<usize> = Vec::new();
        let clock = self.clock;
        clock.run_ahead(VERIFY_BOUND, || {
            open = detected
                .keys()
                .copied()
                .filter(|&i| self.is_shown(&rules.cmps()[i]) == Some(true))
                .collect();
            open.is_empty()
        });
        let want = self.action();
        let mut notes = Vec::new();
        for &i in detected.keys() {
            let cmp = &rules.cmps()[i];
            self.record.cmp.get_or_insert_with(|| cmp.id.clone());
            if open.contains(&i) {
                notes.push(format!("{}'s banner is still shown", cmp.id));
                self.record.done = false;
            }
            if let Some(got) = read_choice(self.worlds.page(), cmp, self.worlds.call_timeout, clock)
            {
                if got != want {
                    notes.push(format!(
                        "{} recorded `{got}` where `{want}` was asked",
                        cmp.id
                    ));
                    self.record.done = false;
                } else {
                    notes.push(format!("{} recorded `{got}`", cmp.id));
                }
                self.record.recorded = Some(got);
            }
        }
        if open.is_empty() && self.record.done {
            notes.insert(0, "the banner closed".into());
            self.record
                .verified
                .push("the consent manager's banner closed".into());
        }
        self.record.outcome = Some(notes.join("; "));
    }
}

/// "`chain` → <button#x> "Accept" in the top frame, by mouse click at (x, y)".
pub(super) fn describe_click(chain: &str, found: &Found, how: &str) -> String {
    format!("{chain} → {} {}, by {how}", found.label, found.place())
}
