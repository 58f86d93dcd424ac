//! Licensing PDUs (MS-RDPBCGR 2.2.1.12, MS-RDPELE 2.2.2): the preamble, the server's
//! LICENSE_REQUEST, PLATFORM_CHALLENGE, NEW_LICENSE / UPGRADE_LICENSE and ERROR_ALERT, and the
//! client's NEW_LICENSE_REQUEST. The licensing key derivation of MS-RDPELE 5.1.3 (needed only to
//! answer a PLATFORM_CHALLENGE) is not implemented.
//!
//! Decoding is lenient on content (unknown message types and codes are kept) and strict on
//! lengths: wMsgSize and every blob length are checked against the bytes present.

use super::code_enum;
use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::{le_u16, le_u32, u8 as nom_u8};

const P: &str = "LICENSE_PREAMBLE";
/// Most scopes in a scope list we keep.
pub const MAX_SCOPES: usize = 256;

code_enum! {
    /// bMsgType (2.2.1.12.1.1).
    MessageType(u8) {
        /// LICENSE_REQUEST.
        LicenseRequest = 0x01, "license_request";
        /// PLATFORM_CHALLENGE.
        PlatformChallenge = 0x02, "platform_challenge";
        /// NEW_LICENSE.
        NewLicense = 0x03, "new_license";
        /// UPGRADE_LICENSE.
        UpgradeLicense = 0x04, "upgrade_license";
        /// LICENSE_INFO.
        LicenseInfo = 0x12, "license_info";
        /// NEW_LICENSE_REQUEST.
        NewLicenseRequest = 0x13, "new_license_request";
        /// PLATFORM_CHALLENGE_RESPONSE.
        PlatformChallengeResponse = 0x15, "platform_challenge_response";
        /// ERROR_ALERT.
        ErrorAlert = 0xff, "error_alert";
    }
}

code_enum! {
    /// dwErrorCode of LICENSE_ERROR_MESSAGE (2.2.1.12.1.3).
    LicenseErrorCode(u32) {
        /// ERR_INVALID_SERVER_CERTIFICATE.
        InvalidServerCertificate = 0x01, "invalid_server_certificate";
        /// ERR_NO_LICENSE.
        NoLicense = 0x02, "no_license";
        /// ERR_INVALID_MAC.
        InvalidMac = 0x03, "invalid_mac";
        /// ERR_INVALID_SCOPE.
        InvalidScope = 0x04, "invalid_scope";
        /// ERR_NO_LICENSE_SERVER.
        NoLicenseServer = 0x06, "no_license_server";
        /// STATUS_VALID_CLIENT: licensing is done, the client may go on.
        ValidClient = 0x07, "valid_client";
        /// ERR_INVALID_CLIENT.
        InvalidClient = 0x08, "invalid_client";
        /// ERR_INVALID_PRODUCTID.
        InvalidProductId = 0x0b, "invalid_productid";
        /// ERR_INVALID_MESSAGE_LEN.
        InvalidMessageLen = 0x0c, "invalid_message_len";
    }
}

code_enum! {
    /// dwStateTransition of LICENSE_ERROR_MESSAGE (2.2.1.12.1.3).
    StateTransition(u32) {
        /// ST_TOTAL_ABORT.
        TotalAbort = 0x01, "total_abort";
        /// ST_NO_TRANSITION.
        NoTransition = 0x02, "no_transition";
        /// ST_RESET_PHASE_TO_START.
        ResetPhaseToStart = 0x03, "reset_phase_to_start";
        /// ST_RESEND_LAST_MESSAGE.
        ResendLastMessage = 0x04, "resend_last_message";
    }
}

/// Blob types (2.2.1.12.1.2) used here.
pub mod blob {
    /// BB_DATA_BLOB.
    pub const DATA: u16 = 0x0001;
    /// BB_RANDOM_BLOB (the encrypted premaster secret).
    pub const RANDOM: u16 = 0x0002;
    /// BB_CERTIFICATE_BLOB.
    pub const CERTIFICATE: u16 = 0x0003;
    /// BB_ERROR_BLOB.
    pub const ERROR: u16 = 0x0004;
    /// BB_ENCRYPTED_DATA_BLOB.
    pub const ENCRYPTED_DATA: u16 = 0x0009;
    /// BB_KEY_EXCHG_ALG_BLOB.
    pub const KEY_EXCHG_ALG: u16 = 0x000d;
    /// BB_SCOPE_BLOB.
    pub const SCOPE: u16 = 0x000e;
    /// BB_CLIENT_USER_NAME_BLOB.
    pub const CLIENT_USER_NAME: u16 = 0x000f;
    /// BB_CLIENT_MACHINE_NAME_BLOB.
    pub const CLIENT_MACHINE_NAME: u16 = 0x0010;
}

/// PREAMBLE_VERSION_3_0 (RDP 5.0 and later).
pub const PREAMBLE_VERSION_3_0: u8 = 0x03;
/// EXTENDED_ERROR_MSG_SUPPORTED in the preamble flags.
pub const EXTENDED_ERROR_MSG_SUPPORTED: u8 = 0x80;
/// KEY_EXCHANGE_ALG_RSA.
pub const KEY_EXCHANGE_ALG_RSA: u32 = 0x01;

/// LICENSE_BINARY_BLOB (2.2.1.12.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryBlob {
    /// wBlobType (servers send odd values when the length is 0; kept).
    pub blob_type: u16,
    /// blobData.
    pub data: Vec<u8>,
}

impl BinaryBlob {
    fn decode<'a>(i: &'a [u8], field: &'static str) -> Result<(&'a [u8], BinaryBlob), DecodeError> {
        let (i, blob_type) = le_u16(i).ctx(P, field)?;
        let (i, len) = le_u16(i).ctx(P, field)?;
        let (i, data) = take_len(i, len.into(), usize::from(u16::MAX), P, field)?;
        Ok((i, BinaryBlob { blob_type, data: data.to_vec() }))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let data = self.data.get(..self.data.len().min(usize::from(u16::MAX))).unwrap_or_default();
        out.extend_from_slice(&self.blob_type.to_le_bytes());
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
    }
}

/// SERVER_LICENSE_REQUEST (MS-RDPELE 2.2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseRequest {
    /// ServerRandom (32 bytes).
    pub server_random: Vec<u8>,
    /// ProductInfo.dwVersion.
    pub product_version: u32,
    /// ProductInfo.pbCompanyName.
    pub company_name: String,
    /// ProductInfo.pbProductId.
    pub product_id: String,
    /// KeyExchangeList.
    pub key_exchange_list: BinaryBlob,
    /// ServerCertificate (empty when the server certificate of the GCC block applies).
    pub server_certificate: BinaryBlob,
    /// ScopeList: each scope's issuer name.
    pub scopes: Vec<String>,
}

/// LICENSE_ERROR_MESSAGE (2.2.1.12.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseErrorMessage {
    /// dwErrorCode.
    pub error_code: LicenseErrorCode,
    /// dwStateTransition.
    pub state_transition: StateTransition,
    /// bbErrorInfo.
    pub error_info: BinaryBlob,
}

/// A licensing PDU (after the security header with SEC_LICENSE_PKT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicensingPdu {
    /// LICENSE_REQUEST.
    LicenseRequest(LicenseRequest),
    /// PLATFORM_CHALLENGE (MS-RDPELE 2.2.2.4).
    PlatformChallenge {
        /// ConnectFlags.
        connect_flags: u32,
        /// EncryptedPlatformChallenge.
        encrypted_challenge: BinaryBlob,
        /// MACData (16 bytes).
        mac_data: Vec<u8>,
    },
    /// NEW_LICENSE or UPGRADE_LICENSE (MS-RDPELE 2.2.2.6-7).
    NewLicense {
        /// True for UPGRADE_LICENSE.
        upgrade: bool,
        /// EncryptedLicenseInfo.
        encrypted_license_info: BinaryBlob,
        /// MACData (16 bytes).
        mac_data: Vec<u8>,
    },
    /// ERROR_ALERT.
    ErrorAlert(LicenseErrorMessage),
    /// NEW_LICENSE_REQUEST (the client's; decoded for tests).
    NewLicenseRequest(NewLicenseRequest),
    /// Any other message, raw.
    Other {
        /// bMsgType.
        msg_type: MessageType,
        /// The message body.
        body: Vec<u8>,
    },
}

/// A licensing PDU with its preamble (2.2.1.12.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licensing {
    /// flags (version in the low 4 bits, EXTENDED_ERROR_MSG_SUPPORTED).
    pub flags: u8,
    /// The message.
    pub pdu: LicensingPdu,
}

impl Licensing {
    /// Decodes preamble and message; wMsgSize must equal the bytes given.
    pub fn decode(data: &[u8]) -> Result<Licensing, DecodeError> {
        let (i, msg_type) = nom_u8(data).ctx(P, "bMsgType")?;
        let (i, flags) = nom_u8(i).ctx(P, "flags")?;
        let (i, size) = le_u16(i).ctx(P, "wMsgSize")?;
        let size = usize::from(size);
        if size != data.len() {
            return Err(DecodeError::length(P, "wMsgSize", size, data.len()));
        }
        let msg_type = MessageType::from_value(msg_type);
        let pdu = match msg_type {
            MessageType::LicenseRequest => LicensingPdu::LicenseRequest(decode_license_request(i)?),
            MessageType::PlatformChallenge => {
                let (j, connect_flags) = le_u32(i).ctx(P, "ConnectFlags")?;
                let (j, encrypted_challenge) = BinaryBlob::decode(j, "EncryptedPlatformChallenge")?;
                let (j, mac) = take_len(j, 16, 16, P, "MACData")?;
                super::expect_end(j, P, "MACData")?;
                LicensingPdu::PlatformChallenge { connect_flags, encrypted_challenge, mac_data: mac.to_vec() }
            }
            MessageType::NewLicense | MessageType::UpgradeLicense => {
                let (j, encrypted_license_info) = BinaryBlob::decode(i, "EncryptedLicenseInfo")?;
                let (j, mac) = take_len(j, 16, 16, P, "MACData")?;
                super::expect_end(j, P, "MACData")?;
                LicensingPdu::NewLicense {
                    upgrade: msg_type == MessageType::UpgradeLicense,
                    encrypted_license_info,
                    mac_data: mac.to_vec(),
                }
            }
            MessageType::ErrorAlert => {
                let (j, code) = le_u32(i).ctx(P, "dwErrorCode")?;
                let (j, st) = le_u32(j).ctx(P, "dwStateTransition")?;
                let (j, error_info) = BinaryBlob::decode(j, "bbErrorInfo")?;
                super::expect_end(j, P, "bbErrorInfo")?;
                LicensingPdu::ErrorAlert(LicenseErrorMessage {
                    error_code: LicenseErrorCode::from_value(code),
                    state_transition: StateTransition::from_value(st),
                    error_info,
                })
            }
            MessageType::NewLicenseRequest => LicensingPdu::NewLicenseRequest(NewLicenseRequest::decode_body(i)?),
            other => LicensingPdu::Other { msg_type: other, body: i.to_vec() },
        };
        Ok(Licensing { flags, pdu })
    }

    /// The `licensing` value of the report: `valid_client`, or the error name.
    pub fn outcome_name(&self) -> Option<String> {
        match &self.pdu {
            LicensingPdu::ErrorAlert(e) => Some(e.error_code.name()),
            _ => None,
        }
    }

    /// Encodes an ERROR_ALERT (hostile and test servers; a client also sends one to give up).
    pub fn encode_error_alert(flags: u8, e: &LicenseErrorMessage) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&e.error_code.value().to_le_bytes());
        body.extend_from_slice(&e.state_transition.value().to_le_bytes());
        e.error_info.encode(&mut body);
        with_preamble(MessageType::ErrorAlert.value(), flags, &body)
    }
}

fn with_preamble(msg_type: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.push(msg_type);
    out.push(flags);
    out.extend_from_slice(&((body.len() + 4).min(usize::from(u16::MAX)) as u16).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn decode_license_request(i: &[u8]) -> Result<LicenseRequest, DecodeError> {
    const R: &str = "SERVER_LICENSE_REQUEST";
    let (i, server_random) = take_len(i, 32, 32, R, "ServerRandom")?;
    let (i, product_version) = le_u32(i).ctx(R, "dwVersion")?;
    let (i, n) = le_u32(i).ctx(R, "cbCompanyName")?;
    let (i, company) = take_len(i, usize::try_from(n).unwrap_or(usize::MAX), i.len(), R, "pbCompanyName")?;
    let (i, n) = le_u32(i).ctx(R, "cbProductId")?;
    let (i, product) = take_len(i, usize::try_from(n).unwrap_or(usize::MAX), i.len(), R, "pbProductId")?;
    let (i, key_exchange_list) = BinaryBlob::decode(i, "KeyExchangeList")?;
    let (i, server_certificate) = BinaryBlob::decode(i, "ServerCertificate")?;
    let (i, count) = le_u32(i).ctx(R, "ScopeCount")?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > MAX_SCOPES || count.saturating_mul(4) > i.len() {
        return Err(DecodeError::length(R, "ScopeCount", count, MAX_SCOPES.min(i.len() / 4)));
    }
    let mut scopes = Vec::with_capacity(count);
    let mut i = i;
    for _ in 0..count {
        let (j, b) = BinaryBlob::decode(i, "Scope")?;
        let end = b.data.iter().position(|&c| c == 0).unwrap_or(b.data.len());
        scopes.push(String::from_utf8_lossy(b.data.get(..end).unwrap_or_default()).into_owned());
        i = j;
    }
    // lenient: bytes after the scope list are ignored (some servers pad)
    Ok(LicenseRequest {
        server_random: server_random.to_vec(),
        product_version,
        company_name: super::utf16le_until_nul(company),
        product_id: super::utf16le_until_nul(product),
        key_exchange_list,
        server_certificate,
        scopes,
    })
}

/// CLIENT_NEW_LICENSE_REQUEST (MS-RDPELE 2.2.2.2): what a client without a license answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLicenseRequest {
    /// PreferredKeyExchangeAlg (KEY_EXCHANGE_ALG_RSA).
    pub key_exchange_alg: u32,
    /// PlatformId (OS id in the high byte, ISV id in the next).
    pub platform_id: u32,
    /// ClientRandom (32 bytes).
    pub client_random: Vec<u8>,
    /// EncryptedPreMasterSecret (BB_RANDOM_BLOB): the 48-byte premaster secret encrypted with
    /// the server's license key ([`super::crypto::rsa_encrypt_le`]).
    pub encrypted_premaster: Vec<u8>,
    /// ClientUserName.
    pub user_name: String,
    /// ClientMachineName.
    pub machine_name: String,
}

impl NewLicenseRequest {
    /// Encodes preamble (`flags`, e.g. `PREAMBLE_VERSION_3_0 | EXTENDED_ERROR_MSG_SUPPORTED`)
    /// and message. Names are ANSI with a terminating null, as clients send them.
    pub fn encode(&self, flags: u8) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&self.key_exchange_alg.to_le_bytes());
        body.extend_from_slice(&self.platform_id.to_le_bytes());
        body.extend_from_slice(&self.client_random);
        BinaryBlob { blob_type: blob::RANDOM, data: self.encrypted_premaster.clone() }.encode(&mut body);
        for (t, s) in [(blob::CLIENT_USER_NAME, &self.user_name), (blob::CLIENT_MACHINE_NAME, &self.machine_name)] {
            let mut d = s.as_bytes().to_vec();
            d.push(0);
            BinaryBlob { blob_type: t, data: d }.encode(&mut body);
        }
        with_preamble(MessageType::NewLicenseRequest.value(), flags, &body)
    }

    fn decode_body(i: &[u8]) -> Result<NewLicenseRequest, DecodeError> {
        const R: &str = "CLIENT_NEW_LICENSE_REQUEST";
        let (i, key_exchange_alg) = le_u32(i).ctx(R, "PreferredKeyExchangeAlg")?;
        let (i, platform_id) = le_u32(i).ctx(R, "PlatformId")?;
        let (i, client_random) = take_len(i, 32, 32, R, "ClientRandom")?;
        let (i, pm) = BinaryBlob::decode(i, "EncryptedPreMasterSecret")?;
        let (i, user) = BinaryBlob::decode(i, "ClientUserName")?;
        let (i, machine) = BinaryBlob::decode(i, "ClientMachineName")?;
        super::expect_end(i, R, "ClientMachineName")?;
        let text = |d: &[u8]| {
            let end = d.iter().position(|&c| c == 0).unwrap_or(d.len());
            String::from_utf8_lossy(d.get(..end).unwrap_or_default()).into_owned()
        };
        Ok(NewLicenseRequest {
            key_exchange_alg,
            platform_id,
            client_random: client_random.to_vec(),
            encrypted_premaster: pm.data,
            user_name: text(&user.data),
            machine_name: text(&machine.data),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn error_alert_round_trip_and_names() {
        let e = LicenseErrorMessage {
            error_code: LicenseErrorCode::NoLicenseServer,
            state_transition: StateTransition::TotalAbort,
            error_info: BinaryBlob { blob_type: blob::ERROR, data: vec![] },
        };
        let enc = Licensing::encode_error_alert(0x83, &e);
        assert_eq!(enc, [0xff, 0x83, 0x10, 0x00, 6, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0]);
        let l = Licensing::decode(&enc).unwrap();
        assert_eq!(l.pdu, LicensingPdu::ErrorAlert(e));
        assert_eq!(l.outcome_name().as_deref(), Some("no_license_server"));
        assert_eq!(LicenseErrorCode::from_value(7).name(), "valid_client");
        assert_eq!(LicenseErrorCode::from_value(0x99).name(), "unknown_0x99");
        assert_eq!(StateTransition::from_value(3).name(), "reset_phase_to_start");
        for n in 0..enc.len() {
            assert!(Licensing::decode(&enc[..n]).is_err());
        }
    }

    /// MS-RDPBCGR 4.1.12, Server License Error PDU - Valid Client: the whole frame as the
    /// spec's annotated trace shows it (TPKT, X.224 Data, MCS Send Data Indication from 1002
    /// on 1003, a basic security header with SEC_LICENSE_PKT and a flagsHi of 0xbcf1 to ignore,
    /// then ERROR_ALERT: PREAMBLE_VERSION_3_0, wMsgSize 16, STATUS_VALID_CLIENT,
    /// ST_NO_TRANSITION, an empty BB_ERROR_BLOB).
    pub(crate) const SPEC_4_1_12: [u8; 34] = [
        0x03, 0x00, 0x00, 0x22, 0x02, 0xf0, 0x80, 0x68, 0x00, 0x01, 0x03, 0xeb, 0x70, 0x14, 0x80, 0x00, 0xf1, 0xbc,
        0xff, 0x03, 0x10, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
    ];

    /// The licensing message of [`SPEC_4_1_12`] (after the 4-byte security header).
    fn spec_licensing() -> &'static [u8] {
        &SPEC_4_1_12[18..]
    }

    #[test]
    fn spec_4_1_12_valid_client() {
        use crate::wire::rdp::mcs_domain::DomainPdu;
        use crate::wire::rdp::security::{HeaderKind, SecurityFlags, SecurityHeader};
        let DomainPdu::SendDataIndication(sd) =
            DomainPdu::decode(crate::wire::x224::decode_data(&SPEC_4_1_12).unwrap()).unwrap()
        else {
            panic!()
        };
        assert_eq!((sd.initiator, sd.channel_id), (1002, 1003));
        let (rest, h) = SecurityHeader::decode(sd.user_data, HeaderKind::Basic).unwrap();
        assert!(h.unwrap().flags.contains(SecurityFlags::LICENSE_PKT));
        assert_eq!(rest, spec_licensing());
        let l = Licensing::decode(rest).unwrap();
        assert_eq!(l.flags & 0x0f, PREAMBLE_VERSION_3_0);
        let want = LicenseErrorMessage {
            error_code: LicenseErrorCode::ValidClient,
            state_transition: StateTransition::NoTransition,
            error_info: BinaryBlob { blob_type: blob::ERROR, data: vec![] },
        };
        assert_eq!(l.pdu, LicensingPdu::ErrorAlert(want.clone()));
        assert_eq!(l.outcome_name().as_deref(), Some("valid_client"));
        // our encoder gives the spec's bytes back
        assert_eq!(Licensing::encode_error_alert(0x03, &want), spec_licensing());
    }

    /// The spec trace with every error code of 2.2.1.12.1.3 and every state transition of
    /// MS-RDPELE 3.1.5.2 in its place: each decodes to its name; unknown values are kept.
    #[test]
    fn spec_4_1_12_every_code_and_transition() {
        let codes = [
            (0x01, "invalid_server_certificate"),
            (0x02, "no_license"),
            (0x03, "invalid_mac"),
            (0x04, "invalid_scope"),
            (0x06, "no_license_server"),
            (0x07, "valid_client"),
            (0x08, "invalid_client"),
            (0x0b, "invalid_productid"),
            (0x0c, "invalid_message_len"),
            (0x05, "unknown_0x5"),
        ];
        let transitions = [
            (1, "total_abort"),
            (2, "no_transition"),
            (3, "reset_phase_to_start"),
            (4, "resend_last_message"),
            (9, "unknown_0x9"),
        ];
        for (code, name) in codes {
            for (st, st_name) in transitions {
                let mut m = spec_licensing().to_vec();
                m[4..8].copy_from_slice(&u32::to_le_bytes(code));
                m[8..12].copy_from_slice(&u32::to_le_bytes(st));
                let l = Licensing::decode(&m).unwrap();
                let LicensingPdu::ErrorAlert(e) = &l.pdu else { panic!() };
                assert_eq!((e.error_code.name(), e.state_transition.name()), (name.to_string(), st_name.to_string()));
                assert_eq!(Licensing::encode_error_alert(l.flags, e), m, "{name} {st_name}");
            }
        }
        // With EXTENDED_ERROR_MSG_SUPPORTED the server may fill bbErrorInfo (2.2.1.12.1.3):
        // kept whole, and its length is checked.
        let mut m = spec_licensing().to_vec();
        m[1] = 0x83;
        m[14..16].copy_from_slice(&3u16.to_le_bytes());
        m.extend_from_slice(b"abc");
        m[2..4].copy_from_slice(&19u16.to_le_bytes());
        let LicensingPdu::ErrorAlert(e) = Licensing::decode(&m).unwrap().pdu else { panic!() };
        assert_eq!(e.error_info.data, b"abc");
        m.pop();
        assert!(Licensing::decode(&m).is_err());
    }

    /// SERVER_PLATFORM_CHALLENGE (MS-RDPELE 2.2.2.4): ConnectFlags, the encrypted challenge
    /// (BB_ENCRYPTED_DATA_BLOB) and a 16-byte MAC; strict on the blob and MAC lengths.
    #[test]
    fn platform_challenge() {
        let mut m = vec![0x02, 0x83, 0, 0];
        m.extend_from_slice(&0u32.to_le_bytes());
        m.extend_from_slice(&[0x09, 0x00, 0x0a, 0x00]);
        m.extend_from_slice(&[0x5a; 10]);
        m.extend_from_slice(&[0xa5; 16]);
        let n = m.len() as u16;
        m[2..4].copy_from_slice(&n.to_le_bytes());
        let l = Licensing::decode(&m).unwrap();
        let LicensingPdu::PlatformChallenge { connect_flags, encrypted_challenge, mac_data } = l.pdu else { panic!() };
        assert_eq!(connect_flags, 0);
        assert_eq!((encrypted_challenge.blob_type, encrypted_challenge.data.len()), (blob::ENCRYPTED_DATA, 10));
        assert_eq!(mac_data, [0xa5; 16]);
        for cut in 0..m.len() {
            let mut c = m[..cut].to_vec();
            if c.len() >= 4 {
                let n = c.len() as u16;
                c[2..4].copy_from_slice(&n.to_le_bytes());
            }
            assert!(Licensing::decode(&c).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn lying_sizes() {
        // wMsgSize larger than the data; blob length larger than the message
        assert!(Licensing::decode(&[0xff, 3, 0x20, 0, 7, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0]).is_err());
        assert!(Licensing::decode(&[0xff, 3, 0x10, 0, 7, 0, 0, 0, 2, 0, 0, 0, 4, 0, 9, 0]).is_err());
        // a scope count far beyond the bytes present
        let mut lr = vec![1, 3, 0, 0];
        lr.extend_from_slice(&[0; 32]);
        lr.extend_from_slice(&[0; 4 + 4 + 4]);
        lr.extend_from_slice(&[0x0d, 0, 0, 0, 3, 0, 0, 0]);
        lr.extend_from_slice(&u32::MAX.to_le_bytes());
        let n = lr.len() as u16;
        lr[2..4].copy_from_slice(&n.to_le_bytes());
        assert!(Licensing::decode(&lr).is_err());
    }
}
