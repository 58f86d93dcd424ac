//! The main command: expands the targets (lazily, arguments then input files), runs the
//! probes with bounded concurrency, streams each report in the chosen format, and prints the
//! summary after many.

use crate::config::ProbeConfig;
use crate::output::{compact, csv, human, json, Format, Paint};
use crate::{code_for, exit};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use rdp_probe::scan::targets::{expand, InputReader, TargetSpec};
use rdp_probe::Target;
use std::io::{BufReader, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type SpecSource = Box<dyn Iterator<Item = Result<TargetSpec, String>>>;

/// The spec sources: the arguments (parsed already), then each input file, read lazily; and
/// the number of targets when it is known (no input file).
fn spec_sources(cfg: &ProbeConfig) -> Result<(SpecSource, Option<u128>), String> {
    let known: u128 = cfg.specs.iter().map(|s| s.count(cfg.ports.len())).sum();
    let mut source: SpecSource = Box::new(cfg.specs.clone().into_iter().map(Ok));
    let total = if cfg.input_lists.is_empty() { Some(known) } else { None };
    for path in &cfg.input_lists {
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
pub fn run(cfg: &ProbeConfig) -> Result<u8, String> {
    let (opts, so) = (&cfg.opts, &cfg.scan);
    let shard = so.shard;
    let (specs, known) = spec_sources(cfg)?;
    let total = known.map(|k| match shard {
        Some(sh) => (k + u128::from(sh.count - 1 - sh.index)) / u128::from(sh.count),
        None => k,
    });
    let invalid = Arc::new(AtomicU64::new(0));
    let inv = invalid.clone();
    let mut targets = expand(specs, cfg.ports.clone()).filter_map(move |r| match r {
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
    let format = cfg.format;
    let paint = Paint { on: cfg.color };
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
        let mut summary = compact::Summary::default();
        // Coloured text goes through anstream, which turns the styles into console calls
        // where a terminal needs them (older Windows consoles); plain text is written as is.
        let sink: Box<dyn Write> = if paint.on {
            Box::new(anstream::AutoStream::new(std::io::stdout().lock(), anstream::ColorChoice::Always))
        } else {
            Box::new(std::io::stdout().lock())
        };
        let mut out = std::io::BufWriter::new(sink);
        if format == Format::Csv {
            let _ = writeln!(out, "{}", csv::HEADER);
        }
        let mut reports = rdp_probe::scan::scan_with(all, opts, so);
        while let Some(mut r) = reports.next().await {
            if let Some(path) = &cfg.screenshot {
                save_screenshot(&mut r, path, single);
            }
            worst = worst.max(code_for(&r));
            summary.add(&r);
            let text = match format {
                Format::Json => json::line(&r),
                Format::Csv => csv::row(&r) + "\n",
                Format::Human if single => human::render(&r, opts.raw, paint),
                Format::Human => compact::line(&r, paint),
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

/// Writes the first screen the library returned (`session.png`) and records the path in
/// `session.screenshot`. `path` is the file for a single target; a directory (ending in `/`, or
/// existing) or many targets get one file per target, named `ADDRESS_PORT.png`. A target
/// without a screen gets no file; a failed write is said on stderr and in
/// `session.screenshot_skipped`, and never stops the scan.
fn save_screenshot(r: &mut rdp_probe::Report, path: &std::path::Path, single: bool) {
    let Some(session) = r.session.as_mut() else { return };
    let Some(png) = session.png.take() else { return };
    let dir_mode = path.is_dir()
        || path.to_string_lossy().ends_with(std::path::MAIN_SEPARATOR)
        || path.to_string_lossy().ends_with('/');
    let file = if dir_mode || !single {
        let name = r.address.clone().unwrap_or_else(|| r.target.clone());
        let name: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
        let name = name.trim_matches('_').replace("__", "_");
        if dir_mode {
            let _ = std::fs::create_dir_all(path);
            path.join(format!("{name}.png"))
        } else {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            path.with_file_name(format!("{stem}-{name}.png"))
        }
    } else {
        path.to_path_buf()
    };
    match std::fs::write(&file, &png) {
        Ok(()) => session.screenshot = Some(file.display().to_string()),
        Err(e) => {
            eprintln!("rdp-probe: cannot write the screenshot {}: {e}", file.display());
            session.screenshot_skipped = Some(format!("cannot write {}: {e}", file.display()));
        }
    }
}
