//! Real third-party packages from npm for the integration tests, installed at test time.
//!
//! A directory under `tests/` (e.g. `tests/npm/`), or elsewhere in the repository
//! (`scripts/autoconsent/`), holds a `package.json`, its `package-lock.json` and optionally an
//! `.npmrc`; nothing installed from them is committed. [`node_modules`] (for `tests/<name>/`) and
//! [`node_modules_of`] (any directory) run `npm ci` once per version of those three files into a
//! cache directory keyed by their hash, `<target>/npm-cache/<name>-<hash>/node_modules` (or under
//! `$CHATCOOKIE_NPM_CACHE`; `<name>` is the directory's path with `/` as `-` outside `tests/`), and later
//! calls, reruns and other test binaries find it there. Concurrent callers are safe: threads of
//! one binary take a mutex, processes an exclusive `flock` on `<name>-<hash>.lock`, and the tree
//! is built in a temporary directory that is renamed into place only once complete.
//!
//! The tests reach it as `common::npm`; a benchmark includes it with
//! `#[path = "../tests/common/npm.rs"] mod npm;`.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long `npm ci` may take (a cold npm cache on a slow registry connection).
const INSTALL_LIMIT: Duration = Duration::from_secs(600);

/// The marker written last into a complete installation.
const COMPLETE: &str = ".chatcookie-installed";

/// Where installations are kept: `$CHATCOOKIE_NPM_CACHE`, else `npm-cache/` in the target dir.
pub fn cache_root() -> PathBuf {
    match std::env::var_os("CHATCOOKIE_NPM_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        // CARGO_TARGET_TMPDIR is <target>/tmp: the cache sits beside it, in the shared target dir.
        _ => Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("CARGO_TARGET_TMPDIR has a parent")
            .join("npm-cache"),
    }
}

/// The `node_modules` directory of `tests/<name>/`'s packages, installed with `npm ci` on first
/// use (per lock file), or a panic saying what is missing.
pub fn node_modules(name: &str) -> PathBuf {
    installed(&format!("tests/{name}"), name)
}

/// The `node_modules` directory of the packages of `dir` (relative to the repository, e.g.
/// `scripts/autoconsent`), installed with `npm ci` on first use (per lock file).
pub fn node_modules_of(dir: &str) -> PathBuf {
    installed(dir, &dir.replace('/', "-"))
}

fn installed(dir: &str, name: &str) -> PathBuf {
    // One installer per binary at a time; the others then find the tree in place.
    static IN_PROCESS: Mutex<()> = Mutex::new(());
    let _guard = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    install(dir, name).unwrap_or_else(|e| panic!("installing the npm packages of {dir}/: {e}"))
}

/// The files that define an installation, and their hash.
struct Project {
    files: Vec<(&'static str, Vec<u8>)>,
    hash: String,
}

fn project(src: &Path) -> Result<Project, String> {
    let mut files = Vec::new();
    for (file, required) in [
        ("package.json", true),
        ("package-lock.json", true),
        (".npmrc", false),
    ] {
        match std::fs::read(src.join(file)) {
            Ok(bytes) => files.push((file, bytes)),
            Err(e) if required || e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("{}: {e}", src.join(file).display()));
            }
            Err(_) => {}
        }
    }
    let mut h = Sha256::new();
    for (file, bytes) in &files {
        h.update(file.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    let hash = h
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Project { files, hash })
}

fn install(project_dir: &str, name: &str) -> Result<PathBuf, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(project_dir);
    let project = project(&src)?;
    let root = cache_root();
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let dir = root.join(format!("{name}-{}", project.hash));
    let modules = dir.join("node_modules");
    if dir.join(COMPLETE).is_file() {
        return Ok(modules);
    }
    // One installer at a time across processes; the others wait, then find it done.
    let _lock = FileLock::acquire(&root.join(format!("{name}-{}.lock", project.hash)))?;
    if dir.join(COMPLETE).is_file() {
        return Ok(modules);
    }
    let tmp = root.join(format!(
        ".{name}-{}.tmp-{}",
        project.hash,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    for (file, bytes) in &project.files {
        std::fs::write(tmp.join(file), bytes).map_err(|e| format!("{file}: {e}"))?;
    }
    let started = Instant::now();
    // --ignore-scripts: no third-party install script runs; the tests only serve the files.
    let mut npm = Command::new("npm");
    npm.args([
        "ci",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
    ])
    .current_dir(&tmp)
    // No browser download, whatever a package would fetch (puppeteer, playwright).
    .env("PUPPETEER_SKIP_DOWNLOAD", "1")
    .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    if let Err(e) = run(&mut npm, INSTALL_LIMIT) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    // Everything package.json asks for must be there (npm ci guarantees it; a broken cache
    // directory should fail here, not as a 404 in a browser).
    let manifest: serde_json::Value = serde_json::from_slice(&project.files[0].1)
        .map_err(|e| format!("{project_dir}/package.json: {e}"))?;
    for dep in manifest["dependencies"]
        .as_object()
        .into_iter()
        .flat_map(|d| d.keys())
    {
        let pkg = tmp.join("node_modules").join(dep).join("package.json");
        if !pkg.is_file() {
            return Err(format!("npm ci did not install {dep} ({})", pkg.display()));
        }
    }
    std::fs::write(
        tmp.join(COMPLETE),
        format!(
            "npm ci of {project_dir}/ in {:.1} s\n",
            started.elapsed().as_secs_f64()
        ),
    )
    .map_err(|e| e.to_string())?;
    // A leftover without the marker (an install killed half-way) is replaced.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).map_err(|e| format!("rename {}: {e}", tmp.display()))?;
    Ok(modules)
}

/// Runs a command to completion within `limit`; its output goes into the error.
fn run(cmd: &mut Command, limit: Duration) -> Result<(), String> {
    let what = format!("{cmd:?}");
    let mut child = match cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(
                "npm is not installed: these tests install pinned consent managers from npm at \
                 test time (Debian/Ubuntu: apt-get install npm; or install Node.js, which brings \
                 npm)"
                    .into(),
            );
        }
        Err(e) => return Err(format!("{what}: {e}")),
    };
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{what}: still running after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = reader.join().unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: {status}\n{output}"))
    }
}

/// An exclusive `flock` on a file, released when dropped (or when the process dies).
struct FileLock(std::fs::File);

impl FileLock {
    fn acquire(path: &Path) -> Result<FileLock, String> {
        use std::os::fd::AsRawFd;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // SAFETY: flock on a descriptor this File owns.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(format!(
                "flock {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
        Ok(FileLock(f))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: as above.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}
