//! `--format nagios`: one status line with perfdata and the Nagios/Icinga plugin exit codes
//! (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), replacing check_rdp-style plugins.

use rdp_probe::diagnosis::findings::Severity;
use rdp_probe::{Report, Status, VerdictState};

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
    let unusable = r.verdict.as_ref().filter(|v| v.state == VerdictState::Unusable);
    match (r.status, unusable) {
        // An RDP listener (or a silent or closing one) no client can use: CRITICAL without
        // --nagios-findings, naming the step that stops clients.
        (_, Some(v)) => {
            state = 2;
            why.push(match v.blocking_step {
                Some(s) => format!("UNUSABLE at {s}: {}", v.summary),
                None => format!("UNUSABLE: {}", v.summary),
            });
        }
        (Status::Rdp, None) => {
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
        (Status::DnsError | Status::Error, None) => {
            state = 3;
            why.push(r.error.clone().unwrap_or_else(|| "error".into()));
        }
        (_, None) => {
            state = 2;
            why.push(r.error.clone().unwrap_or_else(|| "not reachable".into()));
        }
    }
    let mut perf = vec![format!("time={:.4}s;{:.4};{:.4};0", latency / 1000.0, t.warn_ms / 1000.0, t.crit_ms / 1000.0)];
    let cert = r.tls.as_ref().and_then(|t| t.certificate.as_ref());
    if let Some(c) = cert {
        let d = c.days_until_expiry;
        perf.push(format!("cert_days={d};{};{}", t.cert_warn_days, t.cert_crit_days));
        if d < t.cert_crit_days || c.expired {
            raise(&mut state, 2);
            why.push(expiry_text(c.expired, d));
        } else if d < t.cert_warn_days {
            raise(&mut state, 1);
            why.push(expiry_text(c.expired, d));
        }
    }
    if t.findings && state != 3 {
        for f in &r.findings {
            match f.severity {
                Severity::Critical => raise(&mut state, 2),
                Severity::Warning => raise(&mut state, 1),
                _ => continue,
            }
            why.push(f.id.to_string());
        }
    }
    let word = ["OK", "WARNING", "CRITICAL", "UNKNOWN"].get(usize::from(state)).copied().unwrap_or("UNKNOWN");
    let addr = r.address.as_deref().unwrap_or(&r.target);
    (format!("RDP {word} - {addr}: {} | {}", why.join("; ").replace('|', "/"), perf.join(" ")), state)
}

/// The line and plugin state (3, UNKNOWN) when there is nothing to probe.
pub fn unknown(why: &str) -> (String, u8) {
    (format!("RDP UNKNOWN - {why}"), 3)
}

/// "certificate expired N days ago" / "certificate expires in N days" (never a negative count).
fn expiry_text(expired: bool, days: i64) -> String {
    match days {
        d if d < 0 => format!("certificate expired {} days ago", -d),
        _ if expired => "certificate expired today".into(),
        0 => "certificate expires today".into(),
        1 => "certificate expires in 1 day".into(),
        d => format!("certificate expires in {d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_wording() {
        assert_eq!(expiry_text(true, -12), "certificate expired 12 days ago");
        assert_eq!(expiry_text(true, 0), "certificate expired today");
        assert_eq!(expiry_text(false, 0), "certificate expires today");
        assert_eq!(expiry_text(false, 9), "certificate expires in 9 days");
    }
}
