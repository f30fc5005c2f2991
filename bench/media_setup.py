#!/usr/bin/env python3
"""Sets up CALLS relayed calls for bench/media_vs_rtpengine.sh and writes
the spec that bench/rtp_load reads (one line per call:
A_PORT RELAY_A A_TX A_RX B_PORT RELAY_B B_TX B_RX, keys as SUITE:base64,
"-" for plain RTP).

  media_setup.py vs   MODE CALLS PHONE_BASE SPEC SIP_PORT UAS_PORT
  media_setup.py rtpe MODE CALLS PHONE_BASE SPEC NG_PORT

MODE: rtp-rtp (both phones plain), rtp-srtp (A plain, B SRTP), srtp-srtp
(both SRTP).  Phone A of call i uses port PHONE_BASE + 4i, B the port 2
above; keys are fresh random ones per phone.

vs: through VoIPShield's SIP proxy: A sends the INVITE with its offer to
SIP_PORT, the daemon forwards it (by its upstream route) to this script's
UAS on UAS_PORT, which answers 200 with B's SDP.  The relay's ports and
keys are read back from the SDP each side got.

rtpe: through rtpengine's ng control protocol on NG_PORT (offer, answer).
For rtp-srtp rtpengine generates its own key for B, as VoIPShield does.
For srtp-srtp rtpengine hands A's own key on to B and B's to A ("SRTP
passthrough": both legs share keys, and it forwards the packets as they
are, without any crypto); there is no flag to make it re-key each leg
with the same suite (its SDES answer code copies the offered key whenever
the answer takes the offered suite).  rtp_load reports such packets as
"unchanged".  VoIPShield never shares keys between legs, so srtp-srtp is
not equal work; rtp-srtp is."""
import base64
import os
import re
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))

SUITE = "AES_CM_128_HMAC_SHA1_80"


def key():
    return base64.b64encode(os.urandom(30)).decode()


def sdp(port, srtp_key=None, tag=1, suite=SUITE):
    s = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio %d RTP/%s 0\r\na=rtpmap:0 PCMU/8000\r\n" % (port, "SAVP" if srtp_key else "AVP"))
    if srtp_key:
        s += "a=crypto:%d %s inline:%s\r\n" % (tag, suite, srtp_key)
    return s


def media_of(body):
    """(port, [(tag, suite, key)]) of the first audio section."""
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    m = re.search(r"m=audio (\d+) ", body)
    cr = re.findall(r"a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)", body)
    return (int(m.group(1)) if m else None), cr


def via_vs(mode, calls, base, sip_port, uas_port):
    from sipua import UA, status
    import callkit
    a_srtp, b_srtp = mode == "srtp-srtp", mode != "rtp-rtp"
    caller = UA("127.0.0.1", sip_port, local_port=uas_port + 1)
    uas = UA("127.0.0.1", sip_port, local_port=uas_port)
    out = []
    for i in range(calls):
        a_port, b_port = base + 4 * i, base + 4 * i + 2
        a_tx, b_tx = (key() if a_srtp else "-"), (key() if b_srtp else "-")
        callid = "bench-%d-%d@bench" % (os.getpid(), i)
        inv = callkit.build(caller, "INVITE", "sip:9%05d@trunk.test" % i,
                            "<sip:bench@bench.test>;tag=a%d" % i, "<sip:9%05d@trunk.test>" % i,
                            callid, 1, extra="Contact: <sip:bench@127.0.0.1:%d>\r\n" % (uas_port + 1))
        caller.send(callkit.with_body(inv, sdp(a_port, None if a_tx == "-" else a_tx)))
        got = callkit.recv_match(uas, callkit.is_req("INVITE", callid), 5.0)
        if got is None:
            sys.exit("media_setup: call %d: the daemon did not forward the INVITE" % i)
        relay_b, cr_b = media_of(got.split(b"\r\n\r\n", 1)[1])
        b_rx = cr_b[0][2] if cr_b else "-"
        tag = int(cr_b[0][0]) if cr_b else 1
        uas.send(callkit.with_body(
            callkit.response(got, 200, "OK", "b%d" % i, contact="sip:b@127.0.0.1:%d" % uas_port),
            sdp(b_port, None if b_tx == "-" else b_tx, tag)))
        ok = callkit.recv_match(caller, callkit.is_resp(callid, final=True), 5.0)
        if status(ok) != 200:
            sys.exit("media_setup: call %d: %r" % (i, ok and ok.split(b"\r\n", 1)[0]))
        relay_a, cr_a = media_of(ok.split(b"\r\n\r\n", 1)[1])
        a_rx = cr_a[0][2] if cr_a else "-"
        if (a_rx != "-") != a_srtp or (b_rx != "-") != b_srtp:
            sys.exit("media_setup: call %d: the relay did not set up %s" % (i, mode))
        out.append((a_port, relay_a, k(SUITE, a_tx), k(SUITE, a_rx), b_port, relay_b,
                    k(SUITE, b_tx), k(SUITE, b_rx)))
    return out


def k(suite, key):
    return key if key == "-" else suite + ":" + key


def benc(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, list):
        return b"l" + b"".join(benc(i) for i in x) + b"e"
    return b"d" + b"".join(benc(k) + benc(v) for k, v in sorted(x.items())) + b"e"


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        items = []
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            items.append(v)
        if c == b"l":
            return items, i + 1
        return {items[k].decode(): items[k + 1] for k in range(0, len(items), 2)}, i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


def via_rtpe(mode, calls, base, ng_port):
    ng = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ng.connect(("127.0.0.1", ng_port))
    ng.settimeout(5)

    def cmd(d):
        cookie = os.urandom(4).hex().encode()
        ng.send(cookie + b" " + benc(d))
        r = ng.recv(65536)
        r = bdec(r[r.index(b" ") + 1:])[0]
        if r.get("result") != b"ok":
            sys.exit("media_setup: rtpengine: %r" % r)
        return r["sdp"]

    a_srtp, b_srtp = mode == "srtp-srtp", mode != "rtp-rtp"
    out = []
    for i in range(calls):
        a_port, b_port = base + 4 * i, base + 4 * i + 2
        a_tx, b_tx = (key() if a_srtp else "-"), (key() if b_srtp else "-")
        common = {"call-id": "bench-%d-%d" % (os.getpid(), i), "from-tag": "a%d" % i,
                  "replace": ["origin", "session-connection"], "ICE": "remove", "DTLS": "off"}
        offer = dict(common, command="offer", sdp=sdp(a_port, None if a_tx == "-" else a_tx),
                     **{"transport-protocol": "RTP/SAVP" if b_srtp else "RTP/AVP"})
        relay_b, cr_b = media_of(cmd(offer))
        pick = [c for c in cr_b if c[1] == SUITE]
        if b_srtp and not pick:
            sys.exit("media_setup: rtpengine offered B no %s: %r" % (SUITE, cr_b))
        b_rx = pick[0][2] if b_srtp else "-"
        answer = dict(common, command="answer", **{"to-tag": "b%d" % i},
                      sdp=sdp(b_port, None if b_tx == "-" else b_tx,
                              int(pick[0][0]) if b_srtp else 1),
                      **{"transport-protocol": "RTP/SAVP" if a_srtp else "RTP/AVP"})
        relay_a, cr_a = media_of(cmd(answer))
        a_rx = cr_a[0][2] if a_srtp else "-"
        out.append((a_port, relay_a, k(SUITE, a_tx), k(SUITE, a_rx), b_port, relay_b,
                    k(SUITE, b_tx), k(SUITE, b_rx)))
    return out


def main():
    if len(sys.argv) < 7 or sys.argv[1] not in ("vs", "rtpe") or \
            sys.argv[2] not in ("rtp-rtp", "rtp-srtp", "srtp-srtp"):
        sys.exit(__doc__)
    who, mode, calls, base, spec = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4]), sys.argv[5]
    if who == "vs":
        lines = via_vs(mode, calls, base, int(sys.argv[6]), int(sys.argv[7]))
    else:
        lines = via_rtpe(mode, calls, base, int(sys.argv[6]))
    with open(spec, "w") as f:
        for line in lines:
            f.write(" ".join(str(x) for x in line) + "\n")


main()
