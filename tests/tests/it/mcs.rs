//! MCS / GCC basic settings exchange against real servers: xrdp with every crypt_level under
//! security_layer=rdp (checked against its configuration and against nmap's
//! rdp-enum-encryption on the same server), xrdp with tls / negotiate, and FreeRDP's shadow
//! server with /sec:rdp probed from 127.0.0.2 (it turns encryption off for 127.0.0.1 / ::1).
//!
//! Servers and nmap come from the `rdp_probe_tests` harness.

use rdp_probe::report::mcs::{EncryptionLevel, EncryptionMethod, MethodOutcome, Transport};
use rdp_probe::report::McsReport;
use rdp_probe::{ProbeOptions, Steps, Target};
use rdp_probe_tests::{freerdp_shadow, run_nmap_script, xrdp, ShadowConfig, XrdpConfig};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

fn steps() -> Steps {
    Steps {
        negotiation_extended: false,
        tls: false,
        tls_versions: false,
        tls_ciphers: false,
        nla: false,
        mcs: true,
        mcs_methods: true,
        session: false,
    }
}

async fn probe_mcs(addr: SocketAddr, source: Option<IpAddr>) -> McsReport {
    let mut b = ProbeOptions::builder().timeout(Duration::from_secs(5)).steps(steps());
    if let Some(s) = source {
        b = b.source(s);
    }
    let opts = b.build();
    let target = Target::from_addr(addr.ip(), addr.port());
    let report = rdp_probe::probe(&target, &opts).await;
    eprintln!("{}", serde_json::to_string_pretty(&report.mcs).unwrap());
    report.mcs.clone().unwrap_or_else(|| panic!("no mcs report: {report:?}"))
}

/// nmap's "RDP Encryption level" and its SUCCESS cipher lines, mapped to our names.
fn nmap_encryption(out: &str) -> (Option<String>, BTreeMap<EncryptionMethod, bool>) {
    let level = out.lines().find_map(|l| l.split("RDP Encryption level: ").nth(1)).map(|s| {
        match s.trim() {
            "None" => "none",
            "Low" => "low",
            "Client Compatible" => "client_compatible",
            "High" => "high",
            "FIPS Compliant" => "fips",
            _ => "unknown",
        }
        .to_string()
    });
    let mut methods = BTreeMap::new();
    for (nmap_name, ours) in
        [("40-bit RC4", "40bit"), ("56-bit RC4", "56bit"), ("128-bit RC4", "128bit"), ("FIPS 140-1", "fips")]
    {
        methods.insert(EncryptionMethod::parse(ours).unwrap(), out.contains(&format!("{nmap_name}: SUCCESS")));
    }
    (level, methods)
}

/// xrdp under Standard RDP Security: level and methods as configured, and as nmap sees them.
async fn xrdp_rdp(crypt_level: &'static str, level: &str, method: &str) {
    let server =
        xrdp(XrdpConfig { security_layer: "rdp".into(), crypt_level: crypt_level.into(), ..Default::default() });
    let r = probe_mcs(server.addr, None).await;
    let (level_name, method_name) = (level, method);
    let (level, method) = (EncryptionLevel::parse(level).unwrap(), EncryptionMethod::parse(method).unwrap());
    assert_eq!(r.transport, Some(Transport::Tcp));
    assert_eq!(r.error, None);
    assert_eq!(r.rdp_version.as_deref(), Some("RDP 5.0-8.1"));
    assert_eq!(r.version_code, Some(0x0008_0004));
    assert_eq!(r.client_requested_protocols.as_deref(), Some(&["rdp".to_string()][..]));
    assert_eq!(r.encryption_level, Some(level));
    assert_eq!(r.selected_method, Some(method));
    // xrdp ignores encryptionMethods: every single-method offer gets the configured method.
    for (name, a) in &r.method_answers {
        assert_eq!(a.outcome, MethodOutcome::Answered, "{name}: {a:?}");
        assert_eq!(a.method, Some(method), "{name}");
        assert_eq!(a.level, Some(level), "{name}");
        assert_eq!(r.encryption_methods[name], *name == method, "{name}");
    }
    assert_eq!(r.method_behaviour.as_deref(), Some(format!("answers {method_name} whatever is offered").as_str()));
    if method == EncryptionMethod::None {
        // crypt_level=none: a 12-byte SC_SECURITY, no random, no certificate
        assert_eq!(r.server_certificate, None);
        assert_eq!(r.server_random_len, None);
    } else {
        let c = r.server_certificate.as_ref().unwrap();
        assert_eq!(c.kind, "proprietary");
        assert_eq!(c.key_bits, Some(2048)); // Debian's /etc/xrdp/rsakeys.ini
        assert_eq!(c.exponent, Some(65537));
        assert_eq!(c.signature_valid, Some(true));
        assert_eq!(r.server_random_len, Some(32));
    }
    // The channels xrdp grants for our CS_NET offer (rdpdr, rdpsnd, cliprdr, drdynvc).
    assert_eq!(r.io_channel, Some(1003));

    // nmap on the same server. Its cipher check compares the answered method with the offer,
    // like our `encryption_methods`, so both list only the configured method; nmap never offers
    // NONE (we do: `method_answers.none`), and with crypt_level=none it lists no cipher at all.
    // Its "Security layer" lines (not compared here) claim SUCCESS for CredSSP/RDSTLS/SSL on an
    // rdp-only xrdp: it counts any RDP_NEG_RSP as success without reading the selected protocol.
    let out = run_nmap_script(server.addr, "rdp-enum-encryption");
    let (nlevel, nmethods) = nmap_encryption(&out);
    if method == EncryptionMethod::None {
        // Measured: against crypt_level=none nmap 7.93 prints no rdp-enum-encryption output at
        // all (its parser gives up on the 12-byte SC_SECURITY without random/certificate);
        // we report level none, method none.
        assert_eq!(nlevel, None, "nmap:\n{out}");
        return;
    }
    assert_eq!(nlevel.as_deref(), Some(level_name), "nmap:\n{out}");
    for (name, ok) in nmethods {
        assert_eq!(r.encryption_methods[&name], ok, "{name}: nmap:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_none() {
    xrdp_rdp("none", "none", "none").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_low() {
    xrdp_rdp("low", "low", "40bit").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_medium() {
    // xrdp's "medium" is 40-bit at level Client Compatible
    xrdp_rdp("medium", "client_compatible", "40bit").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_high() {
    xrdp_rdp("high", "high", "128bit").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_fips() {
    xrdp_rdp("fips", "fips", "fips").await;
}

/// security_layer=tls: PROTOCOL_RDP is refused, MCS runs inside TLS (Enhanced RDP Security):
/// level and method NONE, the RDP version still visible. (nmap's rdp-enum-encryption crashes on
/// xrdp tls targets: not compared.)
#[tokio::test(flavor = "multi_thread")]
async fn xrdp_tls() {
    let server = xrdp(XrdpConfig { security_layer: "tls".into(), crypt_level: "high".into(), ..Default::default() });
    let r = probe_mcs(server.addr, None).await;
    assert_eq!(r.transport, Some(Transport::Tls));
    assert_eq!(r.error, None);
    assert_eq!(r.rdp_version.as_deref(), Some("RDP 5.0-8.1"));
    assert_eq!(r.client_requested_protocols.as_deref(), Some(&["ssl".to_string()][..]));
    assert_eq!(r.encryption_level, Some(EncryptionLevel::None));
    assert_eq!(r.selected_method, Some(EncryptionMethod::None));
    assert!(r.method_answers.is_empty());
    assert_eq!(r.server_certificate, None);
}

/// security_layer=negotiate: PROTOCOL_RDP is accepted, so the Standard RDP Security path runs
/// and shows the configured level (high).
#[tokio::test(flavor = "multi_thread")]
async fn xrdp_negotiate() {
    let server =
        xrdp(XrdpConfig { security_layer: "negotiate".into(), crypt_level: "high".into(), ..Default::default() });
    let r = probe_mcs(server.addr, None).await;
    assert_eq!(r.transport, Some(Transport::Tcp));
    assert_eq!(r.encryption_level, Some(EncryptionLevel::High));
    assert_eq!(r.selected_method, Some(EncryptionMethod::Bit128));
    assert_eq!(r.encryption_methods.get(&EncryptionMethod::Bit128), Some(&true));
    assert_eq!(r.encryption_methods.get(&EncryptionMethod::Bit40), Some(&false));
}

/// FreeRDP shadow /sec:rdp probed from 127.0.0.2: it answers the offered method at level
/// Client Compatible with a proprietary certificate. From 127.0.0.1 it turns encryption off.
#[tokio::test(flavor = "multi_thread")]
async fn shadow_rdp_from_other_loopback_address() {
    let server = freerdp_shadow(ShadowConfig { sec: "rdp".into(), ..Default::default() });
    let r = probe_mcs(server.addr, Some("127.0.0.2".parse().unwrap())).await;
    assert_eq!(r.transport, Some(Transport::Tcp));
    assert_eq!(r.error, None);
    assert_eq!(r.encryption_level, Some(EncryptionLevel::ClientCompatible));
    for m in [EncryptionMethod::Bit40, EncryptionMethod::Bit56, EncryptionMethod::Bit128, EncryptionMethod::Fips] {
        assert_eq!(r.encryption_methods.get(&m), Some(&true), "{m}: {:?}", r.method_answers.get(&m));
    }
    assert_eq!(r.server_certificate.as_ref().map(|c| c.kind.as_str()), Some("proprietary"));
    // Measured: an offer of NONE alone is answered with 128-bit (not refused).
    assert_eq!(r.method_behaviour.as_deref(), Some("answers the offered method except none -> 128bit"));

    let local = probe_mcs(server.addr, None).await;
    assert_eq!(local.encryption_level, Some(EncryptionLevel::None));
    assert_eq!(local.selected_method, Some(EncryptionMethod::None));
}
