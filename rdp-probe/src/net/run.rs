//! The probe driver: resolve, run the negotiation plan, then the later steps the answers allow.

use super::{drive, ms, resolve, Ctx, NetError, NetErrorKind};
use crate::options::ProbeOptions;
use crate::report::{Answer, ErrorKind, NegotiationAttempt, Phase, Report, Status};
use crate::scan::target::Target;
use crate::steps::negotiation::{answer_from, assess, identify_service, negotiation_plan, Exchange, PlanStep};
use crate::wire::x224::{NegotiationRequest, NegotiationResponse, Protocol, ServerAnswer};
use std::net::SocketAddr;
use std::time::Instant;

/// Phase timings of one negotiation connection.
#[derive(Default)]
struct Times {
    connect: f64,
    send_cr: f64,
    read_cc: f64,
}

/// One connection: connect, send the CR for `step`, read and decode the first frame. The
/// stream comes back with the answer, so a later step can continue on it.
async fn negotiate_once(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    step: &PlanStep,
    times: &mut Times,
) -> Result<(ServerAnswer, super::Stream), NetError> {
    // Each phase's time is recorded even when it fails (a silent listener's read_cc is the wait).
    let t = Instant::now();
    let opened = ctx.open(addr, &step.label()).await;
    times.connect = ms(t.elapsed());
    let mut s = opened?;
    let mut io = drive::Times::default();
    let answer = drive::drive(ctx, &mut s, &mut Exchange::for_step(ctx.opts.cookie.clone(), step), &mut io).await;
    (times.send_cr, times.read_cc) = (io.write_ms, io.read_ms);
    Ok((answer?, s))
}

/// Completes X.224 negotiation for `requested` for a later phase (TLS, CredSSP, MCS): on the
/// negotiation connection that asked the same when one was kept, else on a new connection.
/// Returns the stream with the server's answer.
pub(crate) async fn open_negotiated(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    requested: crate::wire::x224::SecurityProtocols,
    label: &str,
) -> Result<(super::Stream, ServerAnswer), NetError> {
    if let Some(kept) = ctx.take_kept(requested.0, true, label) {
        return Ok(kept);
    }
    open_fresh(ctx, addr, NegotiationRequest { flags: Default::default(), requested_protocols: requested }, label).await
}

/// Opens a new connection and runs the X.224 exchange `neg` on it.
pub(crate) async fn open_fresh(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    neg: NegotiationRequest,
    label: &str,
) -> Result<(super::Stream, ServerAnswer), NetError> {
    let mut s = ctx.open(addr, label).await?;
    let a = drive::drive(ctx, &mut s, &mut Exchange::new(ctx.opts.cookie.clone(), Some(neg)), &mut Default::default())
        .await?;
    Ok((s, a))
}

fn is_rdp_answer(a: &Answer) -> bool {
    !matches!(a, Answer::Closed { .. } | Answer::Error { .. })
}

fn error_answer(e: &NetError) -> Answer {
    match &e.kind {
        NetErrorKind::Closed { .. } | NetErrorKind::Reset => Answer::Closed { detail: e.kind.to_string() },
        _ => Answer::Error { phase: e.phase, detail: e.kind.to_string() },
    }
}

fn status_of(e: &NetError) -> Status {
    match e.kind {
        NetErrorKind::Refused => Status::Refused,
        NetErrorKind::Timeout => Status::Timeout,
        NetErrorKind::Reset | NetErrorKind::Closed { .. } => Status::Reset,
        NetErrorKind::NotTpkt(_) => Status::NotRdp,
        _ => Status::Error,
    }
}

/// `find_ports`: one full negotiation request per other port, to find where RDP moved.
async fn find_ports(ctx: &mut Ctx<'_>, addr: SocketAddr, report: &mut Report) {
    let ports: Vec<u16> = ctx.opts.find_ports.iter().copied().filter(|p| *p != addr.port()).collect();
    for port in ports {
        let a = SocketAddr::new(addr.ip(), port);
        let step = PlanStep::ask(crate::steps::negotiation::FULL_REQUEST);
        let mut times = Times::default();
        let res = negotiate_once(ctx, a, &step, &mut times).await;
        let (status, service) = match res {
            Ok(_) => (Status::Rdp, None),
            Err(e) => match &e.kind {
                NetErrorKind::NotTpkt(b) => (Status::NotRdp, Some(identify_service(b).kind)),
                _ => (status_of(&e), None),
            },
        };
        report.alternative_ports.push(crate::report::AlternativePort { port, status, service });
    }
}

/// Probes one target. Never fails: every outcome, refusals and errors included, is a report.
pub async fn probe(target: &Target, opts: &ProbeOptions) -> Report {
    let started = Instant::now();
    let probed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .map(crate::wire::codec::rfc3339);
    let mut ctx = Ctx::new(opts);
    // Timeout until a step says otherwise: the overall deadline may cut the probe anywhere.
    let mut report =
        Report { target: target.original.clone(), status: Status::Timeout, probed_at, ..Report::default() };
    let overall = ctx.deadline;
    let body = run(&mut ctx, target, &mut report);
    if tokio::time::timeout_at(overall.into(), body).await.is_err() {
        if report.status == Status::Rdp && report.negotiation.is_none() {
            report.status = Status::Timeout;
        }
        if report.error.is_none() {
            report.error = Some("overall probe deadline reached".into());
            report.error_kind = Some(ErrorKind::Timeout);
        }
        report.error_phase.get_or_insert(Phase::Overall);
    }
    report.timings_ms.insert("total".into(), ms(started.elapsed()));
    report.transcript = ctx.take_transcript();
    report.source = ctx.first_local.get().map(|a| a.to_string());
    if let Some(n) = report.negotiation.as_mut() {
        n.summary =
            crate::steps::negotiation::summarize(n, crate::diagnosis::verdict::tls_handshake(report.tls.as_ref()));
    }
    note_untested_credentials(opts, &mut report);
    report.fingerprint = crate::diagnosis::fingerprint::fingerprint(&report);
    report.identification = crate::diagnosis::identify::identify(&report);
    report.implementation = report.identification.as_ref().and_then(|i| i.implementation());
    report.findings = crate::diagnosis::findings::analyze(&report);
    if let Some(c) = opts.client {
        report.findings.extend(crate::diagnosis::findings::client_compatibility(&report, c));
        crate::diagnosis::findings::sort(&mut report.findings);
    }
    report.verdict = Some(crate::diagnosis::verdict::assess(&report));
    report
}

/// `--user` against a listener where no CredSSP exchange ran: say the logon was not tested,
/// and why, instead of dropping the credentials silently.
fn note_untested_credentials(opts: &ProbeOptions, report: &mut Report) {
    let Some(c) = &opts.credentials else { return };
    if report.nla.as_ref().is_some_and(|n| n.auth.is_some()) {
        return;
    }
    let reason = match (&report.status, report.negotiation.as_ref().and_then(|n| n.nla)) {
        (Status::Rdp, Some(crate::report::NlaRequirement::NotSupported)) => {
            "the server does not offer NLA (CredSSP): credentials are only checked at the logon screen, after the connection"
        }
        (Status::Rdp, _) if !opts.steps.nla => "the NLA step was not run (--no-nla)",
        (Status::Rdp, _) => match report.nla.as_ref().and_then(|n| n.error.as_ref()) {
            Some(_) => "the CredSSP exchange failed before the logon (see nla.error)",
            None => "the server accepted no CredSSP request",
        },
        _ => "no RDP listener answered",
    };
    let nla = report.nla.get_or_insert_with(Default::default);
    nla.auth = Some(crate::report::nla::AuthReport {
        accepted: false,
        status: crate::report::nla::AuthStatus::NotTested,
        user: crate::steps::credssp::user_label(c),
        reason: Some(reason.into()),
        ..Default::default()
    });
}

async fn run(ctx: &mut Ctx<'_>, target: &Target, report: &mut Report) {
    let t = Instant::now();
    let addrs = match resolve(ctx, &target.host, target.port).await {
        Ok(a) => a,
        Err(e) => {
            report.status = if e.kind == NetErrorKind::Timeout { Status::Timeout } else { Status::DnsError };
            report.error = Some(format!("name resolution failed: {}", e.kind));
            report.error_kind = Some(e.error_kind());
            report.error_phase = Some(Phase::Resolve);
            report.timings_ms.insert("resolve".into(), ms(t.elapsed()));
            return;
        }
    };
    report.timings_ms.insert("resolve".into(), ms(t.elapsed()));
    let Some(&addr) = addrs.first() else {
        report.status = Status::DnsError;
        report.error = Some("name resolution failed: no address".into());
        report.error_kind = Some(ErrorKind::Dns);
        report.error_phase = Some(Phase::Resolve);
        return;
    };
    report.address = Some(addr.to_string());

    // Negotiation plan.
    let t_neg = Instant::now();
    let mut plan = negotiation_plan(ctx.opts.steps.negotiation_extended);
    let mut attempts: Vec<NegotiationAttempt> = Vec::new();
    let mut first_error: Option<NetError> = None;
    let mut early = Early::default();
    let name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
    let mut i = 0;
    'plan: while i < plan.len() {
        // The first request runs alone (is anything there? is it RDP?). After an RDP answer
        // the rest of the plan and the later steps its answers allow overlap.
        if !attempts.is_empty() && attempts.iter().any(|a| is_rdp_answer(&a.answer)) {
            let rest: Vec<PlanStep> = plan.iter().skip(i).copied().collect();
            overlap(ctx, addr, &name, rest, &mut attempts, &mut first_error, &mut early).await;
            break 'plan;
        }
        let n = if attempts.is_empty() { 1 } else { ctx.opts.parallel_connections.max(1) };
        let batch: Vec<PlanStep> = plan.iter().skip(i).take(n).copied().collect();
        i += batch.len();
        let shared: &Ctx<'_> = ctx;
        let results = futures_util::future::join_all(batch.into_iter().map(|step| async move {
            let t = Instant::now();
            let mut times = Times::default();
            let res = negotiate_once(shared, addr, &step, &mut times).await;
            (step, res, times, t.elapsed())
        }))
        .await;
        for (step, res, times, elapsed) in results {
            if attempts.is_empty() {
                report.timings_ms.insert("connect".into(), times.connect);
                let reached_send = !matches!(&res, Err(e) if e.phase == Phase::Connect);
                if reached_send {
                    report.timings_ms.insert("send_cr".into(), times.send_cr);
                    report.timings_ms.insert("read_cc".into(), times.read_cc);
                }
            }
            if record(ctx, step, res, elapsed, &mut attempts, &mut first_error) {
                break 'plan;
            }
        }
        // Legacy fallback: the full request was dropped without an answer: maybe a server
        // that chokes on RDP_NEG_REQ. Ask once without it.
        if i >= plan.len()
            && !attempts.iter().any(|a| is_rdp_answer(&a.answer))
            && plan.iter().all(|p| p.with_neg_req)
            && attempts.iter().all(|a| matches!(a.answer, Answer::Closed { .. }))
        {
            plan.push(PlanStep { with_neg_req: false, ..PlanStep::ask(0) });
        }
    }
    report.timings_ms.insert("negotiation".into(), ms(t_neg.elapsed()));

    let rdp = attempts.iter().any(|a| is_rdp_answer(&a.answer));
    if !rdp {
        let e = first_error.unwrap_or_else(|| NetError::new(Phase::ReadCc, NetErrorKind::Closed { received: 0 }));
        report.status = status_of(&e);
        report.error_phase = Some(e.phase);
        report.error_kind = Some(e.error_kind());
        if let NetErrorKind::NotTpkt(bytes) = &e.kind {
            let svc = identify_service(bytes);
            report.error = Some(format!(
                "not RDP: {} answers on this port",
                crate::steps::negotiation::service_description(&svc.kind)
            ));
            report.service = Some(svc);
        } else {
            report.error = Some(match (&e.kind, e.phase) {
                (NetErrorKind::Timeout, Phase::ReadCc) => {
                    "the listener accepted TCP but never answered the X.224 Connection Request".into()
                }
                (NetErrorKind::Timeout, Phase::Connect) => "TCP connect timed out (filtered, asleep or down)".into(),
                (NetErrorKind::Refused, _) => "TCP connection refused (nothing listens on this port)".into(),
                (NetErrorKind::Closed { .. } | NetErrorKind::Reset, Phase::ReadCc) => {
                    "the listener accepted TCP, then closed the connection without answering the X.224 request".into()
                }
                (k, p) => format!("{k} during {}", p.as_str()),
            });
            // A TPKT-speaking peer whose frame did not decode is still "error", not "not_rdp".
        }
        report.negotiation =
            if attempts.iter().any(|a| a.source_ref.is_some()) { Some(assess(attempts)) } else { None };
        ctx.drop_kept();
        find_ports(ctx, addr, report).await;
        return;
    }
    report.status = Status::Rdp;
    let neg = assess(attempts);
    report.negotiation = Some(neg);

    // Later steps: each reports its own failures; they continue on the negotiation
    // connections that asked what they need, and use what ran during the plan.
    // A step's time is its work during the plan plus its own run after it.
    let add = |report: &mut Report, key: &str, span: Span| {
        if let Some(t) = report.timings_ms.get_mut(key) {
            *t = ((*t + span.ms()) * 100.0).round() / 100.0;
        }
    };
    let (tls_span, mcs_span) = (early.tls_span, early.mcs_span);
    let session = super::tls::run_step(ctx, addr, target, report, early.tls).await;
    add(report, "tls", tls_span);
    super::nla::run_step(ctx, addr, target, report, early.nla).await;
    super::mcs::run_step(ctx, addr, target, report, early.mcs, early.mcs_tls, session).await;
    add(report, "mcs", mcs_span);
    ctx.drop_kept();
    // Opt-in, last: the whole connection sequence on a connection of its own.
    super::session::run_step(ctx, addr, target, report).await;
}

/// Later-step work started while the negotiation plan still ran.
#[derive(Default)]
struct Early {
    tls: super::tls::TlsEarly,
    nla: Option<super::nla::NlaEarly>,
    mcs: Option<super::mcs::RdpProbes>,
    /// MCS inside TLS on the TLS step's session after request 0x01.
    mcs_tls: Option<crate::steps::mcs::Output>,
    /// When the TLS step's early work started and last ended (its share of `timings_ms.tls`).
    tls_span: Span,
    /// The same for the mcs step.
    mcs_span: Span,
}

/// When some early work started and when its last piece ended.
#[derive(Default, Clone, Copy)]
struct Span(Option<(Instant, Instant)>);

impl Span {
    fn start(&mut self) {
        let now = Instant::now();
        self.0.get_or_insert((now, now));
    }
    fn end(&mut self) {
        let now = Instant::now();
        let (start, _) = self.0.unwrap_or((now, now));
        self.0 = Some((start, now));
    }
    /// Milliseconds from the first start to the last end.
    fn ms(self) -> f64 {
        self.0.map_or(0.0, |(s, e)| ms(e.saturating_duration_since(s)))
    }
}

/// What the plan's connections and the work started during the plan bring back.
enum Event {
    Negotiated(usize, PlanStep, Result<(ServerAnswer, super::Stream), NetError>, std::time::Duration),
    Rustls(super::tls::RustlsEarly),
    Versions(u32, crate::steps::tls::VersionOutcomes),
    DirectApproach(crate::steps::tls::Offer, Result<crate::steps::tls::RawOutcome, crate::report::tls::TlsError>),
    Nla(super::nla::NlaEarly),
    Mcs(super::mcs::RdpProbes),
    McsTls(Option<crate::steps::mcs::Output>, super::tls::RustlsEarly),
}

/// A plan request with its answer (its connection already kept or closed) and duration.
type Answered = (PlanStep, Result<ServerAnswer, NetError>, std::time::Duration);

type Pending<'a> =
    futures_util::stream::FuturesUnordered<std::pin::Pin<Box<dyn std::future::Future<Output = Event> + Send + 'a>>>;

/// Whether a later step can continue on this negotiation connection: TLS, CredSSP or MCS
/// inside TLS after a TLS-based selection; MCS after Standard RDP Security was accepted for
/// request 0x00 or the legacy request.
fn worth_keeping(opts: &ProbeOptions, step: &PlanStep, a: &ServerAnswer) -> bool {
    let ServerAnswer::Confirm(cc) = a else { return false };
    // Through a SOCKS5 proxy too: the relay is transparent, and each new connection there
    // costs the proxy's handshake on top of TCP's.
    if step.flags.0 != 0 {
        return false;
    }
    match &cc.negotiation {
        Some(NegotiationResponse::Response { selected_protocol, .. }) => match selected_protocol {
            Protocol::Ssl | Protocol::Hybrid | Protocol::HybridEx => opts.steps.tls || opts.steps.nla || opts.steps.mcs,
            // Request 0x00's for the first offer; a downgrade for a per-method offer.
            Protocol::Rdp => opts.steps.mcs && (step.requested.0 == 0 || opts.steps.mcs_methods),
            _ => false,
        },
        None => opts.steps.mcs && !step.with_neg_req,
        _ => false,
    }
}

/// Records one plan answer in `attempts` (and the first error), keeping its connection when
/// a later step can continue on it. Returns whether the plan must stop.
fn record(
    ctx: &Ctx<'_>,
    step: PlanStep,
    res: Result<(ServerAnswer, super::Stream), NetError>,
    elapsed: std::time::Duration,
    attempts: &mut Vec<NegotiationAttempt>,
    first_error: &mut Option<NetError>,
) -> bool {
    record_answer(step, keep_or_close(ctx, &step, res), elapsed, attempts, first_error)
}

/// Keeps the connection when a later step can continue on it (releasing its share of
/// `parallel_connections`), else closes it; returns the answer.
fn keep_or_close(
    ctx: &Ctx<'_>,
    step: &PlanStep,
    res: Result<(ServerAnswer, super::Stream), NetError>,
) -> Result<ServerAnswer, NetError> {
    res.map(|(a, stream)| {
        if worth_keeping(ctx.opts, step, &a) {
            ctx.keep(super::Kept {
                requested: step.requested.0,
                with_neg_req: step.with_neg_req,
                stream,
                answer: a.clone(),
            });
        }
        a
    })
}

/// [`record`] for an answer whose connection is already kept or closed.
fn record_answer(
    step: PlanStep,
    res: Result<ServerAnswer, NetError>,
    elapsed: std::time::Duration,
    attempts: &mut Vec<NegotiationAttempt>,
    first_error: &mut Option<NetError>,
) -> bool {
    let (answer, source_ref) = match &res {
        Ok(a) => answer_from(&step, a),
        Err(e) => (error_answer(e), None),
    };
    attempts.push(NegotiationAttempt::from_step(&step, answer, source_ref, ms(elapsed)));
    let Err(e) = res else { return false };
    let rdp_seen = attempts.iter().any(|a| is_rdp_answer(&a.answer));
    let stop = match &e.kind {
        // Nothing there or another service: no point in more connections.
        NetErrorKind::Refused | NetErrorKind::Unreachable(_) | NetErrorKind::NotTpkt(_) => !rdp_seen,
        NetErrorKind::Timeout => !rdp_seen || e.phase == Phase::Overall,
        NetErrorKind::Proxy(_) | NetErrorKind::Io(_) => !rdp_seen,
        _ => false,
    };
    if first_error.is_none() {
        *first_error = Some(e);
    }
    stop
}

/// The rest of the plan after an RDP answer, all requests queued at once (the per-target
/// bound on exchanges in flight, `parallel_connections`, and the pace of new connections
/// space them), with the later steps' work started as soon as the answers settle what it
/// asks, each on the negotiation connection that asked it when there is one:
/// - the Direct Approach (at TLS 1.2, see [`super::tls::DIRECT_APPROACH_GUESS`]) once any
///   answer selected a TLS-based protocol;
/// - the rustls handshake and the version probes once the request the TLS step uses is
///   settled ([`super::tls::settled_request`]);
/// - CredSSP once the full request selected it ([`crate::steps::credssp::plan`] is then
///   settled);
/// - the Standard RDP Security exchanges once request 0x00 got PROTOCOL_RDP and every
///   request is answered (the downgraded ones carry per-method offers);
/// - MCS inside TLS on the rustls session once every answer is in and say it is the MCS path.
///
/// Attempts are recorded in plan order. The steps use what ran here when it asked what they
/// would ask now, else they run it again: the facts do not depend on the overlap.
async fn overlap(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    name: &str,
    rest: Vec<PlanStep>,
    attempts: &mut Vec<NegotiationAttempt>,
    first_error: &mut Option<NetError>,
    early: &mut Early,
) {
    use futures_util::StreamExt;
    let opts = ctx.opts;
    let mut pending: Pending<'_> = futures_util::stream::FuturesUnordered::new();
    // Plan request `i` after `pause` (0 at first, a moment before asking again).
    let ask = |i: usize, step: PlanStep, pause: std::time::Duration| async move {
        if !pause.is_zero() {
            tokio::time::sleep_until(ctx.deadline_in(pause).into()).await;
        }
        let t = Instant::now();
        let mut times = Times::default();
        let res = negotiate_once(ctx, addr, &step, &mut times).await;
        Event::Negotiated(i, step, res, t.elapsed())
    };
    for (i, step) in rest.iter().copied().enumerate() {
        pending.push(Box::pin(ask(i, step, std::time::Duration::ZERO)));
    }
    let mut done: Vec<Option<Answered>> = rest.iter().map(|_| None).collect();
    let mut retried: Vec<bool> = rest.iter().map(|_| false).collect();
    #[derive(Default)]
    struct Started {
        direct_approach: bool,
        tls: bool,
        nla: bool,
        mcs: bool,
        mcs_tls: bool,
    }
    let mut started = Started::default();
    // The rustls handshake waiting for the negotiation to say whether MCS follows inside it.
    let mut rustls_waiting: Option<super::tls::RustlsEarly> = None;
    let mut overall = false;
    let tls_on = opts.steps.tls;
    let versions_on = tls_on && opts.steps.tls_versions;
    loop {
        // What the answers so far allow to start.
        let answered: Vec<NegotiationAttempt> = attempts
            .iter()
            .cloned()
            .chain(done.iter().flatten().filter_map(|(step, res, _)| match res {
                Ok(a) => {
                    let (answer, source_ref) = answer_from(step, a);
                    Some(NegotiationAttempt::from_step(step, answer, source_ref, 0.0))
                }
                Err(_) => None,
            }))
            .collect();
        let unanswered: Vec<u32> =
            rest.iter().zip(&done).filter(|(_, d)| d.is_none()).map(|(s, _)| s.requested.0).collect();
        let complete = unanswered.is_empty();
        let refs: Vec<&NegotiationAttempt> = answered.iter().collect();
        if !overall {
            if !started.direct_approach && versions_on && super::tls::settled_request(&refs, &[]).is_some() {
                started.direct_approach = true;
                early.tls_span.start();
                pending.push(Box::pin(async move {
                    let (v, out) =
                        super::tls::direct_approach(ctx, addr, super::tls::DIRECT_APPROACH_GUESS, name).await;
                    Event::DirectApproach(v, out)
                }));
            }
            if !started.tls && tls_on {
                if let Some(r) = super::tls::settled_request(&refs, &unanswered) {
                    started.tls = true;
                    early.tls_span.start();
                    // Taken now, before a version probe can take it as a spare.
                    let kept = ctx.take_kept(r, true, "tls rustls");
                    pending.push(Box::pin(async move {
                        Event::Rustls(super::tls::rustls_for(ctx, addr, r, name, kept).await)
                    }));
                    if versions_on {
                        pending.push(Box::pin(async move {
                            Event::Versions(r, super::tls::version_probes(ctx, addr, r, name).await)
                        }));
                    }
                }
            }
            // What the step functions decide from the negotiation report, on the answers so far.
            let neg = assess(answered.clone());
            // CredSSP: settled once the full request selected it (`credssp::plan` repeats it).
            if !started.nla && opts.steps.nla && matches!(neg.selected, Some(Protocol::Hybrid | Protocol::HybridEx)) {
                if let Some(requested) = crate::steps::credssp::plan(&neg) {
                    started.nla = true;
                    let kept = ctx.take_kept(requested.0, true, "nla credssp");
                    pending.push(Box::pin(async move {
                        Event::Nla(super::nla::early(ctx, addr, name, requested, kept).await)
                    }));
                }
            }
            // MCS: once every request is answered, the path the mcs step takes. Standard RDP
            // Security rests on request 0x00's own answer; MCS inside TLS on every answer (a
            // failed request could have said NLA is required), so none may have failed.
            let path = (opts.steps.mcs && complete).then(|| crate::steps::mcs::path(&neg));
            let all_answered = answered.len() == attempts.len() + rest.len();
            if !started.mcs && matches!(path, Some(crate::steps::mcs::Path::Rdp { legacy: false })) {
                started.mcs = true;
                early.mcs_span.start();
                pending.push(Box::pin(async move { Event::Mcs(super::mcs::rdp_probes(ctx, addr, false).await) }));
            }
            // MCS inside TLS, on the rustls session after request 0x01.
            if !started.mcs_tls && all_answered && matches!(path, Some(crate::steps::mcs::Path::Tls)) {
                match rustls_waiting.take() {
                    Some(mut r) if r.requested == crate::wire::x224::SecurityProtocols::SSL.0 => {
                        started.mcs_tls = true;
                        early.mcs_span.start();
                        pending.push(Box::pin(async move {
                            let out = match &mut r.result {
                                Ok((Ok(session), _)) => super::mcs::on_session(ctx, session).await,
                                _ => None,
                            };
                            Event::McsTls(out, r)
                        }));
                    }
                    other => rustls_waiting = other,
                }
            }
        }
        let Some(ev) = pending.next().await else { break };
        match ev {
            Event::Negotiated(i, step, res, elapsed) => {
                // Closed or reset before any answer while other connections were open: maybe a
                // limit on parallel connections (or a listen queue dropped), not an answer.
                // Asked once more, with fewer connections at once; a second close is the fact.
                let unanswered = matches!(&res, Err(e) if e.phase == Phase::ReadCc
                    && matches!(e.kind, NetErrorKind::Reset | NetErrorKind::Closed { received: 0 }));
                if unanswered && !overall && retried.get(i) == Some(&false) {
                    if let Some(r) = retried.get_mut(i) {
                        *r = true;
                    }
                    ctx.slow_handshake();
                    pending.push(Box::pin(ask(i, step, std::time::Duration::from_millis(100))));
                    continue;
                }
                overall |= matches!(&res, Err(e) if e.phase == Phase::Overall);
                if let Some(slot) = done.get_mut(i) {
                    *slot = Some((step, keep_or_close(ctx, &step, res), elapsed));
                }
            }
            Event::Rustls(r) => {
                early.tls_span.end();
                // Ready for MCS inside TLS when the answers say so (checked above).
                let handshake_ok = matches!(&r.result, Ok((Ok(_), _)));
                if handshake_ok && !started.mcs_tls && opts.steps.mcs {
                    rustls_waiting = Some(r);
                } else {
                    early.tls.main = Some(r);
                }
            }
            Event::Versions(r, v) => {
                early.tls_span.end();
                early.tls.versions = Some((r, v));
            }
            Event::DirectApproach(v, out) => {
                early.tls_span.end();
                early.tls.direct_approach = Some((v, out));
            }
            Event::Nla(n) => early.nla = Some(n),
            Event::Mcs(p) => {
                early.mcs_span.end();
                early.mcs = Some(p);
            }
            Event::McsTls(out, r) => {
                early.mcs_span.end();
                early.mcs_tls = out;
                early.tls.main = Some(r);
            }
        }
    }
    if let Some(r) = rustls_waiting.take() {
        early.tls.main = Some(r);
    }
    for (step, res, elapsed) in done.into_iter().flatten() {
        if record_answer(step, res, elapsed, attempts, first_error) {
            break;
        }
    }
}
