/*
 * shield.c - zones, rate limits, bans, scanners and password cracking
 * (see shield.h and docs/shield.md).
 *
 * Locks: a call holds at most one table shard at a time; events are
 * written and bans stored after the shard is unlocked.
 */
#include "shield/shield.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/hash.h"

#define SRC_USERS 16 /* distinct user names remembered per source */

struct src_state {
	uint64_t refill_ms;
	int64_t tokens[VS_BUCKET_COUNT]; /* thousandths of a request */
	uint32_t window;		 /* its start, in seconds */
	uint32_t excess, malformed, auth_failed, tls_failed;
	uint32_t users[SRC_USERS];
	uint8_t nusers;
	bool logged_in; /* a correct password from here in the window */
	bool primed;	/* buckets filled */
	uint32_t shed_sec;
	uint32_t ev_sec, ev_count;
};

struct ban_entry {
	struct shield_ban b;
	bool lifted; /* ended (expiry noticed); history kept until forget */
};

struct user_state {
	uint32_t window;
	uint32_t failures;
	int64_t locked_until;
	uint8_t good[2][16]; /* sources that logged in as this user */
	uint8_t ngood, next_good;
};

static const char *const reason_names[SHIELD_BAN_REASON_COUNT] = {
	[SHIELD_BAN_MANUAL] = "manual",
	[SHIELD_BAN_RATE] = "rate_limit",
	[SHIELD_BAN_MALFORMED] = "malformed",
	[SHIELD_BAN_AUTH] = "auth_failures",
	[SHIELD_BAN_SCANNER] = "scanner",
	[SHIELD_BAN_ENUMERATION] = "enumeration",
	[SHIELD_BAN_TLS] = "tls_failures",
};

const char *shield_reason_name(enum shield_reason r)
{
	return (unsigned)r < SHIELD_BAN_REASON_COUNT ? reason_names[r] : "?";
}

int shield_reason_from_name(const char *name)
{
	for (int i = 0; i < SHIELD_BAN_REASON_COUNT; i++)
		if (!strcmp(reason_names[i], name))
			return i;
	return -1;
}

int shield_init(struct shield *s, const struct vs_config *cfg,
		struct vs_events *events)
{
	memset(s, 0, sizeof(*s));
	s->events = events;
	if (srctab_init(&s->src, cfg->shield.max_sources,
			sizeof(struct src_state)) ||
	    srctab_init(&s->bans, cfg->shield.max_bans,
			sizeof(struct ban_entry)) ||
	    srctab_init(&s->users, cfg->shield.max_users,
			sizeof(struct user_state))) {
		shield_free(s);
		return ENOMEM;
	}
	return 0;
}

void shield_free(struct shield *s)
{
	srctab_free(&s->src);
	srctab_free(&s->bans);
	srctab_free(&s->users);
}

const struct vs_zone *shield_zone(const struct vs_config *cfg,
				  const struct vs_flow *flow)
{
	if (flow->listener < cfg->nlisten)
		return &cfg->zones[cfg->listen[flow->listener].zone];
	return &cfg->zones[0];
}

static bool cidr_any(const struct vs_cidr *list, unsigned n,
		     const struct srctab_key *k)
{
	for (unsigned i = 0; i < n; i++)
		if (vs_cidr_match(&list[i], k->ip, 16))
			return true;
	return false;
}

/* Addresses that are never banned automatically. */
static bool exempt(const struct vs_config *cfg, const struct vs_sockaddr *sa,
		   const struct srctab_key *k)
{
	return cidr_any(cfg->shield.never_ban, cfg->shield.nnever_ban, k) ||
	       (sa && vs_config_trusted(cfg, sa));
}

static bool exempt_key(const struct vs_config *cfg, const struct srctab_key *k)
{
	struct vs_sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.u.in6.sin6_family = AF_INET6;
	memcpy(&sa.u.in6.sin6_addr, k->ip, 16);
	sa.len = sizeof(sa.u.in6);
	return exempt(cfg, &sa, k);
}

/* The source's entry, with its window rolled over; shard locked. */
static struct src_state *src_enter(struct shield *s, const struct shield_ctx *c,
				   const struct srctab_key *k,
				   struct srctab_shard **sh)
{
	struct src_state *st;
	uint32_t now_s = (uint32_t)(c->now_ms / 1000);

	*sh = srctab_lock(&s->src, k);
	st = srctab_get(*sh, k, true, NULL, NULL, NULL);
	if (now_s - st->window >= c->cfg->shield.window || !st->window) {
		st->window = now_s ? now_s : 1;
		st->excess = st->malformed = st->auth_failed = st->tls_failed = 0;
		st->nusers = 0;
		st->logged_in = false;
	}
	return st;
}

/* Per-source event budget (call with the shard locked). */
static bool ev_allowed(struct src_state *st, const struct shield_ctx *c)
{
	uint32_t now_s = (uint32_t)(c->now_ms / 1000);

	if (st->ev_sec != now_s) {
		st->ev_sec = now_s;
		st->ev_count = 0;
	}
	return st->ev_count++ < c->cfg->events.rate;
}

static void emit(struct shield *s, enum vs_event_type type,
		 const struct srctab_key *k, uint16_t port,
		 const struct pl *user, const char *reason, const char *detail,
		 int64_t until)
{
	char ip[64];
	struct vs_event e;

	if (!s->events)
		return;
	memset(&e, 0, sizeof(e));
	e.type = type;
	if (k) {
		srctab_key_str(k, ip, sizeof(ip));
		e.source = ip;
	}
	e.port = port;
	if (user && pl_isset(user)) {
		e.user = user->p;
		e.user_len = user->l;
	}
	e.reason = reason;
	if (detail) {
		e.detail = detail;
		e.detail_len = strlen(detail);
	}
	e.until = until;
	vs_event_emit(s->events, &e);
}

void shield_ban(struct shield *s, const struct shield_ctx *c,
		const struct srctab_key *key, uint32_t seconds,
		enum shield_reason why, bool manual, const char *detail)
{
	const struct vs_shield_conf *sc = &c->cfg->shield;
	struct srctab_key k = *key;
	struct srctab_shard *sh;
	struct ban_entry *be;
	struct shield_ban copy;
	struct srctab_key old;
	bool evicted;

	if (!manual && exempt_key(c->cfg, &k))
		return;
	sh = srctab_lock(&s->bans, &k);
	be = srctab_get(sh, &k, true, NULL, &evicted, &old);
	if (!manual && !be->lifted && be->b.until > c->wall) {
		srctab_unlock(sh);
		return; /* already banned */
	}
	if (be->lifted && !be->b.manual && sc->ban_forget &&
	    c->wall - be->b.until > (int64_t)sc->ban_forget)
		be->b.offences = 0;
	if (!seconds) {
		uint64_t d = sc->ban_time;
		for (uint32_t i = 0; i < be->b.offences && d < sc->ban_max_time;
		     i++)
			d *= 2;
		seconds = d > sc->ban_max_time ? sc->ban_max_time : (uint32_t)d;
	}
	be->b.until = c->wall + seconds;
	be->b.last = c->wall;
	be->b.offences++;
	be->b.reason = (uint8_t)why;
	be->b.manual = manual;
	be->lifted = false;
	copy = be->b;
	srctab_unlock(sh);
	if (s->persist) {
		/* The table is full: the entry that made room leaves the
		 * store too, so that the store is bounded like the table. */
		if (evicted)
			s->persist(s->persist_ctx, &old, NULL);
		s->persist(s->persist_ctx, &k, &copy);
	}
	if (c->stats) {
		vs_stat_inc(c->stats, VS_STAT_SHIELD_BANS);
		vs_stat_inc(c->stats, VS_STAT_SHIELD_BAN_MANUAL + why);
	}
	emit(s, VS_EVENT_BAN, &k, k.port, NULL, shield_reason_name(why),
	     detail, copy.until);
}

bool shield_unban(struct shield *s, const struct shield_ctx *c,
		  const struct srctab_key *k)
{
	struct srctab_shard *sh = srctab_lock(&s->bans, k);
	struct ban_entry *be = srctab_get(sh, k, false, NULL, NULL, NULL);
	bool active = be && !be->lifted && be->b.until > c->wall;
	bool found = be != NULL;

	if (be)
		srctab_del(sh, k);
	srctab_unlock(sh);
	if (!found)
		return false;
	if (s->persist)
		s->persist(s->persist_ctx, k, NULL);
	if (active) {
		if (c->stats)
			vs_stat_inc(c->stats, VS_STAT_SHIELD_UNBANS);
		emit(s, VS_EVENT_UNBAN, k, k->port, NULL, "manual", NULL, 0);
	}
	return true;
}

bool shield_is_banned(struct shield *s, const struct srctab_key *k,
		      int64_t wall)
{
	struct srctab_shard *sh = srctab_lock(&s->bans, k);
	struct ban_entry *be = srctab_get(sh, k, false, NULL, NULL, NULL);
	bool banned = be && !be->lifted && be->b.until > wall;

	srctab_unlock(sh);
	return banned;
}

void shield_ban_restore(struct shield *s, const struct srctab_key *k,
			const struct shield_ban *b)
{
	struct srctab_shard *sh = srctab_lock(&s->bans, k);
	struct ban_entry *be = srctab_get(sh, k, true, NULL, NULL, NULL);

	be->b = *b;
	be->lifted = false;
	srctab_unlock(sh);
}

struct foreach_arg {
	void (*fn)(const struct srctab_key *k, const struct shield_ban *b,
		   void *arg);
	void *arg;
};

static bool foreach_one(const struct srctab_key *k, void *value, void *arg)
{
	struct foreach_arg *fa = arg;
	struct ban_entry *be = value;

	fa->fn(k, &be->b, fa->arg);
	return false;
}

void shield_ban_foreach(struct shield *s,
			void (*fn)(const struct srctab_key *k,
				   const struct shield_ban *b, void *arg),
			void *arg)
{
	struct foreach_arg fa = {fn, arg};

	srctab_foreach(&s->bans, foreach_one, &fa);
}

struct sweep_arg {
	struct shield *s;
	const struct shield_ctx *c;
	uint32_t active;
};

static bool sweep_one(const struct srctab_key *k, void *value, void *arg)
{
	struct sweep_arg *sa = arg;
	struct ban_entry *be = value;
	const struct vs_shield_conf *sc = &sa->c->cfg->shield;

	if (!be->lifted && be->b.until > sa->c->wall) {
		sa->active++;
		return false;
	}
	if (!be->lifted) {
		be->lifted = true;
		if (sa->c->stats)
			vs_stat_inc(sa->c->stats, VS_STAT_SHIELD_UNBANS);
		emit(sa->s, VS_EVENT_UNBAN, k, k->port, NULL, "expired", NULL, 0);
	}
	if (be->b.manual || !sc->ban_forget ||
	    sa->c->wall - be->b.until > (int64_t)sc->ban_forget) {
		if (sa->s->persist)
			sa->s->persist(sa->s->persist_ctx, k, NULL);
		return true;
	}
	return false;
}

uint32_t shield_sweep(struct shield *s, const struct shield_ctx *c)
{
	struct sweep_arg sa = {s, c, 0};

	srctab_foreach(&s->bans, sweep_one, &sa);
	return sa.active;
}

/* The budget a message's first bytes ask for. */
static enum vs_shield_bucket classify(const char *buf, size_t len)
{
	if (len > 9 && memcmp(buf, "REGISTER ", 9) == 0)
		return VS_BUCKET_REGISTER;
	if (len > 7 && memcmp(buf, "INVITE ", 7) == 0)
		return VS_BUCKET_INVITE;
	return VS_BUCKET_OTHER;
}

static bool zone_allows(const struct vs_zone *z, const struct srctab_key *k)
{
	if (cidr_any(z->deny, z->ndeny, k))
		return false;
	return !z->nallow || cidr_any(z->allow, z->nallow, k);
}

static void zone_denied(struct shield *s, const struct shield_ctx *c,
			const struct srctab_key *k, uint16_t port,
			const struct vs_zone *z)
{
	struct srctab_shard *sh;
	struct src_state *st;
	bool ev;

	if (c->stats)
		vs_stat_inc(c->stats, VS_STAT_SHIELD_ZONE_DENIED);
	st = src_enter(s, c, k, &sh);
	ev = ev_allowed(st, c);
	srctab_unlock(sh);
	if (ev)
		emit(s, VS_EVENT_ZONE_DENY, k, port, NULL, z->name, NULL, 0);
}

static const char *const bucket_name[VS_BUCKET_COUNT] = {
	[VS_BUCKET_REGISTER] = "register",
	[VS_BUCKET_INVITE] = "invite",
	[VS_BUCKET_OTHER] = "other",
	[VS_BUCKET_TLS] = "tls_handshake",
};

/* One token from bucket b of source k: PASS, or over budget SHED (at most
 * once a second, when allowed) or DROP; a source too far over budget is
 * banned (trusted peers never). */
static enum shield_verdict spend(struct shield *s, const struct shield_ctx *c,
				 const struct srctab_key *k,
				 const struct vs_sockaddr *peer,
				 enum vs_shield_bucket b, bool allow_shed)
{
	const struct vs_shield_conf *sc = &c->cfg->shield;
	struct srctab_shard *sh;
	struct src_state *st;
	enum shield_verdict v = SHIELD_PASS;
	bool trusted, ban = false, ev = false;
	uint32_t now_s = (uint32_t)(c->now_ms / 1000);

	trusted = vs_config_trusted(c->cfg, peer);
	st = src_enter(s, c, k, &sh);
	if (!st->primed) {
		for (int i = 0; i < VS_BUCKET_COUNT; i++)
			st->tokens[i] = (int64_t)(trusted ? sc->trusted_rate[i]
							  : sc->rate[i])
						.burst * 1000;
		st->refill_ms = c->now_ms;
		st->primed = true;
	}
	if (c->now_ms > st->refill_ms) {
		uint64_t dt = c->now_ms - st->refill_ms;
		for (int i = 0; i < VS_BUCKET_COUNT; i++) {
			const struct vs_bucket_conf *bi =
				trusted ? &sc->trusted_rate[i] : &sc->rate[i];
			int64_t cap = (int64_t)bi->burst * 1000;
			st->tokens[i] += (int64_t)(dt > 3600000 ? 3600000 : dt) *
					 bi->rate;
			if (st->tokens[i] > cap)
				st->tokens[i] = cap;
		}
		st->refill_ms = c->now_ms;
	}
	if (st->tokens[b] >= 1000) {
		st->tokens[b] -= 1000;
		srctab_unlock(sh);
		return SHIELD_PASS;
	}
	st->excess++;
	if (allow_shed && sc->over_limit_reply && st->shed_sec != now_s) {
		st->shed_sec = now_s;
		v = SHIELD_SHED;
		ev = ev_allowed(st, c);
	} else {
		v = SHIELD_DROP;
		ev = st->shed_sec != now_s && ev_allowed(st, c);
		st->shed_sec = now_s;
	}
	if (sc->ban_rate_excess && st->excess >= sc->ban_rate_excess &&
	    !trusted) {
		ban = true;
		st->excess = 0;
	}
	srctab_unlock(sh);
	if (c->stats)
		vs_stat_inc(c->stats, VS_STAT_SHIELD_RATE_LIMITED);
	if (ev) {
		emit(s, VS_EVENT_RATE_LIMIT, k, vs_sa_port(peer), NULL,
		     bucket_name[b], NULL, 0);
	}
	if (ban) {
		char d[96];
		snprintf(d, sizeof(d), "%u requests over the %s budget in %u s",
			 sc->ban_rate_excess,
			 bucket_name[b],
			 sc->window);
		shield_ban(s, c, k, 0, SHIELD_BAN_RATE, false, d);
	}
	return v;
}

enum shield_verdict shield_packet(struct shield *s, const struct shield_ctx *c,
				  const struct vs_flow *flow, const char *buf,
				  size_t len)
{
	const struct vs_shield_conf *sc = &c->cfg->shield;
	const struct vs_zone *z = shield_zone(c->cfg, flow);
	struct srctab_key k, bk;

	srctab_key_of(&flow->peer, sc->key_port, &k);
	if (flow->listener != VS_FLOW_NO_LISTENER && !zone_allows(z, &k)) {
		zone_denied(s, c, &k, vs_sa_port(&flow->peer), z);
		return SHIELD_DROP;
	}
	if (!sc->enabled)
		return SHIELD_PASS;
	bk = k;
	if (bk.port)
		srctab_key_set_port(&bk, 0);
	if (shield_is_banned(s, &bk, c->wall) ||
	    (sc->key_port && shield_is_banned(s, &k, c->wall))) {
		if (c->stats)
			vs_stat_inc(c->stats, VS_STAT_SHIELD_BANNED_DROP);
		return SHIELD_DROP;
	}
	return spend(s, c, &k, &flow->peer, classify(buf, len), true);
}

bool shield_accept(struct shield *s, const struct shield_ctx *c,
		   const struct vs_sockaddr *peer, uint8_t listener, bool tls)
{
	struct vs_flow f;

	memset(&f, 0, sizeof(f));
	f.peer = *peer;
	f.listener = listener;
	{
		const struct vs_zone *z = shield_zone(c->cfg, &f);
		struct srctab_key k;
		srctab_key_of(peer, false, &k);
		if (listener != VS_FLOW_NO_LISTENER && !zone_allows(z, &k)) {
			zone_denied(s, c, &k, vs_sa_port(peer), z);
			return false;
		}
		if (c->cfg->shield.enabled && shield_is_banned(s, &k, c->wall)) {
			if (c->stats)
				vs_stat_inc(c->stats, VS_STAT_SHIELD_BANNED_DROP);
			return false;
		}
		/* A TLS handshake costs a key exchange: its own budget. */
		if (tls && c->cfg->shield.enabled) {
			struct srctab_key kk;
			srctab_key_of(peer, c->cfg->shield.key_port, &kk);
			if (spend(s, c, &kk, peer, VS_BUCKET_TLS, false) !=
			    SHIELD_PASS)
				return false;
		}
	}
	return true;
}

void shield_tls_failed(struct shield *s, const struct shield_ctx *c,
		       const struct vs_sockaddr *peer)
{
	const struct vs_shield_conf *sc = &c->cfg->shield;
	struct srctab_key k;
	struct srctab_shard *sh;
	struct src_state *st;
	bool ban = false, ev;

	if (!sc->enabled)
		return;
	srctab_key_of(peer, sc->key_port, &k);
	st = src_enter(s, c, &k, &sh);
	st->tls_failed++;
	ev = ev_allowed(st, c);
	if (sc->ban_tls_failures && st->tls_failed >= sc->ban_tls_failures) {
		ban = true;
		st->tls_failed = 0;
	}
	srctab_unlock(sh);
	if (ev)
		emit(s, VS_EVENT_TLS_FAILURE, &k, vs_sa_port(peer), NULL,
		     "handshake", NULL, 0);
	if (ban) {
		char d[64];
		snprintf(d, sizeof(d), "%u failed TLS handshakes in %u s",
			 sc->ban_tls_failures, sc->window);
		shield_ban(s, c, &k, 0, SHIELD_BAN_TLS, false, d);
	}
}

/* The User-Agent, lower-cased (its first 512 bytes: enough for any
 * scanner's name). */
static size_t lower_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len > size)
		len = size;
	for (size_t i = 0; i < len; i++)
		dst[i] = vs_tolower(src[i]);
	return len;
}

/* Does h contain n?  (memchr on the first byte: cheaper than memmem for
 * short needles and headers.) */
static bool has_sub(const char *h, size_t hl, const char *n, size_t nl)
{
	const char *p = h, *end = h + hl;

	while (nl && nl <= (size_t)(end - p) &&
	       (p = memchr(p, n[0], (size_t)(end - p) - nl + 1)) != NULL) {
		if (!memcmp(p + 1, n + 1, nl - 1))
			return true;
		p++;
	}
	return false;
}

bool shield_request(struct shield *s, const struct shield_ctx *c,
		    const struct vs_flow *flow, const struct sip_msg *m)
{
	const struct vs_shield_conf *sc = &c->cfg->shield;
	const struct sip_hdr *h;
	struct srctab_key k;

	if (!sc->enabled || !sc->nscanners)
		return true;
	h = sip_msg_hdr(m, SIP_HDR_USER_AGENT);
	if (!h)
		return true;
	/* The patterns are in lower case (config_shield.c). */
	char ua[512];
	size_t ul = lower_copy(ua, sizeof(ua), h->value.p, h->value.l);
	for (unsigned i = 0; i < sc->nscanners; i++) {
		if (!has_sub(ua, ul, sc->scanners[i], strlen(sc->scanners[i])))
			continue;
		srctab_key_of(&flow->peer, false, &k);
		if (exempt(c->cfg, &flow->peer, &k))
			return true;
		if (c->stats)
			vs_stat_inc(c->stats, VS_STAT_SHIELD_SCANNERS);
		{
			char d[128];
			snprintf(d, sizeof(d), "User-Agent matches \"%s\"",
				 sc->scanners[i]);
			emit(s, VS_EVENT_SCANNER, &k, vs_sa_port(&flow->peer),
			     NULL, "user_agent", d, 0);
			shield_ban(s, c, &k, 0, SHIELD_BAN_SCANNER, false, d);
		}
		return false;
	}
	return true;
}

void shield_malformed(struct shield *s, const struct shield_ctx *c,
		      const struct vs_flow *flow, const char *why)
{
	const struct vs_shield_conf *sc = &c->cfg->shield;
	struct srctab_key k;
	struct srctab_shard *sh;
	struct src_state *st;
	bool ban = false, ev;

	if (!sc->enabled)
		return;
	srctab_key_of(&flow->peer, sc->key_port, &k);
	st = src_enter(s, c, &k, &sh);
	st->malformed++;
	ev = ev_allowed(st, c);
	if (sc->ban_malformed && st->malformed >= sc->ban_malformed) {
		ban = true;
		st->malformed = 0;
	}
	srctab_unlock(sh);
	if (ev)
		emit(s, VS_EVENT_MALFORMED, &k, vs_sa_port(&flow->peer), NULL,
		     NULL, why, 0);
	if (ban) {
		char d[64];
		snprintf(d, sizeof(d), "%u malformed messages in %u s",
			 sc->ban_malformed, sc->window);
		shield_ban(s, c, &k, 0, SHIELD_BAN_MALFORMED, false, d);
	}
}

void shield_challenged(struct shield *s, const struct shield_ctx *c,
		       const struct vs_flow *flow, const struct pl *user)
{
	const struct vs_shield_conf *sc = &c->cfg->shield;
	struct srctab_key k;
	struct srctab_shard *sh;
	struct src_state *st;
	uint32_t h;
	bool ban = false;

	if (!sc->enabled || !sc->ban_distinct_users || !user || !user->l)
		return;
	h = (uint32_t)vs_hash(user->p, user->l) | 1;
	srctab_key_of(&flow->peer, sc->key_port, &k);
	st = src_enter(s, c, &k, &sh);
	if (!st->logged_in) {
		unsigned i;
		for (i = 0; i < st->nusers; i++)
			if (st->users[i] == h)
				break;
		if (i == st->nusers && st->nusers < SRC_USERS)
			st->users[st->nusers++] = h;
		if (st->nusers >= sc->ban_distinct_users) {
			ban = true;
			st->nusers = 0;
		}
	}
	srctab_unlock(sh);
	if (ban) {
		char d[96];
		if (c->stats)
			vs_stat_inc(c->stats, VS_STAT_SHIELD_SCANNERS);
		snprintf(d, sizeof(d), "%u different user names in %u s without a login",
			 sc->ban_distinct_users, sc->window);
		emit(s, VS_EVENT_SCANNER, &k, vs_sa_port(&flow->peer), user,
		     "enumeration", d, 0);
		shield_ban(s, c, &k, 0, SHIELD_BAN_ENUMERATION, false, d);
	}
}

bool shield_auth_result(struct shield *s, const struct shield_ctx *c,
			const struct vs_flow *flow, const struct pl *user,
			bool ok)
{
	const struct vs_shield_conf *sc = &c->cfg->shield;
	struct srctab_key k, uk, ip;
	struct srctab_shard *sh;
	struct src_state *st;
	struct user_state *us;
	uint16_t port = vs_sa_port(&flow->peer);
	uint32_t now_s = (uint32_t)(c->now_ms / 1000);
	bool ban = false, lock = false, ev, allowed = ok, locked_try = false;
	int64_t until = 0;

	if (!sc->enabled)
		return ok;
	srctab_key_of(&flow->peer, sc->key_port, &k);
	srctab_key_of(&flow->peer, false, &ip);
	srctab_key_of_name(user->p, user->l, &uk);

	/* The user: lockout. */
	sh = srctab_lock(&s->users, &uk);
	us = srctab_get(sh, &uk, true, NULL, NULL, NULL);
	if (now_s - us->window >= sc->window || !us->window) {
		us->window = now_s ? now_s : 1;
		us->failures = 0;
	}
	if (us->locked_until > c->wall) {
		bool known = false;
		for (unsigned i = 0; i < us->ngood; i++)
			if (!memcmp(us->good[i], ip.ip, 16))
				known = true;
		if (ok && !known) {
			allowed = false;
			locked_try = true;
		}
		until = us->locked_until;
	}
	if (allowed) {
		bool known = false;
		for (unsigned i = 0; i < us->ngood; i++)
			if (!memcmp(us->good[i], ip.ip, 16))
				known = true;
		if (!known) {
			memcpy(us->good[us->next_good], ip.ip, 16);
			us->next_good = (uint8_t)((us->next_good + 1) % 2);
			if (us->ngood < 2)
				us->ngood++;
		}
	} else if (!ok) {
		us->failures++;
		if (sc->lockout_failures && us->failures >= sc->lockout_failures &&
		    us->locked_until <= c->wall) {
			us->locked_until = c->wall + sc->lockout_time;
			until = us->locked_until;
			us->failures = 0;
			lock = true;
		}
	}
	srctab_unlock(sh);

	/* The source: failures lead to a ban. */
	st = src_enter(s, c, &k, &sh);
	if (allowed) {
		st->logged_in = true;
		srctab_unlock(sh);
		return true;
	}
	if (!ok)
		st->auth_failed++;
	ev = ev_allowed(st, c);
	if (!ok && sc->ban_auth_failures &&
	    st->auth_failed >= sc->ban_auth_failures) {
		ban = true;
		st->auth_failed = 0;
	}
	srctab_unlock(sh);

	if (locked_try) {
		if (c->stats)
			vs_stat_inc(c->stats, VS_STAT_SHIELD_LOCKED);
		if (ev)
			emit(s, VS_EVENT_LOCKED_ATTEMPT, &ip, port, user,
			     "locked_out", NULL, until);
	} else if (ev) {
		emit(s, VS_EVENT_AUTH_FAILED, &ip, port, user, "bad_credentials",
		     NULL, 0);
	}
	if (lock) {
		char d[80];
		if (c->stats)
			vs_stat_inc(c->stats, VS_STAT_SHIELD_LOCKOUTS);
		snprintf(d, sizeof(d), "%u failed logins in %u s",
			 sc->lockout_failures, sc->window);
		emit(s, VS_EVENT_LOCKOUT, &ip, port, user, "auth_failures", d,
		     until);
	}
	if (ban) {
		char d[80];
		snprintf(d, sizeof(d), "%u failed logins in %u s",
			 sc->ban_auth_failures, sc->window);
		shield_ban(s, c, &k, 0, SHIELD_BAN_AUTH, false, d);
	}
	return false;
}
