//! Report types of the nla layer: CredSSP version, the server identity from its NTLM
//! CHALLENGE_MESSAGE, and the opt-in credential check. The JSON field names are a contract.

use super::{ErrorKind, NlaRequirement, Phase};

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
    /// requestedProtocols of our CredSSP connection, by name (e.g. `["ssl","hybrid","hybrid_ex"]`).
    pub requested: Vec<String>,
    /// The protocol the server selected for that connection.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub selected: Option<String>,
    /// TLS version of the CredSSP connection, e.g. "1.2".
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub tls_version: Option<String>,
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
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub kind: Option<ErrorKind>,
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
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AuthReport {
    /// Whether the server accepted the credentials (its pubKeyAuth verified).
    pub accepted: bool,
    /// `accepted`, a refusal such as `wrong_password`, `unknown_user`, `account_locked`,
    /// `logon_type_not_granted`, `rejected (server closed the connection)`, or `error`.
    pub status: String,
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
            os_name: version.and_then(|v| v.windows_release()).map(str::to_string),
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
}
