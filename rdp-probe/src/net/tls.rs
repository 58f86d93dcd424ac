//! The TLS step's I/O: the TLS upgrade after X.224 (MS-RDPBCGR 5.4.5.1) with rustls, accepting
//! any certificate (the probe reports on certificates, it does not trust them), and the
//! connections of the raw ClientHello probes (per version, per cipher suite, the Direct
//! Approach of 5.4.2.2). What to send, how to read the answers and what they mean is in
//! [`crate::steps::tls`]; this module opens connections, runs the machines with
//! [`super::drive`] and keeps time.

use super::{drive, ms, Ctx, NetError, Stream};
use crate::report::tls::{TlsError, TlsVersion};
use crate::report::Phase;
use crate::steps::machine::{Input, Machine};
use crate::steps::tls::{
    attempt_report, direct_approach_version, handshake_error, tls_error, tls_requests, tls_selected, version_hello,
    CipherEnumeration, HandshakeFacts, Offer, RawAttempt, RawOutcome, TlsBuild, VersionOutcomes,
};
use crate::wire::tls::{suites, ClientHello};
use crate::wire::x224::SecurityProtocols;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncReadExt;

pub(crate) use crate::steps::tls::{judge_upgrade_failure, settled_request};

/// A verifier that accepts every chain (the report judges it instead) and verifies handshake
/// signatures: with ring through rustls, and where ring refuses only because of the key size
/// (RSA under 2048 bits, e.g. RSA-1024 certificates) or the legacy `rsa_pkcs1_sha1` scheme,
/// with [`crate::steps::legacy_rsa`]. A signature that does not verify still fails the
/// handshake; the small key itself is reported by the certificate report (`weak key`).
#[derive(Debug)]
pub(crate) struct AcceptAll(Arc<rustls::crypto::CryptoProvider>);

impl AcceptAll {
    /// `ring_said` unless [`crate::steps::legacy_rsa`] verifies the signature where ring refused.
    fn or_legacy(
        ring_said: Result<HandshakeSignatureValid, rustls::Error>,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let Err(e) = ring_said else { return ring_said };
        match crate::steps::legacy_rsa::verify_where_ring_refuses(
            cert.as_ref(),
            u16::from(dss.scheme),
            message,
            dss.signature(),
        ) {
            Some(true) => Ok(HandshakeSignatureValid::assertion()),
            _ => Err(e),
        }
    }
}

impl ServerCertVerifier for AcceptAll {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let ring_said =
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms);
        Self::or_legacy(ring_said, message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let ring_said =
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms);
        Self::or_legacy(ring_said, message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // Last, so a server that can do better never picks it: rsa_pkcs1_sha1 for TLS 1.2
        // servers that sign with nothing else (rustls never offers it in TLS 1.3).
        let mut v = self.0.signature_verification_algorithms.supported_schemes();
        if !v.contains(&SignatureScheme::RSA_PKCS1_SHA1) {
            v.push(SignatureScheme::RSA_PKCS1_SHA1);
        }
        v
    }
}

/// A completed TLS session and what the handshake showed.
pub(crate) struct TlsSession {
    pub stream: tokio_rustls::client::TlsStream<Stream>,
    /// DER of the peer's chain, leaf first.
    pub peer_certs: Vec<Vec<u8>>,
    /// Negotiated version.
    pub version: Option<TlsVersion>,
    /// Negotiated suite, IANA name.
    pub cipher_suite: Option<String>,
    /// Key-exchange group, e.g. "x25519".
    pub kx_group: Option<String>,
    /// ALPN protocol, if the server chose one.
    pub alpn: Option<String>,
}

impl TlsSession {
    /// What the handshake showed, for the report (the session stays usable).
    fn facts(&mut self) -> HandshakeFacts {
        HandshakeFacts {
            peer_certs: std::mem::take(&mut self.peer_certs),
            version: self.version,
            cipher_suite: self.cipher_suite.clone(),
            kx_group: self.kx_group.clone(),
            alpn: self.alpn.clone(),
        }
    }
}

pub(crate) fn client_config() -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map(|b| b.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAll(provider))).with_no_client_auth());
    match cfg {
        Ok(mut c) => {
            c.resumption = rustls::client::Resumption::disabled(); // MS-CSSP 3.1.5: no resumption
            Arc::new(c)
        }
        // ring supports every version rustls does; this arm cannot be reached but must not panic.
        Err(_) => Arc::new(
            rustls::ClientConfig::builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAll(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))))
                .with_no_client_auth(),
        ),
    }
}

/// Reads, within a short deadline, the rest of a TPKT frame whose start is in `s.captured()`
/// (the capture keeps it), so the classifier sees the whole PDU. (rustls reads the socket
/// itself here, so the one framed reader cannot.)
async fn complete_tpkt(ctx: &Ctx<'_>, s: &mut Stream) {
    let want = match crate::wire::tpkt::frame_len(s.captured()) {
        Ok(len) if len <= crate::wire::tls::not_tls::MAX_KEPT => len,
        _ => return,
    };
    let d = ctx.opts.read_timeout.min(std::time::Duration::from_secs(1));
    let _ = ctx
        .timed(Phase::Tls, d, async {
            let mut b = [0u8; crate::wire::tls::not_tls::MAX_KEPT];
            while s.captured().len() < want {
                let room = want.saturating_sub(s.captured().len()).min(b.len());
                match s.read(b.get_mut(..room).unwrap_or_default()).await {
                    Ok(n) if n > 0 => {}
                    _ => break,
                }
            }
            Ok(())
        })
        .await;
}

/// Runs the TLS handshake on a stream that completed X.224 negotiation.
pub(crate) async fn upgrade(ctx: &Ctx<'_>, mut s: Stream, server_name: &str) -> Result<TlsSession, NetError> {
    let name = match server_name.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(server_name.to_string())
            .unwrap_or_else(|_| ServerName::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]).into())),
    };
    let connector = tokio_rustls::TlsConnector::from(client_config());
    // Keep the server's first bytes: when they are not TLS, they say why.
    s.start_capture();
    let stream = ctx
        .timed(Phase::Tls, ctx.opts.read_timeout, async {
            match connector.connect(name, s).into_fallible().await {
                Ok(stream) => Ok(stream),
                Err((e, mut s)) => {
                    if crate::wire::tls::not_tls::classify(s.captured()).is_some() {
                        complete_tpkt(ctx, &mut s).await;
                    }
                    Err(handshake_error(&e, s.captured()))
                }
            }
        })
        .await?;
    let (_, conn) = stream.get_ref();
    let peer_certs =
        conn.peer_certificates().map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect()).unwrap_or_default();
    let version = conn.protocol_version().map(|v| TlsVersion::from_wire(u16::from(v)));
    let cipher_suite = conn.negotiated_cipher_suite().map(|s| suites::suite_display(u16::from(s.suite())));
    let kx_group =
        conn.negotiated_key_exchange_group().map(|g| crate::wire::tls::hello::group_name(u16::from(g.name())));
    let alpn = conn.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned());
    Ok(TlsSession { stream, peer_certs, version, cipher_suite, kx_group, alpn })
}

/// Opens a connection whose X.224 exchange selected a TLS-based protocol.
async fn open_for_tls(
    ctx: &Ctx<'_>,
    addr: std::net::SocketAddr,
    requested: u32,
    label: &str,
) -> Result<Stream, TlsError> {
    let (s, answer) = super::run::open_negotiated(ctx, addr, SecurityProtocols(requested), label)
        .await
        .map_err(|e| tls_error(label, &e))?;
    tls_selected(&answer, label).map(|()| s)
}

/// One raw attempt: X.224 (when `requested` is given, else the Direct Approach), then the
/// [`RawAttempt`] machine, its whole flight within one read timeout.
async fn raw_attempt(
    ctx: &Ctx<'_>,
    addr: std::net::SocketAddr,
    requested: Option<u32>,
    hello: &ClientHello,
    label: &str,
) -> Result<RawOutcome, TlsError> {
    let t = Instant::now();
    let mut s = match requested {
        Some(r) => open_for_tls(ctx, addr, r, label).await?,
        None => ctx.open(addr, label).await.map_err(|e| tls_error(label, &e))?,
    };
    let mut out = run_raw(ctx, &mut s, hello).await;
    out.ms = ms(t.elapsed());
    Ok(out)
}

/// The [`RawAttempt`] machine on `s`, its whole flight within one read timeout.
async fn run_raw(ctx: &Ctx<'_>, s: &mut Stream, hello: &ClientHello) -> RawOutcome {
    let mut m = RawAttempt::new(hello);
    let mut times = drive::Times::default();
    let driven =
        ctx.timed(Phase::Tls, ctx.opts.read_timeout, async { Ok(drive::drive(ctx, s, &mut m, &mut times).await) });
    match driven.await {
        Ok(out) => out,
        // The flight's deadline: the machine reports what came so far.
        Err(e) => match m.input(Input::Error(e)) {
            crate::steps::machine::Action::Done(out) => out,
            _ => m.sent(Err(NetError::new(Phase::Tls, super::NetErrorKind::Timeout))),
        },
    }
}

/// One raw attempt after X.224 on a kept negotiation connection whose answer selected a
/// TLS-based protocol (the server's TLS does not depend on which request selected it), else on
/// a new connection asking `requested`.
async fn raw_attempt_on_spare(
    ctx: &Ctx<'_>,
    addr: std::net::SocketAddr,
    requested: u32,
    hello: &ClientHello,
    label: &str,
) -> Result<RawOutcome, TlsError> {
    let t = Instant::now();
    let spare = ctx.take_kept_where(|k| k.with_neg_req && tls_selected(&k.answer, label).is_ok(), label);
    let Some((mut s, _)) = spare else { return raw_attempt(ctx, addr, Some(requested), hello, label).await };
    let mut out = run_raw(ctx, &mut s, hello).await;
    if out.closed_before_answer() {
        // The kept connection closed while it waited: ask again on a new one.
        return raw_attempt(ctx, addr, Some(requested), hello, label).await;
    }
    out.ms = ms(t.elapsed());
    Ok(out)
}

/// One raw ClientHello per TLS version after X.224 `requested` (spare kept negotiation
/// connections first, see [`raw_attempt_on_spare`]), side by side.
pub(crate) async fn version_probes(
    ctx: &Ctx<'_>,
    addr: std::net::SocketAddr,
    requested: u32,
    name: &str,
) -> VersionOutcomes {
    futures_util::future::join_all(Offer::ALL.iter().map(|&v| async move {
        let hello = version_hello(v, name);
        (v, raw_attempt_on_spare(ctx, addr, requested, &hello, &format!("tls version {}", v.label())).await)
    }))
    .await
}

/// The Direct Approach (MS-RDPBCGR 5.4.2.2): a ClientHello of version `v` with no X.224 first.
pub(crate) async fn direct_approach(
    ctx: &Ctx<'_>,
    addr: std::net::SocketAddr,
    v: Offer,
    name: &str,
) -> (Offer, Result<RawOutcome, TlsError>) {
    (v, raw_attempt(ctx, addr, None, &version_hello(v, name), "tls direct approach").await)
}

/// The Direct Approach's version before the version probes answered: TLS 1.2, what
/// [`direct_approach_version`] gives for nearly every server; the TLS step runs it again when
/// the probes say otherwise.
pub(crate) const DIRECT_APPROACH_GUESS: Offer = Offer::Tls12;

/// The rustls handshake after X.224 `requested`, run during the negotiation plan once the
/// answers settled the request the TLS step uses.
pub(crate) struct RustlsEarly {
    /// The X.224 request before the handshake.
    pub requested: u32,
    /// The handshake and its time in ms, or why no connection selected TLS.
    pub result: Result<(Result<TlsSession, NetError>, f64), TlsError>,
}

/// Opens (or continues on `kept`) a connection for `requested` and runs the rustls handshake;
/// a kept connection that closed while it waited is replaced by a new one.
pub(crate) async fn rustls_for(
    ctx: &Ctx<'_>,
    addr: std::net::SocketAddr,
    requested: u32,
    name: &str,
    kept: Option<(Stream, crate::wire::x224::ServerAnswer)>,
) -> RustlsEarly {
    let label = "tls rustls";
    let opened = match kept {
        Some((s, answer)) => tls_selected(&answer, label).map(|()| s),
        None => open_for_tls(ctx, addr, requested, label).await,
    };
    let result = match opened {
        Ok(s) => {
            let mut t = Instant::now();
            let continued = s.continued();
            let mut upgraded = upgrade(ctx, s, name).await;
            if continued && matches!(&upgraded, Err(e) if e.closed_by_peer()) {
                if let Ok(s) = open_for_tls(ctx, addr, requested, label).await {
                    t = Instant::now();
                    upgraded = upgrade(ctx, s, name).await;
                }
            }
            Ok((upgraded, ms(t.elapsed())))
        }
        Err(e) => Err(e),
    };
    RustlsEarly { requested, result }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What the TLS step's connections brought back while the negotiation plan still ran: each
/// is used when it asked what the step would ask now, else the step runs it again.
#[derive(Default)]
pub(crate) struct TlsEarly {
    /// The rustls handshake.
    pub main: Option<RustlsEarly>,
    /// The version probes and the X.224 request they sent.
    pub versions: Option<(u32, VersionOutcomes)>,
    /// The Direct Approach and the version it offered.
    pub direct_approach: Option<(Offer, Result<RawOutcome, TlsError>)>,
}

/// Runs the TLS step when the negotiation answers allow it, filling `report.tls`. `early`:
/// what ran during the negotiation plan. Returns the TLS session of the handshake after
/// request 0x01 (PROTOCOL_SSL alone), for MCS inside TLS to continue on.
pub(crate) async fn run_step(
    ctx: &mut Ctx<'_>,
    addr: std::net::SocketAddr,
    target: &crate::scan::target::Target,
    report: &mut crate::report::Report,
    early: TlsEarly,
) -> Option<TlsSession> {
    if !ctx.opts.steps.tls {
        return None;
    }
    let neg = report.negotiation.as_ref()?;
    let requests = tls_requests(neg);
    if requests.is_empty() {
        if let Some(tls) = crate::steps::tls::no_tls_path(neg) {
            report.tls = Some(tls);
        }
        return None;
    }
    let t_step = Instant::now();
    let name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
    let now = unix_now();
    let mut build = TlsBuild::default();
    let TlsEarly { main, versions: early_versions, direct_approach: early_da } = early;
    let mut main = main;
    let mut session_for_mcs = None;

    // (a) rustls, with the first request the server accepts for TLS.
    for &r in &requests {
        let attempt = match main.take() {
            Some(e) if e.requested == r => e,
            _ => rustls_for(ctx, addr, r, &name, None).await,
        };
        match attempt.result {
            Ok((upgraded, took)) => {
                let facts = match upgraded {
                    Ok(mut session) => {
                        let facts = session.facts();
                        if r == SecurityProtocols::SSL.0 {
                            session_for_mcs = Some(session);
                        }
                        Ok(facts)
                    }
                    Err(e) => Err(e),
                };
                build.rustls(r, facts, took);
                break;
            }
            Err(e) => build.open_failed(e),
        }
    }
    let Some(requested) = build.requested() else {
        report.timings_ms.insert("tls".into(), ms(t_step.elapsed()));
        report.tls = Some(build.no_connection());
        return None;
    };

    // rustls failed (TLS 1.0/1.1 only, old suites, RSA < 2048...): the raw engine still reads
    // version, suite and the clear-text certificate of TLS <= 1.2.
    if !build.rustls_ok() {
        let hello = ClientHello::new(Offer::Tls12, suites::legacy_suites(), Some(&name));
        build.raw_certificate(raw_attempt(ctx, addr, Some(requested), &hello, "tls raw certificate").await);
    }

    // (b) versions, one connection each, plus the Direct Approach at the best accepted version
    // below 1.3 (both started during the negotiation plan when its answers settled the request).
    let accepted = if ctx.opts.steps.tls_versions {
        let versions = match early_versions {
            Some((r, v)) if r == requested => v,
            _ => version_probes(ctx, addr, requested, &name).await,
        };
        let dv = direct_approach_version(&versions);
        let (dv, da) = match early_da {
            Some((v, out)) if v == dv => (v, out),
            _ => direct_approach(ctx, addr, dv, &name).await,
        };
        build.versions(versions, attempt_report(dv, None, false, &da))
    } else {
        build.negotiated_offerable()
    };

    // (c) cipher suites per accepted version: offer all, remove the chosen one, repeat.
    if ctx.opts.steps.tls_ciphers {
        for v in accepted {
            let mut plan = CipherEnumeration::new(v);
            while let Some(hello) = plan.next_hello(&name) {
                let out = raw_attempt(ctx, addr, Some(requested), &hello, &format!("tls ciphers {}", v.label())).await;
                plan.record(&out);
            }
            build.ciphers(plan.finish());
        }
    }

    report.timings_ms.insert("tls".into(), ms(t_step.elapsed()));
    report.tls = Some(build.finish(now, &name));
    session_for_mcs
}
