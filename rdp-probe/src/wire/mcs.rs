//! T.125 MCS connect PDUs (BER, T.125 section 7 part 2) as RDP uses them: the Client MCS
//! Connect Initial (MS-RDPBCGR 2.2.1.3) and the Server MCS Connect Response (2.2.1.4), plus the
//! PER-encoded Disconnect-Provider-Ultimatum (2.2.2.3) a server may send instead.
//!
//! BER lengths are strict: short form or `0x81`/`0x82` long form, never indefinite, every length
//! checked against the bytes present and a maximum before anything is taken.

use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::u8 as nom_u8;

/// BER tag of Connect-Initial: APPLICATION 101, constructed (`7f 65`).
pub const TAG_CONNECT_INITIAL: [u8; 2] = [0x7f, 0x65];
/// BER tag of Connect-Response: APPLICATION 102, constructed (`7f 66`).
pub const TAG_CONNECT_RESPONSE: [u8; 2] = [0x7f, 0x66];
const TAG_BOOLEAN: u8 = 0x01;
const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_ENUMERATED: u8 = 0x0a;
const TAG_SEQUENCE: u8 = 0x30;

/// Largest BER length we accept (a TPKT frame cannot carry more).
pub const MAX_BER_LEN: usize = crate::wire::codec::MAX_TPKT_LEN;
/// Largest INTEGER we decode: 4 value octets (plus one leading zero octet for the sign).
const MAX_INTEGER_LEN: usize = 5;

const CI_PDU: &str = "MCS Connect-Initial";
const CR_PDU: &str = "MCS Connect-Response";
const DP_PDU: &str = "MCS DomainParameters";
const DPU_PDU: &str = "MCS Disconnect-Provider-Ultimatum";

/// T.125 DomainParameters (section 7 part 2), as MS-RDPBCGR 3.2.5.3.3 fills them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DomainParameters {
    /// maxChannelIds.
    pub max_channel_ids: u32,
    /// maxUserIds.
    pub max_user_ids: u32,
    /// maxTokenIds.
    pub max_token_ids: u32,
    /// numPriorities.
    pub num_priorities: u32,
    /// minThroughput.
    pub min_throughput: u32,
    /// maxHeight.
    pub max_height: u32,
    /// maxMCSPDUsize.
    pub max_mcs_pdu_size: u32,
    /// protocolVersion.
    pub protocol_version: u32,
}

impl DomainParameters {
    /// targetParameters of MS-RDPBCGR 3.2.5.3.3.
    pub const TARGET: DomainParameters = DomainParameters {
        max_channel_ids: 34,
        max_user_ids: 2,
        max_token_ids: 0,
        num_priorities: 1,
        min_throughput: 0,
        max_height: 1,
        max_mcs_pdu_size: 65535,
        protocol_version: 2,
    };
    /// minimumParameters of MS-RDPBCGR 3.2.5.3.3.
    pub const MINIMUM: DomainParameters = DomainParameters {
        max_channel_ids: 1,
        max_user_ids: 1,
        max_token_ids: 1,
        num_priorities: 1,
        min_throughput: 0,
        max_height: 1,
        max_mcs_pdu_size: 1056,
        protocol_version: 2,
    };
    /// maximumParameters as mstsc sends them (4.1.3).
    pub const MAXIMUM: DomainParameters = DomainParameters {
        max_channel_ids: 65535,
        max_user_ids: 64535,
        max_token_ids: 65535,
        num_priorities: 1,
        min_throughput: 0,
        max_height: 1,
        max_mcs_pdu_size: 65535,
        protocol_version: 2,
    };

    fn fields(&self) -> [u32; 8] {
        [
            self.max_channel_ids,
            self.max_user_ids,
            self.max_token_ids,
            self.num_priorities,
            self.min_throughput,
            self.max_height,
            self.max_mcs_pdu_size,
            self.protocol_version,
        ]
    }

    /// BER SEQUENCE of eight INTEGERs.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(32);
        for v in self.fields() {
            ber_write_integer(&mut body, v);
        }
        ber_write_tlv(out, &[TAG_SEQUENCE], &body);
    }

    /// Decodes the SEQUENCE; the bytes after it are returned.
    pub fn decode(i: &[u8]) -> Result<(&[u8], DomainParameters), DecodeError> {
        let (i, body) = ber_tlv(i, &[TAG_SEQUENCE], DP_PDU, "SEQUENCE")?;
        let (b, max_channel_ids) = ber_integer(body, DP_PDU, "maxChannelIds")?;
        let (b, max_user_ids) = ber_integer(b, DP_PDU, "maxUserIds")?;
        let (b, max_token_ids) = ber_integer(b, DP_PDU, "maxTokenIds")?;
        let (b, num_priorities) = ber_integer(b, DP_PDU, "numPriorities")?;
        let (b, min_throughput) = ber_integer(b, DP_PDU, "minThroughput")?;
        let (b, max_height) = ber_integer(b, DP_PDU, "maxHeight")?;
        let (b, max_mcs_pdu_size) = ber_integer(b, DP_PDU, "maxMCSPDUsize")?;
        let (b, protocol_version) = ber_integer(b, DP_PDU, "protocolVersion")?;
        if !b.is_empty() {
            return Err(DecodeError::trailing(DP_PDU, "SEQUENCE", b.len()));
        }
        let p = DomainParameters {
            max_channel_ids,
            max_user_ids,
            max_token_ids,
            num_priorities,
            min_throughput,
            max_height,
            max_mcs_pdu_size,
            protocol_version,
        };
        Ok((i, p))
    }
}

/// Connect-Initial (T.125 7 part 2; MS-RDPBCGR 2.2.1.3). `user_data` carries the GCC
/// Conference Create Request ([`crate::wire::gcc`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInitial {
    /// callingDomainSelector (`01`).
    pub calling_domain_selector: Vec<u8>,
    /// calledDomainSelector (`01`).
    pub called_domain_selector: Vec<u8>,
    /// upwardFlag (TRUE).
    pub upward_flag: bool,
    /// targetParameters.
    pub target: DomainParameters,
    /// minimumParameters.
    pub minimum: DomainParameters,
    /// maximumParameters.
    pub maximum: DomainParameters,
    /// userData: the GCC Conference Create Request.
    pub user_data: Vec<u8>,
}

impl ConnectInitial {
    /// A Connect-Initial with the values of MS-RDPBCGR 3.2.5.3.3 around `user_data`.
    pub fn new(user_data: Vec<u8>) -> Self {
        ConnectInitial {
            calling_domain_selector: vec![1],
            called_domain_selector: vec![1],
            upward_flag: true,
            target: DomainParameters::TARGET,
            minimum: DomainParameters::MINIMUM,
            maximum: DomainParameters::MAXIMUM,
            user_data,
        }
    }

    /// Encodes the BER PDU (the payload of an X.224 Data TPDU).
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        if self.user_data.len() > MAX_BER_LEN {
            return Err(DecodeError::length(CI_PDU, "userData", self.user_data.len(), MAX_BER_LEN));
        }
        let mut body = Vec::with_capacity(self.user_data.len() + 128);
        ber_write_tlv(&mut body, &[TAG_OCTET_STRING], &self.calling_domain_selector);
        ber_write_tlv(&mut body, &[TAG_OCTET_STRING], &self.called_domain_selector);
        ber_write_tlv(&mut body, &[TAG_BOOLEAN], &[if self.upward_flag { 0xff } else { 0 }]);
        self.target.encode(&mut body);
        self.minimum.encode(&mut body);
        self.maximum.encode(&mut body);
        ber_write_tlv(&mut body, &[TAG_OCTET_STRING], &self.user_data);
        let mut out = Vec::with_capacity(body.len() + 6);
        ber_write_tlv(&mut out, &TAG_CONNECT_INITIAL, &body);
        Ok(out)
    }

    /// Decodes a Connect-Initial (tests, fuzzing, hostile-server harnesses).
    pub fn decode(data: &[u8]) -> Result<ConnectInitial, DecodeError> {
        let (rest, body) = ber_tlv(data, &TAG_CONNECT_INITIAL, CI_PDU, "tag")?;
        if !rest.is_empty() {
            return Err(DecodeError::trailing(CI_PDU, "length", rest.len()));
        }
        let (b, calling) = ber_tlv(body, &[TAG_OCTET_STRING], CI_PDU, "callingDomainSelector")?;
        let (b, called) = ber_tlv(b, &[TAG_OCTET_STRING], CI_PDU, "calledDomainSelector")?;
        let (b, upward) = ber_tlv(b, &[TAG_BOOLEAN], CI_PDU, "upwardFlag")?;
        let (b, target) = DomainParameters::decode(b)?;
        let (b, minimum) = DomainParameters::decode(b)?;
        let (b, maximum) = DomainParameters::decode(b)?;
        let (b, user_data) = ber_tlv(b, &[TAG_OCTET_STRING], CI_PDU, "userData")?;
        if !b.is_empty() {
            return Err(DecodeError::trailing(CI_PDU, "userData", b.len()));
        }
        Ok(ConnectInitial {
            calling_domain_selector: calling.to_vec(),
            called_domain_selector: called.to_vec(),
            upward_flag: upward.iter().any(|&x| x != 0),
            target,
            minimum,
            maximum,
            user_data: user_data.to_vec(),
        })
    }
}

/// T.125 Result values (section 7 part 1), lower-snake-case names; unknown as `unknown_N`.
pub fn result_name(r: u32) -> String {
    const NAMES: [&str; 16] = [
        "rt_successful",
        "rt_domain_merging",
        "rt_domain_not_hierarchical",
        "rt_no_such_channel",
        "rt_no_such_domain",
        "rt_no_such_user",
        "rt_not_admitted",
        "rt_other_user_id",
        "rt_parameters_unacceptable",
        "rt_token_not_available",
        "rt_token_not_possessed",
        "rt_too_many_channels",
        "rt_too_many_tokens",
        "rt_too_many_users",
        "rt_unspecified_failure",
        "rt_user_rejected",
    ];
    usize::try_from(r).ok().and_then(|i| NAMES.get(i)).map(|s| (*s).to_string()).unwrap_or(format!("unknown_{r}"))
}

/// T.125 Reason values of Disconnect-Provider-Ultimatum.
pub fn reason_name(r: u8) -> String {
    match r {
        0 => "rn_domain_disconnected".into(),
        1 => "rn_provider_initiated".into(),
        2 => "rn_token_purged".into(),
        3 => "rn_user_requested".into(),
        4 => "rn_channel_purged".into(),
        r => format!("unknown_{r}"),
    }
}

/// Connect-Response (T.125 7 part 2; MS-RDPBCGR 2.2.1.4). A failing server may send the
/// result alone (3.3.5.3.3.1): the later fields are then `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectResponse {
    /// result (0 = rt-successful).
    pub result: u32,
    /// calledConnectId.
    pub called_connect_id: Option<u32>,
    /// domainParameters (the server's merge of ours).
    pub domain_parameters: Option<DomainParameters>,
    /// userData: the GCC Conference Create Response.
    pub user_data: Option<Vec<u8>>,
}

impl ConnectResponse {
    /// Decodes the BER PDU.
    pub fn decode(data: &[u8]) -> Result<ConnectResponse, DecodeError> {
        let (rest, body) = ber_tlv(data, &TAG_CONNECT_RESPONSE, CR_PDU, "tag")?;
        if !rest.is_empty() {
            return Err(DecodeError::trailing(CR_PDU, "length", rest.len()));
        }
        let (b, result) = ber_uint(body, TAG_ENUMERATED, CR_PDU, "result")?;
        if b.is_empty() {
            return Ok(ConnectResponse { result, called_connect_id: None, domain_parameters: None, user_data: None });
        }
        let (b, called_connect_id) = ber_integer(b, CR_PDU, "calledConnectId")?;
        let (b, domain_parameters) = DomainParameters::decode(b)?;
        let (b, user_data) = ber_tlv(b, &[TAG_OCTET_STRING], CR_PDU, "userData")?;
        if !b.is_empty() {
            return Err(DecodeError::trailing(CR_PDU, "userData", b.len()));
        }
        Ok(ConnectResponse {
            result,
            called_connect_id: Some(called_connect_id),
            domain_parameters: Some(domain_parameters),
            user_data: Some(user_data.to_vec()),
        })
    }

    /// Encodes the BER PDU (tests and hostile test servers).
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut body = Vec::new();
        let mut e = Vec::new();
        ber_write_integer(&mut e, self.result);
        // same content octets as INTEGER, tag ENUMERATED
        if let Some(first) = e.first_mut() {
            *first = TAG_ENUMERATED;
        }
        body.extend_from_slice(&e);
        if let (Some(id), Some(dp), Some(ud)) = (self.called_connect_id, self.domain_parameters, &self.user_data) {
            if ud.len() > MAX_BER_LEN {
                return Err(DecodeError::length(CR_PDU, "userData", ud.len(), MAX_BER_LEN));
            }
            ber_write_integer(&mut body, id);
            dp.encode(&mut body);
            ber_write_tlv(&mut body, &[TAG_OCTET_STRING], ud);
        }
        let mut out = Vec::new();
        ber_write_tlv(&mut out, &TAG_CONNECT_RESPONSE, &body);
        Ok(out)
    }
}

/// What a server sent in answer to our Connect-Initial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMcsPdu {
    /// Connect-Response.
    ConnectResponse(ConnectResponse),
    /// Disconnect-Provider-Ultimatum (PER, 2.2.2.3): xrdp sends `21 80` (rn-user-requested).
    DisconnectProviderUltimatum {
        /// reason.
        reason: u8,
    },
}

impl ServerMcsPdu {
    /// Decodes the MCS PDU carried in an X.224 Data TPDU.
    pub fn decode(data: &[u8]) -> Result<ServerMcsPdu, DecodeError> {
        match data.first() {
            Some(0x7f) => Ok(ServerMcsPdu::ConnectResponse(ConnectResponse::decode(data)?)),
            Some(&b) if b >> 2 == 8 => {
                // DomainMCSPDU CHOICE index 8 in the top 6 bits, then the 3-bit reason across
                // the two low bits of this octet and the top bit of the next (4.2.3).
                let (i, b0) = nom_u8(data).ctx(DPU_PDU, "choice")?;
                let (_, b1) = nom_u8(i).ctx(DPU_PDU, "reason")?;
                Ok(ServerMcsPdu::DisconnectProviderUltimatum { reason: ((b0 & 0x03) << 1) | (b1 >> 7) })
            }
            Some(&b) => Err(DecodeError::invalid("MCS", "PDU type", b.into())),
            None => Err(DecodeError::truncated("MCS", "PDU type")),
        }
    }
}

// ---- BER primitives -------------------------------------------------------------------------

/// Reads a BER length: short form, or `0x81 LL` / `0x82 LL LL`; checked against the bytes
/// left and [`MAX_BER_LEN`].
pub(crate) fn ber_len<'a>(
    i: &'a [u8],
    pdu: &'static str,
    field: &'static str,
) -> Result<(&'a [u8], usize), DecodeError> {
    let (i, b) = nom_u8(i).ctx(pdu, field)?;
    let (i, len) = match b {
        0..=0x7f => (i, usize::from(b)),
        0x81 => {
            let (i, l) = nom_u8(i).ctx(pdu, field)?;
            (i, usize::from(l))
        }
        0x82 => {
            let (i, l) = nom::number::complete::be_u16(i).ctx(pdu, field)?;
            (i, usize::from(l))
        }
        // 0x80 (indefinite) and longer forms: not used by T.125 over TPKT.
        other => return Err(DecodeError::invalid(pdu, field, other.into())),
    };
    if len > MAX_BER_LEN || len > i.len() {
        return Err(DecodeError::length(pdu, field, len, i.len().min(MAX_BER_LEN)));
    }
    Ok((i, len))
}

/// Reads `tag`, a length and that many content bytes.
pub(crate) fn ber_tlv<'a>(
    i: &'a [u8],
    tag: &[u8],
    pdu: &'static str,
    field: &'static str,
) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    let mut i = i;
    for &t in tag {
        let (rest, b) = nom_u8(i).ctx(pdu, field)?;
        if b != t {
            return Err(DecodeError::invalid(pdu, field, b.into()));
        }
        i = rest;
    }
    let (i, len) = ber_len(i, pdu, field)?;
    take_len(i, len, MAX_BER_LEN, pdu, field)
}

/// An unsigned value with the given tag (INTEGER / ENUMERATED): 1..=4 value octets, or 5 with
/// a leading zero.
fn ber_uint<'a>(i: &'a [u8], tag: u8, pdu: &'static str, field: &'static str) -> Result<(&'a [u8], u32), DecodeError> {
    let (i, content) = ber_tlv(i, &[tag], pdu, field)?;
    if content.is_empty() || content.len() > MAX_INTEGER_LEN {
        return Err(DecodeError::length(pdu, field, content.len(), 4));
    }
    let mut v: u64 = 0;
    for &b in content {
        v = (v << 8) | u64::from(b);
    }
    let v = u32::try_from(v).map_err(|_| DecodeError::invalid(pdu, field, v))?;
    Ok((i, v))
}

fn ber_integer<'a>(i: &'a [u8], pdu: &'static str, field: &'static str) -> Result<(&'a [u8], u32), DecodeError> {
    ber_uint(i, TAG_INTEGER, pdu, field)
}

fn ber_write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.push(0x82);
        out.extend_from_slice(&(len.min(0xffff) as u16).to_be_bytes());
    }
}

fn ber_write_tlv(out: &mut Vec<u8>, tag: &[u8], content: &[u8]) {
    out.extend_from_slice(tag);
    ber_write_len(out, content.len());
    out.extend_from_slice(content);
}

/// Minimal two's-complement INTEGER of a non-negative value.
fn ber_write_integer(out: &mut Vec<u8>, v: u32) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take(3).take_while(|&&b| b == 0).count();
    let mut content: Vec<u8> = bytes.get(skip..).unwrap_or_default().to_vec();
    if content.first().is_some_and(|&b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    ber_write_tlv(out, &[TAG_INTEGER], &content);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::DecodeErrorKind;

    /// MS-RDPBCGR 4.1.4: the MCS part of the Server MCS Connect Response (userData elided to
    /// its first bytes by the length check below, see the full vector in gcc tests).
    const SPEC_CR_PREFIX: &[u8] = &[
        0x7f, 0x66, 0x82, 0x01, 0x46, // Connect-Response, length 326
        0x0a, 0x01, 0x00, // result = rt-successful
        0x02, 0x01, 0x00, // calledConnectId = 0
        0x30, 0x1a, // domainParameters, 26 bytes
        0x02, 0x01, 0x22, // maxChannelIds = 34
        0x02, 0x01, 0x03, // maxUserIds = 3
        0x02, 0x01, 0x00, // maxTokenIds = 0
        0x02, 0x01, 0x01, // numPriorities = 1
        0x02, 0x01, 0x00, // minThroughput = 0
        0x02, 0x01, 0x01, // maxHeight = 1
        0x02, 0x03, 0x00, 0xff, 0xf8, // maxMCSPDUsize = 65528
        0x02, 0x01, 0x02, // protocolVersion = 2
        0x04, 0x82, 0x01, 0x20, // userData, 288 bytes
    ];

    /// MS-RDPBCGR 4.1.3: the MCS part of the Client MCS Connect Initial (userData follows).
    const SPEC_CI_PREFIX: &[u8] = &[
        0x7f, 0x65, 0x82, 0x01, 0x99, // Connect-Initial, length 409
        0x04, 0x01, 0x01, // callingDomainSelector = 01
        0x04, 0x01, 0x01, // calledDomainSelector = 01
        0x01, 0x01, 0xff, // upwardFlag = TRUE
        0x30, 0x1a, // targetParameters
        0x02, 0x01, 0x22, 0x02, 0x01, 0x02, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01,
        0x02, 0x03, 0x00, 0xff, 0xff, 0x02, 0x01, 0x02, //
        0x30, 0x19, // minimumParameters
        0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01,
        0x02, 0x02, 0x04, 0x20, 0x02, 0x01, 0x02, //
        0x30, 0x20, // maximumParameters
        0x02, 0x03, 0x00, 0xff, 0xff, 0x02, 0x03, 0x00, 0xfc, 0x17, 0x02, 0x03, 0x00, 0xff, 0xff, 0x02, 0x01, 0x01,
        0x02, 0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x03, 0x00, 0xff, 0xff, 0x02, 0x01, 0x02, //
        0x04, 0x82, 0x01, 0x33, // userData, 307 bytes
    ];

    #[test]
    fn spec_connect_initial_prefix_matches_encoder() {
        let ud = vec![0xAB; 0x133];
        let enc = ConnectInitial::new(ud.clone()).encode().unwrap();
        assert_eq!(&enc[..SPEC_CI_PREFIX.len()], SPEC_CI_PREFIX);
        assert_eq!(&enc[SPEC_CI_PREFIX.len()..], &ud[..]);
        let back = ConnectInitial::decode(&enc).unwrap();
        assert_eq!(back, ConnectInitial::new(ud));
    }

    #[test]
    fn spec_connect_response_decodes() {
        let mut v = SPEC_CR_PREFIX.to_vec();
        v.extend_from_slice(&[0x5a; 0x120]);
        let cr = ConnectResponse::decode(&v).unwrap();
        assert_eq!(cr.result, 0);
        assert_eq!(cr.called_connect_id, Some(0));
        let dp = cr.domain_parameters.unwrap();
        assert_eq!((dp.max_channel_ids, dp.max_user_ids, dp.max_mcs_pdu_size), (34, 3, 65528));
        assert_eq!(cr.user_data.as_ref().unwrap().len(), 0x120);
        // the encoder reproduces the spec bytes (its shortest-form lengths are the spec's)
        assert_eq!(cr.encode().unwrap(), v);
    }

    #[test]
    fn result_only_response() {
        let cr = ConnectResponse::decode(&[0x7f, 0x66, 0x03, 0x0a, 0x01, 0x0e]).unwrap();
        assert_eq!(cr.result, 14);
        assert_eq!(result_name(cr.result), "rt_unspecified_failure");
        assert_eq!(cr.user_data, None);
    }

    #[test]
    fn disconnect_provider_ultimatum() {
        assert_eq!(
            ServerMcsPdu::decode(&[0x21, 0x80]).unwrap(),
            ServerMcsPdu::DisconnectProviderUltimatum { reason: 3 }
        );
        assert_eq!(reason_name(3), "rn_user_requested");
        assert!(ServerMcsPdu::decode(&[0x21]).is_err());
        assert!(ServerMcsPdu::decode(&[]).is_err());
    }

    #[test]
    fn lying_lengths_are_errors() {
        let mut v = SPEC_CR_PREFIX.to_vec();
        v.extend_from_slice(&[0x5a; 0x120]);
        // outer length one too many
        let mut bad = v.clone();
        bad[4] = 0x47;
        assert!(matches!(ConnectResponse::decode(&bad).unwrap_err().kind, DecodeErrorKind::LengthOutOfRange { .. }));
        // truncated anywhere
        for n in 0..v.len() {
            assert!(ConnectResponse::decode(&v[..n]).is_err(), "prefix {n}");
        }
        // indefinite length
        assert_eq!(
            ConnectResponse::decode(&[0x7f, 0x66, 0x80, 0x0a, 0x01, 0x00]).unwrap_err().kind,
            DecodeErrorKind::InvalidValue(0x80)
        );
        // 0x84 long form
        assert!(ConnectResponse::decode(&[0x7f, 0x66, 0x84, 0, 0, 0, 3, 0x0a, 0x01, 0x00]).is_err());
        // INTEGER of 6 octets
        let dp = [0x30, 0x08, 0x02, 0x06, 1, 2, 3, 4, 5, 6];
        assert!(matches!(DomainParameters::decode(&dp).unwrap_err().kind, DecodeErrorKind::LengthOutOfRange { .. }));
        // userData length claims more than present
        let mut bad = SPEC_CR_PREFIX.to_vec();
        bad.extend_from_slice(&[0; 10]);
        bad[3] = 0x00;
        bad[4] = 0x2f;
        assert!(ConnectResponse::decode(&bad).is_err());
    }

    #[test]
    fn integers_round_trip() {
        for v in [0u32, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fff_ffff, 0xffff_ffff] {
            let mut out = Vec::new();
            ber_write_integer(&mut out, v);
            assert_eq!(ber_integer(&out, "t", "t").unwrap(), (&[][..], v), "{v:#x} {out:02x?}");
        }
    }
}
