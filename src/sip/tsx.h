/*
 * tsx.h - server and client transactions (RFC 3261 17): the state
 * machines of tsx_fsm.h bound to a key in the shared table, a timer on
 * the owning worker's wheel, the flow messages go to, and the message to
 * repeat: the last response of a server transaction (a retransmitted
 * request gets it again without reaching the transaction user), the
 * request of a client transaction (retransmitted over UDP).
 *
 * A transaction belongs to the worker that created it: its timer runs
 * there and only that worker changes it.  UDP retransmissions come back
 * to the same worker (SO_REUSEPORT hashes the address pair) and TCP ones
 * on the same connection; a match found by another worker is counted and
 * dropped (the sender retransmits).
 */
#ifndef VS_SIP_TSX_H
#define VS_SIP_TSX_H

#include "core/config.h"
#include "core/stats.h"
#include "core/timer.h"
#include "sip/msg.h"
#include "sip/tsx_fsm.h"
#include "sip/tsx_key.h"
#include "sip/tsx_table.h"
#include "transport/flow.h"

/* What a worker lends its transactions. */
struct sip_tsx_env {
	struct tsx_table *table;
	struct timer_wheel *wheel;
	const uint64_t *now_ms;
	struct tsx_timers timers;
	uint16_t owner; /* worker id */
	struct vs_stats *stats;
	/* Send on a flow; returns 0 or an errno. */
	int (*send)(void *ctx, const struct vs_flow *flow, const char *buf,
		    size_t len);
	void *send_ctx;
};

struct sip_tsx;

/* The transaction user of a client transaction (the proxy). */
struct sip_tsx_tu {
	/* A response to pass up (provisional, final, 2xx retransmissions). */
	void (*response)(void *ctx, struct sip_tsx *t,
			 const struct sip_msg *resp);
	/* No final response in time (timer B or F), or the transport
	 * failed: act as if 408 had arrived. */
	void (*timeout)(void *ctx, struct sip_tsx *t);
	/* The transaction left the table; ctx is no longer used by it.
	 * Called on the owning worker. */
	void (*terminated)(void *ctx, struct sip_tsx *t);
};

struct sip_tsx {
	struct tsx_link link; /* first: the table's handle */
	struct tsx_fsm fsm;
	struct sip_tsx_env *env;
	struct timer timer;
	struct vs_flow flow;  /* where responses go */
	uint64_t tu_deadline; /* no final response by then: give up */
	char *resp;	      /* server: last response; client: the request */
	uint32_t resp_len;
	char *ack;	      /* client INVITE: the ACK for a non-2xx final */
	uint32_t ack_len;
	uint16_t owner;
	uint8_t method;	      /* enum sip_method of the request */
	bool client;
	const struct sip_tsx_tu *tu;
	void *tu_ctx;
	void *user;	      /* free for the TU (the proxy's branch) */
};

enum sip_tsx_verdict {
	SIP_TSX_NEW,	  /* a new transaction: the TU must answer it */
	SIP_TSX_ABSORBED, /* a retransmission (or ACK) the layer handled */
	SIP_TSX_STRAY_ACK, /* an ACK matching nothing (for a 2xx: the TU's) */
	SIP_TSX_FULL,	  /* the table is full: answer 503 statelessly */
	SIP_TSX_OTHER_WORKER, /* matched a transaction of another worker */
	SIP_TSX_UNKEYABLE, /* no key could be built (too long): 400 */
};

/*
 * A request arrived on flow.  For SIP_TSX_NEW, *out is the transaction
 * with a reference for the caller, to be answered with sip_tsx_respond()
 * (now or later, from the owning worker) and released with sip_tsx_put().
 */
enum sip_tsx_verdict sip_tsx_server_receive(struct sip_tsx_env *env,
					    const struct sip_msg *req,
					    const struct vs_flow *flow,
					    struct sip_tsx **out);

/*
 * The TU answers with a complete response (status and bytes).  The bytes
 * are kept for retransmissions.  When caller_sends is true the caller
 * sends this first copy itself (in its batch); otherwise it goes out now.
 * Returns 0, or ENOMEM (nothing kept; the request will be retransmitted).
 */
int sip_tsx_respond(struct sip_tsx *t, uint16_t status, const char *buf,
		    size_t len, bool caller_sends);

/* The TU has handed the request on and its own timers guarantee a final
 * response (the proxy's client transactions): do not give up on it. */
void sip_tsx_tu_committed(struct sip_tsx *t);

/* Another reference (to keep t across an asynchronous step). */
static inline void sip_tsx_link_get(struct sip_tsx *t)
{
	tsx_link_get(&t->link);
}
void sip_tsx_put(struct sip_tsx *t);

/* At shutdown, when no worker runs any more: end every transaction so
 * that their users release what they hold. */
void sip_tsx_shutdown(struct tsx_table *table);

/*
 * Server INVITE transactions: the one a CANCEL names (RFC 3261 9.2: same
 * branch, sent-by, INVITE), referenced, or NULL.
 */
struct sip_tsx *sip_tsx_find_invite(struct sip_tsx_env *env,
				    const struct sip_msg *cancel);

/*
 * Start a client transaction: send req (len bytes, a complete request
 * with our Via and branch on top) to flow and keep it for
 * retransmissions.  Returns the transaction, referenced for the caller,
 * or NULL (*err: ENOSPC when the table is full, EINVAL, ENOMEM, or the
 * send error).
 */
struct sip_tsx *sip_tsx_client_start(struct sip_tsx_env *env, const char *req,
				     size_t len, const struct vs_flow *flow,
				     const struct sip_tsx_tu *tu, void *ctx,
				     int *err);

/*
 * The client transaction a response belongs to, referenced, or NULL.  It
 * may belong to another worker (t->owner): hand the response there.
 */
struct sip_tsx *sip_tsx_client_find(struct sip_tsx_env *env,
				    const struct sip_msg *resp);

/* End client transaction t now, without a timeout for its TU (which
 * gets terminated()): it stops retransmitting, and later responses to it
 * match nothing. */
void sip_tsx_client_abandon(struct sip_tsx *t);

/* On the owning worker: a response for t arrived. */
void sip_tsx_client_response(struct sip_tsx *t, const struct sip_msg *resp);

/* Ask a client INVITE transaction to stop waiting: used after CANCEL, the
 * final response (487) still arrives through it. */
static inline bool sip_tsx_client_proceeding(const struct sip_tsx *t)
{
	return t->fsm.state == TSX_PROCEEDING;
}

#endif
