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

/// The findings, most severe first.
pub(crate) fn most_severe_first(r: &Report) -> impl Iterator<Item = &rdp_probe::diagnosis::findings::Finding> {
    use rdp_probe::diagnosis::findings::Severity;
    [Severity::Critical, Severity::Warning, Severity::Info]
        .into_iter()
        .flat_map(|sev| r.findings.iter().filter(move |f| f.severity == sev))
}

/// Findings as `id:severity`, most severe first (`nla-not-required:warning`).
pub(crate) fn findings_with_severity(r: &Report) -> Vec<String> {
    most_severe_first(r).map(|f| format!("{}:{}", f.id, f.severity.as_str())).collect()
}

/// The JSON spelling of a serde enum value (`negotiate`, `not_supported`); empty if none.
pub(crate) fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Terminal colours for the human outputs ([`human`], [`compact`]): by severity (critical red,
/// warning yellow, info cyan) and by verdict state (usable green, usable with warnings yellow,
/// unusable / not RDP / unreachable red). Off, the text is exactly the uncoloured text; JSON,
/// CSV and the Nagios line never take one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paint {
    /// Whether to colour at all.
    pub on: bool,
}

impl Paint {
    /// `text` in `style` when colouring, else as it is.
    fn paint(self, style: anstyle::Style, text: &str) -> String {
        if self.on && !text.is_empty() {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    /// `text` in the colour of a severity.
    pub fn severity(self, sev: rdp_probe::diagnosis::findings::Severity, text: &str) -> String {
        use rdp_probe::diagnosis::findings::Severity;
        let style = match sev {
            Severity::Critical => fg(anstyle::AnsiColor::Red).bold(),
            Severity::Warning => fg(anstyle::AnsiColor::Yellow),
            _ => fg(anstyle::AnsiColor::Cyan),
        };
        self.paint(style, text)
    }

    /// `text` in the colour of a verdict state.
    pub fn verdict(self, state: rdp_probe::VerdictState, text: &str) -> String {
        use rdp_probe::VerdictState as V;
        let style = match state {
            V::Usable => fg(anstyle::AnsiColor::Green).bold(),
            V::UsableWithWarnings => fg(anstyle::AnsiColor::Yellow).bold(),
            _ => fg(anstyle::AnsiColor::Red).bold(),
        };
        self.paint(style, text)
    }
}

fn fg(c: anstyle::AnsiColor) -> anstyle::Style {
    anstyle::Style::new().fg_color(Some(c.into()))
}

/// `text` left-aligned in `width` columns (counted in chars), the padding after it: a coloured
/// text is padded outside its colour, so the columns match the uncoloured output.
pub(crate) fn pad(painted: String, plain: &str, width: usize) -> String {
    let fill = width.saturating_sub(plain.chars().count());
    painted + &" ".repeat(fill)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdp_probe::diagnosis::findings::Severity;
    use rdp_probe::VerdictState;

    #[test]
    fn paint_off_is_plain_and_on_wraps() {
        let off = Paint::default();
        assert_eq!(off.severity(Severity::Critical, "CRITICAL"), "CRITICAL");
        assert_eq!(off.verdict(VerdictState::Usable, "USABLE"), "USABLE");
        let on = Paint { on: true };
        let c = on.severity(Severity::Critical, "CRITICAL");
        assert!(c.starts_with("\x1b[") && c.contains("CRITICAL") && c.ends_with("\x1b[0m"), "{c:?}");
        assert_ne!(on.verdict(VerdictState::Usable, "X"), on.verdict(VerdictState::Unusable, "X"));
        assert_eq!(
            pad(on.severity(Severity::Info, "INFO"), "INFO", 8),
            format!("{}    ", on.severity(Severity::Info, "INFO"))
        );
        assert_eq!(pad(off.severity(Severity::Info, "INFO"), "INFO", 8), format!("{:<8}", "INFO"));
    }
}
