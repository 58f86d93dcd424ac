//! Report → findings: what is wrong, how bad, what the evidence is, and what to change on the
//! server, in the admin's terms. Every finding id is stable (README "Findings"); `explain`
//! gives the long text for `rdp-probe explain ID`.

use crate::report::mcs::{EncryptionLevel, EncryptionMethod, Transport};
use crate::report::tls::{CipherGrade, TlsVersion};
use crate::report::ProtocolVerdict;
use crate::report::{Answer, ErrorKind, NlaRequirement, Phase, Report, SecurityLayer, Status};
use std::borrow::Cow;
use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// A weakness or a likely cause of trouble for some clients.
    Warning,
    /// Connections fail, or the setup is badly exposed.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Finding {
    /// Stable id, e.g. `nla-not-required` (see [`FindingId`]'s constants).
    pub id: FindingId,
    /// Severity.
    pub severity: Severity,
    /// One line with the observed values.
    pub summary: String,
    /// What to change, in the admin's terms.
    pub remedy: String,
    /// Which probe step showed it.
    pub evidence: String,
}

/// A catalog entry: the long explanation behind an id.
#[derive(Debug, Clone, Copy)]
pub struct FindingInfo {
    /// Stable id.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Short title.
    pub title: &'static str,
    /// What it means and why it matters.
    pub explanation: &'static str,
    /// What to change.
    pub remedy: &'static str,
}

macro_rules! catalog {
    ($($konst:ident = $id:literal, $sev:ident, $title:literal, $expl:literal, $rem:literal;)*) => {
        /// Every finding this version can produce.
        pub const CATALOG: &[FindingInfo] = &[$(FindingInfo {
            id: $id, severity: Severity::$sev, title: $title, explanation: $expl, remedy: $rem,
        }),*];

        /// The id of every finding in the [`CATALOG`], as constants: `FindingId::NLA_NOT_REQUIRED`.
        impl FindingId {
            $(
                #[doc = concat!("`", $id, "`: ", $title, ".")]
                pub const $konst: FindingId = FindingId(Cow::Borrowed($id));
            )*
        }
    };
}

/// A finding's stable id (`nla-not-required`), one of [`CATALOG`]'s. Compare with the
/// constants (`f.id == FindingId::NLA_NOT_REQUIRED`); JSON spells it as the plain string. An id
/// this version does not know (read from a newer version's JSON) is kept as it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId(Cow<'static, str>);

impl FindingId {
    /// The id of the catalog entry spelled `id`, or an id outside the catalog kept verbatim.
    pub fn new(id: &str) -> FindingId {
        match CATALOG.iter().find(|f| f.id == id) {
            Some(f) => FindingId(Cow::Borrowed(f.id)),
            None => FindingId(Cow::Owned(id.to_string())),
        }
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Its catalog entry (title, explanation, default remedy); `None` outside the catalog.
    pub fn info(&self) -> Option<&'static FindingInfo> {
        explain(self.as_str())
    }
}

impl From<&str> for FindingId {
    fn from(id: &str) -> Self {
        FindingId::new(id)
    }
}

impl fmt::Display for FindingId {
    /// Honours width and alignment (`{:<28}`), as a `&str` does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl PartialEq<str> for FindingId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for FindingId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for FindingId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(FindingId::new(&String::deserialize(d)?))
    }
}

catalog! {
    DNS_FAILURE = "dns-failure", Critical, "Host name does not resolve",
    "The name could not be resolved to an address, so no connection was attempted. Clients fail with 'cannot find the computer'.",
    "Check the name for typos, the client's DNS servers, and that the host is registered in DNS (or use its IP address).";
    TCP_REFUSED = "tcp-refused", Critical, "Nothing listens on the RDP port",
    "The host answered the TCP connection attempt with a reset: it is up, but no program listens on this port. Remote Desktop is disabled, the Remote Desktop Services (TermService) service is stopped, or the listener was moved to another port.",
    "Enable Remote Desktop (System Properties > Remote > Allow remote connections), start the Remote Desktop Services service, and check the listener's port (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\\PortNumber) and the firewall rule; `rdp-probe --find-port` tries common alternative ports.";
    TCP_TIMEOUT = "tcp-timeout", Critical, "No answer to the TCP connection attempt",
    "The connection attempt got no answer before the deadline: a firewall drops the packets, the host is asleep or hibernating, or it is down.",
    "Check that the host is powered on and awake (power plan, Wake-on-LAN), that the Windows Firewall allows 'Remote Desktop (TCP-In)' and that no network firewall between client and server drops TCP to this port.";
    HOST_UNREACHABLE = "host-unreachable", Critical, "Host or network unreachable",
    "The network reported the destination unreachable (ICMP) or there is no route to it.",
    "Check routing, VPN connection and the host's address.";
    PORT_SERVED_BY_OTHER_SERVICE = "port-served-by-other-service", Critical, "Another program answers on the RDP port",
    "The port is open, but what answers is not an RDP listener: another program took the port, or RDP was moved and something else now uses it.",
    "Find the program on the server (`netstat -ano | findstr :PORT`, then Task Manager by PID), move it or RDP to another port, and make clients use the right port.";
    LISTENER_SILENT = "listener-silent", Critical, "The listener accepts TCP but never answers",
    "TCP connects, but the X.224 Connection Request gets no answer before the deadline. The Remote Desktop service is hung or busy ('The RDP service is busy'), or a device in the path accepts the connection without passing it on.",
    "Restart the Remote Desktop Services service (or the server), check the System event log for TermService errors, and check proxies or load balancers in front of the server.";
    LISTENER_CLOSES_CONNECTION = "listener-closes-connection", Critical, "The listener closes the connection without answering",
    "TCP connects, then the server closes the connection after our X.224 Connection Request without a Connection Confirm (or answers it with a disconnect). This is how a server at its connection limit, a listener restricted to certain clients, or a broken listener behaves.",
    "Check the connection limits (Group Policy 'Limit number of connections', RD Session Host licensing), the listener's allowed clients, and the TermService event log.";
    NOT_RDP_PROTOCOL_ERROR = "not-rdp-protocol-error", Critical, "The answer is not valid RDP",
    "The peer answered with TPKT framing, but the X.224 answer could not be decoded.",
    "Check what listens on the port; capture the exchange with `rdp-probe --raw`.";
    RDP_ON_OTHER_PORT = "rdp-on-other-port", Warning, "RDP answers on another port",
    "The port probed does not answer as RDP, but another port of the same host does: the listener was moved (PortNumber changed) and clients still use the old port.",
    "Connect to the port where RDP answers (host:port in the client), or set the listener's PortNumber back and restart Remote Desktop Services; update firewall rules to match.";
    CLIENT_INCOMPATIBLE = "client-incompatible", Critical, "Server and client have nothing in common",
    "For the client profile given with --client, the server accepts no security protocol, TLS version or encryption level that the client supports, so that client cannot connect.",
    "Either update the client (TLS 1.2 support for Windows 7: KB3080079; CredSSP updates) or relax the server's Security Layer / TLS versions / Encryption Level to include what the client supports.";
    CLOCK_SKEW = "clock-skew", Warning, "Server clock differs from ours",
    "The timestamp in the server's NTLM challenge differs from this machine's clock by more than 5 minutes. Kerberos logons fail beyond 5 minutes of skew (clients then fall back to NTLM or fail), and certificate validity checks may misfire.",
    "Synchronise the server's clock with the domain hierarchy or an NTP source (w32tm /resync; check the Windows Time service), or fix the clock of the machine running the probe.";
    CREDSSP_OUTDATED = "credssp-outdated", Warning, "CredSSP older than version 5 (CVE-2018-0886)",
    "The server answers CredSSP version 2-4: it predates the March 2018 update that fixed the CredSSP remote code execution vulnerability CVE-2018-0886. Updated clients with 'Encryption Oracle Remediation' set to 'Force Updated Clients' refuse to connect ('CredSSP encryption oracle remediation' error).",
    "Install the CredSSP update (KB4093492 or any later cumulative update) on the server.";
    CREDENTIALS_REJECTED = "credentials-rejected", Critical, "The NLA logon failed",
    "The server refused the credentials during CredSSP (NLA), before any session: wrong user name or password, unknown user, a locked, disabled or expired account, logon hours, or a missing logon right.",
    "Check the user name, domain and password first; then that the account is enabled, unlocked, not expired and allowed to log on through Remote Desktop Services (membership in Remote Desktop Users).";
    CREDENTIALS_ACCEPTED = "credentials-accepted", Info, "The NLA logon succeeded",
    "The server accepted the credentials during CredSSP (NLA). This proves the user name and password; whether the user may open an RDP session (Remote Desktop Users membership) is only known with --authz on HYBRID_EX servers or by logging on.",
    "Nothing to change; if users still cannot log on, check Remote Desktop Users membership and the 'Allow log on through Remote Desktop Services' right.";
    NLA_PROBE_FAILED = "nla-probe-failed", Warning, "The CredSSP exchange failed",
    "The server selected CredSSP but the TLS handshake or the CredSSP/NTLM exchange failed, so NLA clients cannot connect either.",
    "Check the listener's certificate and the server's event log (TermService, Schannel, LSA); make sure NTLM is not disabled for incoming traffic if clients use it.";
    TLS_HANDSHAKE_FAILED = "tls-handshake-failed", Critical, "TLS handshake fails",
    "The server selected TLS (or CredSSP) in the negotiation, but no TLS handshake completed and no certificate was received: TLS clients cannot connect. Usually the listener's certificate or its private key is unusable.",
    "Re-create or re-select the listener's certificate and check its private key's permissions; check the System event log for Schannel errors.";
    TLS_LEGACY_ONLY = "tls-legacy-only", Critical, "Only TLS 1.0/1.1 accepted",
    "The listener accepts only TLS 1.0 or 1.1. Clients where those versions are disabled (current Windows, FreeRDP with default settings, hardened clients) cannot connect; both versions are deprecated (RFC 8996).",
    "Enable TLS 1.2 on the server (Windows 7/2008 R2: install KB3080079 and set the SCHANNEL TLS 1.2 Server keys; later versions: check SCHANNEL\\Protocols registry keys and IIS Crypto-style hardening), then disable TLS 1.0/1.1.";
    TLS_LEGACY_ENABLED = "tls-legacy-enabled", Warning, "TLS 1.0/1.1 still enabled",
    "The listener still accepts TLS 1.0 or 1.1 next to TLS 1.2 or 1.3. Both are deprecated (RFC 8996) and flagged by audits.",
    "Disable TLS 1.0 and 1.1 in SCHANNEL (HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols) once all clients support TLS 1.2.";
    WEAK_CIPHER_SUITES = "weak-cipher-suites", Warning, "Weak TLS cipher suites accepted",
    "The listener accepts cipher suites graded weak (RC4, 3DES, export, NULL, anonymous, or CBC with SHA-1 at TLS 1.0).",
    "Remove the weak suites from the server's cipher suite order (Group Policy: SSL Cipher Suite Order, or the SCHANNEL registry keys).";
    CERT_EXPIRED = "cert-expired", Critical, "The certificate has expired",
    "The listener's TLS certificate is past its notAfter date. Clients warn or refuse to connect ('the certificate has expired').",
    "Renew the certificate (for the default self-signed one: delete it from the 'Remote Desktop' certificate store and restart Remote Desktop Services; for an issued one: re-enrol and re-bind it to the listener).";
    CERT_NOT_YET_VALID = "cert-not-yet-valid", Critical, "The certificate is not yet valid",
    "The certificate's notBefore date is in the future: the server's clock or the certificate's dates are wrong.",
    "Check the clock of the server (and of the CA); re-issue the certificate with correct dates.";
    CERT_EXPIRING_SOON = "cert-expiring-soon", Warning, "The certificate expires soon",
    "The listener's certificate expires within 30 days.",
    "Renew the certificate before it expires (auto-enrolment for RDP certificates: Group Policy 'Server authentication certificate template').";
    CERT_SELF_SIGNED = "cert-self-signed", Warning, "Self-signed certificate",
    "The listener presents a self-signed certificate (Windows creates one by default). Clients cannot verify the server's identity and show a warning that users learn to click away, which makes man-in-the-middle attacks easy.",
    "Issue the listener a certificate from a CA the clients trust (Group Policy 'Server authentication certificate template', or set SSLCertificateSHA1Hash on the RDP-Tcp listener).";
    CERT_NAME_MISMATCH = "cert-name-mismatch", Warning, "Certificate name does not match",
    "The certificate does not name the host the client connects to (neither in its Subject Alternative Names nor, without SANs, in its CN). Clients warn that the certificate is for another computer.",
    "Connect with the name in the certificate, or issue a certificate that names every host name and alias clients use.";
    CERT_WEAK_KEY = "cert-weak-key", Warning, "Weak certificate key",
    "The certificate's key is too small (RSA below 2048 bits, EC below 256 bits). Modern TLS stacks refuse such keys.",
    "Issue a certificate with an RSA key of at least 2048 bits (or EC P-256).";
    CERT_WEAK_SIGNATURE = "cert-weak-signature", Warning, "Weak certificate signature algorithm",
    "The certificate is signed with MD5 or SHA-1, which modern clients reject.",
    "Re-issue the certificate with a SHA-256 (or better) signature.";
    CERT_NO_SERVER_AUTH = "cert-no-server-auth", Warning, "Certificate not valid for server authentication",
    "The certificate has an Extended Key Usage extension without Server Authentication, so clients reject it for TLS.",
    "Issue a certificate whose Extended Key Usage includes Server Authentication (1.3.6.1.5.5.7.3.1).";
    ENCRYPTION_NONE = "encryption-none", Critical, "Standard RDP Security without encryption",
    "Under Standard RDP Security the server uses encryption level None: the session travels in clear.",
    "Set the Encryption Level to High (Group Policy: Set client connection encryption level), or better require TLS (Security Layer = SSL).";
    ENCRYPTION_LEVEL_LOW = "encryption-level-low", Warning, "Encryption level Low",
    "Under Standard RDP Security the encryption level is Low: only data from client to server is encrypted (40/56-bit), the server's screen travels in clear.",
    "Set the Encryption Level to High (Group Policy: Set client connection encryption level = High Level), or require TLS.";
    WEAK_RDP_ENCRYPTION = "weak-rdp-encryption", Warning, "Weak RDP encryption methods accepted",
    "The server uses 40-bit or 56-bit RC4 for Standard RDP Security when a client offers it (Client Compatible level). Critical when it forces 40/56-bit even on a client that offers only stronger methods (xrdp at crypt_level low/medium, or a server whose level says so): every client then gets the weak keys.",
    "Set the Encryption Level to High (128-bit) or FIPS, or require TLS (Security Layer = SSL).";
    FIPS_REQUIRED = "fips-required", Info, "FIPS encryption required",
    "The encryption level is FIPS Compliant: only clients that support FIPS 140 methods (3DES/SHA-1 for Standard RDP Security, FIPS TLS suites) can connect; older or non-Windows clients may fail.",
    "Nothing to change unless clients fail: then check the 'System cryptography: Use FIPS compliant algorithms' policy on the server.";
    FIPS_NOT_MANDATED = "fips-not-mandated", Info, "FIPS offered but not mandated",
    "The server uses FIPS methods when a client offers them, but accepts other methods too (the encryption level is not FIPS).",
    "If FIPS is a requirement, set the Encryption Level to FIPS Compliant.";
    SERVER_CERT_INVALID = "server-cert-invalid", Warning, "Standard RDP Security certificate does not verify",
    "The proprietary server certificate in the MCS Connect Response does not verify against the Terminal Services signing key: it is corrupt, or someone in the path replaced it.",
    "Regenerate the server's Terminal Services key (delete the certificate under HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService\\Parameters and restart), and check for a man-in-the-middle.";
    LISTENER_CLOSES_AFTER_MCS = "listener-closes-after-mcs", Critical, "The server drops the connection at the MCS stage",
    "Negotiation succeeded, but the server closed or reset the connection after the MCS Connect Initial (or never answered it). Servers at their connection limit, with a licensing problem, or refusing the client's settings behave this way; clients fail right after 'Configuring remote session'.",
    "Check the connection limits (Group Policy 'Limit number of connections', RD Session Host licensing), the TermService and RemoteDesktopServices event logs, and the Encryption Level / Security Layer settings against what clients support.";
    PROXY_FAILED = "proxy-failed", Critical, "The proxy failed",
    "The SOCKS5 proxy given with --proxy did not connect us: it refused our authentication or method, or answered with an error. Nothing is known about the target itself.",
    "Check the proxy address, its credentials (socks5://user:pass@host:port) and that it allows CONNECT to the target.";
    LEGACY_SERVER = "legacy-server", Warning, "Server predates RDP security negotiation",
    "The server answers without negotiation data, like Windows 2000, XP and Server 2003 before SP1: only Standard RDP Security, no TLS, no NLA.",
    "Upgrade the server, or at least isolate it; modern clients may refuse to connect to it.";
    STANDARD_RDP_SECURITY_ONLY = "standard-rdp-security-only", Critical, "Only Standard RDP Security (man-in-the-middle)",
    "The server accepts only Standard RDP Security (Security Layer = RDP). Its server authentication uses a proprietary key signed with a key published in the specification, so anyone in the path can impersonate the server and read the session; clients that require NLA or TLS cannot connect.",
    "Set the Security Layer to Negotiate or SSL (Group Policy: Require use of specific security layer for remote (RDP) connections) and install a certificate for the listener.";
    RDP_SECURITY_ALLOWED = "rdp-security-allowed", Warning, "Standard RDP Security still allowed",
    "The server accepts TLS or CredSSP but still allows Standard RDP Security when a client asks for it (Security Layer = Negotiate). A man-in-the-middle can downgrade clients to it.",
    "Set the Security Layer to SSL (Group Policy: Require use of specific security layer for remote (RDP) connections = SSL) once all clients support TLS.";
    NLA_NOT_REQUIRED = "nla-not-required", Warning, "Network Level Authentication not required",
    "Clients can open a session without authenticating first (CredSSP/NLA). The logon screen and a session are created for anyone who connects: pre-authentication resource exhaustion, and exposure of pre-auth bugs such as BlueKeep (CVE-2019-0708).",
    "Require NLA: System Properties > Remote > 'Allow connections only from computers running Remote Desktop with Network Level Authentication', or Group Policy 'Require user authentication for remote connections by using Network Level Authentication'.";
    NLA_REQUIRED = "nla-required", Info, "Network Level Authentication required",
    "The server requires CredSSP (NLA): clients must authenticate before a session is created. Clients without NLA support (very old ones, some thin clients) cannot connect.",
    "Nothing to change; if old clients must connect, update them rather than disabling NLA.";
    NEGOTIATION_DOWNGRADE = "negotiation-downgrade", Info, "Server selected a protocol that was not requested",
    "For some requests the server selected a security protocol the client did not ask for (xrdp selects Standard RDP Security for requests it does not support instead of refusing). Strict clients abort such connections.",
    "Nothing to change on Windows; for xrdp this is its known behaviour.";
    LISTENER_REFUSES_ALL = "listener-refuses-all", Critical, "The listener refuses every security protocol",
    "Every X.224 Connection Request was answered with an RDP_NEG_FAILURE (or a mix of failures and disconnects): no request, TLS and CredSSP included, is accepted, so no client can connect. Windows does this when the Security Layer demands something its own configuration cannot give (e.g. SSL required with no usable certificate); FreeRDP's server when started with /sec:ext alone or contradicting /sec flags.",
    "Make the listener accept at least TLS with CredSSP: on Windows check SecurityLayer and UserAuthentication under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp and that the listener has a certificate; restart Remote Desktop Services.";
    SERVER_KEY_WEAK = "server-key-weak", Critical, "Weak Standard RDP Security server key",
    "The RSA key of the server certificate sent for Standard RDP Security (proprietary or X.509, MS-RDPBCGR 2.2.1.4.3) is shorter than 2048 bits. The client encrypts the session's client random with it: anyone who factors the key (512 bits: hours on a laptop; 1024 bits: within reach of well-funded attackers) and records a session recovers its keys. Critical below 1024 bits, a warning below 2048.",
    "Require TLS (Security Layer = SSL) so Standard RDP Security is not used; on servers that must keep it, replace the key with one of at least 2048 bits.";
    TLS13_ONLY = "tls13-only", Warning, "Only TLS 1.3 accepted",
    "The listener accepts TLS 1.3 and no earlier version. Clients without TLS 1.3 (Windows 10 and Server 2019 mstsc, FreeRDP built against OpenSSL older than 1.1.1, many thin clients) cannot connect.",
    "Also enable TLS 1.2 on the listener (SCHANNEL Protocols\\TLS 1.2\\Server Enabled=1) unless every client is known to speak TLS 1.3.";
    LOOPBACK_ENCRYPTION_OFF = "loopback-encryption-off", Info, "Encryption off for a loopback client (FreeRDP server)",
    "FreeRDP's server turns Standard RDP Security encryption off for a client whose address is exactly 127.0.0.1 or ::1, so a probe from there sees encryption level None. A remote client gets the configured level; this is not the server's setting.",
    "Nothing to change on the server. To see what remote clients get, probe from another address (`rdp-probe --source 127.0.0.2 ...` on the same machine, or from another host).";
    CREDENTIALS_NOT_TESTED = "credentials-not-tested", Info, "Credentials given but not tested",
    "Credentials were given with --user, but no CredSSP (NLA) exchange reached the logon, so they were not checked (see nla.auth.reason): the server has no NLA, the NLA step failed or was skipped.",
    "Nothing to change for the probe; on a server without NLA the credentials are checked at the logon screen, after the connection, which rdp-probe does not reach.";
    WINDOWS_END_OF_LIFE = "windows-end-of-life", Critical, "Windows release past end of support",
    "The server identifies as a Windows release that Microsoft no longer supports: past the end of extended support (the last security update), judged against the probe date and rdp-probe's release table (`identification` in the report says which facts named the release). Pre-authentication flaws of the RDP stack, such as BlueKeep (CVE-2019-0708, Windows XP to Server 2008 R2) and DejaBlue (CVE-2019-1181/1182), stay open on any release that missed their fix, and new ones will not be fixed. Critical when the listener lets clients in without Network Level Authentication or predates security negotiation (anyone who reaches the port reaches that code); a warning when NLA is required (an attacker needs valid credentials first). rdp-probe judges this passively: it never binds the MS_T120 channel nor sends anything a stock client would not.",
    "Upgrade the server to a supported release (Windows Server 2022 or 2025, a current Windows 11), or enrol it in Extended Security Updates while Microsoft offers them. Until then require NLA (Group Policy 'Require user authentication for remote connections by using Network Level Authentication'), keep the RDP port off the Internet (VPN or RD Gateway), and install the last updates the release received (BlueKeep: KB4499175 / KB4500331).";
    NEGOTIATION_FLAG_0X20 = "negotiation-flag-0x20", Info, "Undocumented RDP_NEG_RSP flag 0x20 (Windows Server 2025 / Windows 11 24H2)",
    "The server's RDP Negotiation Response sets flag 0x20 (`undocumented_0x20_windows_2025` in negotiation.flags). MS-RDPBCGR 2.2.1.2.1 defines the bits 0x01 to 0x10 only; 0x20 is not documented there, and no public source names it or says what it announces. It is seen on Windows Server 2025 and Windows 11 24H2 (build 26100), which answer flags 0x2f or 0x3f where earlier releases answer 0x0f or 0x1f (nmap pull request 3485, answers captured from several unrelated hosts). rdp-probe names the bit by the releases that set it and uses it only as identification evidence (build 26100 or later); clients ignore bits they do not know.",
    "Nothing to change: the bit is the server's own announcement, not a setting. It tells which Windows release answered; `identification` in the report weighs it with the other facts.";
    SERVER_CHAIN_BROKEN = "server-chain-broken", Critical, "The server's X.509 certificate chain is broken",
    "The X.509 certificate chain in the MCS Connect Response (the Terminal Server licensing certificates, MS-RDPBCGR 5.3.3.2: root first, the server's certificate last) does not hold together: a certificate is not signed by the one before it, or its issuer is not that certificate's subject. Clients using Standard RDP Security reject such a chain ('Because of a security error, the client could not connect to the remote computer'); a corrupt registry copy of the certificates is the usual cause.",
    "Back up, then delete the values Certificate, X509 Certificate and X509 Certificate ID under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM (regedit: export the key first), restart the server so Remote Desktop Services creates new ones, then reactivate the license server (RD Licensing Manager: right-click the server > Advanced > Reactivate Server) so it issues a new chain.";
    SERVER_CHAIN_UNVERIFIABLE = "server-chain-unverifiable", Warning, "The server's X.509 certificate chain cannot be verified",
    "A certificate of the X.509 chain in the MCS Connect Response cannot be parsed, carries a key that is not RSA, or is signed with an algorithm rdp-probe cannot check, so the chain from the license server to the server's key is unproven. Clients may reject it.",
    "Back up, then delete the values Certificate, X509 Certificate and X509 Certificate ID under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM (regedit: export the key first), restart the server so Remote Desktop Services creates new ones, then reactivate the license server (RD Licensing Manager: right-click the server > Advanced > Reactivate Server) so it issues a new chain.";
    SERVER_CHAIN_EXPIRED = "server-chain-expired", Warning, "The server's X.509 certificate chain has expired",
    "A certificate of the X.509 chain in the MCS Connect Response (the Terminal Server licensing certificates) is past its notAfter date, or not yet valid, at the probe date. Clients that check validity refuse it, and licensing built on it fails.",
    "Back up, then delete the values Certificate, X509 Certificate and X509 Certificate ID under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM (regedit: export the key first), restart the server so Remote Desktop Services creates new ones, then reactivate the license server (RD Licensing Manager: right-click the server > Advanced > Reactivate Server) so it issues a new chain.";
    SERVER_CHAIN_WEAK_KEY = "server-chain-weak-key", Warning, "Weak key or signature in the server's X.509 chain",
    "A certificate that signs the next one in the X.509 chain of the MCS Connect Response has an RSA key under 2048 bits, or a certificate of the chain is signed with MD5 or SHA-1. Whoever factors that key or forges such a signature can issue a chain for any server key (the server's own key is judged by server-key-weak).",
    "Require TLS (Security Layer = SSL) so Standard RDP Security and its chain are not used. To renew the chain: back up, then delete the values Certificate, X509 Certificate and X509 Certificate ID under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM, restart the server, then reactivate the license server (RD Licensing Manager > Advanced > Reactivate Server).";
    CERT_MISSING_ON_SERVER = "cert-missing-on-server", Critical, "The listener has no usable certificate",
    "The server refused TLS with SSL_CERT_NOT_ON_SERVER, or TLS was selected but the handshake failed: the listener's certificate is missing, unreadable, or its private key is inaccessible ('the certificate may be corrupted').",
    "Re-create or re-select the listener's certificate (Remote Desktop Configuration, or delete the self-signed certificate in the 'Remote Desktop' store and restart TermService), and check the private key's permissions (NETWORK SERVICE needs read access).";
    SESSION_LICENSING_ERROR = "session-licensing-error", Critical, "Remote Desktop licensing refuses the client",
    "A full client connection (--session) got a licensing error from the server instead of 'valid client' (MS-RDPBCGR 2.2.1.12): the RD Session Host cannot issue or find a Client Access License, so clients are disconnected during logon with a licensing message.",
    "Check RD Licensing: the license server must be activated and reachable from the RD Session Host, the licensing mode (Per User / Per Device) must match the installed RDS CALs, and CALs must be available (RD Licensing Manager, 'licmgr.exe'; Group Policy 'Use the specified Remote Desktop license servers' and 'Set the Remote Desktop licensing mode'). Outside the 120-day grace period a Session Host without a license server refuses every client.";
    SESSION_LICENSING_CHALLENGE = "session-licensing-challenge", Info, "A licensing Platform Challenge rdp-probe could not answer",
    "A full client connection (--session) was answered with a licensing Platform Challenge (MS-RDPELE 2.2.2.4) after its New License Request: an RD Session Host in Per Device licensing mode, with a license server, is about to issue this client a (temporary) license. rdp-probe answers such a challenge as a stock client does (MS-RDPELE 2.2.2.5); this one it could not: the server offered no RSA key to encrypt the licensing premaster secret with (neither in its License Request nor in the Server Security Data), or the challenge's MAC did not verify under the licensing keys (session.stopped says which). The session stops at licensing and says nothing about the logon screen. This is not a refusal: licensing works up to this point.",
    "A server without a usable licensing key, or one whose challenge does not verify, may hold a damaged Terminal Server certificate: if real clients fail here too ('because of a security error'), back up, then delete the values Certificate, X509 Certificate and X509 Certificate ID under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM and restart the server so they are recreated. Otherwise nothing needs fixing; check the CAL count in RD Licensing Manager if clients later fail with 'no licenses available'.";
    SESSION_REFUSED = "session-refused", Critical, "The server refuses the session after the connection",
    "A full client connection (--session) got past MCS, then the server sent a Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1) and disconnected: the ERRINFO code says why (connection limit, denied connection, missing logon right, licensing, ...). A client shows this as 'the remote session was disconnected'.",
    "Act on the ERRINFO code in the summary: for a denied connection check 'Allow remote connections' and the connection limits (RDP-Tcp 'Maximum connections', Group Policy 'Limit number of connections' / 'TS Maximum Connections Allowed'); for insufficient privileges grant 'Allow log on through Remote Desktop Services' or add the user to Remote Desktop Users; for licensing codes fix RD Licensing.";
    SESSION_DROPPED = "session-dropped", Warning, "The server drops a full client before the first screen",
    "A full client connection (--session) was closed by the server during the connection sequence after MCS, without a Set Error Info PDU saying why. Typical causes: a corrupted Terminal Server certificate ('because of a security error, the client could not connect'), a logon check the server makes on Client Info, or a server-side crash.",
    "Check the server's event log (TermService, RemoteDesktopServices-RdpCoreTS) at the time of the probe. If it drops during the security exchange or licensing, delete the corrupted certificate values (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM: Certificate, X509 Certificate, X509 Certificate ID) and restart the server so they are recreated.";
}

/// The long explanation for `rdp-probe explain ID`.
pub fn explain(id: &str) -> Option<&'static FindingInfo> {
    CATALOG.iter().find(|f| f.id == id)
}

fn make(id: &str, summary: String, evidence: &str) -> Finding {
    let info = explain(id);
    Finding {
        id: FindingId::new(id),
        severity: info.map_or(Severity::Warning, |i| i.severity),
        summary,
        remedy: info.map_or_else(String::new, |i| i.remedy.into()),
        evidence: evidence.into(),
    }
}

/// Derives the findings of a report (connection and negotiation level; later layers add theirs).
pub fn analyze(r: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    let addr = r.address.as_deref().unwrap_or(&r.target);
    match r.status {
        Status::DnsError => out.push(make(
            "dns-failure",
            format!("{} does not resolve: {}", r.target, r.error.as_deref().unwrap_or("")),
            "resolve",
        )),
        Status::Refused => out.push(make("tcp-refused", format!("TCP connection to {addr} refused"), "connect")),
        Status::Timeout if matches!(r.error_phase, Some(Phase::Connect) | Some(Phase::Resolve)) => {
            out.push(make("tcp-timeout", format!("no answer to TCP connect to {addr}"), "connect"))
        }
        Status::Timeout => out.push(make(
            "listener-silent",
            format!("{addr} accepts TCP but sent no X.224 Connection Confirm before the deadline"),
            "read_cc",
        )),
        Status::Reset => out.push(make(
            "listener-closes-connection",
            format!("{addr} closed the connection after the X.224 Connection Request"),
            r.error_phase.map_or("read_cc", |p| p.as_str()),
        )),
        Status::NotRdp => {
            let kind = r.service.as_ref().map_or("unknown", |s| s.kind.as_str());
            let banner = r.service.as_ref().map_or("", |s| s.banner.as_str());
            out.push(make(
                "port-served-by-other-service",
                format!(
                    "{addr} is served by {} ({kind}): {banner}",
                    crate::steps::negotiation::service_description(kind)
                ),
                "read_cc",
            ));
        }
        Status::Error => {
            if let Some(e) = &r.error {
                if r.error_kind == Some(ErrorKind::Proxy) {
                    out.push(make("proxy-failed", format!("{addr}: {e}"), "connect"));
                } else if r.error_kind == Some(ErrorKind::Unreachable) {
                    out.push(make("host-unreachable", format!("{addr}: {e}"), "connect"));
                } else {
                    out.push(make(
                        "not-rdp-protocol-error",
                        format!("{addr}: {e}"),
                        r.error_phase.map_or("read_cc", |p| p.as_str()),
                    ));
                }
            }
        }
        _ => {}
    }
    let moved: Vec<String> =
        r.alternative_ports.iter().filter(|p| p.status == Status::Rdp).map(|p| p.port.to_string()).collect();
    if !moved.is_empty() {
        out.push(make(
            "rdp-on-other-port",
            format!("RDP answers on port(s) {} of this host", moved.join(", ")),
            "find_ports",
        ));
    }
    if let Some(n) = &r.negotiation {
        if n.legacy {
            out.push(make("legacy-server", "Connection Confirm carries no negotiation data".into(), "negotiation"));
        }
        match (n.security_layer, n.nla) {
            (Some(SecurityLayer::Rdp), _) => out.push(make(
                "standard-rdp-security-only",
                format!("only Standard RDP Security accepted ({})", n.summary),
                "negotiation",
            )),
            (Some(SecurityLayer::Negotiate), _) => out.push(make(
                "rdp-security-allowed",
                "a request for Standard RDP Security (0x0) is accepted next to TLS/CredSSP".into(),
                "negotiation: requestedProtocols 0x0",
            )),
            _ => {}
        }
        // Every request answered with a disconnect (X.224 DR, MCS Disconnect-Provider-Ultimatum)
        // or a closed connection: an RDP listener that refuses everyone, as at its connection
        // limit. Nothing is accepted, so nothing can be said about NLA either.
        let accepted =
            n.protocols.values().any(|v| matches!(v, ProtocolVerdict::Accepted | ProtocolVerdict::NoNegotiation));
        let all_closed = !n.protocols.is_empty() && n.protocols.values().all(|v| *v == ProtocolVerdict::Closed);
        if r.status == Status::Rdp && !accepted && all_closed {
            out.push(make(
                "listener-closes-connection",
                format!("{addr} answered every X.224 Connection Request with a disconnect"),
                "negotiation",
            ));
        } else if r.status == Status::Rdp
            && !accepted
            && !n.legacy
            && !n.attempts.is_empty()
            // SSL_CERT_NOT_ON_SERVER to everything: cert-missing-on-server names the cause.
            && !n.attempts.iter().all(|a| matches!(a.answer, Answer::Failure { code_value: 3, .. }) || a.requested_value > crate::steps::negotiation::FULL_REQUEST)
        {
            let answers: Vec<String> = n
                .attempts
                .iter()
                .filter(|a| a.with_neg_req)
                .map(|a| {
                    let what = match &a.answer {
                        Answer::Failure { code, .. } => code.to_uppercase(),
                        Answer::Selected { protocol, .. } => format!("selected {protocol}"),
                        other => other.verdict_for("").replace("downgraded_to_", ""),
                    };
                    format!("{:#x} {what}", a.requested_value)
                })
                .collect();
            out.push(make(
                "listener-refuses-all",
                format!("no request was accepted: {}", answers.join(", ")),
                "negotiation: every request of the plan",
            ));
        }
        match n.nla {
            Some(NlaRequirement::Offered) => out.push(make(
                "nla-not-required",
                "CredSSP is accepted but not required: requests without it are accepted too".into(),
                "negotiation",
            )),
            Some(NlaRequirement::NotSupported) if r.status == Status::Rdp && accepted => {
                out.push(make("nla-not-required", "CredSSP (NLA) is not supported at all".into(), "negotiation"))
            }
            Some(NlaRequirement::Required) => {
                out.push(make("nla-required", "requests without CredSSP are refused".into(), "negotiation"))
            }
            _ => {}
        }
        if !n.mismatches.is_empty() {
            out.push(make("negotiation-downgrade", n.mismatches.join("; "), "negotiation"));
        }
        // RDP_NEG_RSP flag 0x20: undocumented in 2.2.1.2.1, set by build 26100 and later.
        let flags = n.flags_value.or_else(|| {
            n.attempts.iter().find_map(|a| match &a.answer {
                Answer::Selected { flags_value, .. } => Some(*flags_value),
                _ => None,
            })
        });
        if let Some(fl) = flags.filter(|f| f & 0x20 != 0) {
            out.push(make(
                "negotiation-flag-0x20",
                format!(
                    "RDP_NEG_RSP flags {fl:#04x} include the undocumented bit 0x20, set by Windows Server 2025 / Windows 11 24H2"
                ),
                "negotiation: RDP_NEG_RSP flags",
            ));
        }
        let cert_missing = n.attempts.iter().any(|a| matches!(&a.answer, Answer::Failure { code_value: 3, .. }));
        if cert_missing {
            out.push(make(
                "cert-missing-on-server",
                "the server answered SSL_CERT_NOT_ON_SERVER to a TLS request".into(),
                "negotiation",
            ));
        }
    }
    if let Some(tls) = &r.tls {
        tls_findings(tls, &mut out);
    }
    if let Some(nla) = &r.nla {
        nla_findings(nla, &mut out);
    }
    if let Some(mcs) = &r.mcs {
        mcs_findings(r, mcs, &mut out);
    }
    end_of_life(r, &mut out);
    if let Some(s) = &r.session {
        session_findings(s, &mut out);
    }
    localize_remedies(r.implementation.as_deref(), &mut out);
    sort(&mut out);
    out
}

/// `windows-end-of-life`: the identified Windows release is past its end of extended support at
/// the probe date (the report's `identification`, judged against `probed_at`; no clock read
/// here). Critical when the listener takes clients without NLA or predates negotiation.
fn end_of_life(r: &Report, out: &mut Vec<Finding>) {
    let Some(id) = r.identification.as_ref().filter(|i| i.past_end_of_support()) else { return };
    let Some(eos) = &id.end_of_support else { return };
    let n = r.negotiation.as_ref();
    let legacy = n.is_some_and(|n| n.legacy);
    let nla = n.and_then(|n| n.nla);
    let (severity, exposure) = if legacy {
        (Severity::Critical, "it predates security negotiation (Standard RDP Security only, no NLA): pre-authentication code such as BlueKeep's is reachable by anyone")
    } else {
        match nla {
            Some(NlaRequirement::Offered | NlaRequirement::NotSupported) => (
                Severity::Critical,
                "the listener accepts connections without NLA: pre-authentication code such as BlueKeep's is reachable by anyone",
            ),
            Some(NlaRequirement::Required) => (Severity::Warning, "NLA is required, so an attacker needs valid credentials first"),
            _ => (Severity::Warning, "whether NLA is required is not known"),
        }
    };
    let since = eos.extended.as_deref().or(eos.mainstream.as_deref()).unwrap_or("?");
    let mut f = make(
        "windows-end-of-life",
        format!(
            "{} (confidence {}) has had no security updates since {since} (judged at {}); {exposure}",
            id.name,
            id.confidence.as_str(),
            eos.judged_at.as_deref().unwrap_or("?")
        ),
        &format!("identification: {}", id.evidence.join("; ")),
    );
    f.severity = severity;
    out.push(f);
}

/// What a licensing error code means for the admin (MS-RDPBCGR 2.2.1.12.1.3, in the terms of
/// RD Licensing).
fn licensing_remedy(code: crate::wire::rdp::licensing::LicenseErrorCode) -> Option<&'static str> {
    use crate::wire::rdp::licensing::LicenseErrorCode as C;
    Some(match code {
        C::NoLicenseServer => "No license server answered the RD Session Host: install and activate an RD license server, make it reachable (firewall, domain membership) and name it in 'Use the specified Remote Desktop license servers'.",
        C::NoLicense => "No Client Access License is available: install RDS CALs of the licensing mode the Session Host uses (Per User / Per Device) on the activated license server, or check that the licensing mode matches the CALs.",
        C::InvalidServerCertificate => "The Session Host's licensing certificate is invalid: re-activate the license server and delete the corrupted certificate values (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM: Certificate, X509 Certificate, X509 Certificate ID), then restart the server.",
        C::InvalidClient | C::InvalidProductId | C::InvalidScope => "The license server rejects the client's license: check the licensing mode and the CAL type, and on the client delete the stored license (HKLM\\SOFTWARE\\Microsoft\\MSLicensing) so it requests a new one.",
        _ => return None,
    })
}

/// What an ERRINFO code means for the admin (MS-RDPBCGR 2.2.5.1.1), for the codes a refusal
/// during the connection sequence carries.
fn errinfo_remedy(e: crate::wire::rdp::errinfo::ErrorInfo) -> Option<&'static str> {
    use crate::wire::rdp::errinfo::ErrorInfo as E;
    Some(match e {
        E::ServerDeniedConnection => "The server denied the connection: check 'Allow remote connections to this computer', the connection limits (RDP-Tcp 'Maximum connections', Group Policy 'Limit number of connections' / TS Maximum Connections Allowed) and whether other sessions use all of them.",
        E::ServerInsufficientPrivileges => "The user may not log on remotely: grant 'Allow log on through Remote Desktop Services' (and check 'Deny log on through Remote Desktop Services') or add the user to the Remote Desktop Users group.",
        E::DisconnectedByOtherconnection => "Another connection took over the session: the server allows one session per user or one session in all (Group Policy 'Restrict Remote Desktop Services users to a single Remote Desktop Services session', 'Limit number of connections').",
        E::LicenseNoLicenseServer => "No license server answered the RD Session Host: install and activate an RD license server and name it in 'Use the specified Remote Desktop license servers'.",
        E::LicenseNoLicense => "No Client Access License is available: install RDS CALs of the licensing mode in use (Per User / Per Device) on the activated license server.",
        E::LicenseNoRemoteConnections => "The server is not licensed for remote connections: install RD Session Host licensing (activated license server and CALs) or use the two administrative connections only.",
        _ => return None,
    })
}

/// The session step's findings: licensing errors, refusals with an ERRINFO, and drops without.
fn session_findings(s: &crate::report::SessionReport, out: &mut Vec<Finding>) {
    use crate::report::session::{LicensingAnswer, SessionPhase, StopReason};
    if let Some(LicensingAnswer::Error(code)) = s.licensing {
        let mut f = make(
            "session-licensing-error",
            format!(
                "the server answered licensing with {}{}",
                code.name(),
                s.licensing_state_transition.map(|t| format!(" ({})", t.name())).unwrap_or_default()
            ),
            "session.licensing",
        );
        if let Some(r) = licensing_remedy(code) {
            f.remedy = r.into();
        }
        out.push(f);
    }
    if s.licensing == Some(LicensingAnswer::PlatformChallenge) {
        out.push(make(
            "session-licensing-challenge",
            "the server answered the New License Request with a Platform Challenge that rdp-probe could not answer (no usable server key, or a MAC that does not verify; session.stopped says which)".into(),
            "session.licensing",
        ));
    }
    if let Some(e) = s.error_info {
        let phase = s.stopped.as_ref().map_or_else(|| "the session".to_string(), |st| st.phase.to_string());
        let mut f = make(
            "session-refused",
            format!("Set Error Info {} ({:#x}) during {phase}", e.name(), e.value()),
            "session.error_info",
        );
        if let Some(r) = errinfo_remedy(e) {
            f.remedy = r.into();
        }
        out.push(f);
        return;
    }
    if let Some(st) = &s.stopped {
        let dropped = matches!(st.reason, StopReason::Closed | StopReason::Reset | StopReason::Ultimatum);
        let after_mcs = st.phase >= SessionPhase::Channels;
        if dropped && after_mcs && s.reached != Some(SessionPhase::Graphics) {
            out.push(make(
                "session-dropped",
                format!("the server dropped the session during {} ({})", st.phase, st.detail),
                "session.stopped",
            ));
        }
    }
}

/// Gives each finding the remedy for the server the report identified (xrdp.ini keys, FreeRDP
/// flags, grdctl), where the catalog's Windows text does not apply. A remedy already made
/// specific (an NTSTATUS's) is kept.
pub fn localize_remedies(implementation: Option<&str>, out: &mut [Finding]) {
    let imp = crate::diagnosis::remedies::Implementation::from_report_name(implementation);
    for f in out.iter_mut() {
        let generic = explain(f.id.as_str()).is_some_and(|i| i.remedy == f.remedy);
        if let (true, Some(text)) = (generic, crate::diagnosis::remedies::remedy(f.id.as_str(), imp)) {
            f.remedy = text.into();
        }
    }
}

/// A certificate date as the report spells it (empty when unknown).
fn date(t: Option<crate::report::tls::Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

/// TLS version labels joined with `sep` (`1.0, 1.1`).
fn join(versions: &[TlsVersion], sep: &str) -> String {
    versions.iter().map(ToString::to_string).collect::<Vec<_>>().join(sep)
}

fn tls_findings(tls: &crate::report::TlsReport, out: &mut Vec<Finding>) {
    if let Some(e) = &tls.error {
        // The server refused TLS in the X.224 answer (SSL_CERT_NOT_ON_SERVER): no handshake ran.
        let code3 = e.kind == ErrorKind::ServerRefused && e.phase == Phase::ReadCc;
        // Our own limits (rdp-probe cannot follow TLS 1.0) are not the server's failure.
        if tls.certificate.is_none()
            && !code3
            && !e.client_limitation
            && !out.iter().any(|f| f.id == "cert-missing-on-server")
        {
            let evidence = match &e.server_sent {
                Some(hex) => format!("tls: the server sent {hex} where a TLS ServerHello belongs"),
                None => "tls".into(),
            };
            out.push(make("tls-handshake-failed", format!("{} ({})", e.text, e.attempt), &evidence));
        }
    }
    let on: Vec<TlsVersion> = tls.versions.iter().filter(|(_, v)| **v).map(|(k, _)| *k).collect();
    let legacy: Vec<TlsVersion> = on.iter().copied().filter(|v| v.is_legacy_tls()).collect();
    if on == [TlsVersion::Tls13] {
        out.push(make(
            "tls13-only",
            "only TLS 1.3 accepted (1.0, 1.1 and 1.2 refused): clients without TLS 1.3, such as Windows 10's mstsc, cannot connect".into(),
            "tls versions",
        ));
    }
    if !on.is_empty() && legacy.len() == on.len() {
        out.push(make("tls-legacy-only", format!("only TLS {} accepted", join(&legacy, ", ")), "tls versions"));
    } else if !legacy.is_empty() {
        out.push(make(
            "tls-legacy-enabled",
            format!(
                "TLS {} accepted besides {}",
                join(&legacy, ", "),
                join(&on.iter().filter(|v| !legacy.contains(v)).copied().collect::<Vec<_>>(), ", ")
            ),
            "tls versions",
        ));
    }
    let weak: Vec<String> = tls
        .ciphers
        .iter()
        .flat_map(|(v, list)| {
            list.iter().filter(|c| c.grade == CipherGrade::Weak).map(move |c| format!("{} (TLS {v})", c.name))
        })
        .collect();
    if !weak.is_empty() {
        out.push(make(
            "weak-cipher-suites",
            format!("{} weak suite(s): {}", weak.len(), weak.join(", ")),
            "tls ciphers",
        ));
    }
    if let Some(c) = &tls.certificate {
        let what = format!("certificate {} (SHA-1 {})", c.subject, c.sha1);
        if c.expired {
            out.push(make(
                "cert-expired",
                format!("{what} expired {} ({} days ago)", date(c.not_after), -c.days_until_expiry),
                "tls certificate",
            ));
        } else if c.not_yet_valid {
            out.push(make(
                "cert-not-yet-valid",
                format!("{what} is valid only from {}", date(c.not_before)),
                "tls certificate",
            ));
        } else if c.days_until_expiry < 30 {
            out.push(make(
                "cert-expiring-soon",
                format!("{what} expires {} (in {} days)", date(c.not_after), c.days_until_expiry),
                "tls certificate",
            ));
        }
        if c.self_signed || (c.self_issued && tls.chain.len() <= 1) {
            out.push(make("cert-self-signed", format!("{what} is self-signed"), "tls certificate"));
        }
        if c.hostname_match == Some(false) {
            out.push(make(
                "cert-name-mismatch",
                format!(
                    "{what} does not name {:?} (SANs: {})",
                    c.checked_name.as_deref().unwrap_or("?"),
                    if c.sans.is_empty() { "none".to_string() } else { c.sans.join(", ") }
                ),
                "tls certificate",
            ));
        }
        let weak_key = match (c.key_type.as_str(), c.key_bits) {
            ("rsa", Some(b)) | ("dsa", Some(b)) => b < 2048,
            ("ec", Some(b)) => b < 256,
            _ => false,
        };
        if weak_key {
            out.push(make(
                "cert-weak-key",
                format!("{what} has a {}-bit {} key", c.key_bits.unwrap_or(0), c.key_type.to_uppercase()),
                "tls certificate",
            ));
        }
        let sig = c.signature_algorithm.to_ascii_lowercase();
        if sig.contains("md5") || sig.contains("sha1") {
            out.push(make(
                "cert-weak-signature",
                format!("{what} is signed with {}", c.signature_algorithm),
                "tls certificate",
            ));
        }
        if !c.extended_key_usage.is_empty() && !c.server_auth {
            out.push(make(
                "cert-no-server-auth",
                format!("{what} EKU: {}", c.extended_key_usage.join(", ")),
                "tls certificate",
            ));
        }
    }
}

/// Whether the probe's connections came from exactly 127.0.0.1 or ::1: FreeRDP's server turns
/// Standard RDP Security encryption off for such clients (TARGETS.md; FreeRDP
/// `freerdp_peer_is_local`-style check), which is not what remote clients see.
fn from_exact_loopback(r: &Report) -> bool {
    r.source
        .as_deref()
        .and_then(|s| s.parse::<std::net::SocketAddr>().ok())
        .is_some_and(|a| a.ip() == std::net::IpAddr::from([127, 0, 0, 1]) || a.ip() == std::net::Ipv6Addr::LOCALHOST)
}

fn mcs_findings(r: &Report, m: &crate::report::McsReport, out: &mut Vec<Finding>) {
    let standard = m.transport == Some(Transport::Tcp);
    if let Some(e) = &m.error {
        let dropped = e.kind.is_some_and(ErrorKind::dropped);
        if e.phase == Phase::Mcs && dropped {
            out.push(make(
                "listener-closes-after-mcs",
                format!("after the MCS Connect Initial: {}", e.detail),
                "mcs: Connect Initial / Connect Response",
            ));
        }
    }
    let freerdp = r.implementation.as_deref().is_some_and(|i| i.starts_with("FreeRDP"));
    let loopback_artefact =
        standard && freerdp && from_exact_loopback(r) && m.encryption_level == Some(EncryptionLevel::None);
    if loopback_artefact {
        out.push(make(
            "loopback-encryption-off",
            format!(
                "encryption level None seen from {}: FreeRDP's server turns encryption off for clients at 127.0.0.1/::1; probe with --source 127.0.0.2 (or from another host) to see the configured level",
                r.source.as_deref().unwrap_or("127.0.0.1")
            ),
            "mcs: SC_SECURITY",
        ));
    }
    match m.encryption_level {
        Some(EncryptionLevel::None) if standard && !loopback_artefact => out.push(make(
            "encryption-none",
            "Standard RDP Security with encryption level None: the session is not encrypted".into(),
            "mcs: SC_SECURITY",
        )),
        Some(EncryptionLevel::Low) => out.push(make(
            "encryption-level-low",
            "encryption level Low (client-to-server only)".into(),
            "mcs: SC_SECURITY",
        )),
        Some(EncryptionLevel::Fips) => {
            out.push(make("fips-required", "encryption level FIPS Compliant".into(), "mcs: SC_SECURITY"))
        }
        _ => {}
    }
    // Answers below what was offered: a client offering only 128-bit (or FIPS) that gets 40/56-bit.
    let forced: Vec<String> = m
        .method_answers
        .iter()
        .filter_map(|(offered, a)| {
            let got = a.method?;
            let (o, g) = (offered.rank()?, got.rank()?);
            (o >= 3 && (g == 1 || g == 2)).then(|| format!("answers {got} to a client offering only {offered}"))
        })
        .collect();
    let weak: Vec<EncryptionMethod> = [EncryptionMethod::Bit40, EncryptionMethod::Bit56]
        .into_iter()
        .filter(|k| m.method_answers.get(k).and_then(|a| a.method) == Some(*k))
        .collect();
    let weak_selected = m.selected_method.filter(|s| matches!(s, EncryptionMethod::Bit40 | EncryptionMethod::Bit56));
    if standard && !forced.is_empty() {
        let mut f = make(
            "weak-rdp-encryption",
            format!(
                "forces {} even on clients that offer only 128-bit: {}",
                weak_selected.map_or_else(|| "40/56-bit".to_string(), |s| s.to_string()),
                forced.join("; ")
            ),
            "mcs: one Connect Initial per method",
        );
        f.severity = Severity::Critical;
        out.push(f);
    } else if standard && (!weak.is_empty() || weak_selected.is_some()) {
        let mut what: Vec<String> = weak.iter().map(|w| format!("answers {w} when offered {w}")).collect();
        if let Some(s) = weak_selected {
            what.push(format!("chooses {s} when offered every method"));
        }
        out.push(make("weak-rdp-encryption", what.join("; "), "mcs: one Connect Initial per method"));
    }
    if m.encryption_methods.get(&EncryptionMethod::Fips) == Some(&true)
        && m.encryption_level != Some(EncryptionLevel::Fips)
    {
        out.push(make(
            "fips-not-mandated",
            format!(
                "FIPS used when offered, but level is {}",
                m.encryption_level.map_or_else(|| "?".to_string(), |l| l.to_string())
            ),
            "mcs",
        ));
    }
    if let Some(c) = &m.server_certificate {
        chain_findings(r, c, out);
        if c.signature_valid == Some(false) {
            out.push(make(
                "server-cert-invalid",
                format!("{} certificate signature does not verify", c.kind),
                "mcs: SC_SECURITY",
            ));
        }
        if let Some(bits) = c.key_bits.filter(|b| *b < 2048) {
            let mut f = make(
                "server-key-weak",
                format!(
                    "the Standard RDP Security server key ({} certificate) has {bits} bits{}",
                    c.kind,
                    if bits < 1024 {
                        ": a passive attacker who factors it recovers the session keys of recorded sessions"
                    } else {
                        ", below the 2048 bits recommended"
                    }
                ),
                "mcs: SC_SECURITY server certificate",
            );
            if bits >= 1024 {
                f.severity = Severity::Warning;
            }
            out.push(f);
        }
    }
}

/// The X.509 chain of SC_SECURITY (Windows licensing certificates, MS-RDPBCGR 5.3.3.2): broken
/// links, links that cannot be checked, validity at the probe date, weak issuing keys and
/// MD5/SHA-1 signatures (the server's own key: `server-key-weak`).
fn chain_findings(r: &Report, c: &crate::report::mcs::ServerCertificateReport, out: &mut Vec<Finding>) {
    if c.kind != "x509" || c.chain.is_empty() {
        return;
    }
    let n = c.chain.len();
    let label = |i: usize, s: &crate::report::mcs::X509Summary| {
        let who = if s.subject.is_empty() { "unparsable".to_string() } else { s.subject.clone() };
        format!("certificate {}/{n} ({who})", i + 1)
    };
    let evidence = "mcs: SC_SECURITY X.509 certificate chain";
    let mut broken = Vec::new();
    let mut unverifiable = Vec::new();
    let mut dates = Vec::new();
    let mut weak = Vec::new();
    let now = r.probed_at.as_deref().and_then(crate::diagnosis::identify::timestamp_of);
    for (i, s) in c.chain.iter().enumerate() {
        let who = label(i, s);
        if let Some(e) = &s.error {
            unverifiable.push(format!("{who} does not parse: {e}"));
            continue;
        }
        if s.signature_valid == Some(false) {
            broken.push(format!(
                "{who}: the signature ({}) does not verify with the issuer's key",
                s.signature_algorithm
            ));
        }
        if s.issued_by_previous == Some(false) {
            broken.push(format!("{who}: issuer {} is not the subject of the certificate before it", s.issuer));
        }
        if i > 0 && s.signature_valid.is_none() {
            unverifiable.push(format!(
                "{who}: signature not checked ({})",
                s.signature_check.as_deref().unwrap_or("unknown reason")
            ));
        }
        if let Some(now) = now {
            let ts = crate::diagnosis::identify::timestamp_of;
            if ts(&s.not_after).is_some_and(|t| t < now) {
                dates.push(format!("{who} expired {}", s.not_after));
            } else if ts(&s.not_before).is_some_and(|t| t > now) {
                dates.push(format!("{who} is valid only from {}", s.not_before));
            }
        }
        if i + 1 < n && s.key_type.as_deref() == Some("rsa") && s.key_bits.is_some_and(|b| b < 2048) {
            weak.push(format!("{who} signs the next certificate with a {}-bit RSA key", s.key_bits.unwrap_or(0)));
        }
        let sig = s.signature_algorithm.to_ascii_lowercase();
        if !(i == 0 && s.self_issued) && (sig.contains("md5") || sig.contains("sha1")) {
            weak.push(format!("{who} is signed with {}", s.signature_algorithm));
        }
    }
    if c.leaf_is_server_key == Some(false) {
        unverifiable.push("the server's certificate (the last) carries no usable RSA key".into());
    }
    for (id, what) in [
        ("server-chain-broken", broken),
        ("server-chain-unverifiable", unverifiable),
        ("server-chain-expired", dates),
        ("server-chain-weak-key", weak),
    ] {
        if !what.is_empty() {
            out.push(make(id, what.join("; "), evidence));
        }
    }
}

fn nla_findings(nla: &crate::report::NlaReport, out: &mut Vec<Finding>) {
    if let Some(e) = nla.error.as_ref().filter(|e| !e.client_limitation) {
        out.push(make("nla-probe-failed", format!("CredSSP step failed in {}: {}", e.phase.as_str(), e.text), "nla"));
    }
    if let Some(v) = nla.credssp_version {
        if v < 5 {
            out.push(make(
                "credssp-outdated",
                format!("server speaks CredSSP version {v} (< 5)"),
                "nla: TSRequest.version",
            ));
        }
    }
    if let Some(skew) = nla.ntlm.as_ref().and_then(|n| n.clock_skew_s) {
        if skew.abs() > 300.0 {
            let t = nla.ntlm.as_ref().and_then(|n| n.server_time.clone()).unwrap_or_default();
            out.push(make(
                "clock-skew",
                format!("server clock {t} is {skew:+.0} s off ours (Kerberos tolerates 300 s)"),
                "nla: NTLM CHALLENGE timestamp",
            ));
        }
    }
    if let Some(a) = &nla.auth {
        if a.status == crate::report::nla::AuthStatus::NotTested {
            out.push(make(
                "credentials-not-tested",
                format!(
                    "credentials of {} not tested: {}",
                    a.user,
                    a.reason.as_deref().unwrap_or("no CredSSP exchange")
                ),
                "nla: --user",
            ));
        } else if a.accepted {
            out.push(make(
                "credentials-accepted",
                format!("{} authenticated (CredSSP v{})", a.user, a.credssp_version),
                "nla: pubKeyAuth",
            ));
        } else {
            let mut f = make("credentials-rejected", format!("{}: {}", a.user, a.status_text()), "nla: AUTHENTICATE");
            // An NTSTATUS-specific remedy beats the generic one.
            if let (Some(_), Some(rem)) = (a.error_code, &a.remedy) {
                f.remedy = rem.clone();
            } else if let Some(rem) = &a.remedy {
                f.summary = format!("{} — {rem}", f.summary);
            }
            out.push(f);
        }
    }
}

/// Orders findings: most severe first, then by id.
pub fn sort(f: &mut [Finding]) {
    f.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
}

/// Findings for a given kind of client: no common security protocol, no common TLS version,
/// FIPS-only encryption for a client without it.
pub fn client_compatibility(r: &Report, c: crate::diagnosis::client::ClientProfile) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(n) = &r.negotiation else { return out };
    if r.status != Status::Rdp {
        return out;
    }
    let mut accepted: Vec<String> = n
        .protocols
        .iter()
        .filter(|(_, v)| matches!(v, ProtocolVerdict::Accepted | ProtocolVerdict::NoNegotiation))
        .map(|(k, _)| k.name())
        .collect();
    accepted.sort();
    let common: Vec<&str> = c.protocols().iter().copied().filter(|p| accepted.iter().any(|a| a == p)).collect();
    if common.is_empty() && !accepted.is_empty() {
        out.push(make(
            "client-incompatible",
            format!(
                "a {} offers {} but the server accepts only {}",
                c.name(),
                c.protocols().join(", "),
                accepted.join(", ")
            ),
            "negotiation",
        ));
        localize_remedies(r.implementation.as_deref(), &mut out);
        return out;
    }
    // Typed fields, so a build without the `serde` feature gives the same findings.
    if let Some(tls) = r.tls.as_ref() {
        let uses_tls = common.iter().any(|p| *p != "rdp");
        let only_tls = !common.contains(&"rdp");
        let server: Vec<TlsVersion> = tls.versions.iter().filter(|(_, on)| **on).map(|(k, _)| *k).collect();
        let both: Vec<&TlsVersion> = c.tls_versions().iter().filter(|v| server.contains(v)).collect();
        if uses_tls && only_tls && both.is_empty() && !server.is_empty() {
            out.push(make(
                "client-incompatible",
                format!(
                    "a {} speaks TLS {} but the server accepts only TLS {}",
                    c.name(),
                    join(c.tls_versions(), "/"),
                    join(&server, "/")
                ),
                "tls versions",
            ));
        }
    }
    if r.mcs.as_ref().and_then(|m| m.encryption_level) == Some(EncryptionLevel::Fips) && !c.fips() && common == ["rdp"]
    {
        out.push(make(
            "client-incompatible",
            format!("the server requires FIPS encryption, which a {} does not support", c.name()),
            "mcs",
        ));
    }
    localize_remedies(r.implementation.as_deref(), &mut out);
    out
}

/// The worst severity among findings.
pub fn worst(f: &[Finding]) -> Option<Severity> {
    f.iter().map(|x| x.severity).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every id this module makes is a catalog entry (so it has a `FindingId` constant, a
    /// title and an explanation): the ids are typed at the one place they are written.
    #[test]
    fn every_id_made_is_in_the_catalog() {
        let src = include_str!("findings.rs");
        let mut n = 0;
        for part in src.split("make(").skip(1) {
            let Some(rest) = part.trim_start().strip_prefix('"') else { continue };
            let id = rest.split('"').next().unwrap_or_default();
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                continue;
            }
            n += 1;
            assert!(explain(id).is_some(), "make({id:?}) is not in the catalog");
            assert_eq!(FindingId::new(id), FindingId::from(id));
        }
        assert!(n > 40, "only {n} ids found: the scan is broken");
        assert_eq!(FindingId::NLA_NOT_REQUIRED, "nla-not-required");
        assert_eq!(FindingId::new("from-a-newer-version").as_str(), "from-a-newer-version");
    }

    #[test]
    fn catalog_ids_unique_and_complete() {
        let mut ids: Vec<_> = CATALOG.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for f in CATALOG {
            assert!(!f.remedy.is_empty() && !f.explanation.is_empty(), "{}", f.id);
        }
    }

    /// Each licensing error a server sends (MS-RDPBCGR 2.2.1.12.1.3) becomes
    /// `session-licensing-error` with its code and transition and the remedy in RD Licensing's
    /// terms; a Platform Challenge we could not answer is informational, not a refusal.
    #[test]
    fn licensing_answers_to_findings() {
        use crate::report::session::{LicensingAnswer, SessionPhase, SessionReport, StopReason, Stopped};
        use crate::wire::rdp::licensing::{LicenseErrorCode as C, StateTransition};
        let with = |s: SessionReport| Report { status: Status::Rdp, session: Some(s), ..Report::default() };
        for (code, remedy_has) in [
            (C::NoLicenseServer, "activate an RD license server"),
            (C::NoLicense, "RDS CALs"),
            (C::InvalidServerCertificate, "X509 Certificate"),
            (C::InvalidClient, "MSLicensing"),
            (C::InvalidProductId, "licensing mode"),
            (C::InvalidScope, "licensing mode"),
            (C::InvalidMac, "must match the installed RDS CALs"),
        ] {
            let f = analyze(&with(SessionReport {
                licensing: Some(LicensingAnswer::Error(code)),
                licensing_state_transition: Some(StateTransition::TotalAbort),
                stopped: Some(Stopped {
                    phase: SessionPhase::Licensing,
                    reason: StopReason::LicensingError,
                    detail: "x".into(),
                }),
                ..SessionReport::default()
            }));
            let l = f.iter().find(|f| f.id == FindingId::SESSION_LICENSING_ERROR).expect("licensing finding");
            assert_eq!(l.severity, Severity::Critical);
            assert!(l.summary.contains(&code.name()) && l.summary.contains("total_abort"), "{}", l.summary);
            assert!(l.remedy.contains(remedy_has), "{}: {}", code.name(), l.remedy);
        }
        let f = analyze(&with(SessionReport {
            licensing: Some(LicensingAnswer::PlatformChallenge),
            stopped: Some(Stopped {
                phase: SessionPhase::Licensing,
                reason: StopReason::LicensingUnsupported,
                detail: "x".into(),
            }),
            ..SessionReport::default()
        }));
        let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
        assert!(ids.contains(&"session-licensing-challenge"), "{ids:?}");
        assert!(!ids.contains(&"session-licensing-error") && !ids.contains(&"session-dropped"), "{ids:?}");
        let c = f.iter().find(|f| f.id.as_str() == "session-licensing-challenge").unwrap();
        assert_eq!(c.severity, Severity::Info);
    }

    #[test]
    fn session_findings_name_the_cause() {
        use crate::report::session::{LicensingAnswer, SessionPhase, SessionReport, StopReason, Stopped};
        use crate::wire::rdp::errinfo::ErrorInfo;
        use crate::wire::rdp::licensing::LicenseErrorCode;
        let with = |s: SessionReport| Report { status: Status::Rdp, session: Some(s), ..Report::default() };
        let stopped = |phase, reason| Some(Stopped { phase, reason, detail: "x".into() });
        let f = analyze(&with(SessionReport {
            licensing: Some(LicensingAnswer::Error(LicenseErrorCode::NoLicenseServer)),
            stopped: stopped(SessionPhase::Licensing, StopReason::LicensingError),
            ..SessionReport::default()
        }));
        let l = f.iter().find(|f| f.id == "session-licensing-error").unwrap();
        assert!(l.summary.contains("no_license_server") && l.remedy.contains("activate"), "{l:?}");
        let f = analyze(&with(SessionReport {
            error_info: Some(ErrorInfo::ServerInsufficientPrivileges),
            stopped: stopped(SessionPhase::Finalization, StopReason::ErrorInfo),
            ..SessionReport::default()
        }));
        let r = f.iter().find(|f| f.id == "session-refused").unwrap();
        assert!(r.summary.contains("server_insufficient_privileges") && r.remedy.contains("Allow log on through"));
        let f = analyze(&with(SessionReport {
            reached: Some(SessionPhase::Finalization),
            stopped: stopped(SessionPhase::Graphics, StopReason::Closed),
            ..SessionReport::default()
        }));
        assert!(f.iter().any(|f| f.id == "session-dropped"));
        // a session that reached the screen, or stopped before MCS, is no finding
        let f = analyze(&with(SessionReport {
            reached: Some(SessionPhase::Graphics),
            stopped: stopped(SessionPhase::Graphics, StopReason::Closed),
            ..SessionReport::default()
        }));
        assert!(!f.iter().any(|f| f.id.as_str().starts_with("session-")));
    }

    #[test]
    fn dropped_at_mcs() {
        let r = mcs_error(ErrorKind::Closed, "connection closed by peer after 0 bytes");
        let f = analyze(&r);
        assert!(f.iter().any(|f| f.id == "listener-closes-after-mcs" && f.severity == Severity::Critical), "{f:?}");
    }

    fn failed(kind: Option<ErrorKind>, text: &str) -> Report {
        Report {
            target: "h".into(),
            address: Some("192.0.2.1:3389".into()),
            status: Status::Error,
            error: Some(text.into()),
            error_phase: Some(Phase::Connect),
            error_kind: kind,
            ..Report::default()
        }
    }
    fn ids(r: &Report) -> Vec<String> {
        analyze(r).into_iter().map(|f| f.id.to_string()).collect()
    }

    /// Former text match `error.starts_with("proxy")`: the kind decides, not the words.
    #[test]
    fn proxy_failure_is_read_from_the_kind() {
        let r = failed(Some(ErrorKind::Proxy), "socks5 server said no");
        assert!(ids(&r).contains(&"proxy-failed".to_string()), "{:?}", ids(&r));
        let v = crate::diagnosis::verdict::assess(&r);
        assert_eq!(v.blocking_step, Some(crate::diagnosis::verdict::BlockingStep::Proxy), "{v:?}");
        // The word alone no longer makes it a proxy failure.
        let r = failed(Some(ErrorKind::Io), "proxy: looks like one, is not");
        assert!(!ids(&r).contains(&"proxy-failed".to_string()), "{:?}", ids(&r));
        assert_ne!(
            crate::diagnosis::verdict::assess(&r).blocking_step,
            Some(crate::diagnosis::verdict::BlockingStep::Proxy)
        );
    }

    /// Former text match `error.contains("unreachable")`.
    #[test]
    fn unreachable_host_is_read_from_the_kind() {
        let r = failed(Some(ErrorKind::Unreachable), "no route to host");
        assert!(ids(&r).contains(&"host-unreachable".to_string()), "{:?}", ids(&r));
        let v = crate::diagnosis::verdict::assess(&r);
        assert_eq!(
            (v.state, v.blocking_step),
            (crate::diagnosis::verdict::VerdictState::Unreachable, Some(crate::diagnosis::verdict::BlockingStep::Tcp)),
            "{v:?}"
        );
        let r = failed(Some(ErrorKind::Decode), "unreachable code in the answer");
        assert!(!ids(&r).contains(&"host-unreachable".to_string()), "{:?}", ids(&r));
        assert!(ids(&r).contains(&"not-rdp-protocol-error".to_string()), "{:?}", ids(&r));
        assert_eq!(
            crate::diagnosis::verdict::assess(&r).blocking_step,
            Some(crate::diagnosis::verdict::BlockingStep::X224)
        );
    }

    fn with_tls_error(kind: ErrorKind, phase: Phase, text: &str) -> Report {
        Report {
            target: "h".into(),
            status: Status::Rdp,
            tls: Some(crate::report::TlsReport {
                error: Some(crate::report::tls::TlsError {
                    phase,
                    text: text.into(),
                    attempt: "negotiation".into(),
                    client_limitation: false,
                    server_sent: None,
                    kind,
                }),
                ..crate::report::TlsReport::default()
            }),
            ..Report::default()
        }
    }

    /// Former text match `text.contains("ssl_cert_not_on_server")`: an RDP_NEG_FAILURE in the
    /// X.224 answer is no handshake failure, whatever the text says.
    #[test]
    fn tls_refusal_in_negotiation_is_read_from_the_kind() {
        let r = with_tls_error(ErrorKind::ServerRefused, Phase::ReadCc, "the listener has no usable certificate");
        assert!(!ids(&r).contains(&"tls-handshake-failed".to_string()), "{:?}", ids(&r));
        let r = with_tls_error(ErrorKind::Tls, Phase::Tls, "alert fatal: ssl_cert_not_on_server-like words");
        assert!(ids(&r).contains(&"tls-handshake-failed".to_string()), "{:?}", ids(&r));
    }

    fn mcs_error(kind: ErrorKind, detail: &str) -> Report {
        Report {
            target: "h".into(),
            status: Status::Rdp,
            mcs: Some(crate::report::McsReport {
                transport: Some(Transport::Tcp),
                error: Some(crate::report::mcs::StepError {
                    phase: Phase::Mcs,
                    detail: detail.into(),
                    client_limitation: false,
                    kind: Some(kind),
                }),
                ..Default::default()
            }),
            ..Report::default()
        }
    }

    /// Former text match on "closed" / "reset" / "timed out" in the MCS error.
    #[test]
    fn dropped_at_mcs_is_read_from_the_kind() {
        for k in [ErrorKind::Closed, ErrorKind::Reset, ErrorKind::Timeout] {
            let r = mcs_error(k, "the server went away");
            assert!(ids(&r).contains(&"listener-closes-after-mcs".to_string()), "{k:?}: {:?}", ids(&r));
        }
        let r = mcs_error(ErrorKind::Other, "Connect-Response result rt_closed, reset, timed out");
        assert!(!ids(&r).contains(&"listener-closes-after-mcs".to_string()), "{:?}", ids(&r));
    }

    #[test]
    fn refused() {
        let r = Report { target: "h".into(), status: Status::Refused, ..Report::default() };
        let f = analyze(&r);
        assert_eq!(f[0].id, "tcp-refused");
        assert_eq!(f[0].severity, Severity::Critical);
    }
}
