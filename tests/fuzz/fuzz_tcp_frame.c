/*
 * fuzz_tcp_frame.c - stream framing: the input is fed in chunks whose
 * sizes come from the first bytes, as partial reads would deliver it, and
 * every cut message must lie within what was received.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tcp_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max_msg = 4096, start = 0, have = 0;
	struct tcp_frame_state st = {0, 0};
	uint8_t step;
	char *buf;

	if (size < 1)
		return 0;
	step = (uint8_t)(data[0] | 1);
	data++;
	size--;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	while (have < size) {
		have = have + step > size ? size : have + step;
		for (;;) {
			size_t consumed = 0;
			enum tcp_frame f = tcp_frame_next(buf + start, have - start,
							  max_msg, &st,
							  &consumed);
			if (f == TCP_FRAME_NEED_MORE)
				break;
			if (f == TCP_FRAME_ERROR || f == TCP_FRAME_TOO_BIG) {
				free(buf);
				return 0;
			}
			if (consumed == 0 || start + consumed > have)
				abort();
			start += consumed;
			tcp_frame_reset(&st);
		}
	}
	free(buf);
	return 0;
}
