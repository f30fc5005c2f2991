/*
 * fuzz_relay.c - the relay's packet path (relay_packet) on hostile
 * datagrams, as a media thread sees them: pinhole check and latching,
 * RTCP told apart on an rtcp-mux port, SRTP opened on one leg and
 * protected for the other, the stream followed.
 *
 * The first byte sets the scene: which leg the packet arrives on and on
 * which socket (RTP or RTCP), whether each leg uses SRTP, rtcp-mux, the
 * latching mode, whether the pinholes are open, and whether it comes
 * from the leg's negotiated peer or a stranger.  The rest is the packet.
 * Invariants: nothing crashes or overruns; nothing passes a closed
 * pinhole, or from a stranger once a peer is latched; attacker bytes
 * never open on an SRTP leg (the key is secret); what passes goes to the
 * other leg's negotiated peer, and nowhere else, and fits the buffer.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/relay_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vs_sockaddr addr(const char *ip, uint16_t port)
{
	struct vs_sockaddr a;

	vs_sa_from_ip(&a, ip, port);
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct media_relay r;
	static struct mthread t;
	static struct session s;
	static uint8_t buf[PKT_BUF];
	uint8_t key[46];
	struct vs_sockaddr peer[RELAY_LEGS], src, dst;
	unsigned li, k;
	size_t len;
	bool pass, stranger, open;

	if (size < 1 || size - 1 > PKT_MAX)
		return 0;
	li = data[0] & 1;
	k = (data[0] >> 1) & 1;
	stranger = data[0] & 0x40;
	open = !(data[0] & 0x80);
	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	memset(&s, 0, sizeof(s));
	t.r = &r;
	s.active = true;
	s.mux = data[0] & 0x10;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 3);
	peer[0] = addr("192.0.2.1", 4000);
	peer[1] = addr("192.0.2.2", 5000);
	for (unsigned l = 0; l < RELAY_LEGS; l++) {
		struct leg *g = &s.leg[l];
		for (unsigned kk = 0; kk < 2; kk++) {
			struct vs_sockaddr p = peer[l];
			p.u.in.sin_port = htons((uint16_t)(ntohs(p.u.in.sin_port) + kk));
			pinhole_init(&g->pin[kk], (data[0] & 0x20) ? PIN_LATCH_FIRST : PIN_LATCH_IP);
			pinhole_expect(&g->pin[kk], &p);
			if (open)
				pinhole_open(&g->pin[kk]);
		}
		g->srtp = data[0] & (l ? 0x08 : 0x04);
		if (g->srtp && (vs_srtp_init(&g->rx, SDES_AES_CM_128_HMAC_SHA1_80, key) ||
				vs_srtp_init(&g->tx, SDES_AES_CM_128_HMAC_SHA1_80, key)))
			abort();
	}
	src = stranger ? addr("203.0.113.9", 6000) : peer[li];
	if (!stranger)
		src.u.in.sin_port = htons((uint16_t)(ntohs(src.u.in.sin_port) + k));
	len = size - 1;
	memcpy(buf, data + 1, len);
	pass = relay_packet(&t, &s, li, k, buf, &len, &src, &dst, 1000);
	if (pass) {
		struct vs_sockaddr want = peer[!li];
		want.u.in.sin_port = htons((uint16_t)(ntohs(want.u.in.sin_port) + k));
		if (!open || len > PKT_BUF || s.leg[li].srtp)
			abort(); /* closed, overrun, or a forged packet opened */
		if (stranger && !(data[0] & 0x20))
			abort(); /* latching by IP: a stranger never passes */
		if (dst.u.in.sin_addr.s_addr != want.u.in.sin_addr.s_addr ||
		    dst.u.in.sin_port != want.u.in.sin_port)
			abort(); /* media only to the signaled peer */
	}
	for (unsigned l = 0; l < RELAY_LEGS; l++)
		if (s.leg[l].srtp) {
			vs_srtp_free(&s.leg[l].rx);
			vs_srtp_free(&s.leg[l].tx);
		}
	return 0;
}
