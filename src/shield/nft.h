/*
 * nft.h - bans pushed into nftables sets, so that the kernel drops a
 * banned source's packets before they cost the daemon anything
 * (shield.nftables; docs/shield.md#kernel-dropping).
 *
 * The operator creates the table and sets (examples/nftables/voipshield.nft); the
 * daemon only adds and deletes elements, with the ban's timeout, through
 * libnftables.  It needs CAP_NET_ADMIN, which the daemon keeps when it
 * drops root for this.  When the sets cannot be used, the daemon says so
 * once and bans keep working in user space.
 */
#ifndef VS_SHIELD_NFT_H
#define VS_SHIELD_NFT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "shield/srctab.h"

struct vs_nft;

/* A handle for the sets named in cfg, or NULL with a message in err
 * (libnftables failed, or the table or a set is missing). */
struct vs_nft *vs_nft_open(const struct vs_shield_conf *cfg, char *err,
			   size_t errlen);
void vs_nft_close(struct vs_nft *n);
/* Add the address for seconds (replacing an earlier timeout); delete it.
 * Thread-safe.  0, or -1 (counted and logged, at most once a minute). */
int vs_nft_ban(struct vs_nft *n, const struct srctab_key *k, uint32_t seconds);
int vs_nft_unban(struct vs_nft *n, const struct srctab_key *k);
/* Elements added and errors, for stats. */
uint64_t vs_nft_added(const struct vs_nft *n);
uint64_t vs_nft_errors(const struct vs_nft *n);

#endif
