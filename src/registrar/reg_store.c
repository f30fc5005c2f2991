/*
 * reg_store.c - the registration writer (see reg_store.h).
 */
#include "registrar/reg_store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "store/store.h"
#include "transport/addr.h"

struct reg_op {
	struct reg_op *next;
	uint8_t kind; /* enum loc_op_kind */
	uint8_t transport;
	uint16_t q, port;
	uint32_t cseq;
	uint64_t expires;
	char peer[VS_IPSTR_MAX];
	struct vs_flow flow; /* the binding's, to put it back (reg_batch_undo) */
	const char *aor, *contact, *path, *call_id; /* into data */
	char data[];
};


struct reg_batch *reg_batch_new(size_t size)
{
	struct reg_batch *b;

	if (size < sizeof(*b))
		size = sizeof(*b);
	b = calloc(1, size);
	if (b)
		b->ops_tail = &b->ops;
	return b;
}

void reg_batch_add(void *batch, enum loc_op_kind kind, const char *aor,
		   const struct loc_binding *lb)
{
	struct reg_batch *b = batch;
	size_t al = strlen(aor) + 1;
	size_t cl = lb->contact_len + 1u, pl = lb->path_len + 1u,
	       il = lb->callid_len + 1u;
	struct reg_op *op;
	char *p;

	if (b->result == -1)
		return;
	op = malloc(sizeof(*op) + al + cl + pl + il);
	if (!op) {
		b->result = -1;
		return;
	}
	op->next = NULL;
	op->kind = (uint8_t)kind;
	op->transport = lb->flow.tp;
	op->q = lb->q;
	op->cseq = lb->cseq;
	op->expires = lb->expires;
	op->port = vs_sa_port(&lb->flow.peer);
	op->flow = lb->flow;
	if (!vs_sa_ip_str(&lb->flow.peer, op->peer, sizeof(op->peer)))
		op->peer[0] = 0;
	p = op->data;
	op->aor = memcpy(p, aor, al);
	p += al;
	op->contact = memcpy(p, loc_contact(lb), cl);
	p += cl;
	op->path = memcpy(p, loc_path(lb), pl);
	p += pl;
	op->call_id = memcpy(p, loc_callid(lb), il);
	*b->ops_tail = op;
	b->ops_tail = &op->next;
	b->nops++;
	if (kind == LOC_OP_PUT)
		b->nput++;
	else
		b->ndel++;
}

bool reg_batch_failed(const struct reg_batch *b)
{
	return b->result == -1;
}

/* The store's binding for one contact, read back for reg_batch_undo. */
struct stored {
	struct loc_table *t;
	const struct reg_op *old; /* the batch's DEL of it: its flow */
	bool put;
};

static int put_stored(const struct vs_binding_rec *r, void *arg)
{
	struct stored *sb = arg;
	struct vs_flow flow;

	/* The binding as it was in memory when it is the one stored (the
	 * flow keeps its TCP connection), else as the store has it. */
	if (sb->old && sb->old->cseq == r->cseq && !strcmp(sb->old->call_id, r->call_id)) {
		flow = sb->old->flow;
	} else {
		memset(&flow, 0, sizeof(flow));
		flow.tp = r->transport;
		flow.listener = VS_FLOW_NO_LISTENER;
		if (!vs_sa_from_ip(&flow.peer, r->peer, r->port))
			return 0;
	}
	(void)loc_restore(sb->t, r->aor, r->contact, r->path, r->call_id, r->cseq, r->expires,
			  r->q, &flow);
	sb->put = true;
	return 0;
}

void reg_batch_undo(const struct reg_batch *b, struct loc_table *t, struct vs_store *st)
{
	const struct reg_op *stack[64], **ops = stack;
	unsigned n = 0;

	if (b->nops > sizeof(stack) / sizeof(stack[0])) {
		ops = malloc(b->nops * sizeof(*ops));
		if (!ops)
			return; /* the change stays; the next REGISTER corrects it */
	}
	for (const struct reg_op *op = b->ops; op && n < b->nops; op = op->next)
		ops[n++] = op;
	/* Each contact once, from its last change in the batch. */
	for (unsigned i = n; i-- > 0;) {
		const struct reg_op *op = ops[i], *old = NULL;
		bool later = false, ours;
		for (unsigned k = i + 1; k < n && !later; k++)
			later = !strcmp(ops[k]->aor, op->aor) && !strcmp(ops[k]->contact, op->contact);
		if (later)
			continue;
		for (unsigned k = 0; k < i; k++)
			if (ops[k]->kind == LOC_OP_DEL && !strcmp(ops[k]->aor, op->aor) &&
			    !strcmp(ops[k]->contact, op->contact))
				old = ops[k];
		if (op->kind == LOC_OP_DEL)
			old = op;
		/* What the batch left is still there (a binding it saved), or
		 * the contact is still unbound (one it removed)?  Otherwise a
		 * later REGISTER changed it, and that change stands. */
		if (op->kind == LOC_OP_PUT)
			ours = loc_unput(t, op->aor, op->contact, op->call_id, op->cseq);
		else
			ours = true; /* loc_restore puts nothing over a new binding */
		if (!ours)
			continue;
		if (st) {
			/* Memory takes what the store has (what was committed
			 * last), or nothing. */
			struct stored sb = {t, old, false};
			(void)vs_store_binding_get(st, op->aor, op->contact, put_stored, &sb);
		} else if (old) {
			(void)loc_restore(t, old->aor, old->contact, old->path, old->call_id, old->cseq,
					  old->expires, old->q, &old->flow);
		}
	}
	if (ops != stack)
		free(ops);
}

void reg_batch_clear(struct reg_batch *b)
{
	while (b->ops) {
		struct reg_op *op = b->ops;
		b->ops = op->next;
		free(op);
	}
	b->ops_tail = &b->ops;
	b->nops = 0;
	b->nput = b->ndel = 0;
}

struct reg_writer {
	struct loc_table *loc; /* where a failed batch's change is undone */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct reg_batch *head, **tail;
	bool stop;
	struct vs_store *st;
	uint64_t errors;
};

static int apply(struct vs_store *st, const struct reg_op *op)
{
	struct vs_binding_rec r;

	if (op->kind == LOC_OP_DEL)
		return vs_store_binding_del(st, op->aor, op->contact);
	r.aor = op->aor;
	r.contact = op->contact;
	r.path = op->path;
	r.call_id = op->call_id;
	r.cseq = op->cseq;
	r.expires = op->expires;
	r.q = op->q;
	r.transport = op->transport;
	r.peer = op->peer;
	r.port = op->port;
	return vs_store_binding_put(st, &r);
}

static void finish(struct reg_batch *b, int result)
{
	while (b) {
		struct reg_batch *next = b->next;
		b->result = result;
		if (b->done) {
			b->done(b);
		} else {
			reg_batch_clear(b);
			free(b);
		}
		b = next;
	}
}

/* Write a list of batches in one SQLite transaction: 0 or EIO (nothing
 * of the list is written then; why says what SQLite said). */
static int write_group(struct vs_store *st, struct reg_batch *list, char *why, size_t whylen)
{
	int result = 0;

	if (vs_store_begin(st)) {
		snprintf(why, whylen, "%s", vs_store_errmsg(st));
		return EIO;
	}
	for (struct reg_batch *b = list; b && !result; b = b->next) {
		if (b->apply) {
			result = b->apply(st, b) ? EIO : 0;
			continue;
		}
		for (struct reg_op *op = b->ops; op && !result; op = op->next)
			result = apply(st, op) ? EIO : 0;
	}
	if (result || vs_store_commit(st)) {
		result = EIO;
		snprintf(why, whylen, "%s", vs_store_errmsg(st));
		vs_store_rollback(st);
	}
	return result;
}

static void write_failed(struct reg_writer *w, const char *why)
{
	w->errors++;
	vs_log_limited(VS_LOG_ERR, "store-write", "registrations could not be saved: %s", why);
}

static struct reg_batch *reverse(struct reg_batch *list)
{
	struct reg_batch *prev = NULL;

	while (list) {
		struct reg_batch *next = list->next;
		list->next = prev;
		prev = list;
		list = next;
	}
	return prev;
}

/* Take back, last first, what the failed batches of list changed in
 * memory (registrations only: a sweep's removals expired anyway, and ban
 * batches change no binding).  Returns the list as it was. */
static struct reg_batch *undo_failed(struct reg_writer *w, struct reg_batch *list)
{
	list = reverse(list);
	for (struct reg_batch *b = list; b; b = b->next)
		if (b->result && w->loc && b->done && !b->apply)
			reg_batch_undo(b, w->loc, w->st);
	return reverse(list);
}

static void *writer_main(void *arg)
{
	struct reg_writer *w = arg;

	for (;;) {
		struct reg_batch *list;
		char why[256];
		int result;

		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		list = w->head;
		w->head = NULL;
		w->tail = &w->head;
		pthread_mutex_unlock(&w->lock);
		if (!list)
			break; /* stopping and drained */
		result = write_group(w->st, list, why, sizeof(why));
		if (!result) {
			finish(list, 0);
			continue;
		}
		/* One batch may be what failed: write each alone, so that only
		 * those that cannot be saved fail. */
		bool alone = list->next == NULL;
		for (struct reg_batch *b = list; b; b = b->next) {
			if (alone) {
				b->result = result;
			} else {
				struct reg_batch *next = b->next;
				b->next = NULL;
				b->result = write_group(w->st, b, why, sizeof(why));
				b->next = next;
			}
			if (b->result)
				write_failed(w, why);
		}
		list = undo_failed(w, list);
		for (struct reg_batch *b = list, *next; b; b = next) {
			next = b->next;
			b->next = NULL;
			finish(b, b->result);
		}
	}
	return NULL;
}

int reg_writer_start(struct reg_writer **out, const char *state_dir, struct loc_table *loc,
		     char *err, size_t errlen)
{
	struct reg_writer *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (vs_store_open(state_dir, &w->st, err, errlen)) {
		free(w);
		return -1;
	}
	w->loc = loc;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->tail = &w->head;
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		snprintf(err, errlen, "cannot start the store writer thread");
		vs_store_close(w->st);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void reg_writer_submit(struct reg_writer *w, struct reg_batch *b)
{
	b->next = NULL;
	if (b->result == -1) {
		/* Incomplete: fail it without writing half of it. */
		b->result = EIO;
		if (w->loc && b->done && !b->apply)
			reg_batch_undo(b, w->loc, NULL); /* not the writer's thread */
		finish(b, EIO);
		return;
	}
	pthread_mutex_lock(&w->lock);
	*w->tail = b;
	w->tail = &b->next;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void reg_writer_stop(struct reg_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	vs_store_close(w->st);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

struct load_ctx {
	struct loc_table *t;
	long n;
	long skipped;
};

static int load_one(const struct vs_binding_rec *r, void *arg)
{
	struct load_ctx *lc = arg;
	struct vs_flow flow;

	memset(&flow, 0, sizeof(flow));
	flow.tp = r->transport;
	if (!vs_sa_from_ip(&flow.peer, r->peer, r->port)) {
		lc->skipped++;
		return 0;
	}
	/* The TCP connection did not survive the restart: conn_id 0 means
	 * "open a new one" to the same address. */
	if (loc_restore(lc->t, r->aor, r->contact, r->path, r->call_id,
			r->cseq, r->expires, r->q, &flow) == LOC_OK)
		lc->n++;
	else
		lc->skipped++;
	return 0;
}

long reg_store_load(const char *state_dir, struct loc_table *t, uint64_t now,
		    char *err, size_t errlen)
{
	struct load_ctx lc = {t, 0, 0};
	struct vs_store *st;
	int purged;

	if (vs_store_open(state_dir, &st, err, errlen))
		return -1;
	purged = vs_store_binding_purge(st, now);
	if (vs_store_binding_foreach(st, now, load_one, &lc)) {
		snprintf(err, errlen, "cannot read registrations: %s",
			 vs_store_errmsg(st));
		vs_store_close(st);
		return -1;
	}
	vs_store_close(st);
	if (purged > 0)
		vs_log(VS_LOG_INFO, "store: %d expired registration%s removed",
		       purged, purged == 1 ? "" : "s");
	if (lc.skipped)
		vs_log(VS_LOG_WARN,
		       "store: %ld registration%s not loaded (registrar.max_bindings reached or unreadable)",
		       lc.skipped, lc.skipped == 1 ? "" : "s");
	return lc.n;
}
