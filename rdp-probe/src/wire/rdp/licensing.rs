//! Licensing PDUs (MS-RDPBCGR 2.2.1.12, MS-RDPELE 2.2.2): the preamble, the server's
//! LICENSE_REQUEST, PLATFORM_CHALLENGE, NEW_LICENSE / UPGRADE_LICENSE and ERROR_ALERT, and the
//! client's NEW_LICENSE_REQUEST and PLATFORM_CHALLENGE_RESPONSE with what the latter encrypts
//! (PLATFORM_CHALLENGE_RESPONSE_DATA, CLIENT_HARDWARE_ID). The keys and MAC live in
//! [`super::licensing_crypto`].
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
/// The PlatformId a client sends (MS-RDPELE 2.2.2.2): CLIENT_OS_ID_WINNT_POST_52 in the high
/// byte, CLIENT_IMAGE_ID_MICROSOFT in the next, as mstsc and FreeRDP send it.
pub const PLATFORM_ID: u32 = 0x0401_0000;
/// wVersion of PLATFORM_CHALLENGE_RESPONSE_DATA (2.2.2.5.1).
pub const PLATFORM_CHALLENGE_RESPONSE_VERSION: u16 = 0x0100;
/// wClientType OTHER_PLATFORMCHALLENGE_TYPE (2.2.2.5.1): what a client that is not Windows
/// sends (FreeRDP does too). WIN32 is 0x0100, WIN16 0x0200, WINCE 0x0300.
pub const OTHER_PLATFORMCHALLENGE_TYPE: u16 = 0xff00;
/// wLicenseDetailLevel LICENSE_DETAIL_DETAIL (2.2.2.5.1): what RDP 5.0 and later clients send.
pub const LICENSE_DETAIL_DETAIL: u16 = 0x0003;
/// Length of CLIENT_HARDWARE_ID (2.2.2.3.1).
pub const CLIENT_HARDWARE_ID_LEN: usize = 20;

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
    /// PLATFORM_CHALLENGE_RESPONSE (the client's; decoded for tests).
    PlatformChallengeResponse(PlatformChallengeResponse),
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
            MessageType::PlatformChallengeResponse => {
                LicensingPdu::PlatformChallengeResponse(PlatformChallengeResponse::decode_body(i)?)
            }
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

/// PLATFORM_CHALLENGE_RESPONSE_DATA (MS-RDPELE 2.2.2.5.1): the decrypted server challenge and
/// what the client can do with licenses. Sent encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformChallengeResponseData {
    /// wVersion ([`PLATFORM_CHALLENGE_RESPONSE_VERSION`]).
    pub version: u16,
    /// wClientType ([`OTHER_PLATFORMCHALLENGE_TYPE`], WIN32 0x0100, ...).
    pub client_type: u16,
    /// wLicenseDetailLevel ([`LICENSE_DETAIL_DETAIL`]).
    pub license_detail_level: u16,
    /// pbChallenge: the server's platform challenge, decrypted.
    pub challenge: Vec<u8>,
}

impl PlatformChallengeResponseData {
    /// The response a client sends for `challenge` (the decrypted server challenge).
    pub fn for_challenge(challenge: &[u8]) -> Self {
        PlatformChallengeResponseData {
            version: PLATFORM_CHALLENGE_RESPONSE_VERSION,
            client_type: OTHER_PLATFORMCHALLENGE_TYPE,
            license_detail_level: LICENSE_DETAIL_DETAIL,
            challenge: challenge.to_vec(),
        }
    }

    /// The clear bytes (cbChallenge is capped at 65,535 bytes of challenge).
    pub fn encode(&self) -> Vec<u8> {
        let challenge = self.challenge.get(..self.challenge.len().min(usize::from(u16::MAX))).unwrap_or_default();
        let mut out = Vec::with_capacity(8 + challenge.len());
        for v in [self.version, self.client_type, self.license_detail_level, challenge.len() as u16] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(challenge);
        out
    }

    /// Decodes the clear bytes; cbChallenge must cover exactly the rest.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        const R: &str = "PLATFORM_CHALLENGE_RESPONSE_DATA";
        let (i, version) = le_u16(data).ctx(R, "wVersion")?;
        let (i, client_type) = le_u16(i).ctx(R, "wClientType")?;
        let (i, license_detail_level) = le_u16(i).ctx(R, "wLicenseDetailLevel")?;
        let (i, n) = le_u16(i).ctx(R, "cbChallenge")?;
        let (i, challenge) = take_len(i, n.into(), usize::from(u16::MAX), R, "pbChallenge")?;
        super::expect_end(i, R, "pbChallenge")?;
        Ok(PlatformChallengeResponseData { version, client_type, license_detail_level, challenge: challenge.to_vec() })
    }
}

/// CLIENT_HARDWARE_ID (MS-RDPELE 2.2.2.3.1): a platform id and 16 bytes that identify the
/// client device to the license server (Per Device CALs are issued to it). Sent encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHardwareId {
    /// PlatformId.
    pub platform_id: u32,
    /// Data1 to Data4.
    pub data: [u32; 4],
}

impl ClientHardwareId {
    /// A hardware id derived from `seed` alone (MD5 of it as Data1..Data4): the same seed gives
    /// the same id, so a license server sees one device however often it is probed.
    pub fn from_seed(platform_id: u32, seed: &[u8]) -> Self {
        let h = super::crypto::md5(&[seed]);
        let mut data = [0u32; 4];
        for (d, c) in data.iter_mut().zip(h.chunks_exact(4)) {
            let mut b = [0u8; 4];
            b.copy_from_slice(c);
            *d = u32::from_le_bytes(b);
        }
        ClientHardwareId { platform_id, data }
    }

    /// The 20 clear bytes.
    pub fn encode(&self) -> [u8; CLIENT_HARDWARE_ID_LEN] {
        let mut out = [0u8; CLIENT_HARDWARE_ID_LEN];
        for (chunk, v) in out.chunks_exact_mut(4).zip(std::iter::once(self.platform_id).chain(self.data)) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Decodes exactly 20 bytes.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        const R: &str = "CLIENT_HARDWARE_ID";
        let (i, platform_id) = le_u32(data).ctx(R, "PlatformId")?;
        let mut out = ClientHardwareId { platform_id, data: [0; 4] };
        let mut i = i;
        for (d, field) in out.data.iter_mut().zip(["Data1", "Data2", "Data3", "Data4"]) {
            let (j, v) = le_u32(i).ctx(R, field)?;
            *d = v;
            i = j;
        }
        super::expect_end(i, R, "Data4")?;
        Ok(out)
    }
}

/// CLIENT_PLATFORM_CHALLENGE_RESPONSE (MS-RDPELE 2.2.2.5): the response data and the hardware
/// id, each RC4-encrypted on its own with the licensing encryption key, and the MAC of both in
/// clear (response data first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformChallengeResponse {
    /// EncryptedPlatformChallengeResponse (BB_ENCRYPTED_DATA_BLOB).
    pub encrypted_response: BinaryBlob,
    /// EncryptedHWID (BB_ENCRYPTED_DATA_BLOB).
    pub encrypted_hwid: BinaryBlob,
    /// MACData (16 bytes).
    pub mac_data: Vec<u8>,
}

impl PlatformChallengeResponse {
    /// Encrypts and signs `response` and `hwid` with `keys` (5.1.3, 5.1.5).
    pub fn seal(
        keys: &super::licensing_crypto::LicensingKeys,
        response: &PlatformChallengeResponseData,
        hwid: &ClientHardwareId,
    ) -> Self {
        let clear_response = response.encode();
        let clear_hwid = hwid.encode();
        let mac = keys.mac(&[clear_response.as_slice(), clear_hwid.as_slice()].concat());
        PlatformChallengeResponse {
            encrypted_response: BinaryBlob { blob_type: blob::ENCRYPTED_DATA, data: keys.rc4(&clear_response) },
            encrypted_hwid: BinaryBlob { blob_type: blob::ENCRYPTED_DATA, data: keys.rc4(&clear_hwid) },
            mac_data: mac.to_vec(),
        }
    }

    /// Decrypts both fields with `keys` and checks the MAC (what a server does, 3.2.5.5): the
    /// response data, the hardware id, and whether the MAC matched.
    pub fn open(
        &self,
        keys: &super::licensing_crypto::LicensingKeys,
    ) -> Result<(PlatformChallengeResponseData, ClientHardwareId, bool), DecodeError> {
        let clear_response = keys.rc4(&self.encrypted_response.data);
        let clear_hwid = keys.rc4(&self.encrypted_hwid.data);
        let ok = keys.mac(&[clear_response.as_slice(), clear_hwid.as_slice()].concat()).as_slice() == self.mac_data;
        Ok((PlatformChallengeResponseData::decode(&clear_response)?, ClientHardwareId::decode(&clear_hwid)?, ok))
    }

    /// Encodes preamble (`flags`) and message. A MAC that is not 16 bytes is cut or padded
    /// with zeros.
    pub fn encode(&self, flags: u8) -> Vec<u8> {
        let mut body = Vec::new();
        self.encrypted_response.encode(&mut body);
        self.encrypted_hwid.encode(&mut body);
        let mut mac = [0u8; 16];
        for (m, b) in mac.iter_mut().zip(&self.mac_data) {
            *m = *b;
        }
        body.extend_from_slice(&mac);
        with_preamble(MessageType::PlatformChallengeResponse.value(), flags, &body)
    }

    fn decode_body(i: &[u8]) -> Result<Self, DecodeError> {
        const R: &str = "CLIENT_PLATFORM_CHALLENGE_RESPONSE";
        // blob types kept as sent: Windows clients send BB_DATA_BLOB here
        let (i, encrypted_response) = BinaryBlob::decode(i, "EncryptedPlatformChallengeResponse")?;
        let (i, encrypted_hwid) = BinaryBlob::decode(i, "EncryptedHWID")?;
        let (i, mac) = take_len(i, 16, 16, R, "MACData")?;
        super::expect_end(i, R, "MACData")?;
        Ok(PlatformChallengeResponse { encrypted_response, encrypted_hwid, mac_data: mac.to_vec() })
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

#[cfg(test)]
mod challenge_tests {
    use super::*;
    use crate::wire::rdp::licensing_crypto::tests::{FreeRdpVector, TEST_CHALLENGE};
    use crate::wire::rdp::licensing_crypto::LicensingKeys;

    /// A Server Platform Challenge of the MS-RDPELE annotated trace as FreeRDP's licensing unit
    /// test of 2011 carries it (cunit/test_license.c, `server_platform_challenge`; IronRDP's
    /// server_platform_challenge/test.rs has the same challenge bytes): ConnectFlags
    /// 0xffffffff and a blob type of 0xf750, both kept as sent; 10 encrypted bytes; the MAC.
    const TRACE_PLATFORM_CHALLENGE: [u8; 38] = [
        0x02, 0x03, 0x26, 0x00, 0xff, 0xff, 0xff, 0xff, 0x50, 0xf7, 0x0a, 0x00, 0x46, 0x37, 0x85, 0x54, 0x8e, 0xc5,
        0x91, 0x34, 0x97, 0x5d, 0x78, 0x94, 0xad, 0x3b, 0x81, 0xda, 0x88, 0x18, 0x56, 0x0f, 0x3a, 0xd1, 0xf1, 0x03,
        0xef, 0x35,
    ];

    /// The Client Platform Challenge Response of the same trace (cunit/test_license.c,
    /// `client_platform_challenge_response`; IronRDP's client_platform_challenge_response/
    /// test.rs has it too): a Windows client sends BB_DATA_BLOB (1) for both encrypted blobs.
    const TRACE_PLATFORM_CHALLENGE_RESPONSE: [u8; 66] = [
        0x15, 0x83, 0x42, 0x00, 0x01, 0x00, 0x12, 0x00, 0xfa, 0xb4, 0xe8, 0x24, 0xcf, 0x56, 0xb2, 0x4e, 0x80, 0x02,
        0xbd, 0xb6, 0x61, 0xfc, 0xdf, 0xe9, 0x6c, 0x44, 0x01, 0x00, 0x14, 0x00, 0xf8, 0xb5, 0xe8, 0x25, 0x3d, 0x0f,
        0x3f, 0x70, 0x1d, 0xda, 0x60, 0x19, 0x16, 0xfe, 0x73, 0x1a, 0x45, 0x7e, 0x02, 0x71, 0x38, 0x23, 0x62, 0x5d,
        0x10, 0x8b, 0x93, 0xc3, 0xf1, 0xe4, 0x67, 0x1f, 0x4a, 0xb6, 0x00, 0x0a,
    ];

    #[test]
    fn trace_platform_challenge_decodes() {
        let l = Licensing::decode(&TRACE_PLATFORM_CHALLENGE).unwrap();
        assert_eq!(l.flags, 0x03);
        let LicensingPdu::PlatformChallenge { connect_flags, encrypted_challenge, mac_data } = l.pdu else { panic!() };
        assert_eq!(connect_flags, 0xffff_ffff);
        assert_eq!(encrypted_challenge.blob_type, 0xf750);
        assert_eq!(encrypted_challenge.data, TRACE_PLATFORM_CHALLENGE[12..22]);
        assert_eq!(mac_data, TRACE_PLATFORM_CHALLENGE[22..]);
    }

    /// The trace's response decodes and re-encodes byte for byte. Its two blobs were encrypted
    /// each from a fresh RC4 key schedule with one key: the XOR of their first bytes is the
    /// XOR of the clear texts, wVersion 0x0100 and wClientType WIN32 (0x0100) against
    /// PlatformId 2, as 5.1.3 and our [`PlatformChallengeResponse::seal`] do it.
    #[test]
    fn trace_platform_challenge_response_round_trip() {
        let l = Licensing::decode(&TRACE_PLATFORM_CHALLENGE_RESPONSE).unwrap();
        assert_eq!(l.flags, PREAMBLE_VERSION_3_0 | EXTENDED_ERROR_MSG_SUPPORTED);
        let LicensingPdu::PlatformChallengeResponse(r) = &l.pdu else { panic!("{l:?}") };
        assert_eq!((r.encrypted_response.blob_type, r.encrypted_response.data.len()), (blob::DATA, 18));
        assert_eq!((r.encrypted_hwid.blob_type, r.encrypted_hwid.data.len()), (blob::DATA, 20));
        assert_eq!(r.mac_data, TRACE_PLATFORM_CHALLENGE_RESPONSE[50..]);
        assert_eq!(r.encode(l.flags), TRACE_PLATFORM_CHALLENGE_RESPONSE);
        let xor: Vec<u8> =
            r.encrypted_response.data.iter().zip(&r.encrypted_hwid.data).take(4).map(|(a, b)| a ^ b).collect();
        let clear_response_head = [0x00, 0x01, 0x00, 0x01];
        let clear_hwid_head = 2u32.to_le_bytes();
        let want: Vec<u8> = clear_response_head.iter().zip(clear_hwid_head).map(|(a, b)| a ^ b).collect();
        assert_eq!(xor, want);
        // 18 bytes of response data: 8 of header and a 10-byte challenge, as the server's
        for cut in 0..TRACE_PLATFORM_CHALLENGE_RESPONSE.len() {
            let mut c = TRACE_PLATFORM_CHALLENGE_RESPONSE[..cut].to_vec();
            if c.len() >= 4 {
                let n = c.len() as u16;
                c[2..4].copy_from_slice(&n.to_le_bytes());
            }
            assert!(Licensing::decode(&c).is_err(), "cut {cut}");
        }
        // a blob length beyond the message
        let mut c = TRACE_PLATFORM_CHALLENGE_RESPONSE;
        c[6] = 0x40;
        assert!(Licensing::decode(&c).is_err());
    }

    /// Our response under the FreeRDP vector's keys: the challenge decrypts to "TEST\0",
    /// the response carries it back; a server (`open`) reads both fields and the MAC verifies.
    #[test]
    fn seal_and_open_with_the_vector_keys() {
        let keys = LicensingKeys::derive(
            &FreeRdpVector::client_random(),
            &FreeRdpVector::server_random(),
            &FreeRdpVector::premaster(),
        )
        .unwrap();
        let challenge = keys.rc4(&FreeRdpVector::encrypted_challenge());
        assert_eq!(challenge, TEST_CHALLENGE);
        let data = PlatformChallengeResponseData::for_challenge(&challenge);
        assert_eq!(
            data.encode(),
            [0x00, 0x01, 0x00, 0xff, 0x03, 0x00, 0x0a, 0x00, 0x54, 0, 0x45, 0, 0x53, 0, 0x54, 0, 0, 0]
        );
        let hwid = ClientHardwareId::from_seed(PLATFORM_ID, b"seed");
        assert_eq!(hwid, ClientHardwareId::from_seed(PLATFORM_ID, b"seed"), "deterministic");
        assert_ne!(hwid, ClientHardwareId::from_seed(PLATFORM_ID, b"other"));
        assert_eq!(hwid.encode()[..4], [0x00, 0x00, 0x01, 0x04]);
        let r = PlatformChallengeResponse::seal(&keys, &data, &hwid);
        assert_eq!(r.encrypted_response.blob_type, blob::ENCRYPTED_DATA);
        // each field from a fresh key schedule: the first 10 bytes of the challenge's keystream
        let ks: Vec<u8> = FreeRdpVector::encrypted_challenge().iter().zip(TEST_CHALLENGE).map(|(c, p)| c ^ p).collect();
        let head: Vec<u8> = r.encrypted_hwid.data.iter().zip(&ks).map(|(c, k)| c ^ k).collect();
        assert_eq!(head, hwid.encode()[..10]);
        let enc = r.encode(0x83);
        assert_eq!(enc.len(), 4 + 4 + 18 + 4 + 20 + 16);
        let LicensingPdu::PlatformChallengeResponse(back) = Licensing::decode(&enc).unwrap().pdu else { panic!() };
        assert_eq!(back, r);
        let (d, h, ok) = back.open(&keys).unwrap();
        assert_eq!((d, h, ok), (data, hwid, true));
        // another key: the MAC does not verify (and the clear text is garbage)
        let other = LicensingKeys::derive(&[1; 32], &[2; 32], &[3; 48]).unwrap();
        assert!(!matches!(back.open(&other), Ok((_, _, true))));
    }

    #[test]
    fn response_data_and_hwid_are_strict_on_lengths() {
        let d = PlatformChallengeResponseData::for_challenge(&[7; 5]).encode();
        assert_eq!(PlatformChallengeResponseData::decode(&d).unwrap().challenge, [7; 5]);
        for cut in 0..d.len() {
            assert!(PlatformChallengeResponseData::decode(&d[..cut]).is_err(), "cut {cut}");
        }
        let mut long = d.clone();
        long.push(0);
        assert!(PlatformChallengeResponseData::decode(&long).is_err(), "trailing byte");
        let mut lying = d;
        lying[6] = 0xff;
        assert!(PlatformChallengeResponseData::decode(&lying).is_err());
        let h = ClientHardwareId { platform_id: 2, data: [1, 2, 3, 4] };
        let e = h.encode();
        assert_eq!(ClientHardwareId::decode(&e).unwrap(), h);
        assert!(ClientHardwareId::decode(&e[..19]).is_err());
        assert!(ClientHardwareId::decode(&[e.as_slice(), &[0]].concat()).is_err());
    }
}
