#!/usr/bin/env python3
"""The media relay anchoring calls (issue 6, media.enabled): alice calls
bob through the proxy with SDP; each side sees only the relay's address
and ports in the other's SDP; RTP flows both ways through the relay;
RTP before the answer, from a third address, or after the BYE is dropped
and never forwarded; hold and resume re-INVITEs; a late offer (INVITE
without SDP, the offer in the 200 and the answer in the ACK, and a
re-INVITE without SDP) is anchored the same way; a failed call and a
finished one leave no relay session or port behind; an unusable offer
gets 488.  Plain RTP both ways
(SRTP passes through; bridging policy comes next).  Daemon 5290, phones
5291-5294, relay ports 42000-42099, the attacker on 127.0.0.2."""
import os
import re
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon
from sipua import UA, status
import callkit
from callkit import SdpCall, hang_up, is_req, recv_match, response, with_body

PORT, A_SIP, A_RTP, B_SIP, B_RTP = 5290, 5291, 5292, 5293, 5294
DOMAIN = "example.test"
c = Checks("media_calls")


def sdp(port, ip="127.0.0.1", extra=""):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n%s" % (ip, ip, port, extra))


def media_of(msg):
    """(address, port) of the first m= line of a message's SDP."""
    body = msg.split(b"\r\n\r\n", 1)[1] if msg else b""
    a = re.search(rb"c=IN IP4 (\S+)", body)
    m = re.search(rb"m=audio (\d+)", body)
    return (a.group(1).decode() if a else None, int(m.group(1)) if m else None)


def rtp_sock(port, ip="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    return s


def rtp(seq):
    return bytes([0x80, 0, seq >> 8, seq & 255]) + b"\x00" * 8 + bytes(160)


def both_ways(relay_a, relay_b, seq):
    """RTP from alice to her relay port and from bob to his: what each
    side then receives, as (data, source) or None."""
    a_rtp.sendto(rtp(seq), ("127.0.0.1", relay_a))
    g1 = got(b_rtp, 1.0)
    b_rtp.sendto(rtp(seq + 1), ("127.0.0.1", relay_b))
    return g1, got(a_rtp, 1.0)


def got(sock, timeout=0.5):
    r, _, _ = select.select([sock], [], [], timeout)
    if not r:
        return None
    return sock.recvfrom(2048)


d = Daemon(PORT, domains=(DOMAIN,), listen=(
    '{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }' % PORT),
    extra='media = { enabled = true; port_min = 42000; port_max = 42099; max_sessions = 16; };\n')
try:
    d.start()
    c.check("users", d.add_user("alice", "alice-secret-1") and d.add_user("bob", "bob-secret-22"))
    alice = UA("127.0.0.1", PORT, local_port=A_SIP)
    bob = UA("127.0.0.1", PORT, local_port=B_SIP)
    r, _ = bob.register("bob", "bob-secret-22", DOMAIN,
                        contact="<sip:bob@127.0.0.1:%d>" % B_SIP, expires=300)
    c.check("bob registers", status(r) == 200, r)
    a_rtp, b_rtp, evil = rtp_sock(A_RTP), rtp_sock(B_RTP), rtp_sock(0, "127.0.0.2")

    call = SdpCall(alice, "alice", "sip:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    call.body = sdp(A_RTP, extra="a=candidate:1 1 UDP 1 127.0.0.1 %d typ host\r\n" % A_RTP)
    call.start()
    inv = recv_match(bob, is_req("INVITE", call.callid), 2.0)
    inv_b = inv
    c.check("bob gets the INVITE", inv is not None)
    addr, relay_b = media_of(inv)
    c.check("the offer bob sees names the relay, not alice's port",
            addr == "127.0.0.1" and relay_b is not None and 42000 <= relay_b < 42100,
            (addr, relay_b))
    c.check("ICE candidates (a way around the relay) are removed",
            inv is not None and b"a=candidate" not in inv)
    # Before the answer: alice's media goes nowhere.
    a_rtp.sendto(rtp(1), ("127.0.0.1", relay_b))
    c.check("RTP before the answer is not forwarded", got(b_rtp) is None)
    ok = with_body(response(inv, 200, "OK", "bob1", contact="sip:bob@127.0.0.1:%d" % B_SIP),
                   sdp(B_RTP))
    bob.send(ok)
    r = call.final()
    c.check("alice gets the 200", status(r) == 200, r)
    addr, relay_a = media_of(r)
    c.check("the answer alice sees names the relay too",
            addr == "127.0.0.1" and relay_a is not None and 42000 <= relay_a < 42100 and
            relay_a != relay_b, (addr, relay_a))
    call.established(r)
    call.ack()
    time.sleep(0.1)
    a_rtp.sendto(rtp(2), ("127.0.0.1", relay_a))
    g = got(b_rtp, 1.0)
    c.check("alice's RTP reaches bob, from the relay's port on his side",
            g is not None and g[1] == ("127.0.0.1", relay_b) and g[0] == rtp(2), g and g[1])
    b_rtp.sendto(rtp(3), ("127.0.0.1", relay_b))
    g = got(a_rtp, 1.0)
    c.check("bob's RTP reaches alice, from the relay's port on her side",
            g is not None and g[1] == ("127.0.0.1", relay_a), g and g[1])
    evil.sendto(rtp(4), ("127.0.0.1", relay_a))
    evil.sendto(rtp(5), ("127.0.0.1", relay_b))
    c.check("RTP injected from a third address is forwarded to nobody",
            got(a_rtp) is None and got(b_rtp) is None)
    st = d.stats()
    c.check("counted: media.drop.wrong_source 2, media.forwarded 2",
            st.get("media.drop.wrong_source") == 2 and st.get("media.forwarded") == 2,
            {k: v for k, v in st.items() if k.startswith("media.")})
    ev = open(os.path.join(d.state, "voipshield-events.log")).read()
    c.check("and reported as a media_injection security event from 127.0.0.2",
            re.search(r'"event":"media_injection","source":"127\.0\.0\.2".*"reason":"wrong_source"',
                      ev) is not None, ev[-400:])
    # Hold from alice (re-INVITE, a=sendonly), then resume from bob: the
    # same relay ports in every SDP, and media flows after both.
    route = "".join("Route: %s\r\n" % x for x in call.route)
    call.cseq += 1
    reinv = with_body(callkit.build(alice, "INVITE", call.remote, call.frm, call.remote_to,
                                    call.callid, call.cseq, extra=route + call.contact),
                      sdp(A_RTP, extra="a=sendonly\r\n"))
    alice.send(reinv)
    # (matched by CSeq: bob may still hold a retransmission of the first
    # INVITE, sent before he answered)
    rinv = recv_match(bob, lambda m: is_req("INVITE", call.callid)(m) and
                      callkit.cseq_of(m)[0] == call.cseq, 2.0)
    c.check("alice's hold re-INVITE reaches bob naming the same relay port, a=sendonly kept",
            rinv is not None and media_of(rinv) == ("127.0.0.1", relay_b) and b"a=sendonly" in rinv,
            rinv and rinv[-300:])
    if rinv:
        bob.send(with_body(response(rinv, 200, "OK", "bob1",
                                    contact="sip:bob@127.0.0.1:%d" % B_SIP),
                           sdp(B_RTP, extra="a=recvonly\r\n")))
    r = recv_match(alice, callkit.is_resp(call.callid, "INVITE", final=True), 2.0)
    c.check("and bob's answer reaches alice naming her relay port",
            status(r) == 200 and media_of(r) == ("127.0.0.1", relay_a), r and r[-300:])
    call.ack()
    # bob resumes: his own re-INVITE, along the Record-Route he was given.
    b_route = "".join("Route: %s\r\n" % x for x in callkit.rr_uris(inv_b))
    bob_from = callkit.header(inv_b, "To") + ";tag=bob1"
    binv = with_body(callkit.build(bob, "INVITE", "sip:alice@127.0.0.1:%d" % A_SIP, bob_from,
                                   callkit.header(inv_b, "From"), call.callid, 1,
                                   extra=b_route + "Contact: <sip:bob@127.0.0.1:%d>\r\n" % B_SIP),
                     sdp(B_RTP))
    bob.send(binv)
    ainv = recv_match(alice, is_req("INVITE", call.callid), 2.0)
    c.check("bob's resume re-INVITE reaches alice naming her relay port",
            ainv is not None and media_of(ainv) == ("127.0.0.1", relay_a), ainv and ainv[-300:])
    if ainv:
        alice.send(with_body(response(ainv, 200, "OK", "x",
                                      contact="sip:alice@127.0.0.1:%d" % A_SIP), sdp(A_RTP)))
    r = recv_match(bob, callkit.is_resp(call.callid, "INVITE", final=True), 2.0)
    c.check("and alice's answer reaches bob naming his relay port",
            status(r) == 200 and media_of(r) == ("127.0.0.1", relay_b), r and r[-300:])
    time.sleep(0.1)
    g1, g2 = both_ways(relay_a, relay_b, 8)
    c.check("after hold and resume, RTP flows both ways through the relay",
            g1 is not None and g2 is not None)
    hang_up(alice, bob, call, "bob1")
    time.sleep(0.2)
    a_rtp.sendto(rtp(6), ("127.0.0.1", relay_a))
    c.check("after the BYE nothing is forwarded", got(b_rtp) is None)

    # A late offer: an INVITE without SDP; bob offers in his 200 and alice
    # answers in the ACK.  Both are rewritten to name the relay.
    call4 = callkit.Call(alice, "alice", "sip:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    call4.start()
    inv = recv_match(bob, is_req("INVITE", call4.callid), 2.0)
    c.check("a late-offer INVITE reaches bob without SDP",
            inv is not None and b"m=audio" not in inv)
    inv4 = inv
    if inv:
        bob.send(with_body(response(inv, 200, "OK", "bob4",
                                    contact="sip:bob@127.0.0.1:%d" % B_SIP), sdp(B_RTP)))
    r = call4.final()
    addr, relay_a = media_of(r)
    c.check("bob's offer in the 200 reaches alice naming the relay, not bob",
            status(r) == 200 and addr == "127.0.0.1" and relay_a is not None and
            42000 <= relay_a < 42100, (status(r), addr, relay_a))
    call4.established(r)
    route4 = "".join("Route: %s\r\n" % x for x in call4.route)
    ack = call4.ack(body=sdp(A_RTP))
    back = recv_match(bob, is_req("ACK", call4.callid), 2.0)
    relay_b = media_of(back)[1]
    c.check("alice's answer in the ACK reaches bob naming the relay, not alice",
            media_of(back)[0] == "127.0.0.1" and relay_b is not None and
            42000 <= relay_b < 42100 and relay_b != relay_a, back and back[-200:])
    alice.send(ack)
    again = recv_match(bob, is_req("ACK", call4.callid), 2.0)
    c.check("a retransmitted ACK is rewritten the same way",
            again is not None and media_of(again) == media_of(back))
    time.sleep(0.1)
    g1, g2 = both_ways(relay_a, relay_b, 20)
    c.check("late offer: RTP flows both ways through the relay",
            g1 is not None and g1[1] == ("127.0.0.1", relay_b) and
            g2 is not None and g2[1] == ("127.0.0.1", relay_a))
    # A re-INVITE without SDP from alice: bob offers again (on hold, from
    # another address) in the 200, alice answers in the ACK.
    call4.cseq += 1
    alice.send(callkit.build(alice, "INVITE", call4.remote, call4.frm, call4.remote_to,
                             call4.callid, call4.cseq, extra=route4 + call4.contact))
    rinv = recv_match(bob, lambda m: is_req("INVITE", call4.callid)(m) and
                      callkit.cseq_of(m)[0] == call4.cseq, 2.0)
    if rinv:
        bob.send(with_body(response(rinv, 200, "OK", "bob4",
                                    contact="sip:bob@127.0.0.1:%d" % B_SIP),
                           sdp(B_RTP, extra="a=sendonly\r\n")))
    r = recv_match(alice, callkit.is_resp(call4.callid, "INVITE", final=True), 2.0)
    c.check("a re-INVITE without SDP: bob's offer in the 200 reaches alice naming her relay port",
            status(r) == 200 and media_of(r) == ("127.0.0.1", relay_a) and
            b"a=sendonly" in r, r and r[-300:])
    call4.ack(body=sdp(A_RTP, extra="a=recvonly\r\n"))
    back = recv_match(bob, is_req("ACK", call4.callid), 2.0)
    c.check("and alice's answer in the ACK reaches bob naming his relay port",
            back is not None and media_of(back) == ("127.0.0.1", relay_b), back and back[-200:])
    time.sleep(0.1)
    b_rtp.sendto(rtp(22), ("127.0.0.1", relay_b))
    g = got(a_rtp, 1.0)
    c.check("and media still flows", g is not None and g[1] == ("127.0.0.1", relay_a))
    # Fax: a re-INVITE to T.38 (m=image udptl) is relayed too, as plain
    # datagrams on the same relay ports.
    t38 = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=image %d udptl t38\r\na=T38FaxVersion:0\r\n")
    call4.cseq += 1
    alice.send(with_body(callkit.build(alice, "INVITE", call4.remote, call4.frm, call4.remote_to,
                                       call4.callid, call4.cseq, extra=route4 + call4.contact),
                         t38 % A_RTP))
    rinv = recv_match(bob, lambda m: is_req("INVITE", call4.callid)(m) and
                      callkit.cseq_of(m)[0] == call4.cseq, 2.0)
    c.check("a T.38 re-INVITE reaches bob as m=image udptl on his relay port",
            rinv is not None and ("m=image %d udptl t38" % relay_b).encode() in rinv,
            rinv and rinv[-200:])
    if rinv:
        bob.send(with_body(response(rinv, 200, "OK", "bob4",
                                    contact="sip:bob@127.0.0.1:%d" % B_SIP), t38 % B_RTP))
    r = recv_match(alice, callkit.is_resp(call4.callid, "INVITE", final=True), 2.0)
    c.check("and bob's T.38 answer reaches alice on her relay port",
            status(r) == 200 and ("m=image %d udptl t38" % relay_a).encode() in r, r and r[-200:])
    call4.ack()
    time.sleep(0.1)
    a_rtp.sendto(b"\x00\x01udptl-packet", ("127.0.0.1", relay_a))
    g = got(b_rtp, 1.0)
    c.check("UDPTL from alice reaches bob through the relay",
            g is not None and g[0] == b"\x00\x01udptl-packet" and g[1] == ("127.0.0.1", relay_b))
    hang_up(alice, bob, call4, "bob4")

    # A forked call answered by both of bob's phones: the first 200 anchors
    # the callee's leg; the second is rewritten (no phone address passes)
    # but does not move the relay, and the BYE ending that second dialog
    # leaves the call's media alone.
    bob2 = UA("127.0.0.1", PORT, local_port=B_SIP, host="127.0.0.6")
    b2_rtp = rtp_sock(B_RTP, "127.0.0.6")
    r, _ = bob2.register("bob", "bob-secret-22", DOMAIN,
                         contact="<sip:bob@127.0.0.6:%d>" % B_SIP, expires=300)
    c.check("fork: bob registers a second phone", status(r) == 200, r)
    call5 = SdpCall(alice, "alice", "sip:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    call5.body = sdp(A_RTP)
    call5.start()
    inv1 = recv_match(bob, is_req("INVITE", call5.callid), 2.0)
    inv2 = recv_match(bob2, is_req("INVITE", call5.callid), 2.0)
    c.check("fork: both phones get the INVITE", inv1 is not None and inv2 is not None)
    relay_b = media_of(inv1)[1]
    if inv1:
        bob.send(with_body(response(inv1, 200, "OK", "bob5a",
                                    contact="sip:bob@127.0.0.1:%d" % B_SIP), sdp(B_RTP)))
    ok1 = call5.final()
    if inv2:
        bob2.send(with_body(response(inv2, 200, "OK", "bob5b",
                                     contact="sip:bob@127.0.0.6:%d" % B_SIP),
                            sdp(B_RTP, ip="127.0.0.6")))
    ok2 = recv_match(alice, lambda m: callkit.is_resp(call5.callid, final=True)(m) and
                     b"bob5b" in m, 2.0)
    relay_a = media_of(ok1)[1]
    c.check("fork: the second 200 reaches alice naming the relay, not the second phone",
            status(ok2) == 200 and media_of(ok2) == ("127.0.0.1", relay_a), ok2 and ok2[-200:])
    # alice keeps the first dialog and ends the second.
    call5.established(ok2)
    call5.ack()
    hang_up(alice, bob2, call5, "bob5b")
    call5.established(ok1)
    call5.ack(cseq=call5.cseq - 1)
    time.sleep(0.2)
    a_rtp.sendto(rtp(40), ("127.0.0.1", relay_a))
    g = got(b_rtp, 1.0)
    c.check("fork: media goes to the first phone, and survives the BYE of the second dialog",
            g is not None and g[1] == ("127.0.0.1", relay_b) and got(b2_rtp, 0.3) is None)
    hang_up(alice, bob, call5, "bob5a")
    time.sleep(0.2)
    a_rtp.sendto(rtp(41), ("127.0.0.1", relay_a))
    c.check("fork: the BYE of the first dialog ends the media", got(b_rtp) is None)
    r, _ = bob2.register("bob", "bob-secret-22", DOMAIN,
                         contact="<sip:bob@127.0.0.6:%d>" % B_SIP, expires=0)
    bob2.close()
    b2_rtp.close()

    # A failed call: its session and ports go with it.
    call2 = SdpCall(alice, "alice", "sip:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    call2.body = sdp(A_RTP)
    call2.start()
    inv = recv_match(bob, is_req("INVITE", call2.callid), 2.0)
    if inv:
        bob.send(response(inv, 486, "Busy Here", "bob2"))
    c.check("a busy callee: 486 to alice", status(call2.final()) == 486)
    # An offer with only a host name: the relay could not reach it.
    call3 = SdpCall(alice, "alice", "sip:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    call3.body = sdp(A_RTP, ip="phone.example.test")
    call3.start()
    r = call3.final()
    c.check("an offer the relay cannot carry gets 488", status(r) == 488, r)
    time.sleep(0.3)
    st = d.stats()
    c.check("counters: media.sessions_created 4, media.not_relayable 1",
            st.get("media.sessions_created") == 4 and st.get("media.not_relayable") == 1,
            {k: v for k, v in st.items() if k.startswith("media")})
    c.check("no relay session or port is left (media.active_sessions 0)",
            st.get("media.active_sessions") == 0 and st.get("media.ports_in_use") == 0,
            (st.get("media.active_sessions"), st.get("media.ports_in_use")))
    for s_ in (alice, bob, a_rtp, b_rtp, evil):
        s_.close()
    code = d.stop()
    c.check("stops cleanly", code == 0, code)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
finally:
    d.cleanup()

# --- media.timeout ends the call: a BYE to each side -------------------------------
d2 = Daemon(PORT, domains=(DOMAIN,), listen=(
    '{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }' % PORT),
    extra='media = { enabled = true; port_min = 42000; port_max = 42099; timeout = 2; '
          'ice = "keep"; };\n')
try:
    d2.start()
    c.check("users (timeout)", d2.add_user("alice", "alice-secret-1") and
            d2.add_user("bob", "bob-secret-22"))
    alice = UA("127.0.0.1", PORT, local_port=A_SIP)
    bob = UA("127.0.0.1", PORT, local_port=B_SIP)
    r, _ = bob.register("bob", "bob-secret-22", DOMAIN,
                        contact="<sip:bob@127.0.0.1:%d>" % B_SIP, expires=300)
    a_rtp, b_rtp = rtp_sock(A_RTP), rtp_sock(B_RTP)
    # As if a record-routing proxy stood on each side of us: P1 towards
    # alice (in her INVITE), P3 towards bob (in his 200).
    call = SdpCall(alice, "alice", "sip:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    call.contact += "Record-Route: <sip:127.0.0.8:5998;lr>\r\n"
    call.body = sdp(A_RTP, extra="a=candidate:1 1 UDP 1 127.0.0.1 %d typ host\r\n" % A_RTP)
    call.start()
    inv = recv_match(bob, is_req("INVITE", call.callid), 2.0)
    c.check("media.ice = keep: ICE candidates pass through",
            inv is not None and b"a=candidate:1 1 UDP" in inv)
    if inv:
        ok = with_body(response(inv, 200, "OK", "bob9",
                                contact="sip:bob@127.0.0.1:%d" % B_SIP), sdp(B_RTP))
        bob.send(ok.replace(b"\r\n", b"\r\nRecord-Route: <sip:127.0.0.9:5999;lr>\r\n", 1))
    r = call.final()
    c.check("timeout: the call is answered", status(r) == 200, r)
    call.established(r)
    call.ack()
    time.sleep(0.1)
    g1, g2 = both_ways(media_of(r)[1], media_of(inv)[1], 30)
    c.check("timeout: media flows at first", g1 is not None and g2 is not None)
    # Then nothing for media.timeout (2 s): the relay ends the call.
    bye_b = recv_match(bob, is_req("BYE", call.callid), 5.0)
    bye_a = recv_match(alice, is_req("BYE", call.callid), 2.0)
    c.check("bob gets a BYE from alice's side: his Contact, alice's From, his To tag, "
            "the INVITE's CSeq + 1",
            bye_b is not None and callkit.ruri_of(bye_b) == "sip:bob@127.0.0.1:%d" % B_SIP and
            callkit.header(bye_b, "From") == call.frm and
            "tag=bob9" in (callkit.header(bye_b, "To") or "") and
            callkit.cseq_of(bye_b) == (call.cseq + 1, "BYE"), bye_b)
    c.check("alice gets a BYE from bob's side: her Contact, bob's To as From",
            bye_a is not None and callkit.ruri_of(bye_a) == "sip:alice@127.0.0.1:%d" % A_SIP and
            "tag=bob9" in (callkit.header(bye_a, "From") or "") and
            callkit.header(bye_a, "To") == call.frm, bye_a)
    c.check("each BYE carries the route beyond us on its side (P3 to bob, P1 to alice)",
            bye_a is not None and bye_b is not None and
            callkit.headers(bye_b, "Route") == ["<sip:127.0.0.9:5999;lr>"] and
            callkit.headers(bye_a, "Route") == ["<sip:127.0.0.8:5998;lr>"],
            (bye_a and callkit.headers(bye_a, "Route"), bye_b and callkit.headers(bye_b, "Route")))
    c.check("both say why (Reason: SIP;cause=408)",
            bye_a is not None and bye_b is not None and
            b"Reason: SIP;cause=408" in bye_a and b"Reason: SIP;cause=408" in bye_b)
    for ua, bye in ((alice, bye_a), (bob, bye_b)):
        if bye:
            ua.send(response(bye, 200, "OK", "x"))
    time.sleep(0.3)
    st = d2.stats()
    c.check("counted: media.timeouts 1, media.timeout_byes 2, no session or port left",
            st.get("media.timeouts") == 1 and st.get("media.timeout_byes") == 2 and
            st.get("media.active_sessions") == 0 and st.get("media.ports_in_use") == 0,
            {k: v for k, v in st.items() if k.startswith("media.")})
    for s_ in (alice, bob, a_rtp, b_rtp):
        s_.close()
    code = d2.stop()
    c.check("stops cleanly (timeout)", code == 0, code)
    c.check("no sanitizer reports (timeout)", not d2.sanitizer_reports(), d2.stderr()[-3000:])
finally:
    d2.cleanup()
c.finish()
