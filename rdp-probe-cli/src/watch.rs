//! `rdp-probe explain` and `rdp-probe watch`.

use crate::exit;
use rdp_probe::findings::{explain, CATALOG};
use rdp_probe::report::NegotiationReport;
use rdp_probe::{ProbeOptions, Report, Status, Steps, Target};
use std::time::{Duration, Instant};

/// `explain [ID]`.
pub fn run_explain(id: Option<&str>) -> u8 {
    match id {
        None => {
            for f in CATALOG {
                println!("{:<30} {:<8} {}", f.id, f.severity.as_str(), f.title);
            }
            exit::OK
        }
        Some(id) => match explain(id) {
            Some(f) => {
                println!("{} ({}): {}\n", f.id, f.severity.as_str(), f.title);
                println!("{}\n", textwrap(f.explanation, 90));
                println!("Remedy:\n{}", textwrap(f.remedy, 90));
                exit::OK
            }
            None => {
                eprintln!("rdp-probe: unknown finding id {id:?}; `rdp-probe explain` lists them");
                exit::USAGE
            }
        },
    }
}

fn textwrap(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in s.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + w.len() > width {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push_str("  ");
        out.push_str(&line);
    }
    out
}

/// What must stay the same between tries; a change prints a line.
fn state(r: &Report) -> Vec<(&'static str, String)> {
    let mut v = vec![("status", r.status.map_or("-", |s| s.as_str()).to_string())];
    if let Some(NegotiationReport { security_layer, nla, selected, protocols, .. }) = &r.negotiation {
        v.push(("security layer", format!("{security_layer:?}").to_lowercase()));
        v.push(("nla", format!("{nla:?}").to_lowercase()));
        v.push(("selected", selected.clone().unwrap_or_else(|| "-".into())));
        v.push(("answers", protocols.iter().map(|(k, a)| format!("{k}={a}")).collect::<Vec<_>>().join(",")));
    }
    if let Some(tls) = &r.tls {
        if let Ok(j) = serde_json::to_value(tls) {
            if let Some(fp) = j.pointer("/certificate/sha256").and_then(|x| x.as_str()) {
                v.push(("certificate", fp.to_string()));
            }
            if let Some(ver) = j.pointer("/version").and_then(|x| x.as_str()) {
                v.push(("tls version", ver.to_string()));
            }
        }
    }
    v
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted.get(idx.min(sorted.len() - 1)).copied().unwrap_or(0.0)
}

/// `watch TARGET`.
#[allow(clippy::too_many_arguments)]
pub fn run_watch(
    target: &str,
    port: u16,
    interval: f64,
    count: u64,
    timeout: f64,
    tls: bool,
    cookie: &str,
) -> Result<u8, String> {
    let t = Target::parse(target, port).map_err(|e| e.to_string())?;
    if !(interval.is_finite() && interval >= 0.0 && timeout.is_finite() && timeout > 0.0) {
        return Err("invalid --interval or --timeout".into());
    }
    let steps = Steps { tls, ..Steps::NEGOTIATION };
    let opts = ProbeOptions::builder()
        .timeout(Duration::from_secs_f64(timeout))
        .overall_timeout(Duration::from_secs_f64(timeout * 4.0 + 1.0))
        .cookie(cookie)
        .steps(steps)
        .build();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut lat: Vec<f64> = Vec::new();
    let (mut sent, mut ok) = (0u64, 0u64);
    let mut last: Option<Vec<(&'static str, String)>> = None;
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    rt.block_on(async {
        let flag = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        });
        println!("watching {} every {interval} s (Ctrl-C to stop)", t.original);
        loop {
            let start = Instant::now();
            let r = rdp_probe::probe(&t, &opts).await;
            sent += 1;
            let total = r.timings_ms.get("total").copied().unwrap_or(0.0);
            let ms = |k: &str| r.timings_ms.get(k).map_or("-".to_string(), |v| format!("{v:.1}"));
            let good = r.status == Some(Status::Rdp);
            if good {
                ok += 1;
                lat.push(total);
            }
            println!(
                "seq={sent} {} connect={} ms x224={} ms total={total:.1} ms{}",
                r.status.map_or("-", |s| s.as_str()),
                ms("connect"),
                ms("read_cc"),
                r.error.as_ref().map(|e| format!("  ({e})")).unwrap_or_default()
            );
            let now = state(&r);
            if let Some(prev) = &last {
                for ((k, a), (_, b)) in prev.iter().zip(now.iter()) {
                    if a != b {
                        println!("  CHANGE {k}: {a} -> {b}");
                    }
                }
            }
            last = Some(now);
            if (count != 0 && sent >= count) || interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let wait = Duration::from_secs_f64(interval).saturating_sub(start.elapsed());
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = tokio::signal::ctrl_c() => { break; }
            }
        }
    });
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let avg = if lat.is_empty() { 0.0 } else { lat.iter().sum::<f64>() / lat.len() as f64 };
    println!("--- {} rdp-probe watch statistics ---", t.original);
    println!(
        "{sent} tries, {ok} answered as RDP, {:.1}% success",
        if sent == 0 { 0.0 } else { ok as f64 * 100.0 / sent as f64 }
    );
    if !lat.is_empty() {
        println!(
            "probe time min/avg/max/p95 = {:.1}/{avg:.1}/{:.1}/{:.1} ms",
            lat.first().copied().unwrap_or(0.0),
            lat.last().copied().unwrap_or(0.0),
            percentile(&lat, 95.0)
        );
    }
    Ok(if ok == sent {
        exit::OK
    } else if ok == 0 {
        exit::UNREACHABLE
    } else {
        exit::PROBLEM
    })
}
