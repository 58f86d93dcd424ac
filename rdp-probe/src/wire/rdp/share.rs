//! Share Control and Share Data headers (MS-RDPBCGR 2.2.8.1.1.1.1-2) and the Data PDUs of
//! connection finalization and after: Synchronize (2.2.1.14), Control (2.2.1.15-16, 2.2.1.19-20),
//! Font List / Font Map (2.2.1.18, 2.2.1.22), Set Error Info (2.2.5.1), Save Session Info
//! (2.2.10.1), Monitor Layout (2.2.12.1), Server Status Info (2.2.5.2), Deactivate All
//! (2.2.3.1), and the slow-path Update PDU ([`super::output`]).

use super::activation::{ConfirmActive, DemandActive};
use super::code_enum;
use super::errinfo::ErrorInfo;
use super::output::SlowPathUpdate;
use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::{le_u16, le_u32, u8 as nom_u8};

code_enum! {
    /// The type subfield of pduType (2.2.8.1.1.1.1).
    PduType(u16) {
        /// PDUTYPE_DEMANDACTIVEPDU.
        DemandActive = 0x1, "demand_active";
        /// PDUTYPE_CONFIRMACTIVEPDU.
        ConfirmActive = 0x3, "confirm_active";
        /// PDUTYPE_DEACTIVATEALLPDU.
        DeactivateAll = 0x6, "deactivate_all";
        /// PDUTYPE_DATAPDU.
        Data = 0x7, "data";
        /// PDUTYPE_SERVER_REDIR_PKT.
        ServerRedirect = 0xa, "server_redirect";
    }
}

code_enum! {
    /// pduType2 of the Share Data Header (2.2.8.1.1.1.2).
    PduType2(u8) {
        /// PDUTYPE2_UPDATE.
        Update = 0x02, "update";
        /// PDUTYPE2_CONTROL.
        Control = 0x14, "control";
        /// PDUTYPE2_POINTER.
        Pointer = 0x1b, "pointer";
        /// PDUTYPE2_INPUT.
        Input = 0x1c, "input";
        /// PDUTYPE2_SYNCHRONIZE.
        Synchronize = 0x1f, "synchronize";
        /// PDUTYPE2_REFRESH_RECT.
        RefreshRect = 0x21, "refresh_rect";
        /// PDUTYPE2_PLAY_SOUND.
        PlaySound = 0x22, "play_sound";
        /// PDUTYPE2_SUPPRESS_OUTPUT.
        SuppressOutput = 0x23, "suppress_output";
        /// PDUTYPE2_SHUTDOWN_REQUEST.
        ShutdownRequest = 0x24, "shutdown_request";
        /// PDUTYPE2_SHUTDOWN_DENIED.
        ShutdownDenied = 0x25, "shutdown_denied";
        /// PDUTYPE2_SAVE_SESSION_INFO.
        SaveSessionInfo = 0x26, "save_session_info";
        /// PDUTYPE2_FONTLIST.
        FontList = 0x27, "font_list";
        /// PDUTYPE2_FONTMAP.
        FontMap = 0x28, "font_map";
        /// PDUTYPE2_SET_KEYBOARD_INDICATORS.
        SetKeyboardIndicators = 0x29, "set_keyboard_indicators";
        /// PDUTYPE2_BITMAPCACHE_PERSISTENT_LIST.
        BitmapCachePersistentList = 0x2b, "bitmapcache_persistent_list";
        /// PDUTYPE2_BITMAPCACHE_ERROR_PDU.
        BitmapCacheError = 0x2c, "bitmapcache_error";
        /// PDUTYPE2_SET_KEYBOARD_IME_STATUS.
        SetKeyboardImeStatus = 0x2d, "set_keyboard_ime_status";
        /// PDUTYPE2_OFFSCRCACHE_ERROR_PDU.
        OffscrCacheError = 0x2e, "offscrcache_error";
        /// PDUTYPE2_SET_ERROR_INFO_PDU.
        SetErrorInfo = 0x2f, "set_error_info";
        /// PDUTYPE2_DRAWNINEGRID_ERROR_PDU.
        DrawNineGridError = 0x30, "drawninegrid_error";
        /// PDUTYPE2_DRAWGDIPLUS_ERROR_PDU.
        DrawGdiPlusError = 0x31, "drawgdiplus_error";
        /// PDUTYPE2_ARC_STATUS_PDU.
        ArcStatus = 0x32, "arc_status";
        /// PDUTYPE2_STATUS_INFO_PDU.
        StatusInfo = 0x36, "status_info";
        /// PDUTYPE2_MONITOR_LAYOUT_PDU.
        MonitorLayout = 0x37, "monitor_layout";
    }
}

/// TS_PROTOCOL_VERSION in the high bits of pduType.
pub const TS_PROTOCOL_VERSION: u16 = 0x10;
/// Control PDU actions (2.2.1.15.1).
pub mod action {
    /// CTRLACTION_REQUEST_CONTROL.
    pub const REQUEST_CONTROL: u16 = 0x0001;
    /// CTRLACTION_GRANTED_CONTROL.
    pub const GRANTED_CONTROL: u16 = 0x0002;
    /// CTRLACTION_DETACH.
    pub const DETACH: u16 = 0x0003;
    /// CTRLACTION_COOPERATE.
    pub const COOPERATE: u16 = 0x0004;
}
/// PACKET_COMPRESSED in compressedType: the body is bulk-compressed (never requested by us).
pub const PACKET_COMPRESSED: u8 = 0x20;
/// STREAM_LOW, the streamId clients use.
pub const STREAM_LOW: u8 = 0x01;

const SC: &str = "TS_SHARECONTROLHEADER";
const SD: &str = "TS_SHAREDATAHEADER";

/// TS_SHAREDATAHEADER (2.2.8.1.1.1.2) fields after the Share Control Header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareDataHeader {
    /// shareId.
    pub share_id: u32,
    /// streamId.
    pub stream_id: u8,
    /// uncompressedLength (kept as sent; servers disagree on what it counts).
    pub uncompressed_length: u16,
    /// pduType2.
    pub pdu_type2: PduType2,
    /// compressedType.
    pub compressed_type: u8,
    /// compressedLength.
    pub compressed_length: u16,
}

/// A Data PDU body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataPdu {
    /// Synchronize (2.2.1.14.1).
    Synchronize {
        /// messageType (SYNCMSGTYPE_SYNC = 1).
        message_type: u16,
        /// targetUser.
        target_user: u16,
    },
    /// Control (2.2.1.15.1).
    Control {
        /// action.
        action: u16,
        /// grantId.
        grant_id: u16,
        /// controlId.
        control_id: u32,
    },
    /// Font List (2.2.1.18.1) and Font Map (2.2.1.22.1) share one layout.
    FontList {
        /// numberFonts / numberEntries.
        number: u16,
        /// totalNumFonts / totalNumEntries.
        total: u16,
        /// listFlags / mapFlags (FONTLIST_FIRST | FONTLIST_LAST = 3).
        flags: u16,
        /// entrySize (50 / 4).
        entry_size: u16,
    },
    /// Font Map (same layout as Font List).
    FontMap {
        /// numberEntries.
        number: u16,
        /// totalNumEntries.
        total: u16,
        /// mapFlags.
        flags: u16,
        /// entrySize.
        entry_size: u16,
    },
    /// Set Error Info.
    SetErrorInfo(ErrorInfo),
    /// Save Session Info (2.2.10.1.1): infoType and the raw infoData.
    SaveSessionInfo {
        /// infoType (0 logon, 1 long logon, 2 plain notify, 3 extended).
        info_type: u32,
        /// infoData.
        data: Vec<u8>,
    },
    /// Server Status Info (2.2.5.2): statusCode.
    StatusInfo(u32),
    /// The slow-path Update PDU (2.2.9.1.1.3).
    Update(SlowPathUpdate),
    /// A bulk-compressed body (PACKET_COMPRESSED), kept raw.
    Compressed(Vec<u8>),
    /// Any other Data PDU (Monitor Layout, Shutdown Denied, pointer, ...), kept raw.
    Other(Vec<u8>),
}

/// A Share Control PDU (2.2.8.1.1.1.1) with its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareControlPdu {
    /// Demand Active.
    DemandActive(DemandActive),
    /// Confirm Active.
    ConfirmActive(ConfirmActive),
    /// Deactivate All (2.2.3.1): the server ends the share (reactivation or disconnect).
    DeactivateAll {
        /// shareId.
        share_id: u32,
        /// sourceDescriptor (raw).
        source_descriptor: Vec<u8>,
    },
    /// A Data PDU.
    Data(ShareDataHeader, DataPdu),
    /// Any other type, raw.
    Other(PduType, Vec<u8>),
}

/// A Share Control PDU with its header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareControl {
    /// pduSource (the sender's MCS channel id).
    pub pdu_source: u16,
    /// The PDU.
    pub pdu: ShareControlPdu,
}

impl ShareControl {
    /// Decodes one Share Control PDU; totalLength must fit the bytes given. Servers may pack
    /// several in one MCS payload: the rest is returned.
    pub fn decode(data: &[u8]) -> Result<(&[u8], ShareControl), DecodeError> {
        let (i, total) = le_u16(data).ctx(SC, "totalLength")?;
        if total == 0x8000 {
            // flow-control PDU (2.2.8.1.1.1.1 note): 8 bytes, nothing we need
            let (rest, body) = take_len(i, 6, 6, SC, "flowPdu")?;
            return Ok((
                rest,
                ShareControl { pdu_source: 0, pdu: ShareControlPdu::Other(PduType::Unknown(0x8000), body.to_vec()) },
            ));
        }
        let n = usize::from(total).checked_sub(2).ok_or(DecodeError::length(SC, "totalLength", total.into(), 4))?;
        let (rest, pdu) = take_len(i, n, usize::from(u16::MAX), SC, "totalLength")?;
        let (i, pdu_type) = le_u16(pdu).ctx(SC, "pduType")?;
        // Deactivate All from some servers ends after pduType
        let (i, pdu_source) = if i.is_empty() { (i, 0) } else { le_u16(i).ctx(SC, "pduSource")? };
        let ty = PduType::from_value(pdu_type & 0x0f);
        let pdu = match ty {
            PduType::DemandActive => ShareControlPdu::DemandActive(DemandActive::decode_body(i)?),
            PduType::ConfirmActive => ShareControlPdu::ConfirmActive(ConfirmActive::decode_body(i)?),
            PduType::DeactivateAll => {
                if i.is_empty() {
                    ShareControlPdu::DeactivateAll { share_id: 0, source_descriptor: Vec::new() }
                } else {
                    let (j, share_id) = le_u32(i).ctx(SC, "shareId")?;
                    let (j, n) = le_u16(j).ctx(SC, "lengthSourceDescriptor")?;
                    let (_, sd) = take_len(j, n.into(), usize::from(u16::MAX), SC, "sourceDescriptor")?;
                    ShareControlPdu::DeactivateAll { share_id, source_descriptor: sd.to_vec() }
                }
            }
            PduType::Data => {
                let (h, body) = decode_data(i)?;
                ShareControlPdu::Data(h, body)
            }
            other => ShareControlPdu::Other(other, i.to_vec()),
        };
        Ok((rest, ShareControl { pdu_source, pdu }))
    }

    /// Encodes the PDU with its Share Control Header.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let (ty, body) = match &self.pdu {
            ShareControlPdu::DemandActive(d) => (PduType::DemandActive, d.encode_body()),
            ShareControlPdu::ConfirmActive(c) => (PduType::ConfirmActive, c.encode_body()),
            ShareControlPdu::DeactivateAll { share_id, source_descriptor } => {
                let mut b = share_id.to_le_bytes().to_vec();
                b.extend_from_slice(&(source_descriptor.len() as u16).to_le_bytes());
                b.extend_from_slice(source_descriptor);
                (PduType::DeactivateAll, b)
            }
            ShareControlPdu::Data(h, d) => (PduType::Data, encode_data(h, d)),
            ShareControlPdu::Other(t, b) => (*t, b.clone()),
        };
        let total = body.len() + 6;
        let total16 =
            u16::try_from(total).map_err(|_| DecodeError::length(SC, "totalLength", total, usize::from(u16::MAX)))?;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&total16.to_le_bytes());
        out.extend_from_slice(&(ty.value() | TS_PROTOCOL_VERSION).to_le_bytes());
        out.extend_from_slice(&self.pdu_source.to_le_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// A client Data PDU on `share_id` from `user_channel` (stream low, uncompressed, the
    /// uncompressedLength counting the body as FreeRDP does).
    pub fn client_data(user_channel: u16, share_id: u32, pdu_type2: PduType2, body: DataPdu) -> ShareControl {
        let len = encode_data_body(&body).len();
        let h = ShareDataHeader {
            share_id,
            stream_id: STREAM_LOW,
            uncompressed_length: len.min(usize::from(u16::MAX)) as u16,
            pdu_type2,
            compressed_type: 0,
            compressed_length: 0,
        };
        ShareControl { pdu_source: user_channel, pdu: ShareControlPdu::Data(h, body) }
    }
}

/// The client's finalization PDUs in order (1.3.1.1): Synchronize, Control Cooperate, Control
/// Request Control, Font List. `server_channel` is the target of the Synchronize PDU.
pub fn client_finalization(user_channel: u16, share_id: u32, server_channel: u16) -> Vec<ShareControl> {
    vec![
        ShareControl::client_data(
            user_channel,
            share_id,
            PduType2::Synchronize,
            DataPdu::Synchronize { message_type: 1, target_user: server_channel },
        ),
        ShareControl::client_data(
            user_channel,
            share_id,
            PduType2::Control,
            DataPdu::Control { action: action::COOPERATE, grant_id: 0, control_id: 0 },
        ),
        ShareControl::client_data(
            user_channel,
            share_id,
            PduType2::Control,
            DataPdu::Control { action: action::REQUEST_CONTROL, grant_id: 0, control_id: 0 },
        ),
        ShareControl::client_data(
            user_channel,
            share_id,
            PduType2::FontList,
            DataPdu::FontList { number: 0, total: 0, flags: 3, entry_size: 50 },
        ),
    ]
}

fn decode_data(i: &[u8]) -> Result<(ShareDataHeader, DataPdu), DecodeError> {
    let (i, share_id) = le_u32(i).ctx(SD, "shareId")?;
    let (i, _pad1) = nom_u8(i).ctx(SD, "pad1")?;
    let (i, stream_id) = nom_u8(i).ctx(SD, "streamId")?;
    let (i, uncompressed_length) = le_u16(i).ctx(SD, "uncompressedLength")?;
    let (i, pdu_type2) = nom_u8(i).ctx(SD, "pduType2")?;
    let (i, compressed_type) = nom_u8(i).ctx(SD, "compressedType")?;
    let (i, compressed_length) = le_u16(i).ctx(SD, "compressedLength")?;
    let h = ShareDataHeader {
        share_id,
        stream_id,
        uncompressed_length,
        pdu_type2: PduType2::from_value(pdu_type2),
        compressed_type,
        compressed_length,
    };
    if compressed_type & PACKET_COMPRESSED != 0 {
        return Ok((h, DataPdu::Compressed(i.to_vec())));
    }
    let body = match h.pdu_type2 {
        PduType2::Synchronize => {
            let (j, message_type) = le_u16(i).ctx(SD, "messageType")?;
            let (_, target_user) = le_u16(j).ctx(SD, "targetUser")?;
            DataPdu::Synchronize { message_type, target_user }
        }
        PduType2::Control => {
            let (j, action) = le_u16(i).ctx(SD, "action")?;
            let (j, grant_id) = le_u16(j).ctx(SD, "grantId")?;
            let (_, control_id) = le_u32(j).ctx(SD, "controlId")?;
            DataPdu::Control { action, grant_id, control_id }
        }
        PduType2::FontList | PduType2::FontMap => {
            let (j, number) = le_u16(i).ctx(SD, "numberFonts")?;
            let (j, total) = le_u16(j).ctx(SD, "totalNumFonts")?;
            let (j, flags) = le_u16(j).ctx(SD, "listFlags")?;
            let (_, entry_size) = le_u16(j).ctx(SD, "entrySize")?;
            if h.pdu_type2 == PduType2::FontList {
                DataPdu::FontList { number, total, flags, entry_size }
            } else {
                DataPdu::FontMap { number, total, flags, entry_size }
            }
        }
        PduType2::SetErrorInfo => {
            let (_, v) = le_u32(i).ctx(SD, "errorInfo")?;
            DataPdu::SetErrorInfo(ErrorInfo::from_value(v))
        }
        PduType2::SaveSessionInfo => {
            let (j, info_type) = le_u32(i).ctx(SD, "infoType")?;
            DataPdu::SaveSessionInfo { info_type, data: j.to_vec() }
        }
        PduType2::StatusInfo => DataPdu::StatusInfo(le_u32(i).ctx(SD, "statusCode")?.1),
        PduType2::Update => DataPdu::Update(SlowPathUpdate::decode(i)?),
        _ => DataPdu::Other(i.to_vec()),
    };
    Ok((h, body))
}

fn encode_data_body(d: &DataPdu) -> Vec<u8> {
    let mut b = Vec::new();
    match d {
        DataPdu::Synchronize { message_type, target_user } => {
            b.extend_from_slice(&message_type.to_le_bytes());
            b.extend_from_slice(&target_user.to_le_bytes());
        }
        DataPdu::Control { action, grant_id, control_id } => {
            b.extend_from_slice(&action.to_le_bytes());
            b.extend_from_slice(&grant_id.to_le_bytes());
            b.extend_from_slice(&control_id.to_le_bytes());
        }
        DataPdu::FontList { number, total, flags, entry_size }
        | DataPdu::FontMap { number, total, flags, entry_size } => {
            for v in [number, total, flags, entry_size] {
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        DataPdu::SetErrorInfo(e) => b.extend_from_slice(&e.value().to_le_bytes()),
        DataPdu::SaveSessionInfo { info_type, data } => {
            b.extend_from_slice(&info_type.to_le_bytes());
            b.extend_from_slice(data);
        }
        DataPdu::StatusInfo(v) => b.extend_from_slice(&v.to_le_bytes()),
        DataPdu::Update(u) => u.encode(&mut b),
        DataPdu::Compressed(raw) | DataPdu::Other(raw) => b.extend_from_slice(raw),
    }
    b
}

fn encode_data(h: &ShareDataHeader, d: &DataPdu) -> Vec<u8> {
    let body = encode_data_body(d);
    let mut b = Vec::with_capacity(body.len() + 12);
    b.extend_from_slice(&h.share_id.to_le_bytes());
    b.push(0);
    b.push(h.stream_id);
    b.extend_from_slice(&h.uncompressed_length.to_le_bytes());
    b.push(h.pdu_type2.value());
    b.push(h.compressed_type);
    b.extend_from_slice(&h.compressed_length.to_le_bytes());
    b.extend_from_slice(&body);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_error_info_and_deactivate_round_trip() {
        let h = ShareDataHeader {
            share_id: 0x103ea,
            stream_id: 1,
            uncompressed_length: 8,
            pdu_type2: PduType2::SetErrorInfo,
            compressed_type: 0,
            compressed_length: 0,
        };
        let sc = ShareControl {
            pdu_source: 0,
            pdu: ShareControlPdu::Data(h, DataPdu::SetErrorInfo(ErrorInfo::ServerDeniedConnection)),
        };
        let enc = sc.encode().unwrap();
        assert_eq!(enc.len(), 22);
        assert_eq!(ShareControl::decode(&enc).unwrap(), (&[][..], sc.clone()));
        for n in 0..enc.len() {
            assert!(ShareControl::decode(&enc[..n]).is_err(), "prefix {n}");
        }
        let da = ShareControl {
            pdu_source: 1002,
            pdu: ShareControlPdu::DeactivateAll { share_id: 0x103ea, source_descriptor: vec![0] },
        };
        assert_eq!(ShareControl::decode(&da.encode().unwrap()).unwrap().1, da);
        // totalLength below the header, or beyond the data
        assert!(ShareControl::decode(&[1, 0, 0x17, 0]).is_err());
        assert!(ShareControl::decode(&[0x40, 0, 0x17, 0, 0, 0]).is_err());
    }
}
