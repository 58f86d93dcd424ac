//! Replay tests of the TLS step: the raw ClientHello machine against captured server flights
//! (xrdp, xrdp legacy/chain/ecdsa/badkey, FreeRDP shadow), truncated, drip-fed, silent,
//! closing and hostile servers; the cipher enumeration against scripted servers; the judging.

use super::*;
use crate::steps::machine::{replay, Event};
use crate::wire::tls::record::{encode_record, HELLO_RETRY_REQUEST_RANDOM};

macro_rules! vector {
    ($p:literal) => {
        include_bytes!(concat!("../../../tests/vectors/", $p))
    };
}

/// xrdp 0.9 (`security_layer=tls`): ServerHello, Certificate, ServerKeyExchange,
/// ServerHelloDone to a TLS 1.2 ClientHello.
const XRDP_TLS12: &[u8] = vector!("tls/xrdp-tls-33897-flight-tls12.bin");
/// The same server to a TLS 1.3 ClientHello: ServerHello, then encrypted records.
const XRDP_TLS13: &[u8] = vector!("tls/xrdp-tls-33897-answer-tls13.bin");
/// The same server to a TLS 1.0-only ClientHello: alert fatal protocol_version, then its MCS
/// Disconnect-Provider-Ultimatum in clear.
const XRDP_TLS10_REFUSED: &[u8] = vector!("tls/xrdp-tls-33897-answer-tls10-alert-dpu.bin");
/// xrdp with a key that does not match its certificate: only the clear-text DPU.
const XRDP_BADKEY: &[u8] = vector!("tls/xrdp-tls-badkey-33908-answer-dpu.bin");
/// xrdp with a two-certificate chain, TLS 1.2.
const XRDP_CHAIN12: &[u8] = vector!("tls/xrdp-tls-chain-33906-flight-tls12.bin");
/// xrdp with an ECDSA certificate, TLS 1.2.
const XRDP_ECDSA12: &[u8] = vector!("tls/xrdp-tls-ecdsa-33905-flight-tls12.bin");
/// xrdp `ssl_protocols=TLSv1, TLSv1.1`: the TLS 1.0 flight, the TLS 1.1 flight (old vector),
/// its TLS 1.1 answer to a TLS 1.2-only offer, its alert + DPU to a TLS 1.3-only offer.
const LEGACY_TLS10: &[u8] = vector!("tls/xrdp-tls-legacy-33900-flight-tls10.bin");
const LEGACY_TLS11: &[u8] = vector!("tls/xrdp-tls-legacy-33900-server-flight.bin");
const LEGACY_TO_TLS12: &[u8] = vector!("tls/xrdp-tls-legacy-33900-answer-tls12-offer.bin");
const LEGACY_TO_TLS13: &[u8] = vector!("tls/xrdp-tls-legacy-33900-answer-tls13-alert-dpu.bin");
/// FreeRDP shadow: alert fatal internal_error to TLS 1.0; ServerHello of TLS 1.3.
const SHADOW_TLS10_REFUSED: &[u8] = vector!("tls/shadow-tls-33911-answer-tls10-alert.bin");
const SHADOW_TLS13: &[u8] = vector!("tls/shadow-tls-33911-server-hello-tls13.bin");
const XRDP_CHAIN13: &[u8] = vector!("tls/xrdp-tls-chain-33906-server-hello-tls13.bin");
/// X.224 Connection Confirms of the same servers.
const CC_XRDP_TLS_01: &[u8] = vector!("x224/xrdp-negotiate-cc-req0x0b.bin");
const CC_XRDP_RDP_00: &[u8] = vector!("x224/xrdp-negotiate-cc-req0x00.bin");
const CC_NOCERT_01: &[u8] = vector!("x224/xrdp-tls-nocert-cc-req0x01.bin");

const DPU: [u8; 9] = [0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80];
const SSH: &[u8] = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";

fn hello(v: Offer) -> ClientHello {
    version_hello(v, "rdp-target.test")
}

/// Replays `script` against a raw attempt offering `v`.
fn raw(v: Offer, script: &[Event]) -> RawOutcome {
    let h = hello(v);
    let r = replay(&mut RawAttempt::new(&h), script);
    assert_eq!(r.sent, vec![h.encode()], "one ClientHello, nothing else");
    r.output
}

fn bytes(b: &[u8]) -> Vec<Event> {
    vec![Event::Bytes(b.to_vec())]
}

/// The server's answer as a finished attempt of `v`.
fn answer(v: Offer, b: &[u8]) -> Result<RawOutcome, TlsError> {
    Ok(raw(v, &bytes(b)))
}

fn report(v: Offer, b: &[u8]) -> TlsAttempt {
    attempt_report(v, Some(v.wire()), true, &answer(v, b))
}

/// A ServerHello handshake record; `tls13` adds supported_versions 1.3 and a key share.
fn server_hello(legacy: u16, suite: u16, tls13: bool, random: [u8; 32]) -> Vec<u8> {
    let mut body = legacy.to_be_bytes().to_vec();
    body.extend_from_slice(&random);
    body.push(0);
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    if tls13 {
        let ext = [0x00, 0x2b, 0, 2, 3, 4, 0x00, 0x33, 0, 2, 0x00, 0x17];
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
    }
    let mut hs = vec![2];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    encode_record(22, 0x0303, &hs)
}

fn alert(description: u8) -> Vec<u8> {
    encode_record(21, 0x0303, &[2, description])
}

// ---- The raw machine against captured flights. ----

#[test]
fn raw_reads_captured_tls12_flights_to_server_hello_done() {
    for (flight, certs) in [(XRDP_TLS12, 1), (XRDP_CHAIN12, 2), (XRDP_ECDSA12, 1)] {
        let o = raw(Offer::Tls12, &bytes(flight));
        assert_eq!(o.end, None);
        assert!(o.flight.done && o.not_tls.is_none());
        assert_eq!(o.flight.server_hello.as_ref().map(|s| s.version()), Some(0x0303));
        assert_eq!(o.flight.certificates.len(), certs);
        let a = report(Offer::Tls12, flight);
        assert!(a.accepted && a.alert.is_none() && a.detail.is_none(), "{a:?}");
        assert_eq!(a.server_version, Some(TlsVersion::Tls12));
    }
}

#[test]
fn raw_reads_captured_legacy_flights() {
    let o = raw(Offer::Tls10, &bytes(LEGACY_TLS10));
    assert_eq!(o.flight.server_hello.as_ref().map(|s| s.version()), Some(0x0301));
    assert_eq!(o.flight.certificates.len(), 1);
    let o = raw(Offer::Tls11, &bytes(LEGACY_TLS11));
    assert_eq!(o.flight.messages, vec![2, 11, 12, 14], "stops at ServerHelloDone, not the ticket after it");
    // Offered TLS 1.2 only, the server answers TLS 1.1: a ServerHello, but not accepted.
    let a = report(Offer::Tls12, LEGACY_TO_TLS12);
    assert!(!a.accepted);
    assert_eq!((a.offered, a.server_version), (TlsVersion::Tls12, Some(TlsVersion::Tls11)));
    // TLS 1.3 refused with an alert; the DPU after it is not read.
    let a = report(Offer::Tls13, LEGACY_TO_TLS13);
    assert_eq!((a.accepted, a.alert.as_deref(), a.detail.as_deref()), (false, Some("fatal protocol_version"), None));
}

#[test]
fn raw_reads_captured_tls13_server_hellos() {
    for flight in [XRDP_TLS13, SHADOW_TLS13, XRDP_CHAIN13] {
        let o = raw(Offer::Tls13, &bytes(flight));
        assert!(o.flight.encrypted && o.flight.certificates.is_empty() && o.end.is_none());
        let a = report(Offer::Tls13, flight);
        assert!(a.accepted && !a.hello_retry_request, "{a:?}");
        assert_eq!(a.server_version, Some(TlsVersion::Tls13));
    }
}

#[test]
fn raw_reads_alerts() {
    let a = report(Offer::Tls10, XRDP_TLS10_REFUSED);
    assert_eq!((a.accepted, a.alert.as_deref()), (false, Some("fatal protocol_version")));
    let a = report(Offer::Tls10, SHADOW_TLS10_REFUSED);
    assert_eq!(a.alert.as_deref(), Some("fatal internal_error"));
    assert_eq!(a.detail, None);
}

#[test]
fn raw_reads_xrdps_clear_text_refusal_whole() {
    // Broken key: the DPU arrives as one TPKT frame, kept whole for the report.
    let o = raw(Offer::Tls12, &bytes(XRDP_BADKEY));
    assert_eq!(o.not_tls.as_deref(), Some(&DPU[..]));
    let a = report(Offer::Tls12, XRDP_BADKEY);
    let d = a.detail.unwrap();
    assert!(d.starts_with("not TLS: 0300000902f0802180: the server sent an MCS Disconnect-Provider-Ultimatum"), "{d}");
    assert!(d.contains("certificate or private key"), "{d}");
    // The same bytes to the Direct Approach say the listener wants X.224 first.
    let out = answer(Offer::Tls12, XRDP_BADKEY);
    let d = attempt_report(Offer::Tls12, None, false, &out).detail.unwrap();
    assert!(d.ends_with("(the listener does not take TLS without X.224 first)"), "{d}");
    // Cut in one-byte pieces: the same whole frame.
    let drip: Vec<Event> = DPU.iter().map(|b| Event::Bytes(vec![*b])).collect();
    assert_eq!(raw(Offer::Tls12, &drip).not_tls.as_deref(), Some(&DPU[..]));
}

#[test]
fn raw_names_another_protocol() {
    let o = raw(Offer::Tls12, &[Event::Bytes(SSH.to_vec()), Event::Close]);
    assert_eq!(o.not_tls.as_deref(), Some(SSH));
    assert_eq!(not_tls::classify(SSH), Some(not_tls::NotTls::Unknown));
    // Never more than MAX_KEPT bytes kept, whatever the peer sends.
    let o = raw(Offer::Tls12, &[Event::Bytes(vec![b'A'; 5000]), Event::Close]);
    assert_eq!(o.not_tls.map(|b| b.len()), Some(not_tls::MAX_KEPT));
}

// ---- Truncated, drip-fed, silent, closing and hostile servers. ----

#[test]
fn raw_every_prefix_of_every_flight_then_close_or_silence() {
    let flights: [(&[u8], Offer); 9] = [
        (XRDP_TLS12, Offer::Tls12),
        (XRDP_CHAIN12, Offer::Tls12),
        (XRDP_ECDSA12, Offer::Tls12),
        (LEGACY_TLS10, Offer::Tls10),
        (LEGACY_TLS11, Offer::Tls11),
        (XRDP_TLS13, Offer::Tls13),
        (SHADOW_TLS13, Offer::Tls13),
        (XRDP_TLS10_REFUSED, Offer::Tls10),
        (XRDP_BADKEY, Offer::Tls12),
    ];
    let mut runs = 0;
    for (flight, v) in flights {
        // One hello per flight (building the legacy suite list is the slow part in debug).
        let h = hello(v);
        let whole = replay(&mut RawAttempt::new(&h), &bytes(flight)).output;
        for cut in 0..flight.len() {
            let head = flight[..cut].to_vec();
            for (end, want) in [(Event::Close, None), (Event::Silence, Some(NetErrorKind::Timeout))] {
                let o = replay(&mut RawAttempt::new(&h), &[Event::Bytes(head.clone()), end]).output;
                runs += 1;
                match &o.end {
                    // Finished early (a TLS 1.3 ServerHello is all there is to read in clear).
                    None => assert!(o.flight.finished(), "cut {cut}"),
                    Some(RawEnd::Closed) => assert!(want.is_none(), "cut {cut}"),
                    Some(RawEnd::Net(k)) => assert_eq!(Some(k.clone()), want, "cut {cut}"),
                    Some(RawEnd::Decode(e)) => panic!("cut {cut}: a prefix is no decode error: {e}"),
                    Some(RawEnd::Unsent(k)) => panic!("cut {cut}: the ClientHello was written: {k}"),
                }
                // A prefix never shows more than the whole flight, nor anything else.
                if o.flight.server_hello.is_some() {
                    assert_eq!(o.flight.server_hello, whole.flight.server_hello, "cut {cut}");
                }
                assert!(o.flight.certificates.is_empty() || o.flight.certificates == whole.flight.certificates);
                let a = attempt_report(v, Some(v.wire()), true, &Ok(o));
                assert!(!a.accepted || a.server_version.is_some(), "cut {cut}");
            }
        }
    }
    assert!(runs > 10_000, "{runs}");
}

#[test]
fn raw_drip_fed_flights_read_the_same() {
    for (flight, v) in [(XRDP_CHAIN12, Offer::Tls12), (LEGACY_TLS10, Offer::Tls10), (XRDP_TLS13, Offer::Tls13)] {
        let whole = raw(v, &bytes(flight));
        let drip: Vec<Event> = flight.iter().map(|b| Event::Bytes(vec![*b])).collect();
        let o = raw(v, &drip);
        assert_eq!((&o.flight, &o.end), (&whole.flight, &whole.end));
        // And cut at every record boundary plus one.
        for cut in [1, 5, 6, 90, 1000] {
            let cut = cut.min(flight.len());
            let o = raw(v, &[Event::Bytes(flight[..cut].to_vec()), Event::Bytes(flight[cut..].to_vec())]);
            assert_eq!(o.flight.server_hello, whole.flight.server_hello);
        }
    }
}

#[test]
fn raw_silent_and_closing_servers() {
    let o = raw(Offer::Tls12, &[Event::Silence]);
    assert_eq!(o.end, Some(RawEnd::Net(NetErrorKind::Timeout)));
    let a = attempt_report(Offer::Tls12, Some(0x0303), true, &Ok(o));
    assert_eq!((a.accepted, a.detail.as_deref()), (false, Some("timed out")));
    let o = raw(Offer::Tls12, &[Event::Close]);
    assert_eq!(o.end, Some(RawEnd::Closed));
    assert_eq!(attempt_report(Offer::Tls12, None, true, &Ok(o)).detail.as_deref(), Some("connection closed"));
    // A reset or a deadline handed in by the driver mid-flight keeps what came.
    let mut m = RawAttempt::new(&hello(Offer::Tls12));
    let _ = m.start();
    let sh_len = 5 + usize::from(u16::from_be_bytes([XRDP_TLS12[3], XRDP_TLS12[4]]));
    assert!(matches!(m.input(Input::Frame(&XRDP_TLS12[..sh_len])), Action::Read(_)));
    let Action::Done(o) = m.input(Input::Error(NetError::new(Phase::Tls, NetErrorKind::Reset))) else {
        panic!("not done")
    };
    assert!(o.flight.server_hello.is_some());
    assert_eq!(o.end.map(|e| e.to_string()).as_deref(), Some("connection reset by peer"));
    // Asked again (a deadline racing the result): the same result.
    let Action::Done(again) = m.input(Input::Error(NetError::new(Phase::Tls, NetErrorKind::Timeout))) else {
        panic!("not done")
    };
    assert_eq!(again.end.map(|e| e.to_string()).as_deref(), Some("connection reset by peer"));
    // A failed write ends the attempt too.
    assert!(m.sent(Ok(())).flight.server_hello.is_some());
    let mut m = RawAttempt::new(&hello(Offer::Tls12));
    assert_eq!(m.sent(Err(NetError::new(Phase::Tls, NetErrorKind::Reset))).end, Some(RawEnd::Net(NetErrorKind::Reset)));
    // A ClientHello that never left: no offer was made, and the report says so.
    let r = replay(&mut RawAttempt::new(&hello(Offer::Tls10)), &[Event::WriteFails]);
    assert!(r.sent.is_empty());
    assert_eq!(r.output.end, Some(RawEnd::Unsent(NetErrorKind::Reset)));
    let a = attempt_report(Offer::Tls10, Some(0x0301), true, &Ok(r.output));
    assert_eq!((a.accepted, a.detail.as_deref()), (false, Some("ClientHello not sent: connection reset by peer")));
}

#[test]
fn raw_hostile_records() {
    // A record length of 0xffff (over 2^14 + 2048): a decode error, nothing allocated for it.
    let o = raw(Offer::Tls12, &[Event::Bytes(vec![0x16, 0x03, 0x03, 0xff, 0xff, 0x02]), Event::Silence]);
    assert!(matches!(&o.end, Some(RawEnd::Decode(e)) if e.to_string().contains("length")), "{:?}", o.end);
    // An endless stream of empty handshake records: cut at the flight's record limit.
    let r = replay(&mut RawAttempt::new(&hello(Offer::Tls12)), &bytes(&[0x16, 0x03, 0x03, 0x00, 0x00].repeat(200_000)));
    assert!(matches!(r.output.end, Some(RawEnd::Decode(_))));
    assert!(r.output.flight.record_versions.len() <= crate::wire::tls::record::MAX_FLIGHT_RECORDS);
    // A ServerHello whose handshake length overruns the record, then silence.
    let o = raw(
        Offer::Tls12,
        &[Event::Bytes(vec![0x16, 0x03, 0x03, 0x00, 0x08, 0x02, 0x00, 0xff, 0xff, 0x03, 0x03, 0, 0]), Event::Silence],
    );
    assert!(o.end.is_some() && o.flight.server_hello.is_none());
    // A handshake message claiming 16 MiB: fatal.
    let o = raw(Offer::Tls12, &bytes(&encode_record(22, 0x0303, &[11, 0xff, 0xff, 0xff])));
    assert!(matches!(o.end, Some(RawEnd::Decode(_))));
    // A TPKT length below its header where a record was due: a decode error.
    let o = raw(Offer::Tls12, &bytes(&[3, 0, 0, 2, 0xff]));
    assert!(matches!(o.end, Some(RawEnd::Decode(_))));
}

#[test]
fn raw_hello_retry_request_is_a_finished_tls13_answer() {
    let hrr = server_hello(0x0303, 0x1302, true, HELLO_RETRY_REQUEST_RANDOM);
    let o = raw(Offer::Tls13, &[Event::Bytes(hrr.clone()), Event::Silence]);
    assert!(o.end.is_none() && o.flight.finished());
    let a = report(Offer::Tls13, &hrr);
    assert!(a.accepted && a.hello_retry_request, "{a:?}");
    assert_eq!(a.cipher_suite.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
}

// ---- The X.224 answer before TLS (the driver runs the negotiation Exchange first). ----

#[test]
fn tls_starts_only_after_a_tls_selection() {
    use crate::steps::negotiation::{Exchange, PlanStep};
    let cc = |b: &[u8], req: u32| replay(&mut Exchange::for_step(None, &PlanStep::ask(req)), &bytes(b)).output.unwrap();
    assert!(tls_selected(&cc(CC_XRDP_TLS_01, 0x0b), "tls rustls").is_ok());
    let e = tls_selected(&cc(CC_XRDP_RDP_00, 0), "tls rustls").unwrap_err();
    assert_eq!(
        (e.phase, e.kind, e.text.as_str()),
        (Phase::ReadCc, ErrorKind::Other, "the server selected Standard RDP Security")
    );
    let e = tls_selected(&cc(CC_NOCERT_01, 1), "tls version 1.2").unwrap_err();
    assert_eq!(
        (e.kind, e.text.as_str(), e.attempt.as_str()),
        (ErrorKind::ServerRefused, "ssl_cert_not_on_server", "tls version 1.2")
    );
    let dpu = ServerAnswer::decode(&DPU).unwrap();
    assert_eq!(tls_selected(&dpu, "x").unwrap_err().text, "MCS Disconnect Provider Ultimatum instead of a CC");
}

// ---- Version probes and the cipher enumeration. ----

#[test]
fn direct_approach_takes_the_best_accepted_version_below_13() {
    let legacy = vec![
        (Offer::Tls10, answer(Offer::Tls10, LEGACY_TLS10)),
        (Offer::Tls11, answer(Offer::Tls11, LEGACY_TLS11)),
        (Offer::Tls12, answer(Offer::Tls12, LEGACY_TO_TLS12)),
        (Offer::Tls13, answer(Offer::Tls13, LEGACY_TO_TLS13)),
    ];
    assert_eq!(direct_approach_version(&legacy), Offer::Tls11);
    let modern = vec![
        (Offer::Tls10, answer(Offer::Tls10, XRDP_TLS10_REFUSED)),
        (Offer::Tls12, answer(Offer::Tls12, XRDP_TLS12)),
        (Offer::Tls13, answer(Offer::Tls13, XRDP_TLS13)),
    ];
    assert_eq!(direct_approach_version(&modern), Offer::Tls12);
    let none = vec![(Offer::Tls13, answer(Offer::Tls13, XRDP_TLS13)), (Offer::Tls10, answer(Offer::Tls10, &DPU))];
    assert_eq!(direct_approach_version(&none), Offer::Tls12);
    assert_eq!(version_hello(Offer::Tls13, "h").cipher_suites, suites::tls13_suites());
}

/// A scripted server that picks, from each offer, the first suite of `prefers`, or refuses
/// with `refusal`; runs the whole enumeration through the raw machine.
fn enumerate(v: Offer, suites: Vec<u16>, mut server: impl FnMut(&ClientHello) -> Vec<Event>) -> (CipherResult, usize) {
    let mut plan = CipherEnumeration::with_suites(v, suites);
    let mut connections = 0;
    while let Some(h) = plan.next_hello("rdp-target.test") {
        connections += 1;
        let r = replay(&mut RawAttempt::new(&h), &server(&h));
        assert_eq!(r.sent, vec![h.encode()]);
        plan.record(&Ok(r.output));
    }
    (plan.finish(), connections)
}

fn prefers(v: Offer, order: &'static [u16]) -> impl FnMut(&ClientHello) -> Vec<Event> {
    move |h| match order.iter().find(|s| h.cipher_suites.contains(s)) {
        Some(s) => bytes(&server_hello(v.wire().min(0x0303), *s, v == Offer::Tls13, [7; 32])),
        None => bytes(&alert(40)),
    }
}

#[test]
fn cipher_enumeration_follows_the_servers_order() {
    // TLS 1.2: strong first, a CBC suite, then 3DES (weak); the rest refused with an alert.
    const ORDER: &[u16] = &[0xc030, 0xc02f, 0xc014, 0x000a];
    let (r, n) = enumerate(Offer::Tls12, suites::legacy_suites(), prefers(Offer::Tls12, ORDER));
    assert!(r.complete && r.errors.is_empty());
    assert_eq!(n, ORDER.len() + 1, "one connection per suite plus the refusal");
    assert_eq!(r.found.iter().map(|c| c.id).collect::<Vec<_>>(), ORDER);
    let grades: Vec<CipherGrade> = r.found.iter().map(|c| c.grade).collect();
    assert_eq!(grades, [CipherGrade::Strong, CipherGrade::Strong, CipherGrade::Acceptable, CipherGrade::Weak]);
    assert_eq!(r.found[3].weaknesses, vec!["3des".to_string()]);
    // TLS 1.3: the key share group is read from the ServerHello.
    const ORDER13: &[u16] = &[0x1302, 0x1301];
    let (r, _) = enumerate(Offer::Tls13, suites::tls13_suites(), prefers(Offer::Tls13, ORDER13));
    assert!(r.complete);
    assert_eq!(r.found.iter().map(|c| c.group.as_deref()).collect::<Vec<_>>(), [Some("secp256r1"); 2]);
    // Every suite accepted: complete once nothing is left to offer.
    let (r, n) = enumerate(Offer::Tls12, vec![0xc02f, 0xc030], prefers(Offer::Tls12, &[0xc02f, 0xc030]));
    assert!(r.complete && r.found.len() == 2 && n == 2);
}

#[test]
fn cipher_enumeration_ends_on_close_silence_and_misbehaviour() {
    // The server closes instead of an alert: the normal end.
    let (r, n) = enumerate(Offer::Tls12, vec![0xc02f, 0x002f], |_| vec![Event::Close]);
    assert!(r.complete && r.found.is_empty() && n == 1);
    // Silence: cut short.
    let (r, _) = enumerate(Offer::Tls12, vec![0xc02f], |_| vec![Event::Silence]);
    assert!(!r.complete && r.errors.is_empty());
    // A suite outside the offer (the server ignores the list): an error, cut short.
    let (r, n) =
        enumerate(Offer::Tls12, vec![0xc02f, 0xc030], |_| bytes(&server_hello(0x0303, 0xc02f, false, [1; 32])));
    assert_eq!((r.complete, r.found.len(), n), (false, 1, 2));
    assert_eq!(
        r.errors[0].text,
        "server answered version 1.2 suite TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 outside the offer"
    );
    assert_eq!(r.errors[0].attempt, "ciphers 1.2");
    // Another version than offered: an error.
    let (r, _) = enumerate(Offer::Tls12, vec![0xc014], |_| bytes(&server_hello(0x0302, 0xc014, false, [1; 32])));
    assert!(!r.complete && r.errors[0].text.starts_with("server answered version 1.1"));
    // Not TLS at all (xrdp's DPU): cut short, no suite.
    let (r, _) = enumerate(Offer::Tls12, vec![0xc014], |_| bytes(&DPU));
    assert!(!r.complete && r.found.is_empty());
    // A connection that cannot be opened: its error, cut short.
    let mut plan = CipherEnumeration::new(Offer::Tls11);
    assert!(plan.next_offer().is_some());
    plan.record(&Err(step_fail(Phase::Connect, ErrorKind::Refused, "connection refused".into(), "tls ciphers 1.1")));
    assert!(plan.next_offer().is_none());
    let r = plan.finish();
    assert!(!r.complete && r.errors.len() == 1);
}

#[test]
fn cipher_enumeration_is_bounded() {
    // A server that accepts whatever comes first, with more suites than the attempt limit.
    let many: Vec<u16> = (0x0100..0x0100 + 200).collect();
    let (r, n) = enumerate(Offer::Tls12, many, |h| {
        bytes(&server_hello(0x0303, h.cipher_suites.first().copied().unwrap_or(0), false, [3; 32]))
    });
    assert_eq!((n, r.found.len(), r.complete), (MAX_CIPHER_ATTEMPTS, MAX_CIPHER_ATTEMPTS, false));
}

// ---- Judging. ----

fn versions(v: &[(TlsVersion, bool)]) -> TlsReport {
    TlsReport { versions: v.iter().copied().collect(), ..TlsReport::default() }
}

#[test]
fn legacy_only_version_from_versions_or_raw_source() {
    use TlsVersion::*;
    assert_eq!(legacy_only_version(&versions(&[(Tls10, true), (Tls11, true), (Tls12, false)])), Some(Tls11));
    assert_eq!(legacy_only_version(&versions(&[(Tls10, true), (Tls12, true)])), None);
    assert_eq!(legacy_only_version(&versions(&[(Tls10, false)])), None);
    let raw = TlsReport { source: Some(TlsSource::Raw), version: Some(Tls10), ..TlsReport::default() };
    assert_eq!(legacy_only_version(&raw), Some(Tls10));
    let rustls = TlsReport { source: Some(TlsSource::Rustls), ..raw };
    assert_eq!(legacy_only_version(&rustls), None);
}

#[test]
fn judge_upgrade_failure_blames_us_only_for_legacy_servers() {
    let legacy = versions(&[(TlsVersion::Tls10, true), (TlsVersion::Tls12, false)]);
    let closed = NetError::new(Phase::Tls, NetErrorKind::Closed { received: 0 });
    let (ours, text) = judge_upgrade_failure(&closed, Some(&legacy));
    assert!(ours && text.starts_with("rdp-probe cannot complete a TLS 1.0 handshake"), "{text}");
    assert!(text.ends_with("in the tls section come from raw ClientHellos"), "{text}");
    assert_eq!(judge_upgrade_failure(&closed, None), (false, closed.kind.to_string()));
    // The server sent its refusal in clear: its failure, with the bytes.
    let dpu = NetError::new(Phase::Tls, NetErrorKind::NotTls { sent: DPU.to_vec(), text: "refused".into() });
    assert_eq!(judge_upgrade_failure(&dpu, Some(&legacy)), (false, "refused (server sent 0300000902f0802180)".into()));
    // A connect failure is never ours.
    let refused = NetError::new(Phase::Connect, NetErrorKind::Refused);
    assert!(!judge_upgrade_failure(&refused, Some(&legacy)).0);
    let lim =
        NetError::new(Phase::Tls, NetErrorKind::ClientLimitation { version: false, text: "rdp-probe cannot x".into() });
    assert_eq!(judge_upgrade_failure(&lim, None), (true, "rdp-probe cannot x".into()));
}

#[test]
fn judge_rustls_failure_with_the_raw_facts() {
    let failed = NetError::new(Phase::Tls, NetErrorKind::Tls("received fatal alert: HandshakeFailure".into()));
    // TLS 1.2 with a CBC suite rustls lacks: ours.
    let o = raw(Offer::Tls12, &bytes(&server_hello(0x0303, 0x002f, false, [5; 32])));
    let sh = o.flight.server_hello.unwrap();
    let e = judge_rustls_failure(&failed, &TlsReport::default(), Some(&sh)).unwrap();
    assert!(e.client_limitation && e.kind == ErrorKind::ClientLimitation && e.attempt == "rustls");
    assert!(e.text.contains("TLS_RSA_WITH_AES_128_CBC_SHA"), "{}", e.text);
    // TLS 1.2 with a suite rustls has: keep the error.
    let sh = raw(Offer::Tls12, &bytes(XRDP_TLS12)).flight.server_hello.unwrap();
    assert!(rustls_has_suite(sh.cipher_suite));
    assert_eq!(judge_rustls_failure(&failed, &TlsReport::default(), Some(&sh)), None);
    // The server sent bytes that are not TLS: never ours.
    let dpu = NetError::new(Phase::Tls, NetErrorKind::NotTls { sent: DPU.to_vec(), text: "x".into() });
    assert_eq!(judge_rustls_failure(&dpu, &versions(&[(TlsVersion::Tls10, true)]), None), None);
}

#[test]
fn handshake_errors_are_typed() {
    use std::io::{Error, ErrorKind as Io};
    let e = handshake_error(&Error::from(Io::UnexpectedEof), &[]);
    assert!(
        matches!(&e.kind, NetErrorKind::NotTls { sent, text } if sent.is_empty() && text == not_tls::CLOSED_AFTER_SELECTING_TLS)
    );
    let e = handshake_error(&Error::new(Io::InvalidData, "corrupt message"), &DPU);
    assert!(matches!(&e.kind, NetErrorKind::NotTls { sent, .. } if sent == &DPU));
    let alert = rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion);
    let e = handshake_error(&Error::new(Io::InvalidData, alert), &[0x15, 3, 3, 0, 2, 2, 70]);
    assert!(
        matches!(&e.kind, NetErrorKind::ClientLimitation { version: true, text } if text.starts_with("rdp-probe cannot"))
    );
    let e = handshake_error(&Error::new(Io::InvalidData, "bad"), &[0x16]);
    assert_eq!(e.kind, NetErrorKind::Tls("bad".into()));
    let e = handshake_error(&Error::from(Io::TimedOut), &[0x16]);
    assert_eq!(e.kind, NetErrorKind::Timeout);
}

fn att(req: u32, selected: Option<u32>) -> NegotiationAttempt {
    let answer = match selected {
        Some(p) => Answer::Selected {
            protocol: Protocol::from(p).name(),
            protocol_value: p,
            flags: vec![],
            flags_value: 0,
            requested: true,
        },
        None => Answer::Failure { code: "ssl_required_by_server".into(), code_value: 1 },
    };
    NegotiationAttempt {
        requested_value: req,
        requested: vec![],
        request_flags: 0,
        with_neg_req: true,
        answer,
        source_ref: None,
        ms: 0.0,
    }
}

#[test]
fn settled_request_waits_for_requests_that_could_come_first() {
    // xrdp negotiate: 0x0B selected ssl, 0x00 and 0x01 not answered yet: 0x01 may win.
    let full = att(0x0B, Some(1));
    assert_eq!(settled_request(&[&full], &[0, 1, 2, 4, 8, 0x10]), None);
    // 0x00 got rdp, 0x01 ssl: nothing unanswered can come before 0x01.
    let (rdp, ssl) = (att(0, Some(0)), att(1, Some(1)));
    assert_eq!(settled_request(&[&full, &rdp, &ssl], &[2, 4, 8, 0x10]), Some(1));
    // NLA required: 0x00 and 0x01 refused, 0x02 hybrid: the best known once 0x02 answered.
    let (hyb, r0, r1) = (att(0x0B, Some(2)), att(0, None), att(1, None));
    assert_eq!(settled_request(&[&hyb, &r0, &r1], &[2, 4, 8, 0x10]), None);
    let h2 = att(2, Some(2));
    assert_eq!(settled_request(&[&hyb, &r0, &r1, &h2], &[4, 8, 0x10]), Some(2));
    // The same order as the TLS step's own choice.
    let neg =
        NegotiationReport { attempts: vec![hyb.clone(), r0.clone(), r1.clone(), h2.clone()], ..Default::default() };
    assert_eq!(tls_requests(&neg).first(), Some(&2));
    // SSL-selected before CredSSP-selected, whatever the requested values.
    let neg = NegotiationReport { attempts: vec![att(0x0b, Some(8)), att(0x1b, Some(1))], ..Default::default() };
    assert_eq!(tls_requests(&neg), vec![0x1b, 0x0b]);
    // Nothing TLS-based selected: nothing to start.
    assert_eq!(settled_request(&[&r0, &r1], &[]), None);
}

#[test]
fn no_tls_path_reports_only_a_missing_certificate() {
    let nocert = Answer::Failure { code: "ssl_cert_not_on_server".into(), code_value: 3 };
    let neg = NegotiationReport {
        attempts: vec![NegotiationAttempt { answer: nocert, ..att(1, None) }, att(0, Some(0))],
        ..Default::default()
    };
    let e = no_tls_path(&neg).and_then(|t| t.error).unwrap();
    assert_eq!((e.phase, e.kind, e.attempt.as_str()), (Phase::ReadCc, ErrorKind::ServerRefused, "negotiation"));
    let neg = NegotiationReport { attempts: vec![att(1, None), att(0, Some(0))], ..Default::default() };
    assert_eq!(no_tls_path(&neg), None);
}

// ---- The whole section from replayed outcomes. ----

/// Version probes of a server from its captured answers, and the Direct Approach.
fn probes(answers: [&[u8]; 4]) -> (VersionOutcomes, TlsAttempt) {
    let v: Vec<_> = Offer::ALL.iter().zip(answers).map(|(v, b)| (*v, answer(*v, b))).collect();
    let dv = direct_approach_version(&v);
    let da = attempt_report(dv, None, false, &answer(dv, &DPU));
    (v, da)
}

/// A version whose ClientHello never left is listed among the attempts but not in `versions`:
/// the server was never asked.
#[test]
fn build_leaves_an_unsent_version_out() {
    let mut b = TlsBuild::default();
    let (mut v, da) = probes([LEGACY_TLS10, LEGACY_TLS11, LEGACY_TO_TLS12, LEGACY_TO_TLS13]);
    let unsent = replay(&mut RawAttempt::new(&hello(Offer::Tls10)), &[Event::WriteFails]).output;
    v[0].1 = Ok(unsent);
    assert_eq!(b.versions(v, da), [Offer::Tls11]);
    let tls = b.finish(1_800_000_000, "rdp-target.test");
    use TlsVersion::*;
    assert_eq!(tls.versions, [(Tls11, true), (Tls12, false), (Tls13, false)].into_iter().collect());
    assert_eq!(tls.version_attempts.len(), 4);
    let a = &tls.version_attempts[0];
    assert_eq!((a.offered, a.detail.as_deref()), (Tls10, Some("ClientHello not sent: connection reset by peer")));
}

#[test]
fn build_a_legacy_only_server_from_raw_facts() {
    // xrdp TLS 1.0/1.1 only: rustls is refused, the raw ClientHellos read everything.
    let mut b = TlsBuild::default();
    let refused = NetError::new(
        Phase::Tls,
        NetErrorKind::ClientLimitation {
            version: true,
            text: "rdp-probe cannot complete a TLS handshake below".into(),
        },
    );
    b.rustls(1, Err(refused), 0.0);
    assert!(!b.rustls_ok() && b.requested() == Some(1));
    b.raw_certificate(answer(Offer::Tls12, LEGACY_TO_TLS12));
    let (v, da) = probes([LEGACY_TLS10, LEGACY_TLS11, LEGACY_TO_TLS12, LEGACY_TO_TLS13]);
    let accepted = b.versions(v, da);
    assert_eq!(accepted, [Offer::Tls10, Offer::Tls11]);
    for v in accepted {
        let (r, _) = enumerate(v, vec![0xc014, 0x002f], prefers(v, &[0xc014]));
        b.ciphers(r);
    }
    let tls = b.finish(1_800_000_000, "rdp-target.test");
    assert_eq!((tls.source, tls.version), (Some(TlsSource::Raw), Some(TlsVersion::Tls11)));
    assert_eq!(tls.cipher_suite.as_deref(), Some("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"));
    use TlsVersion::*;
    assert_eq!(tls.versions, [(Tls10, true), (Tls11, true), (Tls12, false), (Tls13, false)].into_iter().collect());
    assert_eq!(tls.direct_approach.as_ref().map(|d| d.offered), Some(Tls11));
    let c = tls.certificate.as_ref().unwrap();
    assert_eq!(c.sha256, "870F003F4ACC2D0AF4953057C903FB6CC9AC224B2DE76D5807D2D7EA7CE7C50C");
    // The rustls failure is judged ours, in place; no step error since a version was read.
    let e = &tls.errors[0];
    assert!(e.client_limitation && e.text.starts_with("rdp-probe cannot complete a TLS 1.1 handshake"), "{e:?}");
    assert!(tls.error.is_none());
    assert_eq!(tls.ciphers[&Tls10].len(), 1);
    assert_eq!(tls.ciphers[&Tls10][0].weaknesses, vec!["cbc_sha1_tls10".to_string()]);
    assert_eq!(tls.cipher_enumeration_complete.get(&Tls11), Some(&true));
}

#[test]
fn build_a_server_that_cannot_use_its_key() {
    // xrdp badkey: every ClientHello gets the DPU in clear.
    let mut b = TlsBuild::default();
    let e = handshake_error(&std::io::Error::new(std::io::ErrorKind::InvalidData, "corrupt"), &DPU);
    b.rustls(1, Err(e), 0.0);
    b.raw_certificate(answer(Offer::Tls12, XRDP_BADKEY));
    let (v, da) = probes([XRDP_BADKEY; 4]);
    assert!(b.versions(v, da).is_empty());
    let tls = b.finish(0, "h");
    let e = tls.error.as_ref().unwrap();
    assert_eq!(
        (e.kind, e.attempt.as_str(), e.server_sent.as_deref()),
        (ErrorKind::NotTls, "rustls", Some("0300000902f0802180"))
    );
    assert!(!e.client_limitation);
    assert_eq!(tls.errors[1].attempt, "raw certificate");
    assert!(tls
        .version_attempts
        .iter()
        .all(|a| !a.accepted && a.detail.as_deref().is_some_and(|d| d.starts_with("not TLS: 0300000902f0802180"))));
    assert!(tls.certificate.is_none() && tls.versions.values().all(|a| !a));
}

#[test]
fn build_a_modern_server_and_a_failed_connection() {
    let mut b = TlsBuild::default();
    let facts = HandshakeFacts {
        version: Some(TlsVersion::Tls13),
        cipher_suite: Some("TLS_AES_256_GCM_SHA384".into()),
        ..Default::default()
    };
    b.rustls(0x0b, Ok(facts), 12.5);
    assert_eq!(b.negotiated_offerable(), [Offer::Tls13]);
    let (v, da) = probes([XRDP_TLS10_REFUSED, XRDP_TLS10_REFUSED, XRDP_TLS12, XRDP_TLS13]);
    assert_eq!(b.versions(v, da), [Offer::Tls12, Offer::Tls13]);
    let tls = b.finish(0, "h");
    assert_eq!(
        (tls.source, tls.handshake_ms, tls.requested_protocols),
        (Some(TlsSource::Rustls), Some(12.5), Some(0x0b))
    );
    assert!(tls.error.is_none() && tls.errors.is_empty());
    // The certificate comes from the version probes when rustls had none.
    assert_eq!(tls.chain.len(), 1);
    // No request could be opened: the first failure is the step's error.
    let mut b = TlsBuild::default();
    b.open_failed(step_fail(Phase::Connect, ErrorKind::Refused, "connection refused".into(), "tls rustls"));
    let tls = b.no_connection();
    assert_eq!(tls.error.map(|e| e.kind), Some(ErrorKind::Refused));
    assert_eq!(tls.requested_protocols, None);
}

#[cfg(feature = "serde")]
#[test]
fn typed_fields_keep_their_json_spelling() {
    use TlsVersion::*;
    let mut t = versions(&[(Tls10, false), (Tls13, true), (Tls12, true)]);
    t.version = Some(Tls13);
    t.source = Some(TlsSource::Raw);
    let j = serde_json::to_value(&t).unwrap();
    assert_eq!(j["version"], "1.3");
    assert_eq!(j["source"], "raw");
    assert_eq!(serde_json::to_string(&j["versions"]).unwrap(), r#"{"1.0":false,"1.2":true,"1.3":true}"#);
    let back: TlsReport = serde_json::from_value(j).unwrap();
    assert_eq!(back, t);
    for (v, s) in [(Ssl3, "ssl3"), (Ssl2, "ssl2"), (Unknown(0x7f1c), "unknown_0x7f1c"), (Tls11, "1.1")] {
        assert_eq!(v.to_string(), s);
        assert_eq!(s.parse::<TlsVersion>(), Ok(v));
        assert_eq!(TlsVersion::from_wire(v.wire()), v);
    }
    assert!("TLSv1.2".parse::<TlsVersion>().is_err());
    assert_eq!(serde_json::to_string(&CipherGrade::Acceptable).unwrap(), r#""acceptable""#);
}

#[test]
fn certificate_dates_are_times_spelled_rfc3339() {
    use crate::report::tls::Timestamp;
    for ts in [0_i64, 951_782_400, 1_700_000_000, 1_867_795_473, 4_102_444_800, -86_400, 253_402_300_799] {
        assert_eq!(Timestamp(ts).to_string().parse::<Timestamp>(), Ok(Timestamp(ts)), "{ts}");
    }
    assert_eq!("2029-03-04T00:04:33Z".parse::<Timestamp>().map(Timestamp::unix), Ok(1_867_277_073));
    for bad in ["2029-13-04T00:04:33Z", "2029-03-04 00:04:33", "", "2029-03-04T00:04:33+01:00"] {
        assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
    }
    // From a captured certificate, and absent (an unparsable one) as the empty string in JSON.
    let o = raw(Offer::Tls12, &bytes(XRDP_CHAIN12));
    let c = crate::steps::tls_cert::certificate_report(&o.flight.certificates[0], 0, None);
    assert!(c.not_before.zip(c.not_after).is_some_and(|(b, a)| b < a));
    #[cfg(feature = "serde")]
    {
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["not_after"], c.not_after.unwrap().to_string());
        let back: crate::report::tls::CertificateReport = serde_json::from_value(j).unwrap();
        assert_eq!(back, c);
        let none = crate::steps::tls_cert::certificate_report(b"junk", 0, None);
        let j = serde_json::to_value(&none).unwrap();
        assert_eq!((&j["not_before"], &j["not_after"]), (&serde_json::json!(""), &serde_json::json!("")));
        let back: crate::report::tls::CertificateReport = serde_json::from_value(j).unwrap();
        assert_eq!(back.not_after, None);
    }
}
