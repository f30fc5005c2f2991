#!/usr/bin/env python3
"""Outbound SIP over TLS (issue 5): the daemon connects to upstream routes
with transport "tls", verifies the peer's chain against tls.ca_file and
its identity against the route's tls_name by RFC 5922's rules (sip: URI
and DNS subjectAltName, no wildcards), sends SNI, presents tls.client_cert
when the peer asks, reuses one connection for later requests, and keeps
it open with CRLF keep-alives.  A peer whose certificate names someone
else, or is not from a trusted CA, gets nothing: no INVITE leaves over
such a connection.  Peers are TLS servers on Python's ssl module
(tlspeer.py).  Ports 5275-5279."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN
from sipua import UA, status
import callkit
import subprocess
import tlspeer

PORT, TLS_PORT, GOOD, WRONG, UNTRUSTED = 5275, 5276, 5277, 5278, 5279
TRUNK = "127.0.0.7"  # not alice's address: route addresses are trusted peers
DOMAIN = "example.test"
c = Checks("tls_out")

d = Daemon(PORT, domains=(DOMAIN,), listen=(
    '{ address = "127.0.0.1"; port = %d; transports = ["udp", "tcp"]; }' % PORT))
ca = tlspeer.CA(d.dir)
srv_cert, srv_key = ca.issue("daemon", "sbc.example.test", "IP:127.0.0.1")
cli_cert, cli_key = ca.issue("client", "sbc-client.example.test", "DNS:sbc.example.test")
pbx_cert, pbx_key = ca.issue("pbx", "ignored-cn.example.test",
                             "URI:sip:pbx.example.test,DNS:pbx-alt.example.test")
other_cert, other_key = ca.issue("other", "pbx.example.test", "DNS:other.example.test")
wild_cert, wild_key = ca.issue("wild", "wild", "DNS:*.example.test")
rogue_cert, rogue_key = tlspeer.self_signed(d.dir, "rogue", "pbx.example.test",
                                            "URI:sip:pbx.example.test")

d.write_config(d.text.replace(
    'listen = ( ',
    'listen = ( { address = "127.0.0.1"; port = %d; transports = ["tls"]; '
    'tls_cert = "%s"; tls_key = "%s"; },\n' % (TLS_PORT, srv_cert, srv_key), 1) +
    'upstream = { routes = (\n'
    ' { prefix = "1"; address = "127.0.0.7"; port = %d; transport = "tls"; tls_name = "pbx.example.test"; },\n'
    ' { prefix = "2"; address = "127.0.0.7"; port = %d; transport = "tls"; tls_name = "pbx.example.test"; },\n'
    ' { prefix = "3"; address = "127.0.0.7"; port = %d; transport = "tls"; tls_name = "pbx.example.test"; }\n'
    '); };\n' % (GOOD, WRONG, UNTRUSTED) +
    'tls = { ca_file = "%s"; client_cert = "%s"; client_key = "%s"; };\n'
    % (ca.cert, cli_cert, cli_key) +
    'tcp = { idle_timeout = 4; keepalive = 1; message_timeout = 3; };\n'
    'transactions = { t1 = 50; };\n')

good = tlspeer.Peer(GOOD, pbx_cert, pbx_key, ca=ca.cert, host=TRUNK)
wrong = tlspeer.Peer(WRONG, other_cert, other_key, host=TRUNK)
untrusted = tlspeer.Peer(UNTRUSTED, rogue_cert, rogue_key, host=TRUNK)
peers = [good, wrong, untrusted]




def call(number, timeout=2.0):
    cl = callkit.Call(alice, "alice", "sip:%s@carrier.test" % number, DOMAIN, "alice-secret-1")
    cl.start()
    r = cl.final(timeout)
    if status(r) == 200:
        cl.established(r)
        cl.ack()
        cl.in_dialog("BYE")
        callkit.recv_match(alice, callkit.is_resp(cl.callid, "BYE", final=True), 2.0)
    return r


try:
    d.start()
    c.check("alice is provisioned", d.add_user("alice", "alice-secret-1"))
    alice = UA("127.0.0.1", PORT)

    # --- a verified trunk ---------------------------------------------------
    r = call("1000")
    c.check("a call to the TLS route is answered by the trunk (200)", status(r) == 200, r)
    c.check("the trunk got the INVITE over TLS, with a TLS Via",
            len(good.requests("INVITE")) == 1 and
            b"SIP/2.0/TLS" in good.requests("INVITE")[0], good.messages[:1])
    c.check("the daemon sent SNI pbx.example.test", good.sni == ["pbx.example.test"], good.sni)
    c.check("its certificate matched by the sip: URI subjectAltName (RFC 5922), not the CN",
            good.handshakes == 1)
    c.check("the daemon presented tls.client_cert when the trunk asked",
            good.client_certs == ["sbc-client.example.test"], good.client_certs)
    c.check("the in-dialog BYE went to the trunk too",
            tlspeer.wait_for(lambda: len(good.requests("BYE")) == 1), len(good.requests("BYE")))
    r = call("1001")
    c.check("a second call is answered", status(r) == 200, r)
    c.check("over the same connection (one connection, one handshake)",
            good.connections == 1 and good.handshakes == 1 and len(good.requests("INVITE")) == 2,
            (good.connections, good.handshakes))

    # --- keep-alives ----------------------------------------------------------
    # tcp.keepalive 1 s, tcp.idle_timeout 4 s: pings keep the quiet
    # connection open past the idle timeout.
    time.sleep(5.5)
    c.check("the daemon sends CRLF keep-alives on its idle connection",
            good.pings >= 2, good.pings)
    r = call("1002")
    c.check("and the connection outlives tcp.idle_timeout (still one connection)",
            status(r) == 200 and good.connections == 1, (status(r), good.connections))

    # --- peers that must not get the call ------------------------------------------
    before = d.stats().get("tls.verify_failed", 0)
    r = call("2000", timeout=6.0)
    c.check("a trunk whose certificate names another host gets no INVITE",
            wrong.handshakes >= 1 and not wrong.requests("INVITE"),
            (wrong.handshakes, len(wrong.messages)))
    c.check("and the caller gets a failure (408), not a call", status(r) == 408, r)
    r = call("3000", timeout=6.0)
    c.check("a self-signed certificate (not from tls.ca_file) gets no INVITE either",
            not untrusted.requests("INVITE"), len(untrusted.messages))
    c.check("and that call fails too", status(r) == 408, r)
    st = d.stats()
    c.check("tls.verify_failed counts both refusals",
            st.get("tls.verify_failed", 0) - before >= 2, st.get("tls.verify_failed"))
    log = d.stderr()
    c.check("the log says which peer failed and which name was expected",
            "TLS to 127.0.0.7:%d: refused, its certificate does not name the peer "
            "(we expected 'pbx.example.test')" % WRONG in log and
            "TLS to 127.0.0.7:%d: handshake failed (we expected 'pbx.example.test': "
            % UNTRUSTED in log, log[-1500:])

    # --- a wildcard certificate does not name a SIP domain (RFC 5922 7.2) ----
    untrusted.stop()
    peers.remove(untrusted)
    wild = tlspeer.Peer(UNTRUSTED, wild_cert, wild_key, host=TRUNK)
    peers.append(wild)
    r = call("3001", timeout=6.0)
    c.check("a *.example.test certificate does not match pbx.example.test",
            wild.handshakes >= 1 and not wild.requests("INVITE") and status(r) == 408,
            (wild.handshakes, status(r)))

    alice.close()
    code = d.stop()
    c.check("stops cleanly", code == 0, code)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
finally:
    for p in peers:
        p.stop()
    d.cleanup()
c.finish()
