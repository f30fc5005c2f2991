/*
 * policy.h - SPIT and toll-fraud policy for calls (threats T10, T11;
 * docs/policy.md).
 *
 * For each new call (an INVITE outside a dialog), after authentication:
 * the caller's address against allow and block lists (global and those
 * of the local user being called), anonymous callers, a per-caller call
 * rate for calls from untrusted sources; then, for calls made by a local
 * account, the destination against deny lists (global, the account's
 * group, the account) and the account's calls per hour and concurrent
 * calls.  Concurrent calls are counted from the INVITE to the end of the
 * dialog: a failed INVITE, a BYE either way, or call_timeout.
 *
 * State lives in bounded tables like the shield's (srctab.h).
 */
#ifndef VS_SHIELD_POLICY_H
#define VS_SHIELD_POLICY_H

#include "shield/shield.h"

struct policy {
	struct srctab callers;	/* calls per minute by caller */
	struct srctab accounts; /* active calls and calls this hour */
	struct srctab dialogs;	/* calls counted as active */
	struct vs_events *events;
};

int policy_init(struct policy *p, const struct vs_config *cfg,
		struct vs_events *events);
void policy_free(struct policy *p);

struct policy_call {
	const struct sip_msg *m;	/* the INVITE */
	const struct vs_flow *flow;
	struct pl caller_account; /* the authenticated user, or unset */
	struct pl callee_account; /* the local user called, or unset */
	bool untrusted;		  /* not from a trusted peer */
};

struct policy_verdict {
	uint16_t status;     /* 0: go on; else answer with it */
	const char *reason;  /* the reason phrase */
	bool tracked;	     /* counted: end with policy_call_end */
	struct srctab_key dialog;
};

void policy_check_call(struct policy *p, const struct shield_ctx *c,
		       const struct policy_call *call, struct policy_verdict *v);
/* The key of a dialog: its Call-ID and the caller's tag. */
void policy_dialog_key(const struct pl *call_id, const struct pl *tag,
		       struct srctab_key *k);
/* A counted call ended (failed, BYE, CANCEL); true if it was counted. */
bool policy_call_end(struct policy *p, const struct srctab_key *dialog);
/* End calls older than policy.call_timeout; returns the calls counted. */
uint32_t policy_sweep(struct policy *p, const struct shield_ctx *c);

#endif
