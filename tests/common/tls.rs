//! A TLS front for a fixture's loopback server: serves `https://<host>/` to a Chromium that
//! maps `<host>` to this front (`--host-resolver-rules=MAP <host> 127.0.0.1:<port>`) and ignores
//! certificate errors, so that rules written for real https URLs (autoconsent's `urlPattern`)
//! run on their own URLs. Each connection carries one request, forwarded in plain HTTP to the
//! fixture's server with `Connection: close`; the answer goes back as it came.
//!
//! The tests reach it as `common::tls`. The certificate is tests/tls/ (a
//! self-signed test certificate; see its README).
#![allow(dead_code)]

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long one side of a forwarded exchange may stay silent.
const QUIET_LIMIT: Duration = Duration::from_secs(10);

/// The largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// A listening TLS front; stops accepting when dropped.
pub struct TlsFront {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl TlsFront {
    /// Listens on a free loopback port, forwarding to the plain server at `backend`.
    pub fn start(backend: u16) -> TlsFront {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
        let certs = CertificateDer::pem_file_iter(dir.join("cert.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(tcp) = conn else { continue };
                let config = Arc::clone(&config);
                std::thread::spawn(move || {
                    let _ = exchange(tcp, config, backend);
                });
            }
        });
        TlsFront { port, stop }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One request over TLS, forwarded to `backend`, and its answer.
fn exchange(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    backend: u16,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(QUIET_LIMIT))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut request = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = tls.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&chunk[..n]);
        if let Some(i) = find(&request, b"\r\n\r\n") {
            break i + 4;
        }
        if request.len() > MAX_HEAD {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = tls.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&chunk[..n]);
    }
    // One exchange per connection: the server closes after answering.
    let mut rewritten: Vec<u8> = head
        .trim_end()
        .lines()
        .filter(|l| {
            !l.split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        })
        .flat_map(|l| format!("{l}\r\n").into_bytes())
        .collect();
    rewritten.extend_from_slice(b"Connection: close\r\n\r\n");
    rewritten.extend_from_slice(&request[head_end..]);
    let mut back = TcpStream::connect(("127.0.0.1", backend))?;
    back.set_read_timeout(Some(QUIET_LIMIT))?;
    back.write_all(&rewritten)?;
    let answer = read_answer(&mut back)?;
    tls.write_all(&answer)?;
    tls.conn.send_close_notify();
    tls.flush()
}

/// An HTTP answer: its head, then `Content-Length` bytes (or everything until the server closes).
fn read_answer(back: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(i) = find(&answer, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&answer[..i]).to_string();
            let length = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            if let Some(length) = length {
                while answer.len() < i + 4 + length {
                    let n = back.read(&mut chunk)?;
                    if n == 0 {
                        break;
                    }
                    answer.extend_from_slice(&chunk[..n]);
                }
                return Ok(answer);
            }
        }
        let n = back.read(&mut chunk)?;
        if n == 0 {
            return Ok(answer);
        }
        answer.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
