#!/usr/bin/env python3
"""SPIT and toll-fraud policy through the proxy (threats T10, T11): callers
blocked globally, by domain, by number prefix and per called account, an
account's allow list over a global block, anonymous callers (433), a
per-caller call rate (603), destinations denied globally and per group
(403), concurrent calls per account counted from the INVITE to the BYE
(403 while one is up, free again after BYE or a failed call), calls per
hour (403), events and counters.  Ports 5233-5238; the trunk on
127.0.0.3."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN
from sipua import UA, header, status
import callkit
from callkit import is_req, is_resp, recv_match, response

PORT = 5233
TRUNK_PORT = 5234
DOMAIN = "example.test"
PW = {"alice": "alice-secret-1", "bob": "bob-secret-22", "carol": "carol-secret-3",
      "erin": "erin-secret-44"}
c = Checks("policy")

EXTRA = """
auth = { algorithms = ["SHA-256", "MD5"]; };
transactions = { t1 = 50; };
upstream = { routes = ( { name = "trunk"; prefix = "00"; address = "127.0.0.3"; port = %d; } ); };
policy = {
  block_callers = [ "@evil.example", "+1900" ];
  reject_anonymous = true;
  deny_destinations = [ "00900" ];
  caller_rate = 10;
  groups = ( { name = "restricted"; deny_destinations = [ "00" ]; } );
  accounts = (
    { user = "alice"; max_concurrent = 1; max_per_hour = 6; },
    { user = "carol"; group = "restricted"; },
    { user = "bob"; block_callers = [ "@annoying.example" ];
      allow_callers = [ "sip:friend@evil.example" ]; }
  );
};
""" % TRUNK_PORT




def Call(ua, user, target, from_uri=None):
    call = callkit.Call(ua, user, target, DOMAIN, PW.get(user, ""))
    if from_uri:
        call.frm = "<%s>;tag=%x" % (from_uri, id(call))
    return call


def trunk_call(src_ua, target, from_uri):
    """A call from the trunk (a route address: trusted, not challenged);
    returns the final response."""
    call = Call(src_ua, "trunk", target, from_uri)
    call.send_invite()
    return call.final()


def alice_call(number, trunk, answer):
    """alice calls number; the trunk answers with answer (if the INVITE
    gets there).  Returns (final status, call, the INVITE the trunk saw)."""
    call = Call(alice_ua, "alice", "sip:%s@pstn.example" % number)
    r = call.start()
    if status(r) != 407:
        return status(r), call, None
    inv = recv_match(trunk, is_req("INVITE", call.callid), 1.0)
    if inv is not None:
        trunk.send(response(inv, answer, "Answer", "trunk%s" % number,
                            contact="sip:trunk@127.0.0.3:%d" % TRUNK_PORT))
    r = call.final()
    if status(r) == 200:
        call.established(r)
        call.in_dialog("ACK", cseq=call.cseq)
    return status(r), call, inv


def hang_up(call, trunk):
    call.in_dialog("BYE")
    bye = recv_match(trunk, is_req("BYE", call.callid), 1.0)
    if bye is not None:
        trunk.send(response(bye, 200, "OK", "x"))
    return status(recv_match(call.ua, is_resp(call.callid, "BYE", final=True), 1.5))


d = Daemon(PORT, extra=EXTRA, domains=(DOMAIN,),
           listen='{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }' % PORT)
try:
    d.start()
    c.check("users added", all(d.add_user(u, p) for u, p in PW.items()))
    bob = UA("127.0.0.1", PORT, local_port=5235)
    r, _ = bob.register("bob", PW["bob"], DOMAIN, contact="<sip:bob@127.0.0.1:5235>", expires=300)
    c.check("bob registers", status(r) == 200, r)
    trunk = UA("127.0.0.1", PORT, local_port=TRUNK_PORT, host="127.0.0.3")
    peer = UA("127.0.0.1", PORT, local_port=5238, host="127.0.0.3")
    alice_ua = UA("127.0.0.1", PORT, local_port=5236)

    # --- SPIT: callers ----------------------------------------------------
    r = trunk_call(peer, "sip:bob@" + DOMAIN, "sip:spammer@evil.example")
    c.check("a caller from a blocked domain gets 603 Decline", status(r) == 603, r)
    r = trunk_call(peer, "sip:bob@" + DOMAIN, "sip:+19005550100@pstn.example")
    c.check("a caller whose number has a blocked prefix gets 603", status(r) == 603, r)
    r = trunk_call(peer, "sip:bob@" + DOMAIN, "sip:anonymous@anonymous.invalid")
    c.check("an anonymous caller gets 433 Anonymity Disallowed", status(r) == 433, r)
    r = trunk_call(peer, "sip:bob@" + DOMAIN, "sip:x@annoying.example")
    c.check("bob's own block list: 603", status(r) == 603, r)
    r = trunk_call(peer, "sip:carol@" + DOMAIN, "sip:x@annoying.example")
    c.check("... which does not apply to carol (480: not registered)", status(r) == 480, r)
    call = Call(peer, "trunk", "sip:bob@" + DOMAIN, "sip:friend@evil.example")
    call.send_invite()
    inv = recv_match(bob, is_req("INVITE", call.callid), 1.5)
    c.check("bob's allow list lets a caller of a blocked domain through", inv is not None)
    if inv is not None:
        bob.send(response(inv, 486, "Busy Here", "bob1"))
    c.check("... and bob's phone answers it", status(call.final()) == 486)

    # Caller rate: erin, from an untrusted address, 10 calls a minute.
    erin_ua = UA("127.0.0.1", PORT, local_port=5237)
    codes = []
    for i in range(11):
        call = Call(erin_ua, "erin", "sip:carol@" + DOMAIN)
        call.start()
        codes.append(status(call.final()))
    c.check("a caller's first 10 calls in a minute pass (480), the 11th gets 603",
            codes == [480] * 10 + [603], codes)

    # --- toll fraud: destinations and limits ---------------------------------
    code, _, inv = alice_call("00900123", trunk, 200)
    c.check("a premium-rate prefix is refused with 403 and never reaches the trunk",
            code == 403 and inv is None, code)
    carol_ua = UA("127.0.0.1", PORT)
    call = Call(carol_ua, "carol", "sip:0049301234@pstn.example")
    call.start()
    r = call.final()
    c.check("carol's group may not call 00 numbers (403)", status(r) == 403, r)
    code, first, inv = alice_call("0049111", trunk, 200)
    c.check("alice's first call goes out and is answered", code == 200 and inv is not None, code)
    time.sleep(0.2)
    code, _, inv = alice_call("0049222", trunk, 200)
    c.check("a second call while the first is up: 403 (max_concurrent 1)",
            code == 403 and inv is None, code)
    c.check("BYE ends the first call (200 from the trunk)", hang_up(first, trunk) == 200)
    code, _, _ = alice_call("0049333", trunk, 486)
    c.check("after the BYE a new call goes out (486 from the trunk)", code == 486, code)
    code, call, _ = alice_call("0049444", trunk, 200)
    c.check("a failed call does not hold the slot: the next one is answered", code == 200, code)
    hang_up(call, trunk)
    code, call, _ = alice_call("0049555", trunk, 200)
    hang_up(call, trunk)
    for n in ("0049666", "0049777"):
        alice_call(n, trunk, 486)
    code, _, inv = alice_call("0049888", trunk, 200)
    c.check("the 7th call in the hour: 403 (max_per_hour 6)", code == 403 and inv is None, code)

    st = d.stats()
    want = {"policy.callers_blocked": 3, "policy.anonymous_rejected": 1,
            "policy.caller_rate_limited": 1, "policy.destinations_denied": 2,
            "policy.concurrent_limit": 1, "policy.hourly_limit": 1}
    c.check("policy counters", all(st.get(k) == v for k, v in want.items()),
            {k: st.get(k) for k in want})
    time.sleep(5.5)  # a sweep refreshes the gauge
    st = d.stats()
    c.check("no call is counted as active once all have ended",
            st.get("policy.calls_counted") == 0, st.get("policy.calls_counted"))
    ev = [json.loads(l) for l in open(os.path.join(d.state, "voipshield-events.log"))]
    kinds = {(e["event"], e.get("reason")) for e in ev}
    for k in [("spit_block", "blocked_caller"), ("spit_block", "anonymous"),
              ("spit_block", "caller_rate"), ("fraud_limit", "destination"),
              ("fraud_limit", "concurrent_calls"), ("fraud_limit", "calls_per_hour")]:
        c.check("event %s/%s" % k, k in kinds)
    c.check("a fraud event names the account and the number",
            any(e["event"] == "fraud_limit" and e.get("user") == "alice" and
                e.get("detail") == "00900123" for e in ev))
    code = d.stop()
    c.check("stops cleanly", code == 0, code)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
finally:
    d.cleanup()
c.finish()
