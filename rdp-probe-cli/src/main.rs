//! `rdp-probe`: thin CLI over the rdp-probe library. Parses the arguments ([`args`]), converts
//! them once ([`config::Config::from_cli`]), runs ([`scan`], [`watch`], [`explain`], [`serve`], nagios
//! below), prints through [`output`], and maps outcomes to exit codes (see README "Exit codes").

mod args;
mod config;
mod explain;
mod generate;
mod output;
mod scan;
mod serve;
mod watch;

use args::Cli;
use clap::Parser;
use config::{Config, NagiosConfig};
use rdp_probe::{Report, Status};
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
    let cli = Cli::parse_from(args::nmap_style_args(std::env::args_os()));
    match Config::from_cli(&cli).and_then(|c| run(&c)) {
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
    use rdp_probe::diagnosis::findings::{worst, Severity};
    use rdp_probe::diagnosis::verdict::VerdictState;
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
            _ => exit::PROBLEM,
        };
    }
    match r.status {
        Status::Rdp => by_findings(),
        Status::Refused | Status::DnsError => exit::UNREACHABLE,
        Status::Timeout
            if matches!(r.error_phase, Some(rdp_probe::Phase::Connect) | Some(rdp_probe::Phase::Resolve)) =>
        {
            exit::UNREACHABLE
        }
        _ => exit::PROBLEM,
    }
}

fn run(config: &Config) -> Result<u8, String> {
    match config {
        Config::Completions(shell) => generate::print(&generate::completions(*shell)),
        Config::Manpage => generate::print(&generate::manpage()?),
        Config::Explain(id) => Ok(explain::run(id.as_deref())),
        Config::Watch(w) => watch::run(w),
        Config::Nagios(n) => run_nagios(n),
        Config::Probe(p) => scan::run(p),
        Config::Serve(s) => serve::run(s),
    }
}

/// `--format nagios`: one target, plugin exit codes.
fn run_nagios(n: &NagiosConfig) -> Result<u8, String> {
    let (line, code) = match &n.target {
        Err(why) => output::nagios::unknown(why),
        Ok(target) => {
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
            let r = rt.block_on(rdp_probe::probe(target, &n.opts));
            output::nagios::render(&r, &n.thresholds)
        }
    };
    println!("{line}");
    Ok(code)
}
