#!/usr/bin/env python3
"""TLS policy (issue 5): mutual TLS on listeners (tls_verify_client
"optional" and "required" against tls_ca), accounts bound to a client
certificate identity (`voipshield user set NAME --cert ID`), TLS-only
accounts (`--tls-only`: REGISTER and INVITE over anything else get 403
even with the right password), and sips: targets that are only ever
forwarded over TLS (RFC 5630: a phone registered over UDP, or a route
over UDP, gets 480 instead).  Certificates from a private CA (tlspeer.CA).
Ports 5280-5284."""
import os
import re
import ssl
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN
from sipua import UA, status
import callkit
from callkit import is_req, recv_match, response
import tlspeer
from tlspeer import TLSUA

PORT, OPT_PORT, REQ_PORT, CAROL_PORT, TRUNK_PORT = 5280, 5281, 5282, 5283, 5284
DOMAIN = "example.test"
c = Checks("tls_policy")

d = Daemon(PORT, domains=(DOMAIN,), listen=(
    '{ address = "127.0.0.1"; port = %d; transports = ["udp", "tcp"]; }' % PORT))
ca = tlspeer.CA(d.dir)
srv_cert, srv_key = ca.issue("daemon", "sbc.example.test", "IP:127.0.0.1")
bob_cert, bob_key = ca.issue("bob", "bob phone", "URI:sip:bob@example.test")
mallory_cert, mallory_key = ca.issue("mallory", "mallory phone", "URI:sip:mallory@example.test")
voice_cert, voice_key = ca.issue("voice", "voice.example.test", "DNS:voice.example.test")
rogue_cert, rogue_key = tlspeer.self_signed(d.dir, "rogue", "bob phone", "URI:sip:bob@example.test")

d.write_config(d.text.replace(
    'listen = ( ',
    'listen = ( { address = "127.0.0.1"; port = %d; transports = ["tls"]; '
    'tls_cert = "%s"; tls_key = "%s"; tls_verify_client = "optional"; tls_ca = "%s";\n'
    '  tls_sni = ( { name = "Voice.Example.Test"; cert = "%s"; key = "%s"; } ); },\n'
    '{ address = "127.0.0.1"; port = %d; transports = ["tls"]; '
    'tls_cert = "%s"; tls_key = "%s"; tls_verify_client = "required"; tls_ca = "%s"; },\n'
    % (OPT_PORT, srv_cert, srv_key, ca.cert, voice_cert, voice_key,
       REQ_PORT, srv_cert, srv_key, ca.cert), 1) +
    'upstream = { routes = ( { prefix = "9"; address = "127.0.0.3"; port = %d; transport = "udp"; } ); };\n'
    % TRUNK_PORT)


def user(*args, password=None):
    return subprocess.run([VS_BIN, "--config", d.conf, "user"] + list(args),
                          input=(password + "\n") if password else "",
                          capture_output=True, text=True, timeout=30)


def handshake(port, cert=None, key=None):
    """A TLS handshake with a client certificate (or none): True if the
    connection is usable (TLS 1.3 reports a refused certificate on the
    first read, so read once)."""
    ctx = ssl.create_default_context(cafile=ca.cert)
    ctx.check_hostname = False
    if cert:
        ctx.load_cert_chain(cert, key)
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=3))
        s.sendall(b"\r\n\r\n")  # a keep-alive ping: answered with CRLF
        ok = s.recv(16) == b"\r\n"
        s.close()
        return ok
    except (ssl.SSLError, OSError):
        return False


try:
    d.start()
    for name, pw in (("alice", "alice-secret-1"), ("bob", "bob-secret-22"),
                     ("carol", "carol-secret-3")):
        c.check("user add %s" % name, user("add", name, password=pw).returncode == 0)

    # --- the CLI --------------------------------------------------------------
    r = user("set", "alice", "--tls-only")
    c.check("user set alice --tls-only", r.returncode == 0 and "TLS only" in r.stdout, r.stdout + r.stderr)
    r = user("set", "bob", "--cert", "bob@example.test")
    c.check("user set bob --cert bob@example.test", r.returncode == 0 and
            "client certificate bob@example.test" in r.stdout, r.stdout + r.stderr)
    r = user("list")
    lines = {l.split()[0]: l for l in r.stdout.splitlines()[1:] if l.strip()}
    c.check("user list shows the transport policy",
            "tls-only" in lines.get("alice", "") and "bob@example.test" in lines.get("bob", "") and
            lines.get("carol", "").split()[-2:] == ["any", "-"], r.stdout)
    r = user("set", "nobody", "--tls-only")
    c.check("user set on an unknown user fails and says so",
            r.returncode == 1 and "no user nobody" in r.stderr, r.stderr)
    r = user("set", "bob", "--certificate", "x")
    c.check("an unknown option is refused with the valid ones listed",
            r.returncode == 2 and "--tls-only" in r.stderr, r.stderr)
    r = user("set", "bob", "--cert", "bad name")
    c.check("an identity with a space is refused", r.returncode == 2, r.stderr)
    r = user("passwd", "bob", password="bob-secret-22")
    c.check("a password change keeps the policy", r.returncode == 0 and
            "bob@example.test" in user("list").stdout, r.stderr)

    # --- mutual TLS on the listeners --------------------------------------------
    c.check("optional listener: a client without a certificate connects", handshake(OPT_PORT))
    c.check("optional listener: a certificate from our CA is accepted",
            handshake(OPT_PORT, bob_cert, bob_key))
    c.check("optional listener: a self-signed client certificate is refused",
            not handshake(OPT_PORT, rogue_cert, rogue_key))
    c.check("required listener: a client without a certificate is refused", not handshake(REQ_PORT))
    c.check("required listener: a certificate from our CA is accepted",
            handshake(REQ_PORT, bob_cert, bob_key))
    for v in ("-tls1_2", "-tls1_3"):
        r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % REQ_PORT,
                            "-CAfile", ca.cert, "-ign_eof", v], input="\r\n\r\n",
                           capture_output=True, text=True, timeout=20)
        # TLS 1.3 finishes the client's side of the handshake before the
        # server checks the certificate: -ign_eof waits for its alert.
        c.check("openssl s_client %s without a certificate is refused by the required listener" % v,
                "alert" in r.stderr or "New, (NONE)" in r.stdout,
                (r.returncode, r.stderr[-300:]))

    # --- SNI -------------------------------------------------------------------
    def served(port, servername=None):
        args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port]
        args += ["-servername", servername] if servername else ["-noservername"]
        r = subprocess.run(args, input="", capture_output=True, text=True, timeout=20)
        m = re.search(r"subject=.*CN\s*=\s*(\S+)", r.stdout)
        return m.group(1) if m else None
    c.check("SNI voice.example.test gets the tls_sni certificate (names compared without case)",
            served(OPT_PORT, "voice.example.test") == "voice.example.test",
            served(OPT_PORT, "voice.example.test"))
    c.check("another SNI name gets the listener's own certificate",
            served(OPT_PORT, "other.example.test") == "sbc.example.test")
    c.check("no SNI gets the listener's own certificate", served(OPT_PORT) == "sbc.example.test")
    c.check("the other listener has no tls_sni entries",
            served(REQ_PORT, "voice.example.test") in (None, "sbc.example.test"))

    # --- TLS-only account ---------------------------------------------------------
    udp = UA("127.0.0.1", PORT)
    r, _ = udp.register("alice", "alice-secret-1", DOMAIN, expires=60)
    c.check("TLS-only alice: REGISTER over UDP with the right password gets 403",
            status(r) == 403 and b"must use TLS" in r, r)
    call = callkit.Call(udp, "alice", "sip:carol@" + DOMAIN, DOMAIN, "alice-secret-1")
    call.start()
    r = call.final()
    c.check("and so does her INVITE over UDP", status(r) == 403 and b"must use TLS" in r, r)
    alice = TLSUA("127.0.0.1", OPT_PORT, ca.cert)
    r, _ = alice.register("alice", "alice-secret-1", DOMAIN,
                          contact="<sip:alice@%s:%d;transport=tls>" % alice.local, expires=300)
    c.check("over TLS her REGISTER succeeds", status(r) == 200, r)

    # --- an account bound to a certificate -------------------------------------------
    plain = TLSUA("127.0.0.1", OPT_PORT, ca.cert)
    r, _ = plain.register("bob", "bob-secret-22", DOMAIN, expires=60)
    c.check("bob over TLS without a client certificate: 403", status(r) == 403 and
            b"needs its client certificate" in r, r)
    plain.close()
    other = TLSUA("127.0.0.1", OPT_PORT, ca.cert, mallory_cert, mallory_key)
    r, _ = other.register("bob", "bob-secret-22", DOMAIN, expires=60)
    c.check("bob with mallory's certificate (same CA): 403", status(r) == 403, r)
    other.close()
    r, _ = udp.register("bob", "bob-secret-22", DOMAIN, expires=60)
    c.check("bob over UDP: 403", status(r) == 403, r)
    bob = TLSUA("127.0.0.1", REQ_PORT, ca.cert, bob_cert, bob_key)
    r, _ = bob.register("bob", "bob-secret-22", DOMAIN,
                        contact="<sip:bob@%s:%d;transport=tls>" % bob.local, expires=300)
    c.check("bob with his certificate (sip:bob@example.test) registers", status(r) == 200, r)
    st = d.stats()
    c.check("counters: auth.tls_required and auth.cert_mismatch",
            st.get("auth.tls_required", 0) >= 2 and st.get("auth.cert_mismatch", 0) >= 3,
            (st.get("auth.tls_required"), st.get("auth.cert_mismatch")))

    # --- sips: only over TLS ---------------------------------------------------------
    carol = UA("127.0.0.1", PORT, local_port=CAROL_PORT)
    r, _ = carol.register("carol", "carol-secret-3", DOMAIN,
                          contact="<sip:carol@127.0.0.1:%d>" % CAROL_PORT, expires=300)
    c.check("carol registers over UDP", status(r) == 200, r)
    call = callkit.Call(alice, "alice", "sips:carol@" + DOMAIN, DOMAIN, "alice-secret-1")
    call.start()
    r = call.final()
    c.check("a sips: call to carol (only a UDP contact) gets 480, not a UDP INVITE",
            status(r) == 480 and recv_match(carol, is_req("INVITE", call.callid), 0.5) is None, r)
    call = callkit.Call(alice, "alice", "sip:carol@" + DOMAIN, DOMAIN, "alice-secret-1")
    call.start()
    inv = recv_match(carol, is_req("INVITE", call.callid), 2.0)
    c.check("the same call with sip: reaches her", inv is not None)
    if inv is not None:
        carol.send(response(inv, 486, "Busy Here", "carol1"))
    call.final()
    call = callkit.Call(alice, "alice", "sips:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    call.start()
    inv = recv_match(bob, is_req("INVITE", call.callid), 2.0)
    c.check("a sips: call to bob goes over his TLS connection", inv is not None)
    if inv is not None:
        bob.send(response(inv, 486, "Busy Here", "bob1"))
    c.check("and his answer comes back", status(call.final()) == 486)
    call = callkit.Call(alice, "alice", "sips:900@carrier.test", DOMAIN, "alice-secret-1")
    call.start()
    r = call.final()
    c.check("a sips: call to a route over UDP gets 480", status(r) == 480, r)
    st = d.stats()
    c.check("proxy.sips_without_tls counts them", st.get("proxy.sips_without_tls", 0) >= 2,
            st.get("proxy.sips_without_tls"))

    for ua in (udp, alice, bob, carol):
        ua.close()
    code = d.stop()
    c.check("stops cleanly", code == 0, code)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
finally:
    d.cleanup()
c.finish()
