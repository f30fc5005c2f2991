#!/usr/bin/env python3
"""SIP over TCP (RFC 3261 18.3, RFC 5626 3.5.1): partial reads, pipelined
messages, CRLF keep-alives, mandatory Content-Length, the size cap, the
per-source and total connection caps, the idle timeout and the deadline
for finishing a message that has started (slow-loris)."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import (Checks, Daemon, peer_closed, sip_request, status_of,
                    tcp_connect, tcp_read_messages)

PORT = 5100  # uses 5100-5101; see the port plan in docs/testing.md
c = Checks("tcp")
d = Daemon(PORT, extra="tcp = { idle_timeout = 3; message_timeout = 2; "
           "max_connections = 6; max_connections_per_source = 4; };\n"
           "limits = { message_size = 8192; };\n")
try:
    d.start()
    req = lambda: sip_request(transport="TCP", ruri="sip:127.0.0.1")

    s = tcp_connect("127.0.0.1", PORT)
    s.sendall(req())
    m = tcp_read_messages(s, 1)
    c.check("OPTIONS over TCP gets 200", len(m) == 1 and status_of(m[0])[0] == 200, m)

    # Partial reads: one byte at a time for the first 60, then the rest.
    data = req()
    for i in range(60):
        s.sendall(data[i:i + 1])
        time.sleep(0.005)
    s.sendall(data[60:])
    m = tcp_read_messages(s, 1)
    c.check("a message arriving in pieces is framed", len(m) == 1 and status_of(m[0])[0] == 200)

    # Pipelined: three requests in one segment, a body included.
    body = "v=0\r\n\r\n"  # a blank line inside the body must not confuse framing
    s.sendall(req() + sip_request(transport="TCP", body=body,
                                  extra="Content-Type: application/sdp\r\n") + req())
    m = tcp_read_messages(s, 3)
    c.check("three pipelined requests get three answers",
            len(m) == 3 and all(status_of(x)[0] == 200 for x in m), len(m))

    s.sendall(b"\r\n\r\n")
    s.settimeout(2)
    pong = s.recv(10)
    c.check("CRLFCRLF ping gets a CRLF pong", pong == b"\r\n", pong)
    s.sendall(b"\r\n" + req())
    m = tcp_read_messages(s, 1)
    c.check("a CRLF before a request is skipped", len(m) == 1 and status_of(m[0])[0] == 200)
    s.close()

    s = tcp_connect("::1", PORT)
    s.sendall(sip_request(transport="TCP", ruri="sip:[::1]", via_host="[::1]:5999"))
    m = tcp_read_messages(s, 1)
    c.check("TCP over IPv6", len(m) == 1 and status_of(m[0])[0] == 200)
    s.close()

    s = tcp_connect("127.0.0.1", PORT)
    s.sendall(req().replace(b"Content-Length: 0\r\n", b""))
    c.check("a request without Content-Length closes the connection", peer_closed(s))
    s.close()

    s = tcp_connect("127.0.0.1", PORT)
    s.sendall(sip_request(transport="TCP", body="x" * 9000))
    c.check("a message over limits.message_size closes the connection", peer_closed(s))
    s.close()

    # Which connection a cap refuses depends on which worker accepts
    # first (SO_REUSEPORT spreads them), so count refusals, not positions.
    def split_refused(socks, wait=1.0):
        time.sleep(wait)
        refused, admitted = 0, []
        for x in socks:
            x.setblocking(False)
            try:
                if x.recv(1) == b"":
                    refused += 1
                    continue
            except BlockingIOError:
                pass
            except ConnectionResetError:
                refused += 1
                continue
            x.setblocking(True)
            admitted.append(x)
        return refused, admitted

    time.sleep(0.3)
    refused, conns = split_refused([tcp_connect("127.0.0.1", PORT) for _ in range(5)])
    c.check("of 5 connections from one source, exactly one is refused (cap 4)",
            refused == 1 and len(conns) == 4, refused)
    refused, v6 = split_refused([tcp_connect("::1", PORT) for _ in range(3)])
    c.check("of 7 connections in total, exactly one more is refused (cap 6)",
            refused == 1 and len(v6) == 2, refused)
    conns[0].settimeout(3)
    conns[0].sendall(req())
    c.check("the admitted connections still work",
            status_of((tcp_read_messages(conns[0], 1) or [b""])[0])[0] == 200)
    st = d.stats()
    c.check("refusals are counted", st.get("tcp.refused.source_limit", 0) >= 1
            and st.get("tcp.refused.total_limit", 0) >= 1, st)
    for x in conns + v6:
        x.close()
    time.sleep(0.5)

    s = tcp_connect("127.0.0.1", PORT)
    t0 = time.time()
    closed = peer_closed(s, 8)
    c.check("an idle connection is closed after tcp.idle_timeout (3 s)",
            closed and 2.5 <= time.time() - t0 <= 6, time.time() - t0)
    s.close()

    s = tcp_connect("127.0.0.1", PORT)
    partial = req()[:40]
    s.sendall(partial)
    t0 = time.time()
    # Keep the connection busy (not idle) but never finish the message.
    closed = False
    for i in range(12):
        time.sleep(0.5)
        try:
            s.sendall(b"X")
        except OSError:
            closed = True
            break
    if not closed:
        closed = peer_closed(s, 2)
    c.check("a message not finished within tcp.message_timeout (2 s) closes the connection",
            closed and time.time() - t0 < 7, time.time() - t0)
    s.close()
    st = d.stats()
    c.check("timeouts and framing errors are counted",
            st.get("tcp.idle_timeout", 0) >= 1 and st.get("tcp.message_timeout", 0) >= 1
            and st.get("tcp.framing_error", 0) >= 1 and st.get("tcp.overflow", 0) >= 1, st)
    c.check("all connections were released", st.get("tcp.connections", -1) == 0, st)

    # A peer that only sends keep-alives (or bare line ends) as fast as it
    # can is cut off; RFC 5626 pings come every 30 s or more.
    s = tcp_connect("127.0.0.1", PORT)
    try:
        for _ in range(40):
            s.sendall(b"\r\n\r\n")
    except OSError:
        pass
    c.check("a keep-alive flood closes the connection", peer_closed(s, 3))
    s.close()
    c.check("keep-alive floods are counted", d.stats().get("tcp.keepalive_flood", 0) >= 1)

    rc = d.stop()
    c.check("SIGTERM: exit status 0", rc == 0, rc)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
except Exception as e:
    c.check("test ran to the end", False, repr(e) + "\n" + d.stderr()[-3000:])
finally:
    d.cleanup()

# Out of file descriptors: the daemon must not spin on a listener whose
# pending connections it cannot accept, and must recover afterwards.
import resource

lim = Daemon(PORT + 1, extra="tcp = { max_connections = 1000; max_connections_per_source = 1000; };\n")
try:
    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))
    lim.start(preexec_fn=low_fd_limit)
    c.check("a too-low open file limit is reported at start",
            "open file limit 48 is below" in lim.stderr(), lim.stderr()[-500:])
    hogs = []
    for _ in range(80):
        try:
            hogs.append(tcp_connect("127.0.0.1", PORT + 1, timeout=1))
        except OSError:
            break
    time.sleep(0.5)
    cpu0 = lim.cpu_seconds()
    time.sleep(2)
    used = lim.cpu_seconds() - cpu0
    c.check("with descriptors exhausted the daemon does not spin (CPU %.2f s in 2 s)" % used,
            used < 0.5, used)
    c.check("accept pauses are counted", lim.stats().get("tcp.accept_paused", 0) >= 1)
    for h in hogs:
        h.close()
    time.sleep(1.5)
    s = tcp_connect("127.0.0.1", PORT + 1)
    s.sendall(sip_request(transport="TCP", ruri="sip:127.0.0.1"))
    m = tcp_read_messages(s, 1)
    c.check("after the peers leave, new connections are served",
            len(m) == 1 and status_of(m[0])[0] == 200)
    s.close()
    c.check("SIGTERM: exit status 0 (low fd limit)", lim.stop() == 0)
    c.check("no sanitizer reports (low fd limit)", not lim.sanitizer_reports(),
            lim.sanitizer_reports())
except Exception as e:
    c.check("low fd limit test ran to the end", False, repr(e) + "\n" + lim.stderr()[-3000:])
finally:
    lim.cleanup()
c.finish()
