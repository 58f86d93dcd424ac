//! The session machine replayed against the captured xrdp session (level None, so the server
//! side replays without crypto; the client randoms are injected), cut at every byte, silent,
//! closed, refused in the middle and hostile; and a test-side server that speaks RC4
//! (40/56/128-bit) and FIPS with `wire::rdp::crypto`.

use super::machine::{Config, Outcome, Session, Standard};
use super::screen::Screen;
use super::*;
use crate::report::session::{LicensingAnswer, SessionPhase, StopReason};
use crate::steps::machine::{replay, Event};
use crate::steps::mcs::{decode_answer, Outcome as McsOutcome};
use crate::wire::rdp::activation::DemandActive;
use crate::wire::rdp::capabilities::{minimal_client_sets, CapabilitySet};
use crate::wire::rdp::crypto::{FipsKeys, FipsSecurity, Method, Rc4Security, SessionKeys};
use crate::wire::rdp::errinfo::ErrorInfo;
use crate::wire::rdp::licensing::{LicenseErrorCode, LicenseErrorMessage, Licensing, StateTransition};
use crate::wire::rdp::mcs_domain::{self, DomainPdu, SendData};
use crate::wire::rdp::output::{FastPathOutput, FastPathUpdate, FastPathUpdateCode, Fragmentation, SlowPathUpdate};
use crate::wire::rdp::security::{HeaderKind, SecurityExchange, SecurityFlags, SecurityHeader};
use crate::wire::rdp::share::{self, DataPdu, PduType2, ShareControl, ShareControlPdu, ShareDataHeader};
use crate::wire::x224;
use std::sync::{Arc, Mutex};

use crate::wire::rdp::capture_tests::{frames, CLIENT_STREAM, SERVER_STREAM};

fn setup() -> Setup {
    Setup {
        client_info: crate::wire::rdp::client_info::ClientInfo::logon_screen("127.0.0.1"),
        randoms: Randoms {
            client_random: [0x11; 32],
            license_client_random: [0x33; 32],
            license_premaster: [0x22; 48],
        },
        license_user: "rdp-probe".into(),
        settle_ms: 500.0,
        deadline_ms: 5000.0,
    }
}

/// The capture's Connect Response, turned into the machine's configuration.
fn capture_config() -> Config {
    let Ok(McsOutcome::Connected { blocks, .. }) = decode_answer(frames(SERVER_STREAM)[0]) else { panic!() };
    config(&blocks, false, setup()).unwrap()
}

/// The server's frames after the Connect Response.
fn after_connect() -> &'static [u8] {
    &SERVER_STREAM[frames(SERVER_STREAM)[0].len()..]
}

fn run(cfg: Config, script: &[Event]) -> (Vec<Vec<u8>>, Outcome) {
    let mut m = Session::new(cfg, None);
    let r = replay(&mut m, script);
    (r.sent, r.output)
}

#[test]
fn capture_replays_to_graphics() {
    let cfg = capture_config();
    assert!(cfg.standard.is_none(), "level none: no Security Exchange");
    assert_eq!((cfg.io_channel, cfg.message_channel), (1003, None));
    assert_eq!(cfg.static_channels, [1004, 1005, 1006]);
    let (sent, out) = run(cfg, &[Event::Bytes(after_connect().to_vec()), Event::Silence]);
    assert_eq!(out.stopped, None);
    assert_eq!(out.reached, Some(SessionPhase::Graphics));
    assert_eq!(out.user_channel, Some(1007));
    assert_eq!(out.channels_joined, [1007, 1003, 1004, 1005, 1006]);
    assert_eq!(out.licensing, Some((LicensingAnswer::ValidClient, Some(StateTransition::NoTransition))));
    assert_eq!(out.demand_active.as_ref().and_then(|d| d.desktop()), Some((800, 600, 16)));
    assert_eq!(out.updates, 37, "the compressed slow-path updates count, the pointers do not");
    assert_eq!(out.first_frame_ms, Some(0.0));

    // What we sent: Erect Domain + Attach User in one write, one Channel Join per write, as
    // xfreerdp did byte for byte; then Client Info, the New License Request, Confirm Active
    // with the finalization PDUs.
    let client = frames(CLIENT_STREAM);
    assert_eq!(sent[0], [client[1], client[2]].concat());
    for k in 0..5 {
        assert_eq!(sent[1 + k], client[3 + k], "join {k}");
    }
    let client_info = frames(&sent[6]);
    assert_eq!(client_info.len(), 1, "no Security Exchange at level none");
    let DomainPdu::SendDataRequest(sd) = DomainPdu::decode(x224::decode_data(client_info[0]).unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!((sd.initiator, sd.channel_id), (1007, 1003));
    let (rest, h) = SecurityHeader::decode(sd.user_data, HeaderKind::Basic).unwrap();
    assert_eq!(h.unwrap().flags, SecurityFlags::INFO_PKT);
    let ci = crate::wire::rdp::client_info::ClientInfo::decode(rest).unwrap();
    assert_eq!((ci.user_name.as_str(), ci.password.as_str()), ("", ""), "no credentials: the logon screen");
    // the New License Request answers the License Request
    let nlr = user_data(&sent[7]);
    let (rest, h) = SecurityHeader::decode(&nlr, HeaderKind::Basic).unwrap();
    assert_eq!(h.unwrap().flags, SecurityFlags::LICENSE_PKT);
    let crate::wire::rdp::licensing::LicensingPdu::NewLicenseRequest(nlr) = Licensing::decode(rest).unwrap().pdu else {
        panic!()
    };
    assert_eq!(nlr.client_random, [0x33; 32], "the licensing random, not the Security Exchange's");
    // Confirm Active + Synchronize + Control x2 + Font List, no security header at level none
    let fin = frames(&sent[8]);
    assert_eq!(fin.len(), 5);
    let ca = user_data(fin[0]);
    let (_, sc) = ShareControl::decode(&ca).unwrap();
    let ShareControlPdu::ConfirmActive(ca) = sc.pdu else { panic!() };
    assert_eq!(ca.share_id, 0x103ea);
    assert_eq!(sent.len(), 9);
}

/// The user data of a client frame.
fn user_data(frame: &[u8]) -> Vec<u8> {
    match DomainPdu::decode(x224::decode_data(frame).unwrap()).unwrap() {
        DomainPdu::SendDataRequest(sd) | DomainPdu::SendDataIndication(sd) => sd.user_data.to_vec(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_prefix_then_close_or_silence_ends_cleanly() {
    let s = after_connect();
    let fr = frames(s);
    let boundaries: Vec<usize> = fr
        .iter()
        .scan(0, |acc, f| {
            *acc += f.len();
            Some(*acc)
        })
        .collect();
    let cuts: Vec<usize> = (0..s.len()).filter(|n| *n < 3000 || n % 61 == 0 || boundaries.contains(n)).collect();
    for n in cuts {
        for end in [Event::Close, Event::Silence] {
            let (_, out) = run(capture_config(), &[Event::Bytes(s[..n].to_vec()), end.clone()]);
            if out.reached == Some(SessionPhase::Graphics) {
                continue;
            }
            let (phase, reason, _) = out.stopped.clone().unwrap_or_else(|| panic!("cut {n}: {out:?}"));
            let want = if end == Event::Close { StopReason::Closed } else { StopReason::Timeout };
            assert_eq!(reason, want, "cut {n}");
            assert!(phase >= SessionPhase::Channels, "cut {n}");
        }
    }
}

#[test]
fn silence_at_each_phase_names_the_phase() {
    let fr = frames(after_connect());
    let upto = |k: usize| fr[..k].concat();
    for (k, phase) in [
        (0, SessionPhase::Channels),
        (1, SessionPhase::Channels),
        (6, SessionPhase::Licensing),
        (8, SessionPhase::Capabilities),
        (9, SessionPhase::Finalization),
    ] {
        let (_, out) = run(capture_config(), &[Event::Bytes(upto(k)), Event::Silence]);
        assert_eq!(out.stopped.as_ref().map(|s| (s.0, s.1)), Some((phase, StopReason::Timeout)), "after {k}");
    }
    // after the Font Map the silence means "no graphics before the deadline"
    let (_, out) = run(capture_config(), &[Event::Bytes(upto(13)), Event::Silence]);
    assert_eq!(out.reached, Some(SessionPhase::Finalization));
    assert_eq!(out.stopped.map(|s| (s.0, s.1)), Some((SessionPhase::Graphics, StopReason::Timeout)));
}

/// A Data PDU from the server on the I/O channel, level none.
fn server_data(ty: PduType2, body: DataPdu) -> Vec<u8> {
    let h = ShareDataHeader {
        share_id: 0x103ea,
        stream_id: 1,
        uncompressed_length: 0,
        pdu_type2: ty,
        compressed_type: 0,
        compressed_length: 0,
    };
    let sc = ShareControl { pdu_source: 1002, pdu: ShareControlPdu::Data(h, body) }.encode().unwrap();
    indication(&sc)
}

fn indication(ud: &[u8]) -> Vec<u8> {
    indication_on(1003, ud)
}

fn indication_on(channel: u16, ud: &[u8]) -> Vec<u8> {
    x224::encode_data(&SendData::request(1002, channel, ud).encode_indication().unwrap()).unwrap()
}

const DPU: [u8; 9] = [3, 0, 0, 9, 2, 0xf0, 0x80, 0x21, 0x80];

#[test]
fn set_error_info_in_the_middle_is_reported_with_its_phase() {
    let fr = frames(after_connect());
    // after Demand Active (we are in finalization): Set Error Info, then the Ultimatum
    let mut s = fr[..9].concat();
    s.extend(server_data(PduType2::SetErrorInfo, DataPdu::SetErrorInfo(ErrorInfo::ServerInsufficientPrivileges)));
    s.extend(DPU);
    let (_, out) = run(capture_config(), &[Event::Bytes(s.clone()), Event::Close]);
    assert_eq!(out.error_info, Some(ErrorInfo::ServerInsufficientPrivileges));
    let (phase, reason, detail) = out.stopped.unwrap();
    assert_eq!((phase, reason), (SessionPhase::Finalization, StopReason::ErrorInfo));
    assert!(detail.contains("server_insufficient_privileges"), "{detail}");
    assert_eq!(out.reached, Some(SessionPhase::Capabilities));
    // the same followed by a close instead of the Ultimatum
    let mut s2 = fr[..9].concat();
    s2.extend(server_data(PduType2::SetErrorInfo, DataPdu::SetErrorInfo(ErrorInfo::ServerDeniedConnection)));
    let (_, out) = run(capture_config(), &[Event::Bytes(s2), Event::Close]);
    assert_eq!(out.stopped.map(|s| (s.0, s.1)), Some((SessionPhase::Finalization, StopReason::ErrorInfo)));
    // during licensing (a licensing Set Error Info, as Windows sends for ERRINFO_LICENSE_*)
    let mut s3 = fr[..7].concat();
    s3.extend(server_data(PduType2::SetErrorInfo, DataPdu::SetErrorInfo(ErrorInfo::from_value(0x101))));
    s3.extend(DPU);
    let (_, out) = run(capture_config(), &[Event::Bytes(s3), Event::Close]);
    assert_eq!(out.error_info.map(|e| e.name()), Some("license_no_license_server".into()));
    assert_eq!(out.stopped.map(|s| s.0), Some(SessionPhase::Licensing));
}

#[test]
fn ultimatum_at_any_point() {
    let fr = frames(after_connect());
    for k in 0..14 {
        let mut s = fr[..k].concat();
        s.extend(DPU);
        let (_, out) = run(capture_config(), &[Event::Bytes(s), Event::Close]);
        let (_, reason, detail) = out.stopped.unwrap();
        assert_eq!(reason, StopReason::Ultimatum, "after {k}");
        assert!(detail.contains("rn-provider-initiated") || detail.contains("Ultimatum"), "{detail}");
    }
}

#[test]
fn licensing_errors_are_reported() {
    let fr = frames(after_connect());
    for (code, st, stops) in [
        (LicenseErrorCode::NoLicenseServer, StateTransition::TotalAbort, true),
        (LicenseErrorCode::NoLicense, StateTransition::TotalAbort, true),
        (LicenseErrorCode::InvalidClient, StateTransition::NoTransition, false),
    ] {
        let mut s = fr[..7].concat();
        let alert = Licensing::encode_error_alert(
            0x83,
            &LicenseErrorMessage {
                error_code: code,
                state_transition: st,
                error_info: crate::wire::rdp::licensing::BinaryBlob { blob_type: 4, data: vec![] },
            },
        );
        let mut ud = Vec::new();
        SecurityHeader::basic(SecurityFlags::LICENSE_PKT).encode(&mut ud);
        ud.extend(alert);
        s.extend(indication(&ud));
        let (_, out) = run(capture_config(), &[Event::Bytes(s), Event::Close]);
        assert_eq!(out.licensing, Some((LicensingAnswer::Error(code), Some(st))));
        let (phase, reason, _) = out.stopped.unwrap();
        assert_eq!(phase, SessionPhase::Licensing);
        assert_eq!(reason, if stops { StopReason::LicensingError } else { StopReason::Closed });
    }
}

#[test]
fn refused_attach_and_join() {
    // Attach User Confirm with result rt-unspecified-failure (14)
    let (_, out) = run(capture_config(), &[Event::Bytes(x224::encode_data(&[0x2d, 0xc0]).unwrap()), Event::Close]);
    assert_eq!(out.stopped.map(|s| (s.0, s.1)), Some((SessionPhase::Channels, StopReason::McsRefused)));
    let fr = frames(after_connect());
    let mut join = fr[1].to_vec();
    // result field: rt-channels-exhausted (1) in the bits after the CHOICE
    join[8] = (join[8] & 0x1f) | (1 << 5);
    let s = [fr[0], &join].concat();
    let (_, out) = run(capture_config(), &[Event::Bytes(s), Event::Close]);
    assert_eq!(out.stopped.map(|s| s.1), Some(StopReason::McsRefused));
}

#[test]
fn hostile_streams_never_panic() {
    let s = after_connect();
    // single-byte corruptions of the first frames
    for at in (0..2600.min(s.len())).step_by(3) {
        for x in [0x00, 0x7f, 0x80, 0xff] {
            let mut m = s.to_vec();
            m[at] = x;
            let (_, out) = run(capture_config(), &[Event::Bytes(m), Event::Silence]);
            assert!(out.reached.is_some());
        }
    }
    // lying lengths: a TPKT of 65535 announced, 10 bytes sent; a fast-path frame of 0x7fff
    for junk in [vec![3, 0, 0xff, 0xff, 2, 0xf0, 0x80], vec![0, 0xff, 0xff, 1, 2], b"SSH-2.0-OpenSSH".to_vec()] {
        let (_, out) = run(capture_config(), &[Event::Bytes(junk), Event::Close]);
        assert!(out.stopped.is_some());
    }
    // an endless stream of tiny fast-path updates after the finalization ends by the frame cap
    let fr = frames(after_connect());
    let mut st = fr[..13].concat();
    let mut u = Vec::new();
    FastPathUpdate {
        code: FastPathUpdateCode::Bitmap,
        fragmentation: Fragmentation::Single,
        compression_flags: None,
        data: &[0, 0],
    }
    .encode(&mut u);
    let one = FastPathOutput::encode_plain(&u).unwrap();
    for _ in 0..600 {
        st.extend_from_slice(&one);
    }
    let (_, out) = run(Config { max_frames: 500, ..capture_config() }, &[Event::Bytes(st), Event::Close]);
    assert_eq!(out.reached, Some(SessionPhase::Graphics));
    assert_eq!(out.updates, 500 - 13);
    // a fragmented fast-path update growing past the reassembly cap
    let mut st = fr[..13].concat();
    let chunk = vec![0u8; 0x7000];
    for (k, frag) in std::iter::once(Fragmentation::First)
        .chain(std::iter::repeat_n(Fragmentation::Next, machine::MAX_REASSEMBLY / 0x7000 + 2))
        .enumerate()
    {
        let mut u = Vec::new();
        FastPathUpdate {
            code: FastPathUpdateCode::Bitmap,
            fragmentation: frag,
            compression_flags: None,
            data: &chunk[..0x7000 - 16],
        }
        .encode(&mut u);
        st.extend(FastPathOutput::encode_plain(&u).unwrap());
        let _ = k;
    }
    let (_, out) = run(capture_config(), &[Event::Bytes(st), Event::Close]);
    assert_eq!(out.stopped.map(|s| s.1), Some(StopReason::Decode));
}

// ---- a test-side server with Standard RDP Security encryption ----

/// The server's half of the security layer: the client's keys swapped.
enum ServerCipher {
    Rc4(Rc4Security),
    Fips(FipsSecurity),
}

impl ServerCipher {
    fn new(method: Method, cr: &[u8], sr: &[u8]) -> ServerCipher {
        match method {
            Method::Fips => {
                let k = FipsKeys::derive(cr, sr).unwrap();
                ServerCipher::Fips(FipsSecurity::new(&FipsKeys {
                    encrypt_key: k.decrypt_key,
                    decrypt_key: k.encrypt_key,
                    sign_key: k.sign_key,
                }))
            }
            m => {
                let k = SessionKeys::derive(m, cr, sr).unwrap();
                ServerCipher::Rc4(Rc4Security::new(&SessionKeys {
                    encrypt_key: k.decrypt_key.clone(),
                    decrypt_key: k.encrypt_key.clone(),
                    ..k
                }))
            }
        }
    }

    /// User data of a server slow-path PDU, encrypted (salted MAC on even calls for RC4).
    fn wrap(&mut self, flags: SecurityFlags, plain: &[u8], salted: bool) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            ServerCipher::Rc4(s) => {
                let mut d = plain.to_vec();
                let sig = s.encrypt(&mut d, salted);
                let f = if salted { flags | SecurityFlags::SECURE_CHECKSUM } else { flags };
                SecurityHeader {
                    flags: f | SecurityFlags::ENCRYPT,
                    flags_hi: 0,
                    signature: Some(sig),
                    fips_padlen: None,
                }
                .encode(&mut out);
                out.extend(d);
            }
            ServerCipher::Fips(s) => {
                let (d, pad, sig) = s.encrypt(plain);
                SecurityHeader {
                    flags: flags | SecurityFlags::ENCRYPT,
                    flags_hi: 0,
                    signature: Some(sig),
                    fips_padlen: Some(pad),
                }
                .encode(&mut out);
                out.extend(d);
            }
        }
        out
    }

    /// An encrypted fast-path frame.
    fn fast_path(&mut self, updates: &[u8]) -> Vec<u8> {
        let (flags, extra, data): (u8, Vec<u8>, Vec<u8>) = match self {
            ServerCipher::Rc4(s) => {
                let mut d = updates.to_vec();
                let sig = s.encrypt(&mut d, false);
                (0x80, sig.to_vec(), d)
            }
            ServerCipher::Fips(s) => {
                let (d, pad, sig) = s.encrypt(updates);
                let mut e = vec![0x10, 0, 1, pad];
                e.extend(sig);
                (0x80, e, d)
            }
        };
        let len = 3 + extra.len() + data.len();
        let mut out = vec![flags];
        out.extend(((len as u16) | 0x8000).to_be_bytes());
        out.extend(extra);
        out.extend(data);
        out
    }

    /// Decrypts a client PDU's user data; returns its flags and plaintext.
    fn unwrap(&mut self, ud: &[u8]) -> (SecurityFlags, Vec<u8>) {
        let (_, basic) = SecurityHeader::decode(ud, HeaderKind::Basic).unwrap();
        let flags = basic.unwrap().flags;
        if !flags.contains(SecurityFlags::ENCRYPT) {
            return (flags, ud[4..].to_vec());
        }
        match self {
            ServerCipher::Rc4(s) => {
                let (rest, h) = SecurityHeader::decode(ud, HeaderKind::NonFips).unwrap();
                let mut d = rest.to_vec();
                assert!(s.decrypt(&mut d, &h.unwrap().signature.unwrap(), false), "client MAC");
                (flags, d)
            }
            ServerCipher::Fips(s) => {
                let (rest, h) = SecurityHeader::decode(ud, HeaderKind::Fips).unwrap();
                let h = h.unwrap();
                let (d, ok) = s.decrypt(rest, h.fips_padlen.unwrap(), &h.signature.unwrap()).unwrap();
                assert!(ok, "client FIPS MAC");
                (flags, d)
            }
        }
    }
}

/// A 512-bit modulus (little-endian) for the Security Exchange; no private key is needed, the
/// test knows the client random.
fn modulus() -> Vec<u8> {
    let mut m = vec![0xa7u8; 64];
    m[63] = 0xc1;
    m
}

fn share(pdu: ShareControlPdu) -> Vec<u8> {
    ShareControl { pdu_source: 1002, pdu }.encode().unwrap()
}

fn data(ty: PduType2, body: DataPdu) -> Vec<u8> {
    share(ShareControlPdu::Data(
        ShareDataHeader {
            share_id: 0x1_0000,
            stream_id: 1,
            uncompressed_length: 0,
            pdu_type2: ty,
            compressed_type: 0,
            compressed_length: 0,
        },
        body,
    ))
}

/// A screen that records what it was given.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Screen for Recorder {
    fn slow_path(&mut self, u: &SlowPathUpdate) -> u64 {
        self.0.lock().unwrap().push(format!("slow {} {:?}", u.update_type.name(), u.data));
        1
    }
    fn fast_path(&mut self, code: FastPathUpdateCode, data: &[u8]) -> u64 {
        self.0.lock().unwrap().push(format!("fast {} {}", code.name(), data.len()));
        1
    }
    fn fully_painted(&self) -> bool {
        false
    }
    fn png(&self) -> Option<Vec<u8>> {
        Some(b"png".to_vec())
    }
}

#[test]
fn standard_security_round_trip_rc4_and_fips() {
    let cr = [0x11u8; 32];
    let sr = [0x5au8; 32];
    for method in [Method::Rc4_40, Method::Rc4_56, Method::Rc4_128, Method::Fips] {
        let cfg = Config {
            standard: Some(Standard { method, server_random: sr.to_vec(), modulus_le: modulus(), exponent: 0x10001 }),
            ..capture_config()
        };
        let mut server = ServerCipher::new(method, &cr, &sr);
        let fr = frames(after_connect());
        // MCS: the capture's Attach User and Channel Join Confirms
        let mut s = fr[..6].concat();
        // licensing: a plain Error Alert valid client (licensing PDUs are not encrypted)
        s.extend(fr[7]);
        // a virtual channel PDU (rdpdr's Server Announce, as FreeRDP sends it): ignored, but
        // the keystream / CBC chain runs across channels
        s.extend(indication_on(1004, &server.wrap(SecurityFlags(0), &[0x72, 0x44, 0x6e, 0x49, 1, 0, 0x0c, 0], false)));
        // Demand Active, encrypted
        let da = DemandActive {
            share_id: 0x1_0000,
            source_descriptor: b"RDP\0".to_vec(),
            capability_sets: minimal_client_sets(640, 480, 32),
            session_id: Some(0),
        };
        s.extend(indication(&server.wrap(SecurityFlags(0), &share(ShareControlPdu::DemandActive(da)), false)));
        // Synchronize + Font Map, encrypted, the second with a salted MAC
        s.extend(indication(&server.wrap(
            SecurityFlags(0),
            &data(PduType2::Synchronize, DataPdu::Synchronize { message_type: 1, target_user: 1007 }),
            false,
        )));
        s.extend(indication(&server.wrap(
            SecurityFlags(0),
            &data(PduType2::FontMap, DataPdu::FontMap { number: 0, total: 0, flags: 3, entry_size: 4 }),
            method != Method::Fips,
        )));
        // a slow-path bitmap update and an encrypted fast-path one
        s.extend(indication(&server.wrap(
            SecurityFlags(0),
            &data(
                PduType2::Update,
                DataPdu::Update(SlowPathUpdate {
                    update_type: crate::wire::rdp::output::UpdateType::Bitmap,
                    data: vec![0, 0, 7],
                }),
            ),
            false,
        )));
        let mut u = Vec::new();
        FastPathUpdate {
            code: FastPathUpdateCode::Bitmap,
            fragmentation: Fragmentation::Single,
            compression_flags: None,
            data: &[1, 2, 3, 4, 5],
        }
        .encode(&mut u);
        s.extend(server.fast_path(&u));

        let rec = Recorder::default();
        let r2 = rec.clone();
        let mut m = Session::new(
            cfg,
            Some(Box::new(move |w, h, bpp| {
                assert_eq!((w, h, bpp), (640, 480, 32));
                Some(Box::new(r2.clone()) as Box<dyn Screen>)
            })),
        );
        let r = replay(&mut m, &[Event::Bytes(s), Event::Silence]);
        let out = r.output;
        assert_eq!(out.stopped, None, "{method:?}");
        assert_eq!(out.reached, Some(SessionPhase::Graphics), "{method:?}");
        assert_eq!(out.updates, 2);
        assert_eq!(*rec.0.lock().unwrap(), ["slow bitmap [0, 0, 7]", "fast bitmap 5"], "{method:?}");

        // The server side reads what the client sent: the Security Exchange carries the
        // client random under the server's key, then everything is encrypted and signed.
        let secx = frames(&r.sent[6]);
        assert_eq!(secx.len(), 2, "Security Exchange and Client Info in one write");
        let sx = SecurityExchange::decode(&user_data(secx[0])).unwrap();
        assert_eq!(
            sx.encrypted_client_random,
            crate::wire::rdp::crypto::rsa_encrypt_le(&cr, &modulus(), 0x10001).unwrap()
        );
        let (flags, info) = server.unwrap(&user_data(secx[1]));
        assert!(flags.contains(SecurityFlags::INFO_PKT | SecurityFlags::ENCRYPT), "{method:?}");
        assert_eq!(crate::wire::rdp::client_info::ClientInfo::decode(&info).unwrap().user_name, "");
        // Confirm Active and the finalization PDUs decrypt in order
        let fin = frames(&r.sent[7]);
        assert_eq!(fin.len(), 5);
        for (k, f) in fin.iter().enumerate() {
            let (flags, plain) = server.unwrap(&user_data(f));
            assert!(flags.contains(SecurityFlags::ENCRYPT));
            let (_, sc) = ShareControl::decode(&plain).unwrap();
            if k == 0 {
                assert!(matches!(sc.pdu, ShareControlPdu::ConfirmActive(_)));
            }
        }
    }
}

#[test]
fn tampered_mac_stops_the_session() {
    let cr = [0x11u8; 32];
    let sr = [0x5au8; 32];
    let cfg = Config {
        standard: Some(Standard {
            method: Method::Rc4_128,
            server_random: sr.to_vec(),
            modulus_le: modulus(),
            exponent: 3,
        }),
        ..capture_config()
    };
    let mut server = ServerCipher::new(Method::Rc4_128, &cr, &sr);
    let fr = frames(after_connect());
    let mut s = fr[..6].concat();
    s.extend(fr[7]);
    let mut ud = server.wrap(
        SecurityFlags(0),
        &data(PduType2::Synchronize, DataPdu::Synchronize { message_type: 1, target_user: 1 }),
        false,
    );
    ud[5] ^= 1;
    s.extend(indication(&ud));
    let (_, out) = run(cfg, &[Event::Bytes(s), Event::Close]);
    assert_eq!(out.stopped.map(|s| (s.0, s.1)), Some((SessionPhase::Capabilities, StopReason::Decode)));
}

#[test]
fn plan_follows_a_stock_client() {
    use crate::report::{NegotiationReport, ProtocolVerdict};
    let neg = |accepted: &[Protocol], nla: Option<NlaRequirement>| {
        let mut n = NegotiationReport { nla, ..Default::default() };
        for p in accepted {
            n.protocols.insert(*p, ProtocolVerdict::Accepted);
        }
        n
    };
    let both = neg(&[Protocol::Rdp, Protocol::Ssl], Some(NlaRequirement::NotSupported));
    assert_eq!(plan(&both, false, false), Plan::Connect { requested: SecurityProtocols::SSL, legacy: false });
    let rdp = neg(&[Protocol::Rdp], Some(NlaRequirement::NotSupported));
    assert_eq!(plan(&rdp, false, false), Plan::Connect { requested: SecurityProtocols(0), legacy: false });
    let nla = neg(&[Protocol::Ssl, Protocol::Hybrid], Some(NlaRequirement::Required));
    assert!(matches!(plan(&nla, false, false), Plan::Stop(StopReason::NlaNeedsDelegation, _)));
    assert!(
        matches!(plan(&nla, true, false), Plan::Stop(StopReason::NlaNeedsDelegation, w) if w.contains("--delegate-credentials"))
    );
    assert_eq!(plan(&nla, true, true), Plan::Connect { requested: SecurityProtocols(0x0b), legacy: false });
    assert!(matches!(plan(&neg(&[], None), false, false), Plan::Stop(StopReason::NotReachable, _)));
}

#[test]
fn x509_key_of_the_security_block() {
    // RSAPublicKey { n = 0x00c1..., e = 65537 }
    let mut der = vec![0x30, 0x0c, 0x02, 0x05, 0x00, 0xc1, 0x02, 0x03, 0x04, 0x02, 0x03, 0x01, 0x00, 0x01];
    assert_eq!(rsa_public_key_der(&der), Some((vec![4, 3, 2, 0xc1], 65537)));
    der[1] = 0x40;
    assert_eq!(rsa_public_key_der(&der), None);
    assert_eq!(rsa_public_key_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
}

#[test]
fn capabilities_report() {
    let fr = frames(after_connect());
    let ud = user_data_ind(fr[8]);
    let (_, sc) = ShareControl::decode(&ud).unwrap();
    let ShareControlPdu::DemandActive(da) = sc.pdu else { panic!() };
    let c = capabilities(&da, Some(false));
    assert_eq!(c.os_major_type.as_deref(), Some("windows"));
    assert_eq!(c.bitmap_codecs, ["nscodec", "remotefx", "image_remotefx", "jpeg"]);
    assert_eq!(c.max_request_size, Some(0x0020_c000));
    assert_eq!(c.sets.len(), 13);
    let _ = CapabilitySet { cap_type: crate::wire::rdp::capabilities::CapabilityType::General, data: vec![] };
    let _ = mcs_domain::MCS_GLOBAL_CHANNEL_ID;
    let _ = share::STREAM_LOW;
}

fn user_data_ind(frame: &[u8]) -> Vec<u8> {
    user_data(frame)
}

/// The spec's Server License Error PDU - Valid Client (MS-RDPBCGR 4.1.12) in place of the
/// capture's License Request and answer: the session goes on to the screen. The same frame
/// with each server error code and state transition (MS-RDPELE 3.1.5.2): ST_TOTAL_ABORT stops
/// with `licensing_error` and the code; the other transitions leave it to the server (here it
/// closes); ST_RESEND_LAST_MESSAGE gets the New License Request again.
#[test]
fn spec_license_error_pdus() {
    use crate::wire::rdp::licensing::tests::SPEC_4_1_12;
    let fr = frames(after_connect());
    let with = |alert: &[u8], rest: &[&[u8]]| {
        let mut s = fr[..7].concat(); // Attach User, the joins, the capture's License Request
        s.extend_from_slice(alert);
        for r in rest {
            s.extend_from_slice(r);
        }
        s
    };
    let graphics: Vec<&[u8]> = fr[8..].to_vec();
    let (_, out) = run(capture_config(), &[Event::Bytes(with(&SPEC_4_1_12, &graphics)), Event::Silence]);
    assert_eq!(out.reached, Some(SessionPhase::Graphics), "{out:?}");
    assert_eq!(out.licensing, Some((LicensingAnswer::ValidClient, Some(StateTransition::NoTransition))));

    for (code, name) in [
        (LicenseErrorCode::NoLicenseServer, "no_license_server"),
        (LicenseErrorCode::InvalidClient, "invalid_client"),
        (LicenseErrorCode::InvalidScope, "invalid_scope"),
        (LicenseErrorCode::InvalidProductId, "invalid_productid"),
        (LicenseErrorCode::InvalidMessageLen, "invalid_message_len"),
        (LicenseErrorCode::InvalidMac, "invalid_mac"),
    ] {
        for st in [StateTransition::TotalAbort, StateTransition::NoTransition, StateTransition::ResetPhaseToStart] {
            let mut alert = SPEC_4_1_12;
            alert[22..26].copy_from_slice(&code.value().to_le_bytes());
            alert[26..30].copy_from_slice(&st.value().to_le_bytes());
            let (sent, out) = run(capture_config(), &[Event::Bytes(with(&alert, &[])), Event::Close]);
            assert_eq!(out.licensing, Some((LicensingAnswer::Error(code), Some(st))), "{name}");
            let (phase, reason, detail) = out.stopped.unwrap();
            assert_eq!(phase, SessionPhase::Licensing, "{name}");
            if st == StateTransition::TotalAbort {
                assert_eq!(reason, StopReason::LicensingError, "{name}");
                assert!(detail.contains(name) && detail.contains("total_abort"), "{detail}");
            } else {
                assert_eq!(reason, StopReason::Closed, "{name} {st:?}");
            }
            assert_eq!(sent.len(), 8, "nothing sent after the New License Request");
        }
    }

    // ST_RESEND_LAST_MESSAGE: the same New License Request again, at most twice.
    let mut alert = SPEC_4_1_12;
    alert[22..26].copy_from_slice(&LicenseErrorCode::InvalidMac.value().to_le_bytes());
    alert[26..30].copy_from_slice(&StateTransition::ResendLastMessage.value().to_le_bytes());
    let (sent, out) = run(capture_config(), &[Event::Bytes(with(&alert, &[&alert, &alert])), Event::Close]);
    assert_eq!(sent.len(), 10, "the New License Request, then twice again");
    assert_eq!(sent[7], sent[8]);
    assert_eq!(sent[8], sent[9]);
    assert_eq!(out.stopped.map(|s| s.1), Some(StopReason::Closed));
}

// ---- licensing with a Platform Challenge (MS-RDPELE 2.2.2.4 - 2.2.2.7) ----

use crate::wire::rdp::licensing::{LicensingPdu, PlatformChallengeResponse};
use crate::wire::rdp::licensing_crypto::tests::{FreeRdpVector, TEST_CHALLENGE};
use crate::wire::rdp::licensing_crypto::LicensingKeys;

/// A PROPRIETARYSERVERCERTIFICATE (MS-RDPBCGR 2.2.1.4.3.1.1) around a 512-bit key (modulus
/// little-endian, 64 bytes), exponent 65537, signature zeros (nobody checks it here).
fn proprietary_cert(modulus_le: &[u8]) -> Vec<u8> {
    let mut key = Vec::new();
    key.extend(0x3141_5352u32.to_le_bytes()); // RSA1
    key.extend(72u32.to_le_bytes());
    key.extend(512u32.to_le_bytes());
    key.extend(63u32.to_le_bytes());
    key.extend(0x10001u32.to_le_bytes());
    key.extend(modulus_le);
    key.extend([0; 8]);
    let mut c = Vec::new();
    c.extend(1u32.to_le_bytes()); // CERT_CHAIN_VERSION_1
    c.extend(1u32.to_le_bytes()); // SIGNATURE_ALG_RSA
    c.extend(1u32.to_le_bytes()); // KEY_EXCHANGE_ALG_RSA
    c.extend(6u16.to_le_bytes()); // BB_RSA_KEY_BLOB
    c.extend((key.len() as u16).to_le_bytes());
    c.extend(key);
    c.extend(8u16.to_le_bytes()); // BB_RSA_SIGNATURE_BLOB
    c.extend(72u16.to_le_bytes());
    c.extend([0; 72]);
    c
}

fn blob(ty: u16, data: &[u8]) -> Vec<u8> {
    [ty.to_le_bytes().as_slice(), &(data.len() as u16).to_le_bytes(), data].concat()
}

/// A licensing message with its preamble (flags 0x83), in a basic security header with
/// SEC_LICENSE_PKT, on the I/O channel.
fn licensing_frame(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut ud = Vec::new();
    SecurityHeader::basic(SecurityFlags::LICENSE_PKT).encode(&mut ud);
    ud.extend([msg_type, 0x83]);
    ud.extend(((body.len() + 4) as u16).to_le_bytes());
    ud.extend(body);
    indication(&ud)
}

/// SERVER_LICENSE_REQUEST (MS-RDPELE 2.2.2.1) as Windows sends it: Microsoft Corporation /
/// A02, KEY_EXCHANGE_ALG_RSA, `cert` (empty: the Server Security Data's key applies), one
/// scope.
fn license_request(server_random: &[u8], cert: &[u8]) -> Vec<u8> {
    let utf16 = |s: &str| s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let mut b = server_random.to_vec();
    b.extend(0x0006_0000u32.to_le_bytes());
    for s in ["Microsoft Corporation", "A02"] {
        let t = utf16(s);
        b.extend((t.len() as u32).to_le_bytes());
        b.extend(t);
    }
    b.extend(blob(0x0d, &1u32.to_le_bytes()));
    b.extend(blob(0x03, cert));
    b.extend(1u32.to_le_bytes());
    b.extend(blob(0x0e, b"microsoft.com\0"));
    licensing_frame(0x01, &b)
}

/// SERVER_PLATFORM_CHALLENGE (2.2.2.4) of "TEST\0" under `keys`, MAC flipped when `bad_mac`.
fn platform_challenge(keys: &LicensingKeys, bad_mac: bool) -> Vec<u8> {
    let mut b = 0u32.to_le_bytes().to_vec();
    b.extend(blob(0x09, &keys.rc4(&TEST_CHALLENGE)));
    let mut mac = keys.mac(&TEST_CHALLENGE);
    if bad_mac {
        mac[0] ^= 1;
    }
    b.extend(mac);
    licensing_frame(0x02, &b)
}

/// SERVER_NEW_LICENSE / SERVER_UPGRADE_LICENSE (2.2.2.6, 2.2.2.7): an encrypted license we
/// never read, and a MAC.
fn new_license(upgrade: bool) -> Vec<u8> {
    let mut b = blob(0x09, &[0x42; 40]);
    b.extend([0x24; 16]);
    licensing_frame(if upgrade { 0x04 } else { 0x03 }, &b)
}

/// The FreeRDP vector's client random (as the licensing ClientRandom) and premaster secret
/// injected.
fn vector_config() -> Config {
    let mut cr = [0u8; 32];
    cr.copy_from_slice(&FreeRdpVector::client_random());
    let mut pm = [0u8; 48];
    pm.copy_from_slice(&FreeRdpVector::premaster());
    Config { license_client_random: cr, license_premaster: pm, ..capture_config() }
}

fn vector_keys() -> LicensingKeys {
    LicensingKeys::derive(&FreeRdpVector::client_random(), &FreeRdpVector::server_random(), &FreeRdpVector::premaster())
        .unwrap()
}

/// The licensing message a client frame carries.
fn client_licensing(frame: &[u8]) -> LicensingPdu {
    let ud = user_data(frame);
    let (rest, h) = SecurityHeader::decode(&ud, HeaderKind::Basic).unwrap();
    assert_eq!(h.unwrap().flags, SecurityFlags::LICENSE_PKT);
    Licensing::decode(rest).unwrap().pdu
}

/// A scripted Windows-like server: License Request with the FreeRDP vector's server random and
/// key in a proprietary certificate; our New License Request must carry the vector's client
/// random and, byte for byte, the vector's encrypted premaster secret. The Platform Challenge
/// is "TEST\0" under the vector's licensing keys (whose key schedule matches the vector byte
/// for byte; the challenge's MAC is computed here, the vector has none). Our response must
/// decrypt under those keys to the challenge and our hardware id with a valid MAC. Then a New
/// License (or Upgrade License, or STATUS_VALID_CLIENT), and the capture's capability exchange
/// and graphics: the session reaches the screen.
#[test]
fn platform_challenge_is_answered_and_the_session_goes_on() {
    use crate::wire::rdp::licensing::tests::SPEC_4_1_12;
    let fr = frames(after_connect());
    let keys = vector_keys();
    let cert = proprietary_cert(&FreeRdpVector::modulus_le());
    for (last, want) in [
        (new_license(false), LicensingAnswer::NewLicense),
        (new_license(true), LicensingAnswer::UpgradeLicense),
        (SPEC_4_1_12.to_vec(), LicensingAnswer::ValidClient),
    ] {
        let mut s = fr[..6].concat();
        s.extend(license_request(&FreeRdpVector::server_random(), &cert));
        s.extend(platform_challenge(&keys, false));
        s.extend(last);
        s.extend(fr[8..].concat());
        let (sent, out) = run(vector_config(), &[Event::Bytes(s), Event::Silence]);
        assert_eq!(out.stopped, None, "{want:?}");
        assert_eq!(out.reached, Some(SessionPhase::Graphics), "{want:?}");
        assert_eq!(out.licensing.map(|l| l.0), Some(want));
        assert_eq!(sent.len(), 10, "… Client Info, New License Request, the response, Confirm Active");

        let LicensingPdu::NewLicenseRequest(nlr) = client_licensing(&sent[7]) else { panic!() };
        assert_eq!(nlr.client_random, FreeRdpVector::client_random());
        assert_eq!(nlr.encrypted_premaster, [FreeRdpVector::encrypted_premaster(), vec![0; 8]].concat());
        assert_eq!(nlr.platform_id, 0x0401_0000);

        let LicensingPdu::PlatformChallengeResponse(r) = client_licensing(&sent[8]) else { panic!() };
        let (data, hwid, mac_ok) = r.open(&keys).unwrap();
        assert!(mac_ok);
        assert_eq!(data.challenge, TEST_CHALLENGE);
        assert_eq!((data.version, data.client_type, data.license_detail_level), (0x0100, 0xff00, 3));
        assert_eq!(hwid.platform_id, 0x0401_0000);
        let again = PlatformChallengeResponse::seal(&keys, &data, &hwid);
        assert_eq!(again, r, "deterministic: the same keys, challenge and hardware id");
    }
}

/// Under Standard RDP Security the License Request's certificate is empty and the Server
/// Security Data's key encrypts the premaster secret (MS-RDPELE 2.2.2.1): the same vector,
/// the licensing PDUs unencrypted, the response goes out with a plain licensing header.
#[test]
fn platform_challenge_under_standard_security_uses_the_security_block_key() {
    let keys = vector_keys();
    let cfg = Config {
        standard: Some(Standard {
            method: Method::Rc4_128,
            server_random: vec![0x5a; 32],
            modulus_le: FreeRdpVector::modulus_le(),
            exponent: 0x10001,
        }),
        ..vector_config()
    };
    let fr = frames(after_connect());
    let mut s = fr[..6].concat();
    s.extend(license_request(&FreeRdpVector::server_random(), &[]));
    s.extend(platform_challenge(&keys, false));
    s.extend(new_license(false));
    let (sent, out) = run(cfg, &[Event::Bytes(s), Event::Close]);
    assert_eq!(out.licensing.map(|l| l.0), Some(LicensingAnswer::NewLicense));
    assert_eq!(out.reached, Some(SessionPhase::Licensing));
    assert_eq!(out.stopped.map(|s| (s.0, s.1)), Some((SessionPhase::Capabilities, StopReason::Closed)));
    let LicensingPdu::NewLicenseRequest(nlr) = client_licensing(&sent[7]) else { panic!() };
    assert_eq!(nlr.encrypted_premaster, [FreeRdpVector::encrypted_premaster(), vec![0; 8]].concat());
    // the licensing ClientRandom goes out in clear: it is not the Security Exchange's secret one
    assert_eq!(nlr.client_random, FreeRdpVector::client_random());
    let sx = SecurityExchange::decode(&user_data(frames(&sent[6])[0])).unwrap();
    let secret = crate::wire::rdp::crypto::rsa_encrypt_le(&[0x11; 32], &FreeRdpVector::modulus_le(), 0x10001).unwrap();
    assert_eq!(sx.encrypted_client_random, secret);
    assert_ne!(nlr.client_random, [0x11; 32]);
    let LicensingPdu::PlatformChallengeResponse(r) = client_licensing(&sent[8]) else { panic!() };
    assert!(r.open(&keys).unwrap().2);
}

/// A challenge we cannot answer stops at licensing with `licensing_unsupported` and the
/// answer `platform_challenge` (the `session-licensing-challenge` finding), and nothing more
/// is sent: without any usable RSA key (the License Request's certificate empty at level
/// None), or with a MAC that does not verify. A server that closes after our response is
/// reported with that said.
#[test]
fn platform_challenge_we_cannot_answer() {
    let fr = frames(after_connect());
    let keys = vector_keys();
    let cert = proprietary_cert(&FreeRdpVector::modulus_le());
    for (cert, bad_mac, says) in [(vec![], false, "RSA key"), (cert.clone(), true, "MAC does not verify")] {
        let mut s = fr[..6].concat();
        s.extend(license_request(&FreeRdpVector::server_random(), &cert));
        s.extend(platform_challenge(&keys, bad_mac));
        let (sent, out) = run(vector_config(), &[Event::Bytes(s), Event::Silence]);
        assert_eq!(out.licensing, Some((LicensingAnswer::PlatformChallenge, None)), "{says}");
        let (phase, reason, detail) = out.stopped.unwrap();
        assert_eq!((phase, reason), (SessionPhase::Licensing, StopReason::LicensingUnsupported));
        assert!(detail.contains(says), "{detail}");
        assert_eq!(sent.len(), 8, "nothing after the New License Request");
        if cert.is_empty() {
            let LicensingPdu::NewLicenseRequest(nlr) = client_licensing(&sent[7]) else { panic!() };
            assert_eq!(nlr.encrypted_premaster, [0; 72], "no key: zeros, as before");
        }
    }
    // answered, then the server closes
    let mut s = fr[..6].concat();
    s.extend(license_request(&FreeRdpVector::server_random(), &cert));
    s.extend(platform_challenge(&keys, false));
    let (sent, out) = run(vector_config(), &[Event::Bytes(s), Event::Close]);
    assert_eq!(sent.len(), 9);
    assert_eq!(out.licensing, None);
    let (phase, reason, detail) = out.stopped.unwrap();
    assert_eq!((phase, reason), (SessionPhase::Licensing, StopReason::Closed));
    assert!(detail.contains("after our Platform Challenge Response"), "{detail}");
    // ST_RESEND_LAST_MESSAGE after the response: the response again, the same bytes
    let mut s = fr[..6].concat();
    s.extend(license_request(&FreeRdpVector::server_random(), &cert));
    s.extend(platform_challenge(&keys, false));
    let mut alert = crate::wire::rdp::licensing::tests::SPEC_4_1_12;
    alert[22..26].copy_from_slice(&LicenseErrorCode::InvalidMac.value().to_le_bytes());
    alert[26..30].copy_from_slice(&StateTransition::ResendLastMessage.value().to_le_bytes());
    s.extend(alert);
    let (sent, _) = run(vector_config(), &[Event::Bytes(s), Event::Close]);
    assert_eq!(sent.len(), 10);
    assert_eq!(sent[8], sent[9]);
}

/// The capture's own License Request (xrdp's) followed by a Platform Challenge with a random
/// MAC: whatever key xrdp's request carries, the challenge cannot be answered, the session
/// stops precisely and sends nothing more.
#[test]
fn platform_challenge_after_the_capture_license_request() {
    let fr = frames(after_connect());
    let mut m = vec![0x02, 0x83, 0, 0, 0, 0, 0, 0, 0x09, 0x00, 0x0a, 0x00];
    m.extend_from_slice(&[0x5a; 10]);
    m.extend_from_slice(&[0xa5; 16]);
    let n = m.len() as u16;
    m[2..4].copy_from_slice(&n.to_le_bytes());
    let mut ud = Vec::new();
    SecurityHeader::basic(SecurityFlags::LICENSE_PKT).encode(&mut ud);
    ud.extend(m);
    let mut s = fr[..7].concat();
    s.extend(indication(&ud));
    let (sent, out) = run(capture_config(), &[Event::Bytes(s), Event::Silence]);
    assert_eq!(out.licensing, Some((LicensingAnswer::PlatformChallenge, None)));
    let (phase, reason, detail) = out.stopped.unwrap();
    assert_eq!((phase, reason), (SessionPhase::Licensing, StopReason::LicensingUnsupported));
    assert!(detail.contains("Platform Challenge (MS-RDPELE 2.2.2.4)"), "{detail}");
    assert_eq!(sent.len(), 8);
}

/// `session.screenshot_skipped`: absent with a PNG; the reason when the desktop is over the
/// graphics caps or no screen was made; absent (left to `stopped`) before graphics.
#[test]
fn screenshot_skipped_says_why() {
    let play = |factory: Option<screen::Factory>, script: &[Event]| {
        let mut m = Session::new(capture_config(), factory);
        replay(&mut m, script).output
    };
    let all = [Event::Bytes(after_connect().to_vec()), Event::Silence];
    let r = report(play(screen::factory(), &all), SessionSecurity::Standard, None, true);
    assert!(r.png.is_some());
    assert_eq!(r.screenshot_skipped, None);
    // Not asked for: nothing to explain.
    let r = report(play(screen::factory(), &all), SessionSecurity::Standard, None, false);
    assert_eq!((r.png.is_none(), r.screenshot_skipped), (true, None));
    // Reached graphics but the factory made no screen.
    let none: screen::Factory = Box::new(|_, _, _| None);
    let r = report(play(Some(none), &all), SessionSecurity::Standard, None, true);
    assert_eq!(r.screenshot_skipped.as_deref(), Some("no screen was made for this desktop"));
    // Stopped before graphics: `stopped` says why.
    let cut = after_connect().len() / 4;
    let r = report(
        play(screen::factory(), &[Event::Bytes(after_connect()[..cut].to_vec()), Event::Close]),
        SessionSecurity::Standard,
        None,
        true,
    );
    assert!(r.stopped.is_some() && r.reached != Some(SessionPhase::Graphics), "{r:?}");
    assert_eq!(r.screenshot_skipped, None);
    // A desktop over the caps, whatever the phase reached.
    let mut out = play(screen::factory(), &all);
    let giant = |w: u16, h: u16| Desktop { width: w, height: h, bpp: 32 };
    out.screen = None;
    for (w, h) in [(u16::MAX, u16::MAX), (8192, 8192), (8193, 100)] {
        let why = screenshot_skipped(&out, Some(&giant(w, h))).unwrap();
        assert!(why.starts_with(&format!("desktop {w}x{h} out of range")), "{why}");
        assert!(why.ends_with("over the screenshot cap"), "{why}");
    }
    assert_eq!(
        screenshot_skipped(&out, Some(&giant(3840, 2160))).as_deref(),
        Some("no screen was made for this desktop")
    );
}
