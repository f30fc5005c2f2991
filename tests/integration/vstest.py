"""Helpers for VoIPShield integration tests (python3 from Debian only).

A test script imports this module, starts a daemon with Daemon(config
text), talks SIP to it over real sockets, and calls Checks.finish() which
prints "N passed, N failed" and exits with the right status.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

VS_BIN = os.environ.get("VS_BIN", "build/voipshield")
VS_SRC = os.environ.get("VS_SRC", ".")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
                   "ERROR: UndefinedBehaviorSanitizer")


def service_user_lines():
    """server.user / allow_root lines that work whoever runs the test."""
    if os.geteuid() != 0:
        return ""
    try:
        subprocess.run(["id", "voipshield"], check=True, capture_output=True)
        return 'user = "voipshield";'
    except subprocess.CalledProcessError:
        return 'user = ""; allow_root = true;'


class Daemon:
    """A voipshield process with its own config and state directory."""

    # Functional tests run with the shield's rate limits and bans off (they
    # send bursts from one address on purpose); test_shield*.py turn it on.
    NO_SHIELD = "shield = { enabled = false; };\n"

    def __init__(self, port, extra="", listen=None, server_extra="", domains=("localhost",),
                 shield=NO_SHIELD):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="vs-it-")
        os.chmod(self.dir, 0o755)
        self.state = os.path.join(self.dir, "state")
        self.conf = os.path.join(self.dir, "vs.conf")
        self.log = os.path.join(self.dir, "stderr.log")
        if listen is None:
            listen = ('{ address = "127.0.0.1"; port = %d; transports = ["udp", "tcp"]; },\n'
                      '{ address = "::1"; port = %d; transports = ["udp", "tcp"]; }' % (port, port))
        self.text = ("server = { %s state_dir = \"%s\"; workers = 2; domains = [%s]; %s };\n"
                     "log = { level = \"info\"; };\n"
                     "listen = ( %s );\n%s\n" % (service_user_lines(), self.state,
                                                 ", ".join('"%s"' % x for x in domains), server_extra,
                                                 listen, extra + "\n" + shield))
        self.write_config(self.text)
        self.proc = None

    def write_config(self, text):
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def start(self, wait=True, preexec_fn=None):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([VS_BIN, "--config", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf, preexec_fn=preexec_fn)
        if wait:
            deadline = time.time() + 15
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("daemon exited at start:\n" + self.stderr())
                if options_udp("127.0.0.1", self.port, timeout=0.3) == 200:
                    return self
            raise RuntimeError("daemon did not answer OPTIONS within 15 s:\n" + self.stderr())
        return self

    def stderr(self):
        try:
            with open(self.log, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def cli(self, *args):
        return subprocess.run([VS_BIN, "--config", self.conf] + list(args),
                              capture_output=True, text=True, timeout=30)

    def add_user(self, name, password):
        """voipshield user add, the password on standard input: True if done."""
        return subprocess.run([VS_BIN, "--config", self.conf, "user", "add", name],
                              input=password + "\n", capture_output=True, text=True,
                              timeout=30).returncode == 0

    def stats(self):
        out = self.cli("stats").stdout
        return {k: int(v) for k, v in (l.split() for l in out.splitlines() if l.strip())}

    def cpu_seconds(self):
        """utime + stime of the daemon (all threads) from /proc."""
        f = open("/proc/%d/stat" % self.proc.pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "hung"

    def sanitizer_reports(self):
        text = self.stderr()
        return [m for m in SANITIZER_MARKS if m in text]

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        # A detached (--daemon) process left behind would hold the port.
        try:
            pid = int(open(os.path.join(self.state, "voipshield.pid")).read().strip())
            if b"voipshield" in open("/proc/%d/cmdline" % pid, "rb").read():
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


_seq = [0]


def sip_request(method="OPTIONS", ruri="sip:127.0.0.1", via_host="127.0.0.1:5999",
                transport="UDP", extra="", body="", cseq_method=None, max_forwards=70,
                headers=None):
    _seq[0] += 1
    n = _seq[0]
    lines = headers if headers is not None else [
        "Via: SIP/2.0/%s %s;branch=z9hG4bKvs%d;rport" % (transport, via_host, n),
        "Max-Forwards: %d" % max_forwards,
        "From: <sip:probe@example.com>;tag=t%d" % n,
        "To: <%s>" % ruri,
        "Call-ID: vstest-%d-%d@example.com" % (os.getpid(), n),
        "CSeq: %d %s" % (n, cseq_method or method),
    ]
    text = "%s %s SIP/2.0\r\n" % (method, ruri) + "".join(l + "\r\n" for l in lines)
    text += extra
    text += "Content-Length: %d\r\n\r\n%s" % (len(body.encode()), body)
    return text.encode()


def status_of(data):
    m = re.match(rb"SIP/2\.0 (\d{3}) ([^\r\n]*)", data or b"")
    return (int(m.group(1)), m.group(2).decode(errors="replace")) if m else (None, None)


def udp_exchange(host, port, payload, timeout=2.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(payload, (host, port))
        return s.recv(70000)
    except socket.timeout:
        return None
    finally:
        s.close()


def options_udp(host, port, timeout=2.0):
    return status_of(udp_exchange(host, port, sip_request(ruri="sip:%s:%d" % (
        "[%s]" % host if ":" in host else host, port)), timeout))[0]


def tcp_connect(host, port, timeout=3.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def tcp_read_messages(sock, count, timeout=3.0):
    """Read until count SIP messages (framed by Content-Length) arrived."""
    buf = b""
    msgs = []
    deadline = time.time() + timeout
    while len(msgs) < count and time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            m = re.search(rb"\r\nContent-Length: *(\d+)", buf[:end + 2], re.I)
            clen = int(m.group(1)) if m else 0
            total = end + 4 + clen
            if len(buf) < total:
                break
            msgs.append(buf[:total])
            buf = buf[total:]
    return msgs


def peer_closed(sock, timeout=3.0):
    sock.settimeout(timeout)
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                return True
    except socket.timeout:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


class Checks:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   - %s" % what)
        else:
            self.failed += 1
            print("FAIL - %s %s" % (what, detail))
        sys.stdout.flush()
        return ok

    def finish(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        sys.exit(0 if self.failed == 0 else 1)
