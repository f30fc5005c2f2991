/*
 * shield_svc.c - the daemon's shield: its events file, bans kept in the
 * store (written by the store writer thread, loaded at start) and the
 * `ban` commands of the control socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "daemon/worker.h"
#include "store/store.h"

/* A ban change on its way to the store. */
struct ban_batch {
	struct reg_batch batch; /* first: see reg_batch_new */
	struct vs_daemon *d;
	struct srctab_key key;
	char address[64];
	uint16_t port;
	bool del;
	struct shield_ban b;
};

static int ban_apply(struct vs_store *st, struct reg_batch *rb)
{
	struct ban_batch *bb = (struct ban_batch *)rb;
	struct vs_ban_rec r;

	/* The kernel's copy first: it is what stops a flood. */
	if (bb->d->nft && !bb->key.port) {
		int64_t left = bb->del ? 0 : bb->b.until - (int64_t)time(NULL);
		if (bb->del)
			(void)vs_nft_unban(bb->d->nft, &bb->key);
		else if (left > 0)
			(void)vs_nft_ban(bb->d->nft, &bb->key,
					 left > UINT32_MAX ? UINT32_MAX : (uint32_t)left);
	}
	if (bb->del)
		return vs_store_ban_del(st, bb->address, bb->port);
	r.address = bb->address;
	r.port = bb->port;
	r.until = bb->b.until;
	r.last = bb->b.last;
	r.offences = bb->b.offences;
	r.reason = shield_reason_name(bb->b.reason);
	r.manual = bb->b.manual;
	return vs_store_ban_put(st, &r);
}

static void persist(void *ctx, const struct srctab_key *k,
		    const struct shield_ban *b)
{
	struct vs_daemon *d = ctx;
	struct ban_batch *bb;

	if (!d->writer)
		return;
	bb = (struct ban_batch *)reg_batch_new(sizeof(*bb));
	if (!bb) {
		vs_log_limited(VS_LOG_ERR, "ban-store",
			       "out of memory: a ban change was not stored");
		return;
	}
	srctab_key_str(k, bb->address, sizeof(bb->address));
	bb->port = k->port;
	bb->key = *k;
	bb->d = d;
	bb->del = b == NULL;
	if (b)
		bb->b = *b;
	bb->batch.apply = ban_apply;
	reg_writer_submit(d->writer, &bb->batch);
}

#define EVENTS_PATH_MAX (2 * PATH_MAX + 2)

static void events_path(const struct vs_config *cfg, char *out, size_t size)
{
	int n;

	if (!cfg->events.file[0] || cfg->events.file[0] == '/')
		n = snprintf(out, size, "%s", cfg->events.file);
	else
		n = snprintf(out, size, "%s/%s", cfg->state_dir,
			     cfg->events.file);
	if (n < 0 || (size_t)n >= size)
		out[0] = 0;
}

static int restore_one(const struct vs_ban_rec *r, void *arg)
{
	struct vs_daemon *d = arg;
	struct srctab_key k;
	struct shield_ban b;
	int reason = shield_reason_from_name(r->reason);

	if (srctab_key_parse(r->address, &k))
		return 0; /* not ours to judge: skip a row edited by hand */
	srctab_key_set_port(&k, r->port);
	memset(&b, 0, sizeof(b));
	b.until = r->until;
	b.last = r->last;
	b.offences = r->offences;
	b.reason = (uint8_t)(reason < 0 ? SHIELD_BAN_MANUAL : reason);
	b.manual = r->manual;
	shield_ban_restore(&d->shield, &k, &b);
	if (d->nft && !k.port && b.until > (int64_t)time(NULL))
		(void)vs_nft_ban(d->nft, &k,
				 (uint32_t)(b.until - (int64_t)time(NULL)));
	return 0;
}

int vs_daemon_shield_start(struct vs_daemon *d, const struct vs_config *cfg,
			   char *err, size_t errlen)
{
	char path[EVENTS_PATH_MAX];
	struct vs_store *st;
	int rc;

	events_path(cfg, path, sizeof(path));
	if (vs_events_open(&d->events, path, cfg->events.syslog, err, errlen))
		return -1;
	if (shield_init(&d->shield, cfg, &d->events)) {
		snprintf(err, errlen, "out of memory for the shield tables (shield.max_sources, max_bans, max_users)");
		return -1;
	}
	if (policy_init(&d->policy, cfg, &d->events)) {
		snprintf(err, errlen, "out of memory for the policy tables (policy.max_dialogs, shield.max_users)");
		return -1;
	}
	d->svc.policy = &d->policy;
	d->shield.persist = persist;
	d->shield.persist_ctx = d;
	if (cfg->shield.nft) {
		char why[512];
		d->nft = vs_nft_open(&cfg->shield, why, sizeof(why));
		if (d->nft)
			vs_log(VS_LOG_INFO, "shield: bans also go to nftables sets %s %s %s and %s",
			       cfg->shield.nft_family, cfg->shield.nft_table,
			       cfg->shield.nft_set4, cfg->shield.nft_set6);
		else
			vs_log(VS_LOG_WARN, "shield: %s; kernel dropping is off, bans are enforced by the daemon alone",
			       why);
	}
	if (vs_store_open(cfg->state_dir, &st, err, errlen))
		return -1;
	rc = vs_store_ban_foreach(st, restore_one, d);
	vs_store_close(st);
	if (rc) {
		snprintf(err, errlen, "cannot read the bans from the store");
		return -1;
	}
	{
		struct shield_ctx c = {cfg, &d->ctl_stats, vs_now_ms(),
				       (int64_t)time(NULL)};
		uint32_t n = shield_sweep(&d->shield, &c);
		vs_log(VS_LOG_INFO, "store: %u active ban%s loaded", n,
		       n == 1 ? "" : "s");
	}
	d->svc.shield = &d->shield;
	return 0;
}

void vs_daemon_shield_reload(struct vs_daemon *d, const struct vs_config *cfg)
{
	char path[EVENTS_PATH_MAX], err[512];

	events_path(cfg, path, sizeof(path));
	if (vs_events_reopen(&d->events, path, cfg->events.syslog, err,
			     sizeof(err)))
		vs_log(VS_LOG_ERR, "reload: %s; events keep going to the old file",
		       err);
}

void vs_daemon_shield_free(struct vs_daemon *d)
{
	if (!d->shield.events)
		return; /* never started */
	shield_free(&d->shield);
	policy_free(&d->policy);
	vs_nft_close(d->nft);
	d->nft = NULL;
	vs_events_close(&d->events);
	d->shield.events = NULL;
}

struct list_arg {
	FILE *out;
	int64_t now;
	unsigned n;
};

static void list_one(const struct srctab_key *k, const struct shield_ban *b,
		     void *arg)
{
	struct list_arg *la = arg;
	char ip[64];

	if (b->until <= la->now)
		return;
	srctab_key_str(k, ip, sizeof(ip));
	if (k->port)
		fprintf(la->out, "%s port %u", ip, k->port);
	else
		fprintf(la->out, "%s", ip);
	fprintf(la->out, " %s %lld s left, ban %u%s\n",
		shield_reason_name(b->reason),
		(long long)(b->until - la->now), b->offences,
		b->manual ? " (manual)" : "");
	la->n++;
}

void vs_daemon_ban_command(struct vs_daemon *d, const struct vs_config *cfg,
			   const char *args, FILE *out)
{
	struct shield_ctx c = {cfg, &d->ctl_stats, vs_now_ms(),
			       (int64_t)time(NULL)};
	char verb[8], addr[64];
	unsigned long secs = 0;
	struct srctab_key k;
	int n = 0;

	if (!d->svc.shield) {
		fprintf(out, "error the shield is not running\n");
		return;
	}
	if (sscanf(args, "%7s %63s %lu %n", verb, addr, &secs, &n) < 1) {
		fprintf(out, "error usage: ban add ADDRESS [SECONDS] | ban del ADDRESS | ban list\n");
		return;
	}
	if (!strcmp(verb, "list")) {
		struct list_arg la = {out, c.wall, 0};
		shield_ban_foreach(&d->shield, list_one, &la);
		fprintf(out, "ok %u active ban%s\n", la.n, la.n == 1 ? "" : "s");
		return;
	}
	if (srctab_key_parse(addr, &k)) {
		fprintf(out, "error '%s' is not an IPv4 or IPv6 address\n", addr);
		return;
	}
	if (!strcmp(verb, "add")) {
		if (secs == 0 || secs > 31536000) {
			fprintf(out, "error the ban length must be 1 to 31536000 seconds\n");
			return;
		}
		shield_ban(&d->shield, &c, &k, (uint32_t)secs, SHIELD_BAN_MANUAL,
			   true, n > 0 && args[n] ? args + n : NULL);
		fprintf(out, "ok %s banned for %lu s\n", addr, secs);
	} else if (!strcmp(verb, "del")) {
		if (shield_unban(&d->shield, &c, &k))
			fprintf(out, "ok %s unbanned\n", addr);
		else
			fprintf(out, "error %s is not banned\n", addr);
	} else {
		fprintf(out, "error unknown ban command '%s' (add, del, list)\n",
			verb);
	}
}
