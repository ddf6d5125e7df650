//! Settling without fixed sleeps: poll until cookies, storage and network have been still for the quiet window.
//!
//! On the page's fast clock the window is page time: once no request is in flight the page lives
//! `quiet` of its own time at once (every timer due in it fires, a download holds it back), and
//! it is still when nothing moved meanwhile. A busy renderer cannot make a page look still: its
//! clock does not move past work it has not done. On the real clock the window is real time.

use super::ScanOptions;
use crate::browser::cdp::Page;
use crate::browser::clock::{PageClock, TICK};
use crate::browser::watch::PageWatch;
use crate::snapshot;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

/// How often the settle loop looks again.
const POLL: Duration = Duration::from_millis(10);

/// A request open longer than this is a long poll or a stream: it does not hold settling back.
const LONG_REQUEST: Duration = Duration::from_secs(2);

/// The browser went away while the settle loop read the cookie jar.
#[derive(Debug, thiserror::Error)]
#[error("browser gone: {0}")]
struct BrowserGone(String);

/// How a settle wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Quiet,
    /// The step timeout ran out; the text says what was still moving.
    Timeout(String),
}

/// What the settle loop remembers across steps: the cookie jar's fingerprint and when it last changed.
#[derive(Debug)]
pub struct Stillness {
    fingerprint: Option<u64>,
    last_cookie_change: Instant,
    /// The last change a settle saw, and the page's time (ms) when it first saw it: a step
    /// without an action finds a page still at once when nothing changed since and the page has
    /// lived the quiet window by its own clock.
    noticed: Option<(Instant, f64)>,
}

impl Stillness {
    pub fn new() -> Self {
        Stillness {
            fingerprint: None,
            last_cookie_change: Instant::now(),
            noticed: None,
        }
    }

    /// Waits until nothing changed for `opts.quiet` (page time on a virtual `clock`), bounded by
    /// `opts.step_timeout`.
    ///
    /// `acted_at` is when the step's action happened: stillness before it does not count, since
    /// the action may set off changes. A step without an action (waiting for the widget) passes
    /// `None`, and a page that has been still long enough already counts as settled.
    pub fn settle(
        &mut self,
        page: &Page,
        watch: &PageWatch,
        opts: &ScanOptions,
        acted_at: Option<Instant>,
        clock: &PageClock,
    ) -> Settled {
        let start = Instant::now();
        let deadline = start + opts.settings.step_timeout;
        let call_timeout = opts.settings.step_timeout.min(Duration::from_secs(5));
        loop {
            if let Err(why) = self.read_cookies(page, call_timeout) {
                return Settled::Timeout(why.to_string());
            }
            let now = Instant::now();
            let (young, last_change, pending) = self.activity(watch, None, now);
            if let Some(page_ms) = clock.page_ms() {
                match self.noticed {
                    // Both readings may be a tick old: the window must hold with a tick to spare.
                    Some((seen, at))
                        if seen == last_change
                            && young == 0
                            && acted_at.is_none()
                            && page_ms - at
                                >= (opts.settings.quiet + TICK).as_secs_f64() * 1000.0 =>
                    {
                        return Settled::Quiet;
                    }
                    Some((seen, _)) if seen == last_change => {}
                    _ => self.noticed = Some((last_change, page_ms)),
                }
            }
            let last_activity = acted_at.map_or(last_change, |a| last_change.max(a));
            let still_for = now.saturating_duration_since(last_activity);
            if young == 0 && clock.is_virtual() {
                // The window in page time: a change or a new request during it starts it over.
                let mut gone = None;
                let moved = clock.run_ahead(opts.settings.quiet, || {
                    if let Err(why) = self.read_cookies(page, call_timeout) {
                        gone = Some(why.to_string());
                        return true;
                    }
                    let (young, last, _) = self.activity(watch, acted_at, Instant::now());
                    young > 0 || last > last_activity
                });
                if let Some(why) = gone {
                    return Settled::Timeout(why);
                }
                if !moved {
                    return Settled::Quiet;
                }
            } else if young == 0 && still_for >= opts.settings.quiet {
                return Settled::Quiet;
            }
            let now = Instant::now();
            if now >= deadline {
                let waiting = if pending.is_empty() {
                    String::new()
                } else {
                    format!(": {pending}")
                };
                return Settled::Timeout(format!(
                    "last change {} ms before the bound; {young} recent request(s) in flight{waiting}",
                    now.saturating_duration_since(last_activity).as_millis()
                ));
            }
            std::thread::sleep(POLL.min(deadline.saturating_duration_since(now)));
        }
    }

    /// Reads the cookie jar's fingerprint (cookies have no change event); notes when it changed.
    /// Err: the browser is gone.
    fn read_cookies(&mut self, page: &Page, call_timeout: Duration) -> Result<(), BrowserGone> {
        match snapshot::read_cookies(page, call_timeout) {
            Ok(cookies) => {
                let mut h = DefaultHasher::new();
                for c in &cookies {
                    (
                        &c.name,
                        &c.domain,
                        &c.path,
                        &c.value,
                        c.expires.map(f64::to_bits),
                    )
                        .hash(&mut h);
                }
                let fp = Some(h.finish());
                if fp != self.fingerprint {
                    self.fingerprint = fp;
                    self.last_cookie_change = Instant::now();
                }
                Ok(())
            }
            Err(e) if e.is_disconnect() => Err(BrowserGone(e.to_string())),
            Err(_) => Ok(()),
        }
    }

    /// Requests in flight that hold settling back, the last moment anything moved, and what is
    /// still loading.
    fn activity(
        &self,
        watch: &PageWatch,
        acted_at: Option<Instant>,
        now: Instant,
    ) -> (usize, Instant, String) {
        let w = watch.lock();
        let young = w
            .inflight
            .values()
            .filter(|(t, _)| now.duration_since(*t) < LONG_REQUEST)
            .count();
        let mut last = self
            .last_cookie_change
            .max(w.last_storage_write)
            .max(w.last_network_activity);
        if let Some(acted) = acted_at {
            last = last.max(acted);
        }
        (young, last, w.pending_urls())
    }
}
