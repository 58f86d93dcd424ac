//! TLS for RDP (MS-RDPBCGR 5.4.5.1: TLS after the X.224 exchange; 5.4.2.2: Direct Approach):
//! a sans-IO ClientHello writer ([`hello`]) that offers exactly one version with a chosen
//! cipher-suite list, a nom parser over raw TLS records and the server's first flight
//! ([`record`]: ServerHello incl. HelloRetryRequest, clear-text Certificate, ServerHelloDone,
//! Alert), the IANA cipher-suite table with a weakness grade ([`suites`]) and the classifier of
//! non-TLS answers where a ServerHello was due ([`not_tls`]). The certificate report and the
//! signature checks are in [`crate::steps`].
//!
//! rustls cannot speak TLS 1.0/1.1 (nor CBC/RC4/3DES suites), yet many RDP servers speak only
//! those: with TLS <= 1.2 the Certificate message travels in clear in the server's first
//! flight, so the raw engine here reads version, suite and certificate without finishing the
//! handshake.

pub mod hello;
pub mod not_tls;
pub mod record;
pub mod suites;

pub use hello::{version_label, ClientHello, OfferedVersion, ParsedClientHello};
pub use record::{decode_record, Alert, Record, ServerFlight, ServerHello};

#[cfg(test)]
mod tests {
    use super::*;

    /// xrdp 0.9.21, `ssl_protocols=TLSv1.1`, captured (shared/captures/xrdp-tls-legacy-33900):
    /// ServerHello (TLS 1.1), Certificate, ServerKeyExchange, ServerHelloDone, then a
    /// NewSessionTicket of the next flight, each in its own record.
    const LEGACY: &[u8] = include_bytes!("../../../tests/vectors/tls/xrdp-tls-legacy-33900-server-flight.bin");
    /// xrdp and FreeRDP shadow, TLS 1.3: ServerHello, then only encrypted records.
    const XRDP13: &[u8] = include_bytes!("../../../tests/vectors/tls/xrdp-tls-chain-33906-server-hello-tls13.bin");
    const SHADOW13: &[u8] = include_bytes!("../../../tests/vectors/tls/shadow-tls-33911-server-hello-tls13.bin");

    #[test]
    fn captured_tls11_flight_with_certificate() {
        let mut f = ServerFlight::new();
        f.feed(LEGACY).unwrap();
        assert!(f.done);
        assert_eq!(f.messages, vec![2, 11, 12, 14]); // stops at ServerHelloDone
        let sh = f.server_hello.as_ref().unwrap();
        assert_eq!((sh.version(), sh.cipher_suite), (0x0302, 0xc014)); // ECDHE_RSA_WITH_AES_256_CBC_SHA
        assert_eq!(f.certificates.len(), 1);
        let c = crate::steps::tls_cert::certificate_report(&f.certificates[0], 1_800_000_000, Some("rdp-target.test"));
        // Values from `openssl x509 -inform der -noout -fingerprint -sha256 -subject -serial -dates`.
        assert_eq!(c.sha256, "870F003F4ACC2D0AF4953057C903FB6CC9AC224B2DE76D5807D2D7EA7CE7C50C");
        assert_eq!(c.subject, "O=RDP Probe Test, CN=rdp-target.test");
        assert_eq!(c.serial, "1001");
        let dates = (c.not_before.unwrap().to_string(), c.not_after.unwrap().to_string());
        assert_eq!(dates, ("2025-01-01T00:00:00Z".into(), "2035-01-01T00:00:00Z".into()));
        assert_eq!((c.key_type.as_str(), c.key_bits), ("rsa", Some(2048)));
        assert_eq!(c.signature_algorithm, "sha256WithRSAEncryption");
        assert_eq!(c.hostname_match, Some(true));
        // Every split point gives the same result.
        for cut in [1, 5, 74, 100, 1000] {
            let mut g = ServerFlight::new();
            g.feed(&LEGACY[..cut]).unwrap();
            g.feed(&LEGACY[cut..]).unwrap();
            assert_eq!(g.certificates, f.certificates);
        }
    }

    #[test]
    fn captured_tls13_server_hellos() {
        for v in [XRDP13, SHADOW13] {
            let mut f = ServerFlight::new();
            f.feed(v).unwrap();
            let sh = f.server_hello.as_ref().unwrap();
            assert_eq!((sh.legacy_version, sh.version()), (0x0303, 0x0304));
            assert!(suites::is_tls13_suite(sh.cipher_suite));
            assert!(!sh.is_hello_retry_request());
            assert!(sh.key_share_group().is_some());
            assert!(f.encrypted && f.certificates.is_empty());
        }
    }
}
