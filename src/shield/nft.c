/*
 * nft.c - bans in nftables sets through libnftables (see nft.h).
 *
 * libnftables (Debian libnftables-dev) rather than raw netlink: it is the
 * nft tool's own library, so the commands are the ones an operator types
 * and reads in `nft list set`.
 */
#include "shield/nft.h"

#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct vs_nft {
	pthread_mutex_t lock;
	struct nft_ctx *ctx;
	char family[8], table[64], set4[64], set6[64];
	_Atomic uint64_t added, errors;
};

static bool is_v4(const struct srctab_key *k)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(k->ip, mapped, 12) == 0;
}

/* Run one command; the error text (first line) into err. */
static int run(struct vs_nft *n, const char *cmd, char *err, size_t errlen)
{
	int rc = nft_run_cmd_from_buffer(n->ctx, cmd);

	if (rc && err) {
		const char *e = nft_ctx_get_error_buffer(n->ctx);
		size_t l = e ? strcspn(e, "\n") : 0;
		snprintf(err, errlen, "%.*s", (int)(l > 200 ? 200 : l), e ? e : "");
	}
	return rc;
}

struct vs_nft *vs_nft_open(const struct vs_shield_conf *cfg, char *err,
			   size_t errlen)
{
	struct vs_nft *n = calloc(1, sizeof(*n));
	char cmd[256], why[256];

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx) {
		snprintf(err, errlen, "libnftables could not start");
		free(n);
		return NULL;
	}
	nft_ctx_buffer_output(n->ctx);
	nft_ctx_buffer_error(n->ctx);
	pthread_mutex_init(&n->lock, NULL);
	snprintf(n->family, sizeof(n->family), "%s", cfg->nft_family);
	snprintf(n->table, sizeof(n->table), "%s", cfg->nft_table);
	snprintf(n->set4, sizeof(n->set4), "%s", cfg->nft_set4);
	snprintf(n->set6, sizeof(n->set6), "%s", cfg->nft_set6);
	/* Both sets must exist (and we must be allowed to read them). */
	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "list set %s %s %s", n->family,
			 n->table, i ? n->set6 : n->set4);
		if (run(n, cmd, why, sizeof(why))) {
			snprintf(err, errlen,
				 "nftables set %s %s %s is not usable (%s): create it (examples/nftables/voipshield.nft) and run as root or with CAP_NET_ADMIN",
				 n->family, n->table, i ? n->set6 : n->set4, why);
			vs_nft_close(n);
			return NULL;
		}
	}
	return n;
}

void vs_nft_close(struct vs_nft *n)
{
	if (!n)
		return;
	nft_ctx_free(n->ctx);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

static int element(struct vs_nft *n, const struct srctab_key *k,
		   uint32_t seconds, bool add)
{
	char ip[64], cmd[256], why[256];
	int rc;

	srctab_key_str(k, ip, sizeof(ip));
	if (add)
		/* delete first: a new timeout replaces the old one. */
		snprintf(cmd, sizeof(cmd),
			 "delete element %s %s %s { %s }", n->family, n->table,
			 is_v4(k) ? n->set4 : n->set6, ip);
	pthread_mutex_lock(&n->lock);
	if (add) {
		(void)run(n, cmd, NULL, 0);
		snprintf(cmd, sizeof(cmd),
			 "add element %s %s %s { %s timeout %us }", n->family,
			 n->table, is_v4(k) ? n->set4 : n->set6, ip, seconds);
	} else {
		snprintf(cmd, sizeof(cmd), "delete element %s %s %s { %s }",
			 n->family, n->table, is_v4(k) ? n->set4 : n->set6, ip);
	}
	rc = run(n, cmd, why, sizeof(why));
	pthread_mutex_unlock(&n->lock);
	if (rc && add) {
		atomic_fetch_add(&n->errors, 1);
		vs_log_limited(VS_LOG_ERR, "nft",
			       "nftables: cannot add %s to %s %s: %s (the ban still holds in the daemon)",
			       ip, n->table, is_v4(k) ? n->set4 : n->set6, why);
		return -1;
	}
	if (add)
		atomic_fetch_add(&n->added, 1);
	return 0; /* deleting what is not there is fine */
}

int vs_nft_ban(struct vs_nft *n, const struct srctab_key *k, uint32_t seconds)
{
	return element(n, k, seconds ? seconds : 1, true);
}

int vs_nft_unban(struct vs_nft *n, const struct srctab_key *k)
{
	return element(n, k, 0, false);
}

uint64_t vs_nft_added(const struct vs_nft *n)
{
	return atomic_load(&n->added);
}

uint64_t vs_nft_errors(const struct vs_nft *n)
{
	return atomic_load(&n->errors);
}
