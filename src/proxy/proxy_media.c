/*
 * proxy_media.c - SDP offer and answer through the relay (see
 * proxy_media.h).
 *
 * Legs: 0 faces the caller, 1 the callee.  An offer comes from leg_in and
 * is rewritten for the other leg; its answer comes back from the other
 * leg and is rewritten for leg_in.
 */
#include "proxy/proxy_media.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/log.h"
#include "media/relay.h"
#include "sdp/sdes.h"
#include "sdp/sdp.h"
#include "shield/shield.h"

#define SDP_OUT_MAX 8192

static bool is_udptl(const struct pl *proto)
{
	return pl_caseeq_str(proto, "udptl");
}

/* The first media section a relay can carry, with a port: RTP, or UDPTL
 * (T.38 fax, relayed as plain datagrams). */
static int rtp_stream(const struct sdp_session *s)
{
	for (unsigned i = 0; i < s->nmedia; i++) {
		const struct sdp_media *m = &s->m[i];
		if (m->port && ((m->proto.l >= 3 && !memcmp(m->proto.p, "RTP", 3)) ||
				is_udptl(&m->proto)))
			return (int)i;
	}
	return -1;
}

static bool is_savp(const struct pl *proto)
{
	return proto->l >= 8 && !memcmp(proto->p, "RTP/SAVP", 8);
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

/* The first a=crypto of section i with a suite we carry. */
static bool pick_crypto(const struct sdp_session *s, int i,
			struct sdes_crypto *out)
{
	for (unsigned k = 0; k < s->m[i].ncrypto; k++)
		if (sdes_parse(&s->m[i].crypto[k], out) == SDES_OK)
			return true;
	return false;
}

/* s for leg: stream relayed on port (protocol proto unless NULL, our
 * crypto value unless NULL; the phones' own keys never pass) and every
 * other section refused. */
static int write_sdp(const struct vs_config *cfg, const struct sdp_session *s,
		     int stream,
		     const struct proxy_media *pm, unsigned leg, uint16_t port,
		     const char *proto, const char *crypto, char *buf,
		     size_t cap, size_t *len)
{
	struct sdp_edit e;
	struct mbuf mb;

	memset(&e, 0, sizeof(e));
	e.addr = pm->info.addr[leg];
	e.af = pm->info.af[leg];
	for (unsigned i = 0; i < s->nmedia; i++) {
		e.m[i].port = (int)i == stream ? port : 0;
		e.m[i].strip_ice = !cfg->media_ice_keep;
		e.m[i].replace_crypto = true;
		if ((int)i == stream) {
			e.m[i].proto = proto;
			if (crypto) {
				e.m[i].crypto[0] = crypto;
				e.m[i].ncrypto = 1;
			}
		}
	}
	mbuf_init(&mb, buf, cap);
	if (sdp_write(s, &e, &mb))
		return ENOSPC;
	*len = mb.len;
	return 0;
}

/* SRTP on leg: the phone's key for what it sends, ours for the rest. */
static void leg_srtp(struct sip_server *srv, struct proxy_media *pm,
		     unsigned leg, const struct sdes_crypto *peer)
{
	struct relay_srtp rs;

	memset(&rs, 0, sizeof(rs));
	if (peer) {
		rs.on = true;
		rs.suite = peer->suite;
		memcpy(rs.rx_key, peer->key, peer->key_len);
		memcpy(rs.tx_key, pm->info.relay_key[leg], sizeof(rs.tx_key));
	}
	media_session_srtp(srv->svc->media, pm->id, leg, &rs);
	OPENSSL_cleanse(&rs, sizeof(rs));
}

/* Our a=crypto value for leg, with the tag the offer chose. */
static void our_crypto(const struct proxy_media *pm, unsigned leg,
		       uint32_t tag, char out[SDES_ATTR_MAX])
{
	struct sdes_crypto c;

	memset(&c, 0, sizeof(c));
	c.tag = tag;
	c.suite = (enum sdes_suite)pm->info.suite;
	c.key_len = (uint8_t)(sdes_suite_info(c.suite)->key_len +
			      sdes_suite_info(c.suite)->salt_len);
	memcpy(c.key, pm->info.relay_key[leg], c.key_len);
	sdes_format(&c, out);
	OPENSSL_cleanse(&c, sizeof(c));
}

/* The protocol without SRTP ("RTP/SAVPF" -> "RTP/AVPF"). */
static const char *plain_proto(const struct pl *p)
{
	return p->l && p->p[p->l - 1] == 'F' ? "RTP/AVPF" : "RTP/AVP";
}

/* Keep the session's state for later offers. */
static void save_info(struct sip_server *srv, struct proxy_media *pm)
{
	struct pl cid = pl_make(pm->callid, pm->callid_len);

	if (pm->callid_len)
		(void)media_calls_put(srv->svc->calls, &cid, &pm->info);
}

/* 0 to go on, or the status that refuses the offer (counted). */
static int srtp_refuse(struct sip_server *srv, int status)
{
	vs_stat_inc(srv->stats, VS_STAT_MEDIA_SRTP_REFUSED);
	return status;
}

/* An offer from leg_in in s, which came over flow and goes to side: the
 * relay set up for leg_in, and the offer for the other leg written into
 * pm->body.  0 or a status. */
static int take_offer(struct sip_server *srv, struct proxy_media *pm,
		      const struct sdp_session *s, const struct vs_flow *flow,
		      const struct proxy_media_side *side)
{
	const struct sdp_media *m = &s->m[pm->info.stream];
	unsigned out = 1 - pm->info.leg_in;
	uint8_t in_policy = shield_zone(srv->cfg, flow)->srtp;
	bool savp = is_savp(&m->proto);
	char crypto[SDES_ATTR_MAX];
	const char *proto = NULL, *our = NULL;
	struct sdes_crypto c;
	struct vs_sockaddr peer;

	memset(&c, 0, sizeof(c));
	pm->info.udptl = is_udptl(&m->proto);
	if (pm->info.udptl) {
		/* T.38 has no SRTP: a zone that requires SRTP gets no fax. */
		if (in_policy == VS_SRTP_REQUIRED || side->srtp == VS_SRTP_REQUIRED)
			return srtp_refuse(srv, 488);
	} else if (savp) {
		if (in_policy == VS_SRTP_PLAIN)
			return srtp_refuse(srv, 488); /* a plain-RTP zone */
		if (!pick_crypto(s, pm->info.stream, &c))
			return srtp_refuse(srv, 488); /* no key we can use */
		if (flow->tp != VS_TP_TLS && !srv->cfg->media_sdes_over_plain)
			return srtp_refuse(srv, 488); /* our key would cross
							 the wire in clear */
	} else if (in_policy == VS_SRTP_REQUIRED) {
		return srtp_refuse(srv, 488);
	}
	/* The first SRTP in a call decides the other side: SRTP when its
	 * zone requires it, or when the offer was SRTP and its zone allows
	 * it; either way only where keys may go. */
	if (!pm->info.srtp_call && !pm->info.udptl) {
		bool keys_ok = side->tls || srv->cfg->media_sdes_over_plain;
		bool want = side->srtp == VS_SRTP_REQUIRED ||
			    (side->srtp == VS_SRTP_OPTIONAL && savp);
		if (side->srtp == VS_SRTP_REQUIRED && !keys_ok) {
			if (savp)
				OPENSSL_cleanse(&c, sizeof(c));
			return srtp_refuse(srv, 488);
		}
		if (want || savp) {
			pm->info.srtp_call = true;
			if (vs_random(pm->info.relay_key,
				      sizeof(pm->info.relay_key)))
				return 500;
			pm->info.srtp[out] = want && keys_ok;
			pm->info.suite = savp ? (uint8_t)c.suite
					      : (uint8_t)SDES_AES_CM_128_HMAC_SHA1_80;
		}
	}
	pm->info.out_required = pm->info.srtp[out] && !pm->info.udptl &&
				side->srtp == VS_SRTP_REQUIRED;
	pm->info.answered = false;
	pm->info.offer_mux = m->rtcp_mux;
	if (savp) {
		pm->info.suite = (uint8_t)c.suite;
		pm->info.srtp[pm->info.leg_in] = true;
		pm->info.in_tag = c.tag;
		leg_srtp(srv, pm, pm->info.leg_in, &c);
		OPENSSL_cleanse(&c, sizeof(c));
	} else if (pm->info.udptl) { /* the legs' SRTP stays for later */
		leg_srtp(srv, pm, pm->info.leg_in, NULL);
	} else {
		pm->info.srtp[pm->info.leg_in] = false;
		leg_srtp(srv, pm, pm->info.leg_in, NULL);
	}
	snprintf(pm->info.in_proto, sizeof(pm->info.in_proto), "%.*s", (int)m->proto.l,
		 m->proto.p);
	if (pm->info.udptl) {
		/* as it is: no key, no protocol change */
	} else if (pm->info.srtp[out]) {
		our_crypto(pm, out, 1, crypto);
		our = crypto;
		proto = is_savp(&m->proto) ? NULL : "RTP/SAVP";
	} else if (is_savp(&m->proto)) {
		proto = plain_proto(&m->proto);
	}
	if (sdp_peer(s, pm->info.stream, &peer))
		media_session_expect(srv->svc->media, pm->id, pm->info.leg_in, &peer,
				     NULL);
	else /* hold (c=0.0.0.0) or a host name */
		media_session_expect(srv->svc->media, pm->id, pm->info.leg_in, NULL,
				     NULL);
	pm->body = malloc(SDP_OUT_MAX);
	if (!pm->body ||
	    write_sdp(srv->cfg, s, pm->info.stream, pm, out, pm->ports[out], proto, our, pm->body,
		      SDP_OUT_MAX, &pm->body_len))
		return 500;
	OPENSSL_cleanse(crypto, sizeof(crypto));
	save_info(srv, pm);
	return 0;
}

/* The address of the listener flow came in on (a connection we opened:
 * the first listener of its address family); false for none or a
 * wildcard, which names no relay address. */
static bool listener_addr(const struct vs_config *cfg,
			  const struct vs_flow *flow, struct vs_sockaddr *out)
{
	size_t li = flow->listener;

	for (size_t i = 0; li >= cfg->nlisten && i < cfg->nlisten; i++)
		if (cfg->listen[i].sa.ss_family == flow->peer.u.sa.sa_family)
			li = i;
	if (li >= cfg->nlisten)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(&out->u, &cfg->listen[li].sa, cfg->listen[li].salen);
	out->len = cfg->listen[li].salen;
	return !vs_sa_is_any(out);
}

static bool session_alive(void *arg, uint32_t id)
{
	return media_session_alive(arg, id);
}

int proxy_media_offer(struct sip_server *srv, const struct sip_msg *m,
		      const struct vs_flow *flow,
		      const struct proxy_media_side *side,
		      struct proxy_media *pm)
{
	struct media_relay *r = srv->svc ? srv->svc->media : NULL;
	static __thread struct sdp_session s;
	struct relay_leg_conf legs[RELAY_LEGS];
	struct vs_sockaddr peer;
	int err, status;

	memset(pm, 0, sizeof(*pm));
	if (!r)
		return 0;
	if (m->call_id.l > MEDIA_CALLID_MAX) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_NOT_RELAYED);
		return 488;
	}
	if (!m->body.l) {
		/* A late offer: the callee offers in its answer, the caller
		 * answers in the ACK.  The session is made now, so that
		 * the offer can name it. */
		pm->info.late = true;
		pm->info.stream = -1;
		pm->info.leg_in = 1;
	} else if (sdp_parse(m->body.p, m->body.l, &s) != SDP_OK) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_BAD_SDP);
		return 488;
	} else {
		pm->info.stream = (int8_t)rtp_stream(&s);
		if (pm->info.stream < 0 ||
		    !sdp_peer(&s, pm->info.stream, &peer)) {
			/* No RTP stream with an address we can relay to:
			 * letting it through would let media go around
			 * the relay. */
			vs_stat_inc(srv->stats, VS_STAT_MEDIA_NOT_RELAYED);
			return 488;
		}
	}
	/* Each leg on the address of the listener that faces its phone:
	 * the caller's where the INVITE came in, the callee's where the
	 * first target is reached (else the caller's). */
	memset(legs, 0, sizeof(legs));
	if (!listener_addr(srv->cfg, flow, &legs[0].bind))
		return 488; /* a wildcard listener names no relay address */
	if (!side->flow || !listener_addr(srv->cfg, side->flow, &legs[1].bind))
		legs[1].bind = legs[0].bind;
	for (unsigned l = 0; l < RELAY_LEGS; l++) {
		legs[l].latch = (enum pin_latch)srv->cfg->media_latch;
		vs_sa_ip_str(&legs[l].bind, pm->info.addr[l],
			     sizeof(pm->info.addr[l]));
		pm->info.af[l] = legs[l].bind.u.sa.sa_family == AF_INET6 ? 6 : 4;
	}
	err = media_session_create(r, legs, &pm->id, pm->ports);
	if (err) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_FULL);
		vs_log_limited(VS_LOG_WARN, "media-full",
			       "media relay: no session for a call: %s (media.max_sessions, media.port_min/port_max)",
			       strerror(err));
		pm->id = 0;
		return 503;
	}
	memcpy(pm->callid, m->call_id.p, m->call_id.l);
	pm->callid_len = (uint8_t)m->call_id.l;
	pm->info.id = pm->id;
	pm->info.ports[0] = pm->ports[0];
	pm->info.ports[1] = pm->ports[1];
	if (m->from.tag.l <= MEDIA_TAG_MAX) {
		memcpy(pm->info.caller_tag, m->from.tag.p, m->from.tag.l);
		pm->info.caller_tag_len = (uint8_t)m->from.tag.l;
	}
	{
		struct pl cid = pl_make(pm->callid, pm->callid_len);
		int e = media_calls_put(srv->svc->calls, &cid, &pm->info);
		if (e == ENOSPC &&
		    media_calls_sweep(srv->svc->calls, session_alive, r))
			e = media_calls_put(srv->svc->calls, &cid, &pm->info);
		if (e) {
			proxy_media_end(srv, pm);
			return 503;
		}
	}
	status = pm->info.late ? 0 : take_offer(srv, pm, &s, flow, side);
	if (status) {
		proxy_media_end(srv, pm);
		return status;
	}
	if (srv->cfg->media_timeout)
		pm->dlg = proxy_dialog_new(m, flow);
	vs_stat_inc(srv->stats, VS_STAT_MEDIA_SESSIONS);
	return 0;
}

int proxy_media_reoffer(struct sip_server *srv, const struct sip_msg *m,
			const struct vs_flow *flow,
			const struct proxy_media_side *side,
			struct proxy_media *pm)
{
	static __thread struct sdp_session s;
	int status;

	memset(pm, 0, sizeof(pm[0]));
	if (!srv->svc || !srv->svc->media ||
	    !media_calls_get(srv->svc->calls, &m->call_id, false, &pm->info))
		return 0;
	if (!m->body.l) {
		/* A re-INVITE without SDP: the other side offers in its
		 * answer, this one answers in the ACK. */
		pm->info.late = true;
		pm->info.stream = -1;
	} else if (sdp_parse(m->body.p, m->body.l, &s) != SDP_OK) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_BAD_SDP);
		return 488;
	} else {
		pm->info.late = false;
		pm->info.stream = (int8_t)rtp_stream(&s);
		if (pm->info.stream < 0) {
			vs_stat_inc(srv->stats, VS_STAT_MEDIA_NOT_RELAYED);
			return 488;
		}
	}
	pm->id = pm->info.id;
	pm->ports[0] = pm->info.ports[0];
	pm->ports[1] = pm->info.ports[1];
	memcpy(pm->callid, m->call_id.p, m->call_id.l);
	pm->callid_len = (uint8_t)m->call_id.l;
	/* Who offers: the caller (its From tag) or the callee. */
	pm->info.leg_in = !(m->from.tag.l == pm->info.caller_tag_len &&
		       !memcmp(m->from.tag.p, pm->info.caller_tag,
			       pm->info.caller_tag_len));
	pm->established = true; /* a failed re-offer does not end the call */
	media_calls_cseq(srv->svc->calls, &m->call_id, pm->info.leg_in,
			 m->cseq.num);
	if (pm->info.late) {
		pm->info.leg_in = (uint8_t)(1 - pm->info.leg_in);
		return 0;
	}
	status = take_offer(srv, pm, &s, flow, side);
	if (status) {
		proxy_media_free_body(pm);
		pm->id = 0;
	}
	return status;
}

/* The answer in s to the offer pm holds.  With apply, the answering leg
 * is set up and the session opened; either way the answer for the
 * offerer is written into buf (a retransmitted ACK gets it again). */
static bool take_answer(struct sip_server *srv, struct proxy_media *pm,
			const struct sdp_session *s, bool apply, char *buf,
			size_t cap, size_t *len)
{
	unsigned out = 1 - pm->info.leg_in;
	char crypto[SDES_ATTR_MAX];
	const char *proto = NULL, *our = NULL;
	struct vs_sockaddr peer;
	struct sdes_crypto c;
	const struct sdp_media *m;
	bool ok, srtp_ok;

	if (pm->info.stream < 0 || pm->info.stream >= (int)s->nmedia)
		return false;
	m = &s->m[pm->info.stream];
	if (apply) {
		/* The answering leg: SRTP if we offered it and it answered
		 * a key. */
		srtp_ok = pm->info.srtp[out] && !pm->info.udptl &&
			  pick_crypto(s, pm->info.stream, &c);
		if (srtp_ok) {
			leg_srtp(srv, pm, out, &c);
			OPENSSL_cleanse(&c, sizeof(c));
		} else {
			if (!pm->info.udptl) /* T.38 leaves it for later */
				pm->info.srtp[out] = false;
			leg_srtp(srv, pm, out, NULL);
		}
		if (pm->info.out_required && !srtp_ok) {
			/* Its zone requires SRTP, it answered plain: nothing
			 * goes to it or comes from it. */
			vs_stat_inc(srv->stats, VS_STAT_MEDIA_SRTP_REFUSED);
			vs_log_limited(VS_LOG_WARN, "media-srtp-answer",
				       "media relay: call %.*s: the answer has no usable SRTP key but its zone requires SRTP; that leg gets no media",
				       (int)pm->callid_len, pm->callid);
			media_session_expect(srv->svc->media, pm->id, out, NULL,
					     NULL);
		} else if (m->port && sdp_peer(s, pm->info.stream, &peer)) {
			media_session_expect(srv->svc->media, pm->id, out, &peer,
					     NULL);
		} else { /* refused or held */
			media_session_expect(srv->svc->media, pm->id, out, NULL,
					     NULL);
		}
		/* a=rtcp-mux passes through: both legs mux, or neither. */
		media_session_rtcp_mux(srv->svc->media, pm->id,
				       pm->info.offer_mux && m->rtcp_mux);
		media_session_open(srv->svc->media, pm->id);
		pm->info.answered = true;
		save_info(srv, pm);
	}
	/* For the offerer: its own protocol, and our key if it spoke SRTP. */
	if (pm->info.srtp[pm->info.leg_in] && !pm->info.udptl) {
		our_crypto(pm, pm->info.leg_in, pm->info.in_tag, crypto);
		our = crypto;
	}
	if (pm->info.in_proto[0])
		proto = pm->info.in_proto;
	ok = write_sdp(srv->cfg, s, pm->info.stream, pm, pm->info.leg_in,
		       m->port ? pm->ports[pm->info.leg_in] : 0,
		       proto, our, buf, cap, len) == 0;
	OPENSSL_cleanse(crypto, sizeof(crypto));
	return ok;
}

/* A late offer, in s from resp_flow, for the requester on req_flow: the
 * offer for the requester is kept in pm->body (every later response of
 * the transaction carries the same).  An offer the relay cannot take has
 * every stream refused (port 0): a response cannot be refused, and
 * passing the offer on would let media go around the relay. */
static void late_offer(struct sip_server *srv, struct proxy_media *pm,
		       const struct sdp_session *s,
		       const struct vs_flow *resp_flow,
		       const struct vs_flow *req_flow)
{
	struct proxy_media_side side = {
		.tls = req_flow->tp == VS_TP_TLS,
		.srtp = shield_zone(srv->cfg, req_flow)->srtp,
		.flow = req_flow};
	struct vs_sockaddr peer;
	int st;

	pm->info.stream = (int8_t)rtp_stream(s);
	if (pm->info.stream < 0 || !sdp_peer(s, pm->info.stream, &peer)) {
		vs_stat_inc(srv->stats, VS_STAT_MEDIA_NOT_RELAYED);
		st = 488;
	} else {
		st = take_offer(srv, pm, s, resp_flow, &side);
	}
	if (!st)
		return;
	vs_log_limited(VS_LOG_WARN, "media-late-offer",
		       "media relay: call %.*s: the offer in the answer cannot be relayed (%d); its streams are refused",
		       (int)pm->callid_len, pm->callid, st);
	pm->info.stream = -1;
	if (pm->body) { /* the call's dialog (pm->dlg) stays */
		OPENSSL_cleanse(pm->body, pm->body_len);
		free(pm->body);
	}
	pm->body = malloc(SDP_OUT_MAX);
	if (pm->body &&
	    write_sdp(srv->cfg, s, -1, pm, 1 - pm->info.leg_in, 0, NULL, NULL, pm->body,
		      SDP_OUT_MAX, &pm->body_len)) {
		free(pm->body);
		pm->body = NULL;
	}
}

bool proxy_media_answer(struct sip_server *srv, struct proxy_media *pm,
			const struct sip_msg *resp,
			const struct vs_flow *resp_flow,
			const struct vs_flow *req_flow, bool apply, char *buf,
			size_t cap, size_t *len)
{
	static __thread struct sdp_session s;

	if (!pm->id || !resp->body.l ||
	    sdp_parse(resp->body.p, resp->body.l, &s) != SDP_OK)
		return false;
	if (!pm->info.late)
		return take_answer(srv, pm, &s, apply, buf, cap, len);
	if (!pm->body)
		late_offer(srv, pm, &s, resp_flow, req_flow);
	if (!pm->body || pm->body_len > cap)
		return false;
	memcpy(buf, pm->body, pm->body_len);
	*len = pm->body_len;
	return true;
}

bool proxy_media_ack(struct sip_server *srv, const struct sip_msg *ack,
		     char *buf, size_t cap, size_t *len)
{
	static __thread struct sdp_session s;
	struct proxy_media pm;
	bool ok;

	if (!srv->svc || !srv->svc->media || !ack->body.l ||
	    ack->call_id.l > MEDIA_CALLID_MAX)
		return false;
	memset(&pm, 0, sizeof(pm));
	if (!media_calls_get(srv->svc->calls, &ack->call_id, false, &pm.info) ||
	    !pm.info.late || pm.info.stream < 0 ||
	    sdp_parse(ack->body.p, ack->body.l, &s) != SDP_OK) {
		OPENSSL_cleanse(&pm.info, sizeof(pm.info));
		return false;
	}
	pm.id = pm.info.id;
	pm.ports[0] = pm.info.ports[0];
	pm.ports[1] = pm.info.ports[1];
	memcpy(pm.callid, ack->call_id.p, ack->call_id.l);
	pm.callid_len = (uint8_t)ack->call_id.l;
	ok = take_answer(srv, &pm, &s, !pm.info.answered, buf, cap, len);
	OPENSSL_cleanse(&pm.info, sizeof(pm.info));
	return ok;
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
	proxy_media_free_body(pm);
	OPENSSL_cleanse(&pm->info, sizeof(pm->info));
}

void proxy_media_answered(struct sip_server *srv, struct proxy_media *pm,
			  const struct sip_msg *resp,
			  const struct vs_flow *callee)
{
	struct pl cid = pl_make(pm->callid, pm->callid_len);

	if (!pm->id)
		return;
	if (resp->to.tag.l <= MEDIA_TAG_MAX) { /* the dialog it is now */
		memcpy(pm->info.callee_tag, resp->to.tag.p, resp->to.tag.l);
		pm->info.callee_tag_len = (uint8_t)resp->to.tag.l;
		save_info(srv, pm);
	}
	if (!pm->dlg)
		return;
	if (proxy_dialog_answered(srv, pm->dlg, resp, callee))
		(void)media_calls_set_dialog(srv->svc->calls, &cid, pm->dlg);
	else
		free(pm->dlg);
	pm->dlg = NULL;
}

void proxy_media_free_body(struct proxy_media *pm)
{
	if (pm->body) /* it may hold the relay's SRTP key */
		OPENSSL_cleanse(pm->body, pm->body_len);
	free(pm->body);
	pm->body = NULL;
	free(pm->dlg);
	pm->dlg = NULL;
	OPENSSL_cleanse(&pm->info.relay_key, sizeof(pm->info.relay_key));
}

static bool tag_is(const struct pl *tag, const char *t, uint8_t len)
{
	return tag->l == len && !memcmp(tag->p, t, len);
}

void proxy_media_bye(struct sip_server *srv, const struct sip_msg *bye)
{
	struct media_call_info info;
	const struct pl *f = &bye->from.tag, *t = &bye->to.tag;

	if (!srv->svc || !srv->svc->media ||
	    !media_calls_get(srv->svc->calls, &bye->call_id, false, &info))
		return;
	/* Only the BYE of the dialog the session belongs to: a forked call
	 * answered twice shares the Call-ID with a dialog the caller ends. */
	if (!info.callee_tag_len ||
	    (tag_is(f, info.caller_tag, info.caller_tag_len) &&
	     tag_is(t, info.callee_tag, info.callee_tag_len)) ||
	    (tag_is(t, info.caller_tag, info.caller_tag_len) &&
	     tag_is(f, info.callee_tag, info.callee_tag_len))) {
		if (media_calls_get(srv->svc->calls, &bye->call_id, true, NULL))
			media_session_close(srv->svc->media, info.id);
	}
	OPENSSL_cleanse(&info, sizeof(info));
}
