/*
 * calls.h - which relay session a call (its Call-ID) has: the proxy
 * finds it again for the answer's dialog and for the BYE.  Bounded
 * (at most max entries), thread-safe.
 */
#ifndef VS_MEDIA_CALLS_H
#define VS_MEDIA_CALLS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/pl.h"
#include "transport/flow.h"

#define MEDIA_CALLID_MAX 128

#define MEDIA_TAG_MAX 64

/* What a call's later offers (re-INVITE, UPDATE) need to know. */
struct media_call_info {
	uint32_t id;
	uint16_t ports[2];	  /* relay RTP ports: [0] faces the caller */
	uint8_t af[2];		  /* 4 or 6, per leg */
	char addr[2][48];	  /* the relay's address per leg, as SDP
				     writes it */
	char caller_tag[MEDIA_TAG_MAX]; /* the caller's From tag */
	uint8_t caller_tag_len;
	char callee_tag[MEDIA_TAG_MAX]; /* the To tag of the first 2xx: the
					   dialog the session belongs to */
	uint8_t callee_tag_len;
	/* SRTP: per leg on or off, the suite, the relay's own master keys
	 * (what it protects with towards each leg; random per call). */
	bool srtp[2], srtp_call;
	uint8_t suite;
	uint8_t relay_key[2][46];
	/* The last offer, for its answer (which may come in an ACK). */
	int8_t stream;	   /* the relayed media section */
	uint8_t leg_in;	   /* the leg the offer came from (0: the caller) */
	bool out_required; /* the answering side must answer SRTP */
	bool late;	   /* the offer came in a response to an INVITE
			      without SDP: its answer comes in the ACK */
	bool answered;	   /* the answer was taken (a retransmitted ACK is
			      only rewritten) */
	bool offer_mux;	   /* the offer had a=rtcp-mux */
	bool udptl;	   /* the stream is T.38 (UDPTL): plain, no keys */
	uint32_t in_tag;   /* the offerer's chosen a=crypto tag */
	char in_proto[16]; /* the offerer's protocol */
};

/*
 * What ending an answered call takes: a BYE to each side, as the other
 * side would send it (RFC 3261 15.1.1), when its media stops
 * (media.timeout).  Leg 0 is the caller, 1 the callee.  One allocation,
 * bounded: longer values are not kept (that call is not ended by us).
 */
#define MEDIA_DLG_VALUE_MAX 256
#define MEDIA_DLG_ROUTE_MAX 512

struct media_dialog {
	struct vs_flow flow[2];	   /* where each side's requests go */
	uint32_t cseq[2];	   /* the highest CSeq seen from each side */
	char callid[MEDIA_CALLID_MAX + 1];
	char addr[2][MEDIA_DLG_VALUE_MAX];    /* From / To values, with tags */
	char contact[2][MEDIA_DLG_VALUE_MAX]; /* each side's Contact URI */
	char route[2][MEDIA_DLG_ROUTE_MAX];   /* Route values towards each
						 side, or "" */
};

struct media_call {
	char callid[MEDIA_CALLID_MAX];
	uint8_t len;
	struct media_call_info info;
	struct media_dialog *dlg; /* once answered; owned here */
	int32_t next; /* in the bucket, or in the free list */
	int32_t next_id; /* in the bucket of its session id */
};

struct media_calls {
	pthread_mutex_t lock;
	struct media_call *e;
	int32_t *bucket;    /* by Call-ID */
	int32_t *by_id;	    /* by session id (nbuckets too) */
	uint32_t nbuckets, max, used;
	int32_t free;
};

int media_calls_init(struct media_calls *c, uint32_t max);
void media_calls_destroy(struct media_calls *c);
/* Remember info for callid (replacing an older one).  0, ENOSPC or
 * EINVAL (a Call-ID longer than MEDIA_CALLID_MAX). */
int media_calls_put(struct media_calls *c, const struct pl *callid,
		    const struct media_call_info *info);
/* The session id for callid, or 0, with its info copied to out (unless
 * NULL); with take, the entry goes. */
uint32_t media_calls_get(struct media_calls *c, const struct pl *callid,
			 bool take, struct media_call_info *out);

/* Keep dlg (owned from now on, freed if callid has no entry) for the
 * call of callid.  0 or ENOENT. */
int media_calls_set_dialog(struct media_calls *c, const struct pl *callid,
			   struct media_dialog *dlg);
/* callid's side leg sent a request with this CSeq: later BYEs go above. */
void media_calls_cseq(struct media_calls *c, const struct pl *callid,
		      unsigned leg, uint32_t cseq);
/* The entry of session id goes; its dialog is returned (the caller owns
 * it), or NULL. */
struct media_dialog *media_calls_take_session(struct media_calls *c,
					      uint32_t id);

/* Drop the entries whose session is gone (alive(arg, id) false): sessions
 * the relay closed for lack of media.  Returns how many went. */
uint32_t media_calls_sweep(struct media_calls *c,
			   bool (*alive)(void *arg, uint32_t id), void *arg);

#endif
