//! T.125 MCS domain PDUs in ALIGNED PER (T.125 section 7 parts 3-10, as MS-RDPBCGR uses them):
//! Erect Domain Request (2.2.1.5), Attach User Request / Confirm (2.2.1.6-7), Channel Join
//! Request / Confirm (2.2.1.8-9), Send Data Request / Indication (the carrier of every PDU after
//! the connect phase), and Disconnect Provider Ultimatum (2.2.2.3, decoded by
//! [`crate::wire::mcs::ServerMcsPdu`]).
//!
//! Every DomainMCSPDU starts with the CHOICE index in the top six bits of its first octet.
//! UserIds travel as `id - 1001` (the PER lower bound of UserId); channel ids as they are.

use crate::wire::codec::{take_len, Ctx, DecodeError};
use crate::wire::mcs::ServerMcsPdu;
use nom::number::complete::{be_u16, u8 as nom_u8};

/// The lower bound of a T.125 UserId: PER sends `initiator - 1001`.
pub const MCS_BASE_CHANNEL_ID: u16 = 1001;
/// The global channel of MS-RDPBCGR (the I/O channel), 1003 on every known server.
pub const MCS_GLOBAL_CHANNEL_ID: u16 = 1003;

/// DomainMCSPDU CHOICE indexes (T.125 7 part 10).
pub mod choice {
    /// erectDomainRequest.
    pub const ERECT_DOMAIN_REQUEST: u8 = 1;
    /// disconnectProviderUltimatum.
    pub const DISCONNECT_PROVIDER_ULTIMATUM: u8 = 8;
    /// attachUserRequest.
    pub const ATTACH_USER_REQUEST: u8 = 10;
    /// attachUserConfirm.
    pub const ATTACH_USER_CONFIRM: u8 = 11;
    /// channelJoinRequest.
    pub const CHANNEL_JOIN_REQUEST: u8 = 14;
    /// channelJoinConfirm.
    pub const CHANNEL_JOIN_CONFIRM: u8 = 15;
    /// sendDataRequest.
    pub const SEND_DATA_REQUEST: u8 = 25;
    /// sendDataIndication.
    pub const SEND_DATA_INDICATION: u8 = 26;
}

const PDU: &str = "MCS DomainPDU";
/// Largest PER length we accept for userData (a TPKT frame cannot carry more).
const MAX_USER_DATA: usize = crate::wire::codec::MAX_TPKT_LEN;

/// Erect Domain Request (2.2.1.5): subHeight and subInterval, both 0 from a client.
pub fn encode_erect_domain_request(sub_height: u32, sub_interval: u32) -> Vec<u8> {
    let mut out = vec![choice::ERECT_DOMAIN_REQUEST << 2];
    per_write_integer(&mut out, sub_height);
    per_write_integer(&mut out, sub_interval);
    out
}

/// Attach User Request (2.2.1.6): the CHOICE octet alone.
pub fn encode_attach_user_request() -> Vec<u8> {
    vec![choice::ATTACH_USER_REQUEST << 2]
}

/// Channel Join Request (2.2.1.8): initiator (our user channel) and the channel to join.
pub fn encode_channel_join_request(initiator: u16, channel_id: u16) -> Vec<u8> {
    let mut out = vec![choice::CHANNEL_JOIN_REQUEST << 2];
    out.extend_from_slice(&initiator.wrapping_sub(MCS_BASE_CHANNEL_ID).to_be_bytes());
    out.extend_from_slice(&channel_id.to_be_bytes());
    out
}

/// Send Data Request / Indication fields (T.125 7 part 7): who sent, on which channel, and the
/// user data (a security header and what follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendData<'a> {
    /// initiator (the sender's user channel id).
    pub initiator: u16,
    /// channelId.
    pub channel_id: u16,
    /// dataPriority (0 top, 1 high, 2 medium, 3 low).
    pub priority: u8,
    /// segmentation bits (0b10 begin, 0b01 end; RDP sends both).
    pub segmentation: u8,
    /// userData.
    pub user_data: &'a [u8],
}

impl<'a> SendData<'a> {
    /// A request as a client sends it: priority high, segmentation begin|end (`0x70`).
    pub fn request(initiator: u16, channel_id: u16, user_data: &'a [u8]) -> Self {
        SendData { initiator, channel_id, priority: 1, segmentation: 0b11, user_data }
    }

    fn encode_with(&self, choice: u8) -> Result<Vec<u8>, DecodeError> {
        if self.user_data.len() > 0x7fff {
            return Err(DecodeError::length(PDU, "userData", self.user_data.len(), 0x7fff));
        }
        let mut out = Vec::with_capacity(self.user_data.len() + 8);
        out.push(choice << 2);
        out.extend_from_slice(&self.initiator.wrapping_sub(MCS_BASE_CHANNEL_ID).to_be_bytes());
        out.extend_from_slice(&self.channel_id.to_be_bytes());
        out.push(((self.priority & 3) << 6) | ((self.segmentation & 3) << 4));
        per_write_length(&mut out, self.user_data.len());
        out.extend_from_slice(self.user_data);
        Ok(out)
    }

    /// Encodes a Send Data Request (client to server).
    pub fn encode_request(&self) -> Result<Vec<u8>, DecodeError> {
        self.encode_with(choice::SEND_DATA_REQUEST)
    }

    /// Encodes a Send Data Indication (tests and hostile test servers).
    pub fn encode_indication(&self) -> Result<Vec<u8>, DecodeError> {
        self.encode_with(choice::SEND_DATA_INDICATION)
    }

    /// Decodes the fields after the CHOICE octet; the user data must fill the rest exactly.
    fn decode_body(i: &'a [u8]) -> Result<SendData<'a>, DecodeError> {
        let (i, initiator) = be_u16(i).ctx(PDU, "initiator")?;
        let (i, channel_id) = be_u16(i).ctx(PDU, "channelId")?;
        let (i, b) = nom_u8(i).ctx(PDU, "dataPriority")?;
        let (i, len) = per_read_length(i)?;
        let (rest, user_data) = take_len(i, len, MAX_USER_DATA, PDU, "userData")?;
        super::expect_end(rest, PDU, "userData")?;
        Ok(SendData {
            initiator: initiator.wrapping_add(MCS_BASE_CHANNEL_ID),
            channel_id,
            priority: b >> 6,
            segmentation: (b >> 4) & 3,
            user_data,
        })
    }
}

/// A DomainMCSPDU, as either side sends it after the connect phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainPdu<'a> {
    /// erectDomainRequest (client).
    ErectDomainRequest {
        /// subHeight.
        sub_height: u32,
        /// subInterval.
        sub_interval: u32,
    },
    /// attachUserRequest (client).
    AttachUserRequest,
    /// attachUserConfirm (2.2.1.7): result and, on success, the user channel id.
    AttachUserConfirm {
        /// result (T.125 Result; [`crate::wire::mcs::result_name`]).
        result: u8,
        /// initiator: the user channel id assigned to us.
        initiator: Option<u16>,
    },
    /// channelJoinRequest (client).
    ChannelJoinRequest {
        /// initiator.
        initiator: u16,
        /// channelId.
        channel_id: u16,
    },
    /// channelJoinConfirm (2.2.1.9).
    ChannelJoinConfirm {
        /// result.
        result: u8,
        /// initiator.
        initiator: u16,
        /// requested channel id.
        requested: u16,
        /// channelId joined (absent when the join failed).
        channel_id: Option<u16>,
    },
    /// sendDataRequest (client).
    SendDataRequest(SendData<'a>),
    /// sendDataIndication (server).
    SendDataIndication(SendData<'a>),
    /// disconnectProviderUltimatum (2.2.2.3): reason ([`crate::wire::mcs::reason_name`]).
    DisconnectProviderUltimatum {
        /// reason.
        reason: u8,
    },
    /// Any other DomainMCSPDU (kept by its CHOICE index).
    Other {
        /// CHOICE index.
        choice: u8,
    },
}

impl<'a> DomainPdu<'a> {
    /// Decodes one DomainMCSPDU (the payload of an X.224 Data TPDU).
    pub fn decode(data: &'a [u8]) -> Result<DomainPdu<'a>, DecodeError> {
        let (i, b0) = nom_u8(data).ctx(PDU, "choice")?;
        match b0 >> 2 {
            choice::ERECT_DOMAIN_REQUEST => {
                let (i, sub_height) = per_read_integer(i, "subHeight")?;
                let (i, sub_interval) = per_read_integer(i, "subInterval")?;
                super::expect_end(i, PDU, "subInterval")?;
                Ok(DomainPdu::ErectDomainRequest { sub_height, sub_interval })
            }
            choice::ATTACH_USER_REQUEST => Ok(DomainPdu::AttachUserRequest),
            choice::ATTACH_USER_CONFIRM => {
                // bit 1: initiator present; the 4-bit result spans bit 0 and the next octet's
                // top three bits (ALIGNED PER bit-field), then the initiator octet-aligned.
                let (i, b1) = nom_u8(i).ctx(PDU, "result")?;
                let result = ((b0 & 1) << 3) | (b1 >> 5);
                let initiator = if b0 & 2 != 0 {
                    let (_, v) = be_u16(i).ctx(PDU, "initiator")?;
                    Some(v.wrapping_add(MCS_BASE_CHANNEL_ID))
                } else {
                    None
                };
                Ok(DomainPdu::AttachUserConfirm { result, initiator })
            }
            choice::CHANNEL_JOIN_REQUEST => {
                let (i, initiator) = be_u16(i).ctx(PDU, "initiator")?;
                let (_, channel_id) = be_u16(i).ctx(PDU, "channelId")?;
                Ok(DomainPdu::ChannelJoinRequest { initiator: initiator.wrapping_add(MCS_BASE_CHANNEL_ID), channel_id })
            }
            choice::CHANNEL_JOIN_CONFIRM => {
                let (i, b1) = nom_u8(i).ctx(PDU, "result")?;
                let result = ((b0 & 1) << 3) | (b1 >> 5);
                let (i, initiator) = be_u16(i).ctx(PDU, "initiator")?;
                let (i, requested) = be_u16(i).ctx(PDU, "requested")?;
                let channel_id = if b0 & 2 != 0 { Some(be_u16(i).ctx(PDU, "channelId")?.1) } else { None };
                Ok(DomainPdu::ChannelJoinConfirm {
                    result,
                    initiator: initiator.wrapping_add(MCS_BASE_CHANNEL_ID),
                    requested,
                    channel_id,
                })
            }
            choice::SEND_DATA_REQUEST => Ok(DomainPdu::SendDataRequest(SendData::decode_body(i)?)),
            choice::SEND_DATA_INDICATION => Ok(DomainPdu::SendDataIndication(SendData::decode_body(i)?)),
            choice::DISCONNECT_PROVIDER_ULTIMATUM => match ServerMcsPdu::decode(data)? {
                ServerMcsPdu::DisconnectProviderUltimatum { reason } => {
                    Ok(DomainPdu::DisconnectProviderUltimatum { reason })
                }
                ServerMcsPdu::ConnectResponse(_) => Err(DecodeError::invalid(PDU, "choice", b0.into())),
            },
            other => Ok(DomainPdu::Other { choice: other }),
        }
    }

    /// Encodes the server PDUs a hostile or test server sends (and the client ones, for tests).
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        Ok(match *self {
            DomainPdu::ErectDomainRequest { sub_height, sub_interval } => {
                encode_erect_domain_request(sub_height, sub_interval)
            }
            DomainPdu::AttachUserRequest => encode_attach_user_request(),
            DomainPdu::AttachUserConfirm { result, initiator } => {
                let r = result & 0x0f;
                let mut out = vec![
                    (choice::ATTACH_USER_CONFIRM << 2) | (u8::from(initiator.is_some()) << 1) | (r >> 3),
                    (r & 7) << 5,
                ];
                if let Some(id) = initiator {
                    out.extend_from_slice(&id.wrapping_sub(MCS_BASE_CHANNEL_ID).to_be_bytes());
                }
                out
            }
            DomainPdu::ChannelJoinRequest { initiator, channel_id } => {
                encode_channel_join_request(initiator, channel_id)
            }
            DomainPdu::ChannelJoinConfirm { result, initiator, requested, channel_id } => {
                let r = result & 0x0f;
                let mut out = vec![
                    (choice::CHANNEL_JOIN_CONFIRM << 2) | (u8::from(channel_id.is_some()) << 1) | (r >> 3),
                    (r & 7) << 5,
                ];
                out.extend_from_slice(&initiator.wrapping_sub(MCS_BASE_CHANNEL_ID).to_be_bytes());
                out.extend_from_slice(&requested.to_be_bytes());
                if let Some(c) = channel_id {
                    out.extend_from_slice(&c.to_be_bytes());
                }
                out
            }
            DomainPdu::SendDataRequest(sd) => sd.encode_request()?,
            DomainPdu::SendDataIndication(sd) => sd.encode_indication()?,
            DomainPdu::DisconnectProviderUltimatum { reason } => encode_disconnect_provider_ultimatum(reason),
            DomainPdu::Other { choice } => vec![choice << 2],
        })
    }
}

/// Disconnect Provider Ultimatum (2.2.2.3): CHOICE 8 and the 3-bit reason straddling the octets.
pub fn encode_disconnect_provider_ultimatum(reason: u8) -> Vec<u8> {
    let r = reason & 7;
    vec![(choice::DISCONNECT_PROVIDER_ULTIMATUM << 2) | (r >> 1), (r & 1) << 7]
}

/// PER length determinant: one octet below 128, else two with the top bit set (lenient: 15
/// bits; the two-octet form is accepted for short lengths too). Fragmented lengths (`11xxxxxx`) are not used by RDP and are refused.
fn per_read_length(i: &[u8]) -> Result<(&[u8], usize), DecodeError> {
    let (i, b) = nom_u8(i).ctx(PDU, "length")?;
    if b & 0x80 == 0 {
        return Ok((i, usize::from(b)));
    }
    if b & 0xc0 == 0xc0 {
        return Err(DecodeError::invalid(PDU, "length", b.into()));
    }
    let (i, lo) = nom_u8(i).ctx(PDU, "length")?;
    Ok((i, (usize::from(b & 0x7f) << 8) | usize::from(lo)))
}

/// Always the two-octet form, as mstsc and FreeRDP send it (servers accept both).
fn per_write_length(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&((len.min(0x3fff) as u16) | 0x8000).to_be_bytes());
}

/// PER unconstrained INTEGER: a length octet then 1..=4 big-endian octets.
fn per_read_integer<'a>(i: &'a [u8], field: &'static str) -> Result<(&'a [u8], u32), DecodeError> {
    let (i, n) = nom_u8(i).ctx(PDU, field)?;
    if n == 0 || n > 4 {
        return Err(DecodeError::length(PDU, field, n.into(), 4));
    }
    let (i, b) = take_len(i, n.into(), 4, PDU, field)?;
    Ok((i, b.iter().fold(0u32, |v, &x| (v << 8) | u32::from(x))))
}

fn per_write_integer(out: &mut Vec<u8>, v: u32) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take(3).take_while(|&&b| b == 0).count();
    let body = bytes.get(skip..).unwrap_or_default();
    out.push(body.len() as u8);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_pdus_match_xfreerdp() {
        // the payloads of the X.224 Data TPDUs xfreerdp sent to xrdp (capture, see vectors/session)
        assert_eq!(encode_erect_domain_request(0, 0), [0x04, 0x01, 0x00, 0x01, 0x00]);
        assert_eq!(encode_attach_user_request(), [0x28]);
        assert_eq!(encode_channel_join_request(1007, 1007), [0x38, 0x00, 0x06, 0x03, 0xef]);
        let sd = SendData::request(1007, 1003, &[1, 2, 3]);
        assert_eq!(sd.encode_request().unwrap(), [0x64, 0x00, 0x06, 0x03, 0xeb, 0x70, 0x80, 0x03, 1, 2, 3]);
        // the one-octet length form decodes too
        let short = [0x68, 0x00, 0x06, 0x03, 0xeb, 0x70, 0x03, 1, 2, 3];
        assert!(
            matches!(DomainPdu::decode(&short).unwrap(), DomainPdu::SendDataIndication(d) if d.user_data == [1, 2, 3])
        );
    }

    #[test]
    fn server_pdus_round_trip() {
        let auc = DomainPdu::decode(&[0x2e, 0x00, 0x00, 0x06]).unwrap();
        assert_eq!(auc, DomainPdu::AttachUserConfirm { result: 0, initiator: Some(1007) });
        assert_eq!(auc.encode().unwrap(), [0x2e, 0x00, 0x00, 0x06]);
        // rt-unspecified-failure (14), no initiator: bits straddle the two octets
        let bad = DomainPdu::AttachUserConfirm { result: 14, initiator: None };
        let enc = bad.encode().unwrap();
        assert_eq!(enc, [0x2d, 0xc0]);
        assert_eq!(DomainPdu::decode(&enc).unwrap(), bad);
        let cjc = DomainPdu::ChannelJoinConfirm { result: 0, initiator: 1007, requested: 1003, channel_id: Some(1003) };
        assert_eq!(DomainPdu::decode(&cjc.encode().unwrap()).unwrap(), cjc);
        let dpu = encode_disconnect_provider_ultimatum(3);
        assert_eq!(dpu, [0x21, 0x80]);
        assert_eq!(DomainPdu::decode(&dpu).unwrap(), DomainPdu::DisconnectProviderUltimatum { reason: 3 });
        let long = vec![0xaa; 300];
        let sdi = SendData { initiator: 1002, channel_id: 1003, priority: 1, segmentation: 3, user_data: &long };
        let enc = sdi.encode_indication().unwrap();
        assert_eq!(&enc[5..8], &[0x70, 0x81, 0x2c]);
        assert_eq!(DomainPdu::decode(&enc).unwrap(), DomainPdu::SendDataIndication(sdi));
    }

    #[test]
    fn hostile_lengths() {
        // userData length longer than the frame, shorter than the frame, fragmented form
        assert!(DomainPdu::decode(&[0x68, 0, 6, 3, 0xeb, 0x70, 0x05, 1, 2]).is_err());
        assert!(DomainPdu::decode(&[0x68, 0, 6, 3, 0xeb, 0x70, 0x01, 1, 2]).is_err());
        assert!(DomainPdu::decode(&[0x68, 0, 6, 3, 0xeb, 0x70, 0xc1, 0, 1]).is_err());
        assert!(DomainPdu::decode(&[0x04, 0x05, 1, 2, 3, 4, 5, 1, 0]).is_err());
        let enc = SendData::request(1007, 1003, &[9; 200]).encode_request().unwrap();
        for n in 0..enc.len() {
            assert!(DomainPdu::decode(&enc[..n]).is_err(), "prefix {n}");
        }
    }
}
