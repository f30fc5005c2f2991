/*
 * call_load.c - authenticated calls at a fixed rate over UDP, for the rate
 * at which 99.9% of calls succeed (bench/proxy_vs_kamailio.sh).  SIPp
 * computes every digest of its callers on one core and saturates before
 * either server; this plays the callers and the callee in one C process.
 * Loopback only; one thread, epoll.
 *
 *   call_load PORT CALLERS RATE SECONDS USERS [CALLEE_PORT]
 *
 * First the callee (user "uas", password "pw-uas" LOAD_PASS_SUFFIX)
 * removes every binding it has ("Contact: *", Expires: 0) and registers
 * from 127.0.0.1:CALLEE_PORT (default PORT + 1), answering the 401 with
 * MD5 credentials.  Then calls start at RATE per second for SECONDS, each
 * on the next idle one of CALLERS connected sockets, the callers being
 * users LOAD_USER (default "u") and five digits, passwords "pw-", the name
 * and LOAD_PASS_SUFFIX (default "-x"), as in bench/proxy_vs_kamailio.sh.
 * Each call is the one bench/sipp/call_uac.xml and call_uas.xml play:
 *
 *   INVITE, 407, ACK, INVITE with Proxy-Authorization, 100, 180, 200
 *   (with SDP), ACK and BYE by the Record-Route set, 200.
 *
 * The callee answers each INVITE with 180 and 200 at once, echoing Via,
 * Record-Route, From, To (with its tag), Call-ID and CSeq, and each BYE
 * with 200.  Nothing is retransmitted: on loopback only an overloaded
 * server loses a datagram, and a call not finished 8 s after its first
 * INVITE fails.  A retransmitted 200 or 407 is acknowledged again.
 *
 * Prints "RESULT ok=N fail=N skipped=N elapsed_s=X p50_us=X p99_us=X":
 * calls that ended with the BYE's 200, calls that failed, calls not
 * started because no caller socket was idle (overload), and the setup
 * time (first INVITE to its 200) percentiles.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load_sip.h"

#define CALL_TIMEOUT_NS 8000000000ull
#define MAX_ROUTES 8

enum call_state { IDLE, INVITE1, INVITE2, BYE };

struct caller {
	int fd;
	int port;	 /* its local port, for Via and Contact */
	enum call_state st;
	uint64_t t0;
	unsigned cursor; /* which of its users calls next */
	int user;
	unsigned call;	 /* a number unique in this run */
	char call_id[64];
	char to[256];	 /* the 200's To, with the callee's tag */
	char target[128];/* the 200's Contact URI */
	char route[512]; /* "Route: ...\r\n" from the Record-Route, reversed */
};

static struct load_stats stats;
static struct sockaddr_in dst, callee_addr;
static const char *user_prefix = "u", *pass_suffix = "-x";
static char buf[8192], out[4096];
static unsigned long callee_invites;
/* Failures by the status code that ended them: 0 none in time, 1 a send
 * that failed, 2 a 2xx without a Contact. */
static unsigned long fail_codes[700];

static void call_failed(struct caller *c, int code)
{
	stats.failed++;
	fail_codes[code >= 0 && code < 700 ? code : 1]++;
	c->st = IDLE;
}

static int local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof(sa);

	getsockname(fd, (struct sockaddr *)&sa, &l);
	return ntohs(sa.sin_port);
}

static void big_buffers(int fd)
{
	int sz = 4 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* The value of the first header NAME (or its compact form), trimmed. */
static bool header(const char *msg, size_t len, const char *name, const char *compact,
		   const char **v, size_t *vl)
{
	const char *p = memmem(msg, len, "\r\n", 2), *end = msg + len;

	while (p && p + 2 < end && !(p[2] == '\r')) {
		const char *line = p + 2, *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		const char *colon = eol ? memchr(line, ':', (size_t)(eol - line)) : NULL;
		if (!colon)
			return false;
		size_t nl = (size_t)(colon - line);
		while (nl && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
			nl--;
		if ((nl == strlen(name) && !strncasecmp(line, name, nl)) ||
		    (compact && nl == 1 && tolower((unsigned char)line[0]) == compact[0])) {
			const char *s = colon + 1;
			while (s < eol && (*s == ' ' || *s == '\t'))
				s++;
			*v = s;
			*vl = (size_t)(eol - s);
			return true;
		}
		p = eol;
	}
	return false;
}

static bool same(const char *v, size_t vl, const char *s)
{
	return vl == strlen(s) && !memcmp(v, s, vl);
}

/* ---- the callee ------------------------------------------------------ */

/* Copy Via, From, To, Call-ID, CSeq (and Record-Route when with_rr) from
 * a request to a response, adding to_tag to the To when it has none. */
static size_t echo_headers(char *o, size_t osz, const char *msg, size_t len, bool with_rr,
			   const char *to_tag)
{
	const char *p = memmem(msg, len, "\r\n", 2), *end = msg + len;
	size_t n = 0;

	while (p && p + 2 < end && p[2] != '\r') {
		const char *line = p + 2, *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		const char *colon = eol ? memchr(line, ':', (size_t)(eol - line)) : NULL;
		if (!colon)
			break;
		size_t nl = (size_t)(colon - line), ll = (size_t)(eol - line);
		bool to = (nl == 2 && !strncasecmp(line, "To", 2)) || (nl == 1 && (*line | 32) == 't');
		bool keep = to || (nl == 3 && !strncasecmp(line, "Via", 3)) ||
			    (nl == 1 && strchr("vfi", *line | 32)) ||
			    (nl == 4 && !strncasecmp(line, "From", 4)) ||
			    (nl == 7 && !strncasecmp(line, "Call-ID", 7)) ||
			    (nl == 4 && !strncasecmp(line, "CSeq", 4)) ||
			    (with_rr && nl == 12 && !strncasecmp(line, "Record-Route", 12));
		if (keep && n + ll + 40 < osz) {
			memcpy(o + n, line, ll);
			n += ll;
			if (to && to_tag && !memmem(line, ll, ";tag=", 5))
				n += (size_t)snprintf(o + n, osz - n, ";tag=%s", to_tag);
			memcpy(o + n, "\r\n", 2);
			n += 2;
		}
		p = eol;
	}
	return n;
}

static void callee_answer(int fd, const char *msg, size_t len, const struct sockaddr_in *from)
{
	const char *cid;
	size_t cl, n;
	char tag[20];
	int port = ntohs(callee_addr.sin_port);

	if (!header(msg, len, "Call-ID", "i", &cid, &cl))
		return;
	/* the same tag for a retransmission: a hash of the Call-ID */
	unsigned h = 2166136261u;
	for (size_t i = 0; i < cl; i++)
		h = (h ^ (unsigned char)cid[i]) * 16777619u;
	snprintf(tag, sizeof(tag), "cl%08x", h);
	if (!strncmp(msg, "INVITE ", 7)) {
		static const char sdp[] = "v=0\r\no=uas 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
					  "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
					  "a=rtpmap:0 PCMU/8000\r\n";
		callee_invites++;
		n = (size_t)snprintf(out, sizeof(out), "SIP/2.0 180 Ringing\r\n");
		n += echo_headers(out + n, sizeof(out) - n, msg, len, true, tag);
		n += (size_t)snprintf(out + n, sizeof(out) - n,
				      "Contact: <sip:uas@127.0.0.1:%d>\r\nContent-Length: 0\r\n\r\n", port);
		sendto(fd, out, n, 0, (const struct sockaddr *)from, sizeof(*from));
		n = (size_t)snprintf(out, sizeof(out), "SIP/2.0 200 OK\r\n");
		n += echo_headers(out + n, sizeof(out) - n, msg, len, true, tag);
		n += (size_t)snprintf(out + n, sizeof(out) - n,
				      "Contact: <sip:uas@127.0.0.1:%d>\r\nContent-Type: application/sdp\r\n"
				      "Content-Length: %zu\r\n\r\n%s", port, sizeof(sdp) - 1, sdp);
	} else if (!strncmp(msg, "BYE ", 4)) {
		n = (size_t)snprintf(out, sizeof(out), "SIP/2.0 200 OK\r\n");
		n += echo_headers(out + n, sizeof(out) - n, msg, len, false, NULL);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "Content-Length: 0\r\n\r\n");
	} else {
		return; /* ACK; nothing else is sent to it */
	}
	if (n < sizeof(out))
		sendto(fd, out, n, 0, (const struct sockaddr *)from, sizeof(*from));
}

/* One REGISTER of the callee, answering a 401 once; true on 200. */
static bool callee_register(int fd, const char *contact, int expires, unsigned *cseq)
{
	char name[16] = "uas", pw[64], nonce[200] = "", auth[600] = "";
	int port = local_port(fd);

	snprintf(pw, sizeof(pw), "pw-uas%s", pass_suffix);
	for (int tries = 0; tries < 2; tries++) {
		int n = snprintf(out, sizeof(out),
				 "REGISTER sip:%s SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKcl%u%x;rport\r\n"
				 "From: <sip:%s@%s>;tag=clreg\r\nTo: <sip:%s@%s>\r\n"
				 "Call-ID: callee-%d@callload\r\nCSeq: %u REGISTER\r\n"
				 "Contact: %s\r\nExpires: %d\r\nMax-Forwards: 70\r\n%s"
				 "Content-Length: 0\r\n\r\n",
				 LOAD_REALM, port, *cseq, (unsigned)rand(), name, LOAD_REALM, name,
				 LOAD_REALM, (int)getpid(), *cseq, contact, expires, auth);
		(*cseq)++;
		sendto(fd, out, (size_t)n, 0, (struct sockaddr *)&dst, sizeof(dst));
		for (;;) {
			ssize_t r = recv(fd, buf, sizeof(buf) - 1, 0);
			if (r <= 0)
				return false; /* 2 s without an answer */
			buf[r] = 0;
			int code = r > 12 ? atoi(buf + 8) : 0;
			if (code < 200)
				continue;
			if (code == 200)
				return true;
			if (code != 401 || tries ||
			    !load_take_nonce(buf, (size_t)r, "WWW-Authenticate:", nonce, sizeof(nonce)))
				return false;
			char cred[500];
			if (load_digest(cred, sizeof(cred), name, pw, "REGISTER", "sip:" LOAD_REALM,
					nonce, 1) < 0)
				return false;
			snprintf(auth, sizeof(auth), "Authorization: %s\r\n", cred);
			break;
		}
	}
	return false;
}

/* ---- the callers ----------------------------------------------------- */

static void user_of(const struct caller *c, char name[16], char pw[64])
{
	snprintf(name, 16, "%s%05d", user_prefix, c->user);
	snprintf(pw, 64, "pw-%s%s", name, pass_suffix);
}

static void caller_send(struct caller *c, size_t n)
{
	if (n >= sizeof(out) || send(c->fd, out, n, 0) < 0)
		call_failed(c, 1);
}

/* INVITE with CSeq cseq; credentials when nonce is given. */
static void send_invite(struct caller *c, unsigned cseq, const char *nonce)
{
	char name[16], pw[64], auth[600] = "";
	int port = c->port;

	user_of(c, name, pw);
	if (nonce) {
		char cred[500];
		load_digest(cred, sizeof(cred), name, pw, "INVITE", "sip:uas@" LOAD_REALM, nonce, 1);
		snprintf(auth, sizeof(auth), "Proxy-Authorization: %s\r\n", cred);
	}
	caller_send(c, (size_t)snprintf(out, sizeof(out),
		"INVITE sip:uas@%s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x-%u-%u;rport\r\n"
		"From: <sip:%s@%s>;tag=f%u\r\nTo: <sip:uas@%s>\r\n"
		"Call-ID: %s\r\nCSeq: %u INVITE\r\n"
		"Contact: <sip:%s@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n%s"
		"Content-Length: 0\r\n\r\n",
		LOAD_REALM, port, (unsigned)getpid(), c->call, cseq, name, LOAD_REALM, c->call, LOAD_REALM,
		c->call_id, cseq, name, port, auth));
}

/*
 * ACK or BYE.  In the dialog (the ACK for the 2xx, the BYE): a new branch,
 * the route set and the callee's target, To with the callee's tag.  The
 * ACK for an error response is hop by hop: the INVITE's branch and the
 * To of that response.
 */
static void send_no_body(struct caller *c, const char *method, unsigned cseq, bool in_dialog,
			 const char *to, size_t tl)
{
	char name[16], pw[64];
	int port = c->port;

	user_of(c, name, pw);
	caller_send(c, (size_t)snprintf(out, sizeof(out),
		"%s %s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x-%u-%u%s;rport\r\n%s"
		"From: <sip:%s@%s>;tag=f%u\r\nTo: %.*s\r\n"
		"Call-ID: %s\r\nCSeq: %u %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		method, in_dialog ? c->target : "sip:uas@" LOAD_REALM, port, (unsigned)getpid(),
		c->call, cseq, in_dialog ? method : "", in_dialog ? c->route : "", name, LOAD_REALM,
		c->call, (int)tl, to, c->call_id, cseq, method));
}

/* The route set of a 2xx: its Record-Route entries, last first. */
static void take_dialog(struct caller *c, const char *msg, size_t len)
{
	const char *entries[MAX_ROUTES], *p = memmem(msg, len, "\r\n", 2), *end = msg + len;
	size_t lens[MAX_ROUTES], n = 0, o;
	const char *v;
	size_t vl;

	c->target[0] = 0;
	if (header(msg, len, "Contact", "m", &v, &vl)) {
		const char *lt = memchr(v, '<', vl), *gt = lt ? memchr(lt, '>', vl - (size_t)(lt - v)) : NULL;
		if (lt && gt && (size_t)(gt - lt - 1) < sizeof(c->target))
			snprintf(c->target, sizeof(c->target), "%.*s", (int)(gt - lt - 1), lt + 1);
	}
	if (header(msg, len, "To", "t", &v, &vl) && vl < sizeof(c->to))
		snprintf(c->to, sizeof(c->to), "%.*s", (int)vl, v);
	while (p && p + 2 < end && p[2] != '\r' && n < MAX_ROUTES) {
		const char *line = p + 2, *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		if (!eol)
			break;
		if ((size_t)(eol - line) > 13 && !strncasecmp(line, "Record-Route:", 13)) {
			const char *s = line + 13;
			while (n < MAX_ROUTES && s < eol) { /* entries split at commas outside <> */
				while (s < eol && (*s == ' ' || *s == ','))
					s++;
				const char *e = s;
				bool in = false;
				while (e < eol && (in || *e != ',')) {
					in = *e == '<' ? true : *e == '>' ? false : in;
					e++;
				}
				if (e > s) {
					entries[n] = s;
					lens[n++] = (size_t)(e - s);
				}
				s = e;
			}
		}
		p = eol;
	}
	c->route[0] = 0;
	if (!n)
		return;
	o = (size_t)snprintf(c->route, sizeof(c->route), "Route: ");
	while (n-- && o < sizeof(c->route))
		o += (size_t)snprintf(c->route + o, sizeof(c->route) - o, "%.*s%s", (int)lens[n],
				      entries[n], n ? ", " : "\r\n");
	if (o >= sizeof(c->route))
		c->route[0] = 0;
}

static void caller_response(struct caller *c, const char *msg, size_t len)
{
	const char *v, *to;
	size_t vl, tl;
	int code = len > 12 && !strncmp(msg, "SIP/2.0 ", 8) ? atoi(msg + 8) : 0;
	unsigned cseq;

	if (c->st == IDLE || !header(msg, len, "Call-ID", "i", &v, &vl) || !same(v, vl, c->call_id) ||
	    !header(msg, len, "CSeq", NULL, &v, &vl) || !header(msg, len, "To", "t", &to, &tl))
		return; /* a late answer to a call already counted */
	cseq = (unsigned)atoi(v);
	if (code < 200)
		return;
	if (cseq == 1) { /* the first INVITE: 407 */
		char nonce[200];
		send_no_body(c, "ACK", 1, false, to, tl);
		if (c->st != INVITE1)
			return; /* a retransmitted 407 */
		if (code == 407 &&
		    load_take_nonce(msg, len, "Proxy-Authenticate:", nonce, sizeof(nonce))) {
			c->st = INVITE2;
			send_invite(c, 2, nonce);
		} else {
			call_failed(c, code);
		}
	} else if (cseq == 2) { /* the INVITE with credentials */
		if (code >= 300) {
			send_no_body(c, "ACK", 2, false, to, tl);
			if (c->st == INVITE2)
				call_failed(c, code);
			return;
		}
		if (c->st == INVITE2) {
			load_record(&stats, load_now_ns() - c->t0);
			take_dialog(c, msg, len);
		}
		if (!c->target[0]) {
			call_failed(c, 2);
			return;
		}
		send_no_body(c, "ACK", 2, true, c->to, strlen(c->to));
		if (c->st == INVITE2) {
			c->st = BYE;
			send_no_body(c, "BYE", 3, true, c->to, strlen(c->to));
		}
	} else if (cseq == 3 && c->st == BYE) {
		if (code == 200) {
			stats.ok++;
			c->st = IDLE;
		} else {
			call_failed(c, code);
		}
	}
}

static void caller_start(struct caller *c, unsigned call)
{
	c->call = call;
	snprintf(c->call_id, sizeof(c->call_id), "%x-%u@callload", (unsigned)getpid(), call);
	c->st = INVITE1;
	c->t0 = load_now_ns();
	send_invite(c, 1, NULL);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int ep, callee, n, nusers, next = 0, rr = 0;
	unsigned cseq = 1, calls = 0;
	double rate, secs;
	char contact[64];
	struct caller *cs;
	uint64_t start, deadline;
	struct timeval tv = {.tv_sec = 2};

	char callee_port[8];
	if (argc < 6 || !load_loopback(argv[1], &dst) ||
	    (snprintf(callee_port, sizeof(callee_port), "%d", ntohs(dst.sin_port) + 1),
	     !load_loopback(argc > 6 ? argv[6] : callee_port, &callee_addr))) {
		fprintf(stderr, "usage: call_load PORT CALLERS RATE SECONDS USERS [CALLEE_PORT]"
				"   (127.0.0.1 only)\n");
		return 2;
	}
	if (getenv("LOAD_USER"))
		user_prefix = getenv("LOAD_USER");
	if (getenv("LOAD_PASS_SUFFIX"))
		pass_suffix = getenv("LOAD_PASS_SUFFIX");
	n = atoi(argv[2]);
	rate = atof(argv[3]);
	secs = atof(argv[4]);
	nusers = atoi(argv[5]);
	if (n < 1 || nusers < 1 || rate <= 0 || secs <= 0 || secs > 3600) {
		fprintf(stderr, "call_load: CALLERS, RATE, SECONDS (at most 3600) and USERS must be positive\n");
		return 2;
	}
	if (n > nusers)
		n = nusers; /* each caller socket has users of its own */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);

	/* The callee: its socket, its registration (every older binding
	 * removed first, so that no call forks to a closed port). */
	callee = socket(AF_INET, SOCK_DGRAM, 0);
	if (callee < 0 || bind(callee, (struct sockaddr *)&callee_addr, sizeof(callee_addr))) {
		fprintf(stderr, "call_load: cannot bind 127.0.0.1:%d: %s\n", ntohs(callee_addr.sin_port),
			strerror(errno));
		return 1;
	}
	big_buffers(callee);
	setsockopt(callee, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(contact, sizeof(contact), "<sip:uas@127.0.0.1:%d>", ntohs(callee_addr.sin_port));
	if (!callee_register(callee, "*", 0, &cseq) || !callee_register(callee, contact, 3600, &cseq)) {
		fprintf(stderr, "call_load: the callee could not register at 127.0.0.1:%d\n",
			ntohs(dst.sin_port));
		return 1;
	}

	ep = epoll_create1(0);
	cs = calloc((size_t)n, sizeof(*cs));
	if (!cs)
		return 1;
	for (int i = 0; i < n; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		cs[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (cs[i].fd < 0 || connect(cs[i].fd, (struct sockaddr *)&dst, sizeof(dst))) {
			fprintf(stderr, "call_load: socket: %s\n", strerror(errno));
			return 1;
		}
		big_buffers(cs[i].fd);
		cs[i].port = local_port(cs[i].fd);
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &e);
	}
	{ /* from now on the callee's reads do not wait (MSG_DONTWAIT) */
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)n};
		epoll_ctl(ep, EPOLL_CTL_ADD, callee, &e);
	}
	fprintf(stderr, "call_load: callee registered, %d callers\n", n);

	int count = (int)(rate * secs);
	start = load_now_ns();
	deadline = start + (uint64_t)((secs + 10) * 1e9);
	while (load_now_ns() < deadline) {
		uint64_t now = load_now_ns(), due = start + (uint64_t)(next / rate * 1e9);
		bool busy = false;
		struct epoll_event ev[256];

		while (next < count && now >= due) {
			int k;
			for (k = 0; k < n; k++) {
				int ci = (rr + k) % n;
				struct caller *c = &cs[ci];
				if (c->st == IDLE) {
					c->user = load_slot_user(ci, n, nusers, &c->cursor);
					caller_start(c, ++calls);
					break;
				}
			}
			if (k == n)
				stats.skipped++;
			rr = (rr + k + 1) % n;
			next++;
			due = start + (uint64_t)(next / rate * 1e9);
		}
		now = load_now_ns();
		for (int i = 0; i < n; i++) {
			if (cs[i].st != IDLE && now > cs[i].t0 + CALL_TIMEOUT_NS)
				call_failed(&cs[i], 0);
			busy = busy || cs[i].st != IDLE;
		}
		if (next >= count && !busy)
			break;
		int m = epoll_wait(ep, ev, 256, 1);
		for (int i = 0; i < m; i++) {
			uint32_t k = ev[i].data.u32;
			for (;;) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t r = recvfrom(k == (uint32_t)n ? callee : cs[k].fd, buf, sizeof(buf) - 1,
						     MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
				if (r <= 0)
					break;
				buf[r] = 0;
				if (k == (uint32_t)n)
					callee_answer(callee, buf, (size_t)r, &from);
				else
					caller_response(&cs[k], buf, (size_t)r);
			}
		}
	}
	fprintf(stderr, "call_load: %u calls started, the callee saw %lu INVITEs\n", calls, callee_invites);
	for (int i = 0; i < 700; i++) {
		static const char *const why[] = {"no answer in time", "a send failed",
						  "a 2xx without Contact"};
		if (fail_codes[i] && i < 3)
			fprintf(stderr, "call_load: %lu calls failed: %s\n", fail_codes[i], why[i]);
		else if (fail_codes[i])
			fprintf(stderr, "call_load: %lu calls failed: answered %d\n", fail_codes[i], i);
	}
	load_result(&stats, (double)(load_now_ns() - start) / 1e9);
	return 0;
}
