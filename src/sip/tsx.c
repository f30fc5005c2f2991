/*
 * tsx.c - server transactions (see tsx.h).
 */
#include "sip/tsx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void tsx_destroy(struct tsx_link *link)
{
	struct sip_tsx *t = (struct sip_tsx *)link;

	free(t->resp);
	free(t);
}

/* Arm the timer for the earliest of the machine's deadline and the TU's. */
static void rearm(struct sip_tsx *t)
{
	struct sip_tsx_env *env = t->env;
	uint64_t now = *env->now_ms;
	uint64_t at = tsx_fsm_deadline(&t->fsm);

	if (t->tu_deadline && (!at || t->tu_deadline < at))
		at = t->tu_deadline;
	if (!at) {
		timer_stop(env->wheel, &t->timer);
		return;
	}
	timer_start(env->wheel, &t->timer, now, at > now ? at - now : 0,
		    t->timer.handler, t);
}

static void terminate(struct sip_tsx *t)
{
	timer_stop(t->env->wheel, &t->timer);
	t->tu_deadline = 0;
	/* The table's reference goes; others may still hold theirs. */
	tsx_table_remove(t->env->table, &t->link);
}

static void send_last(struct sip_tsx *t)
{
	if (!t->resp)
		return;
	if (t->env->send(t->env->send_ctx, &t->flow, t->resp, t->resp_len)) {
		/* RFC 3261 17.2.4: a transport failure ends the transaction. */
		if (tsx_fsm_transport_error(&t->fsm) & TSX_ACT_TERMINATED)
			terminate(t);
	}
}

/* Carry out what the state machine asked for. */
static void act(struct sip_tsx *t, unsigned a)
{
	if (a & TSX_ACT_SEND)
		send_last(t);
	if ((a & TSX_ACT_TERMINATED) || t->fsm.state == TSX_TERMINATED)
		terminate(t);
	else
		rearm(t);
}

static void on_timer(struct timer *tm, void *arg)
{
	struct sip_tsx *t = arg;
	uint64_t now = *t->env->now_ms;
	unsigned a;

	(void)tm;
	if (t->tu_deadline && now >= t->tu_deadline &&
	    (t->fsm.state == TSX_TRYING || t->fsm.state == TSX_PROCEEDING)) {
		/* The TU never answered (its store or peer stalled): give up
		 * rather than hold the slot; the client times out. */
		vs_stat_inc(t->env->stats, VS_STAT_TSX_UNANSWERED);
		terminate(t);
		return;
	}
	a = tsx_fsm_timer(&t->fsm, now);
	if (a & TSX_ACT_SEND)
		vs_stat_inc(t->env->stats, VS_STAT_TSX_RESENT);
	act(t, a);
}

enum sip_tsx_verdict sip_tsx_server_receive(struct sip_tsx_env *env,
					    const struct sip_msg *req,
					    const struct vs_flow *flow,
					    struct sip_tsx **out)
{
	struct sip_tsx_key key;
	struct tsx_link *found;
	struct sip_tsx *t;
	uint64_t now = *env->now_ms;
	int err;

	*out = NULL;
	if (sip_tsx_key_server(req, &key))
		return SIP_TSX_UNKEYABLE;
	found = tsx_table_find(env->table, key.buf, key.len);
	if (found) {
		t = (struct sip_tsx *)found;
		if (t->owner != env->owner) {
			tsx_link_put(found);
			vs_stat_inc(env->stats, VS_STAT_TSX_FOREIGN);
			return SIP_TSX_OTHER_WORKER;
		}
		vs_stat_inc(env->stats, VS_STAT_TSX_ABSORBED);
		if (req->method == SIP_METHOD_ACK) {
			if (t->fsm.kind == TSX_SERVER_INVITE)
				act(t, tsx_fsm_server_ack(&t->fsm, now));
		} else {
			act(t, tsx_fsm_server_retransmit(&t->fsm, now));
		}
		tsx_link_put(found);
		return SIP_TSX_ABSORBED;
	}
	if (req->method == SIP_METHOD_ACK)
		return SIP_TSX_STRAY_ACK;

	t = calloc(1, sizeof(*t));
	if (!t)
		return SIP_TSX_FULL;
	if (tsx_link_init(&t->link, key.buf, key.len, tsx_destroy)) {
		free(t);
		return SIP_TSX_FULL;
	}
	t->env = env;
	t->owner = env->owner;
	t->flow = *flow;
	t->method = (uint8_t)req->method;
	timer_init(&t->timer);
	t->timer.handler = on_timer;
	tsx_fsm_start(&t->fsm,
		      req->method == SIP_METHOD_INVITE ? TSX_SERVER_INVITE
						       : TSX_SERVER_NON_INVITE,
		      flow->tp != VS_TP_UDP, &env->timers, now);
	if (t->fsm.kind == TSX_SERVER_NON_INVITE)
		t->tu_deadline = now + 64 * (uint64_t)env->timers.t1;
	err = tsx_table_insert(env->table, &t->link, &found);
	if (err == EEXIST) {
		/* Another worker created it a moment ago. */
		tsx_link_put(found);
		tsx_link_put(&t->link);
		vs_stat_inc(env->stats, VS_STAT_TSX_FOREIGN);
		return SIP_TSX_OTHER_WORKER;
	}
	if (err) {
		tsx_link_put(&t->link);
		vs_stat_inc(env->stats, VS_STAT_TSX_FULL);
		return SIP_TSX_FULL;
	}
	vs_stat_inc(env->stats, VS_STAT_TSX_CREATED);
	rearm(t);
	*out = t;
	return SIP_TSX_NEW;
}

int sip_tsx_respond(struct sip_tsx *t, uint16_t status, const char *buf,
		    size_t len, bool caller_sends)
{
	char *copy;
	unsigned a;

	if (t->fsm.state == TSX_TERMINATED || !t->link.in_table)
		return 0; /* too late: nobody waits for it */
	copy = malloc(len);
	if (!copy)
		return ENOMEM;
	memcpy(copy, buf, len);
	free(t->resp);
	t->resp = copy;
	t->resp_len = (uint32_t)len;
	if (status >= 200)
		t->tu_deadline = 0;
	a = tsx_fsm_server_respond(&t->fsm, status, *t->env->now_ms);
	if (caller_sends)
		a &= ~(unsigned)TSX_ACT_SEND;
	act(t, a);
	return 0;
}

void sip_tsx_put(struct sip_tsx *t)
{
	if (t)
		tsx_link_put(&t->link);
}
