/*
 * config_policy.c - the policy section: SPIT and toll-fraud rules (see
 * docs/configuration.md#policy and docs/policy.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"

void vs_config_policy_defaults(struct vs_config *cfg)
{
	struct vs_policy_conf *p = &cfg->policy;

	memset(&p->global, 0, sizeof(p->global));
	p->global.reject_anonymous = 0;
	p->max_dialogs = 65536;
	p->call_timeout = 14400;
}

static bool number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '+' || c == '*' || c == '#';
}

/* One pattern into the pool; false with an error. */
static bool add_pattern(struct loader *ld, const config_setting_t *where,
			struct vs_policy_conf *p, const char *v)
{
	struct vs_pattern *pat;
	size_t len = strlen(v);
	const char *at;

	if (p->npatterns >= VS_POLICY_MAX_PATTERNS ||
	    p->pool_used + len + 1 > VS_POLICY_POOL) {
		error_at(ld, where, "too many policy patterns (at most %d, %d bytes in all)",
			 VS_POLICY_MAX_PATTERNS, VS_POLICY_POOL);
		return false;
	}
	pat = &p->patterns[p->npatterns];
	memset(pat, 0, sizeof(*pat));
	if (v[0] == '@' && len > 1 && !strchr(v + 1, '@')) {
		pat->kind = VS_PAT_DOMAIN;
		v++;
		len--;
		pat->len = (uint16_t)len;
	} else if ((!strncmp(v, "sip:", 4) || !strncmp(v, "sips:", 5)) &&
		   (at = strchr(v, '@')) && at[1] && !strchr(at + 1, '@')) {
		const char *user = strchr(v, ':') + 1;
		pat->kind = VS_PAT_URI;
		len = strlen(user);
		v = user;
		pat->len = (uint16_t)(at - user);
		pat->hlen = (uint16_t)(len - pat->len - 1);
		if (!pat->len) {
			error_at(ld, where, "pattern '%s': an address needs a user part (sip:user@host); use \"@host\" for a whole domain",
				 v);
			return false;
		}
	} else {
		for (size_t i = 0; i < len; i++) {
			if (!number_char(v[i])) {
				error_at(ld, where, "pattern '%s' is not a number prefix (digits, +, *, #), \"@domain\" or \"sip:user@host\"",
					 v);
				return false;
			}
		}
		if (!len) {
			error_at(ld, where, "an empty pattern would match everything");
			return false;
		}
		pat->kind = VS_PAT_PREFIX;
		pat->len = (uint16_t)len;
	}
	pat->off = p->pool_used;
	memcpy(p->pool + p->pool_used, v, len);
	p->pool[p->pool_used + len] = 0;
	p->pool_used += (uint32_t)len + 1;
	p->npatterns++;
	return true;
}

static void get_patterns(struct loader *ld, const config_setting_t *g,
			 const char *key, struct vs_policy_conf *p,
			 struct vs_pattern_list *out)
{
	const config_setting_t *l = config_setting_get_member(g, key);

	out->first = p->npatterns;
	out->n = 0;
	if (!l)
		return;
	if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
		error_at(ld, l, "'%s' must be a list: [ \"+1900\", \"@spam.example\", \"sip:robo@spam.example\" ]",
			 key);
		return;
	}
	for (int i = 0; i < config_setting_length(l) && !ld->failed; i++) {
		const char *v = config_setting_get_string_elem(l, i);
		if (!v) {
			error_at(ld, l, "%s entry %d must be a string", key, i + 1);
			return;
		}
		if (add_pattern(ld, l, p, v))
			out->n++;
	}
}

static void get_rules(struct loader *ld, const config_setting_t *g,
		      struct vs_policy_conf *p, struct vs_policy_rules *r,
		      bool inherit)
{
	bool anon = false;

	get_patterns(ld, g, "block_callers", p, &r->block_callers);
	get_patterns(ld, g, "allow_callers", p, &r->allow_callers);
	get_patterns(ld, g, "deny_destinations", p, &r->deny_destinations);
	get_uint(ld, g, "max_concurrent", 0, 1000000, &r->max_concurrent);
	get_uint(ld, g, "max_per_hour", 0, 1000000, &r->max_per_hour);
	r->reject_anonymous = inherit ? -1 : 0;
	if (config_setting_get_member(g, "reject_anonymous")) {
		get_bool(ld, g, "reject_anonymous", &anon);
		r->reject_anonymous = anon;
	}
}

static int account_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vs_policy_account *)a)->user,
		      ((const struct vs_policy_account *)b)->user);
}

void load_policy(struct loader *ld, const config_t *c, struct vs_config *cfg)
{
	static const char *const keys[] = {
		"block_callers", "allow_callers", "deny_destinations",
		"max_concurrent", "max_per_hour", "reject_anonymous",
		"caller_rate", "max_dialogs", "call_timeout", "groups",
		"accounts", NULL};
	static const char *const group_keys[] = {
		"name", "block_callers", "allow_callers", "deny_destinations",
		"max_concurrent", "max_per_hour", "reject_anonymous", NULL};
	static const char *const account_keys[] = {
		"user", "group", "block_callers", "allow_callers",
		"deny_destinations", "max_concurrent", "max_per_hour",
		"reject_anonymous", NULL};
	struct vs_policy_conf *p = &cfg->policy;
	const config_setting_t *g = group(ld, c, "policy", keys);
	const config_setting_t *l;

	if (!g)
		return;
	get_rules(ld, g, p, &p->global, false);
	get_uint(ld, g, "caller_rate", 0, 1000000, &p->caller_rate);
	get_uint(ld, g, "max_dialogs", 64, 16777216, &p->max_dialogs);
	get_uint(ld, g, "call_timeout", 60, 604800, &p->call_timeout);
	p->track = p->global.max_concurrent > 0;
	l = config_setting_get_member(g, "groups");
	if (l && !ld->failed) {
		int n = config_setting_length(l);
		if (!config_setting_is_list(l) || n > VS_POLICY_MAX_GROUPS) {
			error_at(ld, l, "'groups' must be a list of at most %d groups: groups = ( { name = \"staff\"; ... } );",
				 VS_POLICY_MAX_GROUPS);
			return;
		}
		for (int i = 0; i < n && !ld->failed; i++) {
			const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
			struct vs_policy_group *gr = &p->groups[p->ngroups];
			if (!config_setting_is_group(e)) {
				error_at(ld, e, "each policy group is a group: { name = \"staff\"; deny_destinations = [ \"00\" ]; }");
				return;
			}
			check_keys(ld, e, group_keys);
			memset(gr, 0, sizeof(*gr));
			get_string(ld, e, "name", gr->name, sizeof(gr->name));
			if (!ld->failed && !gr->name[0])
				error_at(ld, e, "a policy group needs a 'name'");
			for (unsigned j = 0; j < p->ngroups && !ld->failed; j++)
				if (!strcmp(p->groups[j].name, gr->name))
					error_at(ld, e, "policy group '%s' is defined twice",
						 gr->name);
			get_rules(ld, e, p, &gr->r, true);
			if (gr->r.max_concurrent)
				p->track = true;
			p->ngroups++;
		}
	}
	l = config_setting_get_member(g, "accounts");
	if (l && !ld->failed) {
		int n = config_setting_length(l);
		if (!config_setting_is_list(l) || n > VS_POLICY_MAX_ACCOUNTS) {
			error_at(ld, l, "'accounts' must be a list of at most %d groups: accounts = ( { user = \"alice\"; ... } );",
				 VS_POLICY_MAX_ACCOUNTS);
			return;
		}
		for (int i = 0; i < n && !ld->failed; i++) {
			const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
			struct vs_policy_account *a = &p->accounts[p->naccounts];
			char gname[32] = "";
			if (!config_setting_is_group(e)) {
				error_at(ld, e, "each policy account is a group: { user = \"alice\"; max_concurrent = 2; }");
				return;
			}
			check_keys(ld, e, account_keys);
			memset(a, 0, sizeof(*a));
			a->group = -1;
			get_string(ld, e, "user", a->user, sizeof(a->user));
			if (!ld->failed && !a->user[0])
				error_at(ld, e, "a policy account needs a 'user'");
			get_string(ld, e, "group", gname, sizeof(gname));
			if (gname[0] && !ld->failed) {
				for (unsigned j = 0; j < p->ngroups; j++)
					if (!strcmp(p->groups[j].name, gname))
						a->group = (int16_t)j;
				if (a->group < 0)
					error_at(ld, e, "policy group '%s' is not defined in policy.groups",
						 gname);
			}
			get_rules(ld, e, p, &a->r, true);
			if (a->r.max_concurrent)
				p->track = true;
			p->naccounts++;
		}
		qsort(p->accounts, p->naccounts, sizeof(p->accounts[0]),
		      account_cmp);
		for (unsigned i = 1; i < p->naccounts && !ld->failed; i++)
			if (!strcmp(p->accounts[i - 1].user, p->accounts[i].user))
				error_at(ld, l, "policy account '%s' is listed twice",
					 p->accounts[i].user);
	}
}
