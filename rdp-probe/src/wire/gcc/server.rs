//! Server data blocks (MS-RDPBCGR 2.2.1.4): SC_CORE, SC_SECURITY, SC_NET, SC_MCS_MSGCHANNEL,
//! SC_MULTITRANSPORT, each decoded independently; unknown types kept raw.

use super::{next_block, ServerSecurityData, MAX_CHANNELS};
use crate::wire::codec::{take_len, Ctx, DecodeError};
use crate::wire::x224::flag_set;
use nom::number::complete::{le_u16, le_u32};

/// SC_CORE.
pub const SC_CORE: u16 = 0x0C01;
/// SC_SECURITY.
pub const SC_SECURITY: u16 = 0x0C02;
/// SC_NET.
pub const SC_NET: u16 = 0x0C03;
/// SC_MCS_MSGCHANNEL.
pub const SC_MCS_MSGCHANNEL: u16 = 0x0C04;
/// SC_MULTITRANSPORT.
pub const SC_MULTITRANSPORT: u16 = 0x0C08;

const SC_CORE_PDU: &str = "TS_UD_SC_CORE";
const SC_NET_PDU: &str = "TS_UD_SC_NET";
const SC_MSG_PDU: &str = "TS_UD_SC_MCS_MSGCHANNEL";
const SC_MT_PDU: &str = "TS_UD_SC_MULTITRANSPORT";

flag_set! {
    /// SC_CORE earlyCapabilityFlags (2.2.1.4.2).
    ServerEarlyCapabilityFlags(u32) {
        /// RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V1.
        EDGE_ACTIONS_SUPPORTED_V1 = 0x01, "edge_actions_supported_v1";
        /// RNS_UD_SC_DYNAMIC_DST_SUPPORTED.
        DYNAMIC_DST_SUPPORTED = 0x02, "dynamic_dst_supported";
        /// RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V2.
        EDGE_ACTIONS_SUPPORTED_V2 = 0x04, "edge_actions_supported_v2";
        /// RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED.
        SKIP_CHANNELJOIN_SUPPORTED = 0x08, "skip_channeljoin_supported";
    }
}

/// TS_UD_SC_CORE (2.2.1.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerCoreData {
    /// version.
    pub version: u32,
    /// clientRequestedProtocols (optional).
    pub client_requested_protocols: Option<u32>,
    /// earlyCapabilityFlags (optional).
    pub early_capability_flags: Option<u32>,
}

/// TS_UD_SC_NET (2.2.1.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerNetworkData {
    /// MCSChannelId (the I/O channel).
    pub io_channel: u16,
    /// channelIdArray, in the order of our CS_NET channels.
    pub channel_ids: Vec<u16>,
}

/// A server block of a type we do not know, kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBlock {
    /// type.
    pub ty: u16,
    /// The body after the 4-byte header.
    pub data: Vec<u8>,
}

/// The server data blocks (2.2.1.4): each decoded independently.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerBlocks {
    /// SC_CORE.
    pub core: Option<ServerCoreData>,
    /// SC_SECURITY.
    pub security: Option<ServerSecurityData>,
    /// SC_NET.
    pub network: Option<ServerNetworkData>,
    /// SC_MCS_MSGCHANNEL MCSChannelID.
    pub message_channel: Option<u16>,
    /// SC_MULTITRANSPORT flags.
    pub multitransport: Option<u32>,
    /// Blocks of unknown type.
    pub unknown: Vec<UnknownBlock>,
    /// Block types in the order received.
    pub types: Vec<u16>,
    /// Blocks that did not decode (the others still did).
    pub errors: Vec<DecodeError>,
}

impl ServerBlocks {
    /// Walks the blocks by their headers; a block whose header lies stops the walk (the blocks
    /// before it are kept), a block whose body is odd is reported and skipped.
    pub fn decode(data: &[u8]) -> ServerBlocks {
        let mut out = ServerBlocks::default();
        let mut rest = data;
        while !rest.is_empty() {
            match next_block(rest) {
                Ok((r, ty, body)) => {
                    rest = r;
                    out.types.push(ty);
                    if let Err(e) = out.add(ty, body) {
                        out.errors.push(e);
                    }
                }
                Err(e) => {
                    out.errors.push(e);
                    break;
                }
            }
        }
        out
    }

    fn add(&mut self, ty: u16, b: &[u8]) -> Result<(), DecodeError> {
        match ty {
            SC_CORE => {
                let (i, version) = le_u32(b).ctx(SC_CORE_PDU, "version")?;
                let (i, crp) = opt_u32(i);
                let (_, ecf) = opt_u32(i);
                self.core =
                    Some(ServerCoreData { version, client_requested_protocols: crp, early_capability_flags: ecf });
            }
            SC_SECURITY => self.security = Some(ServerSecurityData::decode(b)?),
            SC_NET => {
                let (i, io_channel) = le_u16(b).ctx(SC_NET_PDU, "MCSChannelId")?;
                let (i, count) = le_u16(i).ctx(SC_NET_PDU, "channelCount")?;
                let n = usize::from(count);
                let (_pad, ids) = take_len(i, n * 2, MAX_CHANNELS * 2, SC_NET_PDU, "channelIdArray")?;
                let channel_ids =
                    ids.chunks_exact(2).map(|c| c.iter().rev().fold(0u16, |a, &x| (a << 8) | u16::from(x))).collect();
                self.network = Some(ServerNetworkData { io_channel, channel_ids });
            }
            SC_MCS_MSGCHANNEL => {
                let (_, id) = le_u16(b).ctx(SC_MSG_PDU, "MCSChannelID")?;
                self.message_channel = Some(id);
            }
            SC_MULTITRANSPORT => {
                let (_, flags) = le_u32(b).ctx(SC_MT_PDU, "flags")?;
                self.multitransport = Some(flags);
            }
            _ => self.unknown.push(UnknownBlock { ty, data: b.to_vec() }),
        }
        Ok(())
    }
}

fn opt_u32(i: &[u8]) -> (&[u8], Option<u32>) {
    match le_u32::<_, ()>(i) {
        Ok((r, v)) => (r, Some(v)),
        Err(_) => (i, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::DecodeErrorKind;
    use crate::wire::gcc::tests::spec_server_blocks;

    #[test]
    fn odd_security_keeps_core() {
        let mut v = spec_server_blocks();
        // serverRandomLen lies (0x2000)
        let at = 28 + 12;
        v[at + 1] = 0x20;
        let b = ServerBlocks::decode(&v);
        assert!(b.core.is_some());
        assert!(b.network.is_some());
        assert!(b.security.is_none());
        assert_eq!(b.errors.len(), 1);
        assert!(matches!(b.errors[0].kind, DecodeErrorKind::LengthOutOfRange { .. }));
    }

    #[test]
    fn lying_block_header_stops_walk_but_keeps_earlier() {
        let mut v = spec_server_blocks();
        v[14] = 0xff; // SC_NET length 0x00ff
        let b = ServerBlocks::decode(&v);
        assert!(b.core.is_some());
        assert!(b.network.is_none());
        assert_eq!(b.errors.len(), 1);
        // header length below 4
        let b = ServerBlocks::decode(&[0x01, 0x0c, 0x02, 0x00]);
        assert_eq!(b.errors.len(), 1);
    }

    #[test]
    fn unknown_blocks_kept() {
        let b = ServerBlocks::decode(&[0x77, 0x0c, 0x06, 0x00, 0xaa, 0xbb, 0x04, 0x0c, 0x06, 0x00, 0xed, 0x03]);
        assert_eq!(b.unknown, [UnknownBlock { ty: 0x0c77, data: vec![0xaa, 0xbb] }]);
        assert_eq!(b.message_channel, Some(1005));
    }
}
