/*
 * fuzz_shield.c - the shield's input paths driven by a script of
 * operations: packets (zone lists, bans, token buckets), parsed requests
 * (scanner User-Agents), malformed messages, challenges, login results,
 * bans, unbans, sweeps and clock jumps, from a handful of sources, on
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

#include "core/config.h"
#include "core/hash.h"
#include "events/event.h"
#include "shield/shield.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vs_config cfg;
static struct sip_msg msg;

static void setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	vs_hash_init();
	vs_config_defaults(&cfg);
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
	struct vs_stats stats;
	struct shield_ctx c = {&cfg, &stats, 1000, 1800000000};
	size_t i = 0;

	setup();
	memset(&stats, 0, sizeof(stats));
	if (shield_init(&sh, &cfg, NULL))
		return 0;
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
		switch (op % 10) {
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
			(void)shield_accept(&sh, &c, &f.peer, f.listener);
			break;
		default:
			check_event_line(&slice);
			break;
		}
	}
	if (srctab_count(&sh.src) > sh.src.capacity ||
	    srctab_count(&sh.bans) > sh.bans.capacity ||
	    srctab_count(&sh.users) > sh.users.capacity)
		abort();
	shield_free(&sh);
	return 0;
}
