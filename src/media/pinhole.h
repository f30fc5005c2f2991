/*
 * pinhole.h - which packets a relay socket accepts, and where media for
 * a leg may go (threat T7/T8: injection, RTP bleed).
 *
 * A pinhole belongs to one relay socket (the RTP or the RTCP port of one
 * call leg).  It opens when signaling has produced an SDP answer (in a
 * 183 or a 200) and closes when the dialog ends.  While open it accepts
 * packets from one source only:
 *   - PIN_LATCH_IP: the first packet whose IP is the one the leg's SDP
 *     named latches that IP and port (a phone behind a port-rewriting
 *     NAT keeps its IP);
 *   - PIN_LATCH_FIRST: the first packet after the answer latches,
 *     whatever its source (phones behind NAT that write private
 *     addresses in SDP; an operator's choice, weaker);
 * and never learns another source until signaling gives a new offer.
 * Media for the leg goes only to the latched source, else to the SDP
 * address: never to an address that came from neither.
 *
 * Pure logic, no sockets: the media threads call it per packet.
 */
#ifndef VS_MEDIA_PINHOLE_H
#define VS_MEDIA_PINHOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "transport/addr.h"

enum pin_latch {
	PIN_LATCH_IP,	 /* latch the first packet from the SDP's IP */
	PIN_LATCH_FIRST, /* latch the first packet after the answer */
};

enum pin_verdict {
	PIN_ACCEPT,
	PIN_DROP_CLOSED, /* no live call: before the answer or after the end */
	PIN_DROP_SOURCE, /* not the negotiated or latched peer: injection */
};

struct pinhole {
	struct vs_sockaddr expected; /* from the leg's SDP; len 0: none */
	struct vs_sockaddr peer;     /* latched source */
	enum pin_latch mode;
	bool open, latched;
	uint32_t drops_closed, drops_source; /* counters for this pinhole */
};

void pinhole_init(struct pinhole *p, enum pin_latch mode);
/* Signaling named the leg's address (an offer or answer from it):
 * forget the latched source; a zero address (hold) expects nothing. */
void pinhole_expect(struct pinhole *p, const struct vs_sockaddr *sdp);
/* The SDP answer is known (183 or 200): packets may flow. */
void pinhole_open(struct pinhole *p);
/* The dialog ended (BYE, CANCEL, failure, timeout). */
void pinhole_close(struct pinhole *p);
/* A packet from src arrived on the pinhole's socket. */
enum pin_verdict pinhole_check(struct pinhole *p, const struct vs_sockaddr *src);
/* Where media for this leg is sent: the latched source, else the SDP
 * address; false when there is neither (nothing may be sent). */
bool pinhole_dest(const struct pinhole *p, struct vs_sockaddr *out);

#endif
