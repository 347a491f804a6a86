/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ICE_H
#define SL_ICE_H

/**
 * @file
 * Full ICE agent for one media section (RFC 8445, trickle RFC 8838, consent
 * freshness RFC 7675) as a pure state machine: no sockets, no clock, no
 * allocation after ice_agent_create(). Owner: the control thread only.
 *
 * Call sequence (the lead's wiring):
 *   a = ice_agent_create(n_components, controlling, NULL);
 *   ice_add_local(a, ...) per relay socket; put ice_local_ufrag/pwd and
 *     ice_candidate_format(ice_local_get(a, i)) into our SDP;
 *   from the peer's SDP: ice_set_remote_credentials(), ice_add_remote() per
 *     a=candidate (after ice_candidate_parse()), ice_end_of_candidates();
 *     trickled candidates later through the same calls;
 *   a STUN packet punted by a worker: ice_input_stun(a, dst, src, ...);
 *   timers: ice_tick(a, now, out) whenever now >= ice_next_tick(a);
 *   after either: send out->pkt[0..n) through a worker, then look at
 *     ice_events(a); on ICE_EV_SELECTED program the data plane from
 *     ice_selected(); on ICE_EV_CONSENT_LOST stop sending media.
 *
 * Errors follow the house rule: 0 or -errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define ICE_UFRAG_LEN 8 /* ours, rtpengine-compatible */
#define ICE_PWD_LEN 26
#define ICE_CRED_MAX 256     /* RFC 8839: ice-char 4..256 (ufrag), 22..256 (pwd) */
#define ICE_MAX_COMPONENTS 2 /* RTP and RTCP */
#define ICE_MAX_LOCAL 8	     /* relay sockets per media */
#define ICE_FOUNDATION_MAX 32
#define ICE_HOSTNAME_MAX 63 /* mDNS name, e.g. "<uuid>.local" */
#define ICE_PKT_MAX 576	    /* room for one check or reply (worst case ~350 B) */

enum ice_cand_type { ICE_CAND_HOST, ICE_CAND_SRFLX, ICE_CAND_PRFLX, ICE_CAND_RELAY };

/* type preferences (RFC 8445 5.1.2.2; relay = 0 as rtpengine advertises) */
#define ICE_TYPE_PREF_HOST 126
#define ICE_TYPE_PREF_PRFLX 110
#define ICE_TYPE_PREF_SRFLX 100
#define ICE_TYPE_PREF_RELAY 0

struct ice_cand {
	char foundation[ICE_FOUNDATION_MAX + 1];
	uint16_t component; /* 1 = RTP, 2 = RTCP */
	uint8_t type;	    /* enum ice_cand_type */
	bool mdns;	    /* address is the name in @c hostname, not resolved */
	uint32_t priority;
	struct sl_ep addr; /* as signalled; unset when mdns */
	struct sl_ep rel;  /* raddr/rport; unset when absent */
	char hostname[ICE_HOSTNAME_MAX + 1];
};

/**
 * Parse an a=candidate value ("foundation comp UDP prio addr port typ T
 * [raddr A rport P] [ext val]..."); a leading "candidate:" is accepted.
 * @return 0, -EINVAL (malformed), -EPROTONOSUPPORT (not UDP, e.g. TCP).
 */
int ice_candidate_parse(const char *s, size_t len, struct ice_cand *out);

/** Format the value of an a=candidate line; @return its length or -ENOSPC. */
int ice_candidate_format(const struct ice_cand *c, char *buf, size_t len);

/** rtpengine-compat 4.2: type_pref<<24 | (65535 - local_pref)<<8 | (256 - component). */
static inline uint32_t
ice_priority(unsigned int type_pref, unsigned int local_pref, unsigned int component)
{
	return (uint32_t)type_pref << 24 | (uint32_t)(65535 - (local_pref & 0xFFFF)) << 8 |
	       (uint32_t)(256 - (component & 0xFF));
}

/** Limits and timers; 0 in any field selects the default shown. */
struct ice_conf {
	unsigned int max_remote;	  /* remote candidates incl. prflx: 32 */
	unsigned int max_pairs;		  /* 64 */
	unsigned int ta_ms;		  /* check pacing: 50 */
	unsigned int rto_ms;		  /* first retransmit: 500, doubling */
	unsigned int rto_max_ms;	  /* retransmit interval cap: 3000 */
	unsigned int max_tx;		  /* transmissions per check: 7 */
	unsigned int nominate_wait_ms;	  /* controlling: wait for better pairs: 1000 */
	unsigned int connect_timeout_ms;  /* give up without a selected pair: 30000 */
	unsigned int consent_interval_ms; /* RFC 7675 checks, +-20 % jitter: 5000 */
	unsigned int consent_timeout_ms;  /* consent lost without responses: 30000 */
	uint64_t tiebreaker;		  /* 0 = random */
};

/** One packet to send: from our socket @c local to @c remote. */
struct ice_pkt {
	struct sl_ep local;
	struct sl_ep remote;
	uint16_t len;
	uint8_t data[ICE_PKT_MAX];
};

/** Caller-owned output list; the agent appends at pkt[n] while n < cap. */
struct ice_out {
	struct ice_pkt *pkt;
	unsigned int cap;
	unsigned int n;
	unsigned int dropped; /* replies that did not fit (the peer retransmits) */
};

enum ice_state {
	ICE_ST_NEW, /* no remote credentials yet */
	ICE_ST_CHECKING,
	ICE_ST_CONNECTED, /* every component has a selected pair with consent */
	ICE_ST_FAILED,	  /* checks failed, timed out, or consent lost */
};

/* ice_events() bits */
#define ICE_EV_SELECTED (1u << 0)     /* a component's selected pair changed */
#define ICE_EV_CONSENT_LOST (1u << 1) /* stop sending media (RFC 7675) */
#define ICE_EV_FAILED (1u << 2)
#define ICE_EV_ROLE (1u << 3)	 /* role switched by a 487 or a conflict */
#define ICE_EV_RESTART (1u << 4) /* remote credentials changed: new local ones */

struct ice_agent;

/**
 * @param components 1 (rtcp-mux) or 2.
 * @return an agent with random local ufrag/pwd, or NULL with errno EINVAL/ENOMEM.
 */
struct ice_agent *ice_agent_create(
	unsigned int components, bool controlling, const struct ice_conf *conf);
void ice_agent_free(struct ice_agent *a);

const char *ice_local_ufrag(const struct ice_agent *a);
const char *ice_local_pwd(const struct ice_agent *a);

/**
 * Add a host candidate: @p base is the relay socket (what the data plane
 * sees), @p advertised what goes into SDP (NULL = base). @p foundation NULL
 * picks one per IP. @return 0, -EINVAL, -ENOSPC, -EEXIST.
 */
int ice_add_local(struct ice_agent *a, unsigned int component, const struct sl_ep *base,
	const struct sl_ep *advertised, unsigned int local_pref, const char *foundation);
unsigned int ice_local_count(const struct ice_agent *a);
const struct ice_cand *ice_local_get(const struct ice_agent *a, unsigned int i);

#define ICE_REMOTE_LITE (1u << 0)    /* a=ice-lite: we become controlling */
#define ICE_REMOTE_TRICKLE (1u << 1) /* a=ice-options:trickle: wait for end-of-candidates */

/**
 * Set the peer's a=ice-ufrag/a=ice-pwd and options. Different credentials
 * than before mean an ICE restart: remote candidates and pairs are dropped,
 * our own ufrag/pwd are regenerated (RFC 8839 4.4.1.1.2), the previously
 * selected pairs stay usable until new ones are nominated.
 * @return 0, 1 (restart), -EINVAL (length/charset).
 */
int ice_set_remote_credentials(
	struct ice_agent *a, const char *ufrag, const char *pwd, unsigned int flags);

/** @return 0, -EEXIST (duplicate), -ENOSPC (limit), -EINVAL (component). */
int ice_add_remote(struct ice_agent *a, const struct ice_cand *c);
/** Remote candidates, signalled and learned (type ICE_CAND_PRFLX). */
unsigned int ice_remote_count(const struct ice_agent *a);
const struct ice_cand *ice_remote_get(const struct ice_agent *a, unsigned int i);
void ice_end_of_candidates(struct ice_agent *a);

/** Set the role (offer/answer decides; ignored towards a lite peer). */
void ice_set_role(struct ice_agent *a, bool controlling);
bool ice_is_controlling(const struct ice_agent *a);

/**
 * Drop components above @p components (the peer accepted rtcp-mux after we
 * offered two): their local candidates, pairs and selections go.
 * @return 0, -EINVAL (more than now), -ENOMEM.
 */
int ice_set_components(struct ice_agent *a, unsigned int components);

/** Number of components. */
unsigned int ice_components(const struct ice_agent *a);

/** Local ICE restart (we offer new credentials): new ufrag/pwd, remote state cleared. */
void ice_restart(struct ice_agent *a);

/**
 * Feed one STUN packet received on relay socket @p local from @p remote.
 * Replies and triggered checks are appended to @p out.
 * @return 0 if handled, else why it was rejected or dropped: -EACCES
 * (401 sent or response failed integrity), -EBADMSG (400 sent), -ENOTSUP
 * (420 sent), -EAGAIN (487 sent), -ENOENT (no such transaction), -ENXIO
 * (unknown local socket), -EOPNOTSUPP (not a Binding), -EREMCHG (response
 * from another address: pair failed), -ECONNREFUSED (error response: pair
 * failed), or a stun_parse() error (dropped).
 */
int ice_input_stun(struct ice_agent *a, const struct sl_ep *local, const struct sl_ep *remote,
	const void *buf, size_t len, uint64_t now_ms, struct ice_out *out);

/** Run timers: paced checks, retransmissions, nomination, consent, failure. */
void ice_tick(struct ice_agent *a, uint64_t now_ms, struct ice_out *out);

/** @return the earliest time (ms) ice_tick() has work, UINT64_MAX for none. */
uint64_t ice_next_tick(const struct ice_agent *a);

/**
 * The pair media must use for @p component (1-based).
 * @return 0, -EAGAIN (none nominated yet), -ETIMEDOUT (consent lost), -EINVAL.
 */
int ice_selected(const struct ice_agent *a, unsigned int component, struct sl_ep *local,
	struct sl_ep *remote);

enum ice_state ice_state(const struct ice_agent *a);

/** @return ICE_EV_* bits raised since the last call, and clear them. */
uint32_t ice_events(struct ice_agent *a);

#endif /* SL_ICE_H */
