//! Hostile and broken servers (issue 8): each a tiny tokio listener on 127.0.0.1 port 0, written
//! here. For each we assert the result kind, the error phase (or the later layer's `error`), the
//! time taken against the deadline, and what the probe read (bytes in the transcript, which
//! records every byte the probe took from the socket), so "bounded memory" is measured, not
//! assumed. The two process-wide checks (descriptors after a scan, peak RSS) run in a child
//! process of this test binary so that other tests running in parallel cannot skew them.

use futures_util::StreamExt;
use rdp_probe::report::Direction;
use rdp_probe::wire::x224::{ConnectionConfirm, NegRspFlags, NegotiationResponse, Protocol, TpduHeader};
use rdp_probe::{probe, ProbeOptions, Report, Status, Steps, Target};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Timer and scheduling slack allowed past a deadline (two shared cores, tests in parallel).
const SLACK: Duration = Duration::from_millis(600);
/// The largest frame the probe may buffer for one read (TPKT's 16-bit length).
const MAX_FRAME: usize = 0xFFFF;

// ---------------------------------------------------------------------------------------------
// Harness

/// A listener running `behaviour` on every accepted connection. Dropping it stops the accept
/// loop and every connection task (the JoinSet is dropped with the aborted loop).
pub struct Hostile {
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn hostile<F, Fut>(behaviour: F) -> Hostile
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                r = l.accept() => {
                    let Ok((s, _)) = r else { continue };
                    count.fetch_add(1, Ordering::Relaxed);
                    conns.spawn(behaviour(s));
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    });
    Hostile { addr, accepted, task }
}

/// Reads one TPKT frame from the client (our CR or a later PDU); `None` on EOF/garbage.
pub async fn read_frame(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut hdr = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut hdr)).await.ok()?.ok()?;
    let len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
    let mut f = hdr.to_vec();
    f.resize(len.max(4), 0);
    tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut f[4..])).await.ok()?.ok()?;
    Some(f)
}

/// A Connection Confirm selecting `p` (SRC-REF 0x1234 like Windows).
pub fn cc(p: Protocol) -> Vec<u8> {
    ConnectionConfirm {
        header: TpduHeader { li: 0, code: 0xD0, dst_ref: 0, src_ref: 0x1234, class_option: 0 },
        negotiation: Some(NegotiationResponse::Response { flags: NegRspFlags(0x1f), selected_protocol: p }),
    }
    .encode()
    .unwrap()
}

pub fn opts(read_ms: u64, overall_ms: u64, steps: Steps) -> ProbeOptions {
    ProbeOptions::builder()
        .timeout(Duration::from_millis(read_ms))
        .overall_timeout(Duration::from_millis(overall_ms))
        .steps(steps)
        .raw(true)
        .build()
}

/// Probes `addr` and returns the report, the time taken, and the bytes the probe received.
pub async fn run(addr: SocketAddr, o: &ProbeOptions) -> (Report, Duration, usize) {
    let t = Target::parse(&addr.to_string(), 3389).unwrap();
    let start = Instant::now();
    let r = probe(&t, o).await;
    let took = start.elapsed();
    let received = received_bytes(&r);
    (r, took, received)
}

pub fn received_bytes(r: &Report) -> usize {
    r.transcript.iter().filter(|e| e.direction == Direction::Received).map(|e| e.data.bytes().len()).sum()
}

/// Per connection, the probe may read at most one whole frame (plus the 512-byte look at a
/// non-TPKT peer) before it decides: `connections * MAX_FRAME` bounds a whole probe.
fn assert_bounded(r: &Report, received: usize, what: &str) {
    assert_bounded_per_conn(r, received, MAX_FRAME + 512, what);
}

/// Later layers read more per connection: a TLS flight, then one TSRequest of at most
/// `credssp::MAX_TS_REQUEST_LEN` (plus TLS record overhead) or one TPKT frame.
const MAX_LAYER_READ: usize = 0x1_0000 + rdp_probe::wire::credssp::MAX_TS_REQUEST_LEN * 9 / 8;

fn assert_bounded_per_conn(r: &Report, received: usize, per_conn: usize, what: &str) {
    let conns = r.transcript.iter().map(|e| e.connection + 1).max().unwrap_or(0) as usize;
    assert!(received <= conns.max(1) * per_conn, "{what}: read {received} bytes over {conns} connections");
}

fn assert_within(took: Duration, deadline: Duration, what: &str) {
    assert!(took <= deadline + SLACK, "{what}: took {took:?}, deadline {deadline:?}");
}

/// The layer a hostile server attacks reports the failure as data (the contract: a failure in
/// a step is data in that step's report, never a changed status): an `error`, or entries in
/// `errors` / `decode_errors` (lenient decoders keep going past one bad block). Checked through
/// JSON so it holds for any shape of the layer's report.
fn assert_layer_failed(v: serde_json::Value, name: &str) {
    let has = |k: &str| match v.get(k) {
        Some(serde_json::Value::Array(a)) => !a.is_empty(),
        Some(x) => !x.is_null(),
        None => false,
    };
    assert!(
        has("error") || has("errors") || has("decode_errors"),
        "{name}: a hostile server produced a report without an error: {v}"
    );
}

/// Tiny deterministic PRNG (xorshift64*), so random-byte servers are reproducible.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

async fn hold(s: TcpStream) {
    // Keep the connection open and silent until the listener is dropped.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    drop(s);
}

// ---------------------------------------------------------------------------------------------
// X.224 layer

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_after_accept() {
    let h = hostile(hold).await;
    let o = opts(1000, 5000, Steps::DEFAULT);
    let (r, took, rx) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Timeout, "{r:?}");
    assert_eq!(r.error_phase, Some(rdp_probe::Phase::ReadCc));
    assert_within(took, o.read_timeout, "silent");
    assert_eq!(rx, 0);
    assert_eq!(h.accepted.load(Ordering::Relaxed), 1, "a silent listener is asked once, not seven times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_after_cr() {
    let h = hostile(|mut s: TcpStream| async move {
        let _ = read_frame(&mut s).await;
        let _ = s.set_zero_linger(); // close sends RST
        drop(s);
    })
    .await;
    let o = opts(1000, 5000, Steps::DEFAULT);
    let (r, took, rx) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Reset, "{r:?}");
    assert_eq!(r.error_phase, Some(rdp_probe::Phase::ReadCc));
    assert_within(took, o.overall_timeout, "reset");
    assert_eq!(rx, 0);
}

async fn drip_cc(mut s: TcpStream) {
    if read_frame(&mut s).await.is_none() {
        return;
    }
    for b in cc(Protocol::Ssl) {
        if s.write_all(&[b]).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    hold(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drip_feed_is_cut_at_the_read_deadline() {
    // 19 bytes at 200 ms each need 3.8 s; the whole frame must arrive within 1 s.
    let h = hostile(drip_cc).await;
    let o = opts(1000, 10_000, Steps::DEFAULT);
    let (r, took, rx) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Timeout, "{r:?}");
    assert_eq!(r.error_phase, Some(rdp_probe::Phase::ReadCc));
    assert_within(took, o.read_timeout, "drip/read");
    assert!(rx < 19, "read {rx} bytes of the dripped CC");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drip_feed_is_cut_at_the_overall_deadline() {
    // Per-read timeout longer than the whole probe: the overall deadline must win.
    let h = hostile(drip_cc).await;
    let o = opts(30_000, 1500, Steps::DEFAULT);
    let (r, took, _) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Timeout, "{r:?}");
    assert_eq!(r.error_phase, Some(rdp_probe::Phase::Overall));
    assert_within(took, o.overall_timeout, "drip/overall");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_tpkt_then_stall() {
    let h = hostile(|mut s: TcpStream| async move {
        let _ = read_frame(&mut s).await;
        let _ = s.write_all(&[3, 0, 0xff, 0xff, 0x0e, 0xd0]).await;
        hold(s).await;
    })
    .await;
    let o = opts(1000, 5000, Steps::DEFAULT);
    let (r, took, rx) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Timeout, "{r:?}");
    assert_eq!(r.error_phase, Some(rdp_probe::Phase::ReadCc));
    assert_within(took, o.read_timeout, "oversized/stall");
    assert_eq!(rx, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_tpkt_then_endless_garbage() {
    // Claims 65,535 bytes and keeps sending: the probe takes exactly one frame per connection.
    let h = hostile(|mut s: TcpStream| async move {
        let _ = read_frame(&mut s).await;
        let _ = s.write_all(&[3, 0, 0xff, 0xff]).await;
        let junk = vec![0x41u8; 64 * 1024];
        while s.write_all(&junk).await.is_ok() {}
    })
    .await;
    let o = opts(1000, 5000, Steps::DEFAULT);
    let (r, took, rx) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Error, "{r:?}");
    assert_eq!(r.error_phase, Some(rdp_probe::Phase::ReadCc));
    assert!(r.error.as_deref().unwrap_or_default().contains("X.224"), "{:?}", r.error);
    assert_within(took, o.overall_timeout, "oversized/garbage");
    assert_bounded(&r, rx, "oversized/garbage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_cc_then_close() {
    let h = hostile(|mut s: TcpStream| async move {
        let _ = read_frame(&mut s).await;
        let _ = s.write_all(&cc(Protocol::Ssl)[..10]).await;
    })
    .await;
    let o = opts(1000, 5000, Steps::DEFAULT);
    let (r, took, rx) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Reset, "{r:?}");
    assert_eq!(r.error_phase, Some(rdp_probe::Phase::ReadCc));
    assert_within(took, o.overall_timeout, "truncated");
    assert_bounded(&r, rx, "truncated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cc_negotiation_length_overruns() {
    let h = hostile(|mut s: TcpStream| async move {
        let _ = read_frame(&mut s).await;
        // RDP_NEG_RSP whose length field claims 0x4000 bytes; 8 are present.
        let mut f = cc(Protocol::Ssl);
        f[13] = 0x00;
        f[14] = 0x40;
        let _ = s.write_all(&f).await;
        hold(s).await;
    })
    .await;
    let o = opts(1000, 10_000, Steps::DEFAULT);
    let (r, took, _) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Error, "{r:?}");
    assert_eq!(r.error_phase, Some(rdp_probe::Phase::ReadCc));
    let e = r.error.unwrap_or_default();
    assert!(e.contains("RDP_NEG_RSP") && e.contains("length"), "{e}");
    assert_within(took, o.overall_timeout, "neg overrun");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes() {
    // 24 seeds: whatever the bytes, one report, a deadline kept, a bounded read.
    for seed in 1..=24u64 {
        let h = hostile(move |mut s: TcpStream| async move {
            let _ = read_frame(&mut s).await;
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let n = (rng.next() % 2048) as usize;
            let mut b = rng.bytes(n);
            if seed % 3 == 0 {
                // Make some of them start like TPKT so the frame parsers see them too.
                b.splice(0..0, [3, 0, (rng.next() % 256) as u8, (rng.next() % 256) as u8]);
            }
            let _ = s.write_all(&b).await;
            if seed % 2 == 0 {
                hold(s).await;
            }
        })
        .await;
        let o = opts(500, 2000, Steps::DEFAULT);
        let (r, took, rx) = run(h.addr, &o).await;
        assert!(r.status == Status::Rdp || r.error.is_some(), "seed {seed}: status {:?} without an error", r.status);
        assert_within(took, o.overall_timeout, &format!("random seed {seed}"));
        assert_bounded(&r, rx, &format!("random seed {seed}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_data_not_tpkt() {
    let written = Arc::new(AtomicUsize::new(0));
    let w = written.clone();
    let h = hostile(move |mut s: TcpStream| {
        let w = w.clone();
        async move {
            let junk = vec![b'x'; 64 * 1024];
            while s.write_all(&junk).await.is_ok() {
                w.fetch_add(junk.len(), Ordering::Relaxed);
            }
        }
    })
    .await;
    let o = opts(1000, 5000, Steps::DEFAULT);
    let (r, took, rx) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::NotRdp, "{r:?}");
    assert_within(took, o.read_timeout, "endless");
    assert!(rx <= 512 + 64 * 1024, "endless: read {rx} bytes"); // one read call may return a chunk
    assert_eq!(r.service.as_ref().map(|s| s.kind.as_str()), Some("unknown"));
    drop(h);
    eprintln!("endless: server pushed {} bytes, probe read {rx}", written.load(Ordering::Relaxed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_valid_ccs() {
    // A CC, then more CCs forever: the probe reads exactly one frame per connection.
    let h = hostile(|mut s: TcpStream| async move {
        let _ = read_frame(&mut s).await;
        let f = cc(Protocol::Rdp).repeat(4096);
        while s.write_all(&f).await.is_ok() {}
    })
    .await;
    let o = opts(1000, 5000, Steps::NEGOTIATION);
    let (r, took, rx) = run(h.addr, &o).await;
    assert_eq!(r.status, Status::Rdp, "{r:?}");
    assert_within(took, o.overall_timeout, "endless CCs");
    assert_bounded(&r, rx, "endless CCs");
}

// ---------------------------------------------------------------------------------------------
// Later layers: status stays rdp, the deadline holds, and the attacked layer reports an error.

async fn select_then<F, Fut>(p: Protocol, then: F) -> Hostile
where
    F: Fn(TcpStream) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    hostile(move |mut s: TcpStream| {
        let then = then.clone();
        async move {
            if read_frame(&mut s).await.is_none() {
                return;
            }
            if s.write_all(&cc(p)).await.is_err() {
                return;
            }
            then(s).await
        }
    })
    .await
}

/// Status stays `rdp`, the probe ends by the deadline, and the attacked layer (`tls`, `nla`,
/// `mcs`) ran and reported the failure.
fn assert_layers(r: &Report, took: Duration, o: &ProbeOptions, what: &str, attacked: &str) {
    assert_eq!(r.status, Status::Rdp, "{what}: {r:?}");
    assert_within(took, o.overall_timeout, what);
    let v = match attacked {
        "tls" => serde_json::to_value(&r.tls),
        "nla" => serde_json::to_value(&r.nla),
        _ => serde_json::to_value(&r.mcs),
    }
    .unwrap();
    assert!(!v.is_null(), "{what}: the {attacked} step did not run");
    assert_layer_failed(v, &format!("{what}: {attacked}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_garbage_records() {
    let variants: Vec<Vec<u8>> = vec![
        // handshake record claiming 65,535 bytes (over the 2^14 + 2048 limit), then stall
        vec![0x16, 0x03, 0x03, 0xff, 0xff, 0x02],
        // unknown content type
        vec![0x63, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4],
        // a ServerHello whose handshake length overruns the record
        vec![0x16, 0x03, 0x03, 0x00, 0x08, 0x02, 0x00, 0xff, 0xff, 0x03, 0x03, 0, 0],
        // an endless stream of empty handshake records
        [0x16, 0x03, 0x03, 0x00, 0x00].repeat(200_000),
    ];
    for (i, v) in variants.into_iter().enumerate() {
        let h = select_then(Protocol::Ssl, move |mut s: TcpStream| {
            let v = v.clone();
            async move {
                let mut hello = [0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_secs(5), s.read(&mut hello)).await;
                let _ = s.write_all(&v).await;
                hold(s).await;
            }
        })
        .await;
        let o = opts(1000, 4000, Steps::DEFAULT);
        let (r, took, rx) = run(h.addr, &o).await;
        assert_layers(&r, took, &o, &format!("tls garbage {i}"), "tls");
        eprintln!("tls garbage {i}: {took:?} rx={rx} tls={}", serde_json::to_string(&r.tls).unwrap());
        assert_bounded_per_conn(&r, rx, MAX_LAYER_READ, &format!("tls garbage {i}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closes_mid_tls_handshake() {
    let h = select_then(Protocol::Ssl, |mut s: TcpStream| async move {
        let mut hello = [0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read(&mut hello)).await;
        // The start of a ServerHello (record header says 74 bytes), then close.
        let _ = s.write_all(&[0x16, 0x03, 0x03, 0x00, 0x4a, 0x02, 0x00, 0x00, 0x46, 0x03, 0x03]).await;
    })
    .await;
    let o = opts(1000, 4000, Steps::DEFAULT);
    let (r, took, _) = run(h.addr, &o).await;
    assert_layers(&r, took, &o, "mid-tls close", "tls");
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(cfg))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credssp_impossible_der_length() {
    let acceptor = tls_acceptor();
    let variants: Vec<Vec<u8>> = vec![
        // TSRequest SEQUENCE with a 4-byte length of 0x7fffffff, a few bytes, then stall
        vec![0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0xa0, 0x03, 0x02, 0x01, 0x06],
        // length of length 0x7f (127 length octets): impossible in DER
        vec![0x30, 0xff, 0x01, 0x02, 0x03],
        // outer length fits, inner negoTokens OCTET STRING claims 1 GiB
        vec![
            0x30, 0x15, 0xa0, 0x03, 0x02, 0x01, 0x06, // TSRequest, version 6
            0xa1, 0x0e, 0x30, 0x0c, 0x30, 0x0a, 0xa0, 0x08, // negoTokens, NegoData, [0]
            0x04, 0x84, 0x40, 0x00, 0x00, 0x00, b'N', b'T', // negoToken: 1 GiB claimed, 2 bytes present
        ],
    ];
    for (i, v) in variants.into_iter().enumerate() {
        let acceptor = acceptor.clone();
        let h = select_then(Protocol::Hybrid, move |s: TcpStream| {
            let (v, acceptor) = (v.clone(), acceptor.clone());
            async move {
                let Ok(Ok(mut tls)) = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(s)).await else {
                    return;
                };
                let mut req = [0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut req)).await;
                let _ = tls.write_all(&v).await;
                let _ = tls.flush().await;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        })
        .await;
        let o = opts(1000, 4000, Steps::DEFAULT);
        let (r, took, rx) = run(h.addr, &o).await;
        assert_layers(&r, took, &o, &format!("credssp der {i}"), "nla");
        eprintln!("credssp der {i}: {took:?} rx={rx} nla={}", serde_json::to_string(&r.nla).unwrap());
        assert_bounded_per_conn(&r, rx, MAX_LAYER_READ, &format!("credssp der {i}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credssp_drip_feed() {
    // A plausible TSRequest, one byte per 200 ms inside TLS: the NLA read has one deadline for
    // the whole TSRequest, so the step ends at the read timeout, not 200 ms x length later.
    let acceptor = tls_acceptor();
    let h = select_then(Protocol::Hybrid, move |s: TcpStream| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(Ok(mut tls)) = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(s)).await else {
                return;
            };
            let mut req = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut req)).await;
            let mut ts = vec![0x30, 0x82, 0x01, 0x00, 0xa0, 0x03, 0x02, 0x01, 0x06];
            ts.resize(0x104, 0);
            for b in ts {
                if tls.write_all(&[b]).await.is_err() || tls.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    })
    .await;
    let o = opts(1000, 6000, Steps::DEFAULT);
    let (r, took, _) = run(h.addr, &o).await;
    assert_layers(&r, took, &o, "credssp drip", "nla");
    let nla = serde_json::to_value(&r.nla).unwrap();
    if !nla.is_null() {
        let text = nla["error"]["text"].as_str().unwrap_or_default().to_string();
        assert!(text.contains("timed out"), "credssp drip: {nla}");
    }
}

/// The spec's Server MCS Connect Response (MS-RDPBCGR 4.1.4), with one length made a lie.
fn lying_connect_response(patch: &[(usize, &[u8])]) -> Vec<u8> {
    let mut f = include_bytes!("../../vectors/rdpbcgr-4.1.4-server-mcs-connect-response.bin").to_vec();
    // Apply from the highest offset down so splices do not move the later ones.
    let mut p = patch.to_vec();
    p.sort_by_key(|x| std::cmp::Reverse(x.0));
    for (off, bytes) in p {
        // each patch overwrites as many bytes as it holds
        f.splice(off..off + bytes.len().min(f.len() - off), bytes.iter().copied());
    }
    let len = f.len() as u16;
    f[2..4].copy_from_slice(&len.to_be_bytes());
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcs_gcc_lengths_lie() {
    // Offsets in the 4.1.4 dump: 9 Connect-Response BER length (82 01 45), 0x2e userData
    // OCTET STRING (04 82 01 1f), 0x47 GCC ConnectPDU PER length (81 08), 0x49 SC_CORE header
    // (01 0c 0c 00).
    let variants: Vec<Vec<u8>> = vec![
        lying_connect_response(&[(9, &[0x82, 0xff, 0xff])]),
        lying_connect_response(&[(0x2f, &[0x82, 0xff, 0xff])]),
        lying_connect_response(&[(0x47, &[0xbf, 0xff])]),
        lying_connect_response(&[(0x49, &[0x01, 0x0c, 0xff, 0xff])]),
        lying_connect_response(&[(0x49, &[0x01, 0x0c, 0x00, 0x00])]), // zero-length block: loop bait
        lying_connect_response(&[(0x49, &[0x01, 0x0c, 0x02, 0x00])]), // shorter than its header
    ];
    for (i, v) in variants.into_iter().enumerate() {
        let h = select_then(Protocol::Rdp, move |mut s: TcpStream| {
            let v = v.clone();
            async move {
                let _ = read_frame(&mut s).await; // Connect Initial
                let _ = s.write_all(&v).await;
                hold(s).await;
            }
        })
        .await;
        let o = opts(1000, 4000, Steps::DEFAULT);
        let (r, took, rx) = run(h.addr, &o).await;
        assert_layers(&r, took, &o, &format!("mcs lie {i}"), "mcs");
        eprintln!("mcs lie {i}: {took:?} rx={rx} mcs={}", serde_json::to_string(&r.mcs).unwrap());
        assert_bounded_per_conn(&r, rx, MAX_LAYER_READ, &format!("mcs lie {i}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Process-wide checks, isolated in a child process.

fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

fn vm_hwm_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs one `#[ignore]`d test of this binary alone in a child process and returns its stdout.
/// The child test must return at once unless `RDP_PROBE_CHILD` is set, and print `CHILD-OK`.
pub fn run_child(test: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([test, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("RDP_PROBE_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "child {test} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("CHILD-OK"), "child {test} did not run:\n{stdout}");
    stdout
}

/// A mix of the behaviours above, picked by index, for the scan.
async fn mixed(i: usize) -> Hostile {
    match i % 8 {
        0 => hostile(hold).await,
        1 => {
            hostile(|mut s: TcpStream| async move {
                let _ = read_frame(&mut s).await;
                let _ = s.set_zero_linger();
            })
            .await
        }
        2 => hostile(drip_cc).await,
        3 => {
            hostile(|mut s: TcpStream| async move {
                let _ = read_frame(&mut s).await;
                let _ = s.write_all(&[3, 0, 0xff, 0xff]).await;
                hold(s).await;
            })
            .await
        }
        4 => {
            hostile(|mut s: TcpStream| async move {
                let _ = read_frame(&mut s).await;
                let _ = s.write_all(&cc(Protocol::Ssl)[..9]).await;
            })
            .await
        }
        5 => {
            hostile(|mut s: TcpStream| async move {
                let junk = vec![b'x'; 16 * 1024];
                while s.write_all(&junk).await.is_ok() {}
            })
            .await
        }
        6 => {
            hostile(|mut s: TcpStream| async move {
                let _ = read_frame(&mut s).await;
                let _ = s.write_all(&cc(Protocol::Rdp)).await;
                hold(s).await;
            })
            .await
        }
        _ => {
            hostile(|mut s: TcpStream| async move {
                let _ = read_frame(&mut s).await;
                let _ = s.write_all(&Rng(7).bytes(300)).await;
            })
            .await
        }
    }
}

/// Scan size: thousands of listeners (each a socket of this process: 2,000 listeners plus up
/// to 2 x concurrency connections stay well under the usual 20k descriptor limit).
const SCAN_LISTENERS: usize = 2000;
const SCAN_CONCURRENCY: usize = 200;

#[test]
#[ignore = "run in a child process by scan_of_thousands_of_hostile_listeners"]
fn child_scan() {
    if std::env::var_os("RDP_PROBE_CHILD").is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fds_before = fd_count();
    let (reports, took, fds_during) = rt.block_on(async {
        let mut hs = Vec::new();
        for i in 0..SCAN_LISTENERS {
            hs.push(mixed(i).await);
        }
        let fds_during = fd_count();
        let targets: Vec<Target> =
            hs.iter().map(|h| Target::parse(&h.addr.to_string(), 3389).unwrap()).collect::<Vec<_>>();
        let o = opts(500, 1500, Steps::DEFAULT);
        let t = Instant::now();
        let reports: Vec<Report> = rdp_probe::scan(targets, &o, SCAN_CONCURRENCY).collect().await;
        let took = t.elapsed();
        drop(hs);
        (reports, took, fds_during)
    });
    drop(rt); // every task, socket and timer of the scan and the listeners is gone now
    let fds_after = fd_count();
    let mut per_addr = std::collections::HashMap::new();
    for r in &reports {
        *per_addr.entry(r.target.clone()).or_insert(0usize) += 1;
    }
    let mut by_status = std::collections::BTreeMap::new();
    for r in &reports {
        *by_status.entry(r.status.as_str()).or_insert(0usize) += 1;
    }
    println!(
        "SCAN reports={} distinct={} took_ms={} fds_before={fds_before} fds_during={fds_during} \
         fds_after={fds_after} statuses={by_status:?}",
        reports.len(),
        per_addr.len(),
        took.as_millis()
    );
    assert_eq!(reports.len(), SCAN_LISTENERS);
    assert_eq!(per_addr.len(), SCAN_LISTENERS);
    assert!(reports.iter().all(|r| r.status == Status::Rdp || r.error.is_some()));
    assert!(fds_after <= fds_before + 2, "descriptor leak: {fds_before} before, {fds_after} after");
    println!("CHILD-OK");
}

#[test]
fn scan_of_thousands_of_hostile_listeners() {
    let out = run_child("hostile::child_scan");
    eprintln!("{}", out.lines().find_map(|l| l.find("SCAN ").map(|i| &l[i..])).unwrap_or_default());
}

/// Peak memory: many probes at once against the worst memory offenders (endless data, 64 KiB
/// frame claims with endless garbage); the test process's peak RSS may grow by at most
/// `concurrency x (one frame + slack)`, here 64 MiB for 200 probes.
#[test]
#[ignore = "run in a child process by peak_memory_is_bounded"]
fn child_memory() {
    if std::env::var_os("RDP_PROBE_CHILD").is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let before = vm_hwm_kib();
    let n = rt.block_on(async {
        let a = hostile(|mut s: TcpStream| async move {
            let junk = vec![b'x'; 64 * 1024];
            while s.write_all(&junk).await.is_ok() {}
        })
        .await;
        let b = hostile(|mut s: TcpStream| async move {
            let _ = read_frame(&mut s).await;
            let _ = s.write_all(&[3, 0, 0xff, 0xff]).await;
            let junk = vec![0x41u8; 64 * 1024];
            while s.write_all(&junk).await.is_ok() {}
        })
        .await;
        let targets: Vec<Target> = (0..400)
            .map(|i| Target::parse(&(if i % 2 == 0 { a.addr } else { b.addr }).to_string(), 3389).unwrap())
            .collect();
        let o = ProbeOptions::builder()
            .timeout(Duration::from_millis(1000))
            .overall_timeout(Duration::from_millis(3000))
            .build();
        rdp_probe::scan(targets, &o, 200).collect::<Vec<_>>().await.len()
    });
    drop(rt);
    let after = vm_hwm_kib();
    let grew_mib = (after.saturating_sub(before)) / 1024;
    println!("MEM probes={n} hwm_before_kib={before} hwm_after_kib={after} grew_mib={grew_mib}");
    assert_eq!(n, 400);
    assert!(grew_mib <= 64, "peak RSS grew by {grew_mib} MiB");
    println!("CHILD-OK");
}

#[test]
fn peak_memory_is_bounded() {
    let out = run_child("hostile::child_memory");
    eprintln!("{}", out.lines().find_map(|l| l.find("MEM ").map(|i| &l[i..])).unwrap_or_default());
}

// ---------------------------------------------------------------------------------------------
// The session layer (`--session`, issue 13): servers that go the whole way with the probe and
// lie on the way. Each plays the captured xrdp session at encryption level None (the server
// frames of `rdp-probe/tests/vectors/session/`, which need no crypto) up to a point, then
// misbehaves. Each must end by its deadline with one report, no panic, and (in the child
// process below) memory within the documented caps.

const SESSION_STREAM: &[u8] = include_bytes!("../../../rdp-probe/tests/vectors/session/server-stream.bin");

/// The capture's server frames: 0 Connect Response, 1 Attach User Confirm, 2-6 Channel Join
/// Confirms, 7 License Request, 8 Error Alert STATUS_VALID_CLIENT, 9 Demand Active, 10-13
/// Synchronize / Control / Control / Font Map, 14-16 fast-path pointer updates, 17.. slow-path
/// bitmap updates (the logon screen).
fn capture() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut s = SESSION_STREAM;
    while !s.is_empty() {
        let (_, len) = rdp_probe::wire::rdp::output::frame_len(s).unwrap();
        out.push(s[..len].to_vec());
        s = &s[len..];
    }
    out
}

const FONT_MAP: usize = 13;
const LICENSE_REQUEST: usize = 7;
const DEMAND_ACTIVE: usize = 9;
const FIRST_BITMAP: usize = 17;

/// The MCS user data of a slow-path server frame (security header and PDU).
fn user_data_of(frame: &[u8]) -> Vec<u8> {
    use rdp_probe::wire::rdp::mcs_domain::DomainPdu;
    match DomainPdu::decode(rdp_probe::wire::x224::decode_data(frame).unwrap()).unwrap() {
        DomainPdu::SendDataIndication(sd) => sd.user_data.to_vec(),
        other => panic!("{other:?}"),
    }
}

/// A Send Data Indication on the I/O channel (1003) around `ud`.
fn on_io_channel(ud: &[u8]) -> Vec<u8> {
    use rdp_probe::wire::rdp::mcs_domain::SendData;
    rdp_probe::wire::x224::encode_data(&SendData::request(1007, 1003, ud).encode_indication().unwrap()).unwrap()
}

/// `frame` with its user data patched at `(offset, bytes)`.
fn patched(frame: &[u8], patch: &[(usize, &[u8])]) -> Vec<u8> {
    let mut ud = user_data_of(frame);
    for (off, b) in patch {
        ud[*off..*off + b.len()].copy_from_slice(b);
    }
    on_io_channel(&ud)
}

/// One fast-path output frame (no encryption) holding one whole update.
fn fast_path(code: u8, fragmentation: u8, data: &[u8]) -> Vec<u8> {
    let mut u = vec![(code & 0x0f) | (fragmentation << 4)];
    u.extend_from_slice(&(data.len() as u16).to_le_bytes());
    u.extend_from_slice(data);
    rdp_probe::wire::rdp::output::FastPathOutput::encode_plain(&u).unwrap()
}

/// TS_UPDATE_BITMAP_DATA with one TS_BITMAP_DATA: `fields` = destLeft, destTop, destRight,
/// destBottom, width, height, bitsPerPixel, flags, bitmapLength; then `data`.
fn bitmap_update(rectangles: u16, fields: [u16; 9], data: &[u8]) -> Vec<u8> {
    let mut b = vec![1, 0]; // UPDATETYPE_BITMAP
    b.extend_from_slice(&rectangles.to_le_bytes());
    for f in fields {
        b.extend_from_slice(&f.to_le_bytes());
    }
    b.extend_from_slice(data);
    b
}

/// How the hostile session server goes on after the Connect Initial.
#[derive(Clone)]
enum Script {
    /// These bytes, then silence.
    Once(Vec<u8>),
    /// These bytes, then `repeat` again and again, `pause` apart (zero: as fast as the socket
    /// takes them).
    Endless { first: Vec<u8>, repeat: Vec<u8>, pause: Duration },
}

/// A server that selects Standard RDP Security on every connection and, on the one that
/// sends an MCS Connect Initial (the session's), plays `script`. Whatever the probe sends later
/// is read and dropped.
async fn session_server(script: Script) -> Hostile {
    hostile(move |mut s: TcpStream| {
        let script = script.clone();
        async move {
            if read_frame(&mut s).await.is_none() || s.write_all(&cc(Protocol::Rdp)).await.is_err() {
                return;
            }
            if read_frame(&mut s).await.is_none() {
                return; // a negotiation connection
            }
            let (mut r, mut w) = s.into_split();
            let drain = tokio::spawn(async move {
                let mut b = [0u8; 4096];
                while matches!(r.read(&mut b).await, Ok(n) if n > 0) {}
            });
            match script {
                Script::Once(b) => {
                    let _ = w.write_all(&b).await;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                Script::Endless { first, repeat, pause } => {
                    if w.write_all(&first).await.is_err() {
                        return;
                    }
                    while w.write_all(&repeat).await.is_ok() {
                        if !pause.is_zero() {
                            tokio::time::sleep(pause).await;
                        }
                    }
                }
            }
            drain.abort();
        }
    })
    .await
}

fn session_opts(session_ms: u64, overall_ms: u64) -> ProbeOptions {
    ProbeOptions::builder()
        .timeout(Duration::from_millis(1000))
        .overall_timeout(Duration::from_millis(overall_ms))
        .steps(Steps::NEGOTIATION)
        .session(true, true)
        .session_timeout(Duration::from_millis(session_ms))
        .build()
}

/// The capture's frames `from..to`, concatenated.
fn frames(c: &[Vec<u8>], from: usize, to: usize) -> Vec<u8> {
    c[from..to].concat()
}

/// Probes a session server: status rdp, one session section, within the overall deadline.
async fn run_session(script: Script, o: &ProbeOptions, what: &str) -> rdp_probe::report::session::SessionReport {
    let h = session_server(script).await;
    let (r, took, _) = run(h.addr, o).await;
    assert_eq!(r.status, Status::Rdp, "{what}: {r:?}");
    assert_within(took, o.overall_timeout, what);
    let s = r.session.unwrap_or_else(|| panic!("{what}: no session section"));
    eprintln!(
        "{what}: {took:?} reached={:?} stopped={:?} updates={:?} png={:?}",
        s.reached,
        s.stopped,
        s.updates,
        s.png.as_ref().map(|p| p.len())
    );
    s
}

/// The PNG's width and height.
fn png_size(png: &[u8]) -> (u32, u32) {
    let dec = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    (dec.info().width, dec.info().height)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_plays_the_capture_to_the_logon_screen() {
    // The harness itself: the plain capture reaches graphics with an 800 x 600 screenshot.
    let c = capture();
    let o = session_opts(2000, 10_000);
    let s = run_session(Script::Once(c.concat()), &o, "capture").await;
    assert_eq!(s.reached, Some(rdp_probe::report::session::SessionPhase::Graphics), "{s:?}");
    assert_eq!(png_size(s.png.as_deref().unwrap()), (800, 600));
}

/// The Demand Active of the capture with its desktop size replaced.
fn demand_active_with_desktop(frame: &[u8], w: u16, h: u16) -> Vec<u8> {
    use rdp_probe::wire::rdp::share::{ShareControl, ShareControlPdu};
    let ud = user_data_of(frame);
    let (_, mut sc) = ShareControl::decode(&ud).unwrap();
    let ShareControlPdu::DemandActive(da) = &mut sc.pdu else { panic!("{sc:?}") };
    let bitmap = da
        .capability_sets
        .iter_mut()
        .find(|s| s.cap_type == rdp_probe::wire::rdp::capabilities::CapabilityType::Bitmap)
        .unwrap();
    // TS_BITMAP_CAPABILITYSET: desktopWidth and desktopHeight after four 16-bit fields.
    bitmap.data[8..10].copy_from_slice(&w.to_le_bytes());
    bitmap.data[10..12].copy_from_slice(&h.to_le_bytes());
    on_io_channel(&sc.encode().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_giant_desktop() {
    // "100,000 x 100,000": desktopWidth / desktopHeight are 16-bit (MS-RDPBCGR 2.2.7.1.2), so
    // 65,535 x 65,535 (12 GiB at 3 bytes a pixel) is the largest claim a server can make.
    // Then bitmap rectangles as large as the fields allow, and the real logon screen.
    let c = capture();
    let mut b = frames(&c, 0, DEMAND_ACTIVE);
    b.extend(demand_active_with_desktop(&c[DEMAND_ACTIVE], u16::MAX, u16::MAX));
    b.extend(frames(&c, DEMAND_ACTIVE + 1, FONT_MAP + 1));
    let giant = bitmap_update(1, [0, 0, u16::MAX, u16::MAX, u16::MAX, u16::MAX, 24, 0, 64], &[0x41; 64]);
    b.extend(fast_path(1, 0, &giant));
    b.extend(frames(&c, FIRST_BITMAP, c.len()));
    let o = session_opts(2000, 10_000);
    let s = run_session(Script::Once(b), &o, "giant desktop").await;
    let d = s.desktop.unwrap();
    assert_eq!((d.width, d.height), (u16::MAX, u16::MAX), "reported as claimed");
    assert_eq!(s.reached, Some(rdp_probe::report::session::SessionPhase::Graphics), "{s:?}");
    assert!(s.png.is_none(), "no framebuffer beyond the cap (8192 a side, 8192 x 4096 pixels)");
    let why = s.screenshot_skipped.as_deref().unwrap_or_default();
    assert!(why.starts_with("desktop 65535x65535 out of range") && why.ends_with("over the screenshot cap"), "{why}");
    // A desktop within the side limit but over the area limit gets none either.
    let mut b = frames(&c, 0, DEMAND_ACTIVE);
    b.extend(demand_active_with_desktop(&c[DEMAND_ACTIVE], 8192, 8192));
    b.extend(frames(&c, DEMAND_ACTIVE + 1, c.len()));
    let s = run_session(Script::Once(b), &o, "8192 x 8192 desktop").await;
    assert!(s.png.is_none());
    assert!(s.screenshot_skipped.is_some_and(|w| w.starts_with("desktop 8192x8192 out of range")));
    // The largest accepted (a 4K desktop, 24 MiB of framebuffer) gets its screenshot.
    let mut b = frames(&c, 0, DEMAND_ACTIVE);
    b.extend(demand_active_with_desktop(&c[DEMAND_ACTIVE], 3840, 2160));
    b.extend(frames(&c, DEMAND_ACTIVE + 1, c.len()));
    let s = run_session(Script::Once(b), &o, "4K desktop").await;
    assert_eq!(png_size(s.png.as_deref().unwrap()), (3840, 2160));
    assert_eq!(s.screenshot_skipped, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_endless_updates_end_at_the_session_deadline() {
    // The logon screen's bitmap updates over and over, every 50 ms (never quiet for the 600 ms
    // that settles a screen), and as fast as the socket takes them: the session ends at its
    // deadline (or the frame cap) with one screenshot of the desktop size.
    let c = capture();
    let first = frames(&c, 0, FIRST_BITMAP);
    let repeat = frames(&c, FIRST_BITMAP, c.len());
    for (what, pause) in [("endless updates, 50 ms apart", 50), ("endless updates, flood", 0)] {
        let script =
            Script::Endless { first: first.clone(), repeat: repeat.clone(), pause: Duration::from_millis(pause) };
        let o = session_opts(2000, 10_000);
        let t = Instant::now();
        let s = run_session(script, &o, what).await;
        // negotiation (a few connections) + the session's 2 s
        assert_within(t.elapsed(), Duration::from_millis(3000), what);
        assert_eq!(s.reached, Some(rdp_probe::report::session::SessionPhase::Graphics), "{what}: {s:?}");
        assert!(s.updates.unwrap() > 37, "{what}: more than one screen's worth");
        assert_eq!(png_size(s.png.as_deref().unwrap()), (800, 600), "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_endless_fragments_hit_the_reassembly_cap() {
    // A fast-path update begun (FASTPATH_FRAGMENT_FIRST) and continued forever
    // (FASTPATH_FRAGMENT_NEXT): reassembly stops at its cap, the session says so.
    let c = capture();
    let mut first = frames(&c, 0, FONT_MAP + 1);
    first.extend(fast_path(1, 2, &[0; 16_000]));
    let script = Script::Endless { first, repeat: fast_path(1, 3, &[0; 16_000]), pause: Duration::ZERO };
    let o = session_opts(5000, 10_000);
    let s = run_session(script, &o, "endless fragments").await;
    let st = s.stopped.expect("stopped");
    assert_eq!(st.reason, rdp_probe::report::session::StopReason::Decode, "{st:?}");
    assert!(st.detail.contains("larger than"), "{st:?}");
}

/// Where ScopeCount is in the user data of a License Request (MS-RDPELE 2.2.2.1): after the
/// company name, the product id and two binary blobs.
fn scope_count_at(ud: &[u8]) -> usize {
    let u32_at = |k: usize| u32::from_le_bytes(ud[k..k + 4].try_into().unwrap()) as usize;
    let u16_at = |k: usize| usize::from(u16::from_le_bytes([ud[k], ud[k + 1]]));
    let mut k = 44;
    k += 4 + u32_at(k); // cbCompanyName, pbCompanyName
    k += 4 + u32_at(k); // cbProductId, pbProductId
    k += 4 + u16_at(k + 2); // KeyExchangeList
    k += 4 + u16_at(k + 2); // ServerCertificate
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_licensing_lengths_lie() {
    use rdp_probe::report::session::{SessionPhase, StopReason};
    let c = capture();
    let lr = &c[LICENSE_REQUEST];
    let ud = user_data_of(lr);
    // user data: basic security header (4), preamble bMsgType, flags, wMsgSize (4..8),
    // ServerRandom (8..40), dwVersion (40..44), cbCompanyName (44..48).
    let msg_size = u16::from_le_bytes([ud[6], ud[7]]);
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("wMsgSize beyond the PDU", patched(lr, &[(6, &(msg_size + 100).to_le_bytes())])),
        ("wMsgSize short", patched(lr, &[(6, &8u16.to_le_bytes())])),
        ("cbCompanyName 4 GiB", patched(lr, &[(44, &0xffff_fff0u32.to_le_bytes())])),
        (
            // an Error Alert whose bbErrorInfo claims 65,535 bytes
            "bbErrorInfo length",
            on_io_channel(&[0x80, 0, 0, 0, 0xff, 0x03, 0x10, 0, 2, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0xff, 0xff]),
        ),
        (
            // a License Request whose ScopeCount claims 4 G scopes
            "ScopeCount",
            patched(lr, &[(scope_count_at(&ud), &u32::MAX.to_le_bytes())]),
        ),
    ];
    for (what, v) in variants {
        let mut b = frames(&c, 0, LICENSE_REQUEST);
        b.extend(v);
        b.extend(frames(&c, LICENSE_REQUEST + 1, c.len()));
        let o = session_opts(2000, 10_000);
        let s = run_session(Script::Once(b), &o, what).await;
        let st = s.stopped.clone().unwrap_or_else(|| panic!("{what}: {s:?}"));
        assert_eq!((st.phase, st.reason), (SessionPhase::Licensing, StopReason::Decode), "{what}: {st:?}");
        assert!(s.png.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_capability_lengths_lie() {
    use rdp_probe::report::session::{SessionPhase, StopReason};
    let c = capture();
    let da = &c[DEMAND_ACTIVE];
    let ud = user_data_of(da);
    // Share Control header: totalLength (0), pduType (2), pduSource (4); Demand Active:
    // shareId (6), lengthSourceDescriptor (10), lengthCombinedCapabilities (12),
    // sourceDescriptor (14..), numberCapabilities, pad2Octets, then the first set's
    // capabilitySetType and lengthCapability.
    let lsd = usize::from(u16::from_le_bytes([ud[10], ud[11]]));
    let n = 14 + lsd;
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("totalLength", patched(da, &[(0, &0xffffu16.to_le_bytes())])),
        ("lengthSourceDescriptor", patched(da, &[(10, &0xfff0u16.to_le_bytes())])),
        ("lengthCombinedCapabilities", patched(da, &[(12, &0xfff0u16.to_le_bytes())])),
        ("numberCapabilities", patched(da, &[(n, &0xffffu16.to_le_bytes())])),
        ("lengthCapability zero", patched(da, &[(n + 6, &0u16.to_le_bytes())])),
        ("lengthCapability beyond", patched(da, &[(n + 6, &0xfff0u16.to_le_bytes())])),
    ];
    for (what, v) in variants {
        let mut b = frames(&c, 0, DEMAND_ACTIVE);
        b.extend(v);
        b.extend(frames(&c, DEMAND_ACTIVE + 1, c.len()));
        let o = session_opts(2000, 10_000);
        let s = run_session(Script::Once(b), &o, what).await;
        let st = s.stopped.clone().unwrap_or_else(|| panic!("{what}: {s:?}"));
        assert_eq!((st.phase, st.reason), (SessionPhase::Capabilities, StopReason::Decode), "{what}: {st:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_bitmap_lengths_lie() {
    use rdp_probe::report::session::{SessionPhase, StopReason};
    let c = capture();
    // Each lying update comes before the real logon screen: a bad rectangle is not painted,
    // the rest still is, and the session reaches graphics with its screenshot.
    let painted_anyway: Vec<(&str, Vec<u8>)> = vec![
        ("bitmapLength beyond the update", bitmap_update(1, [0, 0, 63, 63, 64, 64, 16, 0, 0xffff], &[0; 10])),
        ("numberRectangles 65535", bitmap_update(0xffff, [0, 0, 63, 63, 64, 64, 16, 0, 10], &[0; 10])),
        ("uncompressed 64x64 with 10 bytes", bitmap_update(1, [0, 0, 63, 63, 64, 64, 16, 0, 10], &[0; 10])),
        (
            "TS_CD_HEADER cbCompMainBodySize beyond bitmapLength",
            bitmap_update(1, [0, 0, 63, 63, 64, 64, 16, 1, 12], &[0, 0, 0xff, 0xff, 128, 0, 0, 32, 0, 0, 0, 0]),
        ),
        (
            "RLE run beyond the bitmap",
            // BITMAP_COMPRESSION | NO_BITMAP_COMPRESSION_HDR; a white run of 0xffff pixels
            bitmap_update(1, [0, 0, 7, 7, 8, 8, 16, 0x0401, 4], &[0xf0, 0xff, 0xff, 0x00]),
        ),
        ("rectangle beyond the desktop", bitmap_update(1, [790, 590, 853, 653, 64, 64, 16, 0, 8192], &[0x7f; 8192])),
    ];
    for (what, u) in painted_anyway {
        let mut b = frames(&c, 0, FONT_MAP + 1);
        b.extend(fast_path(1, 0, &u));
        b.extend(frames(&c, FIRST_BITMAP, c.len()));
        let o = session_opts(2000, 10_000);
        let s = run_session(Script::Once(b), &o, what).await;
        assert_eq!(s.reached, Some(SessionPhase::Graphics), "{what}: {s:?}");
        assert_eq!(png_size(s.png.as_deref().unwrap()), (800, 600), "{what}");
    }
    // A fast-path update whose size overruns its PDU ends the session as a decode error.
    let mut b = frames(&c, 0, FONT_MAP + 1);
    let mut f = fast_path(1, 0, &[0; 32]);
    let k = f.len() - 32 - 2;
    f[k..k + 2].copy_from_slice(&0x4000u16.to_le_bytes());
    b.extend(f);
    let o = session_opts(2000, 10_000);
    let s = run_session(Script::Once(b), &o, "fast-path size").await;
    let st = s.stopped.expect("stopped");
    assert_eq!(st.reason, StopReason::Decode, "{st:?}");
}

/// Peak memory of the session against the worst of the servers above, one after the other
/// (VmHWM is a high-water mark: the growth is the worst single session): a 65,535 x 65,535
/// claim, a 4K desktop painted for real, endless updates and endless fragments. The README's
/// cap: a 4K desktop's session within 64 MiB.
#[test]
#[ignore = "run in a child process by session_peak_memory_is_bounded"]
fn child_session_memory() {
    if std::env::var_os("RDP_PROBE_CHILD").is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let before = vm_hwm_kib();
    rt.block_on(async {
        let c = capture();
        let desktop = |w: u16, h: u16| {
            let mut b = frames(&c, 0, DEMAND_ACTIVE);
            b.extend(demand_active_with_desktop(&c[DEMAND_ACTIVE], w, h));
            b.extend(frames(&c, DEMAND_ACTIVE + 1, c.len()));
            b
        };
        let mut fragments = frames(&c, 0, FONT_MAP + 1);
        fragments.extend(fast_path(1, 2, &[0; 16_000]));
        let scripts = vec![
            ("giant", Script::Once(desktop(u16::MAX, u16::MAX))),
            ("4k", Script::Once(desktop(3840, 2160))),
            (
                "endless updates",
                Script::Endless {
                    first: frames(&c, 0, FIRST_BITMAP),
                    repeat: frames(&c, FIRST_BITMAP, c.len()),
                    pause: Duration::ZERO,
                },
            ),
            (
                "endless fragments",
                Script::Endless { first: fragments, repeat: fast_path(1, 3, &[0; 16_000]), pause: Duration::ZERO },
            ),
        ];
        for (what, script) in scripts {
            let h = session_server(script).await;
            let (r, _, _) = run(h.addr, &session_opts(2000, 10_000)).await;
            let s = r.session.unwrap();
            println!(
                "SESSION {what}: reached={:?} png={:?} hwm_kib={}",
                s.reached,
                s.png.map(|p| p.len()),
                vm_hwm_kib()
            );
        }
    });
    drop(rt);
    let after = vm_hwm_kib();
    let grew_mib = after.saturating_sub(before) / 1024;
    println!("MEM session hwm_before_kib={before} hwm_after_kib={after} grew_mib={grew_mib}");
    assert!(grew_mib <= 64, "peak RSS grew by {grew_mib} MiB");
    println!("CHILD-OK");
}

#[test]
fn session_peak_memory_is_bounded() {
    let out = run_child("hostile::child_session_memory");
    for l in out.lines().filter(|l| l.contains("SESSION ") || l.contains("MEM ")) {
        eprintln!("{l}");
    }
}
