/*
 * relay.h - the media relay engine: sessions of two legs, each leg an
 * RTP and an RTCP socket on the relay, with a pinhole per socket and an
 * optional SRTP context per direction; one media thread forwards what
 * the pinholes accept to the other leg (RTP<->SRTP bridged on the way).
 *
 * Control calls (from SIP workers) never touch what the media thread
 * owns: sockets are bound in the caller's thread, everything else is a
 * command queued to the media thread (a mutex for the queue only, an
 * eventfd to wake it).  The packet path takes no lock.
 *
 * Signaling decides what a session expects (pinhole_expect), when it
 * opens (the SDP answer) and when it ends; the relay never learns a
 * destination by itself beyond pinhole latching (pinhole.h).
 */
#ifndef VS_MEDIA_RELAY_H
#define VS_MEDIA_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/pinhole.h"
#include "sdp/sdes.h"
#include "transport/addr.h"

#define RELAY_LEGS 2
#define RELAY_MAX_THREADS 64

struct media_relay;

struct relay_conf {
	uint16_t port_lo, port_hi; /* the UDP range for RTP/RTCP pairs */
	uint32_t max_sessions;
	uint32_t timeout_s; /* a session with no media accepted for this long
			       is closed (its ports freed); 0: never */
	/* Told of injection attempts (a packet from a source that is not the
	 * leg's peer, or SRTP that does not authenticate): at most once a
	 * second per leg, from the media thread.  NULL: nobody. */
	void (*injection)(void *arg, const struct vs_sockaddr *src,
			  const char *why, uint64_t dropped);
	void *injection_arg;
	/* After a round of reads the media thread waits this long (at most
	 * 1000) so that what arrives meanwhile is read in one batch: fewer
	 * wake-ups per packet, at the cost of up to this much latency. */
	uint32_t batch_us;
	/* Told, from the media thread, of a session closed for lack of media
	 * (media.timeout) so that the call can be ended.  NULL: nobody. */
	void (*timed_out)(void *arg, uint32_t id);
	void *timed_out_arg;
	/* Media threads (1 to RELAY_MAX_THREADS; 0: 1): sessions are spread
	 * over them, each with its own sockets and no lock per packet. */
	unsigned threads;
};

/* SRTP on one leg: rx unprotects what the leg's phone sends, tx protects
 * what goes to it; keys are master key || salt (sdes_crypto.key). */
struct relay_srtp {
	bool on;
	enum sdes_suite suite;
	uint8_t rx_key[SDES_KEY_MAX + SDES_SALT_MAX];
	uint8_t tx_key[SDES_KEY_MAX + SDES_SALT_MAX];
};

struct relay_leg_conf {
	struct vs_sockaddr bind; /* the relay's address on this leg (port 0) */
	enum pin_latch latch;
	struct relay_srtp srtp;
};

/* Per session, per leg (0 and 1), what came in from that leg's phone. */
struct relay_leg_stats {
	uint64_t rx, forwarded;	  /* packets accepted, and sent on */
	uint64_t drop_closed;	  /* before the answer or after the end */
	uint64_t drop_source;	  /* not the negotiated peer: injection */
	uint64_t drop_auth;	  /* SRTP/SRTCP that did not authenticate */
	uint64_t drop_other;	  /* malformed, replayed, nowhere to send */
	uint64_t lost;		  /* RTP its phone sent that never came
				     (sequence gaps) */
	uint64_t ssrc_changes;	  /* its phone's RTP changed SSRC */
};

/* Start the media thread.  NULL with a message in err. */
struct media_relay *media_relay_start(const struct relay_conf *conf, char *err,
				      size_t errlen);
/* Stop it, closing every session; frees the relay. */
void media_relay_stop(struct media_relay *r);

/* A new session: binds an RTP/RTCP pair per leg (ports[leg] is the RTP
 * port; RTCP is the next).  Returns 0 and *id, or ENOSPC (no ports or
 * sessions left), or an errno from socket/bind. */
int media_session_create(struct media_relay *r,
			 const struct relay_leg_conf legs[RELAY_LEGS],
			 uint32_t *id, uint16_t ports[RELAY_LEGS]);
/* Signaling named leg's peer (RTP address, and RTCP, NULL: RTP port+1;
 * rtp NULL: nothing, a held or refused stream): re-arms latching (a new
 * offer or answer). */
int media_session_expect(struct media_relay *r, uint32_t id, unsigned leg,
			 const struct vs_sockaddr *rtp,
			 const struct vs_sockaddr *rtcp);
/* Set, replace (a new key exchange) or turn off (srtp->on false) SRTP
 * on a leg. */
int media_session_srtp(struct media_relay *r, uint32_t id, unsigned leg,
		       const struct relay_srtp *srtp);
/* RTCP on the RTP ports (RFC 5761, both phones agreed on rtcp-mux): RTCP
 * is told apart from RTP by its packet type, for SRTCP, and relayed on
 * the RTP ports. */
int media_session_rtcp_mux(struct media_relay *r, uint32_t id, bool mux);
/* The answer is known: media may flow both ways. */
int media_session_open(struct media_relay *r, uint32_t id);
/* The dialog ended: sockets closed, ports given back. */
int media_session_close(struct media_relay *r, uint32_t id);
/* A session's counters (0, or ENOENT); read from any thread. */
int media_session_stats(struct media_relay *r, uint32_t id,
			struct relay_leg_stats out[RELAY_LEGS]);
uint32_t media_relay_sessions(struct media_relay *r);
/* Counters over all sessions since start (what each leg's phone sent). */
void media_relay_totals(struct media_relay *r, struct relay_leg_stats *out);
/* Is session id still alive (not closed, not timed out)? */
bool media_session_alive(struct media_relay *r, uint32_t id);
/* Sessions closed for lack of media (relay_conf.timeout_s). */
uint64_t media_relay_timeouts(struct media_relay *r);
uint32_t media_relay_ports_in_use(struct media_relay *r);

#endif
