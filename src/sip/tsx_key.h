/*
 * tsx_key.h - transaction matching keys (RFC 3261 17.1.3 and 17.2.3).
 *
 * A key is a byte string: two messages belong to the same transaction
 * exactly when their keys are equal, so the table compares whole keys
 * (never only hashes).
 */
#ifndef VS_SIP_TSX_KEY_H
#define VS_SIP_TSX_KEY_H

#include <stdint.h>

#include "sip/msg.h"

/* Longer keys (only possible with the RFC 2543 fallback) are refused. */
#define SIP_TSX_KEY_MAX 2048

struct sip_tsx_key {
	uint16_t len;
	char buf[SIP_TSX_KEY_MAX];
};

/*
 * The server transaction a request belongs to (17.2.3).  With an RFC 3261
 * branch ("z9hG4bK..."): branch, sent-by and method, ACK counting as
 * INVITE.  Without one (RFC 2543): Request-URI, From tag, Call-ID, CSeq
 * number, top Via and method, plus the To tag except for INVITE and its
 * ACK (whose To tag is the one our response added).  Returns 0, or
 * EOVERFLOW when the key would exceed SIP_TSX_KEY_MAX.
 */
int sip_tsx_key_server(const struct sip_msg *req, struct sip_tsx_key *key);

/*
 * The client transaction a response belongs to (17.1.3): the branch of
 * its top Via and the CSeq method.  The same function keys the request a
 * client transaction sends, so both sides compute it alike.  Returns 0,
 * EOVERFLOW, or EINVAL when there is no branch (not one of ours).
 */
int sip_tsx_key_client(const struct sip_msg *msg, struct sip_tsx_key *key);

/* True when the top Via carries an RFC 3261 branch. */
bool sip_tsx_rfc3261_branch(const struct sip_via *via);

#endif
