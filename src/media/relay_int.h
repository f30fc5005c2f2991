/*
 * relay_int.h - what relay.c (the control side) and relay_thread.c (the
 * media threads) share: the session table, the command queues, the
 * threads.  Not for other modules.
 */
#ifndef VS_MEDIA_RELAY_INT_H
#define VS_MEDIA_RELAY_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "media/pinhole.h"
#include "media/ports.h"
#include "media/relay.h"
#include "media/srtp.h"

#define BATCH 32		   /* packets per socket read */
#define EVENTS 512		   /* ready sockets per round */
#define GATHER_MAX 4		   /* a round this light waits batch_us */
#define PKT_MAX 1500		   /* what we read */
#define PKT_BUF (PKT_MAX + 64)	   /* room for an SRTP trailer */
#define SLOT_BITS 20
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define GEN_MASK ((1u << (32 - SLOT_BITS)) - 1)

enum { K_RTP, K_RTCP };

struct sock {
	int fd;
	uint32_t slot;
	uint8_t leg, kind;
};

struct leg {
	struct sock s[2];
	uint16_t port;
	struct pinhole pin[2];
	bool srtp;
	struct vs_srtp rx, tx;
	struct relay_leg_stats st;
	uint64_t reported_ms; /* last injection report for this leg */
	bool seen;	      /* RTP from its phone: the stream so far */
	uint32_t ssrc;
	uint16_t seq;
};

struct session {
	uint32_t gen;
	bool reserved; /* taken by a control thread (slots_lock) */
	bool active;   /* owned by the media thread */
	uint64_t last_ms; /* media thread: last packet accepted, or ADD */
	bool mux;	  /* RTCP shares the RTP ports (RFC 5761) */
	struct leg leg[RELAY_LEGS];
};

enum cmd_type { CMD_ADD, CMD_EXPECT, CMD_SRTP, CMD_MUX, CMD_OPEN, CMD_CLOSE, CMD_STOP };

struct cmd {
	struct cmd *next;
	enum cmd_type type;
	uint32_t id;
	unsigned leg;
	struct vs_sockaddr rtp, rtcp;
	struct relay_srtp srtp;
};

/* One media thread: the sessions whose slot index is idx modulo their
 * number, its own epoll set, command queue and counters. */
struct mthread {
	struct media_relay *r;
	unsigned idx;
	pthread_t thread;
	bool started;
	int ep, wake;
	pthread_mutex_t cmd_lock;
	struct cmd *cmds, *cmds_tail;
	struct relay_leg_stats total; /* its sessions, since start */
};

struct media_relay {
	struct mthread *th;
	unsigned nthreads;
	struct port_pool ports;
	pthread_mutex_t slots_lock;
	struct session *slots;
	uint32_t nslots, in_use;
	uint64_t timeout_ms;
	long batch_ns; /* the wait between rounds of reads */
	uint64_t timeouts;
	void (*injection)(void *, const struct vs_sockaddr *, const char *,
			  uint64_t);
	void *injection_arg;
	void (*timed_out)(void *, uint32_t);
	void *timed_out_arg;
};

static inline uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint32_t slot_of(uint32_t id)
{
	return (id & SLOT_MASK) - 1;
}

/* The session for id, if it is still the one the id names. */
static inline struct session *session_of(struct media_relay *r, uint32_t id)
{
	uint32_t i = slot_of(id);

	if (i >= r->nslots || (r->slots[i].gen & GEN_MASK) != id >> SLOT_BITS)
		return NULL;
	return &r->slots[i];
}

/* The thread that owns slot i. */
static inline struct mthread *owner(struct media_relay *r, uint32_t i)
{
	return &r->th[i % r->nthreads];
}

/* A forwarded packet: count it the way the media thread owns it. */
static inline void bump(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

/* Queue c for media thread t and wake it (relay.c). */
int relay_enqueue_to(struct mthread *t, struct cmd *c);
/* Free session s's sockets, ports and keys; the slot is free again. */
void relay_slot_release(struct media_relay *r, struct session *s);
/* One packet of *lenp bytes in buf (room for PKT_BUF) from src, read on
 * socket kind k of leg li of s: checked against the pinhole, opened and
 * protected as the legs' SRTP says, with its new length in *lenp and its
 * destination in dst; false when it is dropped (counted).  Media thread
 * t's own (fuzz_relay.c drives it directly). */
bool relay_packet(struct mthread *t, struct session *s, unsigned li,
		  unsigned k, uint8_t *buf, size_t *lenp,
		  const struct vs_sockaddr *src, struct vs_sockaddr *dst,
		  uint64_t now_ms);
/* A media thread (arg: its struct mthread). */
void *relay_thread_main(void *arg);
/* Stop threads [0, n) (those started are joined) and free their queues,
 * epoll sets and wake-ups. */
void relay_threads_stop(struct media_relay *r, unsigned n);

#endif
