/*
 * config.c - load the configuration file with libconfig.
 *
 * libconfig was chosen because it is a small, long-maintained C library in
 * Debian (libconfig-dev) with a readable nested syntax, comments, lists and
 * exact file:line positions for both syntax errors and every setting,
 * which lets --check-config point at the offending line.
 */
#include "core/config.h"

#include "auth/digest.h"
#include "core/config_int.h"
#include "transport/addr.h"
#include "transport/dns.h"
#include "transport/route_dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4))) void
error_at(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	const char *file = s ? config_setting_source_file(s) : NULL;
	int line = s ? (int)config_setting_source_line(s) : 0;

	if (ld->failed)
		return;
	ld->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ld->err, ld->errlen, "%s:%d: %s", file ? file : ld->path,
		 line, msg);
}

void vs_config_defaults(struct vs_config *cfg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->user, sizeof(cfg->user), "voipshield");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/voipshield");
	cfg->workers = cores > 0 ? (unsigned)cores : 1;
	snprintf(cfg->agent, sizeof(cfg->agent), "VoIPShield");
	cfg->log.level = VS_LOG_INFO;
	cfg->log.syslog = false;
	cfg->log.facility = 3 << 3; /* LOG_DAEMON */
	cfg->log.rate = 10;
	sip_limits_default(&cfg->sip);
	cfg->tcp_idle_timeout = 180;
	cfg->tcp_message_timeout = 10;
	cfg->tcp_keepalive = 60;
	cfg->tcp_max_connections = 4096;
	cfg->tcp_max_connections_per_source = 64;
	cfg->tcp_max_buffer = 131072;
	cfg->nonce_lifetime = 300;
	cfg->algos[0] = AUTH_ALGO_SHA256;
	cfg->algos[1] = AUTH_ALGO_MD5;
	cfg->nalgos = 2;
	cfg->nonce_count_table = 65536;
	cfg->reg_min_expires = 60;
	cfg->reg_max_expires = 3600;
	cfg->reg_default_expires = 3600;
	cfg->reg_max_contacts = 5;
	cfg->reg_max_bindings = 100000;
	cfg->failover_timeout = 4000;
	cfg->tsx_t1 = 500;
	cfg->tsx_t2 = 4000;
	cfg->tsx_t4 = 5000;
	cfg->tsx_max = 65536;
	cfg->tls_min_version = 0x0303;
	/* Forward secrecy and AEAD only for TLS 1.2 (TLS 1.3 suites are all
	 * of that kind). */
	snprintf(cfg->tls_ciphers, sizeof(cfg->tls_ciphers),
		 "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL");
	snprintf(cfg->tls_groups, sizeof(cfg->tls_groups), "X25519:P-256:P-384");
	cfg->tls_max_handshakes = 256;
	cfg->media_port_min = 30000;
	cfg->media_port_max = 39999;
	cfg->media_max_sessions = 2000;
	cfg->media_timeout = 120;
	cfg->media_batch_us = 200;
	cfg->media_threads = 1;
	cfg->media_srtp = VS_SRTP_OPTIONAL;
	vs_config_shield_defaults(cfg);
	vs_config_policy_defaults(cfg);
}

/* Refuse keys we do not know: a typo must not silently become a default. */
void check_keys(struct loader *ld, const config_setting_t *group,
		       const char *const *known)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		bool ok = false;

		for (const char *const *k = known; *k; k++) {
			if (name && strcmp(name, *k) == 0)
				ok = true;
		}
		if (!ok) {
			const char *gname = config_setting_name(group);
			error_at(ld, s, "unknown key '%s'%s%s", name ? name : "?",
				 gname ? " in section " : "", gname ? gname : "");
			return;
		}
	}
}

const config_setting_t *group(struct loader *ld, const config_t *c,
				     const char *name,
				     const char *const *known)
{
	const config_setting_t *g = config_lookup(c, name);

	if (!g)
		return NULL;
	if (!config_setting_is_group(g)) {
		error_at(ld, g, "'%s' must be a group: %s = { ... };", name,
			 name);
		return NULL;
	}
	check_keys(ld, g, known);
	return g;
}

void get_string(struct loader *ld, const config_setting_t *g,
		       const char *key, char *dst, size_t size)
{
	const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
	const char *v;

	if (!s)
		return;
	v = config_setting_get_string(s);
	if (!v) {
		error_at(ld, s, "'%s' must be a string in double quotes", key);
		return;
	}
	if (strlen(v) >= size) {
		error_at(ld, s, "'%s' is too long (at most %zu characters)", key,
			 size - 1);
		return;
	}
	snprintf(dst, size, "%s", v);
}

void get_bool(struct loader *ld, const config_setting_t *g,
		     const char *key, bool *dst)
{
	const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;

	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		error_at(ld, s, "'%s' must be true or false", key);
		return;
	}
	*dst = config_setting_get_bool(s) != 0;
}

void get_uint(struct loader *ld, const config_setting_t *g,
		    const char *key, uint32_t min, uint32_t max, uint32_t *dst)
{
	const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
	long long v;

	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		error_at(ld, s, "'%s' must be a whole number", key);
		return;
	}
	v = config_setting_get_int64(s);
	if (v < (long long)min || v > (long long)max) {
		error_at(ld, s, "'%s' must be between %u and %u (got %lld)", key,
			 min, max, v);
		return;
	}
	*dst = (uint32_t)v;
}

static void load_server(struct loader *ld, const config_t *c,
			struct vs_config *cfg)
{
	static const char *const keys[] = {"user", "allow_root", "state_dir",
					   "workers", "domains", "agent", NULL};
	const config_setting_t *g = group(ld, c, "server", keys);
	const config_setting_t *d;
	uint32_t workers = 0;

	if (!g)
		return;
	get_string(ld, g, "user", cfg->user, sizeof(cfg->user));
	get_bool(ld, g, "allow_root", &cfg->allow_root);
	get_string(ld, g, "state_dir", cfg->state_dir, sizeof(cfg->state_dir));
	get_uint(ld, g, "workers", 0, 256, &workers);
	if (workers)
		cfg->workers = workers;
	get_string(ld, g, "agent", cfg->agent, sizeof(cfg->agent));
	for (const char *a = cfg->agent; *a; a++) {
		if ((unsigned char)*a < 0x20 || *a == 0x7f) {
			error_at(ld, config_setting_get_member(g, "agent"),
				 "'agent' may not contain control characters");
			break;
		}
	}
	d = config_setting_get_member(g, "domains");
	if (d) {
		int n = config_setting_length(d);
		if (!config_setting_is_array(d) && !config_setting_is_list(d)) {
			error_at(ld, d, "'domains' must be a list: [ \"example.com\" ]");
			return;
		}
		if (n > VS_CONFIG_MAX_DOMAINS) {
			error_at(ld, d, "at most %d domains", VS_CONFIG_MAX_DOMAINS);
			return;
		}
		for (int i = 0; i < n; i++) {
			const char *v = config_setting_get_string_elem(d, i);
			if (!v || !*v || strlen(v) >= sizeof(cfg->domains[0])) {
				error_at(ld, d, "domain %d must be a non-empty string", i + 1);
				return;
			}
			snprintf(cfg->domains[cfg->ndomains++],
				 sizeof(cfg->domains[0]), "%s", v);
		}
	}
}

static void load_log(struct loader *ld, const config_t *c,
		     struct vs_config *cfg)
{
	static const char *const keys[] = {"level", "target", "facility", "rate",
					   NULL};
	const config_setting_t *g = group(ld, c, "log", keys);
	char buf[32];

	if (!g)
		return;
	buf[0] = 0;
	get_string(ld, g, "level", buf, sizeof(buf));
	if (buf[0] && vs_log_level_parse(buf, &cfg->log.level))
		error_at(ld, config_setting_get_member(g, "level"),
			 "log level '%s' is not one of error, warning, notice, info, debug",
			 buf);
	buf[0] = 0;
	get_string(ld, g, "target", buf, sizeof(buf));
	if (buf[0]) {
		if (strcmp(buf, "stderr") == 0)
			cfg->log.syslog = false;
		else if (strcmp(buf, "syslog") == 0)
			cfg->log.syslog = true;
		else
			error_at(ld, config_setting_get_member(g, "target"),
				 "log target '%s' is not stderr or syslog", buf);
	}
	buf[0] = 0;
	get_string(ld, g, "facility", buf, sizeof(buf));
	if (buf[0] && vs_log_facility_parse(buf, &cfg->log.facility))
		error_at(ld, config_setting_get_member(g, "facility"),
			 "syslog facility '%s' is not daemon, user or local0..local7",
			 buf);
	get_uint(ld, g, "rate", 1, 100000, &cfg->log.rate);
}

static void load_listener(struct loader *ld, const config_setting_t *l,
			  struct vs_listener *out)
{
	static const char *const keys[] = {"address", "port", "transports",
					   "zone", "tls_cert", "tls_key",
					   "tls_verify_client", "tls_ca", "tls_sni",
					   NULL};
	const config_setting_t *t;
	uint32_t port = 5060;

	if (!config_setting_is_group(l)) {
		error_at(ld, l, "each listener is a group: { address = \"127.0.0.1\"; port = 5060; transports = [\"udp\"]; }");
		return;
	}
	check_keys(ld, l, keys);
	out->line = (int)config_setting_source_line(l);
	get_string(ld, l, "address", out->address, sizeof(out->address));
	if (!out->address[0]) {
		error_at(ld, l, "listener needs an 'address' (an IPv4 or IPv6 address)");
		return;
	}
	get_uint(ld, l, "port", 1, 65535, &port);
	get_string(ld, l, "zone", out->zone_name, sizeof(out->zone_name));
	out->port = (uint16_t)port;
	memset(&out->sa, 0, sizeof(out->sa));
	{
		struct sockaddr_in *v4 = (struct sockaddr_in *)&out->sa;
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->sa;
		if (inet_pton(AF_INET, out->address, &v4->sin_addr) == 1) {
			v4->sin_family = AF_INET;
			v4->sin_port = htons(out->port);
			out->salen = sizeof(*v4);
		} else if (inet_pton(AF_INET6, out->address, &v6->sin6_addr) == 1) {
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons(out->port);
			out->salen = sizeof(*v6);
		} else {
			error_at(ld, config_setting_get_member(l, "address"),
				 "'%s' is not an IPv4 or IPv6 address (host names are not accepted here)",
				 out->address);
			return;
		}
	}
	t = config_setting_get_member(l, "transports");
	if (!t)
		out->transports = VS_TP_UDP | VS_TP_TCP;
	else if (!config_setting_is_array(t) && !config_setting_is_list(t)) {
		error_at(ld, t, "'transports' must be a list such as [\"udp\", \"tcp\"]");
		return;
	}
	for (int i = 0; t && i < config_setting_length(t); i++) {
		const char *v = config_setting_get_string_elem(t, i);
		if (v && strcmp(v, "udp") == 0)
			out->transports |= VS_TP_UDP;
		else if (v && strcmp(v, "tcp") == 0)
			out->transports |= VS_TP_TCP;
		else if (v && strcmp(v, "tls") == 0)
			out->transports |= VS_TP_TLS;
		else
			error_at(ld, t, "transport '%s' is not udp, tcp or tls",
				 v ? v : "?");
	}
	if (!out->transports)
		error_at(ld, t, "a listener needs at least one transport");
	if (!ld->failed && (out->transports & VS_TP_TLS) &&
	    (out->transports & VS_TP_STREAM) != VS_TP_TLS)
		error_at(ld, t, "tcp and tls cannot share a port: give tls a listener of its own (port 5061)");
	get_string(ld, l, "tls_cert", out->tls_cert, sizeof(out->tls_cert));
	get_string(ld, l, "tls_key", out->tls_key, sizeof(out->tls_key));
	if (!ld->failed && (out->transports & VS_TP_TLS) &&
	    (!out->tls_cert[0] || !out->tls_key[0]))
		error_at(ld, l, "a tls listener needs 'tls_cert' and 'tls_key' (PEM files; make run creates a self-signed pair)");
	{
		char v[16] = "none";
		get_string(ld, l, "tls_verify_client", v, sizeof(v));
		get_string(ld, l, "tls_ca", out->tls_ca, sizeof(out->tls_ca));
		if (!strcmp(v, "none"))
			out->tls_verify_client = VS_TLS_VERIFY_NONE;
		else if (!strcmp(v, "optional"))
			out->tls_verify_client = VS_TLS_VERIFY_OPTIONAL;
		else if (!strcmp(v, "required"))
			out->tls_verify_client = VS_TLS_VERIFY_REQUIRED;
		else
			error_at(ld, config_setting_get_member(l, "tls_verify_client"),
				 "tls_verify_client '%s' is not \"none\", \"optional\" or \"required\"",
				 v);
		if (!ld->failed &&
		    (config_setting_get_member(l, "tls_verify_client") ||
		     out->tls_ca[0]) &&
		    !(out->transports & VS_TP_TLS))
			error_at(ld, l, "'tls_verify_client' and 'tls_ca' are for tls listeners");
		if (!ld->failed && out->tls_verify_client != VS_TLS_VERIFY_NONE &&
		    !out->tls_ca[0])
			error_at(ld, l, "tls_verify_client = \"%s\" needs 'tls_ca', the CA certificates (PEM) that issue the client certificates",
				 v);
	}
}

static bool same_sockaddr(const struct vs_listener *a,
			  const struct vs_listener *b)
{
	return a->salen == b->salen && memcmp(&a->sa, &b->sa, a->salen) == 0;
}

/* tls_sni = ( { name = "..."; cert = "..."; key = "..."; }, ... ) of
 * listener i. */
static void load_sni(struct loader *ld, const config_setting_t *l,
		     struct vs_config *cfg, size_t i)
{
	static const char *const keys[] = {"name", "cert", "key", NULL};
	const config_setting_t *list = config_setting_get_member(l, "tls_sni");

	if (!list)
		return;
	if (!(cfg->listen[i].transports & VS_TP_TLS)) {
		error_at(ld, list, "'tls_sni' is for tls listeners");
		return;
	}
	if (!config_setting_is_list(list)) {
		error_at(ld, list, "'tls_sni' must be a list of groups: tls_sni = ( { name = \"sip.example.com\"; cert = \"...\"; key = \"...\"; } );");
		return;
	}
	for (int k = 0; k < config_setting_length(list) && !ld->failed; k++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)k);
		struct vs_sni *out = &cfg->sni[cfg->nsni];

		if (cfg->nsni == VS_CONFIG_MAX_SNI) {
			error_at(ld, e, "at most %d tls_sni certificates in all",
				 VS_CONFIG_MAX_SNI);
			return;
		}
		if (!config_setting_is_group(e)) {
			error_at(ld, e, "each tls_sni entry is a group { name; cert; key; }");
			return;
		}
		check_keys(ld, e, keys);
		memset(out, 0, sizeof(*out));
		out->listener = (uint8_t)i;
		out->line = (int)config_setting_source_line(e);
		get_string(ld, e, "name", out->name, sizeof(out->name));
		get_string(ld, e, "cert", out->cert, sizeof(out->cert));
		get_string(ld, e, "key", out->key, sizeof(out->key));
		if (!ld->failed && (!out->name[0] || !out->cert[0] || !out->key[0]))
			error_at(ld, e, "a tls_sni entry needs 'name', 'cert' and 'key'");
		for (const char *p = out->name; !ld->failed && *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
				error_at(ld, e, "tls_sni name '%s' is not a host name (letters, digits, '-' and '.'; no wildcards)",
					 out->name);
		for (size_t j = 0; j < cfg->nsni && !ld->failed; j++)
			if (cfg->sni[j].listener == i &&
			    !strcasecmp(cfg->sni[j].name, out->name))
				error_at(ld, e, "tls_sni name '%s' is given twice for this listener",
					 out->name);
		cfg->nsni++;
	}
}

static void load_listen(struct loader *ld, const config_t *c,
			struct vs_config *cfg)
{
	const config_setting_t *l = config_lookup(c, "listen");
	int n;

	if (!l) {
		error_at(ld, NULL, "no 'listen' section: add listen = ( { address = \"127.0.0.1\"; port = 5060; } );");
		return;
	}
	if (!config_setting_is_list(l)) {
		error_at(ld, l, "'listen' must be a list of groups: listen = ( { ... }, { ... } );");
		return;
	}
	n = config_setting_length(l);
	if (n == 0 || n > VS_CONFIG_MAX_LISTENERS) {
		error_at(ld, l, "'listen' needs between 1 and %d listeners",
			 VS_CONFIG_MAX_LISTENERS);
		return;
	}
	for (int i = 0; i < n && !ld->failed; i++) {
		struct vs_listener *out = &cfg->listen[cfg->nlisten];
		load_listener(ld, config_setting_get_elem(l, (unsigned)i), out);
		if (!ld->failed)
			load_sni(ld, config_setting_get_elem(l, (unsigned)i), cfg,
				 cfg->nlisten);
		for (size_t j = 0; j < cfg->nlisten && !ld->failed; j++) {
			if (same_sockaddr(&cfg->listen[j], out) &&
			    (cfg->listen[j].transports & out->transports))
				error_at(ld, config_setting_get_elem(l, (unsigned)i),
					 "listener %s port %u is defined twice (also at line %d)",
					 out->address, out->port,
					 cfg->listen[j].line);
		}
		cfg->nlisten++;
	}
}

static void load_limits(struct loader *ld, const config_t *c,
			struct vs_config *cfg)
{
	static const char *const keys[] = {"message_size", "headers",
					   "header_length", "via",
					   "uri_length", NULL};
	const config_setting_t *g = group(ld, c, "limits", keys);

	if (!g)
		return;
	get_uint(ld, g, "message_size", 512, SIP_MAX_MESSAGE_CEILING,
		 &cfg->sip.max_message_size);
	get_uint(ld, g, "headers", 8, SIP_MAX_HEADERS_CEILING,
		 &cfg->sip.max_headers);
	get_uint(ld, g, "header_length", 128, 65535,
		 &cfg->sip.max_header_length);
	get_uint(ld, g, "via", 1, 256, &cfg->sip.max_via);
	get_uint(ld, g, "uri_length", 32, 65535, &cfg->sip.max_uri_length);
}

static void load_tcp(struct loader *ld, const config_t *c,
		     struct vs_config *cfg)
{
	static const char *const keys[] = {"idle_timeout", "message_timeout",
					   "max_connections",
					   "max_connections_per_source",
					   "max_buffer", "keepalive", NULL};
	const config_setting_t *g = group(ld, c, "tcp", keys);

	if (!g)
		return;
	get_uint(ld, g, "idle_timeout", 1, 86400, &cfg->tcp_idle_timeout);
	get_uint(ld, g, "message_timeout", 1, 3600, &cfg->tcp_message_timeout);
	get_uint(ld, g, "max_connections", 1, 1000000,
		 &cfg->tcp_max_connections);
	get_uint(ld, g, "max_connections_per_source", 1, 1000000,
		 &cfg->tcp_max_connections_per_source);
	get_uint(ld, g, "max_buffer", 4096, 16777216, &cfg->tcp_max_buffer);
	get_uint(ld, g, "keepalive", 0, 86400, &cfg->tcp_keepalive);
	if (!config_setting_get_member(g, "keepalive") &&
	    cfg->tcp_keepalive >= cfg->tcp_idle_timeout)
		cfg->tcp_keepalive = cfg->tcp_idle_timeout / 2; /* the default */
	if (!ld->failed && cfg->tcp_keepalive &&
	    cfg->tcp_keepalive >= cfg->tcp_idle_timeout)
		error_at(ld, config_setting_get_member(g, "keepalive"),
			 "tcp.keepalive (%u s) must be shorter than tcp.idle_timeout (%u s), or 0 for none",
			 cfg->tcp_keepalive, cfg->tcp_idle_timeout);
	if (!ld->failed && cfg->tcp_max_buffer < cfg->sip.max_message_size)
		error_at(ld, config_setting_get_member(g, "max_buffer")
				     ? config_setting_get_member(g, "max_buffer")
				     : g,
			 "tcp.max_buffer (%u) must be at least limits.message_size (%u)",
			 cfg->tcp_max_buffer, cfg->sip.max_message_size);
}

int vs_cidr_parse(const char *text, struct vs_cidr *out)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long bits;
	char *end;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(buf))
		return EINVAL;
	memcpy(buf, text, alen);
	buf[alen] = 0;
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->v6 = false;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->v6 = true;
		bits = 128;
	} else {
		return EINVAL;
	}
	if (slash) {
		unsigned long max = bits;
		if (!slash[1])
			return EINVAL;
		bits = strtoul(slash + 1, &end, 10);
		if (*end || bits > max)
			return EINVAL;
	}
	out->bits = (uint8_t)bits;
	return 0;
}

bool vs_cidr_match(const struct vs_cidr *c, const uint8_t *ip, size_t len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned full, rest;

	if (len == 16 && !c->v6 && memcmp(ip, mapped, 12) == 0) {
		ip += 12;
		len = 4;
	}
	if ((len == 16) != c->v6)
		return false;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(ip, c->addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((ip[full] & mask) != (c->addr[full] & mask))
			return false;
	}
	return true;
}

bool vs_config_trusted(const struct vs_config *cfg,
		       const struct vs_sockaddr *sa)
{
	uint8_t ip[16];
	size_t n = vs_sa_ip_bytes(sa, ip);

	for (size_t i = 0; i < cfg->ntrusted; i++) {
		if (vs_cidr_match(&cfg->trusted[i], ip, n))
			return true;
	}
	/* The PBXs and trunks we route to may send us calls. */
	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct vs_sockaddr r;
		if (!cfg->routes[i].trusted)
			continue;
		if (cfg->routes[i].named) {
			if (route_dns_has_ip(cfg->routes[i].dns, cfg->routes[i].dns_gen, sa))
				return true;
			continue;
		}
		memcpy(&r.u, &cfg->routes[i].sa, cfg->routes[i].salen);
		r.len = cfg->routes[i].salen;
		if (vs_sa_ip_eq(&r, sa))
			return true;
	}
	return false;
}

static void load_tls(struct loader *ld, const config_t *c,
		     struct vs_config *cfg)
{
	static const char *const keys[] = {"min_version", "ciphers", "groups",
					   "ca_file", "client_cert",
					   "client_key", "max_handshakes", NULL};
	const config_setting_t *g = group(ld, c, "tls", keys);
	char v[8] = "1.2";

	if (!g)
		return;
	get_string(ld, g, "min_version", v, sizeof(v));
	if (!strcmp(v, "1.2"))
		cfg->tls_min_version = 0x0303;
	else if (!strcmp(v, "1.3"))
		cfg->tls_min_version = 0x0304;
	else
		error_at(ld, config_setting_get_member(g, "min_version"),
			 "tls min_version '%s' is not \"1.2\" or \"1.3\" (older versions are not offered)",
			 v);
	get_string(ld, g, "ciphers", cfg->tls_ciphers, sizeof(cfg->tls_ciphers));
	get_string(ld, g, "groups", cfg->tls_groups, sizeof(cfg->tls_groups));
	get_string(ld, g, "ca_file", cfg->tls_ca_file, sizeof(cfg->tls_ca_file));
	get_uint(ld, g, "max_handshakes", 1, 1000000, &cfg->tls_max_handshakes);
	get_string(ld, g, "client_cert", cfg->tls_client_cert,
		   sizeof(cfg->tls_client_cert));
	get_string(ld, g, "client_key", cfg->tls_client_key,
		   sizeof(cfg->tls_client_key));
	if (!cfg->tls_client_cert[0] != !cfg->tls_client_key[0])
		error_at(ld, g, "tls needs both 'client_cert' and 'client_key', or neither");
}

void get_srtp_policy(struct loader *ld, const config_setting_t *g,
		     uint8_t *out)
{
	static const char *const names[] = {"plain", "optional", "required"};
	char v[16];

	if (!config_setting_get_member(g, "srtp"))
		return;
	get_string(ld, g, "srtp", v, sizeof(v));
	for (uint8_t i = 0; i < 3; i++)
		if (!strcmp(v, names[i])) {
			*out = i;
			return;
		}
	error_at(ld, config_setting_get_member(g, "srtp"),
		 "srtp '%s' is not \"plain\", \"optional\" or \"required\"", v);
}

static void load_media(struct loader *ld, const config_t *c,
		       struct vs_config *cfg)
{
	static const char *const keys[] = {"enabled", "port_min", "port_max",
					   "max_sessions", "latch", "timeout",
					   "srtp", "sdes_over_plain", "batch_us",
					   "ice", "threads", NULL};
	const config_setting_t *g = group(ld, c, "media", keys);
	char latch[16] = "ip";

	if (!g)
		return;
	get_bool(ld, g, "enabled", &cfg->media_enabled);
	get_uint(ld, g, "port_min", 1024, 65534, &cfg->media_port_min);
	get_uint(ld, g, "port_max", 1025, 65535, &cfg->media_port_max);
	get_uint(ld, g, "max_sessions", 1, 500000, &cfg->media_max_sessions);
	get_uint(ld, g, "timeout", 0, 86400, &cfg->media_timeout);
	get_uint(ld, g, "batch_us", 0, 1000, &cfg->media_batch_us);
	get_uint(ld, g, "threads", 1, 64, &cfg->media_threads);
	{
		char ice[16] = "remove";
		get_string(ld, g, "ice", ice, sizeof(ice));
		if (!strcmp(ice, "keep"))
			cfg->media_ice_keep = true;
		else if (strcmp(ice, "remove"))
			error_at(ld, config_setting_get_member(g, "ice"),
				 "media ice '%s' is not \"remove\" or \"keep\"", ice);
	}
	get_bool(ld, g, "sdes_over_plain", &cfg->media_sdes_over_plain);
	get_srtp_policy(ld, g, &cfg->media_srtp);
	get_string(ld, g, "latch", latch, sizeof(latch));
	if (!strcmp(latch, "ip"))
		cfg->media_latch = 0;
	else if (!strcmp(latch, "first"))
		cfg->media_latch = 1;
	else
		error_at(ld, config_setting_get_member(g, "latch"),
			 "media latch '%s' is not \"ip\" or \"first\"", latch);
	if (!ld->failed && cfg->media_port_max < cfg->media_port_min + 3)
		error_at(ld, g, "media port_min..port_max must hold at least two port pairs");
}

static void load_route(struct loader *ld, const config_setting_t *r,
		       struct vs_route *out)
{
	static const char *const keys[] = {"name", "prefix", "domain", "address",
					   "port", "transport", "tls_name",
					   "tls_verify", "trusted", NULL};
	char tp[16] = "udp";
	uint32_t port = 5060;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->sa;

	if (!config_setting_is_group(r)) {
		error_at(ld, r, "each route is a group: { prefix = \"+49\"; address = \"192.0.2.10\"; port = 5060; transport = \"udp\"; }");
		return;
	}
	check_keys(ld, r, keys);
	out->line = (int)config_setting_source_line(r);
	get_string(ld, r, "name", out->name, sizeof(out->name));
	get_string(ld, r, "prefix", out->prefix, sizeof(out->prefix));
	get_string(ld, r, "domain", out->domain, sizeof(out->domain));
	get_string(ld, r, "address", out->address, sizeof(out->address));
	get_uint(ld, r, "port", 1, 65535, &port);
	out->port_set = config_setting_get_member(r, "port") != NULL;
	get_string(ld, r, "transport", tp, sizeof(tp));
	get_string(ld, r, "tls_name", out->tls_name, sizeof(out->tls_name));
	out->tls_verify = true;
	get_bool(ld, r, "tls_verify", &out->tls_verify);
	if (ld->failed)
		return;
	if (!strcmp(tp, "udp"))
		out->transport = VS_TP_UDP;
	else if (!strcmp(tp, "tcp"))
		out->transport = VS_TP_TCP;
	else if (!strcmp(tp, "tls"))
		out->transport = VS_TP_TLS;
	else
		error_at(ld, config_setting_get_member(r, "transport"),
			 "route transport '%s' is not udp, tcp or tls", tp);
	/* RFC 3263 4.2: 5061 for TLS, 5060 otherwise. */
	out->port = (uint16_t)(out->port_set ? port : out->transport == VS_TP_TLS ? 5061 : 5060);
	if (out->transport != VS_TP_TLS &&
	    config_setting_get_member(r, "tls_name"))
		error_at(ld, config_setting_get_member(r, "tls_name"),
			 "'tls_name' is for routes with transport = \"tls\"");
	if (!out->tls_name[0]) /* address is the shorter field */
		memcpy(out->tls_name, out->address, strlen(out->address) + 1);
	for (const char *p = out->prefix; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || *p == '+' || *p == '*' ||
		      *p == '#'))
			error_at(ld, config_setting_get_member(r, "prefix"),
				 "route prefix '%s' may hold only digits, +, * and #",
				 out->prefix);
	}
	memset(&out->sa, 0, sizeof(out->sa));
	if (inet_pton(AF_INET, out->address, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(out->port);
		out->salen = sizeof(*v4);
	} else if (inet_pton(AF_INET6, out->address, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(out->port);
		out->salen = sizeof(*v6);
	} else if (dns_is_hostname(out->address)) {
		out->named = true; /* resolved by the resolver thread */
		if (!out->port_set)
			out->port = 0;
	} else {
		error_at(ld, config_setting_get_member(r, "address")
				     ? config_setting_get_member(r, "address")
				     : r,
			 "route needs an 'address': an IPv4 or IPv6 address, or a host name (resolved by DNS, RFC 3263)");
	}
	/* A route's own address is trusted (see `trusted`); unauthenticated
	 * DNS answers are not, unless the operator says so. */
	out->trusted = !out->named;
	get_bool(ld, r, "trusted", &out->trusted);
}

static bool has_listener(const struct vs_config *cfg, unsigned tp,
			 int family)
{
	for (size_t i = 0; i < cfg->nlisten; i++)
		if ((cfg->listen[i].transports & tp) &&
		    cfg->listen[i].sa.ss_family == family)
			return true;
	return false;
}

static void load_upstream(struct loader *ld, const config_t *c,
			  struct vs_config *cfg)
{
	static const char *const keys[] = {"routes", "trusted", "failover_timeout", NULL};
	const config_setting_t *g = group(ld, c, "upstream", keys);
	const config_setting_t *l;

	if (!g)
		return;
	get_uint(ld, g, "failover_timeout", 0, 60000, &cfg->failover_timeout);
	l = config_setting_get_member(g, "routes");
	if (l) {
		int n = config_setting_length(l);
		if (!config_setting_is_list(l) || n > VS_CONFIG_MAX_ROUTES) {
			error_at(ld, l, "'routes' must be a list of at most %d groups: routes = ( { ... }, { ... } );",
				 VS_CONFIG_MAX_ROUTES);
			return;
		}
		for (int i = 0; i < n && !ld->failed; i++) {
			struct vs_route *r = &cfg->routes[cfg->nroutes];
			load_route(ld, config_setting_get_elem(l, (unsigned)i), r);
			for (size_t j = 0; j < cfg->nroutes && r->name[0]; j++)
				if (!strcmp(cfg->routes[j].name, r->name))
					error_at(ld, config_setting_get_elem(l, (unsigned)i),
						 "route name '%s' is used twice (also at line %d)",
						 r->name, cfg->routes[j].line);
			r->v4 = has_listener(cfg, r->transport, AF_INET);
			r->v6 = has_listener(cfg, r->transport, AF_INET6);
			if (!ld->failed && (r->named ? !r->v4 && !r->v6
						     : !has_listener(cfg, r->transport,
								     r->sa.ss_family)))
				error_at(ld, config_setting_get_elem(l, (unsigned)i),
					 "a route over %s needs a listener with that transport and address family (our Via and Record-Route name it)",
					 r->transport == VS_TP_TLS ? "tls" : r->transport == VS_TP_TCP ? "tcp" : "udp");
			cfg->nroutes++;
		}
	}
	l = config_setting_get_member(g, "trusted");
	if (l && !ld->failed) {
		int n = config_setting_length(l);
		if ((!config_setting_is_array(l) && !config_setting_is_list(l)) ||
		    n > VS_CONFIG_MAX_TRUSTED) {
			error_at(ld, l, "'trusted' must be a list of at most %d addresses or blocks: [ \"192.0.2.0/24\" ]",
				 VS_CONFIG_MAX_TRUSTED);
			return;
		}
		for (int i = 0; i < n; i++) {
			const char *v = config_setting_get_string_elem(l, i);
			if (!v || vs_cidr_parse(v, &cfg->trusted[cfg->ntrusted])) {
				error_at(ld, l, "trusted entry %d ('%s') is not an address or address/prefix",
					 i + 1, v ? v : "?");
				return;
			}
			cfg->ntrusted++;
		}
	}
}

static bool realm_valid(const char *r)
{
	if (!*r)
		return false;
	for (; *r; r++) {
		if ((unsigned char)*r < 0x21 || *r == 0x7f || *r == '"' ||
		    *r == '\\')
			return false;
	}
	return true;
}

static void load_auth(struct loader *ld, const config_t *c,
		      struct vs_config *cfg)
{
	static const char *const keys[] = {"realm", "nonce_lifetime",
					   "algorithms", "nonce_count_table",
					   NULL};
	const config_setting_t *g = group(ld, c, "auth", keys);
	const config_setting_t *a;

	if (g) {
		get_string(ld, g, "realm", cfg->realm, sizeof(cfg->realm));
		if (cfg->realm[0] && !realm_valid(cfg->realm))
			error_at(ld, config_setting_get_member(g, "realm"),
				 "'realm' may not contain spaces, quotes, backslashes or control characters");
		get_uint(ld, g, "nonce_lifetime", 10, 86400,
			 &cfg->nonce_lifetime);
		get_uint(ld, g, "nonce_count_table", 1024, 16777216,
			 &cfg->nonce_count_table);
		a = config_setting_get_member(g, "algorithms");
		if (a && !ld->failed) {
			int n = config_setting_length(a);
			if ((!config_setting_is_array(a) &&
			     !config_setting_is_list(a)) ||
			    n < 1 || n > AUTH_ALGO_COUNT) {
				error_at(ld, a, "'algorithms' must list 1 to 3 of \"SHA-256\", \"MD5\", \"SHA-512-256\"");
				return;
			}
			cfg->nalgos = 0;
			for (int i = 0; i < n; i++) {
				const char *v = config_setting_get_string_elem(a, i);
				struct pl name = pl_make(v ? v : "", v ? strlen(v) : 0);
				enum auth_algo al;
				bool sess;
				if (!v || auth_algo_parse(&name, &al, &sess) || sess) {
					error_at(ld, a, "algorithm '%s' is not SHA-256, MD5 or SHA-512-256", v ? v : "?");
					return;
				}
				for (int j = 0; j < cfg->nalgos; j++) {
					if (cfg->algos[j] == al) {
						error_at(ld, a, "algorithm '%s' is listed twice", v);
						return;
					}
				}
				cfg->algos[cfg->nalgos++] = (uint8_t)al;
			}
		}
	}
	if (!cfg->realm[0]) {
		const char *r = cfg->ndomains ? cfg->domains[0] : "voipshield";
		if (strlen(r) >= sizeof(cfg->realm) || !realm_valid(r))
			r = "voipshield";
		memcpy(cfg->realm, r, strlen(r) + 1);
	}
}

static void load_registrar(struct loader *ld, const config_t *c,
			   struct vs_config *cfg)
{
	static const char *const keys[] = {"min_expires", "max_expires",
					   "default_expires", "max_contacts",
					   "max_bindings", NULL};
	const config_setting_t *g = group(ld, c, "registrar", keys);

	if (!g)
		return;
	get_uint(ld, g, "min_expires", 1, 86400, &cfg->reg_min_expires);
	get_uint(ld, g, "max_expires", 1, 604800, &cfg->reg_max_expires);
	get_uint(ld, g, "default_expires", 1, 604800,
		 &cfg->reg_default_expires);
	get_uint(ld, g, "max_contacts", 1, 100, &cfg->reg_max_contacts);
	get_uint(ld, g, "max_bindings", 1, 10000000, &cfg->reg_max_bindings);
	if (!ld->failed && (cfg->reg_min_expires > cfg->reg_max_expires ||
			    cfg->reg_default_expires < cfg->reg_min_expires ||
			    cfg->reg_default_expires > cfg->reg_max_expires))
		error_at(ld, g,
			 "registrar needs min_expires <= default_expires <= max_expires (got %u, %u, %u)",
			 cfg->reg_min_expires, cfg->reg_default_expires,
			 cfg->reg_max_expires);
}

static void load_transactions(struct loader *ld, const config_t *c,
			      struct vs_config *cfg)
{
	static const char *const keys[] = {"t1", "t2", "t4", "max", NULL};
	const config_setting_t *g = group(ld, c, "transactions", keys);

	if (!g)
		return;
	get_uint(ld, g, "t1", 10, 10000, &cfg->tsx_t1);
	get_uint(ld, g, "t2", 100, 60000, &cfg->tsx_t2);
	get_uint(ld, g, "t4", 100, 60000, &cfg->tsx_t4);
	get_uint(ld, g, "max", 64, 16777216, &cfg->tsx_max);
	if (!ld->failed && cfg->tsx_t2 < cfg->tsx_t1)
		error_at(ld, g, "transactions.t2 (%u) must be at least t1 (%u)",
			 cfg->tsx_t2, cfg->tsx_t1);
}

int vs_config_load(const char *path, struct vs_config *cfg, char *err,
		   size_t errlen)
{
	static const char *const top[] = {"server", "log", "listen", "limits",
					  "tcp", "auth", "registrar",
					  "transactions", "upstream", "zones",
					  "shield", "events", "policy", "tls",
					  "media", NULL};
	struct loader ld = {path, err, errlen, false};
	config_t c;

	vs_config_defaults(cfg);
	if (strlen(path) >= sizeof(cfg->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	config_init(&c);
	if (config_read_file(&c, path) != CONFIG_TRUE) {
		if (config_error_type(&c) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read file: %s", path,
				 strerror(errno ? errno : ENOENT));
		else
			snprintf(err, errlen, "%s:%d: %s",
				 config_error_file(&c) ? config_error_file(&c) : path,
				 config_error_line(&c), config_error_text(&c));
		config_destroy(&c);
		return -1;
	}
	check_keys(&ld, config_root_setting(&c), top);
	if (!ld.failed)
		load_server(&ld, &c, cfg);
	if (!ld.failed)
		load_log(&ld, &c, cfg);
	if (!ld.failed)
		load_listen(&ld, &c, cfg);
	if (!ld.failed)
		load_limits(&ld, &c, cfg);
	if (!ld.failed)
		load_tcp(&ld, &c, cfg);
	if (!ld.failed)
		load_auth(&ld, &c, cfg);
	if (!ld.failed)
		load_registrar(&ld, &c, cfg);
	if (!ld.failed)
		load_transactions(&ld, &c, cfg);
	if (!ld.failed)
		load_upstream(&ld, &c, cfg);
	if (!ld.failed)
		load_tls(&ld, &c, cfg);
	if (!ld.failed)
		load_zones(&ld, &c, cfg);
	if (!ld.failed)
		load_shield(&ld, &c, cfg);
	if (!ld.failed)
		load_events(&ld, &c, cfg);
	if (!ld.failed)
		load_policy(&ld, &c, cfg);
	if (!ld.failed)
		load_media(&ld, &c, cfg);
	for (unsigned i = 0; i < cfg->nzones; i++)
		if (cfg->zones[i].srtp == VS_SRTP_UNSET)
			cfg->zones[i].srtp = cfg->media_srtp;
	config_destroy(&c);
	return ld.failed ? -1 : 0;
}

bool vs_config_needs_restart(const struct vs_config *a,
			     const struct vs_config *b)
{
	if (a->nlisten != b->nlisten || a->workers != b->workers ||
	    strcmp(a->user, b->user) != 0 || a->allow_root != b->allow_root ||
	    strcmp(a->state_dir, b->state_dir) != 0 ||
	    a->tsx_max != b->tsx_max ||
	    a->nonce_count_table != b->nonce_count_table ||
	    a->reg_max_bindings != b->reg_max_bindings ||
	    a->shield.max_sources != b->shield.max_sources ||
	    a->shield.max_bans != b->shield.max_bans ||
	    a->shield.max_users != b->shield.max_users ||
	    a->policy.max_dialogs != b->policy.max_dialogs ||
	    a->shield.nft != b->shield.nft ||
	    a->media_enabled != b->media_enabled ||
	    a->media_port_min != b->media_port_min ||
	    a->media_port_max != b->media_port_max ||
	    a->media_max_sessions != b->media_max_sessions ||
	    a->media_timeout != b->media_timeout ||
	    a->media_batch_us != b->media_batch_us ||
	    a->media_threads != b->media_threads)
		return true;
	for (size_t i = 0; i < a->nlisten; i++) {
		if (a->listen[i].transports != b->listen[i].transports ||
		    a->listen[i].salen != b->listen[i].salen ||
		    memcmp(&a->listen[i].sa, &b->listen[i].sa,
			   a->listen[i].salen) != 0)
			return true;
	}
	return false;
}
