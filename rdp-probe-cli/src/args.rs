//! Command-line arguments (clap). Nothing here runs or validates: [`crate::config::Config`]
//! converts them, once, into what the run needs.

use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;

/// Probe Remote Desktop (RDP) listeners: which step fails and why.
#[derive(Debug, Parser)]
#[command(name = "rdp-probe", version, about, long_about = None, after_help = examples())]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    /// `explain ID`, `watch HOST` or `serve`; without one, probe the targets.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Targets: host, host:port, [v6]:port, IPv6 address, CIDR (10.0.0.0/24), range
    /// (10.0.0.1-10.0.0.50, 10.0.0.1-50).
    #[arg(required_unless_present = "input_list")]
    pub targets: Vec<String>,
    /// One JSON object per target per line (JSON Lines) on stdout (same as --format json).
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    /// Output format: human, json (JSON Lines), csv, nagios (one plugin status line + perfdata).
    #[arg(long, value_enum, help_heading = "Output")]
    pub format: Option<Format>,
    /// Show every byte exchanged (hex dump, both directions), like an enhanced telnet.
    #[arg(long, help_heading = "Output")]
    pub raw: bool,
    /// Colour the human output by verdict and severity: auto (when stdout is a terminal and
    /// NO_COLOR is unset or empty), always, never. JSON, CSV and Nagios are never coloured.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorWhen,
    /// Which steps run after the negotiation (--quick, --ciphers, --no-tls, --no-nla, --no-mcs).
    #[command(flatten)]
    pub steps: StepArgs,
    /// When the port does not answer as RDP, try other ports of the host: `--find-port` alone
    /// tries common alternatives, `--find-port=3390,13389` a list (the list needs the `=`, so
    /// `--find-port HOST` probes HOST).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "common", value_name = "PORTS")]
    #[arg(help_heading = "Steps")]
    pub find_port: Option<String>,
    /// Check compatibility with a kind of client: win7, win10, legacy, freerdp.
    #[arg(long, value_name = "PROFILE", help_heading = "Steps")]
    pub client: Option<String>,
    /// Go the whole way a client goes, on one more connection: channels, security exchange,
    /// Client Info without credentials (the logon screen), licensing, capabilities,
    /// finalization and the first screen. Reports how far it got and why it stopped.
    #[arg(long, help_heading = "Session")]
    pub session: bool,
    /// Save the first screen (the logon screen) as PNG to PATH (implies --session). With many
    /// targets give a directory (`DIR/`): one file per RDP target, named ADDRESS_PORT.png.
    /// Desktops up to 8192 pixels a side and 8192x4096 in all; a larger one gets no file.
    #[arg(long, value_name = "PATH", help_heading = "Session")]
    pub screenshot: Option<PathBuf>,
    /// How long the session waits for the screen to settle, in seconds.
    #[arg(long, default_value_t = 5.0, value_name = "SECS", help_heading = "Session")]
    pub session_timeout: f64,
    /// Port(s) for targets that name none: 3389 or 3389,3390-3399.
    #[arg(short, long, default_value = "3389", help_heading = "Scanning")]
    pub port: String,
    /// Scanning many targets: inputs, concurrency, rate, sharding, output ([`ScanArgs`]).
    #[command(flatten)]
    pub scan: ScanArgs,
    /// NLA logon check (opt-in): DOMAIN\user or user@domain. The password comes from the
    /// environment variable RDP_PROBE_PASSWORD, --password-stdin, or a prompt; never from argv.
    /// One attempt per target (account lockout is a real risk).
    #[arg(long, value_name = "USER", help_heading = "Credentials")]
    pub user: Option<String>,
    /// Read the password for --user from the first line of standard input.
    #[arg(long, requires = "user", help_heading = "Credentials")]
    pub password_stdin: bool,
    /// With --session on a server that requires NLA: send the password to the server
    /// (TSCredentials, after the CredSSP logon), as mstsc does, so the session can go on.
    /// This HANDS YOUR PASSWORD TO THE SERVER: only use it against servers you trust.
    #[arg(long, requires = "user", help_heading = "Credentials")]
    pub delegate_credentials: bool,
    /// nagios: warn when the certificate expires within DAYS.
    #[arg(long, default_value_t = 30, value_name = "DAYS", help_heading = "Nagios")]
    pub cert_warn_days: i64,
    /// nagios: critical when the certificate expires within DAYS.
    #[arg(long, default_value_t = 7, value_name = "DAYS", help_heading = "Nagios")]
    pub cert_crit_days: i64,
    /// nagios: warn when connect + X.224 answer takes longer than MS milliseconds.
    #[arg(long, default_value_t = 1000.0, value_name = "MS", help_heading = "Nagios")]
    pub warn_ms: f64,
    /// nagios: critical when connect + X.224 answer takes longer than MS milliseconds.
    #[arg(long, default_value_t = 5000.0, value_name = "MS", help_heading = "Nagios")]
    pub crit_ms: f64,
    /// nagios: let warning/critical findings set the plugin state too.
    #[arg(long, help_heading = "Nagios")]
    pub nagios_findings: bool,
    /// Seconds to wait for each connect and each read.
    #[arg(short = 't', long, default_value_t = 5.0, help_heading = "Network")]
    pub timeout: f64,
    /// Seconds for the whole probe of one target.
    #[arg(long, default_value_t = 60.0, help_heading = "Network")]
    pub overall_timeout: f64,
    /// Cookie sent in the X.224 Connection Request (`Cookie: mstshash=NAME`); empty for none.
    #[arg(long, default_value = "user", help_heading = "Network")]
    pub cookie: String,
    /// How to connect: --source, --proxy.
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// Examples: the command and what it does. The end of `--help` and the manual's EXAMPLES.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("rdp-probe rdp.example.org", "Probe one host (port 3389): the verdict, the findings with remedies, each step."),
    (
        "rdp-probe --csv -p 3389,3390 10.0.0.0/24 > audit.csv",
        "Scan a subnet, one CSV row per target (--json for JSON Lines, --quick for a fast sweep).",
    ),
    (
        "rdp-probe --format nagios --cert-warn-days 21 rdp.example.org",
        "Nagios/Icinga check: one status line with perfdata, exit 0/1/2/3.",
    ),
    (
        "rdp-probe --user 'CORP\\alice' --password-stdin rdp.example.org < password.txt",
        "NLA logon check, one attempt (or RDP_PROBE_PASSWORD, or a prompt; never on argv).",
    ),
    (
        "lab/lab.sh up && rdp-probe 127.0.0.1:13389",
        "The local lab: real xrdp and FreeRDP servers on loopback (see the README).",
    ),
    ("rdp-probe explain nla-not-required", "What a finding means and how to fix it."),
];

/// The end of `--help`: [`EXAMPLES`] under a heading styled like clap's own.
fn examples() -> clap::builder::StyledStr {
    let h = clap::builder::Styles::default().get_header().to_owned();
    let mut s = format!("{h}Examples:{h:#}\n");
    for (cmd, what) in EXAMPLES {
        s.push_str(&format!("  {cmd}\n      {what}\n"));
    }
    s.into()
}

/// When to colour the human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// When stdout is a terminal and NO_COLOR is unset or empty.
    Auto,
    /// Always (also into a pipe or file).
    Always,
    /// Never.
    Never,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print a shell completion script to stdout (see the README for where to install it).
    #[command(display_order = 100)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout: `rdp-probe manpage | man -l -`.
    #[command(display_order = 101)]
    Manpage,
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
    /// Prometheus exporter: `GET /probe?target=HOST:PORT[&module=NAME]` probes one target and
    /// answers its metrics; `GET /metrics` the exporter's own.
    Serve(crate::serve::ServeArgs),
}

/// The step flags, shared by the main command and `watch`.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Steps")]
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

/// How to connect, shared by the main command and `watch`.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Network")]
pub struct ConnArgs {
    /// Local address to connect from.
    #[arg(long)]
    pub source: Option<std::net::IpAddr>,
    /// Connect through a SOCKS5 proxy: socks5://[user:password@]host:port.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
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

/// Options for scanning many targets.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Scanning")]
pub struct ScanArgs {
    /// Probes in flight at once [default: from the open-file limit, which is raised to its
    /// hard limit at start: 90% of it, at most 5000].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// At most this many new probes started per second (token bucket).
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,
    /// At most this many probes in flight per host (politeness; 0 = no limit).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub per_host: usize,
    /// Probe only shard K of N of the expanded target list (target i is in shard i mod N + 1):
    /// N machines split one list with no overlap.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Read targets from FILE (`-` = stdin): one or more per line (host, address, CIDR, range),
    /// or nmap -oX / masscan -oX, -oJ, -oL output (open ports). Repeatable. `-iL` works too.
    #[arg(long = "input-list", value_name = "FILE")]
    pub input_list: Vec<PathBuf>,
    /// Seconds to wait between two connections to the same target.
    #[arg(long, value_name = "SECONDS")]
    pub connection_delay: Option<f64>,
    /// Connections to one target in flight at once (default 8). New connections start 2 ms
    /// apart (xrdp's listen backlog is 2: a burst of SYNs costs it a dropped SYN, about 1 s),
    /// and a slow TCP handshake halves this and slows the pace for the rest of the probe.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: Option<u16>,
    /// Extra attempts for a target whose TCP connect timed out.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub retries: u32,
    /// One CSV row per target on stdout (header first); same as --format csv.
    #[arg(long, conflicts_with = "json", help_heading = "Output")]
    pub csv: bool,
}

/// Lets nmap users write `-iL FILE`: rewrites it to `--input-list FILE` before clap sees it.
pub fn nmap_style_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter().map(|a| if a == "-iL" { OsString::from("--input-list") } else { a }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn il_rewrite() {
        let a = nmap_style_args(["x", "-iL", "f"].map(OsString::from));
        assert_eq!(a, ["x", "--input-list", "f"].map(OsString::from));
    }
}
