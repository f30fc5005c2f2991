/*
 * proxy_media.c - SDP offer and answer through the relay (see
 * proxy_media.h).
 */
#include "proxy/proxy_media.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "media/relay.h"
#include "sdp/sdp.h"

#define SDP_OUT_MAX 8192

/* The first media section a relay can carry: RTP, a port. */
static int rtp_stream(const struct sdp_session *s)
{
	for (unsigned i = 0; i < s->nmedia; i++) {
		const struct sdp_media *m = &s->m[i];
		if (m->port && m->proto.l >= 3 && !memcmp(m->proto.p, "RTP", 3))
			return (int)i;
	}
	return -1;
}

/* The address and port SDP section i names, as a socket address. */
static bool sdp_peer(const struct sdp_session *s, int i, struct vs_sockaddr *out)
{
	const struct sdp_conn *c = sdp_media_conn(s, (unsigned)i);
	char ip[VS_IPSTR_MAX];

	memset(out, 0, sizeof(*out));
	if (!c->af || c->addr.l >= sizeof(ip))
		return false;
	pl_strcpy(&c->addr, ip, sizeof(ip));
	if (c->af == 4 && inet_pton(AF_INET, ip, &out->u.in.sin_addr) == 1) {
		out->u.in.sin_family = AF_INET;
		out->u.in.sin_port = htons(s->m[i].port);
		out->len = sizeof(out->u.in);
		return true;
	}
	if (c->af == 6 && inet_pton(AF_INET6, ip, &out->u.in6.sin6_addr) == 1) {
		out->u.in6.sin6_family = AF_INET6;
		out->u.in6.sin6_port = htons(s->m[i].port);
		out->len = sizeof(out->u.in6);
		return true;
	}
	return false; /* a host name: not ours to resolve */
}

/* s with stream relayed on port and every other section refused. */
static int write_sdp(const struct sdp_session *s, int stream,
		     const struct proxy_media *pm, uint16_t port, char *buf,
		     size_t cap, size_t *len)
{
	struct sdp_edit e;
	struct mbuf mb;

	memset(&e, 0, sizeof(e));
	e.addr = pm->addr;
	e.af = pm->af;
	for (unsigned i = 0; i < s->nmedia; i++) {
		e.m[i].port = (int)i == stream ? port : 0;
		e.m[i].strip_ice = true;
	}
	mbuf_init(&mb, buf, cap);
	if (sdp_write(s, &e, &mb))
		return ENOSPC;
	*len = mb.len;
	return 0;
}

static bool session_alive(void *arg, uint32_t id)
{
	return media_session_alive(arg, id);
}

int proxy_media_offer(struct sip_server *srv, const struct sip_msg *m,
		      const struct vs_flow *flow, struct proxy_media *pm)
{
	struct media_relay *r = srv->svc ? srv->svc->media : NULL;
	static __thread struct sdp_session s;
	struct relay_leg_conf legs[RELAY_LEGS];
	struct vs_sockaddr peer;
	enum sdp_error se;
	int err;

	memset(pm, 0, sizeof(*pm));
	if (!r || !m->body.l)
		return 0;
	se = sdp_parse(m->body.p, m->body.l, &s);
	if (se != SDP_OK) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_BAD_SDP);
		return 488;
	}
	pm->stream = rtp_stream(&s);
	if (pm->stream < 0 || !sdp_peer(&s, pm->stream, &peer)) {
		/* No RTP stream with an address we can relay to: letting it
		 * through would let media go around the relay. */
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_NOT_RELAYED);
		return 488;
	}
	/* Both legs on the address of the listener the call came in on (a
	 * call over a connection we opened: the first listener of its
	 * address family). */
	memset(legs, 0, sizeof(legs));
	{
		size_t li = flow->listener;
		for (size_t i = 0; li >= srv->cfg->nlisten && i < srv->cfg->nlisten; i++)
			if (srv->cfg->listen[i].sa.ss_family == flow->peer.u.sa.sa_family)
				li = i;
		if (li >= srv->cfg->nlisten)
			return 488;
		memcpy(&legs[0].bind.u, &srv->cfg->listen[li].sa,
		       srv->cfg->listen[li].salen);
		legs[0].bind.len = srv->cfg->listen[li].salen;
	}
	if (vs_sa_is_any(&legs[0].bind))
		return 488; /* a wildcard listener names no relay address */
	legs[0].latch = legs[1].latch = (enum pin_latch)srv->cfg->media_latch;
	legs[1].bind = legs[0].bind;
	vs_sa_ip_str(&legs[0].bind, pm->addr, sizeof(pm->addr));
	pm->af = legs[0].bind.u.sa.sa_family == AF_INET6 ? 6 : 4;
	if (m->call_id.l > MEDIA_CALLID_MAX)
		return 488;
	err = media_session_create(r, legs, &pm->id, pm->ports);
	if (err) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_FULL);
		vs_log_limited(VS_LOG_WARN, "media-full",
			       "media relay: no session for a call: %s (media.max_sessions, media.port_min/port_max)",
			       strerror(err));
		pm->id = 0;
		return 503;
	}
	media_session_expect(r, pm->id, 0, &peer, NULL);
	pm->body = malloc(SDP_OUT_MAX);
	if (!pm->body ||
	    write_sdp(&s, pm->stream, pm, pm->ports[1], pm->body, SDP_OUT_MAX,
		      &pm->body_len)) {
		proxy_media_end(srv, pm);
		return 500;
	}
	memcpy(pm->callid, m->call_id.p, m->call_id.l);
	pm->callid_len = (uint8_t)m->call_id.l;
	{
		struct pl cid = pl_make(pm->callid, pm->callid_len);
		struct media_call_info info;
		memset(&info, 0, sizeof(info));
		info.id = pm->id;
		info.ports[0] = pm->ports[0];
		info.ports[1] = pm->ports[1];
		info.af = pm->af;
		memcpy(info.addr, pm->addr, sizeof(info.addr));
		if (m->from.tag.l <= MEDIA_TAG_MAX) {
			memcpy(info.caller_tag, m->from.tag.p, m->from.tag.l);
			info.caller_tag_len = (uint8_t)m->from.tag.l;
		}
		int e = media_calls_put(srv->svc->calls, &cid, &info);
		if (e == ENOSPC &&
		    media_calls_sweep(srv->svc->calls, session_alive, r))
			e = media_calls_put(srv->svc->calls, &cid, &info);
		if (e) {
			proxy_media_end(srv, pm);
			return 503;
		}
	}
	vs_stat_inc(srv->stats, VS_STAT_MEDIA_SESSIONS);
	return 0;
}

int proxy_media_reoffer(struct sip_server *srv, const struct sip_msg *m,
			struct proxy_media *pm)
{
	static __thread struct sdp_session s;
	struct media_call_info info;
	struct vs_sockaddr peer;

	memset(pm, 0, sizeof(pm[0]));
	if (!srv->svc || !srv->svc->media || !m->body.l ||
	    !media_calls_get(srv->svc->calls, &m->call_id, false, &info))
		return 0;
	if (sdp_parse(m->body.p, m->body.l, &s) != SDP_OK) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_BAD_SDP);
		return 488;
	}
	pm->stream = rtp_stream(&s);
	if (pm->stream < 0) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_NOT_RELAYED);
		return 488;
	}
	pm->id = info.id;
	pm->ports[0] = info.ports[0];
	pm->ports[1] = info.ports[1];
	pm->af = info.af;
	memcpy(pm->addr, info.addr, sizeof(pm->addr));
	/* Who offers: the caller (its From tag) or the callee. */
	pm->leg_in = !(m->from.tag.l == info.caller_tag_len &&
		       !memcmp(m->from.tag.p, info.caller_tag, info.caller_tag_len));
	pm->established = true; /* a failed re-offer does not end the call */
	if (sdp_peer(&s, pm->stream, &peer))
		media_session_expect(srv->svc->media, pm->id, pm->leg_in, &peer,
				     NULL);
	else
		media_session_expect(srv->svc->media, pm->id, pm->leg_in, NULL,
				     NULL); /* hold (c=0.0.0.0) or a host name */
	pm->body = malloc(SDP_OUT_MAX);
	if (!pm->body ||
	    write_sdp(&s, pm->stream, pm, pm->ports[1 - pm->leg_in], pm->body,
		      SDP_OUT_MAX, &pm->body_len)) {
		free(pm->body);
		pm->body = NULL;
		pm->id = 0;
		return 500;
	}
	return 0;
}

bool proxy_media_answer(struct sip_server *srv, struct proxy_media *pm,
			const struct sip_msg *resp, char *buf, size_t cap,
			size_t *len)
{
	static __thread struct sdp_session s;
	struct vs_sockaddr peer;

	if (!pm->id || !resp->body.l ||
	    sdp_parse(resp->body.p, resp->body.l, &s) != SDP_OK ||
	    pm->stream >= (int)s.nmedia) {
		return false;
	}
	if (s.m[pm->stream].port && sdp_peer(&s, pm->stream, &peer))
		media_session_expect(srv->svc->media, pm->id, 1 - pm->leg_in,
				     &peer, NULL);
	else
		media_session_expect(srv->svc->media, pm->id, 1 - pm->leg_in,
				     NULL, NULL); /* refused or held */
	media_session_open(srv->svc->media, pm->id);
	return write_sdp(&s, pm->stream, pm,
			 s.m[pm->stream].port ? pm->ports[pm->leg_in] : 0, buf,
			 cap, len) == 0;
}

void proxy_media_end(struct sip_server *srv, struct proxy_media *pm)
{
	/* At shutdown the relay may be gone before the last transactions. */
	if (pm->id && srv->svc->media) {
		struct pl cid = pl_make(pm->callid, pm->callid_len);
		if (pm->callid_len)
			(void)media_calls_get(srv->svc->calls, &cid, true, NULL);
		media_session_close(srv->svc->media, pm->id);
	}
	pm->id = 0;
	free(pm->body);
	pm->body = NULL;
}

void proxy_media_bye(struct sip_server *srv, const struct pl *callid)
{
	uint32_t id;

	if (!srv->svc || !srv->svc->media)
		return;
	id = media_calls_get(srv->svc->calls, callid, true, NULL);
	if (id)
		media_session_close(srv->svc->media, id);
}
