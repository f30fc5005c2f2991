/*
 * tsx_fsm.h - the four transaction state machines of RFC 3261 17, with the
 * RFC 6026 "Accepted" states for INVITE.
 *
 * The machines are pure: they keep their state and deadlines, take events
 * (a message arrived, the transaction user answered, the clock moved) with
 * the current time, and return what to do as a set of actions.  The owner
 * keeps the messages, sends what it is told to send and arms one timer for
 * tsx_fsm_deadline().  This keeps the protocol rules testable with a fake
 * clock and apart from sockets and threads.
 */
#ifndef VS_SIP_TSX_FSM_H
#define VS_SIP_TSX_FSM_H

#include <stdbool.h>
#include <stdint.h>

enum tsx_kind {
	TSX_CLIENT_INVITE,
	TSX_CLIENT_NON_INVITE,
	TSX_SERVER_INVITE,
	TSX_SERVER_NON_INVITE,
};

enum tsx_state {
	TSX_CALLING,	/* client INVITE: request sent, nothing back yet */
	TSX_TRYING,	/* non-INVITE: request sent / received */
	TSX_PROCEEDING, /* a provisional response went by */
	TSX_COMPLETED,	/* a final non-2xx (INVITE) or final (non-INVITE) */
	TSX_CONFIRMED,	/* server INVITE: the ACK arrived */
	TSX_ACCEPTED,	/* INVITE with a 2xx (RFC 6026) */
	TSX_TERMINATED,
};

/* Timer base values in milliseconds (RFC 3261 17.1.1.1, table 4). */
struct tsx_timers {
	uint32_t t1; /* RTT estimate, default 500 */
	uint32_t t2; /* retransmit interval cap, default 4000 */
	uint32_t t4; /* maximum time a message stays in the network, 5000 */
};

void tsx_timers_default(struct tsx_timers *t);

/* What the owner must do after an event; several may be set at once. */
enum {
	TSX_ACT_SEND = 1 << 0,	     /* (re)send: the request (client) or the
				      * last response (server) */
	TSX_ACT_SEND_ACK = 1 << 1,   /* client INVITE: ACK the non-2xx final */
	TSX_ACT_PASS_UP = 1 << 2,    /* hand the message to the TU */
	TSX_ACT_TIMEOUT = 1 << 3,    /* tell the TU: no answer (408) / no ACK */
	TSX_ACT_TERMINATED = 1 << 4, /* the transaction is over: free it */
};

struct tsx_fsm {
	uint8_t kind;	     /* enum tsx_kind */
	uint8_t state;	     /* enum tsx_state */
	bool reliable;	     /* TCP/TLS: no retransmissions, no waits */
	uint16_t last_status; /* server: last response handed down */
	uint32_t interval;   /* current retransmit interval (A, E, G) */
	uint64_t retrans_at; /* next retransmission, 0 = none */
	uint64_t timeout_at; /* B, D, F, H, I, J, K, L or M; 0 = none */
	struct tsx_timers t;
};

/*
 * Client: start with the request just sent.  Server: start with the
 * request just received (the TU answers next).
 */
unsigned tsx_fsm_start(struct tsx_fsm *f, enum tsx_kind kind, bool reliable,
		       const struct tsx_timers *t, uint64_t now);

/* Client: a response with this status arrived. */
unsigned tsx_fsm_client_response(struct tsx_fsm *f, uint16_t status,
				 uint64_t now);

/* Server: the request arrived again (a retransmission). */
unsigned tsx_fsm_server_retransmit(struct tsx_fsm *f, uint64_t now);
/* Server INVITE: an ACK matching this transaction (for a non-2xx). */
unsigned tsx_fsm_server_ack(struct tsx_fsm *f, uint64_t now);
/* Server: the TU sends a response with this status. */
unsigned tsx_fsm_server_respond(struct tsx_fsm *f, uint16_t status,
				uint64_t now);

/* The clock reached now: fire what is due. */
unsigned tsx_fsm_timer(struct tsx_fsm *f, uint64_t now);
/* Earliest deadline (ms), or 0 when nothing is pending. */
uint64_t tsx_fsm_deadline(const struct tsx_fsm *f);

/* A transport error on send (RFC 3261 17.1.4, 17.2.4). */
unsigned tsx_fsm_transport_error(struct tsx_fsm *f);

const char *tsx_state_name(enum tsx_state s);

#endif
