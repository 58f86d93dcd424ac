//! Scan many targets with bounded concurrency and print one line per target.
//!
//! `cargo run --example scan -- SPEC...` where SPEC is a host, an address, a CIDR block or a
//! range (`127.0.0.0/30`, `127.0.0.1-5:3390`); or `RDP_PROBE_TARGETS="SPEC SPEC"`. The default is
//! 127.0.0.1:3389.

use futures_util::StreamExt;
use rdp_probe::scan::targets::{expand, TargetSpec};
use rdp_probe::{scan_with, ScanOptions};
use rdp_probe::{ProbeOptions, Report, Steps};
use std::time::Duration;

/// Negotiation-only sweep of `specs` on port 3389 unless a spec names one.
async fn run(specs: &[String], mut each: impl FnMut(Report)) -> Result<(), rdp_probe::TargetError> {
    let specs: Vec<TargetSpec> = specs.iter().map(|s| TargetSpec::parse(s)).collect::<Result<_, _>>()?;
    let targets = expand(specs.into_iter().map(Ok::<_, ()>), vec![3389]).filter_map(Result::ok);
    let opts = ProbeOptions::builder().steps(Steps::NEGOTIATION).timeout(Duration::from_secs(2)).build();
    let scan = ScanOptions::builder().concurrency(256).rate(1000.0).connect_retries(1).build();
    let mut reports = scan_with(targets, &opts, &scan);
    while let Some(r) = reports.next().await {
        each(r);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut specs: Vec<String> = std::env::args().skip(1).collect();
    if specs.is_empty() {
        specs = std::env::var("RDP_PROBE_TARGETS")
            .map(|v| v.split_whitespace().map(String::from).collect())
            .unwrap_or_else(|_| vec!["127.0.0.1:3389".into()]);
    }
    run(&specs, |r| {
        let status = r.status.as_str();
        let summary = r.negotiation.map(|n| n.summary).or(r.error).unwrap_or_default();
        println!("{:<24} {status:<8} {summary}", r.target);
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scans_a_block() {
        // Closed ports on a loopback /28: 16 targets, 16 reports, all refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut specs = vec![format!("127.4.0.0/28:{port}")];
        if let Ok(t) = std::env::var("RDP_PROBE_TARGET") {
            specs.push(t); // a real server in CI
        }
        let mut n = 0;
        super::run(&specs, |r| {
            n += 1;
            if r.target.starts_with("127.4.") {
                assert_eq!(r.status, rdp_probe::Status::Refused);
            } else {
                assert_eq!(r.status, rdp_probe::Status::Rdp);
            }
        })
        .await
        .unwrap();
        assert_eq!(n, specs.len() + 15);
    }
}
