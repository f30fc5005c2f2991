/*
 * server.h - what the server does with each SIP message: answer OPTIONS
 * addressed to it, run the registrar (REGISTER with digest
 * authentication, through a server transaction), refuse what it does not
 * serve, answer malformed requests with 400 when they parsed far enough,
 * and count every drop by reason.
 */
#ifndef VS_PROXY_SERVER_H
#define VS_PROXY_SERVER_H

#include "auth/nonce.h"
#include "core/config.h"
#include "core/job.h"
#include "core/mbuf.h"
#include "core/stats.h"
#include "registrar/location.h"
#include "registrar/reg_store.h"
#include "sip/local.h"
#include "sip/msg.h"
#include "sip/print.h"
#include "sip/tsx.h"
#include "transport/alias.h"
#include "transport/flow.h"
#include "shield/srctab.h"

struct vs_store;
struct shield;
struct policy;

/* State shared by every worker (owned by the daemon). */
struct media_relay;
struct media_calls;

struct sip_services {
	struct loc_table *loc;
	struct reg_writer *writer;
	const uint8_t *secret; /* AUTH_SECRET_LEN bytes */
	struct auth_nc_table *nc;
	struct tcp_alias_table *aliases;
	struct shield *shield; /* NULL: no shield (benchmarks, fuzzers) */
	struct policy *policy; /* SPIT and toll-fraud policy, or NULL */
	struct media_relay *media;  /* media.enabled: the relay, else NULL */
	struct media_calls *calls;  /* relay sessions by Call-ID */
	uint64_t started;      /* Unix time the services started */
};

struct sip_server {
	const struct vs_config *cfg;
	const struct sip_local *local;
	struct vs_stats *stats;
	struct sip_msg msg; /* scratch message, reused for every input */

	/* Stateful services; without them (tsx == NULL) the server only
	 * answers statelessly (benchmarks, fuzzers). */
	struct sip_tsx_env *tsx;
	const struct sip_services *svc;
	struct vs_store *users; /* this worker's handle, for HA1 lookups */
	/* Run a job on this server's worker (from any thread). */
	void (*post)(void *ctx, struct vs_job *job);
	void *post_ctx;
	/* The server of another worker (to hand it a message). */
	struct sip_server *(*server_of)(void *ctx, unsigned worker);
	unsigned worker; /* this server's worker id */
	/* Does the TLS client certificate of the connection flow came on
	 * name name (tls_conn_peer_is)?  NULL: no TLS here. */
	bool (*flow_cert_is)(void *ctx, const struct vs_flow *flow,
			     const char *name);
	/* The transport policy of the account whose HA1 was looked up last
	 * (by srv_authenticate, for the user it authenticates). */
	bool acct_known;
	uint32_t acct_flags;
	char acct_cert[256];
	const char *refusal; /* why AUTH_RES_FORBIDDEN, for the 403 */
	/* A new call the policy counts, on its way to forward(). */
	bool dlg_pending;
	struct srctab_key dlg_key;
};

struct sip_input {
	const char *buf;
	size_t len;
	const struct vs_flow *flow;
	bool shed; /* over its rate budget: answer a request with 503 */
};

/*
 * Handle one message.  Returns true when a reply was written into out,
 * to be sent back on the same flow at once.  Replies that wait for the
 * store leave later through the transaction.
 */
bool sip_server_input(struct sip_server *srv, const struct sip_input *in,
		      struct mbuf *out);

#endif
