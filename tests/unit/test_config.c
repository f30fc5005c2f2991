/* Unit tests for core/config.c: loading, defaults and precise errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/config.h"

static char path[64];
static struct vs_config cfg;
static char err[1024];

static int load(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/vs-config-test-%d.conf", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	err[0] = 0;
	int rc = vs_config_load(path, &cfg, err, sizeof(err));
	unlink(path);
	return rc;
}

/* The error names the file and line. */
static void assert_err_at(int line, const char *needle)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, needle))
		fail_msg("expected '%s...%s', got '%s'", prefix, needle, err);
}

static const char *minimal = "listen = ( { address = \"127.0.0.1\"; } );\n";

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(load(minimal), 0);
	assert_int_equal(cfg.nlisten, 1);
	assert_int_equal(cfg.listen[0].port, 5060);
	assert_int_equal(cfg.listen[0].transports, VS_TP_UDP | VS_TP_TCP);
	assert_string_equal(cfg.user, "voipshield");
	assert_false(cfg.allow_root);
	assert_true(cfg.workers >= 1);
	assert_int_equal(cfg.sip.max_message_size, 65535);
	assert_int_equal(cfg.sip.max_headers, 128);
	assert_int_equal(cfg.sip.max_via, 32);
	assert_int_equal(cfg.tcp_idle_timeout, 180);
	assert_int_equal(cfg.tcp_max_connections_per_source, 64);
	assert_int_equal(cfg.log.level, VS_LOG_INFO);
}

static void test_full(void **state)
{
	(void)state;
	assert_int_equal(load(
		"server = { user = \"nobody\"; allow_root = false; state_dir = \"/tmp/x\";\n"
		"  workers = 3; domains = [ \"example.com\", \"sip.example.com\" ]; agent = \"\"; };\n"
		"log = { level = \"debug\"; target = \"syslog\"; facility = \"local3\"; rate = 5; };\n"
		"listen = ( { address = \"::1\"; port = 5070; transports = [ \"tcp\" ]; },\n"
		"           { address = \"0.0.0.0\"; port = 5070; transports = [ \"udp\" ]; } );\n"
		"limits = { message_size = 4096; headers = 40; header_length = 1024; via = 8; uri_length = 256; };\n"
		"tcp = { idle_timeout = 60; message_timeout = 5; max_connections = 100;\n"
		"  max_connections_per_source = 4; max_buffer = 8192; };\n"), 0);
	assert_int_equal(cfg.workers, 3);
	assert_int_equal(cfg.ndomains, 2);
	assert_string_equal(cfg.domains[1], "sip.example.com");
	assert_string_equal(cfg.agent, "");
	assert_int_equal(cfg.log.level, VS_LOG_DEBUG);
	assert_true(cfg.log.syslog);
	assert_int_equal(cfg.listen[0].transports, VS_TP_TCP);
	assert_int_equal(cfg.listen[0].sa.ss_family, AF_INET6);
	assert_int_equal(cfg.sip.max_uri_length, 256);
	assert_int_equal(cfg.tcp_max_buffer, 8192);
	assert_int_equal(cfg.tcp_keepalive, 30); /* half the idle timeout */
}

static void test_syntax_error_line(void **state)
{
	(void)state;
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n\nserver = { user = ; };\n"), 0);
	assert_err_at(3, "syntax error");
}

static void test_unknown_key(void **state)
{
	(void)state;
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; } );\nserver = {\n  usr = \"x\";\n};\n"), 0);
	assert_err_at(3, "unknown key 'usr'");
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; } );\nfoo = 1;\n"), 0);
	assert_err_at(2, "unknown key 'foo'");
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; prot = 1; } );\n"), 0);
	assert_err_at(1, "unknown key 'prot'");
}

static void test_bad_values(void **state)
{
	(void)state;
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; port = 70000; } );\n"), 0);
	assert_err_at(1, "'port' must be between 1 and 65535");
	assert_int_not_equal(load("listen = ( { address = \"localhost\"; } );\n"), 0);
	assert_err_at(1, "not an IPv4 or IPv6 address");
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; transports = [\"sctp\"]; } );\n"), 0);
	assert_err_at(1, "transport 'sctp'");
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; } );\nlog = { level = \"loud\"; };\n"), 0);
	assert_err_at(2, "log level 'loud'");
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; } );\nserver = { allow_root = 1; };\n"), 0);
	assert_err_at(2, "true or false");
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; } );\nlimits = { headers = 100000; };\n"), 0);
	assert_err_at(2, "'headers' must be between");
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; } );\nserver = { user = 5; };\n"), 0);
	assert_err_at(2, "must be a string");
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
				  "tcp = { max_buffer = 8192; };\n"), 0);
	assert_true(strstr(err, "tcp.max_buffer") != NULL);
}

static void test_listen_required_and_unique(void **state)
{
	(void)state;
	assert_int_not_equal(load("server = { workers = 1; };\n"), 0);
	assert_true(strstr(err, "no 'listen' section") != NULL);
	assert_int_not_equal(load("listen = ( { address = \"127.0.0.1\"; },\n"
				  "  { address = \"127.0.0.1\"; transports = [\"udp\"]; } );\n"), 0);
	assert_err_at(2, "defined twice");
	/* Same address, different transports: allowed. */
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; transports = [\"tcp\"]; },\n"
			      "  { address = \"127.0.0.1\"; transports = [\"udp\"]; } );\n"), 0);
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_int_not_equal(vs_config_load("/nonexistent/vs.conf", &cfg, err, sizeof(err)), 0);
	assert_true(strstr(err, "/nonexistent/vs.conf: cannot read file") != NULL);
}

static void test_needs_restart(void **state)
{
	struct vs_config *a = malloc(sizeof(*a));

	(void)state;
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\nlog = { level = \"info\"; };\n"), 0);
	memcpy(a, &cfg, sizeof(*a));
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\nlog = { level = \"debug\"; };\n"), 0);
	assert_false(vs_config_needs_restart(a, &cfg));
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; } );\n"), 0);
	assert_true(vs_config_needs_restart(a, &cfg));
	free(a);
}

static void test_zones_and_shield(void **state)
{
	(void)state;
	/* Defaults: one zone that allows everything; the shield on. */
	assert_int_equal(load(minimal), 0);
	assert_int_equal(cfg.nzones, 1);
	assert_int_equal(cfg.zones[0].nallow, 0);
	assert_true(cfg.zones[0].auth);
	assert_true(cfg.shield.enabled);
	assert_int_equal(cfg.shield.rate[VS_BUCKET_INVITE].rate, 5);
	assert_string_equal(cfg.events.file, "voipshield-events.log");

	assert_int_equal(load(
		"listen = ( { address = \"127.0.0.1\"; zone = \"pbx\"; },\n"
		"           { address = \"127.0.0.2\"; } );\n"
		"upstream = { routes = ( { name = \"trunk\"; address = \"192.0.2.1\"; },\n"
		"                        { name = \"pbx\"; address = \"192.0.2.2\"; } ); };\n"
		"zones = ( { name = \"internet\"; deny = [ \"198.51.100.0/24\" ];\n"
		"            methods = [ \"REGISTER\", \"INVITE\", \"other\" ]; routes = [ \"pbx\" ]; },\n"
		"          { name = \"pbx\"; allow = [ \"192.0.2.2\", \"2001:db8::/32\" ]; auth = false; } );\n"
		"shield = { key = \"ip_port\"; over_limit = \"drop\";\n"
		"  rate = { invite = { rate = 2; burst = 4; }; };\n"
		"  ban = { time = 60; max_time = 120; distinct_users = 5; };\n"
		"  lockout = { failures = 3; }; scanners = [ \"evil\" ]; };\n"
		"events = { file = \"\"; syslog = true; rate = 3; };\n"), 0);
	assert_int_equal(cfg.nzones, 2);
	assert_int_equal(cfg.listen[0].zone, 1);
	assert_int_equal(cfg.listen[1].zone, 0);
	assert_int_equal(cfg.zones[0].routes, 1u << 1);
	assert_int_equal(cfg.zones[0].methods,
			 (1u << SIP_METHOD_REGISTER) | (1u << SIP_METHOD_INVITE) |
				 (1u << SIP_METHOD_OTHER));
	assert_int_equal(cfg.zones[1].nallow, 2);
	assert_false(cfg.zones[1].auth);
	assert_true(cfg.shield.key_port);
	assert_false(cfg.shield.over_limit_reply);
	assert_int_equal(cfg.shield.rate[VS_BUCKET_INVITE].burst, 4);
	assert_int_equal(cfg.shield.rate[VS_BUCKET_REGISTER].rate, 10);
	assert_int_equal(cfg.shield.ban_max_time, 120);
	assert_int_equal(cfg.shield.lockout_failures, 3);
	assert_int_equal(cfg.shield.nscanners, 1);
	assert_string_equal(cfg.events.file, "");
	assert_true(cfg.events.syslog);

	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; zone = \"dmz\"; } );\n"), -1);
	assert_err_at(1, "listener zone 'dmz' is not defined");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "zones = ( { name = \"a\"; routes = [ \"nope\" ]; } );\n"), -1);
	assert_err_at(2, "zone route 'nope' is not the name of an upstream route");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "zones = ( { name = \"a\"; methods = [ \"invite\" ]; } );\n"), -1);
	assert_err_at(2, "method 'invite' is not a SIP method");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "zones = ( { name = \"a\"; }, { name = \"a\"; } );\n"), -1);
	assert_err_at(2, "zone name 'a' is used twice");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "shield = {\n key = \"mac\"; };\n"), -1);
	assert_err_at(3, "shield key 'mac'");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "shield = { ban = {\n time = 600; max_time = 60; }; };\n"), -1);
	assert_err_at(2, "max_time (60) is shorter");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "shield = { rate = { invite = {\n rate = 1000; burst = 2; }; }; };\n"), -1);
	assert_err_at(2, "burst 2 is smaller than a tenth");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "shield = { never_ban = [\n \"10.0.0.0/33\" ]; };\n"), -1);
	assert_err_at(2, "never_ban entry 1");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "shield = { max_sources = 1000; };\n"), 0);
	{
		struct vs_config *a = malloc(sizeof(*a));
		memcpy(a, &cfg, sizeof(*a));
		assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
				      "shield = { max_sources = 2000; };\n"), 0);
		assert_true(vs_config_needs_restart(a, &cfg));
		free(a);
	}
}

static void test_policy(void **state)
{
	const struct vs_policy_conf *p = &cfg.policy;

	(void)state;
	assert_int_equal(load(minimal), 0);
	assert_int_equal(p->npatterns, 0);
	assert_false(p->track);
	assert_int_equal(load(
		"listen = ( { address = \"127.0.0.1\"; } );\n"
		"policy = { block_callers = [ \"@spam.example\", \"+1900\", \"sip:robo@x.example\" ];\n"
		"  reject_anonymous = true; caller_rate = 5;\n"
		"  groups = ( { name = \"g\"; deny_destinations = [ \"00\" ]; max_concurrent = 2; } );\n"
		"  accounts = ( { user = \"zed\"; group = \"g\"; },\n"
		"               { user = \"amy\"; max_per_hour = 9; reject_anonymous = false; } ); };\n"), 0);
	assert_int_equal(p->npatterns, 4);
	assert_int_equal(p->global.block_callers.n, 3);
	assert_int_equal(p->patterns[0].kind, VS_PAT_DOMAIN);
	assert_string_equal(p->pool + p->patterns[0].off, "spam.example");
	assert_int_equal(p->patterns[1].kind, VS_PAT_PREFIX);
	assert_int_equal(p->patterns[2].kind, VS_PAT_URI);
	assert_int_equal(p->patterns[2].len, 4);
	assert_int_equal(p->patterns[2].hlen, 9);
	assert_int_equal(p->global.reject_anonymous, 1);
	assert_int_equal(p->caller_rate, 5);
	assert_true(p->track);
	/* Accounts are sorted by name for lookups. */
	assert_string_equal(p->accounts[0].user, "amy");
	assert_int_equal(p->accounts[0].group, -1);
	assert_int_equal(p->accounts[0].r.reject_anonymous, 0);
	assert_int_equal(p->accounts[1].group, 0);
	assert_int_equal(p->accounts[1].r.reject_anonymous, -1);

	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "policy = { block_callers = [\n \"spam\" ]; };\n"), -1);
	assert_err_at(2, "pattern 'spam' is not a number prefix");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "policy = { accounts = ( {\n user = \"a\"; group = \"nope\"; } ); };\n"), -1);
	assert_err_at(2, "policy group 'nope' is not defined");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "policy = { accounts = ( { user = \"a\"; }, { user = \"a\"; } ); };\n"), -1);
	assert_err_at(2, "policy account 'a' is listed twice");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "policy = { deny_destinations = [\n \"\" ]; };\n"), -1);
	assert_err_at(2, "an empty pattern would match everything");
}

static void test_tls(void **state)
{
	(void)state;
	assert_int_equal(load(minimal), 0);
	assert_int_equal(cfg.tls_min_version, 0x0303);
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; transports = [ \"tls\" ];\n"
			      "  tls_cert = \"/c.pem\"; tls_key = \"/k.pem\"; } );\n"
			      "tls = { min_version = \"1.3\"; };\n"), 0);
	assert_int_equal(cfg.listen[0].transports, VS_TP_TLS);
	assert_string_equal(cfg.listen[0].tls_key, "/k.pem");
	assert_int_equal(cfg.tls_min_version, 0x0304);
	assert_int_equal(load("listen = ( {\n address = \"127.0.0.1\"; transports = [ \"tls\" ]; } );\n"), -1);
	assert_err_at(1, "a tls listener needs 'tls_cert' and 'tls_key'");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; transports =\n [ \"tcp\", \"tls\" ]; } );\n"), -1);
	assert_err_at(1, "tcp and tls cannot share a port");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "tls = {\n min_version = \"1.1\"; };\n"), -1);
	assert_err_at(3, "tls min_version '1.1'");
	/* Outbound TLS: routes, trust anchors, a client certificate. */
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; transports = [ \"tls\" ];\n"
			      "  tls_cert = \"/c.pem\"; tls_key = \"/k.pem\"; } );\n"
			      "upstream = { routes = ( { address = \"127.0.0.9\"; port = 5061; transport = \"tls\"; },\n"
			      "  { prefix = \"9\"; address = \"127.0.0.8\"; transport = \"tls\"; tls_name = \"pbx.example\"; tls_verify = false; } ); };\n"
			      "tls = { ca_file = \"/ca.pem\"; client_cert = \"/cc.pem\"; client_key = \"/ck.pem\"; };\n"), 0);
	assert_int_equal(cfg.routes[0].transport, VS_TP_TLS);
	assert_string_equal(cfg.routes[0].tls_name, "127.0.0.9");
	assert_true(cfg.routes[0].tls_verify);
	assert_string_equal(cfg.routes[1].tls_name, "pbx.example");
	assert_false(cfg.routes[1].tls_verify);
	assert_string_equal(cfg.tls_ca_file, "/ca.pem");
	assert_string_equal(cfg.tls_client_key, "/ck.pem");
	assert_int_equal(cfg.routes[1].port, 5061); /* RFC 3263: TLS default */
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "upstream = { routes = (\n { address = \"127.0.0.9\"; transport = \"tls\"; } ); };\n"), -1);
	assert_err_at(3, "a route over tls needs a listener");
	/* Routes by host name (RFC 3263): no port means SRV first. */
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; }, { address = \"::1\"; transports = [ \"tcp\" ]; } );\n"
			      "upstream = { routes = ( { address = \"Trunk.Example.net\"; },\n"
			      "  { address = \"pbx.example\"; port = 5070; transport = \"tcp\"; } ); };\n"), 0);
	assert_true(cfg.routes[0].named);
	assert_false(cfg.routes[0].port_set);
	assert_int_equal(cfg.routes[0].port, 0);
	assert_true(cfg.routes[0].v4);
	assert_false(cfg.routes[0].v6); /* no UDP listener on IPv6 */
	assert_string_equal(cfg.routes[0].tls_name, "Trunk.Example.net");
	assert_true(cfg.routes[1].named && cfg.routes[1].port_set);
	assert_int_equal(cfg.routes[1].port, 5070);
	assert_true(cfg.routes[1].v4 && cfg.routes[1].v6);
	assert_false(cfg.routes[0].dns); /* given by route_dns_attach, not the loader */
	assert_false(cfg.routes[0].trusted); /* DNS answers are not trusted by default */
	assert_int_equal(cfg.failover_timeout, 4000);
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "upstream = {\n failover_timeout = 70000; };\n"), -1);
	assert_err_at(3, "failover_timeout");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "upstream = { routes = ( { address = \"pbx.example\"; trusted = true; },\n"
			      "  { address = \"192.0.2.1\"; }, { address = \"192.0.2.2\"; trusted = false; } ); };\n"), 0);
	assert_true(cfg.routes[0].trusted);
	assert_true(cfg.routes[1].trusted); /* a route's own address: trusted */
	assert_false(cfg.routes[2].trusted);
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "upstream = { routes = (\n { address = \"not a host\"; } ); };\n"), -1);
	assert_err_at(3, "an IPv4 or IPv6 address, or a host name");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "upstream = { routes = (\n { address = \"pbx.example\"; transport = \"tls\"; } ); };\n"), -1);
	assert_err_at(3, "a route over tls needs a listener");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "upstream = { routes = ( { address = \"127.0.0.9\";\n tls_name = \"x\"; } ); };\n"), -1);
	assert_err_at(3, "'tls_name' is for routes with transport = \"tls\"");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "tls = {\n client_cert = \"/cc.pem\"; };\n"), -1);
	assert_err_at(2, "both 'client_cert' and 'client_key'");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "tcp = { idle_timeout = 60;\n keepalive = 60; };\n"), -1);
	assert_err_at(3, "tcp.keepalive (60 s) must be shorter");
	/* Mutual TLS on a listener. */
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; transports = [ \"tls\" ];\n"
			      "  tls_cert = \"/c.pem\"; tls_key = \"/k.pem\"; tls_verify_client = \"required\"; tls_ca = \"/ca.pem\"; } );\n"), 0);
	assert_int_equal(cfg.listen[0].tls_verify_client, VS_TLS_VERIFY_REQUIRED);
	assert_string_equal(cfg.listen[0].tls_ca, "/ca.pem");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; transports = [ \"tls\" ];\n"
			      "  tls_cert = \"/c.pem\"; tls_key = \"/k.pem\";\n tls_verify_client = \"optional\"; } );\n"), -1);
	assert_err_at(1, "needs 'tls_ca'");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; transports = [ \"tls\" ];\n"
			      "  tls_cert = \"/c.pem\"; tls_key = \"/k.pem\";\n tls_verify_client = \"yes\"; } );\n"), -1);
	assert_err_at(3, "tls_verify_client 'yes' is not");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\";\n tls_ca = \"/ca.pem\"; } );\n"), -1);
	assert_err_at(1, "are for tls listeners");
	/* SNI certificates. */
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; transports = [ \"tls\" ];\n"
			      "  tls_cert = \"/c.pem\"; tls_key = \"/k.pem\";\n"
			      "  tls_sni = ( { name = \"a.example\"; cert = \"/a.pem\"; key = \"/ak.pem\"; } ); } );\n"), 0);
	assert_int_equal(cfg.nsni, 1);
	assert_int_equal(cfg.sni[0].listener, 0);
	assert_string_equal(cfg.sni[0].cert, "/a.pem");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; transports = [ \"tls\" ];\n"
			      "  tls_cert = \"/c.pem\"; tls_key = \"/k.pem\";\n"
			      "  tls_sni = (\n { name = \"*.example\"; cert = \"/a.pem\"; key = \"/ak.pem\"; } ); } );\n"), -1);
	assert_err_at(4, "is not a host name");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; port = 5061; transports = [ \"tls\" ];\n"
			      "  tls_cert = \"/c.pem\"; tls_key = \"/k.pem\";\n"
			      "  tls_sni = (\n { name = \"a.example\"; cert = \"/a.pem\"; } ); } );\n"), -1);
	assert_err_at(4, "needs 'name', 'cert' and 'key'");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\";\n"
			      "  tls_sni = ( ); } );\n"), -1);
	assert_err_at(2, "'tls_sni' is for tls listeners");
}

static void test_media(void **state)
{
	(void)state;
	assert_int_equal(load(minimal), 0);
	assert_false(cfg.media_enabled);
	assert_int_equal(cfg.media_port_min, 30000);
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "media = { enabled = true; port_min = 40000; port_max = 40009; max_sessions = 2; latch = \"first\"; };\n"), 0);
	assert_true(cfg.media_enabled);
	assert_int_equal(cfg.media_port_max, 40009);
	assert_int_equal(cfg.media_latch, 1);
	assert_int_equal(cfg.media_srtp, VS_SRTP_OPTIONAL);
	assert_int_equal(cfg.zones[0].srtp, VS_SRTP_OPTIONAL);
	assert_int_equal(cfg.media_batch_us, 200);
	assert_false(cfg.media_ice_keep);
	assert_int_equal(cfg.media_threads, 1);
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "media = { srtp = \"required\"; sdes_over_plain = true; timeout = 0; batch_us = 0; };\n"), 0);
	assert_int_equal(cfg.media_batch_us, 0);
	assert_int_equal(cfg.media_srtp, VS_SRTP_REQUIRED);
	assert_int_equal(cfg.zones[0].srtp, VS_SRTP_REQUIRED);
	assert_true(cfg.media_sdes_over_plain);
	assert_int_equal(cfg.media_timeout, 0);
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "media = { ice = \"keep\"; threads = 4; };\n"), 0);
	assert_true(cfg.media_ice_keep);
	assert_int_equal(cfg.media_threads, 4);
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "media = {\n ice = \"pass\"; };\n"), -1);
	assert_err_at(3, "media ice 'pass' is not");
	/* A zone's own srtp wins; the others take media.srtp. */
	assert_int_equal(load("zones = ( { name = \"lan\"; srtp = \"plain\"; }, { name = \"wan\"; } );\n"
			      "listen = ( { address = \"127.0.0.1\"; zone = \"wan\"; } );\n"
			      "media = { srtp = \"required\"; };\n"), 0);
	assert_int_equal(cfg.zones[0].srtp, VS_SRTP_PLAIN);
	assert_int_equal(cfg.zones[1].srtp, VS_SRTP_REQUIRED);
	assert_int_equal(load("zones = ( { name = \"lan\";\n srtp = \"sometimes\"; } );\n"
			      "listen = ( { address = \"127.0.0.1\"; } );\n"), -1);
	assert_err_at(2, "srtp 'sometimes' is not \"plain\"");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "media = {\n srtp = \"always\"; };\n"), -1);
	assert_err_at(3, "srtp 'always' is not");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "media = {\n latch = \"any\"; };\n"), -1);
	assert_err_at(3, "media latch 'any'");
	assert_int_equal(load("listen = ( { address = \"127.0.0.1\"; } );\n"
			      "media =\n { port_min = 40000; port_max = 40001; };\n"), -1);
	assert_err_at(2, "at least two port pairs");
}

static void test_example_is_valid(void **state)
{
	(void)state;
	/* The shipped example must always load. */
	assert_int_equal(vs_config_load(VS_SOURCE_DIR "/examples/standalone.conf",
					&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nlisten, 3);
	assert_int_equal(cfg.listen[2].transports, VS_TP_TLS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_syntax_error_line),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_listen_required_and_unique),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_needs_restart),
		cmocka_unit_test(test_zones_and_shield),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_media),
		cmocka_unit_test(test_example_is_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
