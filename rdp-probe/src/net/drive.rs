//! The driver of step machines: it moves bytes, keeps deadlines and frames reads with the one
//! framing rule ([`need`]); every decision is the machine's.

use super::{Ctx, NetError, NetErrorKind};
use crate::steps::machine::{need, Action, Framing, Input, Machine, Need, Read, FOREIGN_MAX};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

/// Time spent writing and waiting for frames while a machine ran, in milliseconds.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Times {
    pub write_ms: f64,
    pub read_ms: f64,
}

/// Runs `m` on `s` until it is done. Each write and each read has the read timeout (cut by the
/// probe deadline); a failure goes to the machine as [`Input::Error`], a write's marked
/// [`NetError::unsent`] so the machine knows its bytes never reached the server.
pub(crate) async fn drive<S, M>(ctx: &Ctx<'_>, s: &mut S, m: &mut M, times: &mut Times) -> M::Output
where
    S: AsyncRead + AsyncWrite + Unpin,
    M: Machine,
{
    let mut action = m.start();
    loop {
        let read = match action {
            Action::Done(out) => return out,
            Action::SendLast { bytes, write_phase } => {
                let t = Instant::now();
                let w = ctx.write(s, write_phase, &bytes).await;
                times.write_ms += super::ms(t.elapsed());
                return m.sent(w);
            }
            Action::Exchange { bytes, write_phase, read } => {
                let t = Instant::now();
                let w = ctx.write(s, write_phase, &bytes).await;
                times.write_ms += super::ms(t.elapsed());
                if let Err(e) = w {
                    action = m.input(Input::Error(e));
                    continue;
                }
                read
            }
            Action::Read(read) => read,
        };
        let t = Instant::now();
        let frame = read_frame(ctx, s, read).await;
        times.read_ms += super::ms(t.elapsed());
        action = match frame {
            Ok(f) => m.input(Input::Frame(&f)),
            Err(e) => m.input(Input::Error(e)),
        };
    }
}

/// Reads one frame as `read` asks, within the read timeout for the whole frame (a drip-feeding
/// peer cannot stretch it) and the probe deadline. Reads exactly the frame's bytes, never more:
/// the stream may go on into TLS.
pub(crate) async fn read_frame<S: AsyncRead + Unpin>(
    ctx: &Ctx<'_>,
    s: &mut S,
    read: Read,
) -> Result<Vec<u8>, NetError> {
    let dl = ctx.deadline_in(ctx.opts.read_timeout);
    read_frame_until(s, read, dl, ctx.deadline).await
}

/// [`read_frame`] before `dl`; `overall` tells a probe deadline from a step deadline.
pub(crate) async fn read_frame_until<S: AsyncRead + Unpin>(
    s: &mut S,
    read: Read,
    dl: Instant,
    overall: Instant,
) -> Result<Vec<u8>, NetError> {
    let phase = read.phase;
    let timeout_phase = if dl >= overall { crate::report::Phase::Overall } else { phase };
    let fut = async {
        let mut frame: Vec<u8> = Vec::new();
        loop {
            let n = match need(read.framing, &frame) {
                Err(e) => return Err(NetError::new(phase, NetErrorKind::Decode(e))),
                Ok(Need::Complete) => return Ok(frame),
                Ok(Need::Foreign) => {
                    // Another protocol: gather a little more for identification, briefly.
                    let mut buf = [0u8; FOREIGN_MAX];
                    let grace = Instant::now() + Duration::from_millis(300);
                    while frame.len() < FOREIGN_MAX {
                        match tokio::time::timeout_at(grace.min(dl).into(), s.read(&mut buf)).await {
                            Ok(Ok(n)) if n > 0 => frame.extend_from_slice(buf.get(..n).unwrap_or_default()),
                            _ => break,
                        }
                    }
                    frame.truncate(FOREIGN_MAX);
                    return match read.framing {
                        Framing::Tpkt => Err(NetError::new(phase, NetErrorKind::NotTpkt(frame))),
                        _ => Ok(frame),
                    };
                }
                Ok(Need::More(n)) => n,
            };
            let have = frame.len();
            frame.resize(have + n, 0);
            let mut off = have;
            while off < have + n {
                let got =
                    s.read(frame.get_mut(off..).unwrap_or_default()).await.map_err(|e| NetError::io(phase, &e))?;
                if got == 0 {
                    frame.truncate(off);
                    if read.framing == Framing::Tpkt && frame.first().is_some_and(|b| *b != 3) {
                        return Err(NetError::new(phase, NetErrorKind::NotTpkt(frame)));
                    }
                    return Err(NetError::new(phase, NetErrorKind::Closed { received: off }));
                }
                off += got;
                // The first byte alone may already tell another protocol: ask again.
                if off == 1
                    && have == 0
                    && n > 1
                    && need(read.framing, frame.get(..1).unwrap_or_default()) == Ok(Need::Foreign)
                {
                    frame.truncate(1);
                    break;
                }
            }
        }
    };
    match tokio::time::timeout_at(dl.into(), fut).await {
        Ok(r) => r,
        Err(_) => Err(NetError::new(timeout_phase, NetErrorKind::Timeout)),
    }
}
