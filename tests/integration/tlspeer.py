"""Test helpers for SIP over TLS: a private CA that issues certificates
(openssl command), and a TLS SIP peer (a PBX or trunk on Python's ssl
module) that answers what the daemon sends it and records what it saw:
connections, SNI names, client certificates, messages, keep-alives."""
import os
import re
import select
import socket
import ssl
import subprocess
import threading
import time


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60)


class CA:
    """A certificate authority in directory d, issuing P-256 certificates."""

    def __init__(self, d, name="VoIPShield Test CA"):
        self.dir = d
        self.key = os.path.join(d, "ca-key.pem")
        self.cert = os.path.join(d, "ca.pem")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "2",
                 "-subj", "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, name, cn, san=None):
        """A certificate and key for cn with subjectAltName san (for
        example "DNS:pbx.example.test,URI:sip:pbx.example.test"), or
        without one.  Returns (cert path, key path)."""
        key = os.path.join(self.dir, name + "-key.pem")
        csr = os.path.join(self.dir, name + ".csr")
        cert = os.path.join(self.dir, name + ".pem")
        ext = os.path.join(self.dir, name + ".ext")
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + cn)
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n")
            f.write("extendedKeyUsage=serverAuth,clientAuth\n")
            if san:
                f.write("subjectAltName=%s\n" % san)
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                 "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        os.chmod(key, 0o644)  # test keys, read by the daemon after it drops root
        return cert, key


def self_signed(d, name, cn, san=None):
    key = os.path.join(d, name + "-key.pem")
    cert = os.path.join(d, name + ".pem")
    args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + cn]
    if san:
        args += ["-addext", "subjectAltName=" + san]
    _openssl(*args)
    os.chmod(key, 0o644)
    return cert, key


def _header(msg, name):
    m = re.search(rb"\r\n" + name.encode() + rb"\s*:\s*([^\r\n]*)", msg, re.I)
    return m.group(1).decode() if m else ""


class Peer:
    """A SIP server over TLS on host:port, in a thread.  It answers
    INVITE with 100 and 200 (or with `invite_status`), BYE, OPTIONS and
    other requests with 200, ignores ACK, and answers CRLFCRLF with CRLF.
    With ca set it asks for a client certificate and verifies it."""

    def __init__(self, port, cert, key, ca=None, invite_status=200, host="127.0.0.1"):
        self.port = port
        self.host = host
        self.invite_status = invite_status
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sni = []
        self.ctx.sni_callback = lambda s, name, c: self.sni.append(name)
        if ca:
            self.ctx.load_verify_locations(ca)
            self.ctx.verify_mode = ssl.CERT_OPTIONAL
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.lsock.listen(16)
        self.connections = 0     # TCP connections accepted
        self.handshakes = 0      # TLS handshakes completed
        self.client_certs = []   # subject CNs of client certificates
        self.messages = []       # SIP messages received (bytes)
        self.pings = 0           # CRLFCRLF keep-alives received
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def requests(self, method):
        return [m for m in self.messages if m.startswith(method.encode() + b" ")]

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.lsock.close()

    def _reply(self, req, code, reason):
        lines = [b"SIP/2.0 %d %s" % (code, reason.encode())]
        for name in ("Via", "From", "To", "Call-ID", "CSeq", "Record-Route"):
            for m in re.finditer(rb"\r\n(" + name.encode() + rb")\s*:\s*([^\r\n]*)", req, re.I):
                v = m.group(2)
                if name == "To" and code > 100 and b";tag=" not in v:
                    v += b";tag=peer%d" % self.port
                lines.append(m.group(1) + b": " + v)
        if code == 200 and req.startswith(b"INVITE"):
            lines.append(b"Contact: <sip:pbx@%s:%d;transport=tls>" % (self.host.encode(), self.port))
        lines.append(b"Content-Length: 0")
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def _answer(self, msg):
        if msg.startswith(b"SIP/2.0") or msg.startswith(b"ACK "):
            return b""
        if msg.startswith(b"INVITE "):
            out = self._reply(msg, 100, "Trying")
            reason = {200: "OK", 486: "Busy Here"}.get(self.invite_status, "Status")
            return out + self._reply(msg, self.invite_status, reason)
        return self._reply(msg, 200, "OK")

    def _run(self):
        conns = {}
        self.lsock.setblocking(False)
        while not self.stopping:
            r, _, _ = select.select([self.lsock] + list(conns), [], [], 0.1)
            for s in r:
                if s is self.lsock:
                    try:
                        raw, _ = self.lsock.accept()
                    except OSError:
                        continue
                    self.connections += 1
                    raw.settimeout(3)
                    try:
                        t = self.ctx.wrap_socket(raw, server_side=True)
                    except (ssl.SSLError, OSError):
                        raw.close()
                        continue
                    self.handshakes += 1
                    cert = t.getpeercert()
                    if cert:
                        for rdn in cert.get("subject", ()):
                            for k, v in rdn:
                                if k == "commonName":
                                    self.client_certs.append(v)
                    t.setblocking(False)
                    conns[t] = b""
                    continue
                try:
                    data = s.recv(65536)
                except ssl.SSLWantReadError:
                    continue
                except (ssl.SSLError, OSError):
                    data = b""
                if not data:
                    conns.pop(s, None)
                    s.close()
                    continue
                buf = conns[s] + data
                out = b""
                while True:
                    if buf.startswith(b"\r\n\r\n"):
                        self.pings += 1
                        out += b"\r\n"
                        buf = buf[4:]
                        continue
                    if buf.startswith(b"\r\n"):
                        buf = buf[2:]
                        continue
                    end = buf.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    cl = _header(buf[:end + 2], "Content-Length") or "0"
                    total = end + 4 + int(cl)
                    if len(buf) < total:
                        break
                    msg, buf = buf[:total], buf[total:]
                    self.messages.append(msg)
                    out += self._answer(msg)
                conns[s] = buf
                if out:
                    s.setblocking(True)
                    try:
                        s.sendall(out)
                    except OSError:
                        pass
                    s.setblocking(False)
        for s in conns:
            s.close()


def wait_for(pred, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


from sipua import UA  # noqa: E402  (the UA base class of the test suite)


class TLSUA(UA):
    """A SIP UA over TLS (OpenSSL through Python's ssl module): trusts
    cafile, presents cert/key when given (mutual TLS)."""

    def __init__(self, server, port, cafile, cert=None, key=None):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = False  # the test certificates name 127.0.0.1 by IP
        if cert:
            ctx.load_cert_chain(cert, key)
        raw = socket.create_connection((server, port), timeout=5)
        self.sock = ctx.wrap_socket(raw)
        self.server = (server, port)
        self.transport = "TLS"
        self.local = self.sock.getsockname()
        self.host = self.local[0]
        self.callid = "%x@tls" % id(self)
        self.cseq = 0
        self.tag = "%x" % (id(self) & 0xffffff)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, timeout=2.0):
        deadline = time.time() + timeout
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                m = re.search(rb"\r\nContent-Length: *(\d+)", self.buf[:end + 2], re.I)
                total = end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buf) >= total:
                    msg, self.buf = self.buf[:total], self.buf[total:]
                    return msg
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLError):
                return None
            if not chunk:
                return None
            self.buf += chunk
