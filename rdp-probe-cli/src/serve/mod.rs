//! `rdp-probe serve`: a Prometheus exporter in the blackbox_exporter pattern. Prometheus
//! scrapes `/probe?target=HOST:PORT[&module=NAME]`; each scrape runs one probe
//! ([`rdp_probe::probe_owned`]) and answers its metrics ([`metrics::report_metrics`]);
//! `/metrics` holds the exporter's own. Probes at once are bounded (`--max-concurrent`), each
//! scrape has a deadline (the scrape timeout Prometheus sends, less a margin), and `--allow`
//! limits the targets. HTTP/1.1 by hyper; every connection must send its request head within
//! `--header-timeout` (idle keep-alive connections are closed after it too).

mod handler;
mod metrics;
mod modules;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use ipnet::IpNet;
use modules::Module;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// `rdp-probe serve` arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (ip:port). Keep it on loopback or a management network: whoever
    /// reaches the exporter can make it probe hosts.
    #[arg(long, default_value = "127.0.0.1:9389", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Modules file (TOML): `[modules.NAME]` with quick, ciphers, no_tls, no_nla, no_mcs,
    /// timeout, overall_timeout, cookie, port. A `default` module always exists.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Probes running at once; more scrapes wait for a slot until their deadline, then get 503.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub max_concurrent: usize,
    /// Only probe targets inside this network (CIDR or address; repeatable). A host name is
    /// resolved by the exporter and every address must be inside; others get 403.
    #[arg(long, value_name = "CIDR", value_parser = parse_allow)]
    pub allow: Vec<IpNet>,
    /// Seconds a client has to send its request head (also closes idle keep-alive connections).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub header_timeout: f64,
    /// Seconds subtracted from the scrape timeout Prometheus sends
    /// (X-Prometheus-Scrape-Timeout-Seconds) to get the probe's deadline.
    #[arg(long, default_value_t = 0.5, value_name = "SECONDS")]
    pub timeout_margin: f64,
    /// HTTP connections served at once; more wait in the listen backlog.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
}

/// `--allow`: a CIDR block or a single address.
fn parse_allow(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("not a CIDR block or an address: {s:?}"))
}

/// What `serve` runs with.
#[derive(Debug)]
pub struct ServeConfig {
    listen: SocketAddr,
    modules: BTreeMap<String, Module>,
    max_concurrent: usize,
    max_connections: usize,
    allow: Vec<IpNet>,
    header_timeout: Duration,
    margin: Duration,
}

impl ServeConfig {
    /// Checks the arguments and reads the modules file. `Err` is a usage error.
    pub fn from_args(a: &ServeArgs) -> Result<ServeConfig, String> {
        let secs = |s: f64, what: &str, zero_ok: bool| {
            if s.is_finite() && (s > 0.0 || (zero_ok && s == 0.0)) && s < 86_400.0 {
                Ok(Duration::from_secs_f64(s))
            } else {
                Err(format!("invalid {what}: {s}"))
            }
        };
        if a.max_concurrent == 0 {
            return Err("invalid --max-concurrent: 0".into());
        }
        if a.max_connections == 0 {
            return Err("invalid --max-connections: 0".into());
        }
        Ok(ServeConfig {
            listen: a.listen,
            modules: modules::load(a.config.as_deref())?,
            max_concurrent: a.max_concurrent,
            max_connections: a.max_connections,
            allow: a.allow.clone(),
            header_timeout: secs(a.header_timeout, "--header-timeout", false)?,
            margin: secs(a.timeout_margin, "--timeout-margin", true)?,
        })
    }
}

/// Shared by every request.
#[derive(Debug)]
pub struct State {
    modules: BTreeMap<String, Module>,
    allow: Vec<IpNet>,
    margin: Duration,
    max_concurrent: usize,
    /// One permit per running probe.
    slots: Semaphore,
    metrics: metrics::ExporterMetrics,
}

/// Runs the exporter until interrupted (exit 0).
pub fn run(c: &ServeConfig) -> Result<u8, String> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(serve(c))
}

async fn serve(c: &ServeConfig) -> Result<u8, String> {
    let listener =
        tokio::net::TcpListener::bind(c.listen).await.map_err(|e| format!("cannot listen on {}: {e}", c.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let state = Arc::new(State {
        modules: c.modules.clone(),
        allow: c.allow.clone(),
        margin: c.margin,
        max_concurrent: c.max_concurrent,
        slots: Semaphore::new(c.max_concurrent),
        metrics: metrics::ExporterMetrics::new(c.max_concurrent),
    });
    let modules: Vec<&str> = c.modules.keys().map(String::as_str).collect();
    eprintln!(
        "rdp-probe serve: listening on http://{local}/ (modules: {}; max {} probes at once; {})",
        modules.join(", "),
        c.max_concurrent,
        if c.allow.is_empty() {
            "any target allowed".to_string()
        } else {
            format!("{} --allow networks", c.allow.len())
        }
    );
    let conns = Arc::new(Semaphore::new(c.max_connections));
    let header_timeout = c.header_timeout;
    let accept = async {
        loop {
            let Ok(permit) = conns.clone().acquire_owned().await else { return };
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    eprintln!("rdp-probe serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, std::convert::Infallible>(handler::handle(state, req).await) }
                });
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .max_buf_size(16 * 1024)
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
                drop(permit);
            });
        }
    };
    tokio::select! {
        _ = accept => Ok(0),
        _ = shutdown_signal() => {
            eprintln!("rdp-probe serve: stopping");
            Ok(0)
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_values() {
        assert_eq!(parse_allow("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_allow("127.0.0.1").unwrap().to_string(), "127.0.0.1/32");
        assert_eq!(parse_allow("::1").unwrap().to_string(), "::1/128");
        assert!(parse_allow("example.org").is_err());
    }
}
