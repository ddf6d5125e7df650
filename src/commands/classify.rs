//! `chatcookie classify`: attribute the keys of a capture the user already holds, without a browser.

use std::io::{BufRead, BufReader, Write};
use std::ops::ControlFlow;

use super::load_catalog;
use crate::cli::{ClassifyArgs, ClassifyFormat};
use chatcookie::Error;
use chatcookie::capture::{CaptureError, Item, Sink, read_capture};
use chatcookie::catalog::Catalog;
use chatcookie::classify::{self, Classified, Classifier};
use chatcookie::exit::Exit;

/// Whatever the capture's reader refuses is an input error (exit 2).
pub fn run(args: ClassifyArgs) -> chatcookie::Result<Exit> {
    let catalog = load_catalog(&args.catalog.files)?;
    let (input, name): (Box<dyn BufRead>, &str) = if args.input == "-" {
        (Box::new(std::io::stdin().lock()), "standard input")
    } else {
        let file = std::fs::File::open(&args.input).map_err(|source| CaptureError::Unreadable {
            path: args.input.clone(),
            cause: source,
        })?;
        (
            Box::new(BufReader::with_capacity(1 << 16, file)),
            &args.input,
        )
    };
    match args.format {
        ClassifyFormat::Jsonl => jsonl(&catalog, input, name, args.show_values),
        ClassifyFormat::Json | ClassifyFormat::Table => {
            let mut sink = Collect {
                classifier: Classifier::new(&catalog, args.show_values),
                keys: Vec::new(),
            };
            let summary = read_capture(input, name, &mut sink)?;
            if summary.keys == 0 && summary.evidence_urls == 0 {
                return Err(CaptureError::NoKeys.into());
            }
            let finished = sink.classifier.finish();
            let result = classify::assemble(
                &catalog,
                summary.format,
                sink.keys,
                finished,
                summary.evidence_urls,
            );
            let mut out = std::io::stdout().lock();
            let written = if args.format == ClassifyFormat::Json {
                serde_json::to_writer_pretty(&mut out, &result)
                    .map_err(std::io::Error::from)
                    .and_then(|()| writeln!(out))
                    .map_err(anyhow::Error::from)
            } else {
                classify::render_table(&result, &mut out)
            };
            match written {
                Err(e) if super::reader_gone(&e) => Ok(Exit::Ok),
                Err(e) => Err(Error::output(e)),
                Ok(()) => Ok(Exit::Ok),
            }
        }
    }
}

/// Keeps every classified key for the JSON document or the table.
struct Collect<'c> {
    classifier: Classifier<'c>,
    keys: Vec<(usize, Classified)>,
}

impl Sink for Collect<'_> {
    fn item(&mut self, item: Item) -> ControlFlow<()> {
        match item {
            Item::EvidenceUrl(url) => self.classifier.url(&url),
            Item::Key(key) => self.keys.extend(self.classifier.key(key)),
        }
        ControlFlow::Continue(())
    }
}

/// One key as one JSON line. serde_json escapes control characters (newlines included), so a
/// key is always one line.
fn write_line(out: &mut impl Write, key: &Classified) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, key)?;
    out.write_all(b"\n")
}

/// Writes each key as one JSON line as soon as it is classified.
struct Lines<'c, W: Write> {
    classifier: Classifier<'c>,
    out: W,
    failed: Option<std::io::Error>,
}

impl<W: Write> Sink for Lines<'_, W> {
    fn item(&mut self, item: Item) -> ControlFlow<()> {
        match item {
            Item::EvidenceUrl(url) => self.classifier.url(&url),
            Item::Key(key) => {
                if let Some((_, classified)) = self.classifier.key(key)
                    && let Err(e) = write_line(&mut self.out, &classified)
                {
                    self.failed = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// `--format jsonl`: keys are written as they are classified, the held ones at the end.
fn jsonl(
    catalog: &Catalog,
    input: Box<dyn BufRead>,
    name: &str,
    show_values: bool,
) -> chatcookie::Result<Exit> {
    let mut sink = Lines {
        classifier: Classifier::streaming(catalog, show_values),
        out: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
        failed: None,
    };
    let summary = read_capture(input, name, &mut sink)?;
    if summary.keys == 0 && summary.evidence_urls == 0 {
        return Err(CaptureError::NoKeys.into());
    }
    let Lines {
        classifier,
        mut out,
        mut failed,
    } = sink;
    if failed.is_none() {
        let finished = classifier.finish_each(|_, key| match write_line(&mut out, &key) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        });
        if summary.keys == 0 {
            // Nothing on standard output: say on standard error what the capture still shows.
            let result = classify::assemble(
                catalog,
                summary.format,
                Vec::new(),
                finished,
                summary.evidence_urls,
            );
            eprintln!("chatcookie: {}", classify::describe_no_keys(&result));
        }
    }
    match failed.map_or_else(|| out.flush(), Err) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Ok),
        Err(e) => Err(Error::output(
            anyhow::Error::new(e).context("cannot write to standard output"),
        )),
        Ok(()) => Ok(Exit::Ok),
    }
}
