/*
 * stats.c - counter names.
 */
#include "core/stats.h"

#include <stdio.h>

static const char *const names[] = {
#define X(id, name) [VS_STAT_##id] = name,
	VS_STAT_LIST(X)
#undef X
};

const char *vs_stat_name(unsigned id, char *buf, size_t size)
{
	if (id < VS_STAT_PARSE_BASE)
		return names[id];
	snprintf(buf, size, "parse_error.%s",
		 sip_err_name((enum sip_err)(id - VS_STAT_PARSE_BASE)));
	return buf;
}
