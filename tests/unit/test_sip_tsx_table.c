/* Unit tests for sip/tsx_table.c: cap, duplicates, references, threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "core/hash.h"
#include "sip/tsx_table.h"

struct obj {
	struct tsx_link link; /* first member */
	int id;
};

static _Atomic int destroyed;

static void obj_destroy(struct tsx_link *l)
{
	atomic_fetch_add(&destroyed, 1);
	free((struct obj *)l);
}

static struct obj *obj_new(const char *key, int id)
{
	struct obj *o = malloc(sizeof(*o));
	assert_non_null(o);
	assert_int_equal(tsx_link_init(&o->link, key, strlen(key), obj_destroy), 0);
	o->id = id;
	return o;
}

static void test_insert_find_remove(void **state)
{
	struct tsx_table t;
	struct tsx_link *found;
	struct obj *a = obj_new("key-a", 1), *dup = obj_new("key-a", 2);

	(void)state;
	atomic_store(&destroyed, 0);
	assert_int_equal(tsx_table_init(&t, 100), 0);
	assert_int_equal(tsx_table_insert(&t, &a->link, &found), 0);
	/* A second transaction with the same key is refused; the existing
	 * one comes back (a retransmission finds its transaction). */
	assert_int_equal(tsx_table_insert(&t, &dup->link, &found), EEXIST);
	assert_ptr_equal(found, &a->link);
	tsx_link_put(found);
	tsx_link_put(&dup->link);
	assert_int_equal(atomic_load(&destroyed), 1);

	found = tsx_table_find(&t, "key-a", 5);
	assert_ptr_equal(found, &a->link);
	assert_int_equal(((struct obj *)found)->id, 1);
	assert_null(tsx_table_find(&t, "key-b", 5));
	assert_null(tsx_table_find(&t, "key-", 4));
	/* Removed while a finder still holds it: not freed yet. */
	tsx_table_remove(&t, &a->link);
	tsx_table_remove(&t, &a->link);
	assert_int_equal(tsx_table_count(&t), 0);
	tsx_link_put(&a->link); /* the creator's reference */
	assert_int_equal(atomic_load(&destroyed), 1);
	assert_int_equal(((struct obj *)found)->id, 1);
	tsx_link_put(found);
	assert_int_equal(atomic_load(&destroyed), 2);
	assert_null(tsx_table_find(&t, "key-a", 5));
	tsx_table_destroy(&t);
}

static void test_cap(void **state)
{
	struct tsx_table t;
	struct tsx_link *found;
	char key[32];

	(void)state;
	atomic_store(&destroyed, 0);
	assert_int_equal(tsx_table_init(&t, 50), 0);
	for (int i = 0; i < 60; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		struct obj *o = obj_new(key, i);
		int rc = tsx_table_insert(&t, &o->link, &found);
		/* Full at the cap: the caller answers 503, memory stays put. */
		assert_int_equal(rc, i < 50 ? 0 : ENOSPC);
		tsx_link_put(&o->link);
	}
	assert_int_equal(tsx_table_count(&t), 50);
	assert_int_equal(atomic_load(&destroyed), 10);
	/* Room again after a removal. */
	found = tsx_table_find(&t, "k3", 2);
	tsx_table_remove(&t, found);
	tsx_link_put(found);
	struct obj *o = obj_new("new", 99);
	assert_int_equal(tsx_table_insert(&t, &o->link, &found), 0);
	tsx_link_put(&o->link);
	tsx_table_destroy(&t);
	assert_int_equal(atomic_load(&destroyed), 61);
}

/* Workers inserting, finding and removing at once: counts stay exact. */
static struct tsx_table shared;

static void *worker(void *arg)
{
	int base = (int)(intptr_t)arg;
	char key[32];

	for (int round = 0; round < 2000; round++) {
		struct tsx_link *found;
		snprintf(key, sizeof(key), "w%d-%d", base, round % 64);
		struct obj *o = obj_new(key, round);
		if (tsx_table_insert(&shared, &o->link, &found) == EEXIST) {
			tsx_table_remove(&shared, found);
			tsx_link_put(found);
		}
		tsx_link_put(&o->link);
		found = tsx_table_find(&shared, key, strlen(key));
		if (found)
			tsx_link_put(found);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[4];

	(void)state;
	atomic_store(&destroyed, 0);
	assert_int_equal(tsx_table_init(&shared, 100000), 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	uint32_t left = tsx_table_count(&shared);
	assert_true(left <= 4 * 64);
	tsx_table_destroy(&shared);
	/* Every object ever made was freed exactly once. */
	assert_int_equal(atomic_load(&destroyed), 4 * 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_find_remove),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_threads),
	};
	vs_hash_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
