//! Polling a condition against a deadline: how every bounded wait in the crate ends as soon as its answer is known.

use std::time::{Duration, Instant};

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
