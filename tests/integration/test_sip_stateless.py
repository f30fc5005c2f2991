#!/usr/bin/env python3
"""The stateless server over UDP (IPv4 and IPv6): what each kind of request
gets back, that malformed requests get a 400 naming the problem when they
can be answered and are dropped and counted otherwise, and that a 64 KB
datagram is handled."""
import sys
import os
import socket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import (Checks, Daemon, sip_request, status_of, udp_exchange)

PORT = 5091
c = Checks("sip_stateless")
d = Daemon(PORT)
try:
    d.start()

    def ask(payload, host="127.0.0.1"):
        """The final response (an INVITE first gets 100 Trying)."""
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(2.0)
        try:
            s.sendto(payload, (host, PORT))
            while True:
                m = s.recv(70000)
                if not m.startswith(b"SIP/2.0 1"):
                    return m
        except socket.timeout:
            return None
        finally:
            s.close()

    r = ask(sip_request(ruri="sip:127.0.0.1"))
    st, reason = status_of(r)
    c.check("OPTIONS to the server gets 200", st == 200, r)
    for hdr in (b"Allow: OPTIONS", b"Accept: application/sdp", b"Supported:",
                b"Content-Length: 0", b";received=127.0.0.1", b";rport="):
        c.check("200 carries %s" % hdr.decode(), hdr in (r or b""))
    c.check("200 adds a To tag", b"To: <sip:127.0.0.1>;tag=" in (r or b""))
    c.check("OPTIONS over IPv6 gets 200",
            status_of(ask(sip_request(ruri="sip:[::1]", via_host="[::1]:5999"), "::1"))[0] == 200)
    c.check("OPTIONS to a configured domain gets 200",
            status_of(ask(sip_request(ruri="sip:LOCALHOST")))[0] == 200)
    c.check("OPTIONS with Max-Forwards 0 to us is still answered (RFC 3261 11.2)",
            status_of(ask(sip_request(max_forwards=0)))[0] == 200)
    c.check("INVITE with Max-Forwards 0 gets 483",
            status_of(ask(sip_request("INVITE", max_forwards=0)))[0] == 483)
    r = ask(sip_request("SUBSCRIBE"))
    c.check("SUBSCRIBE (not served) gets 405 with Allow listing REGISTER",
            status_of(r)[0] == 405 and b"Allow: OPTIONS, REGISTER" in (r or b""))
    c.check("REGISTER without credentials gets 401",
            status_of(ask(sip_request("REGISTER")))[0] == 401)
    c.check("an unknown method gets 501",
            status_of(ask(sip_request("FOOBAR")))[0] == 501)
    c.check("an INVITE from an unknown source, even for another domain, is challenged (407)",
            status_of(ask(sip_request("INVITE", ruri="sip:bob@elsewhere.example")))[0] == 407)
    c.check("a stray CANCEL gets 481",
            status_of(ask(sip_request("CANCEL")))[0] == 481)
    c.check("an ACK gets no answer", ask(sip_request("ACK")) is None)
    r = ask(sip_request(extra="Require: 100rel, foo\r\n"))
    c.check("Require with unknown tags gets 420 listing them",
            status_of(r)[0] == 420 and b"Unsupported: 100rel, foo" in (r or b""))
    c.check("Proxy-Require gets 420",
            status_of(ask(sip_request("INVITE", extra="Proxy-Require: x\r\n")))[0] == 420)
    c.check("SIP/3.0 gets 505",
            status_of(ask(sip_request().replace(b"sip:127.0.0.1 SIP/2.0", b"sip:127.0.0.1 SIP/3.0")))[0] == 505)
    c.check("an http: Request-URI gets 416",
            status_of(ask(sip_request(ruri="http://example.com/")))[0] == 416)
    c.check("a 2 KB Request-URI gets 414",
            status_of(ask(sip_request().replace(
                b"OPTIONS sip:127.0.0.1 ", b"OPTIONS sip:" + b"a" * 2000 + b"@127.0.0.1 ")))[0] == 414)
    st, reason = status_of(ask(sip_request(extra="Max-Forwards: 70\r\n")))
    c.check("a duplicate Max-Forwards gets 400 naming it",
            st == 400 and "Max-Forwards" in reason, reason)
    st, reason = status_of(ask(sip_request(cseq_method="INVITE")))
    c.check("a CSeq method mismatch gets 400 naming it", st == 400 and "CSeq" in reason, reason)
    st, reason = status_of(ask(sip_request().replace(b"Content-Length: 0", b"Content-Length: 50")))
    c.check("Content-Length beyond the datagram gets 400", st == 400 and "Content-Length" in reason, reason)
    st, reason = status_of(ask(sip_request().replace(
        b"OPTIONS sip:127.0.0.1 ", b"OPTIONS sip:127.0.0.1;transport ")))
    c.check("a malformed Request-URI gets 400", st == 400 and "Request-URI" in reason, reason)

    before = d.stats()
    c.check("a request without Via is dropped silently",
            ask(b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
                b"Call-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", ) is None)
    c.check("garbage is dropped silently", ask(b"\x16\x03\x01\x00\xa5garbage\r\n\r\n") is None)
    c.check("a NUL byte in a header is dropped",
            ask(sip_request().replace(b"Max-Forwards: 70", b"Max-Forwards: 7\x000")) is None)
    c.check("a stray response is not answered",
            ask(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1\r\n"
                b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
                b"Content-Length: 0\r\n\r\n") is None)
    after = d.stats()
    c.check("drops are counted by reason",
            after.get("parse_error.missing_header", 0) > before.get("parse_error.missing_header", 0)
            and after.get("parse_error.control_char", 0) > before.get("parse_error.control_char", 0)
            and after.get("drop.stray_response", 0) > before.get("drop.stray_response", 0)
            and after.get("drop.malformed", 0) >= before.get("drop.malformed", 0) + 3,
            {k: v for k, v in after.items() if v})
    c.check("CRLF keep-alives are counted, not parsed",
            ask(b"\r\n\r\n") is None and d.stats().get("keepalive", 0) >= 1)

    big = sip_request(body="v=0\r\n" + "a=x:" + "y" * 60000 + "\r\n",
                      extra="Content-Type: application/sdp\r\n")
    r = ask(big)
    c.check("a %d-byte datagram is parsed and answered" % len(big), status_of(r)[0] == 200)

    rc = d.stop()
    c.check("SIGTERM: exit status 0", rc == 0, rc)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
except Exception as e:  # report, don't hide
    c.check("test ran to the end", False, repr(e) + "\n" + d.stderr()[-3000:])
finally:
    d.cleanup()
c.finish()
