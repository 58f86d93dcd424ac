//! `rdp-probe completions SHELL` and `rdp-probe manpage`: generated from the clap definitions
//! ([`crate::args::Cli`]), so they always name the flags this binary takes.

use crate::args::Cli;
use crate::exit;
use clap::CommandFactory;
use std::io::Write;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rdp-probe", &mut out);
    out
}

/// The manual page (roff, section 1): clap_mangen's sections from the clap definitions (the
/// options under the `--help` headings), then EXIT STATUS, ENVIRONMENT and EXAMPLES.
pub fn manpage() -> Result<Vec<u8>, String> {
    // The examples get their own section below instead of clap_mangen's "EXTRA".
    let man = clap_mangen::Man::new(Cli::command().after_help(None::<&str>));
    let mut out = Vec::new();
    let mut sections = || -> std::io::Result<()> {
        man.render_title(&mut out)?;
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
        man.render_subcommands_section(&mut out)?;
        extra_sections().to_writer(&mut out)?;
        man.render_version_section(&mut out)
    };
    sections().map_err(|e| format!("manpage: {e}"))?;
    Ok(out)
}

/// EXIT STATUS, ENVIRONMENT, EXAMPLES (from [`crate::args::EXAMPLES`]).
fn extra_sections() -> roff::Roff {
    use roff::{bold, roman, Roff};
    let mut r = Roff::new();
    let item = |r: &mut Roff, term: &str, text: &str| {
        r.control("TP", []).text([bold(term)]).text([roman(text)]);
    };
    r.control("SH", ["EXIT STATUS"]);
    r.text([roman("A probe of one or many targets exits with the worst of its targets:")]);
    for (code, text) in [
        (exit::OK, "usable: a client can connect, no finding worse than informational"),
        (exit::WARNING, "usable with warnings: the worst finding is a warning"),
        (exit::PROBLEM, "a problem: unusable (no client completes a connection), not RDP, or a critical finding"),
        (exit::UNREACHABLE, "unreachable: refused, timed out, the name did not resolve, or the proxy failed"),
        (exit::USAGE, "usage error (bad arguments or targets)"),
    ] {
        item(&mut r, &code.to_string(), text);
    }
    r.control("PP", []).text([roman(
        "--format nagios uses the plugin codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); watch exits 0 when \
         every try succeeded, 3 when every try was unreachable, else 2.",
    )]);
    r.control("SH", ["ENVIRONMENT"]);
    item(&mut r, "RDP_PROBE_PASSWORD", "The password for --user (else --password-stdin, else a prompt).");
    item(&mut r, "NO_COLOR", "Set and not empty: --color auto does not colour.");
    r.control("SH", ["EXAMPLES"]);
    for (cmd, what) in crate::args::EXAMPLES {
        item(&mut r, cmd, what);
    }
    r
}

/// Writes `bytes` to stdout; a reader that went away (`| head`) is not an error.
pub fn print(bytes: &[u8]) -> Result<u8, String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(format!("writing to stdout: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_name_the_flags() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let s = String::from_utf8(completions(shell)).unwrap();
            for flag in ["find-port", "shard", "color", "nagios-findings", "no-mcs", "proxy"] {
                // fish names long options `-l NAME`, the others `--NAME`.
                let spelled =
                    if shell == clap_complete::Shell::Fish { format!("-l {flag}") } else { format!("--{flag}") };
                assert!(s.contains(&spelled), "{shell}: {spelled} missing");
            }
            assert!(s.contains("watch") && s.contains("explain"), "{shell}: subcommands missing");
        }
    }

    #[test]
    fn manpage_has_the_sections() {
        let m = String::from_utf8(manpage().unwrap()).unwrap();
        assert!(m.starts_with(".ie \\n(.g .ds Aq"), "{}", &m[..200.min(m.len())]);
        for s in
            [".TH rdp-probe 1", ".SH NAME", ".SH SYNOPSIS", ".SH OUTPUT", ".SH NAGIOS", ".SH NETWORK", ".SH EXAMPLES"]
        {
            assert!(m.contains(s), "{s} missing");
        }
        assert!(m.contains("find\\-port") && m.contains(".SH \"EXIT STATUS\""), "flags or exit status missing");
        assert!(!m.contains("EXTRA"), "the examples have their own section");
        assert!(!m.contains('\x1b'), "no terminal escapes in roff");
    }

    /// `--help` groups the options under headings, in this order, and ends with the examples.
    #[test]
    fn help_reads_like_a_manual() {
        let help = Cli::command().render_long_help().to_string();
        let at = |h: &str| help.find(&format!("\n{h}:\n")).unwrap_or_else(|| panic!("{h} missing:\n{help}"));
        let order = ["Output", "Steps", "Scanning", "Credentials", "Nagios", "Network", "Examples"].map(at);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{help}");
        // A section runs from its heading to the next one.
        let section = |h: &str| {
            let start = at(h);
            let end = order.iter().copied().filter(|&o| o > start).min().unwrap_or(help.len());
            help[start..end].to_string()
        };
        assert!(section("Output").contains("--csv") && section("Output").contains("--color <WHEN>"), "{help}");
        assert!(section("Steps").contains("--quick") && section("Steps").contains("--find-port"), "{help}");
        assert!(section("Scanning").contains("--shard <K/N>") && section("Scanning").contains("--port"), "{help}");
        assert!(section("Credentials").contains("--password-stdin"), "{help}");
        assert!(section("Nagios").contains("--cert-warn-days"), "{help}");
        assert!(section("Network").contains("--proxy <URL>") && section("Network").contains("--timeout"), "{help}");
        assert!(help.trim_end().ends_with("What a finding means and how to fix it."), "{help}");
    }
}
