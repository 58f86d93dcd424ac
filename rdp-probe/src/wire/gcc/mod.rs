//! T.124 GCC Conference Create Request / Response (ALIGNED PER, T.124 8.7, 9.5, 9.6) and the
//! RDP settings data blocks they carry: client blocks CS_CORE, CS_SECURITY, CS_NET, CS_CLUSTER
//! (MS-RDPBCGR 2.2.1.3.2-2.2.1.3.5) and server blocks SC_CORE, SC_SECURITY, SC_NET,
//! SC_MCS_MSGCHANNEL, SC_MULTITRANSPORT (2.2.1.4.2-2.2.1.4.6) with the server certificate
//! (2.2.1.4.3.1).
//!
//! Server blocks are decoded leniently: one odd block (say SC_SECURITY) is kept as an error and
//! the others are still decoded; unknown block types are kept raw.
//!
//! This file holds the T.124 framing (Conference Create Request / Response), the user data
//! header (TS_UD_HEADER, 2.2.1.3.1 / 2.2.1.4.1) and the values both directions share; the PER
//! helpers are in `per`, the client blocks (2.2.1.3) in `client`, the server blocks (2.2.1.4) in
//! `server`, and SC_SECURITY with the server certificate (2.2.1.4.3) in `security`. Everything
//! is re-exported here: the paths are `gcc::X`.

mod client;
mod per;
mod security;
mod server;

pub use client::{
    client_block_types, client_channel_names, client_core_name, mstsc_channels, ChannelDef, ClientBlocks,
    ClientCoreData, CS_CLUSTER, CS_CORE, CS_NET, CS_SECURITY, MSTSC_EARLY_CAPABILITY_FLAGS,
};
pub use per::MAX_PER_LEN;
pub use security::{
    encryption_level_name, CertificateKind, ProprietaryCertificate, RsaPublicKey, ServerCertificate,
    ServerSecurityData, MAX_CERT_BLOBS, MAX_SERVER_RANDOM_LEN, TSSK_EXPONENT, TSSK_MODULUS,
};
pub use server::{
    ServerBlocks, ServerCoreData, ServerEarlyCapabilityFlags, ServerNetworkData, UnknownBlock, SC_CORE,
    SC_MCS_MSGCHANNEL, SC_MULTITRANSPORT, SC_NET, SC_SECURITY,
};

use crate::wire::codec::{take_len, Ctx, DecodeError};
use crate::wire::x224::flag_set;
use nom::number::complete::{be_u16, le_u16, u8 as nom_u8};
use per::{per_len, per_write_len};

/// T.124 object identifier {itu-t recommendation t 124 version(0) 1}, PER-encoded.
pub const T124_OID: [u8; 5] = [0x00, 0x14, 0x7c, 0x00, 0x01];
/// H.221 non-standard key of client-to-server user data.
pub const H221_CLIENT_KEY: &[u8; 4] = b"Duca";
/// H.221 non-standard key of server-to-client user data.
pub const H221_SERVER_KEY: &[u8; 4] = b"McDn";

/// The most static virtual channels a CS_NET / SC_NET may list (2.2.1.3.4: 31).
pub const MAX_CHANNELS: usize = 31;

const CCRQ_PDU: &str = "GCC Conference Create Request";
const CCRSP_PDU: &str = "GCC Conference Create Response";
const BLOCK_PDU: &str = "GCC user data block";

flag_set! {
    /// encryptionMethods / encryptionMethod (2.2.1.3.3, 2.2.1.4.3).
    EncryptionMethods(u32) {
        /// ENCRYPTION_METHOD_40BIT.
        BIT_40 = 0x01, "40bit";
        /// ENCRYPTION_METHOD_128BIT.
        BIT_128 = 0x02, "128bit";
        /// ENCRYPTION_METHOD_56BIT.
        BIT_56 = 0x08, "56bit";
        /// ENCRYPTION_METHOD_FIPS.
        FIPS = 0x10, "fips";
    }
}

impl EncryptionMethods {
    /// ENCRYPTION_METHOD_NONE.
    pub const NONE: EncryptionMethods = EncryptionMethods(0);
    /// Every method (what a current mstsc offers: 0x1b).
    pub const ALL: EncryptionMethods = EncryptionMethods(0x1b);
    /// The name of a single method (`none` for 0), as used in reports.
    pub fn method_name(v: u32) -> String {
        match v {
            0 => "none".into(),
            v => EncryptionMethods(v).names().join("|"),
        }
    }
}

/// The RDP version an SC_CORE / CS_CORE version code stands for (2.2.1.4.2); unknown codes raw.
pub fn rdp_version_name(code: u32) -> String {
    match code {
        0x0008_0001 => "RDP 4.0".into(),
        0x0008_0004 => "RDP 5.0-8.1".into(),
        0x0008_0005..=0x0008_0011 => format!("RDP 10.{}", code - 0x0008_0005),
        c => format!("unknown {c:#010x}"),
    }
}

/// Encodes the GCC Conference Create Request (ConnectData, T.124 8.7 / 9.5) carrying `blocks`
/// under the H.221 key "Duca" (MS-RDPBCGR 2.2.1.3, values of 3.2.5.3.3).
pub fn encode_conference_create_request(blocks: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut pdu = vec![
        0x00, // ConnectGCCPDU CHOICE conferenceCreateRequest, no optional fields
        0x08, // conferenceName: numeric, length 1 (minimum 1)
        0x00, 0x10, // "1" as a 4-bit numeric string, padded
        0x00, // terminationMethod automatic; userData present
        0x01, // one user data set
        0xc0, // value present, key CHOICE h221NonStandard
        0x00, // key length 4 (minimum 4)
    ];
    pdu.extend_from_slice(H221_CLIENT_KEY);
    per_write_len(&mut pdu, blocks.len())?;
    pdu.extend_from_slice(blocks);
    let mut out = vec![0x00, 0x05]; // key CHOICE object, OID length 5
    out.extend_from_slice(&T124_OID);
    per_write_len(&mut out, pdu.len())?;
    out.extend_from_slice(&pdu);
    Ok(out)
}

/// GCC Conference Create Response (T.124 8.7, MS-RDPBCGR 2.2.1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceCreateResponse {
    /// The connectPDU length as sent. Windows, xrdp and FreeRDP all send 0x2a whatever the
    /// real length (copied from the spec's example), so it is kept, not enforced.
    pub connect_pdu_length: usize,
    /// nodeID (UserID - 1001 as sent).
    pub node_id: u16,
    /// tag.
    pub tag: u32,
    /// result (0 = success).
    pub result: u8,
    /// H.221 key ("McDn").
    pub h221_key: Vec<u8>,
    /// The server data blocks.
    pub user_data: Vec<u8>,
}

impl ConferenceCreateResponse {
    /// Decodes the ConnectData carried in the MCS Connect-Response userData.
    pub fn decode(data: &[u8]) -> Result<ConferenceCreateResponse, DecodeError> {
        let (i, key_choice) = nom_u8(data).ctx(CCRSP_PDU, "t124Identifier")?;
        if key_choice != 0 {
            return Err(DecodeError::invalid(CCRSP_PDU, "t124Identifier", key_choice.into()));
        }
        let (i, oid_len) = nom_u8(i).ctx(CCRSP_PDU, "t124Identifier length")?;
        let (i, oid) = take_len(i, usize::from(oid_len), 16, CCRSP_PDU, "t124Identifier")?;
        if oid != T124_OID {
            return Err(DecodeError::invalid(CCRSP_PDU, "t124Identifier", oid_len.into()));
        }
        let (i, connect_pdu_length) = per_len(i, CCRSP_PDU, "connectPDU length")?;
        let (i, choice) = nom_u8(i).ctx(CCRSP_PDU, "ConnectGCCPDU")?;
        if choice != 0x14 {
            return Err(DecodeError::invalid(CCRSP_PDU, "ConnectGCCPDU", choice.into()));
        }
        let (i, node_id) = be_u16(i).ctx(CCRSP_PDU, "nodeID")?;
        let (i, tag_len) = nom_u8(i).ctx(CCRSP_PDU, "tag length")?;
        let (i, tag_bytes) = take_len(i, usize::from(tag_len), 4, CCRSP_PDU, "tag")?;
        let tag = tag_bytes.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
        let (i, result) = nom_u8(i).ctx(CCRSP_PDU, "result")?;
        let (i, _sets) = nom_u8(i).ctx(CCRSP_PDU, "userData count")?;
        let (i, _ud_choice) = nom_u8(i).ctx(CCRSP_PDU, "userData key choice")?;
        let (i, key_len) = nom_u8(i).ctx(CCRSP_PDU, "h221NonStandard length")?;
        let (i, key) = take_len(i, usize::from(key_len) + 4, 255 + 4, CCRSP_PDU, "h221NonStandard")?;
        let (i, ud_len) = per_len(i, CCRSP_PDU, "userData length")?;
        let (i, ud) = take_len(i, ud_len, MAX_PER_LEN, CCRSP_PDU, "userData")?;
        if !i.is_empty() {
            return Err(DecodeError::trailing(CCRSP_PDU, "userData", i.len()));
        }
        Ok(ConferenceCreateResponse {
            connect_pdu_length,
            node_id,
            tag,
            result,
            h221_key: key.to_vec(),
            user_data: ud.to_vec(),
        })
    }

    /// Encodes (tests, benches and hostile test servers); the connectPDU length is the real one.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut pdu = vec![0x14];
        pdu.extend_from_slice(&self.node_id.to_be_bytes());
        let tag = self.tag.to_be_bytes();
        let skip = tag.iter().take(3).take_while(|&&b| b == 0).count();
        let tag = tag.get(skip..).unwrap_or_default();
        pdu.push(tag.len() as u8);
        pdu.extend_from_slice(tag);
        pdu.extend_from_slice(&[self.result, 0x01, 0xc0]);
        if self.h221_key.len() < 4 || self.h221_key.len() > 259 {
            return Err(DecodeError::length(CCRSP_PDU, "h221NonStandard", self.h221_key.len(), 259));
        }
        pdu.push((self.h221_key.len() - 4) as u8);
        pdu.extend_from_slice(&self.h221_key);
        per_write_len(&mut pdu, self.user_data.len())?;
        pdu.extend_from_slice(&self.user_data);
        let mut out = vec![0x00, 0x05];
        out.extend_from_slice(&T124_OID);
        per_write_len(&mut out, pdu.len())?;
        out.extend_from_slice(&pdu);
        Ok(out)
    }
}

/// One TS_UD_HEADER (2.2.1.4.1) and its body: (rest, type, body).
fn next_block(i: &[u8]) -> Result<(&[u8], u16, &[u8]), DecodeError> {
    let (r, ty) = le_u16(i).ctx(BLOCK_PDU, "type")?;
    let (r, len) = le_u16(r).ctx(BLOCK_PDU, "length")?;
    let len = usize::from(len);
    if len < 4 {
        return Err(DecodeError::length(BLOCK_PDU, "length", len, i.len()));
    }
    let (r, body) = take_len(r, len - 4, i.len().saturating_sub(4), BLOCK_PDU, "length")?;
    Ok((r, ty, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::DecodeErrorKind;

    /// MS-RDPBCGR 4.1.4 server data blocks (SC_CORE, SC_NET, SC_SECURITY with the proprietary
    /// certificate of the example).
    pub(super) fn spec_server_blocks() -> Vec<u8> {
        let mut v = vec![
            0x01, 0x0c, 0x0c, 0x00, // SC_CORE, length 12
            0x04, 0x00, 0x08, 0x00, // version 0x00080004
            0x00, 0x00, 0x00, 0x00, // clientRequestedProtocols PROTOCOL_RDP
            0x03, 0x0c, 0x10, 0x00, // SC_NET, length 16
            0xeb, 0x03, // MCSChannelId 1003
            0x03, 0x00, // channelCount 3
            0xec, 0x03, 0xed, 0x03, 0xee, 0x03, // 1004, 1005, 1006
            0x00, 0x00, // pad
            0x02, 0x0c, 0xec, 0x00, // SC_SECURITY, length 236
            0x02, 0x00, 0x00, 0x00, // encryptionMethod 128BIT
            0x02, 0x00, 0x00, 0x00, // encryptionLevel CLIENT_COMPATIBLE
            0x20, 0x00, 0x00, 0x00, // serverRandomLen 32
            0xb8, 0x00, 0x00, 0x00, // serverCertLen 184
        ];
        v.extend_from_slice(&SPEC_SERVER_RANDOM);
        v.extend_from_slice(&SPEC_SERVER_CERT);
        v
    }

    const SPEC_SERVER_RANDOM: [u8; 32] = [
        0x10, 0x11, 0x77, 0x20, 0x30, 0x61, 0x0a, 0x12, 0xe4, 0x34, 0xa1, 0x1e, 0xf2, 0xc3, 0x9f, 0x31, 0x7d, 0xa4,
        0x5f, 0x01, 0x89, 0x34, 0x96, 0xe0, 0xff, 0x11, 0x08, 0x69, 0x7f, 0x1a, 0xc3, 0xd2,
    ];

    /// 4.1.4 proprietary certificate: dwVersion 1, sig alg 1, key alg 1, key blob type 6 length
    /// 0x5c (RSA1, keylen 0x48, bitlen 512, datalen 63, exponent 65537, modulus), signature
    /// blob type 8 length 0x48.
    const SPEC_SERVER_CERT: [u8; 184] = [
        0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x5c, 0x00, 0x52, 0x53,
        0x41, 0x31, 0x48, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
        0xcb, 0x81, 0xfe, 0xba, 0x6d, 0x61, 0xc3, 0x55, 0x05, 0xd5, 0x5f, 0x2e, 0x87, 0xf8, 0x71, 0x94, 0xd6, 0xf1,
        0xa5, 0xcb, 0xf1, 0x5f, 0x0c, 0x3d, 0xf8, 0x70, 0x02, 0x96, 0xc4, 0xfb, 0x9b, 0xc8, 0x3c, 0x2d, 0x55, 0xae,
        0xe8, 0xff, 0x32, 0x75, 0xea, 0x68, 0x79, 0xe5, 0xa2, 0x01, 0xfd, 0x31, 0xa0, 0xb1, 0x1f, 0x55, 0xa6, 0x1f,
        0xc1, 0xf6, 0xd1, 0x83, 0x88, 0x63, 0x26, 0x56, 0x12, 0xbc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x48, 0x00, 0xe9, 0xe1, 0xd6, 0x28, 0x46, 0x8b, 0x4e, 0xf5, 0x0a, 0xdf, 0xfd, 0xee, 0x21, 0x99,
        0xac, 0xb4, 0xe1, 0x8f, 0x5f, 0x81, 0x57, 0x82, 0xef, 0x9d, 0x96, 0x52, 0x63, 0x27, 0x18, 0x29, 0xdb, 0xb3,
        0x4a, 0xfd, 0x9a, 0xda, 0x42, 0xad, 0xb5, 0x69, 0x21, 0x89, 0x0e, 0x1d, 0xc0, 0x4c, 0x1a, 0xa8, 0xaa, 0x71,
        0x3e, 0x0f, 0x54, 0xb9, 0x9a, 0xe4, 0x99, 0x68, 0x3f, 0x6c, 0xd6, 0x76, 0x84, 0x61, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];

    /// 4.1.4 GCC prefix: ConnectData with the spec's (wrong) connectPDU length 0x2a.
    const SPEC_CCRSP_PREFIX: [u8; 23] = [
        0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01, // object key, T.124 OID
        0x2a, // connectPDU length (as sent by everyone: not the real length)
        0x14, // conferenceCreateResponse
        0x76, 0x0a, // nodeID 0x760a
        0x01, 0x01, // tag 1
        0x00, // result success
        0x01, // one user data set
        0xc0, 0x00, // h221NonStandard, key length 4
        0x4d, 0x63, 0x44, 0x6e, // "McDn"
        0x81, 0x08, // userData length 264
    ];

    #[test]
    fn spec_conference_create_response() {
        let mut v = SPEC_CCRSP_PREFIX.to_vec();
        v.extend_from_slice(&spec_server_blocks());
        let r = ConferenceCreateResponse::decode(&v).unwrap();
        assert_eq!((r.connect_pdu_length, r.node_id, r.tag, r.result), (0x2a, 0x760a, 1, 0));
        assert_eq!(r.h221_key, b"McDn");
        let b = ServerBlocks::decode(&r.user_data);
        assert!(b.errors.is_empty(), "{:?}", b.errors);
        let core = b.core.unwrap();
        assert_eq!(rdp_version_name(core.version), "RDP 5.0-8.1");
        assert_eq!(core.client_requested_protocols, Some(0));
        assert_eq!(b.network.unwrap().channel_ids, [1004, 1005, 1006]);
        let sec = b.security.unwrap();
        assert_eq!(EncryptionMethods::method_name(sec.encryption_method), "128bit");
        assert_eq!(encryption_level_name(sec.encryption_level), "client_compatible");
        assert_eq!(sec.server_random, SPEC_SERVER_RANDOM);
        let cert = sec.server_certificate.unwrap().unwrap();
        assert!(!cert.temporary);
        let CertificateKind::Proprietary(p) = cert.kind else { panic!() };
        let key = p.public_key.clone().unwrap();
        assert_eq!((key.magic, key.keylen, key.bitlen, key.pub_exp), (0x3141_5352, 0x48, 512, 65537));
        assert_eq!(key.modulus_bits(), 512);
        assert!(p.signature_valid());
        let mut bad = p.clone();
        bad.signed_data[20] ^= 1;
        assert!(!bad.signature_valid());
        // re-encoding gives a consistent connectPDU length and decodes the same
        let enc = r.encode().unwrap();
        assert_eq!(ConferenceCreateResponse::decode(&enc).unwrap().user_data, r.user_data);
    }

    #[test]
    fn request_prefix_and_blocks() {
        let blocks = ClientBlocks::mstsc(0, EncryptionMethods::ALL).encode();
        let req = encode_conference_create_request(&blocks).unwrap();
        let len = blocks.len();
        let mut want = vec![0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01];
        want.extend_from_slice(&(((len + 14) as u16) | 0x8000).to_be_bytes());
        want.extend_from_slice(&[0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x00, 0x44, 0x75, 0x63, 0x61]);
        want.extend_from_slice(&((len as u16) | 0x8000).to_be_bytes());
        assert_eq!(&req[..want.len()], &want[..]);
        let types = client_block_types(&blocks).unwrap();
        let tys: Vec<u16> = types.iter().map(|t| t.0).collect();
        assert_eq!(tys, [CS_CORE, CS_CLUSTER, CS_SECURITY, CS_NET]);
        assert_eq!(types[0].1.len(), 212); // CS_CORE body up to serverSelectedProtocol
        assert_eq!(client_core_name(&types[0].1), "rdp-probe");
        assert_eq!(types[2].1, [0x1b, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(client_channel_names(&types[3].1).unwrap(), ["rdpdr", "rdpsnd", "cliprdr", "drdynvc"]);
    }

    #[test]
    fn truncated_conference_create_response() {
        let mut v = SPEC_CCRSP_PREFIX.to_vec();
        v.extend_from_slice(&spec_server_blocks());
        for n in 0..v.len() {
            assert!(ConferenceCreateResponse::decode(&v[..n]).is_err(), "prefix {n}");
        }
        // PER userData length lying by one
        let mut bad = v.clone();
        bad[22] = 0x09;
        assert!(ConferenceCreateResponse::decode(&bad).is_err());
        // fragmented PER length
        let mut bad = v;
        bad[21] = 0xc1;
        assert_eq!(ConferenceCreateResponse::decode(&bad).unwrap_err().kind, DecodeErrorKind::InvalidValue(0xc1));
    }

    #[test]
    fn version_names() {
        assert_eq!(rdp_version_name(0x0008_0001), "RDP 4.0");
        assert_eq!(rdp_version_name(0x0008_0005), "RDP 10.0");
        assert_eq!(rdp_version_name(0x0008_000c), "RDP 10.7");
        assert_eq!(rdp_version_name(0x0008_0011), "RDP 10.12");
        assert_eq!(rdp_version_name(0x0008_0012), "unknown 0x00080012");
        assert_eq!(EncryptionMethods::method_name(0x1b), "40bit|128bit|56bit|fips");
        assert_eq!(encryption_level_name(7), "unknown_7");
    }
}
