/*
 * config.h - the daemon's configuration, read with libconfig.
 *
 * Every key is documented in docs/configuration.md with its default.  A
 * loaded configuration is immutable; a reload builds a new one and swaps
 * it in only when it loaded without error.
 */
#ifndef VS_CORE_CONFIG_H
#define VS_CORE_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/log.h"
#include "sip/msg.h"

#define VS_CONFIG_MAX_LISTENERS 32
#define VS_CONFIG_MAX_DOMAINS 32
#define VS_CONFIG_MAX_ROUTES 64
#define VS_CONFIG_MAX_SNI 16 /* extra certificates chosen by SNI, in all */
#define VS_CONFIG_MAX_TRUSTED 64
#define VS_CONFIG_MAX_ZONES 16
#define VS_CONFIG_MAX_CIDRS 64	 /* per allow, deny or never_ban list */
#define VS_CONFIG_MAX_SCANNERS 32 /* User-Agent patterns */

enum vs_transport {
	VS_TP_UDP = 1 << 0,
	VS_TP_TCP = 1 << 1,
	VS_TP_TLS = 1 << 2, /* SIP over TLS over TCP (RFC 3261 26.2) */
};

/* A stream transport: TCP or TLS. */
#define VS_TP_STREAM (VS_TP_TCP | VS_TP_TLS)

/* Client certificates on a TLS listener. */
enum vs_tls_verify {
	VS_TLS_VERIFY_NONE,	/* not asked for */
	VS_TLS_VERIFY_OPTIONAL, /* asked for; one that does not verify fails */
	VS_TLS_VERIFY_REQUIRED, /* a connection without one fails */
};

struct vs_listener {
	char address[64];
	char zone_name[32]; /* as written; "" = the first zone */
	char tls_cert[PATH_MAX]; /* TLS listeners: certificate chain (PEM) */
	char tls_key[PATH_MAX];	 /* and its private key (PEM) */
	uint8_t tls_verify_client; /* enum vs_tls_verify */
	char tls_ca[PATH_MAX];	 /* CAs for client certificates (PEM) */
	uint8_t zone;	    /* index into vs_config.zones */
	uint16_t port;
	unsigned transports; /* VS_TP_* bits */
	struct sockaddr_storage sa;
	socklen_t salen;
	int line; /* in the config file, for messages */
};

/* A certificate a tls listener serves to clients that ask for name by
 * SNI (RFC 6066 3); the listener's own tls_cert serves everyone else. */
struct vs_sni {
	uint8_t listener; /* index into vs_config.listen */
	char name[256];	  /* a host name, compared without regard to case */
	char cert[PATH_MAX], key[PATH_MAX];
	int line;
};

/* An upstream route (a PBX or trunk): where requests for numbers with a
 * prefix, or for a domain, or (neither set) for anything else, go. */
struct vs_route {
	char name[32];	  /* for zone route lists; "" = unnamed */
	char prefix[32];  /* on the Request-URI user part; "" = any */
	char domain[256]; /* Request-URI host; "" = any */
	char address[254]; /* an IP address or a host name (RFC 3263) */
	uint16_t port;
	bool port_set;	    /* configured (else SRV first for a name) */
	bool named;	    /* address is a host name, resolved by DNS */
	bool v4, v6;	    /* a listener of its transport has this family */
	bool trusted;	    /* its addresses are trusted (see `trusted`) */
	unsigned dns;	    /* named: its entry in route_dns.h (1-based) */
	uint32_t dns_gen;   /* ... and that entry's generation */
	unsigned transport; /* one VS_TP_* bit */
	char tls_name[256]; /* tls: the identity its certificate must carry
			       (RFC 5922); default the address */
	bool tls_verify;    /* tls: verify the chain (false: lab only) */
	struct sockaddr_storage sa; /* an IP address route: its address */
	socklen_t salen;
	int line;
};

/* An address block: IPv4 or IPv6 with a prefix length. */
struct vs_cidr {
	uint8_t addr[16];
	uint8_t bits;
	bool v6;
};

/* SRTP on the media legs that face a zone (docs/media.md). */
enum vs_srtp_policy {
	VS_SRTP_PLAIN,	  /* plain RTP only: SRTP offers get 488 */
	VS_SRTP_OPTIONAL, /* what the phone offers */
	VS_SRTP_REQUIRED, /* SRTP only: plain offers get 488 */
	VS_SRTP_UNSET = 0xff /* a zone without `srtp`: media.srtp */
};

/*
 * An access zone (threat T14): the listeners that face one network and
 * what may come in through them.
 */
struct vs_zone {
	char name[32];
	struct vs_cidr allow[VS_CONFIG_MAX_CIDRS]; /* none: any source */
	uint8_t nallow;
	struct vs_cidr deny[VS_CONFIG_MAX_CIDRS];
	uint8_t ndeny;
	uint32_t methods;   /* bit per enum sip_method (bit 0: unknown ones) */
	bool auth;	    /* challenge requests from local users */
	uint64_t routes;    /* bit per upstream route that may be reached */
	uint8_t srtp;	    /* enum vs_srtp_policy of its calls' media legs */
	int line;
};

/* A token bucket: rate per second, burst in requests. */
struct vs_bucket_conf {
	uint32_t rate, burst;
};

enum vs_shield_bucket {
	VS_BUCKET_REGISTER,
	VS_BUCKET_INVITE,
	VS_BUCKET_OTHER,
	VS_BUCKET_TLS, /* TLS handshakes (connections to tls listeners) */
	VS_BUCKET_COUNT
};

struct vs_shield_conf {
	bool enabled;
	bool key_port; /* buckets per address and port, not per address */
	bool over_limit_reply; /* 503 (at most one a second) or drop */
	uint32_t max_sources, max_bans, max_users; /* table sizes */
	struct vs_bucket_conf rate[VS_BUCKET_COUNT];
	struct vs_bucket_conf trusted_rate[VS_BUCKET_COUNT];
	struct vs_cidr never_ban[VS_CONFIG_MAX_CIDRS];
	uint8_t nnever_ban;
	/* bans */
	uint32_t ban_time, ban_max_time, ban_forget; /* seconds */
	uint32_t window;	   /* seconds over which offences count */
	uint32_t ban_rate_excess;  /* requests over budget */
	uint32_t ban_malformed;	   /* malformed messages */
	uint32_t ban_auth_failures; /* failed authentications */
	uint32_t ban_distinct_users; /* user names tried without success */
	uint32_t ban_tls_failures;   /* failed TLS handshakes */
	/* password cracking */
	uint32_t lockout_failures; /* per user, in the window */
	uint32_t lockout_time;	   /* seconds */
	/* overload: transactions open, in percent of transactions.max, from
	 * which new requests from untrusted sources get 503 */
	uint32_t overload_at;
	/* scanners */
	char scanners[VS_CONFIG_MAX_SCANNERS][64]; /* User-Agent substrings */
	uint8_t nscanners;
	/* bans also pushed into nftables sets (kernel dropping) */
	bool nft;
	char nft_family[8], nft_table[64], nft_set4[64], nft_set6[64];
};

/*
 * SPIT and toll-fraud policy (threats T10, T11; docs/policy.md).  Patterns
 * live in one pool: "+1900" (a prefix of the user part: a number),
 * "@spam.example" (a domain), "sip:robo@spam.example" (one address).
 */
#define VS_POLICY_MAX_PATTERNS 4096
#define VS_POLICY_POOL 65536
#define VS_POLICY_MAX_GROUPS 32
#define VS_POLICY_MAX_ACCOUNTS 1024

enum vs_pattern_kind { VS_PAT_PREFIX, VS_PAT_DOMAIN, VS_PAT_URI };

struct vs_pattern {
	uint32_t off;	 /* into vs_policy_conf.pool: user part or domain */
	uint16_t len;	 /* of the user part (URI: up to the '@') */
	uint16_t hlen;	 /* URI: the host's length after the '@' */
	uint8_t kind;	 /* enum vs_pattern_kind */
};

/* A slice of vs_policy_conf.patterns. */
struct vs_pattern_list {
	uint16_t first, n;
};

struct vs_policy_rules {
	struct vs_pattern_list block_callers, allow_callers, deny_destinations;
	uint32_t max_concurrent; /* 0: no limit */
	uint32_t max_per_hour;	 /* 0: no limit */
	int8_t reject_anonymous; /* -1: inherit */
};

struct vs_policy_group {
	char name[32];
	struct vs_policy_rules r;
};

struct vs_policy_account {
	char user[65];
	int16_t group; /* index, or -1 */
	struct vs_policy_rules r;
};

struct vs_policy_conf {
	struct vs_policy_rules global;
	uint32_t caller_rate;	   /* calls a minute per caller, untrusted */
	uint32_t max_dialogs;	   /* calls tracked for the limits */
	uint32_t call_timeout;	   /* seconds a tracked call may last */
	struct vs_policy_group groups[VS_POLICY_MAX_GROUPS];
	uint8_t ngroups;
	uint16_t naccounts;
	bool track; /* some account has a concurrent-call limit */
	struct vs_pattern patterns[VS_POLICY_MAX_PATTERNS];
	uint16_t npatterns;
	char pool[VS_POLICY_POOL];
	uint32_t pool_used;
	struct vs_policy_account accounts[VS_POLICY_MAX_ACCOUNTS]; /* by user */
};

struct vs_events_conf {
	char file[PATH_MAX]; /* "" = none; relative to state_dir */
	bool syslog;
	uint32_t rate; /* events per second per source */
};

struct vs_config {
	char path[PATH_MAX];

	/* server */
	char user[64];
	bool allow_root;
	char state_dir[PATH_MAX];
	unsigned workers; /* resolved: never 0 */
	char domains[VS_CONFIG_MAX_DOMAINS][256];
	size_t ndomains;
	char agent[128]; /* Server / User-Agent header value, "" for none */

	/* log */
	struct vs_log_conf log;

	/* listen */
	struct vs_listener listen[VS_CONFIG_MAX_LISTENERS];
	size_t nlisten;
	struct vs_sni sni[VS_CONFIG_MAX_SNI];
	size_t nsni;

	/* limits */
	struct sip_limits sip;

	/* tcp */
	uint32_t tcp_idle_timeout;	 /* seconds */
	uint32_t tcp_message_timeout;	 /* seconds to complete one message */
	uint32_t tcp_max_connections;
	uint32_t tcp_max_connections_per_source;
	uint32_t tcp_max_buffer;	 /* bytes buffered per connection */
	uint32_t tcp_keepalive;		 /* s between CRLF pings on connections
					    we opened; 0 = none */

	/* auth */
	char realm[129];	  /* resolved: never empty */
	uint32_t nonce_lifetime;  /* seconds */
	uint8_t algos[3];	  /* enum auth_algo, in offer order */
	uint8_t nalgos;
	uint32_t nonce_count_table; /* entries */

	/* registrar */
	uint32_t reg_min_expires;
	uint32_t reg_max_expires;
	uint32_t reg_default_expires;
	uint32_t reg_max_contacts;  /* per address of record */
	uint32_t reg_max_bindings;  /* in total */

	/* upstream */
	struct vs_route routes[VS_CONFIG_MAX_ROUTES];
	size_t nroutes;
	struct vs_cidr trusted[VS_CONFIG_MAX_TRUSTED];
	size_t ntrusted;
	uint32_t failover_timeout; /* ms without any answer before the next
				      address of a DNS route; 0: Timer B/F */

	/* transactions */
	uint32_t tsx_t1, tsx_t2, tsx_t4; /* ms */
	uint32_t tsx_max;		 /* open transactions in total */

	/* tls */
	uint16_t tls_min_version; /* TLS1_2_VERSION or TLS1_3_VERSION */
	char tls_ciphers[512];	  /* TLS 1.2 cipher list (OpenSSL syntax) */
	char tls_groups[256];	  /* key exchange groups */
	uint32_t tls_max_handshakes; /* inbound handshakes at once, in all */
	char tls_ca_file[PATH_MAX];	/* trust anchors for peers we connect
					   to; "" = the system's store */
	char tls_client_cert[PATH_MAX]; /* presented when a peer asks */
	char tls_client_key[PATH_MAX];

	/* zones (always at least one), shield, events */
	struct vs_zone zones[VS_CONFIG_MAX_ZONES];
	uint8_t nzones;
	struct vs_shield_conf shield;
	struct vs_events_conf events;
	struct vs_policy_conf policy;

	/* media: the relay (docs/media.md) */
	bool media_enabled;
	uint32_t media_port_min, media_port_max;
	uint32_t media_max_sessions;
	uint32_t media_timeout; /* s without media before a session goes */
	uint32_t media_batch_us; /* the media thread's wait between reads */
	bool media_ice_keep;	 /* pass ICE attributes through */
	uint32_t media_threads;	 /* media threads */
	uint8_t media_latch; /* enum pin_latch */
	uint8_t media_srtp; /* enum vs_srtp_policy of zones without one */
	bool media_sdes_over_plain; /* SDES keys over UDP/TCP signaling */
};

/* Parse "192.0.2.0/24", "2001:db8::/32" or a bare address.  0 or EINVAL. */
int vs_cidr_parse(const char *text, struct vs_cidr *out);
/* Is the address (4 or 16 bytes) inside the block?  IPv4-mapped IPv6
 * addresses match IPv4 blocks. */
bool vs_cidr_match(const struct vs_cidr *c, const uint8_t *ip, size_t len);

/* Is the address one of upstream.trusted, or an upstream route's? */
struct vs_sockaddr;
bool vs_config_trusted(const struct vs_config *cfg,
		       const struct vs_sockaddr *sa);

/* Built-in defaults (what an empty file gives). */
void vs_config_defaults(struct vs_config *cfg);

/*
 * Load and validate a file.  Returns 0, or -1 with a message of the form
 * "FILE:LINE: what is wrong" in err.
 */
int vs_config_load(const char *path, struct vs_config *cfg, char *err,
		   size_t errlen);

/* True when two configurations differ in what needs a restart. */
bool vs_config_needs_restart(const struct vs_config *a,
			     const struct vs_config *b);

#endif
