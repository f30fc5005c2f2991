#!/usr/bin/env python3
"""A flood from 60,000 different source addresses (127.1.0.0/16 and up,
all loopback) must not grow the daemon past its configured bounds: the
per-source table, the ban table and the stored bans stay at their caps,
RSS grows by no more than the tables' size plus a margin, and a
legitimate source is still served afterwards.  Port 5232."""
import os
import socket
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, sip_request, status_of

PORT = 5232
SOURCES = 60000
MAX_SOURCES = 4096
MAX_BANS = 1024
c = Checks("shield-spread")

SHIELD = """
shield = {
  max_sources = %d; max_bans = %d; max_users = 1024;
  rate = { other = { rate = 1; burst = 1; }; };
  ban = { rate_excess = 1; };
};
events = { rate = 1; };
""" % (MAX_SOURCES, MAX_BANS)


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def flood(n, per_source):
    """per_source OPTIONS from each of n addresses 127.1.0.1 onwards."""
    payload = sip_request(ruri="sip:127.0.0.1:%d" % PORT)
    sent = 0
    for i in range(n):
        ip = "127.%d.%d.%d" % (1 + i // 65025, (i // 255) % 255, 1 + i % 255)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((ip, 0))
        for _ in range(per_source):
            try:
                s.sendto(payload, ("127.0.0.1", PORT))
                sent += 1
            except OSError:
                pass
        s.close()
        if i % 2000 == 1999:
            time.sleep(0.05)  # stay under the socket buffer
    return sent


# Under AddressSanitizer (make test), freed blocks wait in a quarantine of
# up to 256 MB, which would read as growth: this test is about live memory.
if "ASAN_OPTIONS" in os.environ:
    os.environ["ASAN_OPTIONS"] += ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"

d = Daemon(PORT, extra=SHIELD, shield="")
try:
    d.start()
    time.sleep(0.5)
    before = rss_kb(d.proc.pid)
    t0 = time.time()
    sent = flood(SOURCES, 3)
    took = time.time() - t0
    time.sleep(2)
    after = rss_kb(d.proc.pid)
    st = d.stats()
    print("sent %d datagrams from %d sources in %.1f s; RSS %d -> %d kB; %s" % (
        sent, SOURCES, took, before, after,
        {k: v for k, v in st.items() if k.startswith("shield.") or k == "rx.udp"}))
    c.check("the daemon received most of the flood", st.get("rx.udp", 0) > sent // 2,
            (st.get("rx.udp"), sent))
    c.check("sources banned far beyond the ban table's size",
            st.get("shield.bans.rate_limit", 0) > 4 * MAX_BANS, st.get("shield.bans.rate_limit"))
    c.check("tracked sources stay within shield.max_sources",
            0 < st.get("shield.sources_tracked", 0) <= MAX_SOURCES, st.get("shield.sources_tracked"))
    # Tables: ~160 B x 4096 + 64 B x 1024; socket buffers and the writer's
    # queue come and go.  8 MB is far below what 60,000 entries would take
    # in unbounded tables plus the allocator's slack, and far above noise.
    c.check("RSS grew by less than 8 MB (%d kB)" % (after - before), after - before < 8192)
    time.sleep(5.5)  # a ban sweep
    st = d.stats()
    c.check("active bans stay within shield.max_bans",
            0 < st.get("shield.bans_active", 0) <= MAX_BANS, st.get("shield.bans_active"))
    ev = os.path.join(d.state, "voipshield-events.log")
    lines = sum(1 for _ in open(ev))
    c.check("the events file is bounded by the global event rate (%d lines)" % lines,
            lines < 2000 * (took + 10))
    c.check("a legitimate source is still served", status_of(
        __import__("vstest").udp_exchange("127.0.0.1", PORT,
                                          sip_request(ruri="sip:127.0.0.1:%d" % PORT)))[0] == 200)
    code = d.stop()
    c.check("stops cleanly", code == 0, code)
    db = sqlite3.connect(os.path.join(d.state, "voipshield.db"))
    rows = db.execute("SELECT COUNT(*) FROM bans").fetchone()[0]
    db.close()
    c.check("stored bans stay within shield.max_bans (%d rows)" % rows, 0 < rows <= MAX_BANS)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
finally:
    d.cleanup()
c.finish()
