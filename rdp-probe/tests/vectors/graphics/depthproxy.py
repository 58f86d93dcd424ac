# Loopback proxy 127.0.0.1:33902 -> 127.0.0.1:33901 that rewrites the client's CS_CORE
# highColorDepth to argv[1] and clears RNS_UD_CS_WANT_32BPP_SESSION (capture helper).
import socket, struct, sys, threading
depth = int(sys.argv[1])
def pipe(a, b, patch):
    done = not patch
    while True:
        d = a.recv(65536)
        if not d: break
        if not done:
            i = next((m for m in range(len(d) - 8) if d[m:m+2] == b'\x01\xc0' and d[m+6:m+8] == b'\x08\x00'), -1)
            if i > 0 and len(d) > i + 4 + 142:
                d = bytearray(d); o = i + 4
                struct.pack_into('<H', d, o + 136, depth)
                ec = struct.unpack_from('<H', d, o + 140)[0] & ~0x0002
                struct.pack_into('<H', d, o + 140, ec)
                print('patched CS_CORE: highColorDepth', depth, 'earlyCapabilityFlags', hex(ec), flush=True)
                d = bytes(d); done = True
        b.sendall(d)
    try: b.shutdown(socket.SHUT_WR)
    except OSError: pass
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('127.0.0.1', 33902)); l.listen(4)
while True:
    c, _ = l.accept(); s = socket.create_connection(('127.0.0.1', 33901))
    threading.Thread(target=pipe, args=(c, s, True), daemon=True).start()
    threading.Thread(target=pipe, args=(s, c, False), daemon=True).start()
