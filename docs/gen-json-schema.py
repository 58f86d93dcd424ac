#!/usr/bin/env python3
# Regenerates docs/json-schema.md from the report types' doc comments (run from anywhere).
import re,sys,os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
HEAD = "# JSON schema of `rdp-probe --json`\n\nOne object per target per line (JSON Lines). Every field below is serialised from the library's\nreport types (`rdp-probe/src/report/`), with the same names; optional fields are left out when\nabsent, lists and maps may be empty. Names are a contract: fields are added, never renamed.\nRegenerate this file with `python3 docs/gen-json-schema.py` after changing a report type (the\ntables are generated from the doc comments; the enum values below are written by hand).\n\n## Enumerated values\n\n| field | values |\n|---|---|\n| `status` | `rdp`, `not_rdp`, `refused`, `timeout`, `reset`, `dns_error`, `error` |\n| `error_phase`, `*.phase` | `resolve`, `connect`, `send_cr`, `read_cc`, `tls`, `nla`, `mcs`, `overall` |\n| `error_kind`, `tls.error.kind`, `tls.errors[].kind`, `nla.error.kind`, `mcs.error.kind` | `refused`, `timeout`, `reset`, `closed`, `proxy`, `unreachable`, `dns`, `not_tpkt`, `decode`, `not_tls`, `tls`, `io`, `client_limitation`, `server_refused` (an RDP_NEG_FAILURE, e.g. `ssl_cert_not_on_server`), `other` |\n| `negotiation.protocols.*` | `accepted`, `downgraded_to_<protocol>`, `ssl_required_by_server`, `ssl_not_allowed_by_server`, `ssl_cert_not_on_server`, `inconsistent_flags`, `hybrid_required_by_server`, `ssl_with_user_auth_required_by_server`, `unknown_failure_0x..`, `no_negotiation`, `closed`, `error` |\n| protocol names | `rdp`, `ssl`, `hybrid`, `rdstls`, `hybrid_ex`, `rdsaad`, `unknown_0x..` |\n| `negotiation.attempts[].answer.kind` | `selected`, `failure`, `no_negotiation`, `unknown_negotiation`, `disconnect`, `mcs_disconnect`, `closed`, `error` |\n| `negotiation.security_layer` | `rdp`, `negotiate`, `ssl`, `unknown` |\n| `negotiation.nla`, `nla.requirement` | `required`, `offered`, `not_supported`, `unknown` |\n| `verdict.state` | `usable`, `usable_with_warnings`, `unusable`, `not_rdp`, `unreachable` |\n| `verdict.blocking_step` | `dns`, `proxy`, `tcp`, `x224`, `tls`, `nla`, `mcs` |\n| `nla.auth.status` | `accepted`, `rejected ...` (free text, see `nla.auth.ntstatus`), `not_tested` (see `nla.auth.reason`), ... |\n| `findings[].severity` | `info`, `warning`, `critical` |\n| `mcs.encryption_level` | `none`, `low`, `client_compatible`, `high`, `fips` |\n| `mcs.encryption_methods` keys | `none`, `40bit`, `56bit`, `128bit`, `fips` |\n| `tls.versions` keys | `1.0`, `1.1`, `1.2`, `1.3` |\n| `transcript[].direction` | `sent`, `received`, `note` |\n| `identification.family` | `windows`, `xrdp`, `freerdp`, `virtualbox`, `unknown` |\n| `identification.confidence` | `low`, `medium`, `high` |\n\n## Types\n"
files=['rdp-probe/src/report/mod.rs','rdp-probe/src/report/negotiation.rs','rdp-probe/src/report/tls.rs','rdp-probe/src/report/nla.rs','rdp-probe/src/report/mcs.rs','rdp-probe/src/diagnosis/findings.rs','rdp-probe/src/diagnosis/verdict.rs','rdp-probe/src/diagnosis/identify.rs']
out=[]
for f in files:
    src=open(f).read().split('\n')
    doc=[];struct=None;sdoc='';serde=False
    for line in src:
        l=line.strip()
        if l.startswith('///'):
            doc.append(l[3:].strip()); continue
        if l.startswith('#[cfg_attr(feature = "serde", derive('): serde=True
        m=re.match(r'pub (struct|enum) (\w+)',l)
        if m and l.endswith('{'):
            struct=m.group(2); kind=m.group(1); is_json=serde; serde=False
            if kind=='struct' and not is_json:
                struct=None
            elif kind=='struct':
                out.append(f'\n### `{struct}` ({os.path.basename(f)})\n\n{" ".join(doc)}\n\n| field | type | meaning |\n|---|---|---|')
            else:
                struct=None
            doc=[];continue
        m=re.match(r'pub (\w+): (.+),$',l)
        if m and struct:
            t=m.group(2).replace('|','\\|')
            out.append(f'| `{m.group(1)}` | `{t}` | {" ".join(doc)} |')
            doc=[];continue
        if l=='}': struct=None
        if not l.startswith('#'): doc=[]
open('docs/json-schema.md', 'w').write(HEAD + '\n'.join(out) + '\n')
