//! Many targets: expansion of the inputs, the concurrent run, streaming output, summary.

use crate::args::{Cli, Format};
use crate::{code_for, exit, human};
use futures_util::StreamExt;
use rdp_probe::{ProbeOptions, Target};
use std::io::Write;

/// Options for scanning many targets.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Probes in flight at once (many targets).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
}

/// Probes every target and streams the reports; returns the exit code.
pub fn run(cli: &Cli, opts: ProbeOptions) -> Result<u8, String> {
    let mut targets = Vec::new();
    for t in &cli.targets {
        for port in cli.ports()? {
            targets.push(Target::parse(t, port).map_err(|e| e.to_string())?);
        }
    }
    if targets.is_empty() {
        return Err("no target given".into());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let format = cli.format();
    let concurrency = cli.scan.concurrency;
    let worst = rt.block_on(async {
        let mut worst = exit::OK;
        let mut out = std::io::stdout().lock();
        let mut reports = rdp_probe::scan(targets, &opts, concurrency);
        while let Some(r) = reports.next().await {
            worst = worst.max(code_for(&r));
            let text = match format {
                Format::Json => serde_json::to_string(&r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n",
                Format::Human | Format::Csv | Format::Nagios => human::render(&r, cli.raw),
            };
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        worst
    });
    Ok(worst)
}
