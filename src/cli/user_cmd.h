/*
 * user_cmd.h - `voipshield user ...`: provision digest credentials in the
 * store (HA1 per algorithm, never the password).
 */
#ifndef VS_CLI_USER_CMD_H
#define VS_CLI_USER_CMD_H

#include "core/config.h"

/* argv[0] is the subcommand (add, passwd, del, list, import).  Returns the
 * process exit status: 0, 1 (failed) or 2 (usage). */
int vs_user_command(const struct vs_config *cfg, int argc, char **argv);

#endif
