/*
 * shield.h - the shield: access zones, per-source rate limits, bans,
 * scanner and password-cracking detection (threats T1 to T4 and T14 in
 * THREATS.md; docs/shield.md explains each decision).
 *
 * One struct shield is shared by every worker.  Its state lives in three
 * bounded tables (srctab.h): what is known about each recent source (token
 * buckets, offence counters), bans (with repeat-offender history), and
 * failed logins per user (lockouts).  Every decision is counted in the
 * caller's stats and written as a security event (events/event.h), at
 * most events.rate a second per source.
 *
 * The cheap checks run before a message is parsed (shield_packet): zone
 * access lists, bans, token buckets by method (read from the first bytes).
 * The others run where the facts are known: malformed messages after the
 * parser, scanners on the parsed headers, authentication results in the
 * registrar and proxy.
 */
#ifndef VS_SHIELD_SHIELD_H
#define VS_SHIELD_SHIELD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/pl.h"
#include "core/stats.h"
#include "events/event.h"
#include "shield/srctab.h"
#include "sip/msg.h"
#include "transport/flow.h"

enum shield_reason {
	SHIELD_BAN_MANUAL,
	SHIELD_BAN_RATE,
	SHIELD_BAN_MALFORMED,
	SHIELD_BAN_AUTH,
	SHIELD_BAN_SCANNER,
	SHIELD_BAN_ENUMERATION,
	SHIELD_BAN_TLS,
	SHIELD_BAN_REASON_COUNT
};
const char *shield_reason_name(enum shield_reason r);
/* -1 when unknown. */
int shield_reason_from_name(const char *name);

/* A ban as kept and stored. */
struct shield_ban {
	int64_t until;	    /* Unix seconds; 0 or past: not banned now */
	int64_t last;	    /* Unix seconds of the last ban */
	uint32_t offences;  /* bans so far (doubles the next one's length) */
	uint8_t reason;	    /* enum shield_reason of the last ban */
	bool manual;	    /* set by an operator: not lengthened, not forgotten */
};

/* Where a ban change goes to be stored (the daemon's store writer). */
typedef void (*shield_persist_h)(void *ctx, const struct srctab_key *k,
				 const struct shield_ban *b);

struct shield {
	struct srctab src;   /* struct src_state by source */
	struct srctab bans;  /* struct shield_ban by source */
	struct srctab users; /* struct user_state by user name */
	struct vs_events *events;
	shield_persist_h persist; /* NULL: bans are not stored */
	void *persist_ctx;
};

/* What a call needs to know about now. */
struct shield_ctx {
	const struct vs_config *cfg;
	struct vs_stats *stats;
	uint64_t now_ms; /* monotonic */
	int64_t wall;	 /* Unix seconds */
};

/* Tables sized from cfg->shield.  0 or ENOMEM. */
int shield_init(struct shield *s, const struct vs_config *cfg,
		struct vs_events *events);
void shield_free(struct shield *s);

enum shield_verdict {
	SHIELD_PASS,
	SHIELD_DROP, /* drop silently (counted) */
	SHIELD_SHED, /* over a rate budget: 503 with Retry-After if a request */
};

/* The listener a flow came in on, as a zone (0xff: our own outbound
 * connection, which gets the first zone's rules and no access list). */
const struct vs_zone *shield_zone(const struct vs_config *cfg,
				  const struct vs_flow *flow);

/* Before parsing: zone access lists, bans, rate limits. */
enum shield_verdict shield_packet(struct shield *s, const struct shield_ctx *c,
				  const struct vs_flow *flow, const char *buf,
				  size_t len);
/* A TCP or TLS connection is being accepted: false to refuse it (zone,
 * ban, or for TLS the source's handshake budget). */
bool shield_accept(struct shield *s, const struct shield_ctx *c,
		   const struct vs_sockaddr *peer, uint8_t listener, bool tls);
/* A TLS handshake failed or did not finish in time: counted against the
 * source, which is banned after ban.tls_failures in the window. */
void shield_tls_failed(struct shield *s, const struct shield_ctx *c,
		       const struct vs_sockaddr *peer);
/* After parsing a request: false to drop it (a scanner, now banned). */
bool shield_request(struct shield *s, const struct shield_ctx *c,
		    const struct vs_flow *flow, const struct sip_msg *m);
/* A message that did not parse. */
void shield_malformed(struct shield *s, const struct shield_ctx *c,
		      const struct vs_flow *flow, const char *why);
/* A request challenged for credentials it did not send, for user (the
 * To user of a REGISTER, the From user otherwise): counts the distinct
 * user names a source tries without ever logging in (enumeration). */
void shield_challenged(struct shield *s, const struct shield_ctx *c,
		       const struct vs_flow *flow, const struct pl *user);
/*
 * The result of checking credentials for user: ok or not.  A failure
 * counts against the source (ban) and the user (lockout).  Returns the
 * result to act on: false for a correct password of a locked-out user
 * tried from a source that has not logged in as that user before the
 * lockout (the caller then answers exactly as for a wrong password).
 */
bool shield_auth_result(struct shield *s, const struct shield_ctx *c,
			const struct vs_flow *flow, const struct pl *user,
			bool ok);

/* Manual or automatic ban of an address: seconds 0 = by policy (first
 * ban_time, doubling for repeat offenders up to ban_max_time). */
void shield_ban(struct shield *s, const struct shield_ctx *c,
		const struct srctab_key *k, uint32_t seconds,
		enum shield_reason why, bool manual, const char *detail);
/* Lift a ban (and forget the history).  True if there was one. */
bool shield_unban(struct shield *s, const struct shield_ctx *c,
		  const struct srctab_key *k);
/* Is the address banned now? */
bool shield_is_banned(struct shield *s, const struct srctab_key *k,
		      int64_t wall);
/* Put back a stored ban at start (no event, not stored again). */
void shield_ban_restore(struct shield *s, const struct srctab_key *k,
			const struct shield_ban *b);
/* Call fn for each ban (active, or expired with history); fn must not
 * call back into the shield. */
void shield_ban_foreach(struct shield *s,
			void (*fn)(const struct srctab_key *k,
				   const struct shield_ban *b, void *arg),
			void *arg);
/* Expire bans: unban events for those that ended, history forgotten
 * after ban_forget (and deleted from the store).  Returns the number of
 * active bans. */
uint32_t shield_sweep(struct shield *s, const struct shield_ctx *c);

#endif
