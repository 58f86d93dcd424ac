//! NLA (CredSSP/NTLM) against FreeRDP's shadow server in `/sec:nla` mode on 127.0.0.1, run
//! under `unshare -u` with its own host name so the NTLM target info is known, with a SAM file
//! from `winpr-hash`. Cross-checked with nmap's rdp-ntlm-info.
//!
//! The server and nmap come from the `rdp_probe_tests` harness.

use rdp_probe::{probe, Credentials, ProbeOptions, Steps, Target};
use rdp_probe_tests::{freerdp_shadow, require_tools, run_nmap_script, Server, ShadowConfig};
use std::net::SocketAddr;
use std::time::Duration;

const USER: &str = "alice";
const DOMAIN: &str = "LABDOM";
const PASSWORD: &str = "S3cret!pw-nla";

/// freerdp-shadow-cli /sec:nla under `unshare -u` with host name `hostname` and one SAM user
/// (USER, DOMAIN, PASSWORD).
fn shadow(hostname: &str) -> Server {
    require_tools(&["freerdp-shadow-cli", "Xvfb", "winpr-hash", "unshare"]);
    freerdp_shadow(ShadowConfig {
        sec: "nla".into(),
        users: vec![(USER.into(), DOMAIN.into(), PASSWORD.into())],
        hostname: Some(hostname.into()),
        ..Default::default()
    })
}

fn options(creds: Option<Credentials>) -> ProbeOptions {
    let mut o = ProbeOptions::builder()
        .timeout(Duration::from_secs(5))
        .steps(Steps { nla: true, negotiation_extended: true, ..Steps::NEGOTIATION })
        .build();
    o.credentials = creds;
    o
}

async fn run(addr: SocketAddr, creds: Option<Credentials>) -> serde_json::Value {
    let target = Target::from_addr(addr.ip(), addr.port());
    let report = probe(&target, &options(creds)).await;
    let j = serde_json::to_value(&report).unwrap();
    assert!(!j.to_string().contains(PASSWORD), "the password leaked into the report");
    assert!(!format!("{report:?}").contains(PASSWORD), "the password leaked into Debug output");
    j
}

/// nmap rdp-ntlm-info's fields (Target_Name, NetBIOS_Domain_Name, ...) as (key, value).
fn nmap_ntlm_info(addr: SocketAddr) -> Vec<(String, String)> {
    run_nmap_script(addr, "rdp-ntlm-info")
        .lines()
        .filter_map(|l| l.trim_start_matches(['|', '_', ' ']).split_once(": "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nla_identity_matches_config_and_nmap() {
    let hostname = "nla-ident-host";
    let s = shadow(hostname);
    let j = run(s.addr, None).await;
    let nla = &j["nla"];
    eprintln!("nla: {nla:#}\ntimings: {}", j["timings_ms"]);
    assert!(nla.is_object(), "no nla report: {j:#}");
    assert_eq!(nla["error"], serde_json::Value::Null, "{nla:#}");
    assert_eq!(nla["credssp_version"], 6, "{nla:#}");
    assert_eq!(nla["cve_2018_0886_fixed"], true);
    assert_eq!(nla["requirement"], "required");
    let ntlm = &nla["ntlm"];
    let up = hostname.to_uppercase();
    assert_eq!(ntlm["netbios_computer"], up.as_str());
    assert_eq!(ntlm["netbios_domain"], up.as_str());
    assert_eq!(ntlm["dns_computer"], hostname);
    assert_eq!(ntlm["dns_domain"], hostname);
    assert_eq!(ntlm["product_version"], "6.1.7601");
    assert_eq!(ntlm["os_build"], 7601);
    assert_eq!(ntlm["ntlm_revision"], 15);
    assert_eq!(ntlm["target_name"], up.as_str());
    let skew = ntlm["clock_skew_s"].as_f64().expect("clock skew");
    assert!(skew.abs() < 5.0, "same machine, skew {skew}");
    assert!(ntlm["server_time"].as_str().unwrap().ends_with('Z'));
    assert!(ntlm["flags"].as_array().unwrap().iter().any(|f| f == "negotiate_version"));
    assert!(nla.get("auth").is_none(), "no credential check without credentials");

    // Peer: nmap rdp-ntlm-info must report the same identity.
    require_tools(&["nmap"]);
    let fields = nmap_ntlm_info(s.addr);
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
    eprintln!("nmap rdp-ntlm-info: {fields:?}");
    assert!(get("Target_Name").is_some(), "nmap did not run rdp-ntlm-info: {fields:?}");
    assert_eq!(get("Target_Name").as_deref(), ntlm["target_name"].as_str(), "{fields:?}");
    assert_eq!(get("NetBIOS_Domain_Name").as_deref(), ntlm["netbios_domain"].as_str());
    assert_eq!(get("NetBIOS_Computer_Name").as_deref(), ntlm["netbios_computer"].as_str());
    assert_eq!(get("DNS_Domain_Name").as_deref(), ntlm["dns_domain"].as_str());
    assert_eq!(get("DNS_Computer_Name").as_deref(), ntlm["dns_computer"].as_str());
    assert_eq!(get("Product_Version").as_deref(), ntlm["product_version"].as_str());
    // Same day at least (nmap prints +00:00, we print Z).
    assert_eq!(
        get("System_Time").map(|t| t[..10].to_string()).as_deref(),
        ntlm["server_time"].as_str().map(|t| &t[..10])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nla_credential_check() {
    let s = shadow("nla-auth-host");
    // Right password: accepted, the server's pubKeyAuth verified against the TLS key.
    let j = run(s.addr, Some(Credentials::parse(&format!("{DOMAIN}\\{USER}"), PASSWORD.into()))).await;
    let auth = &j["nla"]["auth"];
    eprintln!("right password: {auth:#} (nla {} ms)", j["timings_ms"]["nla"]);
    assert_eq!(auth["accepted"], true, "{:#}", j["nla"]);
    assert_eq!(auth["status"], "accepted");
    assert_eq!(auth["server_key_verified"], true);
    assert_eq!(auth["credentials_delegated"], false);
    assert_eq!(auth["user"], format!("{DOMAIN}\\{USER}"));

    // Wrong password: refused.
    let j = run(s.addr, Some(Credentials::parse(&format!("{USER}@{DOMAIN}"), "wrong-password".into()))).await;
    let auth = &j["nla"]["auth"];
    eprintln!("wrong password: {auth:#}");
    assert_eq!(auth["accepted"], false, "{:#}", j["nla"]);
    assert_eq!(auth["status"], "rejected (server closed the connection)", "{auth:#}");

    // Unknown user: refused.
    let j = run(s.addr, Some(Credentials::parse(&format!("{DOMAIN}\\nobody"), PASSWORD.into()))).await;
    let auth = &j["nla"]["auth"];
    assert_eq!(auth["accepted"], false, "{:#}", j["nla"]);
    assert_eq!(auth["status"], "rejected (server closed the connection)", "{auth:#}");
}
