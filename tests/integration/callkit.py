"""Hand-driven SIP calls for the integration tests: building requests with
full control over every dialog field, answering them as a UAS, matching
what comes back, and a caller (class Call) that authenticates, ACKs, keeps
the route set and sends in-dialog requests."""
import random
import re
import time

from sipua import authorization, header, headers, parse_challenge, status


def new_branch():
    return "z9hG4bK%012x" % random.getrandbits(48)


def build(ua, method, ruri, frm, to, callid, cseq, branch=None, extra="", mf=70,
          cseq_method=None, extra_vias=()):
    """A request from ua with full control over every dialog field."""
    branch = branch or new_branch()
    vias = ["Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (ua.host, ua.local[1], branch)]
    vias += ["Via: " + v for v in extra_vias]
    lines = ["%s %s SIP/2.0" % (method, ruri)] + vias + [
        "Max-Forwards: %d" % mf, "From: %s" % frm, "To: %s" % to, "Call-ID: %s" % callid,
        "CSeq: %d %s" % (cseq, cseq_method or method)]
    return ("\r\n".join(lines) + "\r\n" + extra + "Content-Length: 0\r\n\r\n").encode()


def branch_of(msg, n=0):
    vs = re.findall(rb"(?im)^Via:[^\r\n]*?branch=([^;,\s]+)", msg or b"")
    return vs[n].decode() if len(vs) > n else None


def vias(msg):
    return headers(msg, "Via")


def callid_of(msg):
    return header(msg, "Call-ID")


def cseq_of(msg):
    v = header(msg, "CSeq") or ""
    p = v.split()
    return (int(p[0]), p[1]) if len(p) == 2 else (None, None)


def ruri_of(msg):
    return msg.split(b"\r\n", 1)[0].split()[1].decode() if msg else None


def rr_uris(msg):
    """Record-Route URIs in order (each as <...>)."""
    return re.findall(r"<[^>]+>", ",".join(headers(msg, "Record-Route")))


def contact_uri(msg):
    v = header(msg, "Contact") or ""
    m = re.search(r"<([^>]+)>", v)
    return m.group(1) if m else v.strip()


def response(req, code, reason, totag, contact=None):
    """A UAS response to req: Via, From, To (+tag), Call-ID and CSeq copied;
    Record-Route copied into 18x and 2xx (RFC 3261 12.1.1)."""
    out = [b"SIP/2.0 %d %s" % (code, reason.encode())]
    for line in req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name = line.split(b":", 1)[0].strip().lower()
        if name in (b"via", b"from", b"call-id", b"cseq"):
            out.append(line)
        elif name == b"to":
            if b"tag=" not in line and code > 100:
                line += b";tag=" + totag.encode()
            out.append(line)
        elif name == b"record-route" and 100 < code < 300:
            out.append(line)
    if contact and 100 < code < 300:
        out.append(b"Contact: <" + contact.encode() + b">")
    return b"\r\n".join(out) + b"\r\nContent-Length: 0\r\n\r\n"


def recv_match(ua, pred, timeout=1.5):
    """The first message within timeout that pred accepts; others are
    skipped (retransmissions, stale messages of earlier calls)."""
    end = time.time() + timeout
    while time.time() < end:
        m = ua.recv(max(0.02, end - time.time()))
        if m is None:
            return None
        if pred(m):
            return m
    return None


def collect(ua, window, pred=lambda m: True):
    """Every message for window seconds that pred accepts."""
    out = []
    end = time.time() + window
    while time.time() < end:
        m = ua.recv(max(0.02, end - time.time()))
        if m is None:
            break
        if pred(m):
            out.append(m)
    return out


def is_req(method, callid):
    return lambda m: m.startswith(method.encode() + b" ") and callid_of(m) == callid


def is_resp(callid, method="INVITE", final=False):
    def pred(m):
        if not m.startswith(b"SIP/2.0 ") or callid_of(m) != callid or cseq_of(m)[1] != method:
            return False
        return not final or status(m) >= 200
    return pred


def drain(*uas):
    for u in uas:
        while u.recv(0.01) is not None:
            pass


# --- the caller ------------------------------------------------------------

class Call:
    """One call from ua: INVITE, 407, authenticated INVITE, ACK, CANCEL, BYE."""

    def __init__(self, ua, user, target, domain, password, from_user=None):
        self.ua = ua
        self.user = user
        self.password = password
        self.target = target
        self.callid = "%x@%s" % (random.getrandbits(64), ua.local[0])
        self.frm = "<sip:%s@%s>;tag=%x" % (from_user or user, domain, random.getrandbits(32))
        self.to = "<%s>" % target
        self.cseq = 0
        self.contact = "Contact: <sip:%s@%s:%d>\r\n" % (user, ua.host, ua.local[1])
        self.invite = None
        self.branch = None
        self.route = []       # our route set (reversed Record-Route)
        self.remote = None    # remote target (the 2xx Contact)
        self.remote_to = None

    def send_invite(self, extra=""):
        self.cseq += 1
        self.branch = new_branch()
        self.invite = build(self.ua, "INVITE", self.target, self.frm, self.to, self.callid,
                            self.cseq, self.branch, self.contact + extra)
        self.ua.send(self.invite)

    def ack_error(self, resp):
        """ACK for a non-2xx final response: the INVITE's branch (17.1.1.3)."""
        self.ua.send(build(self.ua, "ACK", self.target, self.frm, header(resp, "To"),
                           self.callid, self.cseq, self.branch))

    def challenge(self):
        """Unauthenticated INVITE: returns (first message, final response)."""
        self.send_invite()
        first = recv_match(self.ua, is_resp(self.callid))
        final = first if first is not None and status(first) >= 200 else \
            recv_match(self.ua, is_resp(self.callid, final=True))
        if final is not None:
            self.ack_error(final)
        return first, final

    def authed_invite(self, ch_resp, algo="SHA-256", password=None):
        chs = [parse_challenge(v) for v in headers(ch_resp, "Proxy-Authenticate")]
        ch = [x for x in chs if x.get("algorithm") == algo][0]
        self.send_invite(authorization(ch, self.user, password or self.password, "INVITE",
                                       self.target, header_name="Proxy-Authorization"))

    def start(self):
        """Challenge, then the authenticated INVITE; returns the 407."""
        _, r = self.challenge()
        if status(r) == 407:
            self.authed_invite(r)
        return r

    def final(self, timeout=2.0):
        r = recv_match(self.ua, is_resp(self.callid, final=True), timeout)
        if r is not None and status(r) >= 300:
            self.ack_error(r)
        return r

    def established(self, ok):
        """Dialog state from the 2xx (RFC 3261 12.1.2)."""
        self.route = list(reversed(rr_uris(ok)))
        self.remote = contact_uri(ok)
        self.remote_to = header(ok, "To")

    def ack(self, cseq=None, body=None):
        """ACK for the 2xx along the route set (with SDP: a late offer's
        answer); returns what was sent."""
        m = build(self.ua, "ACK", self.remote, self.frm, self.remote_to, self.callid,
                  self.cseq if cseq is None else cseq,
                  extra="".join("Route: %s\r\n" % r for r in self.route))
        if body is not None:
            m = with_body(m, body)
        self.ua.send(m)
        return m

    def in_dialog(self, method, cseq=None, route=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        route = self.route if route is None else route
        extra = "".join("Route: %s\r\n" % r for r in route)
        m = build(self.ua, method, self.remote, self.frm, self.remote_to, self.callid, cseq,
                  extra=extra)
        self.ua.send(m)
        return m

    def cancel(self):
        """CANCEL of the last INVITE (RFC 3261 9.1): same Request-URI,
        branch, From, To, Call-ID and CSeq number."""
        self.ua.send(build(self.ua, "CANCEL", self.target, self.frm, self.to, self.callid,
                           self.cseq, self.branch))


def hang_up(caller, callee, call, totag="x"):
    """call (established from caller) ends: its BYE through the proxy, the
    callee's 200, and the caller's copy of it."""
    call.in_dialog("BYE")
    bye = recv_match(callee, is_req("BYE", call.callid), 2.0)
    if bye:
        callee.send(response(bye, 200, "OK", totag))
    return recv_match(caller, is_resp(call.callid, "BYE", final=True), 2.0)


def with_body(msg, body):
    """msg (built with Content-Length: 0) carrying an SDP body instead."""
    return msg.replace(b"Content-Length: 0\r\n\r\n",
                       b"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
                       % (len(body), body.encode()))


class SdpCall(Call):
    """A Call whose INVITEs carry the SDP offer in self.body."""
    body = ""

    def send_invite(self, extra=""):
        self.cseq += 1
        self.branch = new_branch()
        self.invite = with_body(build(self.ua, "INVITE", self.target, self.frm, self.to,
                                      self.callid, self.cseq, self.branch,
                                      self.contact + extra), self.body)
        self.ua.send(self.invite)
