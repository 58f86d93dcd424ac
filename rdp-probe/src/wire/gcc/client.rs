//! Client data blocks we send (MS-RDPBCGR 2.2.1.3): CS_CORE, CS_CLUSTER, CS_SECURITY, CS_NET,
//! and decoders of our own requests for tests.

use super::{next_block, EncryptionMethods, MAX_CHANNELS};
use crate::wire::codec::{take_len, utf16le_lossy, Ctx, DecodeError};
use nom::number::complete::le_u32;

/// CS_CORE.
pub const CS_CORE: u16 = 0xC001;
/// CS_SECURITY.
pub const CS_SECURITY: u16 = 0xC002;
/// CS_NET.
pub const CS_NET: u16 = 0xC003;
/// CS_CLUSTER.
pub const CS_CLUSTER: u16 = 0xC004;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_t120_is_never_sent() {
        let mut b = ClientBlocks::mstsc(1, EncryptionMethods::ALL);
        b.channels.push(ChannelDef { name: "MS_T120".into(), options: 0 });
        let enc = b.encode();
        assert!(!enc.windows(7).any(|w| w.eq_ignore_ascii_case(b"MS_T120")));
    }
}
