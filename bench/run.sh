#!/bin/sh
# All benchmarks, in one run:  bench/run.sh BUILD_DIR
#  1. parser throughput on one core and callgrind instructions per message;
#  2. stateless OPTIONS, VoIPShield against Kamailio, CPU per request;
#  3. authenticated REGISTER and calls against Kamailio, and memory;
#  4. authenticated REGISTER against Kamailio with a persistent location
#     table (usrloc db_mode 1 on db_sqlite), latency in microseconds, and
#     memory per binding;
#  5. the shield: callgrind instructions per check, legitimate calls during
#     an INVITE flood against Kamailio (pike + htable ban), CPU per flood
#     packet, and CPU per call with the shield on and off;
#  6. the SRTP transform: CPU per packet, ours (OpenSSL EVP) against
#     Debian's libsrtp2 (NSS), in one process;
#  7. SIP over TLS against Kamailio's tls module: handshakes, memory per
#     idle connection, authenticated REGISTERs over persistent connections;
#  8. the media relay against rtpengine (user space): CPU per relayed
#     packet, loss and added latency, for RTP-RTP, RTP-SRTP and SRTP-SRTP.
# Environment: RATES, SECONDS, REPEAT for step 2 (see options_vs_kamailio.sh);
# REG_RATES, CALL_RATES, USERS for step 3 (see proxy_vs_kamailio.sh);
# REG_RATES, SECONDS, REPEAT, MEM_USERS for step 4 (see register_vs_kamailio.sh);
# FLOOD_RATES, SECONDS, REPEAT for step 5 (see shield_vs_kamailio.sh);
# MODES, MEDIA_CALLS, REPEAT for step 8 (see media_vs_rtpengine.sh).
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)

echo "== SIP parser: messages per second on one core (taskset -c 1) =="
taskset -c 1 "$build/bench/bench_parse" --seconds "${PARSE_SECONDS:-6}"

echo
echo "== SIP parser: instructions per message (valgrind --tool=callgrind, proxy level) =="
"$here/callgrind_parse.sh" "$build"

echo
echo "== Stateless OPTIONS: VoIPShield vs Kamailio =="
"$here/options_vs_kamailio.sh" "$build" "${RATES:-1000 2000 4000 8000 16000}" "${SECONDS:-10}" "${REPEAT:-3}"

echo
echo "== Authenticated REGISTER and calls: VoIPShield vs Kamailio =="
"$here/proxy_vs_kamailio.sh" "$build" "${REG_RATES:-200 500 1000}" "${CALL_RATES:-50 100 200}" "${SECONDS:-10}" "${REPEAT:-3}" "${USERS:-10000}"

echo
echo "== Authenticated REGISTER, bindings persisted by both: VoIPShield vs Kamailio (usrloc db_mode 1, db_sqlite) =="
"$here/register_vs_kamailio.sh" "$build" "${REG_RATES:-200 500 1000}" "${SECONDS:-10}" "${REPEAT:-3}" "${MEM_USERS:-10000 100000}"

echo
echo "== The shield: instructions per check (valgrind --tool=callgrind) =="
"$here/callgrind_shield.sh" "$build"

echo
echo "== The shield: instructions per call, on and off (valgrind --tool=callgrind) =="
"$here/callgrind_calls.sh" "$build"

echo
echo "== The shield under an INVITE flood, and its cost: VoIPShield vs Kamailio (pike + htable) =="
"$here/shield_vs_kamailio.sh" "$build" "${FLOOD_RATES:-0 10000 50000 100000 200000}" "${SECONDS:-10}" "${REPEAT:-3}"

echo
echo "== SRTP protect/unprotect per packet: ours (OpenSSL EVP) vs libsrtp2 (NSS) =="
"$build/bench/srtp_vs_libsrtp" "${SRTP_PACKETS:-200000}" "${REPEAT:-5}"

echo
echo "== SIP over TLS: VoIPShield vs Kamailio (tls module) =="
"$here/tls_vs_kamailio.sh" "$build" "${REPEAT:-3}"

echo
echo "== The media relay: VoIPShield vs rtpengine (user space) =="
CALLS="${MEDIA_CALLS:-100 300 600 1200}" "$here/media_vs_rtpengine.sh" "$build"
