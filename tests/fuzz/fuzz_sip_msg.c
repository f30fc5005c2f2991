/*
 * fuzz_sip_msg.c - the SIP message parser, every header parser, and the
 * response and forward printers on whatever parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/msg.h"
#include "sip/print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg msg;
	static char out[2 * 65536];
	struct sip_limits lim;
	struct mbuf mb;
	char *copy;
	int err;

	if (size > 70000)
		return 0;
	/* An exact-size heap copy lets ASan catch any read past the end. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	sip_limits_default(&lim);
	err = sip_msg_parse(&msg, copy, size, &lim);
	if (err == 0) {
		struct sip_src src = {PL("192.0.2.1"), 5060};
		(void)sip_msg_parse_all(&msg);
		if (msg.is_request) {
			struct sip_reply r = {0};
			struct sip_fwd f = {0};
			r.status = 200;
			r.reason = "OK";
			r.to_tag = PL("abc");
			r.src = &src;
			mbuf_init(&mb, out, sizeof(out));
			(void)sip_reply_print(&mb, &msg, &r);
			f.via = PL("SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx");
			f.src = &src;
			mbuf_init(&mb, out, sizeof(out));
			(void)sip_fwd_print(&mb, &msg, &f);
		}
	} else if (msg.err_status) {
		struct sip_reply r = {0};
		struct sip_src src = {PL("2001:db8::1"), 5060};
		r.status = msg.err_status;
		r.reason = msg.err_phrase;
		r.src = &src;
		mbuf_init(&mb, out, sizeof(out));
		(void)sip_reply_print(&mb, &msg, &r);
	}
	free(copy);
	return 0;
}
