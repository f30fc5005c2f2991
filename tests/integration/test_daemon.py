#!/usr/bin/env python3
"""The daemon's command line and life cycle: --help, --version,
--check-config (precise file:line errors), start and serve, SIGHUP and
`reload` with a good and a bad file, the control socket commands, one
daemon per state directory, the privilege drop when started as root and
the refusal to run as root, SIGTERM draining with exit status 0."""
import os
import pwd
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import (VS_BIN, VS_SRC, Checks, Daemon, options_udp, service_user_lines)

PORT = 5110  # uses 5110-5112 and 5210; see the port plan in docs/testing.md
c = Checks("daemon")


def run(*args):
    return subprocess.run([VS_BIN] + list(args), capture_output=True, text=True, timeout=30)


r = run("--help")
c.check("--help exits 0 and explains options and commands",
        r.returncode == 0 and "--check-config" in r.stdout and "stats" in r.stdout)
r = run("--version")
c.check("--version prints the version", r.returncode == 0 and r.stdout.startswith("voipshield "))
r = run("--bogus")
c.check("an unknown option exits 2 with a hint", r.returncode == 2 and "--help" in r.stderr)
for example in sorted(os.listdir(os.path.join(VS_SRC, "examples"))):
    if example.endswith(".conf"):
        r = run("--check-config", os.path.join(VS_SRC, "examples", example))
        c.check("--check-config accepts examples/%s" % example, r.returncode == 0, r.stderr)

d = Daemon(PORT)
try:
    bad = d.text + "\nserver2 = { };\n"
    d.write_config(bad)
    line = len(bad.splitlines())
    r = run("--check-config", d.conf)
    c.check("--check-config names file and line of an unknown key",
            r.returncode == 2 and ("%s:%d: unknown key 'server2'" % (d.conf, line)) in r.stderr,
            r.stderr)
    d.write_config(d.text.replace('level = "info";', 'level = ;'))
    r = run("--check-config", d.conf)
    c.check("--check-config reports a syntax error with its line",
            r.returncode == 2 and d.conf + ":2: syntax error" in r.stderr, r.stderr)
    d.write_config(d.text)

    d.start()
    c.check("the daemon answers OPTIONS over IPv4 and IPv6",
            options_udp("127.0.0.1", PORT) == 200 and options_udp("::1", PORT) == 200)
    r = d.cli("version")
    c.check("`version` over the control socket", r.returncode == 0 and "voipshield" in r.stdout)
    st = d.stats()
    c.check("`stats` lists counters", st.get("workers") == 2 and "rx.udp" in st, st)

    if os.geteuid() == 0:
        status = open("/proc/%d/status" % d.proc.pid).read()
        uid = int([l for l in status.splitlines() if l.startswith("Uid:")][0].split()[2])
        if "voipshield" in service_user_lines():
            c.check("started as root, it runs as the service user",
                    uid == pwd.getpwnam("voipshield").pw_uid, uid)
            c.check("the state directory belongs to the service user",
                    os.stat(d.state).st_uid == uid)
        ctl = os.stat(os.path.join(d.state, "voipshield.ctl"))
        c.check("the control socket is private (0600)", (ctl.st_mode & 0o777) == 0o600,
                oct(ctl.st_mode))

    # A second daemon on the same state directory refuses to start.
    other = subprocess.run([VS_BIN, "--config", d.conf], capture_output=True, text=True,
                           timeout=20)
    c.check("a second daemon with the same state directory refuses",
            other.returncode != 0 and "another voipshield" in other.stderr, other.stderr)

    # A second daemon with its own state directory but the same port must
    # not share it silently (SO_REUSEPORT would allow that).
    twin = Daemon(PORT)
    try:
        r = subprocess.run([VS_BIN, "--config", twin.conf], capture_output=True, text=True,
                           timeout=20)
        c.check("a second daemon on the same port refuses and says why",
                r.returncode != 0 and "uses this port" in r.stderr, r.stderr)
    finally:
        twin.cleanup()

    # SIGHUP with a good file: applied.
    d.write_config(d.text.replace('level = "info";', 'level = "debug";'))
    d.signal(signal.SIGHUP)
    time.sleep(1)
    c.check("SIGHUP reloads a good file", "SIGHUP: configuration reloaded" in d.stderr())
    # SIGHUP with a broken file: refused, old one kept, still serving.
    d.write_config(d.text.replace("workers = 2;", "workers = two;"))
    d.signal(signal.SIGHUP)
    time.sleep(1)
    c.check("SIGHUP with a broken file is refused with file:line",
            "reload refused, keeping the running configuration: %s:1:" % d.conf in d.stderr(),
            d.stderr()[-500:])
    c.check("after a refused reload it still serves", options_udp("127.0.0.1", PORT) == 200)
    # `reload` command: a listener change needs a restart.
    d.write_config(d.text.replace("port = %d" % PORT, "port = %d" % (PORT + 100), 1))
    r = d.cli("reload")
    c.check("`reload` refuses listener changes and says a restart is needed",
            r.stdout.startswith("error") and "restart" in r.stdout, r.stdout)
    d.write_config(d.text)
    r = d.cli("reload")
    c.check("`reload` of a good file answers ok", r.stdout.startswith("ok"), r.stdout)

    rc = d.stop()
    c.check("SIGTERM: exit status 0", rc == 0, rc)
    c.check("SIGTERM: logged the drain and a summary",
            "SIGTERM received: draining and stopping" in d.stderr() and "stopped:" in d.stderr())
    c.check("pid file and control socket removed",
            not os.path.exists(os.path.join(d.state, "voipshield.ctl"))
            and not os.path.exists(os.path.join(d.state, "voipshield.pid")))
    c.check("no sanitizer reports", not d.sanitizer_reports(), d.sanitizer_reports())

    # --daemon: detaches, writes its final pid, serves, stops on SIGTERM.
    r = subprocess.run([VS_BIN, "--config", d.conf, "--daemon"], capture_output=True,
                       text=True, timeout=20)
    c.check("--daemon returns at once with status 0 and says logs go to syslog",
            r.returncode == 0 and "syslog" in r.stderr, r.stderr)
    pidfile = os.path.join(d.state, "voipshield.pid")
    dpid = None
    # The pid file first names the process that was started, then the
    # detached one; it names the final process before that one serves, so
    # read it only after an answer came.
    for _ in range(50):
        if options_udp("127.0.0.1", PORT, timeout=0.3) == 200:
            try:
                dpid = int(open(pidfile).read().strip())
            except (OSError, ValueError):
                pass
            break
        time.sleep(0.1)
    c.check("the background daemon serves and its pid file names it",
            dpid is not None and os.path.exists("/proc/%d" % dpid)
            and options_udp("127.0.0.1", PORT) == 200, dpid)
    if dpid and os.path.exists("/proc/%d" % dpid):
        os.kill(dpid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists("/proc/%d" % dpid) or \
               open("/proc/%d/stat" % dpid).read().split()[2] == "Z":
                break
            time.sleep(0.1)
        c.check("the background daemon stops on SIGTERM and removes its pid file",
                not os.path.exists(pidfile))

    if os.geteuid() == 0:
        d.write_config(d.text.replace(service_user_lines(), 'user = "";'))
        r = subprocess.run([VS_BIN, "--config", d.conf], capture_output=True, text=True,
                           timeout=20)
        c.check("as root without server.user it refuses to run",
                r.returncode != 0 and "refusing to run as root" in r.stderr, r.stderr)
        if "voipshield" in service_user_lines():
            # A state directory that is not voipshield's own is refused,
            # not handed over to the service user.
            foreign = os.path.join(d.dir, "shared")
            os.makedirs(foreign)
            open(os.path.join(foreign, "someone-elses-file"), "w").close()
            d.write_config(d.text.replace('state_dir = "%s"' % d.state,
                                          'state_dir = "%s"' % foreign))
            r = subprocess.run([VS_BIN, "--config", d.conf], capture_output=True, text=True,
                               timeout=20)
            c.check("a state directory holding foreign files is refused, not chowned",
                     r.returncode != 0 and "directory of its own" in r.stderr
                     and os.stat(foreign).st_uid == 0, r.stderr)
            d.write_config(d.text)
        d.write_config(d.text.replace(service_user_lines(), 'user = "no-such-user-vs";'))
        r = subprocess.run([VS_BIN, "--config", d.conf], capture_output=True, text=True,
                           timeout=20)
        c.check("a missing service user is explained",
                r.returncode != 0 and "does not exist" in r.stderr and "useradd" in r.stderr,
                r.stderr)
    # A port in use is explained with the config line.
    d2 = Daemon(PORT)
    try:
        blocker = Daemon(PORT + 1)
        blocker.start()
        d2.write_config(d2.text.replace("port = %d" % PORT, "port = %d" % (PORT + 1)))
        import socket
        hog = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        hog.bind(("127.0.0.1", PORT + 2))
        d2.write_config(d2.text.replace("port = %d" % PORT, "port = %d" % (PORT + 2)))
        r = subprocess.run([VS_BIN, "--config", d2.conf], capture_output=True, text=True,
                           timeout=20)
        c.check("a port already taken is reported with file:line and the reason",
                r.returncode != 0 and d2.conf + ":" in r.stderr and "cannot listen" in r.stderr,
                r.stderr)
        hog.close()
        blocker.stop()
        blocker.cleanup()
    finally:
        d2.cleanup()
except Exception as e:
    c.check("test ran to the end", False, repr(e) + "\n" + d.stderr()[-3000:])
finally:
    d.cleanup()
c.finish()
