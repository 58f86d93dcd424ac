//! X.224 class 0 (ISO 8073) connection PDUs and the RDP negotiation structures carried in them:
//! MS-RDPBCGR 2.2.1.1 (Client X.224 Connection Request), 2.2.1.2 (Server X.224 Connection
//! Confirm), RDP_NEG_REQ / RDP_NEG_RSP / RDP_NEG_FAILURE (2.2.1.1.1, 2.2.1.2.1, 2.2.1.2.2).
//!
//! Codes, flags and protocols are open: unknown values are kept and shown, never rejected.

use crate::wire::codec::{take_len, Ctx, DecodeError};
use crate::wire::tpkt;
use nom::number::complete::{be_u16, le_u16, le_u32, u8 as nom_u8};
use std::fmt;

/// X.224 TPDU codes (X.224 13.3.3, high nibble of the code octet).
pub const TPDU_CONNECTION_REQUEST: u8 = 0xE0;
/// Connection Confirm.
pub const TPDU_CONNECTION_CONFIRM: u8 = 0xD0;
/// Disconnect Request.
pub const TPDU_DISCONNECT_REQUEST: u8 = 0x80;
/// Data (MCS PDUs travel in these).
pub const TPDU_DATA: u8 = 0xF0;

/// Fixed part of a CR/CC after the LI octet: code, DST-REF (2), SRC-REF (2), class option.
const FIXED_LEN: usize = 6;
/// RDP_NEG_REQ / RSP / FAILURE are 8 bytes: type, flags, length (2), value (4).
pub const NEG_DATA_LEN: usize = 8;
/// RDP_NEG_CORRELATION_INFO (2.2.1.1.2): type, flags, length (2), correlationId (16), reserved (16).
pub const CORRELATION_INFO_LEN: usize = 36;
/// Longest cookie / routing token we encode or accept (keeps the CR within one TPKT and the LI octet).
pub const MAX_COOKIE_LEN: usize = 200;

/// TYPE_RDP_NEG_REQ (2.2.1.1.1).
pub const TYPE_RDP_NEG_REQ: u8 = 0x01;
/// TYPE_RDP_NEG_RSP (2.2.1.2.1).
pub const TYPE_RDP_NEG_RSP: u8 = 0x02;
/// TYPE_RDP_NEG_FAILURE (2.2.1.2.2).
pub const TYPE_RDP_NEG_FAILURE: u8 = 0x03;
/// TYPE_RDP_CORRELATION_INFO (2.2.1.1.2).
pub const TYPE_RDP_CORRELATION_INFO: u8 = 0x06;

macro_rules! flag_set {
    ($(#[$m:meta])* $name:ident($t:ty) { $($(#[$fm:meta])* $flag:ident = $v:expr, $s:expr;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub struct $name(pub $t);
        impl $name {
            $($(#[$fm])* pub const $flag: $name = $name($v);)*
            /// Every known flag with its lower-snake-case name.
            pub const KNOWN: &'static [($t, &'static str)] = &[$(($v, $s)),*];
            /// The raw bits.
            pub fn bits(self) -> $t { self.0 }
            /// Whether every bit of `other` is set.
            pub fn contains(self, other: $name) -> bool { self.0 & other.0 == other.0 }
            /// Names of the set bits; unknown bits as `unknown_0x..`.
            pub fn names(self) -> Vec<String> {
                let mut out = Vec::new();
                let mut rest = self.0;
                for (bit, name) in Self::KNOWN {
                    if *bit != 0 && self.0 & bit == *bit {
                        out.push((*name).to_string());
                        rest &= !bit;
                    }
                }
                let mut b: $t = 1;
                while rest != 0 && b != 0 {
                    if rest & b != 0 {
                        out.push(format!("unknown_{:#x}", b));
                        rest &= !b;
                    }
                    b = b.wrapping_shl(1);
                }
                out
            }
        }
        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, o: $name) -> $name { $name(self.0 | o.0) }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use flag_set;

flag_set! {
    /// requestedProtocols / clientRequestedProtocols: a set of security protocols (2.2.1.1.1).
    /// PROTOCOL_RDP is 0: "requesting" it means sending no bit at all.
    SecurityProtocols(u32) {
        /// PROTOCOL_SSL: TLS 1.0/1.1/1.2 (5.4.5.1).
        SSL = 0x01, "ssl";
        /// PROTOCOL_HYBRID: CredSSP (5.4.5.2).
        HYBRID = 0x02, "hybrid";
        /// PROTOCOL_RDSTLS (5.4.5.3).
        RDSTLS = 0x04, "rdstls";
        /// PROTOCOL_HYBRID_EX: CredSSP + Early User Authorization Result PDU (2.2.10.2).
        HYBRID_EX = 0x08, "hybrid_ex";
        /// PROTOCOL_RDSAAD: RDS AAD Auth.
        RDSAAD = 0x10, "rdsaad";
    }
}

impl SecurityProtocols {
    /// PROTOCOL_RDP (Standard RDP Security, 5.3): no bit set.
    pub const RDP: SecurityProtocols = SecurityProtocols(0);
    /// Names for display; the empty set is `rdp`.
    pub fn display_names(self) -> Vec<String> {
        if self.0 == 0 {
            vec!["rdp".into()]
        } else {
            self.names()
        }
    }
}

impl fmt::Display for SecurityProtocols {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:#x})", self.display_names().join("|"), self.0)
    }
}

/// One security protocol, as in RDP_NEG_RSP.selectedProtocol (exactly one value, 2.2.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// PROTOCOL_RDP 0x00000000: Standard RDP Security.
    Rdp,
    /// PROTOCOL_SSL 0x00000001.
    Ssl,
    /// PROTOCOL_HYBRID 0x00000002.
    Hybrid,
    /// PROTOCOL_RDSTLS 0x00000004.
    Rdstls,
    /// PROTOCOL_HYBRID_EX 0x00000008.
    HybridEx,
    /// PROTOCOL_RDSAAD 0x00000010.
    Rdsaad,
    /// Any other value, kept as sent.
    Unknown(u32),
}

impl Protocol {
    /// Every known protocol, in plan order.
    pub const ALL: [Protocol; 6] =
        [Protocol::Rdp, Protocol::Ssl, Protocol::Hybrid, Protocol::Rdstls, Protocol::HybridEx, Protocol::Rdsaad];

    /// The protocol named `name` as [`Protocol::name`] spells it (`unknown_0x..` included).
    pub fn from_name(name: &str) -> Option<Protocol> {
        if let Some(hex) = name.strip_prefix("unknown_0x") {
            return u32::from_str_radix(hex, 16).ok().map(Protocol::from);
        }
        Protocol::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The wire value.
    pub fn value(self) -> u32 {
        match self {
            Protocol::Rdp => 0,
            Protocol::Ssl => 1,
            Protocol::Hybrid => 2,
            Protocol::Rdstls => 4,
            Protocol::HybridEx => 8,
            Protocol::Rdsaad => 0x10,
            Protocol::Unknown(v) => v,
        }
    }

    /// Lower-snake-case name (the JSON key); unknown values as `unknown_0x..`.
    pub fn name(self) -> String {
        match self {
            Protocol::Rdp => "rdp".into(),
            Protocol::Ssl => "ssl".into(),
            Protocol::Hybrid => "hybrid".into(),
            Protocol::Rdstls => "rdstls".into(),
            Protocol::HybridEx => "hybrid_ex".into(),
            Protocol::Rdsaad => "rdsaad".into(),
            Protocol::Unknown(v) => format!("unknown_{v:#x}"),
        }
    }

    /// The set holding just this protocol (empty for PROTOCOL_RDP).
    pub fn as_set(self) -> SecurityProtocols {
        SecurityProtocols(self.value())
    }

    /// Whether the protocol runs inside TLS: every one but PROTOCOL_RDP, unknown values
    /// included (later protocols all start with TLS, 3.3.5.3.2 and 5.4.5).
    pub fn is_tls_based(self) -> bool {
        self != Protocol::Rdp
    }

    /// Whether the protocol is CredSSP: PROTOCOL_HYBRID or PROTOCOL_HYBRID_EX (5.4.5.2).
    pub fn is_credssp(self) -> bool {
        matches!(self, Protocol::Hybrid | Protocol::HybridEx)
    }

    /// What an admin calls it.
    pub fn description(self) -> &'static str {
        match self {
            Protocol::Rdp => "Standard RDP Security",
            Protocol::Ssl => "TLS",
            Protocol::Hybrid => "CredSSP (NLA)",
            Protocol::Rdstls => "RDSTLS",
            Protocol::HybridEx => "CredSSP with Early User Authorization (NLA)",
            Protocol::Rdsaad => "RDS AAD Auth",
            Protocol::Unknown(_) => "unknown protocol",
        }
    }
}

impl From<u32> for Protocol {
    fn from(v: u32) -> Self {
        match v {
            0 => Protocol::Rdp,
            1 => Protocol::Ssl,
            2 => Protocol::Hybrid,
            4 => Protocol::Rdstls,
            8 => Protocol::HybridEx,
            0x10 => Protocol::Rdsaad,
            v => Protocol::Unknown(v),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

flag_set! {
    /// RDP_NEG_REQ flags (2.2.1.1.1).
    NegReqFlags(u8) {
        /// RESTRICTED_ADMIN_MODE_REQUIRED.
        RESTRICTED_ADMIN_MODE_REQUIRED = 0x01, "restricted_admin_mode_required";
        /// REDIRECTED_AUTHENTICATION_MODE_REQUIRED (Remote Credential Guard).
        REDIRECTED_AUTHENTICATION_MODE_REQUIRED = 0x02, "redirected_authentication_mode_required";
        /// CORRELATION_INFO_PRESENT: an RDP_NEG_CORRELATION_INFO follows.
        CORRELATION_INFO_PRESENT = 0x08, "correlation_info_present";
    }
}

flag_set! {
    /// RDP_NEG_RSP flags (2.2.1.2.1).
    NegRspFlags(u8) {
        /// EXTENDED_CLIENT_DATA_SUPPORTED.
        EXTENDED_CLIENT_DATA_SUPPORTED = 0x01, "extended_client_data_supported";
        /// DYNVC_GFX_PROTOCOL_SUPPORTED: the Graphics Pipeline Extension.
        DYNVC_GFX_PROTOCOL_SUPPORTED = 0x02, "dynvc_gfx_protocol_supported";
        /// NEGRSP_FLAG_RESERVED: "SHOULD be ignored", still shown.
        NEGRSP_FLAG_RESERVED = 0x04, "negrsp_flag_reserved";
        /// RESTRICTED_ADMIN_MODE_SUPPORTED.
        RESTRICTED_ADMIN_MODE_SUPPORTED = 0x08, "restricted_admin_mode_supported";
        /// REDIRECTED_AUTHENTICATION_MODE_SUPPORTED (Remote Credential Guard).
        REDIRECTED_AUTHENTICATION_MODE_SUPPORTED = 0x10, "redirected_authentication_mode_supported";
        /// Undocumented in MS-RDPBCGR 2.2.1.2.1 (which defines 0x01..0x10 only) and named by
        /// no public source: set by Windows Server 2025 / Windows 11 24H2 (flags 0x2f / 0x3f
        /// where earlier releases send 0x0f / 0x1f; nmap PR 3485). Its meaning is unknown, so
        /// it is named after the releases that set it (finding `negotiation-flag-0x20`).
        NEGRSP_FLAG_WINDOWS_2025 = 0x20, "undocumented_0x20_windows_2025";
    }
}

/// RDP_NEG_FAILURE.failureCode (2.2.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureCode {
    /// 1: the server requires TLS (SecurityLayer = SSL).
    SslRequiredByServer,
    /// 2: the server allows Standard RDP Security only (SecurityLayer = RDP).
    SslNotAllowedByServer,
    /// 3: the server has no certificate for TLS.
    SslCertNotOnServer,
    /// 4: inconsistent request flags.
    InconsistentFlags,
    /// 5: the server requires CredSSP (NLA).
    HybridRequiredByServer,
    /// 6: TLS with a client certificate is required.
    SslWithUserAuthRequiredByServer,
    /// Any other value, kept as sent.
    Unknown(u32),
}

impl From<u32> for FailureCode {
    fn from(v: u32) -> Self {
        match v {
            1 => FailureCode::SslRequiredByServer,
            2 => FailureCode::SslNotAllowedByServer,
            3 => FailureCode::SslCertNotOnServer,
            4 => FailureCode::InconsistentFlags,
            5 => FailureCode::HybridRequiredByServer,
            6 => FailureCode::SslWithUserAuthRequiredByServer,
            v => FailureCode::Unknown(v),
        }
    }
}

impl FailureCode {
    /// The code named `name` as [`FailureCode::name`] spells it (`unknown_failure_0x..` included).
    pub fn from_name(name: &str) -> Option<FailureCode> {
        if let Some(hex) = name.strip_prefix("unknown_failure_0x") {
            return u32::from_str_radix(hex, 16).ok().map(FailureCode::from);
        }
        (1..=6).map(FailureCode::from).find(|c| c.name() == name)
    }

    /// The wire value.
    pub fn value(self) -> u32 {
        match self {
            FailureCode::SslRequiredByServer => 1,
            FailureCode::SslNotAllowedByServer => 2,
            FailureCode::SslCertNotOnServer => 3,
            FailureCode::InconsistentFlags => 4,
            FailureCode::HybridRequiredByServer => 5,
            FailureCode::SslWithUserAuthRequiredByServer => 6,
            FailureCode::Unknown(v) => v,
        }
    }
    /// The spec's name in lower snake case (the JSON value); unknown as `unknown_failure_0x..`.
    pub fn name(self) -> String {
        match self {
            FailureCode::SslRequiredByServer => "ssl_required_by_server".into(),
            FailureCode::SslNotAllowedByServer => "ssl_not_allowed_by_server".into(),
            FailureCode::SslCertNotOnServer => "ssl_cert_not_on_server".into(),
            FailureCode::InconsistentFlags => "inconsistent_flags".into(),
            FailureCode::HybridRequiredByServer => "hybrid_required_by_server".into(),
            FailureCode::SslWithUserAuthRequiredByServer => "ssl_with_user_auth_required_by_server".into(),
            FailureCode::Unknown(v) => format!("unknown_failure_{v:#x}"),
        }
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name().to_uppercase(), self.value())
    }
}

/// The cookie or routing token at the start of the CR's variable part (2.2.1.1).
/// Only one of the two may be present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cookie {
    /// `Cookie: mstshash=IDENTIFIER\r\n`.
    Mstshash(String),
    /// A routing token as given by a broker (`Cookie: msts=...\r\n`), sent verbatim (the
    /// terminating CR LF is added when missing).
    RoutingToken(Vec<u8>),
}

/// RDP_NEG_REQ (2.2.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiationRequest {
    /// flags.
    pub flags: NegReqFlags,
    /// requestedProtocols.
    pub requested_protocols: SecurityProtocols,
}

/// RDP_NEG_CORRELATION_INFO (2.2.1.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelationInfo {
    /// correlationId: 16 bytes; the first byte MUST NOT be 0x00 or 0xF4, no byte 0x0D.
    pub correlation_id: [u8; 16],
}

/// Client X.224 Connection Request PDU (2.2.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectionRequest {
    /// Cookie or routing token, if any.
    pub cookie: Option<Cookie>,
    /// RDP_NEG_REQ; `None` sends a legacy CR (what pre-2003 clients send).
    pub negotiation: Option<NegotiationRequest>,
    /// RDP_NEG_CORRELATION_INFO (needs CORRELATION_INFO_PRESENT in the request flags).
    pub correlation: Option<CorrelationInfo>,
}

const CR_PDU: &str = "X.224 Connection Request";
const CC_PDU: &str = "X.224 Connection Confirm";
const NEG_PDU: &str = "RDP_NEG_RSP/FAILURE";

impl ConnectionRequest {
    /// Encodes the whole TPKT frame.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut var = Vec::new();
        match &self.cookie {
            Some(Cookie::Mstshash(id)) => {
                // The cookie ends at the first CR LF: an identifier holding one cannot be sent.
                if id.contains(['\r', '\n']) {
                    return Err(DecodeError::invalid(CR_PDU, "cookie", 0x0d));
                }
                let line = format!("Cookie: mstshash={id}\r\n");
                if line.len() > MAX_COOKIE_LEN {
                    return Err(DecodeError::length(CR_PDU, "cookie", line.len(), MAX_COOKIE_LEN));
                }
                var.extend_from_slice(line.as_bytes());
            }
            Some(Cookie::RoutingToken(t)) => {
                let mut t = t.clone();
                let body = t.strip_suffix(b"\r\n").unwrap_or(&t);
                if body.windows(2).any(|w| w == b"\r\n") {
                    return Err(DecodeError::invalid(CR_PDU, "routingToken", 0x0d));
                }
                if !t.ends_with(b"\r\n") {
                    t.extend_from_slice(b"\r\n");
                }
                if t.len() > MAX_COOKIE_LEN {
                    return Err(DecodeError::length(CR_PDU, "routingToken", t.len(), MAX_COOKIE_LEN));
                }
                var.extend_from_slice(&t);
            }
            None => {}
        }
        if let Some(n) = self.negotiation {
            var.push(TYPE_RDP_NEG_REQ);
            var.push(n.flags.0);
            var.extend_from_slice(&(NEG_DATA_LEN as u16).to_le_bytes());
            var.extend_from_slice(&n.requested_protocols.0.to_le_bytes());
        }
        if let Some(c) = self.correlation {
            // 2.2.1.1.2: correlation info follows an RDP_NEG_REQ that flags it.
            if self.negotiation.is_none() {
                return Err(DecodeError::invalid(CR_PDU, "rdpCorrelationInfo", TYPE_RDP_CORRELATION_INFO.into()));
            }
            var.push(TYPE_RDP_CORRELATION_INFO);
            var.push(0);
            var.extend_from_slice(&(CORRELATION_INFO_LEN as u16).to_le_bytes());
            var.extend_from_slice(&c.correlation_id);
            var.extend_from_slice(&[0u8; 16]);
        }
        let li = FIXED_LEN + var.len();
        let li8 = u8::try_from(li).map_err(|_| DecodeError::length(CR_PDU, "LI", li, 0xFE))?;
        let mut x224 = Vec::with_capacity(li + 1);
        x224.push(li8);
        x224.push(TPDU_CONNECTION_REQUEST);
        x224.extend_from_slice(&[0, 0, 0, 0, 0]); // DST-REF, SRC-REF, class 0
        x224.extend_from_slice(&var);
        tpkt::encode(&x224)
    }

    /// Decodes a CR from a TPKT frame (used by tests, fuzzing and hostile-server harnesses).
    pub fn decode(frame: &[u8]) -> Result<ConnectionRequest, DecodeError> {
        let payload = tpkt::decode(frame)?;
        let (var, hdr) = decode_header(payload, CR_PDU, TPDU_CONNECTION_REQUEST)?;
        let mut rest = var;
        let mut cr = ConnectionRequest::default();
        if rest.starts_with(b"Cookie: ") {
            let end = rest.windows(2).position(|w| w == b"\r\n").ok_or(DecodeError::truncated(CR_PDU, "cookie"))?;
            let (line, tail) = rest.split_at(end + 2);
            rest = tail;
            cr.cookie = Some(match line.strip_prefix(b"Cookie: mstshash=") {
                Some(id) => Cookie::Mstshash(String::from_utf8_lossy(id.get(..id.len() - 2).unwrap_or(id)).into()),
                None => Cookie::RoutingToken(line.to_vec()),
            });
        }
        if !rest.is_empty() {
            let (i, ty) = nom_u8(rest).ctx(CR_PDU, "rdpNegReq.type")?;
            if ty != TYPE_RDP_NEG_REQ {
                return Err(DecodeError::invalid(CR_PDU, "rdpNegReq.type", ty.into()));
            }
            let (i, flags) = nom_u8(i).ctx(CR_PDU, "rdpNegReq.flags")?;
            let (i, length) = le_u16(i).ctx(CR_PDU, "rdpNegReq.length")?;
            if usize::from(length) != NEG_DATA_LEN {
                return Err(DecodeError::length(CR_PDU, "rdpNegReq.length", length.into(), NEG_DATA_LEN));
            }
            let (i, req) = le_u32(i).ctx(CR_PDU, "rdpNegReq.requestedProtocols")?;
            cr.negotiation =
                Some(NegotiationRequest { flags: NegReqFlags(flags), requested_protocols: SecurityProtocols(req) });
            rest = i;
        }
        if !rest.is_empty() {
            let (i, ty) = nom_u8(rest).ctx(CR_PDU, "rdpCorrelationInfo.type")?;
            if ty != TYPE_RDP_CORRELATION_INFO {
                return Err(DecodeError::invalid(CR_PDU, "rdpCorrelationInfo.type", ty.into()));
            }
            let (i, _flags) = nom_u8(i).ctx(CR_PDU, "rdpCorrelationInfo.flags")?;
            let (i, length) = le_u16(i).ctx(CR_PDU, "rdpCorrelationInfo.length")?;
            if usize::from(length) != CORRELATION_INFO_LEN {
                return Err(DecodeError::length(
                    CR_PDU,
                    "rdpCorrelationInfo.length",
                    length.into(),
                    CORRELATION_INFO_LEN,
                ));
            }
            let (i, id) = take_len(i, 16, 16, CR_PDU, "rdpCorrelationInfo.correlationId")?;
            let (i, _reserved) = take_len(i, 16, 16, CR_PDU, "rdpCorrelationInfo.reserved")?;
            let mut correlation_id = [0u8; 16];
            correlation_id.copy_from_slice(id);
            cr.correlation = Some(CorrelationInfo { correlation_id });
            rest = i;
        }
        if !rest.is_empty() {
            return Err(DecodeError::trailing(CR_PDU, "variable part", rest.len()));
        }
        let _ = hdr;
        Ok(cr)
    }
}

/// The fixed header of a CR/CC/DR (X.224 13.3-13.5, class 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TpduHeader {
    /// LI: length of the header after this octet.
    pub li: u8,
    /// Code octet (high nibble = TPDU type, low nibble = CDT).
    pub code: u8,
    /// DST-REF.
    pub dst_ref: u16,
    /// SRC-REF: Windows 0x1234, xrdp / GNOME 0, VirtualBox 0x3412 — a fingerprint.
    pub src_ref: u16,
    /// Class option octet (class 0 expected; DR's reason octet sits here too).
    pub class_option: u8,
}

/// Decodes LI + fixed part; returns the variable part (LI-6 bytes) and the header.
/// Strict on LI: it must fit the payload. Bytes after LI (user data) are not allowed in class 0
/// CR/CC, so they count as trailing.
fn decode_header<'a>(
    payload: &'a [u8],
    pdu: &'static str,
    want_code: u8,
) -> Result<(&'a [u8], TpduHeader), DecodeError> {
    let (i, li) = nom_u8(payload).ctx(pdu, "LI")?;
    let li_len = usize::from(li);
    if li_len < FIXED_LEN || li_len > i.len() {
        return Err(DecodeError::length(pdu, "LI", li_len, i.len()));
    }
    let (i, code) = nom_u8(i).ctx(pdu, "code")?;
    if code & 0xF0 != want_code {
        return Err(DecodeError::invalid(pdu, "code", code.into()));
    }
    let (i, dst_ref) = be_u16(i).ctx(pdu, "DST-REF")?;
    let (i, src_ref) = be_u16(i).ctx(pdu, "SRC-REF")?;
    let (i, class_option) = nom_u8(i).ctx(pdu, "class option")?;
    let (rest, var) = take_len(i, li_len - FIXED_LEN, li_len, pdu, "variable part")?;
    if !rest.is_empty() {
        return Err(DecodeError::trailing(pdu, "LI", rest.len()));
    }
    Ok((var, TpduHeader { li, code, dst_ref, src_ref, class_option }))
}

/// The server's negotiation answer (rdpNegData of the CC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiationResponse {
    /// RDP_NEG_RSP (2.2.1.2.1).
    Response {
        /// flags.
        flags: NegRspFlags,
        /// selectedProtocol.
        selected_protocol: Protocol,
    },
    /// RDP_NEG_FAILURE (2.2.1.2.2).
    Failure {
        /// flags (0 by spec; kept as sent).
        flags: u8,
        /// failureCode.
        code: FailureCode,
    },
    /// A structure with an unknown type octet: kept whole.
    Unknown {
        /// type.
        ty: u8,
        /// The raw bytes of the variable part.
        raw: Vec<u8>,
    },
}

/// Server X.224 Connection Confirm PDU (2.2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionConfirm {
    /// The fixed header (source reference and class are fingerprints).
    pub header: TpduHeader,
    /// rdpNegData; `None` when the CC carries none (legacy servers: Windows 2000/XP/2003).
    pub negotiation: Option<NegotiationResponse>,
}

impl ConnectionConfirm {
    /// Decodes a CC from a complete TPKT frame.
    pub fn decode(frame: &[u8]) -> Result<ConnectionConfirm, DecodeError> {
        let payload = tpkt::decode(frame)?;
        Self::decode_x224(payload)
    }

    /// Decodes a CC from the X.224 payload (after TPKT).
    pub fn decode_x224(payload: &[u8]) -> Result<ConnectionConfirm, DecodeError> {
        let (var, header) = decode_header(payload, CC_PDU, TPDU_CONNECTION_CONFIRM)?;
        let negotiation = if var.is_empty() { None } else { Some(decode_negotiation(var)?) };
        Ok(ConnectionConfirm { header, negotiation })
    }

    /// Encodes as a TPKT frame (for tests, round trips and our hostile test servers).
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut var = Vec::new();
        match &self.negotiation {
            Some(NegotiationResponse::Response { flags, selected_protocol }) => {
                var.extend_from_slice(&[TYPE_RDP_NEG_RSP, flags.0]);
                var.extend_from_slice(&(NEG_DATA_LEN as u16).to_le_bytes());
                var.extend_from_slice(&selected_protocol.value().to_le_bytes());
            }
            Some(NegotiationResponse::Failure { flags, code }) => {
                var.extend_from_slice(&[TYPE_RDP_NEG_FAILURE, *flags]);
                var.extend_from_slice(&(NEG_DATA_LEN as u16).to_le_bytes());
                var.extend_from_slice(&code.value().to_le_bytes());
            }
            Some(NegotiationResponse::Unknown { raw, .. }) => var.extend_from_slice(raw),
            None => {}
        }
        let li = FIXED_LEN + var.len();
        let li8 = u8::try_from(li).map_err(|_| DecodeError::length(CC_PDU, "LI", li, 0xFE))?;
        let h = self.header;
        let mut x = vec![li8, TPDU_CONNECTION_CONFIRM | (h.code & 0x0F)];
        x.extend_from_slice(&h.dst_ref.to_be_bytes());
        x.extend_from_slice(&h.src_ref.to_be_bytes());
        x.push(h.class_option);
        x.extend_from_slice(&var);
        tpkt::encode(&x)
    }
}

/// rdpNegData: type, flags, length (must be 8 and fit), value. Unknown types are kept raw.
fn decode_negotiation(var: &[u8]) -> Result<NegotiationResponse, DecodeError> {
    // X.224 variable-part parameters (13.3.4: 0xC0 TPDU size, 0xC1/0xC2 TSAP ids, ...) are what
    // a generic COTP service (ISO-TSAP, e.g. a Siemens S7 PLC) answers with; RDP never sends
    // them. Keep them raw for the caller to classify, without applying RDP length rules.
    if let Some(&ty) = var.first() {
        if ty >= 0x80 {
            return Ok(NegotiationResponse::Unknown { ty, raw: var.to_vec() });
        }
    }
    let (i, ty) = nom_u8(var).ctx(NEG_PDU, "type")?;
    let (i, flags) = nom_u8(i).ctx(NEG_PDU, "flags")?;
    let (i, length) = le_u16(i).ctx(NEG_PDU, "length")?;
    let length = usize::from(length);
    if length > var.len() {
        return Err(DecodeError::length(NEG_PDU, "length", length, var.len()));
    }
    match ty {
        TYPE_RDP_NEG_RSP | TYPE_RDP_NEG_FAILURE => {
            if length != NEG_DATA_LEN {
                return Err(DecodeError::length(NEG_PDU, "length", length, NEG_DATA_LEN));
            }
            let (rest, value) = le_u32(i).ctx(NEG_PDU, "value")?;
            if !rest.is_empty() {
                return Err(DecodeError::trailing(NEG_PDU, "length", rest.len()));
            }
            Ok(if ty == TYPE_RDP_NEG_RSP {
                NegotiationResponse::Response { flags: NegRspFlags(flags), selected_protocol: Protocol::from(value) }
            } else {
                NegotiationResponse::Failure { flags, code: FailureCode::from(value) }
            })
        }
        _ => Ok(NegotiationResponse::Unknown { ty, raw: var.to_vec() }),
    }
}

/// What the first frame after our CR turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAnswer {
    /// A Connection Confirm.
    Confirm(ConnectionConfirm),
    /// A Disconnect Request (X.224 13.5): the reason octet is kept.
    Disconnect {
        /// SRC-REF of the DR.
        src_ref: u16,
        /// Reason octet.
        reason: u8,
    },
    /// An X.224 Data TPDU instead of a CC: xrdp sends an MCS Disconnect-Provider-Ultimatum
    /// (`02 f0 80 21 80`) for requests it does not accept.
    Data {
        /// The user data after the DT header (an MCS PDU).
        user_data: Vec<u8>,
    },
}

impl ServerAnswer {
    /// Decodes any X.224 TPDU a server may answer our CR with.
    pub fn decode(frame: &[u8]) -> Result<ServerAnswer, DecodeError> {
        let payload = tpkt::decode(frame)?;
        let code = payload.get(1).copied().ok_or(DecodeError::truncated("X.224", "code"))?;
        match code & 0xF0 {
            TPDU_CONNECTION_CONFIRM => Ok(ServerAnswer::Confirm(ConnectionConfirm::decode_x224(payload)?)),
            TPDU_DISCONNECT_REQUEST => {
                let (var, h) = decode_header(payload, "X.224 Disconnect Request", TPDU_DISCONNECT_REQUEST)?;
                let _ = var;
                Ok(ServerAnswer::Disconnect { src_ref: h.src_ref, reason: h.class_option })
            }
            TPDU_DATA => {
                let (i, li) = nom_u8(payload).ctx("X.224 Data", "LI")?;
                let (user_data, _hdr) = take_len(i, usize::from(li), 0xFE, "X.224 Data", "LI")?;
                Ok(ServerAnswer::Data { user_data: user_data.to_vec() })
            }
            other => Err(DecodeError::invalid("X.224", "code", other.into())),
        }
    }
}

/// How a server's answer to our CR stands against the protocol(s) a step needs before it can
/// continue on the same connection (MS-RDPBCGR 3.3.5.3.2): the one reading behind the TLS, NLA
/// and MCS steps' own refusal reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// RDP_NEG_RSP selecting a wanted protocol; or a Connection Confirm without rdpNegData when
    /// PROTOCOL_RDP is wanted (a pre-negotiation server implies it, 3.3.5.3.2).
    Wanted(Protocol),
    /// RDP_NEG_RSP selecting a protocol that is not wanted.
    Other(Protocol),
    /// RDP_NEG_FAILURE with this failureCode (2.2.1.2.2).
    Failure(FailureCode),
    /// A Connection Confirm without rdpNegData where PROTOCOL_RDP is not wanted.
    NoNegotiation,
    /// An rdpNegData structure of unknown type.
    UnknownType(u8),
    /// An X.224 Disconnect Request (X.224 13.5) with this reason octet.
    Disconnect {
        /// The reason octet.
        reason: u8,
    },
    /// An X.224 Data TPDU instead of a Connection Confirm (xrdp's MCS
    /// Disconnect-Provider-Ultimatum).
    Data,
}

impl ServerAnswer {
    /// Classifies this answer against the protocols `wanted` accepts.
    pub fn selection(&self, wanted: impl Fn(Protocol) -> bool) -> Selection {
        let cc = match self {
            ServerAnswer::Confirm(cc) => cc,
            ServerAnswer::Disconnect { reason, .. } => return Selection::Disconnect { reason: *reason },
            ServerAnswer::Data { .. } => return Selection::Data,
        };
        match &cc.negotiation {
            Some(NegotiationResponse::Response { selected_protocol: p, .. }) if wanted(*p) => Selection::Wanted(*p),
            Some(NegotiationResponse::Response { selected_protocol: p, .. }) => Selection::Other(*p),
            Some(NegotiationResponse::Failure { code, .. }) => Selection::Failure(*code),
            Some(NegotiationResponse::Unknown { ty, .. }) => Selection::UnknownType(*ty),
            None if wanted(Protocol::Rdp) => Selection::Wanted(Protocol::Rdp),
            None => Selection::NoNegotiation,
        }
    }
}

/// Builds the X.224 Data TPDU header + user data (X.224 13.7, class 0: LI=2, 0xF0, EOT).
pub fn encode_data(user_data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut x = Vec::with_capacity(user_data.len() + 3);
    x.extend_from_slice(&[2, TPDU_DATA, 0x80]);
    x.extend_from_slice(user_data);
    tpkt::encode(&x)
}

/// Strips TPKT + X.224 Data header from a frame, returning the MCS PDU it carries.
pub fn decode_data(frame: &[u8]) -> Result<&[u8], DecodeError> {
    let payload = tpkt::decode(frame)?;
    let (i, li) = nom_u8(payload).ctx("X.224 Data", "LI")?;
    let (user, hdr) = take_len(i, usize::from(li), 0xFE, "X.224 Data", "LI")?;
    match hdr.first() {
        Some(&c) if c & 0xF0 == TPDU_DATA => Ok(user),
        Some(&c) => Err(DecodeError::invalid("X.224 Data", "code", c.into())),
        None => Err(DecodeError::truncated("X.224 Data", "code")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::DecodeErrorKind;

    /// MS-RDPBCGR 4.1.1 Client X.224 Connection Request PDU (cookie "eltons", RDP_NEG_REQ 0).
    const SPEC_CR: &[u8] = &[
        0x03, 0x00, 0x00, 0x2c, // TPKT, length 44
        0x27, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, // LI 39, CR, DST-REF 0, SRC-REF 0, class 0
        0x43, 0x6f, 0x6f, 0x6b, 0x69, 0x65, 0x3a, 0x20, 0x6d, 0x73, 0x74, 0x73, 0x68, 0x61, 0x73, 0x68, 0x3d, 0x65,
        0x6c, 0x74, 0x6f, 0x6e, 0x73, 0x0d, 0x0a, // "Cookie: mstshash=eltons\r\n"
        0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // RDP_NEG_REQ, flags 0, length 8, PROTOCOL_RDP
    ];

    /// MS-RDPBCGR 4.1.2 Server X.224 Connection Confirm PDU (RDP_NEG_RSP selecting PROTOCOL_RDP).
    const SPEC_CC: &[u8] = &[
        0x03, 0x00, 0x00, 0x13, // TPKT, length 19
        0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, // LI 14, CC, DST-REF 0, SRC-REF 0x1234, class 0
        0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // RDP_NEG_RSP, flags 0, length 8, PROTOCOL_RDP
    ];

    #[test]
    fn spec_cr_round_trip() {
        let cr = ConnectionRequest::decode(SPEC_CR).unwrap();
        assert_eq!(cr.cookie, Some(Cookie::Mstshash("eltons".into())));
        assert_eq!(cr.negotiation.unwrap().requested_protocols, SecurityProtocols::RDP);
        assert_eq!(cr.encode().unwrap(), SPEC_CR);
    }

    #[test]
    fn spec_cc() {
        let cc = ConnectionConfirm::decode(SPEC_CC).unwrap();
        assert_eq!(cc.header.src_ref, 0x1234);
        assert_eq!(
            cc.negotiation,
            Some(NegotiationResponse::Response { flags: NegRspFlags(0), selected_protocol: Protocol::Rdp })
        );
        assert_eq!(cc.encode().unwrap(), SPEC_CC);
    }

    #[test]
    fn legacy_cc_has_no_negotiation() {
        let cc = ConnectionConfirm::decode(&[3, 0, 0, 0x0b, 6, 0xd0, 0, 0, 0x12, 0x34, 0]).unwrap();
        assert_eq!(cc.negotiation, None);
    }

    #[test]
    fn failure_and_unknown_codes_are_kept() {
        let f = [3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0, 0, 0, 3, 0, 8, 0, 0x77, 0, 0, 0];
        let cc = ConnectionConfirm::decode(&f).unwrap();
        assert_eq!(cc.negotiation, Some(NegotiationResponse::Failure { flags: 0, code: FailureCode::Unknown(0x77) }));
        let f = [3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0, 0, 0, 2, 0x1f, 8, 0, 0x20, 0, 0, 0];
        let cc = ConnectionConfirm::decode(&f).unwrap();
        match cc.negotiation {
            Some(NegotiationResponse::Response { flags, selected_protocol }) => {
                assert_eq!(selected_protocol, Protocol::Unknown(0x20));
                assert_eq!(flags.names().len(), 5);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn overrunning_lengths_are_errors() {
        // negotiation length claims 0x40 bytes, 8 present
        let f = [3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0, 0, 0, 2, 0, 0x40, 0, 0, 0, 0, 0];
        assert_eq!(ConnectionConfirm::decode(&f).unwrap_err(), DecodeError::length(NEG_PDU, "length", 0x40, 8));
        // LI claims more than present
        let f = [3, 0, 0, 0x0b, 0x30, 0xd0, 0, 0, 0, 0, 0];
        assert!(matches!(ConnectionConfirm::decode(&f).unwrap_err().kind, DecodeErrorKind::LengthOutOfRange { .. }));
        // truncated negotiation value
        let f = [3, 0, 0, 0x0f, 0x0a, 0xd0, 0, 0, 0, 0, 0, 2, 0, 4, 0];
        assert!(ConnectionConfirm::decode(&f).is_err());
    }

    /// Windows Server 2025's answer to nmap's probe (requestedProtocols 0x03), nmap PR 3485:
    /// flags 0x2f, the undocumented 0x20 bit named.
    #[test]
    fn windows_2025_flags() {
        let f = [3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x2f, 8, 0, 2, 0, 0, 0];
        let cc = ConnectionConfirm::decode(&f).unwrap();
        assert_eq!(cc.header.src_ref, 0x1234);
        let Some(NegotiationResponse::Response { flags, selected_protocol }) = cc.negotiation else { panic!() };
        assert_eq!(selected_protocol, Protocol::Hybrid);
        assert_eq!(
            flags.names(),
            [
                "extended_client_data_supported",
                "dynvc_gfx_protocol_supported",
                "negrsp_flag_reserved",
                "restricted_admin_mode_supported",
                "undocumented_0x20_windows_2025"
            ]
        );
        assert_eq!(NegRspFlags(0x40).names(), ["unknown_0x40"]);
    }

    #[test]
    fn xrdp_disconnect_ultimatum_is_data() {
        let a = ServerAnswer::decode(&[3, 0, 0, 9, 2, 0xf0, 0x80, 0x21, 0x80]).unwrap();
        assert_eq!(a, ServerAnswer::Data { user_data: vec![0x21, 0x80] });
    }

    /// A CC carrying `neg` (flags 0 in RDP_NEG_RSP).
    fn answer(neg: Option<NegotiationResponse>) -> ServerAnswer {
        let header = TpduHeader { li: 0, code: TPDU_CONNECTION_CONFIRM, dst_ref: 0, src_ref: 0x1234, class_option: 0 };
        ServerAnswer::Confirm(ConnectionConfirm { header, negotiation: neg })
    }

    fn rsp(p: Protocol) -> ServerAnswer {
        answer(Some(NegotiationResponse::Response { flags: NegRspFlags(0), selected_protocol: p }))
    }

    #[test]
    fn selection_of_a_wanted_protocol() {
        let only = |w: Protocol| move |p: Protocol| p == w;
        assert_eq!(rsp(Protocol::Ssl).selection(only(Protocol::Ssl)), Selection::Wanted(Protocol::Ssl));
        assert_eq!(rsp(Protocol::Ssl).selection(only(Protocol::Rdp)), Selection::Other(Protocol::Ssl));
        assert_eq!(rsp(Protocol::Rdp).selection(Protocol::is_tls_based), Selection::Other(Protocol::Rdp));
        assert_eq!(rsp(Protocol::HybridEx).selection(Protocol::is_credssp), Selection::Wanted(Protocol::HybridEx));
        assert_eq!(rsp(Protocol::Ssl).selection(Protocol::is_credssp), Selection::Other(Protocol::Ssl));
        // An unknown selectedProtocol is TLS-based (every protocol after PROTOCOL_RDP is).
        let unknown = Protocol::Unknown(0x20);
        assert_eq!(rsp(unknown).selection(Protocol::is_tls_based), Selection::Wanted(unknown));
        // The spec CC selects PROTOCOL_RDP.
        let spec = ServerAnswer::decode(SPEC_CC).unwrap();
        assert_eq!(spec.selection(only(Protocol::Rdp)), Selection::Wanted(Protocol::Rdp));
    }

    #[test]
    fn selection_without_a_response() {
        let fail = answer(Some(NegotiationResponse::Failure { flags: 0, code: FailureCode::HybridRequiredByServer }));
        assert_eq!(fail.selection(|_| true), Selection::Failure(FailureCode::HybridRequiredByServer));
        let odd = answer(Some(NegotiationResponse::Unknown { ty: 0xc0, raw: vec![0xc0, 1, 0x0a] }));
        assert_eq!(odd.selection(|_| true), Selection::UnknownType(0xc0));
        // A legacy CC (no rdpNegData) implies PROTOCOL_RDP: wanted only where RDP is.
        let legacy = ServerAnswer::decode(&[3, 0, 0, 0x0b, 6, 0xd0, 0, 0, 0x12, 0x34, 0]).unwrap();
        assert_eq!(legacy.selection(|p| p == Protocol::Rdp), Selection::Wanted(Protocol::Rdp));
        assert_eq!(legacy.selection(Protocol::is_tls_based), Selection::NoNegotiation);
        assert_eq!(legacy.selection(Protocol::is_credssp), Selection::NoNegotiation);
        let dr = ServerAnswer::Disconnect { src_ref: 0, reason: 2 };
        assert_eq!(dr.selection(|_| true), Selection::Disconnect { reason: 2 });
        let dpu = ServerAnswer::decode(&[3, 0, 0, 9, 2, 0xf0, 0x80, 0x21, 0x80]).unwrap();
        assert_eq!(dpu.selection(|_| true), Selection::Data);
    }

    #[test]
    fn flag_names() {
        assert_eq!(SecurityProtocols(0x0b).names(), ["ssl", "hybrid", "hybrid_ex"]);
        assert_eq!(SecurityProtocols(0x41).names(), ["ssl", "unknown_0x40"]);
        assert_eq!(SecurityProtocols::RDP.display_names(), ["rdp"]);
    }

    #[test]
    fn cr_with_correlation_round_trip() {
        let cr = ConnectionRequest {
            cookie: Some(Cookie::RoutingToken(b"Cookie: msts=3640205228.15629.0000".to_vec())),
            negotiation: Some(NegotiationRequest {
                flags: NegReqFlags::CORRELATION_INFO_PRESENT,
                requested_protocols: SecurityProtocols(0x0b),
            }),
            correlation: Some(CorrelationInfo { correlation_id: [0x11; 16] }),
        };
        let enc = cr.encode().unwrap();
        let mut want = cr.clone();
        want.cookie = Some(Cookie::RoutingToken(b"Cookie: msts=3640205228.15629.0000\r\n".to_vec()));
        assert_eq!(ConnectionRequest::decode(&enc).unwrap(), want);
    }
}
