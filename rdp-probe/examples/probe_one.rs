//! Probe one RDP listener and print the report as JSON.
//!
//! `cargo run --example probe_one -- HOST[:PORT]` (or `RDP_PROBE_TARGET=HOST[:PORT]`); the
//! default is 127.0.0.1:3389.

use rdp_probe::{probe, ProbeOptions, Report, Target};
use std::time::Duration;

/// Probes `target` with a 3 s step timeout.
async fn run(target: &str) -> Result<Report, rdp_probe::TargetError> {
    let opts = ProbeOptions::builder().timeout(Duration::from_secs(3)).build();
    let target = Target::parse(target, opts.port)?;
    Ok(probe(&target, &opts).await)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("RDP_PROBE_TARGET").ok())
        .unwrap_or_else(|| "127.0.0.1:3389".into());
    let report = run(&target).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn probes_a_listener() {
        // A real server when CI provides one, else a minimal local X.224 responder.
        let target = match std::env::var("RDP_PROBE_TARGET") {
            Ok(t) => t,
            Err(_) => fake_rdp().await,
        };
        let r = super::run(&target).await.unwrap();
        assert_eq!(r.status, rdp_probe::Status::Rdp, "{r:?}");
    }

    /// Answers every X.224 Connection Request with a Connection Confirm selecting PROTOCOL_RDP.
    async fn fake_rdp() -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 512];
                    let _ = s.read(&mut buf).await;
                    let cc = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 1, 8, 0, 0, 0, 0, 0];
                    let _ = s.write_all(&cc).await;
                });
            }
        });
        addr
    }
}
