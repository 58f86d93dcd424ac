//! Report types of the session step (`--session`, issue 13): how far a full client got after
//! the MCS Connect Response (MS-RDPBCGR 1.3.1.1), what the server answered at each phase, and
//! the first screen.
//!
//! JSON contract: `session.reached` (the last phase completed: `mcs`, `channels`,
//! `security_exchange`, `client_info`, `licensing`, `capabilities`, `finalization`, `graphics`),
//! `session.stopped` (`phase`, `reason`, `detail`: why it ended early), `session.licensing`
//! (`valid_client`, or the licensing error name), `session.error_info` (the ERRINFO name),
//! `session.desktop` (`width`, `height`, `bpp`), `session.server_capabilities`,
//! `session.channels_joined`, `session.first_frame_ms`, `session.screenshot` (the path the
//! caller wrote), `session.screenshot_skipped` (why a screenshot that was asked for is absent).

use crate::wire::rdp::errinfo::ErrorInfo;
use crate::wire::rdp::licensing::{LicenseErrorCode, StateTransition};
use std::fmt;

/// A phase of the connection sequence as the session step runs it. `reached` only takes the
/// phases from `mcs` on; a stop can also happen before (`connect` ... `nla`) on the session's
/// own connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SessionPhase {
    /// TCP connect of the session's connection.
    Connect,
    /// The X.224 negotiation of the session's connection.
    Negotiation,
    /// The TLS handshake (Enhanced RDP Security).
    Tls,
    /// CredSSP, TSCredentials and the Early User Authorization Result.
    Nla,
    /// MCS Connect Initial / Response (2.2.1.3-4).
    Mcs,
    /// Erect Domain, Attach User and the Channel Joins (2.2.1.5-9).
    Channels,
    /// The Security Exchange PDU (2.2.1.10; Standard RDP Security with encryption only).
    SecurityExchange,
    /// The Client Info PDU (2.2.1.11).
    ClientInfo,
    /// Licensing (2.2.1.12, MS-RDPELE).
    Licensing,
    /// Demand Active / Confirm Active (2.2.1.13).
    Capabilities,
    /// Synchronize, Control, Font List / Font Map (2.2.1.14-22).
    Finalization,
    /// Graphics output until the screen settled (2.2.9).
    Graphics,
}

impl SessionPhase {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionPhase::Connect => "connect",
            SessionPhase::Negotiation => "negotiation",
            SessionPhase::Tls => "tls",
            SessionPhase::Nla => "nla",
            SessionPhase::Mcs => "mcs",
            SessionPhase::Channels => "channels",
            SessionPhase::SecurityExchange => "security_exchange",
            SessionPhase::ClientInfo => "client_info",
            SessionPhase::Licensing => "licensing",
            SessionPhase::Capabilities => "capabilities",
            SessionPhase::Finalization => "finalization",
            SessionPhase::Graphics => "graphics",
        }
    }
}

impl fmt::Display for SessionPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the session ended before the first screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum StopReason {
    /// The server requires NLA and the caller did not allow delegating credentials
    /// (`--user` and `--delegate-credentials`): nothing was sent beyond the default probe.
    NlaNeedsDelegation,
    /// No security layer the session can use was accepted (see `detail`).
    NotReachable,
    /// The server refused the X.224 request or selected another protocol.
    NegotiationRefused,
    /// The NLA logon failed (wrong credentials, refused, early authorization denied).
    NlaFailed,
    /// An MCS Disconnect Provider Ultimatum.
    Ultimatum,
    /// A Set Error Info PDU with a non-zero ERRINFO (`error_info`), then the end.
    ErrorInfo,
    /// A licensing error other than "valid client" (`licensing`).
    LicensingError,
    /// A licensing Platform Challenge rdp-probe could not answer (no usable server key, or a
    /// MAC that does not verify).
    LicensingUnsupported,
    /// The server refused Attach User or a Channel Join, or answered MCS with a failure.
    McsRefused,
    /// Deactivate All without a new Demand Active.
    Deactivated,
    /// The server closed the connection.
    Closed,
    /// The server reset the connection.
    Reset,
    /// The server said nothing until the deadline.
    Timeout,
    /// The server sent something that does not decode (or a MAC that does not verify).
    Decode,
    /// Any other local or I/O failure (see `detail`).
    Error,
}

impl StopReason {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::NlaNeedsDelegation => "nla_needs_delegation",
            StopReason::NotReachable => "not_reachable",
            StopReason::NegotiationRefused => "negotiation_refused",
            StopReason::NlaFailed => "nla_failed",
            StopReason::Ultimatum => "ultimatum",
            StopReason::ErrorInfo => "error_info",
            StopReason::LicensingError => "licensing_error",
            StopReason::LicensingUnsupported => "licensing_unsupported",
            StopReason::McsRefused => "mcs_refused",
            StopReason::Deactivated => "deactivated",
            StopReason::Closed => "closed",
            StopReason::Reset => "reset",
            StopReason::Timeout => "timeout",
            StopReason::Decode => "decode",
            StopReason::Error => "error",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where and why the session stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Stopped {
    /// The phase in progress.
    pub phase: SessionPhase,
    /// Why.
    pub reason: StopReason,
    /// What happened, for a human.
    pub detail: String,
}

/// The server's licensing answer (MS-RDPBCGR 2.2.1.12, MS-RDPELE 2.2.2). Serialized as
/// `valid_client`, the error name (`no_license_server`, ...), `new_license`, `upgrade_license`
/// or `platform_challenge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LicensingAnswer {
    /// An Error Alert with STATUS_VALID_CLIENT: licensing done.
    ValidClient,
    /// A license was issued (NEW_LICENSE).
    NewLicense,
    /// A license was upgraded (UPGRADE_LICENSE).
    UpgradeLicense,
    /// A PLATFORM_CHALLENGE rdp-probe could not answer (an answered one ends in one of the
    /// other answers).
    PlatformChallenge,
    /// An Error Alert with another code.
    Error(LicenseErrorCode),
}

impl LicensingAnswer {
    /// The report's name.
    pub fn name(self) -> String {
        match self {
            LicensingAnswer::ValidClient => "valid_client".into(),
            LicensingAnswer::NewLicense => "new_license".into(),
            LicensingAnswer::UpgradeLicense => "upgrade_license".into(),
            LicensingAnswer::PlatformChallenge => "platform_challenge".into(),
            LicensingAnswer::Error(c) => c.name(),
        }
    }

    /// From a name [`Self::name`] gives.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "valid_client" => LicensingAnswer::ValidClient,
            "new_license" => LicensingAnswer::NewLicense,
            "upgrade_license" => LicensingAnswer::UpgradeLicense,
            "platform_challenge" => LicensingAnswer::PlatformChallenge,
            other => LicensingAnswer::Error(LicenseErrorCode::from_name(other)?),
        })
    }

    /// Whether the client may go on (valid client, or a license issued).
    pub fn passed(self) -> bool {
        matches!(self, LicensingAnswer::ValidClient | LicensingAnswer::NewLicense | LicensingAnswer::UpgradeLicense)
    }
}

impl fmt::Display for LicensingAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Desktop size and colour depth from the Demand Active Bitmap set (2.2.7.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Desktop {
    /// desktopWidth.
    pub width: u16,
    /// desktopHeight.
    pub height: u16,
    /// preferredBitsPerPixel.
    pub bpp: u16,
}

/// What the server's Demand Active says about it (2.2.1.13.1, 2.2.7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ServerCapabilities {
    /// The capability sets, by name, in the order sent.
    pub sets: Vec<String>,
    /// General: osMajorType (`windows`, `unix`, ...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub os_major_type: Option<String>,
    /// General: osMinorType (`windows_nt`, `native_xserver`, ...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub os_minor_type: Option<String>,
    /// General: extraFlags by name (`fastpath_output_supported`, ...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub general_flags: Vec<String>,
    /// General: refreshRectSupport.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub refresh_rect: Option<bool>,
    /// General: suppressOutputSupport.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub suppress_output: Option<bool>,
    /// Bitmap Codecs: the codecs the server offers (`nscodec`, `remotefx`, `jpeg`, GUIDs).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub bitmap_codecs: Vec<String>,
    /// Surface Commands: cmdFlags.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub surface_commands: Option<u32>,
    /// Multifragment Update: MaxRequestSize (the largest fast-path update it reassembles).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub max_request_size: Option<u32>,
    /// Virtual Channel: VCChunkSize.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub vc_chunk_size: Option<u32>,
    /// The RDP_NEG_RSP of the session's connection had DYNVC_GFX_PROTOCOL_SUPPORTED (RDPGFX).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub gfx: Option<bool>,
}

/// How the session's connection was secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SessionSecurity {
    /// Standard RDP Security on plain TCP (MS-RDPBCGR 5.3), at `mcs.encryption_level`.
    Standard,
    /// TLS (Enhanced RDP Security, 5.4).
    Tls,
    /// CredSSP with delegated credentials (NLA, 5.4.5.2).
    Nla,
}

impl fmt::Display for SessionSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionSecurity::Standard => "standard",
            SessionSecurity::Tls => "tls",
            SessionSecurity::Nla => "nla",
        })
    }
}

/// The `session` section.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SessionReport {
    /// The last phase completed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub reached: Option<SessionPhase>,
    /// Why it ended early, when it did.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub stopped: Option<Stopped>,
    /// How the connection was secured.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub security: Option<SessionSecurity>,
    /// The server's licensing answer.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default, with = "licensing_serde"))]
    pub licensing: Option<LicensingAnswer>,
    /// The state transition of a licensing Error Alert (`total_abort`, `no_transition`, ...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default, with = "transition_serde"))]
    pub licensing_state_transition: Option<StateTransition>,
    /// The ERRINFO of a Set Error Info PDU (2.2.5.1.1), when a non-zero one came.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default, with = "errinfo_serde"))]
    pub error_info: Option<ErrorInfo>,
    /// Desktop size and colour depth.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub desktop: Option<Desktop>,
    /// The Demand Active capabilities.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub server_capabilities: Option<ServerCapabilities>,
    /// MCS channels joined, in order (the user channel, the I/O channel, the message channel,
    /// the static channels).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub channels_joined: Vec<u16>,
    /// Milliseconds from the session's connect to the first graphics update.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub first_frame_ms: Option<f64>,
    /// Graphics updates received.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub updates: Option<u32>,
    /// The path the screenshot was written to (set by the caller that wrote [`Self::png`]).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub screenshot: Option<String>,
    /// Why a screenshot that was asked for was not made, in a few words: a desktop beyond the
    /// cap ([`crate::graphics::MAX_DESKTOP_DIM`] a side, [`crate::graphics::MAX_DESKTOP_PIXELS`]
    /// in all), a screen that could not be encoded, or a file the caller could not write. A
    /// session that stopped before graphics leaves it out (`stopped` says why).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub screenshot_skipped: Option<String>,
    /// The first screen as PNG bytes, when the caller asked for it
    /// ([`crate::ProbeOptions::screenshot`]). Never serialized: the caller writes the file.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub png: Option<Vec<u8>>,
}

#[cfg(feature = "serde")]
macro_rules! named_serde {
    ($module:ident, $t:ty) => {
        mod $module {
            use serde::{Deserialize, Deserializer, Serializer};

            pub(super) fn serialize<S: Serializer>(v: &Option<$t>, s: S) -> Result<S::Ok, S::Error> {
                match v {
                    Some(v) => s.serialize_str(&v.name()),
                    None => s.serialize_none(),
                }
            }

            pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
                let v: Option<String> = Option::deserialize(d)?;
                v.map(|s| <$t>::from_name(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown name {s}"))))
                    .transpose()
            }
        }
    };
}

#[cfg(feature = "serde")]
named_serde!(licensing_serde, super::LicensingAnswer);
#[cfg(feature = "serde")]
named_serde!(transition_serde, super::StateTransition);
#[cfg(feature = "serde")]
named_serde!(errinfo_serde, super::ErrorInfo);

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;

    #[test]
    fn json_spelling() {
        let r = SessionReport {
            reached: Some(SessionPhase::Capabilities),
            stopped: Some(Stopped {
                phase: SessionPhase::Finalization,
                reason: StopReason::ErrorInfo,
                detail: "x".into(),
            }),
            licensing: Some(LicensingAnswer::Error(LicenseErrorCode::NoLicenseServer)),
            licensing_state_transition: Some(StateTransition::TotalAbort),
            error_info: Some(ErrorInfo::from_value(0x101)),
            desktop: Some(Desktop { width: 1024, height: 768, bpp: 16 }),
            channels_joined: vec![1007, 1003],
            png: Some(vec![1, 2]),
            ..SessionReport::default()
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["reached"], "capabilities");
        assert_eq!(v["stopped"]["phase"], "finalization");
        assert_eq!(v["stopped"]["reason"], "error_info");
        assert_eq!(v["licensing"], "no_license_server");
        assert_eq!(v["licensing_state_transition"], "total_abort");
        assert_eq!(v["error_info"], "license_no_license_server");
        assert_eq!(v["desktop"]["width"], 1024);
        assert!(v.get("png").is_none());
        assert!(v.get("screenshot").is_none());
        assert!(v.get("screenshot_skipped").is_none());
        let back: SessionReport = serde_json::from_value(v).unwrap();
        assert_eq!(back, SessionReport { png: None, ..r });
        assert_eq!(LicensingAnswer::from_name("valid_client"), Some(LicensingAnswer::ValidClient));
        assert_eq!(ErrorInfo::from_name("unknown_0x4242"), Some(ErrorInfo::Unknown(0x4242)));
    }
}
