#!/usr/bin/env python3
"""SRTP at the relay (issue 6, SDES): the phones' keys never pass through.
Two calls through the proxy with media.enabled:
  1. SRTP to SRTP: alice offers RTP/SAVP with her key; bob is offered the
     relay's own key (not alice's) and answers with his; alice gets the
     relay's key for her side (not bob's) under her chosen tag.  Media
     protected by alice reaches bob protected with the relay's key for
     him, and back; with rtcp-mux, SRTCP on the RTP port too; a forged
     packet from alice's address is dropped.
  2. SRTP to plain RTP: bob answers RTP/AVP without a key; alice's SRTP
     reaches him as plain RTP, and his RTP reaches her as SRTP.
A plain offer to a media.srtp = "required" daemon gets 488.  Packets are
protected and opened by tests/tools/srtp_tool (our transform, itself
checked against libsrtp2).  Daemon 5295, phones 5296-5299, relay ports
42100-42199."""
import base64
import os
import re
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon
from sipua import UA, status
import callkit
from callkit import SdpCall, hang_up, is_req, recv_match, response, with_body

PORT, A_SIP, A_RTP, B_SIP, B_RTP = 5295, 5296, 5297, 5298, 5299
DOMAIN = "example.test"
SUITE = "AES_CM_128_HMAC_SHA1_80"
TOOL = os.path.join(os.environ.get("VS_BUILD", ""), "tests", "integration", "srtp_tool")
ALICE_KEY = base64.b64encode(bytes(range(1, 31))).decode()
BOB_KEY = base64.b64encode(bytes(range(101, 131))).decode()
c = Checks("media_srtp")


def sdp(port, savp=True, key=None, tag=7, mux=False):
    s = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio %d RTP/%s 0\r\n" % (port, "SAVP" if savp else "AVP"))
    if mux:
        s += "a=rtcp-mux\r\n"
    if key:
        s += "a=crypto:%d %s inline:%s\r\n" % (tag, SUITE, key)
    return s


def sdp_of(msg):
    body = msg.split(b"\r\n\r\n", 1)[1].decode() if msg else ""
    m = re.search(r"m=audio (\d+) (\S+)", body)
    cr = re.findall(r"a=crypto:(\d+) (\S+) inline:(\S+)", body)
    return (int(m.group(1)) if m else None, m.group(2) if m else None, cr)


def conn_of(msg):
    m = re.search(rb"\r\nc=IN IP4 (\S+)", msg or b"")
    return m.group(1).decode() if m else None


def tool(op, key, pkt):
    r = subprocess.run([TOOL, op, SUITE, key, pkt.hex()], capture_output=True, text=True,
                       timeout=10)
    return bytes.fromhex(r.stdout.strip()) if r.returncode == 0 else None


def rtp(seq):
    return bytes([0x80, 0, seq >> 8, seq & 255, 0, 0, 0, seq, 0xca, 0xfe, 0, 1]) + \
        bytes((i + seq) & 255 for i in range(160))


def sock(port, ip="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    return s


last_src = [None]


def got(s, timeout=1.0):
    r, _, _ = select.select([s], [], [], timeout)
    if not r:
        return None
    data, last_src[0] = s.recvfrom(4096)
    return data


PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-22"}
SIP_PORTS = {"alice": A_SIP, "bob": B_SIP}


def call(caller, callee, offer, answer_fn, frm="alice", to="bob"):
    """frm (on UA caller) calls to (on UA callee) with offer; answer_fn(invite)
    gives the callee's SDP.  Returns (invite the callee got, 200 the caller
    got, the call)."""
    cl = SdpCall(caller, frm, "sip:%s@%s" % (to, DOMAIN), DOMAIN, PASSWORDS[frm])
    cl.body = offer
    cl.start()
    inv = recv_match(callee, is_req("INVITE", cl.callid), 2.0)
    if inv is None:
        return None, cl.final(), cl
    callee.send(with_body(response(inv, 200, "OK", "t%x" % id(cl),
                                   contact="sip:%s@127.0.0.1:%d" % (to, SIP_PORTS[to])),
                          answer_fn(inv)))
    ok = cl.final()
    if status(ok) == 200:
        cl.established(ok)
        cl.ack()
    return inv, ok, cl


d = Daemon(PORT, domains=(DOMAIN,), listen=(
    '{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }' % PORT),
    extra='media = { enabled = true; port_min = 42100; port_max = 42199; '
          'sdes_over_plain = true; };\n')
try:
    if not os.access(TOOL, os.X_OK):
        raise RuntimeError("no %s (VS_BUILD)" % TOOL)
    d.start()
    c.check("users", d.add_user("alice", "alice-secret-1") and d.add_user("bob", "bob-secret-22"))
    alice = UA("127.0.0.1", PORT, local_port=A_SIP)
    bob = UA("127.0.0.1", PORT, local_port=B_SIP)
    r, _ = bob.register("bob", "bob-secret-22", DOMAIN,
                        contact="<sip:bob@127.0.0.1:%d>" % B_SIP, expires=300)
    c.check("bob registers", status(r) == 200, r)
    a_rtp, b_rtp, evil = sock(A_RTP), sock(B_RTP), sock(0, "127.0.0.2")

    # --- 1. SRTP to SRTP, a key per leg ---------------------------------------
    inv, ok, cl = call(alice, bob, sdp(A_RTP, key=ALICE_KEY, tag=7, mux=True),
                       lambda inv: sdp(B_RTP, key=BOB_KEY, tag=int(sdp_of(inv)[2][0][0]),
                                       mux=True))
    relay_b, proto_b, cr_b = sdp_of(inv)
    relay_a, proto_a, cr_a = sdp_of(ok)
    c.check("bob is offered RTP/SAVP with one key, the relay's, not alice's",
            proto_b == "RTP/SAVP" and len(cr_b) == 1 and cr_b[0][1] == SUITE and
            cr_b[0][2] != ALICE_KEY, (proto_b, cr_b))
    c.check("alice gets the relay's key for her side under her tag 7, not bob's",
            status(ok) == 200 and proto_a == "RTP/SAVP" and len(cr_a) == 1 and
            cr_a[0][0] == "7" and cr_a[0][2] not in (BOB_KEY, ALICE_KEY, cr_b[0][2]), cr_a)
    relay_key_b, relay_key_a = cr_b[0][2], cr_a[0][2]
    time.sleep(0.1)
    a_rtp.sendto(tool("protect", ALICE_KEY, rtp(1)), ("127.0.0.1", relay_a))
    p = got(b_rtp)
    c.check("alice's SRTP reaches bob re-protected with the relay's key for him",
            p is not None and tool("unprotect", relay_key_b, p) == rtp(1) and
            tool("unprotect", ALICE_KEY, p) is None)
    b_rtp.sendto(tool("protect", BOB_KEY, rtp(2)), ("127.0.0.1", relay_b))
    p = got(a_rtp)
    c.check("bob's SRTP reaches alice re-protected with the relay's key for her",
            p is not None and tool("unprotect", relay_key_a, p) == rtp(2))
    # rtcp-mux (both offered and answered it): SRTCP on the RTP ports.
    rr = bytes([0x80, 0xc9, 0, 1, 0xca, 0xfe, 0, 1])
    a_rtp.sendto(tool("protect_rtcp", ALICE_KEY, rr), ("127.0.0.1", relay_a))
    p = got(b_rtp)
    c.check("rtcp-mux: alice's SRTCP on the RTP port reaches bob's RTP port as SRTCP "
            "under the relay's key", p is not None and b"a=rtcp-mux" in inv and
            tool("unprotect_rtcp", relay_key_b, p) == rr, p and p.hex())
    forged = bytearray(tool("protect", ALICE_KEY, rtp(3)))
    forged[-1] ^= 1
    a_rtp.sendto(bytes(forged), ("127.0.0.1", relay_a))
    c.check("a forged SRTP packet from alice's own address is dropped", got(b_rtp, 0.5) is None)
    c.check("counted in media.drop.srtp_auth and reported as media_injection (srtp_auth)",
            d.stats().get("media.drop.srtp_auth") == 1 and
            '"reason":"srtp_auth"' in open(os.path.join(d.state, "voipshield-events.log")).read())
    hang_up(alice, bob, cl)

    # --- 2. SRTP to plain RTP ---------------------------------------------------
    inv, ok, cl = call(alice, bob, sdp(A_RTP, key=ALICE_KEY, tag=3),
                       lambda inv: sdp(B_RTP, savp=False))
    relay_b, _, _ = sdp_of(inv)
    relay_a, proto_a, cr_a = sdp_of(ok)
    c.check("bob answers plain RTP/AVP; alice still gets RTP/SAVP and a relay key",
            status(ok) == 200 and proto_a == "RTP/SAVP" and len(cr_a) == 1 and cr_a[0][0] == "3",
            (proto_a, cr_a))
    time.sleep(0.1)
    a_rtp.sendto(tool("protect", ALICE_KEY, rtp(10)), ("127.0.0.1", relay_a))
    p = got(b_rtp)
    c.check("alice's SRTP reaches bob as plain RTP", p == rtp(10), p and p[:12])
    b_rtp.sendto(rtp(11), ("127.0.0.1", relay_b))
    p = got(a_rtp)
    c.check("bob's plain RTP reaches alice as SRTP under her relay key",
            p is not None and p != rtp(11) and tool("unprotect", cr_a[0][2], p) == rtp(11))
    hang_up(alice, bob, cl)
    for s_ in (alice, bob, a_rtp, b_rtp, evil):
        s_.close()
    st = d.stats()
    c.check("no relay session left", st.get("media.active_sessions") == 0,
            st.get("media.active_sessions"))
    code = d.stop()
    c.check("stops cleanly", code == 0, code)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
finally:
    d.cleanup()

# --- a required-SRTP daemon refuses a plain offer ---------------------------------
d2 = Daemon(PORT, domains=(DOMAIN,), listen=(
    '{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }' % PORT),
    extra='media = { enabled = true; port_min = 42100; port_max = 42199; srtp = "required"; };\n'
          'upstream = { routes = ( { address = "127.0.0.3"; port = 5999; } ); };\n')
try:
    d2.start()
    c.check("users (required)", d2.add_user("alice", "alice-secret-1"))
    alice = UA("127.0.0.1", PORT, local_port=A_SIP)
    cl = SdpCall(alice, "alice", "sip:900@carrier.test", DOMAIN, "alice-secret-1")
    cl.body = sdp(A_RTP, savp=False)
    cl.start()
    r = cl.final()
    c.check("media.srtp = required: a plain offer gets 488", status(r) == 488, r)
    cl = SdpCall(alice, "alice", "sip:900@carrier.test", DOMAIN, "alice-secret-1")
    cl.body = sdp(A_RTP, key=ALICE_KEY)
    cl.start()
    r = cl.final()
    c.check("and SDES over UDP without sdes_over_plain gets 488 too (keys only over TLS)",
            status(r) == 488, r)
    c.check("media.srtp_refused counts both", d2.stats().get("media.srtp_refused") == 2,
            d2.stats().get("media.srtp_refused"))
    alice.close()
    code = d2.stop()
    c.check("stops cleanly (required)", code == 0, code)
finally:
    d2.cleanup()

# --- SRTP policy per zone --------------------------------------------------------
# wan (127.0.0.1) requires SRTP, lan (127.0.0.5) is plain RTP only; keys may
# go over UDP here (sdes_over_plain) so that only the zones decide.
d3 = Daemon(PORT, domains=(DOMAIN,), listen=(
    '{ address = "127.0.0.1"; port = %d; transports = ["udp"]; zone = "wan"; },'
    '{ address = "127.0.0.5"; port = %d; transports = ["udp"]; zone = "lan"; }' % (PORT, PORT)),
    extra='zones = ( { name = "wan"; srtp = "required"; }, { name = "lan"; srtp = "plain"; } );\n'
          'media = { enabled = true; port_min = 42100; port_max = 42199; sdes_over_plain = true; };\n')
try:
    d3.start()
    c.check("users (zones)", d3.add_user("alice", "alice-secret-1") and
            d3.add_user("bob", "bob-secret-22"))
    alice = UA("127.0.0.1", PORT, local_port=A_SIP)
    bob = UA("127.0.0.5", PORT, local_port=B_SIP)
    a_rtp, b_rtp = sock(A_RTP), sock(B_RTP)
    ra, _ = alice.register("alice", "alice-secret-1", DOMAIN,
                           contact="<sip:alice@127.0.0.1:%d>" % A_SIP, expires=300)
    rb, _ = bob.register("bob", "bob-secret-22", DOMAIN,
                         contact="<sip:bob@127.0.0.1:%d>" % B_SIP, expires=300)
    c.check("alice registers on wan, bob on lan", status(ra) == 200 and status(rb) == 200)

    # alice (wan, SRTP) calls bob (lan): bob is offered plain RTP, no key.
    inv, ok, cl = call(alice, bob, sdp(A_RTP, key=ALICE_KEY, tag=5),
                       lambda inv: sdp(B_RTP, savp=False))
    relay_b, proto_b, cr_b = sdp_of(inv)
    relay_a, proto_a, cr_a = sdp_of(ok)
    c.check("wan to lan: bob (plain zone) is offered RTP/AVP without a key",
            proto_b == "RTP/AVP" and cr_b == [], (proto_b, cr_b))
    c.check("wan to lan: alice (required zone) gets RTP/SAVP and a relay key",
            status(ok) == 200 and proto_a == "RTP/SAVP" and len(cr_a) == 1, (proto_a, cr_a))
    c.check("each leg's relay address is its own zone's listener (bob 127.0.0.5, alice 127.0.0.1)",
            conn_of(inv) == "127.0.0.5" and conn_of(ok) == "127.0.0.1", (conn_of(inv), conn_of(ok)))
    time.sleep(0.1)
    a_rtp.sendto(tool("protect", ALICE_KEY, rtp(20)), ("127.0.0.1", relay_a))
    p = got(b_rtp)
    c.check("wan to lan: alice's SRTP reaches bob as plain RTP, from the lan address",
            p == rtp(20) and last_src[0] == ("127.0.0.5", relay_b), last_src)
    hang_up(alice, bob, cl)

    # A plain offer from the required zone, an SRTP one from the plain zone.
    cl = SdpCall(alice, "alice", "sip:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    cl.body = sdp(A_RTP, savp=False)
    cl.start()
    r = cl.final()
    c.check("a plain offer from the required zone gets 488", status(r) == 488, r)
    cl = SdpCall(bob, "bob", "sip:alice@" + DOMAIN, DOMAIN, "bob-secret-22")
    cl.body = sdp(B_RTP, key=BOB_KEY)
    cl.start()
    r = cl.final()
    c.check("an SRTP offer from the plain zone gets 488", status(r) == 488, r)

    # bob (lan, plain) calls alice (wan): alice is offered SRTP with a relay
    # key although bob's offer was plain.
    def bob_calls(answer_fn):
        return call(bob, alice, sdp(B_RTP, savp=False), answer_fn, "bob", "alice")

    inv, ok, cl = bob_calls(lambda inv: sdp(A_RTP, key=ALICE_KEY,
                                            tag=int(sdp_of(inv)[2][0][0]) if sdp_of(inv)[2] else 1))
    relay_a, proto_a, cr_a = sdp_of(inv)
    relay_b, proto_b, cr_b = sdp_of(ok)
    c.check("lan to wan: alice (required zone) is offered RTP/SAVP with the relay's key",
            proto_a == "RTP/SAVP" and len(cr_a) == 1 and cr_a[0][1] == SUITE, (proto_a, cr_a))
    c.check("lan to wan: bob gets plain RTP/AVP back", status(ok) == 200 and
            proto_b == "RTP/AVP" and cr_b == [], (proto_b, cr_b))
    time.sleep(0.1)
    b_rtp.sendto(rtp(30), ("127.0.0.5", relay_b))
    p = got(a_rtp)
    c.check("lan to wan: bob's RTP reaches alice as SRTP under the offered relay key",
            p is not None and p != rtp(30) and tool("unprotect", cr_a[0][2], p) == rtp(30))
    a_rtp.sendto(tool("protect", ALICE_KEY, rtp(31)), ("127.0.0.1", relay_a))
    c.check("lan to wan: alice's SRTP reaches bob as plain RTP", got(b_rtp) == rtp(31))
    hang_up(bob, alice, cl)

    # alice answers plain where SRTP is required: her leg gets no media.
    before = d3.stats().get("media.srtp_refused", 0)
    inv, ok, cl = bob_calls(lambda inv: sdp(A_RTP, savp=False))
    relay_a, _, _ = sdp_of(inv)
    relay_b, _, _ = sdp_of(ok)
    time.sleep(0.1)
    b_rtp.sendto(rtp(40), ("127.0.0.5", relay_b))
    a_rtp.sendto(rtp(41), ("127.0.0.1", relay_a))
    c.check("a plain answer in the required zone: no media either way, counted",
            status(ok) == 200 and got(a_rtp, 0.5) is None and got(b_rtp, 0.3) is None and
            d3.stats().get("media.srtp_refused", 0) == before + 1,
            (status(ok), d3.stats().get("media.srtp_refused")))
    hang_up(bob, alice, cl)
    for s_ in (alice, bob, a_rtp, b_rtp):
        s_.close()
    c.check("no relay session left (zones)", d3.stats().get("media.active_sessions") == 0)
    code = d3.stop()
    c.check("stops cleanly (zones)", code == 0, code)
    c.check("no sanitizer reports (zones)", not d3.sanitizer_reports(), d3.sanitizer_reports())
finally:
    d3.cleanup()
c.finish()
