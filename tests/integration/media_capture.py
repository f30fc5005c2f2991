#!/usr/bin/env python3
"""Checks a tshark capture of one call through the relay, for
test_baresip_media.sh: alice's leg must carry only SRTP that opens, with
libsrtp2 (tests/tools/srtp_open), under the keys the SDP exchanged, and
what it carries must be exactly what bob's plain RTP leg carries.

  media_capture.py CAPTURE.pcap SRTP_OPEN SIP_PORT ALICE_SIP_PORT BOB_SIP_PORT
                   ALICE_RTP_MIN-MAX BOB_RTP_MIN-MAX ALICE_RELAY_IP BOB_RELAY_IP

Prints "ok - ..." or "FAIL - ..." per check and a last line
"capture: N passed, M failed"; exits 1 if a check failed."""
import re
import subprocess
import sys

pcap, srtp_open, sip_port, a_sip, b_sip, a_range, b_range, a_ip, b_ip = sys.argv[1:10]
sip_port, a_sip, b_sip = int(sip_port), int(a_sip), int(b_sip)
a_lo, a_hi = map(int, a_range.split("-"))
b_lo, b_hi = map(int, b_range.split("-"))
passed = failed = 0


def check(name, ok, detail=None):
    global passed, failed
    if ok:
        passed += 1
        print("ok   - " + name)
    else:
        failed += 1
        print("FAIL - " + name + ("" if detail is None else ": %r" % (detail,)))


out = subprocess.run(["tshark", "-r", pcap, "-n", "-T", "fields", "-E", "separator=,",
                      "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport",
                      "-e", "udp.payload", "udp"],
                     capture_output=True, text=True, timeout=120)
pkts = []
for line in out.stdout.splitlines():
    f = line.split(",")
    if len(f) == 5 and f[4]:
        pkts.append((f[0], int(f[1]), f[2], int(f[3]), bytes.fromhex(f[4].replace(":", ""))))
check("tshark read the capture (%d UDP packets)" % len(pkts), len(pkts) > 0, out.stderr[-300:])


def sip_msgs(src_port, dst_port):
    return [p[4] for p in pkts if p[1] == src_port and p[3] == dst_port]


def crypto_lines(msg):
    body = msg.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
    return re.findall(r"a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)", body)


def proto(msg):
    m = re.search(rb"\r\nm=audio \d+ (\S+)", msg)
    return m.group(1).decode() if m else None


# Alice's offer (her last INVITE, the authenticated one), the 200 she got,
# and the INVITE bob got.
a_inv = [m for m in sip_msgs(a_sip, sip_port) if m.startswith(b"INVITE ")]
a_ok = [m for m in sip_msgs(sip_port, a_sip) if m.startswith(b"SIP/2.0 200") and b"m=audio" in m]
b_inv = [m for m in sip_msgs(sip_port, b_sip) if m.startswith(b"INVITE ")]
check("alice offered RTP/SAVP with SDES keys (srtp-mand)",
      a_inv and proto(a_inv[-1]) == "RTP/SAVP" and crypto_lines(a_inv[-1]),
      a_inv and proto(a_inv[-1]))
check("bob (plain zone) was offered RTP/AVP and no key",
      b_inv and proto(b_inv[-1]) == "RTP/AVP" and not crypto_lines(b_inv[-1]),
      b_inv and proto(b_inv[-1]))
def conn(msg):
    m = re.search(rb"\r\nc=IN IP4 (\S+)", msg)
    return m.group(1).decode() if m else None


check("each phone sees the relay on its own zone's address (alice %s, bob %s)" % (a_ip, b_ip),
      a_ok and b_inv and conn(a_ok[-1]) == a_ip and conn(b_inv[-1]) == b_ip,
      (a_ok and conn(a_ok[-1]), b_inv and conn(b_inv[-1])))
answer = crypto_lines(a_ok[-1]) if a_ok else []
check("alice got RTP/SAVP and one relay key in the 200",
      a_ok and proto(a_ok[-1]) == "RTP/SAVP" and len(answer) == 1, answer)
if failed:
    print("capture: %d passed, %d failed" % (passed, failed))
    sys.exit(1)
tag, suite, relay_key = answer[0]
offered = {t: (s, k) for t, s, k in crypto_lines(a_inv[-1])}
check("the relay's key is not one alice offered", relay_key not in [k for _, k in offered.values()])
a_suite, a_key = offered.get(tag, (None, None))
check("the relay answered a suite alice offered under the same tag",
      a_suite == suite, (tag, suite, offered))


def in_range(port, lo, hi):
    return lo <= port <= hi


def leg(lo, hi):
    """(phone to relay, relay to phone) packets of a leg, RTP then RTCP."""
    up = [p for p in pkts if in_range(p[1], lo, hi) and p[3] != sip_port]
    down = [p for p in pkts if in_range(p[3], lo, hi) and p[1] != sip_port]
    split = lambda ps: ([p for p in ps if p[4][1] < 192 or p[4][1] > 223],
                        [p for p in ps if 192 <= p[4][1] <= 223])
    return split(up), split(down)


(a_up, a_up_rtcp), (a_down, a_down_rtcp) = leg(a_lo, a_hi)
(b_up, b_up_rtcp), (b_down, b_down_rtcp) = leg(b_lo, b_hi)
for name, ps in (("alice to relay", a_up), ("relay to alice", a_down),
                 ("bob to relay", b_up), ("relay to bob", b_down)):
    print("# %s: %s" % (name, sorted({"%s:%d > %s:%d" % p[:4] for p in ps})[:4]))
    check("audio flowed %s (%d RTP packets)" % (name, len(ps)), len(ps) >= 100,
          sorted({"%s:%d > %s:%d" % p[:4] for p in ps})[:4])
check("alice's media went to %s, bob's to %s" % (a_ip, b_ip),
      {p[2] for p in a_up + a_up_rtcp} == {a_ip} and {p[2] for p in b_up + b_up_rtcp} == {b_ip})
relay_ports = {p[3] for p in a_up + a_up_rtcp + b_up + b_up_rtcp}
stray = [p for p in pkts if p[1] in relay_ports and
         not (in_range(p[3], a_lo, a_hi) or in_range(p[3], b_lo, b_hi))]
check("the relay sent media only to the phones' negotiated ports", not stray,
      stray[:3])


def open_all(kind, key, ps):
    r = subprocess.run([srtp_open, kind, suite, key],
                       input="".join(p[4].hex() + "\n" for p in ps),
                       capture_output=True, text=True, timeout=120)
    lines = r.stdout.splitlines()
    return [None if l.startswith("error") else bytes.fromhex(l) for l in lines]


def rtp_id(pkt):
    return pkt[8:12], pkt[2:4]  # SSRC, sequence number


def header_len(pkt):
    cc = pkt[0] & 15
    n = 12 + 4 * cc
    if pkt[0] & 0x10 and len(pkt) >= n + 4:
        n += 4 + 4 * int.from_bytes(pkt[n + 2:n + 4], "big")
    return n


up_open = open_all("rtp", a_key, a_up)
down_open = open_all("rtp", relay_key, a_down)
check("every RTP packet alice sent opens with her key (libsrtp2): %d of %d"
      % (sum(x is not None for x in up_open), len(a_up)),
      len(up_open) == len(a_up) and all(x is not None for x in up_open))
check("every RTP packet the relay sent alice opens with the relay's key: %d of %d"
      % (sum(x is not None for x in down_open), len(a_down)),
      len(down_open) == len(a_down) and all(x is not None for x in down_open))


def hidden(raw, opened):
    """The payload on the wire is not the opened one."""
    h = header_len(opened)
    return raw[h:len(opened)] != opened[h:]


check("alice's leg carries no plaintext: no packet's payload is its opened payload",
      all(o is not None and hidden(p[4], o)
          for p, o in zip(a_up + a_down, up_open + down_open)))


def baresip_plain_rtcp(pkt):
    """baresip 1.0 sends two plain RTCP packets on an SRTP stream: an APP
    "PINGPONG" keepalive before SRTP starts, and its last compound with a
    BYE after SRTP stops."""
    return pkt[1] == 204 and pkt[8:16] == b"PINGPONG" or (pkt[1] in (200, 201) and
                                                        b"\x81\xcb" in pkt) or pkt[1] == 203


opened = open_all("rtcp", a_key, a_up_rtcp)
closed = [p[4] for p, x in zip(a_up_rtcp, opened) if x is None]
check("RTCP from alice: %d SRTCP packets open; the rest are baresip's own plain "
      "keepalive and BYE" % (len(opened) - len(closed)),
      len(opened) - len(closed) >= 1 and all(baresip_plain_rtcp(p) for p in closed),
      [p.hex() for p in closed if not baresip_plain_rtcp(p)][:3])
check("the relay passed bob exactly the SRTCP that opened, in clear, and nothing else",
      sorted(p[4] for p in b_down_rtcp) == sorted(x for x in opened if x is not None),
      (len(b_down_rtcp), len(opened) - len(closed)))
opened = open_all("rtcp", relay_key, a_down_rtcp)
check("RTCP the relay sent alice is SRTCP that opens (%d packets)" % len(opened),
      all(x is not None for x in opened))

# What crossed: alice's opened audio is what bob got in clear, and bob's
# clear audio is what alice's relay packets open to.
sent_a = {rtp_id(o): o[header_len(o):] for o in up_open if o}
got_b = {rtp_id(p[4]): p[4][header_len(p[4]):] for p in b_down}
same = [k for k in got_b if sent_a.get(k) == got_b[k]]
check("bob heard exactly what alice sent: %d of %d packets match by SSRC and sequence"
      % (len(same), len(got_b)), len(got_b) >= 100 and len(same) == len(got_b))
sent_b = {rtp_id(p[4]): p[4][header_len(p[4]):] for p in b_up}
got_a = {rtp_id(o): o[header_len(o):] for o in down_open if o}
same = [k for k in got_a if sent_b.get(k) == got_a[k]]
check("alice heard exactly what bob sent: %d of %d packets match by SSRC and sequence"
      % (len(same), len(got_a)), len(got_a) >= 100 and len(same) == len(got_a))
print("capture: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
