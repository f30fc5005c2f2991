#!/usr/bin/env python3
"""The stateful proxy end to end, with hand-driven phones (UDP sockets that
REGISTER and then answer calls as a test script tells them) and a fake
trunk: the 407 challenge (100 Trying first, SHA-256 then MD5) and its ACK,
the forwarded INVITE (our Via, Max-Forwards, signed Record-Route, the
Contact as Request-URI), 180/200 with our Via removed, ACK and BYE along
the recorded route and the 200 to the BYE; parallel forking (486 + 200,
486 + 404 with one final 4xx and ACKs to both phones, a 200 cancelling the
ringing branch); the caller's CANCEL (200, CANCEL downstream, 487 up);
CANCEL without INVITE (481); identity (403), a wrong password (407); 404
and 480; a callee that never answers (408 after Timer B, t1 = 50 ms); an
upstream route (Request-URI unchanged) and a missing one (404 No Route); a
trusted peer (not challenged); forged Route values (403); a loop (482);
Max-Forwards 0 (483); counters, SIGTERM and sanitizers.

Ports 5150-5159 on 127.0.0.1 (proxy 5150, phones 5151-5154, trunk 5155 on
127.0.0.3, see TRUNK_HOST) and 127.0.0.2 for the trusted peer."""
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN
from sipua import UA, authorization, header, headers, parse_challenge, status
import callkit
from callkit import (branch_of, build, callid_of, collect, contact_uri, cseq_of, drain,
                     is_req, is_resp, new_branch, recv_match, response, rr_uris, ruri_of, vias)

PORT = 5150
DOMAIN = "example.test"
TRUNK_PORT = 5155
# The trunk is not on 127.0.0.1: the addresses of upstream routes are
# trusted (by address, any port: docs/configuration.md, `trusted`), so a
# trunk on 127.0.0.1 would exempt every caller of this test from
# authentication and no 407 could be tested.
TRUNK_HOST = "127.0.0.3"
PEER_HOST = "127.0.0.2"
USERS = (("alice", "alice-secret-1"), ("bob", "bob-secret-22"), ("carol", "carol-secret-3"))
PW = dict(USERS)
c = Checks("proxy")

EXTRA = ('auth = { algorithms = ["SHA-256", "MD5"]; };\n'
         'transactions = { t1 = 50; };\n'
         'upstream = { routes = ( { prefix = "00"; address = "%s"; port = %d; transport = "udp"; } );'
         ' trusted = [ "%s" ]; };\n' % (TRUNK_HOST, TRUNK_PORT, PEER_HOST))

RR_RE = re.compile(r"^<sip:127\.0\.0\.1:%d;transport=udp;lr(;vsf=[^;>]+)?;vsd=[0-9a-f]{16}>$" % PORT)




def Call(ua, user, target, from_user=None, password=None):
    return callkit.Call(ua, user, target, DOMAIN,
                        password if password is not None else PW.get(user, ""), from_user)


def phone(n):
    return UA("127.0.0.1", PORT, local_port=PORT + n)


def register(p, user, contact=None, expires=300):
    r, _ = p.register(user, PW[user], DOMAIN,
                      contact=contact or "<sip:%s@127.0.0.1:%d>" % (user, p.local[1]),
                      expires=expires)
    return r


def contact_of(p, user="bob"):
    return "sip:%s@127.0.0.1:%d" % (user, p.local[1])


_alice = []


def caller():
    """alice's UA on port 5156, shared by every call (messages are told
    apart by Call-ID)."""
    if not _alice:
        _alice.append(UA("127.0.0.1", PORT, local_port=PORT + 6))
    return _alice[0]


d = Daemon(PORT, extra=EXTRA, domains=(DOMAIN,))
try:
    d.start()
    c.check("users alice, bob and carol added", all(d.add_user(u, p) for u, p in USERS))
    p1, p2 = phone(1), phone(2)
    r = register(p1, "bob")
    c.check("bob's phone 1 registers", status(r) == 200, r)

    # ---- 1. The challenge, the forwarded INVITE, and a whole dialog. ----
    a = Call(caller(), "alice", "sip:bob@" + DOMAIN)
    first, r407 = a.challenge()
    c.check("unauthenticated INVITE: 100 Trying first", status(first) == 100, first)
    c.check("then 407 Proxy Authentication Required", status(r407) == 407, r407)
    chs = [parse_challenge(v) for v in headers(r407, "Proxy-Authenticate")]
    c.check("Proxy-Authenticate offers SHA-256 first, then MD5 (qop=auth, realm)",
            [x.get("algorithm") for x in chs] == ["SHA-256", "MD5"] and
            all(x.get("qop") == "auth" and x.get("realm") == DOMAIN for x in chs), chs)
    # Without the ACK, Timer G would resend the 407 after 50, 150 and 350 ms;
    # one copy may have left before the ACK arrived.
    again = collect(a.ua, 0.45, is_resp(a.callid, final=True))
    c.check("the ACK (INVITE's branch) stops the 407's retransmissions (Timer G)",
            len(again) <= 1, len(again))
    a.authed_invite(r407)
    inv = recv_match(p1, is_req("INVITE", a.callid))
    c.check("SHA-256 credentials: the INVITE reaches bob's phone", inv is not None)
    if inv:
        v = vias(inv)
        c.check("forwarded INVITE: a new top Via of ours (z9hG4bKvs...), the caller's below",
                len(v) == 2 and v[0].startswith("SIP/2.0/UDP 127.0.0.1:%d;" % PORT) and
                branch_of(inv).startswith("z9hG4bKvs") and branch_of(inv, 1) == a.branch, v)
        c.check("forwarded INVITE: Max-Forwards decremented to 69",
                header(inv, "Max-Forwards") == "69", header(inv, "Max-Forwards"))
        rr = rr_uris(inv)
        c.check("forwarded INVITE: Record-Route <sip:127.0.0.1:%d;transport=udp;lr;vsd=16hex>"
                % PORT, len(rr) >= 1 and all(RR_RE.match(x) for x in rr), rr)
        c.check("forwarded INVITE: the Request-URI is bob's registered Contact",
                ruri_of(inv) == contact_of(p1), ruri_of(inv))
        c.check("forwarded INVITE: no Route header left",
                headers(inv, "Route") == [], headers(inv, "Route"))
        p1.send(response(inv, 180, "Ringing", "p1a", contact_of(p1)))
        p1.send(response(inv, 200, "OK", "p1a", contact_of(p1)))
        r180 = recv_match(a.ua, lambda m: is_resp(a.callid)(m) and status(m) == 180)
        ok = recv_match(a.ua, is_resp(a.callid, final=True))
        c.check("the 180 reaches the caller with our Via removed",
                r180 is not None and len(vias(r180)) == 1 and branch_of(r180) == a.branch, r180)
        c.check("the 200 reaches the caller with our Via removed, Record-Route kept",
                status(ok) == 200 and len(vias(ok)) == 1 and branch_of(ok) == a.branch and
                rr_uris(ok) == rr, ok)
        if status(ok) == 200:
            a.established(ok)
            a.in_dialog("ACK", cseq=a.cseq)
            ack = recv_match(p1, is_req("ACK", a.callid))
            c.check("the caller's ACK (Route = the Record-Route) reaches the phone, our "
                    "Route entries removed, Request-URI = Contact",
                    ack is not None and headers(ack, "Route") == [] and
                    ruri_of(ack) == contact_of(p1) and branch_of(ack).startswith("z9hG4bKvs"),
                    ack)
            a.in_dialog("BYE")
            bye = recv_match(p1, is_req("BYE", a.callid))
            c.check("the caller's BYE reaches the phone, with our Via on top",
                    bye is not None and headers(bye, "Route") == [] and
                    ruri_of(bye) == contact_of(p1) and len(vias(bye)) == 2 and
                    branch_of(bye).startswith("z9hG4bKvs"), bye)
            if bye:
                p1.send(response(bye, 200, "OK", "p1a"))
            rb = recv_match(a.ua, is_resp(a.callid, "BYE", final=True))
            c.check("the phone's 200 to the BYE reaches the caller",
                    status(rb) == 200 and len(vias(rb)) == 1, rb)

    # ---- 2. Wrong password, identity. ----
    a = Call(caller(), "alice", "sip:bob@" + DOMAIN)
    _, r = a.challenge()
    if status(r) == 407:
        a.authed_invite(r, password="not-alice-secret")
    r = a.final()
    c.check("a wrong password gets another 407 with a fresh challenge",
            status(r) == 407 and len(headers(r, "Proxy-Authenticate")) == 2, r)
    c.check("... and the INVITE never reaches the phone",
            recv_match(p1, is_req("INVITE", a.callid), 0.3) is None)
    a = Call(caller(), "alice", "sip:bob@" + DOMAIN, from_user="bob")
    a.start()
    r = a.final()
    c.check("alice's credentials with From: sip:bob@%s: 403" % DOMAIN, status(r) == 403, r)

    # ---- 3. The caller cancels while the phone rings. ----
    drain(p1)
    a = Call(caller(), "alice", "sip:bob@" + DOMAIN)
    a.start()
    inv = recv_match(p1, is_req("INVITE", a.callid))
    c.check("call to cancel: the INVITE reaches the phone", inv is not None)
    if inv:
        p1.send(response(inv, 180, "Ringing", "p1c", contact_of(p1)))
        recv_match(a.ua, lambda m: is_resp(a.callid)(m) and status(m) == 180)
        a.cancel()
        rc = recv_match(a.ua, is_resp(a.callid, "CANCEL"))
        c.check("the caller's CANCEL gets 200", status(rc) == 200, rc)
        can = recv_match(p1, is_req("CANCEL", a.callid))
        c.check("the phone receives a CANCEL with its INVITE's branch and CSeq number",
                can is not None and branch_of(can) == branch_of(inv) and
                cseq_of(can) == (cseq_of(inv)[0], "CANCEL") and ruri_of(can) == ruri_of(inv),
                can)
        if can:
            p1.send(response(can, 200, "OK", "p1c"))
            p1.send(response(inv, 487, "Request Terminated", "p1c"))
        ack = recv_match(p1, is_req("ACK", a.callid))
        c.check("the proxy ACKs the phone's 487 (same branch)",
                ack is not None and branch_of(ack) == branch_of(inv), ack)
        r = a.final()
        c.check("the 487 reaches the caller (who ACKs it)", status(r) == 487, r)

    # ---- 4. CANCEL without an INVITE. ----
    u = caller()
    u.send(build(u, "CANCEL", "sip:bob@" + DOMAIN, "<sip:alice@%s>;tag=x1" % DOMAIN,
                 "<sip:bob@%s>" % DOMAIN, "no-such-call@127.0.0.1", 1))
    r = recv_match(u, is_resp("no-such-call@127.0.0.1", "CANCEL"))
    c.check("a CANCEL matching no INVITE: 481", status(r) == 481, r)

    # ---- 5. Forking to two phones. ----
    r = register(p2, "bob")
    c.check("bob's phone 2 registers (two contacts)", status(r) == 200 and
            len(headers(r, "Contact")) == 2, r)
    drain(p1, p2)
    a = Call(caller(), "alice", "sip:bob@" + DOMAIN)
    a.start()
    i1, i2 = recv_match(p1, is_req("INVITE", a.callid)), recv_match(p2, is_req("INVITE", a.callid))
    c.check("forking: both phones receive the INVITE, on different branches",
            i1 is not None and i2 is not None and branch_of(i1) != branch_of(i2) and
            ruri_of(i1) == contact_of(p1) and ruri_of(i2) == contact_of(p2))
    if i1 and i2:
        p1.send(response(i1, 486, "Busy Here", "p1f"))
        ack = recv_match(p1, is_req("ACK", a.callid))
        c.check("the proxy ACKs phone 1's 486 with its INVITE's branch",
                ack is not None and branch_of(ack) == branch_of(i1), ack)
        p2.send(response(i2, 200, "OK", "p2f", contact_of(p2)))
        finals = collect(a.ua, 0.8, is_resp(a.callid, final=True))
        c.check("486 from phone 1, 200 from phone 2: the caller gets the 200, not the 486",
                [status(m) for m in finals] == [200], [status(m) for m in finals])
        if finals and status(finals[0]) == 200:
            a.established(finals[0])
            a.in_dialog("ACK", cseq=a.cseq)
            c.check("the ACK for the 200 reaches phone 2",
                    recv_match(p2, is_req("ACK", a.callid)) is not None)
            a.in_dialog("BYE")
            bye = recv_match(p2, is_req("BYE", a.callid))
            if bye:
                p2.send(response(bye, 200, "OK", "p2f"))
            c.check("BYE to phone 2 and its 200 back",
                    bye is not None and
                    status(recv_match(a.ua, is_resp(a.callid, "BYE", final=True))) == 200)

    drain(p1, p2)
    a = Call(caller(), "alice", "sip:bob@" + DOMAIN)
    a.start()
    i1, i2 = recv_match(p1, is_req("INVITE", a.callid)), recv_match(p2, is_req("INVITE", a.callid))
    c.check("second forked call reaches both phones", i1 is not None and i2 is not None)
    if i1 and i2:
        p1.send(response(i1, 486, "Busy Here", "p1g"))
        p2.send(response(i2, 404, "Not Found", "p2g"))
        ack1 = recv_match(p1, is_req("ACK", a.callid))
        ack2 = recv_match(p2, is_req("ACK", a.callid))
        c.check("the proxy ACKs the 486 and the 404, each with its INVITE's branch",
                ack1 is not None and ack2 is not None and branch_of(ack1) == branch_of(i1) and
                branch_of(ack2) == branch_of(i2), (ack1, ack2))
        first = a.final()  # ACKed at once
        finals = ([first] if first else []) + collect(a.ua, 0.6, is_resp(a.callid, final=True))
        distinct = sorted(set(finals), key=finals.index)  # retransmissions are identical
        c.check("486 and 404: the caller gets exactly one final response, a 4xx of them",
                len(distinct) == 1 and status(distinct[0]) in (486, 404) and
                len(vias(distinct[0])) == 1, [status(m) for m in finals])

    drain(p1, p2)
    a = Call(caller(), "alice", "sip:bob@" + DOMAIN)
    a.start()
    i1, i2 = recv_match(p1, is_req("INVITE", a.callid)), recv_match(p2, is_req("INVITE", a.callid))
    c.check("third forked call reaches both phones", i1 is not None and i2 is not None)
    if i1 and i2:
        p1.send(response(i1, 180, "Ringing", "p1h", contact_of(p1)))
        r180 = recv_match(a.ua, lambda m: is_resp(a.callid)(m) and status(m) == 180)
        c.check("phone 1's 180 reaches the caller", r180 is not None)
        p2.send(response(i2, 200, "OK", "p2h", contact_of(p2)))
        can = recv_match(p1, is_req("CANCEL", a.callid))
        c.check("phone 2's 200 cancels phone 1: CANCEL with its INVITE's branch, CSeq CANCEL",
                can is not None and branch_of(can) == branch_of(i1) and
                cseq_of(can) == (cseq_of(i1)[0], "CANCEL"), can)
        if can:
            p1.send(response(can, 200, "OK", "p1h"))
            p1.send(response(i1, 487, "Request Terminated", "p1h"))
            ack = recv_match(p1, is_req("ACK", a.callid))
            c.check("the proxy ACKs phone 1's 487", ack is not None and
                    branch_of(ack) == branch_of(i1), ack)
        finals = collect(a.ua, 0.8, is_resp(a.callid, final=True))
        c.check("the caller gets exactly the one 200 (no 487)",
                [status(m) for m in finals] == [200], [status(m) for m in finals])
        if finals and status(finals[0]) == 200:
            a.established(finals[0])
            a.in_dialog("ACK", cseq=a.cseq)
            a.in_dialog("BYE")
            bye = recv_match(p2, is_req("BYE", a.callid))
            if bye:
                p2.send(response(bye, 200, "OK", "p2h"))

    # ---- 6. Unknown user, user without registration. ----
    a = Call(caller(), "alice", "sip:nobody@" + DOMAIN)
    a.start()
    r = a.final()
    c.check("INVITE to sip:nobody@%s (authenticated): 404" % DOMAIN, status(r) == 404, r)
    a = Call(caller(), "alice", "sip:carol@" + DOMAIN)
    a.start()
    r = a.final()
    c.check("INVITE to carol (a user, not registered): 480", status(r) == 480, r)

    # ---- 7. Upstream route. ----
    trunk = UA("127.0.0.1", PORT, host=TRUNK_HOST, local_port=TRUNK_PORT)
    a = Call(caller(), "alice", "sip:0049301234@example.org")
    a.start()
    m = recv_match(trunk, is_req("INVITE", a.callid))
    c.check("sip:0049301234@example.org goes to the trunk, Request-URI unchanged",
            m is not None and ruri_of(m) == "sip:0049301234@example.org" and
            branch_of(m).startswith("z9hG4bKvs"), m)
    if m:
        trunk.send(response(m, 200, "OK", "trunk", "sip:gw@%s:%d" % (TRUNK_HOST, TRUNK_PORT)))
        ok = a.final()
        c.check("the trunk's 200 reaches the caller", status(ok) == 200, ok)
        if status(ok) == 200:
            a.established(ok)
            a.in_dialog("ACK", cseq=a.cseq)
            c.check("the caller's ACK reaches the trunk",
                    recv_match(trunk, is_req("ACK", a.callid)) is not None)
    a = Call(caller(), "alice", "sip:+49301234@example.org")
    a.start()
    r = a.final()
    c.check("sip:+49301234@example.org (no matching prefix): 404 No Route",
            status(r) == 404 and b"No Route" in r.split(b"\r\n")[0], r)

    # ---- 8. A trusted peer. ----
    drain(p1, p2)
    peer = UA("127.0.0.1", PORT, host=PEER_HOST, local_port=PORT + 7)
    pc = Call(peer, "pbx", "sip:bob@" + DOMAIN)
    pc.frm = "<sip:pbx@pbx.example>;tag=pbx1"
    pc.send_invite()
    i1, i2 = recv_match(p1, is_req("INVITE", pc.callid)), recv_match(p2, is_req("INVITE", pc.callid))
    c.check("a trusted peer (127.0.0.2) is not challenged: bob's phones get its INVITE",
            i1 is not None and i2 is not None)
    for p, i, t in ((p1, i1, "q1"), (p2, i2, "q2")):
        if i:
            p.send(response(i, 486, "Busy Here", t))
    r = pc.final()
    c.check("... and the peer gets the phones' 486", status(r) == 486, r)

    # ---- 9. In-dialog requests with forged or missing routes. ----
    for what, route in (("Route <sip:127.0.0.1:%d;lr> (no signature)" % PORT,
                         "<sip:127.0.0.1:%d;lr>" % PORT),
                        ("Route with vsd=0000000000000000",
                         "<sip:127.0.0.1:%d;transport=udp;lr;vsd=0000000000000000>" % PORT)):
        u, cid = caller(), "forged-%x@x" % random.getrandbits(32)
        u.send(build(u, "BYE", contact_of(p1), "<sip:alice@%s>;tag=f1" % DOMAIN,
                     "<sip:bob@%s>;tag=f2" % DOMAIN, cid, 1,
                     extra="Route: %s\r\n" % route))
        r = recv_match(u, is_resp(cid, "BYE", final=True))
        c.check("BYE with %s: 403" % what, status(r) == 403, r)
    u, cid = caller(), "forged-%x@x" % random.getrandbits(32)
    u.send(build(u, "BYE", "sip:bob@127.0.0.1:5999", "<sip:alice@%s>;tag=f1" % DOMAIN,
                 "<sip:bob@%s>;tag=f2" % DOMAIN, cid, 1))
    r = recv_match(u, is_resp(cid, "BYE", final=True))
    # 127.0.0.1:5999 is not this proxy (it listens on 5150; URIs with
    # different ports are different, RFC 3261 19.1.4), and the request
    # claims a dialog this proxy never record-routed: refuse it (403).  The
    # daemon compares only the address (sip_local_is_us ignores the port),
    # takes the URI for its own user bob, and challenges it as a new request
    # (407); with credentials it would be retargeted to bob's phones.
    c.check("BYE with a To tag, no Route, to sip:bob@127.0.0.1:5999: 403", status(r) == 403,
            "(got %s: the port is ignored, the URI is taken for local user bob) %r"
            % (status(r), r))
    c.check("... and no forged BYE reached a phone",
            recv_match(p1, lambda m: m.startswith(b"BYE "), 0.2) is None and
            recv_match(p2, lambda m: m.startswith(b"BYE "), 0.05) is None)

    # ---- 10. Loop and Max-Forwards. ----
    lc = Call(peer, "pbx", "sip:bob@" + DOMAIN)
    peer.send(build(peer, "INVITE", "sip:bob@" + DOMAIN, "<sip:pbx@pbx.example>;tag=l1",
                    "<sip:bob@%s>" % DOMAIN, lc.callid, 1,
                    extra_vias=("SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKvs00deadbeef" % PORT,)))
    r = recv_match(peer, is_resp(lc.callid, final=True))
    c.check("an INVITE carrying our own Via (second) from a trusted peer: 482",
            status(r) == 482, r)
    u, cid = caller(), "mf0-%x@x" % random.getrandbits(32)
    u.send(build(u, "INVITE", "sip:bob@" + DOMAIN, "<sip:alice@%s>;tag=m1" % DOMAIN,
                 "<sip:bob@%s>" % DOMAIN, cid, 1, mf=0))
    r = recv_match(u, is_resp(cid, final=True))
    c.check("Max-Forwards: 0 on an INVITE: 483", status(r) == 483, r)

    # ---- 11. A callee that never answers: 408 after Timer B. ----
    drain(p1, p2)
    r = register(p1, "bob", contact="*", expires=0)
    c.check("bob's bindings removed (Contact: *)", status(r) == 200 and
            headers(r, "Contact") == [], r)
    silent = phone(3)
    r = register(silent, "bob")
    c.check("bob registers from a phone that never answers", status(r) == 200, r)
    a = Call(caller(), "alice", "sip:bob@" + DOMAIN)
    a.start()
    t0 = time.time()
    r = a.final(timeout=8)
    took = time.time() - t0
    c.check("no answer: 408 after about 64 x t1 = 3.2 s (took %.1f s)" % took,
            status(r) == 408 and 2.5 < took < 8, r)
    got = collect(silent, 0.2, is_req("INVITE", a.callid))
    c.check("the silent phone got the INVITE, retransmitted (Timer A)", len(got) >= 2, len(got))

    st = d.stats()
    c.check("stats: requests_forwarded > 0, branches_cancelled >= 1, unsigned_route >= 1, "
            "loops >= 1",
            st.get("proxy.requests_forwarded", 0) > 0 and st.get("proxy.branches_cancelled", 0) >= 1
            and st.get("proxy.unsigned_route", 0) >= 1 and st.get("proxy.loops", 0) >= 1,
            {k: v for k, v in st.items() if k.startswith("proxy.")})
    rc = d.stop()
    c.check("SIGTERM: exit status 0", rc == 0, rc)
    c.check("no sanitizer reports", not d.sanitizer_reports(),
            (d.sanitizer_reports(), d.stderr()[-3000:]))
except Exception:
    import traceback
    c.check("test ran to the end", False, traceback.format_exc() + "\n" + d.stderr()[-3000:])
finally:
    d.cleanup()
c.finish()
