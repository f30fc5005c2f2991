"""A small SIP user agent for integration tests: REGISTER (and later other
requests) over UDP or TCP with digest authentication (RFC 7616: MD5,
SHA-256, SHA-512-256, qop=auth), written from the RFCs so that it checks
the daemon independently of the daemon's own code."""
import hashlib
import os
import random
import re
import socket
import time

from vstest import tcp_read_messages

ALGOS = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def H(algo, text):
    return hashlib.new(ALGOS[algo], text.encode()).hexdigest()


def header(msg, name):
    """First value of a header (by full name), or None."""
    m = re.search(rb"(?im)^" + name.encode() + rb"\s*:\s*([^\r\n]*)", msg or b"")
    return m.group(1).decode() if m else None


def headers(msg, name):
    return [v.decode() for v in re.findall(rb"(?im)^" + name.encode() + rb"\s*:\s*([^\r\n]*)", msg or b"")]


def status(msg):
    m = re.match(rb"SIP/2\.0 (\d{3})", msg or b"")
    return int(m.group(1)) if m else None


def parse_challenge(value):
    """Digest realm="x", nonce="y", algorithm=Z, qop="auth" -> dict."""
    assert value.startswith("Digest ")
    out = {}
    for m in re.finditer(r'(\w+)=("([^"]*)"|[^,\s]+)', value[7:]):
        out[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return out


def authorization(ch, user, password, method, uri, nc=1, cnonce=None, algo=None,
                  header_name="Authorization"):
    algo = algo or ch.get("algorithm", "MD5")
    cnonce = cnonce or "%016x" % random.getrandbits(64)
    ha1 = H(algo, "%s:%s:%s" % (user, ch["realm"], password))
    ha2 = H(algo, "%s:%s" % (method, uri))
    ncs = "%08x" % nc
    resp = H(algo, "%s:%s:%s:%s:auth:%s" % (ha1, ch["nonce"], ncs, cnonce, ha2))
    return ('%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=%s, qop=auth, nc=%s, cnonce="%s"\r\n'
            % (header_name, user, ch["realm"], ch["nonce"], uri, resp, algo, ncs, cnonce))


class UA:
    """One SIP endpoint bound to a local port, talking to one server."""

    def __init__(self, server, port, transport="UDP", local_port=0, host="127.0.0.1"):
        self.server = (server, port)
        self.transport = transport
        fam = socket.AF_INET6 if ":" in server else socket.AF_INET
        if transport == "UDP":
            self.sock = socket.socket(fam, socket.SOCK_DGRAM)
            self.sock.bind((host, local_port))
        else:
            self.sock = socket.socket(fam, socket.SOCK_STREAM)
            self.sock.bind((host, local_port))
            self.sock.connect(self.server)
        self.local = self.sock.getsockname()
        self.host = "[%s]" % self.local[0] if ":" in self.local[0] else self.local[0]
        self.callid = "%x@%s" % (random.getrandbits(64), self.local[0])
        self.cseq = 0
        self.tag = "%x" % random.getrandbits(32)

    def close(self):
        self.sock.close()

    def send(self, data):
        if self.transport == "UDP":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def recv(self, timeout=2.0):
        if self.transport == "UDP":
            self.sock.settimeout(timeout)
            try:
                return self.sock.recv(70000)
            except socket.timeout:
                return None
        msgs = tcp_read_messages(self.sock, 1, timeout)
        return msgs[0] if msgs else None

    def recv_final(self, timeout=3.0):
        """Skip provisional responses; the first final one (or None)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.recv(max(0.05, deadline - time.time()))
            if m is None:
                return None
            if m.startswith(b"SIP/2.0 1"):
                continue
            return m
        return None

    def request(self, method, ruri, to, extra="", body="", branch=None, cseq=None,
                from_uri=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = branch or "z9hG4bK%x" % random.getrandbits(48)
        from_uri = from_uri or to
        msg = ("%s %s SIP/2.0\r\n"
               "Via: SIP/2.0/%s %s:%d;branch=%s;rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <%s>;tag=%s\r\n"
               "To: <%s>\r\n"
               "Call-ID: %s\r\n"
               "CSeq: %d %s\r\n"
               "%s"
               "Content-Length: %d\r\n\r\n%s"
               % (method, ruri, self.transport, self.host, self.local[1], branch,
                  from_uri, self.tag, to, self.callid, cseq, method, extra,
                  len(body.encode()), body))
        return msg.encode()

    def register(self, user, password, domain, contact=None, expires=None,
                 algo=None, extra="", ruri=None):
        """REGISTER, answer the challenge; returns (final response, challenge
        response).  algo picks which offered algorithm to answer."""
        ruri = ruri or "sip:%s" % domain
        aor = "sip:%s@%s" % (user, domain)
        contact = contact if contact is not None else \
            "<sip:%s@%s:%d;transport=%s>" % (user, self.host, self.local[1], self.transport.lower())
        hdrs = extra
        if contact:
            hdrs += "Contact: %s\r\n" % contact
        if expires is not None:
            hdrs += "Expires: %d\r\n" % expires
        self.send(self.request("REGISTER", ruri, aor, hdrs))
        first = self.recv_final()
        if status(first) != 401:
            return first, None
        chs = [parse_challenge(v) for v in headers(first, "WWW-Authenticate")]
        ch = chs[0]
        if algo:
            ch = [c for c in chs if c.get("algorithm") == algo][0]
        self.send(self.request("REGISTER", ruri, aor,
                               hdrs + authorization(ch, user, password, "REGISTER", ruri)))
        return self.recv_final(), first
