//! Probe options: what to probe, how long to wait, how to connect. Built with
//! [`ProbeOptions::builder`] or by setting the public fields directly.
//!
//! The builder checks what it is given: [`ProbeOptionsBuilder::build`] corrects values that
//! could only fail (a cookie holding CR LF or longer than the X.224 limit is cleaned and cut)
//! and [`ProbeOptionsBuilder::warnings`] says what it corrected;
//! [`ProbeOptionsBuilder::try_build`] refuses them instead. Options written as a struct literal
//! can be checked with [`ProbeOptions::warnings`].

use crate::net::resolver::Resolver;
use crate::wire::codec::DecodeError;
use crate::wire::x224::{ConnectionRequest, Cookie, MAX_COOKIE_LEN};
use std::net::IpAddr;
use std::time::Duration;

/// The default RDP port.
pub const DEFAULT_PORT: u16 = 3389;

/// Which steps a probe runs after negotiation. A fast sweep and a deep audit use the same engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// Send each protocol alone (HYBRID, RDSTLS, HYBRID_EX, RDSAAD) besides the core three
    /// requests (full, 0x00, 0x01).
    pub negotiation_extended: bool,
    /// TLS handshake + certificate report when the server accepts TLS or CredSSP.
    pub tls: bool,
    /// TLS version enumeration (raw ClientHellos, 1.0-1.3) and the Direct Approach test.
    pub tls_versions: bool,
    /// Cipher-suite enumeration per version (many connections).
    pub tls_ciphers: bool,
    /// CredSSP/NTLM challenge (server identity) when CredSSP is accepted.
    pub nla: bool,
    /// MCS Connect Initial / Response when a path without NLA allows it.
    pub mcs: bool,
    /// Encryption-method enumeration under Standard RDP Security (one connection per method).
    pub mcs_methods: bool,
    /// The whole connection sequence on one more connection, as a client goes: channels,
    /// security exchange, Client Info (no credentials: the logon screen), licensing,
    /// capabilities, finalization and the first screen (`Report::session`). Opt-in: off in
    /// every preset.
    pub session: bool,
}

impl Steps {
    /// Negotiation only: the fast sweep.
    pub const NEGOTIATION: Steps = Steps {
        negotiation_extended: false,
        tls: false,
        tls_versions: false,
        tls_ciphers: false,
        nla: false,
        mcs: false,
        mcs_methods: false,
        session: false,
    };
    /// The default: everything but cipher enumeration.
    pub const DEFAULT: Steps = Steps {
        negotiation_extended: true,
        tls: true,
        tls_versions: true,
        tls_ciphers: false,
        nla: true,
        mcs: true,
        mcs_methods: true,
        session: false,
    };
    /// Everything, including cipher-suite enumeration.
    pub const ALL: Steps = Steps { tls_ciphers: true, ..Steps::DEFAULT };
}

impl Default for Steps {
    fn default() -> Self {
        Steps::DEFAULT
    }
}

/// Ports RDP listeners are commonly moved to, tried by `--find-port` without a list.
pub const COMMON_ALTERNATIVE_PORTS: &[u16] =
    &[3389, 3388, 3390, 3391, 3392, 3399, 33389, 33890, 13389, 23389, 43389, 53389, 5500, 8443];

/// A proxy to connect through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proxy {
    /// SOCKS5 (RFC 1928), no authentication or username/password (RFC 1929).
    Socks5 {
        /// Proxy host:port.
        address: String,
        /// Optional (user, password).
        auth: Option<(String, String)>,
    },
}

impl Proxy {
    /// Parses a proxy URL: `socks5://[user[:password]@]host:port` (also `socks5h://`; a
    /// trailing `/` is ignored). The host may be a name, an IPv4 address or a bracketed IPv6
    /// address.
    ///
    /// ```
    /// use rdp_probe::Proxy;
    /// let p: Proxy = "socks5://u:p@[::1]:1080".parse()?;
    /// assert_eq!(p, Proxy::Socks5 { address: "[::1]:1080".into(), auth: Some(("u".into(), "p".into())) });
    /// assert!(Proxy::parse("http://proxy:8080").is_err());
    /// # Ok::<(), rdp_probe::ProxyError>(())
    /// ```
    pub fn parse(url: &str) -> Result<Proxy, ProxyError> {
        let rest = url
            .strip_prefix("socks5://")
            .or_else(|| url.strip_prefix("socks5h://"))
            .ok_or_else(|| ProxyError::Scheme(url.to_string()))?;
        let (auth, address) = match rest.rsplit_once('@') {
            Some((cred, addr)) => {
                let (u, p) = cred.split_once(':').unwrap_or((cred, ""));
                (Some((u.to_string(), p.to_string())), addr)
            }
            None => (None, rest),
        };
        let address = address.trim_end_matches('/');
        if address.rsplit_once(':').is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err()) {
            return Err(ProxyError::Address(url.to_string()));
        }
        Ok(Proxy::Socks5 { address: address.to_string(), auth })
    }
}

impl std::str::FromStr for Proxy {
    type Err = ProxyError;
    fn from_str(url: &str) -> Result<Proxy, ProxyError> {
        Proxy::parse(url)
    }
}

/// Why a proxy URL could not be parsed (each variant holds the URL as given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// Not a `socks5://` or `socks5h://` URL.
    #[error("{0:?}: only socks5://host:port is supported")]
    Scheme(String),
    /// No `host:port` with a valid port after the scheme (and credentials).
    #[error("{0:?}: expected host:port")]
    Address(String),
}

/// Credentials for the opt-in NLA logon check. The password is never printed or serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Domain (may be empty).
    pub domain: String,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("domain", &self.domain).field("user", &self.user).finish_non_exhaustive()
    }
}

impl Credentials {
    /// Parses `DOMAIN\user`, `user@domain` or `user`.
    pub fn parse(user: &str, password: String) -> Credentials {
        if let Some((d, u)) = user.split_once('\\') {
            Credentials { domain: d.into(), user: u.into(), password }
        } else if let Some((u, d)) = user.rsplit_once('@') {
            Credentials { domain: d.into(), user: u.into(), password }
        } else {
            Credentials { domain: String::new(), user: user.into(), password }
        }
    }
}

/// An option value that cannot work as given: [`ProbeOptionsBuilder::try_build`] and
/// [`crate::scan::ScanOptionsBuilder::try_build`] refuse it, `build()` corrects it (clamps,
/// cleans) and `warnings()` lists it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {reason}")]
pub struct OptionsError {
    /// The option (builder method / field name), e.g. `cookie`, `per_host`.
    pub option: &'static str,
    /// What is wrong and, for `build()`, what was done about it.
    pub reason: String,
    /// The encoder's refusal, for cookies and routing tokens.
    #[source]
    pub source: Option<DecodeError>,
}

impl OptionsError {
    pub(crate) fn new(option: &'static str, reason: impl Into<String>) -> OptionsError {
        OptionsError { option, reason: reason.into(), source: None }
    }
}

/// Options for one probe.
///
/// Timeouts: [`connect_timeout`](Self::connect_timeout) bounds name resolution and each TCP
/// (or proxy) connect, [`read_timeout`](Self::read_timeout) each read or write, and
/// [`overall_timeout`](Self::overall_timeout) the whole probe of one target, all its
/// connections included; every step ends at the earlier of its own deadline and the overall one.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Port used when the target names none.
    pub port: u16,
    /// Deadline for name resolution and for each TCP (or proxy) connect. Default 5 s.
    pub connect_timeout: Duration,
    /// Deadline for each read or write (and for each whole frame). Default 5 s.
    pub read_timeout: Duration,
    /// Deadline for the whole probe of one target, all connections included. Default 60 s.
    pub overall_timeout: Duration,
    /// Cookie or routing token in the X.224 CR; `None` sends none. Default
    /// `Cookie: mstshash=user` (what mstsc sends before a user name is known; some servers and
    /// load balancers drop a request without a cookie).
    pub cookie: Option<Cookie>,
    /// Which steps to run.
    pub steps: Steps,
    /// Local address to connect from.
    pub source: Option<IpAddr>,
    /// Proxy to connect through.
    pub proxy: Option<Proxy>,
    /// Pause between two connections to the same target (politeness, IDS thresholds).
    pub connection_delay: Duration,
    /// Exchanges with one target in flight at once, across every step (negotiation plan, TLS
    /// versions, MCS methods; the first request always runs alone); a connection kept idle for
    /// a later step does not count. 8 by default. New connections start at least 2 ms apart
    /// (xrdp listens with a backlog of 2: a burst of SYNs overflows it and a dropped SYN costs
    /// about 1 s), and a handshake that looks like a dropped SYN halves the bound and slows the
    /// pace for the rest of the probe. 1 is strictly sequential.
    pub parallel_connections: usize,
    /// Record every byte exchanged in [`crate::Report::transcript`].
    pub raw: bool,
    /// Name to check the certificate against and send as SNI; defaults to the target's host.
    pub server_name: Option<String>,
    /// Credentials for the NLA logon check (opt-in).
    pub credentials: Option<Credentials>,
    /// When the target's port does not answer as RDP, try these ports (one X.224 request each)
    /// and report where RDP answers instead (`Report::alternative_ports`).
    pub find_ports: Vec<u16>,
    /// Check compatibility with this kind of client (findings `client-incompatible`).
    pub client: Option<crate::diagnosis::client::ClientProfile>,
    /// With credentials: also send TSCredentials on HYBRID_EX servers to read the Early User
    /// Authorization Result (this would delegate the password to the server). NOT IMPLEMENTED
    /// YET: the NLA report records "not checked"; the CLI offers no flag for it.
    pub authz: bool,
    /// With [`Steps::session`] on an NLA server: send the credentials to the server in
    /// TSCredentials (MS-CSSP 2.2.1.2) after the CredSSP logon, as mstsc does, so the session
    /// can go on. This hands the password to the server. Off by default: without it the
    /// session stops where the default probe stops and says why.
    pub delegate_credentials: bool,
    /// With [`Steps::session`]: how long to collect graphics after the connection sequence
    /// (within [`Self::overall_timeout`]). Default 5 s.
    pub session_timeout: std::time::Duration,
    /// With [`Steps::session`]: keep the first screen as PNG bytes in
    /// `Report::session.png` (the library never writes files).
    pub screenshot: bool,
    /// How host names are resolved; `None` (the default) uses the system configuration
    /// (`/etc/resolv.conf`, hosts file), read once per [`crate::probe()`] call and once per
    /// [`crate::scan_with`] call. Resolution is bounded by [`Self::connect_timeout`].
    pub resolver: Option<Resolver>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            port: DEFAULT_PORT,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            overall_timeout: Duration::from_secs(60),
            cookie: Some(Cookie::Mstshash("user".into())),
            steps: Steps::DEFAULT,
            source: None,
            proxy: None,
            connection_delay: Duration::ZERO,
            parallel_connections: 8,
            raw: false,
            server_name: None,
            credentials: None,
            find_ports: Vec::new(),
            client: None,
            authz: false,
            delegate_credentials: false,
            session_timeout: Duration::from_secs(5),
            screenshot: false,
            resolver: None,
        }
    }
}

impl ProbeOptions {
    /// A builder starting from the defaults: port 3389, connect and read timeouts 5 s, overall
    /// timeout 60 s, cookie `mstshash=user`, [`Steps::DEFAULT`], 2 parallel connections, the
    /// system resolver.
    ///
    /// ```
    /// use rdp_probe::{ProbeOptions, Steps};
    /// use std::time::Duration;
    /// let opts = ProbeOptions::builder()
    ///     .timeout(Duration::from_secs(3))
    ///     .overall_timeout(Duration::from_secs(20))
    ///     .cookie("admin")
    ///     .steps(Steps::NEGOTIATION)
    ///     .try_build()?;
    /// assert_eq!(opts.connect_timeout, Duration::from_secs(3));
    /// // A cookie that cannot be sent is refused by try_build, cleaned by build.
    /// assert!(ProbeOptions::builder().cookie("a\r\nb").try_build().is_err());
    /// # Ok::<(), rdp_probe::options::OptionsError>(())
    /// ```
    pub fn builder() -> ProbeOptionsBuilder {
        ProbeOptionsBuilder(ProbeOptions::default())
    }

    /// Values that cannot work as set (for options written as a struct literal; the builder
    /// corrects or refuses them). Empty when all is well.
    pub fn warnings(&self) -> Vec<OptionsError> {
        let mut w = Vec::new();
        if let Some(c) = &self.cookie {
            if let Some(e) = cookie_error(c) {
                let option = if matches!(c, Cookie::Mstshash(_)) { "cookie" } else { "routing_token" };
                w.push(OptionsError {
                    option,
                    reason: format!("cannot be sent in an X.224 Connection Request ({e}): every probe would fail"),
                    source: Some(e),
                });
            }
        }
        if self.parallel_connections == 0 {
            w.push(OptionsError::new("parallel_connections", "0 is treated as 1"));
        }
        w
    }
}

/// Why the encoder refuses this cookie or routing token, if it does.
fn cookie_error(c: &Cookie) -> Option<DecodeError> {
    ConnectionRequest { cookie: Some(c.clone()), ..ConnectionRequest::default() }.encode().err()
}

/// `Cookie: mstshash=` + `id` + CR LF must fit [`MAX_COOKIE_LEN`] and hold no CR or LF.
fn clean_cookie(id: &str) -> String {
    let room = MAX_COOKIE_LEN - "Cookie: mstshash=\r\n".len();
    let mut out = String::new();
    for c in id.chars().filter(|c| *c != '\r' && *c != '\n') {
        if out.len() + c.len_utf8() > room {
            break;
        }
        out.push(c);
    }
    out
}

/// A routing token without inner CR LF, cut to [`MAX_COOKIE_LEN`] with its final CR LF.
fn clean_token(token: &[u8]) -> Vec<u8> {
    let body = token.strip_suffix(b"\r\n").unwrap_or(token);
    let mut out: Vec<u8> = body.iter().copied().filter(|b| *b != b'\r' && *b != b'\n').collect();
    out.truncate(MAX_COOKIE_LEN - 2);
    out
}

/// Builder for [`ProbeOptions`].
#[derive(Debug, Clone)]
pub struct ProbeOptionsBuilder(ProbeOptions);

impl ProbeOptionsBuilder {
    /// Default port.
    pub fn port(mut self, p: u16) -> Self {
        self.0.port = p;
        self
    }
    /// Sets the connect timeout (also bounding name resolution) and the per-read/write timeout
    /// to `t`; the whole-probe deadline is [`Self::overall_timeout`].
    pub fn timeout(mut self, t: Duration) -> Self {
        self.0.connect_timeout = t;
        self.0.read_timeout = t;
        self
    }
    /// Connect timeout.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.0.connect_timeout = t;
        self
    }
    /// Per-read timeout.
    pub fn read_timeout(mut self, t: Duration) -> Self {
        self.0.read_timeout = t;
        self
    }
    /// Whole-probe deadline.
    pub fn overall_timeout(mut self, t: Duration) -> Self {
        self.0.overall_timeout = t;
        self
    }
    /// `Cookie: mstshash=NAME` (default `user`); an empty name sends no cookie. A name holding
    /// CR or LF, or too long for the X.224 limit ([`MAX_COOKIE_LEN`] bytes for the whole line),
    /// is refused by [`Self::try_build`] and cleaned by [`Self::build`] (CR and LF removed, cut).
    pub fn cookie(mut self, name: &str) -> Self {
        self.0.cookie = if name.is_empty() { None } else { Some(Cookie::Mstshash(name.into())) };
        self
    }
    /// A routing token instead of a cookie, sent verbatim (CR LF added). Checked like
    /// [`Self::cookie`].
    pub fn routing_token(mut self, token: &[u8]) -> Self {
        self.0.cookie = Some(Cookie::RoutingToken(token.to_vec()));
        self
    }
    /// Steps to run.
    pub fn steps(mut self, s: Steps) -> Self {
        self.0.steps = s;
        self
    }
    /// Local source address.
    pub fn source(mut self, a: IpAddr) -> Self {
        self.0.source = Some(a);
        self
    }
    /// SOCKS5 proxy `host:port`.
    pub fn socks5(mut self, address: &str) -> Self {
        self.0.proxy = Some(Proxy::Socks5 { address: address.into(), auth: None });
        self
    }
    /// Pause between connections to one target.
    pub fn connection_delay(mut self, d: Duration) -> Self {
        self.0.connection_delay = d;
        self
    }
    /// Connections to one target in flight at once (1 = sequential).
    pub fn parallel_connections(mut self, n: usize) -> Self {
        self.0.parallel_connections = n.max(1);
        self
    }
    /// Record the transcript.
    pub fn raw(mut self, on: bool) -> Self {
        self.0.raw = on;
        self
    }
    /// Name for SNI and the certificate name check.
    pub fn server_name(mut self, n: &str) -> Self {
        self.0.server_name = Some(n.into());
        self
    }
    /// Credentials for the NLA logon check.
    pub fn credentials(mut self, c: Credentials) -> Self {
        self.0.credentials = Some(c);
        self
    }
    /// Run the session step ([`Steps::session`]); `screenshot`: keep the first screen as PNG.
    pub fn session(mut self, on: bool, screenshot: bool) -> Self {
        self.0.steps.session = on || screenshot;
        self.0.screenshot = screenshot;
        self
    }
    /// Send TSCredentials on NLA servers during the session ([`ProbeOptions::delegate_credentials`]).
    pub fn delegate_credentials(mut self, on: bool) -> Self {
        self.0.delegate_credentials = on;
        self
    }
    /// How long the session collects graphics ([`ProbeOptions::session_timeout`]).
    pub fn session_timeout(mut self, t: Duration) -> Self {
        self.0.session_timeout = t;
        self
    }
    /// Early User Authorization check (delegates credentials).
    pub fn authz(mut self, on: bool) -> Self {
        self.0.authz = on;
        self
    }
    /// Ports to try when the target's port does not answer as RDP.
    pub fn find_ports(mut self, ports: Vec<u16>) -> Self {
        self.0.find_ports = ports;
        self
    }
    /// Client profile for compatibility findings.
    pub fn client(mut self, c: crate::diagnosis::client::ClientProfile) -> Self {
        self.0.client = Some(c);
        self
    }
    /// How host names are resolved (default: the system configuration).
    pub fn resolver(mut self, r: Resolver) -> Self {
        self.0.resolver = Some(r);
        self
    }
    /// What [`Self::build`] will correct (and [`Self::try_build`] refuse). Empty when all is well.
    pub fn warnings(&self) -> Vec<OptionsError> {
        self.0.warnings()
    }
    /// The options, or the first value that cannot work as given.
    pub fn try_build(self) -> Result<ProbeOptions, OptionsError> {
        match self.0.warnings().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(self.0),
        }
    }
    /// The options, with values that could only fail corrected: a cookie or routing token that
    /// cannot be sent loses its CR and LF and is cut to fit ([`Self::warnings`] lists what).
    pub fn build(self) -> ProbeOptions {
        let mut o = self.0;
        o.cookie = match o.cookie.take() {
            Some(Cookie::Mstshash(id)) => Some(Cookie::Mstshash(clean_cookie(&id))),
            Some(Cookie::RoutingToken(t)) => {
                let bad = cookie_error(&Cookie::RoutingToken(t.clone())).is_some();
                Some(Cookie::RoutingToken(if bad { clean_token(&t) } else { t }))
            }
            None => None,
        };
        o.parallel_connections = o.parallel_connections.max(1);
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        assert_eq!(
            Proxy::parse("socks5://127.0.0.1:1080").unwrap(),
            Proxy::Socks5 { address: "127.0.0.1:1080".into(), auth: None }
        );
        assert_eq!(
            Proxy::parse("socks5h://proxy.example:1080/").unwrap(),
            Proxy::Socks5 { address: "proxy.example:1080".into(), auth: None }
        );
        assert_eq!(
            "socks5://u:p@[::1]:1080".parse::<Proxy>().unwrap(),
            Proxy::Socks5 { address: "[::1]:1080".into(), auth: Some(("u".into(), "p".into())) }
        );
        assert_eq!(
            Proxy::parse("socks5://u@h:1").unwrap(),
            Proxy::Socks5 { address: "h:1".into(), auth: Some(("u".into(), String::new())) }
        );
        assert_eq!(Proxy::parse("http://x:1"), Err(ProxyError::Scheme("http://x:1".into())));
        assert_eq!(Proxy::parse("socks5://x"), Err(ProxyError::Address("socks5://x".into())));
        assert!(Proxy::parse("socks5://:1080").is_err());
        assert!(Proxy::parse("socks5://x:70000").is_err());
        assert_eq!(
            Proxy::parse("http://x:1").unwrap_err().to_string(),
            "\"http://x:1\": only socks5://host:port is supported"
        );
        assert_eq!(Proxy::parse("socks5://x").unwrap_err().to_string(), "\"socks5://x\": expected host:port");
    }
}
