//! A stable server fingerprint string built from protocol facts that differ between RDP
//! implementations: X.224 source reference and response flags, the answer to each request of
//! the plan, and (when probed) SC_CORE version and early capability flags, encryption level,
//! CredSSP version, NTLM revision and product version, TLS version and cipher.
//!
//! Format (version 1): `rdpfp1;` then `key=value` items separated by `;`, in a fixed order,
//! missing items omitted. Negotiation answers: `<requested hex>:<answer>` with answer `s<hex>`
//! (selected protocol), `f<n>` (failure code), `n` (no negotiation data), `d` (MCS disconnect),
//! `x` (X.224 disconnect), `c` (closed), `e` (error), `u<type>` (unknown negotiation type).

use crate::report::{Answer, Report};

/// Compact code for one answer.
fn answer_code(a: &Answer) -> String {
    match a {
        Answer::Selected { protocol_value, .. } => format!("s{protocol_value:x}"),
        Answer::Failure { code_value, .. } => format!("f{code_value:x}"),
        Answer::NoNegotiation => "n".into(),
        Answer::McsDisconnect { .. } => "d".into(),
        Answer::Disconnect { .. } => "x".into(),
        Answer::Closed { .. } => "c".into(),
        Answer::Error { .. } => "e".into(),
        Answer::UnknownNegotiation { ty, .. } => format!("u{ty:x}"),
    }
}

/// Builds the fingerprint string; `None` when the target did not answer as RDP.
pub fn fingerprint(r: &Report) -> Option<String> {
    let n = r.negotiation.as_ref()?;
    let mut items: Vec<String> = vec!["rdpfp1".into()];
    if let Some(sr) = n.source_ref {
        items.push(format!("ref={sr:04x}"));
    }
    if let Some(f) = n.flags_value {
        items.push(format!("flags={f:02x}"));
    }
    let answers: Vec<String> = n
        .attempts
        .iter()
        .map(|a| {
            let req = if a.with_neg_req { format!("{:x}", a.requested_value) } else { "L".into() };
            format!("{req}:{}", answer_code(&a.answer))
        })
        .collect();
    items.push(format!("neg={}", answers.join(",")));
    // Later layers, from their typed fields (the same with or without the `serde` feature).
    let non_empty = |v: String| (!v.is_empty()).then_some(v);
    let mcs = r.mcs.as_ref();
    let ntlm = r.nla.as_ref().and_then(|n| n.ntlm.as_ref());
    let tls = r.tls.as_ref();
    for (key, val) in [
        ("core", mcs.and_then(|m| m.version_code).map(|c| format!("{c:08x}"))),
        ("ecf", mcs.and_then(|m| non_empty(m.early_capability_flags.join("+")))),
        ("enc", mcs.and_then(|m| m.encryption_level).map(|l| l.to_string())),
        ("cssp", r.nla.as_ref().and_then(|n| n.credssp_version).map(|v| v.to_string())),
        ("ntlmrev", ntlm.and_then(|n| n.ntlm_revision).map(|v| v.to_string())),
        ("os", ntlm.and_then(|n| n.product_version.clone())),
        ("tls", tls.and_then(|t| t.version).map(|v| v.to_string())),
        ("cipher", tls.and_then(|t| t.cipher_suite.clone())),
    ] {
        if let Some(val) = val.and_then(non_empty) {
            items.push(format!("{key}={val}"));
        }
    }
    Some(items.join(";"))
}

/// A best guess of the server implementation family from the X.224 answers alone
/// (`xrdp`, `FreeRDP-based server`, `VirtualBox VRDE`, `Windows`). Conservative: `None` unless a
/// combination seen on a known implementation matches. [`crate::diagnosis::identify::identify`]
/// weighs the later steps too and names the release.
pub fn guess_implementation(r: &Report) -> Option<&'static str> {
    crate::diagnosis::identify::family_of(r).label()
}
