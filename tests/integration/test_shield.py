#!/usr/bin/env python3
"""The shield against the real daemon, from several loopback addresses:
zone access lists and methods, token buckets (503 with Retry-After, then
silence), bans for floods, scanners, failed logins and malformed messages,
user lockout, identical challenges for existing and unknown users, the
`ban` command with and without a running daemon, bans surviving kill -9,
the JSON events file, and overload shedding (untrusted new requests get
503 while the transaction table fills; trusted peers go on).  Ports
5230-5231; sources 127.0.0.1 to 127.0.0.20."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import Checks, Daemon, VS_BIN, sip_request, status_of
from sipua import UA, authorization, header, headers, parse_challenge, status

PORT = 5230
DOMAIN = "example.test"
c = Checks("shield")

SHIELD = """
zones = (
  { name = "lan"; deny = [ "127.0.0.15" ];
    methods = [ "REGISTER", "OPTIONS", "INVITE", "BYE" ]; }
);
shield = {
  rate = { other = { rate = 5; burst = 10; };
           register = { rate = 20; burst = 40; }; };
  ban = { time = 30; rate_excess = 20; malformed = 5; auth_failures = 6;
          distinct_users = 8; };
  lockout = { failures = 9; time = 60; };
};
auth = { realm = "example.test"; };
"""


def send_from(src, payload, port=PORT, timeout=1.0, expect=True):
    """One datagram from address src; the answer or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(timeout)
    try:
        s.sendto(payload, ("127.0.0.1", port))
        return s.recv(70000) if expect else None
    except socket.timeout:
        return None
    finally:
        s.close()


def options(src, ua_header=None):
    extra = "User-Agent: %s\r\n" % ua_header if ua_header else ""
    return status_of(send_from(src, sip_request(ruri="sip:127.0.0.1:%d" % PORT,
                                                via_host="%s:5999" % src, extra=extra)))[0]


def events(d):
    path = os.path.join(d.state, "voipshield-events.log")
    out = []
    try:
        with open(path) as f:
            for line in f:
                out.append(json.loads(line))
    except OSError:
        pass
    return out


def banned(d, src):
    return any(l.startswith(src + " ") for l in d.cli("ban", "list").stdout.splitlines())




d = Daemon(PORT, extra=SHIELD, domains=(DOMAIN, "localhost"), shield="")
try:
    d.start()
    c.check("user add alice", d.add_user("alice", "alice-secret-1"))

    # --- zones -----------------------------------------------------------
    c.check("a source the zone denies gets no answer at all", options("127.0.0.15") is None)
    c.check("another source is answered", options("127.0.0.2") == 200)
    ua = UA("127.0.0.1", PORT, host="127.0.0.3")
    ua.send(ua.request("SUBSCRIBE", "sip:alice@" + DOMAIN, "sip:alice@" + DOMAIN,
                       "Event: presence\r\n"))
    r = ua.recv_final()
    c.check("a method the zone does not allow gets 403", status(r) == 403, r and r[:60])
    ua.close()

    # --- rate limits and a flood ban -----------------------------------------
    answers = [options("127.0.0.4") for _ in range(10)]
    c.check("within the burst every OPTIONS is answered", answers == [200] * 10, answers)
    r = send_from("127.0.0.4", sip_request(ruri="sip:127.0.0.1:%d" % PORT))
    c.check("over the budget: 503 with Retry-After",
            status_of(r)[0] == 503 and header(r, "Retry-After") is not None, r and r[:80])
    c.check("then silence (at most one 503 a second)", options("127.0.0.4") is None)
    c.check("another source is not affected", options("127.0.0.5") == 200)
    for _ in range(30):
        send_from("127.0.0.4", sip_request(ruri="sip:127.0.0.1:%d" % PORT), expect=False)
    time.sleep(0.3)
    c.check("the flooder is banned", banned(d, "127.0.0.4"), d.cli("ban", "list").stdout)
    time.sleep(2.5)  # its bucket has refilled: only the ban stops it now
    c.check("a banned source is dropped even within its budget", options("127.0.0.4") is None)
    st = d.stats()
    c.check("counters: shield.rate_limited, shield.bans.rate_limit, shield.banned_dropped",
            st.get("shield.rate_limited", 0) >= 20 and st.get("shield.bans.rate_limit") == 1 and
            st.get("shield.banned_dropped", 0) >= 1, {k: v for k, v in st.items() if "shield" in k})

    # --- scanners ------------------------------------------------------------
    c.check("a scanner's User-Agent gets no answer",
            options("127.0.0.6", "friendly-scanner") is None)
    c.check("and its source is banned", banned(d, "127.0.0.6"))

    # Enumeration: REGISTERs for many users, never logging in.
    ua = UA("127.0.0.1", PORT, host="127.0.0.7")
    for i in range(8):
        aor = "sip:%d@%s" % (100 + i, DOMAIN)
        ua.send(ua.request("REGISTER", "sip:" + DOMAIN, aor,
                           "Contact: <sip:%d@127.0.0.7:5060>\r\n" % (100 + i)))
        ua.recv_final(timeout=1.0)
    ua.close()
    time.sleep(0.2)
    c.check("a source trying 8 user names without a login is banned (enumeration)",
            banned(d, "127.0.0.7"))

    # --- anti-enumeration: identical challenges -------------------------------
    def challenge(user, src):
        u = UA("127.0.0.1", PORT, host=src)
        u.send(u.request("REGISTER", "sip:" + DOMAIN, "sip:%s@%s" % (user, DOMAIN),
                         "Contact: <sip:%s@%s:5060>\r\n" % (user, src)))
        r = u.recv_final()
        u.close()
        return r
    known, unknown = challenge("alice", "127.0.0.8"), challenge("mallory", "127.0.0.9")
    shape = lambda m: (status(m), sorted(h.split(":", 1)[0] for h in m.decode().split("\r\n")[1:] if h),
                       [sorted(parse_challenge(v).keys()) for v in headers(m, "WWW-Authenticate")])
    c.check("REGISTER for an existing and for an unknown user: same status, headers, challenge form",
            known and unknown and shape(known) == shape(unknown), (known, unknown))

    # --- password cracking ----------------------------------------------------
    def try_password(src, pw):
        u = UA("127.0.0.1", PORT, host=src)
        r, _ = u.register("alice", pw, DOMAIN)
        u.close()
        return status(r)
    c.check("alice logs in from her own address", try_password("127.0.0.10", "alice-secret-1") == 200)
    results = [try_password("127.0.0.11", "guess-%d" % i) for i in range(6)]
    c.check("wrong passwords are challenged again", results == [401] * 6, results)
    c.check("after 6 failures the source is banned", banned(d, "127.0.0.11"))
    c.check("the right password from the banned source gets nowhere",
            try_password("127.0.0.11", "alice-secret-1") is None)
    for i in range(3):
        try_password("127.0.0.12", "guess-x%d" % i)
    st = d.stats()
    c.check("9 failures for alice lock her out", st.get("shield.lockouts") == 1,
            st.get("shield.lockouts"))
    c.check("locked: the right password from a new address gets the same 401 as a wrong one",
            try_password("127.0.0.13", "alice-secret-1") == 401)
    c.check("locked: alice still logs in from the address she used before",
            try_password("127.0.0.10", "alice-secret-1") == 200)

    # --- malformed messages ---------------------------------------------------
    for i in range(5):
        send_from("127.0.0.14", b"INVITE sip:x SIP/2.0\r\nVia: garbage\r\n\r\n", expect=False)
    time.sleep(0.3)
    c.check("5 malformed messages get the source banned", banned(d, "127.0.0.14"))

    # --- manual bans ----------------------------------------------------------
    r = d.cli("ban", "add", "127.0.0.16", "120", "seen", "in", "the", "CDRs")
    c.check("ban add through the running daemon", r.returncode == 0 and "banned" in r.stdout,
            r.stdout + r.stderr)
    c.check("the banned address is dropped at once", options("127.0.0.16") is None)
    r = d.cli("ban", "del", "127.0.0.16")
    c.check("ban del lifts it", r.returncode == 0 and options("127.0.0.16") == 200,
            r.stdout + r.stderr)
    r = d.cli("ban", "del", "127.0.0.16")
    c.check("ban del of an address that is not banned fails", r.returncode == 1)
    r = d.cli("ban", "add", "not-an-address")
    c.check("ban add refuses a host name (exit 2)", r.returncode == 2 and "not an IPv4" in r.stderr)

    # --- the events file --------------------------------------------------------
    ev = events(d)
    kinds = {(e["event"], e.get("reason")) for e in ev}
    c.check("events: every line is JSON with time and event",
            ev and all("time" in e and "event" in e for e in ev), len(ev))
    for want in [("zone_deny", "lan"), ("ban", "rate_limit"), ("ban", "scanner"),
                 ("ban", "enumeration"), ("ban", "auth_failures"), ("ban", "malformed"),
                 ("lockout", "auth_failures"), ("auth_failed", "bad_credentials"),
                 ("locked_user_attempt", "locked_out"), ("rate_limit", "other"),
                 ("ban", "manual"), ("unban", "manual")]:
        c.check("event %s/%s written" % want, want in kinds)
    c.check("a ban event names the source and says until when",
            any(e["event"] == "ban" and e.get("source") == "127.0.0.4" and "until" in e for e in ev))

    # The fail2ban example filter matches the automatic bans (when fail2ban
    # is installed; it is not a test dependency).
    f2b = "/usr/bin/fail2ban-regex"
    if os.path.exists(f2b):
        src = os.path.join(os.environ.get("VS_SRC", os.path.join(os.path.dirname(__file__), "..", "..")),
                           "examples", "fail2ban", "voipshield.conf")
        r = subprocess.run([f2b, os.path.join(d.state, "voipshield-events.log"), src],
                           capture_output=True, text=True, timeout=60)
        auto = sum(1 for e in ev if e["event"] == "ban" and e.get("reason") != "manual")
        m = [l for l in r.stdout.splitlines() if l.startswith("Lines:")]
        c.check("examples/fail2ban matches each automatic ban (%d)" % auto,
                m and (", %d matched" % auto) in m[0], m)

    # --- bans survive kill -9; offline ban add ----------------------------------
    d.proc.kill()
    d.proc.wait()
    time.sleep(0.5)  # the writer's last commit is in the WAL before kill
    r = d.cli("ban", "add", "127.0.0.17", "300")
    c.check("ban add without a daemon goes to the store",
            r.returncode == 0 and "stored" in r.stdout, r.stdout + r.stderr)
    r = d.cli("ban", "list")
    c.check("ban list without a daemon reads the store",
            r.returncode == 0 and "127.0.0.4 " in r.stdout and "127.0.0.17 " in r.stdout, r.stdout)
    d.start()
    c.check("after kill -9 and restart the flooder is still banned",
            options("127.0.0.4") is None and banned(d, "127.0.0.4"))
    c.check("the ban added while stopped is in force", options("127.0.0.17") is None)
    c.check("others are served", options("127.0.0.18") == 200)
    c.check("the daemon logs how many bans it loaded", "active bans loaded" in d.stderr())
    code = d.stop()
    c.check("stops cleanly", code == 0, code)
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())
finally:
    d.cleanup()

# --- overload: untrusted new requests are shed first -------------------------
# transactions.max 64, shed from 20% (13 open): the trusted trunk (a route
# address) places 7 calls to numbers the trunk itself never answers, each
# holding two transactions (ours and the branch's) for Timer B (32 s).
OVERLOAD = """
transactions = { max = 64; };
upstream = { routes = ( { prefix = "00"; address = "127.0.0.3"; port = 5231; } ); };
shield = { overload_at = 20; };
"""
d2 = Daemon(PORT + 1, extra=OVERLOAD, listen='{ address = "127.0.0.1"; port = %d; transports = ["udp"]; }' % (PORT + 1),
            domains=(DOMAIN,), shield="")
try:
    d2.start()
    trunk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    trunk.bind(("127.0.0.3", PORT + 1))
    trunk.settimeout(1.0)
    peer = UA("127.0.0.1", PORT + 1, host="127.0.0.3")

    def peer_call(n):
        peer.send(peer.request("INVITE", "sip:%s@pstn.example" % n, "sip:%s@pstn.example" % n,
                               "Contact: <sip:peer@127.0.0.3>\r\n"))
        try:
            return trunk.recv(70000)
        except socket.timeout:
            return None

    got = [peer_call("004930%d" % i) for i in range(7)]
    c.check("the trusted trunk's calls are forwarded (14 transactions open)",
            all(got), [g is not None for g in got])
    r = status_of(send_from("127.0.0.19", sip_request(ruri="sip:127.0.0.1:%d" % (PORT + 1)),
                            port=PORT + 1))
    c.check("an untrusted new request gets 503 while transactions are over 20%", r[0] == 503, r)
    c.check("the trusted trunk still gets its calls through", peer_call("0049309") is not None)
    st = d2.stats()
    c.check("shield.overload_shed counts the shed request", st.get("shield.overload_shed") == 1,
            st.get("shield.overload_shed"))
    code = d2.stop()
    c.check("overload daemon stops cleanly", code == 0, code)
    c.check("no sanitizer reports (overload)", not d2.sanitizer_reports(), d2.sanitizer_reports())
finally:
    d2.cleanup()
c.finish()
