//! The `chatcookie` binary: parse the command line, run the pipeline, map the outcome to an exit code.

use anyhow::{Context, bail};
use chatcookie::browser::{BrowserOptions, BrowserSession};
use chatcookie::capture::{CaptureError, parse_capture};
use chatcookie::catalog::Catalog;
use chatcookie::cli::{self, Cli, Command, ListFormat};
use chatcookie::consent::CmpRules;
use chatcookie::diagnostic::Diagnostics;
use chatcookie::exit::Exit;
use chatcookie::report::{ScanReport, terminal_safe};
use chatcookie::scan::{self, ConsentAction, ConsentChoice, ScanOptions, Step};
use chatcookie::serve::{SiteFiles, SiteServer, host_for_dir};
use chatcookie::{classify, demo};
use clap::Parser;
use std::io::Write;
use std::path::Path;

fn main() {
    // Ctrl-C or SIGTERM: no browser or profile may outlive the tool.
    let _ = ctrlc::set_handler(|| {
        chatcookie::browser::kill_all_now();
        eprintln!("chatcookie: interrupted; browser closed and temporary profile removed");
        std::process::exit(Exit::Interrupted as i32);
    });
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let code = exit_code_for(&e);
            // Diagnostics carry their own "error:" lines.
            if e.downcast_ref::<Diagnostics>().is_some() {
                eprintln!("{e}");
            } else {
                eprintln!("error: {e:#}");
            }
            code
        }
    };
    std::process::exit(code as i32);
}

/// Mistakes in what the user gave are usage errors (2); everything else stopped the scan (3),
/// a missing or crashed browser included.
fn exit_code_for(e: &anyhow::Error) -> Exit {
    let usage = e.downcast_ref::<Diagnostics>().is_some()
        || e.downcast_ref::<CaptureError>().is_some()
        || e.downcast_ref::<UsageError>().is_some();
    if usage { Exit::Usage } else { Exit::ScanFailed }
}

/// A mistake in what the user asked for.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan_command(*args),
        Command::Demo(args) => demo_command(*args),
        Command::Catalog(args) => catalog_command(args),
        Command::Classify(args) => classify_command(args),
    }
}

fn load_catalog(files: &cli::CatalogFiles) -> anyhow::Result<Catalog> {
    if files.files.is_empty() {
        Ok(Catalog::embedded()?)
    } else {
        Catalog::with_user_files(&files.files)
    }
}

fn browser_options(args: &cli::BrowserArgs, map_to_loopback: Vec<String>) -> BrowserOptions {
    BrowserOptions {
        chrome: args.chrome.clone(),
        connect: args.connect.clone(),
        third_party_cookies: args.third_party_cookies,
        map_to_loopback,
        launch_timeout: args.launch_timeout,
        no_sandbox: args.no_sandbox,
    }
}

fn scan_command(args: cli::ScanArgs) -> anyhow::Result<Exit> {
    let catalog = load_catalog(&args.catalog)?;
    let cmp_rules = CmpRules::with_user_files(&args.steps.cmp_rules)?;
    // A directory is served on loopback under a real-looking host name.
    let server;
    let (url, hosts) = if Path::new(&args.target).is_dir() {
        let host = args
            .host
            .clone()
            .unwrap_or_else(|| host_for_dir(Path::new(&args.target)));
        server = SiteServer::start(SiteFiles::Disk(args.target.clone().into()), &host)?;
        (server.url(), server.hosts.iter().cloned().collect())
    } else {
        (check_url(&args.target)?, Vec::new())
    };
    let s = &args.steps;
    let (click, js) = match s.consent {
        ConsentAction::Reject => (s.reject_click.clone(), s.reject_js.clone()),
        _ => (s.consent_click.clone(), s.consent_js.clone()),
    };
    let consent =
        ConsentChoice::from_flags(s.consent, click, js, s.consent_text.clone(), cmp_rules);
    let opts = ScanOptions {
        url,
        consent,
        open_click: s.open_click.clone(),
        step_timeout: s.step_timeout,
        quiet: s.quiet,
        widget_timeout: s.widget_timeout,
        steps: s.steps.clone(),
    };
    let session = BrowserSession::start(&browser_options(&args.browser, hosts))?;
    let run = scan::run(&session, &catalog, &opts)?;
    drop(session);
    let report = ScanReport::build(&catalog, run, &opts, args.output.show_values);
    write_reports(&args.output, &[report])
}

fn demo_command(args: cli::DemoArgs) -> anyhow::Result<Exit> {
    let all = demo::sites();
    if args.list {
        for s in &all {
            println!("{:<16} {}", s.name, s.description);
        }
        return Ok(Exit::Ok);
    }
    let chosen: Vec<&demo::DemoSite> = if args.sites.is_empty() {
        all.iter().collect()
    } else {
        args.sites
            .iter()
            .map(|n| {
                all.iter().find(|s| &s.name == n).ok_or_else(|| {
                    UsageError(format!(
                        "no demo site `{n}`; the sites are: {}",
                        all.iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let catalog = Catalog::embedded()?;
    let mut reports = Vec::new();
    for site in chosen {
        let server = SiteServer::start(SiteFiles::Embedded(site.files), &site.host)?;
        let click = match args.consent {
            ConsentAction::Reject => site.reject_click.clone(),
            _ => site.consent_click.clone(),
        };
        let action = if click.is_none() {
            ConsentAction::None
        } else {
            args.consent
        };
        let opts = ScanOptions {
            url: server.url(),
            consent: ConsentChoice::from_flags(action, click, None, None, CmpRules::embedded()?),
            open_click: None,
            step_timeout: std::time::Duration::from_secs(10),
            quiet: std::time::Duration::from_millis(150),
            widget_timeout: std::time::Duration::from_secs(2),
            steps: Step::ALL.to_vec(),
        };
        let session = BrowserSession::start(&browser_options(
            &args.browser,
            server.hosts.iter().cloned().collect(),
        ))?;
        let run = scan::run(&session, &catalog, &opts)?;
        drop(session);
        reports.push(ScanReport::build(
            &catalog,
            run,
            &opts,
            args.output.show_values,
        ));
    }
    write_reports(&args.output, &reports)
}

/// Writes the reports where asked; a scan that stopped early makes the exit code 3.
fn write_reports(out: &cli::OutputArgs, reports: &[ScanReport]) -> anyhow::Result<Exit> {
    let renderer = out.format.renderer();
    match &out.output {
        Some(path) => {
            let mut buf = Vec::new();
            renderer.render(reports, &mut buf)?;
            std::fs::write(path, buf)
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            renderer.render(reports, &mut lock)?;
            lock.flush()?;
        }
    }
    if let Some(a) = reports.iter().find_map(|r| r.aborted.as_ref()) {
        eprintln!(
            "error: the scan could not complete: {}",
            terminal_safe(&a.reason, 300)
        );
        return Ok(Exit::ScanFailed);
    }
    Ok(Exit::Ok)
}

/// Accepts http(s) URLs only, with a hint for the common slips.
fn check_url(target: &str) -> anyhow::Result<String> {
    match url::Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(u.to_string())
        }
        Ok(u) => Err(UsageError(format!(
            "`{target}`: only http and https URLs can be scanned (got scheme `{}`)",
            u.scheme()
        ))
        .into()),
        Err(url::ParseError::RelativeUrlWithoutBase) => Err(UsageError(format!(
            "`{target}` is neither a directory nor a URL; did you mean https://{target}/ ?"
        ))
        .into()),
        Err(e) => Err(UsageError(format!("`{target}` is not a valid URL: {e}")).into()),
    }
}

fn catalog_command(args: cli::CatalogArgs) -> anyhow::Result<Exit> {
    if let Some(path) = &args.check {
        let catalog = Catalog::check_file(path)?;
        let added: usize = catalog
            .vendors
            .iter()
            .filter(|v| v.file == path.display().to_string())
            .map(|v| v.keys.len())
            .sum();
        println!(
            "{}: ok ({added} keys; catalog {})",
            path.display(),
            catalog.version
        );
        return Ok(Exit::Ok);
    }
    let catalog = load_catalog(&args.catalog)?;
    let vendors: Vec<_> = catalog
        .vendors
        .iter()
        .filter(|v| args.vendor.as_deref().is_none_or(|id| v.id == id))
        .collect();
    if vendors.is_empty() {
        bail!(UsageError(format!(
            "no vendor `{}`; the vendors are: {}",
            args.vendor.unwrap_or_default(),
            catalog
                .vendors
                .iter()
                .map(|v| v.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    match args.format {
        ListFormat::Json => {
            let doc = serde_json::json!({ "catalog_version": catalog.version, "vendors": vendors });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        ListFormat::Table => {
            chatcookie::catalog::render_table(&catalog, &vendors, &mut std::io::stdout().lock())?
        }
    }
    Ok(Exit::Ok)
}

fn classify_command(args: cli::ClassifyArgs) -> anyhow::Result<Exit> {
    let catalog = load_catalog(&args.catalog)?;
    let bytes = if args.input == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(&args.input).with_context(|| format!("cannot read {}", args.input))?
    };
    let capture = parse_capture(&bytes)?;
    let result = classify::classify(&catalog, capture, args.show_values);
    match args.format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        ListFormat::Table => classify::render_table(&result, &mut std::io::stdout().lock())?,
    }
    Ok(Exit::Ok)
}
