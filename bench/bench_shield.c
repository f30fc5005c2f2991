/*
 * bench_shield.c - fixed work through the shield, for callgrind: what one
 * message costs in the checks made before parsing (zone lists, bans, the
 * token bucket) and after (the scanner User-Agent list), with default
 * settings, tables warmed up with SOURCES sources.
 *
 *   bench_shield --iterations N --mode pass|banned|request
 *     pass     shield_packet for an INVITE from a known, allowed source
 *     banned   shield_packet for an INVITE from a banned source (dropped)
 *     request  shield_request on a parsed INVITE (User-Agent scan)
 *
 * bench/callgrind_shield.sh turns the counts into instructions per call.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/hash.h"
#include "shield/shield.h"

#define SOURCES 1000

static const char invite[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
	"User-Agent: Grandstream GXP2170 1.0.11.3\r\n"
	"Content-Length: 0\r\n\r\n";

static struct vs_flow flow_of(uint32_t i)
{
	struct vs_flow f;

	memset(&f, 0, sizeof(f));
	f.peer.u.in.sin_family = AF_INET;
	f.peer.u.in.sin_addr.s_addr = htonl(0xc6336400u + i); /* 198.51.100.x+ */
	f.peer.u.in.sin_port = htons(5060);
	f.peer.len = sizeof(f.peer.u.in);
	f.listener = 0;
	return f;
}

int main(int argc, char **argv)
{
	static struct vs_config cfg;
	static struct sip_msg m;
	struct shield sh;
	struct vs_stats st;
	struct shield_ctx c = {&cfg, &st, 1000, 1800000000};
	long n = 0;
	const char *mode = "pass";
	volatile unsigned sink = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			mode = argv[++i];
		else {
			fprintf(stderr, "usage: %s --iterations N --mode pass|banned|request\n",
				argv[0]);
			return 2;
		}
	}
	vs_hash_init();
	vs_config_defaults(&cfg);
	cfg.nlisten = 1;
	/* Budgets that never run out: this measures the checks. */
	for (int b = 0; b < VS_BUCKET_COUNT; b++)
		cfg.shield.rate[b] = (struct vs_bucket_conf){1000000, 1000000};
	memset(&st, 0, sizeof(st));
	if (shield_init(&sh, &cfg, NULL))
		return 1;
	for (uint32_t i = 0; i < SOURCES; i++) {
		struct vs_flow f = flow_of(i);
		sink += shield_packet(&sh, &c, &f, invite, sizeof(invite) - 1);
	}
	{
		struct vs_flow f = flow_of(SOURCES + 1);
		struct srctab_key k;
		srctab_key_of(&f.peer, false, &k);
		shield_ban(&sh, &c, &k, 3600, SHIELD_BAN_MANUAL, true, NULL);
	}
	if (sip_msg_parse(&m, invite, sizeof(invite) - 1, &cfg.sip))
		return 1;
	for (long i = 0; i < n; i++) {
		struct vs_flow f = flow_of(!strcmp(mode, "banned") ? SOURCES + 1
								   : (uint32_t)(i % SOURCES));
		c.now_ms++;
		if (!strcmp(mode, "request"))
			sink += shield_request(&sh, &c, &f, &m);
		else
			sink += shield_packet(&sh, &c, &f, invite, sizeof(invite) - 1);
	}
	shield_free(&sh);
	return (int)(sink & 0);
}
