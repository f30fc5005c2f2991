/*
 * hdr.c - SIP header names, compact forms and methods.
 *
 * Header names are looked up on every header of every message, so the
 * lookup is a small open-addressing table built once at start-up; compact
 * forms go through a direct 26-entry table.
 */
#include "sip/hdr.h"

static const char *const hdr_names[SIP_HDR_COUNT] = {
	[SIP_HDR_OTHER] = "",
#define X(id, name, compact) [SIP_HDR_##id] = name,
	SIP_HDR_LIST(X)
#undef X
};

static const char hdr_compact[SIP_HDR_COUNT] = {
#define X(id, name, compact) [SIP_HDR_##id] = compact,
	SIP_HDR_LIST(X)
#undef X
};

#define HDR_SLOTS 256 /* power of two, well above SIP_HDR_COUNT */

static uint8_t hdr_slot[HDR_SLOTS]; /* header id, 0 = empty */
static uint8_t hdr_len[SIP_HDR_COUNT];
static char hdr_lower[SIP_HDR_COUNT][24];
static uint8_t hdr_by_letter[26];

/*
 * Header names are tokens, and in a token "c | 0x20" lower-cases letters
 * and leaves every other token character distinct from a letter or '-',
 * so it is a correct case fold here.  The slot depends on the length and
 * the first and last characters only: cheap, and collision-free enough
 * for the 64 names we know (linear probing handles the rest).
 */
static inline uint32_t name_slot(const char *p, size_t len)
{
	return ((uint32_t)len * 31u + (uint32_t)(uint8_t)(p[0] | 0x20) * 7u +
		(uint32_t)(uint8_t)(p[len - 1] | 0x20)) &
	       (HDR_SLOTS - 1);
}

__attribute__((constructor)) static void sip_hdr_init(void)
{
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		const char *n = hdr_names[id];
		size_t len = strlen(n);
		uint32_t h = name_slot(n, len);

		hdr_len[id] = (uint8_t)len;
		for (size_t i = 0; i < len; i++)
			hdr_lower[id][i] = vs_tolower(n[i]);
		while (hdr_slot[h])
			h = (h + 1) & (HDR_SLOTS - 1);
		hdr_slot[h] = (uint8_t)id;
		if (hdr_compact[id])
			hdr_by_letter[hdr_compact[id] - 'a'] = (uint8_t)id;
	}
}

/*
 * name (len bytes, any case) equals the lower-case n?  Eight bytes at a
 * time, the last chunk overlapping the one before so that no byte past
 * the name is read; short names byte by byte.
 */
static inline bool name_eq(const char *name, const char *n, size_t len)
{
	const uint64_t fold = 0x2020202020202020ULL;
	uint64_t a, b;
	size_t i;

	if (len < 4) {
		for (i = 0; i < len; i++)
			if ((name[i] | 0x20) != n[i])
				return false;
		return true;
	}
	if (len < 8) {
		uint32_t x, y, u, v;
		memcpy(&x, name, 4);
		memcpy(&y, n, 4);
		memcpy(&u, name + len - 4, 4);
		memcpy(&v, n + len - 4, 4);
		return (x | 0x20202020u) == y && (u | 0x20202020u) == v;
	}
	for (i = 0; i + 8 < len; i += 8) {
		memcpy(&a, name + i, 8);
		memcpy(&b, n + i, 8);
		if ((a | fold) != b)
			return false;
	}
	memcpy(&a, name + len - 8, 8);
	memcpy(&b, n + len - 8, 8);
	return (a | fold) == b;
}

enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len)
{
	uint32_t h;

	if (len == 1) {
		char c = vs_tolower(name[0]);
		if (c >= 'a' && c <= 'z')
			return (enum sip_hdr_id)hdr_by_letter[c - 'a'];
		return SIP_HDR_OTHER;
	}
	if (len == 0 || len >= sizeof(hdr_lower[0]))
		return SIP_HDR_OTHER;
	h = name_slot(name, len);
	while (hdr_slot[h]) {
		unsigned id = hdr_slot[h];
		if (hdr_len[id] == len && name_eq(name, hdr_lower[id], len))
			return (enum sip_hdr_id)id;
		h = (h + 1) & (HDR_SLOTS - 1);
	}
	return SIP_HDR_OTHER;
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR_COUNT)
		return "";
	return hdr_names[id];
}

static const char *const method_names[SIP_METHOD_COUNT] = {
	[SIP_METHOD_OTHER] = "",	 [SIP_METHOD_INVITE] = "INVITE",
	[SIP_METHOD_ACK] = "ACK",	 [SIP_METHOD_BYE] = "BYE",
	[SIP_METHOD_CANCEL] = "CANCEL", [SIP_METHOD_REGISTER] = "REGISTER",
	[SIP_METHOD_OPTIONS] = "OPTIONS", [SIP_METHOD_INFO] = "INFO",
	[SIP_METHOD_PRACK] = "PRACK",	 [SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	[SIP_METHOD_NOTIFY] = "NOTIFY", [SIP_METHOD_UPDATE] = "UPDATE",
	[SIP_METHOD_MESSAGE] = "MESSAGE", [SIP_METHOD_REFER] = "REFER",
	[SIP_METHOD_PUBLISH] = "PUBLISH",
};

static uint8_t method_len[SIP_METHOD_COUNT];

__attribute__((constructor)) static void sip_method_init(void)
{
	for (int m = 0; m < SIP_METHOD_COUNT; m++)
		method_len[m] = (uint8_t)strlen(method_names[m]);
}

enum sip_method sip_method_lookup(const struct pl *name)
{
	if (name->l < 3 || name->l > 9)
		return SIP_METHOD_OTHER;
	for (int m = 1; m < SIP_METHOD_COUNT; m++) {
		const char *n = method_names[m];
		/* Length and first byte decide nearly every mismatch. */
		if (method_len[m] == name->l && n[0] == name->p[0] &&
		    memcmp(n, name->p, name->l) == 0)
			return (enum sip_method)m;
	}
	return SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	if ((unsigned)m >= SIP_METHOD_COUNT)
		return "";
	return method_names[m];
}
