/*
 * fuzz_csv.c - the CSV record splitter of `voipshield user import`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *fields[3];
	char *line;
	int n;

	if (size > 8192)
		return 0;
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	n = vs_csv_split(line, fields, 3);
	/* Every field is a string inside the line. */
	for (int i = 0; i < n; i++) {
		if (fields[i] < line || fields[i] > line + size ||
		    strlen(fields[i]) > size)
			abort();
	}
	free(line);
	return 0;
}
