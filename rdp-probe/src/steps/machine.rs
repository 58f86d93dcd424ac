//! The shape every step machine has, the one framing rule the driver reads by, and a replay
//! harness that runs a machine against captured server bytes without a socket.
//!
//! A machine is a plain state machine: [`Machine::start`] and [`Machine::input`] answer with an
//! [`Action`]: bytes to send and how to frame the answer, a further read, or the typed result.
//! The async driver (`net/drive.rs`) only moves bytes, keeps deadlines and reports a failed read
//! or write as [`Input::Error`]; it never decides anything. The same [`need`] function frames
//! reads for the driver and for [`replay`], so a test that feeds a captured byte stream exercises
//! exactly the framing the network sees.

use super::io::{NetError, NetErrorKind};
use crate::report::Phase;
use crate::wire::codec::DecodeError;
use crate::wire::tls::record::MAX_RECORD_LEN;
use crate::wire::{credssp, tpkt};

/// How the next read is cut into one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// One T.123 TPKT frame (4-byte header carrying the length, MS-RDPBCGR 2.2.1.2). A first
    /// byte other than 3 means another protocol answers: the driver hands up to
    /// [`FOREIGN_MAX`] bytes of it in [`NetErrorKind::NotTpkt`].
    Tpkt,
    #[allow(dead_code)] // the TLS machines (in progress) read records
    /// One TLS record (5-byte header, RFC 8446 5.1) of at most [`MAX_RECORD_LEN`] bytes. Bytes
    /// that are not a TLS record come up as the frame itself, so the machine classifies them
    /// (a TPKT frame is read whole: xrdp answers a ClientHello with an MCS PDU in clear).
    TlsRecord,
    /// One DER TLV: a TSRequest (MS-CSSP 2.2.1), read byte by byte until its length is known.
    Der,
    /// One frame of RDP output after the connection sequence began: a TPKT frame (slow path)
    /// or a fast-path PDU (MS-RDPBCGR 2.2.9.1.2: action 0 in the low two bits of the first
    /// byte, then a 1- or 2-byte length counting the whole PDU). Any other first byte is foreign.
    RdpOutput,
    /// Exactly this many bytes (the 4-byte Early User Authorization Result, 2.2.10.2).
    Exact(usize),
}

/// At most this many bytes of a foreign protocol's answer are kept for identification.
pub(crate) const FOREIGN_MAX: usize = 512;

/// One read the machine asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Read {
    /// How the frame is cut.
    pub framing: Framing,
    /// The phase a failure of this read is reported in.
    pub phase: Phase,
}

impl Read {
    pub(crate) fn new(framing: Framing, phase: Phase) -> Self {
        Read { framing, phase }
    }
}

/// What a machine wants next.
#[derive(Debug)]
pub(crate) enum Action<T> {
    /// Write `bytes` (a failure is reported in `write_phase`), then read one frame.
    Exchange {
        /// What to send.
        bytes: Vec<u8>,
        /// The phase of the write.
        write_phase: Phase,
        /// The read that follows.
        read: Read,
    },
    #[allow(dead_code)] // for machines whose last message expects no reply (CredSSP)
    /// Write `bytes`, then finish with the machine's [`Machine::sent`] answer (a last message
    /// that expects no reply).
    SendLast {
        /// What to send.
        bytes: Vec<u8>,
        /// The phase of the write.
        write_phase: Phase,
    },
    #[allow(dead_code)] // for machines that read several frames (TLS flight, CredSSP)
    /// Read one more frame.
    Read(Read),
    /// Finished.
    Done(T),
}

/// What the driver hands a machine.
#[derive(Debug)]
pub(crate) enum Input<'a> {
    /// One whole frame, cut as the machine asked.
    Frame(&'a [u8]),
    /// The read or write failed: timeout, close, reset, foreign protocol, ... A failed write
    /// is marked [`NetError::unsent`]: the server never got those bytes.
    Error(NetError),
}

/// A step without I/O.
pub(crate) trait Machine {
    /// The typed result.
    type Output;
    /// The first action (usually bytes to send).
    fn start(&mut self) -> Action<Self::Output>;
    /// The answer to a frame or a failure.
    fn input(&mut self, input: Input<'_>) -> Action<Self::Output>;
    /// After [`Action::SendLast`]: the result once the bytes are written (or the write failed).
    fn sent(&mut self, written: Result<(), NetError>) -> Self::Output;
}

/// What the framing needs next, given the bytes of the frame so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Read exactly this many more bytes (never more: the stream may continue into TLS).
    More(usize),
    /// `buf` is one whole frame.
    Complete,
    /// Not this framing: another protocol (the driver gathers a little more, briefly).
    Foreign,
}

/// The framing rule, shared by the driver and [`replay`]. Lengths are checked before any
/// allocation: a TPKT is at most 65535 bytes, a TLS record [`MAX_RECORD_LEN`] plus its header, a
/// TSRequest what [`credssp::frame_len`] allows.
pub(crate) fn need(framing: Framing, buf: &[u8]) -> Result<Need, DecodeError> {
    match framing {
        Framing::Tpkt => {
            if buf.first().is_some_and(|b| *b != tpkt::TPKT_VERSION) {
                return Ok(Need::Foreign);
            }
            if buf.len() < tpkt::TPKT_HEADER_LEN {
                return Ok(Need::More(tpkt::TPKT_HEADER_LEN - buf.len()));
            }
            let len = tpkt::frame_len(buf)?;
            Ok(rest(len, buf.len()))
        }
        Framing::TlsRecord => {
            const HDR: usize = 5;
            let Some(&first) = buf.first() else { return Ok(Need::More(HDR)) };
            if first == tpkt::TPKT_VERSION {
                // A TPKT frame where a record was due: read it whole for the classifier.
                return need(Framing::Tpkt, buf);
            }
            if !(20..=24).contains(&first) {
                return Ok(Need::Foreign);
            }
            if buf.len() < HDR {
                return Ok(Need::More(HDR - buf.len()));
            }
            let len = buf
                .get(3..5)
                .and_then(|b| <[u8; 2]>::try_from(b).ok())
                .map_or(0, |b| usize::from(u16::from_be_bytes(b)));
            if len > MAX_RECORD_LEN {
                // Still a frame: the record parser reports the oversized length.
                return Ok(Need::Complete);
            }
            Ok(rest(HDR + len, buf.len()))
        }
        Framing::Der => match credssp::frame_len(buf)? {
            None => Ok(Need::More(1)),
            Some(total) => Ok(rest(total, buf.len())),
        },
        Framing::RdpOutput => match buf.first() {
            None => Ok(Need::More(1)),
            Some(&tpkt::TPKT_VERSION) => need(Framing::Tpkt, buf),
            Some(b) if b & 0x03 != 0 => Ok(Need::Foreign),
            Some(_) => {
                let Some(&l1) = buf.get(1) else { return Ok(Need::More(1)) };
                let (len, hdr) = if l1 & 0x80 != 0 {
                    let Some(&l2) = buf.get(2) else { return Ok(Need::More(1)) };
                    ((usize::from(l1 & 0x7f) << 8) | usize::from(l2), 3)
                } else {
                    (usize::from(l1), 2)
                };
                if len < hdr {
                    return Err(DecodeError::length("TS_FP_UPDATE_PDU", "length", len, hdr));
                }
                Ok(rest(len, buf.len()))
            }
        },
        Framing::Exact(n) => Ok(rest(n, buf.len())),
    }
}

fn rest(total: usize, have: usize) -> Need {
    if have >= total {
        Need::Complete
    } else {
        Need::More(total - have)
    }
}

/// One scripted event of a replayed server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// Bytes the server sends (any cut: they are framed as the driver frames them).
    Bytes(Vec<u8>),
    /// The server says nothing until the deadline.
    Silence,
    /// The server closes the connection.
    Close,
    /// The server resets the connection before our next write: that write fails (marked
    /// [`NetError::unsent`]), and so does a read that reaches this point.
    WriteFails,
}

/// What a replay saw: every write of the machine and its result.
#[derive(Debug)]
pub(crate) struct Replay<T> {
    /// The machine's writes, in order.
    pub sent: Vec<Vec<u8>>,
    /// The result.
    pub output: T,
}

/// Runs `m` against a scripted server: the server's bytes are one stream (events are
/// concatenated until a `Silence`, `Close` or `WriteFails`), framed by [`need`] exactly as the
/// driver frames a socket. A write whose turn meets `WriteFails` fails as the driver reports a
/// failed write. A read past the script is a close; at most 10,000 actions (a machine that loops
/// is a bug the test should see, not a hang).
pub(crate) fn replay<M: Machine>(m: &mut M, script: &[Event]) -> Replay<M::Output> {
    let mut stream: Vec<u8> = Vec::new();
    let mut end: Option<Event> = None;
    let mut events = script.iter().peekable();
    let mut pos = 0usize;
    let mut sent = Vec::new();
    let mut action = m.start();
    for _ in 0..10_000 {
        let read = match action {
            Action::Done(output) => return Replay { sent, output },
            Action::SendLast { bytes, write_phase } => {
                if write_fails(&mut events, end.as_ref()) {
                    return Replay { sent, output: m.sent(Err(write_error(write_phase))) };
                }
                sent.push(bytes);
                return Replay { sent, output: m.sent(Ok(())) };
            }
            Action::Exchange { bytes, write_phase, read } => {
                if write_fails(&mut events, end.as_ref()) {
                    end = Some(Event::WriteFails);
                    action = m.input(Input::Error(write_error(write_phase)));
                    continue;
                }
                sent.push(bytes);
                read
            }
            Action::Read(read) => read,
        };
        // Pull the next frame out of the scripted stream.
        let mut frame: Vec<u8> = Vec::new();
        let result = loop {
            let n = match need(read.framing, &frame) {
                Err(e) => break Err(NetError::new(read.phase, NetErrorKind::Decode(e))),
                Ok(Need::Complete) => break Ok(()),
                Ok(Need::Foreign) => {
                    let take = FOREIGN_MAX.saturating_sub(frame.len()).min(stream.len() - pos);
                    frame.extend_from_slice(stream.get(pos..pos + take).unwrap_or_default());
                    pos += take;
                    if read.framing == Framing::Tpkt {
                        break Err(NetError::new(read.phase, NetErrorKind::NotTpkt(frame.clone())));
                    }
                    break Ok(());
                }
                Ok(Need::More(n)) => n,
            };
            while stream.len() - pos < n && end.is_none() {
                match events.next() {
                    Some(Event::Bytes(b)) => stream.extend_from_slice(b),
                    Some(e) => end = Some(e.clone()),
                    None => end = Some(Event::Close),
                }
            }
            let take = n.min(stream.len() - pos);
            frame.extend_from_slice(stream.get(pos..pos + take).unwrap_or_default());
            pos += take;
            if take < n {
                break Err(match end {
                    Some(Event::Silence) => NetError::new(read.phase, NetErrorKind::Timeout),
                    Some(Event::WriteFails) => NetError::new(read.phase, NetErrorKind::Reset),
                    _ => NetError::new(read.phase, NetErrorKind::Closed { received: frame.len() }),
                });
            }
        };
        action = match result {
            Ok(()) => m.input(Input::Frame(&frame)),
            Err(e) => m.input(Input::Error(e)),
        };
    }
    let output = m.sent(Err(NetError::new(Phase::Overall, NetErrorKind::Io("machine did not finish".into()))));
    Replay { sent, output }
}

/// Whether the script's next event makes this write fail (consumed if so); once the server
/// reset the connection, every later write fails too.
fn write_fails(events: &mut std::iter::Peekable<std::slice::Iter<'_, Event>>, end: Option<&Event>) -> bool {
    if end == Some(&Event::WriteFails) {
        return true;
    }
    if end.is_none() && events.peek() == Some(&&Event::WriteFails) {
        events.next();
        return true;
    }
    false
}

/// A failed write as the driver reports it: a reset, marked unsent.
fn write_error(phase: Phase) -> NetError {
    NetError::new(phase, NetErrorKind::Reset).unsent()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that meets `WriteFails` fails as the driver reports one (a reset marked unsent,
    /// in the write's phase), nothing is sent, and a later read fails with a reset too.
    #[test]
    fn replayed_write_failure_is_marked_unsent() {
        use crate::steps::negotiation::{Exchange, PlanStep};
        let r = replay(&mut Exchange::for_step(None, &PlanStep::ask(0)), &[Event::WriteFails]);
        let e = r.output.unwrap_err();
        assert!(r.sent.is_empty());
        assert_eq!((e.phase, e.kind, e.unsent), (Phase::SendCr, NetErrorKind::Reset, true));
        // A read failure is not a write's.
        let r = replay(&mut Exchange::for_step(None, &PlanStep::ask(0)), &[Event::Close]);
        let e = r.output.unwrap_err();
        assert_eq!((r.sent.len(), e.unsent), (1, false));
        // Bytes before the failure are read first; the failure then cuts the read short.
        let r =
            replay(&mut Exchange::for_step(None, &PlanStep::ask(0)), &[Event::Bytes(vec![3, 0]), Event::WriteFails]);
        let e = r.output.unwrap_err();
        assert_eq!((r.sent.len(), e.kind, e.unsent), (1, NetErrorKind::Reset, false));
    }

    #[test]
    fn tpkt_framing_reads_exactly_one_frame() {
        assert_eq!(need(Framing::Tpkt, &[]).unwrap(), Need::More(4));
        assert_eq!(need(Framing::Tpkt, &[3, 0]).unwrap(), Need::More(2));
        assert_eq!(need(Framing::Tpkt, &[3, 0, 0, 11]).unwrap(), Need::More(7));
        assert_eq!(need(Framing::Tpkt, &[3, 0, 0, 7, 2, 0xf0, 0x80]).unwrap(), Need::Complete);
        assert_eq!(need(Framing::Tpkt, b"SSH-2.0").unwrap(), Need::Foreign);
        assert!(need(Framing::Tpkt, &[3, 0, 0, 2]).is_err(), "shorter than its header");
    }

    #[test]
    fn tls_record_framing() {
        assert_eq!(need(Framing::TlsRecord, &[]).unwrap(), Need::More(5));
        assert_eq!(need(Framing::TlsRecord, &[22, 3, 3, 0, 2]).unwrap(), Need::More(2));
        assert_eq!(need(Framing::TlsRecord, &[21, 3, 3, 0, 2, 2, 40]).unwrap(), Need::Complete);
        // xrdp's clear-text MCS answer: read as one TPKT frame.
        assert_eq!(need(Framing::TlsRecord, &[3, 0, 0, 9]).unwrap(), Need::More(5));
        assert_eq!(need(Framing::TlsRecord, b"HTTP/1.1").unwrap(), Need::Foreign);
        // An oversized length is handed to the record parser, never allocated for.
        assert_eq!(need(Framing::TlsRecord, &[22, 3, 3, 0xff, 0xff]).unwrap(), Need::Complete);
    }

    #[test]
    fn rdp_output_framing_tells_tpkt_from_fast_path() {
        assert_eq!(need(Framing::RdpOutput, &[]).unwrap(), Need::More(1));
        assert_eq!(need(Framing::RdpOutput, &[3]).unwrap(), Need::More(3));
        assert_eq!(need(Framing::RdpOutput, &[3, 0, 0, 9]).unwrap(), Need::More(5));
        assert_eq!(need(Framing::RdpOutput, &[0]).unwrap(), Need::More(1));
        assert_eq!(need(Framing::RdpOutput, &[0, 7]).unwrap(), Need::More(5));
        assert_eq!(need(Framing::RdpOutput, &[0x80, 0x81]).unwrap(), Need::More(1));
        assert_eq!(need(Framing::RdpOutput, &[0x80, 0x81, 0x00]).unwrap(), Need::More(253));
        assert_eq!(need(Framing::RdpOutput, &[0, 2, 9]).unwrap(), Need::Complete);
        assert!(need(Framing::RdpOutput, &[0, 1]).is_err(), "shorter than its header");
        assert!(need(Framing::RdpOutput, &[0, 0x80, 2]).is_err());
        assert_eq!(need(Framing::RdpOutput, b"SSH-2.0").unwrap(), Need::Foreign);
        assert_eq!(need(Framing::Exact(4), &[1, 2]).unwrap(), Need::More(2));
        assert_eq!(need(Framing::Exact(4), &[1, 2, 3, 4]).unwrap(), Need::Complete);
    }

    #[test]
    fn der_framing_grows_byte_by_byte() {
        assert_eq!(need(Framing::Der, &[]).unwrap(), Need::More(1));
        assert_eq!(need(Framing::Der, &[0x30]).unwrap(), Need::More(1));
        assert_eq!(need(Framing::Der, &[0x30, 0x03]).unwrap(), Need::More(3));
        assert_eq!(need(Framing::Der, &[0x30, 0x01, 0x00]).unwrap(), Need::Complete);
        assert!(need(Framing::Der, &[0x04]).is_err());
    }
}
