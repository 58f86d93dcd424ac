//! TLS upgrade after X.224 (MS-RDPBCGR 5.4.5.1) with rustls, accepting any certificate: the
//! probe reports on certificates, it does not trust them. Extended by the TLS issue.

use super::{Ctx, NetError, NetErrorKind, Stream};
use crate::report::Phase;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// A verifier that accepts every chain (the report judges it instead).
#[derive(Debug)]
pub(crate) struct AcceptAll(Arc<rustls::crypto::CryptoProvider>);

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
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A completed TLS session and what the handshake showed.
pub(crate) struct TlsSession {
    pub stream: tokio_rustls::client::TlsStream<Stream>,
    /// DER of the peer's chain, leaf first.
    pub peer_certs: Vec<Vec<u8>>,
    /// Negotiated version, e.g. "1.2".
    pub version: Option<String>,
    /// Negotiated suite, IANA name.
    pub cipher_suite: Option<String>,
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

/// Runs the TLS handshake on a stream that completed X.224 negotiation.
pub(crate) async fn upgrade(ctx: &Ctx<'_>, s: Stream, server_name: &str) -> Result<TlsSession, NetError> {
    let name = match server_name.parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(server_name.to_string())
            .unwrap_or_else(|_| ServerName::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]).into())),
    };
    let connector = tokio_rustls::TlsConnector::from(client_config());
    let stream = ctx
        .timed(Phase::Tls, ctx.opts.read_timeout, async {
            connector.connect(name, s).await.map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::Other => {
                    NetError::new(Phase::Tls, NetErrorKind::Tls(e.to_string()))
                }
                _ => NetError::io(Phase::Tls, &e),
            })
        })
        .await?;
    let (_, conn) = stream.get_ref();
    let peer_certs =
        conn.peer_certificates().map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect()).unwrap_or_default();
    let version = conn.protocol_version().map(|v| match v {
        rustls::ProtocolVersion::TLSv1_2 => "1.2".to_string(),
        rustls::ProtocolVersion::TLSv1_3 => "1.3".to_string(),
        other => format!("{other:?}"),
    });
    let cipher_suite = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite()));
    Ok(TlsSession { stream, peer_certs, version, cipher_suite })
}

/// Runs the TLS step when the negotiation answers allow it, filling `report.tls`.
/// (Owned by the TLS issue; placeholder until it lands.)
pub(crate) async fn run_step(
    _ctx: &mut Ctx<'_>,
    _addr: std::net::SocketAddr,
    _target: &crate::target::Target,
    _report: &mut crate::report::Report,
) {
}
