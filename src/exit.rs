//! Stable, documented exit codes.

/// The process exit codes; their numbers never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// Findings at or over the `--fail-on` threshold.
    Findings = 1,
    /// Usage, input or configuration error (a malformed catalog, policy or capture).
    Usage = 2,
    /// The scan could not complete: no browser, a browser crash, an unreachable site.
    ScanFailed = 3,
    /// Interrupted by SIGINT or SIGTERM.
    Interrupted = 130,
}
