//! Human-readable report: a short verdict first, then each step with its evidence.

use super::{pad, Paint};
use rdp_probe::report::{Answer, Direction, NegotiationReport};
use rdp_probe::{Report, Status, Verdict, VerdictState};
use std::fmt::Write;

fn status_line(r: &Report) -> String {
    match r.status {
        Status::Rdp => "RDP listener found".into(),
        Status::NotRdp => format!(
            "NOT RDP — {}",
            r.error.as_deref().map_or("another service answers", |e| e.strip_prefix("not RDP: ").unwrap_or(e))
        ),
        Status::Refused => "UNREACHABLE — TCP connection refused: nothing listens on this port (RDP disabled, service stopped, or the port moved)".into(),
        Status::Timeout => format!("TIMEOUT — {}", r.error.as_deref().unwrap_or("no answer in time")),
        Status::Reset => format!("CLOSED — {}", r.error.as_deref().unwrap_or("the peer closed the connection")),
        Status::DnsError => format!("DNS — {}", r.error.as_deref().unwrap_or("the name did not resolve")),
        Status::Error => format!("ERROR — {}", r.error.as_deref().unwrap_or("unknown error")),
        other => format!("{} — {}", other.as_str().to_uppercase(), r.error.as_deref().unwrap_or("")),
    }
}

/// The verdict first: `USABLE — ...`, `UNUSABLE at tls — ...`, `UNREACHABLE (tcp) — ...`.
fn verdict_line(v: &Verdict, paint: Paint) -> String {
    let step = v.blocking_step.map(|s| s.as_str());
    let head = match (v.state, step) {
        (VerdictState::Usable, _) => "USABLE".to_string(),
        (VerdictState::UsableWithWarnings, _) => "USABLE WITH WARNINGS".to_string(),
        (VerdictState::Unusable, Some(s)) => format!("UNUSABLE at {s}"),
        (VerdictState::Unusable, None) => "UNUSABLE".to_string(),
        (VerdictState::NotRdp, _) => "NOT RDP".to_string(),
        (VerdictState::Unreachable, Some(s)) => format!("UNREACHABLE ({s})"),
        (VerdictState::Unreachable, None) => "UNREACHABLE".to_string(),
        (other, _) => other.to_string().to_uppercase(),
    };
    format!("{} — {}", paint.verdict(v.state, &head), v.summary)
}

/// Whether a step's error is rdp-probe's own limit rather than the server's: the error record's
/// `client_limitation` flag, read through serde so this compiles with and without the field.
/// `error      TEXT (phase)`, or `limit      rdp-probe cannot ... (phase)` for our own limits
/// (`client_limitation`: the failure is rdp-probe's TLS stack, not the server).
fn error_line(out: &mut String, client_limitation: bool, text: &str, phase: rdp_probe::Phase) {
    let label = if client_limitation { "limit" } else { "error" };
    let _ = writeln!(out, "    {label:<10} {text} ({})", phase.as_str());
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
        other => format!("{other:?}"),
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

fn findings(out: &mut String, r: &Report, paint: Paint) {
    use rdp_probe::diagnosis::findings::Severity;
    if r.findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "  Findings");
    for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
        for f in r.findings.iter().filter(|f| f.severity == sev) {
            let word = sev.as_str().to_uppercase();
            let _ = writeln!(out, "    {} {:<28} {}", pad(paint.severity(sev, &word), &word, 8), f.id, f.summary);
            if sev != Severity::Info {
                let _ = writeln!(out, "    {:<8} {:<28} fix: {}", "", "", f.remedy);
            }
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn cert_lines(out: &mut String, c: &rdp_probe::report::tls::CertificateReport, indent: &str) {
    let _ = writeln!(out, "{indent}subject      {}", c.subject);
    let _ = writeln!(out, "{indent}issuer       {}{}", c.issuer, if c.self_signed { "  (self-signed)" } else { "" });
    if !c.sans.is_empty() {
        let _ = writeln!(out, "{indent}names        {}", c.sans.join(", "));
    }
    let state = if c.expired {
        format!("EXPIRED {} days ago", -c.days_until_expiry)
    } else if c.not_yet_valid {
        "NOT YET VALID".to_string()
    } else {
        format!("expires in {} days", c.days_until_expiry)
    };
    let date = |t: Option<rdp_probe::report::tls::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    let _ = writeln!(out, "{indent}valid        {} .. {}  ({state})", date(c.not_before), date(c.not_after));
    let key = match (&c.ec_curve, c.key_bits) {
        (Some(curve), _) => format!("{} {curve}", c.key_type.to_uppercase()),
        (None, Some(b)) => format!("{} {b} bits", c.key_type.to_uppercase()),
        (None, None) => c.key_type.to_uppercase(),
    };
    let _ = writeln!(out, "{indent}key          {key}, signed {}", c.signature_algorithm);
    if let Some(m) = c.hostname_match {
        let _ = writeln!(
            out,
            "{indent}name match   {} for {:?}",
            if m { "yes" } else { "NO" },
            c.checked_name.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(out, "{indent}thumbprint   SHA-1 {}", c.sha1);
    let _ = writeln!(out, "{indent}             SHA-256 {}", c.sha256);
}

fn tls(out: &mut String, t: &rdp_probe::report::TlsReport) {
    let _ = writeln!(out, "  TLS");
    if let Some(v) = &t.version {
        let _ = writeln!(
            out,
            "    handshake  TLS {v}, {}{}{}",
            t.cipher_suite.as_deref().unwrap_or("?"),
            t.key_exchange_group.as_deref().map(|g| format!(", {g}")).unwrap_or_default(),
            t.handshake_ms.map(|m| format!("  [{m:.1} ms]")).unwrap_or_default()
        );
    }
    if !t.versions.is_empty() {
        let v: Vec<String> = t.versions.iter().map(|(k, on)| format!("{k} {}", yes(*on))).collect();
        let _ = writeln!(out, "    versions   {}", v.join(" · "));
    }
    if let Some(d) = &t.direct_approach {
        let _ = writeln!(
            out,
            "    direct     TLS without X.224 first (Direct Approach): {}",
            if d.accepted { "accepted" } else { "refused" }
        );
    }
    for (ver, list) in &t.ciphers {
        let names: Vec<String> = list
            .iter()
            .map(|c| {
                if c.grade == rdp_probe::report::tls::CipherGrade::Weak {
                    format!("{} (WEAK)", c.name)
                } else {
                    c.name.clone()
                }
            })
            .collect();
        let _ = writeln!(out, "    ciphers {ver} {}", names.join(", "));
    }
    if let Some(c) = &t.certificate {
        let _ = writeln!(out, "    certificate");
        cert_lines(out, c, "      ");
    }
    if t.chain.len() > 1 {
        let _ = writeln!(out, "    chain      {} certificates", t.chain.len());
        for c in t.chain.iter().skip(1) {
            let _ = writeln!(out, "      - {} (issuer {})", c.subject, c.issuer);
        }
    }
    if let Some(e) = &t.error {
        error_line(out, e.client_limitation, &e.text, e.phase);
    }
}

fn nla(
    out: &mut String,
    n: &rdp_probe::report::NlaReport,
    id: Option<&rdp_probe::diagnosis::identify::Identification>,
) {
    let _ = writeln!(out, "  NLA (CredSSP)");
    if let Some(v) = n.credssp_version {
        let _ = writeln!(
            out,
            "    CredSSP    version {v}{}",
            if v >= 5 { " (has the CVE-2018-0886 fix)" } else { " (BEFORE the CVE-2018-0886 fix)" }
        );
    }
    if let Some(x) = &n.ntlm {
        let name = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        let _ =
            writeln!(out, "    computer   {} (NetBIOS) / {} (DNS)", name(&x.netbios_computer), name(&x.dns_computer));
        let _ = writeln!(out, "    domain     {} (NetBIOS) / {} (DNS)", name(&x.netbios_domain), name(&x.dns_domain));
        if x.dns_tree.is_some() {
            let _ = writeln!(out, "    forest     {}", name(&x.dns_tree));
        }
        if let Some(pv) = &x.product_version {
            // A FreeRDP-based server always claims 6.1.7601: not a Windows release.
            let freerdp = id.is_some_and(|i| i.family == rdp_probe::diagnosis::identify::Family::FreeRdp);
            let meaning = if freerdp {
                Some(" — FreeRDP's fixed NTLM version, not the host's OS".to_string())
            } else {
                x.os_name.as_deref().map(|o| format!(" — {o}"))
            };
            let _ = writeln!(
                out,
                "    windows    {pv}{}  (NTLM revision {})",
                meaning.unwrap_or_default(),
                x.ntlm_revision.map_or("-".into(), |r| r.to_string())
            );
        }
        if let Some(t) = &x.server_time {
            let _ = writeln!(
                out,
                "    clock      {t}{}",
                x.clock_skew_s.map(|s| format!("  (skew {s:+.1} s vs ours)")).unwrap_or_default()
            );
        }
    }
    if let Some(st) = &n.ntstatus {
        let _ = writeln!(out, "    error      {st}");
    }
    if let Some(a) = &n.auth {
        let _ = writeln!(out, "    logon      {}: {}", a.user, logon_text(a));
        if let (Some(_), Some(rem)) = (a.error_code, &a.remedy) {
            let _ = writeln!(out, "               {rem}");
        }
        if let Some(az) = &a.authorization {
            let _ = writeln!(out, "    authz      {az}");
        }
    }
    if let Some(e) = &n.error {
        error_line(out, e.client_limitation, &e.text, e.phase);
    }
}

/// The outcome of the NLA logon check, in what was observed: never REJECTED for a check that
/// did not run, and no NTSTATUS talk when the server sent none.
fn logon_text(a: &rdp_probe::report::nla::AuthReport) -> String {
    if a.accepted {
        return "ACCEPTED".into();
    }
    use rdp_probe::report::nla::AuthStatus;
    match (&a.status, &a.ntstatus) {
        (AuthStatus::NotTested, _) => {
            format!("NOT TESTED — {}", a.reason.as_deref().unwrap_or("no CredSSP exchange reached the logon"))
        }
        (AuthStatus::Error, _) => "NOT CHECKED — the logon check did not complete (see the error below)".into(),
        (_, Some(nt)) => format!("REJECTED — {} ({nt})", a.status_text()),
        (AuthStatus::ServerClosed, None) => {
            "REJECTED — the server closed the connection after AUTHENTICATE without an NTSTATUS \
             (FreeRDP and older servers answer a wrong user name or password this way)"
                .into()
        }
        (_, None) => format!("REJECTED — {} (the server sent no NTSTATUS)", a.status_text()),
    }
}

/// The identification, when it names a Windows release or meets contradicting facts (the
/// other servers are named on the Fingerprint line already).
fn identification(out: &mut String, r: &Report) {
    use rdp_probe::diagnosis::identify::Family;
    let Some(id) = &r.identification else { return };
    if id.family != Family::Windows && id.contradictions.is_empty() {
        return;
    }
    let eos = id.end_of_support.as_ref().map_or(String::new(), |e| {
        let end = e.extended.as_deref().or(e.mainstream.as_deref()).unwrap_or("?");
        match e.past {
            Some(true) => format!("; support ENDED {end}"),
            Some(false) => format!("; supported until {end}"),
            None => format!("; support ends {end}"),
        }
    });
    let _ = writeln!(out, "  Identified   {}  (confidence {}{eos})", id.name, id.confidence.as_str());
    for e in &id.evidence {
        let _ = writeln!(out, "               because {e}");
    }
    for c in &id.contradictions {
        let _ = writeln!(out, "               BUT {c}");
    }
}

fn mcs(out: &mut String, m: &rdp_probe::report::McsReport) {
    let _ = writeln!(out, "  MCS (basic settings)");
    if let Some(nr) = &m.not_reachable {
        let _ = writeln!(out, "    {nr}");
    }
    if let Some(v) = &m.rdp_version {
        let _ = writeln!(
            out,
            "    version    {v}{}  over {}",
            m.version_code.map(|c| format!(" ({c:#010x})")).unwrap_or_default(),
            m.transport.map_or("?", |t| t.as_str())
        );
    }
    if !m.early_capability_flags.is_empty() {
        let _ = writeln!(out, "    early caps {}", m.early_capability_flags.join(", "));
    }
    if let Some(l) = &m.encryption_level {
        let method = m.selected_method.map_or_else(|| "-".to_string(), |s| s.to_string());
        let _ = writeln!(out, "    encryption level {l}, method {method}");
    }
    if !m.method_answers.is_empty() {
        let v: Vec<String> = rdp_probe::report::mcs::METHODS
            .iter()
            .filter_map(|k| {
                m.method_answers
                    .get(k)
                    .map(|a| format!("{k}→{}", a.method.map_or_else(|| a.outcome.to_string(), |m| m.to_string())))
            })
            .collect();
        let _ = writeln!(out, "    offered→answered {}", v.join(" · "));
    }
    if let Some(b) = &m.method_behaviour {
        let _ = writeln!(out, "    behaviour  {b}");
    }
    if let Some(c) = &m.server_certificate {
        let _ = writeln!(
            out,
            "    server cert {}{}{}{}",
            c.kind,
            c.key_bits.map(|b| format!(", RSA {b} bits")).unwrap_or_default(),
            c.exponent.map(|e| format!(", e={e}")).unwrap_or_default(),
            c.signature_valid.map(|v| if v { ", signature valid" } else { ", SIGNATURE INVALID" }).unwrap_or_default()
        );
        if c.kind == "x509" {
            let _ = writeln!(
                out,
                "      chain    {} certificate(s), root first: {}{}",
                c.chain.len(),
                match c.chain_valid {
                    Some(true) => "every link verifies",
                    Some(false) => "BROKEN",
                    None => "not fully verifiable",
                },
                match c.leaf_is_server_key {
                    Some(true) => "; the last one's key is the server key",
                    Some(false) => "; the last one carries NO usable server key",
                    None => "",
                }
            );
            for (i, x) in c.chain.iter().enumerate() {
                if let Some(e) = &x.error {
                    let _ = writeln!(out, "      [{}] unparsable: {e}  SHA-1 {}", i + 1, x.sha1);
                    continue;
                }
                let _ = writeln!(
                    out,
                    "      [{}] {}  issuer {}  {} {} bits e={} ({}), signed {}, valid {} .. {}  {}",
                    i + 1,
                    x.subject,
                    x.issuer,
                    x.key_type.as_deref().unwrap_or("?").to_uppercase(),
                    x.key_bits.map_or("?".into(), |b| b.to_string()),
                    x.exponent.map_or("?".into(), |e| e.to_string()),
                    x.key_algorithm,
                    x.signature_algorithm,
                    x.not_before,
                    x.not_after,
                    x.signature_check.as_deref().unwrap_or("")
                );
            }
        }
    }
    let granted: Vec<String> = m
        .channels
        .iter()
        .filter(|c| c.id != 0)
        .map(|c| format!("{}={}", c.name.as_deref().unwrap_or("?"), c.id))
        .collect();
    if !m.channels.is_empty() {
        let _ = writeln!(
            out,
            "    channels   {}",
            if granted.is_empty() { "none granted".into() } else { granted.join(", ") }
        );
    }
    if let Some(e) = &m.error {
        error_line(out, e.client_limitation, &e.detail, e.phase);
    }
}

fn session(out: &mut String, s: &rdp_probe::report::SessionReport) {
    use rdp_probe::report::session::SessionPhase;
    let _ = writeln!(out, "  Session (the whole way a client goes)");
    let over = s.security.map(|k| format!(" over {k}")).unwrap_or_default();
    let reached = match s.reached {
        Some(SessionPhase::Graphics) => "the first screen (graphics)".to_string(),
        Some(p) => p.to_string(),
        None => "nothing (stopped before MCS)".into(),
    };
    let _ = writeln!(out, "    reached    {reached}{over}");
    if let Some(st) = &s.stopped {
        let _ = writeln!(out, "    stopped    in {}: {} — {}", st.phase, st.reason, st.detail);
    }
    if let Some(e) = &s.error_info {
        let _ = writeln!(out, "    error info {} ({:#x})", e.name(), e.value());
    }
    if let Some(l) = &s.licensing {
        let t = s.licensing_state_transition.map(|t| format!(", {}", t.name())).unwrap_or_default();
        let _ = writeln!(out, "    licensing  {l}{t}");
    }
    if !s.channels_joined.is_empty() {
        let v: Vec<String> = s.channels_joined.iter().map(|c| c.to_string()).collect();
        let _ = writeln!(out, "    channels   joined {}", v.join(", "));
    }
    if let Some(d) = &s.desktop {
        let _ = writeln!(out, "    desktop    {}x{}, {} bpp", d.width, d.height, d.bpp);
    }
    if let Some(c) = &s.server_capabilities {
        let os = match (&c.os_major_type, &c.os_minor_type) {
            (Some(a), Some(b)) => format!("{a}/{b}"),
            _ => "-".into(),
        };
        let mut extra = Vec::new();
        if !c.bitmap_codecs.is_empty() {
            extra.push(format!("codecs {}", c.bitmap_codecs.join(", ")));
        }
        if let Some(m) = c.max_request_size {
            extra.push(format!("max request {m}"));
        }
        if c.gfx == Some(true) {
            extra.push("gfx".into());
        }
        let tail = if extra.is_empty() { String::new() } else { format!("; {}", extra.join("; ")) };
        let _ = writeln!(out, "    server     os {os}, {} capability sets{tail}", c.sets.len());
    }
    if let Some(ms) = s.first_frame_ms {
        let n = s.updates.unwrap_or(0);
        let _ = writeln!(out, "    screen     first update after {ms:.0} ms, {n} updates");
    }
    if let Some(p) = &s.screenshot {
        let _ = writeln!(out, "    screenshot {p}");
    }
    if let Some(why) = &s.screenshot_skipped {
        let _ = writeln!(out, "    screenshot none: {why}");
    }
}

/// One-line decode of transcript bytes with the library's sans-IO decoders, when they are one
/// known PDU (X.224 CR/CC/DR/DT) or TLS records.
fn describe(dir: Direction, b: &[u8]) -> Option<String> {
    use rdp_probe::wire::x224::{ConnectionRequest, NegotiationResponse, ServerAnswer};
    match b {
        [3, 0, ..] if dir == Direction::Sent => match ConnectionRequest::decode(b) {
            Ok(cr) => Some(format!(
                "X.224 Connection Request{}{}",
                match &cr.cookie {
                    Some(rdp_probe::wire::x224::Cookie::Mstshash(c)) => format!(", cookie mstshash={c}"),
                    Some(rdp_probe::wire::x224::Cookie::RoutingToken(_)) => ", routing token".into(),
                    None => String::new(),
                },
                cr.negotiation
                    .map(|n| format!(", RDP_NEG_REQ requestedProtocols {}", n.requested_protocols))
                    .unwrap_or_else(|| ", no RDP_NEG_REQ".into())
            )),
            Err(_) => {
                rdp_probe::wire::x224::decode_data(b).ok().map(|m| format!("X.224 Data: MCS PDU, {} bytes", m.len()))
            }
        },
        [3, 0, ..] => match ServerAnswer::decode(b) {
            Ok(ServerAnswer::Confirm(cc)) => Some(format!(
                "X.224 Connection Confirm (SRC-REF {:#06x}): {}",
                cc.header.src_ref,
                match &cc.negotiation {
                    None => "no negotiation data".to_string(),
                    Some(NegotiationResponse::Response { flags, selected_protocol }) =>
                        format!("RDP_NEG_RSP selectedProtocol {selected_protocol}, flags {:#04x}", flags.0),
                    Some(NegotiationResponse::Failure { code, .. }) => format!("RDP_NEG_FAILURE {code}"),
                    Some(NegotiationResponse::Unknown { ty, .. }) => format!("unknown negotiation type {ty:#x}"),
                }
            )),
            Ok(ServerAnswer::Disconnect { reason, .. }) => {
                Some(format!("X.224 Disconnect Request, reason {reason:#x}"))
            }
            Ok(ServerAnswer::Data { user_data }) => Some(match user_data.as_slice() {
                [0x21, ..] => "X.224 Data: MCS Disconnect-Provider-Ultimatum".into(),
                _ => format!("X.224 Data: MCS PDU, {} bytes", user_data.len()),
            }),
            Err(e) => Some(format!("undecodable: {e}")),
        },
        [ty @ 0x14..=0x17, 3, ..] => Some(format!(
            "TLS record(s), first: {}",
            match ty {
                0x14 => "ChangeCipherSpec",
                0x15 => "Alert",
                0x16 => "Handshake",
                _ => "ApplicationData",
            }
        )),
        [0x30, ..] => Some("DER (CredSSP TSRequest?)".into()),
        _ => None,
    }
}

/// Renders one report for people, coloured by `paint`.
pub fn render(r: &Report, raw: bool, paint: Paint) -> String {
    let mut out = String::new();
    let addr = r.address.as_deref().unwrap_or("-");
    let _ = writeln!(out, "{} ({addr})", r.target);
    match &r.verdict {
        Some(v) => {
            let _ = writeln!(out, "  Verdict      {}", verdict_line(v, paint));
            if let Some(c) = &v.clients {
                let _ = writeln!(out, "  Clients      {c}");
            }
        }
        None => {
            let _ = writeln!(out, "  Verdict      {}", status_line(r));
        }
    }
    if r.status == Status::Refused && r.alternative_ports.is_empty() {
        let _ = writeln!(
            out,
            "  Hint         the listener may have moved: rdp-probe --find-port {} (common ports) or --find-port=3389,3390 {}",
            r.target, r.target
        );
    }
    let t = &r.timings_ms;
    let mut times = Vec::new();
    for k in ["resolve", "connect", "send_cr", "read_cc", "negotiation", "tls", "nla", "mcs", "session", "total"] {
        if let Some(v) = t.get(k) {
            times.push(format!("{k} {v:.1} ms"));
        }
    }
    let _ = writeln!(out, "  Timings      {}", times.join(" · "));
    if let Some(s) = &r.service {
        let _ = writeln!(out, "  Service      {} — \"{}\"", s.kind, s.banner);
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
    identification(&mut out, r);
    findings(&mut out, r, paint);
    if let Some(t) = &r.tls {
        tls(&mut out, t);
    }
    if let Some(n) = &r.nla {
        nla(&mut out, n, r.identification.as_ref());
    }
    if let Some(m) = &r.mcs {
        mcs(&mut out, m);
    }
    if let Some(s) = &r.session {
        session(&mut out, s);
    }
    if raw && !r.transcript.is_empty() {
        let _ = writeln!(out, "  Transcript (per connection; → sent, ← received; ms since connect)");
        // Join consecutive chunks of one connection and direction: the reader takes a TPKT
        // header and its body in two reads.
        // Connections of the plan may overlap in time: show each connection's exchange together.
        let mut entries: Vec<&rdp_probe::report::TranscriptEntry> = r.transcript.iter().collect();
        entries.sort_by_key(|e| e.connection);
        let mut merged: Vec<(u32, Direction, f64, String, Vec<u8>)> = Vec::new();
        for e in entries {
            let bytes = e.data.bytes();
            match merged.last_mut() {
                Some(last) if e.direction != Direction::Note && last.0 == e.connection && last.1 == e.direction => {
                    last.4.extend_from_slice(bytes)
                }
                _ if e.direction == Direction::Note => {
                    merged.push((e.connection, e.direction, e.at_ms, format!("{} {}", e.label, e.data), Vec::new()))
                }
                _ => merged.push((e.connection, e.direction, e.at_ms, String::new(), bytes.to_vec())),
            }
        }
        for (conn, dir, at, note, bytes) in merged {
            let arrow = match dir {
                Direction::Sent => "→",
                Direction::Received => "←",
                Direction::Note => "#",
                _ => "?",
            };
            if dir == Direction::Note {
                let _ = writeln!(out, "    [{conn}] {arrow} {note}");
                continue;
            }
            let what = describe(dir, &bytes).map(|d| format!("  {d}")).unwrap_or_default();
            let _ = writeln!(out, "    [{conn}] {arrow} {at:>8.2} ms  {} bytes{what}", bytes.len());
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

#[cfg(test)]
mod tests {
    use super::*;
    use rdp_probe::report::tls::TlsError;

    #[test]
    fn own_limits_print_as_limit() {
        let mut out = String::new();
        let e = TlsError {
            phase: rdp_probe::Phase::Tls,
            text: "rdp-probe cannot speak TLS 1.0 with rustls".into(),
            attempt: "rustls".into(),
            client_limitation: true,
            server_sent: None,
            kind: rdp_probe::report::ErrorKind::ClientLimitation,
        };
        error_line(&mut out, e.client_limitation, &e.text, e.phase);
        assert_eq!(out, "    limit      rdp-probe cannot speak TLS 1.0 with rustls (tls)\n");
        let mut out = String::new();
        let e = TlsError { text: "alert fatal handshake_failure".into(), client_limitation: false, ..e };
        error_line(&mut out, e.client_limitation, &e.text, e.phase);
        assert_eq!(out, "    error      alert fatal handshake_failure (tls)\n");
    }

    /// The Session section says why a screenshot that was asked for is missing.
    #[test]
    fn session_screenshot_skipped_line() {
        use rdp_probe::report::session::{Desktop, SessionPhase};
        let mut s = rdp_probe::report::SessionReport {
            reached: Some(SessionPhase::Graphics),
            desktop: Some(Desktop { width: 65535, height: 65535, bpp: 32 }),
            screenshot_skipped: Some(
                "desktop 65535x65535 out of range (max 8192 a side, 33554432 pixels): over the screenshot cap".into(),
            ),
            ..Default::default()
        };
        let mut out = String::new();
        session(&mut out, &s);
        assert!(out.contains("    desktop    65535x65535, 32 bpp\n"), "{out}");
        assert!(out.ends_with("    screenshot none: desktop 65535x65535 out of range (max 8192 a side, 33554432 pixels): over the screenshot cap\n"), "{out}");
        s.screenshot_skipped = None;
        s.screenshot = Some("/tmp/x.png".into());
        let mut out = String::new();
        session(&mut out, &s);
        assert!(out.ends_with("    screenshot /tmp/x.png\n") && !out.contains("none:"), "{out}");
    }

    #[test]
    fn verdict_lines() {
        let v = |state, step| Verdict { state, blocking_step: step, summary: "why".into(), clients: None };
        use rdp_probe::BlockingStep as B;
        assert_eq!(verdict_line(&v(VerdictState::Usable, None), Paint::default()), "USABLE — why");
        assert_eq!(
            verdict_line(&v(VerdictState::UsableWithWarnings, None), Paint::default()),
            "USABLE WITH WARNINGS — why"
        );
        assert_eq!(verdict_line(&v(VerdictState::Unusable, Some(B::Tls)), Paint::default()), "UNUSABLE at tls — why");
        assert_eq!(verdict_line(&v(VerdictState::NotRdp, Some(B::X224)), Paint::default()), "NOT RDP — why");
        assert_eq!(
            verdict_line(&v(VerdictState::Unreachable, Some(B::Tcp)), Paint::default()),
            "UNREACHABLE (tcp) — why"
        );
        let on = verdict_line(&v(VerdictState::Unusable, Some(B::Tls)), Paint { on: true });
        assert!(on.starts_with("\x1b[") && on.contains("UNUSABLE at tls\x1b[0m — why"), "{on:?}");
    }

    /// A Windows identification prints its release, support dates, evidence and contradictions.
    #[test]
    fn identification_lines() {
        use rdp_probe::diagnosis::identify::{Confidence, EndOfSupport, Family, Identification};
        let mut r = Report::default();
        let mut out = String::new();
        identification(&mut out, &r);
        assert!(out.is_empty());
        r.identification = Some(Identification {
            name: "Windows Server 2008 R2 / Windows 7 SP1".into(),
            family: Family::Windows,
            confidence: Confidence::Medium,
            evidence: vec!["NTLM VERSION 6.1.7601: Windows Server 2008 R2 / Windows 7 SP1".into()],
            contradictions: vec!["TLS 1.3 accepted points to Windows Server 2022".into()],
            end_of_support: Some(EndOfSupport {
                extended: Some("2020-01-14".into()),
                past: Some(true),
                ..EndOfSupport::default()
            }),
            ..Identification::default()
        });
        identification(&mut out, &r);
        assert_eq!(
            out,
            "  Identified   Windows Server 2008 R2 / Windows 7 SP1  (confidence medium; support ENDED 2020-01-14)\n               because NTLM VERSION 6.1.7601: Windows Server 2008 R2 / Windows 7 SP1\n               BUT TLS 1.3 accepted points to Windows Server 2022\n"
        );
        // xrdp without contradictions: the Fingerprint line names it already.
        r.identification =
            Some(Identification { name: "xrdp".into(), family: Family::Xrdp, ..Identification::default() });
        let mut out = String::new();
        identification(&mut out, &r);
        assert!(out.is_empty());
    }
}
