#!/usr/bin/env python3
"""Rebuilds fuzz/corpus-seed/<target>/ from real captures (issue 8).

Sources: /work/shared/captures/vectors/*/*.bin (frames cut from captures of xrdp and
freerdp-shadow), /work/shared/captures/windows-spec/*.bin (the Windows dumps of the spec), and
for TLS the server flights and certificates read out of the pcapng files with tshark.
Files are named by content hash, so re-running is idempotent. Usage: fuzz/seed.py [CAPTURES]
"""
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

CAP = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/captures")
OUT = Path(__file__).resolve().parent / "corpus-seed"
MAX_FILES = 40  # keep the committed corpus small


def put(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if len(list(d.iterdir())) >= MAX_FILES:
        return
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def vectors(pattern):
    return sorted((CAP / "vectors").glob(pattern))


spec = CAP / "windows-spec"
ccs = [p.read_bytes() for p in vectors("*/x224-cc-*.bin")] + [(spec / "rdpbcgr-4.1.2-server-x224-cc.bin").read_bytes()]
mcs = [p.read_bytes() for p in vectors("*/mcs-connect-response-*.bin")] + [
    (spec / "rdpbcgr-4.1.4-server-mcs-connect-response.bin").read_bytes()
]
cr = (spec / "rdpbcgr-4.1.1-client-x224-cr.bin").read_bytes()
xrdp_ultimatum = bytes.fromhex("0300000902f0802180")
disconnect = bytes.fromhex("0300000b06800000000000")

for f in ccs + [xrdp_ultimatum, disconnect]:
    put("x224_connection_confirm", f)
    put("x224_server_answer", f)
    put("tpkt", f)


def ber_len(b, i):
    """BER length at b[i]: (length, index after the length octets)."""
    l0 = b[i]
    if l0 < 0x80:
        return l0, i + 1
    n = l0 & 0x7F
    return int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n


def gcc_parts(mcs_pdu):
    """The Connect-Response userData (a GCC Conference Create Response) and its server data
    blocks (after the 'McDn' key and its PER length)."""
    _, i = ber_len(mcs_pdu, 2)  # after 7f 66
    while i < len(mcs_pdu) and mcs_pdu[i] != 0x04:  # result, calledConnectId, domainParameters
        ln, j = ber_len(mcs_pdu, i + 1)
        i = j + ln
    ln, j = ber_len(mcs_pdu, i + 1)
    ccr = mcs_pdu[j:j + ln]
    k = ccr.find(b"McDn") + 4
    k += 2 if ccr[k] & 0x80 else 1
    return ccr, ccr[k:]


for f in mcs:
    put("tpkt", f)
    pdu = f[7:]  # after TPKT (4) and the X.224 Data header (3)
    put("mcs_connect_response", pdu)
    ccr, blocks = gcc_parts(pdu)
    put("gcc_server_blocks", ccr)
    put("gcc_server_blocks", blocks)

# Client CRs seen on the wire (our plan's requests, nmap's, xfreerdp's) and the spec's.
put("x224_connection_request", cr)
for pcap in sorted(CAP.glob("*.pcapng")):
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "tcp.len>0", "-T", "fields", "-e", "tcp.payload"],
        capture_output=True, text=True, check=False,
    ).stdout
    for line in out.split():
        b = bytes.fromhex(line.replace(":", ""))
        if len(b) > 5 and b[0] == 3 and b[5] & 0xF0 == 0xE0:
            put("x224_connection_request", b)

# A whole negotiation per server: its answers concatenated in plan order.
order = ["0x0b", "0x00", "0x01", "0x02", "0x04", "0x08", "0x10"]
for d in sorted((CAP / "vectors").iterdir()):
    frames = [(d / f"x224-cc-req{o}.bin") for o in order]
    blob = b"".join(p.read_bytes() for p in frames if p.exists())
    if blob:
        put("negotiation", blob)

for p in vectors("*/credssp-tsrequest-*.bin") + [spec / "cssp-4-tsrequest-authinfo-sample.bin"]:
    put("ts_request", p.read_bytes())
for p in vectors("*/ntlm-challenge.bin") + sorted(spec.glob("nlmp-*.bin")):
    put("ntlm_challenge", p.read_bytes())

# TLS: each server's first flight after the CC (ServerHello .. ServerHelloDone), and its certificates.
for pcap in sorted(CAP.glob("*x224-tls.pcapng")):
    port = re.search(r"-(\d{5})-", pcap.name).group(1)
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", f"tcp.srcport=={port} && tcp.len>0", "-T", "fields",
         "-e", "tcp.stream", "-e", "tcp.payload"],
        capture_output=True, text=True, check=False,
    ).stdout
    flights = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        b = bytes.fromhex(parts[1].replace(":", ""))
        if b[:1] == b"\x03":
            continue  # the CC
        flights.setdefault(parts[0], b"")
        flights[parts[0]] += b
    # the three longest flights that start with a handshake record, plus one alert if any
    hs = sorted((b for b in flights.values() if b[:1] == b"\x16"), key=len, reverse=True)
    for blob in hs[:3] + [b for b in flights.values() if b[:1] == b"\x15"][:1]:
        put("tls_records", blob[:8192])
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "tls.handshake.certificate", "-T", "fields",
         "-e", "tls.handshake.certificate"],
        capture_output=True, text=True, check=False,
    ).stdout
    for line in out.split():
        for cert in line.split(","):
            put("certificate", bytes.fromhex(cert.replace(":", "")))

put("identify_service", b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")
put("identify_service", b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n<html>")
put("identify_service", b"\x15\x03\x01\x00\x02\x02\x46")
put("identify_service", b"220 mail.example ESMTP Postfix\r\n")
put("identify_service", b"RFB 003.008\n")
put("identify_service", b"\xff\xfd\x18\xff\xfd\x20")

for d in sorted(OUT.iterdir()):
    n = len(list(d.iterdir()))
    size = sum(f.stat().st_size for f in d.iterdir())
    print(f"{d.name}: {n} files, {size} bytes")
