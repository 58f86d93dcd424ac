//! Property tests (issue 8): every PDU we write decodes back to what we wrote. Generators cover
//! the whole value space of each field, within what the spec allows us to send.

use proptest::prelude::*;
use rdp_probe::wire::tpkt;
use rdp_probe::wire::x224::{
    self, ConnectionConfirm, ConnectionRequest, Cookie, CorrelationInfo, FailureCode, NegReqFlags, NegRspFlags,
    NegotiationRequest, NegotiationResponse, Protocol, SecurityProtocols, TpduHeader,
};

fn cookie() -> impl Strategy<Value = Option<Cookie>> {
    prop_oneof![
        Just(None),
        // mstshash: any text without CR LF (the terminator), up to 100 bytes of UTF-8
        "[^\r\n]{0,40}".prop_filter("fits", |s| s.len() <= 100).prop_map(|s| Some(Cookie::Mstshash(s))),
        // a broker's routing token, with or without its CR LF
        ("[0-9]{1,10}\\.[0-9]{1,5}\\.[0-9]{4}", any::<bool>()).prop_map(|(t, crlf)| {
            let mut v = format!("Cookie: msts={t}").into_bytes();
            if crlf {
                v.extend_from_slice(b"\r\n");
            }
            Some(Cookie::RoutingToken(v))
        }),
    ]
}

fn connection_request() -> impl Strategy<Value = ConnectionRequest> {
    (cookie(), proptest::option::of((any::<u8>(), any::<u32>())), proptest::option::of(any::<[u8; 16]>())).prop_map(
        |(cookie, neg, corr)| {
            let negotiation = neg
                .map(|(f, p)| NegotiationRequest { flags: NegReqFlags(f), requested_protocols: SecurityProtocols(p) });
            // RDP_NEG_CORRELATION_INFO only travels after an RDP_NEG_REQ (2.2.1.1.2).
            let correlation = negotiation.and(corr).map(|correlation_id| CorrelationInfo { correlation_id });
            ConnectionRequest { cookie, negotiation, correlation }
        },
    )
}

fn negotiation_response() -> impl Strategy<Value = Option<NegotiationResponse>> {
    prop_oneof![
        Just(None),
        (any::<u8>(), any::<u32>()).prop_map(|(f, p)| Some(NegotiationResponse::Response {
            flags: NegRspFlags(f),
            selected_protocol: Protocol::from(p)
        })),
        (any::<u8>(), any::<u32>())
            .prop_map(|(flags, c)| Some(NegotiationResponse::Failure { flags, code: FailureCode::from(c) })),
        (any::<u8>().prop_filter("unknown type", |t| *t != 2 && *t != 3), any::<u8>(), 4usize..=248)
            .prop_flat_map(|(ty, flags, total)| {
                (Just(ty), Just(flags), Just(total), 0usize..=total, proptest::collection::vec(any::<u8>(), total - 4))
            })
            .prop_map(|(ty, flags, _total, length, body)| {
                let mut raw = vec![ty, flags];
                raw.extend_from_slice(&(length as u16).to_le_bytes());
                raw.extend_from_slice(&body);
                Some(NegotiationResponse::Unknown { ty, raw })
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn tpkt_round_trip(payload in proptest::collection::vec(any::<u8>(), 2..=4096usize)) {
        let f = tpkt::encode(&payload).unwrap();
        prop_assert_eq!(tpkt::frame_len(&f).unwrap(), f.len());
        prop_assert_eq!(tpkt::decode(&f).unwrap(), &payload[..]);
    }

    #[test]
    fn connection_request_round_trip(cr in connection_request()) {
        let enc = cr.encode().unwrap();
        let mut want = cr.clone();
        if let Some(Cookie::RoutingToken(t)) = &mut want.cookie {
            if !t.ends_with(b"\r\n") {
                t.extend_from_slice(b"\r\n");
            }
        }
        prop_assert_eq!(ConnectionRequest::decode(&enc).unwrap(), want);
    }

    #[test]
    fn connection_confirm_round_trip(
        code in 0u8..16, dst_ref in any::<u16>(), src_ref in any::<u16>(), class_option in any::<u8>(),
        negotiation in negotiation_response(),
    ) {
        let cc = ConnectionConfirm {
            header: TpduHeader { li: 0, code: 0xD0 | code, dst_ref, src_ref, class_option },
            negotiation,
        };
        let enc = cc.encode().unwrap();
        let mut want = cc.clone();
        want.header.li = enc[4]; // LI is computed by the encoder
        prop_assert_eq!(ConnectionConfirm::decode(&enc).unwrap(), want);
    }

    #[test]
    fn data_tpdu_round_trip(user in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let f = x224::encode_data(&user).unwrap();
        prop_assert_eq!(x224::decode_data(&f).unwrap(), &user[..]);
    }
}

#[test]
fn largest_frames_round_trip() {
    let payload = vec![0xA5; 0xFFFF - tpkt::TPKT_HEADER_LEN];
    let f = tpkt::encode(&payload).unwrap();
    assert_eq!(tpkt::decode(&f).unwrap(), &payload[..]);
    assert!(tpkt::encode(&[0; 0xFFFF - 3]).is_err(), "one byte too many must not frame");
    let user = vec![0x5A; 0xFFFF - 7];
    assert_eq!(x224::decode_data(&x224::encode_data(&user).unwrap()).unwrap(), &user[..]);
}
