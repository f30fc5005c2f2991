/*
 * proxy_media.h - anchoring a call's media on the relay (media.enabled):
 * the offer in an initial INVITE and the answer in its 18x/2xx are
 * rewritten to name the relay, and the relay expects each phone at the
 * address its SDP named; the session ends with the call (a failed or
 * cancelled INVITE, or the BYE).
 *
 * This release relays the first RTP stream of an offer; any other media
 * section is refused (port 0), ICE attributes are removed (candidates
 * would let media go around the relay), and each leg uses the address of
 * the listener that faces its phone.  Offers come in INVITEs and UPDATEs,
 * or, for an INVITE without SDP (a late offer), in its response, with the
 * answer in the ACK.
 *
 * SRTP (SDES): never passed through.  A leg whose phone offers or answers
 * SRTP gets it with the phone's key for what it sends and a fresh random
 * key of the relay's for what it receives, so no phone learns another's
 * key; the relay bridges.  The callee is offered SRTP when the caller
 * offered it, or when its zone requires SRTP (zones.srtp, media.srtp), and
 * keys go only over TLS unless media.sdes_over_plain allows otherwise.
 */
#ifndef VS_PROXY_PROXY_MEDIA_H
#define VS_PROXY_PROXY_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "media/calls.h"
#include "proxy/server.h"

struct proxy_media {
	uint32_t id;	   /* relay session, 0: none */
	uint16_t ports[2]; /* relay RTP ports: [0] faces the caller */
	bool established;  /* a 2xx went up, or a later offer: the session
			      lives to the BYE */
	bool got_2xx;	   /* a 2xx came: later ones (another branch of a
			      fork) do not move the relay */
	char callid[MEDIA_CALLID_MAX];
	uint8_t callid_len;
	char *body;	   /* the offer as the callee sees it */
	size_t body_len;
	struct media_call_info info; /* as in the Call-ID table */
	struct media_dialog *dlg; /* an initial INVITE's, until its 2xx hands
				     it to the Call-ID table */
};

/* The side an offer goes to: all its targets reached over TLS (our SDES
 * key may go there), the strictest SRTP policy of their zones, and the
 * flow of the first target (its listener's address is the relay's on
 * that leg; NULL: the caller's). */
struct proxy_media_side {
	bool tls;
	uint8_t srtp; /* enum vs_srtp_policy */
	const struct vs_flow *flow;
};

/* An initial INVITE m from flow, going to side: 0 with pm->id 0 when
 * there is nothing to relay (no relay, no body); 0 with pm->id set and
 * pm->body the rewritten offer; or a status to answer with (488: unusable
 * SDP or refused by an SRTP policy, 503: the relay is full). */
int proxy_media_offer(struct sip_server *srv, const struct sip_msg *m,
		      const struct vs_flow *flow,
		      const struct proxy_media_side *side,
		      struct proxy_media *pm);
/* A later offer in the dialog (re-INVITE or UPDATE with SDP, m has a
 * To tag): the same session, the offering side re-expected where it now
 * says (hold: nowhere), the offer rewritten for the other side.  Same
 * returns as proxy_media_offer; pm->id 0 when the call has no session. */
int proxy_media_reoffer(struct sip_server *srv, const struct sip_msg *m,
			const struct vs_flow *flow,
			const struct proxy_media_side *side,
			struct proxy_media *pm);
/* A response with SDP, from resp_flow, to the request that came over
 * req_flow; the SDP to forward goes to buf (true).  Usually the answer:
 * the relay expects the answering side where it says and opens.  For an
 * INVITE without SDP it is the offer (a late offer): rewritten for the
 * requester, whose answer comes in the ACK (proxy_media_ack).  Without
 * apply the answer is only rewritten (a second 2xx of a forked call: the
 * relay stays with the first). */
bool proxy_media_answer(struct sip_server *srv, struct proxy_media *pm,
			const struct sip_msg *resp,
			const struct vs_flow *resp_flow,
			const struct vs_flow *req_flow, bool apply, char *buf,
			size_t cap, size_t *len);
/* An ACK with SDP: the answer to a late offer, taken by the relay (once;
 * a retransmission is only rewritten) and written for the offerer into
 * buf (true); false when the call has no late offer waiting. */
bool proxy_media_ack(struct sip_server *srv, const struct sip_msg *ack,
		     char *buf, size_t cap, size_t *len);
/* What ending the call takes (proxy_bye.c): the caller's side from the
 * INVITE that came over flow caller (NULL: out of memory, or values too
 * long), then the callee's from its 2xx (false: not usable). */
struct media_dialog *proxy_dialog_new(const struct sip_msg *invite,
				      const struct vs_flow *caller);
bool proxy_dialog_answered(struct sip_server *srv, struct media_dialog *d,
			   const struct sip_msg *resp,
			   const struct vs_flow *callee);
/* The first 2xx of an initial INVITE came from callee: the call's dialog
 * is kept with its entry in the Call-ID table. */
void proxy_media_answered(struct sip_server *srv, struct proxy_media *pm,
			  const struct sip_msg *resp,
			  const struct vs_flow *callee);
/* The relay closed session id for lack of media: the call it belonged to
 * is ended with a BYE to each side (on the worker that calls this). */
void proxy_media_timeout(struct sip_server *srv, uint32_t id);

/* The call's relay session ends (the INVITE failed, or was cancelled). */
void proxy_media_end(struct sip_server *srv, struct proxy_media *pm);
/* Free the rewritten offer and wipe the keys this exchange held (once
 * the transaction is over; the Call-ID table keeps the session's). */
void proxy_media_free_body(struct proxy_media *pm);
/* A BYE: its call's session ends, if the BYE is for the dialog the
 * session belongs to (the first 2xx's). */
void proxy_media_bye(struct sip_server *srv, const struct sip_msg *bye);

#endif
