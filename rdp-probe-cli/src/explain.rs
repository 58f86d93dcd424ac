//! `rdp-probe explain [ID]`: the finding catalogue.

use crate::exit;
use rdp_probe::diagnosis::findings::{explain, CATALOG};

/// `explain [ID]`.
pub fn run(id: Option<&str>) -> u8 {
    match id {
        None => {
            for f in CATALOG {
                println!("{:<30} {:<8} {}", f.id, f.severity.as_str(), f.title);
            }
            exit::OK
        }
        Some(id) => match explain(id) {
            Some(f) => {
                println!("{} ({}): {}\n", f.id, f.severity.as_str(), f.title);
                println!("{}\n", textwrap(f.explanation, 90));
                // The catalog text is the Windows remedy; other servers have their own.
                println!("Remedy (Windows, and servers not identified):\n{}", textwrap(f.remedy, 90));
                for (imp, text) in rdp_probe::diagnosis::remedies::all_remedies(id) {
                    println!("\nRemedy ({}):\n{}", imp.label(), textwrap(text, 90));
                }
                exit::OK
            }
            None => {
                eprintln!("rdp-probe: unknown finding id {id:?}; `rdp-probe explain` lists them");
                exit::USAGE
            }
        },
    }
}

fn textwrap(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in s.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + w.len() > width {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push_str("  ");
        out.push_str(&line);
    }
    out
}
