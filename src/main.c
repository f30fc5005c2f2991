/*
 * main.c - the voipshield command line.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ban_cmd.h"
#include "cli/user_cmd.h"
#include "core/config.h"
#include "daemon/control.h"
#include "daemon/run.h"

#define DEFAULT_CONFIG "/etc/voipshield/voipshield.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: voipshield [OPTIONS]              run the daemon\n"
		"       voipshield [-c FILE] COMMAND      talk to a running daemon\n"
		"\n"
		"VoIPShield: SIP registrar, proxy and security edge for voice over IP.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE        configuration file (default " DEFAULT_CONFIG ")\n"
		"      --check-config FILE  check FILE and exit: 0 when valid, otherwise\n"
		"                           print FILE:LINE: what is wrong, and exit 2\n"
		"  -d, --daemon             detach from the terminal; logs go to syslog\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               print this help and exit\n"
		"\n"
		"Commands (over the control socket in server.state_dir):\n"
		"  stats                    print counters: traffic, replies, drops by reason\n"
		"  reload                   reload the configuration (like SIGHUP)\n"
		"  tls reload               reload TLS certificates and keys (with the\n"
		"                           configuration); a broken one is refused\n"
		"  version                  print the running daemon's version\n"
		"\n"
		"User accounts (in the store in server.state_dir; the daemon need not run):\n"
		"  user add NAME            add a user; the password is prompted for twice,\n"
		"                           or read as one line from standard input\n"
		"  user passwd NAME         change a user's password (same input)\n"
		"  user set NAME [--tls-only | --any-transport] [--cert IDENTITY | --no-cert]\n"
		"                           the account's transport policy: TLS only, and/or\n"
		"                           a client certificate that must name IDENTITY\n"
		"  user del NAME            delete a user\n"
		"  user list                list users, realm, algorithms, transport policy\n"
		"  user import FILE.csv     add or update users from CSV lines user,password\n"
		"                           (FILE - reads standard input); all or nothing\n"
		"\n"
		"Bans (through the running daemon, else in the store for its next start):\n"
		"  ban add ADDRESS [SECONDS] [NOTE]  ban an IPv4 or IPv6 address (default 3600 s)\n"
		"  ban del ADDRESS          lift a ban and forget the address's history\n"
		"  ban list                 active bans: address, reason, time left\n"
		"\n"
		"Signals: SIGTERM or SIGINT drain and stop; SIGHUP reloads the\n"
		"configuration (a bad file is refused and the running one kept).\n"
		"Documentation: docs/configuration.md, docs/operations.md, man voipshield(8).\n");
}

static int check_config(const char *path)
{
	struct vs_config *cfg = malloc(sizeof(*cfg));
	char err[1024];

	if (!cfg)
		return 1;
	if (vs_config_load(path, cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		free(cfg);
		return 2;
	}
	printf("%s: configuration is valid (%zu listener%s, %u workers)\n", path,
	       cfg->nlisten, cfg->nlisten == 1 ? "" : "s", cfg->workers);
	free(cfg);
	return 0;
}

static int command(const char *path, int argc, char **argv)
{
	struct vs_config *cfg = malloc(sizeof(*cfg));
	char err[1024];
	int rc;

	if (!cfg)
		return 1;
	if (vs_config_load(path, cfg, err, sizeof(err))) {
		fprintf(stderr, "voipshield: %s\n", err);
		free(cfg);
		return 2;
	}
	if (strcmp(argv[0], "user") == 0) {
		struct vs_log_conf quiet = cfg->log;
		quiet.syslog = false;
		quiet.level = VS_LOG_WARN;
		vs_log_configure(&quiet);
		rc = vs_user_command(cfg, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "ban") == 0) {
		rc = vs_ban_command(cfg, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "tls") == 0) {
		if (argc != 2 || strcmp(argv[1], "reload")) {
			fprintf(stderr, "usage: voipshield tls reload\n");
			rc = 2;
		} else {
			rc = vs_control_command(cfg->state_dir, "tls reload");
		}
	} else {
		rc = vs_control_request(cfg->state_dir, argv[0], stdout) ? 1 : 0;
	}
	free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", required_argument, NULL, 'k'},
		{"daemon", no_argument, NULL, 'd'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = DEFAULT_CONFIG;
	bool daemonize = false;
	int c;

	while ((c = getopt_long(argc, argv, "+c:dVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'k':
			return check_config(optarg);
		case 'd':
			daemonize = true;
			break;
		case 'V':
			printf("voipshield %s\n", VS_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'voipshield --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		const char *cmd = argv[optind];
		bool user = strcmp(cmd, "user") == 0 || strcmp(cmd, "ban") == 0 ||
			    strcmp(cmd, "tls") == 0;
		if ((!user && optind + 1 < argc) ||
		    (!user && strcmp(cmd, "stats") && strcmp(cmd, "reload") &&
		     strcmp(cmd, "version"))) {
			fprintf(stderr,
				"voipshield: unknown command '%s' (stats, reload, version, user, ban, tls). Try 'voipshield --help'.\n",
				cmd);
			return 2;
		}
		return command(config, argc - optind, argv + optind);
	}
	return vs_run(config, daemonize);
}
