//! The byte stream under a DevTools connection: plain TCP, or TLS (rustls) for hosted farms.
//!
//! The CDP client reads on one thread and writes on others, so a stream must split in a reading
//! and a writing handle. TCP splits with `try_clone`; a TLS session cannot, so both handles share
//! one rustls connection behind a mutex, and the reader waits on the socket without holding it.

use crate::error::{Error, Result};
use anyhow::anyhow;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A connected stream, plain or TLS; every clone reads and writes the same connection.
pub enum Stream {
    Plain(TcpStream),
    Tls(TlsStream),
}

impl Stream {
    /// Connects to `addr`, with TLS for `tls_name` when given (the certificate must name it).
    /// A stream that cannot be had is a browser that cannot be reached.
    pub fn connect(addr: SocketAddr, tls_name: Option<&str>, timeout: Duration) -> Result<Stream> {
        Self::open(addr, tls_name, timeout).map_err(Error::browser)
    }

    fn open(addr: SocketAddr, tls_name: Option<&str>, timeout: Duration) -> anyhow::Result<Stream> {
        let sock = TcpStream::connect_timeout(&addr, timeout).map_err(|e| anyhow!("{e}"))?;
        sock.set_nodelay(true).map_err(|e| anyhow!("{e}"))?;
        sock.set_read_timeout(Some(timeout))
            .map_err(|e| anyhow!("{e}"))?;
        sock.set_write_timeout(Some(timeout))
            .map_err(|e| anyhow!("{e}"))?;
        match tls_name {
            None => Ok(Stream::Plain(sock)),
            Some(name) => {
                let server_name = rustls::pki_types::ServerName::try_from(name.to_string())
                    .map_err(|e| {
                        anyhow!("`{name}` cannot be checked against a certificate: {e}")
                    })?;
                let conn = rustls::ClientConnection::new(tls_config()?, server_name)
                    .map_err(|e| anyhow!("TLS setup failed: {e}"))?;
                Stream::tls(sock, conn.into())
                    .map_err(|e| anyhow!("TLS handshake with {name} failed: {e}"))
            }
        }
    }

    /// Runs a TLS handshake on `sock` (either side: a server too, as a test's farm) and returns
    /// the stream whose clones share that session.
    pub fn tls(mut sock: TcpStream, mut conn: rustls::Connection) -> io::Result<Stream> {
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)?;
        }
        Ok(Stream::Tls(TlsStream {
            conn: Arc::new(Mutex::new(conn)),
            sock,
        }))
    }

    /// Another handle on the same connection.
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Plain(s) => Stream::Plain(s.try_clone()?),
            Stream::Tls(t) => Stream::Tls(TlsStream {
                conn: Arc::clone(&t.conn),
                sock: t.sock.try_clone()?,
            }),
        })
    }

    /// The TCP socket underneath (timeouts, shutdown).
    pub fn socket(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &t.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(t) => t.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(t) => t.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(t) => t.flush(),
        }
    }
}

/// One handle on a shared TLS session.
pub struct TlsStream {
    conn: Arc<Mutex<rustls::Connection>>,
    sock: TcpStream,
}

impl TlsStream {
    fn lock(&self) -> MutexGuard<'_, rustls::Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends whatever TLS records the session has queued.
    fn drain(conn: &mut rustls::Connection, mut sock: &TcpStream) -> io::Result<()> {
        while conn.wants_write() {
            conn.write_tls(&mut sock)?;
        }
        Ok(())
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut tls = [0u8; 16 * 1024];
        loop {
            match self.lock().reader().read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                done => return done,
            }
            // Wait for records without the lock, so writers are not held up meanwhile.
            let n = (&self.sock).read(&mut tls)?;
            let mut conn = self.lock();
            let mut records = &tls[..n];
            if n == 0 {
                // End of stream: rustls then reports a clean close or a truncation.
                conn.read_tls(&mut records)?;
            }
            while !records.is_empty() {
                conn.read_tls(&mut records)?;
                conn.process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            }
            Self::drain(&mut conn, &self.sock)?;
        }
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut conn = self.lock();
        let n = conn.writer().write(buf)?;
        Self::drain(&mut conn, &self.sock)?;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        let mut conn = self.lock();
        conn.writer().flush()?;
        Self::drain(&mut conn, &self.sock)
    }
}

/// The variable naming extra trusted certificates (PEM), as OpenSSL reads it: a farm behind a
/// private certificate authority, or a test's own.
pub const CA_FILE_VAR: &str = "SSL_CERT_FILE";

/// The client configuration: the Mozilla roots (webpki-roots) plus those of `SSL_CERT_FILE`.
fn tls_config() -> anyhow::Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(file) = std::env::var_os(CA_FILE_VAR).filter(|f| !f.is_empty()) {
        let shown = std::path::Path::new(&file).display().to_string();
        let certs = CertificateDer::pem_file_iter(&file)
            .map_err(|e| anyhow!("{CA_FILE_VAR}={shown}: {e}"))?;
        for cert in certs {
            let cert = cert.map_err(|e| anyhow!("{CA_FILE_VAR}={shown}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| anyhow!("{CA_FILE_VAR}={shown}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // A WebSocket upgrade is HTTP/1.1; a load balancer offered h2 would refuse it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
