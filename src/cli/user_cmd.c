/*
 * user_cmd.c - `voipshield user add|passwd|del|list|import`.
 *
 * Passwords never come from the command line, where ps and shell history
 * would show them: they are typed at a prompt (twice, without echo) or
 * read from standard input, one per line, or from a CSV file.  Only HA1 =
 * H(user:realm:password) is stored, for every algorithm the server may
 * offer, so that changing auth.algorithms later needs no new passwords.
 */
#include "cli/user_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth/digest.h"
#include "cli/csv.h"
#include "core/fsutil.h"
#include "daemon/privdrop.h"
#include "store/store.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 256
#define CSV_LINE_MAX 4096

static void secure_zero(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

/* Root: create the state directory and become the service user, so that
 * files SQLite creates belong to the daemon's account. */
static int become_service_user(const struct vs_config *cfg)
{
	char err[512];
	int e = vs_mkdir_p(cfg->state_dir, 0750);

	if (e) {
		fprintf(stderr, "voipshield: cannot create state directory %s: %s\n",
			cfg->state_dir, strerror(e));
		return -1;
	}
	if (vs_privdrop(cfg->user, cfg->allow_root, cfg->state_dir, err,
			sizeof(err))) {
		fprintf(stderr, "voipshield: %s\n", err);
		return -1;
	}
	return 0;
}

static struct vs_store *open_store(const struct vs_config *cfg)
{
	struct vs_store *st;
	char err[1024];

	if (become_service_user(cfg))
		return NULL;
	if (vs_store_open(cfg->state_dir, &st, err, sizeof(err))) {
		fprintf(stderr, "voipshield: %s\n", err);
		return NULL;
	}
	return st;
}

static int fill_user(struct vs_user_rec *u, const struct vs_config *cfg,
		     const char *name, const char *password, size_t plen)
{
	struct pl pn = pl_make(name, strlen(name));
	struct pl pr = pl_make(cfg->realm, strlen(cfg->realm));
	struct pl pp = pl_make(password, plen);

	memset(u, 0, sizeof(*u));
	snprintf(u->user, sizeof(u->user), "%s", name);
	snprintf(u->realm, sizeof(u->realm), "%s", cfg->realm);
	for (int a = 0; a < AUTH_ALGO_COUNT; a++) {
		if (auth_ha1((enum auth_algo)a, &pn, &pr, &pp, u->ha1[a]))
			return -1;
	}
	return 0;
}

static const char *password_problem(const char *p, size_t len)
{
	if (len < PASSWORD_MIN)
		return "is shorter than 8 characters";
	if (len > PASSWORD_MAX)
		return "is longer than 256 characters";
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return "contains a control character";
	}
	return NULL;
}

/* One line from f without its line end; -1 at EOF or when too long. */
static int read_line(FILE *f, char *buf, size_t size, size_t *len)
{
	if (!fgets(buf, (int)size, f))
		return -1;
	*len = strlen(buf);
	if (*len && buf[*len - 1] == '\n')
		buf[--*len] = 0;
	else if (!feof(f))
		return -2; /* too long */
	if (*len && buf[*len - 1] == '\r')
		buf[--*len] = 0;
	return 0;
}

static int prompt(const char *text, char *buf, size_t size, size_t *len)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	int rc;

	if (!tty)
		return -1;
	fputs(text, tty);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	rc = read_line(tty, buf, size, len);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	return rc;
}

/* The new password: typed twice at a terminal, or one line of stdin. */
static int get_password(const char *name, const char *realm, char *buf,
			size_t size, size_t *len)
{
	char again[PASSWORD_MAX + 2], text[256];
	size_t alen;
	const char *why;

	if (isatty(STDIN_FILENO)) {
		snprintf(text, sizeof(text), "Password for %s (realm %s): ",
			 name, realm);
		if (prompt(text, buf, size, len) ||
		    prompt("Again: ", again, sizeof(again), &alen)) {
			fprintf(stderr, "voipshield: no password read\n");
			return -1;
		}
		if (alen != *len || memcmp(buf, again, alen) != 0) {
			secure_zero(again, sizeof(again));
			fprintf(stderr, "voipshield: the passwords differ; nothing changed\n");
			return -1;
		}
		secure_zero(again, sizeof(again));
	} else {
		int r = read_line(stdin, buf, size, len);
		if (r == -2) {
			fprintf(stderr, "voipshield: the password is longer than %d characters; nothing changed\n",
				PASSWORD_MAX);
			return -1;
		}
		if (r) {
			fprintf(stderr,
				"voipshield: no password on standard input (give it as one line, or run on a terminal to be prompted)\n");
			return -1;
		}
	}
	why = password_problem(buf, *len);
	if (why) {
		fprintf(stderr, "voipshield: the password %s; nothing changed\n", why);
		return -1;
	}
	return 0;
}

static bool cert_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > VS_CERT_NAME_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int bad_name(const char *name)
{
	fprintf(stderr,
		"voipshield: '%s' is not a valid user name (1 to %d letters, digits or -_.!~*'()&=+$,;?/)\n",
		name, VS_USER_MAX);
	return 2;
}

/* Does user exist?  0 (no), 1 (yes), -1 (store error). */
static int user_exists(struct vs_store *st, const struct vs_config *cfg,
		       const char *name)
{
	struct vs_user_rec old;
	int e = vs_store_user_get(st, name, strlen(name), cfg->realm,
				  strlen(cfg->realm), &old);

	secure_zero(&old, sizeof(old));
	return e == 0 ? 1 : e == ENOENT ? 0 : -1;
}

/* The user must not exist (add) or must exist (passwd). */
static bool expected_state(struct vs_store *st, const struct vs_config *cfg,
			   const char *name, bool create)
{
	int ex = user_exists(st, cfg, name);

	if (ex < 0) {
		fprintf(stderr, "voipshield: store: %s\n", vs_store_errmsg(st));
		return false;
	}
	if (create && ex) {
		fprintf(stderr,
			"voipshield: user %s already exists in realm %s (use 'user passwd' to change the password)\n",
			name, cfg->realm);
		return false;
	}
	if (!create && !ex) {
		fprintf(stderr, "voipshield: no user %s in realm %s\n", name,
			cfg->realm);
		return false;
	}
	return true;
}

static int cmd_set(const struct vs_config *cfg, const char *name, bool create)
{
	char pw[PASSWORD_MAX + 2];
	struct vs_user_rec u;
	struct vs_store *st;
	size_t plen;
	int rc = 1, e;

	memset(&u, 0, sizeof(u));
	if (!vs_user_name_valid(name, strlen(name)))
		return bad_name(name);
	st = open_store(cfg);
	if (!st)
		return 1;
	/* Say at once when the command cannot work, before the prompt... */
	if (!expected_state(st, cfg, name, create))
		goto out;
	if (get_password(name, cfg->realm, pw, sizeof(pw), &plen))
		goto out;
	e = fill_user(&u, cfg, name, pw, plen);
	secure_zero(pw, sizeof(pw));
	/* ...and check again inside the write transaction, so that two
	 * commands at once cannot both add, or revive a deleted user. */
	if (e || vs_store_begin(st)) {
		fprintf(stderr, "voipshield: store: %s\n", vs_store_errmsg(st));
		goto out;
	}
	if (!expected_state(st, cfg, name, create)) {
		vs_store_rollback(st);
		goto out;
	}
	if (vs_store_user_put(st, &u) || vs_store_commit(st)) {
		fprintf(stderr, "voipshield: cannot store user %s: %s\n", name,
			vs_store_errmsg(st));
		vs_store_rollback(st);
		goto out;
	}
	printf("%s %s in realm %s\n", create ? "added" : "changed password of",
	       name, cfg->realm);
	rc = 0;
out:
	secure_zero(&u, sizeof(u));
	vs_store_close(st);
	return rc;
}

static int cmd_del(const struct vs_config *cfg, const char *name)
{
	struct vs_store *st;
	int e;

	if (!vs_user_name_valid(name, strlen(name)))
		return bad_name(name);
	st = open_store(cfg);
	if (!st)
		return 1;
	e = vs_store_user_del(st, name, cfg->realm);
	vs_store_close(st);
	if (e == ENOENT) {
		fprintf(stderr, "voipshield: no user %s in realm %s\n", name,
			cfg->realm);
		return 1;
	}
	if (e) {
		fprintf(stderr, "voipshield: cannot delete %s\n", name);
		return 1;
	}
	printf("deleted %s from realm %s\n", name, cfg->realm);
	return 0;
}

/* `user set NAME [--tls-only | --any-transport] [--cert ID | --no-cert]`:
 * the account's transport policy (docs/tls.md). */
static int cmd_policy(const struct vs_config *cfg, int argc, char **argv)
{
	const char *name = argv[0];
	struct vs_user_rec u;
	struct vs_store *st;
	bool set_tls = false, tls = false, set_cert = false;
	const char *cert = "";
	int rc = 1, e;

	if (!vs_user_name_valid(name, strlen(name)))
		return bad_name(name);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tls-only") ||
		    !strcmp(argv[i], "--any-transport")) {
			set_tls = true;
			tls = argv[i][2] == 't';
		} else if (!strcmp(argv[i], "--no-cert")) {
			set_cert = true;
			cert = "";
		} else if (!strcmp(argv[i], "--cert") && i + 1 < argc) {
			set_cert = true;
			cert = argv[++i];
			if (!cert_name_valid(cert)) {
				fprintf(stderr,
					"voipshield: '%s' is not a certificate identity (1 to %d printable characters without spaces, such as alice@example.com or phone1.example.com)\n",
					cert, VS_CERT_NAME_MAX);
				return 2;
			}
		} else {
			fprintf(stderr, "voipshield: user set: unknown option '%s' (--tls-only, --any-transport, --cert IDENTITY, --no-cert)\n",
				argv[i]);
			return 2;
		}
	}
	if (!set_tls && !set_cert) {
		fprintf(stderr, "voipshield: user set %s: nothing to set (--tls-only, --any-transport, --cert IDENTITY, --no-cert)\n",
			name);
		return 2;
	}
	st = open_store(cfg);
	if (!st)
		return 1;
	if (vs_store_begin(st)) {
		fprintf(stderr, "voipshield: store: %s\n", vs_store_errmsg(st));
		goto out;
	}
	e = vs_store_user_get(st, name, strlen(name), cfg->realm,
			      strlen(cfg->realm), &u);
	if (e) {
		vs_store_rollback(st);
		if (e == ENOENT)
			fprintf(stderr, "voipshield: no user %s in realm %s\n",
				name, cfg->realm);
		else
			fprintf(stderr, "voipshield: store: %s\n",
				vs_store_errmsg(st));
		goto out;
	}
	if (set_tls)
		u.flags = tls ? u.flags | VS_USER_TLS_ONLY
			      : u.flags & ~VS_USER_TLS_ONLY;
	if (set_cert)
		snprintf(u.cert, sizeof(u.cert), "%s", cert);
	if (vs_store_user_policy(st, &u) || vs_store_commit(st)) {
		fprintf(stderr, "voipshield: cannot store user %s: %s\n", name,
			vs_store_errmsg(st));
		vs_store_rollback(st);
		goto out;
	}
	printf("%s in realm %s: %s, %s%s\n", name, cfg->realm,
	       (u.flags & VS_USER_TLS_ONLY) ? "TLS only" : "any transport",
	       u.cert[0] ? "client certificate " : "no client certificate",
	       u.cert);
	rc = 0;
out:
	secure_zero(&u, sizeof(u));
	vs_store_close(st);
	return rc;
}

static int print_user(const struct vs_user_rec *u, void *arg)
{
	const char *sep = "";
	int n = 0;

	(void)arg;
	printf("%-32s %-24s ", u->user, u->realm);
	for (int a = 0; a < AUTH_ALGO_COUNT; a++) {
		if (u->ha1[a][0]) {
			n += printf("%s%s", sep, auth_algo_name((enum auth_algo)a));
			sep = ",";
		}
	}
	printf("%*s %-9s %s\n", n < 24 ? 24 - n : 0, "",
	       (u->flags & VS_USER_TLS_ONLY) ? "tls-only" : "any",
	       u->cert[0] ? u->cert : "-");
	return 0;
}

static int cmd_list(const struct vs_config *cfg)
{
	struct vs_store *st = open_store(cfg);
	int e;

	if (!st)
		return 1;
	printf("%-32s %-24s %-24s %-9s %s\n", "USER", "REALM", "ALGORITHMS",
	       "TRANSPORT", "CERTIFICATE");
	e = vs_store_user_foreach(st, print_user, NULL);
	vs_store_close(st);
	return e ? 1 : 0;
}

static int cmd_import(const struct vs_config *cfg, const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char line[CSV_LINE_MAX + 2];
	struct vs_store *st;
	struct vs_user_rec u;
	unsigned lineno = 0, added = 0;
	bool first_record = true;
	size_t len;
	int rc = 1, r;

	if (!f) {
		fprintf(stderr, "voipshield: cannot read %s: %s\n", file,
			strerror(errno));
		return 1;
	}
	st = open_store(cfg);
	if (!st)
		goto close_file;
	if (vs_store_begin(st)) {
		fprintf(stderr, "voipshield: store: %s\n", vs_store_errmsg(st));
		goto close_store;
	}
	while ((r = read_line(f, line, sizeof(line), &len)) == 0) {
		char *fields[3];
		const char *why;
		int n;

		char *text = line;

		lineno++;
		/* Spreadsheets often start a UTF-8 file with a byte order mark. */
		if (lineno == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3))
			text += 3;
		if (*text == 0 || *text == '#')
			continue;
		n = vs_csv_split(text, fields, 3);
		if (n != 2) {
			fprintf(stderr,
				"%s:%u: expected two columns, user,password%s; nothing imported\n",
				file, lineno,
				n < 0 ? " (broken quoting)" : "");
			goto rollback;
		}
		/* A header row: only as the first record, and only the exact
		 * column names (a user named "user" is a user). */
		if (first_record && (!strcmp(fields[0], "user") ||
				     !strcmp(fields[0], "username")) &&
		    !strcmp(fields[1], "password")) {
			first_record = false;
			continue;
		}
		first_record = false;
		if (!vs_user_name_valid(fields[0], strlen(fields[0]))) {
			fprintf(stderr, "%s:%u: '%s' is not a valid user name; nothing imported\n",
				file, lineno, fields[0]);
			goto rollback;
		}
		why = password_problem(fields[1], strlen(fields[1]));
		if (why) {
			fprintf(stderr, "%s:%u: the password of %s %s; nothing imported\n",
				file, lineno, fields[0], why);
			goto rollback;
		}
		if (fill_user(&u, cfg, fields[0], fields[1], strlen(fields[1])) ||
		    vs_store_user_put(st, &u)) {
			fprintf(stderr, "%s:%u: cannot store %s: %s; nothing imported\n",
				file, lineno, fields[0], vs_store_errmsg(st));
			goto rollback;
		}
		added++;
		if (added % 10000 == 0 && isatty(STDERR_FILENO))
			fprintf(stderr, "\r%u users...", added);
	}
	if (r == -2) {
		fprintf(stderr, "%s:%u: line longer than %d bytes; nothing imported\n",
			file, lineno + 1, CSV_LINE_MAX);
		goto rollback;
	}
	if (vs_store_commit(st)) {
		fprintf(stderr, "voipshield: store: %s; nothing imported\n",
			vs_store_errmsg(st));
		goto rollback;
	}
	printf("imported %u user%s into realm %s (existing users were updated)\n",
	       added, added == 1 ? "" : "s", cfg->realm);
	rc = 0;
	goto close_store;
rollback:
	vs_store_rollback(st);
close_store:
	secure_zero(line, sizeof(line));
	secure_zero(&u, sizeof(u));
	vs_store_close(st);
close_file:
	if (f != stdin)
		fclose(f);
	return rc;
}

int vs_user_command(const struct vs_config *cfg, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";

	if (!strcmp(sub, "list") && argc == 1)
		return cmd_list(cfg);
	if (argc == 2 && !strcmp(sub, "add"))
		return cmd_set(cfg, argv[1], true);
	if (argc == 2 && !strcmp(sub, "passwd"))
		return cmd_set(cfg, argv[1], false);
	if (argc >= 2 && !strcmp(sub, "set"))
		return cmd_policy(cfg, argc - 1, argv + 1);
	if (argc == 2 && !strcmp(sub, "del"))
		return cmd_del(cfg, argv[1]);
	if (argc == 2 && !strcmp(sub, "import"))
		return cmd_import(cfg, argv[1]);
	fprintf(stderr,
		"usage: voipshield [-c FILE] user add NAME | passwd NAME | set NAME [--tls-only | --any-transport] [--cert IDENTITY | --no-cert] | del NAME | list | import FILE.csv\n"
		"Try 'voipshield --help'.\n");
	return 2;
}
