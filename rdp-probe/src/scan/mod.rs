//! Many targets at once: a lazy stream of reports with bounded concurrency, an optional rate
//! limit, a per-host limit, connect-timeout retries and sharding.
//!
//! ```no_run
//! # async fn demo() {
//! use futures_util::StreamExt;
//! use rdp_probe::scan::{scan_with, ScanOptions};
//! use rdp_probe::scan::targets::{expand, TargetSpec};
//! use rdp_probe::{ProbeOptions, Steps};
//! let probe = ProbeOptions::builder().steps(Steps::NEGOTIATION).build();
//! let scan = ScanOptions::builder().concurrency(1000).rate(5000.0).build();
//! let targets = expand([TargetSpec::parse("10.0.0.0/16")], vec![3389]).filter_map(Result::ok);
//! let mut reports = scan_with(targets, &probe, &scan);
//! while let Some(r) = reports.next().await {
//!     println!("{} {:?}", r.target, r.status);
//! }
//! # }
//! ```
//!
//! Every target yields exactly one [`Report`], whatever happens: refusals, timeouts, "too many
//! open files" (the connect waits for a descriptor until the probe deadline) and even a panic
//! inside a probe (reported as status `error`). Reports come as they finish, not in input order.
//! The engine holds no global state: all limits live in the returned stream.

pub mod target;
pub mod targets;

use crate::net::run::probe;
use crate::options::{OptionsError, ProbeOptions};
use crate::report::{Phase, Report, Status};
use crate::scan::target::Target;
use crate::scan::targets::Shard;
use futures_util::stream::{self, Stream, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How a scan runs (what each probe does is [`ProbeOptions`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOptions {
    /// Probes in flight at once (`>= 1`). Each probe holds at most one socket at a time.
    pub concurrency: usize,
    /// New probes started per second (token bucket with a burst of about a tenth of a second);
    /// `None` for no limit. A probe opens its connections one after another: with
    /// [`crate::Steps::NEGOTIATION`] an unreachable target costs one connection, an RDP server three.
    pub rate: Option<f64>,
    /// Probes in flight against one host (same host name or address, any port); 0 = no limit.
    pub per_host: usize,
    /// Probe only this shard of the target sequence.
    pub shard: Option<Shard>,
    /// Extra attempts for a target whose first TCP connect timed out.
    pub connect_retries: u32,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions { concurrency: 64, rate: None, per_host: 0, shard: None, connect_retries: 0 }
    }
}

/// The largest per-host limit (a tokio semaphore's maximum); larger values are clamped.
pub const MAX_PER_HOST: usize = Semaphore::MAX_PERMITS;

/// The slowest rate honoured (one probe every 10^6 s); smaller positive rates are clamped.
const MIN_RATE: f64 = 1e-6;

impl ScanOptions {
    /// A builder starting from the defaults (concurrency 64, no rate limit, no per-host
    /// limit, no shard, no retries).
    pub fn builder() -> ScanOptionsBuilder {
        ScanOptionsBuilder(ScanOptions::default(), Vec::new())
    }

    /// Values the scan engine will not use as set, and what it uses instead (for options written
    /// as a struct literal; the builder corrects them as they are set). Empty when all is well.
    pub fn warnings(&self) -> Vec<OptionsError> {
        let mut w = Vec::new();
        if self.concurrency == 0 {
            w.push(OptionsError::new("concurrency", "0 is treated as 1"));
        }
        if let Some(r) = self.rate {
            if !(r.is_finite() && r > 0.0) {
                w.push(OptionsError::new("rate", format!("{r} is not a positive number: no rate limit")));
            } else if r < MIN_RATE {
                w.push(OptionsError::new("rate", format!("{r} is clamped to {MIN_RATE} per second")));
            }
        }
        if self.per_host > MAX_PER_HOST {
            w.push(OptionsError::new("per_host", format!("{} is clamped to {MAX_PER_HOST}", self.per_host)));
        }
        if let Some(s) = self.shard {
            if s.count == 0 || s.index >= s.count {
                w.push(OptionsError::new("shard", format!("index {} of {} selects no target", s.index, s.count)));
            }
        }
        w
    }

    /// The values the engine runs with: concurrency at least 1, a rate that is not a positive
    /// number means no limit (tiny ones are clamped), per-host limit at most [`MAX_PER_HOST`].
    fn normalized(&self) -> ScanOptions {
        ScanOptions {
            concurrency: self.concurrency.max(1),
            rate: self.rate.filter(|r| r.is_finite() && *r > 0.0).map(|r| r.max(MIN_RATE)),
            per_host: self.per_host.min(MAX_PER_HOST),
            ..self.clone()
        }
    }
}

/// Builder for [`ScanOptions`]. Each setter corrects a value that cannot work (and remembers
/// it: see [`Self::warnings`], [`Self::try_build`]).
#[derive(Debug, Clone)]
pub struct ScanOptionsBuilder(ScanOptions, Vec<OptionsError>);

impl ScanOptionsBuilder {
    /// Probes in flight at once (clamped to at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        if n == 0 {
            self.1.push(OptionsError::new("concurrency", "0 is treated as 1"));
        }
        self.0.concurrency = n.max(1);
        self
    }
    /// New probes per second; a value that is not finite and positive means no limit, a positive
    /// rate below one per 10^6 s is clamped to that.
    pub fn rate(mut self, per_second: f64) -> Self {
        let probe = ScanOptions { rate: Some(per_second), ..ScanOptions::default() };
        self.1.extend(probe.warnings());
        self.0.rate = probe.normalized().rate;
        self
    }
    /// Probes in flight per host (0 = no limit; clamped to [`MAX_PER_HOST`]).
    pub fn per_host(mut self, n: usize) -> Self {
        if n > MAX_PER_HOST {
            self.1.push(OptionsError::new("per_host", format!("{n} is clamped to {MAX_PER_HOST}")));
        }
        self.0.per_host = n.min(MAX_PER_HOST);
        self
    }
    /// Only this shard of the target sequence.
    pub fn shard(mut self, s: Shard) -> Self {
        self.0.shard = Some(s);
        self
    }
    /// Extra attempts after a connect timeout.
    pub fn connect_retries(mut self, n: u32) -> Self {
        self.0.connect_retries = n;
        self
    }
    /// What the setters corrected, plus anything else that cannot work. Empty when all is well.
    pub fn warnings(&self) -> Vec<OptionsError> {
        let mut w = self.1.clone();
        w.extend(self.0.warnings());
        w
    }
    /// The options, or the first value that had to be corrected.
    pub fn try_build(self) -> Result<ScanOptions, OptionsError> {
        match self.warnings().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(self.0),
        }
    }
    /// The options, with the corrections of the setters (see [`Self::warnings`]).
    pub fn build(self) -> ScanOptions {
        self.0
    }
}

/// Probes every target of `targets` (consumed lazily: a /8 is never materialised) with at most
/// `concurrency` probes in flight, yielding reports as they finish (not in input order).
/// Exactly one report per target. Shorthand for [`scan_with`] with only a concurrency.
pub fn scan<I>(targets: I, opts: &ProbeOptions, concurrency: usize) -> impl Stream<Item = Report> + Unpin + 'static
where
    I: IntoIterator<Item = Target>,
    I::IntoIter: 'static,
{
    scan_with(targets, opts, &ScanOptions::builder().concurrency(concurrency).build())
}

/// Probes every target of `targets` as [`ScanOptions`] says, yielding one report per target (of
/// the shard) as each finishes. Probes run as tokio tasks (they use every worker thread); the
/// stream must be polled inside a tokio runtime. Dropping the stream aborts the probes in flight.
/// Values of `scan` that cannot work are used as [`ScanOptions::warnings`] says (never a panic or
/// a stall). Host names are resolved by one resolver for the whole scan
/// ([`ProbeOptions::resolver`], else the system configuration, read once).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::StreamExt;
/// use rdp_probe::{scan_with, ProbeOptions, ScanOptions, Steps, Target};
/// let probe = ProbeOptions::builder().steps(Steps::NEGOTIATION).build();
/// let scan = ScanOptions::builder().concurrency(100).per_host(2).try_build()?;
/// let targets = vec![Target::parse("rdp1.example.org", 3389)?, Target::parse("10.0.0.7:3390", 3389)?];
/// let mut reports = scan_with(targets, &probe, &scan);
/// while let Some(r) = reports.next().await {
///     println!("{} {:?}", r.target, r.verdict.map(|v| v.state));
/// }
/// # Ok(())
/// # }
/// ```
pub fn scan_with<I>(targets: I, opts: &ProbeOptions, scan: &ScanOptions) -> impl Stream<Item = Report> + Unpin + 'static
where
    I: IntoIterator<Item = Target>,
    I::IntoIter: 'static,
{
    let scan = &scan.normalized();
    let mut opts = opts.clone();
    opts.resolver.get_or_insert_with(crate::net::resolver::Resolver::system);
    let opts = Arc::new(opts);
    let shard = scan.shard;
    let retries = scan.connect_retries;
    let hosts = (scan.per_host > 0).then(|| Arc::new(HostLimiter::new(scan.per_host)));
    let mut pacer = scan.rate.map(Pacer::new);
    let selected =
        targets.into_iter().enumerate().filter(move |(i, _)| shard.is_none_or(|s| s.keeps(*i as u64))).map(|(_, t)| t);
    let reports = stream::iter(selected)
        .then(move |t| {
            let wait = pacer.as_mut().map(Pacer::next_slot);
            async move {
                if let Some(at) = wait {
                    tokio::time::sleep_until(at).await;
                }
                t
            }
        })
        .map(move |t| {
            let opts = opts.clone();
            let hosts = hosts.clone();
            let label = t.original.clone();
            let task = tokio::spawn(async move {
                let _slot = match &hosts {
                    Some(h) => Some(h.acquire(&t.host).await),
                    None => None,
                };
                probe_with_retries(&t, &opts, retries).await
            });
            Task { handle: task, target: label }
        })
        .buffer_unordered(scan.concurrency.max(1));
    Box::pin(reports)
}

/// One probe, repeated up to `retries` more times while its first connect times out.
pub async fn probe_with_retries(target: &Target, opts: &ProbeOptions, retries: u32) -> Report {
    let mut attempt = 0;
    loop {
        let r = probe(target, opts).await;
        let connect_timeout = r.status == Status::Timeout && r.error_phase == Some(Phase::Connect);
        if !connect_timeout || attempt >= retries {
            return r;
        }
        attempt += 1;
    }
}

/// A spawned probe; a panic becomes an error report, dropping it aborts the probe.
struct Task {
    handle: tokio::task::JoinHandle<Report>,
    target: String,
}

impl Future for Task {
    type Output = Report;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Report> {
        match Pin::new(&mut self.handle).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(r)) => Poll::Ready(r),
            Poll::Ready(Err(e)) => Poll::Ready(Report {
                target: self.target.clone(),
                status: Status::Error,
                error: Some(format!("probe task failed: {e}")),
                error_kind: Some(crate::report::ErrorKind::Other),
                ..Report::default()
            }),
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Paces probe starts: a token bucket in its "virtual scheduling" form (GCRA) with a burst of
/// about 100 ms of traffic.
struct Pacer {
    interval: Duration,
    burst: Duration,
    next: Option<Instant>,
}

impl Pacer {
    fn new(rate: f64) -> Pacer {
        let interval = Duration::from_secs_f64(1.0 / rate.max(1e-6)).max(Duration::from_nanos(1));
        Pacer { interval, burst: Duration::from_millis(100).max(interval), next: None }
    }
    /// The instant the next probe may start.
    fn next_slot(&mut self) -> Instant {
        let now = Instant::now();
        let earliest = now.checked_sub(self.burst).unwrap_or(now);
        let slot = self.next.map_or(now, |n| n.max(earliest));
        self.next = Some(slot + self.interval);
        slot
    }
}

/// Per-host limit: one semaphore per host with probes in flight, removed when idle (a /8 scan
/// keeps only the hosts in flight).
struct HostLimiter {
    limit: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

struct HostSlot {
    permit: Option<OwnedSemaphorePermit>,
    host: String,
    limiter: Arc<HostLimiter>,
}

impl HostLimiter {
    fn new(limit: usize) -> HostLimiter {
        HostLimiter { limit, hosts: Mutex::new(HashMap::new()) }
    }
    async fn acquire(self: &Arc<Self>, host: &str) -> HostSlot {
        let sem = match self.hosts.lock() {
            Ok(mut m) => m.entry(host.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.limit))).clone(),
            Err(_) => Arc::new(Semaphore::new(self.limit)),
        };
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = sem.acquire_owned().await.ok();
        HostSlot { permit, host: host.to_string(), limiter: self.clone() }
    }
}

impl Drop for HostSlot {
    fn drop(&mut self) {
        drop(self.permit.take());
        if let Ok(mut m) = self.limiter.hosts.lock() {
            if m.get(&self.host).is_some_and(|s| Arc::strong_count(s) == 1) {
                m.remove(&self.host);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Steps;

    fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_report_per_target_with_shard_and_rate() {
        let port = closed_port();
        let opts = ProbeOptions::builder().steps(Steps::NEGOTIATION).timeout(Duration::from_secs(2)).build();
        let targets: Vec<Target> =
            (0..300).map(|i| Target::from_addr([127, 0, 0, 1].into(), port).with_tag(i)).collect();
        let so = ScanOptions::builder()
            .concurrency(50)
            .rate(2000.0)
            .per_host(10)
            .shard(Shard::parse("2/3").unwrap())
            .build();
        let t0 = std::time::Instant::now();
        let reports: Vec<Report> = scan_with(targets, &opts, &so).collect().await;
        assert_eq!(reports.len(), 100);
        assert!(reports.iter().all(|r| r.status == Status::Refused));
        let mut tags: Vec<String> = reports.iter().map(|r| r.target.clone()).collect();
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), 100);
        assert!(tags.iter().all(|t| t.split('#').nth(1).unwrap().parse::<usize>().unwrap() % 3 == 1));
        // 100 probes at 2000/s with a 100 ms burst: at least ~(100-200)/2000 s; just check it ran.
        assert!(t0.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn rate_limit_paces() {
        let port = closed_port();
        let opts = ProbeOptions::builder().steps(Steps::NEGOTIATION).build();
        let targets: Vec<Target> = (0..60).map(|_| Target::from_addr([127, 0, 0, 1].into(), port)).collect();
        let t0 = std::time::Instant::now();
        let n = scan_with(targets, &opts, &ScanOptions::builder().concurrency(100).rate(100.0).build()).count().await;
        assert_eq!(n, 60);
        // burst of 10 (100 ms), then 50 more at 100/s: about 0.5 s.
        let e = t0.elapsed().as_secs_f64();
        assert!((0.4..3.0).contains(&e), "{e}");
    }

    #[tokio::test]
    async fn host_limiter_cleans_up() {
        let l = Arc::new(HostLimiter::new(2));
        let a = l.acquire("h").await;
        let b = l.acquire("h").await;
        assert_eq!(l.hosts.lock().unwrap().len(), 1);
        let l2 = l.clone();
        let waiter = tokio::spawn(async move { l2.acquire("h").await });
        tokio::task::yield_now().await;
        drop(a);
        let c = waiter.await.unwrap();
        drop(b);
        assert_eq!(l.hosts.lock().unwrap().len(), 1);
        drop(c);
        assert!(l.hosts.lock().unwrap().is_empty());
    }

    impl Target {
        fn with_tag(mut self, i: usize) -> Target {
            self.original = format!("{}#{i}", self.original);
            self
        }
    }
}
