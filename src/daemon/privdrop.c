/*
 * privdrop.c - give up root once the ports are bound.
 */
#include "daemon/privdrop.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

/*
 * Give the state directory and the files the daemon keeps in it (all named
 * voipshield*) to the new user.  A directory holding anything else is not
 * a state directory of its own (a typo such as "/var/lib"): refuse rather
 * than hand it over.
 */
static int chown_state(const char *dir, uid_t uid, gid_t gid, char *err,
		       size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		snprintf(err, errlen, "cannot open state directory %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (strncmp(e->d_name, "voipshield", 10) != 0) {
			snprintf(err, errlen,
				 "server.state_dir %s holds '%s', which voipshield did not make: give voipshield a directory of its own (for example /var/lib/voipshield)",
				 dir, e->d_name);
			closedir(d);
			return -1;
		}
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		char path[4096];
		if (strncmp(e->d_name, "voipshield", 10) != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     e->d_name) >= sizeof(path))
			continue;
		/* lchown: never follow a link planted in the directory. */
		(void)lchown(path, uid, gid);
	}
	closedir(d);
	if (chown(dir, uid, gid)) {
		snprintf(err, errlen, "cannot hand %s to the service user: %s",
			 dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Keep only CAP_NET_ADMIN, effective and permitted. */
static int keep_net_admin_cap(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
	return (int)syscall(SYS_capset, &h, d);
}

int vs_privdrop(const char *user, bool allow_root, const char *state_dir,
		char *err, size_t errlen)
{
	return vs_privdrop_ex(user, allow_root, state_dir, false, err, errlen);
}

int vs_privdrop_ex(const char *user, bool allow_root, const char *state_dir,
		   bool keep_net_admin, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (!user[0]) {
		if (allow_root) {
			vs_log(VS_LOG_WARN, "running as root (server.allow_root = true)");
			return 0;
		}
		snprintf(err, errlen,
			 "refusing to run as root: set server.user to an unprivileged account, or server.allow_root = true");
		return -1;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen,
			 "server.user '%s' does not exist: create it (useradd --system --no-create-home --shell /usr/sbin/nologin %s) or name another account",
			 user, user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		if (allow_root)
			return 0;
		snprintf(err, errlen,
			 "server.user '%s' is root: choose an unprivileged account, or set server.allow_root = true",
			 user);
		return -1;
	}
	if (chown_state(state_dir, pw->pw_uid, pw->pw_gid, err, errlen))
		return -1;
	if (keep_net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "cannot keep CAP_NET_ADMIN: %s", strerror(errno));
		return -1;
	}
	if (initgroups(user, pw->pw_gid) || setgid(pw->pw_gid) ||
	    setuid(pw->pw_uid)) {
		snprintf(err, errlen, "cannot switch to user '%s': %s", user,
			 strerror(errno));
		return -1;
	}
	if (keep_net_admin) {
		/* Permitted keeps every capability across setuid with
		 * KEEPCAPS; narrow it to the one nftables needs. */
		if (keep_net_admin_cap()) {
			snprintf(err, errlen, "cannot keep CAP_NET_ADMIN for shield.nftables: %s",
				 strerror(errno));
			return -1;
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	/* Make sure there is no way back. */
	if (setuid(0) == 0 || geteuid() == 0) {
		snprintf(err, errlen, "privileges could not be dropped for good");
		return -1;
	}
	vs_log(VS_LOG_INFO, "dropped privileges to user %s (uid %u)%s", user,
	       (unsigned)pw->pw_uid,
	       keep_net_admin ? ", keeping CAP_NET_ADMIN for nftables" : "");
	return 0;
}
