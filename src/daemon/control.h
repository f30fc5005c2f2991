/*
 * control.h - the local control socket (state_dir/voipshield.ctl).
 *
 * Administration happens over a Unix socket readable only by the daemon's
 * user (mode 0600), never over the network (threat T13).  One command per
 * connection, one line: "stats", "reload", "version".
 */
#ifndef VS_DAEMON_CONTROL_H
#define VS_DAEMON_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#define VS_CONTROL_NAME "voipshield.ctl"

/* Create and listen; returns the descriptor or -1 with err filled. */
int vs_control_listen(const char *state_dir, char *err, size_t errlen);
/* Read one command from a connected client, bounded in size and time;
 * returns 0 with the command in buf. */
int vs_control_read_command(int fd, char *buf, size_t size);
/* Client side: send cmd, copy the answer to out; returns 0, or -1 with a
 * message on stderr. */
int vs_control_request(const char *state_dir, const char *cmd, FILE *out);
/* The same, but 1 without a message when no daemon listens (the socket is
 * missing or refuses): the caller then works on the store itself. */
int vs_control_try(const char *state_dir, const char *cmd, FILE *out);
/* Send cmd; the answer to stdout, or to stderr when it starts with
 * "error".  Returns the exit status: 0, or 1. */
int vs_control_command(const char *state_dir, const char *cmd);

#endif
