//! Benchmark: classify 1,000,000 key names against the embedded catalog, then the release binary end to end (`cargo bench --bench classify`).

mod common;

use chatcookie::catalog::{Catalog, Evidence};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A realistic mix: vendor keys with ids, generic names, other scripts' cookies, random noise.
const TEMPLATES: [&str; 15] = [
    "twk_uuid_{hex}",
    "jv_enter_ts_{tok}",
    "jv_store_{tok}_client",
    "{hex}.clientId",
    "_genesys.widgets.webchat.state.open",
    "_genesys.widgets.webchat.autolInvite.disabled",
    "utm",
    "widget_loaded",
    "_ga",
    "_gid",
    "PHPSESSID",
    "__stripe_mid",
    "_fbp",
    "session_{tok}",
    "x{hex}y",
];

fn main() {
    // First, while this process is small: a child's peak RSS counts what it shares with the
    // parent between fork and exec.
    end_to_end(&TEMPLATES, 1_000_000);
    // Loading: the vendor files and the embedded Open Cookie Database, parsed and indexed.
    let loads = 20;
    let start = Instant::now();
    for _ in 0..loads {
        Catalog::embedded().expect("embedded catalog");
    }
    let load = start.elapsed().as_secs_f64() * 1000.0 / loads as f64;
    let catalog = Catalog::embedded().expect("embedded catalog");
    let ocd_text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/ocd.tsv"))
        .expect("catalog/ocd.tsv");
    let start = Instant::now();
    for _ in 0..loads {
        chatcookie::catalog::Ocd::parse(&ocd_text).expect("ocd.tsv parses");
    }
    let ocd = start.elapsed().as_secs_f64() * 1000.0 / loads as f64;
    println!(
        "catalog load: {load:.2} ms, of which the Open Cookie Database ({} entries): {ocd:.2} ms",
        catalog.ocd.len()
    );
    let templates = TEMPLATES;
    let n = 1_000_000;
    let names: Vec<String> = (0..n)
        .map(|i| {
            let t = templates[i % templates.len()];
            t.replace("{hex}", &format!("{:024x}", i * 7919))
                .replace("{tok}", &format!("{:010}", i))
        })
        .collect();
    let evidence = catalog.evidence_from_names(["jv_enter_ts_EBSrukxUuA"]);
    let none = Evidence::default();
    for (label, ev) in [("no evidence", &none), ("with evidence", &evidence)] {
        let start = Instant::now();
        let mut attributed = 0usize;
        let mut platform = 0usize;
        for name in &names {
            let a = catalog.attribute(name, ev);
            if a.vendor().is_some() {
                attributed += 1;
            } else if a.platform().is_some() {
                platform += 1;
            }
        }
        let elapsed = start.elapsed();
        println!(
            "classify {n} names ({label}): {:.3} s, {:.0} ns/name, {attributed} attributed to a chat vendor, {platform} to a platform",
            elapsed.as_secs_f64(),
            elapsed.as_nanos() as f64 / n as f64
        );
    }
}

/// `chatcookie classify FILE --format jsonl` on a generated file of `n` names: wall time and the
/// process's peak RSS (from `wait4`'s rusage, so no sampling can miss the peak).
fn end_to_end(templates: &[&str], n: usize) {
    let exe = common::release_exe();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("names.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for i in 0..n {
        let t = templates[i % templates.len()];
        let name = t
            .replace("{hex}", &format!("{:024x}", i * 7919))
            .replace("{tok}", &format!("{:010}", i));
        writeln!(out, "{name}").unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let bytes = std::fs::metadata(&file).unwrap().len();
    for format in ["jsonl", "json"] {
        let start = Instant::now();
        // Reaped below by `wait4`, which also gives its rusage.
        #[allow(clippy::zombie_processes)]
        let mut child = Command::new(&exe)
            .args(["classify", file.to_str().unwrap(), "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Read the output as a consumer would, counting lines.
        let reader = std::thread::spawn(move || BufReader::new(stdout).lines().count());
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        // SAFETY: rusage is plain old data, and the child is ours and not yet reaped.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let wall = start.elapsed().as_secs_f64();
        assert_eq!(reaped, pid, "wait4 failed");
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "classify failed"
        );
        let lines = reader.join().unwrap();
        println!(
            "classify end to end, {n} names ({:.1} MB), --format {format}: {wall:.2} s, peak RSS {:.1} MB, {lines} output lines",
            bytes as f64 / 1e6,
            usage.ru_maxrss as f64 / 1024.0,
        );
    }
}
