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
#define VS_CONFIG_MAX_TRUSTED 64

enum vs_transport {
	VS_TP_UDP = 1 << 0,
	VS_TP_TCP = 1 << 1,
};

struct vs_listener {
	char address[64];
	uint16_t port;
	unsigned transports; /* VS_TP_* bits */
	struct sockaddr_storage sa;
	socklen_t salen;
	int line; /* in the config file, for messages */
};

/* An upstream route (a PBX or trunk): where requests for numbers with a
 * prefix, or for a domain, or (neither set) for anything else, go. */
struct vs_route {
	char prefix[32];  /* on the Request-URI user part; "" = any */
	char domain[256]; /* Request-URI host; "" = any */
	char address[64];
	uint16_t port;
	unsigned transport; /* one VS_TP_* bit */
	struct sockaddr_storage sa;
	socklen_t salen;
	int line;
};

/* An address block: IPv4 or IPv6 with a prefix length. */
struct vs_cidr {
	uint8_t addr[16];
	uint8_t bits;
	bool v6;
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

	/* limits */
	struct sip_limits sip;

	/* tcp */
	uint32_t tcp_idle_timeout;	 /* seconds */
	uint32_t tcp_message_timeout;	 /* seconds to complete one message */
	uint32_t tcp_max_connections;
	uint32_t tcp_max_connections_per_source;
	uint32_t tcp_max_buffer;	 /* bytes buffered per connection */

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

	/* transactions */
	uint32_t tsx_t1, tsx_t2, tsx_t4; /* ms */
	uint32_t tsx_max;		 /* open transactions in total */
};

/* Parse "192.0.2.0/24", "2001:db8::/32" or a bare address.  0 or EINVAL. */
int vs_cidr_parse(const char *text, struct vs_cidr *out);
/* Is the address (4 or 16 bytes) inside the block?  IPv4-mapped IPv6
 * addresses match IPv4 blocks. */
bool vs_cidr_match(const struct vs_cidr *c, const uint8_t *ip, size_t len);

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
