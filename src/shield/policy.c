/*
 * policy.c - SPIT and toll-fraud policy (see policy.h, docs/policy.md).
 */
#include "shield/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct caller_state {
	uint32_t window; /* minute */
	uint32_t count;
};

struct account_state {
	int32_t active;
	uint32_t hour;
	uint32_t hour_count;
};

struct dialog_state {
	struct srctab_key account;
	int64_t start;
};

/* A dialog left the table to make room: its call no longer counts. */
static void account_release(struct policy *p, const struct srctab_key *acc)
{
	struct srctab_shard *sh = srctab_lock(&p->accounts, acc);
	struct account_state *a = srctab_get(sh, acc, false, NULL, NULL, NULL);

	if (a && a->active > 0)
		a->active--;
	srctab_unlock(sh);
}

static void dialog_evicted(const struct srctab_key *k, void *value, void *arg)
{
	(void)k;
	account_release(arg, &((struct dialog_state *)value)->account);
}

int policy_init(struct policy *p, const struct vs_config *cfg,
		struct vs_events *events)
{
	memset(p, 0, sizeof(*p));
	p->events = events;
	if (srctab_init(&p->callers, cfg->shield.max_users,
			sizeof(struct caller_state)) ||
	    srctab_init(&p->accounts, cfg->shield.max_users,
			sizeof(struct account_state)) ||
	    srctab_init(&p->dialogs, cfg->policy.max_dialogs,
			sizeof(struct dialog_state))) {
		policy_free(p);
		return ENOMEM;
	}
	srctab_on_evict(&p->dialogs, dialog_evicted, p);
	return 0;
}

void policy_free(struct policy *p)
{
	srctab_free(&p->callers);
	srctab_free(&p->accounts);
	srctab_free(&p->dialogs);
}

static bool pat_match(const struct vs_policy_conf *pc,
		      const struct vs_pattern *pat, const struct sip_uri *u)
{
	const char *s = pc->pool + pat->off;
	struct pl host = u->host;

	if (host.l && host.p[host.l - 1] == '.')
		host.l--;
	switch (pat->kind) {
	case VS_PAT_PREFIX:
		return u->user.l >= pat->len && !memcmp(u->user.p, s, pat->len);
	case VS_PAT_DOMAIN: {
		struct pl d = pl_make(s, pat->len);
		return pl_caseeq(&host, &d);
	}
	default: {
		struct pl user = pl_make(s, pat->len);
		struct pl h = pl_make(s + pat->len + 1, pat->hlen);
		return pl_eq(&u->user, &user) && pl_caseeq(&host, &h);
	}
	}
}

static bool list_match(const struct vs_policy_conf *pc,
		       const struct vs_pattern_list *l, const struct sip_uri *u)
{
	for (unsigned i = 0; i < l->n; i++)
		if (pat_match(pc, &pc->patterns[l->first + i], u))
			return true;
	return false;
}

static const struct vs_policy_account *find_account(
	const struct vs_policy_conf *pc, const struct pl *user)
{
	size_t lo = 0, hi = pc->naccounts;

	if (!pl_isset(user))
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *name = pc->accounts[mid].user;
		size_t nl = strlen(name);
		size_t n = nl < user->l ? nl : user->l;
		int cmp = memcmp(user->p, name, n);
		if (!cmp)
			cmp = user->l < nl ? -1 : user->l > nl ? 1 : 0;
		if (!cmp)
			return &pc->accounts[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The rules that apply to an account, most specific first. */
struct rules {
	const struct vs_policy_rules *r[3];
	unsigned n;
};

static void rules_of(const struct vs_policy_conf *pc,
		     const struct vs_policy_account *a, struct rules *out)
{
	out->n = 0;
	if (a) {
		out->r[out->n++] = &a->r;
		if (a->group >= 0)
			out->r[out->n++] = &pc->groups[a->group].r;
	}
	out->r[out->n++] = &pc->global;
}

static bool any_match(const struct vs_policy_conf *pc, const struct rules *rs,
		      size_t list_off, const struct sip_uri *u)
{
	for (unsigned i = 0; i < rs->n; i++) {
		const struct vs_pattern_list *l =
			(const struct vs_pattern_list *)((const char *)rs->r[i] +
							 list_off);
		if (list_match(pc, l, u))
			return true;
	}
	return false;
}

static uint32_t first_limit(const struct rules *rs, size_t off)
{
	for (unsigned i = 0; i < rs->n; i++) {
		uint32_t v = *(const uint32_t *)((const char *)rs->r[i] + off);
		if (v)
			return v;
	}
	return 0;
}

static bool reject_anonymous(const struct rules *rs)
{
	for (unsigned i = 0; i < rs->n; i++)
		if (rs->r[i]->reject_anonymous >= 0)
			return rs->r[i]->reject_anonymous;
	return false;
}

static bool is_anonymous(const struct sip_msg *m)
{
	return pl_caseeq_str(&m->from.uri.user, "anonymous") ||
	       pl_caseeq_str(&m->from.uri.host, "anonymous.invalid");
}

static void emit(struct policy *p, enum vs_event_type type,
		 const struct vs_flow *flow, const struct pl *user,
		 const char *reason, const char *detail)
{
	char ip[VS_IPSTR_MAX];
	struct vs_event e;

	if (!p->events)
		return;
	memset(&e, 0, sizeof(e));
	e.type = type;
	vs_sa_ip_str(&flow->peer, ip, sizeof(ip));
	e.source = ip;
	e.port = vs_sa_port(&flow->peer);
	if (user && pl_isset(user)) {
		e.user = user->p;
		e.user_len = user->l;
	}
	e.reason = reason;
	if (detail) {
		e.detail = detail;
		e.detail_len = strlen(detail);
	}
	vs_event_emit(p->events, &e);
}

static void refuse(struct policy *p, const struct shield_ctx *c,
		   const struct policy_call *call, struct policy_verdict *v,
		   uint16_t status, const char *phrase, unsigned stat,
		   enum vs_event_type type, const struct pl *user,
		   const char *reason, const struct pl *what)
{
	char detail[160];

	v->status = status;
	v->reason = phrase;
	if (c->stats)
		vs_stat_inc(c->stats, stat);
	snprintf(detail, sizeof(detail), "%.*s", (int)(what->l > 120 ? 120 : what->l),
		 what->p);
	emit(p, type, call->flow, user, reason, detail);
}

void policy_dialog_key(const struct pl *call_id, const struct pl *tag,
		       struct srctab_key *k)
{
	char buf[512];
	size_t a = call_id->l > 300 ? 300 : call_id->l;
	size_t b = tag->l > 200 ? 200 : tag->l;

	/* A request without a From tag (RFC 2543) has an empty one. */
	if (a)
		memcpy(buf, call_id->p, a);
	buf[a] = 0;
	if (b)
		memcpy(buf + a + 1, tag->p, b);
	srctab_key_of_name(buf, a + 1 + b, k);
}

void policy_check_call(struct policy *p, const struct shield_ctx *c,
		       const struct policy_call *call, struct policy_verdict *v)
{
	const struct vs_policy_conf *pc = &c->cfg->policy;
	const struct sip_msg *m = call->m;
	const struct sip_uri *from = &m->from.uri;
	struct rules callee, caller;
	const struct vs_policy_account *ca;

	memset(v, 0, sizeof(*v));
	rules_of(pc, find_account(pc, &call->callee_account), &callee);
	/* The caller: SPIT. */
	if (!any_match(pc, &callee,
		       offsetof(struct vs_policy_rules, allow_callers), from)) {
		if (reject_anonymous(&callee) && is_anonymous(m)) {
			refuse(p, c, call, v, 433, "Anonymity Disallowed",
			       VS_STAT_POLICY_ANONYMOUS, VS_EVENT_SPIT,
			       &call->callee_account, "anonymous",
			       &m->from.uri_raw);
			return;
		}
		if (any_match(pc, &callee,
			      offsetof(struct vs_policy_rules, block_callers),
			      from)) {
			refuse(p, c, call, v, 603, "Decline",
			       VS_STAT_POLICY_BLOCKED, VS_EVENT_SPIT,
			       &call->callee_account, "blocked_caller",
			       &m->from.uri_raw);
			return;
		}
		if (call->untrusted && pc->caller_rate) {
			struct srctab_key k;
			struct srctab_shard *sh;
			struct caller_state *cs;
			uint32_t minute = (uint32_t)(c->now_ms / 60000);
			bool over;
			char key[320];
			int n = snprintf(key, sizeof(key), "%.*s@%.*s",
					 (int)(from->user.l > 150 ? 150 : from->user.l),
					 from->user.p,
					 (int)(from->host.l > 150 ? 150 : from->host.l),
					 from->host.p);
			srctab_key_of_name(key, (size_t)n, &k);
			sh = srctab_lock(&p->callers, &k);
			cs = srctab_get(sh, &k, true, NULL, NULL, NULL);
			if (cs->window != minute) {
				cs->window = minute;
				cs->count = 0;
			}
			over = ++cs->count > pc->caller_rate;
			srctab_unlock(sh);
			if (over) {
				refuse(p, c, call, v, 603, "Decline",
				       VS_STAT_POLICY_CALLER_RATE, VS_EVENT_SPIT,
				       &call->callee_account, "caller_rate",
				       &m->from.uri_raw);
				return;
			}
		}
	}
	if (!pl_isset(&call->caller_account))
		return;
	/* The caller is one of ours: toll fraud. */
	ca = find_account(pc, &call->caller_account);
	rules_of(pc, ca, &caller);
	if (any_match(pc, &caller,
		      offsetof(struct vs_policy_rules, deny_destinations),
		      &m->ruri)) {
		refuse(p, c, call, v, 403, "Forbidden: destination not allowed",
		       VS_STAT_POLICY_DESTINATION, VS_EVENT_FRAUD,
		       &call->caller_account, "destination", &m->ruri.user);
		return;
	}
	{
		uint32_t per_hour = first_limit(
			&caller, offsetof(struct vs_policy_rules, max_per_hour));
		uint32_t concurrent = first_limit(
			&caller, offsetof(struct vs_policy_rules, max_concurrent));
		uint32_t hour = (uint32_t)(c->wall / 3600);
		struct srctab_key k;
		struct srctab_shard *sh;
		struct account_state *a;
		int why = 0;

		if (!per_hour && !concurrent)
			return;
		srctab_key_of_name(call->caller_account.p,
				   call->caller_account.l, &k);
		sh = srctab_lock(&p->accounts, &k);
		a = srctab_get(sh, &k, true, NULL, NULL, NULL);
		if (a->hour != hour) {
			a->hour = hour;
			a->hour_count = 0;
		}
		if (per_hour && a->hour_count >= per_hour) {
			why = 1;
		} else if (concurrent && (uint32_t)a->active >= concurrent) {
			why = 2;
		} else {
			a->hour_count++;
			if (concurrent) {
				a->active++;
				v->tracked = true;
			}
		}
		srctab_unlock(sh);
		if (why == 1) {
			refuse(p, c, call, v, 403,
			       "Forbidden: hourly call limit reached",
			       VS_STAT_POLICY_HOURLY, VS_EVENT_FRAUD,
			       &call->caller_account, "calls_per_hour",
			       &m->ruri.user);
			return;
		}
		if (why == 2) {
			refuse(p, c, call, v, 403,
			       "Forbidden: too many concurrent calls",
			       VS_STAT_POLICY_CONCURRENT, VS_EVENT_FRAUD,
			       &call->caller_account, "concurrent_calls",
			       &m->ruri.user);
			return;
		}
		if (v->tracked) {
			struct dialog_state *d;
			bool created;
			policy_dialog_key(&m->call_id, &m->from.tag, &v->dialog);
			sh = srctab_lock(&p->dialogs, &v->dialog);
			d = srctab_get(sh, &v->dialog, true, &created, NULL, NULL);
			d->account = k;
			d->start = c->wall;
			srctab_unlock(sh);
			if (!created) {
				/* The same call again (a new INVITE for an
				 * existing Call-ID and tag): count it once. */
				account_release(p, &k);
			}
		}
	}
}

bool policy_call_end(struct policy *p, const struct srctab_key *dialog)
{
	struct srctab_shard *sh = srctab_lock(&p->dialogs, dialog);
	struct dialog_state *d = srctab_get(sh, dialog, false, NULL, NULL, NULL);
	struct srctab_key acc;

	if (!d) {
		srctab_unlock(sh);
		return false;
	}
	acc = d->account;
	srctab_del(sh, dialog);
	srctab_unlock(sh);
	account_release(p, &acc);
	return true;
}

struct sweep_arg {
	struct policy *p;
	const struct shield_ctx *c;
	uint32_t active;
};

static bool sweep_one(const struct srctab_key *k, void *value, void *arg)
{
	struct sweep_arg *sa = arg;
	struct dialog_state *d = value;

	(void)k;
	if (sa->c->wall - d->start <= (int64_t)sa->c->cfg->policy.call_timeout) {
		sa->active++;
		return false;
	}
	account_release(sa->p, &d->account);
	if (sa->c->stats)
		vs_stat_inc(sa->c->stats, VS_STAT_POLICY_TIMEOUT);
	return true;
}

uint32_t policy_sweep(struct policy *p, const struct shield_ctx *c)
{
	struct sweep_arg sa = {p, c, 0};

	srctab_foreach(&p->dialogs, sweep_one, &sa);
	return sa.active;
}
