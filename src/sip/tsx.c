/*
 * tsx.c - server transactions (see tsx.h).
 */
#include "sip/tsx.h"

#include "sip/print.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void tsx_destroy(struct tsx_link *link)
{
	struct sip_tsx *t = (struct sip_tsx *)link;

	free(t->resp);
	free(t->ack);
	free(t);
}

/* Scratch message for parsing our own stored requests. */
static __thread struct sip_msg scratch;
static const struct sip_limits own_limits = {
	.max_message_size = SIP_MAX_MESSAGE_CEILING,
	.max_headers = SIP_MAX_HEADERS_CEILING,
	.max_header_length = 65535,
	.max_via = 256,
	.max_uri_length = 65535,
};

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
	bool was_in = t->link.in_table;

	timer_stop(t->env->wheel, &t->timer);
	t->tu_deadline = 0;
	t->fsm.state = TSX_TERMINATED;
	if (!was_in)
		return;
	/* The TU learns first, while the table still holds t. */
	if (t->tu && t->tu->terminated) {
		const struct sip_tsx_tu *tu = t->tu;
		t->tu = NULL;
		tu->terminated(t->tu_ctx, t);
	}
	/* The table's reference goes; others may still hold theirs. */
	tsx_table_remove(t->env->table, &t->link);
}

static void client_timeout(struct sip_tsx *t);

static void send_last(struct sip_tsx *t)
{
	unsigned a;

	if (!t->resp)
		return;
	if (t->env->send(t->env->send_ctx, &t->flow, t->resp, t->resp_len)) {
		/* RFC 3261 17.1.4, 17.2.4: a transport failure ends the
		 * transaction; a client's TU hears it as a timeout. */
		a = tsx_fsm_transport_error(&t->fsm);
		if ((a & TSX_ACT_TIMEOUT) && t->client)
			client_timeout(t);
		if (a & TSX_ACT_TERMINATED)
			terminate(t);
	}
}

static void client_timeout(struct sip_tsx *t)
{
	if (t->tu && t->tu->timeout)
		t->tu->timeout(t->tu_ctx, t);
}

/* Carry out what the state machine asked for. */
static void act(struct sip_tsx *t, unsigned a)
{
	if (a & TSX_ACT_SEND)
		send_last(t);
	if ((a & TSX_ACT_SEND_ACK) && t->ack)
		(void)t->env->send(t->env->send_ctx, &t->flow, t->ack,
				   t->ack_len);
	if ((a & TSX_ACT_TIMEOUT) && t->client)
		client_timeout(t);
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
	if (t->fsm.state == TSX_ACCEPTED) {
		/* RFC 6026 7.1: in Accepted the transaction never resends a
		 * 2xx itself (retransmitted INVITEs are absorbed), so it
		 * need not keep one for the 32 s of Timer L. */
		free(t->resp);
		t->resp = NULL;
		t->resp_len = 0;
	}
	return 0;
}

void sip_tsx_put(struct sip_tsx *t)
{
	if (t)
		tsx_link_put(&t->link);
}

struct sip_tsx *sip_tsx_find_invite(struct sip_tsx_env *env,
				    const struct sip_msg *cancel)
{
	struct sip_tsx_key key;
	struct tsx_link *found;
	struct sip_msg *m = &scratch;

	/* The INVITE's key: the CANCEL's, with the method INVITE.  Build it
	 * from a copy of the parsed CANCEL with the method changed. */
	if (cancel->method != SIP_METHOD_CANCEL)
		return NULL;
	memcpy(m, cancel, offsetof(struct sip_msg, limits));
	m->method = SIP_METHOD_INVITE;
	m->method_name = pl_from_cstr("INVITE");
	m->cseq.method = pl_from_cstr("INVITE");
	m->cseq.method_id = SIP_METHOD_INVITE;
	if (sip_tsx_key_server(m, &key))
		return NULL;
	found = tsx_table_find(env->table, key.buf, key.len);
	if (!found)
		return NULL;
	if (((struct sip_tsx *)found)->client ||
	    ((struct sip_tsx *)found)->fsm.kind != TSX_SERVER_INVITE) {
		tsx_link_put(found);
		return NULL;
	}
	return (struct sip_tsx *)found;
}

struct sip_tsx *sip_tsx_client_start(struct sip_tsx_env *env, const char *req,
				     size_t len, const struct vs_flow *flow,
				     const struct sip_tsx_tu *tu, void *ctx,
				     int *err)
{
	struct sip_tsx_key key;
	struct tsx_link *found;
	struct sip_tsx *t;
	uint64_t now = *env->now_ms;
	unsigned a;

	if (sip_msg_parse(&scratch, req, len, &own_limits) ||
	    !scratch.is_request || sip_tsx_key_client(&scratch, &key)) {
		*err = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->resp = malloc(len))) {
		free(t);
		*err = ENOMEM;
		return NULL;
	}
	if (tsx_link_init(&t->link, key.buf, key.len, tsx_destroy)) {
		free(t->resp);
		free(t);
		*err = ENOMEM;
		return NULL;
	}
	memcpy(t->resp, req, len);
	t->resp_len = (uint32_t)len;
	t->env = env;
	t->owner = env->owner;
	t->flow = *flow;
	t->method = (uint8_t)scratch.method;
	t->client = true;
	t->tu = tu;
	t->tu_ctx = ctx;
	timer_init(&t->timer);
	t->timer.handler = on_timer;
	*err = tsx_table_insert(env->table, &t->link, &found);
	if (*err) {
		if (*err == EEXIST)
			tsx_link_put(found);
		t->tu = NULL;
		tsx_link_put(&t->link);
		return NULL;
	}
	vs_stat_inc(env->stats, VS_STAT_TSX_CREATED);
	a = tsx_fsm_start(&t->fsm,
			  t->method == SIP_METHOD_INVITE ? TSX_CLIENT_INVITE
							 : TSX_CLIENT_NON_INVITE,
			  flow->tp != VS_TP_UDP, &env->timers, now);
	/* The reference tsx_link_init gave is the caller's. */
	if (env->send(env->send_ctx, flow, req, len)) {
		/* Nothing left: the TU hears of it from the caller. */
		*err = EHOSTUNREACH;
		t->tu = NULL;
		terminate(t);
		tsx_link_put(&t->link);
		return NULL;
	}
	act(t, a & ~(unsigned)TSX_ACT_SEND);
	*err = 0;
	return t;
}

struct sip_tsx *sip_tsx_client_find(struct sip_tsx_env *env,
				    const struct sip_msg *resp)
{
	struct sip_tsx_key key;
	struct tsx_link *found;

	if (sip_tsx_key_client(resp, &key))
		return NULL;
	found = tsx_table_find(env->table, key.buf, key.len);
	if (found && !((struct sip_tsx *)found)->client) {
		tsx_link_put(found);
		return NULL;
	}
	return (struct sip_tsx *)found;
}

void sip_tsx_client_response(struct sip_tsx *t, const struct sip_msg *resp)
{
	unsigned a;

	if (!t->link.in_table)
		return;
	a = tsx_fsm_client_response(&t->fsm, resp->status, *t->env->now_ms);
	if ((a & TSX_ACT_SEND_ACK) && !t->ack) {
		/* The ACK for a non-2xx final, kept for its retransmissions. */
		static __thread char buf[8192];
		struct mbuf mb;
		mbuf_init(&mb, buf, sizeof(buf));
		if (sip_msg_parse(&scratch, t->resp, t->resp_len, &own_limits) == 0 &&
		    sip_ack_print(&mb, &scratch, resp) == 0) {
			t->ack = malloc(mb.len);
			if (t->ack) {
				memcpy(t->ack, buf, mb.len);
				t->ack_len = (uint32_t)mb.len;
			}
		}
	}
	if ((a & TSX_ACT_PASS_UP) && t->tu && t->tu->response)
		t->tu->response(t->tu_ctx, t, resp);
	act(t, a & ~(unsigned)TSX_ACT_PASS_UP);
	if (resp->status >= 200 && t->fsm.state != TSX_CALLING &&
	    t->fsm.state != TSX_TRYING && t->fsm.state != TSX_PROCEEDING) {
		/* Final: the request is never sent again (an ACK for a
		 * non-2xx has its own copy), so its copy goes now rather
		 * than after Timer D, K or M. */
		free(t->resp);
		t->resp = NULL;
		t->resp_len = 0;
	}
}

static void shutdown_one(struct tsx_link *l)
{
	terminate((struct sip_tsx *)l);
}

void sip_tsx_shutdown(struct tsx_table *table)
{
	tsx_table_drain(table, shutdown_one);
}

void sip_tsx_client_abandon(struct sip_tsx *t)
{
	if (t->client)
		terminate(t);
}

void sip_tsx_tu_committed(struct sip_tsx *t)
{
	if (!t->tu_deadline || !t->link.in_table)
		return;
	t->tu_deadline = 0;
	rearm(t);
}
