/*
 * sdp.h - SDP (RFC 8866) as the media relay needs it: parse a session
 * description into zero-copy slices of the SIP message body, and write it
 * again with the relay's addresses, ports, protocol and keys (sdp_write.c).
 *
 * Bounded like the SIP parser: at most SDP_MAX_MEDIA media sections,
 * SDP_MAX_CRYPTO crypto lines per section, SDP_MAX_LINES lines in all;
 * more is an error, never a bigger allocation.  Parsing allocates nothing.
 *
 * Kept: c= (session and media), o=, m= (any media type; port, port
 * count, protocol, formats), a=rtcp (RFC 3605), a=rtcp-mux (RFC 5761),
 * the direction attributes (sendrecv, sendonly, recvonly, inactive), a=crypto
 * (RFC 4568, as slices; sdes.h reads them), and whether ICE attributes are
 * present.  Everything else is passed through by the writer unchanged.
 */
#ifndef VS_SDP_SDP_H
#define VS_SDP_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mbuf.h"
#include "core/pl.h"

#define SDP_MAX_MEDIA 8
#define SDP_MAX_CRYPTO 8
#define SDP_MAX_LINES 512

enum sdp_dir {
	SDP_DIR_UNSET, /* no attribute here (sendrecv, or the session's) */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

/* c=IN IP4 192.0.2.1 (a multicast TTL or count after a slash is kept in
 * addr's line but not used). */
struct sdp_conn {
	struct pl addr; /* the address, without "/ttl" */
	uint8_t af;	/* 4 or 6; 0 when there is no c= line */
};

struct sdp_media {
	struct pl type;	 /* audio, video, image, application, ... */
	uint16_t port;	 /* 0: the stream is refused or disabled */
	uint16_t nports; /* "port/count"; 1 when not given */
	struct pl proto; /* RTP/AVP, RTP/SAVP, RTP/SAVPF, udptl, ... */
	struct pl fmts;	 /* the format list, as written */
	struct sdp_conn c;
	uint16_t rtcp_port; /* a=rtcp; 0 when absent */
	struct sdp_conn rtcp_c; /* a=rtcp's address, if it has one */
	bool rtcp_mux;
	bool ice; /* a=candidate, a=ice-ufrag and friends are present */
	enum sdp_dir dir;
	struct pl crypto[SDP_MAX_CRYPTO]; /* a=crypto values ("1 AES_CM...") */
	uint8_t ncrypto;
	struct pl section; /* from "m=" to the end of its last line */
};

struct sdp_session {
	struct pl body;
	struct pl origin; /* the o= value */
	struct sdp_conn c;  /* session-level c= */
	enum sdp_dir dir;   /* session-level direction */
	bool ice;	    /* session-level ICE attributes */
	struct sdp_media m[SDP_MAX_MEDIA];
	uint8_t nmedia;
};

/* Why a body was refused (for counters and logs). */
enum sdp_error {
	SDP_OK,
	SDP_E_EMPTY,	   /* no body */
	SDP_E_VERSION,	   /* does not start with v=0 */
	SDP_E_LINE,	   /* a line is not "x=value" */
	SDP_E_CONTROL,	   /* a NUL or control character */
	SDP_E_TOO_MANY,	   /* more lines, media or crypto lines than allowed */
	SDP_E_ORIGIN,	   /* o= missing or malformed */
	SDP_E_CONNECTION,  /* a c= line that cannot be read */
	SDP_E_MEDIA,	   /* an m= line that cannot be read */
	SDP_E_NO_CONN,	   /* a media section with no c= anywhere */
	SDP_E_ATTRIBUTE,   /* a=rtcp that cannot be read */
};

/* Parse body (len bytes).  Returns SDP_OK with *s filled (slices into
 * body), or the reason it was refused. */
enum sdp_error sdp_parse(const char *body, size_t len, struct sdp_session *s);
const char *sdp_error_str(enum sdp_error e);

/* The effective direction of media section i (its own, else the
 * session's, else sendrecv). */
enum sdp_dir sdp_media_dir(const struct sdp_session *s, unsigned i);
/* The effective connection address of media section i. */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s,
				      unsigned i);

/*
 * Rewriting (sdp_write.c): what the relay changes in each media section.
 * Lines not named here are copied as they are.
 */
struct sdp_media_edit {
	bool keep;	      /* copy the section unchanged */
	uint16_t port;	      /* the relay's port on this leg */
	uint16_t rtcp_port;   /* a=rtcp written when not 0; the old one
				 always goes */
	const char *proto;    /* new protocol, or NULL to keep */
	bool replace_crypto;  /* drop the a=crypto lines, write crypto[] */
	const char *crypto[SDP_MAX_CRYPTO]; /* values, without "a=crypto:" */
	uint8_t ncrypto;
	bool strip_ice;	      /* drop ICE attributes */
};

struct sdp_edit {
	const char *addr; /* the relay's address on this leg */
	uint8_t af;	  /* 4 or 6 */
	struct sdp_media_edit m[SDP_MAX_MEDIA];
};

/* Write s with the edits into out: every c= names addr (a session-level
 * one is written when the body had none before the first m=), the o=
 * address is addr, each m= line gets its new port and protocol.  Line
 * ends are CRLF.  Returns 0, or ENOSPC when out overflowed. */
int sdp_write(const struct sdp_session *s, const struct sdp_edit *e,
	      struct mbuf *out);

#endif
