/*
 * tsx_key.c - transaction matching keys (RFC 3261 17.1.3 and 17.2.3).
 */
#include "sip/tsx_key.h"

#include <errno.h>
#include <stdio.h>

bool sip_tsx_rfc3261_branch(const struct sip_via *via)
{
	return via->branch.l > 7 && memcmp(via->branch.p, "z9hG4bK", 7) == 0;
}

static void put(struct sip_tsx_key *k, const void *p, size_t n, bool *ok)
{
	if (!*ok || n > (size_t)(SIP_TSX_KEY_MAX - k->len)) {
		*ok = false;
		return;
	}
	memcpy(k->buf + k->len, p, n);
	k->len = (uint16_t)(k->len + n);
}

/* A field, then a separator no field can contain. */
static void field(struct sip_tsx_key *k, const struct pl *pl, bool *ok)
{
	if (pl->l)
		put(k, pl->p, pl->l, ok);
	put(k, "\n", 1, ok);
}

static void lower_field(struct sip_tsx_key *k, const struct pl *pl, bool *ok)
{
	for (size_t i = 0; i < pl->l && *ok; i++) {
		char c = vs_tolower(pl->p[i]);
		put(k, &c, 1, ok);
	}
	put(k, "\n", 1, ok);
}

/* ACK matches the INVITE it acknowledges (17.2.3); others by name. */
static struct pl method_class(const struct sip_msg *m)
{
	if (m->method == SIP_METHOD_ACK)
		return (struct pl)PL("INVITE");
	return m->method_name;
}

int sip_tsx_key_server(const struct sip_msg *m, struct sip_tsx_key *k)
{
	const struct sip_via *via = &m->via;
	struct pl method = method_class(m);
	bool ok = true;
	char port[8];
	int n;

	k->len = 0;
	if (sip_tsx_rfc3261_branch(via)) {
		/* The branch is compared exactly; the sent-by host is a host
		 * name or address, compared without case; a missing port is
		 * not the same as 5060 (a retransmission repeats it as is). */
		put(k, "S3\n", 3, &ok);
		field(k, &via->branch, &ok);
		lower_field(k, &via->host, &ok);
		n = via->has_port ? snprintf(port, sizeof(port), "%u", via->port) : 0;
		put(k, port, (size_t)n, &ok);
		put(k, "\n", 1, &ok);
		field(k, &method, &ok);
		return ok ? 0 : EOVERFLOW;
	}
	/* RFC 2543 matching (17.2.3, last paragraphs). */
	put(k, "S2\n", 3, &ok);
	field(k, &m->ruri_raw, &ok);
	if (m->method != SIP_METHOD_INVITE && m->method != SIP_METHOD_ACK)
		field(k, &m->to.tag, &ok);
	field(k, &m->from.tag, &ok);
	field(k, &m->call_id, &ok);
	{
		char num[12];
		int l = snprintf(num, sizeof(num), "%u", m->cseq.num);
		put(k, num, (size_t)l, &ok);
		put(k, "\n", 1, &ok);
	}
	field(k, &via->value, &ok);
	field(k, &method, &ok);
	return ok ? 0 : EOVERFLOW;
}

int sip_tsx_key_client(const struct sip_msg *m, struct sip_tsx_key *k)
{
	bool ok = true;

	k->len = 0;
	if (!sip_tsx_rfc3261_branch(&m->via))
		return EINVAL;
	put(k, "C\n", 2, &ok);
	field(k, &m->via.branch, &ok);
	field(k, &m->cseq.method, &ok);
	return ok ? 0 : EOVERFLOW;
}
