/*
 * print.h - build SIP responses and forwarded requests.
 */
#ifndef VS_SIP_PRINT_H
#define VS_SIP_PRINT_H

#include "core/mbuf.h"
#include "sip/msg.h"

/* Where a request came from, for Via received/rport (RFC 3261 18.2.1,
 * RFC 3581 4). */
struct sip_src {
	struct pl ip; /* textual address, IPv6 without brackets */
	uint16_t port;
};

struct sip_reply {
	uint16_t status;
	const char *reason;
	struct pl to_tag;        /* added to To when it has none (not for 100) */
	const struct sip_src *src;
	const char *extra;       /* extra header lines, each ending in CRLF */
	struct pl body;
	const char *content_type; /* required when body is set */
};

/*
 * A response to req per RFC 3261 8.2.6: the Via fields (top one with
 * received and rport), From, To with a tag, Call-ID and CSeq copied, then
 * the extra headers, Content-Length and the body.  Returns 0 or EOVERFLOW.
 */
int sip_reply_print(struct mbuf *out, const struct sip_msg *req,
		    const struct sip_reply *r);

struct sip_fwd {
	struct pl via;         /* via-parm for the new top Via */
	const struct pl *ruri; /* new Request-URI, or NULL to keep it */
	const struct sip_src *src; /* received/rport for the old top Via */
	const char *extra;     /* header lines after the Vias (Record-Route),
				* each ending in CRLF, or NULL */
	bool replace_routes;   /* write routes[] instead of the Route fields */
	const struct pl *routes; /* route values (name-addr), in order */
	unsigned nroutes;
	const struct pl *body;	 /* a new body (the relay's SDP), or NULL */
};

/*
 * A request forwarded per RFC 3261 16.6: new top Via, Max-Forwards
 * decremented (70 inserted when absent), Content-Length set to the body
 * and every other field copied in order.  Folded fields are unfolded.
 * Returns 0 or EOVERFLOW.
 */
int sip_fwd_print(struct mbuf *out, const struct sip_msg *req,
		  const struct sip_fwd *f);

/* A response passed upstream (RFC 3261 16.7 step 9): the top Via value
 * removed, everything else copied; body replaces the body unless NULL.
 * Returns 0 or EOVERFLOW. */
int sip_resp_fwd_print(struct mbuf *out, const struct sip_msg *resp,
		       const struct pl *body);

/* The CANCEL for a request we sent (RFC 3261 9.1).  0 or EOVERFLOW. */
int sip_cancel_print(struct mbuf *out, const struct sip_msg *req);

/* The ACK for a non-2xx final response to an INVITE we sent (RFC 3261
 * 17.1.1.3): To from the response, the rest from the request. */
int sip_ack_print(struct mbuf *out, const struct sip_msg *req,
		  const struct sip_msg *resp);

#endif
