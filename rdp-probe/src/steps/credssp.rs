//! The nla step without I/O: which CredSSP connection to ask for, the CredSSP/NTLM exchange
//! inside TLS as a machine, and the pure reading of its outcome into `nla` of the report.
//!
//! The machine ([`Credssp`], MS-CSSP 3.1.5) sends TSRequest{NTLM NEGOTIATE} and reads the
//! server's TSRequest (a CHALLENGE, MS-NLMP 2.2.1.2, or an errorCode). Without credentials it is
//! done with the challenge facts. With credentials it sends the NTLMv2 AUTHENTICATE (MS-NLMP
//! 3.1.5.1.2) and pubKeyAuth (plus clientNonce from version 5), then reads the server's
//! pubKeyAuth (verified against the TLS key), its errorCode, or a close. It stops before
//! TSCredentials: the password never leaves us. Randomness (client challenge, exported session
//! key, nonce) and the clock are given by the caller, so replays are deterministic; the server's
//! TLS SubjectPublicKey is given by the driver after the handshake.

use crate::options::Credentials;
use crate::report::nla::{AuthReport, AuthStatus, NlaError, NlaReport, NtlmInfo};
use crate::report::{ErrorKind, NegotiationReport, Phase};
use crate::steps::io::{NetError, NetErrorKind};
use crate::steps::machine::{Action, Framing, Input, Machine, Read};
use crate::wire::codec::DecodeError;
use crate::wire::credssp::{self, TsRequest};
use crate::wire::ntlm::{self, AuthRandom, ChallengeMessage, NegotiateMessage, SealingState};
use crate::wire::x224::{Protocol, SecurityProtocols, Selection, ServerAnswer};

/// What to request for the CredSSP connection, from the negotiation answers; `None` when the
/// server never accepted CredSSP.
pub(crate) fn plan(neg: &NegotiationReport) -> Option<SecurityProtocols> {
    if matches!(neg.selected, Some(Protocol::Hybrid | Protocol::HybridEx)) {
        // The full request got CredSSP: repeat it (SSL|HYBRID|HYBRID_EX).
        Some(SecurityProtocols(crate::steps::negotiation::FULL_REQUEST))
    } else if neg.accepted(Protocol::Hybrid) {
        Some(SecurityProtocols(SecurityProtocols::SSL.0 | SecurityProtocols::HYBRID.0))
    } else if neg.accepted(Protocol::HybridEx) {
        Some(SecurityProtocols(SecurityProtocols::SSL.0 | SecurityProtocols::HYBRID.0 | SecurityProtocols::HYBRID_EX.0))
    } else {
        None
    }
}

/// The nla section before the exchange: what the negotiation answers say, and what we ask for.
pub(crate) fn new_report(neg: &NegotiationReport, requested: SecurityProtocols) -> NlaReport {
    NlaReport {
        requirement: neg.nla,
        hybrid_ex: neg.accepted(Protocol::HybridEx) || neg.selected == Some(Protocol::HybridEx),
        requested: Some(requested),
        ..NlaReport::default()
    }
}

/// A failure of the nla step from a failed read or write.
pub(crate) fn net_error(e: &NetError) -> NlaError {
    NlaError::new(e.phase, e.error_kind(), e.kind.to_string())
}

/// The protocol the server selected for the CredSSP request, or why there is none.
pub(crate) fn selected_credssp(answer: &ServerAnswer) -> Result<Protocol, NlaError> {
    match answer.selection(Protocol::is_credssp) {
        Selection::Wanted(p) | Selection::Other(p) => Ok(p),
        Selection::Failure(code) => Err(NlaError::new(
            Phase::ReadCc,
            ErrorKind::ServerRefused,
            format!("server refused CredSSP: {}", code.name()),
        )),
        Selection::UnknownType(_) | Selection::NoNegotiation => {
            Err(NlaError::new(Phase::ReadCc, ErrorKind::Other, "server answered without selecting a protocol"))
        }
        Selection::Disconnect { .. } | Selection::Data => {
            Err(NlaError::new(Phase::ReadCc, ErrorKind::Other, "server did not confirm the connection"))
        }
    }
}

/// `selected` is CredSSP (HYBRID or HYBRID_EX), or the failure that says it is not.
pub(crate) fn require_credssp(selected: Protocol) -> Result<(), NlaError> {
    if selected.is_credssp() {
        Ok(())
    } else {
        Err(NlaError::new(
            Phase::ReadCc,
            ErrorKind::Other,
            format!("server selected {} instead of CredSSP", selected.name()),
        ))
    }
}

/// The user as tried, for the report (`DOMAIN\user`, or `user` without a domain).
pub(crate) fn user_label(c: &Credentials) -> String {
    if c.domain.is_empty() {
        c.user.clone()
    } else {
        format!("{}\\{}", c.domain, c.user)
    }
}

/// The random inputs of one logon attempt: the NTLM client challenge and exported session key
/// (MS-NLMP 3.1.5.1.2) and the CredSSP clientNonce (MS-CSSP 2.2.1, v5+).
#[derive(Clone)]
pub(crate) struct Secrets {
    /// ClientChallenge and ExportedSessionKey.
    pub random: AuthRandom,
    /// clientNonce.
    pub nonce: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").finish_non_exhaustive()
    }
}

impl Secrets {
    /// Fresh values from the OS.
    pub(crate) fn generate() -> Result<Secrets, String> {
        let random = AuthRandom::generate()?;
        let mut nonce = [0u8; 32];
        getrandom::fill(&mut nonce).map_err(|e| format!("random: {e}"))?;
        Ok(Secrets { random, nonce })
    }
}

/// What the logon check needs, besides the server's messages.
pub(crate) struct Logon {
    /// Whose logon to check.
    pub credentials: Credentials,
    /// The server's TLS SubjectPublicKey (BIT STRING contents), which pubKeyAuth binds;
    /// `None` when the certificate could not be read.
    pub server_key: Option<Vec<u8>>,
    /// The random inputs, or why there are none.
    pub secrets: Result<Secrets, String>,
    /// After a verified logon, send TSCredentials (MS-CSSP 3.1.5 step 5): the password goes
    /// to the server, as mstsc sends it. Only the session step with `--delegate-credentials`.
    pub delegate: bool,
}

/// The server's answer to our NEGOTIATE.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChallengeAnswer {
    /// TSRequest.version.
    pub version: u32,
    /// TSRequest.errorCode, raw.
    pub error_code: Option<u32>,
    /// The decoded CHALLENGE and our clock (Unix seconds) when it arrived.
    pub challenge: Option<(ChallengeMessage, f64)>,
}

/// How the server answered AUTHENTICATE + pubKeyAuth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogonAnswer {
    /// Its pubKeyAuth unsealed with our session key and binds the TLS key.
    Verified,
    /// Its pubKeyAuth unsealed with our session key (the credentials are good) but binds
    /// another key: a TLS-intercepting middlebox, or a server binding another certificate.
    KeyMismatch,
    /// An errorCode (NTSTATUS, non-zero).
    Refused(u32),
    /// The connection closed (or was reset) without an answer.
    Closed,
}

/// Why the exchange stopped short.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// A read or write failed (timeout, close, undecodable DER framing, ...).
    Net(NetError),
    /// A TSRequest or the CHALLENGE did not decode.
    Decode(DecodeError),
    /// The server's TSRequest has no negoToken.
    NoChallenge,
    /// The server certificate's public key could not be read.
    NoServerKey,
    /// No randomness.
    Random(String),
    /// The server's answer to AUTHENTICATE has neither pubKeyAuth nor errorCode.
    NoPubKeyAuth,
    /// The server's pubKeyAuth signature does not verify with our session key.
    BadSignature,
}

impl From<&Failure> for NlaError {
    fn from(f: &Failure) -> NlaError {
        match f {
            Failure::Net(e) => net_error(e),
            Failure::Decode(e) => NlaError::new(Phase::Nla, ErrorKind::Decode, e.to_string()),
            Failure::NoChallenge => NlaError::new(
                Phase::Nla,
                ErrorKind::Other,
                "the server's TSRequest carries no negoToken (no NTLM CHALLENGE)",
            ),
            Failure::NoServerKey => {
                NlaError::new(Phase::Tls, ErrorKind::Other, "cannot read the server certificate's public key")
            }
            Failure::Random(e) => NlaError::new(Phase::Nla, ErrorKind::Other, e.clone()),
            Failure::NoPubKeyAuth => {
                NlaError::new(Phase::Nla, ErrorKind::Other, "the server's answer has neither pubKeyAuth nor errorCode")
            }
            Failure::BadSignature => {
                NlaError::new(Phase::Nla, ErrorKind::Other, "the server's pubKeyAuth signature does not verify")
            }
        }
    }
}

/// One logon attempt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attempt {
    /// The user as tried.
    pub user: String,
    /// The CredSSP version the pubKeyAuth exchange used (ours and the server's, at least 2).
    pub credssp_version: u32,
    /// The server's answer, or why there is none.
    pub answer: Result<LogonAnswer, Failure>,
}

/// What the machine saw.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Outcome {
    /// The server's answer to NEGOTIATE, when one decoded.
    pub challenge: Option<ChallengeAnswer>,
    /// The logon attempt (with credentials, after a CHALLENGE).
    pub attempt: Option<Attempt>,
    /// Why the exchange stopped before the logon.
    pub failure: Option<Failure>,
    /// TSCredentials were written (delegation asked and the logon verified).
    pub delegated: bool,
}

/// What the server's answer to AUTHENTICATE is checked with.
struct Pending {
    version: u32,
    nonce: [u8; 32],
    key: Vec<u8>,
    server: SealingState,
    /// With delegation: the client's sealing state (its sequence number goes on) and the
    /// TSCredentials to seal.
    delegate: Option<(SealingState, Vec<u8>)>,
}

enum State {
    Start,
    AwaitChallenge,
    AwaitLogon(Box<Pending>),
    Delegating,
    Done,
}

/// The CredSSP/NTLM exchange over the TLS plaintext (MS-CSSP 3.1.5), read with
/// [`Framing::Der`].
pub(crate) struct Credssp {
    logon: Option<Logon>,
    clock: Box<dyn FnMut() -> f64 + Send>,
    state: State,
    negotiate: Vec<u8>,
    out: Outcome,
}

impl Credssp {
    /// The exchange; with `logon`, the credential check. `clock` gives Unix seconds.
    pub(crate) fn new(logon: Option<Logon>, clock: Box<dyn FnMut() -> f64 + Send>) -> Credssp {
        Credssp {
            logon,
            clock,
            state: State::Start,
            negotiate: NegotiateMessage::default().encode(),
            out: Outcome::default(),
        }
    }

    fn read() -> Read {
        Read::new(Framing::Der, Phase::Nla)
    }

    fn finish(&mut self) -> Action<Outcome> {
        self.state = State::Done;
        Action::Done(std::mem::take(&mut self.out))
    }

    fn fail(&mut self, f: Failure) -> Action<Outcome> {
        self.out.failure = Some(f);
        self.finish()
    }

    fn logon_result(&mut self, answer: Result<LogonAnswer, Failure>) -> Action<Outcome> {
        if let Some(a) = self.out.attempt.as_mut() {
            a.answer = answer;
        }
        self.finish()
    }

    /// The server's first TSRequest: a CHALLENGE (or an errorCode).
    fn on_challenge(&mut self, frame: &[u8]) -> Action<Outcome> {
        let received_at = (self.clock)();
        let ts = match TsRequest::decode(frame) {
            Ok(ts) => ts,
            Err(e) => return self.fail(Failure::Decode(e)),
        };
        self.out.challenge = Some(ChallengeAnswer { version: ts.version, error_code: ts.error_code, challenge: None });
        let Some(challenge_bytes) = ts.nego_tokens.first() else { return self.fail(Failure::NoChallenge) };
        let challenge = match ChallengeMessage::decode(challenge_bytes) {
            Ok(c) => c,
            Err(e) => return self.fail(Failure::Decode(e)),
        };
        if let Some(c) = self.out.challenge.as_mut() {
            c.challenge = Some((challenge.clone(), received_at));
        }
        // Never send AUTHENTICATE without credentials.
        let Some(logon) = self.logon.take() else { return self.finish() };
        let version = ts.version.clamp(2, credssp::CLIENT_VERSION);
        self.out.attempt = Some(Attempt {
            user: user_label(&logon.credentials),
            credssp_version: version,
            answer: Err(Failure::NoPubKeyAuth),
        });
        let Some(key) = logon.server_key else { return self.logon_result(Err(Failure::NoServerKey)) };
        let secrets = match logon.secrets {
            Ok(s) => s,
            Err(e) => return self.logon_result(Err(Failure::Random(e))),
        };
        let c = &logon.credentials;
        let a = ntlm::authenticate(
            &self.negotiate,
            challenge_bytes,
            &challenge,
            &c.user,
            &c.domain,
            &c.password,
            "",
            &secrets.random,
            ntlm::unix_to_filetime(received_at),
        );
        let mut client = SealingState::new(&a.exported_session_key, a.flags, true);
        let server = SealingState::new(&a.exported_session_key, a.flags, false);
        let (sig, sealed) = client.seal(&credssp::client_pub_key_auth(version, &secrets.nonce, &key));
        let mut pub_key_auth = sig.to_vec();
        pub_key_auth.extend_from_slice(&sealed);
        let req = TsRequest {
            version: credssp::CLIENT_VERSION,
            nego_tokens: vec![a.message],
            pub_key_auth: Some(pub_key_auth),
            client_nonce: (version >= 5).then(|| secrets.nonce.to_vec()),
            ..Default::default()
        };
        let delegate =
            logon.delegate.then(|| (client, credssp::encode_ts_credentials(&c.domain, &c.user, &c.password)));
        self.state = State::AwaitLogon(Box::new(Pending { version, nonce: secrets.nonce, key, server, delegate }));
        Action::Exchange { bytes: req.encode(), write_phase: Phase::Nla, read: Self::read() }
    }
}

/// The server's answer to AUTHENTICATE + pubKeyAuth (MS-CSSP 3.1.5 step 3): its errorCode, or
/// its pubKeyAuth, which must unseal with our session key to the value bound to the TLS key.
fn judge_logon_answer(
    frame: &[u8],
    version: u32,
    nonce: &[u8],
    key: &[u8],
    server: &mut SealingState,
) -> Result<LogonAnswer, Failure> {
    let ts = TsRequest::decode(frame).map_err(Failure::Decode)?;
    if let Some(code) = ts.error_code.filter(|c| *c != 0) {
        return Ok(LogonAnswer::Refused(code));
    }
    let pka = ts.pub_key_auth.ok_or(Failure::NoPubKeyAuth)?;
    let (sig, sealed) = (pka.get(..16).unwrap_or_default(), pka.get(16..).unwrap_or_default());
    let expected = credssp::expected_server_pub_key_auth(version, nonce, key);
    match server.unseal(sig, sealed) {
        Some(plain) if plain == expected => Ok(LogonAnswer::Verified),
        Some(_) => Ok(LogonAnswer::KeyMismatch),
        None => Err(Failure::BadSignature),
    }
}

impl Machine for Credssp {
    type Output = Outcome;

    fn start(&mut self) -> Action<Outcome> {
        let req = TsRequest {
            version: credssp::CLIENT_VERSION,
            nego_tokens: vec![self.negotiate.clone()],
            ..Default::default()
        };
        self.state = State::AwaitChallenge;
        Action::Exchange { bytes: req.encode(), write_phase: Phase::Nla, read: Self::read() }
    }

    fn input(&mut self, input: Input<'_>) -> Action<Outcome> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::AwaitChallenge => match input {
                Input::Error(e) => self.fail(Failure::Net(e)),
                Input::Frame(f) => self.on_challenge(f),
            },
            State::AwaitLogon(mut p) => match input {
                // A close without an NTSTATUS: how FreeRDP and older servers refuse. Not when the
                // write of AUTHENTICATE failed: the server never read the credentials, so its
                // close says nothing about them (an error, not a refusal).
                Input::Error(e) if !e.unsent && matches!(e.kind, NetErrorKind::Closed { .. } | NetErrorKind::Reset) => {
                    self.logon_result(Ok(LogonAnswer::Closed))
                }
                Input::Error(e) => self.logon_result(Err(Failure::Net(e))),
                Input::Frame(f) => {
                    let answer = judge_logon_answer(f, p.version, &p.nonce, &p.key, &mut p.server);
                    if let (Ok(LogonAnswer::Verified), Some((mut client, creds))) = (&answer, p.delegate.take()) {
                        // TSCredentials, sealed with the next client sequence number.
                        let (sig, sealed) = client.seal(&creds);
                        let mut auth_info = sig.to_vec();
                        auth_info.extend_from_slice(&sealed);
                        let req = TsRequest {
                            version: credssp::CLIENT_VERSION,
                            auth_info: Some(auth_info),
                            ..Default::default()
                        };
                        if let Some(a) = self.out.attempt.as_mut() {
                            a.answer = answer;
                        }
                        self.state = State::Delegating;
                        return Action::SendLast { bytes: req.encode(), write_phase: Phase::Nla };
                    }
                    self.logon_result(answer)
                }
            },
            State::Start | State::Delegating | State::Done => self.finish(),
        }
    }

    fn sent(&mut self, written: Result<(), NetError>) -> Outcome {
        if matches!(self.state, State::Delegating) && written.is_ok() {
            self.out.delegated = true;
        }
        // Otherwise only reached when a driver gives up on the machine: keep what was seen.
        if let Err(e) = written {
            if self.out.failure.is_none() {
                self.out.failure = Some(Failure::Net(e));
            }
        }
        self.state = State::Done;
        std::mem::take(&mut self.out)
    }
}

const CLOSED_REMEDY: &str = "the server closed the connection after our AUTHENTICATE without an NTSTATUS: \
     wrong user name or password (FreeRDP and older servers answer this way)";
const KEY_MISMATCH_DETAIL: &str = "server pubKeyAuth does not match the TLS key";
const KEY_MISMATCH_REMEDY: &str =
    "the server's pubKeyAuth does not bind the TLS certificate key: check for a TLS-intercepting proxy";
const AUTHZ_NOT_CHECKED: &str = "not checked: --authz is not implemented yet";

/// The report of a logon attempt, and the step's failure when the check did not complete.
/// `authz`: the caller asked for the Early User Authorization Result (not implemented: noted).
pub(crate) fn judge_attempt(a: &Attempt, authz: bool) -> (AuthReport, Option<NlaError>) {
    let mut r = AuthReport { user: a.user.clone(), credssp_version: a.credssp_version, ..AuthReport::default() };
    match &a.answer {
        Ok(LogonAnswer::Verified) => {
            r.accepted = true;
            r.status = AuthStatus::Accepted;
            r.server_key_verified = true;
            if authz {
                // TSCredentials and the Early User Authorization Result (MS-RDPBCGR 2.2.10.2) are
                // not implemented: we never delegate the password.
                r.authorization = Some(AUTHZ_NOT_CHECKED.into());
            }
        }
        Ok(LogonAnswer::KeyMismatch) => {
            r.accepted = true;
            r.status = AuthStatus::Accepted;
            r.status_detail = Some(KEY_MISMATCH_DETAIL.into());
            r.remedy = Some(KEY_MISMATCH_REMEDY.into());
        }
        Ok(LogonAnswer::Refused(code)) => {
            r.error_code = Some(*code);
            r.ntstatus = Some(credssp::ntstatus_name(*code));
            match credssp::ntstatus(*code) {
                Some(info) => {
                    r.status = AuthStatus::parse(info.status);
                    r.remedy = Some(info.remedy.into());
                }
                None => {
                    r.status = AuthStatus::Refused;
                    r.status_detail = Some(format!("{code:#010x}"));
                }
            }
        }
        Ok(LogonAnswer::Closed) => {
            r.status = AuthStatus::ServerClosed;
            r.remedy = Some(CLOSED_REMEDY.into());
        }
        Err(f) => {
            r.status = AuthStatus::Error;
            return (r, Some(NlaError::from(f)));
        }
    }
    (r, None)
}

/// Fills `r` (the nla section) from what the machine saw.
pub(crate) fn report(out: &Outcome, authz: bool, r: &mut NlaReport) {
    if let Some(c) = &out.challenge {
        r.credssp_version = Some(c.version);
        r.cve_2018_0886_fixed = Some(c.version >= 5);
        if let Some(code) = c.error_code {
            r.error_code = Some(code);
            r.ntstatus = Some(credssp::ntstatus_name(code));
        }
        if let Some((challenge, at)) = &c.challenge {
            r.ntlm = Some(NtlmInfo::from_challenge(challenge, *at));
        }
    }
    if let Some(f) = &out.failure {
        r.error = Some(NlaError::from(f));
    }
    if let Some(a) = &out.attempt {
        let (auth, error) = judge_attempt(a, authz);
        r.auth = Some(auth);
        if error.is_some() {
            r.error = error;
        }
    }
}

#[cfg(test)]
mod tests;
