/*
 * privdrop.h - give up root once the ports are bound.
 */
#ifndef VS_DAEMON_PRIVDROP_H
#define VS_DAEMON_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * When running as root: switch to user (its primary group, and its
 * supplementary groups), after handing it the state directory; refuse to
 * continue as root unless allow_root.  When not root: nothing.  Returns 0,
 * or -1 with a message for the operator in err.
 */
int vs_privdrop(const char *user, bool allow_root, const char *state_dir,
		char *err, size_t errlen);
/* The same, keeping CAP_NET_ADMIN (and nothing else) when keep_net_admin:
 * what the daemon needs to update its nftables sets.  Call before any
 * thread starts: capabilities are per thread and inherited. */
int vs_privdrop_ex(const char *user, bool allow_root, const char *state_dir,
		   bool keep_net_admin, char *err, size_t errlen);

#endif
