//! Remedies per server implementation. The catalog ([`crate::diagnosis::findings::CATALOG`]) carries one
//! remedy in Windows terms; this module carries the ones for xrdp (`xrdp.ini` keys), FreeRDP's
//! shadow server (`freerdp-shadow-cli` flags) and GNOME Remote Desktop (`grdctl`).
//!
//! The report shows the remedy for the identified implementation and the catalog's (Windows)
//! one when the implementation is unknown; `explain ID` shows all of them.
//!
//! Sources of the facts, checked for this module:
//! - xrdp 0.9.21: `/etc/xrdp/xrdp.ini`, `xrdp.ini(5)`, `xrdp-keygen` usage, the Debian package
//!   scripts (`xrdp.postinst`, `xrdp.service`: `User=xrdp`), `libxrdp/xrdp_iso.c` ("At present
//!   we only support SSL and RDP security": no CredSSP outside Hyper-V vmconnect mode).
//! - FreeRDP 2.11: `freerdp-shadow-cli /help`, `shadow_server.c` (`shadow.crt`/`shadow.key`
//!   under `$XDG_CONFIG_HOME/freerdp/shadow/`, created self-signed when missing),
//!   `shadow_client.c` (the TLS key is also the Standard RDP Security key), `libfreerdp`
//!   ("Turning off encryption for local peer"), `libfreerdp/crypto/tls.c` (minimum TLS 1.0,
//!   security level from the settings, default 1).
//! - GNOME Remote Desktop: `src/grd-ctl.c` (the `grdctl rdp` subcommands) and
//!   `grd-session-rdp.c` (`RdpSecurity = FALSE`, `TlsSecurity = FALSE`, `NlaSecurity = TRUE`).
//! - The lab notes (`TARGETS.md`): behaviour observed on the real servers.
//!
//! GNOME Remote Desktop is built on FreeRDP, so the fingerprint may call it "FreeRDP-based
//! server"; the FreeRDP remedies name the shadow server's flags.

/// The server implementations with remedies of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Implementation {
    /// Windows Remote Desktop Services (also the default when the server is unknown).
    Windows,
    /// xrdp.
    Xrdp,
    /// A server built on the FreeRDP library, e.g. `freerdp-shadow-cli`.
    #[cfg_attr(feature = "serde", serde(rename = "freerdp"))]
    FreeRdp,
    /// GNOME Remote Desktop (`gnome-remote-desktop`, configured with `grdctl`).
    GnomeRemoteDesktop,
}

impl Implementation {
    /// Every implementation, Windows first.
    pub const ALL: [Implementation; 4] =
        [Implementation::Windows, Implementation::Xrdp, Implementation::FreeRdp, Implementation::GnomeRemoteDesktop];

    /// From `Report::implementation`: "xrdp", "FreeRDP-based server", anything naming GNOME or
    /// gnome-remote-desktop; everything else (including "VirtualBox VRDE") and `None` is Windows.
    pub fn from_report_name(name: Option<&str>) -> Implementation {
        let Some(n) = name.map(str::trim) else { return Implementation::Windows };
        let lower = n.to_ascii_lowercase();
        if lower == "xrdp" {
            Implementation::Xrdp
        } else if lower.contains("gnome") {
            Implementation::GnomeRemoteDesktop
        } else if lower == "freerdp-based server" {
            Implementation::FreeRdp
        } else {
            Implementation::Windows
        }
    }

    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Implementation::Windows => "windows",
            Implementation::Xrdp => "xrdp",
            Implementation::FreeRdp => "freerdp",
            Implementation::GnomeRemoteDesktop => "gnome_remote_desktop",
        }
    }

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Implementation::Windows => "Windows",
            Implementation::Xrdp => "xrdp",
            Implementation::FreeRdp => "FreeRDP server",
            Implementation::GnomeRemoteDesktop => "GNOME Remote Desktop",
        }
    }
}

/// The implementation-specific remedy for finding `id`. `None` for Windows (the catalog text is
/// the Windows remedy), where the catalog's remedy applies as it is (e.g. `dns-failure`), and
/// where the finding cannot happen on that implementation (e.g. `credssp-outdated` on xrdp,
/// which has no CredSSP). Where a finding can happen but cannot be fixed on the server, the text
/// says so and what to do instead.
pub fn remedy(id: &str, imp: Implementation) -> Option<&'static str> {
    let e = TABLE.iter().find(|e| e.id == id)?;
    match imp {
        Implementation::Windows => None,
        Implementation::Xrdp => e.xrdp,
        Implementation::FreeRdp => e.freerdp,
        Implementation::GnomeRemoteDesktop => e.gnome,
    }
}

/// Every non-Windows remedy for `id`, in [`Implementation::ALL`] order, for `explain ID`. The
/// Windows remedy is not included: it is the catalog's `FindingInfo::remedy`.
pub fn all_remedies(id: &str) -> Vec<(Implementation, &'static str)> {
    Implementation::ALL.into_iter().filter_map(|imp| remedy(id, imp).map(|r| (imp, r))).collect()
}

struct Entry {
    id: &'static str,
    xrdp: Option<&'static str>,
    freerdp: Option<&'static str>,
    gnome: Option<&'static str>,
}

// Shared fragments (macros so that `concat!` can join them into `&'static str`).
macro_rules! linux_firewall {
    () => {
        "Check that the host is up and awake, that its firewall (nftables/iptables, ufw, firewalld) allows TCP to the RDP port, and that no network firewall between client and server drops it."
    };
}
macro_rules! xrdp_cert_files {
    () => {
        "set `certificate` and `key_file` in /etc/xrdp/xrdp.ini to the PEM files (absolute paths; empty means /etc/xrdp/cert.pem and /etc/xrdp/key.pem, on Debian links to the ssl-cert snakeoil pair), readable by the user xrdp runs as (Debian: user xrdp, so `adduser xrdp ssl-cert` for keys in /etc/ssl/private); xrdp reads them at each connection."
    };
}
macro_rules! shadow_cert_files {
    () => {
        "put the PEM pair in shadow.crt and shadow.key under $XDG_CONFIG_HOME/freerdp/shadow/ (default ~/.config/freerdp/shadow/) of the user running freerdp-shadow-cli and restart it; delete both files to have it create a new self-signed pair (valid 5 years)."
    };
}
macro_rules! grd_cert_files {
    () => {
        "point gnome-remote-desktop to the PEM files with `grdctl rdp set-tls-cert PATH` and `grdctl rdp set-tls-key PATH` (absolute paths, readable by the user it runs as; `grdctl status` shows the current ones)."
    };
}
macro_rules! grd_log {
    () => {
        "its journal (`journalctl --user -u gnome-remote-desktop`)"
    };
}
macro_rules! shadow_log {
    () => {
        "the shadow server's log output (more with the environment variable WLOG_LEVEL=DEBUG)"
    };
}
macro_rules! xrdp_log {
    () => {
        "/var/log/xrdp.log (`LogFile` in [Logging])"
    };
}

const TABLE: &[Entry] = &[
    Entry { id: "dns-failure", xrdp: None, freerdp: None, gnome: None },
    Entry {
        id: "tcp-refused",
        xrdp: Some("Start xrdp (`systemctl start xrdp`, or /etc/init.d/xrdp start), and check `port` in /etc/xrdp/xrdp.ini (a number alone listens on every interface, tcp://127.0.0.1:3389 only on loopback) and the host firewall; `rdp-probe --find-port` tries common alternative ports."),
        freerdp: Some("Start freerdp-shadow-cli on the display to share and check its /port: (default 3389) and /bind-address: options and the host firewall; `rdp-probe --find-port` tries common alternative ports."),
        gnome: Some("Enable the RDP backend (`grdctl rdp enable`; add --headless or --system for those modes) and make sure the gnome-remote-desktop service runs (`systemctl --user status gnome-remote-desktop`); `grdctl status` shows the port."),
    },
    Entry {
        id: "tcp-timeout",
        xrdp: Some(linux_firewall!()),
        freerdp: Some(linux_firewall!()),
        gnome: Some(linux_firewall!()),
    },
    Entry { id: "host-unreachable", xrdp: None, freerdp: None, gnome: None },
    Entry {
        id: "port-served-by-other-service",
        xrdp: Some("Find the program on the server (`ss -ltnp`, the line for the port), then move it, or move xrdp with `port` in /etc/xrdp/xrdp.ini and restart xrdp; make clients use the right port."),
        freerdp: Some("Find the program on the server (`ss -ltnp`, the line for the port), then move it, or start freerdp-shadow-cli with another /port:; make clients use the right port."),
        gnome: Some("Find the program on the server (`ss -ltnp`, the line for the port), then move it, or move gnome-remote-desktop with `grdctl rdp set-port PORT`; make clients use the right port."),
    },
    Entry {
        id: "listener-silent",
        xrdp: Some(concat!("Restart xrdp and read ", xrdp_log!(), ". xrdp's listen backlog is 2: many simultaneous connections (parallel scans) overflow it, so probe it with less parallelism.")),
        freerdp: Some(concat!("Restart freerdp-shadow-cli and read ", shadow_log!(), "; it needs a working X display (DISPLAY) to serve.")),
        gnome: Some(concat!("Restart gnome-remote-desktop (`systemctl --user restart gnome-remote-desktop`) and read ", grd_log!(), ".")),
    },
    Entry {
        id: "listener-closes-connection",
        xrdp: Some(concat!("Check that xrdp runs and read ", xrdp_log!(), ". xrdp closes the connection (MCS Disconnect-Provider-Ultimatum) after a refusal it sends with security_layer=tls, after a failed TLS accept (check `certificate` / `key_file`), and for requests it does not know (e.g. RDSAAD).")),
        freerdp: Some(concat!("Read ", shadow_log!(), "; check its /sec options, and that the X display it shares still runs.")),
        gnome: Some(concat!("Check `grdctl status` (enabled, TLS certificate and key, credentials set) and read ", grd_log!(), ".")),
    },
    Entry { id: "not-rdp-protocol-error", xrdp: None, freerdp: None, gnome: None },
    Entry {
        id: "rdp-on-other-port",
        xrdp: Some("Connect to the port where RDP answers (host:port in the client), or set `port` in /etc/xrdp/xrdp.ini back and restart xrdp; update firewall rules to match."),
        freerdp: Some("Connect to the port where RDP answers (host:port in the client), or restart freerdp-shadow-cli with the expected /port:; update firewall rules to match."),
        gnome: Some("Connect to the port where RDP answers (host:port in the client), or set it back with `grdctl rdp set-port PORT`; update firewall rules to match."),
    },
    Entry {
        id: "client-incompatible",
        xrdp: Some("Update the client, or widen xrdp.ini to what it supports: security_layer=negotiate (TLS and Standard RDP Security), `ssl_protocols` (e.g. TLSv1.2, TLSv1.3), crypt_level=high unless clients are FIPS-only. xrdp has no NLA (CredSSP): a client that insists on NLA cannot connect to xrdp at all."),
        freerdp: Some("Update the client, or start freerdp-shadow-cli with the security protocols it supports: /sec:rdp, /sec:tls or /sec:nla for one, or +sec-nla to offer Standard RDP Security, TLS and NLA together."),
        gnome: Some("Update the client: gnome-remote-desktop accepts only NLA (CredSSP over TLS) and has no setting for Standard RDP Security or plain TLS, so the client must support NLA."),
    },
    Entry {
        id: "clock-skew",
        xrdp: None,
        freerdp: Some("Synchronise the server's clock with an NTP source (chrony, systemd-timesyncd: `timedatectl status`), or fix the clock of the machine running the probe."),
        gnome: Some("Synchronise the server's clock with an NTP source (chrony, systemd-timesyncd: `timedatectl status`), or fix the clock of the machine running the probe."),
    },
    Entry {
        id: "credssp-outdated",
        xrdp: None,
        freerdp: Some("Update FreeRDP: the CredSSP version comes from the library, there is no setting for it (FreeRDP 2.11's server answers version 6)."),
        gnome: Some("Update gnome-remote-desktop and the FreeRDP library it uses: the CredSSP version comes from FreeRDP, there is no setting for it."),
    },
    Entry {
        id: "credentials-rejected",
        xrdp: None,
        freerdp: Some("The shadow server checks NLA credentials against the file given with /sam-file: it needs a line user:domain:LMhash:NThash::: for the user (write it with `winpr-hash -u USER -p PASSWORD -d DOMAIN -f sam`)."),
        gnome: Some("gnome-remote-desktop accepts one user name and password of its own, set with `grdctl rdp set-credentials USER PASSWORD` (not necessarily the system account's); `grdctl status --show-credentials` shows them."),
    },
    Entry { id: "credentials-not-tested", xrdp: None, freerdp: None, gnome: None },
    Entry {
        id: "credentials-accepted",
        xrdp: None,
        freerdp: Some("Nothing to change. Unless started with -auth, the shadow server checks the credentials again with PAM after the connection, so the user must also be a system account it may authenticate."),
        gnome: Some("Nothing to change: these are the credentials set with `grdctl rdp set-credentials`."),
    },
    Entry {
        id: "nla-probe-failed",
        xrdp: None,
        freerdp: Some(concat!("Read ", shadow_log!(), ". NLA needs /sam-file: with a readable SAM file, and a usable shadow.crt / shadow.key under $XDG_CONFIG_HOME/freerdp/shadow/.")),
        gnome: Some(concat!("Check with `grdctl status` that credentials (grdctl rdp set-credentials) and a TLS certificate and key (grdctl rdp set-tls-cert / set-tls-key) are set, and read ", grd_log!(), ".")),
    },
    Entry {
        id: "tls-handshake-failed",
        xrdp: Some(concat!("Make `certificate` and `key_file` a matching, loadable pair: xrdp loads them at each connection, so a mismatched or unreadable key only shows after TLS was selected (see ", xrdp_log!(), ": 'do not match', 'Cannot read private key file'). Debian's OpenSSL 3 (security level 2) refuses RSA keys under 2048 bits: use at least 2048. Then ", xrdp_cert_files!())),
        freerdp: Some(concat!("The shadow server's certificate or key is unusable: ", shadow_cert_files!())),
        gnome: Some(concat!("The certificate or key is unusable: create a matching pair and ", grd_cert_files!())),
    },
    Entry {
        id: "tls-legacy-only",
        xrdp: Some("Set ssl_protocols=TLSv1.2, TLSv1.3 in /etc/xrdp/xrdp.ini (without TLSv1 and TLSv1.1), remove any @SECLEVEL=0 from `tls_ciphers`, and restart xrdp."),
        freerdp: Some("freerdp-shadow-cli has no option for TLS versions: FreeRDP 2.x allows TLS 1.0 up to the newest version its OpenSSL supports, so TLS 1.0/1.1 only means a very old OpenSSL or FreeRDP: update them."),
        gnome: Some("gnome-remote-desktop has no setting for TLS versions: they come from the FreeRDP library and OpenSSL it runs on; update them."),
    },
    Entry {
        id: "tls-legacy-enabled",
        xrdp: Some("Remove TLSv1 and TLSv1.1 from `ssl_protocols` in /etc/xrdp/xrdp.ini (ssl_protocols=TLSv1.2, TLSv1.3, the shipped value) and any @SECLEVEL=0 from `tls_ciphers`; restart xrdp."),
        freerdp: Some("freerdp-shadow-cli has no option for TLS versions: FreeRDP 2.x sets TLS 1.0 as the minimum and OpenSSL security level 1, which refuses TLS 1.0/1.1 only from OpenSSL 3.0 on. Run it with OpenSSL 3 (or a FreeRDP built on it), or restrict who can reach the port."),
        gnome: Some("gnome-remote-desktop has no setting for TLS versions: they come from the FreeRDP library and OpenSSL it runs on (OpenSSL 3 refuses TLS 1.0/1.1 at FreeRDP's default security level); update them."),
    },
    Entry {
        id: "weak-cipher-suites",
        xrdp: Some("Set `tls_ciphers` in /etc/xrdp/xrdp.ini to an OpenSSL cipher string without weak suites, e.g. tls_ciphers=HIGH:!ADH:!SHA1 (the example in xrdp.ini(5)), and restart xrdp."),
        freerdp: Some("freerdp-shadow-cli has no option for cipher suites: they are OpenSSL's defaults at FreeRDP's security level; update OpenSSL and FreeRDP, or restrict who can reach the port."),
        gnome: Some("gnome-remote-desktop has no setting for cipher suites: they come from the FreeRDP library and OpenSSL it runs on; update them."),
    },
    Entry {
        id: "cert-expired",
        xrdp: Some(concat!("Renew the certificate (Debian's default snakeoil pair: `make-ssl-cert generate-default-snakeoil --force-overwrite`; or `openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 365`, the example in xrdp.ini) and ", xrdp_cert_files!())),
        freerdp: Some(concat!("Renew the certificate: ", shadow_cert_files!())),
        gnome: Some(concat!("Renew the certificate and ", grd_cert_files!())),
    },
    Entry { id: "cert-not-yet-valid", xrdp: None, freerdp: None, gnome: None },
    Entry {
        id: "cert-expiring-soon",
        xrdp: Some(concat!("Renew the certificate before it expires (Debian's default snakeoil pair: `make-ssl-cert generate-default-snakeoil --force-overwrite`) and ", xrdp_cert_files!())),
        freerdp: Some(concat!("Renew the certificate before it expires: ", shadow_cert_files!())),
        gnome: Some(concat!("Renew the certificate before it expires and ", grd_cert_files!())),
    },
    Entry {
        id: "cert-self-signed",
        xrdp: Some(concat!("Get a certificate from a CA the clients trust and ", xrdp_cert_files!())),
        freerdp: Some(concat!("Get a certificate from a CA the clients trust and ", shadow_cert_files!())),
        gnome: Some(concat!("Get a certificate from a CA the clients trust and ", grd_cert_files!())),
    },
    Entry { id: "cert-name-mismatch", xrdp: None, freerdp: None, gnome: None },
    Entry {
        id: "cert-weak-key",
        xrdp: Some(concat!("Create a certificate with an RSA key of at least 2048 bits (or EC P-256), e.g. `openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 365`, and ", xrdp_cert_files!())),
        freerdp: Some(concat!("Use a certificate with an RSA key of at least 2048 bits (the shadow server also uses this key for Standard RDP Security, so keep it RSA): ", shadow_cert_files!())),
        gnome: Some(concat!("Create a certificate with an RSA key of at least 2048 bits (or EC P-256) and ", grd_cert_files!())),
    },
    Entry {
        id: "cert-weak-signature",
        xrdp: Some(concat!("Re-issue the certificate with a SHA-256 (or better) signature and ", xrdp_cert_files!())),
        freerdp: Some(concat!("Re-issue the certificate with a SHA-256 (or better) signature: ", shadow_cert_files!())),
        gnome: Some(concat!("Re-issue the certificate with a SHA-256 (or better) signature and ", grd_cert_files!())),
    },
    Entry {
        id: "cert-no-server-auth",
        xrdp: Some(concat!("Issue a certificate whose Extended Key Usage includes Server Authentication (1.3.6.1.5.5.7.3.1) and ", xrdp_cert_files!())),
        freerdp: Some(concat!("Issue a certificate whose Extended Key Usage includes Server Authentication (1.3.6.1.5.5.7.3.1): ", shadow_cert_files!())),
        gnome: Some(concat!("Issue a certificate whose Extended Key Usage includes Server Authentication (1.3.6.1.5.5.7.3.1) and ", grd_cert_files!())),
    },
    Entry {
        id: "encryption-none",
        xrdp: Some("xrdp.ini has crypt_level=none: set crypt_level=high (or fips), or better security_layer=tls with a certificate, and restart xrdp."),
        freerdp: Some("freerdp-shadow-cli has no encryption level option; it turns encryption off only for a client at 127.0.0.1/::1 (see loopback-encryption-off). To avoid Standard RDP Security altogether start it with /sec:tls or /sec:nla (or -sec-rdp)."),
        gnome: None,
    },
    Entry {
        id: "encryption-level-low",
        xrdp: Some("xrdp.ini has crypt_level=low (server-to-client data in clear): set crypt_level=high (or fips), or require TLS with security_layer=tls, and restart xrdp."),
        freerdp: None,
        gnome: None,
    },
    Entry {
        id: "weak-rdp-encryption",
        xrdp: Some("xrdp's crypt_level=low and crypt_level=medium use 40-bit RC4 (xrdp has no 56-bit): set crypt_level=high (128-bit) or fips, or require TLS with security_layer=tls, and restart xrdp."),
        freerdp: Some("freerdp-shadow-cli has no encryption level option (it answers 40, 56 or 128-bit as the client offers): turn Standard RDP Security off with /sec:tls, /sec:nla or -sec-rdp."),
        gnome: None,
    },
    Entry {
        id: "fips-required",
        xrdp: Some("xrdp.ini has crypt_level=fips: only FIPS-capable clients connect with Standard RDP Security. If others fail, set crypt_level=high, or let them use TLS (security_layer=negotiate or tls)."),
        freerdp: None,
        gnome: None,
    },
    Entry {
        id: "fips-not-mandated",
        xrdp: None,
        freerdp: Some("freerdp-shadow-cli cannot mandate FIPS (no encryption level option): if FIPS is required, use TLS or NLA instead of Standard RDP Security (/sec:tls or /sec:nla)."),
        gnome: None,
    },
    Entry {
        id: "server-cert-invalid",
        xrdp: Some("xrdp's Standard RDP Security key and its signature come from /etc/xrdp/rsakeys.ini: regenerate it with `xrdp-keygen xrdp /etc/xrdp/rsakeys.ini 2048` (Debian: then `chown xrdp /etc/xrdp/rsakeys.ini`), restart xrdp, and check for a man-in-the-middle."),
        freerdp: Some("The shadow server builds its Standard RDP Security certificate from shadow.key: a certificate that does not verify points to a man-in-the-middle, so check the path; or turn Standard RDP Security off with -sec-rdp."),
        gnome: None,
    },
    Entry {
        id: "listener-closes-after-mcs",
        xrdp: Some(concat!("Read ", xrdp_log!(), " around the connection and compare security_layer / crypt_level with what clients support.")),
        freerdp: Some(concat!("Read ", shadow_log!(), "; check its /sec options against what clients support and that the shared X display still runs.")),
        gnome: Some(concat!("Read ", grd_log!(), " around the connection and check `grdctl status`.")),
    },
    Entry { id: "proxy-failed", xrdp: None, freerdp: None, gnome: None },
    Entry { id: "legacy-server", xrdp: None, freerdp: None, gnome: None },
    Entry {
        id: "standard-rdp-security-only",
        xrdp: Some(concat!("Set security_layer=negotiate (or tls) in /etc/xrdp/xrdp.ini, and ", xrdp_cert_files!(), " With negotiate, xrdp silently drops TLS when the certificate is missing or unreadable.")),
        freerdp: Some("The shadow server was started with /sec:rdp (or with TLS and NLA turned off): start it with /sec:tls, or /sec:nla /sam-file:FILE."),
        gnome: None,
    },
    Entry {
        id: "rdp-security-allowed",
        xrdp: Some("Set security_layer=tls in /etc/xrdp/xrdp.ini once all clients support TLS (xrdp then refuses Standard RDP Security requests with SSL_REQUIRED_BY_SERVER), and restart xrdp."),
        freerdp: Some("Start freerdp-shadow-cli with -sec-rdp, or with /sec:tls or /sec:nla /sam-file:FILE."),
        gnome: None,
    },
    Entry {
        id: "nla-not-required",
        xrdp: Some("xrdp does not implement NLA (CredSSP); restrict access at the network (firewall, VPN) or put an RD Gateway / a server with NLA in front. xrdp.ini's require_credentials=true at least keeps the login screen from anyone who does not send a user name and password."),
        freerdp: Some("Start freerdp-shadow-cli with /sec:nla /sam-file:FILE (NLA is off unless asked for, whatever /help says); the SAM file lists the accepted users (`winpr-hash -u USER -p PASSWORD -d DOMAIN -f sam`)."),
        gnome: None,
    },
    Entry {
        id: "nla-required",
        xrdp: None,
        freerdp: None,
        gnome: Some("Nothing to change: gnome-remote-desktop always requires NLA and has no setting to turn it off; clients must support CredSSP."),
    },
    Entry {
        id: "negotiation-downgrade",
        xrdp: Some("xrdp's known behaviour: with security_layer=rdp it answers every request with Standard RDP Security, with security_layer=negotiate every request without TLS (e.g. NLA only). Nothing to change unless strict clients abort: security_layer=tls makes xrdp refuse instead."),
        freerdp: None,
        gnome: None,
    },
    Entry {
        id: "cert-missing-on-server",
        xrdp: Some("xrdp refuses TLS (SSL_CERT_NOT_ON_SERVER) when the files named by `certificate` and `key_file` are missing or unreadable: they must exist, match each other and be readable by the user xrdp runs as (Debian: user xrdp, so `adduser xrdp ssl-cert` for keys in /etc/ssl/private); empty means /etc/xrdp/cert.pem and /etc/xrdp/key.pem, and relative paths fall back to those. Restart xrdp."),
        freerdp: Some(concat!("The shadow server has no usable certificate: ", shadow_cert_files!())),
        gnome: Some(concat!("gnome-remote-desktop has no usable certificate: create a matching pair and ", grd_cert_files!())),
    },
    // Ids the lead adds to the catalog.
    Entry {
        id: "server-key-weak",
        xrdp: Some("Regenerate xrdp's Standard RDP Security key with `xrdp-keygen xrdp /etc/xrdp/rsakeys.ini 2048` (it makes 512 or 2048 bits; Debian: then `chown xrdp /etc/xrdp/rsakeys.ini`) and restart xrdp, or avoid Standard RDP Security with security_layer=tls."),
        freerdp: Some("The shadow server uses shadow.key, its TLS key, for Standard RDP Security too: replace shadow.crt / shadow.key under $XDG_CONFIG_HOME/freerdp/shadow/ with a pair with an RSA key of at least 2048 bits and restart it, or turn Standard RDP Security off with -sec-rdp."),
        gnome: None,
    },
    Entry {
        id: "tls13-only",
        xrdp: Some("Add TLSv1.2 to `ssl_protocols` in /etc/xrdp/xrdp.ini (ssl_protocols=TLSv1.2, TLSv1.3) and restart xrdp."),
        freerdp: Some("freerdp-shadow-cli has no option for TLS versions and FreeRDP 2.x allows TLS 1.0 and up; a FreeRDP 3 server takes the range from its TLSMinVersion / TLSMaxVersion settings: set the minimum to TLS 1.2 there."),
        gnome: Some("gnome-remote-desktop has no setting for TLS versions: the range comes from the FreeRDP library and OpenSSL it runs on; clients need TLS 1.3 until those allow TLS 1.2."),
    },
    Entry {
        id: "listener-refuses-all",
        xrdp: Some(concat!("xrdp refuses requests only with security_layer=tls: SSL_REQUIRED_BY_SERVER to requests without TLS, SSL_CERT_NOT_ON_SERVER when its certificate is unusable. Fix the certificate: ", xrdp_cert_files!(), " Or set security_layer=negotiate.")),
        freerdp: Some("freerdp-shadow-cli started with /sec:ext alone, or with -sec-rdp -sec-tls -sec-nla, refuses every request: start it with /sec:tls, /sec:nla /sam-file:FILE, or +sec-nla."),
        gnome: Some("gnome-remote-desktop accepts only NLA; if it refuses NLA requests too, check with `grdctl status` that RDP is enabled and a TLS certificate, key and credentials are set."),
    },
    // Issue 14: X.509 chains (Windows licensing only) and Windows end of life.
    Entry { id: "windows-end-of-life", xrdp: None, freerdp: None, gnome: None },
    Entry { id: "negotiation-flag-0x20", xrdp: None, freerdp: None, gnome: None },
    Entry { id: "server-chain-broken", xrdp: None, freerdp: None, gnome: None },
    Entry { id: "server-chain-unverifiable", xrdp: None, freerdp: None, gnome: None },
    Entry { id: "server-chain-expired", xrdp: None, freerdp: None, gnome: None },
    Entry { id: "server-chain-weak-key", xrdp: None, freerdp: None, gnome: None },
    Entry {
        id: "session-licensing-error",
        xrdp: Some("xrdp answers every client 'valid client' and has no licensing: a licensing error comes from something else answering on the port (a Windows host behind a load balancer or NAT rule)."),
        freerdp: Some("The FreeRDP shadow server answers every client 'valid client' and has no licensing: a licensing error comes from something else answering on the port."),
        gnome: Some("gnome-remote-desktop has no Remote Desktop licensing: a licensing error comes from something else answering on the port."),
    },
    Entry {
        id: "session-licensing-challenge",
        xrdp: Some("xrdp has no licensing and answers every client 'valid client': a Platform Challenge (and one rdp-probe cannot answer) comes from a Windows RD Session Host answering on this port (behind a load balancer or NAT rule)."),
        freerdp: Some("The FreeRDP shadow server answers every client 'valid client': a Platform Challenge comes from a Windows RD Session Host answering on this port."),
        gnome: Some("gnome-remote-desktop has no Remote Desktop licensing: a Platform Challenge comes from a Windows RD Session Host answering on this port."),
    },
    Entry {
        id: "session-refused",
        xrdp: Some("xrdp disconnected the session with an ERRINFO code: check /var/log/xrdp.log and /var/log/xrdp-sesman.log at that time (max_bpp, allowed channels, sesman's MaxSessions and the user's groups with TerminalServerUsers / AlwaysGroupCheck in sesman.ini)."),
        freerdp: Some(concat!("The shadow server disconnected the session with an ERRINFO code: check ", shadow_log!(), " at that time.")),
        gnome: Some(concat!("gnome-remote-desktop disconnected the session with an ERRINFO code: check ", grd_log!(), " at that time.")),
    },
    Entry {
        id: "session-dropped",
        xrdp: Some("xrdp closed the session: check /var/log/xrdp.log at that time; a crash right after drawing the login window happens when xrdp.ini lists no session types ([Xorg], [Xvnc] sections)."),
        freerdp: Some(concat!("freerdp-shadow-cli checks the Client Info credentials with PAM unless started with -auth, and drops a client without a valid system account right after the capability exchange ('pam_authenticate failure' in ", shadow_log!(), "): start it with -auth, or connect with an account PAM accepts.")),
        gnome: Some(concat!("gnome-remote-desktop closed the session: check ", grd_log!(), " at that time.")),
    },
    Entry {
        id: "loopback-encryption-off",
        xrdp: None,
        freerdp: Some("Nothing to change on the server: FreeRDP turns Standard RDP Security encryption off for a client at 127.0.0.1 or ::1. To see what remote clients get, probe from another address or with `--source 127.0.0.2`."),
        gnome: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::findings::CATALOG;
    use Implementation::{FreeRdp, GnomeRemoteDesktop as Gnome, Xrdp};

    /// Ids the lead adds to the catalog with this module.
    const NEW_IDS: &[&str] = &[
        "server-key-weak",
        "tls13-only",
        "listener-refuses-all",
        "loopback-encryption-off",
        "tls-handshake-failed",
        "cert-missing-on-server",
    ];

    const GENERIC: &str = "the catalog remedy names nothing Windows-specific";
    const NO_NLA_XRDP: &str = "xrdp never selects CredSSP (libxrdp/xrdp_iso.c: only SSL and RDP security)";
    const NO_RDP_SEC_GRD: &str =
        "gnome-remote-desktop turns Standard RDP Security off (grd-session-rdp.c: RdpSecurity = FALSE)";
    const WINDOWS_ONLY: &str = "fires only for servers identified as Windows (diagnosis::identify)";
    const NO_FLAG_0X20: &str =
        "only Windows build 26100 and later set RDP_NEG_RSP flag 0x20 (xrdp answers flags 0x01, FreeRDP and GNOME 0x03: tests/it snapshots)";
    const NO_CHAIN_XRDP: &str =
        "xrdp sends a proprietary certificate from rsakeys.ini, never an X.509 chain (captures xrdp-rdp-*-mcs)";
    const NO_CHAIN_FREERDP: &str =
        "the FreeRDP server sends a proprietary certificate, never an X.509 chain (TARGETS.md)";
    const NO_NLA_OFF_GRD: &str =
        "gnome-remote-desktop always requires NLA (grd-session-rdp.c: NlaSecurity = TRUE only)";

    /// Every `None` in TABLE with the reason. The test below checks that the two agree.
    const NONE_REASONS: &[(&str, Implementation, &str)] = &[
        ("dns-failure", Xrdp, GENERIC),
        ("dns-failure", FreeRdp, GENERIC),
        ("dns-failure", Gnome, GENERIC),
        ("host-unreachable", Xrdp, GENERIC),
        ("host-unreachable", FreeRdp, GENERIC),
        ("host-unreachable", Gnome, GENERIC),
        ("not-rdp-protocol-error", Xrdp, GENERIC),
        ("not-rdp-protocol-error", FreeRdp, GENERIC),
        ("not-rdp-protocol-error", Gnome, GENERIC),
        ("credentials-not-tested", Xrdp, "about the probe's --user, not the server"),
        ("credentials-not-tested", FreeRdp, "about the probe's --user, not the server"),
        ("credentials-not-tested", Gnome, "about the probe's --user, not the server"),
        ("proxy-failed", Xrdp, "about the probe's SOCKS proxy, not the server"),
        ("proxy-failed", FreeRdp, "about the probe's SOCKS proxy, not the server"),
        ("proxy-failed", Gnome, "about the probe's SOCKS proxy, not the server"),
        ("cert-not-yet-valid", Xrdp, GENERIC),
        ("cert-not-yet-valid", FreeRdp, GENERIC),
        ("cert-not-yet-valid", Gnome, GENERIC),
        ("cert-name-mismatch", Xrdp, GENERIC),
        ("cert-name-mismatch", FreeRdp, GENERIC),
        ("cert-name-mismatch", Gnome, GENERIC),
        ("clock-skew", Xrdp, "the timestamp comes from the NTLM CHALLENGE inside CredSSP, which xrdp never runs"),
        ("credssp-outdated", Xrdp, NO_NLA_XRDP),
        ("credentials-rejected", Xrdp, NO_NLA_XRDP),
        ("credentials-accepted", Xrdp, NO_NLA_XRDP),
        ("nla-probe-failed", Xrdp, NO_NLA_XRDP),
        ("nla-required", Xrdp, NO_NLA_XRDP),
        ("nla-required", FreeRdp, GENERIC),
        ("encryption-none", Gnome, NO_RDP_SEC_GRD),
        (
            "encryption-level-low",
            FreeRdp,
            "the FreeRDP server uses level Client Compatible, or None for loopback clients",
        ),
        ("encryption-level-low", Gnome, NO_RDP_SEC_GRD),
        ("weak-rdp-encryption", Gnome, NO_RDP_SEC_GRD),
        ("fips-required", FreeRdp, "the FreeRDP server uses level Client Compatible, never FIPS (TARGETS.md)"),
        ("fips-required", Gnome, NO_RDP_SEC_GRD),
        (
            "fips-not-mandated",
            Xrdp,
            "xrdp answers only its configured method: FIPS only with crypt_level=fips, the FIPS level",
        ),
        ("fips-not-mandated", Gnome, NO_RDP_SEC_GRD),
        ("server-cert-invalid", Gnome, NO_RDP_SEC_GRD),
        ("legacy-server", Xrdp, "xrdp always answers with negotiation data (RDP_NEG_RSP / RDP_NEG_FAILURE)"),
        (
            "legacy-server",
            FreeRdp,
            "FreeRDP answers with negotiation data even to a request without RDP_NEG_REQ (TARGETS.md)",
        ),
        ("legacy-server", Gnome, "built on FreeRDP, which always answers with negotiation data"),
        ("standard-rdp-security-only", Gnome, NO_RDP_SEC_GRD),
        ("rdp-security-allowed", Gnome, NO_RDP_SEC_GRD),
        ("nla-not-required", Gnome, NO_NLA_OFF_GRD),
        ("negotiation-downgrade", FreeRdp, "FreeRDP refuses unsupported requests with RDP_NEG_FAILURE (TARGETS.md)"),
        ("negotiation-downgrade", Gnome, "built on FreeRDP, which refuses unsupported requests with RDP_NEG_FAILURE"),
        ("server-key-weak", Gnome, NO_RDP_SEC_GRD),
        ("loopback-encryption-off", Xrdp, "xrdp applies crypt_level to loopback clients too (captures xrdp-rdp-*-mcs)"),
        ("loopback-encryption-off", Gnome, NO_RDP_SEC_GRD),
        ("windows-end-of-life", Xrdp, WINDOWS_ONLY),
        ("windows-end-of-life", FreeRdp, WINDOWS_ONLY),
        ("windows-end-of-life", Gnome, WINDOWS_ONLY),
        ("negotiation-flag-0x20", Xrdp, NO_FLAG_0X20),
        ("negotiation-flag-0x20", FreeRdp, NO_FLAG_0X20),
        ("negotiation-flag-0x20", Gnome, NO_FLAG_0X20),
        ("server-chain-broken", Xrdp, NO_CHAIN_XRDP),
        ("server-chain-broken", FreeRdp, NO_CHAIN_FREERDP),
        ("server-chain-broken", Gnome, NO_RDP_SEC_GRD),
        ("server-chain-unverifiable", Xrdp, NO_CHAIN_XRDP),
        ("server-chain-unverifiable", FreeRdp, NO_CHAIN_FREERDP),
        ("server-chain-unverifiable", Gnome, NO_RDP_SEC_GRD),
        ("server-chain-expired", Xrdp, NO_CHAIN_XRDP),
        ("server-chain-expired", FreeRdp, NO_CHAIN_FREERDP),
        ("server-chain-expired", Gnome, NO_RDP_SEC_GRD),
        ("server-chain-weak-key", Xrdp, NO_CHAIN_XRDP),
        ("server-chain-weak-key", FreeRdp, NO_CHAIN_FREERDP),
        ("server-chain-weak-key", Gnome, NO_RDP_SEC_GRD),
    ];

    /// Keys of xrdp.ini [Globals]/[Logging] that remedies may name, checked against
    /// /etc/xrdp/xrdp.ini and xrdp.ini(5) of xrdp 0.9.21.
    const XRDP_KEYS: &[&str] = &[
        "port",
        "security_layer",
        "crypt_level",
        "certificate",
        "key_file",
        "ssl_protocols",
        "tls_ciphers",
        "require_credentials",
        "max_bpp",
        "fork",
        "LogFile",
    ];

    /// Programs the Linux remedies may tell the admin to run (all present on this lab machine or
    /// named by the implementation's own documentation).
    const TOOLS: &[&str] = &[
        "systemctl",
        "ss",
        "xrdp-keygen",
        "chown",
        "adduser",
        "make-ssl-cert",
        "openssl",
        "rdp-probe",
        "winpr-hash",
        "grdctl",
        "journalctl",
        "timedatectl",
    ];

    fn all_ids() -> Vec<&'static str> {
        CATALOG.iter().map(|f| f.id).chain(NEW_IDS.iter().copied()).collect()
    }

    #[test]
    fn every_id_has_an_entry_and_no_stray_entries() {
        for id in all_ids() {
            assert!(TABLE.iter().any(|e| e.id == id), "no remedies entry for {id}");
        }
        let ids = all_ids();
        for e in TABLE {
            assert!(ids.contains(&e.id), "entry {} is neither in CATALOG nor NEW_IDS", e.id);
            assert_eq!(TABLE.iter().filter(|x| x.id == e.id).count(), 1, "{} twice", e.id);
        }
    }

    #[test]
    fn every_none_has_a_reason_and_every_reason_a_none() {
        for id in all_ids() {
            for imp in [Xrdp, FreeRdp, Gnome] {
                let reason = NONE_REASONS.iter().find(|(i, m, _)| *i == id && *m == imp);
                match (remedy(id, imp), reason) {
                    (Some(_), Some(_)) => panic!("{id}/{}: remedy and a reason for None", imp.as_str()),
                    (None, None) => panic!("{id}/{}: None without a documented reason", imp.as_str()),
                    (None, Some((_, _, r))) => assert!(!r.is_empty()),
                    (Some(t), None) => assert!(t.len() > 20, "{id}/{}: {t}", imp.as_str()),
                }
            }
        }
        for (id, imp, _) in NONE_REASONS {
            assert!(all_ids().contains(id), "reason for unknown id {id}");
            assert!(remedy(id, *imp).is_none(), "{id}/{}: reason but a remedy exists", imp.as_str());
        }
    }

    #[test]
    fn xrdp_and_freerdp_cover_the_required_cases() {
        // The examples.
        let nla = remedy("nla-not-required", Xrdp).unwrap();
        assert!(nla.contains("does not implement NLA"), "{nla}");
        assert!(remedy("tls-legacy-only", Xrdp).unwrap().contains("ssl_protocols"));
        assert!(remedy("tls-legacy-enabled", Xrdp).unwrap().contains("ssl_protocols"));
        assert!(remedy("cert-missing-on-server", Xrdp).unwrap().contains("readable by the user xrdp runs as"));
        assert!(remedy("server-key-weak", Xrdp).unwrap().contains("xrdp-keygen xrdp /etc/xrdp/rsakeys.ini 2048"));
        assert!(remedy("tls13-only", Xrdp).unwrap().contains("TLSv1.2"));
        assert!(remedy("listener-refuses-all", FreeRdp).unwrap().contains("/sec:ext"));
        assert!(remedy("loopback-encryption-off", FreeRdp).unwrap().contains("--source 127.0.0.2"));
        assert!(remedy("cert-missing-on-server", FreeRdp).unwrap().contains("shadow.crt"));
        assert!(remedy("nla-not-required", FreeRdp).unwrap().contains("/sec:nla"));
    }

    #[test]
    fn no_windows_terms_in_linux_remedies() {
        let banned_ci = ["system properties", "group policy", "registry", "schannel", "network service", "hklm"];
        for e in TABLE {
            for (imp, text) in [(Xrdp, e.xrdp), (FreeRdp, e.freerdp), (Gnome, e.gnome)] {
                let Some(t) = text else { continue };
                let lower = t.to_ascii_lowercase();
                for b in banned_ci {
                    assert!(!lower.contains(b), "{}/{} mentions {b:?}: {t}", e.id, imp.as_str());
                }
                assert!(!t.contains("KB"), "{}/{} mentions a KB: {t}", e.id, imp.as_str());
            }
        }
    }

    /// Lower-case snake_case words in an xrdp remedy are xrdp.ini keys; the first word of each
    /// `command` is a known tool.
    #[test]
    fn xrdp_remedies_name_real_keys_and_tools() {
        for e in TABLE {
            let Some(t) = e.xrdp else { continue };
            for word in t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                let snake = word.contains('_') && !word.chars().any(|c| c.is_ascii_uppercase());
                if snake {
                    assert!(XRDP_KEYS.contains(&word), "{}: {word:?} is not a verified xrdp.ini key", e.id);
                }
            }
        }
        for e in TABLE {
            for text in [e.xrdp, e.freerdp, e.gnome].into_iter().flatten() {
                for (i, chunk) in text.split('`').enumerate() {
                    if i % 2 == 0 {
                        continue;
                    }
                    let first = chunk.split_whitespace().next().unwrap_or("");
                    // A key name, a tool, or an option of rdp-probe itself.
                    let ok = XRDP_KEYS.contains(&first) || TOOLS.contains(&first) || first.starts_with("--");
                    assert!(ok, "{}: unknown command {chunk:?}", e.id);
                }
            }
        }
    }

    /// On a machine with xrdp installed, every key the remedies name is in its xrdp.ini
    /// (commented or not) or in [Logging].
    #[test]
    fn xrdp_keys_exist_in_installed_xrdp_ini() {
        let Ok(ini) = std::fs::read_to_string("/etc/xrdp/xrdp.ini") else { return };
        for k in XRDP_KEYS {
            assert!(ini.contains(&format!("{k}=")), "{k} not in /etc/xrdp/xrdp.ini");
        }
    }

    #[test]
    fn implementation_names() {
        assert_eq!(Implementation::from_report_name(Some("xrdp")), Xrdp);
        assert_eq!(Implementation::from_report_name(Some("FreeRDP-based server")), FreeRdp);
        assert_eq!(Implementation::from_report_name(Some("GNOME Remote Desktop")), Gnome);
        assert_eq!(Implementation::from_report_name(Some("gnome-remote-desktop")), Gnome);
        assert_eq!(Implementation::from_report_name(Some("Windows")), Implementation::Windows);
        assert_eq!(Implementation::from_report_name(Some("VirtualBox VRDE")), Implementation::Windows);
        assert_eq!(Implementation::from_report_name(None), Implementation::Windows);
        let names: Vec<_> = Implementation::ALL.iter().map(|i| i.as_str()).collect();
        assert_eq!(names, ["windows", "xrdp", "freerdp", "gnome_remote_desktop"]);
        let labels: Vec<_> = Implementation::ALL.iter().map(|i| i.label()).collect();
        assert_eq!(labels, ["Windows", "xrdp", "FreeRDP server", "GNOME Remote Desktop"]);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_names_match_as_str() {
        for imp in Implementation::ALL {
            let json = serde_json::to_string(&imp).unwrap();
            assert_eq!(json, format!("\"{}\"", imp.as_str()));
            assert_eq!(serde_json::from_str::<Implementation>(&json).unwrap(), imp);
        }
    }

    #[test]
    fn windows_is_always_the_catalog() {
        for id in all_ids() {
            assert_eq!(remedy(id, Implementation::Windows), None);
            assert!(all_remedies(id).iter().all(|(i, _)| *i != Implementation::Windows));
        }
        let all = all_remedies("nla-not-required");
        assert_eq!(all.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [Xrdp, FreeRdp]);
        assert!(all_remedies("no-such-id").is_empty());
        assert_eq!(remedy("no-such-id", Xrdp), None);
    }
}
