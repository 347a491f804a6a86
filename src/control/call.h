/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CALL_H
#define SL_CALL_H

/**
 * @file
 * Calls, parties and media (control thread only).
 *
 * A call has two parties (rtpengine's monologues): the offerer and the
 * answerer, each known by its SIP tag. Each party has one media per m= line
 * and each relayed media owns one local socket pair (RTP port p, RTCP p+1)
 * facing that party: the party sends to it and receives from it. Media i of
 * one party is bridged to media i of the other: packets received on one
 * party's socket leave through the other party's socket.
 *
 * The control thread never touches the flow tables: it sends flow ops to
 * the owner worker of each socket (call_flows_push()) and reads counters
 * back through dp_flow_read().
 */

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "control/config.h"
#include "sdp/sdp.h"

#define CALL_MAX_MEDIA SDP_MAX_MEDIA
#define CALL_TAG_MAX 256

/* ICE toward the recipient (call_opts.ice) */
enum call_ice_mode {
	CALL_ICE_DEFAULT = 0, /* like the sender: force if its SDP had ICE, else remove */
	CALL_ICE_FORCE,       /* we are the recipient's only candidate, full agent */
	CALL_ICE_REMOVE,      /* no ICE toward it */
};

/** Per-message options that apply to the sending party's streams. */
struct call_opts {
	bool sip_source;      /* SIP-source-address: use received-from, not the SDP address */
	bool asymmetric;
	bool strict_source;
	bool media_handover;
	bool port_latching;   /* keep local ports when the SDP endpoint changes */
	bool replace_origin;
	int learning;         /* enum cfg_learning, -1 = --endpoint-learning */
	bool has_received_from;
	struct sl_ip received_from;
	int iface_from;       /* direction[0]: logical interface of the sender, -1 = default */
	int iface_to;         /* direction[1]: of the recipient, -1 = default */
	uint8_t family;       /* address-family for the recipient, 0 = same as the sender's */
	bool has_media_address;
	struct sl_ip media_address; /* printed in the outgoing SDP instead of ours */
	const char *label;          /* stored on the sending party */
	const char *via_branch;
	const char *transport;      /* transport-protocol for the recipient; NULL = keep */
	bool transport_accept;      /* transport-protocol: accept (answer: take the answerer's) */
	/* rtcp-mux (rtpengine-compat.md 3.5) */
	bool mux_offer, mux_require, mux_demux, mux_accept, mux_reject;
	/* WebRTC (rtpengine-compat.md 3.3, 3.4) */
	uint8_t ice;          /* enum call_ice_mode */
	bool ice_trickle;     /* a=ice-options:trickle and end-of-candidates toward it */
	bool dtls_off;        /* DTLS=off: never offer or accept DTLS-SRTP */
	bool dtls_passive;    /* DTLS=passive: prefer the server role in answers */
	int8_t dtls_hash;     /* enum dtls_hash for our a=fingerprint, -1: sha-256 */
	bool sdes_off;        /* SDES=off */
	bool sdes_pad;        /* keep base64 '=' padding */
	bool generate_mid;    /* a=mid (and a BUNDLE group) toward a recipient that has none */
	uint32_t sdes_no;     /* suites not to offer/accept (bit per srtp_suite_id) */
	uint32_t sdes_only;   /* if set: only these suites */
};

struct call_sock {
	bool allocated;
	uint8_t addr_idx; /* index into dp_conf.addrs / cfg ifaces */
	uint8_t owner;    /* worker */
	uint16_t port;    /* RTP port (even); RTCP is port + 1 */
};

struct call_sec;
struct call_rec;
struct call_ssrc;
struct ice_agent;

struct call_media {
	struct call *call;   /* back pointers, for packets punted to a socket */
	struct call_party *party;
	unsigned index;      /* 1-based, as rtpengine reports it */
	char type[16];       /* audio, video, image ... */
	char proto[32];
	char codec[32];      /* first payload type's encoding, e.g. "PCMU/8000" */
	bool relayed;        /* UDP media we relay (false: copied through untouched) */
	bool is_rtp;         /* RTP/RTCP media (false: raw UDP such as udptl) */
	bool rejected;       /* port 0 */
	bool zero_addr;      /* c=0.0.0.0 hold */
	bool mux_sig;        /* its last SDP carried a=rtcp-mux */
	bool mux_offered;    /* we offered it rtcp-mux */
	bool mux;            /* RTCP to it goes to its RTP port (negotiated; sticky) */
	bool strip_fb;       /* it speaks AVP, its peer AVPF: no RTCP feedback to it */
	enum sdp_dir dir;    /* what the party declared */
	struct sl_ep rtp;    /* where the party wants RTP (from signalling) */
	struct sl_ep rtcp;
	struct sl_ep last;   /* last non-zero RTP endpoint: decides port reuse */
	struct call_sock sock;
	/* flow options of this party's sockets */
	bool strict, asym, handover;
	uint8_t learning;
	/* WebRTC */
	struct call_sec *sec;     /* SRTP keying of this leg; NULL: never encrypted */
	struct ice_agent *ice;    /* ICE with this party; NULL: none */
	bool ice_sdp;             /* its last SDP had ICE credentials */
	char mid[32];             /* its a=mid ("" none), echoed to it, never passed on */
	struct sl_ep ice_sel[2];  /* selected remote per component (port 0: none yet) */
	/* timers (ICE, DTLS): list of media that need them */
	bool timed;
	struct call_media *tnext, *tprev;
};

struct call_party {
	char *tag;           /* malloc'd; "" until known */
	char *alias;         /* a second to-tag seen in an answer (tag-aliases) */
	char *label;
	char *via_branch;
	int iface;           /* logical interface index (cfg order of first appearance) */
	uint8_t family;      /* address family of its local sockets */
	bool has_media_address;
	struct sl_ip media_address;
	uint64_t created_s;
	bool bundle;         /* its SDP grouped its media with a=group:BUNDLE */
	char *sdp_out;       /* last rewritten SDP of this party (for recordings) */
	bool sdp_out_answer; /* ... and whether it was an answer */
	unsigned n_media;
	struct call_media *media[CALL_MAX_MEDIA]; /* allocated as m= lines appear */
};

enum call_state {
	CALL_ACTIVE = 0,
	CALL_DELETED, /* deleted by ng, kept forwarding until destroy_at_mono (delete-delay) */
};

enum call_end {
	CALL_END_NONE = 0,
	CALL_END_DELETE,        /* regular termination */
	CALL_END_TIMEOUT,
	CALL_END_SILENT_TIMEOUT,
	CALL_END_OFFER_TIMEOUT,
	CALL_END_FINAL_TIMEOUT,
	CALL_END_FORCED,        /* shutdown or operator */
};

struct call {
	char *call_id;
	struct call *hnext;    /* call-id hash chain */
	struct call *prev, *next; /* list of all calls, creation order */
	enum call_state state;
	bool answered;
	uint64_t created_s, created_us; /* wall clock, for reports */
	uint64_t last_signal_s;         /* wall clock */
	uint64_t created_mono;          /* monotonic s, for timers */
	uint64_t last_signal_mono;
	uint64_t destroy_at_mono;       /* CALL_DELETED: when to destroy */
	struct call_rec *rec;           /* recording; NULL: not recorded */
	struct call_ssrc **ssrc;        /* SSRCs seen (RTCP, workers' statistics) */
	unsigned n_ssrc, cap_ssrc;
	char *metadata;                 /* "key:value|..." from ng (recording metadata) */
	struct call_party party[2]; /* [0] offerer, [1] answerer */
};

/* ---- registry ---- */
int calls_init(const struct sl_config *cfg);
void calls_fini(void);
struct call *call_find(const char *call_id);
/** Create an empty call. @return NULL with errno set. */
struct call *call_create(const char *call_id, uint64_t now_us);
/** Remove the call's flows, release its ports and free it. */
void call_destroy(struct call *c, enum call_end why);
/** Iterate: first and next in creation order. */
struct call *call_first(void);
struct call *call_next(const struct call *c);
unsigned calls_count(void);

/** Party of @p c with tag (or alias) @p tag, or NULL. */
struct call_party *call_party_by_tag(struct call *c, const char *tag);
static inline struct call_party *
call_other(struct call *c, struct call_party *p)
{
	return p == &c->party[0] ? &c->party[1] : &c->party[0];
}

/**
 * Apply an offer or answer SDP sent by @p from toward @p to: update @p from's
 * media, allocate sockets on both sides, program the flows and write the SDP
 * that @p to must receive into @p out.
 * @param err  an rtpengine error-reason string on failure
 * @return length of the SDP written, or -EINVAL (bad SDP: *err set), -ENOSPC
 *         (ports or output space), -ENOBUFS (worker mailbox full).
 */
long call_sdp_apply(struct call *c, struct call_party *from, struct call_party *to, bool answer,
	const char *sdp, size_t sdp_len, const struct call_opts *o, char *out, size_t cap,
	const char **err);

/** Mark deleted (or destroy now when @p delay_s == 0); @p now_s is monotonic. */
void call_delete(struct call *c, unsigned delay_s, uint64_t now_s);

/**
 * Timer: destroy deleted calls whose delay expired and calls whose media
 * timed out (rtpengine-compat.md 5.3). Call once a second.
 */
void calls_sweep(uint64_t now_mono_s);

/** Most recent packet received by any stream of @p p, monotonic seconds (0 = never). */
uint64_t call_party_last_packet_s(const struct call_party *p);

/**
 * Quality of the RTP stream that media @p m's party sends (call_mon.c): what
 * sluice measures on it and what the party reported in RTCP about the stream
 * it receives (rtpengine-compat.md 6.1/6.2 units: ms, %, MOS x10, RTT µs).
 */
struct call_quality {
	uint32_t ssrc;
	uint32_t expected, received; /* RFC 3550 A.3, after probation */
	int32_t lost;
	uint32_t jitter_us, jitter_avg_us, jitter_max_us; /* now; over 1 s samples */
	bool has_rtcp;		     /* the party sent report blocks */
	int32_t rtcp_cum_loss;
	uint32_t rtcp_jitter_max_ms;
	bool has_mos;
	uint32_t mos_avg, mos_min, mos_max, mos_samples;
	uint32_t rtcp_loss_avg_pct, rtcp_jitter_avg_ms, rtt_avg_us;
};

/** Fill @p q for @p m. @return 0, or -ENOENT (no RTP seen on it yet). */
int call_media_quality(struct call_media *m, struct call_quality *q);

/* global counters for `statistics` */
struct calls_totals {
	uint64_t managed;       /* calls created */
	uint64_t rejected;      /* offers that failed */
	uint64_t ended[CALL_END_FORCED + 1];
	uint64_t total_duration_s;
};
extern struct calls_totals calls_totals;

/** Look up a logical interface by name; @return index or -1. */
int calls_iface_find(const char *name, size_t len);

#endif /* SL_CALL_H */
