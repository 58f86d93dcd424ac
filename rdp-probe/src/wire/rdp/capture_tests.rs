//! The whole xfreerdp session against xrdp at encryption level none
//! (`xrdp-rdp-none-33895-xfreerdp-full-session.pcapng`, vectors in `tests/vectors/session/`):
//! every server PDU decodes, the client PDUs we build re-encode to xfreerdp's bytes, and every
//! prefix and single-byte corruption of the vectors fails cleanly.

use super::activation::ConfirmActive;
use super::capabilities::{Capability, CapabilityType};
use super::client_info::ClientInfo;
use super::licensing::{LicenseErrorCode, Licensing, LicensingPdu, StateTransition};
use super::mcs_domain::{self, DomainPdu, SendData};
use super::output::{frame_len, FastPathOutput, FastPathSecurity, FastPathUpdate, FastPathUpdateCode, FrameKind};
use super::security::{HeaderKind, SecurityFlags, SecurityHeader};
use super::share::{self, DataPdu, PduType2, ShareControl, ShareControlPdu};
use crate::wire::x224;

macro_rules! vector {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/vectors/session/", $name)).as_slice()
    };
}

pub(crate) const SERVER_STREAM: &[u8] = vector!("server-stream.bin");
pub(crate) const CLIENT_STREAM: &[u8] = vector!("client-stream.bin");

/// Splits a stream into frames with [`frame_len`], as the reader will.
pub(crate) fn frames(mut s: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !s.is_empty() {
        let (_, len) = frame_len(s).unwrap();
        out.push(&s[..len]);
        s = &s[len..];
    }
    out
}

/// The MCS Send Data user data of a slow-path frame.
fn user_data(frame: &[u8]) -> SendData<'_> {
    match DomainPdu::decode(x224::decode_data(frame).unwrap()).unwrap() {
        DomainPdu::SendDataIndication(sd) | DomainPdu::SendDataRequest(sd) => sd,
        other => panic!("{other:?}"),
    }
}

/// Wraps user data as the client sends it on the I/O channel.
fn client_frame(payload: &[u8]) -> Vec<u8> {
    x224::encode_data(&SendData::request(1007, 1003, payload).encode_request().unwrap()).unwrap()
}

/// One server frame as the session reads it at encryption level none: licensing PDUs carry a
/// basic security header, the rest none.
#[derive(Debug)]
enum Server<'a> {
    Mcs(DomainPdu<'a>),
    Licensing(Licensing),
    Share(Vec<ShareControl>),
    FastPath(Vec<FastPathUpdate<'a>>),
}

fn decode_server(frame: &[u8], licensing: bool) -> Result<Server<'_>, crate::wire::codec::DecodeError> {
    let (kind, _) = frame_len(frame)?;
    if kind == FrameKind::FastPath {
        let fp = FastPathOutput::decode(frame, FastPathSecurity::Standard)?;
        return Ok(Server::FastPath(FastPathUpdate::decode_all(fp.data)?));
    }
    let pdu = DomainPdu::decode(x224::decode_data(frame)?)?;
    let DomainPdu::SendDataIndication(sd) = pdu else { return Ok(Server::Mcs(pdu)) };
    if licensing {
        let (rest, h) = SecurityHeader::decode(sd.user_data, HeaderKind::Basic)?;
        if !h.is_some_and(|h| h.flags.contains(SecurityFlags::LICENSE_PKT)) {
            return Err(crate::wire::codec::DecodeError::invalid("test", "flags", 0));
        }
        return Ok(Server::Licensing(Licensing::decode(rest)?));
    }
    let mut rest = sd.user_data;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (r, sc) = ShareControl::decode(rest)?;
        out.push(sc);
        rest = r;
    }
    Ok(Server::Share(out))
}

#[test]
fn every_server_pdu_of_the_session_decodes() {
    let fr = frames(SERVER_STREAM);
    assert_eq!(fr.len(), 54);
    let decoded: Vec<Server> =
        fr.iter().enumerate().map(|(k, f)| decode_server(f, k == 7 || k == 8).unwrap()).collect();

    // fr[0] is the MCS Connect Response (BER, tested in wire::mcs); then Attach User Confirm
    assert!(matches!(decoded[1], Server::Mcs(DomainPdu::AttachUserConfirm { result: 0, initiator: Some(1007) })));
    for (k, ch) in [(2, 1007u16), (3, 1003), (4, 1004), (5, 1005), (6, 1006)] {
        let Server::Mcs(DomainPdu::ChannelJoinConfirm { result, initiator, requested, channel_id }) = decoded[k] else {
            panic!("{k}")
        };
        assert_eq!((result, initiator, requested, channel_id), (0, 1007, ch, Some(ch)));
    }

    // License Request (MS-RDPELE 2.2.2.1) and its server certificate
    let Server::Licensing(Licensing { flags: 2, pdu: LicensingPdu::LicenseRequest(lr) }) = &decoded[7] else {
        panic!()
    };
    assert_eq!(lr.company_name, "Microsoft Corporation");
    assert_eq!(lr.product_id, "236");
    assert_eq!(lr.scopes, ["microsoft.com"]);
    assert_eq!((lr.key_exchange_list.blob_type, lr.key_exchange_list.data.as_slice()), (0x0d, &[1u8, 0, 0, 0][..]));
    let cert = crate::wire::gcc::ServerCertificate::decode(&lr.server_certificate.data).unwrap();
    let crate::wire::gcc::CertificateKind::Proprietary(p) = &cert.kind else { panic!() };
    assert_eq!(p.public_key.as_ref().unwrap().bitlen, 512);

    // Error Alert: STATUS_VALID_CLIENT, ST_NO_TRANSITION
    let Server::Licensing(l) = &decoded[8] else { panic!() };
    let LicensingPdu::ErrorAlert(e) = &l.pdu else { panic!() };
    assert_eq!((e.error_code, e.state_transition), (LicenseErrorCode::ValidClient, StateTransition::NoTransition));
    assert_eq!(l.outcome_name().as_deref(), Some("valid_client"));

    // Demand Active
    let Server::Share(v) = &decoded[9] else { panic!() };
    let ShareControlPdu::DemandActive(da) = &v[0].pdu else { panic!() };
    assert_eq!((v[0].pdu_source, da.share_id, da.source_descriptor.as_slice()), (1007, 0x103ea, &b"RDP\0"[..]));
    assert_eq!(da.capability_sets.len(), 13);
    assert_eq!(da.desktop(), Some((800, 600, 16)));
    assert_eq!(da.session_id, Some(0));
    let parsed = da.parsed();
    let general = parsed.iter().find_map(|c| if let Capability::General(g) = c { Some(*g) } else { None }).unwrap();
    assert_eq!((general.os_major_type, general.os_minor_type, general.protocol_version), (1, 3, 0x200));
    assert_eq!(general.extra_flags.names(), ["fastpath_output_supported", "no_bitmap_compression_hdr"]);
    let codecs =
        parsed.iter().find_map(|c| if let Capability::BitmapCodecs(c) = c { Some(c.clone()) } else { None }).unwrap();
    let names: Vec<String> = codecs.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["nscodec", "remotefx", "image_remotefx", "jpeg"]);
    assert!(parsed.contains(&Capability::MultifragmentUpdate { max_request_size: 0x0020_c000 }));
    assert!(parsed.contains(&Capability::SurfaceCommands { cmd_flags: 0x52 }));
    assert!(parsed.contains(&Capability::Font { support_flags: None }));
    assert!(parsed.contains(&Capability::Share { node_id: 1007 }));
    assert!(da.capability_sets.iter().any(|s| s.cap_type == CapabilityType::FrameAcknowledge));
    // re-encoding the Demand Active gives the server's bytes back
    assert_eq!(v[0].encode().unwrap(), user_data(fr[9]).user_data);

    // finalization: Synchronize, Control cooperate, Control granted, Font Map
    let data = |k: usize| match &decoded[k] {
        Server::Share(v) => match &v[0].pdu {
            ShareControlPdu::Data(_, d) => d.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(data(10), DataPdu::Synchronize { message_type: 1, target_user: 1002 });
    assert_eq!(data(11), DataPdu::Control { action: share::action::COOPERATE, grant_id: 0, control_id: 1002 });
    assert_eq!(data(12), DataPdu::Control { action: share::action::GRANTED_CONTROL, grant_id: 0, control_id: 1002 });
    assert_eq!(data(13), DataPdu::FontMap { number: 0, total: 0, flags: 3, entry_size: 4 });

    // fast-path output: a synchronize and two pointer updates, all bulk-compressed by xrdp
    let Server::FastPath(u) = &decoded[14] else { panic!() };
    assert_eq!((u.len(), u[0].code, u[0].compression_flags), (1, FastPathUpdateCode::Synchronize, Some(0)));
    for k in [15, 16] {
        let Server::FastPath(u) = &decoded[k] else { panic!() };
        assert_eq!(u[0].code, FastPathUpdateCode::Pointer);
    }
    // the rest are slow-path updates, compressed (xfreerdp asked for compression; we do not)
    let mut updates = 0;
    for d in &decoded[17..] {
        let Server::Share(v) = d else { panic!() };
        let ShareControlPdu::Data(h, DataPdu::Compressed(_)) = &v[0].pdu else { panic!() };
        assert_eq!(h.pdu_type2, PduType2::Update);
        assert_ne!(h.compressed_type & share::PACKET_COMPRESSED, 0);
        updates += 1;
    }
    assert_eq!(updates, 37);
}

#[test]
fn client_pdus_re_encode_to_xfreerdps_bytes() {
    let fr = frames(CLIENT_STREAM);
    assert_eq!(fr.len(), 19);
    // fr[0] is the MCS Connect Initial; then Erect Domain, Attach User, five Channel Joins
    assert_eq!(fr[1], x224::encode_data(&mcs_domain::encode_erect_domain_request(0, 0)).unwrap());
    assert_eq!(fr[2], x224::encode_data(&mcs_domain::encode_attach_user_request()).unwrap());
    for (k, ch) in [(3, 1007u16), (4, 1003), (5, 1004), (6, 1005), (7, 1006)] {
        assert_eq!(fr[k], x224::encode_data(&mcs_domain::encode_channel_join_request(1007, ch)).unwrap());
    }

    // Client Info: basic header SEC_INFO_PKT, then TS_INFO_PACKET with xfreerdp's values
    let sd = user_data(fr[8]);
    let (rest, h) = SecurityHeader::decode(sd.user_data, HeaderKind::Basic).unwrap();
    assert_eq!(h, Some(SecurityHeader::basic(SecurityFlags::INFO_PKT)));
    let ci = ClientInfo::decode(rest).unwrap();
    assert_eq!(ci.user_name, "root");
    assert_eq!(ci.domain, "");
    let x = ci.extra.as_ref().unwrap();
    assert_eq!((x.client_address_family, x.client_address.as_str()), (2, "127.0.0.1"));
    let mut again = Vec::new();
    SecurityHeader::basic(SecurityFlags::INFO_PKT).encode(&mut again);
    again.extend_from_slice(&ci.encode());
    assert_eq!(client_frame(&again), fr[8]);

    // New License Request: basic header SEC_LICENSE_PKT, preamble 0x83
    let sd = user_data(fr[9]);
    let (rest, _) = SecurityHeader::decode(sd.user_data, HeaderKind::Basic).unwrap();
    let l = Licensing::decode(rest).unwrap();
    let LicensingPdu::NewLicenseRequest(nlr) = &l.pdu else { panic!() };
    assert_eq!((nlr.user_name.as_str(), nlr.machine_name.as_str(), nlr.encrypted_premaster.len()), ("root", "vm", 72));
    assert_eq!(nlr.encode(l.flags), rest);

    // Confirm Active: decoded and re-encoded byte for byte
    let sd = user_data(fr[10]);
    let (rest, sc) = ShareControl::decode(sd.user_data).unwrap();
    assert!(rest.is_empty());
    let ShareControlPdu::ConfirmActive(ca) = &sc.pdu else { panic!() };
    assert_eq!((ca.share_id, ca.originator_id, ca.capability_sets.len()), (0x103ea, 1002, 19));
    let rebuilt =
        ShareControl { pdu_source: 1007, pdu: ShareControlPdu::ConfirmActive(ConfirmActive { ..ca.clone() }) };
    assert_eq!(client_frame(&rebuilt.encode().unwrap()), fr[10]);

    // Synchronize / Control / Control / Font List from our builder (xfreerdp targets its own
    // user channel in Synchronize where the spec and mstsc name the server channel)
    for (k, sc) in (11..15).zip(share::client_finalization(1007, 0x103ea, 1007)) {
        assert_eq!(client_frame(&sc.encode().unwrap()), fr[k], "frame {k}");
    }
    // the fast-path input frames at the end frame correctly
    assert_eq!(frame_len(fr[15]).unwrap().0, FrameKind::FastPath);
}

/// Every prefix and many single-byte corruptions of every server frame decode or fail cleanly.
#[test]
fn truncated_and_corrupted_server_frames_never_panic() {
    for f in frames(SERVER_STREAM).into_iter().take(17) {
        for n in 0..f.len() {
            assert!(decode_server(&f[..n], false).is_err());
            assert!(decode_server(&f[..n], true).is_err());
        }
        let mut m = f.to_vec();
        for at in 0..m.len() {
            let orig = m[at];
            for x in [0x00, 0x7f, 0x80, 0xff] {
                m[at] = x;
                let _ = decode_server(&m, false);
                let _ = decode_server(&m, true);
            }
            m[at] = orig;
        }
    }
    // the inner decoders alone, on every prefix of the licensing and capability bodies
    for k in [7usize, 8, 9] {
        let f = frames(SERVER_STREAM)[k];
        let ud = user_data(f).user_data;
        for n in 0..ud.len() {
            let _ = Licensing::decode(ud.get(4..n).unwrap_or_default());
            let _ = ShareControl::decode(&ud[..n]);
        }
    }
}
