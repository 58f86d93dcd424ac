//! The capability exchange (MS-RDPBCGR 2.2.1.13): the server's Demand Active PDU and the
//! client's Confirm Active PDU, both after the Share Control Header ([`super::share`]).

use super::capabilities::{Capability, CapabilitySet};
use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::{le_u16, le_u32};

/// originatorId of Confirm Active: the server channel id (0x03EA) every client sends.
pub const ORIGINATOR_ID: u16 = 0x03ea;

/// TS_DEMAND_ACTIVE_PDU (2.2.1.13.1.1), after the Share Control Header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandActive {
    /// shareId (echoed in Confirm Active and every Data PDU).
    pub share_id: u32,
    /// sourceDescriptor ("RDP\0" from Windows and xrdp).
    pub source_descriptor: Vec<u8>,
    /// capabilitySets.
    pub capability_sets: Vec<CapabilitySet>,
    /// sessionId (absent from some old servers).
    pub session_id: Option<u32>,
}

impl DemandActive {
    /// Decodes the body after pduSource.
    pub fn decode_body(i: &[u8]) -> Result<DemandActive, DecodeError> {
        const P: &str = "TS_DEMAND_ACTIVE_PDU";
        let (i, share_id) = le_u32(i).ctx(P, "shareId")?;
        let (i, lsd) = le_u16(i).ctx(P, "lengthSourceDescriptor")?;
        let (i, lcc) = le_u16(i).ctx(P, "lengthCombinedCapabilities")?;
        let (i, sd) = take_len(i, lsd.into(), usize::from(u16::MAX), P, "sourceDescriptor")?;
        let (rest, caps) = take_len(i, lcc.into(), usize::from(u16::MAX), P, "lengthCombinedCapabilities")?;
        let (c, n) = le_u16(caps).ctx(P, "numberCapabilities")?;
        let (c, _pad) = le_u16(c).ctx(P, "pad2Octets")?;
        let capability_sets = CapabilitySet::decode_all(c, n.into())?;
        let session_id = le_u32::<_, ()>(rest).ok().map(|(_, v)| v);
        Ok(DemandActive { share_id, source_descriptor: sd.to_vec(), capability_sets, session_id })
    }

    /// Encodes the body (hostile and test servers).
    pub fn encode_body(&self) -> Vec<u8> {
        let caps = encode_sets(&self.capability_sets);
        let mut b = Vec::with_capacity(caps.len() + 16);
        b.extend_from_slice(&self.share_id.to_le_bytes());
        b.extend_from_slice(&(self.source_descriptor.len() as u16).to_le_bytes());
        b.extend_from_slice(&(caps.len() as u16).to_le_bytes());
        b.extend_from_slice(&self.source_descriptor);
        b.extend_from_slice(&caps);
        if let Some(s) = self.session_id {
            b.extend_from_slice(&s.to_le_bytes());
        }
        b
    }

    /// The typed views of the sets the report reads, in order.
    pub fn parsed(&self) -> Vec<Capability> {
        self.capability_sets.iter().filter_map(CapabilitySet::parsed).collect()
    }

    /// Desktop width, height and preferred bpp from the Bitmap set.
    pub fn desktop(&self) -> Option<(u16, u16, u16)> {
        self.parsed().into_iter().find_map(|c| match c {
            Capability::Bitmap(b) => Some((b.desktop_width, b.desktop_height, b.preferred_bits_per_pixel)),
            _ => None,
        })
    }
}

/// numberCapabilities, pad2Octets, then the sets.
fn encode_sets(sets: &[CapabilitySet]) -> Vec<u8> {
    let mut caps = Vec::new();
    caps.extend_from_slice(&(sets.len() as u16).to_le_bytes());
    caps.extend_from_slice(&[0, 0]);
    for s in sets {
        s.encode(&mut caps);
    }
    caps
}

/// TS_CONFIRM_ACTIVE_PDU (2.2.1.13.2.1), after the Share Control Header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmActive {
    /// shareId from the Demand Active PDU.
    pub share_id: u32,
    /// originatorId ([`ORIGINATOR_ID`]).
    pub originator_id: u16,
    /// sourceDescriptor ("MSTSC\0").
    pub source_descriptor: Vec<u8>,
    /// capabilitySets.
    pub capability_sets: Vec<CapabilitySet>,
}

impl ConfirmActive {
    /// A Confirm Active answering `share_id` with these sets.
    pub fn new(share_id: u32, capability_sets: Vec<CapabilitySet>) -> Self {
        ConfirmActive {
            share_id,
            originator_id: ORIGINATOR_ID,
            source_descriptor: b"MSTSC\0".to_vec(),
            capability_sets,
        }
    }

    /// Encodes the body after pduSource.
    pub fn encode_body(&self) -> Vec<u8> {
        let caps = encode_sets(&self.capability_sets);
        let mut b = Vec::with_capacity(caps.len() + 16);
        b.extend_from_slice(&self.share_id.to_le_bytes());
        b.extend_from_slice(&self.originator_id.to_le_bytes());
        b.extend_from_slice(&(self.source_descriptor.len() as u16).to_le_bytes());
        b.extend_from_slice(&(caps.len() as u16).to_le_bytes());
        b.extend_from_slice(&self.source_descriptor);
        b.extend_from_slice(&caps);
        b
    }

    /// Decodes the body (tests, re-encoding captures).
    pub fn decode_body(i: &[u8]) -> Result<ConfirmActive, DecodeError> {
        const P: &str = "TS_CONFIRM_ACTIVE_PDU";
        let (i, share_id) = le_u32(i).ctx(P, "shareId")?;
        let (i, originator_id) = le_u16(i).ctx(P, "originatorId")?;
        let (i, lsd) = le_u16(i).ctx(P, "lengthSourceDescriptor")?;
        let (i, lcc) = le_u16(i).ctx(P, "lengthCombinedCapabilities")?;
        let (i, sd) = take_len(i, lsd.into(), usize::from(u16::MAX), P, "sourceDescriptor")?;
        let (rest, caps) = take_len(i, lcc.into(), usize::from(u16::MAX), P, "lengthCombinedCapabilities")?;
        super::expect_end(rest, P, "capabilitySets")?;
        let (c, n) = le_u16(caps).ctx(P, "numberCapabilities")?;
        let (c, _pad) = le_u16(c).ctx(P, "pad2Octets")?;
        let capability_sets = CapabilitySet::decode_all(c, n.into())?;
        Ok(ConfirmActive { share_id, originator_id, source_descriptor: sd.to_vec(), capability_sets })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::rdp::capabilities::minimal_client_sets;

    #[test]
    fn confirm_active_round_trip() {
        let ca = ConfirmActive::new(0x103ea, minimal_client_sets(800, 600, 16));
        let b = ca.encode_body();
        assert_eq!(ConfirmActive::decode_body(&b).unwrap(), ca);
        for n in 0..b.len() {
            assert!(ConfirmActive::decode_body(&b[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn demand_active_hostile() {
        let da = DemandActive {
            share_id: 1,
            source_descriptor: b"RDP\0".to_vec(),
            capability_sets: minimal_client_sets(100, 100, 32),
            session_id: Some(0),
        };
        let b = da.encode_body();
        assert_eq!(DemandActive::decode_body(&b).unwrap(), da);
        assert_eq!(da.desktop(), Some((100, 100, 32)));
        let mut lying = b.clone();
        lying[6] = 0xff; // lengthCombinedCapabilities
        lying[7] = 0xff;
        assert!(DemandActive::decode_body(&lying).is_err());
        for n in 0..b.len() {
            let _ = DemandActive::decode_body(&b[..n]);
        }
    }
}
