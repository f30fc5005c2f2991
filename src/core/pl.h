/*
 * pl.h - zero-copy text slices.
 *
 * A slice is a pointer and a length into a buffer that somebody else owns
 * (usually a received SIP message).  Slices are never NUL-terminated and
 * never outlive their buffer.  Every parser in VoIPShield hands out slices
 * rather than copies, so parsing allocates nothing.
 */
#ifndef VS_CORE_PL_H
#define VS_CORE_PL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pl {
	const char *p; /* first byte, or NULL for "absent" */
	size_t l;      /* number of bytes */
};

#define PL_INIT {NULL, 0}
/* A slice over a string literal, e.g. PL("INVITE"). */
#define PL(s) ((struct pl){(s), sizeof(s) - 1})

static inline struct pl pl_make(const char *p, size_t l)
{
	return (struct pl){p, l};
}

static inline struct pl pl_from_range(const char *start, const char *end)
{
	return (struct pl){start, (size_t)(end - start)};
}

static inline struct pl pl_from_cstr(const char *s)
{
	return (struct pl){s, s ? strlen(s) : 0};
}

/* A slice is "set" when it points somewhere, even if empty (";rport"). */
static inline bool pl_isset(const struct pl *pl)
{
	return pl->p != NULL;
}

static inline const char *pl_end(const struct pl *pl)
{
	return pl->p + pl->l;
}

static inline char vs_tolower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool pl_eq(const struct pl *a, const struct pl *b);
bool pl_caseeq(const struct pl *a, const struct pl *b);
bool pl_eq_str(const struct pl *a, const char *s);

/*
 * Case-insensitive comparison with a string.  Inline so that, called with a
 * literal (the usual case: parameter and header names), the length is a
 * constant and most mismatches cost one comparison.
 */
static inline bool pl_caseeq_str(const struct pl *a, const char *s)
{
	size_t n = strlen(s);

	if (a->l != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (vs_tolower(a->p[i]) != vs_tolower(s[i]))
			return false;
	}
	return true;
}

/*
 * Parse an unsigned decimal number that fills the whole slice.  Returns 0,
 * EINVAL when the slice is empty or holds a non-digit, or ERANGE when the
 * value exceeds max.
 */
int pl_u32(const struct pl *pl, uint32_t max, uint32_t *out);

/* Copy into a NUL-terminated buffer, truncating; returns dst. */
char *pl_strcpy(const struct pl *pl, char *dst, size_t size);

/* Remove leading and trailing SP / HT / CR / LF. */
struct pl pl_trim_slow(struct pl pl);
static inline struct pl pl_trim(struct pl pl)
{
	if (pl.l && pl.p[0] > ' ' && pl.p[pl.l - 1] > ' ')
		return pl; /* the usual case: nothing to trim */
	return pl_trim_slow(pl);
}

#endif
