/*
 * csv.h - one CSV record (RFC 4180), split in place.
 */
#ifndef VS_CLI_CSV_H
#define VS_CLI_CSV_H

/*
 * Split line (NUL-terminated, without its line end) into at most max
 * fields: separated by commas, each optionally in double quotes with ""
 * standing for a quote.  The fields point into line, which is rewritten.
 * Returns the number of fields, or -1 when the quoting is broken or there
 * are more than max fields.
 */
int vs_csv_split(char *line, char **fields, int max);

#endif
