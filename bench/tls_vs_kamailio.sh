#!/bin/bash
# SIP over TLS: VoIPShield against Kamailio 5.6 with its tls module, same
# machine, same run, same certificate and protocol (TLS 1.3, P-256 ECDSA
# certificate, X25519), same offered loads, all on loopback.
#
#   VoIPShield: one worker, a tls listener, MD5 digest only, the registrar
#     persisting to SQLite, the shield on with budgets above the load.
#   Kamailio:   children=1, tcp_children=1, the tls module, auth_db with
#     HA1 in db_sqlite, usrloc db_mode 1 (write-through to SQLite), as in
#     bench/register_vs_kamailio.sh.
# Servers on CPU 0, the load (bench/tls_load.c) on CPU 1.
#
# Three measurements per server, REPEAT times, medians printed with the
# ratio Kamailio / VoIPShield:
#   1. handshakes: HS_COUNT full TLS 1.3 handshakes offered at HS_RATE/s;
#      server CPU per handshake (µs, /proc utime+stime of all its
#      processes or threads), completed count, latency p50/p99;
#   2. memory per idle connection: IDLE_CONNS connections held open; the
#      growth of RSS and PSS (summed over Kamailio's processes, from
#      smaps_rollup) divided by the number of connections;
#   3. authenticated REGISTERs over REG_CONNS persistent TLS connections at
#      REG_RATE/s for SECONDS (users tls00000...): server CPU per
#      successful REGISTER (both requests of the digest exchange count as
#      one), success ratio, latency p50/p99.
#
#   bench/tls_vs_kamailio.sh BUILD_DIR [REPEAT]
# Environment: HS_COUNT=2000 HS_RATE=200 IDLE_CONNS=2000 REG_CONNS=100
#   REG_RATE=500 STEP_SECONDS=10 USERS=1000
set -eu
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
build=${1:-build}
repeat=${2:-3}
hs_count=${HS_COUNT:-2000}
hs_rate=${HS_RATE:-200}
idle=${IDLE_CONNS:-2000}
reg_conns=${REG_CONNS:-100}
reg_rate=${REG_RATE:-500}
secs=${STEP_SECONDS:-10}
users=${USERS:-1000}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bin=$(cd "$build" && pwd)/voipshield
load=$(cd "$build" && pwd)/bench/tls_load
VS_PORT=5330
KAM_PORT=5340
REALM=bench.test
hz=$(getconf CLK_TCK)

for tool in kamailio taskset timeout python3 sqlite3 openssl; do
  command -v $tool >/dev/null || { echo "needs $tool (scripts/deps.sh bench)" >&2; exit 1; }
done
[ -x "$bin" ] && [ -x "$load" ] || { echo "build first: $bin and $load" >&2; exit 1; }
for m in tls db_sqlite; do
  [ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/$m.so ] ||
    { echo "needs Kamailio's $m module (scripts/deps.sh bench)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vs-bench-tls-XXXXXX)
chmod 755 "$work"
vs_pid="" kam_main=""
cleanup() {
  [ -n "$vs_pid" ] && kill "$vs_pid" 2>/dev/null || true
  [ -n "$kam_main" ] && kill "$kam_main" 2>/dev/null || true
  pkill -f "kamailio -f $work/kamailio.cfg" 2>/dev/null || true
  sleep 0.5
  [ -n "${KEEP_WORK:-}" ] && echo "# kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
chmod 644 "$work/key.pem"

# Users tls00000.. with password pw-tls00000.. for both servers.
sqlite3 "$work/kamailio.db" "PRAGMA journal_mode=WAL;" >/dev/null
cat /usr/share/kamailio/db_sqlite/standard-create.sql /usr/share/kamailio/db_sqlite/auth_db-create.sql \
    /usr/share/kamailio/db_sqlite/usrloc-create.sql | sqlite3 "$work/kamailio.db"
python3 - "$work" "$users" "$REALM" <<'PY'
import hashlib, sqlite3, sys
work, n, realm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = []
with open(work + "/users.csv", "w") as c:
    c.write("user,password\n")
    for i in range(n):
        u = "tls%05d" % i
        pw = "pw-" + u
        c.write("%s,%s\n" % (u, pw))
        rows.append((u, realm, "", hashlib.md5(("%s:%s:%s" % (u, realm, pw)).encode()).hexdigest(), ""))
con = sqlite3.connect(work + "/kamailio.db")
con.executemany("INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?,?,?,?,?)", rows)
con.commit()
PY

user_line='user = "";'
if [ "$(id -u)" -eq 0 ]; then
  if id voipshield >/dev/null 2>&1; then user_line='user = "voipshield";'; else user_line='user = ""; allow_root = true;'; fi
fi
big='{ rate = 1000000; burst = 1000000; }'
cat >"$work/vs.conf" <<CONF
server = { $user_line state_dir = "$work/vs-state"; workers = 1; domains = [ "$REALM" ]; };
log = { level = "warning"; };
listen = ( { address = "127.0.0.1"; port = $VS_PORT; transports = [ "tls" ];
             tls_cert = "$work/cert.pem"; tls_key = "$work/key.pem"; } );
auth = { algorithms = [ "MD5" ]; };
tcp = { max_connections = 20000; max_connections_per_source = 20000; };
tls = { min_version = "1.2"; groups = "X25519:P-256"; max_handshakes = 20000; };
transactions = { max = 262144; };
shield = { rate = { register = $big; invite = $big; other = $big; tls_handshake = $big; }; };
CONF
"$bin" --config "$work/vs.conf" user import "$work/users.csv" >/dev/null

cat >"$work/tls.cfg" <<CONF
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = $work/key.pem
certificate = $work/cert.pem
CONF
cat >"$work/kamailio.cfg" <<CONF
#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children=1
tcp_children=1
enable_tls=yes
auto_aliases=no
tcp_max_connections=20000
tls_max_connections=20000
tcp_connection_lifetime=3600
listen=tls:127.0.0.1:$KAM_PORT
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tls.so"
loadmodule "db_sqlite.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "ctl.so"
modparam("tls", "config", "$work/tls.cfg")
modparam("ctl", "binrpc", "unix:$work/kam.ctl")
modparam("usrloc", "db_url", "sqlite:///$work/kamailio.db")
modparam("usrloc", "db_mode", 1)
modparam("auth_db", "db_url", "sqlite:///$work/kamailio.db")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("auth", "secret", "benchmark-secret-0123456789")
modparam("auth", "nonce_count", 1)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (method != "REGISTER") { sl_send_reply("404", "Not Found"); exit; }
  if (!auth_check("$REALM", "subscriber", "1")) { auth_challenge("$REALM", "1"); exit; }
  if (!save("location")) { sl_reply_error(); }
  exit;
}
CONF
kamailio -c -f "$work/kamailio.cfg" >"$work/kam-check.log" 2>&1 || { cat "$work/kam-check.log"; exit 1; }

kam_pids() { pgrep -f "kamailio -f $work/kamailio.cfg" | tr '\n' ' '; }
start_server() {
  if [ "$1" = vs ]; then
    taskset -c 0 "$bin" --config "$work/vs.conf" 2>>"$work/vs.log" &
    vs_pid=$!
    sleep 1
    kill -0 "$vs_pid" || { cat "$work/vs.log"; exit 1; }
  else
    taskset -c 0 kamailio -f "$work/kamailio.cfg" -P "$work/kam.pid" -Y "$work" -w "$work" \
      -DD -E -m 1024 -M 64 >>"$work/kam.log" 2>&1 &
    kam_main=$!
    sleep 2
    [ -n "$(kam_pids)" ] || { cat "$work/kam.log"; exit 1; }
  fi
}
stop_server() {
  [ -n "$vs_pid" ] && { kill "$vs_pid"; wait "$vs_pid" 2>/dev/null || true; vs_pid=""; }
  if [ -n "$kam_main" ]; then
    kill "$kam_main"; wait "$kam_main" 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(kam_pids)" ] && break; sleep 0.2; done
    kam_main=""
  fi
}
pids_of() { if [ "$1" = vs ]; then echo "$vs_pid"; else kam_pids; fi; }
port_of() { if [ "$1" = vs ]; then echo $VS_PORT; else echo $KAM_PORT; fi; }
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p"; }

# "ok cpu_us p50 p99" for COUNT handshakes at RATE.
step_hs() {
  local s=$1 before after out ok
  before=$(cpu_ticks $(pids_of "$s"))
  out=$(timeout $((hs_count / hs_rate + 60)) taskset -c 1 "$load" hs "$(port_of "$s")" "$hs_count" "$hs_rate")
  after=$(cpu_ticks $(pids_of "$s"))
  ok=$(echo "$out" | field ok)
  echo "$ok $(awk -v t=$((after - before)) -v hz="$hz" -v n="$ok" 'BEGIN{printf "%.1f", n ? t * 1e6 / hz / n : 0}') $(echo "$out" | field p50_us) $(echo "$out" | field p99_us)"
}
# "up rss_bytes_per_conn pss_bytes_per_conn"
step_idle() {
  local s=$1 m0 m1 up fifo
  read -r -a m0 < <(mem_kb $(pids_of "$s"))
  fifo="$work/idle.out"
  rm -f "$fifo"
  timeout 200 taskset -c 1 "$load" idle "$(port_of "$s")" "$idle" 8 >"$fifo" 2>/dev/null &
  local lp=$!
  for _ in $(seq 1200); do grep -q READY "$fifo" 2>/dev/null && break; sleep 0.1; done
  sleep 2
  up=$(awk '/READY/ {print $2}' "$fifo")
  read -r -a m1 < <(mem_kb $(pids_of "$s"))
  wait "$lp" 2>/dev/null || true
  echo "${up:-0} $(awk -v a="${m0[0]}" -v b="${m1[0]}" -v n="${up:-0}" 'BEGIN{printf "%.0f", n ? (b - a) * 1024 / n : 0}') $(awk -v a="${m0[1]}" -v b="${m1[1]}" -v n="${up:-0}" 'BEGIN{printf "%.0f", n ? (b - a) * 1024 / n : 0}')"
}
# "ok offered cpu_us p50 p99"
step_reg() {
  local s=$1 before after out ok n=$((reg_rate * secs))
  # Warm up: every user registered once (nonces, bindings), not timed.
  timeout 120 taskset -c 1 "$load" reg "$(port_of "$s")" "$reg_conns" "$reg_rate" $(((users + reg_rate - 1) / reg_rate)) "$users" >/dev/null 2>&1 || true
  before=$(cpu_ticks $(pids_of "$s"))
  out=$(timeout $((secs + 60)) taskset -c 1 "$load" reg "$(port_of "$s")" "$reg_conns" "$reg_rate" "$secs" "$users" 2>/dev/null)
  after=$(cpu_ticks $(pids_of "$s"))
  ok=$(echo "$out" | field ok)
  echo "$ok $n $(awk -v t=$((after - before)) -v hz="$hz" -v n="$ok" 'BEGIN{printf "%.1f", n ? t * 1e6 / hz / n : 0}') $(echo "$out" | field p50_us) $(echo "$out" | field p99_us)"
}

echo "# SIP over TLS: VoIPShield $("$bin" --version | awk '{print $2}') vs $(kamailio -v | head -1 | awk '{print $2, $3}'); OpenSSL $(openssl version | awk '{print $2}'); nproc=$(nproc)"
echo "# servers on CPU 0 (VoIPShield 1 worker; Kamailio children=1, tcp_children=1), tls_load on CPU 1; TLS 1.3, P-256 certificate"
echo "# handshakes: $hs_count at $hs_rate/s; idle connections: $idle; REGISTER: $reg_conns connections, $reg_rate/s for ${secs}s, $users users; median of $repeat"
for s in vs kam; do
  : >"$work/$s.hs"; : >"$work/$s.idle"; : >"$work/$s.reg"
done
for r in $(seq "$repeat"); do
  for s in vs kam; do
    start_server "$s"
    step_hs "$s" >>"$work/$s.hs"
    step_idle "$s" >>"$work/$s.idle"
    step_reg "$s" >>"$work/$s.reg"
    stop_server
    echo "# round $r $s: hs [$(tail -1 "$work/$s.hs")] idle [$(tail -1 "$work/$s.idle")] reg [$(tail -1 "$work/$s.reg")]" >&2
  done
done
col() { awk -v c="$2" '{print $c}' "$1" | median; }
printf "%-34s %14s %14s %8s\n" "" "VoIPShield" "Kamailio" "K / VS"
row() {
  local name=$1 a=$2 b=$3
  printf "%-34s %14s %14s %8s\n" "$name" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN{ if (a + 0 > 0 && b != "-") printf "%.2f", b / a; else print "-" }')"
}
row "handshakes completed" "$(col "$work/vs.hs" 1)/$hs_count" "$(col "$work/kam.hs" 1)/$hs_count"
row "CPU per handshake (us)" "$(col "$work/vs.hs" 2)" "$(col "$work/kam.hs" 2)"
row "handshake latency p50 (us)" "$(col "$work/vs.hs" 3)" "$(col "$work/kam.hs" 3)"
row "handshake latency p99 (us)" "$(col "$work/vs.hs" 4)" "$(col "$work/kam.hs" 4)"
row "idle connections up" "$(col "$work/vs.idle" 1)/$idle" "$(col "$work/kam.idle" 1)/$idle"
row "RSS per idle connection (bytes)" "$(col "$work/vs.idle" 2)" "$(col "$work/kam.idle" 2)"
row "PSS per idle connection (bytes)" "$(col "$work/vs.idle" 3)" "$(col "$work/kam.idle" 3)"
row "REGISTER 200 OK" "$(col "$work/vs.reg" 1)/$((reg_rate * secs))" "$(col "$work/kam.reg" 1)/$((reg_rate * secs))"
row "CPU per REGISTER (us)" "$(col "$work/vs.reg" 3)" "$(col "$work/kam.reg" 3)"
row "REGISTER latency p50 (us)" "$(col "$work/vs.reg" 4)" "$(col "$work/kam.reg" 4)"
row "REGISTER latency p99 (us)" "$(col "$work/vs.reg" 5)" "$(col "$work/kam.reg" 5)"
