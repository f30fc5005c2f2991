/*
 * timer.c - a hashed timer wheel.
 *
 * A timer due at tick T sits in slot T mod TIMER_SLOTS.  Running the wheel
 * walks the slots of the ticks that passed; a timer due on a later lap
 * stays in its slot until its tick comes.
 */
#include "core/timer.h"

#include <stddef.h>
#include <time.h>

uint64_t vs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void timer_wheel_init(struct timer_wheel *w, uint64_t now_ms)
{
	for (int i = 0; i < TIMER_SLOTS; i++) {
		w->slots[i].next = &w->slots[i];
		w->slots[i].prev = &w->slots[i];
	}
	for (int i = 0; i < TIMER_SLOTS / 64; i++)
		w->bitmap[i] = 0;
	w->tick = now_ms / TIMER_TICK_MS;
	w->pending = 0;
}

void timer_init(struct timer *t)
{
	t->next = t->prev = NULL;
	t->handler = NULL;
	t->arg = NULL;
	t->expires_tick = 0;
}

static void slot_mark(struct timer_wheel *w, unsigned slot)
{
	struct timer *head = &w->slots[slot];

	if (head->next != head)
		w->bitmap[slot / 64] |= 1ULL << (slot % 64);
	else
		w->bitmap[slot / 64] &= ~(1ULL << (slot % 64));
}

void timer_stop(struct timer_wheel *w, struct timer *t)
{
	if (!t->next)
		return;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
	w->pending--;
	slot_mark(w, (unsigned)(t->expires_tick % TIMER_SLOTS));
}

void timer_start(struct timer_wheel *w, struct timer *t, uint64_t now_ms,
		 uint64_t delay_ms, timer_h h, void *arg)
{
	uint64_t due = (now_ms + delay_ms + TIMER_TICK_MS - 1) / TIMER_TICK_MS;
	unsigned slot;
	struct timer *head;

	timer_stop(w, t);
	/* Never schedule into a tick the wheel has already processed. */
	if (due <= w->tick)
		due = w->tick + 1;
	t->expires_tick = due;
	t->handler = h;
	t->arg = arg;
	slot = (unsigned)(due % TIMER_SLOTS);
	head = &w->slots[slot];
	t->next = head;
	t->prev = head->prev;
	head->prev->next = t;
	head->prev = t;
	w->pending++;
	w->bitmap[slot / 64] |= 1ULL << (slot % 64);
}

unsigned timer_wheel_run(struct timer_wheel *w, uint64_t now_ms)
{
	uint64_t now_tick = now_ms / TIMER_TICK_MS;
	unsigned fired = 0;

	while (w->tick < now_tick) {
		uint64_t tick = ++w->tick;
		unsigned slot = (unsigned)(tick % TIMER_SLOTS);
		struct timer *head = &w->slots[slot];
		struct timer *t;

		if (!w->pending) {
			w->tick = now_tick;
			break;
		}
		/* After a long stall, a lap covers every slot: jump ahead. */
		if (now_tick - tick > TIMER_SLOTS)
			continue;
		t = head->next;
		while (t != head) {
			struct timer *next = t->next;
			if (t->expires_tick <= now_tick) {
				timer_stop(w, t);
				t->handler(t, t->arg);
				fired++;
				/* The handler may have stopped or started other
				 * timers, including next: restart the scan. */
				next = head->next;
			}
			t = next;
		}
	}
	return fired;
}

int timer_wheel_next_ms(const struct timer_wheel *w, uint64_t now_ms)
{
	uint64_t now_tick = now_ms / TIMER_TICK_MS;
	unsigned start;

	if (!w->pending)
		return -1;
	if (now_tick > w->tick)
		return 0;
	start = (unsigned)((w->tick + 1) % TIMER_SLOTS);
	for (unsigned i = 0; i < TIMER_SLOTS; i++) {
		unsigned slot = (start + i) % TIMER_SLOTS;
		if (w->bitmap[slot / 64] & (1ULL << (slot % 64))) {
			uint64_t at = (w->tick + 1 + i) * TIMER_TICK_MS;
			return at > now_ms ? (int)(at - now_ms) : 0;
		}
	}
	return -1;
}
