#!/usr/bin/env python3
"""Upstream routes by host name (RFC 3263) against a real DNS server:
dnsmasq serves SRV and A records for trunk.test in a network namespace
that has only loopback, whose /etc/resolv.conf (ip netns exec binds
/etc/netns/NS/resolv.conf) names it.  Checked: SRV order (priority), a
503 and a silent server (after Timer B, or after upstream.failover_timeout)
each followed by the next SRV target in the same transaction (failover),
the failed address tried last by the next call,
the port given by SRV, A records with a configured port, a changed A
record followed after its TTL, a name with no address answered 503, the
resolved addresses trusted only with trusted = true, and the addresses
kept while the DNS server is gone; with a DNS server that never answers,
the daemon starts and stops without waiting for it.  Needs root and
dnsmasq (Debian dnsmasq-base)."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

INSIDE = "--inside-netns"

if INSIDE not in sys.argv:
    if os.geteuid() != 0:
        print("SKIP: needs root to create a network namespace (ip netns)")
        sys.exit(77)
    if not shutil.which("dnsmasq"):
        print("SKIP: needs dnsmasq (Debian package dnsmasq-base)")
        sys.exit(77)
    ns = "vsdns%d" % os.getpid()
    etc = "/etc/netns/" + ns
    rc = 1
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        os.makedirs(etc, exist_ok=True)
        with open(etc + "/resolv.conf", "w") as f:
            f.write("nameserver 127.0.0.53\noptions timeout:1 attempts:2\n")
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                             os.path.abspath(__file__), INSIDE]).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(etc, ignore_errors=True)
    sys.exit(rc)

from vstest import Checks, Daemon  # noqa: E402
from sipua import UA, header, status  # noqa: E402

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
PORT = 5170
CALLER = "127.0.0.9"  # trusted: calls need no credentials
c = Checks("route_dns")

work = tempfile.mkdtemp(prefix="vs-dns-")
os.chmod(work, 0o755)
hosts = os.path.join(work, "hosts")


def write_hosts(moving):
    with open(hosts + ".new", "w") as f:
        f.write("127.0.0.1 pbx1.trunk.test\n127.0.0.2 pbx2.trunk.test\n%s moving.trunk.test\n"
                % moving)
    os.chmod(hosts + ".new", 0o644)
    os.rename(hosts + ".new", hosts)


write_hosts("127.0.0.3")
dns = subprocess.Popen(
    ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
     "--listen-address=127.0.0.53", "--port=53", "--pid-file=", "--user=root",
     "--addn-hosts=" + hosts, "--local-ttl=1", "--log-facility=" + os.path.join(work, "dns.log"),
     "--log-queries", "--local=/trunk.test/",  # NXDOMAIN for names it does not have
     "--srv-host=_sip._udp.trunk.test,pbx1.trunk.test,5071,10,50",
     "--srv-host=_sip._udp.trunk.test,pbx2.trunk.test,5072,20,50"],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Peer:
    """A server at one address: answers INVITE with code (None: silent)."""

    def __init__(self, host, port, code):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.setblocking(False)
        self.code = code
        self.invites = 0

    def serve(self):
        while True:
            try:
                m, src = self.sock.recvfrom(65535)
            except BlockingIOError:
                return
            if m.startswith(b"ACK "):
                continue
            if not m.startswith(b"INVITE "):
                continue
            self.invites += 1
            if self.code is None:
                continue
            lines = [l for l in m.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
                     if l.split(b":")[0].strip().lower() in (b"via", b"from", b"to", b"call-id",
                                                             b"cseq")]
            lines = [l + b";tag=peer" if l.lower().startswith(b"to:") else l for l in lines]
            self.sock.sendto(b"SIP/2.0 %d Answer\r\n" % self.code + b"\r\n".join(lines) +
                             b"\r\nContent-Length: 0\r\n\r\n", src)


def call(number, peers, timeout=6.0):
    """An INVITE from the trusted caller; the final answer, serving peers."""
    ua = UA("127.0.0.1", PORT, host=CALLER)
    ua.send(ua.request("INVITE", "sip:%s@trunk.test" % number, "sip:%s@trunk.test" % number,
                       "Contact: <sip:caller@%s:%d>\r\n" % (CALLER, ua.local[1]),
                       from_uri="sip:caller@%s" % CALLER))
    deadline = time.time() + timeout
    final = None
    while time.time() < deadline and final is None:
        for p in peers:
            p.serve()
        m = ua.recv(0.02)
        if m and not m.startswith(b"SIP/2.0 1"):
            final = m
    for p in peers:
        p.serve()
    ua.close()
    return final


conf = ('transactions = { t1 = 50; };\n'  # timer B: 64 x 50 ms = 3.2 s
        'upstream = { failover_timeout = 0; routes = (\n'
        '  { prefix = "1"; address = "trunk.test"; transport = "udp"; trusted = true; },\n'
        '  { prefix = "2"; address = "moving.trunk.test"; port = 5073; },\n'
        '  { prefix = "3"; address = "nowhere.trunk.test"; }\n'
        ' ); trusted = [ "%s" ]; };\n' % CALLER)
d = Daemon(PORT, extra=conf, listen='{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }'
           % PORT)
try:
    time.sleep(0.3)
    c.check("dnsmasq is serving", dns.poll() is None,
            dns.stderr.read().decode() if dns.poll() is not None else "")
    d.start()
    log = d.stderr()
    c.check("the start log shows the SRV targets in order",
            "upstream route trunk.test (SRV): 127.0.0.1:5071, 127.0.0.2:5072" in log, log)
    c.check("... and the A record of a route with a port",
            "upstream route moving.trunk.test: 127.0.0.3:5073" in log, log)
    c.check("... and a name with no address, with what it means",
            "upstream route nowhere.trunk.test: the name has no" in log, log)

    p1 = Peer("127.0.0.1", 5071, 486)
    p2 = Peer("127.0.0.2", 5072, 486)
    r = call("100", [p1, p2])
    c.check("a call goes to the SRV target of the lowest priority, at its SRV port",
            r is not None and status(r) == 486 and p1.invites == 1 and p2.invites == 0, r)

    # The first target answers 503: the same call goes to the next one.
    p1.code = 503
    r = call("101", [p1, p2])
    c.check("503 from the first target: the call is sent to the next one (RFC 3263 4.3)",
            r is not None and status(r) == 486 and p1.invites == 2 and p2.invites == 1, r)
    r = call("102", [p1, p2])
    c.check("the next call tries the failed address last",
            r is not None and status(r) == 486 and p1.invites == 2 and p2.invites == 2, r)
    st = d.stats()
    c.check("counted: proxy.route_failover", st.get("proxy.route_failover") == 1, st)

    # A route whose server does not answer at all: with failover_timeout
    # 0, Timer B, then the next; with 1000 ms, after 1 s.
    def silent_first(number, timeout_ms, lo, hi):
        d.stop()
        d.write_config(d.text.replace("failover_timeout = 0;",
                                      "failover_timeout = %d;" % timeout_ms))
        d.start()
        p1.code = None
        p1.invites = p2.invites = 0
        t0 = time.time()
        r = call(number, [p1, p2], timeout=10)
        took = time.time() - t0
        c.check("a target that never answers (failover_timeout %d): the same call reaches the "
                "next after %.1f-%.1f s" % (timeout_ms, lo, hi),
                r is not None and status(r) == 486 and p1.invites >= 1 and p2.invites == 1 and
                lo < took < hi, (r, p1.invites, p2.invites, took))

    silent_first("103", 0, 2.5, 8)
    silent_first("104", 1000, 0.8, 2.5)

    # A records with the configured port; the address follows the DNS.
    p3 = Peer("127.0.0.3", 5073, 480)
    p4 = Peer("127.0.0.4", 5073, 404)
    r = call("200", [p3, p4])
    c.check("a route with a port uses the name's A record at that port",
            r is not None and status(r) == 480 and p3.invites == 1, r)
    write_hosts("127.0.0.4")
    dns.send_signal(1)  # SIGHUP: dnsmasq reads its hosts file again
    time.sleep(11.5)    # our shortest cache time is 10 s
    r = call("201", [p3, p4])
    c.check("after the TTL, a changed A record is followed",
            r is not None and status(r) == 404 and p4.invites == 1 and p3.invites == 1, r)
    c.check("... and logged", "upstream route moving.trunk.test: 127.0.0.4:5073" in d.stderr(),
            d.stderr()[-2000:])

    r = call("300", [])
    c.check("a route whose name has no address: 503 with Retry-After",
            r is not None and status(r) == 503 and header(r, "Retry-After") == "30", r)
    c.check("counted: proxy.route_unresolved", d.stats().get("proxy.route_unresolved") == 1,
            d.stats())

    # The resolved addresses are trusted, like a route's address: an
    # INVITE from pbx2 to an unknown local user gets 404, not 407.
    def invite_nobody(host, from_uri):
        ua = UA("127.0.0.1", PORT, host=host)
        ua.send(ua.request("INVITE", "sip:nobody@localhost", "sip:nobody@localhost",
                           "Contact: <sip:x@%s:%d>\r\n" % (host, ua.local[1]), from_uri=from_uri))
        r = ua.recv_final()
        ua.close()
        return r

    r = invite_nobody("127.0.0.2", "sip:pbx@trunk.test")
    c.check("an address of a route with trusted = true is trusted (404, not 407)",
            r is not None and status(r) == 404, r)
    r = invite_nobody("127.0.0.4", "sip:x@localhost")
    c.check("... one of a route by host name without it is not (407)",
            r is not None and status(r) == 407, r)

    # The DNS server goes away: the addresses last resolved are kept.
    dns.terminate()
    dns.wait()
    time.sleep(11.5)
    r = call("202", [p3, p4])
    c.check("with the DNS server gone, calls still go to the addresses last resolved",
            r is not None and status(r) == 404 and p4.invites == 2, r)
    c.check("... and the log says why and what it keeps",
            "moving.trunk.test: no answer from the DNS server (timeout or SERVFAIL); keeping the "
            "addresses it had" in d.stderr(), d.stderr()[-2000:])

    rc = d.stop()
    c.check("SIGTERM: exit status 0", rc == 0, rc)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())

    # A DNS server that never answers: the daemon still starts (after at
    # most 5 s) and stops at once, whatever lookup is under way.
    hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hole.bind(("127.0.0.53", 53))
    d2 = Daemon(PORT + 1, extra='upstream = { routes = ( { address = "silent.trunk.test"; } ); };\n',
                listen='{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }' % (PORT + 1))
    try:
        t0 = time.time()
        d2.start()
        started = time.time() - t0
        c.check("with a DNS server that never answers the daemon serves within 5 s or so",
                started < 8, started)
        # Wait for the lookup after the next (it comes 10 s after the
        # failed one), then SIGTERM while it waits for an answer.
        hole.setblocking(False)
        while True:
            try:
                hole.recv(2048)
            except BlockingIOError:
                break
        hole.settimeout(15)
        try:
            hole.recv(2048)
            asked = True
        except socket.timeout:
            asked = False
        t0 = time.time()
        rc = d2.stop()
        took = time.time() - t0
        c.check("... and stops within 2 s of SIGTERM while a lookup waits for an answer",
                asked and rc == 0 and took < 2.5 and "a DNS lookup is still under way" in d2.stderr(),
                (asked, rc, took, d2.stderr()[-1500:]))
        c.check("... no sanitizer reports", not d2.sanitizer_reports(), d2.sanitizer_reports())
    finally:
        d2.cleanup()
        hole.close()
except Exception:
    import traceback
    c.check("test ran to the end", False, traceback.format_exc() + "\n" + d.stderr()[-3000:])
finally:
    d.cleanup()
    dns.terminate()
    dns.wait()
    shutil.rmtree(work, ignore_errors=True)
c.finish()
