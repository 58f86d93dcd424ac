//! Probe modules of `rdp-probe serve`: named probe settings chosen per scrape with
//! `&module=NAME`, read from an optional TOML file (`--config FILE`):
//!
//! ```toml
//! [modules.default]          # replaces the built-in default module
//! timeout = 3                # seconds for each connect and each read
//! [modules.quick]
//! quick = true               # negotiation only
//! overall_timeout = 10       # seconds for the whole probe (the scrape deadline also bounds it)
//! [modules.nla]
//! no_tls = true
//! no_mcs = true
//! cookie = "monitor"         # Cookie: mstshash=monitor ("" sends none)
//! port = 3390                # for targets that name no port
//! ```
//!
//! Step keys are the CLI's step flags: `quick`, `ciphers`, `no_tls`, `no_nla`, `no_mcs`.
//! Unknown keys are refused, so a typo does not silently probe with the defaults.

use crate::args::StepArgs;
use rdp_probe::ProbeOptions;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The module used when a scrape names none.
pub const DEFAULT_MODULE: &str = "default";

/// The file: a table of modules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    modules: BTreeMap<String, ModuleSpec>,
}

/// One module as written in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleSpec {
    #[serde(default)]
    quick: bool,
    #[serde(default)]
    ciphers: bool,
    #[serde(default)]
    no_tls: bool,
    #[serde(default)]
    no_nla: bool,
    #[serde(default)]
    no_mcs: bool,
    /// Seconds for each connect and each read.
    timeout: Option<f64>,
    /// Seconds for the whole probe.
    overall_timeout: Option<f64>,
    cookie: Option<String>,
    port: Option<u16>,
}

/// A module: the probe options of its scrapes (`opts.port` for targets without a port).
#[derive(Debug, Clone)]
pub struct Module {
    /// Probe options; the scrape deadline shortens the timeouts per request.
    pub opts: ProbeOptions,
}

/// Connect/read timeout of the built-in default module, seconds.
const DEFAULT_TIMEOUT: f64 = 5.0;
/// Whole-probe timeout of the built-in default module, seconds (the scrape deadline is
/// usually shorter and wins).
const DEFAULT_OVERALL: f64 = 60.0;

impl ModuleSpec {
    fn build(&self, name: &str) -> Result<Module, String> {
        let secs = |v: Option<f64>, default: f64, key: &str| -> Result<Duration, String> {
            let s = v.unwrap_or(default);
            if s.is_finite() && s > 0.0 && s < 86_400.0 {
                Ok(Duration::from_secs_f64(s))
            } else {
                Err(format!("module {name:?}: invalid {key}: {s}"))
            }
        };
        let steps = crate::config::step_flags(&StepArgs {
            quick: self.quick,
            ciphers: self.ciphers,
            no_tls: self.no_tls,
            no_nla: self.no_nla,
            no_mcs: self.no_mcs,
        });
        if self.port == Some(0) {
            return Err(format!("module {name:?}: invalid port: 0"));
        }
        let opts = ProbeOptions::builder()
            .timeout(secs(self.timeout, DEFAULT_TIMEOUT, "timeout")?)
            .overall_timeout(secs(self.overall_timeout, DEFAULT_OVERALL, "overall_timeout")?)
            .cookie(self.cookie.as_deref().unwrap_or("user"))
            .port(self.port.unwrap_or(rdp_probe::DEFAULT_PORT))
            .steps(steps)
            .try_build()
            .map_err(|e| format!("module {name:?}: {e}"))?;
        Ok(Module { opts })
    }
}

/// The modules: the built-in `default`, then those of the file (`text`, TOML), which may
/// replace `default`.
pub fn parse(text: &str) -> Result<BTreeMap<String, Module>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let mut out = BTreeMap::new();
    out.insert(DEFAULT_MODULE.to_string(), ModuleSpec::default().build(DEFAULT_MODULE)?);
    for (name, spec) in &file.modules {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            return Err(format!("module name {name:?}: use letters, digits, '_', '-', '.'"));
        }
        out.insert(name.clone(), spec.build(name)?);
    }
    Ok(out)
}

/// [`parse`] of a file, or the built-in modules alone without one.
pub fn load(path: Option<&Path>) -> Result<BTreeMap<String, Module>, String> {
    match path {
        None => parse(""),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("--config {}: {e}", p.display()))?;
            parse(&text).map_err(|e| format!("--config {}: {e}", p.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdp_probe::Steps;

    #[test]
    fn default_module_and_file_modules() {
        let m = parse("").unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["default"]);
        assert_eq!(m["default"].opts.steps, Steps::DEFAULT);
        assert_eq!(m["default"].opts.port, 3389);
        let m = parse(
            "[modules.quick]\nquick = true\ntimeout = 2\n[modules.nla]\nno_tls = true\nno_mcs = true\ncookie = \"\"\nport = 3390\n\
             [modules.default]\noverall_timeout = 9\n",
        )
        .unwrap();
        assert_eq!(m["quick"].opts.steps, Steps::NEGOTIATION);
        assert_eq!(m["quick"].opts.connect_timeout, Duration::from_secs(2));
        let nla = &m["nla"].opts;
        assert!(!nla.steps.tls && nla.steps.nla && !nla.steps.mcs);
        assert_eq!((nla.port, nla.cookie.is_none()), (3390, true));
        assert_eq!(m["default"].opts.overall_timeout, Duration::from_secs(9));
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(parse("[modules.x]\nquikc = true\n").unwrap_err().contains("unknown field"));
        assert!(parse("[module.x]\n").unwrap_err().contains("unknown field"));
        assert_eq!(parse("[modules.x]\ntimeout = 0\n").unwrap_err(), "module \"x\": invalid timeout: 0");
        assert_eq!(parse("[modules.x]\nport = 0\n").unwrap_err(), "module \"x\": invalid port: 0");
        assert!(parse("[modules.\"a b\"]\n").is_err());
        assert!(parse("[modules.x]\ncookie = \"a\\r\\nb\"\n").unwrap_err().starts_with("module \"x\": "));
    }
}
