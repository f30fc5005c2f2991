/*
 * timer.h - a hashed timer wheel, one per worker thread.
 *
 * Timers are intrusive (embedded in the object they time), so starting and
 * stopping one never allocates.  Resolution is TIMER_TICK_MS; the wheel
 * never fires a timer early.  Time is passed in explicitly, so tests drive
 * the wheel with a fake clock.
 */
#ifndef VS_CORE_TIMER_H
#define VS_CORE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMER_TICK_MS 10
#define TIMER_SLOTS 512 /* power of two */

struct timer;
typedef void (*timer_h)(struct timer *t, void *arg);

struct timer {
	struct timer *next, *prev; /* in the slot list; NULL when idle */
	uint64_t expires_tick;
	timer_h handler;
	void *arg;
};

struct timer_wheel {
	struct timer slots[TIMER_SLOTS]; /* list heads */
	uint64_t bitmap[TIMER_SLOTS / 64]; /* non-empty slots */
	uint64_t tick;	   /* last tick processed */
	uint64_t pending;  /* armed timers */
};

void timer_wheel_init(struct timer_wheel *w, uint64_t now_ms);
void timer_init(struct timer *t);
/* (Re)arm t to fire after delay_ms.  Replaces an earlier arming. */
void timer_start(struct timer_wheel *w, struct timer *t, uint64_t now_ms,
		 uint64_t delay_ms, timer_h h, void *arg);
void timer_stop(struct timer_wheel *w, struct timer *t);
static inline bool timer_armed(const struct timer *t)
{
	return t->next != NULL;
}
/* Fire every timer due at now_ms; returns how many fired. */
unsigned timer_wheel_run(struct timer_wheel *w, uint64_t now_ms);
/* Milliseconds until the next wheel slot with timers, or -1 if none. */
int timer_wheel_next_ms(const struct timer_wheel *w, uint64_t now_ms);

/* Monotonic clock in milliseconds. */
uint64_t vs_now_ms(void);

#endif
