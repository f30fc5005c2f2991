/*
 * hdr.c - SIP header names, compact forms and methods.
 *
 * Header names are looked up on every header of every message, so the
 * lookup is a small open-addressing hash over the lower-cased name, built
 * once at start-up; compact forms go through a direct 26-entry table.
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
static uint8_t hdr_by_letter[26];

static uint32_t name_hash(const char *p, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)vs_tolower(p[i])) * 16777619u;
	return h;
}

__attribute__((constructor)) static void sip_hdr_init(void)
{
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		const char *n = hdr_names[id];
		uint32_t h = name_hash(n, strlen(n)) & (HDR_SLOTS - 1);

		while (hdr_slot[h])
			h = (h + 1) & (HDR_SLOTS - 1);
		hdr_slot[h] = (uint8_t)id;
		if (hdr_compact[id])
			hdr_by_letter[hdr_compact[id] - 'a'] = (uint8_t)id;
	}
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
	h = name_hash(name, len) & (HDR_SLOTS - 1);
	while (hdr_slot[h]) {
		const char *n = hdr_names[hdr_slot[h]];
		if (strlen(n) == len) {
			size_t i = 0;
			while (i < len && vs_tolower(n[i]) == vs_tolower(name[i]))
				i++;
			if (i == len)
				return (enum sip_hdr_id)hdr_slot[h];
		}
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

enum sip_method sip_method_lookup(const struct pl *name)
{
	if (name->l < 3 || name->l > 9)
		return SIP_METHOD_OTHER;
	for (int m = 1; m < SIP_METHOD_COUNT; m++) {
		if (pl_eq_str(name, method_names[m]))
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
