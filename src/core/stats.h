/*
 * stats.h - counters: messages in and out, and every drop by reason.
 *
 * Each worker owns one struct vs_stats and is its only writer, so counting
 * costs a plain add; readers (the control socket) sum the workers' copies
 * with relaxed atomic loads.
 */
#ifndef VS_CORE_STATS_H
#define VS_CORE_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "sip/msg.h"

#define VS_STAT_LIST(X)                                                        \
	X(RX_UDP, "rx.udp")                                                    \
	X(RX_TCP, "rx.tcp")                                                    \
	X(TX_UDP, "tx.udp")                                                    \
	X(TX_TCP, "tx.tcp")                                                    \
	X(TX_ERRORS, "tx.errors")                                              \
	X(REPLY_1XX, "reply.1xx")                                              \
	X(REPLY_2XX, "reply.2xx")                                              \
	X(REPLY_3XX, "reply.3xx")                                              \
	X(REPLY_4XX, "reply.4xx")                                              \
	X(REPLY_5XX, "reply.5xx")                                              \
	X(REPLY_6XX, "reply.6xx")                                              \
	X(KEEPALIVE, "keepalive")                                              \
	X(TCP_ACCEPTED, "tcp.accepted")                                        \
	X(TCP_CLOSED, "tcp.closed")                                            \
	X(TCP_REFUSED_TOTAL, "tcp.refused.total_limit")                        \
	X(TCP_REFUSED_SOURCE, "tcp.refused.source_limit")                      \
	X(TCP_IDLE_TIMEOUT, "tcp.idle_timeout")                                \
	X(TCP_MESSAGE_TIMEOUT, "tcp.message_timeout")                          \
	X(TCP_OVERFLOW, "tcp.overflow")                                        \
	X(TCP_FRAMING, "tcp.framing_error")                                    \
	X(TCP_KEEPALIVE_FLOOD, "tcp.keepalive_flood")                          \
	X(KEEPALIVE_SENT, "tcp.keepalive_sent")                                \
	X(TCP_ACCEPT_PAUSED, "tcp.accept_paused")                              \
	X(TCP_CONNECTED, "tcp.connections_opened")                             \
	X(TCP_CONNECT_FAILED, "tcp.connect_failed")                            \
	X(TLS_HANDSHAKES, "tls.handshakes")                                    \
	X(TLS_HANDSHAKE_FAILED, "tls.handshake_failed")                        \
	X(TLS_VERIFY_FAILED, "tls.verify_failed")                              \
	X(TLS_HANDSHAKE_REFUSED, "tls.handshake_refused")                      \
	X(DROP_MALFORMED, "drop.malformed")                                    \
	X(DROP_RESPONSE, "drop.stray_response")                                \
	X(DROP_ACK, "drop.stateless_ack")                                      \
	X(DROP_TRUNCATED, "drop.truncated_datagram")                           \
	X(DROP_REPLY_OVERFLOW, "drop.reply_too_large")                        \
	X(DROP_ACK_NO_TSX, "drop.ack_without_transaction")                     \
	X(TSX_CREATED, "tsx.created")                                          \
	X(TSX_ABSORBED, "tsx.retransmissions_absorbed")                        \
	X(TSX_RESENT, "tsx.responses_resent")                                  \
	X(TSX_FULL, "tsx.table_full")                                          \
	X(TSX_FOREIGN, "tsx.other_worker")                                     \
	X(TSX_UNANSWERED, "tsx.unanswered")                                    \
	X(AUTH_CHALLENGE, "auth.challenges")                                   \
	X(AUTH_OK, "auth.ok")                                                  \
	X(AUTH_FAILED, "auth.failed")                                          \
	X(AUTH_STALE, "auth.stale_nonce")                                      \
	X(AUTH_REPLAY, "auth.replayed")                                        \
	X(AUTH_IDENTITY, "auth.identity_mismatch")                             \
	X(AUTH_TLS_REQUIRED, "auth.tls_required")                              \
	X(AUTH_CERT_MISMATCH, "auth.cert_mismatch")                            \
	X(REG_UPDATED, "registrar.bindings_saved")                             \
	X(REG_REMOVED, "registrar.bindings_removed")                           \
	X(REG_EXPIRED, "registrar.bindings_expired")                           \
	X(REG_REFUSED, "registrar.refused")                                    \
	X(REG_STORE_ERRORS, "registrar.store_errors")                          \
	X(TSX_HANDOFF, "tsx.responses_handed_over")                            \
	X(PROXY_FORWARDED, "proxy.requests_forwarded")                         \
	X(PROXY_RESP_FWD, "proxy.responses_forwarded")                         \
	X(PROXY_CANCELLED, "proxy.branches_cancelled")                         \
	X(PROXY_LOOP, "proxy.loops")                                           \
	X(PROXY_NO_ROUTE, "proxy.no_route")                                    \
	X(PROXY_ROUTE_UNRESOLVED, "proxy.route_unresolved")                    \
	X(PROXY_ROUTE_FAILOVER, "proxy.route_failover")                        \
	X(PROXY_SIPS_NO_TLS, "proxy.sips_without_tls")                         \
	X(MEDIA_SESSIONS, "media.sessions_created")                            \
	X(MEDIA_BAD_SDP, "media.bad_sdp")                                      \
	X(MEDIA_NOT_RELAYED, "media.not_relayable")                            \
	X(MEDIA_FULL, "media.full")                                            \
	X(MEDIA_SRTP_REFUSED, "media.srtp_refused")                            \
	X(MEDIA_TIMEOUT_BYES, "media.timeout_byes")                            \
	X(PROXY_BAD_ROUTE, "proxy.unsigned_route")                            \
	X(SHIELD_ZONE_DENIED, "shield.zone_denied")                            \
	X(SHIELD_METHOD_DENIED, "shield.method_denied")                        \
	X(SHIELD_ROUTE_DENIED, "shield.route_denied")                          \
	X(SHIELD_BANNED_DROP, "shield.banned_dropped")                         \
	X(SHIELD_RATE_LIMITED, "shield.rate_limited")                          \
	X(SHIELD_BANS, "shield.bans")                                          \
	X(SHIELD_BAN_MANUAL, "shield.bans.manual")                             \
	X(SHIELD_BAN_RATE, "shield.bans.rate_limit")                           \
	X(SHIELD_BAN_MALFORMED, "shield.bans.malformed")                       \
	X(SHIELD_BAN_AUTH, "shield.bans.auth_failures")                        \
	X(SHIELD_BAN_SCANNER, "shield.bans.scanner")                           \
	X(SHIELD_BAN_ENUMERATION, "shield.bans.enumeration")                   \
	X(SHIELD_BAN_TLS, "shield.bans.tls_failures")                          \
	X(SHIELD_UNBANS, "shield.unbans")                                      \
	X(SHIELD_SCANNERS, "shield.scanners")                                  \
	X(SHIELD_LOCKOUTS, "shield.lockouts")                                  \
	X(SHIELD_LOCKED, "shield.locked_user_attempts")                        \
	X(SHIELD_OVERLOAD, "shield.overload_shed")                             \
	X(POLICY_ANONYMOUS, "policy.anonymous_rejected")                       \
	X(POLICY_BLOCKED, "policy.callers_blocked")                            \
	X(POLICY_CALLER_RATE, "policy.caller_rate_limited")                    \
	X(POLICY_DESTINATION, "policy.destinations_denied")                    \
	X(POLICY_HOURLY, "policy.hourly_limit")                                \
	X(POLICY_CONCURRENT, "policy.concurrent_limit")                        \
	X(POLICY_TIMEOUT, "policy.calls_timed_out")

enum vs_stat {
#define X(id, name) VS_STAT_##id,
	VS_STAT_LIST(X)
#undef X
	VS_STAT_PARSE_BASE, /* followed by one counter per enum sip_err */
	VS_STAT_COUNT = VS_STAT_PARSE_BASE + SIP_ERR_COUNT
};

struct vs_stats {
	_Atomic uint64_t v[VS_STAT_COUNT];
};

static inline void vs_stat_add(struct vs_stats *s, unsigned id, uint64_t n)
{
	atomic_store_explicit(&s->v[id],
			      atomic_load_explicit(&s->v[id],
						   memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void vs_stat_inc(struct vs_stats *s, unsigned id)
{
	vs_stat_add(s, id, 1);
}

/*
 * Counter name.  Parse failures are counted per reason as
 * "parse_error.<reason>" whether or not they could be answered; those
 * dropped without an answer are counted again in "drop.malformed".
 */
const char *vs_stat_name(unsigned id, char *buf, size_t size);

#endif
