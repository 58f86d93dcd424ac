//! Replays of the CredSSP machine: captured FreeRDP answers (shadow /sec:nla, negotiate,
//! tls+nla), the MS-NLMP 4.2 and MS-CSSP 4 spec messages, every prefix of each, and a test-side
//! NTLM server (our own crypto) for the logon: right and wrong pubKeyAuth, each errorCode, a
//! close, silence.

use super::*;
use crate::steps::machine::{replay, Event};

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The three captured FreeRDP shadow servers: (name, our first TSRequest as xfreerdp sent it,
/// the server's TSRequest, the CHALLENGE inside it).
const SHADOWS: [&str; 3] = ["shadow-nla", "shadow-negotiate", "shadow-tls-nla"];

fn server_ts(shadow: &str) -> Vec<u8> {
    vector(&format!("{shadow}-credssp-tsrequest-server.bin"))
}

/// The CHALLENGE's timestamp as Unix seconds (the fixed clock reads this minus 2.5 s).
fn challenge_time(ts: &[u8]) -> f64 {
    let t = TsRequest::decode(ts).unwrap();
    let c = ChallengeMessage::decode(&t.nego_tokens[0]).unwrap();
    c.timestamp().map(ntlm::filetime_to_unix).unwrap_or(1_700_000_000.0)
}

fn clock_at(t: f64) -> Box<dyn FnMut() -> f64 + Send> {
    Box::new(move || t)
}

const DOMAIN: &str = "LAB";
const USER: &str = "alice";
const PASSWORD: &str = "correct horse";
/// A stand-in SubjectPublicKey (an RSA key's DER, in shape): pubKeyAuth binds whatever bytes.
fn server_key() -> Vec<u8> {
    let mut k = vec![0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00];
    k.extend((0..=255u8).map(|b| b.wrapping_mul(37)));
    k.extend_from_slice(&[0x02, 0x03, 0x01, 0x00, 0x01]);
    k
}

fn secrets() -> Secrets {
    Secrets { random: AuthRandom { client_challenge: [0xaa; 8], session_key: [0x55; 16] }, nonce: [0x42; 32] }
}

fn logon(password: &str) -> Logon {
    Logon {
        credentials: Credentials { domain: DOMAIN.into(), user: USER.into(), password: password.into() },
        server_key: Some(server_key()),
        secrets: Ok(secrets()),
        delegate: false,
    }
}

fn run(logon: Option<Logon>, clock: f64, script: &[Event]) -> (Vec<Vec<u8>>, Outcome) {
    let r = replay(&mut Credssp::new(logon, clock_at(clock)), script);
    (r.sent, r.output)
}

fn nla_of(out: &Outcome) -> NlaReport {
    let mut r = NlaReport::default();
    report(out, false, &mut r);
    r
}

// ---- Without credentials: the challenge facts. ----

#[test]
fn plan_from_answers() {
    let mut n = NegotiationReport::default();
    assert_eq!(plan(&n), None);
    n.protocols.insert(Protocol::Hybrid, crate::report::ProtocolVerdict::Accepted);
    assert_eq!(plan(&n), Some(SecurityProtocols(3)));
    n.selected = Some(Protocol::HybridEx);
    assert_eq!(plan(&n), Some(SecurityProtocols(0x0B)));
    assert!(new_report(&n, SecurityProtocols(0x0B)).hybrid_ex);
    let mut n = NegotiationReport::default();
    n.protocols.insert(
        Protocol::Hybrid,
        crate::report::ProtocolVerdict::Refused(crate::wire::x224::FailureCode::HybridRequiredByServer),
    );
    n.selected = Some(Protocol::Ssl);
    assert_eq!(plan(&n), None);
}

/// The X.224 answer before CredSSP: the protocol selected (any, checked by `require_credssp`) or
/// the step's error, one per kind of answer.
#[test]
fn credssp_selection_from_the_x224_answer() {
    use crate::wire::x224::{ConnectionConfirm, FailureCode, NegRspFlags, NegotiationResponse, TpduHeader};
    let header = TpduHeader { li: 14, code: 0xd0, dst_ref: 0, src_ref: 0, class_option: 0 };
    let cc = |negotiation| ServerAnswer::Confirm(ConnectionConfirm { header, negotiation });
    let rsp = |p| cc(Some(NegotiationResponse::Response { flags: NegRspFlags(0), selected_protocol: p }));
    assert_eq!(selected_credssp(&rsp(Protocol::HybridEx)).unwrap(), Protocol::HybridEx);
    assert_eq!(selected_credssp(&rsp(Protocol::Ssl)).unwrap(), Protocol::Ssl);
    let e = require_credssp(Protocol::Ssl).unwrap_err();
    assert_eq!(
        (e.phase, e.kind, e.text.as_str()),
        (Phase::ReadCc, ErrorKind::Other, "server selected ssl instead of CredSSP")
    );
    assert!(require_credssp(Protocol::Hybrid).is_ok());
    let text = |a: &ServerAnswer| selected_credssp(a).map_err(|e| (e.kind, e.text)).unwrap_err();
    let refused = cc(Some(NegotiationResponse::Failure { flags: 0, code: FailureCode::SslNotAllowedByServer }));
    assert_eq!(text(&refused), (ErrorKind::ServerRefused, "server refused CredSSP: ssl_not_allowed_by_server".into()));
    let none = (ErrorKind::Other, "server answered without selecting a protocol".to_string());
    assert_eq!(text(&cc(None)), none);
    assert_eq!(text(&cc(Some(NegotiationResponse::Unknown { ty: 9, raw: vec![9] }))), none);
    let not_cc = (ErrorKind::Other, "server did not confirm the connection".to_string());
    assert_eq!(text(&ServerAnswer::Disconnect { src_ref: 0, reason: 0 }), not_cc);
    assert_eq!(text(&ServerAnswer::Data { user_data: vec![0x21, 0x80] }), not_cc);
}

#[test]
fn negotiate_is_byte_identical_to_xfreerdps() {
    for shadow in SHADOWS {
        let ts = server_ts(shadow);
        let (sent, _) = run(None, 0.0, &[Event::Bytes(ts)]);
        assert_eq!(sent, vec![vector(&format!("{shadow}-credssp-tsrequest-client-negotiate.bin"))], "{shadow}");
    }
}

#[test]
fn captured_challenges_give_the_identity() {
    for shadow in SHADOWS {
        let ts = server_ts(shadow);
        let now = challenge_time(&ts) - 2.5;
        let (sent, out) = run(None, now, &[Event::Bytes(ts)]);
        assert_eq!(sent.len(), 1, "{shadow}: no AUTHENTICATE without credentials");
        assert_eq!(out.failure, None, "{shadow}");
        assert_eq!(out.attempt, None, "{shadow}");
        let c = out.challenge.as_ref().unwrap();
        assert_eq!((c.version, c.error_code), (6, None), "{shadow}");
        let r = nla_of(&out);
        assert_eq!(r.credssp_version, Some(6));
        assert_eq!(r.cve_2018_0886_fixed, Some(true));
        let n = r.ntlm.unwrap();
        assert_eq!(n.product_version.as_deref(), Some("6.1.7601"), "{shadow}");
        assert_eq!(n.clock_skew_s, Some(2.5), "{shadow}");
        assert!(n.netbios_computer.is_some(), "{shadow}");
        assert_eq!(r.error, None);
        assert_eq!(r.auth, None);
    }
    // The shadow /sec:nla server's names, as the live test sees them.
    let (_, out) = run(None, 0.0, &[Event::Bytes(server_ts("shadow-nla"))]);
    assert_eq!(nla_of(&out).ntlm.unwrap().netbios_computer.as_deref(), Some("RDP-SHADOW-NLA"));
}

/// The spec's CHALLENGE_MESSAGEs (MS-NLMP 4.2.2.3 NTLMv1, 4.2.4.3 NTLMv2) in a TSRequest of
/// `version`.
fn spec_server_ts(file: &str, version: u32) -> Vec<u8> {
    TsRequest { version, nego_tokens: vec![vector(&format!("windows-spec/{file}"))], ..Default::default() }.encode()
}

#[test]
fn spec_challenges() {
    for (file, pairs) in
        [("nlmp-4.2.2.3-ntlmv1-challenge-message.bin", 0), ("nlmp-4.2.4.3-ntlmv2-challenge-message.bin", 2)]
    {
        let (_, out) = run(None, 0.0, &[Event::Bytes(spec_server_ts(file, 3))]);
        let r = nla_of(&out);
        assert_eq!(r.error, None, "{file}");
        assert_eq!((r.credssp_version, r.cve_2018_0886_fixed), (Some(3), Some(false)));
        let n = r.ntlm.unwrap();
        assert_eq!(n.target_name, "Server", "{file}");
        assert_eq!(n.product_version.as_deref(), Some("6.0.6000"), "{file}");
        assert_eq!(n.av_pairs.len(), pairs, "{file}");
        assert_eq!(n.server_time, None, "{file}: no timestamp, no clock skew");
    }
}

#[test]
fn any_cut_of_the_stream_reads_the_same() {
    let ts = server_ts("shadow-nla");
    let whole = run(None, 1.0, &[Event::Bytes(ts.clone())]).1;
    let pieces: Vec<Event> = ts.iter().map(|b| Event::Bytes(vec![*b])).collect();
    assert_eq!(run(None, 1.0, &pieces).1, whole);
    // Bytes after the TSRequest are not read into it.
    let mut more = ts;
    more.extend_from_slice(&[0x30, 0x03, 0xa0]);
    assert_eq!(run(None, 1.0, &[Event::Bytes(more)]).1, whole);
}

fn net_failure(out: &Outcome) -> &NetError {
    match &out.failure {
        Some(Failure::Net(e)) => e,
        other => panic!("expected a network failure, got {other:?}"),
    }
}

#[test]
fn every_prefix_of_each_first_answer() {
    let mut answers: Vec<Vec<u8>> = SHADOWS.iter().map(|s| server_ts(s)).collect();
    answers.push(spec_server_ts("nlmp-4.2.4.3-ntlmv2-challenge-message.bin", 2));
    answers.push(vector("windows-spec/cssp-4-tsrequest-authinfo-sample.bin"));
    for (i, a) in answers.iter().enumerate() {
        for cut in 0..a.len() {
            for (end, with_logon) in [(Event::Close, false), (Event::Silence, true)] {
                let l = with_logon.then(|| logon(PASSWORD));
                let (sent, out) = run(l, 0.0, &[Event::Bytes(a[..cut].to_vec()), end.clone()]);
                assert_eq!(sent.len(), 1, "answer {i} cut {cut}");
                let e = net_failure(&out);
                assert_eq!(e.phase, Phase::Nla, "answer {i} cut {cut}");
                match end {
                    Event::Close => assert!(matches!(e.kind, NetErrorKind::Closed { received } if received == cut)),
                    _ => assert_eq!(e.kind, NetErrorKind::Timeout, "answer {i} cut {cut}"),
                }
                assert_eq!(out.attempt, None);
                let r = nla_of(&out);
                assert_eq!(
                    r.error.map(|e| e.kind),
                    Some(if end == Event::Close { ErrorKind::Closed } else { ErrorKind::Timeout })
                );
            }
        }
    }
}

#[test]
fn hostile_first_answers() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not DER (a TLS alert)", vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]),
        ("4 GiB length", vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0xa0]),
        ("indefinite length", vec![0x30, 0x80, 0xa0, 0x03, 0x02, 0x01, 0x06, 0, 0]),
        ("127 length octets", vec![0x30, 0xff, 0x01, 0x02, 0x03]),
    ];
    for (what, b) in cases {
        let (_, out) = run(Some(logon(PASSWORD)), 0.0, &[Event::Bytes(b)]);
        assert!(matches!(net_failure(&out).kind, NetErrorKind::Decode(_)), "{what}: {out:?}");
        assert_eq!(nla_of(&out).error.unwrap().kind, ErrorKind::Decode, "{what}");
    }
    // Frames that are whole DER but not a usable TSRequest: a clean decode failure.
    let inner_gib = vec![
        0x30, 0x15, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x0e, 0x30, 0x0c, 0x30, 0x0a, 0xa0, 0x08, 0x04, 0x84, 0x40,
        0x00, 0x00, 0x00, b'N', b'T',
    ];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("inner length of 1 GiB", inner_gib),
        (
            "TSCredentials (MS-CSSP 4 sample), not a TSRequest",
            vector("windows-spec/cssp-4-tsrequest-authinfo-sample.bin"),
        ),
        ("no version", vec![0x30, 0x00]),
        (
            "garbage negoToken",
            TsRequest { version: 6, nego_tokens: vec![b"NTLMSSP\0junk".to_vec()], ..Default::default() }.encode(),
        ),
        (
            "a NEGOTIATE echoed back",
            TsRequest { version: 6, nego_tokens: vec![NegotiateMessage::default().encode()], ..Default::default() }
                .encode(),
        ),
    ];
    for (what, b) in cases {
        let (sent, out) = run(Some(logon(PASSWORD)), 0.0, &[Event::Bytes(b)]);
        assert_eq!(sent.len(), 1, "{what}: nothing more is sent");
        assert!(matches!(out.failure, Some(Failure::Decode(_))), "{what}: {out:?}");
        let r = nla_of(&out);
        assert_eq!((r.error.as_ref().unwrap().kind, r.error.as_ref().unwrap().phase), (ErrorKind::Decode, Phase::Nla));
        assert_eq!(r.auth, None, "{what}");
    }
}

#[test]
fn error_code_instead_of_a_challenge() {
    // A server that refuses right away (e.g. the CredSSP encryption oracle policy): the NTSTATUS
    // is kept, and the step reports that no CHALLENGE came.
    let b = TsRequest { version: 6, error_code: Some(0x8009_0302), ..Default::default() }.encode();
    let (_, out) = run(Some(logon(PASSWORD)), 0.0, &[Event::Bytes(b)]);
    assert_eq!(out.failure, Some(Failure::NoChallenge));
    let r = nla_of(&out);
    assert_eq!(r.error_code, Some(0x8009_0302));
    assert_eq!(r.ntstatus.as_deref(), Some("SEC_E_UNSUPPORTED_FUNCTION"));
    let e = r.error.unwrap();
    assert_eq!((e.phase, e.kind), (Phase::Nla, ErrorKind::Other));
    assert!(e.text.contains("no negoToken"), "{}", e.text);
    assert_eq!(r.auth, None, "no logon was tried");
}

// ---- With credentials: a test-side NTLM server. ----

/// Payload field `n` (0 LM, 1 NT, 2 domain, 3 user, 4 workstation, 5 session key) of an
/// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
fn field(m: &[u8], n: usize) -> &[u8] {
    let h = 12 + n * 8;
    let len = u16::from_le_bytes([m[h], m[h + 1]]) as usize;
    let off = u32::from_le_bytes([m[h + 4], m[h + 5], m[h + 6], m[h + 7]]) as usize;
    &m[off..off + len]
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// What the server derives from our AUTHENTICATE + pubKeyAuth (MS-NLMP 3.2.5.1.2, MS-CSSP
/// 3.1.5), checked as a real server would: the NTLMv2 proof with the password it knows, the
/// MIC, and our sealed pubKeyAuth.
struct ServerView {
    version: u32,
    nonce: Vec<u8>,
    exported: [u8; 16],
    flags: ntlm::NegotiateFlags,
}

fn server_checks(negotiate: &[u8], server_ts: &[u8], client_ts: &[u8], password: &str) -> Option<ServerView> {
    let first = TsRequest::decode(server_ts).unwrap();
    let challenge_bytes = &first.nego_tokens[0];
    let challenge = ChallengeMessage::decode(challenge_bytes).unwrap();
    let ts = TsRequest::decode(client_ts).unwrap();
    let m = &ts.nego_tokens[0];
    assert_eq!(&m[..8], b"NTLMSSP\0");
    assert_eq!(u32::from_le_bytes(m[8..12].try_into().unwrap()), 3, "AUTHENTICATE_MESSAGE");
    assert_eq!(field(m, 2), utf16(DOMAIN));
    assert_eq!(field(m, 3), utf16(USER));
    let flags = ntlm::NegotiateFlags(u32::from_le_bytes(m[60..64].try_into().unwrap()));
    let nt = field(m, 1);
    let key = ntlm::ntowfv2(password, USER, DOMAIN);
    let proof = ntlm::hmac_md5(&key, &[&challenge.server_challenge, &nt[16..]]);
    if proof[..] != nt[..16] {
        return None; // wrong password
    }
    let base = ntlm::hmac_md5(&key, &[&proof]);
    let mut exported = base;
    if flags.contains(ntlm::NegotiateFlags::KEY_EXCH) {
        exported.copy_from_slice(field(m, 5));
        ntlm::rc4(&base, &mut exported);
    }
    if challenge.timestamp().is_some() {
        let mut zeroed = m.clone();
        zeroed[72..88].fill(0);
        let mic = ntlm::hmac_md5(&exported, &[negotiate, challenge_bytes, &zeroed]);
        assert_eq!(mic[..], m[72..88], "MIC");
    }
    let version = first.version.clamp(2, 6);
    let nonce = ts.client_nonce.clone().unwrap_or_default();
    assert_eq!(ts.client_nonce.is_some(), version >= 5, "clientNonce only from version 5");
    let pka = ts.pub_key_auth.as_ref().unwrap();
    let mut from_client = SealingState::new(&exported, flags, true);
    let plain = from_client.unseal(&pka[..16], &pka[16..]).expect("our pubKeyAuth signature verifies");
    assert_eq!(plain, credssp::client_pub_key_auth(version, &nonce, &server_key()));
    Some(ServerView { version, nonce, exported, flags })
}

/// The server's pubKeyAuth answer: sealing `value(view)` (the right one binds our TLS key).
fn pub_key_auth_answer(view: &ServerView, value: &[u8]) -> Vec<u8> {
    let mut to_client = SealingState::new(&view.exported, view.flags, false);
    let (sig, sealed) = to_client.seal(value);
    let mut pka = sig.to_vec();
    pka.extend_from_slice(&sealed);
    TsRequest { version: view.version.max(2), pub_key_auth: Some(pka), ..Default::default() }.encode()
}

fn error_answer(code: u32) -> Vec<u8> {
    TsRequest { version: 6, error_code: Some(code), ..Default::default() }.encode()
}

/// Our AUTHENTICATE TSRequest to `first` (the machine is deterministic: clock and secrets fixed).
fn authenticate_for(first: &[u8], password: &str) -> Vec<u8> {
    let (sent, out) = run(Some(logon(password)), 1_700_000_000.0, &[Event::Bytes(first.to_vec()), Event::Silence]);
    assert_eq!(sent.len(), 2, "{out:?}");
    sent[1].clone()
}

/// The server answers that prove the logon, for a first answer `first`: (right pubKeyAuth,
/// pubKeyAuth over another key).
fn proofs(first: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let negotiate = NegotiateMessage::default().encode();
    let auth = authenticate_for(first, PASSWORD);
    let view = server_checks(&negotiate, first, &auth, PASSWORD).expect("the right password verifies");
    let right = credssp::expected_server_pub_key_auth(view.version, &view.nonce, &server_key());
    let mut other_key = server_key();
    other_key[20] ^= 0xff;
    let wrong = credssp::expected_server_pub_key_auth(view.version, &view.nonce, &other_key);
    (pub_key_auth_answer(&view, &right), pub_key_auth_answer(&view, &wrong))
}

fn logon_run(first: &[u8], answer: &[Event]) -> (Vec<Vec<u8>>, Outcome) {
    let mut script = vec![Event::Bytes(first.to_vec())];
    script.extend_from_slice(answer);
    run(Some(logon(PASSWORD)), 1_700_000_000.0, &script)
}

fn auth_of(out: &Outcome) -> (AuthReport, Option<NlaError>) {
    let r = nla_of(out);
    (r.auth.expect("an auth section"), r.error)
}

/// First answers the logon is tried against: the three FreeRDP captures (v6, timestamp, MIC) and
/// the spec's NTLMv2 challenge in TSRequests of versions 2, 3, 4 (no nonce) and 5.
fn first_answers() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = SHADOWS.iter().map(|s| (s.to_string(), server_ts(s))).collect();
    for version in [2, 3, 4, 5] {
        v.push((format!("spec v{version}"), spec_server_ts("nlmp-4.2.4.3-ntlmv2-challenge-message.bin", version)));
    }
    v
}

#[test]
fn logon_accepted_with_the_servers_proof() {
    for (name, first) in first_answers() {
        let (right, _) = proofs(&first);
        let (sent, out) = logon_run(&first, &[Event::Bytes(right)]);
        assert_eq!(sent.len(), 2, "{name}");
        let a = out.attempt.as_ref().unwrap();
        assert_eq!(a.answer, Ok(LogonAnswer::Verified), "{name}");
        let (auth, err) = auth_of(&out);
        assert_eq!(err, None, "{name}");
        assert!(auth.accepted && auth.server_key_verified, "{name}");
        assert_eq!((auth.status.clone(), auth.status_detail.clone()), (AuthStatus::Accepted, None));
        assert_eq!(auth.user, "LAB\\alice");
        assert_eq!(auth.authorization, None);
        assert!(!auth.credentials_delegated);
        // With --authz: noted as not implemented, nothing more is sent.
        let mut r = NlaReport::default();
        report(&out, true, &mut r);
        assert_eq!(r.auth.unwrap().authorization.as_deref(), Some(AUTHZ_NOT_CHECKED));
    }
}

/// With delegation (the session step, `--delegate-credentials`), a verified logon is followed
/// by TSCredentials sealed with the next client sequence number; nothing is sent without a
/// verified server proof.
#[test]
fn delegation_sends_ts_credentials_after_a_verified_logon() {
    for (name, first) in first_answers() {
        let (right, wrong) = proofs(&first);
        let delegating = || Logon { delegate: true, ..logon(PASSWORD) };
        let (sent, out) = run(Some(delegating()), 1_700_000_000.0, &[Event::Bytes(first.clone()), Event::Bytes(right)]);
        assert_eq!(sent.len(), 3, "{name}");
        assert!(out.delegated, "{name}");
        assert_eq!(out.attempt.as_ref().unwrap().answer, Ok(LogonAnswer::Verified));
        let negotiate = NegotiateMessage::default().encode();
        let view = server_checks(&negotiate, &first, &sent[1], PASSWORD).unwrap();
        let ts = TsRequest::decode(&sent[2]).unwrap();
        let auth_info = ts.auth_info.unwrap();
        let mut from_client = SealingState::new(&view.exported, view.flags, true);
        let pka = TsRequest::decode(&sent[1]).unwrap().pub_key_auth.unwrap();
        from_client.unseal(&pka[..16], &pka[16..]).unwrap();
        let creds = from_client.unseal(&auth_info[..16], &auth_info[16..]).expect("sequence 1 verifies");
        assert_eq!(creds, credssp::encode_ts_credentials(DOMAIN, USER, PASSWORD));
        // a key mismatch: no TSCredentials
        let (sent, out) = run(Some(delegating()), 1_700_000_000.0, &[Event::Bytes(first.clone()), Event::Bytes(wrong)]);
        assert_eq!(sent.len(), 2, "{name}");
        assert!(!out.delegated);
    }
}

#[test]
fn credssp_version_of_the_logon() {
    for (name, first) in first_answers() {
        let (right, _) = proofs(&first);
        let (_, out) = logon_run(&first, &[Event::Bytes(right)]);
        let want = TsRequest::decode(&first).unwrap().version.clamp(2, 6);
        assert_eq!(auth_of(&out).0.credssp_version, want, "{name}");
    }
}

#[test]
fn logon_with_a_pub_key_auth_over_another_key() {
    for (name, first) in first_answers() {
        let (_, wrong) = proofs(&first);
        let (_, out) = logon_run(&first, &[Event::Bytes(wrong)]);
        let (auth, err) = auth_of(&out);
        assert_eq!(err, None, "{name}");
        // Still accepted (the server sealed with our session key), and an == Accepted check
        // sees it; the detail says what is wrong.
        assert!(auth.accepted && !auth.server_key_verified, "{name}");
        assert_eq!(auth.status, AuthStatus::Accepted);
        assert_eq!(auth.status_text(), "accepted (server pubKeyAuth does not match the TLS key)");
        assert!(auth.remedy.as_deref().unwrap().contains("TLS-intercepting"));
    }
}

#[test]
fn wrong_password_fails_the_servers_check() {
    let first = server_ts("shadow-nla");
    let negotiate = NegotiateMessage::default().encode();
    let auth = authenticate_for(&first, "wrong-password");
    assert!(server_checks(&negotiate, &first, &auth, PASSWORD).is_none());
}

#[test]
fn logon_refusals_by_error_code() {
    let first = server_ts("shadow-nla");
    for (code, status, text) in [
        (0xC000_006D, AuthStatus::WrongPasswordOrUnknownUser, "wrong_password_or_unknown_user"),
        (0xC000_006A, AuthStatus::WrongPassword, "wrong_password"),
        (0xC000_0064, AuthStatus::UnknownUser, "unknown_user"),
        (0xC000_0234, AuthStatus::AccountLocked, "account_locked"),
        (0xC000_015B, AuthStatus::LogonTypeNotGranted, "logon_type_not_granted"),
        (0xC000_0072, AuthStatus::AccountDisabled, "account_disabled"),
        (0xC000_0224, AuthStatus::PasswordMustChange, "password_must_change"),
        (0x8009_030C, AuthStatus::LogonDenied, "logon_denied"),
        (0xC000_1234, AuthStatus::Refused, "refused (0xc0001234)"),
    ] {
        let (_, out) = logon_run(&first, &[Event::Bytes(error_answer(code))]);
        let (auth, err) = auth_of(&out);
        assert_eq!(err, None, "{code:#x}");
        assert!(!auth.accepted);
        assert_eq!(auth.status, status, "{code:#x}");
        assert!(auth.status.is_refusal());
        assert_eq!(auth.status_text(), text);
        assert_eq!(auth.error_code, Some(code));
        assert_eq!(auth.ntstatus, Some(credssp::ntstatus_name(code)));
        assert_eq!(auth.remedy.is_some(), status != AuthStatus::Refused, "{code:#x}");
    }
    // errorCode 0 is no refusal: the answer must then carry pubKeyAuth.
    let (_, out) = logon_run(&first, &[Event::Bytes(error_answer(0))]);
    let (auth, err) = auth_of(&out);
    assert_eq!(auth.status, AuthStatus::Error);
    assert!(err.unwrap().text.contains("neither pubKeyAuth nor errorCode"));
}

#[test]
fn every_ntstatus_has_a_named_status() {
    for code in [
        0xC000_006D,
        0xC000_006A,
        0xC000_0064,
        0xC000_0234,
        0xC000_0072,
        0xC000_0193,
        0xC000_0071,
        0xC000_0224,
        0xC000_006F,
        0xC000_0070,
        0xC000_015B,
        0xC000_006E,
        0xC000_0413,
        0xC000_005E,
        0xC000_018D,
        0xC000_0022,
        0xC000_0133,
        0x8009_0302,
        0x8009_030C,
        0x8009_0308,
        0x8009_0311,
        0x8009_0322,
    ] {
        let info = credssp::ntstatus(code).unwrap();
        let s = AuthStatus::parse(info.status);
        assert!(!matches!(s, AuthStatus::Other(_)), "{}", info.status);
        assert_eq!(s.as_str(), info.status);
    }
}

#[test]
fn logon_closed_silence_and_every_prefix() {
    let first = server_ts("shadow-nla");
    let (right, wrong) = proofs(&first);
    // A close right after AUTHENTICATE: how FreeRDP refuses.
    let (_, out) = logon_run(&first, &[Event::Close]);
    let (auth, err) = auth_of(&out);
    assert_eq!((auth.status.clone(), err), (AuthStatus::ServerClosed, None));
    assert_eq!(auth.status_text(), "rejected (server closed the connection)");
    assert!(!auth.accepted && auth.remedy.is_some());
    // AUTHENTICATE never left (the connection was reset before our write): the server did not
    // see the credentials, so no refusal is read into its close.
    let (sent, out) = logon_run(&first, &[Event::WriteFails]);
    assert_eq!(sent.len(), 1, "only NEGOTIATE went out");
    let (auth, err) = auth_of(&out);
    assert_eq!(auth.status, AuthStatus::Error);
    let err = err.expect("the step's error");
    assert_eq!((err.phase, err.kind), (Phase::Nla, ErrorKind::Reset));
    // Silence: the check did not complete.
    let (_, out) = logon_run(&first, &[Event::Silence]);
    let (auth, err) = auth_of(&out);
    assert_eq!(auth.status, AuthStatus::Error);
    let err = err.unwrap();
    assert_eq!((err.phase, err.kind), (Phase::Nla, ErrorKind::Timeout));
    // Every prefix of every answer, then a close or silence: never a panic, never accepted.
    for answer in [right, wrong, error_answer(0xC000_006D)] {
        for cut in 0..answer.len() {
            let part = Event::Bytes(answer[..cut].to_vec());
            let (_, out) = logon_run(&first, &[part.clone(), Event::Close]);
            assert_eq!(auth_of(&out).0.status, AuthStatus::ServerClosed, "cut {cut}");
            let (_, out) = logon_run(&first, &[part, Event::Silence]);
            let (auth, err) = auth_of(&out);
            assert!(!auth.accepted, "cut {cut}");
            assert_eq!(err.unwrap().kind, ErrorKind::Timeout, "cut {cut}");
        }
    }
}

#[test]
fn logon_hostile_answers() {
    let first = server_ts("shadow-nla");
    let (right, _) = proofs(&first);
    let mut bad_sig = TsRequest::decode(&right).unwrap();
    bad_sig.pub_key_auth.as_mut().unwrap()[6] ^= 1;
    let mut bad_body = TsRequest::decode(&right).unwrap();
    bad_body.pub_key_auth.as_mut().unwrap()[20] ^= 1;
    let pka = |b: Vec<u8>| TsRequest { version: 6, pub_key_auth: Some(b), ..Default::default() }.encode();
    for (what, b, kind) in [
        ("flipped signature", bad_sig.encode(), ErrorKind::Other),
        ("flipped sealed byte", bad_body.encode(), ErrorKind::Other),
        ("empty pubKeyAuth", pka(vec![]), ErrorKind::Other),
        ("short pubKeyAuth", pka(vec![1, 0, 0, 0, 9]), ErrorKind::Other),
        ("random pubKeyAuth", pka((0..48).collect()), ErrorKind::Other),
        ("no pubKeyAuth", TsRequest { version: 6, ..Default::default() }.encode(), ErrorKind::Other),
        ("not DER", b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec(), ErrorKind::Decode),
        ("huge length", vec![0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0xa0], ErrorKind::Decode),
        ("TSCredentials", vector("windows-spec/cssp-4-tsrequest-authinfo-sample.bin"), ErrorKind::Decode),
    ] {
        let (sent, out) = logon_run(&first, &[Event::Bytes(b)]);
        assert_eq!(sent.len(), 2, "{what}");
        let (auth, err) = auth_of(&out);
        assert_eq!(auth.status, AuthStatus::Error, "{what}");
        assert!(!auth.accepted && !auth.server_key_verified, "{what}");
        let err = err.unwrap();
        assert_eq!((err.phase, err.kind), (Phase::Nla, kind), "{what}: {}", err.text);
    }
}

#[test]
fn logon_without_key_or_randomness() {
    let first = server_ts("shadow-nla");
    let mut l = logon(PASSWORD);
    l.server_key = None;
    let (sent, out) = run(Some(l), 0.0, &[Event::Bytes(first.clone())]);
    assert_eq!(sent.len(), 1, "nothing sent without the key pubKeyAuth binds");
    let (auth, err) = auth_of(&out);
    assert_eq!((auth.status.clone(), auth.credssp_version), (AuthStatus::Error, 6));
    assert_eq!(err.unwrap().phase, Phase::Tls);
    let mut l = logon(PASSWORD);
    l.secrets = Err("random: no entropy".into());
    let (sent, out) = run(Some(l), 0.0, &[Event::Bytes(first)]);
    assert_eq!(sent.len(), 1);
    let (auth, err) = auth_of(&out);
    assert_eq!(auth.status, AuthStatus::Error);
    assert_eq!(err.unwrap().text, "random: no entropy");
}

#[test]
fn a_reset_after_authenticate_reads_as_closed() {
    let mut m = Credssp::new(Some(logon(PASSWORD)), clock_at(0.0));
    assert!(matches!(m.start(), Action::Exchange { write_phase: Phase::Nla, .. }));
    let first = server_ts("shadow-nla");
    assert!(matches!(m.input(Input::Frame(&first)), Action::Exchange { read: Read { framing: Framing::Der, .. }, .. }));
    let Action::Done(out) = m.input(Input::Error(NetError::new(Phase::Nla, NetErrorKind::Reset))) else {
        panic!("done after the reset")
    };
    assert_eq!(auth_of(&out).0.status, AuthStatus::ServerClosed);
    // A machine that is done stays done.
    assert!(matches!(m.input(Input::Frame(&first)), Action::Done(_)));
}

// ---- The report section's JSON spelling. ----

#[cfg(feature = "serde")]
#[test]
fn json_spelling_is_unchanged() {
    let first = server_ts("shadow-nla");
    let (right, wrong) = proofs(&first);
    let neg = NegotiationReport { selected: Some(Protocol::Hybrid), ..Default::default() };
    for (answer, status) in [
        (Event::Bytes(right), "accepted"),
        (Event::Bytes(wrong), "accepted (server pubKeyAuth does not match the TLS key)"),
        (Event::Bytes(error_answer(0xC000_0234)), "account_locked"),
        (Event::Bytes(error_answer(0xC000_1234)), "refused (0xc0001234)"),
        (Event::Close, "rejected (server closed the connection)"),
        (Event::Silence, "error"),
    ] {
        let (_, out) = logon_run(&first, &[answer]);
        let mut r = new_report(&neg, SecurityProtocols(0x0B));
        r.selected = Some(Protocol::Hybrid);
        report(&out, false, &mut r);
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["auth"]["status"], status);
        assert_eq!(j["requested"], serde_json::json!(["ssl", "hybrid", "hybrid_ex"]));
        assert_eq!(j["selected"], "hybrid");
        assert!(j["auth"].get("status_detail").is_none(), "no new field in the JSON");
        if status == "error" {
            assert_eq!(j["error"]["kind"], "timeout");
        }
        // And back.
        let back: NlaReport = serde_json::from_value(j).unwrap();
        assert_eq!(back, r, "{status}");
    }
    // The default section (credentials given, no CredSSP): requested [], status not_tested.
    let r = NlaReport {
        auth: Some(AuthReport { status: AuthStatus::NotTested, ..Default::default() }),
        ..Default::default()
    };
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["requested"], serde_json::json!([]));
    assert!(j.get("selected").is_none());
    assert_eq!(j["auth"]["status"], "not_tested");
    assert_eq!(serde_json::from_value::<NlaReport>(j).unwrap(), r);
    // Statuses from a newer version are kept as read.
    let (s, d) = AuthStatus::parse_with_detail("quarantined (by policy)");
    assert_eq!((s.as_str(), d), ("quarantined (by policy)", None));
    let sel: NlaReport = serde_json::from_value(
        serde_json::json!({"hybrid_ex": false, "requested": ["unknown_0x40", "rdp"], "selected": "unknown_0x40"}),
    )
    .unwrap();
    assert_eq!((sel.requested, sel.selected), (Some(SecurityProtocols(0x40)), Some(Protocol::Unknown(0x40))));
}
