/* Unit tests for the location table with the registration writer
 * (registrar/location.c, registrar/reg_store.c): a REGISTER whose change
 * cannot be saved is taken back from memory, and a batch that SQLite
 * refuses fails alone, not the batches committed with it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "registrar/location.h"
#include "registrar/reg_store.h"
#include "store/store.h"

#define NOW 1800000000ull

static struct vs_flow flow_a, flow_b;

static void setup_flows(void)
{
	memset(&flow_a, 0, sizeof(flow_a));
	memset(&flow_b, 0, sizeof(flow_b));
	flow_a.tp = flow_b.tp = 0;
	flow_a.worker = 1;
	flow_b.worker = 2;
}

/* Apply a REGISTER of one contact for aor; the changes go into *batch
 * (a new one) when batch is given. */
static enum loc_result reg(struct loc_table *t, const char *aor, const char *contact,
			   uint32_t expires, const char *call_id, uint32_t cseq,
			   const struct vs_flow *flow, struct reg_batch **batch)
{
	struct loc_contact c;
	struct loc_register r;

	memset(&c, 0, sizeof(c));
	c.raw = pl_from_cstr(contact);
	assert_int_equal(sip_uri_parse(&c.uri, &c.raw), 0);
	c.expires = expires;
	c.q = 1000;
	memset(&r, 0, sizeof(r));
	r.aor = aor;
	r.contacts = &c;
	r.ncontacts = 1;
	r.call_id = pl_from_cstr(call_id);
	r.cseq = cseq;
	r.flow = flow;
	r.now = NOW;
	r.max_contacts = 10;
	if (batch) {
		*batch = reg_batch_new(sizeof(**batch));
		assert_non_null(*batch);
		r.on_op = reg_batch_add;
		r.op_arg = *batch;
	}
	return loc_apply(t, &r);
}

static void drop(struct reg_batch *b)
{
	reg_batch_clear(b);
	free(b);
}

/* The one binding of aor: its cseq and expiry, or false. */
static bool one(struct loc_table *t, const char *aor, uint32_t *cseq, uint64_t *expires,
		uint16_t *worker)
{
	struct loc_binding *out[4];
	unsigned n = loc_lookup(t, aor, NOW, out, 4);

	if (n != 1) {
		for (unsigned i = 0; i < n; i++)
			loc_free(out[i]);
		return false;
	}
	*cseq = out[0]->cseq;
	*expires = out[0]->expires;
	*worker = out[0]->flow.worker;
	loc_free(out[0]);
	return true;
}

static void test_undo_new_refresh_remove(void **state)
{
	struct loc_table t;
	struct reg_batch *b;
	uint32_t cseq;
	uint64_t exp;
	uint16_t w;

	(void)state;
	setup_flows();
	assert_int_equal(loc_table_init(&t, 100), 0);

	/* A new binding that could not be saved is gone again. */
	assert_int_equal(reg(&t, "alice@x", "sip:alice@192.0.2.1", 600, "c1", 1, &flow_a, &b), LOC_OK);
	assert_int_equal(loc_count(&t), 1);
	reg_batch_undo(b, &t, NULL);
	drop(b);
	assert_int_equal(loc_count(&t), 0);
	assert_false(one(&t, "alice@x", &cseq, &exp, &w));

	/* A refresh that could not be saved leaves the old binding, its
	 * expiry, CSeq and flow. */
	assert_int_equal(reg(&t, "alice@x", "sip:alice@192.0.2.1", 600, "c1", 1, &flow_a, NULL), LOC_OK);
	assert_int_equal(reg(&t, "alice@x", "sip:alice@192.0.2.1", 3600, "c1", 2, &flow_b, &b), LOC_OK);
	assert_true(one(&t, "alice@x", &cseq, &exp, &w));
	assert_int_equal(cseq, 2);
	reg_batch_undo(b, &t, NULL);
	drop(b);
	assert_true(one(&t, "alice@x", &cseq, &exp, &w));
	assert_int_equal(cseq, 1);
	assert_int_equal(exp, NOW + 600);
	assert_int_equal(w, 1);
	assert_int_equal(loc_count(&t), 1);

	/* A removal that could not be saved: the binding is back. */
	assert_int_equal(reg(&t, "alice@x", "sip:alice@192.0.2.1", 0, "c1", 3, &flow_a, &b), LOC_OK);
	assert_int_equal(loc_count(&t), 0);
	reg_batch_undo(b, &t, NULL);
	drop(b);
	assert_true(one(&t, "alice@x", &cseq, &exp, &w));
	assert_int_equal(cseq, 1);
	assert_int_equal(loc_count(&t), 1);

	/* A change made after the failed one is not taken back: the
	 * binding a later REGISTER refreshed stays as that one left it. */
	assert_int_equal(reg(&t, "bob@x", "sip:bob@192.0.2.2", 600, "c2", 1, &flow_a, &b), LOC_OK);
	assert_int_equal(reg(&t, "bob@x", "sip:bob@192.0.2.2", 900, "c2", 2, &flow_b, NULL), LOC_OK);
	reg_batch_undo(b, &t, NULL);
	drop(b);
	assert_true(one(&t, "bob@x", &cseq, &exp, &w));
	assert_int_equal(cseq, 2);
	assert_int_equal(exp, NOW + 900);
	assert_int_equal(loc_count(&t), 2);

	/* A refresh that could not be saved, then a removal that was: the
	 * undo does not bring the old binding back (no ghost after the
	 * phone was told its removal succeeded). */
	struct reg_batch *later;
	assert_int_equal(reg(&t, "carol@x", "sip:carol@192.0.2.3", 600, "c3", 1, &flow_a, NULL), LOC_OK);
	assert_int_equal(reg(&t, "carol@x", "sip:carol@192.0.2.3", 600, "c3", 2, &flow_a, &b), LOC_OK);
	assert_int_equal(reg(&t, "carol@x", "sip:carol@192.0.2.3", 0, "c3", 3, &flow_a, &later), LOC_OK);
	reg_batch_undo(b, &t, NULL);
	drop(b);
	drop(later);
	assert_false(one(&t, "carol@x", &cseq, &exp, &w));
	assert_int_equal(loc_count(&t), 2);

	loc_table_destroy(&t);
}

/* The writer: done() results, handed over from its thread. */
struct done_rec {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int results[4];
	int ndone;
};
static struct done_rec rec = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0};

struct tagged {
	struct reg_batch b; /* first */
	int slot;
};

static void on_done(struct reg_batch *b)
{
	struct tagged *tb = (struct tagged *)b;

	pthread_mutex_lock(&rec.lock);
	rec.results[tb->slot] = b->result;
	rec.ndone++;
	pthread_cond_signal(&rec.cond);
	pthread_mutex_unlock(&rec.lock);
	reg_batch_clear(b);
	free(b);
}

static struct reg_batch *tagged_reg_cseq(struct loc_table *t, const char *aor,
					 const char *contact, int slot, uint32_t cseq,
					 uint32_t expires);

static struct reg_batch *tagged_reg(struct loc_table *t, const char *aor, const char *contact,
				    int slot)
{
	return tagged_reg_cseq(t, aor, contact, slot, 1, 600);
}

static struct reg_batch *tagged_reg_cseq(struct loc_table *t, const char *aor,
					 const char *contact, int slot, uint32_t cseq,
					 uint32_t expires)
{
	struct loc_contact c;
	struct loc_register r;
	struct tagged *tb = (struct tagged *)reg_batch_new(sizeof(*tb));

	assert_non_null(tb);
	tb->slot = slot;
	tb->b.done = on_done;
	memset(&c, 0, sizeof(c));
	c.raw = pl_from_cstr(contact);
	assert_int_equal(sip_uri_parse(&c.uri, &c.raw), 0);
	c.expires = expires;
	c.q = 1000;
	memset(&r, 0, sizeof(r));
	r.aor = aor;
	r.contacts = &c;
	r.ncontacts = 1;
	r.call_id = pl_from_cstr("w1");
	r.cseq = cseq;
	r.flow = &flow_a;
	r.now = (uint64_t)time(NULL);
	r.max_contacts = 10;
	r.on_op = reg_batch_add;
	r.op_arg = &tb->b;
	assert_int_equal(loc_apply(t, &r), LOC_OK);
	return &tb->b;
}

static int count_binding(const struct vs_binding_rec *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

/* A writer on a fresh state directory whose store refuses, by a SQLite
 * trigger, the bindings matching `when` (an SQL condition on NEW): a real
 * failed statement, so the transaction is rolled back. */
static struct reg_writer *refusing_writer(char *dir, struct loc_table *loc, const char *when)
{
	char path[256], err[256], sql[256];
	struct reg_writer *w;
	sqlite3 *db;

	setup_flows();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(reg_writer_start(&w, dir, loc, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, VS_STORE_FILE);
	snprintf(sql, sizeof(sql),
		 "CREATE TRIGGER refuse BEFORE INSERT ON bindings WHEN %s "
		 "BEGIN SELECT RAISE(ABORT, 'refused'); END;", when);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	rec.ndone = 0;
	return w;
}

/* Until n batches are done. */
static void wait_done(int n)
{
	pthread_mutex_lock(&rec.lock);
	while (rec.ndone < n)
		pthread_cond_wait(&rec.cond, &rec.lock);
	pthread_mutex_unlock(&rec.lock);
}

static void remove_state(const char *dir)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char path[256];

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, VS_STORE_FILE, suffixes[i]);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_writer_fails_only_the_refused_batch(void **state)
{
	char dir[] = "/tmp/vs-registrar-test-XXXXXX", err[256];
	struct reg_writer *w;
	struct loc_table t;
	struct vs_store *st;
	int n = 0;

	(void)state;
	w = refusing_writer(dir, NULL, "NEW.aor = 'bad@x'");
	assert_int_equal(loc_table_init(&t, 100), 0);
	/* Submitted together, so usually committed as one group. */
	struct reg_batch *good1 = tagged_reg(&t, "good@x", "sip:good@192.0.2.1", 0);
	struct reg_batch *bad = tagged_reg(&t, "bad@x", "sip:bad@192.0.2.1", 1);
	struct reg_batch *good2 = tagged_reg(&t, "good2@x", "sip:good2@192.0.2.1", 2);
	reg_writer_submit(w, good1);
	reg_writer_submit(w, bad);
	reg_writer_submit(w, good2);
	wait_done(3);
	reg_writer_stop(w);
	assert_int_equal(rec.results[0], 0);
	assert_int_equal(rec.results[1], EIO);
	assert_int_equal(rec.results[2], 0);

	/* The store has the two that were confirmed. */
	assert_int_equal(vs_store_open(dir, &st, err, sizeof(err)), 0);
	assert_int_equal(vs_store_binding_foreach(st, 0, count_binding, &n), 0);
	assert_int_equal(n, 2);
	vs_store_close(st);
	loc_table_destroy(&t);
	remove_state(dir);
}

/* Two REGISTERs of one address of record that both fail, committed
 * together: the writer takes them back last first, so nothing of either
 * stays in memory. */
static void test_writer_undoes_last_first(void **state)
{
	char dir[] = "/tmp/vs-registrar-test-XXXXXX";
	struct reg_writer *w;
	struct loc_table t;

	(void)state;
	assert_int_equal(loc_table_init(&t, 100), 0);
	w = refusing_writer(dir, &t, "NEW.aor = 'bad@x'");
	/* A new binding (cseq 1), then its refresh (cseq 2): DEL(1), PUT(2). */
	struct reg_batch *first = tagged_reg_cseq(&t, "bad@x", "sip:bad@192.0.2.1", 0, 1, 600);
	struct reg_batch *second = tagged_reg_cseq(&t, "bad@x", "sip:bad@192.0.2.1", 1, 2, 900);
	reg_writer_submit(w, first);
	reg_writer_submit(w, second);
	wait_done(2);
	reg_writer_stop(w);
	assert_int_equal(rec.results[0], EIO);
	assert_int_equal(rec.results[1], EIO);
	assert_int_equal(loc_count(&t), 0);
	loc_table_destroy(&t);
	remove_state(dir);
}

/* A refresh the store refuses: memory gets back the binding the store
 * has (the one committed before), not nothing and not the refresh. */
static void test_writer_restores_what_was_stored(void **state)
{
	char dir[] = "/tmp/vs-registrar-test-XXXXXX";
	struct reg_writer *w;
	struct loc_table t;
	uint32_t cseq;
	uint64_t exp;
	uint16_t wk;

	(void)state;
	assert_int_equal(loc_table_init(&t, 100), 0);
	w = refusing_writer(dir, &t, "NEW.cseq = 2");
	reg_writer_submit(w, tagged_reg_cseq(&t, "dave@x", "sip:dave@192.0.2.4", 0, 1, 600));
	wait_done(1);
	assert_int_equal(rec.results[0], 0);
	reg_writer_submit(w, tagged_reg_cseq(&t, "dave@x", "sip:dave@192.0.2.4", 1, 2, 900));
	wait_done(2);
	reg_writer_stop(w);
	assert_int_equal(rec.results[1], EIO);
	{
		struct loc_binding *out[4];
		assert_int_equal(loc_lookup(&t, "dave@x", (uint64_t)time(NULL), out, 4), 1);
		cseq = out[0]->cseq;
		exp = out[0]->expires;
		wk = out[0]->flow.worker;
		loc_free(out[0]);
	}
	assert_int_equal(cseq, 1);
	assert_true(exp <= (uint64_t)time(NULL) + 600);
	assert_int_equal(wk, 1); /* its flow, from memory */
	assert_int_equal(loc_count(&t), 1);
	loc_table_destroy(&t);
	remove_state(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_undo_new_refresh_remove),
		cmocka_unit_test(test_writer_fails_only_the_refused_batch),
		cmocka_unit_test(test_writer_undoes_last_first),
		cmocka_unit_test(test_writer_restores_what_was_stored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
