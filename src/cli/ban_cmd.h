/*
 * ban_cmd.h - `voipshield ban add|del|list`: manual bans.  With the
 * daemon running they go through its control socket and take effect at
 * once; without it they are written to the store, where the daemon finds
 * them at start.
 */
#ifndef VS_CLI_BAN_CMD_H
#define VS_CLI_BAN_CMD_H

#include "core/config.h"

/* argv[0] is the subcommand.  Returns the exit status: 0, 1 or 2 (usage). */
int vs_ban_command(const struct vs_config *cfg, int argc, char **argv);

#endif
