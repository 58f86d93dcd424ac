//! Scan engine: lazy expansion, exactly one result per target, no descriptor leak. Needs no RDP
//! server: closed ports (refused), silent listeners (timeout in read_cc) and listeners that
//! close at once (reset) are enough to count results.

use futures_util::StreamExt;
use rdp_probe::scan::targets::{expand, Shard, TargetSpec};
use rdp_probe::scan::{scan_with, ScanOptions};
use rdp_probe::{Phase, ProbeOptions, Status, Steps};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// A listener that accepts and holds every connection without a byte.
async fn silent() -> (u16, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let h = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    (port, h)
}

/// A listener that accepts and closes at once.
async fn closer() -> (u16, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let h = tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            drop(s);
        }
    });
    (port, h)
}

#[test]
fn expansion_is_lazy() {
    // A /8 and an IPv6 /64 are walked, never materialised (nothing is probed here).
    let slash8 = TargetSpec::parse("10.0.0.0/8").unwrap();
    assert_eq!(slash8.count(2), 2 << 24);
    let mut walk = slash8.targets(vec![3389, 3390].into());
    assert!(std::mem::size_of_val(&walk) < 256);
    assert_eq!(walk.nth(2 * 65_536).unwrap().to_string(), "10.1.0.0:3389");
    assert_eq!(walk.size_hint().0, (2 << 24) - 2 * 65_536 - 1);
    let specs = ["10.0.0.0/8", "2001:db8::/64"].map(TargetSpec::parse);
    let mut it = expand(specs, vec![3389, 3390]);
    assert_eq!(it.nth(1000).unwrap().unwrap().to_string(), "10.0.1.244:3389");
    let v6 = TargetSpec::parse("2001:db8::/64").unwrap();
    assert_eq!(v6.count(1), 1 << 64);
    assert_eq!(v6.targets(vec![1].into()).nth(1 << 40).unwrap().host, "2001:db8::100:0:0");
}

#[test]
fn one_result_per_target_and_no_fd_leak() {
    // Descriptors are counted per process: other tests of this binary open sockets in parallel,
    // so the scan runs alone in a child process of this binary (see hostile::run_child).
    crate::hostile::run_child("scan::child_one_result_per_target_and_no_fd_leak");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run in a child process by one_result_per_target_and_no_fd_leak"]
async fn child_one_result_per_target_and_no_fd_leak() {
    if std::env::var_os("RDP_PROBE_CHILD").is_none() {
        return;
    }
    let before = open_fds();
    let (silent_port, s1) = silent().await;
    let (closer_port, s2) = closer().await;
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // 3 x 100 targets on 127.0.0.1 plus a refused /24 of other loopback addresses.
    let mut specs: Vec<String> = (0..100).map(|_| format!("127.0.0.1:{silent_port}")).collect();
    specs.extend((0..100).map(|_| format!("127.0.0.1:{closer_port}")));
    specs.extend((0..100).map(|_| format!("127.0.0.1:{closed_port}")));
    specs.push(format!("127.3.0.0/24:{closed_port}"));
    let targets: Vec<_> = expand(specs.iter().map(|s| TargetSpec::parse(s)), vec![])
        .map(Result::unwrap)
        .enumerate()
        .map(|(i, mut t)| {
            t.original = format!("{}#{i}", t.original);
            t
        })
        .collect();
    assert_eq!(targets.len(), 556);
    let opts = ProbeOptions::builder()
        .steps(Steps::NEGOTIATION)
        .timeout(Duration::from_millis(1500))
        .overall_timeout(Duration::from_secs(20))
        .build();
    let so = ScanOptions::builder().concurrency(200).build();
    let t0 = Instant::now();
    let reports: Vec<_> = scan_with(targets, &opts, &so).collect().await;
    let elapsed = t0.elapsed();
    assert_eq!(reports.len(), 556);
    let mut seen = HashMap::new();
    for r in &reports {
        *seen.entry(r.target.clone()).or_insert(0) += 1;
        let port: u16 = r.address.as_deref().unwrap().rsplit(':').next().unwrap().parse().unwrap();
        let expect = if port == silent_port {
            (Status::Timeout, Phase::ReadCc)
        } else if port == closer_port {
            (Status::Reset, Phase::ReadCc)
        } else {
            (Status::Refused, Phase::Connect)
        };
        assert_eq!((r.status, r.error_phase.unwrap()), expect, "{r:?}");
    }
    assert!(seen.values().all(|&n| n == 1));
    assert_eq!(seen.len(), 556);
    // 100 silent targets at concurrency 200 cost one read timeout, not 100.
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    s1.abort();
    s2.abort();
    let _ = s1.await;
    let _ = s2.await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = open_fds();
    assert!(after <= before, "descriptors before {before}, after {after}");
    println!("CHILD-OK");
}

#[tokio::test]
async fn shards_split_without_overlap() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let spec = format!("127.3.1.0/26:{closed}");
    let opts = ProbeOptions::builder().steps(Steps::NEGOTIATION).build();
    let mut all = Vec::new();
    for k in 1..=3 {
        let targets = expand([TargetSpec::parse(&spec)], vec![]).map(Result::unwrap);
        let so = ScanOptions::builder().concurrency(16).shard(Shard::parse(&format!("{k}/3")).unwrap()).build();
        let part: Vec<String> = scan_with(targets, &opts, &so).map(|r| r.target).collect().await;
        assert!((21..=22).contains(&part.len()));
        all.extend(part);
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 64);
}
