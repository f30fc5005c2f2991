/*
 * pl.c - zero-copy text slices.
 */
#include "core/pl.h"

#include <errno.h>

bool pl_eq(const struct pl *a, const struct pl *b)
{
	return a->l == b->l && (a->l == 0 || memcmp(a->p, b->p, a->l) == 0);
}

bool pl_caseeq(const struct pl *a, const struct pl *b)
{
	if (a->l != b->l)
		return false;
	for (size_t i = 0; i < a->l; i++) {
		if (vs_tolower(a->p[i]) != vs_tolower(b->p[i]))
			return false;
	}
	return true;
}

bool pl_eq_str(const struct pl *a, const char *s)
{
	struct pl b = pl_from_cstr(s);
	return pl_eq(a, &b);
}

int pl_u32(const struct pl *pl, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!pl->p || pl->l == 0)
		return EINVAL;
	for (size_t i = 0; i < pl->l; i++) {
		char c = pl->p[i];
		if (c < '0' || c > '9')
			return EINVAL;
		v = v * 10 + (uint64_t)(c - '0');
		if (v > max)
			return ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

char *pl_strcpy(const struct pl *pl, char *dst, size_t size)
{
	size_t n;

	if (size == 0)
		return dst;
	n = pl->l < size - 1 ? pl->l : size - 1;
	if (n)
		memcpy(dst, pl->p, n);
	dst[n] = '\0';
	return dst;
}

static bool is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct pl pl_trim_slow(struct pl pl)
{
	if (!pl.p)
		return pl;
	while (pl.l && is_trim(pl.p[0])) {
		pl.p++;
		pl.l--;
	}
	while (pl.l && is_trim(pl.p[pl.l - 1]))
		pl.l--;
	return pl;
}
