#!/usr/bin/env python3
"""PROTOS c07-sip sender for tests/integration/test_protos.sh.

Replays every PROTOS c07-sip case (INVITE, then the teardown record as
CANCEL and as ACK) at a SIP server, over UDP and then over TCP, filling
the placeholders the way the original tool does (see the test data's
README.txt).  After each of the 54 groups it checks that the server process
is alive and that it still answers a valid OPTIONS with 200, over UDP and
over TCP.  Exits 0 when it did, 1 naming the group and last case when not,
2 on bad input.

UDP: one socket per group; datagrams go out without waiting for replies,
replies are drained without blocking.  So that the kernel never silently
drops a case (a full receive queue), at most WINDOW bytes are in flight:
then an OPTIONS on the same socket (same 4-tuple, so the same worker
socket, processed in order) is answered only after everything before it.

TCP ("tcp"): one connection per case (INVITE + CANCEL + ACK pipelined,
then a half-close), so that every case up to 65535 bytes reaches the server
on a clean stream even when an earlier case made it close the connection.

TCP ("tcp-stream"): one connection per group with all its cases pipelined,
so that garbage, bogus Content-Length values and framing errors hit a
stream that carries on; reconnects when the server closes it.

Standard library only; bytes throughout (cases hold NUL and high bytes).
"""

import argparse
import errno
import os
import re
import select
import socket
import sys
import time

UDP_MAX = 65507          # largest IPv4 UDP payload: the tool cuts there
TCP_MAX = 65535          # cases larger than this are not sent over TCP
WINDOW = 256 * 1024      # UDP bytes (estimated queue cost) before a sync
PROBE_WAIT = 2.0         # seconds to wait for one probe answer
PROBE_TRIES = 3

CALL_ID_RE = re.compile(rb"\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)", re.I)
CLEN_RE = re.compile(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*([0-9]+)", re.I)


class Fail(Exception):
    pass


def load_case(path):
    """Split a case file into (INVITE template, teardown template)."""
    with open(path, "rb") as f:
        d = f.read()
    recs = []
    pos = 0
    for _ in range(2):
        sp = d.index(b" ", pos)
        n = int(d[pos:sp])
        rec = d[sp + 1:sp + 1 + n]
        if len(rec) != n:
            raise ValueError("%s: record shorter than its length" % path)
        recs.append(rec)
        pos = sp + 1 + n
    if pos != len(d):
        raise ValueError("%s: trailing bytes after two records" % path)
    return recs[0], recs[1]


def load_groups(path):
    groups = []
    with open(path, encoding="ascii") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, first, count, last = line.split("\t")[:4]
            first, count, last = int(first), int(count), int(last)
            if last != first + count - 1:
                raise ValueError("groups.tsv: bad row %r" % line)
            groups.append((name, first, last))
    return groups


class Sender:
    def __init__(self, args):
        self.host = args.host
        self.port = args.port
        self.pid = args.pid
        self.me = args.host                 # sender address (same loopback)
        self.probe_seq = 0
        self.stats = {}
        self.log = open(args.log, "w", encoding="ascii") if args.log else None

    # ---- placeholders -------------------------------------------------
    def fill(self, tpl, case, lport, method=None):
        me = self.me.encode()
        subs = [
            (b"<To>", b"test@" + self.host.encode()),
            (b"<From>", b"probe@" + me),
            (b"<From-Address>", me),
            (b"<From-IP>", me),
            (b"<Local-Port>", b"%d" % lport),
            (b"<Call-ID>", b"%d" % case),
            (b"<CSeq>", b"1"),
            (b"<Branch-ID>", b"%06d" % case),
        ]
        if method is not None:
            subs.append((b"<Teardown-Method>", method))
        m = tpl
        for k, v in subs:
            m = m.replace(k, v)
        # Last: the body length, i.e. the bytes after the first CRLFCRLF.
        if b"<Content-Length>" in m:
            i = m.find(b"\r\n\r\n")
            body = len(m) - (i + 4) if i >= 0 else 0
            m = m.replace(b"<Content-Length>", b"%d" % body)
        return m

    # ---- liveness -------------------------------------------------------
    def daemon_alive(self):
        try:
            with open("/proc/%d/stat" % self.pid, "rb") as f:
                st = f.read()
        except OSError:
            return False
        # state is the field after the ")" that closes the command name
        state = st[st.rindex(b")") + 2:st.rindex(b")") + 3]
        return state not in (b"Z", b"X")

    def options(self, transport, lhost, lport, ruri_host):
        self.probe_seq += 1
        cid = "vs-probe-%d-%d@%s" % (os.getpid(), self.probe_seq, lhost)
        via_host = "[%s]" % lhost if ":" in lhost else lhost
        msg = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
               "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-vsprobe-%d\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:probe@%s>;tag=vsp%d\r\n"
               "To: <sip:%s:%d>\r\n"
               "Call-ID: %s\r\n"
               "CSeq: 1 OPTIONS\r\n"
               "Content-Length: 0\r\n\r\n") % (
                   ruri_host, self.port, transport, via_host, lport,
                   self.probe_seq, via_host, self.probe_seq, ruri_host,
                   self.port, cid)
        return cid.encode(), msg.encode()

    # ---- UDP ------------------------------------------------------------
    def udp_socket(self, family=socket.AF_INET, host=None):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((host or self.host, 0))
        return s

    def udp_drain(self, s, on_reply, timeout=0.0):
        """Read what is queued (waiting up to timeout for the first)."""
        got = 0
        while True:
            r, _, _ = select.select([s], [], [], timeout)
            if not r:
                return got
            try:
                data = s.recv(70000, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return got
            except ConnectionRefusedError:
                raise Fail("ICMP port unreachable: nothing listens on "
                           "UDP port %d any more" % self.port)
            got += 1
            on_reply(data)
            timeout = 0.0

    def udp_probe(self, s, dest, ruri_host, on_other):
        """OPTIONS on socket s; True when 200 with our Call-ID came back."""
        lhost, lport = s.getsockname()[:2]
        for _ in range(PROBE_TRIES):
            cid, msg = self.options("UDP", lhost, lport, ruri_host)
            try:
                s.sendto(msg, dest)
            except ConnectionRefusedError:
                return False
            deadline = time.monotonic() + PROBE_WAIT
            done = []

            def seen(data):
                m = CALL_ID_RE.search(data)
                if m and m.group(1).strip() == cid:
                    if data.startswith(b"SIP/2.0 200 "):
                        done.append(True)
                elif m and m.group(1).startswith(b"vs-probe-"):
                    pass            # late answer to an earlier probe
                else:
                    on_other(data)

            while not done:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    self.udp_drain(s, seen, left)
                except Fail:
                    return False
            if done:
                return True
        return False

    # ---- TCP ------------------------------------------------------------
    def tcp_exchange(self, family, lhost, payload_fn, dest, timeout):
        """Bind, connect, send payload_fn(local_port), half-close, read to
        EOF.  Returns (received bytes, sent ok), or (None, False) without
        connecting when payload_fn returns None.  Raises Fail on a hang."""
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.bind((lhost, 0))
            payload = payload_fn(s.getsockname()[1])
            if payload is None:
                return None, False      # nothing to send
            s.settimeout(timeout)
            try:
                s.connect(dest)
            except ConnectionRefusedError:
                raise Fail("TCP connection to %s refused" % (dest,))
            except socket.timeout:
                raise Fail("TCP connect to %s timed out" % (dest,))
            sent = True
            try:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                sent = False        # server closed early (framing error)
            buf = b""
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Fail("server kept the TCP connection open %.0f s "
                               "after our half-close" % timeout)
                s.settimeout(left)
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                except socket.timeout:
                    continue
                if not chunk:
                    break
                buf += chunk
            return buf, sent
        finally:
            s.close()

    @staticmethod
    def split_responses(buf):
        out = []
        while buf:
            i = buf.find(b"\r\n\r\n")
            if i < 0:
                break
            head = buf[:i + 4]
            m = CLEN_RE.search(head)
            n = int(m.group(1)) if m else 0
            out.append(head + buf[i + 4:i + 4 + n])
            buf = buf[i + 4 + n:]
        return out

    def tcp_probe(self, family, lhost, ruri_host):
        dest = (lhost, self.port)
        for _ in range(PROBE_TRIES):
            holder = []

            def payload(lport):
                cid, msg = self.options("TCP", lhost, lport, ruri_host)
                holder.append(cid)
                return msg
            try:
                buf, _ = self.tcp_exchange(family, lhost, payload, dest,
                                           PROBE_WAIT)
            except Fail:
                continue
            for r in self.split_responses(buf):
                m = CALL_ID_RE.search(r)
                if (r.startswith(b"SIP/2.0 200 ") and m
                        and m.group(1).strip() == holder[0]):
                    return True
        return False

    # ---- checks ---------------------------------------------------------
    def check_alive(self, where):
        if not self.daemon_alive():
            raise Fail("%s: daemon process %d is gone" % (where, self.pid))
        s = self.udp_socket()
        try:
            ok = self.udp_probe(s, (self.host, self.port), self.host,
                                lambda d: None)
        finally:
            s.close()
        if not ok:
            raise Fail("%s: no 200 to OPTIONS over UDP within %d x %.0f s"
                       % (where, PROBE_TRIES, PROBE_WAIT))
        if not self.tcp_probe(socket.AF_INET, self.host, self.host):
            raise Fail("%s: no 200 to OPTIONS over TCP within %d x %.0f s"
                       % (where, PROBE_TRIES, PROBE_WAIT))

    def count_status(self, tp, data):
        if self.log:
            cid = CALL_ID_RE.search(data)
            cseq = re.search(rb"\r\nCSeq[ \t]*:[ \t]*([^\r\n]*)", data, re.I)
            self.log.write("%s %s | Call-ID %s | CSeq %s\n" % (
                tp, data.split(b"\r\n", 1)[0][:80].decode("ascii", "replace"),
                (cid.group(1)[:40] if cid else b"-").decode("ascii", "replace"),
                (cseq.group(1)[:40] if cseq else b"-").decode("ascii", "replace")))
        key = "%s_status_%s" % (tp, data[8:11].decode("ascii", "replace")
                                if data.startswith(b"SIP/2.0 ") else "other")
        self.stats[key] = self.stats.get(key, 0) + 1

    def bump(self, key, n=1):
        self.stats[key] = self.stats.get(key, 0) + n

    # ---- runs -----------------------------------------------------------
    def run_udp(self, groups, cases):
        dest = (self.host, self.port)
        for name, first, last in groups:
            s = self.udp_socket()
            lport = s.getsockname()[1]
            in_flight = 0
            before = self.stats.get("udp_replies", 0)

            def on_reply(data):
                self.bump("udp_replies")
                self.count_status("udp", data)
            case = first
            try:
                for case in range(first, last + 1):
                    inv, td = cases[case]
                    msgs = [self.fill(inv, case, lport),
                            self.fill(td, case, lport, b"CANCEL"),
                            self.fill(td, case, lport, b"ACK")]
                    for m in msgs:
                        if len(m) > UDP_MAX:
                            m = m[:UDP_MAX]
                            self.bump("udp_truncated")
                        # queue cost: payload (big ones land in 128 KiB
                        # buffers) plus per-datagram overhead
                        cost = 2 * len(m) + 2048
                        if in_flight + cost > WINDOW:
                            if not self.udp_probe(s, dest, self.host,
                                                  on_reply):
                                raise Fail("UDP sync OPTIONS unanswered")
                            in_flight = 0
                        try:
                            s.sendto(m, dest)
                        except ConnectionRefusedError:
                            raise Fail("ICMP port unreachable: nothing "
                                       "listens on UDP port %d" % self.port)
                        in_flight += cost
                        self.bump("udp_datagrams")
                        self.udp_drain(s, on_reply)
                    self.bump("udp_cases")
                # everything of this group processed before the checks
                if not self.udp_probe(s, dest, self.host, on_reply):
                    raise Fail("UDP sync OPTIONS unanswered")
                self.check_alive("udp")
            except Fail as e:
                raise Fail("udp group %s (cases %d..%d), last case sent %d: "
                           "%s" % (name, first, last, case, e))
            finally:
                s.close()
            got = self.stats.get("udp_replies", 0) - before
            if name == "valid":
                self.stats["udp_case0_replies"] = got
            print("  udp %-30s cases %4d..%4d  replies %5d  alive, OPTIONS "
                  "200 (udp+tcp)" % (name, first, last, got), flush=True)

    def run_tcp(self, groups, cases):
        dest = (self.host, self.port)
        for name, first, last in groups:
            before = self.stats.get("tcp_replies", 0)
            case = first
            try:
                for case in range(first, last + 1):
                    inv, td = cases[case]
                    # the local port is part of the message: bind first
                    def payload(lport, case=case, inv=inv, td=td):
                        m = self.fill(inv, case, lport)
                        if len(m) > TCP_MAX:
                            return None
                        return (m + self.fill(td, case, lport, b"CANCEL")
                                + self.fill(td, case, lport, b"ACK"))
                    buf, sent = self.tcp_exchange(
                        socket.AF_INET, self.host, payload, dest, 5.0)
                    if buf is None:
                        self.bump("tcp_skipped_oversize")
                        continue
                    if not sent:
                        self.bump("tcp_closed_early")
                    for r in self.split_responses(buf):
                        self.bump("tcp_replies")
                        self.count_status("tcp", r)
                    self.bump("tcp_cases")
                self.check_alive("tcp")
            except Fail as e:
                raise Fail("tcp group %s (cases %d..%d), last case sent %d: "
                           "%s" % (name, first, last, case, e))
            got = self.stats.get("tcp_replies", 0) - before
            if name == "valid":
                self.stats["tcp_case0_replies"] = got
            print("  tcp %-30s cases %4d..%4d  replies %5d  alive, OPTIONS "
                  "200 (udp+tcp)" % (name, first, last, got), flush=True)

    def run_tcp_stream(self, groups, cases):
        """One connection per group, every case pipelined on it: garbage,
        wrong Content-Length values and all.  When the server closes the
        connection (framing error, oversize), reconnect and go on with the
        next case; what was in flight when it closed is lost, as it would
        be for a real peer."""
        dest = (self.host, self.port)
        for name, first, last in groups:
            before = self.stats.get("tcps_replies", 0)
            conn = [None, b""]          # socket, unparsed reply bytes

            def take(data):
                conn[1] += data
                rs = self.split_responses(conn[1])
                # keep an incomplete tail for the next read
                used = sum(len(r) for r in rs)
                conn[1] = conn[1][used:]
                for r in rs:
                    self.bump("tcps_replies")
                    self.count_status("tcps", r)

            def connect():
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind((self.host, 0))
                s.settimeout(5.0)
                try:
                    s.connect(dest)
                except (ConnectionRefusedError, socket.timeout) as e:
                    s.close()
                    raise Fail("TCP connect: %s" % e)
                conn[0], conn[1] = s, b""
                self.bump("tcps_connections")

            def drain():
                """False when the server closed the connection."""
                s = conn[0]
                while True:
                    # (a socket with a timeout waits in recv even with
                    # MSG_DONTWAIT: ask select first)
                    if not select.select([s], [], [], 0)[0]:
                        return True
                    try:
                        data = s.recv(65536)
                    except BlockingIOError:
                        return True
                    except ConnectionResetError:
                        return False
                    if not data:
                        return False
                    take(data)

            case = first
            try:
                connect()
                for case in range(first, last + 1):
                    inv, td = cases[case]
                    for attempt in (1, 2):
                        lport = conn[0].getsockname()[1]
                        m = self.fill(inv, case, lport)
                        if len(m) > TCP_MAX:
                            self.bump("tcps_skipped_oversize")
                            break
                        data = (m + self.fill(td, case, lport, b"CANCEL")
                                + self.fill(td, case, lport, b"ACK"))
                        try:
                            conn[0].sendall(data)
                            ok = drain()
                        except (BrokenPipeError, ConnectionResetError):
                            ok = False
                        except socket.timeout:
                            raise Fail("server stopped reading: send "
                                       "blocked 5 s")
                        if ok:
                            self.bump("tcps_cases")
                            break
                        # closed: this case may not have been read whole;
                        # send it once more on a fresh connection
                        conn[0].close()
                        self.bump("tcps_reconnects")
                        connect()
                        if attempt == 2:
                            self.bump("tcps_cases")
                # the end: half-close, the server must close within 15 s
                # (a bogus Content-Length may make it wait for a body)
                s = conn[0]
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                deadline = time.monotonic() + 15.0
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise Fail("server kept the TCP connection open "
                                   "15 s after our half-close")
                    s.settimeout(left)
                    try:
                        data = s.recv(65536)
                    except ConnectionResetError:
                        break
                    except socket.timeout:
                        continue
                    if not data:
                        break
                    take(data)
                self.check_alive("tcp-stream")
            except Fail as e:
                raise Fail("tcp-stream group %s (cases %d..%d), last case "
                           "sent %d: %s" % (name, first, last, case, e))
            finally:
                if conn[0]:
                    conn[0].close()
            got = self.stats.get("tcps_replies", 0) - before
            print("  tcp-stream %-23s cases %4d..%4d  replies %5d  alive, "
                  "OPTIONS 200 (udp+tcp)" % (name, first, last, got),
                  flush=True)

    def final_checks(self):
        """The IPv6 listener too, once everything has been sent."""
        if not self.daemon_alive():
            raise Fail("end: daemon process %d is gone" % self.pid)
        s = self.udp_socket(socket.AF_INET6, "::1")
        try:
            ok = self.udp_probe(s, ("::1", self.port), "[::1]",
                                lambda d: None)
        finally:
            s.close()
        if not ok:
            raise Fail("end: no 200 to OPTIONS over UDP on [::1]")
        if not self.tcp_probe(socket.AF_INET6, "::1", "[::1]"):
            raise Fail("end: no 200 to OPTIONS over TCP on [::1]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True,
                    help="protos-c07-sip directory (cases/, groups.tsv)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True,
                    help="server process to watch")
    ap.add_argument("--summary", required=True,
                    help="write key=value counters here")
    ap.add_argument("--transports", default="udp,tcp,tcp-stream")
    ap.add_argument("--log", help="write one line per reply received here")
    ap.add_argument("--wait-ready", type=float, default=0,
                    help="only wait up to this many seconds for OPTIONS 200")
    args = ap.parse_args()

    snd = Sender(args)
    if args.wait_ready:
        deadline = time.monotonic() + args.wait_ready
        while time.monotonic() < deadline:
            if not snd.daemon_alive():
                print("daemon exited during start-up", file=sys.stderr)
                return 1
            s = snd.udp_socket()
            try:
                if snd.udp_probe(s, (args.host, args.port), args.host,
                                 lambda d: None):
                    return 0
            finally:
                s.close()
        print("daemon did not answer OPTIONS within %.0f s" % args.wait_ready,
              file=sys.stderr)
        return 1

    groups = load_groups(os.path.join(args.data, "groups.tsv"))
    if len(groups) != 54 or groups[0][1] != 0 or groups[-1][2] != 4526:
        print("groups.tsv: expected 54 groups covering 0..4526",
              file=sys.stderr)
        return 2
    cases = [load_case(os.path.join(args.data, "cases", "%07d" % i))
             for i in range(4527)]

    t0 = time.monotonic()
    rc = 0
    try:
        for tp in args.transports.split(","):
            t = time.monotonic()
            print("%s: %d groups" % (tp, len(groups)), flush=True)
            if tp == "udp":
                snd.run_udp(groups, cases)
            elif tp == "tcp":
                snd.run_tcp(groups, cases)
            elif tp == "tcp-stream":
                snd.run_tcp_stream(groups, cases)
            else:
                raise SystemExit("unknown transport %s" % tp)
            snd.stats["%s_seconds" % tp.replace("tcp-stream", "tcps")] = int(time.monotonic() - t + 0.5)
        snd.final_checks()
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        rc = 1
    snd.stats["seconds"] = int(time.monotonic() - t0 + 0.5)
    with open(args.summary, "w", encoding="ascii") as f:
        for k in sorted(snd.stats):
            f.write("%s=%s\n" % (k, snd.stats[k]))
    return rc


if __name__ == "__main__":
    sys.exit(main())
