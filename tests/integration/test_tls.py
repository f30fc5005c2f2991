#!/usr/bin/env python3
"""SIP over TLS (issue 5, first slice): protocol versions and cipher
suites offered (openssl s_client: TLS 1.0 and 1.1 refused, 1.2 and 1.3
accepted, CBC and RSA key exchange not negotiable), a SIP client on
OpenSSL (Python's ssl module) that registers with digest authentication
over TLS and calls a phone on UDP through the proxy and is called back
over its own TLS connection, a handshake that never finishes (closed
after tcp.message_timeout), certificate reload (`voipshield tls reload`
and SIGHUP: new connections get the new certificate, established ones
keep working, a broken file is refused and the old one kept), counters,
and the shield: a handshake budget per source (refused at accept) and a
ban after failed handshakes.  Ports 5270-5274; certificates
made with the openssl command in a temporary directory."""
import os
import re
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN, peer_closed
from sipua import UA, status
import callkit
from callkit import is_req, recv_match, response
from tlspeer import TLSUA

PORT = 5270
TLS_PORT = 5271
DOMAIN = "example.test"
c = Checks("tls")


def s_client(*args):
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % TLS_PORT,
                        "-servername", "localhost"] + list(args),
                       input="", capture_output=True, text=True, timeout=20)
    # "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" ("New, (NONE),
    # Cipher is (NONE)" when the handshake failed).
    m = re.search(r"New, (TLSv[0-9.]+), Cipher is (\S+)", r.stdout)
    ok = r.returncode == 0 and m is not None
    return ok, (m.group(1) if m else None), (m.group(2) if m else None)




d = Daemon(PORT, domains=(DOMAIN,), listen=None)
CERT = os.path.join(d.dir, "cert.pem")
KEY = os.path.join(d.dir, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", KEY, "-out", CERT, "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
               check=True, capture_output=True, timeout=60)
os.chmod(KEY, 0o600)  # read by the daemon as root, before it drops privileges
d.write_config(d.text.replace(
    'listen = ( ',
    'listen = ( { address = "127.0.0.1"; port = %d; transports = ["tls"]; '
    'tls_cert = "%s"; tls_key = "%s"; },\n' % (TLS_PORT, CERT, KEY), 1) +
    'auth = { algorithms = ["SHA-256", "MD5"]; };\ntcp = { message_timeout = 2; };\n'
    'tls = { max_handshakes = 2; };\n'
    'transactions = { t1 = 50; };\n')
try:
    d.start()
    c.check("users", d.add_user("alice", "alice-secret-1") and d.add_user("bob", "bob-secret-22"))

    # --- what is negotiable -----------------------------------------------
    ok, proto, _ = s_client("-tls1_3")
    c.check("TLS 1.3 is accepted", ok and proto == "TLSv1.3", proto)
    ok, proto, cipher = s_client("-tls1_2")
    c.check("TLS 1.2 is accepted, with an ECDHE AEAD suite", ok and proto == "TLSv1.2" and
            cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher), (proto, cipher))
    for v in ("-tls1_1", "-tls1"):
        ok, proto, _ = s_client(v, "-cipher", "DEFAULT@SECLEVEL=0")
        c.check("%s is refused" % v[1:].replace("_", "."), not ok, proto)
    for cs in ("ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256", "AES256-SHA256"):
        ok, proto, cipher = s_client("-tls1_2", "-cipher", cs)
        c.check("TLS 1.2 suite %s (CBC or RSA key exchange) is refused" % cs, not ok, cipher)

    # Session resumption by tickets (no server-side cache), TLS 1.3 and 1.2.
    for ver in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        ctx = ssl.create_default_context(cafile=CERT)
        ctx.check_hostname = False
        ctx.minimum_version = ctx.maximum_version = ver
        first = ctx.wrap_socket(socket.create_connection(("127.0.0.1", TLS_PORT), timeout=5))
        first.sendall(b"\r\n\r\n")  # the CRLF pong comes after the tickets
        first.recv(16)
        sess = first.session
        first.close()
        again = ctx.wrap_socket(socket.create_connection(("127.0.0.1", TLS_PORT), timeout=5),
                                session=sess)
        c.check("a %s session is resumed from its ticket" % ver.name, again.session_reused)
        again.close()

    # --- SIP over TLS -------------------------------------------------------
    alice = TLSUA("127.0.0.1", TLS_PORT, CERT)
    r, _ = alice.register("alice", "alice-secret-1", DOMAIN,
                          contact="<sip:alice@%s:%d;transport=tls>" % alice.local, expires=300)
    c.check("alice registers over TLS with digest authentication", status(r) == 200, r)
    bob = UA("127.0.0.1", PORT, local_port=5272)
    r, _ = bob.register("bob", "bob-secret-22", DOMAIN, contact="<sip:bob@127.0.0.1:5272>",
                        expires=300)
    c.check("bob registers over UDP", status(r) == 200, r)

    call = callkit.Call(alice, "alice", "sip:bob@" + DOMAIN, DOMAIN, "alice-secret-1")
    call.start()
    inv = recv_match(bob, is_req("INVITE", call.callid), 2.0)
    c.check("alice's INVITE over TLS reaches bob over UDP", inv is not None)
    if inv is not None:
        c.check("the proxy records the TLS side in Record-Route",
                b"transport=tls" in inv, inv[:400])
        bob.send(response(inv, 200, "OK", "bob1", contact="sip:bob@127.0.0.1:5272"))
    ok_resp = call.final()
    c.check("alice gets bob's 200 over TLS", status(ok_resp) == 200, ok_resp)

    back = callkit.Call(bob, "bob", "sip:alice@" + DOMAIN, DOMAIN, "bob-secret-22")
    back.start()
    inv = recv_match(alice, is_req("INVITE", back.callid), 2.0)
    c.check("bob's call reaches alice over her own TLS connection", inv is not None)
    if inv is not None:
        alice.send(response(inv, 486, "Busy Here", "alice1"))
    c.check("and alice's 486 comes back to bob", status(back.final()) == 486)

    # --- certificate reload ----------------------------------------------------
    def subject():
        r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % TLS_PORT],
                           input="", capture_output=True, text=True, timeout=20)
        m = re.search(r"subject=.*CN\s*=\s*(\S+)", r.stdout)
        return m.group(1) if m else None
    c.check("the first certificate is served", subject() == "localhost", subject())
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", KEY + ".new", "-out", CERT + ".new", "-days", "2",
                    "-subj", "/CN=renewed.example.test"], check=True, capture_output=True, timeout=60)
    # A reload reads the key as server.user: the operator makes it readable
    # to that account (docs/tls.md).
    try:
        import pwd
        if os.geteuid() == 0 and "voipshield" in d.text:
            os.chown(KEY + ".new", pwd.getpwnam("voipshield").pw_uid, -1)
    except KeyError:
        pass
    # Load during the reload: four TLS clients send OPTIONS back to back
    # (one outstanding each) until it is done; none may lose its
    # connection or an answer.
    import threading
    stop_load = threading.Event()
    load_results = []

    def options_loop(ua):
        sent = answered = 0
        while not stop_load.is_set() or sent < 20:
            ua.send(ua.request("OPTIONS", "sip:%s" % DOMAIN, "sip:%s" % DOMAIN))
            sent += 1
            if status(recv_match(ua, callkit.is_resp(ua.callid, "OPTIONS", final=True), 2.0)) == 200:
                answered += 1
            else:
                break
        ua.sock.close()
        load_results.append((sent, answered))
    # Connected one after another: this daemon allows 2 handshakes at once.
    loaders = [threading.Thread(target=options_loop, args=(TLSUA("127.0.0.1", TLS_PORT, CERT),))
               for _ in range(4)]
    for t in loaders:
        t.start()
    time.sleep(0.3)
    os.replace(KEY + ".new", KEY)
    os.replace(CERT + ".new", CERT)
    r = d.cli("tls", "reload")
    c.check("voipshield tls reload loads the new certificate", r.returncode == 0 and
            r.stdout.startswith("ok"), r.stdout + r.stderr)
    time.sleep(0.3)
    stop_load.set()
    for t in loaders:
        t.join(30)
    c.check("four clients sending OPTIONS through the reload got every answer on their "
            "connections", len(load_results) == 4 and
            all(a == s_ and s_ >= 20 for s_, a in load_results), load_results)
    c.check("new connections get it", subject() == "renewed.example.test", subject())
    alice.send(alice.request("OPTIONS", "sip:%s" % DOMAIN, "sip:%s" % DOMAIN))
    r = recv_match(alice, callkit.is_resp(alice.callid, "OPTIONS", final=True), 2.0)
    c.check("alice's TLS connection from before the reload still works (OPTIONS 200)",
            status(r) == 200, r)
    with open(CERT, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    r = d.cli("tls", "reload")
    c.check("a broken certificate is refused, with the file named", r.returncode == 1 and
            "reload refused" in r.stderr and "cert.pem" in r.stderr, r.stdout + r.stderr)
    c.check("and the running certificate stays", subject() == "renewed.example.test", subject())
    d.signal(__import__("signal").SIGHUP)
    time.sleep(0.5)
    c.check("SIGHUP with the broken file also keeps the running certificate",
            subject() == "renewed.example.test" and d.proc.poll() is None)

    # --- handshakes -----------------------------------------------------------
    raw = socket.create_connection(("127.0.0.1", TLS_PORT), timeout=5)
    c.check("a connection that never finishes its handshake is closed (tcp.message_timeout 2 s)",
            peer_closed(raw, timeout=5.0))
    raw.close()
    # tls.max_handshakes = 2: two stalled handshakes fill it.
    stalled = [socket.create_connection(("127.0.0.1", TLS_PORT), timeout=5) for _ in range(2)]
    time.sleep(0.3)
    st = d.stats()
    c.check("tls.handshaking shows the two handshakes under way", st.get("tls.handshaking") == 2,
            st.get("tls.handshaking"))
    ok, _, _ = s_client("-tls1_3")
    c.check("a third handshake is refused at accept (tls.max_handshakes)", not ok)
    c.check("and counted in tls.handshake_refused", d.stats().get("tls.handshake_refused", 0) >= 1)
    for s_ in stalled:
        s_.close()
    time.sleep(0.3)
    ok, _, _ = s_client("-tls1_3")
    c.check("once they are gone, handshakes are accepted again",
            ok and d.stats().get("tls.handshaking") == 0, d.stats().get("tls.handshaking"))
    raw = socket.create_connection(("127.0.0.1", TLS_PORT), timeout=5)
    raw.sendall(b"OPTIONS sip:127.0.0.1 SIP/2.0\r\n\r\n")
    c.check("plain SIP on the TLS port is refused (the connection closes)", peer_closed(raw, 5.0))
    raw.close()
    st = d.stats()
    c.check("tls.handshakes and tls.handshake_failed count",
            st.get("tls.handshakes", 0) >= 3 and st.get("tls.handshake_failed", 0) >= 3,
            (st.get("tls.handshakes"), st.get("tls.handshake_failed")))
    alice.sock.close()
    code = d.stop()
    c.check("stops cleanly", code == 0, code)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
finally:
    d.cleanup()

# --- handshake floods and the shield -------------------------------------------
# A second daemon with the shield on: 5 handshakes per source (burst), a
# ban after 3 failed handshakes.
d2 = Daemon(PORT + 3, domains=(DOMAIN,), shield="")
CERT2 = os.path.join(d2.dir, "cert.pem")
KEY2 = os.path.join(d2.dir, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", KEY2, "-out", CERT2, "-days", "2", "-subj", "/CN=localhost"],
               check=True, capture_output=True, timeout=60)
d2.write_config(d2.text.replace(
    'listen = ( ',
    'listen = ( { address = "127.0.0.1"; port = %d; transports = ["tls"]; '
    'tls_cert = "%s"; tls_key = "%s"; },\n' % (PORT + 4, CERT2, KEY2), 1) +
    'shield = { rate = { tls_handshake = { rate = 1; burst = 5; }; };'
    ' ban = { tls_failures = 3; }; };\n')


def handshake_from(src):
    """A full TLS handshake from address src: True if it completed."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.bind((src, 0))
    raw.settimeout(5)
    try:
        raw.connect(("127.0.0.1", PORT + 4))
        t = ctx.wrap_socket(raw)
        t.close()
        return True
    except (ssl.SSLError, OSError):
        return False
    finally:
        raw.close()


def garbage_from(src):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.bind((src, 0))
    raw.settimeout(5)
    try:
        raw.connect(("127.0.0.1", PORT + 4))
        raw.sendall(b"GET / HTTP/1.0\r\n\r\n" * 20)
        return peer_closed(raw, 5.0)
    except OSError:
        return True
    finally:
        raw.close()


try:
    d2.start()
    results = [handshake_from("127.0.0.31") for _ in range(9)]
    c.check("a source gets its 5 handshakes (burst), the rest are refused at accept",
            results[:5] == [True] * 5 and results.count(False) >= 3, results)
    c.check("another source still completes its handshake", handshake_from("127.0.0.32"))
    for _ in range(3):
        garbage_from("127.0.0.30")
    time.sleep(0.3)
    bans = d2.cli("ban", "list").stdout
    c.check("3 failed handshakes get the source banned (tls_failures)",
            "127.0.0.30 tls_failures" in bans, bans)
    c.check("and its next connection is refused before any TLS", not handshake_from("127.0.0.30"))
    st = d2.stats()
    c.check("counters: tls.handshake_failed, shield.bans.tls_failures, shield.rate_limited",
            st.get("tls.handshake_failed", 0) >= 3 and st.get("shield.bans.tls_failures") == 1 and
            st.get("shield.rate_limited", 0) >= 3,
            {k: st.get(k) for k in ("tls.handshake_failed", "shield.bans.tls_failures",
                                     "shield.rate_limited")})
    ev = open(os.path.join(d2.state, "voipshield-events.log")).read()
    c.check("failed handshakes are security events", '"event":"tls_failure"' in ev)
    code = d2.stop()
    c.check("stops cleanly (shield)", code == 0, code)
    c.check("no sanitizer reports (shield)", not d2.sanitizer_reports(), d2.sanitizer_reports())
finally:
    d2.cleanup()
c.finish()
