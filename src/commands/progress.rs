//! The progress of a many-site run on standard error: a bar on a terminal, else a line per site.

use chatcookie::report::ScanReport;
use chatcookie::terminal_safe;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Progress over many sites on standard error: a bar on a terminal, else a line per site.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    finished: usize,
    failed: usize,
}

impl Progress {
    /// `step_lines`: --progress prints a line per step, which a redrawn bar would garble.
    pub fn new(total: usize, step_lines: bool) -> Progress {
        let bar = (std::io::stderr().is_terminal() && !step_lines && total > 0).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} sites {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            total,
            finished: 0,
            failed: 0,
        }
    }

    pub fn site_done(&mut self, report: &ScanReport) {
        self.finished += 1;
        let url = terminal_safe(&report.provenance.url, 100);
        let outcome = match &report.aborted {
            Some(a) => {
                self.failed += 1;
                format!("not complete: {}", terminal_safe(&a.reason, 200))
            }
            None => format!(
                "{} keys, {} findings, {:.1} s",
                report.observations.len(),
                report.findings.len(),
                report.provenance.duration_ms as f64 / 1000.0
            ),
        };
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(if self.failed > 0 {
                    format!("({} not complete)", self.failed)
                } else {
                    String::new()
                });
                if report.aborted.is_some() {
                    bar.println(format!("{url}: {outcome}"));
                }
            }
            None => eprintln!(
                "chatcookie: [{}/{}] {url}: {outcome}",
                self.finished, self.total
            ),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
