//! What the Debian package ships besides the binary: the completion scripts printed by
//! `chatcookie completions SHELL` and the man pages written by the hidden `chatcookie manpages DIR`
//! (both generated from the clap definitions; scripts/build-deb packages them).

use crate::common::chatcookie;

/// Subcommands a user types, which every completion script must offer.
const SUBCOMMANDS: [&str; 10] = [
    "scan",
    "demo",
    "catalog",
    "classify",
    "check",
    "init",
    "diff",
    "history",
    "completions",
    "help",
];

#[test]
fn completion_scripts_name_the_binary_and_its_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = chatcookie(&["completions", shell]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8(out.stdout).expect("utf-8 script");
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        assert!(script.contains("chatcookie"), "{shell}: no `chatcookie`");
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell}: no subcommand `{sub}`");
        }
        // Flags of a subcommand are completed too.
        assert!(script.contains("consent-click"), "{shell}: no scan flags");
        // The hidden packaging helper is not offered.
        assert!(!script.contains("manpages"), "{shell}: offers `manpages`");
    }
}

#[test]
fn fish_script_completes_subcommands_of_chatcookie() {
    let out = chatcookie(&["completions", "fish"]);
    let script = String::from_utf8(out.stdout).expect("utf-8 script");
    assert!(
        script
            .lines()
            .any(|l| l.starts_with("complete -c chatcookie") && l.contains("-a \"scan\"")),
        "no `complete -c chatcookie … -a \"scan\"` line"
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = chatcookie(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh"), "{err}");
    assert!(err.contains("bash"), "the error lists the shells: {err}");
    // No shell at all is one too.
    assert_eq!(chatcookie(&["completions"]).status.code(), Some(2));
}

#[test]
fn man_pages_are_written_from_the_cli_definitions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("man1");
    let out = chatcookie(&["manpages", out_dir.to_str().expect("utf-8 path")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let main = std::fs::read_to_string(out_dir.join("chatcookie.1")).expect("chatcookie.1");
    assert!(main.starts_with(".ie") || main.contains("\n.TH"), "{main}");
    let th = main
        .lines()
        .find(|l| l.starts_with(".TH "))
        .expect("a .TH header");
    assert!(th.contains("chatcookie 1"), "{th}");
    assert!(th.contains(env!("CARGO_PKG_VERSION")), "{th}");
    assert!(main.contains("scan"), "the page lists the scan subcommand");
    assert!(
        main.contains("chatcookie\\-scan(1)"),
        "it points at chatcookie-scan(1)"
    );

    // One page per subcommand, the hidden packaging helper excepted.
    let scan = std::fs::read_to_string(out_dir.join("chatcookie-scan.1")).expect("scan page");
    assert!(scan.contains(".TH chatcookie-scan 1"), "{scan}");
    assert!(
        scan.contains("consent\\-click"),
        "the scan page documents its flags"
    );
    assert!(out_dir.join("chatcookie-completions.1").is_file());
    assert!(!out_dir.join("chatcookie-manpages.1").exists());

    // It lists what it wrote, one path a line.
    let listed = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        listed.lines().any(|l| l.ends_with("chatcookie.1")),
        "{listed}"
    );
    assert_eq!(
        listed.lines().count(),
        std::fs::read_dir(&out_dir).expect("read dir").count()
    );
}
