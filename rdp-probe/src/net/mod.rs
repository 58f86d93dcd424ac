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
    /// How this target takes parallel connections: the pace of new connections and what a
    /// slow handshake taught (see [`Pacing`]).
    pacing: Mutex<Pacing>,
}

/// The pace of new connections to one target. Connections start at least `spacing` apart: a
/// burst of SYNs overflows a small listen backlog (xrdp listens with a backlog of 2; 8 SYNs at
/// once cost it about 1 s, a dropped SYN's retransmission, while 2 ms apart it takes 16) and
/// trips rate limits. A TCP handshake much slower than the fastest one seen looks like a
/// dropped SYN: the target then gets fewer connections at once and a slower pace, for the
/// rest of the probe. Nothing is dropped: a waiting exchange runs later.
#[derive(Debug)]
struct Pacing {
    /// Minimum time between two connection starts.
    spacing: Duration,
    /// The fastest TCP handshake seen so far.
    fastest: Option<Duration>,
    /// Permits taken out of `slots` after a slow handshake (restoring them is not needed:
    /// one probe is short).
    reduced: usize,
    /// Permits still to take out: the next ones acquired are forgotten instead of used.
    debt: usize,
    /// Addresses a handshake completed with on this probe (a refusal there later is a limit on
    /// parallel connections, not a closed port).
    reached: Vec<SocketAddr>,
}

/// Default minimum time between two connection starts (see [`Pacing`]).
const SPACING: Duration = Duration::from_millis(4);
/// The longest the pace slows to after slow handshakes.
const MAX_SPACING: Duration = Duration::from_millis(100);

impl Pacing {
    /// Whether a handshake of `took` looks like a dropped SYN's retransmission: at least
    /// 600 ms (the first SYN retransmission comes after 1 s on Linux, 3 s on Windows) and over
    /// 4 times the fastest handshake seen plus 100 ms (a slow link is slow every time).
    fn retransmitted(&self, took: Duration) -> bool {
        let fastest = self.fastest.unwrap_or(took);
        took >= Duration::from_millis(600) && took > fastest * 4 + Duration::from_millis(100)
    }

    /// When a handshake still running looks like a dropped SYN and a second one should race
    /// it: 4 times the fastest handshake plus 150 ms (`None` before any handshake completed).
    fn race_after(&self) -> Option<Duration> {
        self.fastest.map(|f| f * 4 + Duration::from_millis(150))
    }
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
            pacing: Mutex::new(Pacing { spacing: SPACING, fastest: None, reduced: 0, debt: 0, reached: Vec::new() }),
        }
    }

    /// Records how long a TCP handshake took; after one that looks like a dropped SYN, halves
    /// the exchanges in flight (down to 1) and slows the pace.
    fn handshake_took(&self, dest: SocketAddr, took: Duration) {
        let retransmitted = match self.pacing.lock() {
            Ok(mut p) if !p.retransmitted(took) => {
                if !p.reached.contains(&dest) && p.reached.len() < 16 {
                    p.reached.push(dest);
                }
                p.fastest = Some(p.fastest.map_or(took, |f| f.min(took)));
                false
            }
            Ok(_) => true,
            Err(_) => false,
        };
        if retransmitted {
            self.slow_handshake();
        }
    }

    /// A handshake looked like a dropped SYN: halve the exchanges in flight (down to 1) and
    /// slow the pace.
    pub(crate) fn slow_handshake(&self) {
        let Ok(mut p) = self.pacing.lock() else { return };
        {
            p.spacing = (p.spacing * 4).min(MAX_SPACING);
            let allowed = self.opts.parallel_connections.max(1).saturating_sub(p.reduced);
            let cut = (allowed / 2).saturating_sub(p.debt);
            if cut > 0 {
                // Free permits go now; the rest as they are next acquired (see `open`).
                let forgotten = self.slots.forget_permits(cut);
                p.reduced += cut;
                p.debt += cut - forgotten;
            }
        }
    }

    /// Takes a kept connection that `pick` accepts, relabelled for the step that continues on
    /// it (see [`Ctx::take_kept`]).
    pub fn take_kept_where(
        &self,
        pick: impl Fn(&Kept) -> bool,
        label: &str,
    ) -> Option<(Stream, crate::wire::x224::ServerAnswer)> {
        let k = {
            let mut v = self.kept.lock().ok()?;
            let i = v.iter().position(&pick)?;
            v.remove(i)
        };
        Some(self.continue_on(k, label))
    }

    /// How many kept connections `pick` accepts.
    pub fn count_kept(&self, pick: impl Fn(&Kept) -> bool) -> usize {
        self.kept.lock().map(|v| v.iter().filter(|k| pick(k)).count()).unwrap_or(0)
    }

    fn continue_on(&self, k: Kept, label: &str) -> (Stream, crate::wire::x224::ServerAnswer) {
        let mut stream = k.stream;
        self.relabel(&mut stream, label);
        (stream, k.answer)
    }

    /// Marks `stream` as continued by the step `label`; the transcript notes it under the
    /// connection's number.
    pub fn relabel(&self, stream: &mut Stream, label: &str) {
        self.note(stream.connection, label, format!("continue on connection {} ({})", stream.connection, stream.label));
        stream.label = label.into();
        stream.continued = true;
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
        self.take_kept_where(|k| k.requested == requested && k.with_neg_req == with_neg_req, label)
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
        let permit = loop {
            let p = match tokio::time::timeout_at(self.deadline.into(), self.slots.clone().acquire_owned()).await {
                Ok(Ok(p)) => p,
                Ok(Err(_)) => break None,
                Err(_) => return Err(NetError::new(Phase::Overall, NetErrorKind::Timeout)),
            };
            // A slow handshake lowered the bound: pay the debt before using a permit.
            match self.pacing.lock() {
                Ok(mut pacing) if pacing.debt > 0 => {
                    pacing.debt -= 1;
                    p.forget();
                }
                _ => break Some(p),
            }
        };
        // Concurrent opens (the plan runs up to `parallel_connections` at once) take turns
        // through the lock: each reserves its start time, then sleeps outside the lock.
        let wait = match self.last_connect.lock() {
            Ok(mut last) => {
                let now = Instant::now();
                let spacing = self.pacing.lock().map(|p| p.spacing).unwrap_or(SPACING);
                let start = match *last {
                    Some(l) => (l + self.opts.connection_delay.max(spacing)).max(now),
                    None => now,
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
        // A target that answered on this probe and now refuses or resets a connection limits
        // parallel connections (or a firewall does): fewer at once, a pause, and again, so no
        // answer is lost to it.
        let mut pause = Duration::from_millis(50);
        let retry_until = Instant::now() + opts.connect_timeout;
        let tcp = loop {
            match self.tcp_connect(dest).await {
                Err(e)
                    if opts.proxy.is_none()
                        && matches!(e.kind, NetErrorKind::Refused | NetErrorKind::Reset)
                        && Instant::now() + pause < retry_until
                        && self.pacing.lock().is_ok_and(|p| p.reached.contains(&dest)) =>
                {
                    self.slow_handshake();
                    tokio::time::sleep_until(self.deadline_in(pause).into()).await;
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                r => break r,
            }
        }
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

    /// A TCP handshake with `dest` within the connect timeout: a second handshake races one
    /// that looks like a dropped SYN (see [`Pacing`]). Out of descriptors (EMFILE/ENFILE), it
    /// waits for one until the probe deadline, backing off: a scan backs off, never drops.
    async fn tcp_connect(&self, dest: SocketAddr) -> Result<TcpStream, NetError> {
        let opts = self.opts;
        // The connect timeout starts only once a socket exists.
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
        let t = Instant::now();
        let race_after = self.pacing.lock().ok().and_then(|p| p.race_after());
        self.timed(Phase::Connect, opts.connect_timeout, async {
            use futures_util::future::{select, Either};
            let first = Box::pin(sock.connect(dest));
            let Some(after) = race_after else {
                return first.await.map_err(|e| NetError::io(Phase::Connect, &e));
            };
            let first = match select(first, Box::pin(tokio::time::sleep(after))).await {
                Either::Left((r, _)) => return r.map_err(|e| NetError::io(Phase::Connect, &e)),
                Either::Right((_, first)) => first,
            };
            // Much slower than every handshake so far: likely a dropped SYN, whose
            // retransmission comes only after 1 s (Linux) or 3 s (Windows). A second
            // handshake races it; the loser's socket closes unanswered (a SYN the listener
            // dropped left nothing there).
            self.slow_handshake();
            let second = match new_socket(opts, dest) {
                Ok(s2) => Box::pin(s2.connect(dest)),
                Err(_) => return first.await.map_err(|e| NetError::io(Phase::Connect, &e)),
            };
            match select(first, second).await {
                Either::Left((r, _)) | Either::Right((r, _)) => r,
            }
            .map_err(|e| NetError::io(Phase::Connect, &e))
        })
        .await
        .inspect(|_| self.handshake_took(dest, t.elapsed()))
    }

    /// Writes all bytes within the read timeout.
    pub async fn write<S: AsyncWrite + Unpin>(&self, s: &mut S, phase: Phase, bytes: &[u8]) -> Result<(), NetError> {
        // Every caller (the driver, the session, TLS) learns its bytes may not have left.
        self.timed(phase, self.opts.read_timeout, async {
            s.write_all(bytes).await.map_err(|e| NetError::io(phase, &e))?;
            s.flush().await.map_err(|e| NetError::io(phase, &e))
        })
        .await
        .map_err(NetError::unsent)
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

#[cfg(test)]
mod pacing_tests {
    use super::*;

    fn pacing(fastest_ms: Option<u64>) -> Pacing {
        Pacing {
            spacing: SPACING,
            fastest: fastest_ms.map(Duration::from_millis),
            reduced: 0,
            debt: 0,
            reached: Vec::new(),
        }
    }

    #[test]
    fn a_dropped_syn_is_told_from_a_slow_link() {
        // Loopback: 0.2 ms handshakes, then one after the 1 s SYN retransmission.
        let p = Pacing { fastest: Some(Duration::from_micros(200)), ..pacing(None) };
        assert!(p.retransmitted(Duration::from_millis(1003)));
        assert!(!p.retransmitted(Duration::from_millis(40)));
        // A 300 ms satellite link is slow every time, never "dropped".
        assert!(!pacing(Some(300)).retransmitted(Duration::from_millis(350)));
        assert!(pacing(Some(300)).retransmitted(Duration::from_millis(1500)));
        // Before any handshake completed nothing is judged, nothing races.
        assert!(!pacing(None).retransmitted(Duration::from_millis(900)));
        assert_eq!(pacing(None).race_after(), None);
        assert_eq!(pacing(Some(50)).race_after(), Some(Duration::from_millis(350)));
    }

    #[tokio::test]
    async fn slow_handshakes_halve_the_bound_and_slow_the_pace() {
        let opts = ProbeOptions::builder().parallel_connections(8).build();
        let ctx = Ctx::new(&opts);
        ctx.handshake_took(SocketAddr::from(([127, 0, 0, 1], 3389)), Duration::from_micros(300));
        ctx.handshake_took(SocketAddr::from(([127, 0, 0, 1], 3389)), Duration::from_millis(1001));
        assert_eq!(ctx.slots.available_permits(), 4);
        assert_eq!(ctx.pacing.lock().unwrap().spacing, SPACING * 4);
        // A permit held elsewhere: the debt is paid when permits come back.
        let held = ctx.slots.clone().try_acquire_many_owned(4).unwrap();
        ctx.handshake_took(SocketAddr::from(([127, 0, 0, 1], 3389)), Duration::from_millis(1001));
        assert_eq!(ctx.pacing.lock().unwrap().debt, 2);
        drop(held);
        // Never below one exchange in flight, and never slower than MAX_SPACING.
        for _ in 0..10 {
            ctx.slow_handshake();
        }
        let p = ctx.pacing.lock().unwrap();
        assert!(opts.parallel_connections - p.reduced >= 1, "{p:?}");
        assert_eq!(p.spacing, MAX_SPACING);
    }
}
