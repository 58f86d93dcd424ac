//! Silent RDP-port listeners for scan benchmarks: accept every connection and never answer.
//!
//! `silent-listeners BASE_ADDR COUNT PORT [PORTS]` binds PORTS ports from PORT on COUNT consecutive
//! IPv4 addresses from BASE_ADDR (loopback only) with a large accept backlog, prints `ready` and holds every accepted
//! connection open until killed.

use std::net::{Ipv4Addr, SocketAddr};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let args: Vec<String> = std::env::args().collect();
    let base: Ipv4Addr = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(Ipv4Addr::new(127, 1, 1, 0));
    let count: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let port: u16 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(26100);
    let ports: u16 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(1);
    assert!(base.is_loopback(), "loopback addresses only");
    let mut held = Vec::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for (i, p) in (0..count).flat_map(|i| (0..ports).map(move |p| (i, p))) {
        let ip = Ipv4Addr::from(u32::from(base) + i);
        let port = port + p;
        let sock = tokio::net::TcpSocket::new_v4()?;
        sock.set_reuseaddr(true)?;
        sock.bind(SocketAddr::new(ip.into(), port))?;
        let l = sock.listen(65535)?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                let _ = tx.send(s);
            }
        });
    }
    println!("ready");
    while let Some(s) = rx.recv().await {
        held.push(s);
    }
    Ok(())
}
