//! Host-name resolution: an async DNS stub resolver (hickory-resolver) that reads the system
//! configuration (`/etc/resolv.conf`, `/etc/hosts`) or an explicit one.
//!
//! Why not `tokio::net::lookup_host`: it runs `getaddrinfo` on tokio's blocking pool, and a
//! lookup cut off at its deadline keeps that thread until the system resolver gives up (tens of
//! seconds), so a scan of host names against a slow DNS server runs out of blocking threads.
//! A hickory lookup is a plain future: dropping it at the deadline frees everything but a
//! short-lived socket task.
//!
//! Feature `hickory` (default): without it (`default-features = false`, for the fewest tokio
//! features: hickory's tokio support enables tokio's `macros` and `rt-multi-thread`), the
//! resolver falls back to `tokio::net::lookup_host` with the same deadline, and
//! [`Resolver::with_name_servers`] does not exist.
//!
//! A [`Resolver`] is cheap to clone (clones share one resolver and its cache) and is built on
//! first use, inside the tokio runtime that uses it. [`crate::ProbeOptions::resolver`] `None`
//! means the system configuration, read once per [`crate::probe()`] call and once per
//! [`crate::scan_with`] call. IP address literals never reach the resolver.

#[cfg(feature = "hickory")]
use hickory_resolver::config::{ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig};
#[cfg(feature = "hickory")]
use hickory_resolver::net::runtime::TokioRuntimeProvider;
#[cfg(feature = "hickory")]
use hickory_resolver::{Hosts, TokioResolver};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
#[cfg(feature = "hickory")]
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Without hickory there is nothing to build.
#[cfg(not(feature = "hickory"))]
type TokioResolver = ();

/// Where a [`Resolver`] takes its configuration from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// `/etc/resolv.conf` (the registry on Windows) and the system hosts file.
    System,
    /// These name servers (UDP, then TCP), no search list, and optionally a hosts file.
    #[cfg(feature = "hickory")]
    Explicit { name_servers: Vec<SocketAddr>, hosts_file: Option<PathBuf> },
}

/// An async host-name resolver shared by the probes of one scan (see the [module](self) docs).
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

struct Inner {
    source: Source,
    /// Built on first lookup (needs the runtime; reads the configuration files once).
    built: OnceLock<Result<TokioResolver, String>>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("source", &self.inner.source)
            .field("built", &self.inner.built.get().map(|r| r.is_ok()))
            .finish()
    }
}

/// Why a name did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// The resolver's own request timeout (the caller's deadline is applied around it).
    #[cfg_attr(not(feature = "hickory"), allow(dead_code))]
    Timeout,
    /// NXDOMAIN, no address records, unusable configuration, I/O errors.
    Failed(String),
}

impl Resolver {
    /// The system configuration: `/etc/resolv.conf` (the registry on Windows) and the hosts file.
    pub fn system() -> Resolver {
        Resolver::new(Source::System)
    }

    /// Only these name servers (feature `hickory`) (asked over UDP, TCP when an answer is truncated), with no
    /// search domains; the system hosts file is still read first. For tests and for scans that
    /// must use a particular DNS server.
    #[cfg(feature = "hickory")]
    pub fn with_name_servers(name_servers: impl IntoIterator<Item = SocketAddr>) -> Resolver {
        Resolver::new(Source::Explicit { name_servers: name_servers.into_iter().collect(), hosts_file: None })
    }

    /// [`Resolver::with_name_servers`] with this hosts file instead of the system's (feature
    /// `hickory`).
    #[cfg(feature = "hickory")]
    pub fn with_name_servers_and_hosts(
        name_servers: impl IntoIterator<Item = SocketAddr>,
        hosts_file: impl Into<PathBuf>,
    ) -> Resolver {
        Resolver::new(Source::Explicit {
            name_servers: name_servers.into_iter().collect(),
            hosts_file: Some(hosts_file.into()),
        })
    }

    fn new(source: Source) -> Resolver {
        Resolver { inner: Arc::new(Inner { source, built: OnceLock::new() }) }
    }

    /// The hickory resolver, built on first use with `request_timeout` per DNS request.
    #[cfg_attr(not(feature = "hickory"), allow(dead_code))]
    fn get(&self, request_timeout: Duration) -> Result<&TokioResolver, LookupError> {
        self.inner
            .built
            .get_or_init(|| build(&self.inner.source, request_timeout))
            .as_ref()
            .map_err(|e| LookupError::Failed(e.clone()))
    }

    /// The addresses of `host` (IPv4 first; IPv6 only when the name has no IPv4 address), each
    /// with `port`. IP literals are returned as they are. `request_timeout` bounds each DNS
    /// request; the caller applies the overall deadline by dropping the future.
    pub(crate) async fn lookup(
        &self,
        host: &str,
        port: u16,
        request_timeout: Duration,
    ) -> Result<Vec<SocketAddr>, LookupError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        #[cfg(not(feature = "hickory"))]
        {
            let _ = request_timeout;
            match tokio::net::lookup_host((host, port)).await {
                Ok(it) => {
                    let v: Vec<SocketAddr> = it.collect();
                    if v.is_empty() {
                        Err(LookupError::Failed("no addresses".into()))
                    } else {
                        Ok(v)
                    }
                }
                Err(e) => Err(LookupError::Failed(e.to_string())),
            }
        }
        #[cfg(feature = "hickory")]
        match self.get(request_timeout)?.lookup_ip(host).await {
            Ok(found) => {
                let v: Vec<SocketAddr> = found.iter().map(|ip| SocketAddr::new(ip, port)).collect();
                if v.is_empty() {
                    Err(LookupError::Failed("no addresses".into()))
                } else {
                    Ok(v)
                }
            }
            Err(hickory_resolver::net::NetError::Timeout) => Err(LookupError::Timeout),
            Err(e) if e.is_nx_domain() => Err(LookupError::Failed("no such host name (NXDOMAIN)".into())),
            Err(e) if e.is_no_records_found() => Err(LookupError::Failed("no addresses".into())),
            Err(e) => Err(LookupError::Failed(e.to_string())),
        }
    }
}

#[cfg(not(feature = "hickory"))]
fn build(_: &Source, _: Duration) -> Result<TokioResolver, String> {
    Ok(())
}

#[cfg(feature = "hickory")]
fn build(source: &Source, request_timeout: Duration) -> Result<TokioResolver, String> {
    let provider = TokioRuntimeProvider::default();
    let mut builder = match source {
        Source::System => {
            TokioResolver::builder(provider).map_err(|e| format!("system resolver configuration: {e}"))?
        }
        Source::Explicit { name_servers, .. } => {
            let servers = name_servers
                .iter()
                .map(|a| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = a.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = a.port();
                    NameServerConfig::new(a.ip(), true, vec![udp, tcp])
                })
                .collect();
            TokioResolver::builder_with_config(ResolverConfig::from_name_servers(servers), provider)
        }
    };
    let o = builder.options_mut();
    o.timeout = request_timeout.max(Duration::from_millis(1));
    o.ip_strategy = LookupIpStrategy::Ipv4thenIpv6;
    let mut resolver = builder.build().map_err(|e| format!("resolver: {e}"))?;
    if let Source::Explicit { hosts_file: Some(path), .. } = source {
        let file = std::fs::File::open(path).map_err(|e| format!("hosts file {}: {e}", path.display()))?;
        let mut hosts = Hosts::default();
        hosts.read_hosts_conf(file).map_err(|e| format!("hosts file {}: {e}", path.display()))?;
        resolver.set_hosts(Arc::new(hosts));
    }
    Ok(resolver)
}
