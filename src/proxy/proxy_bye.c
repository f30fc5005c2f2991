/*
 * proxy_bye.c - ending a call whose media stopped (media.timeout): what
 * a BYE to each side needs is kept when the call is answered, and when the
 * relay closes the call's session for lack of media, the proxy sends each
 * side the BYE the other side would have sent (RFC 3261 15.1.1), with a
 * Reason header (RFC 3326) saying why.
 */
#include "proxy/proxy_media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "proxy/proxy.h"
#include "sip/local.h"
#include "sip/tsx.h"

/* Copy p into a buffer of cap bytes; false if it does not fit. */
static bool keep(char *dst, size_t cap, const struct pl *p)
{
	if (p->l >= cap)
		return false;
	memcpy(dst, p->p, p->l);
	dst[p->l] = 0;
	return true;
}

struct media_dialog *proxy_dialog_new(const struct sip_msg *invite,
				      const struct vs_flow *caller)
{
	struct media_dialog *d = calloc(1, sizeof(*d));
	struct sip_hdr_iter it;
	struct sip_addr a;

	if (!d)
		return NULL;
	d->flow[0] = *caller;
	d->cseq[0] = invite->cseq.num;
	sip_hdr_iter_init(&it, invite, SIP_HDR_CONTACT);
	if (!keep(d->callid, sizeof(d->callid), &invite->call_id) ||
	    !keep(d->addr[0], sizeof(d->addr[0]), &invite->from.value) ||
	    sip_addr_next(&it, &a, SIP_ADDR_CONTACT) || a.star ||
	    !keep(d->contact[0], sizeof(d->contact[0]), &a.uri_raw)) {
		free(d);
		return NULL; /* not a call we could end by ourselves */
	}
	return d;
}

/* Append "<uri>" values to a Route list. */
static bool route_add(char *route, size_t cap, const struct pl *value)
{
	size_t n = strlen(route);
	int w = snprintf(route + n, cap - n, "%s%.*s", n ? ", " : "",
			 (int)value->l, value->p);
	return w >= 0 && (size_t)w < cap - n;
}

bool proxy_dialog_answered(struct sip_server *srv, struct media_dialog *d,
			   const struct sip_msg *resp,
			   const struct vs_flow *callee)
{
	struct sip_hdr_iter it;
	struct sip_addr a;
	struct pl rr[32];
	unsigned n = 0, first = 0, last = 0;
	bool ours = false;
	int err;

	d->flow[1] = *callee;
	sip_hdr_iter_init(&it, resp, SIP_HDR_CONTACT);
	if (!keep(d->addr[1], sizeof(d->addr[1]), &resp->to.value) ||
	    !pl_isset(&resp->to.tag) ||
	    sip_addr_next(&it, &a, SIP_ADDR_CONTACT) || a.star ||
	    !keep(d->contact[1], sizeof(d->contact[1]), &a.uri_raw))
		return false;
	/* The Record-Route set, in the order the 2xx carries it: above our
	 * own entries (one, or two when we changed transport) are the hops
	 * towards the callee, below them those towards the caller. */
	sip_hdr_iter_init(&it, resp, SIP_HDR_RECORD_ROUTE);
	while ((err = sip_addr_next(&it, &a, SIP_ADDR_ROUTE)) == 0) {
		bool us = sip_local_is_us(srv->local, &a.uri);
		if (n == sizeof(rr) / sizeof(rr[0]))
			return false;
		if (us && !ours) {
			ours = true;
			first = n;
		}
		if (us)
			last = n;
		rr[n++] = a.value;
	}
	if (err != ENOENT)
		return false;
	if (!ours) /* not record-routed through us: nothing to add */
		first = last = n;
	for (unsigned i = first; i-- > 0;) /* nearest first */
		if (!route_add(d->route[1], sizeof(d->route[1]), &rr[i]))
			return false;
	for (unsigned i = ours ? last + 1 : n; i < n; i++)
		if (!route_add(d->route[0], sizeof(d->route[0]), &rr[i]))
			return false;
	return true;
}

/* The BYE to side leg of d, as the other side would send it. */
static void send_bye(struct sip_server *srv, const struct media_dialog *d,
		     unsigned leg)
{
	char via[256], msg[2048];
	struct sip_tsx *t;
	int n, err;

	if (proxy_new_via(srv, &d->flow[leg], via, sizeof(via)))
		return;
	n = snprintf(msg, sizeof(msg),
		     "BYE %s SIP/2.0\r\n"
		     "Via: %s\r\n"
		     "Max-Forwards: 70\r\n"
		     "%s%s%s"
		     "From: %s\r\n"
		     "To: %s\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u BYE\r\n"
		     "Reason: SIP;cause=408;text=\"no media for %u s\"\r\n"
		     "%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     d->contact[leg], via, d->route[leg][0] ? "Route: " : "",
		     d->route[leg], d->route[leg][0] ? "\r\n" : "",
		     d->addr[1 - leg], d->addr[leg], d->callid,
		     d->cseq[1 - leg] + 1, srv->cfg->media_timeout,
		     srv->cfg->agent[0] ? "User-Agent: " : "", srv->cfg->agent,
		     srv->cfg->agent[0] ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return;
	/* Its own transaction (retransmitted over UDP); whatever the answer,
	 * the call is over for us. */
	t = sip_tsx_client_start(srv->tsx, msg, (size_t)n, &d->flow[leg], NULL,
				 NULL, &err);
	if (t)
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_TIMEOUT_BYES);
	sip_tsx_put(t);
}

void proxy_media_timeout(struct sip_server *srv, uint32_t id)
{
	struct media_dialog *d;

	if (!srv->svc || !srv->svc->calls)
		return;
	d = media_calls_take_session(srv->svc->calls, id);
	if (!d)
		return; /* not answered, or already ended */
	vs_log(VS_LOG_INFO, "media relay: call %s had no media for %u s: ending it (BYE to both sides)",
	       d->callid, srv->cfg->media_timeout);
	send_bye(srv, d, 1);
	send_bye(srv, d, 0);
	free(d);
}
