//! The connection sequence after the MCS Connect Response as one machine (MS-RDPBCGR 1.3.1.1
//! phases 3-10): Erect Domain and Attach User, the Channel Joins, the Security Exchange and
//! Client Info, licensing, the capability exchange, finalization, then graphics output until
//! the screen settles or the session deadline passes.
//!
//! Time and randomness come from the caller: [`Session::set_clock`] before each input (the
//! driver's milliseconds since the session's connect), the client and licensing randoms in
//! [`Config`]. A replay without a clock sees time 0 throughout: a silence then ends the
//! graphics phase as if the screen had settled.

use super::screen::Screen;
use super::security::{Layer, Unwrap};
use crate::report::session::{LicensingAnswer, SessionPhase, StopReason};
use crate::report::Phase;
use crate::steps::io::{NetError, NetErrorKind};
use crate::steps::machine::{Action, Framing, Input, Machine, Read};
use crate::wire::codec::DecodeError;
use crate::wire::rdp::activation::{ConfirmActive, DemandActive};
use crate::wire::rdp::capabilities::minimal_client_sets;
use crate::wire::rdp::client_info::ClientInfo;
use crate::wire::rdp::crypto::{self, Method};
use crate::wire::rdp::errinfo::ErrorInfo;
use crate::wire::rdp::licensing::{
    self, ClientHardwareId, LicenseErrorCode, Licensing, LicensingPdu, NewLicenseRequest, PlatformChallengeResponse,
    PlatformChallengeResponseData, StateTransition,
};
use crate::wire::rdp::licensing_crypto::LicensingKeys;
use crate::wire::rdp::mcs_domain::{self, DomainPdu, SendData};
use crate::wire::rdp::output::{frame_len, FastPathUpdate, FastPathUpdateCode, Fragmentation, FrameKind};
use crate::wire::rdp::security::{SecurityExchange, SecurityFlags};
use crate::wire::rdp::share::{self, DataPdu, PduType2, ShareControl, ShareControlPdu};
use crate::wire::x224;
use std::collections::VecDeque;

/// Preamble flags of our licensing messages: PREAMBLE_VERSION_3_0, EXTENDED_ERROR_MSG_SUPPORTED.
const LICENSING_FLAGS: u8 = licensing::PREAMBLE_VERSION_3_0 | licensing::EXTENDED_ERROR_MSG_SUPPORTED;
/// Most times we resend a licensing message the server asks again for (ST_RESEND_LAST_MESSAGE).
const MAX_LICENSE_RESENDS: u32 = 2;
/// Most reactivations (Deactivate All, then a new Demand Active) we follow.
const MAX_ACTIVATIONS: u32 = 3;
/// The largest fast-path update we reassemble from fragments (our Multifragment Update
/// capability never offers more).
pub(crate) const MAX_REASSEMBLY: usize = 0x0080_0000;
/// Quiet time that settles a fully painted screen (ms).
const FULL_SETTLE_MS: f64 = 200.0;
/// Most frames one session reads by default (an endless stream of tiny updates ends here).
pub(crate) const MAX_FRAMES: u32 = 20_000;

/// Standard RDP Security with encryption: what the Security Exchange needs (2.2.1.10, 5.3.4).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Standard {
    /// The negotiated method.
    pub method: Method,
    /// SC_SECURITY serverRandom (32 bytes).
    pub server_random: Vec<u8>,
    /// The server's RSA key: modulus little-endian, public exponent.
    pub modulus_le: Vec<u8>,
    /// The public exponent.
    pub exponent: u32,
}

impl std::fmt::Debug for Standard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Standard").field("method", &self.method).finish_non_exhaustive()
    }
}

/// Everything the machine needs besides the server's bytes.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Standard RDP Security with encryption; `None` under TLS/CredSSP or at level None.
    pub standard: Option<Standard>,
    /// SC_NET MCSChannelId (the I/O channel, 1003 everywhere).
    pub io_channel: u16,
    /// SC_MCS_MSGCHANNEL, when offered.
    pub message_channel: Option<u16>,
    /// SC_NET channelIdArray (our CS_NET static channels).
    pub static_channels: Vec<u16>,
    /// The Client Info PDU to send.
    pub client_info: ClientInfo,
    /// The client random of the Security Exchange.
    pub client_random: [u8; 32],
    /// The ClientRandom of the New License Request (MS-RDPELE 2.2.2.2). It goes out in clear,
    /// so it is not the Security Exchange's, which keys Standard RDP Security.
    pub license_client_random: [u8; 32],
    /// The premaster secret of the New License Request (MS-RDPELE 2.2.2.2).
    pub license_premaster: [u8; 48],
    /// The user and machine name of the New License Request.
    pub license_names: (String, String),
    /// Quiet time after the last update that means "settled" (ms).
    pub settle_ms: f64,
    /// Clock value (ms) after which graphics collection ends.
    pub deadline_ms: f64,
    /// Most frames read ([`MAX_FRAMES`]).
    pub max_frames: u32,
}

/// What the session saw.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The last phase completed.
    pub reached: Option<SessionPhase>,
    /// Where and why it ended early.
    pub stopped: Option<(SessionPhase, StopReason, String)>,
    /// The user channel Attach User assigned.
    pub user_channel: Option<u16>,
    /// Channels joined, in order.
    pub channels_joined: Vec<u16>,
    /// The licensing answer and, for an Error Alert, its state transition.
    pub licensing: Option<(LicensingAnswer, Option<StateTransition>)>,
    /// A non-zero Set Error Info.
    pub error_info: Option<ErrorInfo>,
    /// The (first) Demand Active.
    pub demand_active: Option<DemandActive>,
    /// Clock at the first graphics update.
    pub first_frame_ms: Option<f64>,
    /// Graphics updates seen (slow and fast path).
    pub updates: u32,
    /// The screen, when the caller gave one.
    pub screen: Option<Box<dyn Screen>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    AttachUser,
    Join { current: u16 },
    Licensing,
    Capabilities,
    Finalization,
    Graphics,
    Done,
}

/// The machine.
pub(crate) struct Session {
    cfg: Config,
    layer: Layer,
    state: State,
    out: Outcome,
    joins: VecDeque<u16>,
    user: u16,
    share_id: u32,
    activations: u32,
    now: f64,
    last_update: Option<f64>,
    frames: u32,
    fragment: Option<(FastPathUpdateCode, Vec<u8>)>,
    /// The last licensing message sent (plain), for ST_RESEND_LAST_MESSAGE.
    last_license_message: Option<Vec<u8>>,
    license_resends: u32,
    /// The licensing keys (MS-RDPELE 5.1.2) of the last New License Request, when its premaster
    /// secret went out encrypted under a usable server key.
    license_keys: Option<LicensingKeys>,
    /// A Platform Challenge Response was sent.
    challenge_answered: bool,
    screen_factory: Option<super::screen::Factory>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("state", &self.state).field("layer", &self.layer).finish_non_exhaustive()
    }
}

fn stop_reason(e: &NetError) -> StopReason {
    match e.kind {
        NetErrorKind::Closed { .. } => StopReason::Closed,
        NetErrorKind::Reset => StopReason::Reset,
        NetErrorKind::Timeout => StopReason::Timeout,
        NetErrorKind::Decode(_) | NetErrorKind::NotTpkt(_) => StopReason::Decode,
        _ => StopReason::Error,
    }
}

/// One decoded server frame.
enum Server {
    /// An MCS domain PDU other than Send Data.
    Mcs(DomainPdu<'static>),
    /// Send Data Indication on a channel: its user data (still behind the security layer).
    Data { channel: u16, user_data: Vec<u8> },
    /// A fast-path frame.
    FastPath(Vec<u8>),
}

impl Session {
    /// A session with `cfg`; `screen` makes the screen once the desktop size is known
    /// (width, height, bpp) or `None` (no screenshot asked, or a desktop too large).
    pub(crate) fn new(cfg: Config, screen: Option<super::screen::Factory>) -> Session {
        Session {
            cfg,
            layer: Layer::plain(),
            state: State::AttachUser,
            out: Outcome::default(),
            joins: VecDeque::new(),
            user: 0,
            share_id: 0,
            activations: 0,
            now: 0.0,
            last_update: None,
            frames: 0,
            fragment: None,
            last_license_message: None,
            license_resends: 0,
            license_keys: None,
            challenge_answered: false,
            screen_factory: screen,
        }
    }

    /// The caller's clock (ms since the session's connection opened), set before each input.
    pub(crate) fn set_clock(&mut self, now_ms: f64) {
        self.now = now_ms;
    }

    /// How long the next read may wait (ms) before the machine wants to hear of the silence;
    /// `None`: the driver's read timeout.
    pub(crate) fn wait_ms(&self) -> Option<f64> {
        if self.state != State::Graphics {
            return None;
        }
        let to_deadline = (self.cfg.deadline_ms - self.now).max(0.0);
        // Once every pixel was painted, a shorter quiet time settles (the graphics module's
        // SettlePolicy: 200 ms).
        let full = self.out.screen.as_ref().is_some_and(|s| s.fully_painted());
        let settle = if full { self.cfg.settle_ms.min(FULL_SETTLE_MS) } else { self.cfg.settle_ms };
        Some(match self.last_update {
            Some(t) => (t + settle - self.now).clamp(0.0, to_deadline),
            None => to_deadline,
        })
    }

    fn phase(&self) -> SessionPhase {
        match self.state {
            State::AttachUser | State::Join { .. } => SessionPhase::Channels,
            State::Licensing => {
                if self.out.reached == Some(SessionPhase::ClientInfo) {
                    SessionPhase::Licensing
                } else {
                    SessionPhase::ClientInfo
                }
            }
            State::Capabilities => SessionPhase::Capabilities,
            State::Finalization => SessionPhase::Finalization,
            State::Graphics | State::Done => SessionPhase::Graphics,
        }
    }

    fn read() -> Read {
        Read::new(Framing::RdpOutput, Phase::Session)
    }

    fn finish(&mut self) -> Action<Outcome> {
        self.state = State::Done;
        Action::Done(std::mem::take(&mut self.out))
    }

    fn stop(&mut self, reason: StopReason, detail: impl Into<String>) -> Action<Outcome> {
        let phase = self.phase();
        if self.out.stopped.is_none() {
            self.out.stopped = Some((phase, reason, detail.into()));
        }
        self.finish()
    }

    fn decode_error(&mut self, what: &str, e: &DecodeError) -> Action<Outcome> {
        self.stop(StopReason::Decode, format!("{what}: {e}"))
    }

    /// Client PDUs as TPKT frames: each user data goes in an MCS Send Data Request on `channel`.
    fn frames(&self, channel: u16, user_data: &[Vec<u8>]) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        for ud in user_data {
            let sd = SendData::request(self.user, channel, ud).encode_request()?;
            out.extend_from_slice(&x224::encode_data(&sd)?);
        }
        Ok(out)
    }

    fn send(&mut self, bytes: Result<Vec<u8>, DecodeError>) -> Action<Outcome> {
        match bytes {
            Ok(bytes) => Action::Exchange { bytes, write_phase: Phase::Session, read: Self::read() },
            Err(e) => self.stop(StopReason::Error, format!("cannot encode: {e}")),
        }
    }

    fn decode_frame(frame: &[u8]) -> Result<Server, DecodeError> {
        let (kind, _) = frame_len(frame)?;
        if kind == FrameKind::FastPath {
            return Ok(Server::FastPath(frame.to_vec()));
        }
        let pdu = DomainPdu::decode(x224::decode_data(frame)?)?;
        Ok(match pdu {
            DomainPdu::SendDataIndication(sd) => {
                Server::Data { channel: sd.channel_id, user_data: sd.user_data.to_vec() }
            }
            DomainPdu::AttachUserConfirm { result, initiator } => {
                Server::Mcs(DomainPdu::AttachUserConfirm { result, initiator })
            }
            DomainPdu::ChannelJoinConfirm { result, initiator, requested, channel_id } => {
                Server::Mcs(DomainPdu::ChannelJoinConfirm { result, initiator, requested, channel_id })
            }
            DomainPdu::DisconnectProviderUltimatum { reason } => {
                Server::Mcs(DomainPdu::DisconnectProviderUltimatum { reason })
            }
            DomainPdu::ErectDomainRequest { sub_height, sub_interval } => {
                Server::Mcs(DomainPdu::ErectDomainRequest { sub_height, sub_interval })
            }
            DomainPdu::AttachUserRequest => Server::Mcs(DomainPdu::AttachUserRequest),
            DomainPdu::ChannelJoinRequest { initiator, channel_id } => {
                Server::Mcs(DomainPdu::ChannelJoinRequest { initiator, channel_id })
            }
            DomainPdu::SendDataRequest(_) => {
                Server::Mcs(DomainPdu::Other { choice: mcs_domain::choice::SEND_DATA_REQUEST })
            }
            DomainPdu::Other { choice } => Server::Mcs(DomainPdu::Other { choice }),
        })
    }

    // ---- phases ----

    fn next_join(&mut self) -> Action<Outcome> {
        match self.joins.pop_front() {
            Some(ch) => {
                self.state = State::Join { current: ch };
                let b = x224::encode_data(&mcs_domain::encode_channel_join_request(self.user, ch));
                self.send(b)
            }
            None => {
                self.out.reached = Some(SessionPhase::Channels);
                self.security_and_info()
            }
        }
    }

    /// Security Exchange (when encrypting) and Client Info, in one write.
    fn security_and_info(&mut self) -> Action<Outcome> {
        let mut uds = Vec::new();
        if let Some(std) = self.cfg.standard.clone() {
            let enc = match crypto::rsa_encrypt_le(&self.cfg.client_random, &std.modulus_le, std.exponent) {
                Ok(e) => e,
                Err(e) => return self.stop(StopReason::Error, format!("security exchange: {e}")),
            };
            uds.push(SecurityExchange { encrypted_client_random: enc }.encode());
            match Layer::standard(std.method, &self.cfg.client_random, &std.server_random) {
                Ok(l) => self.layer = l,
                Err(e) => return self.stop(StopReason::Error, format!("session keys: {e}")),
            }
        }
        let info = self.cfg.client_info.encode();
        uds.push(self.layer.wrap(SecurityFlags::INFO_PKT, &info));
        self.state = State::Licensing;
        let bytes = self.frames(self.cfg.io_channel, &uds);
        if bytes.is_ok() {
            // Both go out in this write (a failed write comes back as the next input).
            self.out.reached = Some(SessionPhase::ClientInfo);
        }
        self.send(bytes)
    }

    fn on_mcs(&mut self, pdu: DomainPdu<'_>) -> Action<Outcome> {
        match (pdu, self.state.clone()) {
            (DomainPdu::DisconnectProviderUltimatum { reason }, _) => self.stop(
                StopReason::Ultimatum,
                format!("Disconnect Provider Ultimatum ({})", crate::wire::mcs::reason_name(reason)),
            ),
            (DomainPdu::AttachUserConfirm { result, initiator }, State::AttachUser) => match (result, initiator) {
                (0, Some(user)) => {
                    self.user = user;
                    self.out.user_channel = Some(user);
                    self.joins.push_back(user);
                    self.joins.push_back(self.cfg.io_channel);
                    if let Some(m) = self.cfg.message_channel {
                        self.joins.push_back(m);
                    }
                    let statics: Vec<u16> = self.cfg.static_channels.iter().copied().filter(|c| *c != 0).collect();
                    self.joins.extend(statics);
                    self.next_join()
                }
                (r, _) => self.stop(
                    StopReason::McsRefused,
                    format!("Attach User Confirm: {}", crate::wire::mcs::result_name(r.into())),
                ),
            },
            (DomainPdu::ChannelJoinConfirm { result, requested, channel_id, .. }, State::Join { current }) => {
                if requested != current {
                    return self.stop(
                        StopReason::Decode,
                        format!("Channel Join Confirm for channel {requested}, expected {current}"),
                    );
                }
                if result != 0 {
                    return self.stop(
                        StopReason::McsRefused,
                        format!("Channel Join of {current}: {}", crate::wire::mcs::result_name(result.into())),
                    );
                }
                self.out.channels_joined.push(channel_id.unwrap_or(current));
                self.next_join()
            }
            (other, _) => self.stop(StopReason::Decode, format!("unexpected MCS PDU {other:?}")),
        }
    }

    fn on_licensing(&mut self, l: Licensing) -> Action<Outcome> {
        match l.pdu {
            LicensingPdu::LicenseRequest(req) => {
                // A New License Request (MS-RDPELE 2.2.2.2), premaster encrypted with the
                // licensing key (the License Request's certificate, else the SC_SECURITY one,
                // 3.1.5.1); the licensing keys follow from it (5.1.2). Without a usable key the
                // premaster goes out as zeros and no keys exist: a Platform Challenge then
                // cannot be answered.
                let key = licensing_key(&req.server_certificate.data)
                    .or_else(|| self.cfg.standard.as_ref().map(|s| (s.modulus_le.clone(), s.exponent)));
                let encrypted = key.and_then(|(m, e)| crypto::rsa_encrypt_le(&self.cfg.license_premaster, &m, e).ok());
                self.license_keys = encrypted.as_ref().and_then(|_| {
                    LicensingKeys::derive(
                        &self.cfg.license_client_random,
                        &req.server_random,
                        &self.cfg.license_premaster,
                    )
                    .ok()
                });
                let nlr = NewLicenseRequest {
                    key_exchange_alg: licensing::KEY_EXCHANGE_ALG_RSA,
                    platform_id: licensing::PLATFORM_ID,
                    client_random: self.cfg.license_client_random.to_vec(),
                    encrypted_premaster: encrypted.unwrap_or_else(|| vec![0; 72]),
                    user_name: self.cfg.license_names.0.clone(),
                    machine_name: self.cfg.license_names.1.clone(),
                };
                self.send_licensing(nlr.encode(LICENSING_FLAGS))
            }
            LicensingPdu::ErrorAlert(e) => {
                if e.error_code == LicenseErrorCode::ValidClient {
                    self.licensed(LicensingAnswer::ValidClient, Some(e.state_transition))
                } else {
                    self.out.licensing = Some((LicensingAnswer::Error(e.error_code), Some(e.state_transition)));
                    if e.state_transition == StateTransition::TotalAbort {
                        return self.stop(
                            StopReason::LicensingError,
                            format!("licensing error {} ({})", e.error_code.name(), e.state_transition.name()),
                        );
                    }
                    match (e.state_transition, self.last_license_message.clone()) {
                        // ST_RESEND_LAST_MESSAGE (MS-RDPELE 3.1.5.2): the New License Request
                        // again, wrapped anew (the RC4 stream has moved on).
                        (StateTransition::ResendLastMessage, Some(m)) if self.license_resends < MAX_LICENSE_RESENDS => {
                            self.license_resends += 1;
                            let ud = self.layer.wrap(SecurityFlags::LICENSE_PKT, &m);
                            let b = self.frames(self.cfg.io_channel, &[ud]);
                            self.send(b)
                        }
                        // ST_NO_TRANSITION, ST_RESET_PHASE_TO_START (a new License Request
                        // follows, answered as the first): the server decides; it may still go
                        // on to Demand Active, or disconnect.
                        _ => Action::Read(Self::read()),
                    }
                }
            }
            LicensingPdu::NewLicense { upgrade, .. } => {
                self.licensed(if upgrade { LicensingAnswer::UpgradeLicense } else { LicensingAnswer::NewLicense }, None)
            }
            LicensingPdu::PlatformChallenge { encrypted_challenge, mac_data, .. } => {
                self.on_platform_challenge(&encrypted_challenge.data, &mac_data)
            }
            other => self.stop(StopReason::Decode, format!("unexpected licensing PDU {other:?}")),
        }
    }

    /// Wraps and sends a licensing message, kept for ST_RESEND_LAST_MESSAGE.
    fn send_licensing(&mut self, message: Vec<u8>) -> Action<Outcome> {
        let ud = self.layer.wrap(SecurityFlags::LICENSE_PKT, &message);
        self.last_license_message = Some(message);
        let b = self.frames(self.cfg.io_channel, &[ud]);
        self.send(b)
    }

    /// A Server Platform Challenge (MS-RDPELE 2.2.2.4, 3.1.5.1): decrypt the challenge with the
    /// licensing encryption key, check its MAC, and answer with a Client Platform Challenge
    /// Response (2.2.2.5): the challenge and our hardware id, each RC4-encrypted, and the MAC
    /// over both in clear. The server then sends a New License, an Upgrade License or
    /// STATUS_VALID_CLIENT. A challenge we cannot answer ends the session at licensing.
    fn on_platform_challenge(&mut self, encrypted: &[u8], mac: &[u8]) -> Action<Outcome> {
        let Some(keys) = self.license_keys.clone() else {
            return self.challenge_unanswered(
                "the server answered the New License Request with a licensing Platform Challenge (MS-RDPELE 2.2.2.4: Per Device licensing is about to issue a client license), but neither the License Request nor the Server Security Data carried an RSA key the premaster secret could be encrypted with, so no licensing keys exist to answer it; the session ends at licensing",
            );
        };
        let (challenge, mac_ok) = keys.open(encrypted, mac);
        if !mac_ok {
            return self.challenge_unanswered(
                "the server answered the New License Request with a licensing Platform Challenge (MS-RDPELE 2.2.2.4) whose MAC does not verify under the licensing keys derived from our premaster secret (5.1.2, 5.1.5): the server decrypted a different premaster (another key than the certificate's, or a changed message), so the challenge cannot be answered; the session ends at licensing",
            );
        }
        let response = PlatformChallengeResponseData::for_challenge(&challenge);
        let hwid = ClientHardwareId::from_seed(licensing::PLATFORM_ID, &self.hwid_seed());
        let message = PlatformChallengeResponse::seal(&keys, &response, &hwid).encode(LICENSING_FLAGS);
        self.challenge_answered = true;
        self.send_licensing(message)
    }

    /// The seed of our hardware id: the names of the New License Request, so the same probe
    /// configuration is always the same device to a license server.
    fn hwid_seed(&self) -> Vec<u8> {
        let (user, machine) = &self.cfg.license_names;
        [b"rdp-probe client hardware id\0".as_slice(), user.as_bytes(), b"\0", machine.as_bytes()].concat()
    }

    fn challenge_unanswered(&mut self, detail: &str) -> Action<Outcome> {
        self.out.licensing = Some((LicensingAnswer::PlatformChallenge, None));
        self.stop(StopReason::LicensingUnsupported, detail)
    }

    fn licensed(&mut self, a: LicensingAnswer, t: Option<StateTransition>) -> Action<Outcome> {
        self.out.licensing = Some((a, t));
        self.out.reached = Some(SessionPhase::Licensing);
        self.state = State::Capabilities;
        Action::Read(Self::read())
    }

    fn on_demand_active(&mut self, source: u16, da: DemandActive) -> Action<Outcome> {
        self.activations += 1;
        if self.activations > MAX_ACTIVATIONS {
            return self.stop(StopReason::Deactivated, "more than 3 reactivations");
        }
        if self.state == State::Licensing {
            // No licensing PDU came: the server skipped licensing.
            self.out.reached = Some(SessionPhase::Licensing);
        }
        self.share_id = da.share_id;
        let (w, h, bpp) = da.desktop().unwrap_or((1024, 768, 16));
        let bpp = match bpp {
            8 | 15 | 16 | 24 | 32 => bpp,
            _ => 16,
        };
        if self.out.screen.is_none() {
            if let Some(f) = self.screen_factory.as_mut() {
                self.out.screen = f(w, h, bpp);
            }
        }
        if self.out.demand_active.is_none() {
            self.out.demand_active = Some(da);
        }
        self.out.reached = Some(SessionPhase::Capabilities);
        let confirm = ShareControl {
            pdu_source: self.user,
            pdu: ShareControlPdu::ConfirmActive(ConfirmActive::new(self.share_id, minimal_client_sets(w, h, bpp))),
        };
        let mut pdus = vec![confirm];
        // The Synchronize targets the server's channel (its pduSource; 1002 from Windows).
        let server = if source == 0 { 1002 } else { source };
        pdus.extend(share::client_finalization(self.user, self.share_id, server));
        let mut uds = Vec::with_capacity(pdus.len());
        for p in pdus {
            match p.encode() {
                Ok(b) => uds.push(self.layer.wrap(SecurityFlags(0), &b)),
                Err(e) => return self.stop(StopReason::Error, format!("cannot encode: {e}")),
            }
        }
        self.state = State::Finalization;
        let b = self.frames(self.cfg.io_channel, &uds);
        self.send(b)
    }

    fn on_share(&mut self, sc: ShareControl) -> Action<Outcome> {
        match sc.pdu {
            ShareControlPdu::DemandActive(da) => self.on_demand_active(sc.pdu_source, da),
            ShareControlPdu::DeactivateAll { .. } => {
                self.state = State::Capabilities;
                Action::Read(Self::read())
            }
            ShareControlPdu::Data(h, body) => self.on_data(h.pdu_type2, body),
            _ => Action::Read(Self::read()),
        }
    }

    fn on_data(&mut self, ty: PduType2, body: DataPdu) -> Action<Outcome> {
        match body {
            DataPdu::SetErrorInfo(ErrorInfo::None) => Action::Read(Self::read()),
            DataPdu::SetErrorInfo(e) => {
                // The server disconnects right after; record it and wait for the close (a DPU
                // or the close tells the end; the phase stays the one in progress).
                self.out.error_info = Some(e);
                Action::Read(Self::read())
            }
            DataPdu::FontMap { .. } if self.state == State::Finalization => {
                self.out.reached = Some(SessionPhase::Finalization);
                self.state = State::Graphics;
                Action::Read(Self::read())
            }
            DataPdu::Update(u) => {
                let painted = self.out.screen.as_mut().map(|s| s.slow_path(&u));
                self.graphics_update(painted)
            }
            DataPdu::Compressed(_) if ty == PduType2::Update => self.graphics_update(None),
            _ => Action::Read(Self::read()),
        }
    }

    /// One graphics update; `painted`: the pixels it painted on the screen (`None` without a
    /// screen, or for an update the screen cannot decode). Only painting (or any update
    /// without a screen) restarts the settle time.
    fn graphics_update(&mut self, painted: Option<u64>) -> Action<Outcome> {
        self.out.updates = self.out.updates.saturating_add(1);
        self.out.first_frame_ms.get_or_insert(self.now);
        if painted.is_none_or(|p| p > 0) || self.last_update.is_none() {
            self.last_update = Some(self.now);
        }
        if self.state == State::Finalization {
            // Output before the Font Map (FreeRDP): finalization is as good as done.
            self.out.reached = Some(SessionPhase::Finalization);
            self.state = State::Graphics;
        }
        self.graphics_continue()
    }

    /// In the graphics phase: end at the deadline, else read on.
    fn graphics_continue(&mut self) -> Action<Outcome> {
        if self.state == State::Graphics && self.now >= self.cfg.deadline_ms {
            return self.graphics_end();
        }
        Action::Read(Self::read())
    }

    /// The graphics phase is over (settled, deadline): reached graphics when anything came.
    fn graphics_end(&mut self) -> Action<Outcome> {
        if self.out.updates > 0 {
            self.out.reached = Some(SessionPhase::Graphics);
            self.finish()
        } else {
            self.stop(StopReason::Timeout, "no graphics update before the session deadline")
        }
    }

    fn on_fast_path(&mut self, frame: &[u8]) -> Action<Outcome> {
        let data = match self.layer.unwrap_fast_path(frame) {
            Ok(d) => d,
            Err(e) => return self.unwrap_error(e),
        };
        let updates = match FastPathUpdate::decode_all(&data) {
            Ok(u) => u,
            Err(e) => return self.decode_error("fast-path output", &e),
        };
        let mut graphics = false;
        let mut painted: Option<u64> = None;
        for u in updates {
            if u.compression_flags.is_some_and(|c| c & 0x20 != 0) {
                // Bulk-compressed (we never ask for it): counted, not drawn.
                graphics |= matches!(u.code, FastPathUpdateCode::Bitmap | FastPathUpdateCode::Orders);
                continue;
            }
            let whole: Option<(FastPathUpdateCode, Vec<u8>)> = match u.fragmentation {
                Fragmentation::Single => Some((u.code, u.data.to_vec())),
                Fragmentation::First => {
                    self.fragment = Some((u.code, u.data.to_vec()));
                    None
                }
                Fragmentation::Next | Fragmentation::Last => {
                    let Some((code, mut buf)) = self.fragment.take() else { continue };
                    if buf.len() + u.data.len() > MAX_REASSEMBLY {
                        return self
                            .stop(StopReason::Decode, format!("fast-path update larger than {MAX_REASSEMBLY} bytes"));
                    }
                    buf.extend_from_slice(u.data);
                    if u.fragmentation == Fragmentation::Last {
                        Some((code, buf))
                    } else {
                        self.fragment = Some((code, buf));
                        None
                    }
                }
            };
            if let Some((code, body)) = whole {
                if matches!(
                    code,
                    FastPathUpdateCode::Bitmap
                        | FastPathUpdateCode::Palette
                        | FastPathUpdateCode::Orders
                        | FastPathUpdateCode::SurfaceCommands
                ) {
                    graphics = true;
                    if let Some(s) = self.out.screen.as_mut() {
                        *painted.get_or_insert(0) += s.fast_path(code, &body);
                    }
                }
            }
        }
        if graphics {
            self.graphics_update(painted)
        } else {
            self.graphics_continue()
        }
    }

    fn unwrap_error(&mut self, e: Unwrap) -> Action<Outcome> {
        match e {
            Unwrap::Decode(e) => self.decode_error("security header", &e),
            Unwrap::BadMac => self.stop(StopReason::Decode, "a server PDU's MAC does not verify"),
            Unwrap::Unexpected => self.stop(StopReason::Decode, "encrypted server PDU without session keys"),
        }
    }

    fn on_io_data(&mut self, user_data: &[u8]) -> Action<Outcome> {
        // Licensing PDUs carry a header even where nothing else does.
        let licensing_phase = self.state == State::Licensing;
        let (flags, plain) = if licensing_phase {
            match self.layer.unwrap(user_data, true) {
                Ok((f, p)) if f.contains(SecurityFlags::LICENSE_PKT) => (f, p),
                // No licensing header: a Share Control PDU (the server skipped licensing).
                _ => match self.layer.unwrap(user_data, false) {
                    Ok(x) => x,
                    Err(e) => return self.unwrap_error(e),
                },
            }
        } else {
            match self.layer.unwrap(user_data, false) {
                Ok(x) => x,
                Err(e) => return self.unwrap_error(e),
            }
        };
        if flags.contains(SecurityFlags::LICENSE_PKT) {
            return match Licensing::decode(&plain) {
                Ok(l) => self.on_licensing(l),
                Err(e) => self.decode_error("licensing PDU", &e),
            };
        }
        if flags.0 & !(SecurityFlags::ENCRYPT.0 | SecurityFlags::SECURE_CHECKSUM.0 | SecurityFlags::FLAGSHI_VALID.0)
            != 0
        {
            // Redirection, auto-detect, heartbeat, multitransport: nothing we act on.
            return Action::Read(Self::read());
        }
        let mut rest: &[u8] = &plain;
        let mut action = None;
        // Servers may pack several Share Control PDUs in one payload.
        for _ in 0..64 {
            if rest.is_empty() || action.is_some() {
                break;
            }
            match ShareControl::decode(rest) {
                Ok((r, sc)) => {
                    rest = r;
                    match self.on_share(sc) {
                        Action::Read(_) if self.state != State::Done => {}
                        a => action = Some(a),
                    }
                }
                Err(e) => return self.decode_error("share control PDU", &e),
            }
        }
        action.unwrap_or_else(|| {
            if self.state == State::Graphics {
                self.graphics_continue()
            } else {
                Action::Read(Self::read())
            }
        })
    }
}

/// The RSA key of a licensing certificate (proprietary, or the last of an X.509 chain).
fn licensing_key(cert: &[u8]) -> Option<(Vec<u8>, u32)> {
    if cert.is_empty() {
        return None;
    }
    let c = crate::wire::gcc::ServerCertificate::decode(cert).ok()?;
    super::public_key(&c)
}

impl Machine for Session {
    type Output = Outcome;

    fn start(&mut self) -> Action<Outcome> {
        // Erect Domain and Attach User go out together, as every client sends them.
        let mut b = match x224::encode_data(&mcs_domain::encode_erect_domain_request(0, 0)) {
            Ok(b) => b,
            Err(e) => return self.stop(StopReason::Error, format!("cannot encode: {e}")),
        };
        match x224::encode_data(&mcs_domain::encode_attach_user_request()) {
            Ok(a) => b.extend_from_slice(&a),
            Err(e) => return self.stop(StopReason::Error, format!("cannot encode: {e}")),
        }
        self.out.reached = Some(SessionPhase::Mcs);
        self.state = State::AttachUser;
        Action::Exchange { bytes: b, write_phase: Phase::Session, read: Self::read() }
    }

    fn input(&mut self, input: Input<'_>) -> Action<Outcome> {
        if self.state == State::Done {
            return self.finish();
        }
        let frame = match input {
            Input::Frame(f) => f,
            Input::Error(e) => {
                if self.state == State::Graphics && e.kind == NetErrorKind::Timeout {
                    // Silence: the screen settled, or the deadline passed.
                    return self.graphics_end();
                }
                if self.state == State::Graphics && self.out.updates > 0 {
                    self.out.reached = Some(SessionPhase::Graphics);
                }
                let reason = if self.out.error_info.is_some() && !matches!(e.kind, NetErrorKind::Timeout) {
                    StopReason::ErrorInfo
                } else {
                    stop_reason(&e)
                };
                let detail = match self.out.error_info {
                    Some(info) if reason == StopReason::ErrorInfo => {
                        format!("Set Error Info {} ({:#x}), then {}", info.name(), info.value(), e.kind)
                    }
                    _ => e.kind.to_string(),
                };
                let detail = if self.state == State::Licensing && self.challenge_answered {
                    format!("{detail} (after our Platform Challenge Response)")
                } else {
                    detail
                };
                return self.stop(reason, detail);
            }
        };
        self.frames += 1;
        if self.frames > self.cfg.max_frames {
            return self.graphics_end();
        }
        let server = match Self::decode_frame(frame) {
            Ok(s) => s,
            Err(e) => return self.decode_error("server frame", &e),
        };
        match server {
            Server::Mcs(DomainPdu::DisconnectProviderUltimatum { reason }) if self.out.error_info.is_some() => {
                let info = self.out.error_info.unwrap_or(ErrorInfo::None);
                let detail = format!(
                    "Set Error Info {} ({:#x}), then Disconnect Provider Ultimatum ({})",
                    info.name(),
                    info.value(),
                    crate::wire::mcs::reason_name(reason)
                );
                self.stop(StopReason::ErrorInfo, detail)
            }
            Server::Mcs(pdu) => self.on_mcs(pdu),
            Server::FastPath(f) => match self.state {
                State::Finalization | State::Graphics => self.on_fast_path(&f),
                _ => Action::Read(Self::read()),
            },
            Server::Data { channel, user_data } => {
                if channel != self.cfg.io_channel {
                    // Virtual channel and message channel traffic: not ours to answer, but
                    // decrypted all the same: RC4 and the FIPS chain run across every channel.
                    if let Err(Unwrap::BadMac) = self.layer.unwrap(&user_data, false) {
                        return self.unwrap_error(Unwrap::BadMac);
                    }
                    return match self.state {
                        State::Graphics => self.graphics_continue(),
                        _ => Action::Read(Self::read()),
                    };
                }
                if matches!(self.state, State::AttachUser | State::Join { .. }) {
                    return self.stop(StopReason::Decode, "Send Data before the channels were joined");
                }
                self.on_io_data(&user_data)
            }
        }
    }

    fn sent(&mut self, written: Result<(), NetError>) -> Outcome {
        // Only reached when a driver gives up on the machine: keep what was seen.
        if let Err(e) = written {
            if self.out.stopped.is_none() {
                self.out.stopped = Some((self.phase(), stop_reason(&e), e.kind.to_string()));
            }
        }
        self.state = State::Done;
        std::mem::take(&mut self.out)
    }
}
