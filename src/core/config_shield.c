/*
 * config_shield.c - the zones, shield and events sections (see
 * docs/configuration.md).
 */
#include <stdio.h>
#include <string.h>

#include "core/config_int.h"
#include "sip/hdr.h"

/* User-Agent strings of well-known SIP scanners and attack tools. */
static const char *const default_scanners[] = {
	"friendly-scanner", "sipvicious", "sipcli", "sip-scan",
	"VaxSIPUserAgent", "sundayddr", "iWar", "SIVuS", "smap", "pplsip",
	NULL};

static void zone_defaults(struct vs_zone *z)
{
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "default");
	z->methods = UINT32_MAX;
	z->auth = true;
	z->routes = UINT64_MAX;
	z->srtp = VS_SRTP_UNSET;
}

/* Scanners are matched without regard to case: kept in lower case. */
static void lower_scanners(struct vs_shield_conf *s)
{
	for (unsigned i = 0; i < s->nscanners; i++)
		for (char *c = s->scanners[i]; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
}

void vs_config_shield_defaults(struct vs_config *cfg)
{
	struct vs_shield_conf *s = &cfg->shield;
	static const struct vs_bucket_conf rate[VS_BUCKET_COUNT] = {
		[VS_BUCKET_REGISTER] = {10, 40},
		[VS_BUCKET_INVITE] = {5, 20},
		[VS_BUCKET_OTHER] = {50, 200},
		[VS_BUCKET_TLS] = {20, 40},
	};
	static const struct vs_bucket_conf trusted[VS_BUCKET_COUNT] = {
		[VS_BUCKET_REGISTER] = {2000, 4000},
		[VS_BUCKET_INVITE] = {2000, 4000},
		[VS_BUCKET_OTHER] = {10000, 20000},
		[VS_BUCKET_TLS] = {1000, 2000},
	};

	zone_defaults(&cfg->zones[0]);
	cfg->nzones = 1;
	s->enabled = true;
	s->over_limit_reply = true;
	s->max_sources = 65536;
	s->max_bans = 65536;
	s->max_users = 65536;
	memcpy(s->rate, rate, sizeof(rate));
	memcpy(s->trusted_rate, trusted, sizeof(trusted));
	s->ban_time = 600;
	s->ban_max_time = 86400;
	s->ban_forget = 86400;
	s->window = 60;
	s->ban_rate_excess = 100;
	s->ban_malformed = 20;
	s->ban_auth_failures = 10;
	s->ban_distinct_users = 12;
	s->ban_tls_failures = 10;
	s->lockout_failures = 20;
	s->lockout_time = 900;
	s->overload_at = 80;
	snprintf(s->nft_family, sizeof(s->nft_family), "inet");
	snprintf(s->nft_table, sizeof(s->nft_table), "voipshield");
	snprintf(s->nft_set4, sizeof(s->nft_set4), "banned4");
	snprintf(s->nft_set6, sizeof(s->nft_set6), "banned6");
	for (const char *const *p = default_scanners; *p; p++)
		snprintf(s->scanners[s->nscanners++], sizeof(s->scanners[0]),
			 "%s", *p);
	lower_scanners(s);
	snprintf(cfg->events.file, sizeof(cfg->events.file), "voipshield-events.log");
	cfg->events.rate = 20;
}

static const config_setting_t *list_member(struct loader *ld,
					   const config_setting_t *g,
					   const char *key, int max,
					   const char *example)
{
	const config_setting_t *l = config_setting_get_member(g, key);

	if (!l)
		return NULL;
	if ((!config_setting_is_array(l) && !config_setting_is_list(l)) ||
	    config_setting_length(l) > max) {
		error_at(ld, l, "'%s' must be a list of at most %d entries: %s",
			 key, max, example);
		return NULL;
	}
	return l;
}

static void get_cidrs(struct loader *ld, const config_setting_t *g,
		      const char *key, struct vs_cidr *out, uint8_t *n)
{
	const config_setting_t *l = list_member(
		ld, g, key, VS_CONFIG_MAX_CIDRS,
		"[ \"192.0.2.0/24\", \"2001:db8::/32\" ]");

	*n = 0;
	for (int i = 0; l && i < config_setting_length(l); i++) {
		const char *v = config_setting_get_string_elem(l, i);
		if (!v || vs_cidr_parse(v, &out[*n])) {
			error_at(ld, l, "%s entry %d ('%s') is not an address or address/prefix",
				 key, i + 1, v ? v : "?");
			return;
		}
		(*n)++;
	}
}

static void load_zone(struct loader *ld, const config_setting_t *g,
		      struct vs_config *cfg, struct vs_zone *z)
{
	static const char *const keys[] = {"name", "allow", "deny", "methods",
					   "auth", "routes", "srtp", NULL};
	const config_setting_t *l;

	zone_defaults(z);
	z->name[0] = 0;
	if (!config_setting_is_group(g)) {
		error_at(ld, g, "each zone is a group: { name = \"internet\"; allow = [ \"0.0.0.0/0\" ]; }");
		return;
	}
	check_keys(ld, g, keys);
	z->line = (int)config_setting_source_line(g);
	get_string(ld, g, "name", z->name, sizeof(z->name));
	if (!ld->failed && !z->name[0])
		error_at(ld, g, "a zone needs a 'name'");
	get_cidrs(ld, g, "allow", z->allow, &z->nallow);
	get_cidrs(ld, g, "deny", z->deny, &z->ndeny);
	get_bool(ld, g, "auth", &z->auth);
	get_srtp_policy(ld, g, &z->srtp);
	l = list_member(ld, g, "methods", SIP_METHOD_COUNT,
			"[ \"REGISTER\", \"INVITE\", \"BYE\" ]");
	if (l) {
		z->methods = 0;
		for (int i = 0; i < config_setting_length(l); i++) {
			const char *v = config_setting_get_string_elem(l, i);
			struct pl name = pl_from_cstr(v ? v : "");
			enum sip_method m = sip_method_lookup(&name);
			if (v && !strcmp(v, "other")) {
				z->methods |= 1u << SIP_METHOD_OTHER;
				continue;
			}
			if (!v || m == SIP_METHOD_OTHER) {
				error_at(ld, l, "method '%s' is not a SIP method this server knows (write it in capitals, or \"other\" for all unknown methods)",
					 v ? v : "?");
				return;
			}
			z->methods |= 1u << m;
		}
	}
	l = list_member(ld, g, "routes", VS_CONFIG_MAX_ROUTES,
			"[ \"pbx\", \"trunk\" ] (names of upstream routes)");
	if (l) {
		z->routes = 0;
		for (int i = 0; i < config_setting_length(l); i++) {
			const char *v = config_setting_get_string_elem(l, i);
			size_t r;
			for (r = 0; v && r < cfg->nroutes; r++)
				if (!strcmp(cfg->routes[r].name, v))
					break;
			if (!v || r == cfg->nroutes) {
				error_at(ld, l, "zone route '%s' is not the name of an upstream route",
					 v ? v : "?");
				return;
			}
			z->routes |= 1ull << r;
		}
	}
}

void load_zones(struct loader *ld, const config_t *c, struct vs_config *cfg)
{
	const config_setting_t *l = config_lookup(c, "zones");

	if (l) {
		int n = config_setting_length(l);
		if (!config_setting_is_list(l) || n < 1 ||
		    n > VS_CONFIG_MAX_ZONES) {
			error_at(ld, l, "'zones' must be a list of 1 to %d groups: zones = ( { name = \"internet\"; ... } );",
				 VS_CONFIG_MAX_ZONES);
			return;
		}
		cfg->nzones = 0;
		for (int i = 0; i < n && !ld->failed; i++) {
			struct vs_zone *z = &cfg->zones[cfg->nzones];
			load_zone(ld, config_setting_get_elem(l, (unsigned)i), cfg, z);
			for (unsigned j = 0; j < cfg->nzones && !ld->failed; j++)
				if (!strcmp(cfg->zones[j].name, z->name))
					error_at(ld, config_setting_get_elem(l, (unsigned)i),
						 "zone name '%s' is used twice (also at line %d)",
						 z->name, cfg->zones[j].line);
			cfg->nzones++;
		}
	}
	/* Every listener belongs to a zone: the named one, or the first. */
	for (size_t i = 0; i < cfg->nlisten && !ld->failed; i++) {
		struct vs_listener *li = &cfg->listen[i];
		unsigned z = 0;
		if (li->zone_name[0]) {
			for (z = 0; z < cfg->nzones; z++)
				if (!strcmp(cfg->zones[z].name, li->zone_name))
					break;
			if (z == cfg->nzones) {
				snprintf(ld->err, ld->errlen,
					 "%s:%d: listener zone '%s' is not defined in 'zones'",
					 ld->path, li->line, li->zone_name);
				ld->failed = true;
				return;
			}
		}
		li->zone = (uint8_t)z;
	}
}

static void get_bucket(struct loader *ld, const config_setting_t *g,
		       const char *key, struct vs_bucket_conf *b)
{
	static const char *const keys[] = {"rate", "burst", NULL};
	const config_setting_t *s = config_setting_get_member(g, key);

	if (!s)
		return;
	if (!config_setting_is_group(s)) {
		error_at(ld, s, "'%s' must be a group: %s = { rate = 10; burst = 40; };",
			 key, key);
		return;
	}
	check_keys(ld, s, keys);
	get_uint(ld, s, "rate", 1, 1000000, &b->rate);
	get_uint(ld, s, "burst", 1, 1000000, &b->burst);
	if (!ld->failed && b->burst < b->rate / 10)
		error_at(ld, s, "'%s' burst %u is smaller than a tenth of its rate %u: requests would be refused although the rate allows them",
			 key, b->burst, b->rate);
}

static void get_buckets(struct loader *ld, const config_setting_t *g,
			const char *key, struct vs_bucket_conf *b)
{
	static const char *const keys[] = {"register", "invite", "other",
					   "tls_handshake", NULL};
	const config_setting_t *s = config_setting_get_member(g, key);

	if (!s)
		return;
	if (!config_setting_is_group(s)) {
		error_at(ld, s, "'%s' must be a group: %s = { register = { rate = 10; burst = 40; }; ... };",
			 key, key);
		return;
	}
	check_keys(ld, s, keys);
	get_bucket(ld, s, "register", &b[VS_BUCKET_REGISTER]);
	get_bucket(ld, s, "invite", &b[VS_BUCKET_INVITE]);
	get_bucket(ld, s, "other", &b[VS_BUCKET_OTHER]);
	get_bucket(ld, s, "tls_handshake", &b[VS_BUCKET_TLS]);
}

static bool nft_name_ok(const char *n)
{
	if (!*n)
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '_' || *n == '-'))
			return false;
	return true;
}

void load_shield(struct loader *ld, const config_t *c, struct vs_config *cfg)
{
	static const char *const keys[] = {
		"enabled", "key", "over_limit", "max_sources", "max_bans",
		"max_users", "rate", "trusted_rate", "never_ban", "ban",
		"lockout", "scanners", "overload_at", "nftables", NULL};
	static const char *const nft_keys[] = {"enabled", "family", "table",
					       "set4", "set6", NULL};
	static const char *const ban_keys[] = {
		"time", "max_time", "forget", "window", "rate_excess",
		"malformed", "auth_failures", "distinct_users", "tls_failures",
		NULL};
	static const char *const lock_keys[] = {"failures", "time", NULL};
	struct vs_shield_conf *s = &cfg->shield;
	const config_setting_t *g = group(ld, c, "shield", keys);
	const config_setting_t *sub, *l;
	char key[16] = "ip", over[16] = "reply";

	if (!g)
		return;
	get_bool(ld, g, "enabled", &s->enabled);
	get_string(ld, g, "key", key, sizeof(key));
	if (!strcmp(key, "ip_port"))
		s->key_port = true;
	else if (strcmp(key, "ip"))
		error_at(ld, config_setting_get_member(g, "key"),
			 "shield key '%s' is not \"ip\" or \"ip_port\"", key);
	get_string(ld, g, "over_limit", over, sizeof(over));
	if (!strcmp(over, "drop"))
		s->over_limit_reply = false;
	else if (strcmp(over, "reply"))
		error_at(ld, config_setting_get_member(g, "over_limit"),
			 "over_limit '%s' is not \"reply\" (503 with Retry-After) or \"drop\"",
			 over);
	get_uint(ld, g, "max_sources", 64, 16777216, &s->max_sources);
	get_uint(ld, g, "max_bans", 64, 16777216, &s->max_bans);
	get_uint(ld, g, "max_users", 64, 16777216, &s->max_users);
	get_uint(ld, g, "overload_at", 10, 100, &s->overload_at);
	get_buckets(ld, g, "rate", s->rate);
	get_buckets(ld, g, "trusted_rate", s->trusted_rate);
	get_cidrs(ld, g, "never_ban", s->never_ban, &s->nnever_ban);
	sub = config_setting_get_member(g, "ban");
	if (sub && !ld->failed) {
		if (!config_setting_is_group(sub)) {
			error_at(ld, sub, "'ban' must be a group: ban = { time = 600; ... };");
			return;
		}
		check_keys(ld, sub, ban_keys);
		get_uint(ld, sub, "time", 1, 31536000, &s->ban_time);
		get_uint(ld, sub, "max_time", 1, 31536000, &s->ban_max_time);
		get_uint(ld, sub, "forget", 0, 31536000, &s->ban_forget);
		get_uint(ld, sub, "window", 1, 86400, &s->window);
		get_uint(ld, sub, "rate_excess", 0, 1000000, &s->ban_rate_excess);
		get_uint(ld, sub, "malformed", 0, 1000000, &s->ban_malformed);
		get_uint(ld, sub, "auth_failures", 0, 1000000,
			 &s->ban_auth_failures);
		get_uint(ld, sub, "distinct_users", 0, 16,
			 &s->ban_distinct_users);
		get_uint(ld, sub, "tls_failures", 0, 1000000,
			 &s->ban_tls_failures);
		if (!ld->failed && s->ban_max_time < s->ban_time)
			error_at(ld, sub, "ban max_time (%u) is shorter than ban time (%u)",
				 s->ban_max_time, s->ban_time);
	}
	sub = config_setting_get_member(g, "nftables");
	if (sub && !ld->failed) {
		if (!config_setting_is_group(sub)) {
			error_at(ld, sub, "'nftables' must be a group: nftables = { enabled = true; table = \"voipshield\"; };");
			return;
		}
		check_keys(ld, sub, nft_keys);
		get_bool(ld, sub, "enabled", &s->nft);
		get_string(ld, sub, "family", s->nft_family, sizeof(s->nft_family));
		get_string(ld, sub, "table", s->nft_table, sizeof(s->nft_table));
		get_string(ld, sub, "set4", s->nft_set4, sizeof(s->nft_set4));
		get_string(ld, sub, "set6", s->nft_set6, sizeof(s->nft_set6));
		if (!ld->failed && strcmp(s->nft_family, "inet") &&
		    strcmp(s->nft_family, "ip") && strcmp(s->nft_family, "ip6") &&
		    strcmp(s->nft_family, "netdev") && strcmp(s->nft_family, "bridge"))
			error_at(ld, sub, "nftables family '%s' is not inet, ip, ip6, netdev or bridge",
				 s->nft_family);
		if (!ld->failed && (!nft_name_ok(s->nft_table) ||
				    !nft_name_ok(s->nft_set4) ||
				    !nft_name_ok(s->nft_set6)))
			error_at(ld, sub, "nftables table and set names need 1 to 63 letters, digits, '_' or '-'");
	}
	sub = config_setting_get_member(g, "lockout");
	if (sub && !ld->failed) {
		if (!config_setting_is_group(sub)) {
			error_at(ld, sub, "'lockout' must be a group: lockout = { failures = 20; time = 900; };");
			return;
		}
		check_keys(ld, sub, lock_keys);
		get_uint(ld, sub, "failures", 0, 1000000, &s->lockout_failures);
		get_uint(ld, sub, "time", 1, 31536000, &s->lockout_time);
	}
	l = list_member(ld, g, "scanners", VS_CONFIG_MAX_SCANNERS,
			"[ \"friendly-scanner\", \"sipvicious\" ]");
	if (l) {
		s->nscanners = 0;
		for (int i = 0; i < config_setting_length(l); i++) {
			const char *v = config_setting_get_string_elem(l, i);
			if (!v || !*v || strlen(v) >= sizeof(s->scanners[0])) {
				error_at(ld, l, "scanner entry %d must be a non-empty string of at most %zu characters",
					 i + 1, sizeof(s->scanners[0]) - 1);
				return;
			}
			snprintf(s->scanners[s->nscanners++],
				 sizeof(s->scanners[0]), "%s", v);
		}
		lower_scanners(s);
	}
}

void load_events(struct loader *ld, const config_t *c, struct vs_config *cfg)
{
	static const char *const keys[] = {"file", "syslog", "rate", NULL};
	const config_setting_t *g = group(ld, c, "events", keys);

	if (!g)
		return;
	get_string(ld, g, "file", cfg->events.file, sizeof(cfg->events.file));
	get_bool(ld, g, "syslog", &cfg->events.syslog);
	get_uint(ld, g, "rate", 1, 100000, &cfg->events.rate);
}
