#!/usr/bin/env python3
"""`voipshield user add|passwd|del|list|import`: HA1 per algorithm in the
SQLite store (checked with the sqlite3 shell), never the password; the
password rules; duplicate and unknown users; CSV import with a header,
comments and RFC 4180 quoting, all or nothing with FILE:LINE errors, and
from standard input; invalid user names; the realm (auth.realm, else the
first domain); usage errors; and, as root, a store owned by the service
user with mode 0600.  No daemon: no ports are used."""
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vstest import SANITIZER_MARKS, VS_BIN, Checks, service_user_lines

c = Checks("user")
REALM = "example.test"
stderr_seen = []

top = tempfile.mkdtemp(prefix="vs-it-user-")
os.chmod(top, 0o755)  # the service user must reach the state directory
state = os.path.join(top, "state")
db = os.path.join(state, "voipshield.db")


def write_config(name, extra="", domains='"%s"' % REALM):
    path = os.path.join(top, name)
    with open(path, "w") as f:
        f.write('server = { %s state_dir = "%s"; domains = [%s]; };\n'
                'listen = ( { address = "127.0.0.1"; port = 5120; } );\n%s\n'
                % (service_user_lines(), state, domains, extra))
    os.chmod(path, 0o644)
    return path


conf = write_config("vs.conf")


def user(*args, stdin=None, config=None):
    """Run `voipshield -c CONF user ARGS`; stdin is a string or None."""
    r = subprocess.run([VS_BIN, "-c", config or conf, "user"] + list(args),
                       input=stdin, stdin=subprocess.DEVNULL if stdin is None else None,
                       capture_output=True, text=True, timeout=60)
    stderr_seen.append(r.stderr)
    return r


def sql(query):
    r = subprocess.run(["sqlite3", "-batch", "-noheader", db, query],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("sqlite3: " + r.stderr)
    return r.stdout


def row(name, realm=REALM):
    """(md5, sha256, sha512_256) of a user, or None."""
    out = sql("SELECT ha1_md5, ha1_sha256, ha1_sha512_256 FROM users "
              "WHERE username = '%s' AND realm = '%s'" % (name.replace("'", "''"), realm))
    lines = out.splitlines()
    return tuple(lines[0].split("|")) if lines else None


def users():
    return sorted(tuple(l.split("|")) for l in
                  sql("SELECT username, realm FROM users").splitlines())


def ha1(name, password, realm=REALM):
    data = ("%s:%s:%s" % (name, realm, password)).encode()
    try:
        s512 = hashlib.new("sha512_256", data).hexdigest()
    except ValueError:
        s512 = None  # this Python's OpenSSL lacks it: not compared
    return (hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest(), s512)


def ha1_ok(name, password, realm=REALM):
    got, want = row(name, realm), ha1(name, password, realm)
    if got is None:
        return False
    return got[0] == want[0] and got[1] == want[1] and \
        (want[2] is None or got[2] == want[2])


def csv(name, text):
    path = os.path.join(top, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


try:
    # --- add ---
    pw_alice = "Alice-Secret-7731"
    r = user("add", "alice", stdin=pw_alice + "\n")
    c.check("add alice with the password on stdin exits 0", r.returncode == 0,
            r.stdout + r.stderr)
    c.check("add says what it did", "alice" in r.stdout and REALM in r.stdout, r.stdout)
    c.check("the store file exists in the state directory", os.path.isfile(db))
    got, want = row("alice"), ha1("alice", pw_alice)
    c.check("HA1 MD5 is md5(alice:example.test:password)", got and got[0] == want[0],
            (got, want))
    c.check("HA1 SHA-256 is sha256(alice:example.test:password)", got and got[1] == want[1],
            (got, want))
    c.check("HA1 SHA-512-256 is stored too", got and len(got[2]) == 64 and
            (want[2] is None or got[2] == want[2]), (got, want))

    leaked = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = db + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                if pw_alice.encode() in f.read():
                    leaked.append(p)
    c.check("the password is in neither the db nor its WAL", not leaked, leaked)

    st = os.stat(db)
    c.check("the db file has mode 0600", stat.S_IMODE(st.st_mode) == 0o600,
            oct(st.st_mode))
    if os.geteuid() == 0 and "voipshield" in service_user_lines():
        vs = pwd.getpwnam("voipshield")
        c.check("as root: the db belongs to the voipshield user",
                (st.st_uid, st.st_gid) == (vs.pw_uid, vs.pw_gid), (st.st_uid, st.st_gid))
        sd = os.stat(state)
        c.check("as root: the state directory was made and belongs to voipshield",
                sd.st_uid == vs.pw_uid, sd.st_uid)
    else:
        c.check("the db belongs to whoever ran the command", st.st_uid == os.geteuid())

    r = user("add", "alice", stdin="Another-Password-1\n")
    c.check("add of an existing user exits 1 and says 'already exists'",
            r.returncode == 1 and "already exists" in r.stderr, (r.returncode, r.stderr))
    c.check("... and leaves the password as it was", ha1_ok("alice", pw_alice))

    # --- password rules ---
    r = user("add", "shorty", stdin="Short7!\n")
    c.check("a 7-character password is refused (exit 1)",
            r.returncode == 1 and "8" in r.stderr, (r.returncode, r.stderr))
    c.check("... and nothing is stored", row("shorty") is None)
    r = user("add", "shorty", stdin="")
    c.check("no password on stdin is refused", r.returncode == 1 and row("shorty") is None,
            (r.returncode, r.stderr))
    r = user("add", "shorty", stdin="tab\tin-the-password\n")
    c.check("a password with a control character is refused",
            r.returncode == 1 and row("shorty") is None, (r.returncode, r.stderr))
    r = user("add", "eight", stdin="12345678\r\n")
    c.check("exactly 8 characters is enough (a CRLF line end is not part of it)",
            r.returncode == 0 and ha1_ok("eight", "12345678"), (r.returncode, r.stderr))

    # --- passwd ---
    pw_alice2 = "Alice-New-Secret-42"
    old = row("alice")
    r = user("passwd", "alice", stdin=pw_alice2 + "\n")
    c.check("passwd alice exits 0", r.returncode == 0, r.stderr)
    c.check("passwd changes every HA1 to the new password's",
            ha1_ok("alice", pw_alice2) and all(a != b for a, b in zip(old, row("alice"))),
            (old, row("alice")))
    r = user("passwd", "alice", stdin="short\n")
    c.check("passwd with a short password fails and keeps the old one",
            r.returncode == 1 and ha1_ok("alice", pw_alice2), (r.returncode, r.stderr))
    r = user("passwd", "nobody", stdin="Whatever-123\n")
    c.check("passwd of an unknown user fails (exit 1) and creates nobody",
            r.returncode == 1 and "nobody" in r.stderr and row("nobody") is None,
            (r.returncode, r.stderr))

    # --- del ---
    r = user("add", "bob", stdin="Bob-Secret-0001\n")
    c.check("add bob", r.returncode == 0, r.stderr)
    r = user("del", "bob")
    c.check("del bob exits 0 and removes the row", r.returncode == 0 and row("bob") is None,
            (r.returncode, r.stderr))
    r = user("del", "bob")
    c.check("del bob again fails (exit 1)", r.returncode == 1 and "bob" in r.stderr,
            (r.returncode, r.stderr))
    c.check("del left alice alone", ha1_ok("alice", pw_alice2))

    # --- list ---
    user("add", "carol", stdin="Carol-Secret-0001\n")
    r = user("list")
    lines = r.stdout.splitlines()
    by_name = {l.split()[0]: l.split() for l in lines[1:] if l.strip()}
    c.check("list exits 0 with a header line", r.returncode == 0 and lines and
            lines[0].split() == ["USER", "REALM", "ALGORITHMS", "TRANSPORT", "CERTIFICATE"], r.stdout + r.stderr)
    c.check("list shows exactly alice, carol and eight",
            sorted(by_name) == ["alice", "carol", "eight"], r.stdout)
    c.check("list shows the realm and the algorithms of each user",
            all(v[1] == REALM and v[2] == "MD5,SHA-256,SHA-512-256" for v in by_name.values()),
            r.stdout)
    c.check("list never shows a hash", row("alice")[0] not in r.stdout, r.stdout)

    # --- import ---
    path = csv("good.csv",
               "user,password\r\n"
               "# a comment\r\n"
               "\r\n"
               "dave,Dave-Secret-01\r\n"
               "\"erin\",\"pa,ss\"\"word9\"\r\n"
               "carol,Carol-Imported-02\r\n"
               "+4930123,Phone-Secret-03")  # no line end at the end of file
    r = user("import", path)
    c.check("import of a CSV with a header, a comment, quoting exits 0",
            r.returncode == 0 and "imported 4 users" in r.stdout, (r.returncode, r.stdout, r.stderr))
    c.check("an unquoted field: dave's HA1", ha1_ok("dave", "Dave-Secret-01"))
    c.check("a quoted field with a comma and \"\": erin's HA1 is for pa,ss\"word9",
            ha1_ok("erin", 'pa,ss"word9'), row("erin"))
    c.check("import updates an existing user (carol)", ha1_ok("carol", "Carol-Imported-02"))
    c.check("the last line without a newline is imported", ha1_ok("+4930123", "Phone-Secret-03"))
    c.check("the header row is not a user", row("user") is None)
    c.check("import leaves other users alone", ha1_ok("alice", pw_alice2))

    before = users()
    carol_before = row("carol")
    bad_third_lines = {
        "a short password": "heidi,short",
        "an invalid user name": "bad name,Heidi-Secret-01",
        "three columns": "heidi,Heidi-Secret-01,extra",
        "one column": "heidi",
        "broken quoting": "heidi,\"Heidi-Secret-01",
    }
    for what, third in bad_third_lines.items():
        path = csv("bad.csv", "frank,Frank-Secret-01\n"
                              "carol,Carol-Changed-03\n"
                              "%s\n"
                              "ivan,Ivan-Secret-0001\n" % third)
        r = user("import", path)
        c.check("import with %s on line 3: exit 1, names %s:3" % (what, path),
                r.returncode == 1 and (path + ":3") in r.stderr, (r.returncode, r.stderr))
        c.check("... and nothing from that file is stored (%s)" % what,
                users() == before and row("carol") == carol_before, users())
    r = user("import", os.path.join(top, "missing.csv"))
    c.check("import of a missing file exits 1", r.returncode == 1 and "missing.csv" in r.stderr,
            (r.returncode, r.stderr))

    r = user("import", "-", stdin="username,password\njudy,Judy-Secret-01\n\"k.l-m_n\",Klmn-Secret-02\n")
    c.check("import - reads standard input (header 'username,password')",
            r.returncode == 0 and ha1_ok("judy", "Judy-Secret-01") and
            ha1_ok("k.l-m_n", "Klmn-Secret-02") and row("username") is None,
            (r.returncode, r.stdout, r.stderr))
    r = user("import", "-", stdin="mallory,Mallory-Secret\nx:y,Other-Secret-1\n")
    c.check("import - with a bad line 2 names -:2 and stores nothing",
            r.returncode == 1 and "-:2" in r.stderr and row("mallory") is None,
            (r.returncode, r.stderr))

    # --- invalid user names ---
    for bad in ("bad name", "a:b", "alice@example.test", "a%41", "x" * 65, ""):
        r = user("add", bad, stdin="Valid-Password-1\n")
        c.check("add %r exits 2" % bad[:20], r.returncode == 2 and "valid user name" in r.stderr,
                (r.returncode, r.stderr))
    r = user("passwd", "a:b", stdin="Valid-Password-1\n")
    c.check("passwd 'a:b' exits 2", r.returncode == 2, (r.returncode, r.stderr))
    c.check("no invalid name was stored",
            all(n in ("alice", "carol", "dave", "eight", "erin", "+4930123", "judy", "k.l-m_n")
                for n, _ in users()), users())
    r = user("add", "x" * 64, stdin="Valid-Password-1\n")
    c.check("a 64-character name is accepted", r.returncode == 0 and
            ha1_ok("x" * 64, "Valid-Password-1"), (r.returncode, r.stderr))

    # --- usage ---
    for args in ((), ("frobnicate",), ("add",), ("add", "a", "b"), ("list", "extra")):
        r = user(*args)
        c.check("`user %s` exits 2 with usage" % " ".join(args),
                r.returncode == 2 and "usage" in r.stderr, (r.returncode, r.stderr))

    # --- the realm ---
    corp = write_config("corp.conf", 'auth = { realm = "corp.test"; };')
    pw_corp = "Corp-Alice-Secret"
    r = user("add", "alice", stdin=pw_corp + "\n", config=corp)
    c.check("with auth.realm = corp.test, add alice (again, other realm) exits 0",
            r.returncode == 0 and "corp.test" in r.stdout, (r.returncode, r.stderr))
    c.check("... HA1 uses corp.test", ha1_ok("alice", pw_corp, realm="corp.test"),
            row("alice", "corp.test"))
    c.check("... example.test's alice is untouched", ha1_ok("alice", pw_alice2))
    r = user("list", config=corp)
    c.check("list shows both realms",
            "corp.test" in r.stdout and REALM in r.stdout, r.stdout)
    r = user("del", "alice", config=corp)
    c.check("del in corp.test removes only that alice",
            r.returncode == 0 and row("alice", "corp.test") is None and
            ha1_ok("alice", pw_alice2), (r.returncode, r.stderr))
    nodom = write_config("nodomain.conf", domains="")
    r = user("add", "zoe", stdin="Zoe-Secret-0001\n", config=nodom)
    c.check("no auth.realm and no domains: the realm is 'voipshield'",
            r.returncode == 0 and ha1_ok("zoe", "Zoe-Secret-0001", realm="voipshield"),
            (r.returncode, r.stderr, users()))

    st = os.stat(db)
    c.check("after all that, the db is still mode 0600", stat.S_IMODE(st.st_mode) == 0o600,
            oct(st.st_mode))
    reports = [m for m in SANITIZER_MARKS if any(m in e for e in stderr_seen)]
    c.check("no sanitizer reports", not reports,
            [e for e in stderr_seen if any(m in e for m in SANITIZER_MARKS)][:1])
finally:
    shutil.rmtree(top, ignore_errors=True)
c.finish()
