//! Settling without fixed sleeps: poll until cookies, storage and network have been still for the quiet window.

use super::ScanOptions;
use super::watch::PageWatch;
use crate::browser::cdp::Page;
use crate::snapshot;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

/// How often the settle loop looks again.
const POLL: Duration = Duration::from_millis(20);

/// A request open longer than this is a long poll or a stream: it does not hold settling back.
const LONG_REQUEST: Duration = Duration::from_secs(2);

/// How a settle wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Quiet,
    /// The step timeout ran out; the text says what was still moving.
    Timeout(String),
}

/// Waits until nothing changed for `opts.quiet`, bounded by `opts.step_timeout`.
pub fn settle(page: &Page, watch: &PageWatch, opts: &ScanOptions) -> Settled {
    let start = Instant::now();
    let deadline = start + opts.step_timeout;
    let call_timeout = opts.step_timeout.min(Duration::from_secs(5));
    let mut last_fp = None;
    let mut last_cookie_change = start;
    loop {
        // Cookies have no change event; their fingerprint is polled (a browser-side read).
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
                if fp != last_fp {
                    last_fp = fp;
                    last_cookie_change = Instant::now();
                }
            }
            Err(e) if e.is_disconnect() => return Settled::Timeout(format!("browser gone: {e}")),
            Err(_) => {}
        }
        let now = Instant::now();
        let (young, last_activity) = {
            let w = watch.lock();
            let young = w
                .inflight
                .values()
                .filter(|t| now.duration_since(**t) < LONG_REQUEST)
                .count();
            let last = last_cookie_change
                .max(w.last_storage_write)
                .max(w.last_network_activity)
                .max(start);
            (young, last)
        };
        let still_for = now.duration_since(last_activity);
        if young == 0 && still_for >= opts.quiet {
            return Settled::Quiet;
        }
        if now >= deadline {
            return Settled::Timeout(format!(
                "{young} request(s) in flight, last change {} ms before the bound",
                still_for.as_millis()
            ));
        }
        std::thread::sleep(POLL.min(deadline.saturating_duration_since(now)));
    }
}

/// Polls `cond` until it holds or `deadline` passes; true when it held.
pub fn poll_until(deadline: Instant, mut cond: impl FnMut() -> bool) -> bool {
    loop {
        if cond() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10).min(deadline - now));
    }
}
