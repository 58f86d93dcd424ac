//! `rdp-probe watch TARGET`: one target probed repeatedly, like ping.

use crate::config::WatchConfig;
use crate::exit;
use rdp_probe::report::NegotiationReport;
use rdp_probe::{Report, Status, VerdictState};
use std::time::{Duration, Instant};

/// The JSON spelling of a serde enum (e.g. `negotiate`, `not_supported`), `-` for none.
fn json_name<T: serde::Serialize>(v: Option<T>) -> String {
    v.and_then(|v| serde_json::to_value(v).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "-".into())
}

/// The verdict state of a try (`-` without one).
fn verdict_word(r: &Report) -> String {
    match &r.verdict {
        Some(v) => match v.blocking_step {
            Some(step) if !v.state.is_usable() => format!("{} ({step})", v.state),
            _ => v.state.to_string(),
        },
        None => "-".into(),
    }
}

/// Whether a try counts as a success: a stock client could connect (verdict usable or usable
/// with warnings); without a verdict, an RDP answer.
fn success(r: &Report) -> bool {
    match &r.verdict {
        Some(v) => v.state.is_usable(),
        None => r.status == Status::Rdp,
    }
}

/// What must stay the same between tries; a change prints a line. Fixed keys in a fixed order
/// (`-` when absent), so two tries compare key by key.
fn state(r: &Report) -> Vec<(&'static str, String)> {
    let mut v = vec![("status", r.status.as_str().to_string()), ("verdict", verdict_word(r))];
    if let Some(NegotiationReport { security_layer, nla, selected, protocols, .. }) = &r.negotiation {
        v.push(("security layer", json_name(*security_layer)));
        v.push(("nla", json_name(*nla)));
        v.push(("selected", selected.map_or_else(|| "-".into(), |p| p.name())));
        v.push(("answers", protocols.iter().map(|(k, a)| format!("{k}={a}")).collect::<Vec<_>>().join(",")));
    }
    if let Some(tls) = &r.tls {
        if let Some(c) = &tls.certificate {
            v.push(("certificate", c.sha256.clone()));
        }
        if let Some(ver) = tls.version {
            v.push(("tls version", ver.to_string()));
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
pub fn run(w: &WatchConfig) -> Result<u8, String> {
    let WatchConfig { target: t, interval, count, opts } = w;
    let (interval, count) = (*interval, *count);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut lat: Vec<f64> = Vec::new();
    let (mut sent, mut ok, mut rdp, mut unreachable) = (0u64, 0u64, 0u64, 0u64);
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
            let r = rdp_probe::probe(t, opts).await;
            sent += 1;
            let total = r.timings_ms.get("total").copied().unwrap_or(0.0);
            let ms = |k: &str| r.timings_ms.get(k).map_or("-".to_string(), |v| format!("{v:.1}"));
            if r.status == Status::Rdp {
                rdp += 1;
            }
            if r.verdict.as_ref().is_some_and(|v| v.state == VerdictState::Unreachable) {
                unreachable += 1;
            }
            if success(&r) {
                ok += 1;
                lat.push(total);
            }
            // Why a try failed: the verdict's summary for an RDP listener no client can use,
            // else the probe's error.
            let why = match (&r.verdict, &r.error) {
                (_, Some(e)) => format!("  ({e})"),
                (Some(v), None) if !v.state.is_usable() => format!("  ({})", v.summary),
                _ => String::new(),
            };
            println!(
                "seq={sent} {} connect={} ms x224={} ms total={total:.1} ms verdict={}{why}",
                r.status.as_str(),
                ms("connect"),
                ms("read_cc"),
                verdict_word(&r).replace(' ', ""),
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
        "{sent} tries, {rdp} answered as RDP, {ok} usable, {:.1}% success",
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
    } else if unreachable == sent {
        exit::UNREACHABLE
    } else {
        exit::PROBLEM
    })
}
