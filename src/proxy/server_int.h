/*
 * server_int.h - helpers the server lends the proxy (not a public API).
 */
#ifndef VS_PROXY_SERVER_INT_H
#define VS_PROXY_SERVER_INT_H

#include "auth/challenge.h"
#include "proxy/server.h"
#include "shield/shield.h"

/* Reply counters by class. */
void srv_count_reply(struct vs_stats *st, uint16_t status);
/* A response to m, received on flow, into out (Server header added). */
bool srv_build_reply(struct sip_server *srv, const struct sip_msg *m,
		     const struct vs_flow *flow, struct mbuf *out,
		     uint16_t status, const char *reason, const char *extra,
		     bool count);
/* A response to the message being handled (srv->msg). */
bool srv_reply(struct sip_server *srv, const struct sip_input *in,
	       struct mbuf *out, uint16_t status, const char *reason,
	       const char *extra);
/* The same, kept in the server transaction t for retransmissions. */
bool srv_tsx_reply(struct sip_server *srv, const struct sip_input *in,
		   struct mbuf *out, struct sip_tsx *t, uint16_t status,
		   const char *reason, const char *extra);
/* Option tags of a Require-like header other than supported: "Unsupported:
 * ..." line in buf; returns their count, or -1 when malformed. */
int srv_unsupported_tags(const struct sip_msg *m, enum sip_hdr_id id,
			 char *buf, size_t size, const char *supported);
/* Digest parameters for this server now. */
void srv_auth_params(struct sip_server *srv, struct auth_params *p);
/*
 * Check the request's credentials (proxy: Proxy-Authorization), count the
 * result and tell the shield (failed logins, lockouts, enumeration).
 * Returns what to act on: a locked-out user's correct password comes back
 * as AUTH_RES_FAILED.  On AUTH_RES_OK, *user is the authenticated user.
 */
enum auth_result srv_authenticate(struct sip_server *srv,
				  const struct sip_input *in,
				  struct auth_params *ap, bool proxy,
				  struct pl *user);
/* The shield and what it needs to know now; NULL without a shield. */
struct shield *srv_shield(struct sip_server *srv, struct shield_ctx *c);

#endif
