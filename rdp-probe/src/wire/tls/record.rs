//! The TLS record layer and the server's first flight: record header (RFC 8446 §5.1 /
//! RFC 5246 §6.2.1), handshake messages that may span records (RFC 5246 §7.4), ServerHello
//! (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3 incl. HelloRetryRequest), Certificate in clear
//! (RFC 5246 §7.4.2), ServerHelloDone and Alert (RFC 5246 §7.2).
//!
//! Lenient on content (unknown content types, versions, suites, extensions and alerts are kept),
//! strict on lengths: every length is checked against the bytes present and a maximum.

use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::{be_u16, be_u24, be_u8};

/// A record header: type(1) version(2) length(2).
pub const RECORD_HEADER_LEN: usize = 5;
/// RFC 5246 §6.2.3: a TLSCiphertext fragment may be at most 2^14 + 2048 bytes.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
/// The largest handshake message we reassemble (a Certificate chain of a few certificates is
/// far smaller; the 24-bit length field could claim 16 MiB).
pub const MAX_HANDSHAKE_LEN: usize = 256 * 1024;
/// Most records a server's first flight may take (ServerHello .. ServerHelloDone fit in a
/// handful; a server streaming empty records must not grow our memory or CPU without bound).
pub const MAX_FLIGHT_RECORDS: usize = 512;

/// ContentType (RFC 8446 §5.1).
pub mod content_type {
    /// change_cipher_spec.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake.
    pub const HANDSHAKE: u8 = 22;
    /// application_data.
    pub const APPLICATION_DATA: u8 = 23;
    /// heartbeat (RFC 6520).
    pub const HEARTBEAT: u8 = 24;
}

/// HandshakeType (RFC 8446 §4, RFC 5246 §7.4).
pub mod handshake_type {
    /// client_hello.
    pub const CLIENT_HELLO: u8 = 1;
    /// server_hello (also HelloRetryRequest in TLS 1.3).
    pub const SERVER_HELLO: u8 = 2;
    /// certificate.
    pub const CERTIFICATE: u8 = 11;
    /// server_key_exchange.
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    /// certificate_request.
    pub const CERTIFICATE_REQUEST: u8 = 13;
    /// server_hello_done.
    pub const SERVER_HELLO_DONE: u8 = 14;
}

/// ExtensionType values we write or read (IANA TLS ExtensionType Values).
pub mod extension_type {
    /// server_name (RFC 6066 §3).
    pub const SERVER_NAME: u16 = 0;
    /// status_request (RFC 6066 §8).
    pub const STATUS_REQUEST: u16 = 5;
    /// supported_groups (RFC 8422 §5.1.1, RFC 7919).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats (RFC 8422 §5.1.2).
    pub const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms (RFC 8446 §4.2.3).
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// application_layer_protocol_negotiation (RFC 7301).
    pub const ALPN: u16 = 16;
    /// extended_master_secret (RFC 7627).
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    /// session_ticket (RFC 5077).
    pub const SESSION_TICKET: u16 = 35;
    /// supported_versions (RFC 8446 §4.2.1).
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// key_share (RFC 8446 §4.2.8).
    pub const KEY_SHARE: u16 = 51;
    /// renegotiation_info (RFC 5746).
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// RFC 8446 §4.1.3: the ServerHello.random of a HelloRetryRequest (SHA-256 of
/// "HelloRetryRequest").
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11,
    0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

const RECORD: &str = "TLS record";
const HANDSHAKE: &str = "TLS handshake";
const SERVER_HELLO: &str = "TLS ServerHello";
const CERTIFICATE: &str = "TLS Certificate";
const ALERT: &str = "TLS Alert";

/// One record (TLSPlaintext / TLSCiphertext), fragment borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// ContentType, kept as sent.
    pub content_type: u8,
    /// legacy_record_version, kept as sent.
    pub version: u16,
    /// The fragment (`length` bytes).
    pub fragment: &'a [u8],
}

/// The total length (header included) of the record whose header starts `i`; `Truncated`
/// when fewer than 5 bytes are present, `LengthOutOfRange` when the length exceeds
/// [`MAX_RECORD_LEN`].
pub fn record_len(i: &[u8]) -> Result<usize, DecodeError> {
    let (i, _ty) = be_u8(i).ctx(RECORD, "type")?;
    let (i, _version) = be_u16(i).ctx(RECORD, "legacy_record_version")?;
    let (_, length) = be_u16(i).ctx(RECORD, "length")?;
    let length = usize::from(length);
    if length > MAX_RECORD_LEN {
        return Err(DecodeError::length(RECORD, "length", length, MAX_RECORD_LEN));
    }
    Ok(RECORD_HEADER_LEN + length)
}

/// Decodes one record from the start of `i`; returns it and the bytes after it.
pub fn decode_record(i: &[u8]) -> Result<(Record<'_>, &[u8]), DecodeError> {
    let (i, content_type) = be_u8(i).ctx(RECORD, "type")?;
    let (i, version) = be_u16(i).ctx(RECORD, "legacy_record_version")?;
    let (i, length) = be_u16(i).ctx(RECORD, "length")?;
    let (i, fragment) = take_len(i, usize::from(length), MAX_RECORD_LEN, RECORD, "fragment")?;
    Ok((Record { content_type, version, fragment }, i))
}

/// Encodes one record (the caller keeps fragments within 2^14 bytes).
pub fn encode_record(content_type: u8, version: u16, fragment: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORD_HEADER_LEN + fragment.len());
    out.push(content_type);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(fragment.len().min(usize::from(u16::MAX)) as u16).to_be_bytes());
    out.extend_from_slice(fragment);
    out
}

/// One handshake message: msg_type(1) length(3) body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake<'a> {
    /// HandshakeType, kept as sent.
    pub msg_type: u8,
    /// The body.
    pub body: &'a [u8],
}

/// Decodes one handshake message from a reassembled handshake byte stream.
pub fn decode_handshake(i: &[u8]) -> Result<(Handshake<'_>, &[u8]), DecodeError> {
    let (i, msg_type) = be_u8(i).ctx(HANDSHAKE, "msg_type")?;
    let (i, length) = be_u24(i).ctx(HANDSHAKE, "length")?;
    let (i, body) = take_len(i, length as usize, MAX_HANDSHAKE_LEN, HANDSHAKE, "body")?;
    Ok((Handshake { msg_type, body }, i))
}

/// One extension: type and opaque data, kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Extension {
    /// ExtensionType.
    pub ty: u16,
    /// extension_data.
    pub data: Vec<u8>,
}

fn u8_len_vec<'a>(i: &'a [u8], pdu: &'static str, field: &'static str) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    let (i, n) = be_u8(i).ctx(pdu, field)?;
    take_len(i, usize::from(n), usize::from(u8::MAX), pdu, field)
}

fn u16_len_vec<'a>(i: &'a [u8], pdu: &'static str, field: &'static str) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    let (i, n) = be_u16(i).ctx(pdu, field)?;
    take_len(i, usize::from(n), usize::from(u16::MAX), pdu, field)
}

/// Decodes an extensions block body (after its 2-byte length): type(2) length(2) data.
pub(crate) fn decode_extensions(mut i: &[u8], pdu: &'static str) -> Result<Vec<Extension>, DecodeError> {
    let mut out = Vec::new();
    while !i.is_empty() {
        let (r, ty) = be_u16(i).ctx(pdu, "extension_type")?;
        let (r, data) = u16_len_vec(r, pdu, "extension_data")?;
        out.push(Extension { ty, data: data.to_vec() });
        i = r;
    }
    Ok(out)
}

/// ServerHello (RFC 5246 §7.4.1.3; RFC 8446 §4.1.3, which also covers HelloRetryRequest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// server_version / legacy_version.
    pub legacy_version: u16,
    /// random.
    pub random: [u8; 32],
    /// session_id (0..32 bytes).
    pub session_id: Vec<u8>,
    /// cipher_suite.
    pub cipher_suite: u16,
    /// compression_method (legacy; 0 = null).
    pub compression_method: u8,
    /// Extensions in wire order; `None` when the message ends after compression_method
    /// (allowed before TLS 1.3).
    pub extensions: Option<Vec<Extension>>,
}

impl ServerHello {
    /// Decodes the body of a server_hello handshake message.
    pub fn decode(body: &[u8]) -> Result<ServerHello, DecodeError> {
        let (i, legacy_version) = be_u16(body).ctx(SERVER_HELLO, "legacy_version")?;
        let (i, random) = take_len(i, 32, 32, SERVER_HELLO, "random")?;
        let (i, session_id) = u8_len_vec(i, SERVER_HELLO, "legacy_session_id_echo")?;
        if session_id.len() > 32 {
            return Err(DecodeError::length(SERVER_HELLO, "legacy_session_id_echo", session_id.len(), 32));
        }
        let (i, cipher_suite) = be_u16(i).ctx(SERVER_HELLO, "cipher_suite")?;
        let (i, compression_method) = be_u8(i).ctx(SERVER_HELLO, "legacy_compression_method")?;
        let extensions = if i.is_empty() {
            None
        } else {
            let (i, ext) = u16_len_vec(i, SERVER_HELLO, "extensions")?;
            if !i.is_empty() {
                return Err(DecodeError::trailing(SERVER_HELLO, "extensions", i.len()));
            }
            Some(decode_extensions(ext, SERVER_HELLO)?)
        };
        let mut r = [0u8; 32];
        r.copy_from_slice(random);
        Ok(ServerHello {
            legacy_version,
            random: r,
            session_id: session_id.to_vec(),
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    /// The extension of type `ty`, if present.
    pub fn extension(&self, ty: u16) -> Option<&[u8]> {
        self.extensions.as_ref()?.iter().find(|e| e.ty == ty).map(|e| e.data.as_slice())
    }

    /// selected_version of a supported_versions extension (RFC 8446 §4.2.1), if present and
    /// exactly 2 bytes.
    pub fn supported_version(&self) -> Option<u16> {
        match self.extension(extension_type::SUPPORTED_VERSIONS)? {
            [a, b] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }

    /// The negotiated version: supported_versions when present, else legacy_version.
    pub fn version(&self) -> u16 {
        self.supported_version().unwrap_or(self.legacy_version)
    }

    /// Whether this is a TLS 1.3 HelloRetryRequest (the special random, RFC 8446 §4.1.3).
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// The key_share group (ServerHello: KeyShareEntry.group; HRR: selected_group).
    pub fn key_share_group(&self) -> Option<u16> {
        match self.extension(extension_type::KEY_SHARE)? {
            [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }

    /// The ALPN protocol the server chose (RFC 7301 §3.1), if any.
    pub fn alpn(&self) -> Option<String> {
        let d = self.extension(extension_type::ALPN)?;
        let (_, list) = u16_len_vec(d, SERVER_HELLO, "alpn").ok()?;
        let (_, name) = u8_len_vec(list, SERVER_HELLO, "alpn").ok()?;
        Some(String::from_utf8_lossy(name).into_owned())
    }
}

/// Certificate (TLS <= 1.2, RFC 5246 §7.4.2): certificate_list<0..2^24-1> of
/// ASN.1Cert<1..2^24-1>, leaf first. Returns the DER of each.
pub fn decode_certificate_tls12(body: &[u8]) -> Result<Vec<Vec<u8>>, DecodeError> {
    let (i, n) = be_u24(body).ctx(CERTIFICATE, "certificate_list")?;
    let (i, mut list) = take_len(i, n as usize, MAX_HANDSHAKE_LEN, CERTIFICATE, "certificate_list")?;
    if !i.is_empty() {
        return Err(DecodeError::trailing(CERTIFICATE, "certificate_list", i.len()));
    }
    let mut out = Vec::new();
    while !list.is_empty() {
        let (r, n) = be_u24(list).ctx(CERTIFICATE, "ASN.1Cert")?;
        let (r, der) = take_len(r, n as usize, MAX_HANDSHAKE_LEN, CERTIFICATE, "ASN.1Cert")?;
        out.push(der.to_vec());
        list = r;
    }
    Ok(out)
}

/// Alert (RFC 5246 §7.2, RFC 8446 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// AlertLevel (1 warning, 2 fatal), kept as sent.
    pub level: u8,
    /// AlertDescription, kept as sent.
    pub description: u8,
}

impl Alert {
    /// Decodes the first alert of an alert fragment (further coalesced alerts are ignored).
    pub fn decode(i: &[u8]) -> Result<Alert, DecodeError> {
        let (i, level) = be_u8(i).ctx(ALERT, "level")?;
        let (_, description) = be_u8(i).ctx(ALERT, "description")?;
        Ok(Alert { level, description })
    }

    /// The description's RFC name (`handshake_failure`), or `unknown_<n>`.
    pub fn description_name(&self) -> String {
        alert_name(self.description).map(str::to_string).unwrap_or_else(|| format!("unknown_{}", self.description))
    }

    /// `warning`, `fatal` or `unknown_<n>`.
    pub fn level_name(&self) -> String {
        match self.level {
            1 => "warning".into(),
            2 => "fatal".into(),
            n => format!("unknown_{n}"),
        }
    }
}

/// AlertDescription names (IANA TLS Alerts registry).
pub fn alert_name(d: u8) -> Option<&'static str> {
    Some(match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => return None,
    })
}

/// What the server's first flight showed, fed with raw bytes as they arrive (sans-IO).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFlight {
    buf: Vec<u8>,
    handshake: Vec<u8>,
    /// Record versions seen (first record's is the most telling).
    pub record_versions: Vec<u16>,
    /// The ServerHello (or HelloRetryRequest).
    pub server_hello: Option<ServerHello>,
    /// DER chain from a clear-text Certificate message (TLS <= 1.2), leaf first.
    pub certificates: Vec<Vec<u8>>,
    /// Handshake message types seen, in order.
    pub messages: Vec<u8>,
    /// The first alert received.
    pub alert: Option<Alert>,
    /// ServerHelloDone seen (TLS <= 1.2 first flight complete).
    pub done: bool,
    /// A record whose content type is not a TLS one (e.g. 3 = a TPKT frame): the peer does not
    /// speak TLS here. The first 5 bytes are kept.
    pub not_tls: Option<Vec<u8>>,
    /// Encrypted records (TLS 1.3 after ServerHello) or ChangeCipherSpec seen: nothing more to
    /// read in clear.
    pub encrypted: bool,
}

impl ServerFlight {
    /// A new, empty flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether reading more bytes can teach us nothing more.
    pub fn finished(&self) -> bool {
        self.done || self.alert.is_some() || self.not_tls.is_some() || self.encrypted
    }

    /// Feeds received bytes; decodes every complete record. An error is a framing error the
    /// flight cannot recover from (bytes after it are not read).
    pub fn feed(&mut self, data: &[u8]) -> Result<(), DecodeError> {
        if self.finished() {
            return Ok(());
        }
        self.buf.extend_from_slice(data);
        loop {
            if self.finished() {
                return Ok(());
            }
            if let Some(&ty) = self.buf.first() {
                if !(content_type::CHANGE_CIPHER_SPEC..=content_type::HEARTBEAT).contains(&ty) {
                    self.not_tls = Some(self.buf.iter().take(RECORD_HEADER_LEN).copied().collect());
                    return Ok(());
                }
            }
            let total = match record_len(&self.buf) {
                Ok(n) => n,
                Err(DecodeError { kind: crate::DecodeErrorKind::Truncated, .. }) => return Ok(()),
                Err(e) => return Err(e),
            };
            if self.buf.len() < total {
                return Ok(());
            }
            if self.record_versions.len() >= MAX_FLIGHT_RECORDS {
                return Err(DecodeError::length(
                    "TLS flight",
                    "records",
                    self.record_versions.len() + 1,
                    MAX_FLIGHT_RECORDS,
                ));
            }
            let rec_bytes: Vec<u8> = self.buf.drain(..total).collect();
            let (rec, _) = decode_record(&rec_bytes)?;
            self.record_versions.push(rec.version);
            self.on_record(rec)?;
        }
    }

    fn on_record(&mut self, rec: Record<'_>) -> Result<(), DecodeError> {
        match rec.content_type {
            content_type::ALERT => {
                self.alert = Some(Alert::decode(rec.fragment)?);
            }
            content_type::HANDSHAKE => {
                if self.handshake.len() + rec.fragment.len() > MAX_HANDSHAKE_LEN + 4 {
                    return Err(DecodeError::length(
                        HANDSHAKE,
                        "length",
                        self.handshake.len() + rec.fragment.len(),
                        MAX_HANDSHAKE_LEN + 4,
                    ));
                }
                self.handshake.extend_from_slice(rec.fragment);
                self.drain_handshake()?;
            }
            content_type::CHANGE_CIPHER_SPEC | content_type::APPLICATION_DATA => self.encrypted = true,
            _ => {}
        }
        Ok(())
    }

    fn drain_handshake(&mut self) -> Result<(), DecodeError> {
        loop {
            let consumed = match decode_handshake(&self.handshake) {
                Ok((hs, rest)) => {
                    self.messages.push(hs.msg_type);
                    match hs.msg_type {
                        handshake_type::SERVER_HELLO if self.server_hello.is_none() => {
                            self.server_hello = Some(ServerHello::decode(hs.body)?);
                        }
                        handshake_type::CERTIFICATE if self.certificates.is_empty() => {
                            self.certificates = decode_certificate_tls12(hs.body)?;
                        }
                        handshake_type::SERVER_HELLO_DONE => self.done = true,
                        _ => {}
                    }
                    self.handshake.len() - rest.len()
                }
                // A message spanning records: wait for more. A length above the maximum is fatal.
                Err(e) if matches!(e.kind, crate::DecodeErrorKind::Truncated) => return Ok(()),
                Err(DecodeError { kind: crate::DecodeErrorKind::LengthOutOfRange { claimed, max }, .. })
                    if claimed <= MAX_HANDSHAKE_LEN && max < claimed =>
                {
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            self.handshake.drain(..consumed);
            // TLS 1.3: everything after the ServerHello is encrypted.
            if let Some(sh) = &self.server_hello {
                if sh.version() == 0x0304 && !sh.is_hello_retry_request() {
                    self.encrypted = true;
                }
                if sh.is_hello_retry_request() {
                    // The client would send a second ClientHello: nothing more comes.
                    self.done = true;
                }
            }
            if self.finished() || self.handshake.is_empty() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DecodeErrorKind;

    /// A minimal TLS 1.2 ServerHello body.
    fn sh_body(version: u16, suite: u16, ext: &[u8]) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec(); // server_version
        b.extend_from_slice(&[0x11; 32]); // random
        b.push(0); // session_id length 0
        b.extend_from_slice(&suite.to_be_bytes()); // cipher_suite
        b.push(0); // compression_method null
        if !ext.is_empty() {
            b.extend_from_slice(&(ext.len() as u16).to_be_bytes()); // extensions length
            b.extend_from_slice(ext);
        }
        b
    }

    fn hs(msg_type: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![msg_type];
        m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]); // 24-bit length
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn record_header_strict() {
        // type 22, version 3.1, length 2, fragment 0xaa 0xbb, then one trailing byte
        let b = [22, 3, 1, 0, 2, 0xaa, 0xbb, 0xcc];
        let (r, rest) = decode_record(&b).unwrap();
        assert_eq!(r, Record { content_type: 22, version: 0x0301, fragment: &[0xaa, 0xbb] });
        assert_eq!(rest, &[0xcc]);
        // lying length: claims 3, has 2
        assert_eq!(
            decode_record(&[22, 3, 1, 0, 3, 1, 2]).unwrap_err().kind,
            DecodeErrorKind::LengthOutOfRange { claimed: 3, max: 2 }
        );
        // over the maximum 2^14+2048
        assert_eq!(
            record_len(&[23, 3, 3, 0x48, 0x01]).unwrap_err().kind,
            DecodeErrorKind::LengthOutOfRange { claimed: 0x4801, max: MAX_RECORD_LEN }
        );
        assert_eq!(record_len(&[23, 3, 3, 0x48, 0x00]).unwrap(), 5 + 0x4800);
        assert_eq!(record_len(&[23, 3]).unwrap_err().kind, DecodeErrorKind::Truncated);
        assert_eq!(encode_record(22, 0x0301, &[0xaa, 0xbb]), &b[..7]);
    }

    #[test]
    fn server_hello_fields() {
        // extensions: renegotiation_info (ff01, len 1, 00), supported_versions (002b, len 2, 0304),
        // key_share (0033, len 4+... group x25519 001d, key len 0)
        let ext = [0xff, 0x01, 0, 1, 0, 0x00, 0x2b, 0, 2, 3, 4, 0x00, 0x33, 0, 4, 0x00, 0x1d, 0, 0];
        let sh = ServerHello::decode(&sh_body(0x0303, 0x1301, &ext)).unwrap();
        assert_eq!(sh.legacy_version, 0x0303);
        assert_eq!(sh.version(), 0x0304);
        assert_eq!(sh.cipher_suite, 0x1301);
        assert_eq!(sh.key_share_group(), Some(0x001d));
        assert!(!sh.is_hello_retry_request());
        assert_eq!(sh.extensions.as_ref().unwrap().len(), 3);
        // no extensions at all (TLS 1.0 servers)
        let sh = ServerHello::decode(&sh_body(0x0301, 0x002f, &[])).unwrap();
        assert_eq!(sh.extensions, None);
        assert_eq!(sh.version(), 0x0301);
        // truncated at every prefix never panics and errors
        let full = sh_body(0x0303, 0xc02f, &ext);
        for n in 0..full.len() {
            assert!(ServerHello::decode(&full[..n]).is_err() || n == 38, "prefix {n}");
        }
        // lying extension length
        let mut bad = sh_body(0x0303, 0xc02f, &ext);
        bad[38 + 1] += 1;
        assert!(ServerHello::decode(&bad).is_err());
    }

    #[test]
    fn hello_retry_request() {
        let mut body = sh_body(0x0303, 0x1302, &[0x00, 0x2b, 0, 2, 3, 4, 0x00, 0x33, 0, 2, 0x00, 0x17]);
        body[2..34].copy_from_slice(&HELLO_RETRY_REQUEST_RANDOM);
        let sh = ServerHello::decode(&body).unwrap();
        assert!(sh.is_hello_retry_request());
        assert_eq!(sh.key_share_group(), Some(0x0017));
        let mut f = ServerFlight::new();
        f.feed(&encode_record(22, 0x0303, &hs(2, &body))).unwrap();
        assert!(f.finished());
        assert_eq!(f.server_hello.unwrap().version(), 0x0304);
    }

    #[test]
    fn flight_spanning_records_byte_by_byte() {
        let cert_a = vec![0x30, 0x03, 1, 2, 3];
        let cert_b = vec![0x30, 0x01, 9];
        let mut list = Vec::new();
        for c in [&cert_a, &cert_b] {
            list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
            list.extend_from_slice(c);
        }
        let mut cert_body = (list.len() as u32).to_be_bytes()[1..].to_vec();
        cert_body.extend_from_slice(&list);
        let mut stream = hs(2, &sh_body(0x0301, 0x0035, &[]));
        stream.extend(hs(11, &cert_body));
        stream.extend(hs(14, &[]));
        // split the handshake stream over three records at awkward places
        let (a, rest) = stream.split_at(10);
        let (b, c) = rest.split_at(50);
        let mut wire = encode_record(22, 0x0301, a);
        wire.extend(encode_record(22, 0x0301, b));
        wire.extend(encode_record(22, 0x0301, c));
        let mut f = ServerFlight::new();
        for byte in &wire {
            f.feed(std::slice::from_ref(byte)).unwrap();
        }
        assert!(f.done);
        assert_eq!(f.messages, vec![2, 11, 14]);
        assert_eq!(f.certificates, vec![cert_a, cert_b]);
        assert_eq!(f.server_hello.unwrap().cipher_suite, 0x0035);
        assert_eq!(f.record_versions, vec![0x0301; 3]);
    }

    #[test]
    fn alert_and_not_tls() {
        let mut f = ServerFlight::new();
        f.feed(&[21, 3, 3, 0, 2, 2, 70]).unwrap(); // fatal protocol_version
        let a = f.alert.unwrap();
        assert_eq!((a.level_name().as_str(), a.description_name().as_str()), ("fatal", "protocol_version"));
        assert_eq!(Alert { level: 9, description: 200 }.description_name(), "unknown_200");
        let mut f = ServerFlight::new();
        f.feed(&[3, 0, 0, 9, 2, 0xf0, 0x80, 0x21, 0x80]).unwrap(); // xrdp's MCS DPUm after a failure
        assert_eq!(f.not_tls, Some(vec![3, 0, 0, 9, 2]));
    }

    #[test]
    fn certificate_lying_lengths() {
        // list claims 10, has 4
        assert!(decode_certificate_tls12(&[0, 0, 10, 0, 0, 1, 0x30]).is_err());
        // inner cert claims 5, list holds 4
        assert!(decode_certificate_tls12(&[0, 0, 4, 0, 0, 5, 0x30]).is_err());
        assert_eq!(decode_certificate_tls12(&[0, 0, 0]).unwrap(), Vec::<Vec<u8>>::new());
        // handshake length above the maximum is fatal for the flight
        let mut f = ServerFlight::new();
        assert!(f.feed(&encode_record(22, 0x0303, &[11, 0xff, 0xff, 0xff])).is_err());
    }
}
