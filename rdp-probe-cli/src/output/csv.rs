//! CSV: one row per target, under a fixed header.

use super::{findings_with_severity, json_name};
use rdp_probe::Report;

/// CSV columns (a contract: add at the end, never reorder). `security_layer` and `nla` are
/// columns 5 and 6 (JSON spelling, as in `negotiation.security_layer` / `negotiation.nla`).
pub const HEADER: &str = "target,address,status,error_phase,security_layer,nla,selected,rdp,ssl,hybrid,hybrid_ex,rdstls,rdsaad,source_ref,total_ms,verdict,blocking_step,worst_severity,findings,tls_version,cert_not_after,encryption_level";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One CSV row for a report.
pub fn row(r: &Report) -> String {
    let n = r.negotiation.as_ref();
    let proto = |p: &str| {
        n.and_then(|n| rdp_probe::Protocol::from_name(p).and_then(|p| n.verdict(p)))
            .map(|v| v.name())
            .unwrap_or_default()
    };
    let fields = [
        r.target.clone(),
        r.address.clone().unwrap_or_default(),
        r.status.as_str().to_string(),
        r.error_phase.map(|p| p.as_str().to_string()).unwrap_or_default(),
        n.and_then(|n| n.security_layer).map(|s| json_name(&s)).unwrap_or_default(),
        n.and_then(|n| n.nla).map(|s| json_name(&s)).unwrap_or_default(),
        n.and_then(|n| n.selected).map(|p| p.name()).unwrap_or_default(),
        proto("rdp"),
        proto("ssl"),
        proto("hybrid"),
        proto("hybrid_ex"),
        proto("rdstls"),
        proto("rdsaad"),
        n.and_then(|n| n.source_ref).map(|s| format!("{s:#06x}")).unwrap_or_default(),
        r.timings_ms.get("total").map(|t| format!("{t:.1}")).unwrap_or_default(),
        r.verdict.as_ref().map(|v| v.state.as_str().to_string()).unwrap_or_default(),
        r.verdict.as_ref().and_then(|v| v.blocking_step).map(|s| s.as_str().to_string()).unwrap_or_default(),
        rdp_probe::diagnosis::findings::worst(&r.findings).map(|s| s.as_str().to_string()).unwrap_or_default(),
        findings_with_severity(r).join(";"),
        r.tls
            .as_ref()
            .and_then(|t| t.version)
            .or_else(|| r.nla.as_ref().and_then(|n| n.tls_version))
            .map(|v| v.to_string())
            .unwrap_or_default(),
        r.tls
            .as_ref()
            .and_then(|t| t.certificate.as_ref())
            .and_then(|c| c.not_after)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        r.mcs.as_ref().and_then(|m| m.encryption_level).map(|l| l.to_string()).unwrap_or_default(),
    ];
    fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        let r = Report { target: "a,b".into(), status: rdp_probe::Status::Refused, ..Report::default() };
        let row = row(&r);
        assert!(row.starts_with("\"a,b\",,refused,"));
        assert_eq!(row.split(',').count(), HEADER.split(',').count() + 1);
    }
}
