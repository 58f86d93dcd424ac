//! Client profiles for `--client`: what a given kind of client can do, so a report can say
//! "this server and a Windows 7 client have no security protocol in common".

use crate::report::tls::TlsVersion;

/// A kind of client whose capabilities we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ClientProfile {
    /// Windows 7 / Server 2008 R2 mstsc without the TLS 1.1/1.2 update (KB3080079): Standard RDP
    /// Security, TLS 1.0, CredSSP (no HYBRID_EX).
    Win7,
    /// Windows 10/11 mstsc: Standard RDP Security, TLS 1.0-1.2, CredSSP, HYBRID_EX.
    Win10,
    /// Pre-negotiation clients (RDP 5.x, Windows XP before SP3, old thin clients): Standard RDP
    /// Security only.
    Legacy,
    /// FreeRDP 2/3: everything, incl. RDSTLS and TLS 1.3.
    Freerdp,
}

impl ClientProfile {
    /// Parses `win7`, `win10`, `legacy`, `freerdp`.
    pub fn parse(s: &str) -> Option<ClientProfile> {
        match s.to_ascii_lowercase().as_str() {
            "win7" | "windows7" => Some(ClientProfile::Win7),
            "win10" | "win11" | "windows10" | "windows11" => Some(ClientProfile::Win10),
            "legacy" | "xp" => Some(ClientProfile::Legacy),
            "freerdp" => Some(ClientProfile::Freerdp),
            _ => None,
        }
    }
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            ClientProfile::Win7 => "Windows 7 client (TLS 1.0)",
            ClientProfile::Win10 => "Windows 10/11 client",
            ClientProfile::Legacy => "legacy client (Standard RDP Security only)",
            ClientProfile::Freerdp => "FreeRDP client",
        }
    }
    /// Security protocols (JSON names) the client can use.
    pub fn protocols(self) -> &'static [&'static str] {
        match self {
            ClientProfile::Win7 => &["rdp", "ssl", "hybrid"],
            ClientProfile::Win10 => &["rdp", "ssl", "hybrid", "hybrid_ex"],
            ClientProfile::Legacy => &["rdp"],
            ClientProfile::Freerdp => &["rdp", "ssl", "hybrid", "hybrid_ex", "rdstls"],
        }
    }
    /// TLS versions the client can use.
    pub fn tls_versions(self) -> &'static [TlsVersion] {
        use TlsVersion::{Tls10, Tls11, Tls12, Tls13};
        match self {
            ClientProfile::Win7 => &[Tls10],
            ClientProfile::Win10 => &[Tls10, Tls11, Tls12],
            ClientProfile::Legacy => &[],
            ClientProfile::Freerdp => &[Tls10, Tls11, Tls12, Tls13],
        }
    }
    /// Whether the client supports FIPS encryption (Standard RDP Security level FIPS).
    pub fn fips(self) -> bool {
        !matches!(self, ClientProfile::Legacy)
    }
}
