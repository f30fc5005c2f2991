/*
 * reg_store.h - registrations written to the store off the event loop.
 *
 * Workers collect a REGISTER's changes in a reg_batch and submit it; one
 * writer thread commits everything waiting in one SQLite transaction
 * (group commit) and then calls each batch's done(), which hands the
 * result back to the worker that sends the 200 OK.  So a client is told
 * "registered" only once its binding is in the WAL file and survives a
 * kill -9.  When a group cannot be committed, each of its batches is
 * written alone; one that still fails is answered 500 and its change is
 * taken back from memory (reg_batch_undo).
 */
#ifndef VS_REGISTRAR_REG_STORE_H
#define VS_REGISTRAR_REG_STORE_H

#include <stddef.h>

#include "registrar/location.h"

struct reg_op;
struct vs_store;

struct reg_batch {
	struct reg_batch *next;
	struct reg_op *ops, **ops_tail;
	unsigned nops;
	unsigned nput, ndel; /* of which saves and removals */
	int result; /* set before done(): 0 or EIO */
	void (*done)(struct reg_batch *b); /* frees the batch; NULL: writer frees */
	void *ctx;
	/* Other store writes (bans) ride on the same writer: when set, this
	 * is called instead of writing ops; 0 or an error. */
	int (*apply)(struct vs_store *st, struct reg_batch *b);
};

/* An empty batch (calloc'd, of at least size bytes so that callers can
 * embed it at the start of their own struct), or NULL. */
struct reg_batch *reg_batch_new(size_t size);
/* Record one change; a loc_op_h for loc_apply and loc_sweep. */
void reg_batch_add(void *batch, enum loc_op_kind kind, const char *aor,
		   const struct loc_binding *b);
/* True when some change could not be recorded (out of memory). */
bool reg_batch_failed(const struct reg_batch *b);
/*
 * Take back in t what a batch that could not be saved changed, contact by
 * contact: where memory still holds what the batch left (the binding it
 * saved, or no binding where it removed one), memory takes what the store
 * has for that contact (what was committed last), or nothing; st NULL
 * (not on the writer's thread): the binding the batch replaced or removed.
 * Where a later REGISTER changed the contact since, that change stands.
 * So memory, the store and the 500 the client got agree.  The writer does
 * this itself, last batch first, for the failed registration batches of a
 * commit (done set, no apply), before their done().
 */
void reg_batch_undo(const struct reg_batch *b, struct loc_table *t, struct vs_store *st);
/* Free the ops (the done callback calls this before freeing its batch). */
void reg_batch_clear(struct reg_batch *b);

struct reg_writer;

/* Start the writer on its own store handle; loc (or NULL) is where failed
 * registrations are taken back.  -1 with a message on error. */
int reg_writer_start(struct reg_writer **out, const char *state_dir, struct loc_table *loc,
		     char *err,
		     size_t errlen);
void reg_writer_submit(struct reg_writer *w, struct reg_batch *b);
/* Commit what is queued, then stop the thread. */
void reg_writer_stop(struct reg_writer *w);

/* Load the bindings that have not expired into t (at start); expired ones
 * are deleted from the store.  Returns how many, or -1 with err. */
long reg_store_load(const char *state_dir, struct loc_table *t, uint64_t now,
		    char *err, size_t errlen);

#endif
