//! The RDP connection sequence after the MCS Connect Response (MS-RDPBCGR 1.3.1.1), sans-IO:
//! MCS domain PDUs, the security layer and Standard RDP Security crypto, Client Info,
//! licensing, capability exchange, connection finalization, and the framing of graphics output.
//!
//! Layering of one slow-path PDU, outside in: TPKT ([`crate::wire::tpkt`]), X.224 Data
//! ([`crate::wire::x224::decode_data`]), MCS Send Data ([`mcs_domain`]), security header
//! ([`security`], present or not depending on the negotiated security), then a licensing PDU
//! ([`licensing`]), Client Info ([`client_info`]) or a Share Control PDU ([`share`]). Fast-path
//! output has its own framing ([`output`]).

pub mod activation;
pub mod capabilities;
pub mod client_info;
pub mod crypto;
pub mod errinfo;
pub mod licensing;
pub mod licensing_crypto;
pub mod mcs_domain;
pub mod output;
pub mod security;
pub mod share;

#[cfg(test)]
pub(crate) mod capture_tests;

/// Declares a code enum with named arms, an `Unknown` arm for every other value, and
/// `from_value` / `value` / `name` (lower snake case; unknown values as `unknown_0x..`).
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident($t:ty) { $($(#[$vm:meta])* $var:ident = $v:literal, $s:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// A value the table does not name (kept, never rejected).
            Unknown($t),
        }
        impl $name {
            /// The arm for a wire value.
            pub fn from_value(v: $t) -> Self {
                match v {
                    $($v => $name::$var,)*
                    other => $name::Unknown(other),
                }
            }
            /// The wire value.
            pub fn value(self) -> $t {
                match self {
                    $($name::$var => $v,)*
                    $name::Unknown(v) => v,
                }
            }
            /// Lower-snake-case name (`unknown_0x..` for values the table does not name).
            pub fn name(self) -> String {
                match self {
                    $($name::$var => $s.to_string(),)*
                    $name::Unknown(v) => format!("unknown_{:#x}", v),
                }
            }
            /// The arm [`Self::name`] gave `s` (`unknown_0x..` back to its value); `None` for
            /// text it never gives.
            pub fn from_name(s: &str) -> Option<Self> {
                match s {
                    $($s => Some($name::$var),)*
                    other => other
                        .strip_prefix("unknown_0x")
                        .and_then(|h| <$t>::from_str_radix(h, 16).ok())
                        .map($name::from_value),
                }
            }
        }
    };
}
pub(crate) use code_enum;

/// UTF-16LE bytes of `s` (no terminator).
pub(crate) fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Decodes UTF-16LE text up to the first null character (lenient, see
/// [`crate::wire::codec::utf16le_lossy`]).
pub(crate) fn utf16le_until_nul(b: &[u8]) -> String {
    let end = b.chunks_exact(2).position(|c| c == [0, 0]).map_or(b.len(), |p| p * 2);
    crate::wire::codec::utf16le_lossy(b.get(..end).unwrap_or_default())
}

/// Fails with a trailing-bytes error when `rest` is not empty.
pub(crate) fn expect_end(
    rest: &[u8],
    pdu: &'static str,
    field: &'static str,
) -> Result<(), crate::wire::codec::DecodeError> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(crate::wire::codec::DecodeError::trailing(pdu, field, rest.len()))
    }
}
