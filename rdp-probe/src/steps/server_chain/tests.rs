//! Windows-shaped Terminal Server licensing chains built here: RSA keys under
//! md5WithRSAEncryption / OIW sha1WithRSASignature SPKI OIDs, 512-bit keys, MD5 and SHA-1
//! signatures, in the SERVER_CERTIFICATE X.509 layout (dwVersion CERT_CHAIN_VERSION_2, optionally
//! with the temporary bit, NumCertBlobs, cbCert + abCert each, padding), decoded the whole way
//! from an SC_SECURITY block through the MCS step's `apply`.

use super::*;
use crate::diagnosis::findings::{analyze, Severity};
use crate::report::{McsReport, Report, Status};
use crate::steps::mcs::{apply, Outcome};
use crate::wire::gcc::{ServerBlocks, ServerCertificate};
use crate::wire::mcs::ConnectResponse;

/// Two 512-bit RSA keys made once with `openssl genrsa 512` (e = 65537): the license server's
/// (A) and the terminal server's (B).
const A_N: &str = "e6ba4f4d5a73743bae15c324525ee405616866c7c3629bfb3af9ec448cb94534c2a1d5d271411548fa04dbeb8857b580a6a6794c8660be37d63e02aab9c75fad";
const A_D: &str = "a9414b23679302553563697f9f9d54904de094653e837c0154463a781ef35a3bf165b030ab2c5a12b36eba27777f3c9dc7590cdb12d941b41734c1cd904f5c81";
const B_N: &str = "b8c84183acfefda2b9ee9f033c0beb9417b24815d7930b9951b219e6dc7395cb8f6ddefe3567d85dd4b6ef1f26f67e331e5c66c7ecd7dc822fecd4d0a3691499";
const B_D: &str = "764b9dc592a6dbf1a55ee265cbb745e5d515c998521e4d3aa65682c68d33621d8b6844e5c9fbde6ff5342b9cd6f6e6f8e167749115911652c3b689fe85969641";

const MD5_RSA: &str = "1.2.840.113549.1.1.4";
const SHA1_RSA: &str = "1.2.840.113549.1.1.5";
const OIW_SHA1_RSA: &str = "1.3.14.3.2.29";
const RSA: &str = "1.2.840.113549.1.1.1";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(body);
    out
}
fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}
fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &a in &arcs[2..] {
        let mut chunk = vec![(a & 0x7f) as u8];
        let mut v = a >> 7;
        while v > 0 {
            chunk.insert(0, 0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        body.extend_from_slice(&chunk);
    }
    tlv(0x06, &body)
}
fn int(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    if v.first().is_some_and(|x| x & 0x80 != 0) {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}
fn alg(o: &str) -> Vec<u8> {
    seq(&[oid(o), vec![0x05, 0x00]])
}
fn name(cn: &str) -> Vec<u8> {
    seq(&[tlv(0x31, &seq(&[oid("2.5.4.3"), tlv(0x13, cn.as_bytes())]))])
}

/// RSASSA-PKCS1-v1_5 signature with the private exponent (what the license server does).
fn sign(n: &str, d: &str, hash: Hash, msg: &[u8]) -> Vec<u8> {
    let n = BigUint::from_bytes_be(&unhex(n));
    let k = n.bits().div_ceil(8) as usize;
    let t = hash.digest_infos(&hash.digest(msg))[0].clone();
    let mut em = vec![0x00, 0x01];
    em.extend(std::iter::repeat_n(0xff, k - t.len() - 3));
    em.push(0);
    em.extend_from_slice(&t);
    let s = BigUint::from_bytes_be(&em).modpow(&BigUint::from_bytes_be(&unhex(d)), &n).to_bytes_be();
    let mut out = vec![0u8; k - s.len()];
    out.extend_from_slice(&s);
    out
}

struct Cert<'a> {
    issuer: &'a str,
    subject: &'a str,
    /// SPKI algorithm OID of the subject's key.
    spki_oid: &'a str,
    subject_n: &'a str,
    /// Signer's key and the signature algorithm.
    signer: (&'a str, &'a str),
    sig_oid: &'a str,
    not_after: &'a str,
}

fn cert(c: &Cert<'_>) -> Vec<u8> {
    let rsa_key = seq(&[int(&unhex(c.subject_n)), int(&[0x01, 0x00, 0x01])]);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&rsa_key);
    let tbs = seq(&[
        tlv(0xa0, &int(&[2])),
        int(&[0x01, 0x9d]),
        alg(c.sig_oid),
        name(c.issuer),
        seq(&[tlv(0x17, b"100101000000Z"), tlv(0x17, c.not_after.as_bytes())]),
        name(c.subject),
        seq(&[alg(c.spki_oid), tlv(0x03, &bits)]),
    ]);
    let hash = Hash::of_signature_oid(c.sig_oid).unwrap();
    let mut sig = vec![0u8];
    sig.extend_from_slice(&sign(c.signer.0, c.signer.1, hash, &tbs));
    seq(&[tbs, alg(c.sig_oid), tlv(0x03, &sig)])
}

/// A Windows-shaped licensing chain: the license server's self-signed certificate (key A,
/// SPKI md5WithRSAEncryption, signed MD5), then the terminal server's (key B, SPKI OIW
/// sha1WithRSASignature, signed SHA-1 by A).
fn windows_chain() -> Vec<Vec<u8>> {
    vec![
        cert(&Cert {
            issuer: "License Server",
            subject: "License Server",
            spki_oid: MD5_RSA,
            subject_n: A_N,
            signer: (A_N, A_D),
            sig_oid: MD5_RSA,
            not_after: "491231235959Z",
        }),
        cert(&Cert {
            issuer: "License Server",
            subject: "TERMSRV01",
            spki_oid: OIW_SHA1_RSA,
            subject_n: B_N,
            signer: (A_N, A_D),
            sig_oid: SHA1_RSA,
            not_after: "491231235959Z",
        }),
    ]
}

/// SERVER_CERTIFICATE (2.2.1.4.3.1) with an X.509 chain: dwVersion 2 (| temporary), the count,
/// each blob with its length, then 8 + 4 * count bytes of padding.
fn cert_blob(chain: &[Vec<u8>], temporary: bool) -> Vec<u8> {
    let mut b = (2u32 | if temporary { 0x8000_0000 } else { 0 }).to_le_bytes().to_vec();
    b.extend_from_slice(&(chain.len() as u32).to_le_bytes());
    for c in chain {
        b.extend_from_slice(&(c.len() as u32).to_le_bytes());
        b.extend_from_slice(c);
    }
    b.extend(std::iter::repeat_n(0, 8 + 4 * chain.len()));
    b
}

/// SC_CORE (RDP 5.0-8.1) and SC_SECURITY (128-bit, Client Compatible, 32-byte random, the
/// certificate) as a Connect Response carries them, through `apply`.
fn mcs_report(blob: &[u8]) -> McsReport {
    let mut user_data = vec![0x01, 0x0c, 0x08, 0x00, 0x04, 0x00, 0x08, 0x00];
    let mut sec = Vec::new();
    sec.extend_from_slice(&2u32.to_le_bytes()); // encryptionMethod 128-bit
    sec.extend_from_slice(&2u32.to_le_bytes()); // encryptionLevel Client Compatible
    sec.extend_from_slice(&32u32.to_le_bytes()); // serverRandomLen
    sec.extend_from_slice(&(blob.len() as u32).to_le_bytes()); // serverCertLen
    sec.extend_from_slice(&[0x5a; 32]);
    sec.extend_from_slice(blob);
    user_data.extend_from_slice(&0x0c02u16.to_le_bytes());
    user_data.extend_from_slice(&((sec.len() + 4) as u16).to_le_bytes());
    user_data.extend_from_slice(&sec);
    let blocks = ServerBlocks::decode(&user_data);
    assert!(blocks.errors.is_empty(), "{:?}", blocks.errors);
    let out = Ok(Outcome::Connected {
        response: Box::new(ConnectResponse {
            result: 0,
            called_connect_id: Some(0),
            domain_parameters: None,
            user_data: None,
        }),
        blocks: Box::new(blocks),
    });
    let mut r = McsReport::default();
    apply(&mut r, &out);
    r
}

fn findings(m: McsReport, probed_at: &str) -> Vec<crate::diagnosis::findings::Finding> {
    let r = Report {
        target: "h".into(),
        status: Status::Rdp,
        mcs: Some(McsReport { transport: Some(crate::report::mcs::Transport::Tcp), ..m }),
        probed_at: Some(probed_at.into()),
        ..Report::default()
    };
    analyze(&r)
}

#[test]
fn rsa_public_key_der() {
    let k = RsaPublic::from_der(&seq(&[int(&unhex(A_N)), int(&[1, 0, 1])])).unwrap();
    assert_eq!((k.bits(), k.exponent_u64()), (512, Some(65537)));
    assert_eq!(k.modulus, unhex(A_N), "sign octet stripped");
    // Trailing bytes, a third integer, wrong tags, truncation, huge lengths: refused.
    let mut trailing = seq(&[int(&[5]), int(&[3])]);
    trailing.push(0);
    assert_eq!(RsaPublic::from_der(&trailing), None);
    assert_eq!(RsaPublic::from_der(&seq(&[int(&[5]), int(&[3]), int(&[1])])), None);
    assert_eq!(RsaPublic::from_der(&seq(&[tlv(0x04, &[5]), int(&[3])])), None);
    assert_eq!(RsaPublic::from_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    assert_eq!(RsaPublic::from_der(&[0x30, 0x85, 1, 0, 0, 0, 0]), None);
    assert_eq!(RsaPublic::from_der(&[]), None);
}

#[test]
fn pkcs1_verification() {
    let k = RsaPublic { modulus: unhex(A_N), exponent: vec![1, 0, 1] };
    for (o, h) in [(MD5_RSA, Hash::Md5), (SHA1_RSA, Hash::Sha1), (OIW_SHA1_RSA, Hash::Sha1)] {
        let sig = sign(A_N, A_D, h, b"message");
        assert_eq!(k.verify(o, b"message", &sig), Some(true), "{o}");
        assert_eq!(k.verify(o, b"massage", &sig), Some(false), "{o}");
    }
    let sig = sign(A_N, A_D, Hash::Md5, b"m");
    assert_eq!(k.verify(SHA1_RSA, b"m", &sig), Some(false), "hash mismatch");
    assert_eq!(k.verify(RSA, b"m", &sig), None, "not a signature algorithm");
    assert_eq!(k.verify(MD5_RSA, b"m", &sig[1..]), Some(false), "short signature");
    let tiny = RsaPublic { modulus: vec![0xff; 16], exponent: vec![3] };
    assert_eq!(tiny.verify(MD5_RSA, b"m", &[0; 16]), None, "128-bit key not judged");
}

/// The Windows shape: keys and names read under the licensing OIDs, both links verified,
/// the leaf's 512-bit key is the server key.
#[test]
fn windows_licensing_chain() {
    let chain = windows_chain();
    let c = ServerCertificate::decode(&cert_blob(&chain, false)).unwrap();
    assert!(!c.temporary);
    let m = mcs_report(&cert_blob(&chain, false));
    let sc = m.server_certificate.as_ref().unwrap();
    assert_eq!(sc.kind, "x509");
    assert_eq!((sc.key_bits, sc.exponent), (Some(512), Some(65537)));
    assert_eq!((sc.leaf_is_server_key, sc.chain_valid), (Some(true), Some(true)));
    let [root, leaf] = &sc.chain[..] else { panic!("{:?}", sc.chain) };
    assert_eq!(root.key_algorithm, "md5WithRSAEncryption");
    assert_eq!(root.key_algorithm_oid, MD5_RSA);
    assert_eq!(leaf.key_algorithm, "sha1WithRSASignature");
    assert_eq!(leaf.key_algorithm_oid, OIW_SHA1_RSA);
    assert_eq!((root.key_bits, leaf.key_bits, leaf.exponent), (Some(512), Some(512), Some(65537)));
    assert_eq!(
        (root.subject.as_str(), leaf.subject.as_str(), leaf.issuer.as_str()),
        ("CN=License Server", "CN=TERMSRV01", "CN=License Server")
    );
    assert!(root.self_issued && !leaf.self_issued);
    assert_eq!(
        (root.signature_valid, leaf.signature_valid, leaf.issued_by_previous),
        (Some(true), Some(true), Some(true))
    );
    assert_eq!(root.signature_algorithm, "md5WithRSAEncryption");
    assert_eq!(leaf.signature_algorithm, "sha1WithRSAEncryption");
    assert_eq!((root.not_before.as_str(), root.not_after.as_str()), ("2010-01-01T00:00:00Z", "2049-12-31T23:59:59Z"));
    // Fingerprints as tls.certificate spells them.
    let tls = crate::steps::tls_cert::certificate_report(&chain[1], 0, None);
    assert_eq!((leaf.sha1.as_str(), leaf.sha256.as_str()), (tls.sha1.as_str(), tls.sha256.as_str()));
    assert_eq!(
        (leaf.not_after.as_str(), leaf.subject.as_str()),
        (tls.not_after.map(|t| t.to_string()).unwrap_or_default().as_str(), tls.subject.as_str())
    );

    let f = findings(m, "2026-11-30T00:00:00Z");
    let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"server-key-weak"), "{ids:?}");
    assert_eq!(f.iter().find(|f| f.id == "server-key-weak").unwrap().severity, Severity::Critical);
    let weak = f.iter().find(|f| f.id == "server-chain-weak-key").unwrap();
    assert!(weak.summary.contains("512-bit") && weak.summary.contains("sha1WithRSAEncryption"), "{}", weak.summary);
    assert!(
        !weak.summary.contains("certificate 1/2 (CN=License Server) is signed with"),
        "a root's self-signature does not count"
    );
    for id in ["server-chain-broken", "server-chain-unverifiable", "server-chain-expired"] {
        assert!(!ids.contains(&id), "{id}: {ids:?}");
    }
}

#[test]
fn broken_links_are_found() {
    let mut chain = windows_chain();
    // The leaf signed by B (its own key), claiming A as issuer: the signature fails.
    chain[1] = cert(&Cert {
        issuer: "License Server",
        subject: "TERMSRV01",
        spki_oid: MD5_RSA,
        subject_n: B_N,
        signer: (B_N, B_D),
        sig_oid: MD5_RSA,
        not_after: "491231235959Z",
    });
    let m = mcs_report(&cert_blob(&chain, true));
    let sc = m.server_certificate.as_ref().unwrap();
    assert!(sc.temporary);
    assert_eq!(sc.chain_valid, Some(false));
    assert_eq!(sc.chain[1].signature_valid, Some(false));
    let f = findings(m, "2026-11-30T00:00:00Z");
    let b = f.iter().find(|f| f.id == "server-chain-broken").unwrap();
    assert_eq!(b.severity, Severity::Critical);
    assert!(b.summary.contains("certificate 2/2 (CN=TERMSRV01)"), "{}", b.summary);
    assert!(b.remedy.contains("X509 Certificate ID") && b.remedy.contains("Terminal Server\\RCM"), "{}", b.remedy);

    // Right signature, wrong issuer name.
    let mut chain = windows_chain();
    chain[1] = cert(&Cert {
        issuer: "Another License Server",
        subject: "TERMSRV01",
        spki_oid: MD5_RSA,
        subject_n: B_N,
        signer: (A_N, A_D),
        sig_oid: MD5_RSA,
        not_after: "491231235959Z",
    });
    let m = mcs_report(&cert_blob(&chain, false));
    assert_eq!(m.server_certificate.as_ref().unwrap().chain[1].issued_by_previous, Some(false));
    assert!(findings(m, "2026-11-30T00:00:00Z").iter().any(|f| f.id == "server-chain-broken"));
}

#[test]
fn expired_and_unverifiable() {
    let mut chain = windows_chain();
    chain[1] = cert(&Cert {
        issuer: "License Server",
        subject: "TERMSRV01",
        spki_oid: MD5_RSA,
        subject_n: B_N,
        signer: (A_N, A_D),
        sig_oid: MD5_RSA,
        not_after: "250101000000Z",
    });
    let m = mcs_report(&cert_blob(&chain, false));
    assert_eq!(m.server_certificate.as_ref().unwrap().chain_valid, Some(true));
    let f = findings(m.clone(), "2026-11-30T00:00:00Z");
    let e = f.iter().find(|f| f.id == "server-chain-expired").unwrap();
    assert!(e.summary.contains("expired 2025-01-01T00:00:00Z"), "{}", e.summary);
    // Judged at the probe date, not today's.
    assert!(!findings(m, "2024-06-01T00:00:00Z").iter().any(|f| f.id == "server-chain-expired"));

    // A chain with garbage in the middle and a non-RSA-signed leaf: unverifiable, not broken.
    let chain = vec![windows_chain()[0].clone(), b"not a certificate".to_vec(), windows_chain()[1].clone()];
    let m = mcs_report(&cert_blob(&chain, false));
    let sc = m.server_certificate.as_ref().unwrap();
    assert_eq!(sc.chain_valid, None);
    assert!(sc.chain[1].error.is_some() && sc.chain[1].sha256.len() == 64);
    assert_eq!(sc.chain[2].signature_valid, None);
    let f = findings(m, "2026-11-30T00:00:00Z");
    assert!(f.iter().any(|f| f.id == "server-chain-unverifiable"), "{f:?}");
    assert!(!f.iter().any(|f| f.id == "server-chain-broken"), "{f:?}");
}

/// MS-RDPBCGR 4.1.4 (a Windows server's Connect Response): the proprietary certificate is
/// untouched by the chain code.
#[test]
fn windows_spec_proprietary_certificate_has_no_chain() {
    let frame = include_bytes!("../../../tests/vectors/mcs/windows-spec/rdpbcgr-4.1.4-server-mcs-connect-response.bin");
    let data = crate::wire::x224::decode_data(frame).unwrap();
    let crate::wire::mcs::ServerMcsPdu::ConnectResponse(cr) = crate::wire::mcs::ServerMcsPdu::decode(data).unwrap()
    else {
        panic!()
    };
    let ccr = crate::wire::gcc::ConferenceCreateResponse::decode(cr.user_data.as_ref().unwrap()).unwrap();
    let blocks = ServerBlocks::decode(&ccr.user_data);
    let out = Ok(Outcome::Connected { response: Box::new(cr), blocks: Box::new(blocks) });
    let mut m = McsReport::default();
    apply(&mut m, &out);
    let sc = m.server_certificate.unwrap();
    assert_eq!((sc.kind.as_str(), sc.key_bits, sc.signature_valid), ("proprietary", Some(512), Some(true)));
    assert!(sc.chain.is_empty() && sc.leaf_is_server_key.is_none() && sc.chain_valid.is_none());
}

/// Any bytes as a chain: no panic, every certificate reported.
#[test]
fn garbage_chains() {
    let mut sc = ServerCertificateReport::default();
    fill(&mut sc, &[vec![], vec![0x30, 0x80], vec![0x30, 0x03, 0x02, 0x01, 0x00]]);
    assert_eq!(sc.chain.len(), 3);
    assert!(sc.chain.iter().all(|c| c.error.is_some()));
    assert_eq!((sc.leaf_is_server_key, sc.chain_valid), (Some(false), None));
    let mut empty = ServerCertificateReport::default();
    fill(&mut empty, &[]);
    assert_eq!((empty.leaf_is_server_key, empty.chain_valid, empty.key_bits), (None, None, None));
}

/// MS-RDPELE 4.1 (Server License Request example): a license server's certificate (CN RODENT,
/// self-signed, OIW sha1WithRSASignature) then the terminal server's (CN ncalrpc:RODENT, its
/// key under the OIW shaWithRSASignature OID 1.3.14.3.2.15), in the X.509 SERVER_CERTIFICATE
/// layout with the temporary bit. The 0x898 bytes were transcribed from the annotated dump as
/// quoted in wallix/redemption src/core/RDP/lic.hpp ("4.1 SERVER LICENCE REQUEST EXCERPT"); the
/// same bytes are the test vectors of Devolutions/IronRDP
/// crates/ironrdp-pdu/src/rdp/server_license/server_license_request/tests.rs. The SHA-1 and
/// SHA-256 below were computed with sha1sum / sha256sum over the DER cut out with openssl.
const RDPELE_4_1: &[u8] = include_bytes!("../../../tests/vectors/windows-spec/rdpele-4.1-server-license-request.bin");

/// The ServerCertificate blob of the MS-RDPELE 4.1 License Request, through the licensing
/// decoder.
fn rdpele_4_1_certificate_blob() -> Vec<u8> {
    use crate::wire::rdp::licensing::{Licensing, LicensingPdu};
    let l = Licensing::decode(RDPELE_4_1).unwrap();
    assert_eq!(l.flags, 0x03); // PREAMBLE_VERSION_3_0, no EXTENDED_ERROR_MSG_SUPPORTED
    let LicensingPdu::LicenseRequest(req) = l.pdu else { panic!("not a License Request") };
    assert_eq!(req.server_random, unhex("84efae20b1d59e36491ae82e0a9989ac49a6474f339b5ab99503a6c6c23c3f61"));
    assert_eq!(req.product_version, 0x0006_0000);
    assert_eq!(req.company_name, "Microsoft Corporation");
    assert_eq!(req.product_id, "A02");
    assert_eq!((req.key_exchange_list.blob_type, req.key_exchange_list.data.as_slice()), (0x0d, &[1, 0, 0, 0][..]));
    assert_eq!((req.server_certificate.blob_type, req.server_certificate.data.len()), (0x03, 0x812));
    assert_eq!(req.scopes, ["microsoft.com"]);
    req.server_certificate.data
}

#[test]
fn rdpele_4_1_license_request_chain() {
    let blob = rdpele_4_1_certificate_blob();
    let cert = ServerCertificate::decode(&blob).unwrap();
    assert_eq!((cert.dw_version, cert.temporary), (0x8000_0002, true));
    let crate::wire::gcc::CertificateKind::X509Chain(certs) = &cert.kind else { panic!("not a chain") };
    assert_eq!(certs.iter().map(Vec::len).collect::<Vec<_>>(), [757, 1277]);

    let mut sc = ServerCertificateReport::from_certificate(&cert);
    fill(&mut sc, certs);
    assert_eq!((sc.kind.as_str(), sc.dw_version, sc.temporary), ("x509", 0x8000_0002, true));
    // The leaf's 2048-bit key under 1.3.14.3.2.15 is the server key; both links verify.
    assert_eq!(
        (sc.key_bits, sc.exponent, sc.leaf_is_server_key, sc.chain_valid),
        (Some(2048), Some(65537), Some(true), Some(true))
    );
    assert_eq!(sc.error, None);

    let [root, leaf] = &sc.chain[..] else { panic!("{:?}", sc.chain) };
    assert_eq!(root.error, None);
    assert!(root.subject.contains("RODENT") && root.subject.contains("WORKGROUP"), "{}", root.subject);
    assert_eq!(root.issuer, root.subject);
    assert!(root.self_issued);
    assert_eq!((root.key_algorithm.as_str(), root.key_algorithm_oid.as_str()), ("rsaEncryption", RSA));
    assert_eq!((root.key_type.as_deref(), root.key_bits, root.exponent), (Some("rsa"), Some(2048), Some(65537)));
    assert_eq!(root.signature_algorithm, "sha1WithRSASignature");
    assert_eq!((root.not_before.as_str(), root.not_after.as_str()), ("1970-05-27T01:11:03Z", "2049-05-27T01:11:03Z"));
    assert_eq!((root.issued_by_previous, root.signature_valid), (None, Some(true)));
    assert_eq!(root.signature_check.as_deref(), Some("self-signed: verified with its own key"));
    assert_eq!(root.sha1, "AD68B89DCF6ECD8281FA935A87197F157F2E2DB1");
    assert_eq!(root.sha256, "CD542ED6E65D3B9F3533AC700A9BF3FDB2202E7A40CBE70B2FA7F5438F238EE3");

    assert_eq!(leaf.error, None);
    assert!(leaf.subject.contains("ncalrpc:RODENT"), "{}", leaf.subject);
    assert_eq!(leaf.issuer, root.subject);
    assert!(!leaf.self_issued);
    assert_eq!(
        (leaf.key_algorithm.as_str(), leaf.key_algorithm_oid.as_str()),
        ("shaWithRSASignature", "1.3.14.3.2.15")
    );
    assert_eq!((leaf.key_type.as_deref(), leaf.key_bits, leaf.exponent), (Some("rsa"), Some(2048), Some(65537)));
    assert_eq!(leaf.signature_algorithm, "sha1WithRSASignature");
    assert_eq!((leaf.not_before.as_str(), leaf.not_after.as_str()), ("2007-05-26T12:45:53Z", "2038-01-19T03:14:07Z"));
    assert_eq!((leaf.issued_by_previous, leaf.signature_valid), (Some(true), Some(true)));
    assert_eq!(leaf.signature_check.as_deref(), Some("verified with the previous certificate's key"));
    assert_eq!(leaf.sha1, "2BF0F97435522CA468BCEA60C7FA060B7AC2F492");
    assert_eq!(leaf.sha256, "DB73AFD5090404F064F1A9AD474FDA4A5AA1F0D1DF936FEB51DA501EBA702AAF");

    // One bit of the leaf's TBS changed (a byte of its modulus): the link no longer verifies.
    let mut bad = certs.clone();
    let at = bad[1].windows(3).position(|w| w == [0xc8, 0x90, 0x6b]).unwrap();
    bad[1][at + 1] ^= 1;
    let mut sc = ServerCertificateReport::default();
    fill(&mut sc, &bad);
    assert_eq!((sc.chain[1].signature_valid, sc.chain_valid), (Some(false), Some(false)));
}

/// The same chain as a Windows server sends it in SC_SECURITY (MS-RDPBCGR 5.3.3.2: the
/// licensing chain replaces the proprietary certificate once the server is activated), through
/// wire/gcc and the MCS step: a 2048-bit server key, a valid chain; the only chain finding is
/// the leaf's SHA-1 signature, until the leaf expires (2038-01-19).
#[test]
fn rdpele_4_1_chain_in_sc_security() {
    let m = mcs_report(&rdpele_4_1_certificate_blob());
    let sc = m.server_certificate.as_ref().unwrap();
    assert_eq!((sc.kind.as_str(), sc.temporary), ("x509", true));
    assert_eq!(
        (sc.key_bits, sc.exponent, sc.chain_valid, sc.leaf_is_server_key),
        (Some(2048), Some(65537), Some(true), Some(true))
    );
    assert_eq!(sc.chain.len(), 2);
    let f = findings(m.clone(), "2026-11-30T00:00:00Z");
    let chain_ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).filter(|id| id.starts_with("server-chain")).collect();
    assert_eq!(chain_ids, ["server-chain-weak-key"], "{f:?}");
    let weak = f.iter().find(|f| f.id == "server-chain-weak-key").unwrap();
    assert!(weak.summary.contains("sha1WithRSASignature"), "{}", weak.summary);
    // Judged in 2039, past the leaf's notAfter: expired.
    let f = findings(m, "2039-01-01T00:00:00Z");
    assert!(f.iter().any(|f| f.id == "server-chain-expired"), "{f:?}");
}

/// MS-RDPBCGR 4.1.4's proprietary certificate, field by field, and its signature under the
/// Terminal Services signing key (5.3.3.1.1): verified with the public exponent, and reproduced
/// exactly by signing the certificate's first six fields with the published private exponent
/// (5.3.3.1.2: MD5 hash, 0x00, 0xFF x 45, 0x01, little-endian RSA).
#[test]
fn rdpbcgr_4_1_4_proprietary_certificate_fields_and_tssk_signature() {
    use crate::wire::gcc::{CertificateKind, TSSK_EXPONENT, TSSK_MODULUS};
    let frame = include_bytes!("../../../tests/vectors/mcs/windows-spec/rdpbcgr-4.1.4-server-mcs-connect-response.bin");
    let data = crate::wire::x224::decode_data(frame).unwrap();
    let crate::wire::mcs::ServerMcsPdu::ConnectResponse(cr) = crate::wire::mcs::ServerMcsPdu::decode(data).unwrap()
    else {
        panic!()
    };
    let ccr = crate::wire::gcc::ConferenceCreateResponse::decode(cr.user_data.as_ref().unwrap()).unwrap();
    let blocks = ServerBlocks::decode(&ccr.user_data);
    let sec = blocks.security.clone().unwrap();
    assert_eq!((sec.encryption_method, sec.encryption_level), (2, 2));
    assert_eq!((sec.server_random_len, sec.server_cert_len), (Some(32), Some(184)));
    let cert = sec.server_certificate.clone().unwrap().unwrap();
    assert_eq!((cert.dw_version, cert.temporary), (1, false));
    let CertificateKind::Proprietary(p) = &cert.kind else { panic!("not proprietary") };
    assert_eq!((p.sig_alg_id, p.key_alg_id, p.public_key_blob_type, p.signature_blob_type), (1, 1, 6, 8));
    let key = p.public_key.clone().unwrap();
    assert_eq!((key.magic, key.keylen, key.bitlen, key.datalen, key.pub_exp), (0x3141_5352, 0x48, 512, 0x3f, 65537));
    // The modulus as the annotation lists it (little-endian, 8 zero bytes of padding).
    assert_eq!(
        key.modulus,
        unhex(
            "cb81feba6d61c35505d55f2e87f87194d6f1a5cbf15f0c3df8700296c4fb9bc83c2d55aee8ff3275ea6879e5a201fd31a0b11f55a61fc1f6d18388632656 12bc0000000000000000"
                .replace(' ', "")
                .as_str()
        )
    );
    assert_eq!(key.modulus_bits(), 512);
    assert_eq!(p.signed_data.len(), 4 + 4 + 4 + 2 + 2 + 0x5c);
    assert_eq!(p.signature.len(), 72);
    assert_eq!(&p.signature[64..], &[0; 8]);
    assert!(p.signature_valid());

    // 5.3.3.1.1: d (little-endian) as published with the signing key, quoted in FreeRDP's
    // libfreerdp/core/gcc.c (tssk_privateExponent).
    let d = unhex(
        "87a71932da118755580016162565 68f8243ee6fae9674994cf92cc3399e80860179a129f24ddb12499c73ab80a7b0ddd350779170b519bb3c7100113e73ff35f"
            .replace(' ', "")
            .as_str(),
    );
    let n = BigUint::from_bytes_le(&TSSK_MODULUS);
    let d = BigUint::from_bytes_le(&d);
    let e = BigUint::from(TSSK_EXPONENT);
    // e and d are a pair for n: m^(e*d) = m.
    let m = BigUint::from(0x1234_5678_9abc_def0u64);
    assert_eq!(m.modpow(&e, &n).modpow(&d, &n), m);
    // Sign: MD5(signed data) || 0x00 || 0xFF x 45 || 0x01 as a little-endian number, ^d mod n.
    let mut block = md5::Md5::digest(&p.signed_data).to_vec();
    block.push(0x00);
    block.extend(std::iter::repeat_n(0xff, 45));
    block.push(0x01);
    assert_eq!(block.len(), 63);
    let mut sig = BigUint::from_bytes_le(&block).modpow(&d, &n).to_bytes_le();
    sig.resize(64, 0);
    assert_eq!(sig, p.signature[..64], "the spec's SignatureBlob is the TSSK signature of its first six fields");

    // The report of the MCS step says the same.
    let out = Ok(Outcome::Connected { response: Box::new(cr), blocks: Box::new(blocks) });
    let mut m = McsReport::default();
    apply(&mut m, &out);
    let sc = m.server_certificate.clone().unwrap();
    assert_eq!(
        (sc.kind.as_str(), sc.dw_version, sc.temporary, sc.key_bits, sc.exponent),
        ("proprietary", 1, false, Some(512), Some(65537))
    );
    assert_eq!((sc.signature_valid, sc.claimed_bitlen, sc.magic_ok), (Some(true), Some(512), Some(true)));
    // A 512-bit Standard RDP Security key: critical.
    let f = findings(m, "2026-11-30T00:00:00Z");
    let weak = f.iter().find(|f| f.id == "server-key-weak").unwrap_or_else(|| panic!("{f:?}"));
    assert_eq!(weak.severity, Severity::Critical);
    assert!(!f.iter().any(|f| f.id.as_str().starts_with("server-chain")), "{f:?}");
}
