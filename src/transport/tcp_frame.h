/*
 * tcp_frame.h - cut SIP messages out of a byte stream (RFC 3261 18.3).
 *
 * On a stream, a message is its header section up to the empty line plus
 * exactly Content-Length bytes of body; Content-Length is mandatory.
 * CRLF keep-alives (RFC 5626 3.5.1) are recognised between messages.
 * The function is pure: the connection code feeds it its buffer.
 */
#ifndef VS_TRANSPORT_TCP_FRAME_H
#define VS_TRANSPORT_TCP_FRAME_H

#include <stddef.h>

enum tcp_frame {
	TCP_FRAME_NEED_MORE = 0, /* read more, then call again */
	TCP_FRAME_MESSAGE,	 /* a message of *consumed bytes */
	TCP_FRAME_PING,		 /* CRLFCRLF: answer with a CRLF pong */
	TCP_FRAME_SKIP,		 /* stray line ends before a message */
	TCP_FRAME_ERROR,	 /* no or bad Content-Length: close */
	TCP_FRAME_TOO_BIG,	 /* over max_msg: close */
};

/*
 * Progress on one growing buffer between calls, so that a message arriving
 * in many pieces is scanned once, not once per piece.
 */
struct tcp_frame_state {
	size_t scanned; /* bytes searched for the empty line so far */
	size_t msg_len; /* once the header section is complete: message size */
};

static inline void tcp_frame_reset(struct tcp_frame_state *st)
{
	st->scanned = 0;
	st->msg_len = 0;
}

/*
 * Examine buf[0..len).  st carries progress between calls on the same
 * growing buffer: zero it to start, and reset it after consuming bytes.
 * On MESSAGE, PING and SKIP, *consumed is the number of bytes to take off
 * the front.
 */
enum tcp_frame tcp_frame_next(const char *buf, size_t len, size_t max_msg,
			      struct tcp_frame_state *st, size_t *consumed);

#endif
