//! AV_PAIR (MS-NLMP 2.2.2.1): the target info list of a CHALLENGE_MESSAGE, echoed in the
//! AUTHENTICATE_MESSAGE.

use crate::wire::codec::{utf16le_lossy, Ctx, DecodeError};
use nom::number::complete::le_u16;

/// AV_PAIR AvId values (MS-NLMP 2.2.2.1).
pub mod av_id {
    /// MsvAvEOL.
    pub const EOL: u16 = 0;
    /// MsvAvNbComputerName.
    pub const NB_COMPUTER_NAME: u16 = 1;
    /// MsvAvNbDomainName.
    pub const NB_DOMAIN_NAME: u16 = 2;
    /// MsvAvDnsComputerName.
    pub const DNS_COMPUTER_NAME: u16 = 3;
    /// MsvAvDnsDomainName.
    pub const DNS_DOMAIN_NAME: u16 = 4;
    /// MsvAvDnsTreeName.
    pub const DNS_TREE_NAME: u16 = 5;
    /// MsvAvFlags.
    pub const FLAGS: u16 = 6;
    /// MsvAvTimestamp.
    pub const TIMESTAMP: u16 = 7;
    /// MsvAvSingleHost.
    pub const SINGLE_HOST: u16 = 8;
    /// MsvAvTargetName.
    pub const TARGET_NAME: u16 = 9;
    /// MsvAvChannelBindings.
    pub const CHANNEL_BINDINGS: u16 = 10;
}

/// Name of an AvId, lower snake case; unknown ids as `unknown_0x..`.
pub fn av_id_name(id: u16) -> String {
    match id {
        av_id::EOL => "eol".into(),
        av_id::NB_COMPUTER_NAME => "nb_computer_name".into(),
        av_id::NB_DOMAIN_NAME => "nb_domain_name".into(),
        av_id::DNS_COMPUTER_NAME => "dns_computer_name".into(),
        av_id::DNS_DOMAIN_NAME => "dns_domain_name".into(),
        av_id::DNS_TREE_NAME => "dns_tree_name".into(),
        av_id::FLAGS => "flags".into(),
        av_id::TIMESTAMP => "timestamp".into(),
        av_id::SINGLE_HOST => "single_host".into(),
        av_id::TARGET_NAME => "target_name".into(),
        av_id::CHANNEL_BINDINGS => "channel_bindings".into(),
        other => format!("unknown_{other:#x}"),
    }
}

/// One AV_PAIR (MS-NLMP 2.2.2.1), value kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvPair {
    /// AvId.
    pub id: u16,
    /// Value (AvLen bytes).
    pub value: Vec<u8>,
}

impl AvPair {
    /// The value as text when it is a name (UTF-16LE), else `None`.
    pub fn text(&self) -> Option<String> {
        match self.id {
            1..=5 | av_id::TARGET_NAME => Some(utf16le_lossy(&self.value)),
            _ => None,
        }
    }
}

/// Walks an AV_PAIR list by AvId/AvLen up to MsvAvEOL or the end of the bytes. Every length is
/// checked against the bytes present; a missing EOL is tolerated (the pairs read are kept).
pub fn decode_av_pairs(mut i: &[u8]) -> Result<Vec<AvPair>, DecodeError> {
    const PDU: &str = "NTLM AV_PAIR";
    let mut out = Vec::new();
    while !i.is_empty() {
        let (r, id) = le_u16(i).ctx(PDU, "AvId")?;
        let (r, len) = le_u16(r).ctx(PDU, "AvLen")?;
        let (r, value) = crate::wire::codec::take_len(r, usize::from(len), r.len(), PDU, "Value")?;
        i = r;
        if id == av_id::EOL {
            break;
        }
        out.push(AvPair { id, value: value.to_vec() });
    }
    Ok(out)
}

/// Encodes AV_PAIRs followed by MsvAvEOL.
pub fn encode_av_pairs(pairs: &[AvPair]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pairs {
        out.extend_from_slice(&p.id.to_le_bytes());
        out.extend_from_slice(&(u16::try_from(p.value.len()).unwrap_or(u16::MAX)).to_le_bytes());
        out.extend_from_slice(p.value.get(..usize::from(u16::MAX)).unwrap_or(&p.value));
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out
}
