//! What a server sent where a TLS record was expected (sans-IO).
//!
//! A server that selected TLS in its X.224 Connection Confirm but then cannot use its
//! certificate or private key does not answer our ClientHello with a ServerHello: xrdp sends
//! an MCS Disconnect-Provider-Ultimatum in clear (`03 00 00 09 02 f0 80 21 80`) and closes,
//! others send an X.224 Disconnect Request or just close. rustls then reports
//! `received corrupt message of type InvalidContentType`, which blames nobody useful; this
//! module names what came instead, with the X.224 and MCS decoders.

use crate::wire::mcs::ServerMcsPdu;
use crate::wire::tls::record::content_type;
use crate::wire::x224::ServerAnswer;

/// The most bytes of a non-TLS answer kept for the report.
pub const MAX_KEPT: usize = 64;

/// A server answer that is not TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotTls {
    /// TPKT + X.224 Data carrying an MCS Disconnect-Provider-Ultimatum (T.125 reason).
    McsDisconnect {
        /// Reason (T.125: 0 domain disconnected .. 4 channel purged).
        reason: u8,
    },
    /// TPKT + X.224 Disconnect Request (X.224 13.5).
    X224Disconnect {
        /// The reason octet.
        reason: u8,
    },
    /// Another TPKT frame (another X.224 TPDU or MCS PDU, or a TPKT frame cut short).
    OtherTpkt,
    /// Bytes that are neither a TLS record nor a TPKT frame.
    Unknown,
}

/// Classifies the first bytes a server sent where a TLS record was due. `None` when they
/// start like a TLS record (a TLS content type, 20..=24) or when there are none.
pub fn classify(bytes: &[u8]) -> Option<NotTls> {
    let first = *bytes.first()?;
    if (content_type::CHANGE_CIPHER_SPEC..=content_type::HEARTBEAT).contains(&first) {
        return None;
    }
    if first != crate::wire::tpkt::TPKT_VERSION {
        return Some(NotTls::Unknown);
    }
    // A whole TPKT frame at the start, trailing bytes ignored.
    let frame = match crate::wire::tpkt::frame_len(bytes) {
        Ok(len) => match bytes.get(..len) {
            Some(f) => f,
            None => return Some(NotTls::OtherTpkt),
        },
        Err(_) => return Some(NotTls::Unknown),
    };
    Some(match ServerAnswer::decode(frame) {
        Ok(ServerAnswer::Disconnect { reason, .. }) => NotTls::X224Disconnect { reason },
        Ok(ServerAnswer::Data { user_data }) => match ServerMcsPdu::decode(&user_data) {
            Ok(ServerMcsPdu::DisconnectProviderUltimatum { reason }) => NotTls::McsDisconnect { reason },
            _ => NotTls::OtherTpkt,
        },
        _ => NotTls::OtherTpkt,
    })
}

impl NotTls {
    /// What it is, e.g. `an MCS Disconnect-Provider-Ultimatum`.
    pub fn name(&self) -> &'static str {
        match self {
            NotTls::McsDisconnect { .. } => "an MCS Disconnect-Provider-Ultimatum",
            NotTls::X224Disconnect { .. } => "an X.224 Disconnect Request",
            NotTls::OtherTpkt => "a TPKT frame",
            NotTls::Unknown => "bytes that are not TLS",
        }
    }

    /// The explanation for an answer that came right after the server selected TLS (X.224
    /// Connection Confirm with SSL, HYBRID or HYBRID_EX), instead of its ServerHello.
    pub fn after_selecting_tls(&self) -> String {
        let what = format!(
            "the server sent {} in clear text instead of a TLS ServerHello right after selecting TLS",
            self.name()
        );
        match self {
            // xrdp's answer to a failed TLS accept (certificate/key mismatch or unreadable
            // key); an X.224 DR is the same refusal at the layer below.
            NotTls::McsDisconnect { .. } | NotTls::X224Disconnect { .. } => {
                format!("{what}: it cannot use its certificate or private key")
            }
            NotTls::OtherTpkt | NotTls::Unknown => format!("{what}: its TLS layer did not start"),
        }
    }
}

/// The explanation for a plain close right after the server selected TLS.
pub const CLOSED_AFTER_SELECTING_TLS: &str = "the server closed the connection instead of sending a TLS ServerHello \
     right after selecting TLS: it may be unable to use its certificate or private key";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xrdp_broken_key_answer() {
        // TPKT len 9 | X.224 DT (LI 2, F0, EOT) | MCS DPU, reason rn-user-requested.
        let dpu = [0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80];
        assert_eq!(classify(&dpu), Some(NotTls::McsDisconnect { reason: 3 }));
        // Trailing bytes after the frame do not change the verdict.
        let mut more = dpu.to_vec();
        more.extend_from_slice(&[0x16, 0x03]);
        assert_eq!(classify(&more), Some(NotTls::McsDisconnect { reason: 3 }));
        let t = classify(&dpu).unwrap().after_selecting_tls();
        assert!(t.contains("MCS Disconnect-Provider-Ultimatum") && t.contains("certificate or private key"), "{t}");
    }

    #[test]
    fn x224_disconnect_request() {
        // TPKT len 11 | LI 6, DR (0x80), DST-REF 0, SRC-REF 0x1234, reason 1.
        let dr = [0x03, 0x00, 0x00, 0x0b, 0x06, 0x80, 0x00, 0x00, 0x12, 0x34, 0x01];
        assert_eq!(classify(&dr), Some(NotTls::X224Disconnect { reason: 1 }));
        assert!(classify(&dr)
            .unwrap()
            .after_selecting_tls()
            .starts_with("the server sent an X.224 Disconnect Request"));
    }

    #[test]
    fn tls_and_others() {
        assert_eq!(classify(&[]), None);
        assert_eq!(classify(&[0x16, 0x03, 0x03, 0x00, 0x10]), None); // handshake record
        assert_eq!(classify(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]), None); // alert
        assert_eq!(classify(b"HTTP/1.1 400 Bad Request\r\n"), Some(NotTls::Unknown));
        assert_eq!(classify(&[0x03, 0x00]), Some(NotTls::Unknown)); // TPKT header cut short
        assert_eq!(classify(&[0x03, 0x00, 0x00, 0x09, 0x02, 0xf0]), Some(NotTls::OtherTpkt)); // frame cut short
                                                                                              // X.224 DT with an MCS Connect-Response type byte but garbage after it.
        assert_eq!(classify(&[0x03, 0x00, 0x00, 0x08, 0x02, 0xf0, 0x80, 0x7f]), Some(NotTls::OtherTpkt));
        // An X.224 CC where TLS was due.
        let cc = [0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00];
        assert_eq!(classify(&cc), Some(NotTls::OtherTpkt));
    }
}
