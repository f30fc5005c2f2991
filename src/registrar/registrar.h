/*
 * registrar.h - REGISTER processing (RFC 3261 10.3, RFC 3327 Path).
 *
 * The caller (the server) has already authenticated the request; this
 * module checks that the user owns the address of record, reads the
 * contacts and expiry, applies the change to the location table and says
 * what to answer.  Changes to persist come back in a reg_batch.
 */
#ifndef VS_REGISTRAR_REGISTRAR_H
#define VS_REGISTRAR_REGISTRAR_H

#include "core/config.h"
#include "core/mbuf.h"
#include "registrar/location.h"
#include "registrar/reg_store.h"
#include "sip/local.h"
#include "sip/msg.h"

/*
 * The location key of a SIP URI in one of our domains: the unescaped user,
 * '@' and the domain in lower case, where any address of this server
 * stands for the default domain (the first of server.domains, else the
 * realm).  Returns 0, ENOENT (not ours) or EINVAL (no user, too long).
 */
int registrar_aor(const struct vs_config *cfg, const struct sip_local *loc,
		  const struct sip_uri *uri, char out[LOC_AOR_MAX + 1]);

/* The reason phrase of the identity 403 (counted apart). */
#define REG_NOT_YOURS "Forbidden: not your address of record"

struct reg_outcome {
	uint16_t status;
	const char *reason;
	struct mbuf *hdrs;	 /* extra header lines for the reply */
	struct reg_batch *batch; /* changes to persist before answering */
};

/*
 * Handle an authenticated REGISTER from user (unescaped) on flow at now
 * (seconds since the epoch).  When out->batch is set the reply must wait
 * for it to be committed; the batch is allocated with batch_size bytes.
 */
void registrar_register(struct loc_table *loc, const struct vs_config *cfg,
			const struct sip_local *local,
			const struct sip_msg *m, const struct pl *user,
			const struct vs_flow *flow, uint64_t now,
			size_t batch_size, struct reg_outcome *out);

#endif
