/*
 * tsx.h - server transactions (RFC 3261 17.2): the state machines of
 * tsx_fsm.h bound to a key in the shared table, a timer on the owning
 * worker's wheel, the flow responses go to, and the last response, which
 * a retransmitted request gets again without reaching the transaction
 * user.
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

struct sip_tsx {
	struct tsx_link link; /* first: the table's handle */
	struct tsx_fsm fsm;
	struct sip_tsx_env *env;
	struct timer timer;
	struct vs_flow flow;  /* where responses go */
	uint64_t tu_deadline; /* no final response by then: give up */
	char *resp;	      /* last response, for retransmissions */
	uint32_t resp_len;
	uint16_t owner;
	uint8_t method;	      /* enum sip_method of the request */
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

/* Another reference (to keep t across an asynchronous step). */
static inline void sip_tsx_link_get(struct sip_tsx *t)
{
	tsx_link_get(&t->link);
}
void sip_tsx_put(struct sip_tsx *t);

#endif
