//! Report types of the nla layer: CredSSP version, the server identity from its NTLM
//! CHALLENGE_MESSAGE, and the opt-in credential check. The JSON field names are a contract.

use super::tls::TlsVersion;
use super::{ErrorKind, NlaRequirement, Phase};
use crate::wire::x224::{Protocol, SecurityProtocols};
use std::fmt;

/// Results of the nla step (`nla` in JSON).
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NlaReport {
    /// NLA required / offered / not supported, from the negotiation answers.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub requirement: Option<NlaRequirement>,
    /// Whether the server selected or accepted PROTOCOL_HYBRID_EX (Early User Authorization
    /// Result PDU, MS-RDPBCGR 2.2.10.2).
    pub hybrid_ex: bool,
    /// requestedProtocols of our CredSSP connection, serialized by name (e.g.
    /// `["ssl","hybrid","hybrid_ex"]`); `None` (serialized `[]`) when no CredSSP connection was
    /// planned.
    #[cfg_attr(feature = "serde", serde(with = "requested_names", default))]
    pub requested: Option<SecurityProtocols>,
    /// The protocol the server selected for that connection (JSON: its name, e.g. `hybrid`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub selected: Option<Protocol>,
    /// TLS version of the CredSSP connection (JSON: its label, e.g. `"1.2"`, as `tls.version`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub tls_version: Option<TlsVersion>,
    /// TLS cipher suite of the CredSSP connection (IANA name).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub tls_cipher_suite: Option<String>,
    /// TSRequest.version the server answered.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub credssp_version: Option<u32>,
    /// Version >= 5: the server has the CVE-2018-0886 (CredSSP encryption oracle) fix.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub cve_2018_0886_fixed: Option<bool>,
    /// The server's NTLM CHALLENGE_MESSAGE, decoded.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub ntlm: Option<NtlmInfo>,
    /// TSRequest.errorCode of the server's first answer (NTSTATUS), raw.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error_code: Option<u32>,
    /// That errorCode's NTSTATUS name.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub ntstatus: Option<String>,
    /// The credential check (only with credentials).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub auth: Option<AuthReport>,
    /// Why the step failed, when it did.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error: Option<NlaError>,
}

/// A failure of the nla step: where and what.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct NlaError {
    /// Phase (`connect`, `read_cc`, `tls`, `nla`...).
    pub phase: Phase,
    /// What happened.
    pub text: String,
    /// The failure is rdp-probe's, not the server's (e.g. its TLS stack cannot speak the
    /// server's TLS 1.0/1.1): `text` then starts with "rdp-probe cannot".
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub client_limitation: bool,
    /// The kind of the failure (typed; decisions read this, never the text).
    #[cfg_attr(feature = "serde", serde(default = "other_kind"))]
    pub kind: ErrorKind,
}

#[cfg(feature = "serde")]
fn other_kind() -> ErrorKind {
    ErrorKind::Other
}

impl NlaError {
    /// A failure in `phase` of `kind`, explained by `text`.
    pub fn new(phase: Phase, kind: ErrorKind, text: impl Into<String>) -> NlaError {
        NlaError { phase, text: text.into(), client_limitation: false, kind }
    }
}

/// Identity and clock from the NTLM CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) (`nla.ntlm`).
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NtlmInfo {
    /// MsvAvNbComputerName.
    pub netbios_computer: Option<String>,
    /// MsvAvNbDomainName.
    pub netbios_domain: Option<String>,
    /// MsvAvDnsComputerName.
    pub dns_computer: Option<String>,
    /// MsvAvDnsDomainName.
    pub dns_domain: Option<String>,
    /// MsvAvDnsTreeName (forest).
    pub dns_tree: Option<String>,
    /// VERSION as "major.minor.build", e.g. "10.0.17763" (only when trustworthy: the server
    /// echoed NTLMSSP_NEGOTIATE_VERSION and the revision byte is 0x0F).
    pub product_version: Option<String>,
    /// ProductBuild.
    pub os_build: Option<u16>,
    /// NTLMRevisionCurrent (15).
    pub ntlm_revision: Option<u8>,
    /// Windows release(s) with this version, for known builds.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub os_name: Option<String>,
    /// MsvAvTimestamp, RFC 3339 UTC.
    pub server_time: Option<String>,
    /// Server clock minus ours, seconds (positive: the server is ahead). Kerberos tolerates 300.
    pub clock_skew_s: Option<f64>,
    /// NegotiateFlags of the CHALLENGE, by name.
    pub flags: Vec<String>,
    /// NegotiateFlags, raw.
    pub flags_value: u32,
    /// TargetName.
    pub target_name: String,
    /// Every AV_PAIR in order (unknown ids kept).
    pub av_pairs: Vec<AvPairReport>,
}

/// One AV_PAIR.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AvPairReport {
    /// AvId.
    pub id: u16,
    /// AvId name (`nb_computer_name`, ..., `unknown_0x..`).
    pub name: String,
    /// The value: text for names, RFC 3339 for the timestamp, hex otherwise.
    pub value: String,
}

/// The opt-in credential check (`nla.auth`). Never holds the password.
///
/// In JSON `status` is one string: the [`AuthStatus`] spelling, followed by
/// ` (`[`status_detail`](Self::status_detail)`)` when there is a detail, e.g.
/// `accepted (server pubKeyAuth does not match the TLS key)`.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(into = "AuthReportJson", from = "AuthReportJson"))]
pub struct AuthReport {
    /// Whether the server accepted the credentials (its pubKeyAuth verified).
    pub accepted: bool,
    /// The outcome: `accepted`, a refusal such as `wrong_password`, `unknown_user`,
    /// `account_locked`, `logon_type_not_granted`, `rejected (server closed the connection)`,
    /// `error`, or `not_tested`.
    pub status: AuthStatus,
    /// What qualifies the status (serialized inside `status`, in parentheses): e.g. for
    /// [`AuthStatus::Accepted`] "server pubKeyAuth does not match the TLS key", for
    /// [`AuthStatus::Refused`] the unknown NTSTATUS code.
    pub status_detail: Option<String>,
    /// The user as tried (`DOMAIN\user`).
    pub user: String,
    /// The NTSTATUS the server returned, raw.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error_code: Option<u32>,
    /// Its name.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub ntstatus: Option<String>,
    /// What it means and what to do.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub remedy: Option<String>,
    /// Why the logon was not tested (status `not_tested`): no CredSSP on this server, the NLA
    /// step failed or was skipped.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub reason: Option<String>,
    /// The CredSSP version the pubKeyAuth exchange used (min of ours and the server's).
    pub credssp_version: u32,
    /// The server's pubKeyAuth proved it holds the TLS key (no man in the middle).
    pub server_key_verified: bool,
    /// Whether TSCredentials were sent (only with `--authz`; they were not otherwise).
    pub credentials_delegated: bool,
    /// Early User Authorization Result (`authz` mode on HYBRID_EX), when read.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub authorization: Option<String>,
}

impl AuthReport {
    /// The status as one string, the JSON spelling: `status`, or `status (detail)`.
    pub fn status_text(&self) -> String {
        match &self.status_detail {
            Some(d) => format!("{} ({d})", self.status),
            None => self.status.to_string(),
        }
    }
}

macro_rules! auth_status {
    ($($(#[$m:meta])* $arm:ident = $s:expr;)*) => {
        /// The outcome of the NLA logon check (`nla.auth.status`, MS-CSSP 3.1.5; refusals are
        /// the NTSTATUS in TSRequest.errorCode, MS-ERREF 2.3). Open: a status this version does
        /// not know is kept as [`AuthStatus::Other`] and serialized as it was read.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
        #[non_exhaustive]
        pub enum AuthStatus {
            $($(#[$m])* $arm,)*
            /// Not checked (the default): no CredSSP exchange reached the logon (`not_tested`).
            #[default]
            NotTested,
            /// Any other status string, kept as read.
            Other(String),
        }

        impl AuthStatus {
            /// Every named status (all but [`AuthStatus::Other`]).
            pub const ALL: &'static [AuthStatus] = &[$(AuthStatus::$arm,)* AuthStatus::NotTested];

            /// The JSON spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $(AuthStatus::$arm => $s,)*
                    AuthStatus::NotTested => "not_tested",
                    AuthStatus::Other(s) => s,
                }
            }
        }
    };
}

auth_status! {
    /// The server accepted the credentials (`accepted`).
    Accepted = "accepted";
    /// The server closed the connection after AUTHENTICATE without an NTSTATUS: FreeRDP and
    /// older servers answer a wrong user name or password this way
    /// (`rejected (server closed the connection)`).
    ServerClosed = "rejected (server closed the connection)";
    /// STATUS_LOGON_FAILURE (`wrong_password_or_unknown_user`).
    WrongPasswordOrUnknownUser = "wrong_password_or_unknown_user";
    /// STATUS_WRONG_PASSWORD (`wrong_password`).
    WrongPassword = "wrong_password";
    /// STATUS_NO_SUCH_USER (`unknown_user`).
    UnknownUser = "unknown_user";
    /// STATUS_ACCOUNT_LOCKED_OUT (`account_locked`).
    AccountLocked = "account_locked";
    /// STATUS_ACCOUNT_DISABLED (`account_disabled`).
    AccountDisabled = "account_disabled";
    /// STATUS_ACCOUNT_EXPIRED (`account_expired`).
    AccountExpired = "account_expired";
    /// STATUS_PASSWORD_EXPIRED (`password_expired`).
    PasswordExpired = "password_expired";
    /// STATUS_PASSWORD_MUST_CHANGE (`password_must_change`).
    PasswordMustChange = "password_must_change";
    /// STATUS_INVALID_LOGON_HOURS (`logon_hours`).
    LogonHours = "logon_hours";
    /// STATUS_INVALID_WORKSTATION (`workstation_restriction`).
    WorkstationRestriction = "workstation_restriction";
    /// STATUS_LOGON_TYPE_NOT_GRANTED (`logon_type_not_granted`).
    LogonTypeNotGranted = "logon_type_not_granted";
    /// STATUS_ACCOUNT_RESTRICTION (`account_restriction`).
    AccountRestriction = "account_restriction";
    /// STATUS_AUTHENTICATION_FIREWALL_FAILED (`authentication_firewall`).
    AuthenticationFirewall = "authentication_firewall";
    /// STATUS_NO_LOGON_SERVERS (`no_logon_servers`).
    NoLogonServers = "no_logon_servers";
    /// STATUS_TRUSTED_RELATIONSHIP_FAILURE (`trust_failure`).
    TrustFailure = "trust_failure";
    /// STATUS_ACCESS_DENIED (`access_denied`).
    AccessDenied = "access_denied";
    /// STATUS_TIME_DIFFERENCE_AT_DC (`clock_skew`).
    ClockSkew = "clock_skew";
    /// SEC_E_UNSUPPORTED_FUNCTION (`unsupported_function`).
    UnsupportedFunction = "unsupported_function";
    /// SEC_E_LOGON_DENIED (`logon_denied`).
    LogonDenied = "logon_denied";
    /// SEC_E_INVALID_TOKEN (`invalid_token`).
    InvalidToken = "invalid_token";
    /// SEC_E_NO_AUTHENTICATING_AUTHORITY (`no_authenticating_authority`).
    NoAuthenticatingAuthority = "no_authenticating_authority";
    /// SEC_E_WRONG_PRINCIPAL (`wrong_principal`).
    WrongPrincipal = "wrong_principal";
    /// An errorCode this version has no name for; the detail holds it (`refused (0x........)`).
    Refused = "refused";
    /// The logon check did not complete (see `nla.error`) (`error`).
    Error = "error";
}

impl AuthStatus {
    /// The status of a spelling; an unknown one is [`AuthStatus::Other`].
    pub fn parse(s: &str) -> AuthStatus {
        AuthStatus::ALL.iter().find(|a| a.as_str() == s).cloned().unwrap_or_else(|| AuthStatus::Other(s.to_string()))
    }

    /// A status string as serialized (`status` or `status (detail)`), split into the status and
    /// its detail. A string that is no named status, with or without a detail, stays whole in
    /// [`AuthStatus::Other`].
    pub fn parse_with_detail(s: &str) -> (AuthStatus, Option<String>) {
        match AuthStatus::parse(s) {
            AuthStatus::Other(_) => {}
            named => return (named, None),
        }
        if let Some((head, rest)) = s.split_once(" (") {
            if let (Some(detail), named) = (rest.strip_suffix(')'), AuthStatus::parse(head)) {
                if !matches!(named, AuthStatus::Other(_)) {
                    return (named, Some(detail.to_string()));
                }
            }
        }
        (AuthStatus::Other(s.to_string()), None)
    }

    /// The server refused the credentials (any outcome but accepted, not tested and error).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, AuthStatus::Accepted | AuthStatus::NotTested | AuthStatus::Error)
    }
}

impl fmt::Display for AuthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AuthStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for AuthStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Ok(AuthStatus::parse(&s))
    }
}

/// [`AuthReport`] as the JSON has it: `status` and its detail in one string.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
struct AuthReportJson {
    accepted: bool,
    status: String,
    user: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    error_code: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    ntstatus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    remedy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    reason: Option<String>,
    credssp_version: u32,
    server_key_verified: bool,
    credentials_delegated: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    authorization: Option<String>,
}

#[cfg(feature = "serde")]
impl From<AuthReport> for AuthReportJson {
    fn from(a: AuthReport) -> Self {
        AuthReportJson {
            status: a.status_text(),
            accepted: a.accepted,
            user: a.user,
            error_code: a.error_code,
            ntstatus: a.ntstatus,
            remedy: a.remedy,
            reason: a.reason,
            credssp_version: a.credssp_version,
            server_key_verified: a.server_key_verified,
            credentials_delegated: a.credentials_delegated,
            authorization: a.authorization,
        }
    }
}

#[cfg(feature = "serde")]
impl From<AuthReportJson> for AuthReport {
    fn from(a: AuthReportJson) -> Self {
        let (status, status_detail) = AuthStatus::parse_with_detail(&a.status);
        AuthReport {
            accepted: a.accepted,
            status,
            status_detail,
            user: a.user,
            error_code: a.error_code,
            ntstatus: a.ntstatus,
            remedy: a.remedy,
            reason: a.reason,
            credssp_version: a.credssp_version,
            server_key_verified: a.server_key_verified,
            credentials_delegated: a.credentials_delegated,
            authorization: a.authorization,
        }
    }
}

/// `nla.requested`: the set by names (`["ssl","hybrid"]`; `["rdp"]` for the empty set, `[]`
/// for none).
#[cfg(feature = "serde")]
mod requested_names {
    use crate::wire::x224::SecurityProtocols;

    pub(super) fn serialize<S: serde::Serializer>(p: &Option<SecurityProtocols>, s: S) -> Result<S::Ok, S::Error> {
        let names = p.map(SecurityProtocols::display_names).unwrap_or_default();
        serde::Serialize::serialize(&names, s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecurityProtocols>, D::Error> {
        let names = <Vec<String> as serde::Deserialize>::deserialize(d)?;
        if names.is_empty() {
            return Ok(None);
        }
        let mut bits = 0u32;
        for n in &names {
            let p = crate::wire::x224::Protocol::from_name(n)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown protocol {n:?}")))?;
            bits |= p.value();
        }
        Ok(Some(SecurityProtocols(bits)))
    }
}

impl NtlmInfo {
    /// The report of a CHALLENGE_MESSAGE received when our clock read `now_unix` (seconds).
    pub fn from_challenge(c: &crate::wire::ntlm::ChallengeMessage, now_unix: f64) -> NtlmInfo {
        use crate::wire::ntlm::{av_id, av_id_name, filetime_rfc3339, filetime_to_unix};
        let version = c.trusted_version();
        let ts = c.timestamp();
        NtlmInfo {
            netbios_computer: c.av_text(av_id::NB_COMPUTER_NAME),
            netbios_domain: c.av_text(av_id::NB_DOMAIN_NAME),
            dns_computer: c.av_text(av_id::DNS_COMPUTER_NAME),
            dns_domain: c.av_text(av_id::DNS_DOMAIN_NAME),
            dns_tree: c.av_text(av_id::DNS_TREE_NAME),
            product_version: version.map(|v| v.product_version()),
            os_build: version.map(|v| v.build),
            ntlm_revision: version.map(|v| v.revision),
            os_name: version.and_then(|v| crate::diagnosis::identify::ntlm_os_name(&v.product_version())),
            server_time: ts.map(filetime_rfc3339),
            clock_skew_s: ts.map(|t| ((filetime_to_unix(t) - now_unix) * 1000.0).round() / 1000.0),
            flags: c.flags.names(),
            flags_value: c.flags.0,
            target_name: c.target_name.clone(),
            av_pairs: c
                .av_pairs
                .iter()
                .map(|p| AvPairReport {
                    id: p.id,
                    name: av_id_name(p.id),
                    value: match (p.text(), p.id) {
                        (Some(t), _) => t,
                        (None, av_id::TIMESTAMP) => {
                            c.timestamp().map(filetime_rfc3339).unwrap_or_else(|| crate::wire::codec::hex(&p.value))
                        }
                        (None, _) => crate::wire::codec::hex(&p.value),
                    },
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_captured_challenge() {
        let b =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/shadow-nla-ntlm-challenge.bin")).unwrap();
        let c = crate::wire::ntlm::ChallengeMessage::decode(&b).unwrap();
        let ts = crate::wire::ntlm::filetime_to_unix(c.timestamp().unwrap());
        let n = NtlmInfo::from_challenge(&c, ts - 2.5);
        assert_eq!(n.netbios_computer.as_deref(), Some("RDP-SHADOW-NLA"));
        assert_eq!(n.dns_computer.as_deref(), Some("rdp-shadow-nla"));
        assert_eq!(n.product_version.as_deref(), Some("6.1.7601"));
        assert_eq!(n.os_build, Some(7601));
        // From data/fingerprints.tsv, spelled as before the table existed.
        assert_eq!(n.os_name.as_deref(), Some("Windows 7 SP1 / Server 2008 R2 SP1"));
        assert_eq!(n.ntlm_revision, Some(15));
        assert_eq!(n.clock_skew_s, Some(2.5));
        assert_eq!(n.av_pairs.len(), 5);
        assert_eq!(n.av_pairs[4].name, "timestamp");
        assert_eq!(Some(&n.av_pairs[4].value), n.server_time.as_ref());
        #[cfg(feature = "serde")]
        {
            let j = serde_json::to_value(NlaReport { ntlm: Some(n), credssp_version: Some(6), ..Default::default() })
                .unwrap();
            assert_eq!(j["credssp_version"], 6);
            assert_eq!(j["ntlm"]["netbios_domain"], "RDP-SHADOW-NLA");
            assert_eq!(j["ntlm"]["product_version"], "6.1.7601");
            assert!(j["ntlm"]["clock_skew_s"].is_number());
        }
    }

    /// `nla.tls_version` keeps the spelling it had as a string (`"1.2"`, `"unknown_0x...."`),
    /// the same as `tls.version`, and reads back.
    #[cfg(feature = "serde")]
    #[test]
    fn tls_version_spelling() {
        for (v, s) in
            [(TlsVersion::Tls12, "1.2"), (TlsVersion::Tls13, "1.3"), (TlsVersion::Unknown(0x7f1c), "unknown_0x7f1c")]
        {
            let r = NlaReport { tls_version: Some(v), ..Default::default() };
            let j = serde_json::to_value(&r).unwrap();
            assert_eq!(j["tls_version"], s);
            assert_eq!(serde_json::from_value::<NlaReport>(j).unwrap().tls_version, Some(v));
        }
        let j = serde_json::to_value(NlaReport::default()).unwrap();
        assert!(j.get("tls_version").is_none());
        assert!(serde_json::from_value::<NlaReport>(serde_json::json!({"hybrid_ex": false, "tls_version": "TLSv1.2"}))
            .is_err());
    }
}
