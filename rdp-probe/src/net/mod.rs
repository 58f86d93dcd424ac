//! The only tokio code: sockets, proxy, deadlines, framing of reads, the transcript recorder,
//! and the TLS upgrade. Wire modules and the plan logic (probe.rs) know no sockets and no clock.

use crate::options::{ProbeOptions, Proxy};
use crate::report::{Direction, Phase, TranscriptData, TranscriptEntry};

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};

pub(crate) mod drive;
pub(crate) mod mcs;
pub(crate) mod nla;
pub mod resolver;
pub(crate) mod run;
pub(crate) mod session;
pub(crate) mod tls;

pub(crate) use crate::steps::io::{NetError, NetErrorKind};

/// Shared, per-probe transcript sink (no global state: one per probe).
pub(crate) type Transcript = Arc<Mutex<Vec<TranscriptEntry>>>;

/// A stream wrapper that records every byte in the transcript when asked to.
pub(crate) struct Recorded<S> {
    inner: S,
    sink: Option<Transcript>,
    connection: u32,
    label: String,
    started: Instant,
    /// The first bytes received since [`Recorded::start_capture`] (at most
    /// [`crate::wire::tls::not_tls::MAX_KEPT`]): what a server sent instead of a ServerHello.
    capture: Option<Vec<u8>>,
    /// This connection's share of `parallel_connections` while an exchange runs on it;
    /// released when the connection is dropped or kept idle for a later step.
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    /// A negotiation connection a later step continues on (it waited idle in between).
    continued: bool,
}

impl<S> Recorded<S> {
    /// Whether this is a kept negotiation connection a later step continues on.
    pub(crate) fn continued(&self) -> bool {
        self.continued
    }

    /// Starts keeping the first bytes received from now on.
    pub(crate) fn start_capture(&mut self) {
        self.capture = Some(Vec::new());
    }

    /// The bytes kept since [`Recorded::start_capture`] (empty when none came).
    pub(crate) fn captured(&self) -> &[u8] {
        self.capture.as_deref().unwrap_or_default()
    }

    fn record(&self, direction: Direction, bytes: &[u8]) {
        if let Some(sink) = &self.sink {
            if let Ok(mut v) = sink.lock() {
                v.push(TranscriptEntry {
                    connection: self.connection,
                    label: self.label.clone(),
                    direction,
                    at_ms: ms(self.started.elapsed()),
                    data: TranscriptData::Bytes(bytes.to_vec()),
                    decoded: None,
                });
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorded<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let new = buf.filled().get(before..).unwrap_or_default().to_vec();
            if let Some(c) = self.capture.as_mut() {
                let room = crate::wire::tls::not_tls::MAX_KEPT.saturating_sub(c.len());
                c.extend_from_slice(new.get(..room.min(new.len())).unwrap_or_default());
            }
            if !new.is_empty() {
                self.record(Direction::Received, &new);
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorded<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            let sent = buf.get(..n).unwrap_or_default().to_vec();
            self.record(Direction::Sent, &sent);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The stream every phase talks over.
pub(crate) type Stream = Recorded<TcpStream>;

/// Per-probe context: options, deadlines, transcript, connection counter.
pub(crate) struct Ctx<'a> {
    pub opts: &'a ProbeOptions,
    /// The whole-probe deadline.
    pub deadline: Instant,
    pub transcript: Option<Transcript>,
    /// Connections opened so far (numbering for the transcript).
    pub connections: std::sync::atomic::AtomicU32,
    /// When the last connection was (or will be, after its delay) opened.
    last_connect: Mutex<Option<Instant>>,
    /// The local address of the first direct (proxy-less) connection.
    pub first_local: std::sync::OnceLock<SocketAddr>,
    /// Exchanges in flight at once (`parallel_connections`): a permit from opening a
    /// connection until it is dropped or kept idle.
    slots: Arc<tokio::sync::Semaphore>,
    /// Negotiation connections kept open after their X.224 answer, for a later step that
    /// asks the same question (TLS, CredSSP, MCS): no second connection for the same request.
    kept: Mutex<Vec<Kept>>,
}

/// A negotiation connection kept open after the server's X.224 answer.
pub(crate) struct Kept {
    /// requestedProtocols of the Connection Request sent on it.
    pub requested: u32,
    /// Whether that request carried an RDP_NEG_REQ (`false`: the legacy request).
    pub with_neg_req: bool,
    pub stream: Stream,
    pub answer: crate::wire::x224::ServerAnswer,
}

pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

impl<'a> Ctx<'a> {
    pub fn new(opts: &'a ProbeOptions) -> Self {
        Ctx {
            opts,
            deadline: Instant::now() + opts.overall_timeout,
            transcript: if opts.raw { Some(Arc::new(Mutex::new(Vec::new()))) } else { None },
            connections: std::sync::atomic::AtomicU32::new(0),
            last_connect: Mutex::new(None),
            first_local: std::sync::OnceLock::new(),
            slots: Arc::new(tokio::sync::Semaphore::new(opts.parallel_connections.max(1))),
            kept: Mutex::new(Vec::new()),
        }
    }

    /// Keeps a negotiation connection open for a later step (its permit is released).
    pub fn keep(&self, kept: Kept) {
        let mut kept = kept;
        kept.stream.permit = None;
        if let Ok(mut v) = self.kept.lock() {
            v.push(kept);
        }
    }

    /// Takes the kept connection whose Connection Request was `requested` (with or without
    /// RDP_NEG_REQ), relabelled for the step that continues on it; the transcript notes the
    /// reuse under the connection's number.
    pub fn take_kept(
        &self,
        requested: u32,
        with_neg_req: bool,
        label: &str,
    ) -> Option<(Stream, crate::wire::x224::ServerAnswer)> {
        let k = {
            let mut v = self.kept.lock().ok()?;
            let i = v.iter().position(|k| k.requested == requested && k.with_neg_req == with_neg_req)?;
            v.remove(i)
        };
        let mut stream = k.stream;
        self.note(stream.connection, label, format!("continue on connection {} ({})", stream.connection, stream.label));
        stream.label = label.into();
        stream.continued = true;
        Some((stream, k.answer))
    }

    /// Closes the kept connections no step took.
    pub fn drop_kept(&self) {
        if let Ok(mut v) = self.kept.lock() {
            v.clear();
        }
    }

    /// The earlier of `now + d` and the whole-probe deadline.
    pub fn deadline_in(&self, d: Duration) -> Instant {
        (Instant::now() + d).min(self.deadline)
    }

    /// Runs `fut` until the per-step timeout `d` or the probe deadline, whichever comes first.
    pub async fn timed<T, F>(&self, phase: Phase, d: Duration, fut: F) -> Result<T, NetError>
    where
        F: std::future::Future<Output = Result<T, NetError>>,
    {
        let dl = self.deadline_in(d);
        match tokio::time::timeout_at(dl.into(), fut).await {
            Ok(r) => r,
            Err(_) => Err(NetError::new(
                if Instant::now() >= self.deadline { Phase::Overall } else { phase },
                NetErrorKind::Timeout,
            )),
        }
    }

    pub fn note(&self, connection: u32, label: &str, text: String) {
        if let Some(sink) = &self.transcript {
            if let Ok(mut v) = sink.lock() {
                v.push(TranscriptEntry {
                    connection,
                    label: label.into(),
                    direction: Direction::Note,
                    at_ms: 0.0,
                    data: TranscriptData::Text(text),
                    decoded: None,
                });
            }
        }
    }

    /// Opens a TCP connection (directly or through the proxy), honouring the source address,
    /// the inter-connection delay, the connect timeout and the probe deadline. Retries on
    /// "too many open files" until the deadline instead of failing: a scan backs off, never drops.
    pub async fn open(&self, addr: SocketAddr, label: &str) -> Result<Stream, NetError> {
        // At most `parallel_connections` exchanges in flight per target (xrdp's backlog is 2).
        let permit = match tokio::time::timeout_at(self.deadline.into(), self.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => Some(p),
            Ok(Err(_)) => None,
            Err(_) => return Err(NetError::new(Phase::Overall, NetErrorKind::Timeout)),
        };
        // Concurrent opens (the plan runs up to `parallel_connections` at once) take turns
        // through the lock: each reserves its start time, then sleeps outside the lock.
        let wait = match self.last_connect.lock() {
            Ok(mut last) => {
                let now = Instant::now();
                let start = match *last {
                    Some(l) if !self.opts.connection_delay.is_zero() => (l + self.opts.connection_delay).max(now),
                    _ => now,
                };
                *last = Some(start);
                start.saturating_duration_since(now)
            }
            Err(_) => Duration::ZERO,
        };
        if !wait.is_zero() {
            tokio::time::sleep_until(self.deadline_in(wait).into()).await;
        }
        let connection = self.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.note(connection, label, format!("connect {addr}"));
        let opts = self.opts;
        let dest = self.timed(Phase::Connect, opts.connect_timeout, connect_destination(opts, addr)).await?;
        // Out of descriptors (EMFILE/ENFILE): wait for one until the probe deadline, backing off;
        // the connect timeout starts only once a socket exists. A scan backs off, never drops.
        let mut backoff = Duration::from_millis(10);
        let sock = loop {
            match new_socket(opts, dest) {
                Ok(s) => break s,
                Err(e) if is_fd_exhaustion(&e) => {
                    if Instant::now() + backoff >= self.deadline {
                        return Err(NetError::new(
                            Phase::Connect,
                            NetErrorKind::Io(format!("{e} (no descriptor free before the probe deadline)")),
                        ));
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(250));
                }
                Err(e) => return Err(NetError::io(Phase::Connect, &e)),
            }
        };
        let tcp = self
            .timed(Phase::Connect, opts.connect_timeout, async {
                sock.connect(dest).await.map_err(|e| NetError::io(Phase::Connect, &e))
            })
            .await
            .map_err(|e| match (&opts.proxy, &e.kind) {
                // Not reaching the proxy itself says nothing about the target: name the proxy.
                (Some(_), NetErrorKind::Refused | NetErrorKind::Timeout | NetErrorKind::Unreachable(_))
                    if e.phase == Phase::Connect =>
                {
                    let what = match &e.kind {
                        NetErrorKind::Refused => "refused the connection".to_string(),
                        NetErrorKind::Timeout => "did not answer the TCP connection attempt".to_string(),
                        NetErrorKind::Unreachable(why) => format!("is unreachable: {why}"),
                        _ => "failed".to_string(),
                    };
                    NetError::new(Phase::Connect, NetErrorKind::Proxy(format!("{dest} {what}")))
                }
                _ => e,
            })?;
        let tcp = match &opts.proxy {
            None => {
                if let Ok(local) = tcp.local_addr() {
                    let _ = self.first_local.set(local);
                }
                tcp
            }
            Some(Proxy::Socks5 { auth, .. }) => {
                self.timed(Phase::Connect, opts.connect_timeout, socks5_connect(tcp, addr, auth.as_ref())).await?
            }
        };
        let _ = tcp.set_nodelay(true);
        Ok(Recorded {
            inner: tcp,
            sink: self.transcript.clone(),
            connection,
            label: label.into(),
            started: Instant::now(),
            capture: None,
            permit,
            continued: false,
        })
    }

    /// Writes all bytes within the read timeout.
    pub async fn write<S: AsyncWrite + Unpin>(&self, s: &mut S, phase: Phase, bytes: &[u8]) -> Result<(), NetError> {
        self.timed(phase, self.opts.read_timeout, async {
            s.write_all(bytes).await.map_err(|e| NetError::io(phase, &e))?;
            s.flush().await.map_err(|e| NetError::io(phase, &e))
        })
        .await
    }

    /// Collects the transcript recorded so far.
    pub fn take_transcript(&self) -> Vec<TranscriptEntry> {
        self.transcript.as_ref().and_then(|t| t.lock().ok().map(|v| v.clone())).unwrap_or_default()
    }
}

fn is_fd_exhaustion(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(24) | Some(23)) // EMFILE, ENFILE
}

/// Where the TCP connection goes: the target, or the proxy.
async fn connect_destination(opts: &ProbeOptions, addr: SocketAddr) -> Result<SocketAddr, NetError> {
    match &opts.proxy {
        Some(Proxy::Socks5 { address, .. }) => tokio::net::lookup_host(address.as_str())
            .await
            .map_err(|e| NetError::new(Phase::Connect, NetErrorKind::Proxy(format!("{address}: {e}"))))?
            .next()
            .ok_or_else(|| NetError::new(Phase::Connect, NetErrorKind::Proxy(format!("{address} did not resolve")))),
        None => Ok(addr),
    }
}

/// A socket for `dest`, bound to the source address when one is set.
fn new_socket(opts: &ProbeOptions, dest: SocketAddr) -> io::Result<TcpSocket> {
    let sock = if dest.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(src) = opts.source {
        sock.bind(SocketAddr::new(src, 0))?;
    }
    Ok(sock)
}

/// SOCKS5 CONNECT (RFC 1928) with optional username/password (RFC 1929).
async fn socks5_connect(
    mut s: TcpStream,
    addr: SocketAddr,
    auth: Option<&(String, String)>,
) -> Result<TcpStream, NetError> {
    let perr = |m: &str| NetError::new(Phase::Connect, NetErrorKind::Proxy(m.into()));
    let ioerr = |e: io::Error| NetError::io(Phase::Connect, &e);
    let method = if auth.is_some() { 2u8 } else { 0u8 };
    s.write_all(&[5, 1, method]).await.map_err(ioerr)?;
    let mut r = [0u8; 2];
    s.read_exact(&mut r).await.map_err(ioerr)?;
    if r[0] != 5 || r[1] != method {
        return Err(perr("no acceptable authentication method"));
    }
    if let Some((u, p)) = auth {
        let (ub, pb) = (u.as_bytes(), p.as_bytes());
        if ub.len() > 255 || pb.len() > 255 {
            return Err(perr("credentials too long"));
        }
        let mut m = vec![1, ub.len() as u8];
        m.extend_from_slice(ub);
        m.push(pb.len() as u8);
        m.extend_from_slice(pb);
        s.write_all(&m).await.map_err(ioerr)?;
        s.read_exact(&mut r).await.map_err(ioerr)?;
        if r[1] != 0 {
            return Err(perr("authentication failed"));
        }
    }
    let mut req = vec![5, 1, 0];
    match addr {
        SocketAddr::V4(a) => {
            req.push(1);
            req.extend_from_slice(&a.ip().octets());
        }
        SocketAddr::V6(a) => {
            req.push(4);
            req.extend_from_slice(&a.ip().octets());
        }
    }
    req.extend_from_slice(&addr.port().to_be_bytes());
    s.write_all(&req).await.map_err(ioerr)?;
    let mut head = [0u8; 4];
    s.read_exact(&mut head).await.map_err(ioerr)?;
    if head[1] != 0 {
        return Err(match head[1] {
            5 => NetError::new(Phase::Connect, NetErrorKind::Refused),
            3 | 4 => NetError::new(Phase::Connect, NetErrorKind::Unreachable(format!("socks5 reply {}", head[1]))),
            6 => NetError::new(Phase::Connect, NetErrorKind::Timeout),
            c => perr(&format!("socks5 reply code {c}")),
        });
    }
    let skip = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut l = [0u8; 1];
            s.read_exact(&mut l).await.map_err(ioerr)?;
            usize::from(l[0]) + 2
        }
        _ => return Err(perr("bad address type in reply")),
    };
    let mut rest = vec![0u8; skip];
    s.read_exact(&mut rest).await.map_err(ioerr)?;
    Ok(s)
}

/// Resolves `host:port` with [`ProbeOptions::resolver`] (the system configuration when unset),
/// within the connect timeout and the probe deadline. IP literals need no lookup. A lookup cut
/// off at the deadline is dropped: no thread is left waiting for an answer.
pub(crate) async fn resolve(ctx: &Ctx<'_>, host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let system;
    let resolver = match &ctx.opts.resolver {
        Some(r) => r,
        None => {
            system = crate::net::resolver::Resolver::system();
            &system
        }
    };
    let timeout = ctx.opts.connect_timeout;
    ctx.timed(Phase::Resolve, timeout, async move {
        resolver.lookup(host, port, timeout).await.map_err(|e| match e {
            crate::net::resolver::LookupError::Timeout => NetError::new(Phase::Resolve, NetErrorKind::Timeout),
            crate::net::resolver::LookupError::Failed(why) => NetError::new(Phase::Resolve, NetErrorKind::Io(why)),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ErrorKind;

    #[test]
    fn every_driver_error_has_its_kind() {
        let decode = crate::wire::codec::DecodeError::truncated("test", "length");
        let cases = [
            (NetErrorKind::Timeout, ErrorKind::Timeout),
            (NetErrorKind::Refused, ErrorKind::Refused),
            (NetErrorKind::Reset, ErrorKind::Reset),
            (NetErrorKind::Closed { received: 3 }, ErrorKind::Closed),
            (NetErrorKind::Unreachable("no route".into()), ErrorKind::Unreachable),
            (NetErrorKind::NotTpkt(b"SSH-2.0".to_vec()), ErrorKind::NotTpkt),
            (NetErrorKind::Decode(decode), ErrorKind::Decode),
            (NetErrorKind::Tls("alert".into()), ErrorKind::Tls),
            (NetErrorKind::NotTls { sent: vec![3, 0], text: "x".into() }, ErrorKind::NotTls),
            (NetErrorKind::ClientLimitation { version: true, text: "x".into() }, ErrorKind::ClientLimitation),
            (NetErrorKind::Proxy("refused".into()), ErrorKind::Proxy),
            (NetErrorKind::NegotiationRefused("negotiation refused: x".into()), ErrorKind::ServerRefused),
            (NetErrorKind::Io("other".into()), ErrorKind::Io),
        ];
        for (k, want) in cases {
            assert_eq!(ErrorKind::from(&k), want, "{k:?}");
            assert_eq!(NetError::new(Phase::ReadCc, k.clone()).error_kind(), want, "{k:?}");
        }
    }

    #[test]
    fn a_failed_lookup_is_dns_unless_it_timed_out() {
        assert_eq!(NetError::new(Phase::Resolve, NetErrorKind::Io("NXDOMAIN".into())).error_kind(), ErrorKind::Dns);
        assert_eq!(NetError::new(Phase::Resolve, NetErrorKind::Timeout).error_kind(), ErrorKind::Timeout);
        assert_eq!(NetError::new(Phase::Connect, NetErrorKind::Io("x".into())).error_kind(), ErrorKind::Io);
    }

    #[test]
    fn io_errors_are_typed_by_their_io_kind_not_their_text() {
        let e = io::Error::new(io::ErrorKind::HostUnreachable, "some text");
        assert_eq!(NetError::io(Phase::Connect, &e).error_kind(), ErrorKind::Unreachable);
        let e = io::Error::other("network unreachable, proxy down");
        assert_eq!(NetError::io(Phase::Connect, &e).error_kind(), ErrorKind::Io);
        let e = io::Error::new(io::ErrorKind::ConnectionReset, "x");
        assert_eq!(NetError::io(Phase::Mcs, &e).error_kind(), ErrorKind::Reset);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn kinds_spell_snake_case_in_json() {
        use ErrorKind::*;
        let all = [
            Refused,
            Timeout,
            Reset,
            Closed,
            Proxy,
            Unreachable,
            Dns,
            NotTpkt,
            Decode,
            NotTls,
            Tls,
            Io,
            ClientLimitation,
            ServerRefused,
            Other,
        ];
        let spelled: Vec<String> = all.iter().map(|k| serde_json::to_string(k).unwrap_or_default()).collect();
        let want = [
            "refused",
            "timeout",
            "reset",
            "closed",
            "proxy",
            "unreachable",
            "dns",
            "not_tpkt",
            "decode",
            "not_tls",
            "tls",
            "io",
            "client_limitation",
            "server_refused",
            "other",
        ];
        for ((k, s), w) in all.iter().zip(&spelled).zip(want) {
            assert_eq!(s, &format!("\"{w}\""));
            assert_eq!(k.as_str(), w);
            assert_eq!(serde_json::from_str::<ErrorKind>(s).ok(), Some(*k));
        }
    }
}
