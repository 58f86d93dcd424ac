//! One HTTP request of `rdp-probe serve`: routing, the `/probe` query, the deadline, the
//! `--allow` check, the probe-slot bound.

use super::metrics::{report_metrics, Rejected, CONTENT_TYPE};
use super::modules::DEFAULT_MODULE;
use super::State;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE as CT};
use hyper::{Method, Request, Response, StatusCode};
use rdp_probe::{Phase, Report, Status, Target};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The scrape timeout Prometheus sends with each scrape.
const SCRAPE_TIMEOUT_HEADER: &str = "x-prometheus-scrape-timeout-seconds";

/// Answers one request; never fails (errors are HTTP statuses).
pub async fn handle<B>(state: Arc<State>, req: Request<B>) -> Response<Full<Bytes>> {
    let start = Instant::now();
    let head = req.method() == Method::HEAD;
    let mut resp = match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/probe") => probe(&state, &req, start).await,
        (&Method::GET | &Method::HEAD, "/metrics") => metrics_response(state.metrics.render()),
        (&Method::GET | &Method::HEAD, "/") => text(StatusCode::OK, INDEX),
        (_, "/probe" | "/metrics" | "/") => text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n"),
        _ => text(StatusCode::NOT_FOUND, "not found: try /probe?target=HOST:PORT or /metrics\n"),
    };
    if head {
        *resp.body_mut() = Full::new(Bytes::new());
    }
    resp
}

const INDEX: &str = "rdp-probe exporter\n\
GET /probe?target=HOST:PORT[&module=NAME]  probe one RDP listener (Prometheus text format)\n\
GET /metrics                               the exporter's own metrics\n";

fn text(status: StatusCode, body: impl Into<String>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(CT, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

fn metrics_response(body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(CT, HeaderValue::from_static(CONTENT_TYPE));
    r
}

/// A refused scrape: counted, and answered with a one-line reason.
fn refuse(state: &State, why: Rejected, msg: String) -> Response<Full<Bytes>> {
    state.metrics.reject(why);
    let status = match why {
        Rejected::BadRequest => StatusCode::BAD_REQUEST,
        Rejected::Forbidden => StatusCode::FORBIDDEN,
        Rejected::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
    };
    let line = msg.replace(['\r', '\n'], " ");
    text(status, format!("{line}\n"))
}

/// What a `/probe` query asks for.
#[derive(Debug)]
struct Query {
    target: String,
    module: String,
}

/// The `target` and `module` parameters (others are ignored); `Err` is the 400 reason.
fn parse_query(q: Option<&str>) -> Result<Query, String> {
    let (mut target, mut module) = (None, None);
    for (k, v) in form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
        let slot = match k.as_ref() {
            "target" => &mut target,
            "module" => &mut module,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!("parameter {k} given more than once"));
        }
        *slot = Some(v.into_owned());
    }
    let target = target.ok_or("missing parameter target (/probe?target=HOST:PORT)")?;
    Ok(Query { target, module: module.unwrap_or_else(|| DEFAULT_MODULE.to_string()) })
}

/// The time this scrape may take: the scrape timeout Prometheus sent, less the margin (half
/// of it when it is shorter than twice the margin), else the module's overall timeout.
fn budget(header: Option<&HeaderValue>, margin: Duration, module_overall: Duration) -> Result<Duration, String> {
    let Some(h) = header else { return Ok(module_overall) };
    let secs = h
        .to_str()
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
        .ok_or_else(|| format!("invalid X-Prometheus-Scrape-Timeout-Seconds: {:?}", h.to_str().unwrap_or("?")))?;
    let t = Duration::from_secs_f64(secs);
    let b = if t > margin * 2 { t - margin } else { t / 2 };
    Ok(b.min(module_overall))
}

/// Whether `--allow` lets this address be probed (no list: everything).
fn allowed(state: &State, ip: IpAddr) -> bool {
    state.allow.is_empty() || state.allow.iter().any(|n| n.contains(&ip.to_canonical()))
}

/// `GET /probe`.
async fn probe<B>(state: &State, req: &Request<B>, start: Instant) -> Response<Full<Bytes>> {
    let q = match parse_query(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return refuse(state, Rejected::BadRequest, e),
    };
    let Some(module) = state.modules.get(&q.module) else {
        let known: Vec<&str> = state.modules.keys().map(String::as_str).collect();
        return refuse(
            state,
            Rejected::BadRequest,
            format!("unknown module {:?} (known: {})", q.module, known.join(", ")),
        );
    };
    let target = match Target::parse(&q.target, module.opts.port) {
        Ok(t) => t,
        Err(e) => return refuse(state, Rejected::BadRequest, format!("target {:?}: {e}", q.target)),
    };
    let budget = match budget(req.headers().get(SCRAPE_TIMEOUT_HEADER), state.margin, module.opts.overall_timeout) {
        Ok(b) => b,
        Err(e) => return refuse(state, Rejected::BadRequest, e),
    };
    let deadline = start + budget;
    if let Some(ip) = target.ip() {
        if !allowed(state, ip) {
            return refuse(state, Rejected::Forbidden, format!("target {ip} is outside --allow"));
        }
    }

    // A probe slot, within the deadline.
    state.metrics.waiting.inc();
    let permit = tokio::time::timeout_at(deadline, state.slots.acquire()).await;
    state.metrics.waiting.dec();
    let _permit = match permit {
        Ok(Ok(p)) => p,
        _ => {
            return refuse(
                state,
                Rejected::Overloaded,
                format!(
                    "all {} probe slots busy for the whole scrape deadline ({:.1} s); raise --max-concurrent or the scrape timeout",
                    state.max_concurrent,
                    budget.as_secs_f64()
                ),
            )
        }
    };
    state.metrics.in_flight.inc();
    let report = run_probe(state, module.opts.clone(), target, deadline).await;
    state.metrics.in_flight.dec();
    let report = match report {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    state.metrics.probes.inc();
    if report.status != Status::Rdp {
        state.metrics.failures.inc();
    }
    metrics_response(report_metrics(&report))
}

/// Resolves (with `--allow`: here, so the addresses checked are the ones probed), then probes
/// with timeouts cut to the deadline. `Err` is a 403.
async fn run_probe(
    state: &State,
    mut opts: rdp_probe::ProbeOptions,
    target: Target,
    deadline: Instant,
) -> Result<Report, Response<Full<Bytes>>> {
    let mut target = target;
    let mut lookup_ms = None;
    if !state.allow.is_empty() && target.ip().is_none() {
        let t0 = Instant::now();
        let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
        let lookup_deadline = deadline.min(t0 + opts.connect_timeout);
        let addrs: Result<Vec<SocketAddr>, String> = match tokio::time::timeout_at(lookup_deadline, lookup).await {
            Ok(Ok(a)) => Ok(a.collect()),
            Ok(Err(e)) => Err(format!("{}: {e}", target.host)),
            Err(_) => Err(format!("{}: name resolution timed out", target.host)),
        };
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        let mut addrs = match addrs {
            Ok(a) if !a.is_empty() => a,
            Ok(_) => return Ok(dns_failure(&target, format!("{}: no addresses", target.host), ms)),
            Err(e) => return Ok(dns_failure(&target, e, ms)),
        };
        if let Some(bad) = addrs.iter().find(|a| !allowed(state, a.ip())) {
            return Err(refuse(
                state,
                Rejected::Forbidden,
                format!("target {} resolves to {} which is outside --allow", target.host, bad.ip()),
            ));
        }
        addrs.sort_by_key(|a| !a.is_ipv4()); // IPv4 first, as the library does
        let ip = addrs.first().map(SocketAddr::ip).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        // Probe the address checked (no second lookup); the certificate is checked against
        // the name, which is also sent as SNI.
        opts.server_name.get_or_insert_with(|| target.host.clone());
        target = Target { host: ip.to_string(), port: target.port, original: target.original };
        lookup_ms = Some(ms);
    }
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(10));
    opts.overall_timeout = opts.overall_timeout.min(left);
    opts.connect_timeout = opts.connect_timeout.min(left);
    opts.read_timeout = opts.read_timeout.min(left);
    let original = target.original.clone();
    // The library keeps its overall deadline; this is the backstop that keeps the answer
    // within the scrape timeout whatever happens.
    let hard = deadline + state.margin / 2;
    let mut report = match tokio::time::timeout_at(hard, rdp_probe::probe_owned(target, Arc::new(opts))).await {
        Ok(r) => r,
        Err(_) => {
            let mut r = Report {
                target: original,
                status: Status::Timeout,
                error_phase: Some(Phase::Overall),
                error: Some("the probe did not finish within the scrape deadline".into()),
                error_kind: Some(rdp_probe::report::ErrorKind::Timeout),
                ..Report::default()
            };
            r.findings = rdp_probe::diagnosis::findings::analyze(&r);
            r.verdict = Some(rdp_probe::diagnosis::verdict::assess(&r));
            r
        }
    };
    if let Some(ms) = lookup_ms {
        report.timings_ms.insert("resolve".into(), ms);
        if let Some(t) = report.timings_ms.get_mut("total") {
            *t += ms;
        }
    }
    Ok(report)
}

/// The report of a name that did not resolve (with `--allow`, resolution happens here).
fn dns_failure(target: &Target, error: String, ms: f64) -> Report {
    let mut r = Report {
        target: target.original.clone(),
        status: Status::DnsError,
        error_phase: Some(Phase::Resolve),
        error: Some(error),
        error_kind: Some(rdp_probe::report::ErrorKind::Dns),
        ..Report::default()
    };
    r.timings_ms.insert("resolve".into(), ms);
    r.timings_ms.insert("total".into(), ms);
    r.findings = rdp_probe::diagnosis::findings::analyze(&r);
    r.verdict = Some(rdp_probe::diagnosis::verdict::assess(&r));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query() {
        let q = parse_query(Some("target=127.0.0.1%3A3389&module=quick&x=1")).unwrap();
        assert_eq!((q.target.as_str(), q.module.as_str()), ("127.0.0.1:3389", "quick"));
        assert_eq!(parse_query(Some("target=h")).unwrap().module, "default");
        assert!(parse_query(None).unwrap_err().starts_with("missing parameter target"));
        assert!(parse_query(Some("module=x")).is_err());
        assert_eq!(parse_query(Some("target=a&target=b")).unwrap_err(), "parameter target given more than once");
    }

    #[test]
    fn deadline_from_header() {
        let m = Duration::from_millis(500);
        let overall = Duration::from_secs(60);
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(budget(None, m, overall), Ok(overall));
        assert_eq!(budget(Some(&h("10")), m, overall), Ok(Duration::from_millis(9500)));
        assert_eq!(budget(Some(&h("0.8")), m, overall), Ok(Duration::from_millis(400)));
        assert_eq!(budget(Some(&h("100")), m, Duration::from_secs(20)), Ok(Duration::from_secs(20)));
        assert!(budget(Some(&h("soon")), m, overall).is_err());
        assert!(budget(Some(&h("-1")), m, overall).is_err());
    }
}
