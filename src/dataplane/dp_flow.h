/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_FLOW_H
#define SL_DP_FLOW_H

/**
 * @file
 * Flow table entries and the mailbox messages that change them.
 *
 * A flow is one local relay socket: (local address, local UDP port). Every
 * flow has exactly one writer, its owner worker lcore, chosen by the local
 * port (dp_owner()); the control thread picks the mailbox with the same
 * function the workers use to steer packets, and the port allocator gives
 * both legs of a media the same owner, so forwarding from one leg to the
 * other never leaves the lcore. Packets that arrive on another worker's
 * queue are handed off to the owner.
 *
 * The index of a flow inside its owner's table is a pure function of
 * (address index, port) (dp_flow_index()), so the table needs no hash and
 * no allocator: the control thread owns which ports are in use and only
 * reuses a port after the owner acknowledged its deletion.
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "common/addr.h"

struct srtp_ctx;

/* flags: set by the control thread through DP_OP_FLOW_SET */
#define DP_F_ACTIVE (1u << 0)     /* flow exists */
#define DP_F_RTCP (1u << 1)       /* the RTCP socket of an RTP/RTCP pair */
#define DP_F_STRICT (1u << 2)     /* strict-source: drop other sources once confirmed */
#define DP_F_ASYMMETRIC (1u << 3) /* never send to the learned source, only to expect */
#define DP_F_HANDOVER (1u << 4)   /* media-handover: follow every source change */
#define DP_F_NO_RTP_IN (1u << 5)  /* party declared it does not send: drop its RTP */
#define DP_F_RAW (1u << 6)        /* not RTP (e.g. udptl): relay any UDP payload */
#define DP_F_MUX (1u << 7)        /* rtcp-mux: this RTP socket carries RTCP too */
#define DP_F_STRIP_FB (1u << 8)   /* AVP peer: drop RTCP feedback (RFC 4585 205/206) sent here */
#define DP_F_SECURE (1u << 9)     /* SRTP leg: no plain RTP in or out until keys are installed */
#define DP_F_TAP (1u << 10)       /* recorded: copy what arrives to the tap ring (rec_id) */

enum dp_learn_state {
	DP_LS_LEARNING = 0,
	DP_LS_CONFIRMED = 1,
};

/* where dst_mac came from */
enum dp_mac_src {
	DP_MAC_NONE = 0,
	DP_MAC_NEIGH = 1,  /* neighbour table; revalidated when the table changes */
	DP_MAC_PACKET = 2, /* source MAC of a packet from dest (latching) */
};

/**
 * One relay socket. Field order matters: the first cache line holds what
 * every packet received on or sent through this flow reads.
 */
struct dp_flow {
	/* --- cache line 0: hot --- */
	uint32_t flags;                 /* DP_F_*; owner: dp lcore (from ctl messages) */
	uint32_t out_idx;               /* flow (same lcore) that received packets leave through */
	uint32_t out_rtcp_idx;          /* ... for RTCP received on an rtcp-mux socket */
	uint16_t lport;                 /* local UDP port, host order */
	uint8_t addr_idx;               /* local address: index into dp_conf.addrs */
	uint8_t learn;                  /* enum cfg_learning */
	uint8_t learn_state;            /* enum dp_learn_state; owner: dp lcore */
	uint8_t learn_score;            /* heuristic: best match seen in the window */
	uint8_t mac_src;                /* enum dp_mac_src */
	uint8_t learn_foreign;          /* heuristic: other addresses may latch (NAT expected) */
	struct rte_ether_addr dst_mac;  /* next-hop MAC for dest */
	uint16_t mac_gen;               /* neighbour-table generation dst_mac was read at */
	uint32_t peer_seq;              /* seqlock over dest/learned: odd while the owner writes */
	struct sl_ep dest;              /* where packets leaving through this flow go */
	struct sl_ep learned;           /* source latched on (valid when learn_state set or port != 0) */
	/* --- cache line 1 --- */
	struct sl_ep expect;            /* endpoint from signalling (SDP or received-from) */
	uint64_t learn_until_tsc;       /* end of the learning window */
	uint32_t rec_id;                /* DP_F_TAP: recording slot */
	uint32_t clock_rate;            /* RTP clock for the receive statistics */
	struct srtp_ctx *srtp_in;       /* decrypts what arrives here; NULL: plain (ctl-owned memory) */
	struct srtp_ctx *srtp_out;      /* encrypts what leaves through here; NULL: plain */
	/* counters: written by the owner lcore only, read by the control thread */
	uint64_t pkts;                  /* packets received on this socket and accepted */
	uint64_t bytes;                 /* UDP payload bytes of those */
	uint64_t errors;                /* packets received and dropped (strict source, no route...) */
	uint64_t pkts_out;              /* packets sent through this socket */
	uint64_t bytes_out;
	uint64_t last_rx_tsc;           /* TSC of the last accepted packet, 0 = never */
	uint64_t gen;                   /* ctl generation of the last applied FLOW_SET */
} __rte_cache_aligned;

_Static_assert(sizeof(struct dp_flow) <= 3 * RTE_CACHE_LINE_SIZE, "dp_flow grew past 3 lines");

/* ---- mailbox messages (control thread -> one worker) ---- */

enum dp_op {
	DP_OP_NOP = 0,
	DP_OP_FLOW_SET,  /* create or change a flow; 'has' selects the fields */
	DP_OP_FLOW_DEL,  /* remove a flow; the port may be reused once gen is applied */
	DP_OP_NEIGH_SET, /* neighbour (ARP/NDP) entry: ip on port is mac */
	DP_OP_NEIGH_DEL,
	DP_OP_SRTP_SET,  /* SRTP contexts of a socket pair (RTP flow_idx and RTCP flow_idx + 1) */
};

/* DP_OP_FLOW_SET field selectors, after wireguard-tools' WGPEER_HAS_* */
#define DP_HAS_FLAGS (1u << 0)  /* flags, out_idx, out_rtcp_idx, lport, addr_idx */
#define DP_HAS_EXPECT (1u << 1) /* expect; also resets dest to it (learning restarts) */
#define DP_HAS_LEARN (1u << 2)  /* learn mode; restarts the learning window */
#define DP_HAS_RESET (1u << 3)  /* zero the counters (new flow on a reused port) */

struct dp_flow_spec {
	uint32_t flags;
	uint32_t out_idx;
	uint32_t out_rtcp_idx; /* DP_F_MUX sockets: where their RTCP goes */
	uint16_t lport;
	uint8_t addr_idx;
	uint8_t learn; /* enum cfg_learning */
	uint32_t rec_id; /* DP_F_TAP: recording slot */
	uint32_t clock_rate; /* RTP clock of the media (jitter), 0: 8000 */
	struct sl_ep expect;
};

/*
 * DP_OP_SRTP_SET: the contexts are built by the control thread and owned by
 * it; the worker only uses them. A context that replaces another takes over
 * its per-SSRC state (ROC, replay window: RFC 3711 3.3.1) and the control
 * thread frees the old one once this generation is applied.
 */
struct dp_srtp_spec {
	struct srtp_ctx *in;  /* NULL: packets arrive in the clear */
	struct srtp_ctx *out; /* NULL: packets leave in the clear */
	uint8_t rtcp_too;     /* also for the RTCP flow (flow_idx + 1) */
};

struct dp_neigh_spec {
	uint16_t port_id;
	struct rte_ether_addr mac;
	struct sl_ip ip;
};

struct dp_msg {
	uint16_t op;       /* enum dp_op */
	uint16_t has;      /* DP_HAS_* for DP_OP_FLOW_SET */
	uint32_t flow_idx; /* index into the owner's table, never a pointer */
	uint64_t gen;      /* control generation; the worker publishes the last one applied */
	union {
		struct dp_flow_spec flow;
		struct dp_neigh_spec neigh;
		struct dp_srtp_spec srtp;
	} u;
};

_Static_assert(sizeof(struct dp_msg) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

#endif /* SL_DP_FLOW_H */
