//! Many targets: expansion of the inputs, the concurrent run, streaming output, summary.

use crate::args::{Cli, Format};
use crate::{code_for, exit, human};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use rdp_probe::report::{NlaRequirement, SecurityLayer};
use rdp_probe::scan::ScanOptions;
use rdp_probe::targets::{expand, InputReader, Shard, TargetSpec};
use rdp_probe::{ProbeOptions, Proxy, Report, Target};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options for scanning many targets.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Probes in flight at once [default: from the open-file limit, which is raised to its
    /// hard limit at start: 90% of it, at most 5000].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// At most this many new probes started per second (token bucket).
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,
    /// At most this many probes in flight per host (politeness; 0 = no limit).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub per_host: usize,
    /// Probe only shard K of N of the expanded target list (target i is in shard i mod N + 1):
    /// N machines split one list with no overlap.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Read targets from FILE (`-` = stdin): one or more per line (host, address, CIDR, range),
    /// or nmap -oX / masscan -oX, -oJ, -oL output (open ports). Repeatable. `-iL` works too.
    #[arg(long = "input-list", value_name = "FILE")]
    pub input_list: Vec<PathBuf>,
    /// Seconds to wait between two connections to the same target.
    #[arg(long, value_name = "SECONDS")]
    pub connection_delay: Option<f64>,
    /// Extra attempts for a target whose TCP connect timed out.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub retries: u32,
    /// One CSV row per target on stdout (header first); same as --format csv.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
}

/// Lets nmap users write `-iL FILE`: rewrites it to `--input-list FILE` before clap sees it.
pub fn nmap_style_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter().map(|a| if a == "-iL" { OsString::from("--input-list") } else { a }).collect()
}

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force.
fn raise_nofile() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024)
}

/// Default concurrency for an open-file limit: each probe holds at most one socket at a time,
/// so most of the descriptors, less a reserve, capped at 5000.
pub fn default_concurrency(nofile: u64) -> usize {
    let usable = nofile.saturating_sub(64) * 9 / 10;
    usize::try_from(usable.clamp(16, 5000)).unwrap_or(5000)
}

/// Parses `socks5://[user:password@]host:port` (also `socks5h://`).
pub fn parse_proxy(url: &str) -> Result<Proxy, String> {
    let rest = url
        .strip_prefix("socks5://")
        .or_else(|| url.strip_prefix("socks5h://"))
        .ok_or_else(|| format!("--proxy {url:?}: only socks5://host:port is supported"))?;
    let (auth, address) = match rest.rsplit_once('@') {
        Some((cred, addr)) => {
            let (u, p) = cred.split_once(':').unwrap_or((cred, ""));
            (Some((u.to_string(), p.to_string())), addr)
        }
        None => (None, rest),
    };
    let address = address.trim_end_matches('/');
    if address.rsplit_once(':').is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err()) {
        return Err(format!("--proxy {url:?}: expected host:port"));
    }
    Ok(Proxy::Socks5 { address: address.to_string(), auth })
}

/// Output format of many targets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Out {
    Human,
    Json,
    Csv,
}

/// CSV columns (a contract: add at the end, never reorder). `security_layer` and `nla` are
/// columns 5 and 6 (JSON spelling, as in `negotiation.security_layer` / `negotiation.nla`).
pub const CSV_HEADER: &str = "target,address,status,error_phase,security_layer,nla,selected,rdp,ssl,hybrid,hybrid_ex,rdstls,rdsaad,source_ref,total_ms,verdict,blocking_step,worst_severity,findings,tls_version,cert_not_after,encryption_level";

/// Findings as `id:severity`, most severe first (`nla-not-required:warning`).
fn findings_with_severity(r: &Report) -> Vec<String> {
    use rdp_probe::findings::Severity;
    [Severity::Critical, Severity::Warning, Severity::Info]
        .iter()
        .flat_map(|sev| r.findings.iter().filter(move |f| f.severity == *sev))
        .map(|f| format!("{}:{}", f.id, f.severity.as_str()))
        .collect()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// One CSV row for a report.
pub fn csv_row(r: &Report) -> String {
    let n = r.negotiation.as_ref();
    let proto = |p: &str| n.and_then(|n| n.protocols.get(p).cloned()).unwrap_or_default();
    let fields = [
        r.target.clone(),
        r.address.clone().unwrap_or_default(),
        r.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        r.error_phase.map(|p| p.as_str().to_string()).unwrap_or_default(),
        n.and_then(|n| n.security_layer).map(|s| json_name(&s)).unwrap_or_default(),
        n.and_then(|n| n.nla).map(|s| json_name(&s)).unwrap_or_default(),
        n.and_then(|n| n.selected.clone()).unwrap_or_default(),
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
        rdp_probe::findings::worst(&r.findings).map(|s| s.as_str().to_string()).unwrap_or_default(),
        findings_with_severity(r).join(";"),
        r.tls
            .as_ref()
            .and_then(|t| t.version.clone())
            .or_else(|| r.nla.as_ref().and_then(|n| n.tls_version.clone()))
            .unwrap_or_default(),
        r.tls.as_ref().and_then(|t| t.certificate.as_ref()).map(|c| c.not_after.clone()).unwrap_or_default(),
        r.mcs.as_ref().and_then(|m| m.encryption_level.clone()).unwrap_or_default(),
    ];
    fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",")
}

/// The compact human line for one report of many: the verdict (with the blocking step), the
/// negotiation, and every finding with its severity, most severe first.
pub fn compact_line(r: &Report) -> String {
    let verdict = match &r.verdict {
        Some(v) => match v.blocking_step {
            Some(s) if !v.state.is_usable() => format!("{}({s})", v.state),
            _ => v.state.to_string(),
        },
        None => r.status.map_or("error", |s| s.as_str()).to_string(),
    };
    let total = r.timings_ms.get("total").copied().unwrap_or_default();
    let mut detail = match (&r.negotiation, r.status) {
        (Some(n), Some(rdp_probe::Status::Rdp)) => {
            let layer = n.security_layer.map(|s| json_name(&s)).unwrap_or_else(|| "unknown".into());
            let nla = n.nla.map(|s| json_name(&s)).unwrap_or_else(|| "unknown".into());
            let sel = n.selected.clone().unwrap_or_else(|| "-".into());
            format!("layer={layer} nla={nla} selected={sel}")
        }
        _ => {
            let phase = r.error_phase.map(|p| format!("[{}] ", p.as_str())).unwrap_or_default();
            format!("{phase}{}", r.error.as_deref().unwrap_or(""))
        }
    };
    let findings = findings_with_severity(r);
    if !findings.is_empty() {
        detail.push_str(&format!(" findings: {}", findings.join(",")));
    }
    format!("{:<24} {verdict:<20} {detail}  ({total:.0} ms)\n", r.target)
}

/// Counts for the summary.
#[derive(Default)]
struct Summary {
    total: u64,
    status: BTreeMap<String, u64>,
    verdict: BTreeMap<String, u64>,
    layer: BTreeMap<String, u64>,
    nla: BTreeMap<String, u64>,
}

impl Summary {
    fn add(&mut self, r: &Report) {
        self.total += 1;
        *self.status.entry(r.status.map_or("error", |s| s.as_str()).to_string()).or_default() += 1;
        if let Some(v) = &r.verdict {
            *self.verdict.entry(v.state.as_str().to_string()).or_default() += 1;
        }
        if let Some(n) = &r.negotiation {
            if r.status == Some(rdp_probe::Status::Rdp) {
                let l = n.security_layer.unwrap_or(SecurityLayer::Unknown);
                *self.layer.entry(json_name(&l)).or_default() += 1;
                let a = n.nla.unwrap_or(NlaRequirement::Unknown);
                *self.nla.entry(json_name(&a)).or_default() += 1;
            }
        }
    }
    fn render(&self, elapsed: Duration, invalid: u64) -> String {
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

type SpecSource = Box<dyn Iterator<Item = Result<TargetSpec, String>>>;

/// The spec sources: arguments (validated now), then each input file, read lazily.
fn spec_sources(cli: &Cli) -> Result<(SpecSource, Option<u128>), String> {
    let mut arg_specs = Vec::new();
    for t in &cli.targets {
        arg_specs.push(Ok(TargetSpec::parse(t).map_err(|e| format!("target {t:?}: {e}"))?));
    }
    let ports = cli.ports()?;
    let known: u128 =
        arg_specs.iter().map(|s: &Result<TargetSpec, String>| s.as_ref().map_or(0, |s| s.count(ports.len()))).sum();
    let mut source: SpecSource = Box::new(arg_specs.into_iter());
    let total = if cli.scan.input_list.is_empty() { Some(known) } else { None };
    for path in &cli.scan.input_list {
        let name = path.display().to_string();
        let reader: Box<dyn std::io::BufRead> = if name == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(BufReader::new(std::fs::File::open(path).map_err(|e| format!("-iL {name}: {e}"))?))
        };
        let specs = InputReader::new(reader).map(move |r| r.map_err(|e| format!("{name}: {e}")));
        source = Box::new(source.chain(specs));
    }
    Ok((source, total))
}

/// Probes every target and streams the reports; returns the exit code.
pub fn run(cli: &Cli, mut opts: ProbeOptions) -> Result<u8, String> {
    let nofile = raise_nofile();
    let s = &cli.scan;
    if let Some(d) = s.connection_delay {
        if !(d.is_finite() && (0.0..86_400.0).contains(&d)) {
            return Err(format!("invalid --connection-delay: {d}"));
        }
        opts.connection_delay = Duration::from_secs_f64(d);
    }
    let mut so = ScanOptions::builder()
        .concurrency(s.concurrency.unwrap_or_else(|| default_concurrency(nofile)))
        .per_host(s.per_host)
        .connect_retries(s.retries);
    if let Some(r) = s.rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(format!("invalid --rate: {r}"));
        }
        so = so.rate(r);
    }
    let mut total = None;
    let shard = match &s.shard {
        Some(sh) => Some(Shard::parse(sh).map_err(|e| format!("--shard: {e}"))?),
        None => None,
    };
    if let Some(sh) = shard {
        so = so.shard(sh);
    }
    let so = so.build();

    let ports = cli.ports()?;
    let (specs, known) = spec_sources(cli)?;
    if let Some(k) = known {
        total = Some(match shard {
            Some(sh) => (k + u128::from(sh.count - 1 - sh.index)) / u128::from(sh.count),
            None => k,
        });
    }
    let invalid = Arc::new(AtomicU64::new(0));
    let inv = invalid.clone();
    let mut targets = expand(specs, ports).filter_map(move |r| match r {
        Ok(t) => Some(t),
        Err(e) => {
            inv.fetch_add(1, Ordering::Relaxed);
            eprintln!("rdp-probe: skipped: {e}");
            None
        }
    });
    // One target (before sharding) gets the full human report; many get compact lines.
    let mut head: Vec<Target> = Vec::new();
    head.extend(targets.by_ref().take(2));
    if head.is_empty() {
        return Err("no target given".into());
    }
    let single = head.len() == 1 && shard.is_none();
    let out_kind = match cli.format() {
        _ if s.csv => Out::Csv,
        Format::Csv => Out::Csv,
        Format::Json => Out::Json,
        Format::Human | Format::Nagios => Out::Human,
    };
    let all = head.into_iter().chain(targets);

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let progress = (!single && std::io::stderr().is_terminal()).then(|| {
        let pb = match total.and_then(|t| u64::try_from(t).ok()) {
            Some(t) => ProgressBar::new(t),
            None => ProgressBar::no_length(),
        };
        let style = if total.is_some() {
            "{bar:30} {pos}/{len} targets  {per_sec}  ETA {eta}  {msg}"
        } else {
            "{spinner} {pos} targets  {per_sec}  {elapsed}  {msg}"
        };
        if let Ok(st) = ProgressStyle::with_template(style) {
            pb.set_style(st);
        }
        pb.enable_steady_tick(Duration::from_millis(200));
        pb
    });
    let started = Instant::now();
    let (worst, summary) = rt.block_on(async {
        let mut worst = exit::OK;
        let mut summary = Summary::default();
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if out_kind == Out::Csv {
            let _ = writeln!(out, "{CSV_HEADER}");
        }
        let mut reports = rdp_probe::scan::scan_with(all, &opts, &so);
        while let Some(r) = reports.next().await {
            worst = worst.max(code_for(&r));
            summary.add(&r);
            let text = match out_kind {
                Out::Json => serde_json::to_string(&r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n",
                Out::Csv => csv_row(&r) + "\n",
                Out::Human if single => human::render(&r, cli.raw),
                Out::Human => compact_line(&r),
            };
            match &progress {
                Some(pb) => {
                    pb.suspend(|| {
                        let _ = out.write_all(text.as_bytes());
                        let _ = out.flush();
                    });
                    pb.inc(1);
                    if let Some(n) = summary.status.get("rdp") {
                        pb.set_message(format!("{n} rdp"));
                    }
                }
                None => {
                    let _ = out.write_all(text.as_bytes());
                    // Stream results as they finish: flush per line unless output is huge and piped.
                    if single || summary.total % 64 == 0 {
                        let _ = out.flush();
                    }
                }
            }
        }
        let _ = out.flush();
        (worst, summary)
    });
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    if !single {
        eprint!("{}", summary.render(started.elapsed(), invalid.load(Ordering::Relaxed)));
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        assert_eq!(
            parse_proxy("socks5://127.0.0.1:1080").unwrap(),
            Proxy::Socks5 { address: "127.0.0.1:1080".into(), auth: None }
        );
        assert_eq!(
            parse_proxy("socks5://u:p@[::1]:1080").unwrap(),
            Proxy::Socks5 { address: "[::1]:1080".into(), auth: Some(("u".into(), "p".into())) }
        );
        assert!(parse_proxy("http://x:1").is_err());
        assert!(parse_proxy("socks5://x").is_err());
    }

    #[test]
    fn concurrency_from_limit() {
        assert_eq!(default_concurrency(1024), 864);
        assert_eq!(default_concurrency(20_000), 5000);
        assert_eq!(default_concurrency(10), 16);
    }

    #[test]
    fn csv_quotes() {
        let r = Report { target: "a,b".into(), status: Some(rdp_probe::Status::Refused), ..Report::default() };
        let row = csv_row(&r);
        assert!(row.starts_with("\"a,b\",,refused,"));
        assert_eq!(row.split(',').count(), CSV_HEADER.split(',').count() + 1);
    }

    #[test]
    fn il_rewrite() {
        let a = nmap_style_args(["x", "-iL", "f"].map(OsString::from));
        assert_eq!(a, ["x", "--input-list", "f"].map(OsString::from));
    }
}
