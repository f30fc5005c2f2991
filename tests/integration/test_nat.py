#!/usr/bin/env python3
"""Phones behind NAT: requests reach a phone the way its REGISTER and its
dialog came in, not at the (private, unreachable) address in its Contact.

Both phones write a Contact with an address nobody listens on (127.0.0.98
and 127.0.0.99 stand for private addresses behind a NAT).  The INVITE must
reach bob at the address his REGISTER came from; the 200 and ACK go back
to alice's source; a BYE from alice and then, in a second call, a BYE from
bob must reach the other side over the flow recorded in the proxy's
Record-Route (the signed vsf parameter), not the Contact.  A Record-Route
whose flow token is altered is refused (403).  Bob's phone on TCP gets its
in-dialog requests over the connection it opened.  Ports 5185-5189."""
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN
from sipua import UA, authorization, header, headers, parse_challenge, status

PORT = 5185
DOMAIN = "example.test"
c = Checks("nat")




def answer(req, code, reason, totag, contact):
    """A response to req, echoing Via, Record-Route, From, To, Call-ID, CSeq."""
    lines = [l for l in req.split(b"\r\n")
             if re.match(rb"(?i)(via|record-route|from|to|call-id|cseq)\s*:", l)]
    out = b"SIP/2.0 %d %s\r\n" % (code, reason.encode())
    for l in lines:
        if re.match(rb"(?i)to\s*:", l) and b"tag=" not in l:
            l += b";tag=" + totag.encode()
        out += l + b"\r\n"
    out += b"Contact: <%s>\r\nContent-Length: 0\r\n\r\n" % contact.encode()
    return out


def recv_request(ua, method, timeout=3.0):
    """The next request of this method (skipping others), or None."""
    import time
    end = time.time() + timeout
    while time.time() < end:
        m = ua.recv(max(0.05, end - time.time()))
        if m is None:
            return None
        if m.startswith(method.encode() + b" "):
            return m
    return None


def in_dialog(ua, method, target, route_set, from_uri, from_tag, to_uri, to_tag,
              callid, cseq):
    route = ", ".join(route_set)
    return ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s%d;rport\r\n"
            "Route: %s\r\nMax-Forwards: 70\r\n"
            "From: <%s>;tag=%s\r\nTo: <%s>;tag=%s\r\n"
            "Call-ID: %s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n"
            % (method, target, ua.transport, ua.host, ua.local[1], method.lower(), cseq,
               route, from_uri, from_tag, to_uri, to_tag, callid, cseq, method)).encode()


def call(alice, bob, bob_contact):
    """alice calls bob; returns (route set for alice, route set for bob,
    alice's tag, bob's tag, call-id) once established, or None."""
    alice.send(alice.request("INVITE", "sip:bob@" + DOMAIN, "sip:bob@" + DOMAIN,
                             "Contact: <sip:alice@127.0.0.98:5060>\r\n",
                             from_uri="sip:alice@" + DOMAIN))
    ch = parse_challenge(header(alice.recv_final(), "Proxy-Authenticate"))
    alice.send(alice.request("INVITE", "sip:bob@" + DOMAIN, "sip:bob@" + DOMAIN,
                             "Contact: <sip:alice@127.0.0.98:5060>\r\n" +
                             authorization(ch, "alice", "alice-secret-1", "INVITE",
                                           "sip:bob@" + DOMAIN,
                                           header_name="Proxy-Authorization"),
                             from_uri="sip:alice@" + DOMAIN))
    inv = recv_request(bob, "INVITE")
    if inv is None:
        return None
    rr = [v.strip() for h in headers(inv, "Record-Route") for v in h.split(",")]
    bob.send(answer(inv, 200, "OK", "bobtag", bob_contact))
    ok = alice.recv_final()
    if status(ok) != 200:
        return None
    rr_alice = [v.strip() for h in headers(ok, "Record-Route") for v in h.split(",")]
    return list(reversed(rr_alice)), rr, alice.tag, "bobtag", alice.callid


d = Daemon(PORT, domains=(DOMAIN,), listen='{ address = "127.0.0.1"; port = %d; transports = ["udp", "tcp"]; }' % PORT)
try:
    d.start()
    c.check("users", d.add_user("alice", "alice-secret-1") and d.add_user("bob", "bob-secret-22"))

    # --- UDP, both sides "behind NAT" ----------------------------------
    bob = UA("127.0.0.1", PORT)
    r, _ = bob.register("bob", "bob-secret-22", DOMAIN, contact="<sip:bob@127.0.0.99:5060>",
                        expires=300)
    c.check("bob registers with a private Contact", status(r) == 200, r)
    alice = UA("127.0.0.1", PORT)
    est = call(alice, bob, "sip:bob@127.0.0.99:5060")
    c.check("the INVITE reaches bob at his REGISTER's source, the 200 reaches alice",
            est is not None)
    if est:
        route_a, route_b, atag, btag, callid = est
        c.check("the proxy record-routes twice, each entry with a signed flow token",
                len(route_b) == 2 and all("vsf=" in x and "vsd=" in x for x in route_b)
                or (len(route_b) == 2 and "vsd=" in route_b[0] and "vsf=" in route_b[1]),
                route_b)
        alice.send(in_dialog(alice, "ACK", "sip:bob@127.0.0.99:5060", route_a,
                             "sip:alice@" + DOMAIN, atag, "sip:bob@" + DOMAIN, btag, callid, 2))
        c.check("alice's ACK reaches bob (not 127.0.0.99)", recv_request(bob, "ACK") is not None)
        alice.send(in_dialog(alice, "BYE", "sip:bob@127.0.0.99:5060", route_a,
                             "sip:alice@" + DOMAIN, atag, "sip:bob@" + DOMAIN, btag, callid, 3))
        bye = recv_request(bob, "BYE")
        c.check("alice's BYE reaches bob over the recorded flow", bye is not None)
        if bye:
            bob.send(answer(bye, 200, "OK", btag, "sip:bob@127.0.0.99:5060"))
            c.check("the 200 for the BYE reaches alice", status(alice.recv_final()) == 200)

    # Second call: bob hangs up, towards alice's private Contact.
    alice2 = UA("127.0.0.1", PORT)
    est = call(alice2, bob, "sip:bob@127.0.0.99:5060")
    if est:
        route_a, route_b, atag, btag, callid = est
        bob.send(in_dialog(bob, "BYE", "sip:alice@127.0.0.98:5060", route_b,
                           "sip:bob@" + DOMAIN, btag, "sip:alice@" + DOMAIN, atag, callid, 1))
        bye = recv_request(alice2, "BYE")
        c.check("bob's BYE reaches alice at her source, not her Contact", bye is not None)
        # An altered flow token: the signature no longer matches.
        forged = [re.sub(r"vsf=[A-Za-z0-9_-]+", "vsf=AQAAAAAAAAAAAAATxH8AAGM", x) for x in route_b]
        bob.send(in_dialog(bob, "BYE", "sip:alice@127.0.0.98:5060", forged,
                           "sip:bob@" + DOMAIN, btag, "sip:alice@" + DOMAIN, atag, callid, 2))
        c.check("a Route with an altered flow token gets 403", status(bob.recv_final()) == 403)
    else:
        c.check("second call established", False)

    # --- bob on TCP ------------------------------------------------------
    bobt = UA("127.0.0.1", PORT, transport="TCP")
    r, _ = bobt.register("bob", "bob-secret-22", DOMAIN,
                         contact="<sip:bob@127.0.0.99:5070;transport=tcp>", expires=300)
    c.check("bob registers over TCP with a private Contact", status(r) == 200, r)
    # Remove the UDP binding so that only the TCP phone rings.
    bob.register("bob", "bob-secret-22", DOMAIN, contact="<sip:bob@127.0.0.99:5060>;expires=0")
    alice3 = UA("127.0.0.1", PORT)
    est = call(alice3, bobt, "sip:bob@127.0.0.99:5070;transport=tcp")
    c.check("the INVITE reaches bob over his TCP connection", est is not None)
    if est:
        route_a, route_b, atag, btag, callid = est
        alice3.send(in_dialog(alice3, "BYE", "sip:bob@127.0.0.99:5070;transport=tcp", route_a,
                              "sip:alice@" + DOMAIN, atag, "sip:bob@" + DOMAIN, btag, callid, 3))
        c.check("alice's BYE reaches bob over the same TCP connection",
                recv_request(bobt, "BYE") is not None)
    st = d.stats()
    c.check("no TCP connection was opened towards the private address",
            st.get("tcp.connections_opened", 0) == 0, st.get("tcp.connections_opened"))
    rc = d.stop()
    c.check("SIGTERM: exit status 0", rc == 0, rc)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
except Exception:
    import traceback
    c.check("test ran to the end", False, traceback.format_exc() + "\n" + d.stderr()[-3000:])
finally:
    d.cleanup()
c.finish()
