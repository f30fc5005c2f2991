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

#endif
