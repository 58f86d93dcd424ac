//! JSON Lines: one report per line, the library's serde form (the JSON contract).

use rdp_probe::Report;

/// One report as a JSON line (with its `\n`).
pub fn line(r: &Report) -> String {
    serde_json::to_string(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}
