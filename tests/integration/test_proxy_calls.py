#!/usr/bin/env python3
"""The proxy's call handling against hand-driven phones (RFC 3261 16):
407 with SHA-256 credentials, the forwarded INVITE (Via, Max-Forwards,
Record-Route, Request-URI), parallel forking with the best response, a
2xx on one branch cancelling the other, a caller's CANCEL (200, 487), 486
busy, 404 and 480, the identity check, a branch that never answers (408),
an upstream route and a trusted peer, loop detection (482), Max-Forwards
(483) and a stray CANCEL (481).  Ports 5195-5199."""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN
from sipua import UA, authorization, header, headers, parse_challenge, status

PORT = 5195
TRUNK = 5196
DOMAIN = "example.test"
c = Checks("proxy_calls")




def answer(req, code, reason, totag="callee", contact="sip:callee@127.0.0.1"):
    lines = [l for l in req.split(b"\r\n")
             if re.match(rb"(?i)(via|record-route|from|to|call-id|cseq)\s*:", l)]
    out = b"SIP/2.0 %d %s\r\n" % (code, reason.encode())
    for l in lines:
        if re.match(rb"(?i)to\s*:", l) and b"tag=" not in l and code > 100:
            l += b";tag=" + totag.encode()
        out += l + b"\r\n"
    if 200 <= code < 300:
        out += b"Contact: <%s>\r\n" % contact.encode()
    return out + b"Content-Length: 0\r\n\r\n"


def next_request(ua, method, callid=None, timeout=3.0):
    """The next request of this method (and call), skipping the rest: with
    t1 = 50 ms the proxy retransmits to these slow hand-driven phones,
    and old retransmissions wait in their sockets."""
    end = time.time() + timeout
    while time.time() < end:
        m = ua.recv(max(0.05, end - time.time()))
        if m is None:
            return None
        if m.startswith(method.encode() + b" ") and (
                callid is None or b"Call-ID: " + callid.encode() + b"\r\n" in m):
            return m
    return None


def branch_of(msg):
    m = re.search(rb"(?im)^Via:[^\r\n]*?branch=([^;,\s]+)", msg)
    return m.group(1) if m else None


class Caller:
    """alice, authenticating every INVITE with SHA-256."""

    def __init__(self, src_host="127.0.0.1", user="alice", pw="alice-secret-1"):
        self.ua = UA("127.0.0.1", PORT, host=src_host)
        self.user, self.pw = user, pw
        self.invite = None

    def call(self, target, from_user=None):
        ua = self.ua
        frm = "sip:%s@%s" % (from_user or self.user, DOMAIN)
        hdr = "Contact: <sip:%s@%s:%d>\r\n" % (self.user, ua.host, ua.local[1])
        ua.send(ua.request("INVITE", target, target, hdr, from_uri=frm))
        first = ua.recv_final()
        self.challenge = status(first)
        if status(first) != 407:
            return first
        # ACK the 407 (same branch as the INVITE), then authenticate.
        br = branch_of(first).decode()
        ua.send(ua.request("ACK", target, target, branch=br, cseq=ua.cseq,
                           from_uri=frm).replace(b"\r\nTo: <%s>" % target.encode(),
                                                 b"\r\nTo: " + header(first, "To").encode()))
        chs = [parse_challenge(v) for v in headers(first, "Proxy-Authenticate")]
        ch = [x for x in chs if x.get("algorithm") == "SHA-256"][0]
        self.invite = ua.request("INVITE", target, target, hdr + authorization(
            ch, self.user, self.pw, "INVITE", target, header_name="Proxy-Authorization"),
            from_uri=frm)
        ua.send(self.invite)
        return None

    def cancel(self):
        """CANCEL the last INVITE (RFC 3261 9.1)."""
        inv = self.invite.decode()
        lines = inv.split("\r\n")
        keep = [l for l in lines[1:] if re.match(r"(?i)(via|from|to|call-id|max-forwards)\s*:", l)]
        cseq = re.search(r"CSeq: (\d+)", inv).group(1)
        ruri = lines[0].split()[1]
        msg = "CANCEL %s SIP/2.0\r\n%s\r\nCSeq: %s CANCEL\r\nContent-Length: 0\r\n\r\n" % (
            ruri, "\r\n".join(keep), cseq)
        self.ua.send(msg.encode())


EXTRA = ('auth = { algorithms = ["SHA-256", "MD5"]; };\n'
         'transactions = { t1 = 50; };\n'
         'upstream = { routes = ( { prefix = "00"; address = "127.0.0.3"; port = %d; transport = "udp"; } );'
         ' trusted = [ "127.0.0.2" ]; };\n' % TRUNK)
d = Daemon(PORT, extra=EXTRA, domains=(DOMAIN,),
           listen='{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }' % PORT)
try:
    d.start()
    c.check("users", all(d.add_user(u, p) for u, p in
                         (("alice", "alice-secret-1"), ("bob", "bob-secret-22"),
                          ("carol", "carol-secret-3"))))
    # bob has two phones.
    p1, p2 = UA("127.0.0.1", PORT), UA("127.0.0.1", PORT)
    for p, n in ((p1, 1), (p2, 2)):
        r, _ = p.register("bob", "bob-secret-22", DOMAIN,
                          contact="<sip:bob@127.0.0.1:%d>" % p.local[1], expires=300)
        c.check("bob's phone %d registers" % n, status(r) == 200, r)

    # 1. The challenge and the forwarded INVITE.
    a = Caller()
    r = a.call("sip:bob@" + DOMAIN)
    c.check("an unauthenticated INVITE gets 407 (after 100 Trying)", r is None and a.challenge == 407,
            r)
    inv1, inv2 = next_request(p1, "INVITE", a.ua.callid), next_request(p2, "INVITE", a.ua.callid)
    c.check("with SHA-256 credentials the INVITE is forked to both phones",
            inv1 is not None and inv2 is not None)
    if inv1:
        c.check("the forwarded INVITE has our Via on top, Max-Forwards 69, two "
                "signed Record-Routes, the Contact as Request-URI",
                branch_of(inv1).startswith(b"z9hG4bKvs") and
                header(inv1, "Max-Forwards") == "69" and
                len(re.findall(rb"vsd=[0-9a-f]{16}", inv1)) == 2 and
                inv1.startswith(b"INVITE sip:bob@127.0.0.1:%d " % p1.local[1]), inv1)
        # Phone 1 busy, phone 2 answers: the caller gets the 200.
        p1.send(answer(inv1, 486, "Busy Here", "t1"))
        p2.send(answer(inv2, 180, "Ringing", "t2"))
        p2.send(answer(inv2, 200, "OK", "t2"))
        ack1 = next_request(p1, "ACK", a.ua.callid)
        c.check("the proxy ACKs phone 1's 486 with its INVITE's branch",
                ack1 is not None and branch_of(ack1) == branch_of(inv1))
        got = []
        end = time.time() + 2
        while time.time() < end and len(got) < 2:
            m = a.ua.recv(0.5)
            if m and status(m) != 100:
                got.append(status(m))
        c.check("the caller gets 180 then 200, not the 486", got == [180, 200], got)

    # 2. 2xx on one branch cancels the other.
    a = Caller()
    a.call("sip:bob@" + DOMAIN)
    inv1, inv2 = next_request(p1, "INVITE", a.ua.callid), next_request(p2, "INVITE", a.ua.callid)
    if inv1 and inv2:
        p1.send(answer(inv1, 180, "Ringing", "t1"))
        time.sleep(0.1)
        p2.send(answer(inv2, 200, "OK", "t2"))
        can = next_request(p1, "CANCEL", a.ua.callid)
        c.check("a 200 from phone 2 cancels phone 1 (CANCEL with its branch)",
                can is not None and branch_of(can) == branch_of(inv1))
        if can:
            p1.send(answer(can, 200, "OK", "t1"))
            p1.send(answer(inv1, 487, "Request Terminated", "t1"))
            c.check("the proxy ACKs the 487", next_request(p1, "ACK", a.ua.callid) is not None)
        finals = []
        end = time.time() + 2
        while time.time() < end:
            m = a.ua.recv(0.5)
            if m and status(m) and status(m) >= 200:
                finals.append(status(m))
        c.check("the caller gets exactly the one 200", finals == [200], finals)
    else:
        c.check("second call forked", False)

    # 3. The caller cancels while both ring.
    a = Caller()
    a.call("sip:bob@" + DOMAIN)
    inv1, inv2 = next_request(p1, "INVITE", a.ua.callid), next_request(p2, "INVITE", a.ua.callid)
    if inv1 and inv2:
        p1.send(answer(inv1, 180, "Ringing", "t1"))
        p2.send(answer(inv2, 180, "Ringing", "t2"))
        time.sleep(0.2)
        a.cancel()
        c1, c2 = next_request(p1, "CANCEL", a.ua.callid), next_request(p2, "CANCEL", a.ua.callid)
        c.check("the caller's CANCEL reaches both phones", c1 is not None and c2 is not None)
        for p, inv, cn, t in ((p1, inv1, c1, "t1"), (p2, inv2, c2, "t2")):
            if cn:
                p.send(answer(cn, 200, "OK", t))
                p.send(answer(inv, 487, "Request Terminated", t))
        got = []
        end = time.time() + 2
        while time.time() < end:
            m = a.ua.recv(0.5)
            if m:
                got.append((status(m), re.search(rb"CSeq: \d+ (\w+)", m).group(1).decode()))
        c.check("the caller gets 200 for its CANCEL and 487 for its INVITE",
                (200, "CANCEL") in got and (487, "INVITE") in got, got)
    else:
        c.check("third call forked", False)

    # 4. Only phone 1, busy: 486 comes back.
    while p2.recv(0.3) is not None:
        pass  # old retransmissions
    r, _ = p2.register("bob", "bob-secret-22", DOMAIN,
                       contact="<sip:bob@127.0.0.1:%d>;expires=0" % p2.local[1])
    c.check("phone 2 unregisters", status(r) == 200, r)
    a = Caller()
    a.call("sip:bob@" + DOMAIN)
    inv1 = next_request(p1, "INVITE", a.ua.callid)
    if inv1:
        p1.send(answer(inv1, 486, "Busy Here", "t1"))
    c.check("a busy callee's 486 reaches the caller", status(a.ua.recv_final()) == 486)

    # 5. Unknown user, user without registration, identity.
    a = Caller()
    a.call("sip:nobody@" + DOMAIN)
    c.check("INVITE for an unknown user: 404", status(a.ua.recv_final()) == 404)
    a = Caller()
    a.call("sip:carol@" + DOMAIN)
    c.check("INVITE for a user with no registration: 480", status(a.ua.recv_final()) == 480)
    a = Caller()
    a.call("sip:bob@" + DOMAIN, from_user="carol")
    c.check("alice's credentials with From carol: 403", status(a.ua.recv_final()) == 403)

    # 6. A phone that never answers: 408 after Timer B (64 x 50 ms).
    silent = UA("127.0.0.1", PORT)
    silent.register("carol", "carol-secret-3", DOMAIN,
                    contact="<sip:carol@127.0.0.1:%d>" % silent.local[1], expires=300)
    a = Caller()
    a.call("sip:carol@" + DOMAIN)
    t0 = time.time()
    r = a.ua.recv_final(timeout=10)
    c.check("a callee that never answers: 408 after Timer B (%.1f s)" % (time.time() - t0),
            status(r) == 408 and 2.5 < time.time() - t0 < 9, r)

    # 7. An upstream route, and a trusted peer calling in.
    trunk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    trunk.bind(("127.0.0.3", TRUNK))
    trunk.settimeout(3)
    a = Caller()
    a.call("sip:0049301234@pstn.example")
    try:
        m = trunk.recv(65535)
        while not m.startswith(b"INVITE"):
            m = trunk.recv(65535)
    except socket.timeout:
        m = None
    c.check("a number with a routed prefix goes to the trunk, Request-URI unchanged",
            m is not None and m.startswith(b"INVITE sip:0049301234@pstn.example "), m)
    if m:
        trunk.sendto(answer(m, 200, "OK", "trunk"), ("127.0.0.1", PORT))
        c.check("the trunk's 200 reaches the caller", status(a.ua.recv_final()) == 200)
    a = Caller()
    a.call("sip:+49301234@pstn.example")
    r = a.ua.recv_final()
    c.check("a number without a route: 404 No Route", status(r) == 404, r)
    peer = UA("127.0.0.1", PORT, host="127.0.0.2")
    peer.send(peer.request("INVITE", "sip:bob@" + DOMAIN, "sip:bob@" + DOMAIN,
                           from_uri="sip:pbx@pbx.example"))
    c.check("a trusted peer's INVITE is not challenged: it reaches bob",
            next_request(p1, "INVITE", peer.callid) is not None)

    # 8. Loops, hops, stray CANCEL.
    m = peer.request("INVITE", "sip:bob@" + DOMAIN, "sip:bob@" + DOMAIN,
                     from_uri="sip:pbx@pbx.example")
    m = m.replace(b"\r\nMax-Forwards", b"\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKvs00deadbeef\r\nMax-Forwards" % PORT, 1)
    peer.send(m)
    c.check("a request carrying our own Via: 482", status(peer.recv_final()) == 482)
    peer.send(peer.request("INVITE", "sip:bob@" + DOMAIN, "sip:bob@" + DOMAIN,
                           from_uri="sip:pbx@pbx.example").replace(b"Max-Forwards: 70", b"Max-Forwards: 0"))
    c.check("Max-Forwards: 0: 483", status(peer.recv_final()) == 483)
    peer.send(peer.request("CANCEL", "sip:bob@" + DOMAIN, "sip:bob@" + DOMAIN))
    c.check("a CANCEL matching nothing: 481", status(peer.recv_final()) == 481)

    st = d.stats()
    c.check("counters: forwarded, cancelled, loops, no_route",
            st.get("proxy.requests_forwarded", 0) > 5 and st.get("proxy.branches_cancelled", 0) >= 3
            and st.get("proxy.loops", 0) >= 1 and st.get("proxy.no_route", 0) >= 1, st)
    rc = d.stop()
    c.check("SIGTERM: exit status 0", rc == 0, rc)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
except Exception:
    import traceback
    c.check("test ran to the end", False, traceback.format_exc() + "\n" + d.stderr()[-3000:])
finally:
    d.cleanup()
c.finish()
