/*
 * ban_cmd.c - `voipshield ban ...` (see ban_cmd.h).
 */
#include "cli/ban_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "daemon/control.h"
#include "daemon/privdrop.h"
#include "shield/srctab.h"
#include "store/store.h"

#define DEFAULT_SECONDS 3600
#define NOTE_MAX 200

static int usage(void)
{
	fprintf(stderr,
		"usage: voipshield ban add ADDRESS [SECONDS] [NOTE...]  (default %d s)\n"
		"       voipshield ban del ADDRESS\n"
		"       voipshield ban list\n",
		DEFAULT_SECONDS);
	return 2;
}

/* Send to the daemon; 1 when none runs. */
static int via_daemon(const struct vs_config *cfg, const char *cmd)
{
	char *answer = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&answer, &len);
	int rc;

	if (!mem)
		return -1;
	rc = vs_control_try(cfg->state_dir, cmd, mem);
	fclose(mem);
	if (rc == 0) {
		fputs(answer, strncmp(answer, "error", 5) ? stdout : stderr);
		rc = strncmp(answer, "error", 5) ? 0 : -1;
	}
	free(answer);
	return rc;
}

static struct vs_store *open_store(const struct vs_config *cfg)
{
	struct vs_store *st;
	char err[1024];
	int e = vs_mkdir_p(cfg->state_dir, 0750);

	if (e) {
		fprintf(stderr, "voipshield: cannot create state directory %s: %s\n",
			cfg->state_dir, strerror(e));
		return NULL;
	}
	if (vs_privdrop(cfg->user, cfg->allow_root, cfg->state_dir, err,
			sizeof(err)) ||
	    vs_store_open(cfg->state_dir, &st, err, sizeof(err))) {
		fprintf(stderr, "voipshield: %s\n", err);
		return NULL;
	}
	return st;
}

static int list_one(const struct vs_ban_rec *b, void *arg)
{
	int64_t now = *(int64_t *)arg;

	if (b->until <= now)
		return 0;
	if (b->port)
		printf("%s port %u", b->address, b->port);
	else
		printf("%s", b->address);
	printf(" %s %lld s left, ban %u%s\n", b->reason,
	       (long long)(b->until - now), b->offences,
	       b->manual ? " (manual)" : "");
	return 0;
}

static int offline(const struct vs_config *cfg, const char *verb,
		   const char *addr, unsigned long secs)
{
	struct vs_store *st = open_store(cfg);
	int64_t now = (int64_t)time(NULL);
	int rc = 0;

	if (!st)
		return 1;
	if (!strcmp(verb, "list")) {
		rc = vs_store_ban_foreach(st, list_one, &now);
		printf("(the daemon is not running: bans as stored)\n");
	} else if (!strcmp(verb, "add")) {
		struct vs_ban_rec r = {addr, 0, now + (int64_t)secs, now, 1,
				       "manual", true};
		rc = vs_store_ban_put(st, &r);
		if (!rc)
			printf("ok %s banned for %lu s (stored; the daemon is not running and applies it at start)\n",
			       addr, secs);
	} else {
		rc = vs_store_ban_del(st, addr, 0);
		if (!rc)
			printf("ok %s unbanned (in the store)\n", addr);
	}
	if (rc)
		fprintf(stderr, "voipshield: store: %s\n", vs_store_errmsg(st));
	vs_store_close(st);
	return rc ? 1 : 0;
}

int vs_ban_command(const struct vs_config *cfg, int argc, char **argv)
{
	char cmd[512], canon[64];
	const char *verb = argc > 0 ? argv[0] : "";
	unsigned long secs = DEFAULT_SECONDS;
	struct srctab_key k;
	int rc, first_note = 3;

	if (!strcmp(verb, "list")) {
		if (argc != 1)
			return usage();
		rc = via_daemon(cfg, "ban list");
		return rc == 1 ? offline(cfg, verb, NULL, 0) : (rc ? 1 : 0);
	}
	if ((strcmp(verb, "add") && strcmp(verb, "del")) || argc < 2)
		return usage();
	if (srctab_key_parse(argv[1], &k)) {
		fprintf(stderr, "voipshield: '%s' is not an IPv4 or IPv6 address\n",
			argv[1]);
		return 2;
	}
	srctab_key_str(&k, canon, sizeof(canon));
	if (!strcmp(verb, "del")) {
		if (argc != 2)
			return usage();
		snprintf(cmd, sizeof(cmd), "ban del %s", canon);
	} else {
		if (argc >= 3) {
			char *end;
			errno = 0;
			secs = strtoul(argv[2], &end, 10);
			if (*end || errno || secs == 0 || secs > 31536000) {
				if (*end && argv[2][0] && !(argv[2][0] >= '0' && argv[2][0] <= '9')) {
					secs = DEFAULT_SECONDS;
					first_note = 2; /* no length: a note */
				} else {
					fprintf(stderr, "voipshield: the ban length must be 1 to 31536000 seconds\n");
					return 2;
				}
			}
		}
		size_t n = (size_t)snprintf(cmd, sizeof(cmd), "ban add %s %lu",
					    canon, secs);
		for (int i = first_note; i < argc && n < sizeof(cmd); i++) {
			/* One line to the daemon: no line breaks in a note. */
			for (char *p = argv[i]; *p; p++)
				if (*p == '\n' || *p == '\r')
					*p = ' ';
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " %.*s",
					      NOTE_MAX, argv[i]);
		}
	}
	rc = via_daemon(cfg, cmd);
	if (rc == 1)
		return offline(cfg, verb, canon, secs);
	return rc ? 1 : 0;
}
