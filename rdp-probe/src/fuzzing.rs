//! Fuzzing entry points (issue 8): one `fn(&[u8])` per decoder of server-sent bytes, called by
//! the cargo-fuzz targets in `fuzz/` and by the crasher replay test. Not a stable API.
//!
//! Each function feeds arbitrary bytes to a decoder and, where we also encode the structure,
//! checks that what decoded re-encodes to something that decodes to the same value: a crash
//! here is either a panic in a decoder or a broken round trip. The round-trip checks are
//! deliberate oracles (`assert_eq!`), used only in this module.
//!
//! Every entry point lives here, including those of the TLS, CredSSP, NTLM, MCS and GCC
//! decoders, so the wire modules carry no fuzz code; they reach only public items. [`TARGETS`]
//! lists them all by cargo-fuzz target name.

use crate::report::NegotiationAttempt;
use crate::steps::machine::{replay, Event};
use crate::steps::negotiation::{answer_from, assess, identify_service, negotiation_plan};
use crate::steps::negotiation::{Exchange, PlanStep};
use crate::wire::tpkt;
use crate::wire::x224::{ConnectionConfirm, ConnectionRequest, ServerAnswer};

/// TPKT: the header parser the I/O layer calls on the first four bytes, then the strict
/// whole-frame split. Oracle: a frame that splits re-frames to a frame that splits the same.
pub fn tpkt(data: &[u8]) {
    if let Ok(len) = tpkt::frame_len(data) {
        assert!((tpkt::MIN_TPKT_LEN..=crate::wire::codec::MAX_TPKT_LEN).contains(&len));
    }
    if let Ok(payload) = tpkt::decode(data) {
        if let Ok(again) = tpkt::encode(payload) {
            assert_eq!(tpkt::decode(&again).ok(), Some(payload));
        }
    }
}

/// X.224 Connection Confirm (MS-RDPBCGR 2.2.1.2) from a whole TPKT frame.
pub fn x224_connection_confirm(data: &[u8]) {
    if let Ok(cc) = ConnectionConfirm::decode(data) {
        if let Ok(enc) = cc.encode() {
            assert_eq!(ConnectionConfirm::decode(&enc).as_ref(), Ok(&cc));
        }
    }
}

/// Any first answer to our Connection Request (CC, DR, DT), then how the plan reads it.
pub fn x224_server_answer(data: &[u8]) {
    if let Ok(a) = ServerAnswer::decode(data) {
        for step in negotiation_plan(true) {
            let _ = answer_from(&step, &a);
        }
    }
}

/// X.224 Connection Request (2.2.1.1): we only send these, but hostile-server harnesses and
/// round-trip tests decode them. Oracle: decode → encode → decode is stable.
pub fn x224_connection_request(data: &[u8]) {
    if let Ok(cr) = ConnectionRequest::decode(data) {
        if let Ok(enc) = cr.encode() {
            assert_eq!(ConnectionRequest::decode(&enc).as_ref(), Ok(&cr));
        }
    }
}

/// The non-RDP service identifier, fed whatever a peer's first bytes were.
pub fn identify_service_bytes(data: &[u8]) {
    let _ = identify_service(data);
}

/// A whole negotiation as the driver sees it: the input is split into up to seven answers the
/// way the I/O layer frames them (TPKT length from the first four bytes), each is decoded and
/// read against the plan step it answers, and the attempts are assessed together.
pub fn negotiation(data: &[u8]) {
    let plan = negotiation_plan(true);
    let mut rest = data;
    let mut attempts = Vec::new();
    for step in &plan {
        let Ok(len) = tpkt::frame_len(rest) else { break };
        let Some(frame) = rest.get(..len) else { break };
        rest = rest.get(len..).unwrap_or_default();
        let (answer, source_ref) = match ServerAnswer::decode(frame) {
            Ok(a) => answer_from(step, &a),
            Err(_) => continue,
        };
        attempts.push(NegotiationAttempt::from_step(step, answer, source_ref, 0.0));
    }
    let _ = assess(attempts);
    // The exchange machine, fed the same bytes as one stream framed as the driver frames it.
    for script in [vec![Event::Bytes(data.to_vec())], vec![Event::Bytes(data.to_vec()), Event::Silence]] {
        let r = replay(&mut Exchange::for_step(None, &PlanStep::ask(0x0b)), &script);
        // One request written, whatever came back.
        debug_assert_eq!(r.sent.len(), 1);
        let _ = r.output;
    }
}

/// A fuzz entry point.
pub type Target = fn(&[u8]);

/// What a server sent instead of a TLS ServerHello (`tls::not_tls`): classified and described
/// without panicking, whatever the bytes.
pub fn not_tls(data: &[u8]) {
    if let Some(n) = crate::wire::tls::not_tls::classify(data) {
        let _ = (n.name(), n.after_selecting_tls());
    }
}

/// RSA handshake-signature check for keys ring refuses (`tls::legacy_rsa`): the first byte
/// picks the scheme, then two length-prefixed fields (modulus, exponent), then the signature;
/// the message is the signature reversed. Checks bounded work and no panic on any key.
pub fn legacy_rsa(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let schemes = [0x0201u16, 0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806];
    let scheme = schemes.get(usize::from(pick) % schemes.len()).copied().unwrap_or(0x0401);
    let field = |b: &'_ [u8]| -> Option<(Vec<u8>, Vec<u8>)> {
        let (&len, b) = b.split_first()?;
        let len = usize::from(len) * 4;
        let v = b.get(..len.min(b.len()))?.to_vec();
        Some((v, b.get(len.min(b.len())..)?.to_vec()))
    };
    let Some((modulus, rest)) = field(rest) else { return };
    let Some((exponent, sig)) = field(&rest) else { return };
    let key = crate::steps::legacy_rsa::RsaKey::new(&modulus, &exponent);
    let message: Vec<u8> = sig.iter().rev().copied().collect();
    let _ = key.verify(scheme, &message, &sig);
    let _ = crate::steps::legacy_rsa::verify_where_ring_refuses(rest.as_slice(), scheme, &message, &sig);
}

/// TLS record layer, handshake reassembly, ServerHello/Certificate/Alert, ClientHello decoder.
pub fn tls_records(data: &[u8]) {
    let mut f = crate::wire::tls::ServerFlight::new();
    // Feed in two pieces to exercise reassembly at an arbitrary split.
    let split = data.first().map(|b| usize::from(*b)).unwrap_or(0).min(data.len());
    let (a, b) = data.split_at(split);
    if f.feed(a).is_ok() {
        let _ = f.feed(b);
    }
    if let Some(sh) = &f.server_hello {
        let _ = (sh.version(), sh.alpn(), sh.key_share_group(), sh.is_hello_retry_request());
    }
    let _ = crate::wire::tls::record::ServerHello::decode(data);
    let _ = crate::wire::tls::record::decode_certificate_tls12(data);
    let _ = crate::wire::tls::hello::ParsedClientHello::decode(data);
    let mut i = data;
    while let Ok((_, rest)) = crate::wire::tls::decode_record(i) {
        i = rest;
    }
}

/// X.509 certificate report (and chain logic on a chain of the certificate with itself).
pub fn certificate(data: &[u8]) {
    let _ = crate::steps::tls_cert::certificate_report(data, 1_700_000_000, Some("host.example"));
    let _ = crate::steps::tls_cert::chain_report(&[data.to_vec(), data.to_vec()], 0, Some("127.0.0.1"));
}

/// Decodes arbitrary bytes as a TSRequest (and its stream framing); re-encodes what decodes.
pub fn ts_request(data: &[u8]) {
    let _ = crate::wire::credssp::frame_len(data);
    if let Ok(r) = crate::wire::credssp::TsRequest::decode(data) {
        let again = crate::wire::credssp::TsRequest::decode(&r.encode());
        debug_assert_eq!(again.as_ref().map(|a| a.nego_tokens.len()).ok(), Some(r.nego_tokens.len()));
        for t in &r.nego_tokens {
            ntlm_challenge(t);
        }
    }
}

/// Decodes arbitrary bytes as an NTLM CHALLENGE_MESSAGE and as an AV_PAIR list.
pub fn ntlm_challenge(data: &[u8]) {
    if let Ok(c) = crate::wire::ntlm::ChallengeMessage::decode(data) {
        let _ = c.trusted_version().map(|v| crate::diagnosis::identify::ntlm_os_name(&v.product_version()));
        let _ = c.timestamp().map(crate::wire::ntlm::filetime_rfc3339);
        for p in &c.av_pairs {
            let _ = p.text();
        }
    }
    let _ = crate::wire::ntlm::decode_av_pairs(data);
}

/// Every server-side decoder of the MCS layer and the GCC layer beneath it on arbitrary bytes.
pub fn mcs_connect_response(data: &[u8]) {
    use crate::wire::mcs::{ConnectInitial, ServerMcsPdu};
    if let Ok(ServerMcsPdu::ConnectResponse(cr)) = ServerMcsPdu::decode(data) {
        if let Some(ud) = cr.user_data {
            if let Ok(ccr) = crate::wire::gcc::ConferenceCreateResponse::decode(&ud) {
                let blocks = crate::wire::gcc::ServerBlocks::decode(&ccr.user_data);
                let _ = crate::report::mcs::McsReport::from_blocks(&blocks);
            }
        }
    }
    let _ = ConnectInitial::decode(data);
}

/// The GCC Conference Create Response and server block decoders on arbitrary bytes.
pub fn gcc_server_blocks(data: &[u8]) {
    use crate::wire::gcc::{CertificateKind, ConferenceCreateResponse, ServerBlocks, ServerCertificate};
    let blocks = ServerBlocks::decode(data);
    if let Some(Some(Ok(c))) = blocks.security.as_ref().map(|s| s.server_certificate.clone()) {
        if let CertificateKind::Proprietary(p) = &c.kind {
            let _ = p.signature_valid();
        }
    }
    let _ = crate::report::mcs::McsReport::from_blocks(&blocks);
    if let Ok(r) = ConferenceCreateResponse::decode(data) {
        let _ = ServerBlocks::decode(&r.user_data);
    }
    let _ = ServerCertificate::decode(data);
}

// ---- the RDP connection sequence after MCS (issue 13, wire::rdp) ------------------------------

/// MCS domain PDUs (MS-RDPBCGR 2.2.1.5-9, 2.2.2.3). Oracle: decode → encode → decode is stable.
pub fn rdp_mcs_domain(data: &[u8]) {
    use crate::wire::rdp::mcs_domain::DomainPdu;
    if let Ok(p) = DomainPdu::decode(data) {
        if let Ok(enc) = p.encode() {
            assert_eq!(DomainPdu::decode(&enc).as_ref(), Ok(&p));
        }
    }
}

/// Licensing PDUs (2.2.1.12, MS-RDPELE 2.2.2), then the security header variants in front.
/// Oracle: an ERROR_ALERT and a PLATFORM_CHALLENGE_RESPONSE re-encode to the same bytes'
/// meaning.
pub fn rdp_licensing(data: &[u8]) {
    use crate::wire::rdp::licensing::{Licensing, LicensingPdu};
    use crate::wire::rdp::security::{HeaderKind, SecurityHeader};
    if let Ok(l) = Licensing::decode(data) {
        let _ = l.outcome_name();
        if let LicensingPdu::ErrorAlert(e) = &l.pdu {
            let enc = Licensing::encode_error_alert(l.flags, e);
            assert_eq!(Licensing::decode(&enc).as_ref(), Ok(&l));
        }
        if let LicensingPdu::PlatformChallengeResponse(r) = &l.pdu {
            assert_eq!(r.encode(l.flags), data);
        }
    }
    for kind in [HeaderKind::Basic, HeaderKind::NonFips, HeaderKind::Fips] {
        if let Ok((rest, _)) = SecurityHeader::decode(data, kind) {
            let _ = Licensing::decode(rest);
        }
    }
}

/// Share Control PDUs (2.2.8.1.1.1): Demand Active with its capability sets and their typed
/// views, Data PDUs, Deactivate All; several per payload. Oracle: Demand Active and Data PDUs
/// re-encode to PDUs that decode the same.
pub fn rdp_share_control(data: &[u8]) {
    use crate::wire::rdp::share::{ShareControl, ShareControlPdu};
    let mut rest = data;
    for _ in 0..64 {
        let Ok((r, sc)) = ShareControl::decode(rest) else { break };
        if let ShareControlPdu::DemandActive(da) = &sc.pdu {
            let _ = da.parsed();
            let _ = da.desktop();
        }
        if matches!(sc.pdu, ShareControlPdu::DemandActive(_) | ShareControlPdu::Data(..)) {
            if let Ok(enc) = sc.encode() {
                assert_eq!(ShareControl::decode(&enc).map(|(_, s)| s).as_ref(), Ok(&sc));
            }
        }
        if r.len() >= rest.len() {
            break;
        }
        rest = r;
    }
}

/// Fast-path output framing (2.2.9.1.2) as the reader sees it: frame length from the first
/// bytes, the header split for both security kinds, and the updates.
pub fn rdp_fast_path(data: &[u8]) {
    use crate::wire::rdp::output::{frame_len, FastPathOutput, FastPathSecurity, FastPathUpdate, FrameKind};
    if let Ok((FrameKind::FastPath, len)) = frame_len(data) {
        assert!((2..=crate::wire::rdp::output::MAX_FASTPATH_LEN).contains(&len));
        if let Some(frame) = data.get(..len) {
            for sec in [FastPathSecurity::Standard, FastPathSecurity::Fips] {
                if let Ok(fp) = FastPathOutput::decode(frame, sec) {
                    let _ = FastPathUpdate::decode_all(fp.data);
                }
            }
        }
    }
    if let Ok(ups) = FastPathUpdate::decode_all(data) {
        let mut enc = Vec::new();
        for u in &ups {
            u.encode(&mut enc);
        }
        assert_eq!(FastPathUpdate::decode_all(&enc).as_ref(), Ok(&ups));
    }
}

/// What a client sends, decoded (hostile-server harnesses and tests use these decoders):
/// Client Info, Security Exchange, Confirm Active body, Set Error Info. Oracle: Client Info
/// re-encodes to something that decodes the same.
pub fn rdp_client_pdus(data: &[u8]) {
    use crate::wire::rdp::{
        activation::ConfirmActive, client_info::ClientInfo, errinfo::ErrorInfo, security::SecurityExchange,
    };
    if let Ok(ci) = ClientInfo::decode(data) {
        assert_eq!(ClientInfo::decode(&ci.encode()).as_ref(), Ok(&ci));
    }
    let _ = SecurityExchange::decode(data);
    let _ = ConfirmActive::decode_body(data);
    let _ = ErrorInfo::decode(data).map(|e| (e.name(), e.class()));
}

/// The CredSSP machine (MS-CSSP 3.1.5) on arbitrary server bytes, as one stream framed by DER
/// the way the driver frames it: without credentials, and with them (fixed randomness), ending
/// in a close or in silence; the outcome is then read into the report section.
pub fn credssp(data: &[u8]) {
    use crate::steps::credssp::{report, Credssp, Logon, Secrets};
    for (with_logon, end) in [(false, Event::Close), (true, Event::Close), (true, Event::Silence)] {
        let logon = with_logon.then(|| Logon {
            credentials: crate::options::Credentials { domain: "D".into(), user: "u".into(), password: "p".into() },
            server_key: Some(vec![0x30, 0x03, 0x02, 0x01, 0x01]),
            secrets: Ok(Secrets {
                random: crate::wire::ntlm::AuthRandom { client_challenge: [1; 8], session_key: [2; 16] },
                nonce: [3; 32],
            }),
            delegate: false,
        });
        let mut m = Credssp::new(logon, Box::new(|| 1.7e9));
        let r = replay(&mut m, &[Event::Bytes(data.to_vec()), end]);
        // NEGOTIATE, then at most AUTHENTICATE.
        debug_assert!((1..=2).contains(&r.sent.len()));
        let mut nla = crate::report::NlaReport::default();
        report(&r.output, true, &mut nla);
    }
}

/// The MCS Connect machine (`steps::mcs`) fed arbitrary server bytes as one stream, framed as the
/// driver frames a socket: after its own X.224 exchange and alone, then into the report section.
/// Oracle: at most the CR and the Connect Initial are written.
pub fn mcs_connect(data: &[u8]) {
    use crate::report::mcs::EncryptionMethod;
    use crate::steps::mcs::{self, Connect};
    use crate::wire::x224::{NegotiationRequest, Protocol};
    let neg = NegotiationRequest { flags: Default::default(), requested_protocols: Protocol::Rdp.as_set() };
    for script in [vec![Event::Bytes(data.to_vec())], vec![Event::Bytes(data.to_vec()), Event::Silence]] {
        let mut both = Connect::after_x224(Exchange::new(None, Some(neg)), Protocol::Rdp, mcs::FIRST_OFFER);
        let mut alone = Connect::new(0, mcs::FIRST_OFFER);
        for m in [&mut both, &mut alone] {
            let r = replay(m, &script);
            assert!(r.sent.len() <= 2);
            let mut report = crate::report::McsReport::default();
            mcs::apply(&mut report, &r.output);
            let _ = mcs::method_answer(EncryptionMethod::Bit128, &r.output);
            let _ = mcs::method_offers(&r.output, true);
        }
    }
}

/// Graphics (issue 13): an update body (bitmap, palette or other) applied to a small desktop,
/// whatever the bitmaps claim. Oracle: a bitmap update that decodes re-encodes to the same.
pub fn graphics_update(data: &[u8]) {
    use crate::graphics::{BitmapUpdate, Framebuffer};
    if let Ok(u) = BitmapUpdate::decode(data) {
        if let Ok(enc) = u.encode() {
            assert_eq!(BitmapUpdate::decode(&enc).as_ref(), Ok(&u));
        }
    }
    if let Ok(mut fb) = Framebuffer::new(64, 48) {
        let _ = fb.apply_update_body(data);
        let _ = fb.to_png();
    }
}

/// Graphics (issue 13): the bitmap codecs straight on arbitrary data. The first 5 bytes choose
/// width (1..=128), height (1..=128), bits per pixel and compression; the rest is the data.
pub fn graphics_bitmap(data: &[u8]) {
    use crate::graphics::{decode_bitmap, BitmapData, BitmapFlags, Palette};
    let [w, h, bpp, flags, hi, rest @ ..] = data else { return };
    let bits_per_pixel = [8, 15, 16, 24, 32, 0, 1, 64].get(usize::from(*bpp % 8)).copied().unwrap_or(8);
    let width = u16::from(*w % 128) + 1 + if *hi & 1 != 0 { 4000 } else { 0 };
    let height = u16::from(*h % 128) + 1 + if *hi & 2 != 0 { 4000 } else { 0 };
    let rect = BitmapData {
        dest_left: 0,
        dest_top: 0,
        dest_right: width - 1,
        dest_bottom: height - 1,
        width,
        height,
        bits_per_pixel,
        flags: BitmapFlags(u16::from(*flags)),
        compressed_header: None,
        data: rest,
    };
    if let Ok(b) = decode_bitmap(&rect, &Palette::default()) {
        assert_eq!(b.rgb.len(), usize::from(width) * usize::from(height) * 3);
    }
}

/// The session machine (issue 13) on an arbitrary server stream after MCS Connect, framed as the
/// driver frames it, at encryption level None and under RC4 128-bit and FIPS (fixed randoms),
/// with a screen; the outcome is then read into the report section. Ends within the replay's
/// action bound whatever the bytes.
pub fn session(data: &[u8]) {
    use crate::report::session::SessionSecurity;
    use crate::steps::session::machine::{Config, Session, Standard, MAX_FRAMES};
    use crate::wire::rdp::crypto::Method;
    let standard = |method| Standard { method, server_random: vec![7; 32], modulus_le: vec![0xa7; 64], exponent: 3 };
    for (standard, end) in [
        (None, Event::Close),
        (Some(standard(Method::Rc4_128)), Event::Silence),
        (Some(standard(Method::Fips)), Event::Close),
    ] {
        let cfg = Config {
            standard,
            io_channel: 1003,
            message_channel: Some(1008),
            static_channels: vec![1004, 1005],
            client_info: crate::wire::rdp::client_info::ClientInfo::logon_screen("127.0.0.1"),
            client_random: [1; 32],
            license_client_random: [3; 32],
            license_premaster: [2; 48],
            license_names: ("u".into(), "m".into()),
            settle_ms: 500.0,
            deadline_ms: 5000.0,
            max_frames: MAX_FRAMES.min(2000),
        };
        let mut m = Session::new(cfg, crate::steps::session::screen::factory());
        let r = replay(&mut m, &[Event::Bytes(data.to_vec()), end]);
        let _ = crate::steps::session::report(r.output, SessionSecurity::Standard, None, true);
    }
}

/// The SC_SECURITY X.509 chain (MS-RDPBCGR 2.2.1.4.3.1, `steps::server_chain`): the bytes as a
/// SERVER_CERTIFICATE whose chain is summarised and verified, as a two-certificate chain cut in
/// the middle, and as an RSAPublicKey. Oracle: one summary per certificate; a key that parses
/// has the bits its modulus has.
pub fn server_chain(data: &[u8]) {
    use crate::steps::server_chain::{fill, RsaPublic};
    use crate::wire::gcc::{CertificateKind, ServerCertificate};
    let mut report = crate::report::mcs::ServerCertificateReport::default();
    if let Ok(ServerCertificate { kind: CertificateKind::X509Chain(certs), .. }) = ServerCertificate::decode(data) {
        fill(&mut report, &certs);
        assert_eq!(report.chain.len(), certs.len());
    }
    let (a, b) = data.split_at(data.len() / 2);
    fill(&mut report, &[a.to_vec(), b.to_vec()]);
    assert_eq!(report.chain.len(), 2);
    if let Some(k) = RsaPublic::from_der(data) {
        assert!(k.bits() <= 8 * k.modulus.len() as u64);
        let _ = k.verify("1.2.840.113549.1.1.4", data, data);
    }
}

/// The fingerprint table parser (`diagnosis::identify`), on any text: never panics, and what it
/// accepts has 9 columns per row.
pub fn fingerprint_table(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(rows) = crate::diagnosis::identify::parse_table(&text) {
        for r in rows {
            let _ = r.mainstream_end.map(crate::diagnosis::identify::date_days);
        }
    }
    let _ = crate::diagnosis::identify::timestamp_of(&text);
}

/// Identification (`diagnosis::identify`) over a report built from the bytes: a negotiation
/// of up to eight attempts (4 bytes each: request, answer kind, value, flags; assessed as the
/// probe does), then a control byte choosing an NTLM CHALLENGE decoded from the rest (through
/// [`crate::report::nla::NtlmInfo::from_challenge`]) or a VERSION from three bytes, a CredSSP
/// version, an SC_CORE version, TLS 1.3, and either a probe date or a whole table (parsed at
/// run time by [`crate::diagnosis::identify::identify_with`]) from the rest. Oracles: the
/// issue's promises, that a non-Windows server never gets Windows support dates, a Windows
/// name or `windows-end-of-life`.
pub fn identify(data: &[u8]) {
    use crate::diagnosis::identify::{identify_with, Family, TABLE};
    use crate::report::{Answer, McsReport, NlaReport, Report, Status, TlsReport};
    use crate::wire::x224::{FailureCode, NegRspFlags, Protocol, SecurityProtocols};
    let mut bytes = data.iter().copied();
    let mut next = || bytes.next().unwrap_or(0);
    let src = u16::from_be_bytes([next(), next()]);
    let requests = [0x0b, 0, 1, 2, 4, 8, 0x10, 3];
    let mut attempts = Vec::new();
    for _ in 0..next() % 9 {
        let (req, kind, v, fl) = (next(), next(), next(), next());
        let requested_value = requests.get(usize::from(req % 8)).copied().unwrap_or(0);
        let answer = match kind % 8 {
            0 | 1 => {
                let p = u32::from(v & 0x1f);
                Answer::Selected {
                    protocol: Protocol::from(p).name(),
                    protocol_value: p,
                    flags: NegRspFlags(fl).names(),
                    flags_value: fl,
                    requested: requested_value & p == p,
                }
            }
            2 => Answer::Failure { code: FailureCode::from(u32::from(v % 8)).name(), code_value: u32::from(v % 8) },
            3 => Answer::NoNegotiation,
            4 => Answer::McsDisconnect { raw_hex: "0300000902f0802180".into() },
            5 => Answer::Disconnect { reason: v },
            6 => Answer::Closed { detail: "closed".into() },
            _ => Answer::UnknownNegotiation { ty: v, raw_hex: String::new() },
        };
        attempts.push(NegotiationAttempt {
            requested_value,
            requested: SecurityProtocols(requested_value).display_names(),
            request_flags: 0,
            with_neg_req: req & 0x80 == 0,
            answer,
            source_ref: (req & 0x40 == 0).then_some(src),
            ms: 0.0,
        });
    }
    let ctl = next();
    let ntlm = if ctl & 0x01 != 0 {
        let (major, minor, build) = (next(), next(), u16::from_le_bytes([next(), next()]));
        Some(crate::report::nla::NtlmInfo {
            product_version: Some(format!("{major}.{minor}.{build}")),
            os_build: Some(build),
            ..Default::default()
        })
    } else {
        None
    };
    let cssp = (ctl & 0x02 != 0).then(|| u32::from(next() % 8));
    let core = (ctl & 0x04 != 0).then(|| u32::from_le_bytes([next(), next(), next(), next()]));
    let rest: Vec<u8> = bytes.collect();
    let ntlm = if ctl & 0x40 != 0 {
        crate::wire::ntlm::ChallengeMessage::decode(&rest)
            .ok()
            .map(|c| crate::report::nla::NtlmInfo::from_challenge(&c, 0.0))
    } else {
        ntlm
    };
    let text = String::from_utf8_lossy(&rest);
    let report = Report {
        target: "fuzz".into(),
        status: Status::Rdp,
        negotiation: Some(assess(attempts)),
        nla: (ntlm.is_some() || cssp.is_some()).then(|| NlaReport {
            credssp_version: cssp,
            ntlm,
            ..NlaReport::default()
        }),
        mcs: core.map(|c| McsReport { version_code: Some(c), ..McsReport::default() }),
        tls: (ctl & 0x08 != 0)
            .then(|| TlsReport { version: Some(crate::report::tls::TlsVersion::Tls13), ..TlsReport::default() }),
        probed_at: Some(if ctl & 0x10 != 0 { text.to_string() } else { "2026-11-30T03:00:00Z".into() }),
        ..Report::default()
    };
    let table = if ctl & 0x20 != 0 { &text } else { TABLE };
    let mut r = report;
    r.identification = identify_with(&r, table);
    let Some(id) = r.identification.clone() else { return };
    if id.family != Family::Windows {
        assert!(id.end_of_support.is_none() && !id.past_end_of_support(), "{id:?}");
    }
    if id.family == Family::FreeRdp {
        assert_eq!(id.name, "FreeRDP-based server", "{id:?}");
    }
    assert_eq!(id.implementation().is_some(), id.family != Family::Unknown && !id.name.is_empty());
    r.implementation = id.implementation();
    let findings = crate::diagnosis::findings::analyze(&r);
    let eol = findings.iter().any(|f| f.id == crate::diagnosis::findings::FindingId::WINDOWS_END_OF_LIFE);
    assert_eq!(eol, id.past_end_of_support(), "{id:?}");
}

/// The licensing Platform Challenge path (MS-RDPELE 2.2.2.4, 2.2.2.5, 5.1): the input as a
/// licensing PDU; a PLATFORM_CHALLENGE is decrypted and MAC-checked under fixed licensing keys
/// and answered as the session machine answers it; the input also goes to the decoders of the
/// encrypted parts (PLATFORM_CHALLENGE_RESPONSE_DATA, CLIENT_HARDWARE_ID). Oracles: what we
/// seal opens to the challenge we decrypted, with a valid MAC; the decoded parts re-encode to
/// the input.
pub fn rdp_licensing_challenge(data: &[u8]) {
    use crate::wire::rdp::licensing::{
        ClientHardwareId, Licensing, LicensingPdu, PlatformChallengeResponse, PlatformChallengeResponseData,
        PLATFORM_ID,
    };
    use crate::wire::rdp::licensing_crypto::LicensingKeys;
    let Ok(keys) = LicensingKeys::derive(&[0x11; 32], &[0x22; 32], &[0x33; 48]) else { return };
    if let Ok(Licensing { pdu: LicensingPdu::PlatformChallenge { encrypted_challenge, mac_data, .. }, .. }) =
        Licensing::decode(data)
    {
        let (challenge, _mac_ok) = keys.open(&encrypted_challenge.data, &mac_data);
        let response = PlatformChallengeResponseData::for_challenge(&challenge);
        let hwid = ClientHardwareId::from_seed(PLATFORM_ID, data);
        let sealed = PlatformChallengeResponse::seal(&keys, &response, &hwid);
        let opened = sealed.open(&keys).ok();
        assert_eq!(opened, Some((response, hwid, true)), "a sealed response opens to what was sealed");
    }
    if let Ok(d) = PlatformChallengeResponseData::decode(data) {
        assert_eq!(d.encode(), data);
    }
    if let Ok(h) = ClientHardwareId::decode(data) {
        assert_eq!(h.encode().as_slice(), data);
    }
}

/// Every entry point by name (the cargo-fuzz target's name), for the crasher replay test.
pub const TARGETS: &[(&str, Target)] = &[
    ("tpkt", tpkt),
    ("x224_connection_confirm", x224_connection_confirm),
    ("x224_server_answer", x224_server_answer),
    ("x224_connection_request", x224_connection_request),
    ("identify_service", identify_service_bytes),
    ("negotiation", negotiation),
    ("ts_request", ts_request),
    ("ntlm_challenge", ntlm_challenge),
    ("tls_records", tls_records),
    ("certificate", certificate),
    ("mcs_connect_response", mcs_connect_response),
    ("gcc_server_blocks", gcc_server_blocks),
    ("not_tls", not_tls),
    ("legacy_rsa", legacy_rsa),
    ("rdp_mcs_domain", rdp_mcs_domain),
    ("rdp_licensing", rdp_licensing),
    ("rdp_share_control", rdp_share_control),
    ("rdp_fast_path", rdp_fast_path),
    ("rdp_client_pdus", rdp_client_pdus),
    ("credssp", credssp),
    ("mcs_connect", mcs_connect),
    ("graphics_update", graphics_update),
    ("graphics_bitmap", graphics_bitmap),
    ("server_chain", server_chain),
    ("fingerprint_table", fingerprint_table),
    ("session", session),
    ("identify", identify),
    ("rdp_licensing_challenge", rdp_licensing_challenge),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_survive_edge_inputs() {
        let inputs: &[&[u8]] = &[
            &[],
            &[3],
            &[3, 0, 0xff, 0xff],
            &[3, 0, 0, 6, 2, 0xf0],
            &[3, 0, 0, 0x0b, 6, 0xd0, 0, 0, 0x12, 0x34, 0],
            &[3, 0, 0, 9, 2, 0xf0, 0x80, 0x21, 0x80],
            b"SSH-2.0-OpenSSH_9.6\r\n",
        ];
        for (_, f) in TARGETS {
            for i in inputs {
                f(i);
            }
        }
    }

    /// TLS server flights captured from xrdp (TLS 1.1 and 1.3) and FreeRDP shadow (TLS 1.3), the
    /// vectors of the `tls` unit tests.
    const TLS_LEGACY: &[u8] = include_bytes!("../tests/vectors/tls/xrdp-tls-legacy-33900-server-flight.bin");
    const TLS_XRDP13: &[u8] = include_bytes!("../tests/vectors/tls/xrdp-tls-chain-33906-server-hello-tls13.bin");
    const TLS_SHADOW13: &[u8] = include_bytes!("../tests/vectors/tls/shadow-tls-33911-server-hello-tls13.bin");

    #[test]
    fn fuzz_entries_survive_vectors_and_garbage() {
        for v in [TLS_LEGACY, TLS_XRDP13, TLS_SHADOW13, &[][..], &[22, 3, 3, 0xff, 0xff][..]] {
            tls_records(v);
            certificate(v);
        }
    }

    /// The fuzz entries survive truncations and single-byte corruptions of a real answer.
    #[test]
    fn fuzz_entries_on_mutated_capture() {
        let frame = include_bytes!("../tests/vectors/mcs/xrdp-rdp-high-33891-mcs/mcs-connect-response-meth0x1b.bin");
        let mcs = crate::wire::x224::decode_data(frame).unwrap().to_vec();
        for n in 0..mcs.len() {
            mcs_connect_response(&mcs[..n]);
            gcc_server_blocks(&mcs[n..]);
        }
        for at in 0..mcs.len() {
            for x in [0x00, 0x7f, 0x80, 0xff] {
                let mut m = mcs.clone();
                m[at] = x;
                mcs_connect_response(&m);
                gcc_server_blocks(m.get(65..).unwrap_or_default());
            }
        }
    }

    /// The issue 13 entries survive every frame of the xrdp session capture, its prefixes and
    /// single-byte corruptions (at each layer: whole frame, MCS payload, user data).
    #[test]
    fn rdp_session_entries_on_mutated_capture() {
        let stream: &[u8] = include_bytes!("../tests/vectors/session/server-stream.bin");
        let mut rest = stream;
        while let Ok((_, len)) = crate::wire::rdp::output::frame_len(rest) {
            let frame = &rest[..len];
            rest = &rest[len..];
            let layers: Vec<&[u8]> = match crate::wire::x224::decode_data(frame) {
                Ok(mcs) => vec![frame, mcs, mcs.get(8..).unwrap_or_default(), mcs.get(12..).unwrap_or_default()],
                Err(_) => vec![frame],
            };
            for l in layers {
                for n in (0..l.len()).step_by(1 + l.len() / 64) {
                    for (_, f) in TARGETS.iter().filter(|(n, _)| n.starts_with("rdp_")) {
                        f(&l[..n]);
                    }
                }
                let mut m = l.to_vec();
                for at in (0..m.len()).step_by(1 + m.len() / 128) {
                    let orig = m[at];
                    for x in [0x00, 0x80, 0xff] {
                        m[at] = x;
                        for (_, f) in TARGETS.iter().filter(|(n, _)| n.starts_with("rdp_")) {
                            f(&m);
                        }
                    }
                    m[at] = orig;
                }
            }
        }
        assert!(rest.is_empty());
    }

    /// The CredSSP entry survives truncations and single-byte corruptions of a captured
    /// TSRequest (FreeRDP's CHALLENGE), alone and followed by a logon answer.
    #[test]
    fn credssp_on_mutated_capture() {
        let ts = include_bytes!("../tests/vectors/shadow-nla-credssp-tsrequest-server.bin").to_vec();
        let refusal = [0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa4, 0x06, 0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d];
        for n in 0..ts.len() {
            credssp(&ts[..n]);
        }
        for at in 0..ts.len() {
            for x in [0x00, 0x7f, 0x80, 0xff] {
                let mut m = ts.clone();
                m[at] = x;
                m.extend_from_slice(&refusal);
                credssp(&m);
            }
        }
    }
}
