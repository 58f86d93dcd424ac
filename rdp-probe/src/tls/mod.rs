//! TLS for RDP (MS-RDPBCGR 5.4.5.1: TLS after the X.224 exchange; 5.4.2.2: Direct Approach):
//! a sans-IO ClientHello writer ([`hello`]) that offers exactly one version with a chosen
//! cipher-suite list, a nom parser over raw TLS records and the server's first flight
//! ([`record`]: ServerHello incl. HelloRetryRequest, clear-text Certificate, ServerHelloDone,
//! Alert), the IANA cipher-suite table with a weakness grade ([`suites`]) and the X.509
//! certificate report ([`cert`]).
//!
//! rustls cannot speak TLS 1.0/1.1 (nor CBC/RC4/3DES suites), yet many RDP servers speak only
//! those: with TLS <= 1.2 the Certificate message travels in clear in the server's first
//! flight, so the raw engine here reads version, suite and certificate without finishing the
//! handshake.

pub mod cert;
pub mod hello;
pub mod record;
pub mod suites;

pub use cert::{certificate_report, chain_report};
pub use hello::{version_label, ClientHello, ParsedClientHello, TlsVersion};
pub use record::{decode_record, Alert, Record, ServerFlight, ServerHello};

/// Fuzz entry points (wired by the cargo-fuzz crate): each runs decoders on arbitrary bytes.
#[doc(hidden)]
pub mod fuzz {
    /// Record layer, handshake reassembly, ServerHello/Certificate/Alert, ClientHello decoder.
    pub fn tls_records(data: &[u8]) {
        let mut f = super::ServerFlight::new();
        // Feed in two pieces to exercise reassembly at an arbitrary split.
        let split = data.first().map(|b| usize::from(*b)).unwrap_or(0).min(data.len());
        let (a, b) = data.split_at(split);
        if f.feed(a).is_ok() {
            let _ = f.feed(b);
        }
        if let Some(sh) = &f.server_hello {
            let _ = (sh.version(), sh.alpn(), sh.key_share_group(), sh.is_hello_retry_request());
        }
        let _ = super::record::ServerHello::decode(data);
        let _ = super::record::decode_certificate_tls12(data);
        let _ = super::hello::ParsedClientHello::decode(data);
        let mut i = data;
        while let Ok((_, rest)) = super::decode_record(i) {
            i = rest;
        }
    }

    /// X.509 certificate report (and chain logic on a chain of the certificate with itself).
    pub fn certificate(data: &[u8]) {
        let _ = super::certificate_report(data, 1_700_000_000, Some("host.example"));
        let _ = super::chain_report(&[data.to_vec(), data.to_vec()], 0, Some("127.0.0.1"));
    }
}
