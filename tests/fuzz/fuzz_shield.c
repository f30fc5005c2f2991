/*
 * fuzz_shield.c - the shield's input paths driven by a script of
 * operations: packets (zone lists, bans, token buckets), parsed requests
 * (scanner User-Agents), malformed messages, challenges, login results,
 * bans, unbans, sweeps and clock jumps, and the call policy (callers,
 * destinations, limits, calls ending), from a handful of sources, on
 * tables small enough to fill.  Checks: no crash, tables within their
 * caps, every event formats as one line of printable ASCII.
 *
 * Input: repeated [op][source][len][len bytes].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "core/config.h"
#include "core/hash.h"
#include "events/event.h"
#include "shield/policy.h"
#include "shield/shield.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vs_config cfg;
static struct sip_msg msg;

/* The policy rules come from a real configuration file. */
static const char policy_conf[] =
	"listen = ( { address = \"127.0.0.1\"; } );\n"
	"policy = { block_callers = [ \"@evil.example\", \"+1900\", \"sip:robo@x.example\" ];\n"
	"  allow_callers = [ \"sip:friend@evil.example\" ]; reject_anonymous = true;\n"
	"  deny_destinations = [ \"00900\" ]; caller_rate = 3; max_dialogs = 64;\n"
	"  groups = ( { name = \"g\"; deny_destinations = [ \"00\" ]; max_per_hour = 4; } );\n"
	"  accounts = ( { user = \"alice\"; max_concurrent = 2; },\n"
	"    { user = \"bob\"; group = \"g\"; block_callers = [ \"@a.example\" ]; } ); };\n";

static void setup(void)
{
	static bool done;
	char path[64], err[512];
	FILE *f;

	if (done)
		return;
	done = true;
	vs_hash_init();
	snprintf(path, sizeof(path), "/tmp/fuzz-shield-%d.conf", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(policy_conf, f);
	fclose(f);
	if (vs_config_load(path, &cfg, err, sizeof(err)))
		abort();
	unlink(path);
	cfg.nlisten = 2;
	cfg.listen[1].zone = 1;
	cfg.nzones = 2;
	cfg.zones[1] = cfg.zones[0];
	vs_cidr_parse("10.0.0.0/30", &cfg.zones[1].deny[0]);
	cfg.zones[1].ndeny = 1;
	vs_cidr_parse("10.0.0.0/29", &cfg.zones[1].allow[0]);
	cfg.zones[1].nallow = 1;
	vs_cidr_parse("10.0.0.7", &cfg.trusted[0]);
	cfg.ntrusted = 1;
	cfg.shield.max_sources = cfg.shield.max_bans = cfg.shield.max_users = 64;
	cfg.shield.rate[VS_BUCKET_OTHER] = (struct vs_bucket_conf){1, 2};
	cfg.shield.ban_rate_excess = 3;
	cfg.shield.ban_malformed = 2;
	cfg.shield.ban_auth_failures = 2;
	cfg.shield.lockout_failures = 3;
	cfg.shield.ban_distinct_users = 3;
}

static void check_event_line(const struct pl *user)
{
	char buf[512];
	struct vs_event e;
	size_t n;

	memset(&e, 0, sizeof(e));
	e.type = VS_EVENT_AUTH_FAILED;
	e.source = "10.0.0.1";
	e.user = user->p;
	e.user_len = user->l;
	e.detail = user->p;
	e.detail_len = user->l;
	n = vs_event_format(&e, buf, sizeof(buf));
	if (n == 0)
		return;
	if (buf[n - 1] != '\n' || buf[n - 2] != '}')
		abort();
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shield sh;
	struct policy pol;
	struct vs_stats stats;
	struct shield_ctx c = {&cfg, &stats, 1000, 1800000000};
	size_t i = 0;

	setup();
	memset(&stats, 0, sizeof(stats));
	if (shield_init(&sh, &cfg, NULL))
		return 0;
	if (policy_init(&pol, &cfg, NULL)) {
		shield_free(&sh);
		return 0;
	}
	while (i + 3 <= size) {
		uint8_t op = data[i], src = data[i + 1];
		size_t len = data[i + 2];
		const char *p = (const char *)data + i + 3;
		struct vs_flow f;
		struct pl slice;
		struct srctab_key k;

		if (len > size - i - 3)
			len = size - i - 3;
		i += 3 + len;
		slice = pl_make(p, len);
		memset(&f, 0, sizeof(f));
		f.peer.u.in.sin_family = AF_INET;
		f.peer.u.in.sin_addr.s_addr = htonl(0x0a000000u | (src & 15));
		f.peer.u.in.sin_port = htons((uint16_t)(5060 + (src >> 6)));
		f.peer.len = sizeof(f.peer.u.in);
		f.listener = (src & 0x30) == 0x30 ? VS_FLOW_NO_LISTENER
						  : (uint8_t)((src >> 4) & 1);
		srctab_key_of(&f.peer, false, &k);
		switch (op % 12) {
		case 0:
			(void)shield_packet(&sh, &c, &f, p, len);
			break;
		case 1:
			if (sip_msg_parse(&msg, p, len, &cfg.sip) == 0 &&
			    msg.is_request)
				(void)shield_request(&sh, &c, &f, &msg);
			else
				shield_malformed(&sh, &c, &f, "fuzz");
			break;
		case 2:
			shield_challenged(&sh, &c, &f, &slice);
			break;
		case 3:
			(void)shield_auth_result(&sh, &c, &f, &slice, op & 0x10);
			break;
		case 4:
			shield_ban(&sh, &c, &k, op & 0x10 ? 0 : len + 1,
				   (enum shield_reason)(op / 10 % SHIELD_BAN_REASON_COUNT),
				   op & 0x20, NULL);
			break;
		case 5:
			(void)shield_unban(&sh, &c, &k);
			break;
		case 6:
			(void)shield_sweep(&sh, &c);
			break;
		case 7:
			c.now_ms += (uint64_t)len * 37;
			c.wall += (int64_t)len * (op & 0x80 ? 400 : 1);
			break;
		case 8:
			(void)shield_accept(&sh, &c, &f.peer, f.listener, op & 0x80);
			if (op & 0x40)
				shield_tls_failed(&sh, &c, &f.peer);
			break;
		case 9:
			check_event_line(&slice);
			break;
		case 10:
			/* A call: the caller and callee accounts by source. */
			if (sip_msg_parse(&msg, p, len, &cfg.sip) == 0 &&
			    msg.is_request) {
				static const char *const names[] = {"alice", "bob",
								    "carol", ""};
				struct policy_call call;
				struct policy_verdict v;
				memset(&call, 0, sizeof(call));
				call.m = &msg;
				call.flow = &f;
				call.caller_account = pl_from_cstr(names[src & 3]);
				call.callee_account =
					pl_from_cstr(names[(src >> 2) & 3]);
				call.untrusted = src & 0x40;
				policy_check_call(&pol, &c, &call, &v);
				if (v.tracked && (op & 0x80))
					(void)policy_call_end(&pol, &v.dialog);
			}
			break;
		default: {
			struct srctab_key dk;
			struct pl tag = pl_make(p, len / 2);
			struct pl cid = pl_make(p + len / 2, len - len / 2);
			policy_dialog_key(&cid, &tag, &dk);
			(void)policy_call_end(&pol, &dk);
			(void)policy_sweep(&pol, &c);
			break;
		}
		}
	}
	if (srctab_count(&sh.src) > sh.src.capacity ||
	    srctab_count(&sh.bans) > sh.bans.capacity ||
	    srctab_count(&sh.users) > sh.users.capacity ||
	    srctab_count(&pol.dialogs) > pol.dialogs.capacity)
		abort();
	shield_free(&sh);
	policy_free(&pol);
	return 0;
}
