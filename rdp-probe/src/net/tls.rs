//! TLS upgrade after X.224 (MS-RDPBCGR 5.4.5.1) with rustls, accepting any certificate: the
//! probe reports on certificates, it does not trust them. And the TLS step: one rustls
//! handshake, raw ClientHello probes per version and per cipher suite (the sans-IO engine in
//! [`crate::wire::tls`]), the Direct Approach test (5.4.2.2) and the certificate report.

use super::{ms, Ctx, NetError, NetErrorKind, Stream};
use crate::report::tls::{CipherSuiteInfo, TlsAttempt, TlsError, TlsReport};
use crate::report::{Answer, ErrorKind, Phase};
use crate::wire::tls::{suites, ClientHello, ServerFlight, ServerHello, TlsVersion};
use crate::wire::x224::{NegotiationResponse, Protocol, SecurityProtocols, ServerAnswer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncReadExt;

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
    #[allow(dead_code)] // read by the NLA step
    pub stream: tokio_rustls::client::TlsStream<Stream>,
    /// DER of the peer's chain, leaf first.
    pub peer_certs: Vec<Vec<u8>>,
    /// Negotiated version, e.g. "1.2".
    pub version: Option<String>,
    /// Negotiated suite, IANA name.
    pub cipher_suite: Option<String>,
    /// Key-exchange group, e.g. "x25519".
    pub kx_group: Option<String>,
    /// ALPN protocol, if the server chose one.
    pub alpn: Option<String>,
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
/// (the capture keeps it), so the classifier sees the whole PDU.
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

/// The typed reason of a failed rustls handshake: what the server sent instead of TLS, a
/// limitation of our TLS stack, or the plain TLS / I/O error. `sent` is what the server sent
/// on this connection after our ClientHello.
fn handshake_error(e: &std::io::Error, sent: &[u8]) -> NetError {
    use crate::wire::tls::not_tls;
    use rustls::{AlertDescription, PeerIncompatible};
    if let Some(nt) = not_tls::classify(sent) {
        return NetError::new(Phase::Tls, NetErrorKind::NotTls { sent: sent.to_vec(), text: nt.after_selecting_tls() });
    }
    let closed = matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
    );
    if sent.is_empty() && closed {
        let text = not_tls::CLOSED_AFTER_SELECTING_TLS.to_string();
        return NetError::new(Phase::Tls, NetErrorKind::NotTls { sent: Vec::new(), text });
    }
    let rustls_err = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match rustls_err {
        Some(
            r @ (rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
            | rustls::Error::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
            )),
        ) => NetError::new(
            Phase::Tls,
            NetErrorKind::ClientLimitation {
                version: true,
                text: format!(
                    "rdp-probe cannot complete a TLS handshake below version 1.2 (its TLS stack speaks TLS 1.2 and \
                     1.3 only) and the server refused both (rustls: {r})"
                ),
            },
        ),
        Some(r @ rustls::Error::PeerIncompatible(_)) => NetError::new(
            Phase::Tls,
            NetErrorKind::ClientLimitation {
                version: false,
                text: format!(
                    "rdp-probe cannot complete this TLS handshake: its TLS stack (rustls) does not support what the \
                     server requires (rustls: {r})"
                ),
            },
        ),
        _ => match e.kind() {
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::Other => {
                NetError::new(Phase::Tls, NetErrorKind::Tls(e.to_string()))
            }
            _ => NetError::io(Phase::Tls, e),
        },
    }
}

/// The highest TLS version the raw engine found accepted when every accepted version is
/// below 1.2 (what rustls cannot speak); from the negotiated raw version when the
/// enumeration did not run.
pub(crate) fn legacy_only_version(tls: &TlsReport) -> Option<String> {
    let accepted: Vec<&str> = tls.versions.iter().filter(|(_, ok)| **ok).map(|(v, _)| v.as_str()).collect();
    let legacy = |v: &str| v == "1.0" || v == "1.1";
    if !accepted.is_empty() {
        return accepted.iter().all(|v| legacy(v)).then(|| accepted.iter().max().map(|v| v.to_string())).flatten();
    }
    match (tls.source.as_deref(), tls.version.as_deref()) {
        (Some("raw"), Some(v)) if legacy(v) => Some(v.to_string()),
        _ => None,
    }
}

/// The text of the TLS 1.0/1.1 limitation; `where_facts` names where the raw facts are.
pub(crate) fn legacy_version_text(version: &str, where_facts: &str) -> String {
    format!(
        "rdp-probe cannot complete a TLS {version} handshake (its TLS stack speaks TLS 1.2 and 1.3 only); the \
         certificate and versions {where_facts} come from raw ClientHellos"
    )
}

/// Judges a failed TLS upgrade for a step after the TLS step (MCS over TLS, CredSSP):
/// `(client_limitation, text)`. The failure is ours when rustls says so by its error kind,
/// or when the TLS step's raw enumeration shows only TLS 1.0/1.1 and the handshake failed.
pub(crate) fn judge_upgrade_failure(e: &NetError, tls: Option<&TlsReport>) -> (bool, String) {
    let handshake = e.phase == Phase::Tls
        && matches!(
            e.kind,
            NetErrorKind::Tls(_)
                | NetErrorKind::ClientLimitation { .. }
                | NetErrorKind::Closed { .. }
                | NetErrorKind::Reset
                | NetErrorKind::NotTls { .. }
        );
    let non_tls_bytes = matches!(&e.kind, NetErrorKind::NotTls { sent, .. } if !sent.is_empty());
    if handshake && !non_tls_bytes {
        if let Some(v) = tls.and_then(legacy_only_version) {
            return (true, legacy_version_text(&v, "in the tls section"));
        }
    }
    match &e.kind {
        NetErrorKind::ClientLimitation { text, .. } => (true, text.clone()),
        NetErrorKind::NotTls { sent, text } if !sent.is_empty() => {
            (false, format!("{text} (server sent {})", crate::wire::codec::hex(sent)))
        }
        k => (false, k.to_string()),
    }
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
    let version = conn.protocol_version().map(|v| crate::wire::tls::version_label(u16::from(v)));
    let cipher_suite = conn.negotiated_cipher_suite().map(|s| suites::suite_display(u16::from(s.suite())));
    let kx_group =
        conn.negotiated_key_exchange_group().map(|g| crate::wire::tls::hello::group_name(u16::from(g.name())));
    let alpn = conn.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned());
    Ok(TlsSession { stream, peer_certs, version, cipher_suite, kx_group, alpn })
}

/// The most connections one version's cipher enumeration may use.
const MAX_CIPHER_ATTEMPTS: usize = 128;

fn tls_error(attempt: &str, e: &NetError) -> TlsError {
    let (client_limitation, server_sent) = match &e.kind {
        NetErrorKind::ClientLimitation { .. } => (true, None),
        NetErrorKind::NotTls { sent, .. } => (false, (!sent.is_empty()).then(|| crate::wire::codec::hex(sent))),
        _ => (false, None),
    };
    TlsError {
        phase: e.phase,
        text: e.kind.to_string(),
        attempt: attempt.into(),
        client_limitation,
        server_sent,
        kind: Some(e.error_kind()),
    }
}

/// A TLS step failure that is not a [`NetError`].
fn step_fail(phase: Phase, kind: ErrorKind, text: String, attempt: &str) -> TlsError {
    TlsError { phase, text, attempt: attempt.into(), client_limitation: false, server_sent: None, kind: Some(kind) }
}

/// The order of a request for the TLS step when the server answered it by selecting a
/// TLS-based protocol: SSL-selected before CredSSP-selected, then by requested value.
fn tls_key(a: &crate::report::NegotiationAttempt) -> Option<(bool, u32)> {
    match &a.answer {
        Answer::Selected { protocol, .. } if matches!(protocol.as_str(), "ssl" | "hybrid" | "hybrid_ex") => {
            Some((protocol != "ssl", a.requested_value))
        }
        _ => None,
    }
}

/// X.224 requests that the server answered by selecting a TLS-based protocol, best first
/// (SSL-selected before CredSSP-selected, then by requested value).
fn tls_requests(neg: &crate::report::NegotiationReport) -> Vec<u32> {
    let mut v: Vec<(bool, u32)> = neg.attempts.iter().filter_map(tls_key).collect();
    v.sort_unstable();
    let mut out: Vec<u32> = Vec::new();
    for (_, r) in v {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// The request the TLS step will most likely use, from the answers so far: the best
/// request answered with a TLS-based selection once every request that could come before it
/// (`pending`: unanswered values) is answered. Certain when it selected SSL; when it
/// selected CredSSP, a larger request answered later with SSL would still come first (the
/// TLS step then repeats its version probes with that request). `None`: not yet known.
pub(crate) fn settled_request(answered: &[&crate::report::NegotiationAttempt], pending: &[u32]) -> Option<u32> {
    let best = answered.iter().filter_map(|a| tls_key(a)).min()?;
    pending.iter().all(|p| *p > best.1).then_some(best.1)
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
    let refused = |text: String| step_fail(Phase::ReadCc, ErrorKind::Other, text, label);
    match answer {
        ServerAnswer::Confirm(cc) => match cc.negotiation {
            Some(NegotiationResponse::Response { selected_protocol, .. }) if selected_protocol != Protocol::Rdp => {
                Ok(s)
            }
            Some(NegotiationResponse::Response { .. }) => {
                Err(refused("the server selected Standard RDP Security".into()))
            }
            Some(NegotiationResponse::Failure { code, .. }) => {
                Err(step_fail(Phase::ReadCc, ErrorKind::ServerRefused, code.name(), label))
            }
            Some(NegotiationResponse::Unknown { ty, .. }) => Err(refused(format!("unknown negotiation type {ty}"))),
            None => Err(refused("no negotiation response (legacy server)".into())),
        },
        ServerAnswer::Disconnect { reason, .. } => Err(refused(format!("X.224 Disconnect Request, reason {reason}"))),
        ServerAnswer::Data { .. } => Err(refused("MCS Disconnect Provider Ultimatum instead of a CC".into())),
    }
}

/// What a raw ClientHello got back.
pub(crate) struct RawOutcome {
    flight: ServerFlight,
    /// Why reading stopped before the flight was finished (closed, timeout, decode error).
    end: Option<String>,
    /// The server's first bytes when they are not TLS (a whole TPKT frame when it fits).
    not_tls: Option<Vec<u8>>,
    ms: f64,
}

/// One raw attempt: X.224 (when `requested` is given, else the Direct Approach), our
/// ClientHello, then the server's first flight until it is finished, closed or timed out.
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
    s.start_capture();
    ctx.write(&mut s, Phase::Tls, &hello.encode()).await.map_err(|e| tls_error(label, &e))?;
    let mut flight = ServerFlight::new();
    let read = ctx
        .timed(Phase::Tls, ctx.opts.read_timeout, async {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = s.read(&mut buf).await.map_err(|e| NetError::io(Phase::Tls, &e))?;
                if n == 0 {
                    return Ok(Some("connection closed".to_string()));
                }
                if let Err(e) = flight.feed(buf.get(..n).unwrap_or_default()) {
                    return Ok(Some(e.to_string()));
                }
                if flight.finished() {
                    return Ok(None);
                }
            }
        })
        .await;
    let end = match read {
        Ok(end) => end,
        Err(e) => Some(e.kind.to_string()),
    };
    let mut not_tls = None;
    if flight.not_tls.is_some() {
        complete_tpkt(ctx, &mut s).await;
        not_tls = Some(s.captured().to_vec());
    }
    Ok(RawOutcome { flight, end, not_tls, ms: ms(t.elapsed()) })
}

/// The report of one raw attempt; `after_x224` when the X.224 exchange selected TLS first
/// (every attempt but the Direct Approach).
fn attempt_report(
    offered: &str,
    want: Option<u16>,
    after_x224: bool,
    out: &Result<RawOutcome, TlsError>,
) -> TlsAttempt {
    let mut a = TlsAttempt { offered: offered.into(), ..TlsAttempt::default() };
    match out {
        Err(e) => a.detail = Some(format!("{}: {}", e.phase.as_str(), e.text)),
        Ok(o) => {
            a.ms = o.ms;
            if let Some(sh) = &o.flight.server_hello {
                a.server_version = Some(crate::wire::tls::version_label(sh.version()));
                a.cipher_suite = Some(suites::suite_display(sh.cipher_suite));
                a.hello_retry_request = sh.is_hello_retry_request();
                a.accepted = !matches!(want, Some(w) if sh.version() != w);
            }
            if let Some(al) = &o.flight.alert {
                a.alert = Some(format!("{} {}", al.level_name(), al.description_name()));
            }
            if let Some(b) = o.not_tls.as_ref().or(o.flight.not_tls.as_ref()) {
                let what = crate::wire::tls::not_tls::classify(b).map(|nt| {
                    if after_x224 {
                        nt.after_selecting_tls()
                    } else {
                        format!("{} (the listener does not take TLS without X.224 first)", nt.name())
                    }
                });
                a.detail = Some(match what {
                    Some(w) => format!("not TLS: {}: {w}", crate::wire::codec::hex(b)),
                    None => format!("not TLS: {}", crate::wire::codec::hex(b)),
                });
            } else if o.flight.server_hello.is_none() {
                a.detail = o.end.clone();
            }
        }
    }
    a
}

/// The rustls failure of the TLS step judged with the raw facts gathered after it: ours when
/// every version the server accepts is below 1.2, or when at TLS 1.2 the server chose a suite
/// rustls does not implement. `None`: keep the error as it is.
fn judge_rustls_failure(e: &NetError, tls: &TlsReport, raw_hello: Option<&ServerHello>) -> Option<TlsError> {
    let handshake = e.phase == Phase::Tls
        && matches!(
            &e.kind,
            NetErrorKind::Tls(_)
                | NetErrorKind::ClientLimitation { .. }
                | NetErrorKind::Closed { .. }
                | NetErrorKind::Reset
                | NetErrorKind::NotTls { .. }
        );
    if !handshake || matches!(&e.kind, NetErrorKind::NotTls { sent, .. } if !sent.is_empty()) {
        return None;
    }
    let limitation = |text: String| TlsError {
        client_limitation: true,
        ..step_fail(Phase::Tls, ErrorKind::ClientLimitation, text, "rustls")
    };
    if let Some(v) = legacy_only_version(tls) {
        return Some(limitation(legacy_version_text(&v, "above")));
    }
    let sh = raw_hello?;
    let ours =
        rustls::crypto::ring::default_provider().cipher_suites.iter().any(|s| u16::from(s.suite()) == sh.cipher_suite);
    if sh.version() == TlsVersion::Tls12.wire() && !ours {
        return Some(limitation(format!(
            "rdp-probe cannot complete a TLS 1.2 handshake with {}, the suite the server chose (its TLS stack \
             implements only ECDHE suites with AES-GCM or ChaCha20-Poly1305); the certificate above comes from a raw \
             ClientHello",
            suites::suite_display(sh.cipher_suite)
        )));
    }
    None
}

fn suites_for(v: TlsVersion) -> Vec<u16> {
    if v == TlsVersion::Tls13 {
        suites::tls13_suites()
    } else {
        suites::legacy_suites()
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The version probes and the Direct Approach after X.224 request `requested`: what the
/// TLS step reports in `versions`, `version_attempts` and `direct_approach`.
pub(crate) struct VersionProbes {
    /// The X.224 request the version probes sent before their ClientHello.
    pub requested: u32,
    versions: Vec<(TlsVersion, Result<RawOutcome, TlsError>)>,
    direct_approach: TlsAttempt,
}

/// One raw ClientHello per TLS version after X.224 `requested` (up to `parallel_connections`
/// at once), then the Direct Approach at the best accepted version below 1.3.
pub(crate) async fn version_probes(
    ctx: &Ctx<'_>,
    addr: std::net::SocketAddr,
    requested: u32,
    name: &str,
) -> VersionProbes {
    let versions = futures_util::future::join_all(TlsVersion::ALL.iter().map(|&v| async move {
        let hello = ClientHello::new(v, suites_for(v), Some(name));
        (v, raw_attempt(ctx, addr, Some(requested), &hello, &format!("tls version {}", v.label())).await)
    }))
    .await;
    let dv = versions
        .iter()
        .filter(|(v, out)| *v != TlsVersion::Tls13 && attempt_report(v.label(), Some(v.wire()), true, out).accepted)
        .map(|(v, _)| *v)
        .max()
        .unwrap_or(TlsVersion::Tls12);
    let hello = ClientHello::new(dv, suites_for(dv), Some(name));
    let out = raw_attempt(ctx, addr, None, &hello, "tls direct approach").await;
    VersionProbes { requested, versions, direct_approach: attempt_report(dv.label(), None, false, &out) }
}

/// Runs the TLS step when the negotiation answers allow it, filling `report.tls`. `early`:
/// version probes already run during the negotiation plan (used when they asked the same).
pub(crate) async fn run_step(
    ctx: &mut Ctx<'_>,
    addr: std::net::SocketAddr,
    target: &crate::scan::target::Target,
    report: &mut crate::report::Report,
    early: Option<VersionProbes>,
) {
    if !ctx.opts.steps.tls {
        return;
    }
    let Some(neg) = &report.negotiation else { return };
    let requests = tls_requests(neg);
    if requests.is_empty() {
        // No TLS path. SSL_CERT_NOT_ON_SERVER is the TLS layer's failure: report it here.
        let no_cert = neg
            .attempts
            .iter()
            .any(|a| matches!(&a.answer, Answer::Failure { code, .. } if code == "ssl_cert_not_on_server"));
        if no_cert {
            report.tls = Some(TlsReport {
                error: Some(step_fail(
                    Phase::ReadCc,
                    ErrorKind::ServerRefused,
                    "ssl_cert_not_on_server: the listener has no usable TLS certificate".into(),
                    "negotiation",
                )),
                ..TlsReport::default()
            });
        }
        return;
    }
    let t_step = Instant::now();
    let name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
    let now = unix_now();
    let mut tls = TlsReport::default();
    let mut certs: Vec<Vec<u8>> = Vec::new();

    // (a) rustls, with the first request the server accepts for TLS.
    let mut requested = None;
    // Index in `tls.errors` and error of a failed rustls handshake (judged at the end).
    let mut rustls_failure: Option<(usize, NetError)> = None;
    for &r in &requests {
        match open_for_tls(ctx, addr, r, "tls rustls").await {
            Ok(s) => {
                requested = Some(r);
                let mut t = Instant::now();
                let continued = s.continued();
                let mut upgraded = upgrade(ctx, s, &name).await;
                if continued && matches!(&upgraded, Err(e) if e.closed_by_peer()) {
                    // The kept negotiation connection closed while it waited: ask again.
                    if let Ok(s) = open_for_tls(ctx, addr, r, "tls rustls").await {
                        t = Instant::now();
                        upgraded = upgrade(ctx, s, &name).await;
                    }
                }
                match upgraded {
                    Ok(sess) => {
                        tls.handshake_ms = Some(ms(t.elapsed()));
                        tls.rustls_handshake = true;
                        tls.source = Some("rustls".into());
                        tls.version = sess.version;
                        tls.cipher_suite = sess.cipher_suite;
                        tls.key_exchange_group = sess.kx_group;
                        tls.alpn = sess.alpn;
                        certs = sess.peer_certs;
                    }
                    Err(e) => {
                        rustls_failure = Some((tls.errors.len(), e.clone()));
                        tls.errors.push(tls_error("rustls", &e));
                    }
                }
                break;
            }
            Err(e) => tls.errors.push(e),
        }
    }
    tls.requested_protocols = requested;
    let Some(requested) = requested else {
        tls.error = tls.errors.first().cloned();
        report.timings_ms.insert("tls".into(), ms(t_step.elapsed()));
        report.tls = Some(tls);
        return;
    };

    // rustls failed (TLS 1.0/1.1 only, old suites, RSA < 2048...): the raw engine still reads
    // version, suite and the clear-text certificate of TLS <= 1.2.
    let mut raw_hello = None;
    if !tls.rustls_handshake {
        let hello = ClientHello::new(TlsVersion::Tls12, suites::legacy_suites(), Some(&name));
        match raw_attempt(ctx, addr, Some(requested), &hello, "tls raw certificate").await {
            Ok(o) => {
                if let Some(sh) = &o.flight.server_hello {
                    tls.source = Some("raw".into());
                    tls.version = Some(crate::wire::tls::version_label(sh.version()));
                    tls.cipher_suite = Some(suites::suite_display(sh.cipher_suite));
                    certs = o.flight.certificates.clone();
                    raw_hello = Some(sh.clone());
                } else if let Some((b, nt)) =
                    o.not_tls.as_ref().and_then(|b| crate::wire::tls::not_tls::classify(b).map(|nt| (b, nt)))
                {
                    tls.errors.push(TlsError {
                        server_sent: Some(crate::wire::codec::hex(b)),
                        ..step_fail(Phase::Tls, ErrorKind::NotTls, nt.after_selecting_tls(), "raw certificate")
                    });
                } else {
                    let a = attempt_report("1.2", None, true, &Ok(o));
                    let text = a.alert.map(|al| format!("alert {al}")).or(a.detail).unwrap_or_default();
                    tls.errors.push(step_fail(Phase::Tls, ErrorKind::Tls, text, "raw certificate"));
                }
            }
            Err(e) => tls.errors.push(e),
        }
    }

    // (b) versions, one connection each, plus the Direct Approach (started during the
    // negotiation plan when its answers settled the request early).
    let mut accepted: Vec<TlsVersion> = Vec::new();
    if ctx.opts.steps.tls_versions {
        let probes = match early {
            Some(e) if e.requested == requested => e,
            _ => version_probes(ctx, addr, requested, &name).await,
        };
        for (v, out) in probes.versions {
            let a = attempt_report(v.label(), Some(v.wire()), true, &out);
            if a.accepted {
                accepted.push(v);
            }
            if certs.is_empty() {
                if let Ok(o) = &out {
                    if a.accepted && !o.flight.certificates.is_empty() {
                        certs = o.flight.certificates.clone();
                    }
                }
            }
            tls.versions.insert(v.label().into(), a.accepted);
            tls.version_attempts.push(a);
        }
        tls.direct_approach = Some(probes.direct_approach);
    } else if let Some(v) = tls.version.as_deref().and_then(|l| TlsVersion::ALL.into_iter().find(|x| x.label() == l)) {
        accepted.push(v);
    }

    // (c) cipher suites per accepted version: offer all, remove the chosen one, repeat.
    if ctx.opts.steps.tls_ciphers {
        for v in accepted.clone() {
            let mut offered = suites_for(v);
            let mut found: Vec<CipherSuiteInfo> = Vec::new();
            let mut complete = false;
            for _ in 0..MAX_CIPHER_ATTEMPTS {
                if offered.is_empty() {
                    complete = true;
                    break;
                }
                let hello = ClientHello::new(v, offered.clone(), Some(&name));
                let out = raw_attempt(ctx, addr, Some(requested), &hello, &format!("tls ciphers {}", v.label())).await;
                let sh = match &out {
                    Ok(o) => o.flight.server_hello.clone(),
                    Err(e) => {
                        tls.errors.push(e.clone());
                        break;
                    }
                };
                match sh {
                    Some(sh) if sh.version() == v.wire() && offered.contains(&sh.cipher_suite) => {
                        offered.retain(|c| *c != sh.cipher_suite);
                        found.push(CipherSuiteInfo {
                            name: suites::suite_display(sh.cipher_suite),
                            id: sh.cipher_suite,
                            grade: suites::grade(sh.cipher_suite, v.wire()).into(),
                            weaknesses: suites::weaknesses(sh.cipher_suite, v.wire())
                                .into_iter()
                                .map(str::to_string)
                                .collect(),
                            group: sh.key_share_group().map(crate::wire::tls::hello::group_name),
                        });
                    }
                    Some(sh) => {
                        tls.errors.push(step_fail(
                            Phase::Tls,
                            ErrorKind::Tls,
                            format!(
                                "server answered version {} suite {} outside the offer",
                                crate::wire::tls::version_label(sh.version()),
                                suites::suite_display(sh.cipher_suite)
                            ),
                            &format!("ciphers {}", v.label()),
                        ));
                        break;
                    }
                    // An alert (handshake_failure) or a close: no more suites at this version.
                    None => {
                        complete = out
                            .as_ref()
                            .map(|o| o.flight.alert.is_some() || o.end.as_deref() == Some("connection closed"))
                            .unwrap_or(false);
                        break;
                    }
                }
            }
            tls.cipher_enumeration_complete.insert(v.label().into(), complete);
            tls.ciphers.insert(v.label().into(), found);
        }
    }

    if !certs.is_empty() {
        tls.chain = crate::steps::tls_cert::chain_report(&certs, now, Some(&name));
        tls.certificate = tls.chain.first().cloned();
    }
    if let Some((i, e)) = &rustls_failure {
        if let (Some(judged), Some(slot)) = (judge_rustls_failure(e, &tls, raw_hello.as_ref()), tls.errors.get_mut(*i))
        {
            *slot = judged;
        }
    }
    if tls.version.is_none() {
        tls.error = tls.errors.first().cloned().or(Some(step_fail(
            Phase::Tls,
            ErrorKind::Tls,
            "no TLS handshake succeeded".into(),
            "rustls",
        )));
    }
    report.timings_ms.insert("tls".into(), ms(t_step.elapsed()));
    report.tls = Some(tls);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::NegotiationAttempt;

    fn att(req: u32, protocol: Option<&str>) -> NegotiationAttempt {
        let answer = match protocol {
            Some(p) => Answer::Selected {
                protocol: p.into(),
                protocol_value: 0,
                flags: vec![],
                flags_value: 0,
                requested: true,
            },
            None => Answer::Failure { code: "ssl_required_by_server".into(), code_value: 1 },
        };
        NegotiationAttempt {
            requested_value: req,
            requested: vec![],
            request_flags: 0,
            with_neg_req: true,
            answer,
            source_ref: None,
            ms: 0.0,
        }
    }

    #[test]
    fn settled_request_waits_for_requests_that_could_come_first() {
        // xrdp negotiate: 0x0B selected ssl, 0x00 and 0x01 not answered yet: 0x01 may win.
        let full = att(0x0B, Some("ssl"));
        assert_eq!(settled_request(&[&full], &[0, 1, 2, 4, 8, 0x10]), None);
        // 0x00 got rdp, 0x01 ssl: nothing unanswered can come before 0x01.
        let (rdp, ssl) = (att(0, Some("rdp")), att(1, Some("ssl")));
        assert_eq!(settled_request(&[&full, &rdp, &ssl], &[2, 4, 8, 0x10]), Some(1));
        // NLA required: 0x00 and 0x01 refused, 0x02 hybrid: the best known once 0x02 answered.
        let (hyb, r0, r1) = (att(0x0B, Some("hybrid")), att(0, None), att(1, None));
        assert_eq!(settled_request(&[&hyb, &r0, &r1], &[2, 4, 8, 0x10]), None);
        let h2 = att(2, Some("hybrid"));
        assert_eq!(settled_request(&[&hyb, &r0, &r1, &h2], &[4, 8, 0x10]), Some(2));
        // The same order as the TLS step's own choice.
        let neg = crate::report::NegotiationReport {
            attempts: vec![hyb.clone(), r0.clone(), r1.clone(), h2.clone()],
            ..Default::default()
        };
        assert_eq!(tls_requests(&neg).first(), Some(&2));
        // Nothing TLS-based selected: nothing to start.
        assert_eq!(settled_request(&[&r0, &r1], &[]), None);
    }
}
