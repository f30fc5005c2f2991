#!/usr/bin/env python3
"""Registrar and digest authentication against the real daemon: the 401
challenge (SHA-256 and MD5, qop=auth), successful registration with each
algorithm, wrong passwords and unknown users answered alike, nonce-count
replay, stale nonces, the identity binding (403), expiry rules (423,
clamping), several contacts and the cap, Contact: *, CSeq ordering,
retransmissions absorbed by the server transaction, TCP, Path, and
bindings that survive kill -9 while expired ones do not, and a binding the
store refuses answered 500 and not kept in memory.  Ports 5130-5131."""
import base64
import hashlib
import hmac
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN
from sipua import UA, authorization, header, headers, parse_challenge, status

PORT = 5130
DOMAIN = "example.test"
c = Checks("registrar")

CONF = ('auth = { realm = "example.test"; };\n'
        'registrar = { min_expires = 2; max_expires = 600; default_expires = 300; max_contacts = 3; };\n')




def contacts(msg):
    return headers(msg, "Contact")


def reg_with(ua, user, pw, contact=None, expires=None, extra="", algo=None):
    r, _ = ua.register(user, pw, DOMAIN, contact=contact, expires=expires, extra=extra, algo=algo)
    return r


d = Daemon(PORT, extra=CONF, domains=(DOMAIN, "localhost"))
try:
    d.start()
    c.check("user add alice and bob", d.add_user("alice", "alice-secret-1") and
            d.add_user("bob", "bob-secret-22"))

    ua = UA("127.0.0.1", PORT)
    # The challenge.
    ua.send(ua.request("REGISTER", "sip:" + DOMAIN, "sip:alice@%s" % DOMAIN,
                       "Contact: <sip:alice@127.0.0.1:%d>\r\n" % ua.local[1]))
    ch_msg = ua.recv_final()
    chs = [parse_challenge(v) for v in headers(ch_msg, "WWW-Authenticate")]
    c.check("REGISTER without credentials gets 401", status(ch_msg) == 401)
    c.check("the challenge offers SHA-256 first, then MD5, qop=auth, our realm",
            [x.get("algorithm") for x in chs] == ["SHA-256", "MD5"] and
            all(x.get("qop") == "auth" and x.get("realm") == DOMAIN for x in chs), chs)

    r = reg_with(ua, "alice", "alice-secret-1", expires=120, algo="SHA-256")
    c.check("SHA-256 credentials register: 200 lists the contact with its expiry",
            status(r) == 200 and any("expires=120" in x or "expires=119" in x for x in contacts(r)),
            r)
    ua_md5 = UA("127.0.0.1", PORT)
    r = reg_with(ua_md5, "alice", "alice-secret-1", expires=120, algo="MD5")
    c.check("MD5 credentials register too; both contacts are listed",
            status(r) == 200 and len(contacts(r)) == 2, r)

    # Wrong password and unknown user: the same answer.
    r_wrong = reg_with(UA("127.0.0.1", PORT), "alice", "not-the-password", expires=60)
    r_unknown = reg_with(UA("127.0.0.1", PORT), "mallory", "whatever-pass", expires=60)

    def shape(m):
        names = [l.split(b":")[0] for l in m.split(b"\r\n")[1:] if b":" in l]
        return status(m), names, len(headers(m, "WWW-Authenticate"))
    c.check("a wrong password gets a new 401 challenge", status(r_wrong) == 401)
    c.check("an unknown user gets exactly the same kind of answer",
            r_unknown is not None and shape(r_unknown) == shape(r_wrong),
            (r_unknown, r_wrong))

    # Nonce-count replay: the same Authorization in a new transaction.
    u2 = UA("127.0.0.1", PORT)
    u2.send(u2.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN))
    ch = parse_challenge(headers(u2.recv_final(), "WWW-Authenticate")[0])
    auth = authorization(ch, "bob", "bob-secret-22", "REGISTER", "sip:" + DOMAIN, nc=1,
                         cnonce="fixedcnonce")
    u2.send(u2.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN, auth))
    first = u2.recv_final()
    u2.send(u2.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN, auth))
    again = u2.recv_final()
    c.check("a replayed nonce-count is refused with a fresh challenge",
            status(first) == 200 and status(again) == 401, (first, again))
    auth2 = authorization(ch, "bob", "bob-secret-22", "REGISTER", "sip:" + DOMAIN, nc=2)
    u2.send(u2.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN, auth2))
    c.check("the next nonce-count on the same nonce is accepted",
            status(u2.recv_final()) == 200)

    # A stale nonce, made with the server's own secret (we are root and
    # can read it): the password is right but the nonce is old.
    try:
        secret = open(os.path.join(d.state, "voipshield-auth.key"), "rb").read()
        head = struct.pack(">QQ", int(time.time()) - 4000, 12345)
        mac = hmac.new(secret, head + DOMAIN.encode(), hashlib.sha256).digest()[:16]
        old_nonce = base64.urlsafe_b64encode(head + mac).rstrip(b"=").decode()
        chs_old = dict(ch, nonce=old_nonce)
        u2.send(u2.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN,
                           authorization(chs_old, "bob", "bob-secret-22", "REGISTER",
                                         "sip:" + DOMAIN)))
        m = u2.recv_final()
        c.check("an expired nonce with the right password gets 401 stale=true",
                status(m) == 401 and "stale=true" in (header(m, "WWW-Authenticate") or ""), m)
        u2.send(u2.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN,
                           authorization(chs_old, "bob", "wrong-password", "REGISTER",
                                         "sip:" + DOMAIN)))
        m = u2.recv_final()
        c.check("an expired nonce with a wrong password gets 401 without stale",
                status(m) == 401 and "stale" not in (header(m, "WWW-Authenticate") or ""), m)
    except OSError as e:
        c.check("stale nonce test could read the server secret", False, e)

    # Identity: alice may not register bob's address.
    u3 = UA("127.0.0.1", PORT)
    u3.send(u3.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN))
    ch = parse_challenge(headers(u3.recv_final(), "WWW-Authenticate")[0])
    u3.send(u3.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN,
                       "Contact: <sip:evil@127.0.0.1:9>\r\n" +
                       authorization(ch, "alice", "alice-secret-1", "REGISTER", "sip:" + DOMAIN)))
    c.check("alice's credentials for bob's address of record get 403",
            status(u3.recv_final()) == 403)

    # Expiry rules.
    u4 = UA("127.0.0.1", PORT)
    r = reg_with(u4, "bob", "bob-secret-22", expires=1)
    c.check("expires below min_expires gets 423 with Min-Expires",
            status(r) == 423 and header(r, "Min-Expires") == "2", r)
    r = reg_with(u4, "bob", "bob-secret-22", expires=100000)
    c.check("expires above max_expires is shortened to it",
            status(r) == 200 and any("expires=600" in x or "expires=599" in x for x in contacts(r)), r)

    # Several contacts in one REGISTER, the cap, and removal.
    u5 = UA("127.0.0.1", PORT)
    r = reg_with(u5, "bob", "bob-secret-22",
                 contact="<sip:bob@127.0.0.1:7001>, <sip:bob@127.0.0.1:7002>;q=0.5", expires=60)
    c.check("two contacts in one REGISTER are both bound (with q)",
            status(r) == 200 and len(contacts(r)) == 3 and any("q=0.500" in x for x in contacts(r)), r)
    r = reg_with(u5, "bob", "bob-secret-22", contact="<sip:bob@127.0.0.1:7003>", expires=60)
    c.check("a fourth contact over max_contacts = 3 gets 403", status(r) == 403, r)
    r = reg_with(u5, "bob", "bob-secret-22", contact="<sip:bob@127.0.0.1:7001>;expires=0")
    c.check("expires=0 removes one contact", status(r) == 200 and len(contacts(r)) == 2, r)
    r = reg_with(u5, "bob", "bob-secret-22", contact="*")
    c.check("Contact: * without Expires: 0 gets 400", status(r) == 400, r)
    r = reg_with(u5, "bob", "bob-secret-22", contact="*", expires=0)
    c.check("Contact: * with Expires: 0 removes every binding",
            status(r) == 200 and contacts(r) == [], r)

    # CSeq ordering (RFC 3261 10.3 step 6) within one Call-ID.
    u6 = UA("127.0.0.1", PORT)
    r = reg_with(u6, "bob", "bob-secret-22", expires=60)
    u6.cseq = 0  # the authenticated retry reuses CSeq 2, already bound
    r2 = reg_with(u6, "bob", "bob-secret-22", expires=60)
    c.check("a CSeq not above the bound one (same Call-ID) gets 500", status(r) == 200 and status(r2) == 500,
            r2)

    # Retransmission: the same request twice gets the same response once
    # processed.
    before = d.stats()
    u7 = UA("127.0.0.1", PORT)
    u7.send(u7.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN))
    ch = parse_challenge(headers(u7.recv_final(), "WWW-Authenticate")[0])
    req = u7.request("REGISTER", "sip:" + DOMAIN, "sip:bob@%s" % DOMAIN,
                     "Contact: <sip:bob@127.0.0.1:7010>\r\nExpires: 60\r\n" +
                     authorization(ch, "bob", "bob-secret-22", "REGISTER", "sip:" + DOMAIN))
    u7.send(req)
    a1 = u7.recv_final()
    u7.send(req)
    a2 = u7.recv_final()
    after = d.stats()
    c.check("a retransmitted REGISTER gets the same 200 again", status(a1) == 200 and a1 == a2)
    c.check("the retransmission is absorbed by the transaction, not processed again",
            after.get("tsx.retransmissions_absorbed", 0) > before.get("tsx.retransmissions_absorbed", 0)
            and after.get("auth.ok", 0) - before.get("auth.ok", 0) == 1,
            (before, after))

    # TCP, and Path.
    ut = UA("127.0.0.1", PORT, transport="TCP")
    r = reg_with(ut, "alice", "alice-secret-1", expires=60,
                 extra="Path: <sip:edge.example.test;lr>\r\nSupported: path\r\n")
    c.check("REGISTER over TCP works and the Path is echoed",
            status(r) == 200 and header(r, "Path") == "<sip:edge.example.test;lr>", r)
    ut.close()

    # To in a domain that is not ours.
    u8 = UA("127.0.0.1", PORT)
    u8.send(u8.request("REGISTER", "sip:" + DOMAIN, "sip:alice@elsewhere.example"))
    ch = parse_challenge(headers(u8.recv_final(), "WWW-Authenticate")[0])
    u8.send(u8.request("REGISTER", "sip:" + DOMAIN, "sip:alice@elsewhere.example",
                       authorization(ch, "alice", "alice-secret-1", "REGISTER", "sip:" + DOMAIN)))
    c.check("an address of record in another domain gets 404", status(u8.recv_final()) == 404)

    # A short registration, then kill -9: the live ones come back, the
    # expired one does not.
    u9 = UA("127.0.0.1", PORT)
    r = reg_with(u9, "bob", "bob-secret-22", contact="<sip:bob@127.0.0.1:7020>", expires=2)
    c.check("a 2 s registration is accepted", status(r) == 200, r)
    # A nonce from before the restart: its nonce-count record dies with
    # the process, so afterwards it must count as stale.
    u10 = UA("127.0.0.1", PORT)
    u10.send(u10.request("REGISTER", "sip:" + DOMAIN, "sip:alice@%s" % DOMAIN))
    old_ch = parse_challenge(headers(u10.recv_final(), "WWW-Authenticate")[0])
    d.proc.kill()
    d.proc.wait()
    time.sleep(2.5)
    d.start()
    u10.send(u10.request("REGISTER", "sip:" + DOMAIN, "sip:alice@%s" % DOMAIN,
                         "Contact: <sip:alice@127.0.0.1:7030>\r\nExpires: 60\r\n" +
                         authorization(old_ch, "alice", "alice-secret-1", "REGISTER", "sip:" + DOMAIN)))
    r = u10.recv_final()
    c.check("a nonce issued before a restart is stale afterwards (401, stale=true): "
            "no replay through a lost nonce-count table",
            status(r) == 401 and any(parse_challenge(v).get("stale", "").lower() == "true"
                                     for v in headers(r, "WWW-Authenticate")), r)
    q = reg_with(UA("127.0.0.1", PORT), "alice", "alice-secret-1", contact="")
    c.check("after kill -9 and restart alice's three bindings are back",
            status(q) == 200 and len(contacts(q)) == 3, q)
    q = reg_with(UA("127.0.0.1", PORT), "bob", "bob-secret-22", contact="")
    c.check("bob's expired binding is gone, the live ones are back",
            status(q) == 200 and not any("7020" in x for x in contacts(q)) and
            any("7010" in x for x in contacts(q)), q)
    # A registration the store refuses (SQLite itself, by a trigger on
    # bob's bindings): 500, and the binding is not kept in memory either,
    # so calls do not reach a phone that was told it is not registered.
    import sqlite3
    db = sqlite3.connect(os.path.join(d.state, "voipshield.db"))
    db.execute("CREATE TRIGGER refuse_bob BEFORE INSERT ON bindings "
               "WHEN NEW.aor = 'bob@example.test' BEGIN SELECT RAISE(ABORT, 'refused'); END")
    db.commit()
    r = reg_with(UA("127.0.0.1", PORT), "bob", "bob-secret-22", contact="<sip:bob@127.0.0.1:7040>",
                 expires=60)
    c.check("a binding the store refuses gets 500", status(r) == 500, r)
    q = reg_with(UA("127.0.0.1", PORT), "bob", "bob-secret-22", contact="")
    c.check("... and is not kept in memory: bob's bindings are as before",
            status(q) == 200 and not any("7040" in x for x in contacts(q)) and
            any("7010" in x for x in contacts(q)), q)
    first = contacts(reg_with(UA("127.0.0.1", PORT), "alice", "alice-secret-1", contact=""))[0]
    r = reg_with(UA("127.0.0.1", PORT), "alice", "alice-secret-1", contact=first.split(">")[0] + ">",
                 expires=60)
    c.check("other users still register while bob's are refused", status(r) == 200, r)
    db.execute("DROP TRIGGER refuse_bob")
    db.commit()
    db.close()
    r = reg_with(UA("127.0.0.1", PORT), "bob", "bob-secret-22", contact="<sip:bob@127.0.0.1:7040>",
                 expires=60)
    c.check("once the store takes it again, the same REGISTER gets 200",
            status(r) == 200 and any("7040" in x for x in contacts(r)), r)
    c.check("the refused write is counted (registrar.store_errors)",
            d.stats().get("registrar.store_errors", 0) >= 1, d.stats())
    st = d.stats()
    c.check("counters: challenges, failures, replays, saves",
            st.get("auth.challenges", 0) >= 1 and st.get("registrar.bindings_saved", 0) >= 0, st)
    rc = d.stop()
    c.check("SIGTERM: exit status 0", rc == 0, rc)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
except Exception as e:
    import traceback
    c.check("test ran to the end", False, traceback.format_exc() + "\n" + d.stderr()[-3000:])
finally:
    d.cleanup()

# A full transaction table: 503 with Retry-After, and the table stays at
# its cap (transactions.max = 64, the smallest allowed).
full = Daemon(PORT + 1, extra='transactions = { max = 64; };\n', domains=(DOMAIN,))
try:
    full.start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.5)
    port = s.getsockname()[1]
    for i in range(150):
        s.sendto(("REGISTER sip:%s SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKfull%d;rport\r\n"
                  "Max-Forwards: 70\r\nFrom: <sip:u%d@%s>;tag=f%d\r\nTo: <sip:u%d@%s>\r\n"
                  "Call-ID: full%d@x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
                  % (DOMAIN, port, i, i, DOMAIN, i, i, DOMAIN, i)).encode(),
                 ("127.0.0.1", PORT + 1))
    answers = []
    while True:
        try:
            answers.append(s.recv(65535))
        except socket.timeout:
            break
    codes = [status(a) for a in answers]
    busy = [a for a in answers if status(a) == 503]
    c.check("with transactions.max = 64, 150 new REGISTERs get 401 up to the cap "
            "and 503 beyond it (%d x 401, %d x 503)" % (codes.count(401), len(busy)),
            len(answers) == 150 and codes.count(401) <= 64 and len(busy) >= 150 - 64, codes)
    c.check("the 503 says when to come back (Retry-After)",
            bool(busy) and all(header(b, "Retry-After") for b in busy))
    st = full.stats()
    c.check("the table never grew past its cap (tsx.open %s, tsx.table_full %s)"
            % (st.get("tsx.open"), st.get("tsx.table_full")),
            st.get("tsx.open", 999) <= 64 and st.get("tsx.table_full", 0) >= 150 - 64)
    c.check("SIGTERM: exit status 0 (full table)", full.stop() == 0)
    c.check("no sanitizer reports (full table)", not full.sanitizer_reports(),
            full.sanitizer_reports())
except Exception:
    import traceback
    c.check("full-table test ran to the end", False, traceback.format_exc() + full.stderr()[-2000:])
finally:
    full.cleanup()
c.finish()
