/*
 * csv.c - one CSV record (see csv.h).
 */
#include "cli/csv.h"

int vs_csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *out = p, *start = p;

		if (n == max)
			return -1;
		if (*p == '"') {
			p++;
			for (;;) {
				if (!*p)
					return -1;
				if (*p == '"' && p[1] == '"') {
					*out++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*out++ = *p++;
				}
			}
			if (*p && *p != ',')
				return -1;
		} else {
			while (*p && *p != ',') {
				if (*p == '"')
					return -1;
				*out++ = *p++;
			}
		}
		fields[n++] = start;
		if (!*p) {
			*out = 0;
			return n;
		}
		*out = 0;
		p++;
	}
}
