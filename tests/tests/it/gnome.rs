//! GNOME Remote Desktop (Debian's gnome-remote-desktop, headless, in a network namespace of its
//! own: see the harness's gnome.rs), probed by the CLI from inside that namespace. A non-Windows
//! row of the fingerprint table: the `freerdp` family (built on FreeRDP's server library), never
//! Windows 7 for winpr's NTLM 6.1.7601, no end-of-life finding; and its X.224 answers are the
//! captured vectors rdp-probe/tests/vectors/x224/gnome-43-cc-req0x*.bin. Skips (with a message)
//! where the packages or root are missing.

use rdp_probe_tests::*;
use serde_json::Value;

/// The bytes received on the transcript's connection labelled `label`, in order.
fn received(report: &Value, label: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for e in report["transcript"].as_array().expect("transcript (--raw)") {
        if e["label"] == label && e["direction"] == "received" {
            let hex = e["data"].as_str().unwrap();
            out.extend((0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()));
        }
    }
    out
}

#[test]
fn gnome_remote_desktop_is_a_freerdp_based_server() {
    let g = match gnome_remote_desktop() {
        Ok(g) => g,
        Err(why) => {
            eprintln!(
                "skipped gnome_remote_desktop_is_a_freerdp_based_server: {why} (lab/install.sh installs the packages)"
            );
            return;
        }
    };
    let target = format!("127.0.0.1:{GNOME_RDP_PORT}");
    let o = g.command(&rdp_probe_bin()).args([target.as_str(), "--json", "--raw", "-t", "5"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let log = || format!("{text}\n{}\n--- server log ---\n{}", String::from_utf8_lossy(&o.stderr), g.log());
    let r: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {}", log()));
    assert_eq!(r["status"], "rdp", "{}", log());

    // Negotiation: NLA required, CredSSP selected, source reference 0, flags 0x03.
    let n = &r["negotiation"];
    assert_eq!(n["selected"], "hybrid", "{}", log());
    assert_eq!(n["nla"], "required");
    assert_eq!(n["source_ref"], 0);
    assert_eq!(n["flags_value"], 3);
    for p in ["rdp", "ssl", "rdstls", "hybrid_ex", "rdsaad"] {
        assert_eq!(n["protocols"][p], "hybrid_required_by_server", "{p}: {n}");
    }
    // The answers are the vectors the unit tests replay.
    let vectors = workspace_root().join("rdp-probe/tests/vectors/x224");
    for req in [0x0b, 0x00, 0x01, 0x02, 0x04, 0x08, 0x10] {
        let want = std::fs::read(vectors.join(format!("gnome-43-cc-req0x{req:02x}.bin"))).unwrap();
        assert_eq!(received(&r, &format!("negotiation {req:#x}")), want, "request {req:#x}");
    }

    // winpr's NTLM: the fixed 6.1.7601, not the host's OS; CredSSP from FreeRDP.
    assert_eq!(r["nla"]["ntlm"]["product_version"], "6.1.7601", "{}", log());
    assert!(r["nla"]["credssp_version"].as_u64().is_some_and(|v| v >= 2), "{}", r["nla"]);
    assert_eq!(r["tls"]["version"], "1.3", "{}", r["tls"]);

    // Identification: the table's freerdp family, never Windows 7, nothing contradicts it.
    let id = &r["identification"];
    assert_eq!(id["family"], "freerdp", "{id}");
    assert_eq!(r["implementation"], "FreeRDP-based server");
    assert_eq!(id["contradictions"].as_array().map(Vec::len), Some(0), "{id}");
    assert!(id.get("release").is_none_or(Value::is_null), "{id}");
    let findings: Vec<&str> = r["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
    assert!(findings.contains(&"nla-required"), "{findings:?}");
    assert!(!findings.contains(&"windows-end-of-life"), "{findings:?}");
    assert!(!findings.contains(&"negotiation-flag-0x20"), "{findings:?}");
}
