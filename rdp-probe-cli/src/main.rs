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

/// Exit codes (documented in README).
pub mod exit {
    /// RDP answered on every target; no finding worse than informational.
    pub const OK: u8 = 0;
    /// RDP answered; the worst finding is a warning.
    pub const WARNING: u8 = 1;
    /// Reachable but a problem: another service, a silent or closing listener, an undecodable
    /// answer, or an RDP listener with a critical finding.
    pub const PROBLEM: u8 = 2;
    /// Unreachable: refused, timed out, or the name did not resolve.
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

/// Exit code for one report: unreachable (3), reachable but not a working RDP listener (2), or
/// for an RDP listener the worst finding (critical 2, warning 1, else 0).
pub fn code_for(r: &Report) -> u8 {
    use rdp_probe::findings::{worst, Severity};
    match r.status {
        Some(Status::Rdp) => match worst(&r.findings) {
            Some(Severity::Critical) => exit::PROBLEM,
            Some(Severity::Warning) => exit::WARNING,
            _ => exit::OK,
        },
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
        Some(args::Command::Watch { target, interval, count, timeout, port, tls, cookie }) => {
            return watch::run_watch(target, *port, *interval, *count, *timeout, *tls, cookie)
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
