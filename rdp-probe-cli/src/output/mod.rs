//! Renderers: one report (or a run) to text. Nothing here probes, parses arguments or exits.
//!
//! - [`human`]: the full report of one target
//! - [`compact`]: one line per target of many, and the summary after them
//! - [`json`]: JSON Lines (the report's serde form)
//! - [`csv`]: one row per target under [`csv::HEADER`]
//! - [`nagios`]: one plugin status line with perfdata and the plugin state

pub mod compact;
pub mod csv;
pub mod human;
pub mod json;
pub mod nagios;

use rdp_probe::Report;

/// Output format of the main command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable: the full report for one target, compact lines for many.
    Human,
    /// JSON Lines.
    Json,
    /// CSV, header first.
    Csv,
}

/// Findings as `id:severity`, most severe first (`nla-not-required:warning`).
pub(crate) fn findings_with_severity(r: &Report) -> Vec<String> {
    use rdp_probe::findings::Severity;
    [Severity::Critical, Severity::Warning, Severity::Info]
        .iter()
        .flat_map(|sev| r.findings.iter().filter(move |f| f.severity == *sev))
        .map(|f| format!("{}:{}", f.id, f.severity.as_str()))
        .collect()
}

/// The JSON spelling of a serde enum value (`negotiate`, `not_supported`); empty if none.
pub(crate) fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}
