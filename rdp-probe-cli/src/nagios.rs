//! `--format nagios`: one status line with perfdata and the Nagios/Icinga plugin exit codes
//! (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), replacing check_rdp-style plugins.

use rdp_probe::findings::Severity;
use rdp_probe::{Report, Status};

/// Thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Warn when the certificate expires within this many days.
    pub cert_warn_days: i64,
    /// Critical when the certificate expires within this many days.
    pub cert_crit_days: i64,
    /// Warn when the X.224 answer (connect + CR/CC) takes longer, milliseconds.
    pub warn_ms: f64,
    /// Critical when it takes longer, milliseconds.
    pub crit_ms: f64,
    /// Also turn warning/critical findings into the plugin state.
    pub findings: bool,
}

/// Renders the line and returns the plugin exit code.
pub fn render(r: &Report, t: &Thresholds) -> (String, u8) {
    let mut state = 0u8;
    let mut why: Vec<String> = Vec::new();
    let raise = |s: &mut u8, to: u8| *s = (*s).max(to);
    // `+ 0.0`: an empty f64 sum is -0.0, which would print as `time=-0.0000s`.
    let latency = ["connect", "send_cr", "read_cc"].iter().filter_map(|k| r.timings_ms.get(*k)).sum::<f64>() + 0.0;
    match r.status {
        Some(Status::Rdp) => {
            let n = r.negotiation.as_ref();
            why.push(format!(
                "RDP answers in {latency:.1} ms, {}",
                n.map_or_else(|| "negotiation unknown".into(), |n| n.summary.clone())
            ));
            if latency > t.crit_ms {
                raise(&mut state, 2);
            } else if latency > t.warn_ms {
                raise(&mut state, 1);
            }
        }
        Some(Status::DnsError) | Some(Status::Error) | None => {
            state = 3;
            why.push(r.error.clone().unwrap_or_else(|| "error".into()));
        }
        Some(_) => {
            state = 2;
            why.push(r.error.clone().unwrap_or_else(|| "not reachable".into()));
        }
    }
    let mut perf = vec![format!("time={:.4}s;{:.4};{:.4};0", latency / 1000.0, t.warn_ms / 1000.0, t.crit_ms / 1000.0)];
    let days = r
        .tls
        .as_ref()
        .and_then(|x| serde_json::to_value(x).ok())
        .and_then(|v| v.pointer("/certificate/days_until_expiry").and_then(|d| d.as_i64()));
    if let Some(d) = days {
        perf.push(format!("cert_days={d};{};{}", t.cert_warn_days, t.cert_crit_days));
        if d < t.cert_crit_days {
            raise(&mut state, 2);
            why.push(format!("certificate expires in {d} days"));
        } else if d < t.cert_warn_days {
            raise(&mut state, 1);
            why.push(format!("certificate expires in {d} days"));
        }
    }
    if t.findings && state != 3 {
        for f in &r.findings {
            match f.severity {
                Severity::Critical => raise(&mut state, 2),
                Severity::Warning => raise(&mut state, 1),
                Severity::Info => continue,
            }
            why.push(f.id.clone());
        }
    }
    let word = ["OK", "WARNING", "CRITICAL", "UNKNOWN"].get(usize::from(state)).copied().unwrap_or("UNKNOWN");
    let addr = r.address.as_deref().unwrap_or(&r.target);
    (format!("RDP {word} - {addr}: {} | {}", why.join("; ").replace('|', "/"), perf.join(" ")), state)
}
