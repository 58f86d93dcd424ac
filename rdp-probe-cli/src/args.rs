//! Command-line arguments, converted once into the library's plain options.

use clap::Parser;
use rdp_probe::{ProbeOptions, Steps};
use std::time::Duration;

/// Probe Remote Desktop (RDP) listeners: which step fails and why.
#[derive(Debug, Parser)]
#[command(name = "rdp-probe", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    /// `explain ID` or `watch HOST`; without one, probe the targets.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Targets: host, host:port, [v6]:port, IPv6 address, CIDR (10.0.0.0/24), range
    /// (10.0.0.1-10.0.0.50, 10.0.0.1-50).
    #[arg(required_unless_present = "input_list")]
    pub targets: Vec<String>,
    /// Port(s) for targets that name none: 3389 or 3389,3390-3399.
    #[arg(short, long, default_value = "3389")]
    pub port: String,
    /// Seconds to wait for each connect and each read.
    #[arg(short = 't', long, default_value_t = 5.0)]
    pub timeout: f64,
    /// Seconds for the whole probe of one target.
    #[arg(long, default_value_t = 60.0)]
    pub overall_timeout: f64,
    /// One JSON object per target per line (JSON Lines) on stdout (same as --format json).
    #[arg(long)]
    pub json: bool,
    /// Output format: human, json (JSON Lines), csv, nagios (one plugin status line + perfdata).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// nagios: warn when the certificate expires within DAYS.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub cert_warn_days: i64,
    /// nagios: critical when the certificate expires within DAYS.
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    pub cert_crit_days: i64,
    /// nagios: warn when connect + X.224 answer takes longer than MS milliseconds.
    #[arg(long, default_value_t = 1000.0, value_name = "MS")]
    pub warn_ms: f64,
    /// nagios: critical when connect + X.224 answer takes longer than MS milliseconds.
    #[arg(long, default_value_t = 5000.0, value_name = "MS")]
    pub crit_ms: f64,
    /// nagios: let warning/critical findings set the plugin state too.
    #[arg(long)]
    pub nagios_findings: bool,
    /// Show every byte exchanged (hex dump, both directions), like an enhanced telnet.
    #[arg(long)]
    pub raw: bool,
    /// Cookie sent in the X.224 Connection Request (`Cookie: mstshash=NAME`); empty for none.
    #[arg(long, default_value = "user")]
    pub cookie: String,
    /// Which steps run after the negotiation (--quick, --ciphers, --no-tls, --no-nla, --no-mcs).
    #[command(flatten)]
    pub steps: StepArgs,
    /// When the port does not answer as RDP, try other ports of the host: `--find-port` alone
    /// tries common alternatives, `--find-port=3390,13389` a list (the list needs the `=`, so
    /// `--find-port HOST` probes HOST).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "common", value_name = "PORTS")]
    pub find_port: Option<String>,
    /// Check compatibility with a kind of client: win7, win10, legacy, freerdp.
    #[arg(long, value_name = "PROFILE")]
    pub client: Option<String>,
    /// NLA logon check (opt-in): DOMAIN\\user or user@domain. The password comes from the
    /// environment variable RDP_PROBE_PASSWORD, --password-stdin, or a prompt; never from argv.
    /// One attempt per target (account lockout is a real risk).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Read the password for --user from the first line of standard input.
    #[arg(long, requires = "user")]
    pub password_stdin: bool,
    /// How to connect: --source, --proxy.
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Scanning many targets: inputs, concurrency, rate, sharding, output (see scan.rs).
    #[command(flatten)]
    pub scan: crate::scan::ScanArgs,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the long explanation of a finding id (or list them all without an id).
    Explain {
        /// Finding id, e.g. nla-not-required.
        id: Option<String>,
    },
    /// Probe one target repeatedly, like ping: per-try timings, success rate, latency
    /// statistics, and a line whenever the answer changes.
    Watch {
        /// The target: host, host:port, [v6]:port.
        target: String,
        /// Seconds between tries.
        #[arg(short, long, default_value_t = 1.0)]
        interval: f64,
        /// Number of tries (0 = until interrupted).
        #[arg(short, long, default_value_t = 0)]
        count: u64,
        /// Seconds to wait for each connect and each read.
        #[arg(short = 't', long, default_value_t = 3.0)]
        timeout: f64,
        /// Port when the target names none.
        #[arg(short, long, default_value_t = 3389)]
        port: u16,
        /// Run the TLS step even with --quick (the default steps include it).
        #[arg(long)]
        tls: bool,
        /// Cookie sent in the X.224 Connection Request.
        #[arg(long, default_value = "user")]
        cookie: String,
        /// Which steps run each try: the same flags as the main command.
        #[command(flatten)]
        steps: StepArgs,
        /// How to connect: the same --source and --proxy as the main command.
        #[command(flatten)]
        conn: ConnArgs,
    },
}

/// The step flags, shared by the main command and `watch`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StepArgs {
    /// Negotiation only (fast sweep): no TLS, NLA or MCS steps.
    #[arg(long)]
    pub quick: bool,
    /// Also enumerate TLS cipher suites per version (many connections).
    #[arg(long)]
    pub ciphers: bool,
    /// Skip the TLS step.
    #[arg(long)]
    pub no_tls: bool,
    /// Skip the NLA (CredSSP/NTLM) step.
    #[arg(long)]
    pub no_nla: bool,
    /// Skip the MCS step.
    #[arg(long)]
    pub no_mcs: bool,
}

impl StepArgs {
    /// The library's steps for these flags.
    pub fn steps(&self) -> Steps {
        let mut steps = if self.quick {
            Steps::NEGOTIATION
        } else if self.ciphers {
            Steps::ALL
        } else {
            Steps::DEFAULT
        };
        if self.no_tls {
            steps.tls = false;
            steps.tls_versions = false;
            steps.tls_ciphers = false;
        }
        if self.no_nla {
            steps.nla = false;
        }
        if self.no_mcs {
            steps.mcs = false;
            steps.mcs_methods = false;
        }
        steps
    }
}

/// How to connect, shared by the main command and `watch`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnArgs {
    /// Local address to connect from.
    #[arg(long)]
    pub source: Option<std::net::IpAddr>,
    /// Connect through a SOCKS5 proxy: socks5://[user:password@]host:port.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
}

impl ConnArgs {
    /// Sets the source address and proxy of `opts`.
    pub fn apply(&self, opts: &mut ProbeOptions) -> Result<(), String> {
        if let Some(s) = self.source {
            opts.source = Some(s);
        }
        if let Some(p) = &self.proxy {
            opts.proxy = Some(crate::scan::parse_proxy(p)?);
        }
        Ok(())
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable report.
    Human,
    /// JSON Lines.
    Json,
    /// CSV, one row per target.
    Csv,
    /// Nagios/Icinga plugin line.
    Nagios,
}

impl Cli {
    pub fn format(&self) -> Format {
        match (self.format, self.json) {
            (Some(f), _) => f,
            (None, true) => Format::Json,
            (None, false) => Format::Human,
        }
    }

    pub fn ports(&self) -> Result<Vec<u16>, String> {
        parse_ports(&self.port)
    }

    pub fn probe_options(&self) -> Result<ProbeOptions, String> {
        let secs = |s: f64, what: &str| {
            if s.is_finite() && s > 0.0 && s < 86_400.0 {
                Ok(Duration::from_secs_f64(s))
            } else {
                Err(format!("invalid {what}: {s}"))
            }
        };
        let steps = self.steps.steps();
        let mut b = ProbeOptions::builder()
            .timeout(secs(self.timeout, "--timeout")?)
            .overall_timeout(secs(self.overall_timeout, "--overall-timeout")?)
            .cookie(&self.cookie)
            .steps(steps)
            .raw(self.raw);
        if let Some(fp) = &self.find_port {
            let ports =
                if fp == "common" { rdp_probe::options::COMMON_ALTERNATIVE_PORTS.to_vec() } else { parse_ports(fp)? };
            b = b.find_ports(ports);
        }
        if let Some(c) = &self.client {
            b = b.client(
                rdp_probe::client::ClientProfile::parse(c)
                    .ok_or_else(|| format!("unknown --client {c:?} (win7, win10, legacy, freerdp)"))?,
            );
        }
        if let Some(user) = &self.user {
            b = b.credentials(rdp_probe::Credentials::parse(user, read_password(self.password_stdin)?));
        }
        let mut opts = b.build();
        self.conn.apply(&mut opts)?;
        Ok(opts)
    }
}

/// Parses `3389`, `3389,3390-3399`.
pub fn parse_ports(s: &str) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("invalid port or range: {part}");
        if let Some((a, b)) = part.split_once('-') {
            let (a, b): (u16, u16) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
            if a == 0 || b < a {
                return Err(bad());
            }
            out.extend(a..=b);
        } else {
            let p: u16 = part.parse().map_err(|_| bad())?;
            if p == 0 {
                return Err(bad());
            }
            out.push(p);
        }
    }
    if out.is_empty() {
        return Err("no port given".into());
    }
    Ok(out)
}

/// The password for `--user`: RDP_PROBE_PASSWORD, else stdin (`--password-stdin`), else a
/// prompt on the terminal without echo.
fn read_password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the password from stdin: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    if let Ok(p) = std::env::var("RDP_PROBE_PASSWORD") {
        return Ok(p);
    }
    rpassword::prompt_password("Password: ")
        .map_err(|e| format!("no password: set RDP_PROBE_PASSWORD, use --password-stdin, or run on a terminal ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(parse_ports("3389").unwrap(), [3389]);
        assert_eq!(parse_ports("3389,3390-3392").unwrap(), [3389, 3390, 3391, 3392]);
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("5-3").is_err());
        assert!(parse_ports("x").is_err());
    }
}
