/*
 * fuzz_sip_server.c - what the server does with a parsed message beyond
 * parsing: digest credential checks, REGISTER processing against a
 * location table, and the proxy's printers (forward with a new Route set,
 * CANCEL, ACK, response with our Via removed).
 *
 * The digest check uses a fixed secret and clock, so seed inputs can carry
 * nonces that verify (the seeds in corpus/sip_server do).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/challenge.h"
#include "core/config.h"
#include "core/hash.h"
#include "registrar/registrar.h"
#include "sip/print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1800000000ull

static const uint8_t secret[AUTH_SECRET_LEN] = "fuzzing-secret-0123456789abcdef";

/* alice's HA1s for realm example.test, password "secret123". */
static int lookup(void *ctx, const struct pl *user, const struct pl *realm,
		  enum auth_algo algo, char out[AUTH_HEX_MAX])
{
	static const struct pl pw = PL("secret123");

	(void)ctx;
	if (!pl_eq_str(user, "alice"))
		return ENOENT;
	return auth_ha1(algo, user, realm, &pw, out);
}

struct state {
	struct vs_config cfg;
	struct sip_local local;
	struct loc_table loc;
	struct auth_nc_table nc;
	struct sip_msg msg, req;
};

static struct state *setup(void)
{
	static struct state *st;
	static const char invite[] =
		"INVITE sip:bob@example.test SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKvs00abc\r\n"
		"Route: <sip:192.0.2.9;lr>\r\n"
		"From: <sip:alice@example.test>;tag=1\r\n"
		"To: <sip:bob@example.test>\r\n"
		"Call-ID: fuzz@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		abort();
	vs_hash_init();
	vs_config_defaults(&st->cfg);
	snprintf(st->cfg.domains[0], sizeof(st->cfg.domains[0]), "example.test");
	st->cfg.ndomains = 1;
	snprintf(st->cfg.realm, sizeof(st->cfg.realm), "example.test");
	st->cfg.reg_min_expires = 1;
	sip_local_init(&st->local, &st->cfg);
	if (loc_table_init(&st->loc, 1000) || auth_nc_init(&st->nc, 1024))
		abort();
	if (sip_msg_parse(&st->req, invite, sizeof(invite) - 1, &st->cfg.sip))
		abort();
	return st;
}

static void run_auth(struct state *st, const struct sip_msg *m, bool proxy,
		     struct pl *user)
{
	static const uint8_t algos[3] = {AUTH_ALGO_SHA256, AUTH_ALGO_MD5,
					 AUTH_ALGO_SHA512_256};
	static char hdrs[4096];
	struct auth_params p;
	struct mbuf mb;

	memset(&p, 0, sizeof(p));
	p.secret = secret;
	p.nc = &st->nc;
	p.realm = pl_from_cstr("example.test");
	p.algos = algos;
	p.nalgos = 3;
	p.nonce_lifetime = 300;
	p.now = FUZZ_NOW;
	p.lookup = lookup;
	p.local = &st->local;
	if (auth_check(&p, m, proxy, user) != AUTH_RES_OK)
		*user = pl_from_cstr("alice");
	mbuf_init(&mb, hdrs, sizeof(hdrs));
	auth_challenge_print(&mb, &p, proxy, false);
}

static void run_register(struct state *st, const struct sip_msg *m,
			 const struct pl *user)
{
	static char hdrs[16384];
	struct reg_outcome o;
	struct vs_flow flow;
	struct mbuf mb;

	memset(&flow, 0, sizeof(flow));
	flow.peer.u.in.sin_family = AF_INET;
	flow.peer.u.in.sin_port = htons(5060);
	flow.peer.len = sizeof(flow.peer.u.in);
	flow.tp = VS_TP_UDP;
	mbuf_init(&mb, hdrs, sizeof(hdrs));
	memset(&o, 0, sizeof(o));
	o.hdrs = &mb;
	registrar_register(&st->loc, &st->cfg, &st->local, m, user, &flow,
			   FUZZ_NOW, 0, &o);
	if (o.batch) {
		reg_batch_clear(o.batch);
		free(o.batch);
	}
	/* Keep the table from filling up over a long run. */
	if (loc_count(&st->loc) > 900)
		(void)loc_sweep(&st->loc, UINT64_MAX, LOC_SHARDS, NULL, NULL);
}

static void run_printers(struct state *st, const struct sip_msg *m)
{
	static char out[2 * 65536];
	struct sip_src src = {PL("192.0.2.1"), 5060};
	struct mbuf mb;

	if (m->is_request) {
		struct pl routes[16];
		struct sip_hdr_iter it;
		struct sip_addr a;
		struct sip_fwd f;
		unsigned n = 0;

		sip_hdr_iter_init(&it, m, SIP_HDR_ROUTE);
		while (n < 16 && sip_addr_next(&it, &a, SIP_ADDR_ROUTE) == 0)
			routes[n++] = a.value;
		memset(&f, 0, sizeof(f));
		f.via = PL("SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKvs00x");
		f.src = &src;
		f.extra = "Record-Route: <sip:192.0.2.2;lr>\r\n";
		f.replace_routes = true;
		f.routes = n > 1 ? routes + 1 : routes;
		f.nroutes = n > 1 ? n - 1 : 0;
		mbuf_init(&mb, out, sizeof(out));
		(void)sip_fwd_print(&mb, m, &f);
		mbuf_init(&mb, out, sizeof(out));
		(void)sip_cancel_print(&mb, m);
	} else {
		mbuf_init(&mb, out, sizeof(out));
		(void)sip_resp_fwd_print(&mb, m, NULL);
		mbuf_init(&mb, out, sizeof(out));
		(void)sip_ack_print(&mb, &st->req, m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state *st = setup();
	struct pl user;
	char *copy;

	if (size > 70000)
		return 0;
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (sip_msg_parse(&st->msg, copy, size, &st->cfg.sip) == 0) {
		if (st->msg.is_request) {
			run_auth(st, &st->msg,
				 st->msg.method != SIP_METHOD_REGISTER, &user);
			if (st->msg.method == SIP_METHOD_REGISTER)
				run_register(st, &st->msg, &user);
		}
		run_printers(st, &st->msg);
	}
	free(copy);
	return 0;
}
