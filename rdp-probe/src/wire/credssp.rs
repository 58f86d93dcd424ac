//! CredSSP (MS-CSSP): the TSRequest DER structure (2.2.1), the pubKeyAuth binding of the TLS
//! key (3.1.5), and NTSTATUS names for the errors servers return in TSRequest.errorCode.
//!
//! ```text
//! TSRequest ::= SEQUENCE {
//!     version    [0] INTEGER,
//!     negoTokens [1] NegoData  OPTIONAL,   -- SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING }
//!     authInfo   [2] OCTET STRING OPTIONAL,
//!     pubKeyAuth [3] OCTET STRING OPTIONAL,
//!     errorCode  [4] INTEGER OPTIONAL,     -- v3+
//!     clientNonce [5] OCTET STRING OPTIONAL -- v5+
//! }
//! ```
//!
//! DER lengths are strict: definite form only, at most 4 length octets, checked against the
//! bytes present and [`MAX_TS_REQUEST_LEN`]; nothing is allocated from a length field.

use crate::wire::codec::DecodeError;
use sha2::{Digest, Sha256};

/// The largest TSRequest we accept (NTLM needs < 2 KiB; Kerberos tickets stay far below this).
pub const MAX_TS_REQUEST_LEN: usize = 0x4_0000;
/// The CredSSP version we announce (MS-CSSP 2.2.1: 6 is the current one).
pub const CLIENT_VERSION: u32 = 6;
/// "CredSSP Client-To-Server Binding Hash\0" (3.1.5, v5+).
pub const CLIENT_SERVER_HASH_MAGIC: &[u8] = b"CredSSP Client-To-Server Binding Hash\0";
/// "CredSSP Server-To-Client Binding Hash\0" (3.1.5, v5+).
pub const SERVER_CLIENT_HASH_MAGIC: &[u8] = b"CredSSP Server-To-Client Binding Hash\0";

const PDU: &str = "CredSSP TSRequest";

/// DER tag SEQUENCE.
const TAG_SEQUENCE: u8 = 0x30;
const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;

/// TSRequest (MS-CSSP 2.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TsRequest {
    /// version `[0]`.
    pub version: u32,
    /// negoTokens `[1]`: each negoToken `[0]` OCTET STRING (SPNEGO or raw NTLM messages).
    pub nego_tokens: Vec<Vec<u8>>,
    /// authInfo `[2]`: encrypted TSCredentials.
    pub auth_info: Option<Vec<u8>>,
    /// pubKeyAuth `[3]`: encrypted public key or its hash.
    pub pub_key_auth: Option<Vec<u8>>,
    /// errorCode `[4]`: an NTSTATUS (v3+).
    pub error_code: Option<u32>,
    /// clientNonce `[5]`: 32 bytes (v5+).
    pub client_nonce: Option<Vec<u8>>,
    /// Context tags we do not know, kept (tag number, raw content).
    pub unknown: Vec<(u8, Vec<u8>)>,
}

/// One DER TLV: (tag, content, rest).
fn tlv<'a>(i: &'a [u8], field: &'static str) -> Result<(u8, &'a [u8], &'a [u8]), DecodeError> {
    let (hdr, len) = header(i, field)?.ok_or(DecodeError::truncated(PDU, field))?;
    let rest = i.get(hdr..).ok_or(DecodeError::truncated(PDU, field))?;
    let (rest, content) = crate::wire::codec::take_len(rest, len, MAX_TS_REQUEST_LEN, PDU, field)?;
    let tag = i.first().copied().ok_or(DecodeError::truncated(PDU, field))?;
    Ok((tag, content, rest))
}

/// Parses a DER header: `Ok(None)` when more bytes are needed, else (header length, content
/// length). Strict: definite lengths only, 1-4 length octets, no length above the maximum.
fn header(i: &[u8], field: &'static str) -> Result<Option<(usize, usize)>, DecodeError> {
    let (Some(_tag), Some(&l0)) = (i.first(), i.get(1)) else { return Ok(None) };
    if l0 < 0x80 {
        return Ok(Some((2, usize::from(l0))));
    }
    let n = usize::from(l0 & 0x7F);
    if n == 0 || n > 4 {
        // 0x80 is the BER indefinite form, not DER; more than 4 octets is never sane here.
        return Err(DecodeError::invalid(PDU, field, l0.into()));
    }
    let Some(octets) = i.get(2..2 + n) else { return Ok(None) };
    let len = octets.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
    if len > MAX_TS_REQUEST_LEN {
        return Err(DecodeError::length(PDU, field, len, MAX_TS_REQUEST_LEN));
    }
    Ok(Some((2 + n, len)))
}

/// For stream framing: given the first bytes of a TSRequest, the total length of the TLV
/// (header + content), or `Ok(None)` when the header is not complete yet. Rejects a first byte
/// that is not SEQUENCE and lengths above [`MAX_TS_REQUEST_LEN`].
pub fn frame_len(head: &[u8]) -> Result<Option<usize>, DecodeError> {
    if let Some(&t) = head.first() {
        if t != TAG_SEQUENCE {
            return Err(DecodeError::invalid(PDU, "SEQUENCE", t.into()));
        }
    }
    Ok(header(head, "length")?.map(|(h, l)| h + l))
}

fn expect<'a>(i: &'a [u8], tag: u8, field: &'static str) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    let (t, content, rest) = tlv(i, field)?;
    if t != tag {
        return Err(DecodeError::invalid(PDU, field, t.into()));
    }
    Ok((content, rest))
}

/// A DER INTEGER read as u32: up to 4 value bytes after an optional leading 0x00 (so both
/// `02 04 c0 00 00 6d` and `02 05 00 c0 00 00 6d` give 0xC000006D, as servers vary).
fn integer(content: &[u8], field: &'static str) -> Result<u32, DecodeError> {
    let v = match content {
        [] => return Err(DecodeError::truncated(PDU, field)),
        [0, rest @ ..] if !rest.is_empty() => rest,
        b => b,
    };
    if v.len() > 4 {
        return Err(DecodeError::length(PDU, field, v.len(), 4));
    }
    Ok(v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

impl TsRequest {
    /// Decodes one TSRequest; bytes after it are an error.
    pub fn decode(b: &[u8]) -> Result<TsRequest, DecodeError> {
        let (seq, rest) = expect(b, TAG_SEQUENCE, "TSRequest")?;
        if !rest.is_empty() {
            return Err(DecodeError::trailing(PDU, "TSRequest", rest.len()));
        }
        let mut r = TsRequest::default();
        let mut i = seq;
        let mut seen_version = false;
        while !i.is_empty() {
            let (t, content, rest) = tlv(i, "field")?;
            i = rest;
            match t {
                0xA0 => {
                    let (c, _) = expect(content, TAG_INTEGER, "version")?;
                    r.version = integer(c, "version")?;
                    seen_version = true;
                }
                0xA1 => {
                    let (mut items, _) = expect(content, TAG_SEQUENCE, "negoTokens")?;
                    while !items.is_empty() {
                        let (item, rest) = expect(items, TAG_SEQUENCE, "NegoDataItem")?;
                        items = rest;
                        let (tok, _) = expect(item, 0xA0, "negoToken")?;
                        let (octets, _) = expect(tok, TAG_OCTET_STRING, "negoToken")?;
                        r.nego_tokens.push(octets.to_vec());
                    }
                }
                0xA2 => r.auth_info = Some(expect(content, TAG_OCTET_STRING, "authInfo")?.0.to_vec()),
                0xA3 => r.pub_key_auth = Some(expect(content, TAG_OCTET_STRING, "pubKeyAuth")?.0.to_vec()),
                0xA4 => {
                    let (c, _) = expect(content, TAG_INTEGER, "errorCode")?;
                    r.error_code = Some(integer(c, "errorCode")?);
                }
                0xA5 => r.client_nonce = Some(expect(content, TAG_OCTET_STRING, "clientNonce")?.0.to_vec()),
                other => r.unknown.push((other, content.to_vec())),
            }
        }
        if !seen_version {
            return Err(DecodeError::truncated(PDU, "version"));
        }
        Ok(r)
    }

    /// DER encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(ctx_tag(0, &der(TAG_INTEGER, &int_bytes(self.version))));
        if !self.nego_tokens.is_empty() {
            let mut items = Vec::new();
            for t in &self.nego_tokens {
                items.extend(der(TAG_SEQUENCE, &ctx_tag(0, &der(TAG_OCTET_STRING, t))));
            }
            body.extend(ctx_tag(1, &der(TAG_SEQUENCE, &items)));
        }
        if let Some(a) = &self.auth_info {
            body.extend(ctx_tag(2, &der(TAG_OCTET_STRING, a)));
        }
        if let Some(p) = &self.pub_key_auth {
            body.extend(ctx_tag(3, &der(TAG_OCTET_STRING, p)));
        }
        if let Some(e) = self.error_code {
            body.extend(ctx_tag(4, &der(TAG_INTEGER, &int_bytes(e))));
        }
        if let Some(n) = &self.client_nonce {
            body.extend(ctx_tag(5, &der(TAG_OCTET_STRING, n)));
        }
        der(TAG_SEQUENCE, &body)
    }
}

/// TSCredentials (MS-CSSP 2.2.1.2) with TSPasswordCreds (2.2.1.2.1, credType 1): domain, user
/// and password as UTF-16LE OCTET STRINGs. This is the password in the clear (before sealing):
/// only ever built when the caller chose to delegate credentials.
pub fn encode_ts_credentials(domain: &str, user: &str, password: &str) -> Vec<u8> {
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let mut creds = Vec::new();
    creds.extend(ctx_tag(0, &der(TAG_OCTET_STRING, &utf16(domain))));
    creds.extend(ctx_tag(1, &der(TAG_OCTET_STRING, &utf16(user))));
    creds.extend(ctx_tag(2, &der(TAG_OCTET_STRING, &utf16(password))));
    let password_creds = der(TAG_SEQUENCE, &creds);
    let mut body = ctx_tag(0, &der(TAG_INTEGER, &int_bytes(1)));
    body.extend(ctx_tag(1, &der(TAG_OCTET_STRING, &password_creds)));
    der(TAG_SEQUENCE, &body)
}

/// Minimal two's-complement DER INTEGER bytes of a non-negative value.
fn int_bytes(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take(3).take_while(|&&x| x == 0).count();
    let mut out: Vec<u8> = b.get(skip..).unwrap_or(&b).to_vec();
    if out.first().is_some_and(|&x| x & 0x80 != 0) {
        out.insert(0, 0);
    }
    out
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let b = (n as u32).to_be_bytes();
        let skip = b.iter().take_while(|&&x| x == 0).count();
        let lb = b.get(skip..).unwrap_or(&b);
        out.push(0x80 | lb.len() as u8);
        out.extend_from_slice(lb);
    }
    out.extend_from_slice(content);
    out
}

fn ctx_tag(n: u8, content: &[u8]) -> Vec<u8> {
    der(0xA0 | n, content)
}

/// What the client seals into pubKeyAuth (MS-CSSP 3.1.5): for versions 2-4 the server's
/// SubjectPublicKey (BIT STRING contents without the unused-bits octet); for 5 and above
/// SHA256("CredSSP Client-To-Server Binding Hash\0" + clientNonce + SubjectPublicKey).
pub fn client_pub_key_auth(version: u32, nonce: &[u8], subject_public_key: &[u8]) -> Vec<u8> {
    if version >= 5 {
        let mut h = Sha256::new();
        h.update(CLIENT_SERVER_HASH_MAGIC);
        h.update(nonce);
        h.update(subject_public_key);
        h.finalize().to_vec()
    } else {
        subject_public_key.to_vec()
    }
}

/// What the server's (unsealed) pubKeyAuth must be: versions 2-4 the key with its first byte
/// incremented by one; 5+ SHA256("CredSSP Server-To-Client Binding Hash\0" + nonce + key).
pub fn expected_server_pub_key_auth(version: u32, nonce: &[u8], subject_public_key: &[u8]) -> Vec<u8> {
    if version >= 5 {
        let mut h = Sha256::new();
        h.update(SERVER_CLIENT_HASH_MAGIC);
        h.update(nonce);
        h.update(subject_public_key);
        h.finalize().to_vec()
    } else {
        let mut k = subject_public_key.to_vec();
        if let Some(b) = k.first_mut() {
            *b = b.wrapping_add(1);
        }
        k
    }
}

/// The SubjectPublicKey BIT STRING contents of a DER certificate (without the unused-bits
/// octet): what CredSSP binds (sspi-rs #651: not the whole cert, not the SPKI).
pub fn subject_public_key(cert_der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    Some(cert.tbs_certificate.subject_pki.subject_public_key.data.to_vec())
}

/// An NTSTATUS a server may return in errorCode, with its meaning and remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtStatusInfo {
    /// The code.
    pub code: u32,
    /// The symbolic name, e.g. "STATUS_LOGON_FAILURE".
    pub name: &'static str,
    /// Short status for reports, lower snake case, e.g. "wrong_password_or_unknown_user".
    pub status: &'static str,
    /// What it means and what to do.
    pub remedy: &'static str,
}

const NTSTATUS: &[NtStatusInfo] = &[
    NtStatusInfo { code: 0x0000_0000, name: "STATUS_SUCCESS", status: "success", remedy: "" },
    NtStatusInfo {
        code: 0xC000_006D,
        name: "STATUS_LOGON_FAILURE",
        status: "wrong_password_or_unknown_user",
        remedy: "the user name or password is wrong (or the account does not exist): check both, and the domain",
    },
    NtStatusInfo {
        code: 0xC000_006A,
        name: "STATUS_WRONG_PASSWORD",
        status: "wrong_password",
        remedy: "the password is wrong: repeated attempts may lock the account",
    },
    NtStatusInfo {
        code: 0xC000_0064,
        name: "STATUS_NO_SUCH_USER",
        status: "unknown_user",
        remedy: "no such user on the server or domain: check the user name and the domain part",
    },
    NtStatusInfo {
        code: 0xC000_0234,
        name: "STATUS_ACCOUNT_LOCKED_OUT",
        status: "account_locked",
        remedy: "the account is locked out: wait for the lockout duration or have an admin unlock it",
    },
    NtStatusInfo {
        code: 0xC000_0072,
        name: "STATUS_ACCOUNT_DISABLED",
        status: "account_disabled",
        remedy: "the account is disabled: an admin must enable it",
    },
    NtStatusInfo {
        code: 0xC000_0193,
        name: "STATUS_ACCOUNT_EXPIRED",
        status: "account_expired",
        remedy: "the account has expired: an admin must extend its expiry date",
    },
    NtStatusInfo {
        code: 0xC000_0071,
        name: "STATUS_PASSWORD_EXPIRED",
        status: "password_expired",
        remedy: "the password has expired: change it (NLA cannot; log on without NLA or use another channel)",
    },
    NtStatusInfo {
        code: 0xC000_0224,
        name: "STATUS_PASSWORD_MUST_CHANGE",
        status: "password_must_change",
        remedy: "the password must be changed at next logon: change it first (NLA cannot prompt for it)",
    },
    NtStatusInfo {
        code: 0xC000_006F,
        name: "STATUS_INVALID_LOGON_HOURS",
        status: "logon_hours",
        remedy: "logon is not allowed at this time (account logon hours)",
    },
    NtStatusInfo {
        code: 0xC000_0070,
        name: "STATUS_INVALID_WORKSTATION",
        status: "workstation_restriction",
        remedy: "the account may not log on from this workstation (Log On To... restriction)",
    },
    NtStatusInfo {
        code: 0xC000_015B,
        name: "STATUS_LOGON_TYPE_NOT_GRANTED",
        status: "logon_type_not_granted",
        remedy: "the user lacks the logon right: add to Remote Desktop Users / 'Allow log on through Remote Desktop Services', check Deny rights",
    },
    NtStatusInfo {
        code: 0xC000_006E,
        name: "STATUS_ACCOUNT_RESTRICTION",
        status: "account_restriction",
        remedy: "account restriction (often a blank password, which is refused over the network)",
    },
    NtStatusInfo {
        code: 0xC000_0413,
        name: "STATUS_AUTHENTICATION_FIREWALL_FAILED",
        status: "authentication_firewall",
        remedy: "selective authentication across a trust refuses this user on this computer",
    },
    NtStatusInfo {
        code: 0xC000_005E,
        name: "STATUS_NO_LOGON_SERVERS",
        status: "no_logon_servers",
        remedy: "the server cannot reach a domain controller to check the credentials",
    },
    NtStatusInfo {
        code: 0xC000_018D,
        name: "STATUS_TRUSTED_RELATIONSHIP_FAILURE",
        status: "trust_failure",
        remedy: "the server's trust with its domain is broken (re-join it to the domain)",
    },
    NtStatusInfo {
        code: 0xC000_0022,
        name: "STATUS_ACCESS_DENIED",
        status: "access_denied",
        remedy: "access denied by the server",
    },
    NtStatusInfo {
        code: 0xC000_0133,
        name: "STATUS_TIME_DIFFERENCE_AT_DC",
        status: "clock_skew",
        remedy: "clocks differ too much: fix time synchronisation",
    },
    NtStatusInfo {
        code: 0x8009_0302,
        name: "SEC_E_UNSUPPORTED_FUNCTION",
        status: "unsupported_function",
        remedy: "the server refused the security package or CredSSP version (CredSSP encryption oracle policy?)",
    },
    NtStatusInfo {
        code: 0x8009_030C,
        name: "SEC_E_LOGON_DENIED",
        status: "logon_denied",
        remedy: "the logon was denied: check user name and password",
    },
    NtStatusInfo {
        code: 0x8009_0308,
        name: "SEC_E_INVALID_TOKEN",
        status: "invalid_token",
        remedy: "the server could not read our NTLM token",
    },
    NtStatusInfo {
        code: 0x8009_0311,
        name: "SEC_E_NO_AUTHENTICATING_AUTHORITY",
        status: "no_authenticating_authority",
        remedy: "no authority could be contacted for authentication (domain controller unreachable)",
    },
    NtStatusInfo {
        code: 0x8009_0322,
        name: "SEC_E_WRONG_PRINCIPAL",
        status: "wrong_principal",
        remedy: "the target principal name is incorrect",
    },
];

/// Meaning of an NTSTATUS (or SSPI SEC_E_) code, if it is one of those servers return in
/// TSRequest.errorCode.
pub fn ntstatus(code: u32) -> Option<&'static NtStatusInfo> {
    NTSTATUS.iter().find(|s| s.code == code)
}

/// The NTSTATUS symbolic name, or `0x........` for codes we do not know.
pub fn ntstatus_name(code: u32) -> String {
    ntstatus(code).map(|s| s.name.to_string()).unwrap_or_else(|| format!("{code:#010x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn captured_server_tsrequest() {
        let b = vector("shadow-nla-credssp-tsrequest-server.bin");
        assert_eq!(frame_len(&b[..2]).unwrap(), None); // 30 82 .. needs 2 more octets
        assert_eq!(frame_len(&b[..4]).unwrap(), Some(b.len()));
        let r = TsRequest::decode(&b).unwrap();
        assert_eq!(r.version, 6);
        assert_eq!(r.nego_tokens.len(), 1);
        assert_eq!(r.nego_tokens[0], vector("shadow-nla-ntlm-challenge.bin"));
        assert_eq!(r.client_nonce.as_ref().map(Vec::len), Some(32)); // FreeRDP echoes a nonce
        assert_eq!(r.error_code, None);
        // DER is canonical: re-encoding gives the same bytes.
        assert_eq!(r.encode(), b);
    }

    #[test]
    fn captured_client_negotiate_round_trip() {
        for name in [
            "shadow-nla-credssp-tsrequest-client-negotiate.bin",
            "shadow-negotiate-credssp-tsrequest-client-negotiate.bin",
            "shadow-tls-nla-credssp-tsrequest-client-negotiate.bin",
        ] {
            let b = vector(name);
            let r = TsRequest::decode(&b).unwrap();
            assert_eq!(r.version, 6);
            assert_eq!(r.encode(), b, "{name}");
        }
        // Ours is byte-identical to xfreerdp's first TSRequest.
        let ours = TsRequest {
            version: 6,
            nego_tokens: vec![crate::wire::ntlm::NegotiateMessage::default().encode()],
            ..Default::default()
        };
        assert_eq!(ours.encode(), vector("shadow-nla-credssp-tsrequest-client-negotiate.bin"));
    }

    #[test]
    fn round_trip_all_fields() {
        let r = TsRequest {
            version: 6,
            nego_tokens: vec![vec![1; 300], vec![2; 3]],
            auth_info: Some(vec![3; 70000]),
            pub_key_auth: Some(vec![4; 16]),
            error_code: Some(0xC000_006D),
            client_nonce: Some(vec![5; 32]),
            unknown: vec![],
        };
        assert_eq!(TsRequest::decode(&r.encode()).unwrap(), r);
    }

    #[test]
    fn error_code_forms() {
        // [4] INTEGER with and without the sign-padding 00 octet.
        for ec in [
            &[0xa4, 0x06, 0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d][..],
            &[0xa4, 0x07, 0x02, 0x05, 0x00, 0xc0, 0x00, 0x00, 0x6d],
        ] {
            let mut body = vec![0xa0, 0x03, 0x02, 0x01, 0x06];
            body.extend_from_slice(ec);
            let mut b = vec![0x30, body.len() as u8];
            b.extend(body);
            let r = TsRequest::decode(&b).unwrap();
            assert_eq!(r.error_code, Some(0xC000_006D));
            assert_eq!(ntstatus_name(0xC000_006D), "STATUS_LOGON_FAILURE");
        }
        assert_eq!(ntstatus_name(0x1234), "0x00001234");
        assert_eq!(ntstatus(0xC000_015B).unwrap().status, "logon_type_not_granted");
    }

    #[test]
    fn hostile_lengths() {
        // 4-octet length of 4 GiB - 1: rejected from the header, before any allocation.
        assert!(frame_len(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(TsRequest::decode(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0]).is_err());
        // Indefinite length (BER) and 5 length octets.
        assert!(frame_len(&[0x30, 0x80]).is_err());
        assert!(frame_len(&[0x30, 0x85, 0, 0, 0, 0, 1]).is_err());
        // Not a SEQUENCE: not CredSSP.
        assert!(frame_len(&[0x16, 0x03]).is_err());
        // Inner length beyond the outer one.
        assert!(TsRequest::decode(&[0x30, 0x05, 0xa0, 0x10, 0x02, 0x01, 0x06]).is_err());
        // Every truncation of a real message fails cleanly.
        let b = vector("shadow-nla-credssp-tsrequest-server.bin");
        for n in 0..b.len() {
            assert!(TsRequest::decode(&b[..n]).is_err());
        }
        // Trailing bytes.
        let mut t = b.clone();
        t.push(0);
        assert!(TsRequest::decode(&t).is_err());
    }

    #[test]
    fn pub_key_auth_values() {
        let key = [0x30u8, 0x82, 0x01, 0x0a];
        assert_eq!(client_pub_key_auth(3, &[], &key), key.to_vec());
        assert_eq!(expected_server_pub_key_auth(3, &[], &key), vec![0x31, 0x82, 0x01, 0x0a]);
        let h = client_pub_key_auth(6, &[7; 32], &key);
        assert_eq!(h.len(), 32);
        assert_ne!(h, expected_server_pub_key_auth(6, &[7; 32], &key));
    }
}
