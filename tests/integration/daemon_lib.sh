# daemon_lib.sh - shared by the shell integration tests (sourced, not run).
#
# Expects DPID (the daemon's pid, or empty) and DERR (its stderr file).

# What AddressSanitizer, UBSan and LeakSanitizer print when they report.
SAN_RE='ERROR: AddressSanitizer|runtime error:|LeakSanitizer'

# The server.user line that works for whoever runs the test: the
# unprivileged account when it exists, else root on purpose.
vs_user_conf() {
	if [ "$(id -u)" -ne 0 ]; then
		echo 'user = "";'
	elif id voipshield >/dev/null 2>&1; then
		echo 'user = "voipshield";'
	else
		echo 'user = ""; allow_root = true;'
	fi
}

# The head of a test's configuration: who wrote it ($1), the server group
# (state in $TMP/state, two workers, domain example.test) and logging to
# standard error.  For use inside the test's configuration heredoc.
vs_server_conf() {
	printf '# written by %s\nserver = {\n  %s\n  state_dir = "%s/state";\n  workers = 2;\n  domains = [ "example.test" ];\n};\nlog = { level = "info"; target = "stderr"; };\n' \
		"$1" "$(vs_user_conf)" "$TMP"
}

# vs_baresip_config DIR SIP_LISTEN [LINE...]: a baresip configuration in
# DIR/config for the tests: G.711, a sine tone as microphone, DIR/heard.wav
# as loudspeaker, modules from $MODDIR; each LINE (say "module srtp.so" or
# "rtp_ports 10000-10099") goes in before the account module loads.
vs_baresip_config() {
	dir=$1 listen=$2
	shift 2
	{
		printf 'poll_method epoll\nsip_listen %s\nmodule_path %s\n' "$listen" "$MODDIR"
		printf 'module g711.so\nmodule ausine.so\nmodule aufile.so\n'
		for line in "$@"; do printf '%s\n' "$line"; done
		printf 'module account.so\nmodule menu.so\n'
		printf 'audio_source ausine,440\naudio_player aufile,%s/heard.wav\naudio_alert aufile,%s/alert.wav\n' "$dir" "$dir"
		printf 'ausrc_srate 48000\nauplay_srate 48000\nausrc_channels 2\nauplay_channels 2\n'
		printf 'dns_server 127.0.0.1:53\n'
	} >"$dir/config"
}

# check NAME SHELL_TEST: "ok   - NAME" or "FAIL - NAME", counted in PASS
# and FAIL (the script ends with "NAME: $PASS passed, $FAIL failed").
PASS=0
FAIL=0
check() {
	if eval "$2"; then
		echo "ok   - $1"
		PASS=$((PASS + 1))
	else
		echo "FAIL - $1"
		FAIL=$((FAIL + 1))
	fi
}

# A zombie is not alive: look at the process state.
vs_alive() {
	[ -n "$DPID" ] && [ -r "/proc/$DPID/stat" ] &&
		! sed 's/.*) //' "/proc/$DPID/stat" | grep -q '^[ZX]'
}

# For traps: stop the daemon whatever state it is in.
vs_kill_daemon() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID" 2>/dev/null || true
		i=0
		while vs_alive && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
}

vs_fail() {
	echo "FAIL: $*"
	echo "--- daemon stderr (last 40 lines) ---"
	tail -n 40 "$DERR" || true
	if grep -E -q "$SAN_RE" "$DERR" 2>/dev/null; then
		echo "--- sanitizer report ---"
		grep -E -A 40 "$SAN_RE" "$DERR" | head -n 80
	fi
	exit 1
}

# SIGTERM, at most 30 s to drain; the exit status goes to DRC.
vs_stop_daemon() {
	kill -TERM "$DPID"
	i=0
	while vs_alive && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	vs_alive && vs_fail "daemon did not stop within 30 s of SIGTERM"
	DRC=0
	wait "$DPID" || DRC=$?
	DPID=
}

# Wait until the daemon DPID started with config $1 answers on its control
# socket (at most 10 s); fail if it exits first.
vs_wait_started() {
	i=0
	until timeout 5 "$VS_BIN" -c "$1" stats >/dev/null 2>&1; do
		vs_alive || vs_fail "daemon exited during start-up"
		[ $i -lt 100 ] || vs_fail "daemon did not open its control socket in 10 s"
		sleep 0.1
		i=$((i + 1))
	done
}

# Fail when the daemon's stderr holds a sanitizer report.
vs_check_sanitizers() {
	if grep -E -q "$SAN_RE" "$DERR"; then
		echo "FAIL: sanitizer report in daemon stderr:"
		grep -E -A 40 "$SAN_RE" "$DERR" | head -n 80
		return 1
	fi
	return 0
}
