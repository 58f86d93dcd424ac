//! What `rdp-probe serve` exposes, in the Prometheus text format (0.0.4), encoded by the
//! `prometheus-client` crate: [`report_metrics`] for one probe (`/probe`), [`ExporterMetrics`]
//! for the exporter itself (`/metrics`).

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use rdp_probe::{NlaRequirement, Report, Severity, Status};
use std::sync::atomic::AtomicU64;

/// `Content-Type` of both endpoints.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// A gauge without labels holding `v`.
fn gauge(v: f64) -> FloatGauge {
    let g = FloatGauge::default();
    g.set(v);
    g
}

/// The metrics of one probe (see README "Prometheus exporter" for the list).
pub fn report_metrics(r: &Report) -> String {
    let mut reg = Registry::default();
    reg.register(
        "rdp_up",
        "1 when an RDP listener answered (X.224 Connection Confirm or an RDP refusal), else 0",
        gauge(f64::from(u8::from(r.status == Status::Rdp))),
    );

    let durations = Family::<Labels, FloatGauge>::default();
    for (phase, ms) in &r.timings_ms {
        durations.get_or_create(&vec![("phase", phase.clone())]).set((ms * 1000.0).round() / 1e6);
    }
    reg.register(
        "rdp_probe_duration_seconds",
        "Seconds per phase of the probe (resolve, connect, send_cr, read_cc, negotiation, tls, nla, mcs, total)",
        durations,
    );

    reg.register(
        "rdp_status",
        "Outcome class of the probe (rdp, not_rdp, refused, timeout, reset, dns_error, error)",
        Info::new(vec![("status", r.status.as_str().to_string())]),
    );
    if let Some(v) = &r.verdict {
        let step = v.blocking_step.map_or("none", |s| s.as_str());
        reg.register(
            "rdp_verdict",
            "Whether a stock client can connect (state) and the step that stops it (blocking_step, none when usable)",
            Info::new(vec![("state", v.state.as_str().to_string()), ("blocking_step", step.to_string())]),
        );
    }

    if let Some(n) = &r.negotiation {
        if let Some(nla) = n.nla.filter(|n| *n != NlaRequirement::Unknown) {
            reg.register(
                "rdp_nla_required",
                "1 when the listener requires Network Level Authentication (CredSSP), 0 when it is only offered or not supported",
                gauge(f64::from(u8::from(nla == NlaRequirement::Required))),
            );
        }
        if let Some(layer) = n.security_layer {
            reg.register(
                "rdp_security_layer",
                "Security Layer inferred from the negotiation answers (rdp, negotiate, ssl, unknown)",
                Info::new(vec![("security_layer", layer.to_string())]),
            );
        }
    }

    if let Some(tls) = &r.tls {
        if let Some(ts) = tls.certificate.as_ref().and_then(|c| c.not_after).map(|t| t.unix()) {
            reg.register(
                "rdp_tls_cert_not_after_timestamp_seconds",
                "Expiry of the TLS certificate the listener presented, Unix seconds",
                gauge(ts as f64),
            );
        }
        if !tls.versions.is_empty() {
            let versions = Family::<Labels, FloatGauge>::default();
            for (version, ok) in &tls.versions {
                versions.get_or_create(&vec![("version", version.to_string())]).set(f64::from(u8::from(*ok)));
            }
            reg.register("rdp_tls_version_supported", "1 when the listener accepts this TLS version, else 0", versions);
        }
    }

    if let Some(level) = r.mcs.as_ref().and_then(|m| m.encryption_level.as_ref()) {
        reg.register(
            "rdp_encryption_level",
            "Standard RDP Security encryption level from MCS (none, low, client_compatible, high, fips)",
            Info::new(vec![("level", level.to_string())]),
        );
    }

    let findings = Family::<Labels, FloatGauge>::default();
    for sev in [Severity::Info, Severity::Warning, Severity::Critical] {
        let n = r.findings.iter().filter(|f| f.severity == sev).count();
        findings.get_or_create(&vec![("severity", sev.as_str().to_string())]).set(n as f64);
    }
    reg.register("rdp_findings", "Number of findings per severity", findings);

    if let Some(nla) = &r.nla {
        if let Some(v) = nla.credssp_version {
            reg.register("rdp_credssp_version", "CredSSP (TSRequest) version the server answered", gauge(f64::from(v)));
        }
        if let Some(skew) = nla.ntlm.as_ref().and_then(|n| n.clock_skew_s) {
            reg.register(
                "rdp_ntlm_clock_skew_seconds",
                "Server clock (NTLM challenge timestamp) minus the exporter's, seconds",
                gauge(skew),
            );
        }
    }
    encode(&reg)
}

fn encode(reg: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_text::encode(&mut out, reg);
    out
}

/// Why a scrape was refused (the `reason` label of `rdp_exporter_requests_rejected_total`).
#[derive(Debug, Clone, Copy)]
pub enum Rejected {
    /// 400: no target, an unparsable target, an unknown module, a bad scrape-timeout header.
    BadRequest,
    /// 403: the target is outside `--allow`.
    Forbidden,
    /// 503: no probe slot within the scrape deadline.
    Overloaded,
}

impl Rejected {
    fn as_str(self) -> &'static str {
        match self {
            Rejected::BadRequest => "bad_request",
            Rejected::Forbidden => "forbidden",
            Rejected::Overloaded => "overloaded",
        }
    }
}

/// The exporter's own metrics (`/metrics`).
#[derive(Debug)]
pub struct ExporterMetrics {
    registry: Registry,
    /// Probes run (finished).
    pub probes: Counter,
    /// Probes whose `rdp_up` was 0.
    pub failures: Counter,
    /// Probes running now.
    pub in_flight: Gauge,
    /// Scrapes waiting for a probe slot now.
    pub waiting: Gauge,
    rejected: Family<Labels, Counter>,
}

impl ExporterMetrics {
    /// The metrics, registered; `max_concurrent` is exposed as a constant gauge.
    pub fn new(max_concurrent: usize) -> ExporterMetrics {
        let mut registry = Registry::default();
        let probes = Counter::default();
        let failures = Counter::default();
        let in_flight = Gauge::default();
        let waiting = Gauge::default();
        let rejected = Family::<Labels, Counter>::default();
        for r in [Rejected::BadRequest, Rejected::Forbidden, Rejected::Overloaded] {
            let _ = rejected.get_or_create(&vec![("reason", r.as_str().to_string())]);
        }
        registry.register("rdp_exporter_probes", "Probes run", probes.clone());
        registry.register("rdp_exporter_probe_failures", "Probes that ended with rdp_up 0", failures.clone());
        registry.register("rdp_exporter_probes_in_flight", "Probes running now", in_flight.clone());
        registry.register("rdp_exporter_probes_waiting", "Scrapes waiting for a probe slot now", waiting.clone());
        registry.register(
            "rdp_exporter_requests_rejected",
            "Scrapes refused: bad_request (400), forbidden (403), overloaded (503)",
            rejected.clone(),
        );
        registry.register(
            "rdp_exporter_max_concurrent_probes",
            "Bound on probes running at once (--max-concurrent)",
            gauge(max_concurrent as f64),
        );
        ExporterMetrics { registry, probes, failures, in_flight, waiting, rejected }
    }

    /// Counts a refused scrape.
    pub fn reject(&self, why: Rejected) {
        self.rejected.get_or_create(&vec![("reason", why.as_str().to_string())]).inc();
    }

    /// The text of `/metrics`.
    pub fn render(&self) -> String {
        encode(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample `name_and_labels` in an exposition.
    fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
        text.lines().find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn a_failed_probe_has_up_0_and_a_verdict() {
        let mut r = Report {
            target: "h:1".into(),
            status: Status::Refused,
            error_phase: Some(rdp_probe::Phase::Connect),
            ..Report::default()
        };
        r.timings_ms.insert("connect".into(), 1.5);
        r.findings = rdp_probe::diagnosis::findings::analyze(&r);
        r.verdict = Some(rdp_probe::diagnosis::verdict::assess(&r));
        let t = report_metrics(&r);
        assert_eq!(sample(&t, "rdp_up"), Some(0.0), "{t}");
        assert_eq!(sample(&t, "rdp_probe_duration_seconds{phase=\"connect\"}"), Some(0.0015), "{t}");
        assert_eq!(sample(&t, "rdp_status_info{status=\"refused\"}"), Some(1.0), "{t}");
        assert_eq!(sample(&t, "rdp_verdict_info{state=\"unreachable\",blocking_step=\"tcp\"}"), Some(1.0), "{t}");
        assert_eq!(sample(&t, "rdp_findings{severity=\"critical\"}"), Some(1.0), "{t}");
        assert!(!t.contains("rdp_tls"), "{t}");
    }

    #[test]
    fn exporter_metrics_names() {
        let m = ExporterMetrics::new(7);
        m.probes.inc();
        m.reject(Rejected::Overloaded);
        let t = m.render();
        assert_eq!(sample(&t, "rdp_exporter_probes_total"), Some(1.0), "{t}");
        assert_eq!(sample(&t, "rdp_exporter_requests_rejected_total{reason=\"overloaded\"}"), Some(1.0), "{t}");
        assert_eq!(sample(&t, "rdp_exporter_max_concurrent_probes"), Some(7.0), "{t}");
    }
}
