//! Many targets, for people: one compact line per report, then a summary (on stderr).

use super::{json_name, most_severe_first, pad, Paint};
use rdp_probe::report::{NlaRequirement, SecurityLayer};
use rdp_probe::Report;
use std::collections::BTreeMap;
use std::time::Duration;

/// The compact human line for one report of many: the verdict (with the blocking step), the
/// negotiation, and every finding with its severity, most severe first; coloured by `paint`.
pub fn line(r: &Report, paint: Paint) -> String {
    let plain = match &r.verdict {
        Some(v) => match v.blocking_step {
            Some(s) if !v.state.is_usable() => format!("{}({s})", v.state),
            _ => v.state.to_string(),
        },
        None => r.status.as_str().to_string(),
    };
    let verdict = match &r.verdict {
        Some(v) => pad(paint.verdict(v.state, &plain), &plain, 20),
        None => format!("{plain:<20}"),
    };
    let total = r.timings_ms.get("total").copied().unwrap_or_default();
    let mut detail = match (&r.negotiation, r.status) {
        (Some(n), rdp_probe::Status::Rdp) => {
            let layer = n.security_layer.map(|s| json_name(&s)).unwrap_or_else(|| "unknown".into());
            let nla = n.nla.map(|s| json_name(&s)).unwrap_or_else(|| "unknown".into());
            let sel = n.selected.map_or_else(|| "-".into(), |p| p.name());
            format!("layer={layer} nla={nla} selected={sel}")
        }
        _ => {
            let phase = r.error_phase.map(|p| format!("[{}] ", p.as_str())).unwrap_or_default();
            format!("{phase}{}", r.error.as_deref().unwrap_or(""))
        }
    };
    let findings: Vec<String> = most_severe_first(r)
        .map(|f| paint.severity(f.severity, &format!("{}:{}", f.id, f.severity.as_str())))
        .collect();
    if !findings.is_empty() {
        detail.push_str(&format!(" findings: {}", findings.join(",")));
    }
    format!("{:<24} {verdict} {detail}  ({total:.0} ms)\n", r.target)
}

/// Counts for the summary.
#[derive(Default)]
pub struct Summary {
    /// Reports counted.
    pub total: u64,
    /// Reports per status (`rdp`, `refused`, ...).
    pub status: BTreeMap<String, u64>,
    verdict: BTreeMap<String, u64>,
    layer: BTreeMap<String, u64>,
    nla: BTreeMap<String, u64>,
}

impl Summary {
    /// Counts one report.
    pub fn add(&mut self, r: &Report) {
        self.total += 1;
        *self.status.entry(r.status.as_str().to_string()).or_default() += 1;
        if let Some(v) = &r.verdict {
            *self.verdict.entry(v.state.as_str().to_string()).or_default() += 1;
        }
        if let Some(n) = &r.negotiation {
            if r.status == rdp_probe::Status::Rdp {
                let l = n.security_layer.unwrap_or(SecurityLayer::Unknown);
                *self.layer.entry(json_name(&l)).or_default() += 1;
                let a = n.nla.unwrap_or(NlaRequirement::Unknown);
                *self.nla.entry(json_name(&a)).or_default() += 1;
            }
        }
    }
    /// The summary text: totals, rate, invalid input lines skipped, counts.
    pub fn render(&self, elapsed: Duration, invalid: u64) -> String {
        let join = |m: &BTreeMap<String, u64>| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
        let secs = elapsed.as_secs_f64();
        let mut s = format!(
            "rdp-probe: {} targets in {secs:.1} s ({:.0}/s)",
            self.total,
            if secs > 0.0 { self.total as f64 / secs } else { 0.0 }
        );
        if invalid > 0 {
            s.push_str(&format!(", {invalid} invalid input lines skipped"));
        }
        s.push_str(&format!("\n  status:         {}\n", join(&self.status)));
        if !self.verdict.is_empty() {
            s.push_str(&format!("  verdict:        {}\n", join(&self.verdict)));
        }
        if !self.layer.is_empty() {
            s.push_str(&format!("  security layer: {}\n  nla:            {}\n", join(&self.layer), join(&self.nla)));
        }
        s
    }
}
