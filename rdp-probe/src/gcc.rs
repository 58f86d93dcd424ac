//! T.124 GCC Conference Create Request / Response (ALIGNED PER, T.124 8.7, 9.5, 9.6) and the
//! RDP settings data blocks they carry: client blocks CS_CORE, CS_SECURITY, CS_NET, CS_CLUSTER
//! (MS-RDPBCGR 2.2.1.3.2-2.2.1.3.5) and server blocks SC_CORE, SC_SECURITY, SC_NET,
//! SC_MCS_MSGCHANNEL, SC_MULTITRANSPORT (2.2.1.4.2-2.2.1.4.6) with the server certificate
//! (2.2.1.4.3.1).
//!
//! Server blocks are decoded leniently: one odd block (say SC_SECURITY) is kept as an error and
//! the others are still decoded; unknown block types are kept raw.

use crate::codec::{take_len, utf16le_lossy, Ctx, DecodeError};
use crate::x224::flag_set;
use nom::number::complete::{be_u16, le_u16, le_u32, u8 as nom_u8};

/// T.124 object identifier {itu-t recommendation t 124 version(0) 1}, PER-encoded.
pub const T124_OID: [u8; 5] = [0x00, 0x14, 0x7c, 0x00, 0x01];
/// H.221 non-standard key of client-to-server user data.
pub const H221_CLIENT_KEY: &[u8; 4] = b"Duca";
/// H.221 non-standard key of server-to-client user data.
pub const H221_SERVER_KEY: &[u8; 4] = b"McDn";
/// Largest PER length (two-octet form).
pub const MAX_PER_LEN: usize = 0x3fff;

/// CS_CORE.
pub const CS_CORE: u16 = 0xC001;
/// CS_SECURITY.
pub const CS_SECURITY: u16 = 0xC002;
/// CS_NET.
pub const CS_NET: u16 = 0xC003;
/// CS_CLUSTER.
pub const CS_CLUSTER: u16 = 0xC004;
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

/// The most static virtual channels a CS_NET / SC_NET may list (2.2.1.3.4: 31).
pub const MAX_CHANNELS: usize = 31;
/// Largest server random we accept (2.2.1.4.3: 32 bytes; some room for odd servers).
pub const MAX_SERVER_RANDOM_LEN: usize = 256;
/// Most certificates in an X.509 chain we accept.
pub const MAX_CERT_BLOBS: usize = 32;

const CCRQ_PDU: &str = "GCC Conference Create Request";
const CCRSP_PDU: &str = "GCC Conference Create Response";
const BLOCK_PDU: &str = "GCC user data block";
const SC_CORE_PDU: &str = "TS_UD_SC_CORE";
const SC_SEC_PDU: &str = "TS_UD_SC_SEC1";
const SC_NET_PDU: &str = "TS_UD_SC_NET";
const SC_MSG_PDU: &str = "TS_UD_SC_MCS_MSGCHANNEL";
const SC_MT_PDU: &str = "TS_UD_SC_MULTITRANSPORT";
const CERT_PDU: &str = "SERVER_CERTIFICATE";
const PROP_PDU: &str = "PROPRIETARYSERVERCERTIFICATE";
const RSA_PDU: &str = "RSA_PUBLIC_KEY";

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

/// encryptionLevel (2.2.1.4.3) name: none, low, client_compatible, high, fips, `unknown_N`.
pub fn encryption_level_name(v: u32) -> String {
    match v {
        0 => "none".into(),
        1 => "low".into(),
        2 => "client_compatible".into(),
        3 => "high".into(),
        4 => "fips".into(),
        v => format!("unknown_{v}"),
    }
}

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

/// The RDP version an SC_CORE / CS_CORE version code stands for (2.2.1.4.2); unknown codes raw.
pub fn rdp_version_name(code: u32) -> String {
    match code {
        0x0008_0001 => "RDP 4.0".into(),
        0x0008_0004 => "RDP 5.0-8.1".into(),
        0x0008_0005..=0x0008_0011 => format!("RDP 10.{}", code - 0x0008_0005),
        c => format!("unknown {c:#010x}"),
    }
}

// ---- client blocks ---------------------------------------------------------------------------

/// CS_CORE earlyCapabilityFlags a current mstsc sends (2.2.1.3.2): ERRINFO_PDU, WANT_32BPP,
/// STRONG_ASYMMETRIC_KEYS, VALID_CONNECTION_TYPE, MONITOR_LAYOUT_PDU, NETCHAR_AUTODETECT,
/// DYNVC_GFX_PROTOCOL, DYNAMIC_TIME_ZONE, HEARTBEAT_PDU.
pub const MSTSC_EARLY_CAPABILITY_FLAGS: u16 = 0x07EB;

/// TS_UD_CS_CORE (2.2.1.3.2), up to serverSelectedProtocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCoreData {
    /// version (0x00080004: RDP 5.0+ client, what mstsc sends).
    pub version: u32,
    /// desktopWidth.
    pub desktop_width: u16,
    /// desktopHeight.
    pub desktop_height: u16,
    /// keyboardLayout.
    pub keyboard_layout: u32,
    /// clientBuild.
    pub client_build: u32,
    /// clientName (at most 15 characters are sent).
    pub client_name: String,
    /// earlyCapabilityFlags.
    pub early_capability_flags: u16,
    /// connectionType.
    pub connection_type: u8,
    /// serverSelectedProtocol: what the X.224 negotiation selected.
    pub server_selected_protocol: u32,
}

impl ClientCoreData {
    /// The values a current mstsc sends, with `server_selected_protocol`.
    pub fn mstsc(server_selected_protocol: u32) -> Self {
        ClientCoreData {
            version: 0x0008_0004,
            desktop_width: 1024,
            desktop_height: 768,
            keyboard_layout: 0x409,
            client_build: 22621,
            client_name: "rdp-probe".into(),
            early_capability_flags: MSTSC_EARLY_CAPABILITY_FLAGS,
            connection_type: 6, // CONNECTION_TYPE_AUTODETECT
            server_selected_protocol,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.desktop_width.to_le_bytes());
        out.extend_from_slice(&self.desktop_height.to_le_bytes());
        out.extend_from_slice(&0xCA01u16.to_le_bytes()); // colorDepth RNS_UD_COLOR_8BPP
        out.extend_from_slice(&0xAA03u16.to_le_bytes()); // SASSequence RNS_UD_SAS_DEL
        out.extend_from_slice(&self.keyboard_layout.to_le_bytes());
        out.extend_from_slice(&self.client_build.to_le_bytes());
        let mut name = [0u8; 32];
        for (slot, unit) in name.chunks_exact_mut(2).zip(self.client_name.encode_utf16().take(15)) {
            slot.copy_from_slice(&unit.to_le_bytes());
        }
        out.extend_from_slice(&name);
        out.extend_from_slice(&4u32.to_le_bytes()); // keyboardType: IBM enhanced (101/102 keys)
        out.extend_from_slice(&0u32.to_le_bytes()); // keyboardSubType
        out.extend_from_slice(&12u32.to_le_bytes()); // keyboardFunctionKey
        out.extend_from_slice(&[0u8; 64]); // imeFileName
        out.extend_from_slice(&0xCA01u16.to_le_bytes()); // postBeta2ColorDepth
        out.extend_from_slice(&1u16.to_le_bytes()); // clientProductId
        out.extend_from_slice(&0u32.to_le_bytes()); // serialNumber
        out.extend_from_slice(&24u16.to_le_bytes()); // highColorDepth
        out.extend_from_slice(&0x000Fu16.to_le_bytes()); // supportedColorDepths 24/16/15/32
        out.extend_from_slice(&self.early_capability_flags.to_le_bytes());
        out.extend_from_slice(&[0u8; 64]); // clientDigProductId
        out.push(self.connection_type);
        out.push(0); // pad1octet
        out.extend_from_slice(&self.server_selected_protocol.to_le_bytes());
    }
}

/// One CHANNEL_DEF (2.2.1.3.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelDef {
    /// name (at most 7 ASCII characters).
    pub name: String,
    /// options.
    pub options: u32,
}

/// The static channels a current mstsc offers. Never MS_T120: it is what BlueKeep checks and
/// IDS signatures look for.
pub fn mstsc_channels() -> Vec<ChannelDef> {
    vec![
        ChannelDef { name: "rdpdr".into(), options: 0x8080_0000 }, // INITIALIZED | COMPRESS_RDP
        ChannelDef { name: "rdpsnd".into(), options: 0xC000_0000 }, // INITIALIZED | ENCRYPT_RDP
        ChannelDef { name: "cliprdr".into(), options: 0xC0A0_0000 }, // + COMPRESS_RDP | SHOW_PROTOCOL
        ChannelDef { name: "drdynvc".into(), options: 0xC080_0000 }, // + COMPRESS_RDP
    ]
}

/// The client blocks we send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientBlocks {
    /// CS_CORE.
    pub core: ClientCoreData,
    /// CS_SECURITY encryptionMethods.
    pub encryption_methods: EncryptionMethods,
    /// CS_NET channels (MS_T120 is dropped by the encoder whatever is asked).
    pub channels: Vec<ChannelDef>,
    /// CS_CLUSTER flags (None: no block).
    pub cluster_flags: Option<u32>,
}

impl ClientBlocks {
    /// What a current mstsc sends, offering `methods`, after the negotiation selected `selected`.
    pub fn mstsc(selected: u32, methods: EncryptionMethods) -> Self {
        ClientBlocks {
            core: ClientCoreData::mstsc(selected),
            encryption_methods: methods,
            channels: mstsc_channels(),
            // REDIRECTION_SUPPORTED | REDIRECTION_VERSION4 << 2
            cluster_flags: Some(0x0D),
        }
    }

    /// The concatenated blocks, in mstsc's order: core, cluster, security, network.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(400);
        let mut core = Vec::with_capacity(220);
        self.core.encode(&mut core);
        write_block(&mut out, CS_CORE, &core);
        if let Some(flags) = self.cluster_flags {
            let mut b = flags.to_le_bytes().to_vec();
            b.extend_from_slice(&0u32.to_le_bytes()); // redirectedSessionID
            write_block(&mut out, CS_CLUSTER, &b);
        }
        let mut sec = self.encryption_methods.0.to_le_bytes().to_vec();
        sec.extend_from_slice(&0u32.to_le_bytes()); // extEncryptionMethods
        write_block(&mut out, CS_SECURITY, &sec);
        let channels: Vec<&ChannelDef> =
            self.channels.iter().filter(|c| !c.name.eq_ignore_ascii_case("MS_T120")).take(MAX_CHANNELS).collect();
        let mut net = (channels.len() as u32).to_le_bytes().to_vec();
        for c in channels {
            let mut name = [0u8; 8];
            for (slot, b) in name.iter_mut().zip(c.name.bytes().take(7)) {
                *slot = b;
            }
            net.extend_from_slice(&name);
            net.extend_from_slice(&c.options.to_le_bytes());
        }
        write_block(&mut out, CS_NET, &net);
        out
    }
}

fn write_block(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&((body.len() + 4) as u16).to_le_bytes());
    out.extend_from_slice(body);
}

// ---- PER ---------------------------------------------------------------------------------------

fn per_write_len(out: &mut Vec<u8>, len: usize) -> Result<(), DecodeError> {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= MAX_PER_LEN {
        out.extend_from_slice(&((len as u16) | 0x8000).to_be_bytes());
    } else {
        return Err(DecodeError::length(CCRQ_PDU, "length", len, MAX_PER_LEN));
    }
    Ok(())
}

/// A PER length determinant: one octet below 0x80, else two (`10xxxxxx`); fragmented forms
/// (`11xxxxxx`) are refused. Not checked against the bytes left: callers take with it.
fn per_len<'a>(i: &'a [u8], pdu: &'static str, field: &'static str) -> Result<(&'a [u8], usize), DecodeError> {
    let (i, b) = nom_u8(i).ctx(pdu, field)?;
    if b & 0x80 == 0 {
        return Ok((i, usize::from(b)));
    }
    if b & 0xC0 == 0xC0 {
        return Err(DecodeError::invalid(pdu, field, b.into()));
    }
    let (i, lo) = nom_u8(i).ctx(pdu, field)?;
    Ok((i, (usize::from(b & 0x3f) << 8) | usize::from(lo)))
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

// ---- server blocks -----------------------------------------------------------------------------

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

/// RSA_PUBLIC_KEY (2.2.1.4.3.1.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    /// magic ("RSA1" = 0x31415352).
    pub magic: u32,
    /// keylen: modulus bytes including 8 bytes of padding.
    pub keylen: u32,
    /// bitlen.
    pub bitlen: u32,
    /// datalen.
    pub datalen: u32,
    /// pubExp.
    pub pub_exp: u32,
    /// modulus, little-endian, as sent (keylen bytes).
    pub modulus: Vec<u8>,
}

impl RsaPublicKey {
    fn decode(blob: &[u8]) -> Result<RsaPublicKey, DecodeError> {
        let (i, magic) = le_u32(blob).ctx(RSA_PDU, "magic")?;
        let (i, keylen) = le_u32(i).ctx(RSA_PDU, "keylen")?;
        let (i, bitlen) = le_u32(i).ctx(RSA_PDU, "bitlen")?;
        let (i, datalen) = le_u32(i).ctx(RSA_PDU, "datalen")?;
        let (i, pub_exp) = le_u32(i).ctx(RSA_PDU, "pubExp")?;
        let n = usize::try_from(keylen).unwrap_or(usize::MAX);
        let (_rest, modulus) = take_len(i, n, i.len(), RSA_PDU, "modulus")?;
        Ok(RsaPublicKey { magic, keylen, bitlen, datalen, pub_exp, modulus: modulus.to_vec() })
    }

    /// Significant bits of the modulus (bitlen is what the server claims).
    pub fn modulus_bits(&self) -> u64 {
        num_bigint::BigUint::from_bytes_le(&self.modulus).bits()
    }
}

/// PROPRIETARYSERVERCERTIFICATE (2.2.1.4.3.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProprietaryCertificate {
    /// dwSigAlgId (SIGNATURE_ALG_RSA = 1).
    pub sig_alg_id: u32,
    /// dwKeyAlgId (KEY_EXCHANGE_ALG_RSA = 1).
    pub key_alg_id: u32,
    /// wPublicKeyBlobType (BB_RSA_KEY_BLOB = 6).
    pub public_key_blob_type: u16,
    /// PublicKeyBlob, decoded.
    pub public_key: Result<RsaPublicKey, DecodeError>,
    /// wSignatureBlobType (BB_RSA_SIGNATURE_BLOB = 8).
    pub signature_blob_type: u16,
    /// SignatureBlob (64 bytes + 8 zero bytes for the 512-bit signing key).
    pub signature: Vec<u8>,
    /// The signed bytes: dwVersion through PublicKeyBlob (5.3.3.1.2).
    pub signed_data: Vec<u8>,
}

/// The Terminal Services signing key modulus (MS-RDPBCGR 5.3.3.1.1), little-endian.
pub const TSSK_MODULUS: [u8; 64] = [
    0x3d, 0x3a, 0x5e, 0xbd, 0x72, 0x43, 0x3e, 0xc9, 0x4d, 0xbb, 0xc1, 0x1e, 0x4a, 0xba, 0x5f, 0xcb, 0x3e, 0x88, 0x20,
    0x87, 0xef, 0xf5, 0xc1, 0xe2, 0xd7, 0xb7, 0x6b, 0x9a, 0xf2, 0x52, 0x45, 0x95, 0xce, 0x63, 0x65, 0x6b, 0x58, 0x3a,
    0xfe, 0xef, 0x7c, 0xe7, 0xbf, 0xfe, 0x3d, 0xf6, 0x5c, 0x7d, 0x6c, 0x5e, 0x06, 0x09, 0x1a, 0xf5, 0x61, 0xbb, 0x20,
    0x93, 0x09, 0x5f, 0x05, 0x6d, 0xea, 0x87,
];
/// The Terminal Services signing key public exponent (5.3.3.1.1).
pub const TSSK_EXPONENT: u32 = 0xc088_7b5b;

impl ProprietaryCertificate {
    /// Whether the signature verifies against the Terminal Services signing key (5.3.3.1.2):
    /// RSA-decrypt, then MD5(signed data) || 0x00 || 0xFF x 45 || 0x01. The key's private half is
    /// public, so a valid signature proves nothing about the server: it only shows the
    /// certificate is well formed.
    pub fn signature_valid(&self) -> bool {
        use md5::Digest;
        let Some(sig) = self.signature.get(..64) else { return false };
        let n = num_bigint::BigUint::from_bytes_le(&TSSK_MODULUS);
        let s = num_bigint::BigUint::from_bytes_le(sig);
        if s >= n {
            return false;
        }
        let m = s.modpow(&num_bigint::BigUint::from(TSSK_EXPONENT), &n);
        let mut plain = m.to_bytes_le();
        plain.resize(64, 0);
        let hash = md5::Md5::digest(&self.signed_data);
        plain.get(..16) == Some(&hash[..])
            && plain.get(16) == Some(&0)
            && plain.get(17..62).is_some_and(|p| p.iter().all(|&b| b == 0xff))
            && plain.get(62) == Some(&1)
    }
}

/// The certificate inside SERVER_CERTIFICATE (2.2.1.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateKind {
    /// CERT_CHAIN_VERSION_1: proprietary (RSA1 key blob signed with the TS signing key).
    Proprietary(ProprietaryCertificate),
    /// CERT_CHAIN_VERSION_2: X.509 chain, DER blobs in the order sent (the server's last).
    X509Chain(Vec<Vec<u8>>),
    /// Any other dwVersion: raw bytes after it.
    Unknown(Vec<u8>),
}

/// SERVER_CERTIFICATE (2.2.1.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    /// dwVersion as sent.
    pub dw_version: u32,
    /// The top bit of dwVersion: the certificate is temporary (t).
    pub temporary: bool,
    /// The decoded certificate.
    pub kind: CertificateKind,
}

impl ServerCertificate {
    /// Decodes the certificate (serverCertLen bytes).
    pub fn decode(data: &[u8]) -> Result<ServerCertificate, DecodeError> {
        let (i, dw_version) = le_u32(data).ctx(CERT_PDU, "dwVersion")?;
        let temporary = dw_version & 0x8000_0000 != 0;
        let kind = match dw_version & 0x7fff_ffff {
            1 => {
                let (i, sig_alg_id) = le_u32(i).ctx(PROP_PDU, "dwSigAlgId")?;
                let (i, key_alg_id) = le_u32(i).ctx(PROP_PDU, "dwKeyAlgId")?;
                let (i, public_key_blob_type) = le_u16(i).ctx(PROP_PDU, "wPublicKeyBlobType")?;
                let (i, blob_len) = le_u16(i).ctx(PROP_PDU, "wPublicKeyBlobLen")?;
                let (i, blob) = take_len(i, usize::from(blob_len), 0xffff, PROP_PDU, "PublicKeyBlob")?;
                let signed_len = data.len() - i.len();
                let (i, signature_blob_type) = le_u16(i).ctx(PROP_PDU, "wSignatureBlobType")?;
                let (i, sig_len) = le_u16(i).ctx(PROP_PDU, "wSignatureBlobLen")?;
                let (_i, signature) = take_len(i, usize::from(sig_len), 0xffff, PROP_PDU, "SignatureBlob")?;
                CertificateKind::Proprietary(ProprietaryCertificate {
                    sig_alg_id,
                    key_alg_id,
                    public_key_blob_type,
                    public_key: RsaPublicKey::decode(blob),
                    signature_blob_type,
                    signature: signature.to_vec(),
                    signed_data: data.get(..signed_len).unwrap_or_default().to_vec(),
                })
            }
            2 => {
                let (mut i, count) = le_u32(i).ctx(CERT_PDU, "NumCertBlobs")?;
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                if count > MAX_CERT_BLOBS {
                    return Err(DecodeError::length(CERT_PDU, "NumCertBlobs", count, MAX_CERT_BLOBS));
                }
                let mut certs = Vec::with_capacity(count);
                for _ in 0..count {
                    let (rest, cb) = le_u32(i).ctx(CERT_PDU, "cbCert")?;
                    let cb = usize::try_from(cb).unwrap_or(usize::MAX);
                    let (rest, der) = take_len(rest, cb, rest.len(), CERT_PDU, "abCert")?;
                    certs.push(der.to_vec());
                    i = rest;
                }
                // 8 + 4 * NumCertBlobs bytes of padding follow; not checked.
                CertificateKind::X509Chain(certs)
            }
            _ => CertificateKind::Unknown(i.to_vec()),
        };
        Ok(ServerCertificate { dw_version, temporary, kind })
    }
}

/// TS_UD_SC_SEC1 (2.2.1.4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSecurityData {
    /// encryptionMethod.
    pub encryption_method: u32,
    /// encryptionLevel.
    pub encryption_level: u32,
    /// serverRandomLen (None when the block ends after the level).
    pub server_random_len: Option<u32>,
    /// serverCertLen.
    pub server_cert_len: Option<u32>,
    /// serverRandom.
    pub server_random: Vec<u8>,
    /// serverCertificate, decoded; an odd certificate is kept as an error.
    pub server_certificate: Option<Result<ServerCertificate, DecodeError>>,
}

impl ServerSecurityData {
    fn decode(b: &[u8]) -> Result<ServerSecurityData, DecodeError> {
        let (i, encryption_method) = le_u32(b).ctx(SC_SEC_PDU, "encryptionMethod")?;
        let (i, encryption_level) = le_u32(i).ctx(SC_SEC_PDU, "encryptionLevel")?;
        let mut s = ServerSecurityData {
            encryption_method,
            encryption_level,
            server_random_len: None,
            server_cert_len: None,
            server_random: Vec::new(),
            server_certificate: None,
        };
        if i.is_empty() {
            return Ok(s);
        }
        let (i, rl) = le_u32(i).ctx(SC_SEC_PDU, "serverRandomLen")?;
        let (i, cl) = le_u32(i).ctx(SC_SEC_PDU, "serverCertLen")?;
        s.server_random_len = Some(rl);
        s.server_cert_len = Some(cl);
        let rl = usize::try_from(rl).unwrap_or(usize::MAX);
        let cl = usize::try_from(cl).unwrap_or(usize::MAX);
        let (i, random) = take_len(i, rl, MAX_SERVER_RANDOM_LEN, SC_SEC_PDU, "serverRandom")?;
        s.server_random = random.to_vec();
        let (i, cert) = take_len(i, cl, i.len(), SC_SEC_PDU, "serverCertificate")?;
        if !i.is_empty() {
            return Err(DecodeError::trailing(SC_SEC_PDU, "serverCertLen", i.len()));
        }
        if !cert.is_empty() {
            s.server_certificate = Some(ServerCertificate::decode(cert));
        }
        Ok(s)
    }
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

/// Client block names by type, for decoding our own requests in tests.
pub fn client_block_types(data: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, DecodeError> {
    let mut rest = data;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (r, ty, body) = next_block(rest)?;
        out.push((ty, body.to_vec()));
        rest = r;
    }
    Ok(out)
}

/// Decodes a CS_NET body into channel names (tests; our own requests).
pub fn client_channel_names(body: &[u8]) -> Result<Vec<String>, DecodeError> {
    let (i, count) = le_u32(body).ctx("TS_UD_CS_NET", "channelCount")?;
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    let (_, defs) = take_len(i, n.saturating_mul(12), MAX_CHANNELS * 12, "TS_UD_CS_NET", "channelDefArray")?;
    Ok(defs
        .chunks_exact(12)
        .map(|c| c.iter().take(8).take_while(|&&b| b != 0).map(|&b| char::from(b)).collect())
        .collect())
}

/// The client name in a CS_CORE body (tests).
pub fn client_core_name(body: &[u8]) -> String {
    let name = body.get(20..52).unwrap_or_default();
    utf16le_lossy(name).trim_end_matches('\0').to_string()
}

/// Fuzz entry points.
#[doc(hidden)]
pub mod fuzz {
    /// The Conference Create Response and server block decoders on arbitrary bytes.
    pub fn gcc_server_blocks(data: &[u8]) {
        let blocks = super::ServerBlocks::decode(data);
        if let Some(Some(Ok(c))) = blocks.security.as_ref().map(|s| s.server_certificate.clone()) {
            if let super::CertificateKind::Proprietary(p) = &c.kind {
                let _ = p.signature_valid();
            }
        }
        let _ = crate::report::mcs::McsReport::from_blocks(&blocks);
        if let Ok(r) = super::ConferenceCreateResponse::decode(data) {
            let _ = super::ServerBlocks::decode(&r.user_data);
        }
        let _ = super::ServerCertificate::decode(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DecodeErrorKind;

    /// MS-RDPBCGR 4.1.4 server data blocks (SC_CORE, SC_NET, SC_SECURITY with the proprietary
    /// certificate of the example).
    fn spec_server_blocks() -> Vec<u8> {
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
    fn ms_t120_is_never_sent() {
        let mut b = ClientBlocks::mstsc(1, EncryptionMethods::ALL);
        b.channels.push(ChannelDef { name: "MS_T120".into(), options: 0 });
        let enc = b.encode();
        assert!(!enc.windows(7).any(|w| w.eq_ignore_ascii_case(b"MS_T120")));
    }

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
