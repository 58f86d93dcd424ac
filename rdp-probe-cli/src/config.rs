//! The one conversion from command-line arguments to what a run needs: [`Config::from_cli`].
//! Nothing else reads the clap structs. Parsing of values the library knows (port lists,
//! targets, proxy URLs, shards, client profiles, credentials) is the library's.

use crate::args::{self, Cli, ConnArgs, StepArgs};
use crate::output::{nagios::Thresholds, Format};
use rdp_probe::scan::targets::{parse_ports, Shard, TargetSpec};
use rdp_probe::scan::ScanOptions;
use rdp_probe::{ProbeOptions, Proxy, Steps, Target};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// What to run, with everything it needs.
#[derive(Debug)]
pub enum Config {
    /// `completions SHELL`: the completion script for that shell.
    Completions(clap_complete::Shell),
    /// `manpage`: the manual page (roff).
    Manpage,
    /// `explain [ID]`.
    Explain(Option<String>),
    /// `watch TARGET`.
    Watch(WatchConfig),
    /// `--format nagios`: one target, plugin exit codes.
    Nagios(NagiosConfig),
    /// The main command: probe the targets (one or many).
    Probe(ProbeConfig),
    /// `serve`: the Prometheus exporter.
    Serve(crate::serve::ServeConfig),
}

/// `watch TARGET`: one target, probed repeatedly.
#[derive(Debug)]
pub struct WatchConfig {
    /// The target.
    pub target: Target,
    /// Seconds between tries.
    pub interval: f64,
    /// Number of tries (0 = until interrupted).
    pub count: u64,
    /// The options of each try.
    pub opts: ProbeOptions,
}

/// `--format nagios`.
#[derive(Debug)]
pub struct NagiosConfig {
    /// The one target, or why there is none (printed as `RDP UNKNOWN - ...`, exit 3).
    pub target: Result<Target, String>,
    /// Probe options.
    pub opts: ProbeOptions,
    /// Plugin thresholds.
    pub thresholds: Thresholds,
}

/// The main command: the targets, the probe and scan options, the output format.
#[derive(Debug)]
pub struct ProbeConfig {
    /// Probe options (per target).
    pub opts: ProbeOptions,
    /// Scan options (concurrency, rate, per host, shard, retries).
    pub scan: ScanOptions,
    /// The targets given as arguments, parsed.
    pub specs: Vec<TargetSpec>,
    /// Files (`-` = stdin) to read more targets from, lazily, after the arguments.
    pub input_lists: Vec<PathBuf>,
    /// Ports for targets that name none.
    pub ports: Vec<u16>,
    /// Output format: human, json or csv (`--csv` folded in).
    pub format: Format,
    /// Colour the human output (`--color`, resolved; never for JSON or CSV).
    pub color: bool,
    /// `--screenshot`: where the first screen goes (a file, or a directory for many targets).
    pub screenshot: Option<PathBuf>,
}

impl Config {
    /// Converts the arguments. `Err` is a usage error (exit 64). Validation runs in the order
    /// the options are listed in `--help`'s groups, the first bad value wins.
    pub fn from_cli(cli: &Cli) -> Result<Config, String> {
        match &cli.command {
            Some(args::Command::Completions { shell }) => return Ok(Config::Completions(*shell)),
            Some(args::Command::Manpage) => return Ok(Config::Manpage),
            Some(args::Command::Explain { id }) => return Ok(Config::Explain(id.clone())),
            Some(args::Command::Serve(a)) => return crate::serve::ServeConfig::from_args(a).map(Config::Serve),
            Some(args::Command::Watch { target, interval, count, timeout, port, tls, cookie, steps, conn }) => {
                let target = Target::parse(target, *port).map_err(|e| e.to_string())?;
                let (interval, timeout) = (*interval, *timeout);
                if !(interval.is_finite()
                    && interval >= 0.0
                    && timeout.is_finite()
                    && timeout > 0.0
                    && timeout < 86_400.0)
                {
                    return Err("invalid --interval or --timeout".into());
                }
                let mut steps = step_flags(steps);
                if *tls {
                    steps.tls = true;
                }
                // Each step has its own deadlines; the whole try gets room for the plan's
                // connections.
                let overall = if steps == Steps::NEGOTIATION { timeout * 4.0 + 1.0 } else { timeout * 12.0 + 1.0 };
                let mut opts = ProbeOptions::builder()
                    .timeout(Duration::from_secs_f64(timeout))
                    .overall_timeout(Duration::from_secs_f64(overall))
                    .cookie(cookie)
                    .steps(steps)
                    .build();
                apply_conn(conn, &mut opts)?;
                return Ok(Config::Watch(WatchConfig { target, interval, count: *count, opts }));
            }
            None => {}
        }
        let format = match (cli.format, cli.json) {
            (Some(f), _) => f,
            (None, true) => args::Format::Json,
            (None, false) => args::Format::Human,
        };
        let mut opts = probe_options(cli)?;
        if format == args::Format::Nagios {
            let target = match (cli.targets.first(), cli.targets.len()) {
                (Some(t), 1) => {
                    let port = *ports(&cli.port)?.first().unwrap_or(&rdp_probe::DEFAULT_PORT);
                    Target::parse(t, port).map_err(|e| e.to_string())
                }
                _ => Err("--format nagios takes exactly one target".into()),
            };
            let thresholds = Thresholds {
                cert_warn_days: cli.cert_warn_days,
                cert_crit_days: cli.cert_crit_days,
                warn_ms: cli.warn_ms,
                crit_ms: cli.crit_ms,
                findings: cli.nagios_findings,
            };
            return Ok(Config::Nagios(NagiosConfig { target, opts, thresholds }));
        }

        let s = &cli.scan;
        // Raised before anything is opened: the default concurrency follows from it, and an
        // explicit --concurrency needs it too.
        let nofile = raise_nofile();
        if let Some(d) = s.connection_delay {
            if !(d.is_finite() && (0.0..86_400.0).contains(&d)) {
                return Err(format!("invalid --connection-delay: {d}"));
            }
            opts.connection_delay = Duration::from_secs_f64(d);
        }
        if let Some(n) = s.parallel {
            opts.parallel_connections = usize::from(n);
        }
        let mut so = ScanOptions::builder()
            .concurrency(s.concurrency.unwrap_or_else(|| default_concurrency(nofile)))
            .per_host(s.per_host)
            .connect_retries(s.retries);
        if let Some(r) = s.rate {
            if !(r.is_finite() && r > 0.0) {
                return Err(format!("invalid --rate: {r}"));
            }
            so = so.rate(r);
        }
        if let Some(sh) = &s.shard {
            so = so.shard(Shard::parse(sh).map_err(|e| format!("--shard: {e}"))?);
        }
        let ports = ports(&cli.port)?;
        let specs = cli
            .targets
            .iter()
            .map(|t| TargetSpec::parse(t).map_err(|e| format!("target {t:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let format = match format {
            _ if s.csv => Format::Csv,
            args::Format::Csv => Format::Csv,
            args::Format::Json => Format::Json,
            args::Format::Human | args::Format::Nagios => Format::Human,
        };
        Ok(Config::Probe(ProbeConfig {
            opts,
            scan: so.build(),
            specs,
            input_lists: s.input_list.clone(),
            ports,
            format,
            color: format == Format::Human
                && color_wanted(cli.color, std::io::stdout().is_terminal(), std::env::var_os("NO_COLOR")),
            screenshot: cli.screenshot.clone(),
        }))
    }
}

/// Whether to colour: `always`, `never`, or with `auto` when stdout is a terminal and
/// `NO_COLOR` is unset or empty (<https://no-color.org>).
pub fn color_wanted(when: args::ColorWhen, stdout_is_tty: bool, no_color: Option<std::ffi::OsString>) -> bool {
    match when {
        args::ColorWhen::Always => true,
        args::ColorWhen::Never => false,
        args::ColorWhen::Auto => stdout_is_tty && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// The library's steps for the step flags (shared by the main command and `watch`).
pub(crate) fn step_flags(f: &StepArgs) -> Steps {
    let mut steps = if f.quick {
        Steps::NEGOTIATION
    } else if f.ciphers {
        Steps::ALL
    } else {
        Steps::DEFAULT
    };
    if f.no_tls {
        steps.tls = false;
        steps.tls_versions = false;
        steps.tls_ciphers = false;
    }
    if f.no_nla {
        steps.nla = false;
    }
    if f.no_mcs {
        steps.mcs = false;
        steps.mcs_methods = false;
    }
    steps
}

/// Sets the source address and proxy of `opts` (shared by the main command and `watch`).
fn apply_conn(c: &ConnArgs, opts: &mut ProbeOptions) -> Result<(), String> {
    if let Some(s) = c.source {
        opts.source = Some(s);
    }
    if let Some(p) = &c.proxy {
        opts.proxy = Some(Proxy::parse(p).map_err(|e| format!("--proxy {e}"))?);
    }
    Ok(())
}

/// A port list (`-p`, `--find-port=`), parsed by the library.
fn ports(s: &str) -> Result<Vec<u16>, String> {
    parse_ports(s).map_err(|e| e.to_string())
}

/// The probe options of the main command (and `--format nagios`).
fn probe_options(cli: &Cli) -> Result<ProbeOptions, String> {
    let secs = |s: f64, what: &str| {
        if s.is_finite() && s > 0.0 && s < 86_400.0 {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(format!("invalid {what}: {s}"))
        }
    };
    let mut b = ProbeOptions::builder()
        .timeout(secs(cli.timeout, "--timeout")?)
        .overall_timeout(secs(cli.overall_timeout, "--overall-timeout")?)
        .cookie(&cli.cookie)
        .steps(step_flags(&cli.steps))
        .raw(cli.raw);
    if let Some(fp) = &cli.find_port {
        let ports = if fp == "common" { rdp_probe::options::COMMON_ALTERNATIVE_PORTS.to_vec() } else { ports(fp)? };
        b = b.find_ports(ports);
    }
    if let Some(c) = &cli.client {
        b = b.client(
            rdp_probe::diagnosis::client::ClientProfile::parse(c)
                .ok_or_else(|| format!("unknown --client {c:?} (win7, win10, legacy, freerdp)"))?,
        );
    }
    if let Some(user) = &cli.user {
        b = b.credentials(rdp_probe::Credentials::parse(user, read_password(cli.password_stdin)?));
    }
    if cli.session || cli.screenshot.is_some() {
        b = b
            .session(true, cli.screenshot.is_some())
            .session_timeout(secs(cli.session_timeout, "--session-timeout")?)
            .delegate_credentials(cli.delegate_credentials);
    }
    let mut opts = b.build();
    apply_conn(&cli.conn, &mut opts)?;
    Ok(opts)
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

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force.
fn raise_nofile() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024)
}

/// Default concurrency for an open-file limit: each probe holds at most one socket at a time,
/// so most of the descriptors, less a reserve, capped at 5000.
pub fn default_concurrency(nofile: u64) -> usize {
    let usable = nofile.saturating_sub(64) * 9 / 10;
    usize::try_from(usable.clamp(16, 5000)).unwrap_or(5000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(args: &[&str]) -> Result<Config, String> {
        let argv = std::iter::once("rdp-probe").chain(args.iter().copied()).map(std::ffi::OsString::from);
        Config::from_cli(&Cli::try_parse_from(args::nmap_style_args(argv)).map_err(|e| e.to_string())?)
    }

    fn probe(args: &[&str]) -> ProbeConfig {
        match config(args) {
            Ok(Config::Probe(p)) => p,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn concurrency_from_limit() {
        assert_eq!(default_concurrency(1024), 864);
        assert_eq!(default_concurrency(20_000), 5000);
        assert_eq!(default_concurrency(10), 16);
    }

    #[test]
    fn step_flags_map_to_steps() {
        let f =
            |quick, ciphers, no_tls, no_nla, no_mcs| step_flags(&StepArgs { quick, ciphers, no_tls, no_nla, no_mcs });
        assert_eq!(f(false, false, false, false, false), Steps::DEFAULT);
        assert_eq!(f(true, true, false, false, false), Steps::NEGOTIATION);
        assert_eq!(f(false, true, false, false, false), Steps::ALL);
        let s = f(false, true, true, true, true);
        assert!(!s.tls && !s.tls_versions && !s.tls_ciphers && !s.nla && !s.mcs && !s.mcs_methods);
        assert!(s.negotiation_extended);
    }

    #[test]
    fn main_command() {
        let p = probe(&["-p", "3389,3390-3391", "--quick", "--format", "json", "--rate", "5", "--shard", "2/3", "h"]);
        assert_eq!(p.ports, [3389, 3390, 3391]);
        assert_eq!(p.format, Format::Json);
        assert_eq!(p.opts.steps, Steps::NEGOTIATION);
        assert_eq!(p.scan.rate, Some(5.0));
        assert!(p.scan.shard.is_some());
        assert_eq!(p.specs.len(), 1);
        assert_eq!(probe(&["--format", "json", "--csv", "h"]).format, Format::Csv);
        assert_eq!(probe(&["--json", "h"]).format, Format::Json);
        assert_eq!(probe(&["h"]).format, Format::Human);
        let p = probe(&["--proxy", "socks5://u:p@127.0.0.1:1080", "--connection-delay", "0.5", "-iL", "f", "h"]);
        assert_eq!(
            p.opts.proxy,
            Some(Proxy::Socks5 { address: "127.0.0.1:1080".into(), auth: Some(("u".into(), "p".into())) })
        );
        assert_eq!(p.opts.connection_delay, Duration::from_millis(500));
        assert_eq!(probe(&["--parallel", "6", "h"]).opts.parallel_connections, 6);
        assert_eq!(probe(&["h"]).opts.parallel_connections, 8);
        assert!(config(&["--parallel", "0", "h"]).is_err());
        assert_eq!(p.input_lists, [PathBuf::from("f")]);
        assert_eq!(probe(&["--find-port", "h"]).opts.find_ports, rdp_probe::options::COMMON_ALTERNATIVE_PORTS);
        assert_eq!(probe(&["--find-port=3390,13389", "h"]).opts.find_ports, [3390, 13389]);
    }

    #[test]
    fn usage_errors_keep_their_wording() {
        let err = |a: &[&str]| config(a).err().unwrap_or_default();
        assert_eq!(err(&["-p", "0", "h"]), "invalid port or range: 0");
        assert_eq!(err(&["-p", ",", "h"]), "no port given");
        assert_eq!(
            err(&["--proxy", "http://x:1", "h"]),
            "--proxy \"http://x:1\": only socks5://host:port is supported"
        );
        assert_eq!(err(&["--proxy", "socks5://x", "h"]), "--proxy \"socks5://x\": expected host:port");
        assert_eq!(err(&["-t", "0", "h"]), "invalid --timeout: 0");
        assert_eq!(err(&["--rate", "0", "h"]), "invalid --rate: 0");
        assert_eq!(err(&["--client", "foo", "h"]), "unknown --client \"foo\" (win7, win10, legacy, freerdp)");
        assert_eq!(err(&["bad/x"]), "target \"bad/x\": invalid target \"bad/x\"");
        assert_eq!(err(&["watch", "h:0"]), "invalid port in \"h:0\"");
        assert_eq!(
            err(&["watch", "--proxy", "ftp://x", "h"]),
            "--proxy \"ftp://x\": only socks5://host:port is supported"
        );
        assert_eq!(err(&["--format", "nagios", "-p", "x", "h"]), "invalid port or range: x");
    }

    #[test]
    fn color_choice() {
        use args::ColorWhen::{Always, Auto, Never};
        let set = |v: &str| Some(std::ffi::OsString::from(v));
        assert!(color_wanted(Always, false, set("1")));
        assert!(!color_wanted(Never, true, None));
        assert!(color_wanted(Auto, true, None));
        assert!(color_wanted(Auto, true, set("")), "an empty NO_COLOR does not count");
        assert!(!color_wanted(Auto, true, set("1")));
        assert!(!color_wanted(Auto, false, None));
        // In `cargo test` stdout is captured, not a terminal: auto is off; JSON/CSV never colour.
        assert!(!probe(&["h"]).color);
        assert!(probe(&["--color", "always", "h"]).color);
        assert!(!probe(&["--color", "always", "--json", "h"]).color);
        assert!(!probe(&["--color", "always", "--csv", "h"]).color);
        assert!(matches!(config(&["completions", "zsh"]), Ok(Config::Completions(clap_complete::Shell::Zsh))));
        assert!(matches!(config(&["manpage"]), Ok(Config::Manpage)));
    }

    #[test]
    fn nagios_and_watch() {
        match config(&["--format", "nagios", "--warn-ms", "10", "-p", "3390", "h"]) {
            Ok(Config::Nagios(n)) => {
                assert_eq!(n.target.map(|t| t.port), Ok(3390));
                assert_eq!(n.thresholds.warn_ms, 10.0);
            }
            other => panic!("{other:?}"),
        }
        match config(&["--format", "nagios", "a", "b"]) {
            Ok(Config::Nagios(n)) => assert_eq!(n.target, Err("--format nagios takes exactly one target".into())),
            other => panic!("{other:?}"),
        }
        match config(&["watch", "--quick", "--tls", "-t", "2", "-c", "3", "h"]) {
            Ok(Config::Watch(w)) => {
                assert_eq!((w.target.port, w.count), (3389, 3));
                assert!(w.opts.steps.tls && !w.opts.steps.nla);
                assert_eq!(w.opts.overall_timeout, Duration::from_secs(25));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(config(&["explain", "x"]), Ok(Config::Explain(Some(id))) if id == "x"));
    }
}
