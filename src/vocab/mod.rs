//! The shared vocabulary every stage speaks: steps, storage kinds, parties, severities, rules, choices, and the time and text helpers.
//!
//! It imports nothing else of the crate, so any stage may use it; re-exported at the crate root.

mod choice;
mod named;
mod rule;
mod severity;
mod step;
mod storage;
mod text;
mod time;

pub use choice::{Clock, ConsentAction, Party, ThirdPartyCookies};
pub use named::UnknownName;
pub(crate) use named::named;
pub use rule::Rule;
pub(crate) use rule::rules;
pub use severity::{FailOn, Severity, UnknownFailOn};
pub use step::{Step, UnknownStep};
pub use storage::{StorageKind, UnknownStorage};
pub use text::{host_of, site_of, terminal_safe, url_host};
pub use time::{DurationError, human_lifetime, now_rfc3339, parse_duration};
