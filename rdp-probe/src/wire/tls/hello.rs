//! ClientHello writer (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2) for version and cipher-suite
//! enumeration: offers exactly one protocol version (TLS 1.0, 1.1, 1.2 or 1.3) with a given
//! suite list and the extensions real servers need. The handshake is never completed, so the
//! TLS 1.3 key share is a random X25519 point without a kept private key.

use super::record::{decode_extensions, encode_record, extension_type as ext, handshake_type, Extension};
use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::{be_u16, be_u24, be_u8};

/// A TLS protocol version we can offer in a ClientHello (one of four). What a server shows
/// (any wire value, SSL included) is the report's `TlsVersion`; this one converts into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OfferedVersion {
    /// TLS 1.0 (RFC 2246), wire 0x0301.
    Tls10,
    /// TLS 1.1 (RFC 4346), wire 0x0302.
    Tls11,
    /// TLS 1.2 (RFC 5246), wire 0x0303.
    Tls12,
    /// TLS 1.3 (RFC 8446), wire 0x0304.
    Tls13,
}

impl OfferedVersion {
    /// Every version, oldest first.
    pub const ALL: [OfferedVersion; 4] =
        [OfferedVersion::Tls10, OfferedVersion::Tls11, OfferedVersion::Tls12, OfferedVersion::Tls13];

    /// The wire value.
    pub fn wire(self) -> u16 {
        match self {
            OfferedVersion::Tls10 => 0x0301,
            OfferedVersion::Tls11 => 0x0302,
            OfferedVersion::Tls12 => 0x0303,
            OfferedVersion::Tls13 => 0x0304,
        }
    }

    /// `"1.0"` .. `"1.3"` (the JSON keys of `tls.versions`).
    pub fn label(self) -> &'static str {
        match self {
            OfferedVersion::Tls10 => "1.0",
            OfferedVersion::Tls11 => "1.1",
            OfferedVersion::Tls12 => "1.2",
            OfferedVersion::Tls13 => "1.3",
        }
    }

    /// The version for a wire value, if it is one of the four.
    pub fn from_wire(v: u16) -> Option<OfferedVersion> {
        OfferedVersion::ALL.into_iter().find(|x| x.wire() == v)
    }
}

/// A version for display: `1.0`..`1.3`, `ssl3`, `ssl2`, or `unknown_0x....`.
pub fn version_label(v: u16) -> String {
    match v {
        0x0002 => "ssl2".into(),
        0x0300 => "ssl3".into(),
        v => OfferedVersion::from_wire(v).map(|x| x.label().to_string()).unwrap_or_else(|| format!("unknown_{v:#06x}")),
    }
}

/// NamedGroup x25519 (RFC 8446 §4.2.7).
pub const GROUP_X25519: u16 = 0x001d;

/// supported_groups we offer: x25519, secp256r1, secp384r1, secp521r1, x448, ffdhe2048,
/// ffdhe3072 (RFC 8446 §4.2.7, RFC 7919).
pub const OFFERED_GROUPS: &[u16] = &[0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101];

/// signature_algorithms we offer (RFC 8446 §4.2.3), SHA-1 ones last for old servers.
pub const OFFERED_SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601,
    0x0303, 0x0301, 0x0302, 0x0203, 0x0201, 0x0202,
];

/// NamedGroup names (IANA TLS Supported Groups).
pub fn group_name(g: u16) -> String {
    match g {
        0x0017 => "secp256r1".into(),
        0x0018 => "secp384r1".into(),
        0x0019 => "secp521r1".into(),
        0x001d => "x25519".into(),
        0x001e => "x448".into(),
        0x0100 => "ffdhe2048".into(),
        0x0101 => "ffdhe3072".into(),
        0x0102 => "ffdhe4096".into(),
        0x0103 => "ffdhe6144".into(),
        0x0104 => "ffdhe8192".into(),
        0x11eb => "secp256r1mlkem768".into(),
        0x11ec => "x25519mlkem768".into(),
        g => format!("unknown_{g:#06x}"),
    }
}

/// A ClientHello offering exactly one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// The one version offered.
    pub version: OfferedVersion,
    /// cipher_suites, in preference order.
    pub cipher_suites: Vec<u16>,
    /// server_name (SNI, RFC 6066 §3): only host names are sent, never IP literals.
    pub server_name: Option<String>,
    /// random.
    pub random: [u8; 32],
    /// legacy_session_id (32 random bytes for TLS 1.3 middlebox compatibility, else empty).
    pub session_id: Vec<u8>,
    /// The X25519 key_share point (TLS 1.3 only).
    pub x25519_key_share: [u8; 32],
}

impl ClientHello {
    /// A hello for `version` with fresh random values. SNI is dropped for IP literals and
    /// names that are not valid DNS host names.
    pub fn new(version: OfferedVersion, cipher_suites: Vec<u16>, server_name: Option<&str>) -> ClientHello {
        let mut rnd = [0u8; 96];
        // No entropy source is not a reason to fail a probe: zeros are valid on the wire.
        let _ = getrandom::fill(&mut rnd);
        let mut random = [0u8; 32];
        let mut share = [0u8; 32];
        random.copy_from_slice(rnd.get(..32).unwrap_or(&[0; 32]));
        share.copy_from_slice(rnd.get(32..64).unwrap_or(&[0; 32]));
        let session_id =
            if version == OfferedVersion::Tls13 { rnd.get(64..96).unwrap_or(&[0; 32]).to_vec() } else { Vec::new() };
        let server_name = server_name
            .filter(|n| n.parse::<std::net::IpAddr>().is_err())
            .filter(|n| {
                !n.is_empty()
                    && n.len() <= 253
                    && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            })
            .map(|n| n.trim_end_matches('.').to_string());
        ClientHello { version, cipher_suites, server_name, random, session_id, x25519_key_share: share }
    }

    /// The extensions in wire order.
    pub fn extensions(&self) -> Vec<Extension> {
        let mut out = Vec::new();
        if let Some(name) = &self.server_name {
            // ServerNameList: list length(2), name_type host_name(0), HostName length(2), name.
            let n = name.as_bytes();
            let mut d = ((n.len() + 3) as u16).to_be_bytes().to_vec();
            d.push(0);
            d.extend_from_slice(&(n.len() as u16).to_be_bytes());
            d.extend_from_slice(n);
            out.push(Extension { ty: ext::SERVER_NAME, data: d });
        }
        out.push(Extension { ty: ext::SUPPORTED_GROUPS, data: u16_list(OFFERED_GROUPS) });
        // ECPointFormatList: uncompressed, ansiX962_compressed_prime, ansiX962_compressed_char2.
        out.push(Extension { ty: ext::EC_POINT_FORMATS, data: vec![3, 0, 1, 2] });
        // RFC 5246 §7.4.1.4.1: not offered with versions before 1.2.
        if self.version >= OfferedVersion::Tls12 {
            out.push(Extension { ty: ext::SIGNATURE_ALGORITHMS, data: u16_list(OFFERED_SIGNATURE_SCHEMES) });
        }
        out.push(Extension { ty: ext::EXTENDED_MASTER_SECRET, data: Vec::new() });
        if self.version == OfferedVersion::Tls13 {
            // supported_versions: list length(1) then exactly 0x0304.
            out.push(Extension { ty: ext::SUPPORTED_VERSIONS, data: vec![2, 3, 4] });
            // KeyShareClientHello: list length(2), group(2), key_exchange length(2), point.
            let mut d = 36u16.to_be_bytes().to_vec();
            d.extend_from_slice(&GROUP_X25519.to_be_bytes());
            d.extend_from_slice(&32u16.to_be_bytes());
            d.extend_from_slice(&self.x25519_key_share);
            out.push(Extension { ty: ext::KEY_SHARE, data: d });
        } else {
            // renegotiation_info with an empty renegotiated_connection (RFC 5746 §3.4).
            out.push(Extension { ty: ext::RENEGOTIATION_INFO, data: vec![0] });
        }
        out
    }

    /// The ClientHello handshake body.
    pub fn body(&self) -> Vec<u8> {
        let legacy_version = if self.version == OfferedVersion::Tls13 { 0x0303 } else { self.version.wire() };
        let mut b = legacy_version.to_be_bytes().to_vec();
        b.extend_from_slice(&self.random);
        b.push(self.session_id.len().min(32) as u8);
        b.extend(self.session_id.iter().take(32));
        // At most 32767 suites fit the 16-bit byte length.
        let suites: Vec<u16> = self.cipher_suites.iter().copied().take(0x7fff).collect();
        b.extend_from_slice(&u16_list(&suites));
        b.extend_from_slice(&[1, 0]); // compression_methods: null only
        let mut e = Vec::new();
        for x in self.extensions() {
            e.extend_from_slice(&x.ty.to_be_bytes());
            e.extend_from_slice(&(x.data.len() as u16).to_be_bytes());
            e.extend_from_slice(&x.data);
        }
        b.extend_from_slice(&(e.len() as u16).to_be_bytes());
        b.extend(e);
        b
    }

    /// The whole ClientHello as TLS records (record version 0x0301 as most stacks send,
    /// split at 2^14 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let body = self.body();
        let mut hs = vec![handshake_type::CLIENT_HELLO];
        hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        hs.extend(body);
        let mut out = Vec::new();
        for chunk in hs.chunks(1 << 14) {
            out.extend(encode_record(super::record::content_type::HANDSHAKE, 0x0301, chunk));
        }
        out
    }
}

/// u16 vector with a 16-bit byte length prefix.
fn u16_list(v: &[u16]) -> Vec<u8> {
    let mut d = ((v.len() * 2) as u16).to_be_bytes().to_vec();
    for x in v {
        d.extend_from_slice(&x.to_be_bytes());
    }
    d
}

/// A decoded ClientHello body (for tests, fuzzing and transcript display).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedClientHello {
    /// legacy_version.
    pub legacy_version: u16,
    /// random.
    pub random: Vec<u8>,
    /// legacy_session_id.
    pub session_id: Vec<u8>,
    /// cipher_suites.
    pub cipher_suites: Vec<u16>,
    /// compression_methods.
    pub compression_methods: Vec<u8>,
    /// extensions.
    pub extensions: Vec<Extension>,
}

const CLIENT_HELLO: &str = "TLS ClientHello";

impl ParsedClientHello {
    /// Decodes a client_hello handshake message (msg_type, 24-bit length, body).
    pub fn decode(i: &[u8]) -> Result<ParsedClientHello, DecodeError> {
        let (i, t) = be_u8(i).ctx(CLIENT_HELLO, "msg_type")?;
        if t != handshake_type::CLIENT_HELLO {
            return Err(DecodeError::invalid(CLIENT_HELLO, "msg_type", t.into()));
        }
        let (i, n) = be_u24(i).ctx(CLIENT_HELLO, "length")?;
        let (rest, i) = take_len(i, n as usize, super::record::MAX_HANDSHAKE_LEN, CLIENT_HELLO, "body")?;
        if !rest.is_empty() {
            return Err(DecodeError::trailing(CLIENT_HELLO, "body", rest.len()));
        }
        let (i, legacy_version) = be_u16(i).ctx(CLIENT_HELLO, "legacy_version")?;
        let (i, random) = take_len(i, 32, 32, CLIENT_HELLO, "random")?;
        let (i, sl) = be_u8(i).ctx(CLIENT_HELLO, "legacy_session_id")?;
        let (i, session_id) = take_len(i, sl.into(), 32, CLIENT_HELLO, "legacy_session_id")?;
        let (i, cl) = be_u16(i).ctx(CLIENT_HELLO, "cipher_suites")?;
        let (i, cs) = take_len(i, cl.into(), 0xfffe, CLIENT_HELLO, "cipher_suites")?;
        if cs.len() % 2 != 0 {
            return Err(DecodeError::invalid(CLIENT_HELLO, "cipher_suites", cs.len() as u64));
        }
        let cipher_suites = cs
            .chunks_exact(2)
            .filter_map(|c| match c {
                [a, b] => Some(u16::from_be_bytes([*a, *b])),
                _ => None,
            })
            .collect();
        let (i, ml) = be_u8(i).ctx(CLIENT_HELLO, "legacy_compression_methods")?;
        let (i, cm) = take_len(i, ml.into(), 255, CLIENT_HELLO, "legacy_compression_methods")?;
        let extensions = if i.is_empty() {
            Vec::new()
        } else {
            let (i, el) = be_u16(i).ctx(CLIENT_HELLO, "extensions")?;
            let (i, e) = take_len(i, el.into(), 0xffff, CLIENT_HELLO, "extensions")?;
            if !i.is_empty() {
                return Err(DecodeError::trailing(CLIENT_HELLO, "extensions", i.len()));
            }
            decode_extensions(e, CLIENT_HELLO)?
        };
        Ok(ParsedClientHello {
            legacy_version,
            random: random.to_vec(),
            session_id: session_id.to_vec(),
            cipher_suites,
            compression_methods: cm.to_vec(),
            extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tls::record::decode_record;

    #[test]
    fn round_trip_each_version() {
        for v in OfferedVersion::ALL {
            let ch = ClientHello::new(v, vec![0xc02f, 0x002f, 0x1301], Some("host.example"));
            let wire = ch.encode();
            let (rec, rest) = decode_record(&wire).unwrap();
            assert!(rest.is_empty());
            assert_eq!((rec.content_type, rec.version), (22, 0x0301));
            let p = ParsedClientHello::decode(rec.fragment).unwrap();
            assert_eq!(p.legacy_version, v.wire().min(0x0303));
            assert_eq!(p.random, ch.random);
            assert_eq!(p.cipher_suites, vec![0xc02f, 0x002f, 0x1301]);
            assert_eq!(p.compression_methods, vec![0]);
            assert_eq!(p.extensions, ch.extensions());
            let types: Vec<u16> = p.extensions.iter().map(|e| e.ty).collect();
            assert_eq!(types.contains(&ext::SUPPORTED_VERSIONS), v == OfferedVersion::Tls13);
            assert_eq!(types.contains(&ext::SIGNATURE_ALGORITHMS), v >= OfferedVersion::Tls12);
            assert_eq!(types[0], ext::SERVER_NAME);
            // SNI bytes: list len 15, host_name 0, len 12, "host.example"
            assert_eq!(p.extensions[0].data[..5], [0, 15, 0, 0, 12]);
        }
    }

    #[test]
    fn tls13_key_share_and_session_id() {
        let ch = ClientHello::new(OfferedVersion::Tls13, vec![0x1301], Some("127.0.0.1"));
        assert_eq!(ch.server_name, None); // no SNI for IP literals
        assert_eq!(ch.session_id.len(), 32);
        let ks = ch.extensions().into_iter().find(|e| e.ty == ext::KEY_SHARE).unwrap();
        assert_eq!(ks.data[..6], [0, 36, 0x00, 0x1d, 0, 32]);
        assert_eq!(ks.data.len(), 38);
    }

    #[test]
    fn many_suites_fit() {
        let all = crate::wire::tls::suites::legacy_suites();
        let ch = ClientHello::new(OfferedVersion::Tls12, all.clone(), None);
        let wire = ch.encode();
        let (rec, _) = decode_record(&wire).unwrap();
        assert_eq!(ParsedClientHello::decode(rec.fragment).unwrap().cipher_suites, all);
    }

    #[test]
    fn truncated_client_hello() {
        let ch = ClientHello::new(OfferedVersion::Tls12, vec![0xc02f], None);
        let wire = ch.encode();
        let hs = &wire[5..];
        for n in 0..hs.len() {
            assert!(ParsedClientHello::decode(&hs[..n]).is_err());
        }
        assert_eq!(version_label(0x0300), "ssl3");
        assert_eq!(version_label(0x7f1c), "unknown_0x7f1c");
    }
}
