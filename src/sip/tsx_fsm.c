/*
 * tsx_fsm.c - the transaction state machines (RFC 3261 17, RFC 6026).
 *
 * Timer names follow RFC 3261 table 4 and RFC 6026:
 *   client INVITE     A retransmit (T1, doubling), B timeout (64*T1),
 *                     D wait for response retransmissions (32 s / 0),
 *                     M wait for 2xx retransmissions (64*T1)
 *   client non-INVITE E retransmit (T1, doubling to T2), F timeout (64*T1),
 *                     K wait for response retransmissions (T4 / 0)
 *   server INVITE     G response retransmit (T1, doubling to T2), H wait
 *                     for ACK (64*T1), I wait for ACK retransmissions
 *                     (T4 / 0), L wait for INVITE retransmissions (64*T1)
 *   server non-INVITE J wait for request retransmissions (64*T1 / 0)
 * Over reliable transports nothing is retransmitted and the waits whose
 * value is "0" end the transaction at once.
 */
#include "sip/tsx_fsm.h"

#include <stddef.h>

void tsx_timers_default(struct tsx_timers *t)
{
	t->t1 = 500;
	t->t2 = 4000;
	t->t4 = 5000;
}

static const char *const state_names[] = {
	[TSX_CALLING] = "calling",	 [TSX_TRYING] = "trying",
	[TSX_PROCEEDING] = "proceeding", [TSX_COMPLETED] = "completed",
	[TSX_CONFIRMED] = "confirmed",	 [TSX_ACCEPTED] = "accepted",
	[TSX_TERMINATED] = "terminated",
};

const char *tsx_state_name(enum tsx_state s)
{
	return (unsigned)s <= TSX_TERMINATED ? state_names[s] : "?";
}

static unsigned terminate(struct tsx_fsm *f)
{
	f->state = TSX_TERMINATED;
	f->retrans_at = 0;
	f->timeout_at = 0;
	return TSX_ACT_TERMINATED;
}

/* Enter a waiting state for wait ms; 0 (reliable) ends the transaction. */
static unsigned wait_then_end(struct tsx_fsm *f, enum tsx_state s,
			      uint32_t wait, uint64_t now)
{
	f->retrans_at = 0;
	if (wait == 0)
		return terminate(f);
	f->state = (uint8_t)s;
	f->timeout_at = now + wait;
	return 0;
}

static void start_retransmit(struct tsx_fsm *f, uint64_t now)
{
	if (f->reliable) {
		f->retrans_at = 0;
		return;
	}
	f->interval = f->t.t1;
	f->retrans_at = now + f->interval;
}

unsigned tsx_fsm_start(struct tsx_fsm *f, enum tsx_kind kind, bool reliable,
		       const struct tsx_timers *t, uint64_t now)
{
	f->kind = (uint8_t)kind;
	f->reliable = reliable;
	f->t = *t;
	f->last_status = 0;
	f->interval = 0;
	f->retrans_at = 0;
	f->timeout_at = 0;
	switch (kind) {
	case TSX_CLIENT_INVITE:
		/* 17.1.1.2: Calling, timers A and B. */
		f->state = TSX_CALLING;
		start_retransmit(f, now);
		f->timeout_at = now + 64ull * t->t1;
		break;
	case TSX_CLIENT_NON_INVITE:
		/* 17.1.2.2: Trying, timers E and F. */
		f->state = TSX_TRYING;
		start_retransmit(f, now);
		f->timeout_at = now + 64ull * t->t1;
		break;
	case TSX_SERVER_INVITE:
		/* 17.2.1: Proceeding; the TU is told at once. */
		f->state = TSX_PROCEEDING;
		break;
	case TSX_SERVER_NON_INVITE:
		/* 17.2.2: Trying. */
		f->state = TSX_TRYING;
		break;
	}
	return 0;
}

static unsigned client_invite_response(struct tsx_fsm *f, uint16_t status,
				       uint64_t now)
{
	switch (f->state) {
	case TSX_CALLING:
	case TSX_PROCEEDING:
		if (status < 200) {
			/* No more retransmissions, and Timer B no longer
			 * applies: the TU decides how long to wait (CANCEL). */
			f->state = TSX_PROCEEDING;
			f->retrans_at = 0;
			f->timeout_at = 0;
			return TSX_ACT_PASS_UP;
		}
		if (status < 300) {
			/* RFC 6026 7.2: Accepted, Timer M. */
			f->state = TSX_ACCEPTED;
			f->retrans_at = 0;
			f->timeout_at = now + 64ull * f->t.t1;
			return TSX_ACT_PASS_UP;
		}
		/* 17.1.1.2: ACK, pass up, Completed with Timer D. */
		return TSX_ACT_SEND_ACK | TSX_ACT_PASS_UP |
		       wait_then_end(f, TSX_COMPLETED,
				     f->reliable ? 0 : 32000, now);
	case TSX_COMPLETED:
		/* A retransmitted final response: ACK again, absorb. */
		return status >= 300 ? TSX_ACT_SEND_ACK : 0;
	case TSX_ACCEPTED:
		/* 2xx retransmissions go up (the proxy forwards them). */
		return status >= 200 && status < 300 ? TSX_ACT_PASS_UP : 0;
	default:
		return 0;
	}
}

static unsigned client_non_invite_response(struct tsx_fsm *f, uint16_t status,
					   uint64_t now)
{
	switch (f->state) {
	case TSX_TRYING:
	case TSX_PROCEEDING:
		if (status < 200) {
			f->state = TSX_PROCEEDING;
			return TSX_ACT_PASS_UP;
		}
		/* 17.1.2.2: Completed with Timer K. */
		return TSX_ACT_PASS_UP |
		       wait_then_end(f, TSX_COMPLETED,
				     f->reliable ? 0 : f->t.t4, now);
	default:
		/* Completed: response retransmissions are absorbed. */
		return 0;
	}
}

unsigned tsx_fsm_client_response(struct tsx_fsm *f, uint16_t status,
				 uint64_t now)
{
	if (f->kind == TSX_CLIENT_INVITE)
		return client_invite_response(f, status, now);
	if (f->kind == TSX_CLIENT_NON_INVITE)
		return client_non_invite_response(f, status, now);
	return 0;
}

unsigned tsx_fsm_server_retransmit(struct tsx_fsm *f, uint64_t now)
{
	(void)now;
	switch (f->state) {
	case TSX_PROCEEDING:
		/* 17.2.1, 17.2.2: resend the last provisional response. */
		return f->last_status ? TSX_ACT_SEND : 0;
	case TSX_COMPLETED:
		/* Resend the final response. */
		return TSX_ACT_SEND;
	default:
		/* Trying (no response yet), Confirmed, Accepted (RFC 6026
		 * 7.1: not passed up): absorbed. */
		return 0;
	}
}

unsigned tsx_fsm_server_ack(struct tsx_fsm *f, uint64_t now)
{
	if (f->kind != TSX_SERVER_INVITE)
		return 0;
	if (f->state == TSX_COMPLETED)
		/* 17.2.1: Confirmed, Timer I absorbs ACK retransmissions. */
		return wait_then_end(f, TSX_CONFIRMED,
				     f->reliable ? 0 : f->t.t4, now);
	/* RFC 6026 7.1: an ACK in Accepted belongs to the TU. */
	if (f->state == TSX_ACCEPTED)
		return TSX_ACT_PASS_UP;
	return 0;
}

unsigned tsx_fsm_server_respond(struct tsx_fsm *f, uint16_t status,
				uint64_t now)
{
	unsigned act;

	switch (f->state) {
	case TSX_TRYING:
	case TSX_PROCEEDING:
		break;
	case TSX_ACCEPTED:
		/* RFC 6026 7.1: further 2xx from the TU are sent. */
		return status >= 200 && status < 300 ? TSX_ACT_SEND : 0;
	default:
		/* The transaction already has its final answer. */
		return 0;
	}
	f->last_status = status;
	act = TSX_ACT_SEND;
	if (status < 200) {
		f->state = TSX_PROCEEDING;
		return act;
	}
	if (f->kind == TSX_SERVER_INVITE) {
		if (status < 300) {
			/* RFC 6026 7.1: Accepted with Timer L. */
			f->state = TSX_ACCEPTED;
			f->timeout_at = now + 64ull * f->t.t1;
			return act;
		}
		/* 17.2.1: Completed, Timers G and H. */
		f->state = TSX_COMPLETED;
		start_retransmit(f, now);
		f->timeout_at = now + 64ull * f->t.t1;
		return act;
	}
	/* 17.2.2: Completed with Timer J. */
	return act | wait_then_end(f, TSX_COMPLETED,
				   f->reliable ? 0 : 64 * f->t.t1, now);
}

static unsigned fire_retransmit(struct tsx_fsm *f, uint64_t now)
{
	uint32_t next = f->interval * 2;

	/* Timer A doubles without a cap (17.1.1.2); E and G stop at T2. */
	if (f->kind != TSX_CLIENT_INVITE && next > f->t.t2)
		next = f->t.t2;
	/* 17.1.2.2: in Proceeding, E fires every T2. */
	if (f->kind == TSX_CLIENT_NON_INVITE && f->state == TSX_PROCEEDING)
		next = f->t.t2;
	f->interval = next;
	f->retrans_at = now + next;
	return TSX_ACT_SEND;
}

static unsigned fire_timeout(struct tsx_fsm *f)
{
	switch (f->state) {
	case TSX_CALLING: /* B */
	case TSX_TRYING:  /* F */
		return TSX_ACT_TIMEOUT | terminate(f);
	case TSX_PROCEEDING:
		/* F still runs for a non-INVITE client in Proceeding. */
		return TSX_ACT_TIMEOUT | terminate(f);
	case TSX_COMPLETED:
		/* H for a server INVITE (no ACK came); D, K, J otherwise. */
		if (f->kind == TSX_SERVER_INVITE)
			return TSX_ACT_TIMEOUT | terminate(f);
		return terminate(f);
	default: /* Confirmed (I), Accepted (L, M) */
		return terminate(f);
	}
}

unsigned tsx_fsm_timer(struct tsx_fsm *f, uint64_t now)
{
	unsigned act = 0;

	if (f->state == TSX_TERMINATED)
		return 0;
	/* The timeout first: when both are due, the transaction is over. */
	if (f->timeout_at && now >= f->timeout_at)
		return fire_timeout(f);
	if (f->retrans_at && now >= f->retrans_at)
		act |= fire_retransmit(f, now);
	return act;
}

uint64_t tsx_fsm_deadline(const struct tsx_fsm *f)
{
	if (f->retrans_at && (!f->timeout_at || f->retrans_at < f->timeout_at))
		return f->retrans_at;
	return f->timeout_at;
}

unsigned tsx_fsm_transport_error(struct tsx_fsm *f)
{
	if (f->state == TSX_TERMINATED)
		return 0;
	/* 17.1.4: the client TU is told (as a timeout would); 17.2.4: the
	 * server transaction ends. */
	return TSX_ACT_TIMEOUT | terminate(f);
}
