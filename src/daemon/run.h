/*
 * run.h - start the daemon, serve until SIGTERM, reload on SIGHUP.
 */
#ifndef VS_DAEMON_RUN_H
#define VS_DAEMON_RUN_H

#include <stdbool.h>

/* Returns the process exit status. */
int vs_run(const char *config_path, bool daemonize);

#endif
