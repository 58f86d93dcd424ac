#!/usr/bin/env python3
"""Cuts the graphics vectors in this folder out of a capture (test helper, not part of the build).

Usage: extract.py CAPTURE.pcapng SERVER_PORT OUT_DIR [PREFIX] [FRAMES]
(PREFIX defaults to xrdp-rdp-none-33895, FRAMES to 18,24,49: the single bodies written)

Reassembles the server->client TCP stream, walks TPKT (slow-path) and fast-path frames,
strips X.224 / MCS Send Data Indication / Share Control / Share Data headers (no security
header: the capture is at encryption level None), undoes MPPC bulk compression (RDP 5.0,
64 KB history; MS-RDPBCGR 3.1.8.4.2) and writes the update bodies.
"""
import os, struct, sys
def packets(path):
    d = open(path,'rb').read(); off = 0; links = []
    while off + 12 <= len(d):
        bt, bl = struct.unpack_from('<II', d, off)
        body = d[off+8:off+bl-4]
        if bt == 1: links.append(struct.unpack_from('<H', body, 0)[0])
        elif bt == 6:
            iface, th, tl, cap, orig = struct.unpack_from('<IIIII', body, 0)
            yield links[iface], (th<<32|tl), body[20:20+cap]
        off += bl
def tcp_segments(path):
    for link, ts, pkt in packets(path):
        if link == 1: pkt = pkt[14:]  # ethernet
        elif link == 113: pkt = pkt[16:]
        elif link == 276: pkt = pkt[20:]
        if pkt[0] >> 4 == 4:
            ihl = (pkt[0] & 15) * 4; proto = pkt[9]; src = pkt[12:16]; dst = pkt[16:20]; tot = struct.unpack_from('>H', pkt, 2)[0]
            pkt = pkt[:tot]
        else:
            ihl = 40; proto = pkt[6]; src = pkt[8:24]; dst = pkt[24:40]
        if proto != 6: continue
        t = pkt[ihl:]
        sp, dp, seq = struct.unpack_from('>HHI', t, 0); doff = (t[12] >> 4) * 4; flags = t[13]
        yield ts, sp, dp, seq, flags, t[doff:]
def streams(path, server_port):
    """Reassembled (client->server, server->client) byte streams, in seq order, deduped."""
    out = {True: {}, False: {}}; isn = {}
    for ts, sp, dp, seq, flags, data in tcp_segments(path):
        s2c = sp == server_port
        if flags & 2: isn[s2c] = seq + 1; continue
        if data: out[s2c].setdefault(seq, (ts, data))
    res = []
    for d in (False, True):
        segs = sorted(out[d].items()); buf = bytearray(); times = []
        base = isn.get(d, segs[0][0] if segs else 0)
        for seq, (ts, data) in segs:
            rel = seq - base
            if rel + len(data) <= len(buf): continue
            if rel > len(buf): raise SystemExit('gap')
            times.append((len(buf), ts)); buf += data[len(buf)-rel:]
        res.append((bytes(buf), times))
    return res
class Mppc:
    def __init__(self, big=True):
        self.size = 65536 if big else 8192; self.big = big
        self.hist = bytearray(self.size); self.pos = 0
    def decompress(self, data, flags):
        if flags & 0x40: self.pos = 0                      # PACKET_AT_FRONT
        if flags & 0x80: self.hist = bytearray(self.size); self.pos = 0  # PACKET_FLUSHED
        if not flags & 0x20: return bytes(data)            # not PACKET_COMPRESSED
        bits = ''.join(format(b, '08b') for b in data); p = 0; n = len(bits)
        start = self.pos
        def take(k):
            nonlocal p
            v = int(bits[p:p+k], 2); p += k; return v
        def prefix(s):
            nonlocal p
            if bits.startswith(s, p): p += len(s); return True
            return False
        while n - p >= 8:
            if bits[p] == '0': b = take(8); self._put(b); continue
            if prefix('10'): self._put(0x80 | take(7)); continue
            if self.big:
                if prefix('11111'): off = take(6)
                elif prefix('11110'): off = take(8) + 64
                elif prefix('1110'): off = take(11) + 320
                elif prefix('110'): off = take(16) + 2368
                else: raise ValueError('bad offset')
            else:
                if prefix('1111'): off = take(6)
                elif prefix('1110'): off = take(8) + 64
                elif prefix('110'): off = take(13) + 320
                else: raise ValueError('bad offset')
            if prefix('0'): ln = 3
            else:
                k = 1
                while bits[p] == '1': p += 1; k += 1
                p += 1
                ln = (1 << k) + take(k)
            src = self.pos - off
            for _ in range(ln):
                self._put(self.hist[src % self.size]); src += 1
        return bytes(self.hist[start:self.pos])
    def _put(self, b):
        self.hist[self.pos] = b; self.pos += 1
def per_len(b, o):
    if b[o] & 0x80: return ((b[o]&0x7f)<<8)|b[o+1], o+2
    return b[o], o+1
def frames(s):
    o = 0
    while o < len(s):
        h = s[o]
        if h == 3:
            l = struct.unpack_from('>H', s, o+2)[0]; yield 'slow', s[o:o+l]; o += l
        else:
            l = s[o+1]
            if l & 0x80: l = ((l&0x7f)<<8)|s[o+2]
            yield 'fast', s[o:o+l]; o += l
def slow_payload(f):
    # TPKT 4, X.224 DT 3, MCS
    m = f[7:]
    mcs_type = m[0] >> 2
    if mcs_type != 26: return mcs_type, None, None
    chan = struct.unpack_from('>H', m, 3)[0]
    l, o = per_len(m, 6)
    return mcs_type, chan, m[o:o+l]
def fast_updates(f):
    h = f[0]; o = 2 if f[1] & 0x80 == 0 else 3
    assert h >> 6 == 0, 'encrypted fastpath'
    while o < len(f):
        uh = f[o]; o += 1; code = uh & 15; frag = (uh>>4)&3; comp = uh>>6
        cf = None
        if comp == 2: cf = f[o]; o += 1
        size = struct.unpack_from('<H', f, o)[0]; o += 2
        yield code, frag, cf, f[o:o+size]; o += size
def updates(path, port):
    """Yields (frame index, 'slow'|'fast', kind, body) for every server update, decompressed."""
    (c2s, _), (s2c, times) = streams(path, port)
    m = Mppc(big=True)
    for i, (kind, f) in enumerate(frames(s2c)):
        if kind == 'slow':
            t, chan, p = slow_payload(f)
            if p is None or len(p) < 6: continue
            tl, pt, src = struct.unpack_from('<HHH', p, 0)
            if pt & 15 == 1: yield i, 'slow', 'demand_active', p[6:]; continue
            if pt & 15 != 7: continue
            pt2, ct, cl = p[6+8], p[6+9], struct.unpack_from('<H', p, 6+10)[0]
            body = p[6+12:]
            if ct & 0x20: body = m.decompress(body, ct)
            elif ct & 0xc0: m.decompress(b'', ct)
            if pt2 == 2: yield i, 'slow', 'update', body
        else:
            for code, frag, cf, d in fast_updates(f):
                if cf is not None: d = m.decompress(d, cf)
                # fragmentation (2.2.9.1.2.1): 0 single, 2 first, 3 next, 1 last
                if frag == 0: yield i, 'fast', code, d
                elif frag == 2: pending = bytearray(d)
                elif frag == 3: pending += d
                else: yield i, 'fast', code, bytes(pending + d)
def main():
    path, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    prefix = sys.argv[4] if len(sys.argv) > 4 else 'xrdp-rdp-none-33895'
    single = [int(x) for x in (sys.argv[5] if len(sys.argv) > 5 else '18,24,49').split(',')]
    bodies = []
    for i, way, kind, body in updates(path, port):
        if kind == 'demand_active':
            open(os.path.join(out, f'{prefix}-demand-active.bin'), 'wb').write(body)
        elif kind in ('update', 1, 2) and struct.unpack_from('<H', body, 0)[0] in (1, 2):
            bodies.append((i, way, body))
    # All bitmap/palette update bodies in arrival order: u32le length + body each.
    with open(os.path.join(out, f'{prefix}-logon-updates.bin'), 'wb') as f:
        for i, way, body in bodies:
            f.write(struct.pack('<I', len(body)) + body)
    # A few single bodies: three large RLE rectangles, thirteen 800x10 fills, one 4x15 glyph cell.
    for i, way, body in bodies:
        if i in single:
            open(os.path.join(out, f'{prefix}-bitmap-update-frame{i}.bin'), 'wb').write(body)
    for i, way, body in bodies:
        print(i, way, len(body), struct.unpack_from('<HH', body, 0))
if __name__ == '__main__':
    main()
