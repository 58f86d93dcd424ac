//! Human-readable report: a short verdict first, then each step with its evidence.

use rdp_probe::report::{Answer, Direction, NegotiationReport};
use rdp_probe::{Report, Status};
use std::fmt::Write;

fn status_line(r: &Report) -> String {
    match r.status {
        Some(Status::Rdp) => "RDP listener found".into(),
        Some(Status::NotRdp) => format!("NOT RDP — {}", r.error.as_deref().unwrap_or("another service answers")),
        Some(Status::Refused) => "UNREACHABLE — TCP connection refused: nothing listens on this port (RDP disabled, service stopped, or the port moved)".into(),
        Some(Status::Timeout) => format!("TIMEOUT — {}", r.error.as_deref().unwrap_or("no answer in time")),
        Some(Status::Reset) => format!("CLOSED — {}", r.error.as_deref().unwrap_or("the peer closed the connection")),
        Some(Status::DnsError) => format!("DNS — {}", r.error.as_deref().unwrap_or("the name did not resolve")),
        Some(Status::Error) | None => format!("ERROR — {}", r.error.as_deref().unwrap_or("unknown error")),
    }
}

fn answer_text(a: &Answer) -> String {
    match a {
        Answer::Selected { protocol, protocol_value, flags, requested, .. } => {
            let mut s = format!("selected {protocol} ({protocol_value:#x})");
            if !requested {
                s.push_str("  ← NOT what was requested");
            }
            if !flags.is_empty() {
                let _ = write!(s, "  flags: {}", flags.join(", "));
            }
            s
        }
        Answer::Failure { code, code_value } => format!("refused: {} ({code_value})", code.to_uppercase()),
        Answer::NoNegotiation => "Connection Confirm without negotiation data (legacy server)".into(),
        Answer::UnknownNegotiation { ty, raw_hex } => format!("unknown negotiation type {ty:#x}: {raw_hex}"),
        Answer::Disconnect { reason } => format!("X.224 Disconnect Request (reason {reason:#x})"),
        Answer::McsDisconnect { raw_hex } => {
            format!("MCS Disconnect-Provider-Ultimatum instead of a Connection Confirm ({raw_hex})")
        }
        Answer::Closed { detail } => format!("closed without answer ({detail})"),
        Answer::Error { phase, detail } => format!("error in {}: {detail}", phase.as_str()),
    }
}

fn negotiation(out: &mut String, n: &NegotiationReport) {
    let _ = writeln!(out, "  Negotiation  {}", n.summary);
    if let Some(sr) = n.source_ref {
        let _ = writeln!(
            out,
            "               X.224 source reference {sr:#06x}{}",
            match sr {
                0x1234 => " (Windows, also xrdp)",
                0x0000 => " (FreeRDP / GNOME Remote Desktop style)",
                0x3412 => " (VirtualBox VRDE)",
                _ => "",
            }
        );
    }
    for a in &n.attempts {
        let req = if a.with_neg_req { a.requested.join("|") } else { "(no RDP_NEG_REQ)".into() };
        let _ = writeln!(
            out,
            "    asked {:<22} → {}  [{:.1} ms]",
            format!("{req} ({:#x})", a.requested_value),
            answer_text(&a.answer),
            a.ms
        );
    }
}

fn flatten(out: &mut String, prefix: &str, v: &serde_json::Value, depth: usize) {
    use serde_json::Value;
    let pad = "  ".repeat(depth + 2);
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::Null => {}
                    Value::Object(_) | Value::Array(_)
                        if !v.as_array().is_some_and(|a| a.iter().all(|x| !x.is_object())) =>
                    {
                        let _ = writeln!(out, "{pad}{prefix}{k}:");
                        flatten(out, "", v, depth + 1);
                    }
                    Value::Array(a) => {
                        let items: Vec<String> =
                            a.iter().map(|x| x.to_string().trim_matches('"').to_string()).collect();
                        let _ = writeln!(out, "{pad}{prefix}{k}: {}", items.join(", "));
                    }
                    other => {
                        let _ = writeln!(out, "{pad}{prefix}{k}: {}", other.to_string().trim_matches('"'));
                    }
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let _ = writeln!(out, "{pad}[{i}]");
                flatten(out, "", x, depth + 1);
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{other}");
        }
    }
}

fn section<T: serde::Serialize>(out: &mut String, title: &str, v: &Option<T>) {
    if let Some(v) = v {
        if let Ok(j) = serde_json::to_value(v) {
            let _ = writeln!(out, "  {title}");
            flatten(out, "", &j, 0);
        }
    }
}

fn findings(out: &mut String, r: &Report) {
    use rdp_probe::findings::Severity;
    if r.findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "  Findings");
    for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
        for f in r.findings.iter().filter(|f| f.severity == sev) {
            let _ = writeln!(out, "    {:<8} {:<28} {}", sev.as_str().to_uppercase(), f.id, f.summary);
            if sev != Severity::Info {
                let _ = writeln!(out, "    {:<8} {:<28} fix: {}", "", "", f.remedy);
            }
        }
    }
}

/// Renders one report for people.
pub fn render(r: &Report, raw: bool) -> String {
    let mut out = String::new();
    let addr = r.address.as_deref().unwrap_or("-");
    let _ = writeln!(out, "{} ({addr})", r.target);
    let _ = writeln!(out, "  Verdict      {}", status_line(r));
    let t = &r.timings_ms;
    let mut times = Vec::new();
    for k in ["resolve", "connect", "send_cr", "read_cc", "negotiation", "tls", "nla", "mcs", "total"] {
        if let Some(v) = t.get(k) {
            times.push(format!("{k} {v:.1} ms"));
        }
    }
    let _ = writeln!(out, "  Timings      {}", times.join(" · "));
    if let Some(s) = &r.service {
        let _ = writeln!(out, "  Service      {} — {:?}", s.kind, s.banner);
    }
    if let Some(n) = &r.negotiation {
        negotiation(&mut out, n);
    }
    if !r.alternative_ports.is_empty() {
        let v: Vec<String> = r
            .alternative_ports
            .iter()
            .map(|p| {
                format!(
                    "{} {}{}",
                    p.port,
                    p.status.as_str(),
                    p.service.as_deref().map(|s| format!(" ({s})")).unwrap_or_default()
                )
            })
            .collect();
        let _ = writeln!(out, "  Other ports  {}", v.join(" · "));
    }
    if let Some(fp) = &r.fingerprint {
        let guess = r.implementation.as_deref().map(|g| format!("  (looks like {g})")).unwrap_or_default();
        let _ = writeln!(out, "  Fingerprint  {fp}{guess}");
    }
    findings(&mut out, r);
    section(&mut out, "TLS", &r.tls);
    section(&mut out, "NLA", &r.nla);
    section(&mut out, "MCS", &r.mcs);
    if raw && !r.transcript.is_empty() {
        let _ = writeln!(out, "  Transcript");
        for e in &r.transcript {
            let arrow = match e.direction {
                Direction::Sent => "→",
                Direction::Received => "←",
                Direction::Note => "#",
            };
            if e.direction == Direction::Note {
                let _ = writeln!(out, "    [{}] {} {} {}", e.connection, arrow, e.label, e.data);
                continue;
            }
            let bytes: Vec<u8> = (0..e.data.len() / 2)
                .filter_map(|i| u8::from_str_radix(e.data.get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            let _ = writeln!(out, "    [{}] {} {:>8.2} ms  {} bytes", e.connection, arrow, e.at_ms, bytes.len());
            for (i, chunk) in bytes.chunks(16).enumerate() {
                let hexs: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
                let asc: String =
                    chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
                let _ = writeln!(out, "        {:04x}  {:<48} {}", i * 16, hexs.join(" "), asc);
            }
        }
    }
    out
}
