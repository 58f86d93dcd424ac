//! `rdp-probe`: thin CLI over the rdp-probe library. Parses arguments into plain options, runs
//! the probes, prints reports, and maps outcomes to exit codes (see README "Exit codes").

mod args;
mod human;
mod nagios;
mod scan;
mod watch;

use args::Cli;
use clap::Parser;
use rdp_probe::{ProbeOptions, Report, Status};
use std::process::ExitCode;

/// Exit codes (documented in README), from the verdict.
pub mod exit {
    /// Usable: a client can connect; no finding worse than informational.
    pub const OK: u8 = 0;
    /// Usable with warnings: the worst finding is a warning.
    pub const WARNING: u8 = 1;
    /// A problem: unusable (no client completes a connection: an RDP listener blocked at some
    /// step, a silent or closing listener, an undecodable answer), not RDP (another service), or
    /// usable with a critical finding.
    pub const PROBLEM: u8 = 2;
    /// Unreachable: refused, timed out, the name did not resolve, or the proxy failed.
    pub const UNREACHABLE: u8 = 3;
    /// Usage error (bad arguments or targets).
    pub const USAGE: u8 = 64;
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(scan::nmap_style_args(std::env::args_os()));
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("rdp-probe: {msg}");
            ExitCode::from(exit::USAGE)
        }
    }
}

/// Exit code for one report, from its verdict: unreachable 3; unusable or not RDP 2 (never 0,
/// whatever the findings); usable (with or without warnings) the worst finding (critical 2,
/// warning 1, else 0). Without a verdict: from the status as before.
pub fn code_for(r: &Report) -> u8 {
    use rdp_probe::findings::{worst, Severity};
    use rdp_probe::verdict::VerdictState;
    let by_findings = || match worst(&r.findings) {
        Some(Severity::Critical) => exit::PROBLEM,
        Some(Severity::Warning) => exit::WARNING,
        _ => exit::OK,
    };
    if let Some(v) = &r.verdict {
        return match v.state {
            VerdictState::Usable | VerdictState::UsableWithWarnings => by_findings(),
            VerdictState::Unusable | VerdictState::NotRdp => exit::PROBLEM,
            VerdictState::Unreachable => exit::UNREACHABLE,
        };
    }
    match r.status {
        Some(Status::Rdp) => by_findings(),
        Some(Status::Refused) | Some(Status::DnsError) => exit::UNREACHABLE,
        Some(Status::Timeout)
            if matches!(r.error_phase, Some(rdp_probe::Phase::Connect) | Some(rdp_probe::Phase::Resolve)) =>
        {
            exit::UNREACHABLE
        }
        _ => exit::PROBLEM,
    }
}

fn run(cli: Cli) -> Result<u8, String> {
    match &cli.command {
        Some(args::Command::Explain { id }) => return Ok(watch::run_explain(id.as_deref())),
        Some(args::Command::Watch { target, interval, count, timeout, port, tls, cookie, steps, conn }) => {
            let w = watch::WatchOptions {
                port: *port,
                interval: *interval,
                count: *count,
                timeout: *timeout,
                tls: *tls,
                cookie,
                steps,
                conn,
            };
            return watch::run_watch(target, &w);
        }
        None => {}
    }
    if cli.format() == args::Format::Nagios {
        return run_nagios(&cli);
    }
    let opts: ProbeOptions = cli.probe_options()?;
    scan::run(&cli, opts)
}

/// `--format nagios`: one target, plugin exit codes.
fn run_nagios(cli: &Cli) -> Result<u8, String> {
    let opts = cli.probe_options()?;
    let (Some(t), 1) = (cli.targets.first(), cli.targets.len()) else {
        println!("RDP UNKNOWN - --format nagios takes exactly one target");
        return Ok(3);
    };
    let port = *cli.ports()?.first().unwrap_or(&rdp_probe::DEFAULT_PORT);
    let target = match rdp_probe::Target::parse(t, port) {
        Ok(t) => t,
        Err(e) => {
            println!("RDP UNKNOWN - {e}");
            return Ok(3);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let r = rt.block_on(rdp_probe::probe(&target, &opts));
    let th = nagios::Thresholds {
        cert_warn_days: cli.cert_warn_days,
        cert_crit_days: cli.cert_crit_days,
        warn_ms: cli.warn_ms,
        crit_ms: cli.crit_ms,
        findings: cli.nagios_findings,
    };
    let (line, code) = nagios::render(&r, &th);
    println!("{line}");
    Ok(code)
}
