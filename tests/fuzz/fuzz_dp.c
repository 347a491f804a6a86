/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's whole packet path (dataplane/dp_fwd.c: dp_burst) on hostile
 * frames: Ethernet, IPv4/IPv6, UDP, ARP/NDP/ICMP answers (dp_l2.c), the
 * RFC 7983 demultiplexer, SRTP/SRTCP unprotect and protect, endpoint
 * learning, RTCP feedback stripping, rtcp-mux, hand-off between workers,
 * the recording tap, and the control thread's handling of what is punted
 * (control/ctl_pkt.c, neigh.c). The data plane is the unit tests' one
 * (tests/dataplane/dp_harness.c): EAL with --no-huge, a ring port, two
 * workers driven from this thread.
 *
 * Each frame is carried by an mbuf whose data is an exact-size heap block
 * (an external buffer): a read past the end of the frame is a heap overflow
 * that AddressSanitizer reports, where a pool mbuf would hide it in its
 * 2 KiB data room.
 *
 * Input: packets, each [mode: 1][arg: 1][length: 2][bytes].
 *   mode bit 0  UDP: the harness writes Ethernet/IP/UDP headers to relay
 *               socket arg % N_FLOWS, from its peer (bit 6: a stranger),
 *               source port + (arg >> 4); bytes are the UDP payload.
 *               Otherwise bytes are a whole Ethernet frame.
 *   bit 1  received by worker 1 (else worker 0)
 *   bit 2  after the endpoint-learning window
 *   bit 3  64 bytes of tailroom (else none: SRTP protect and NA growth fail)
 *   bit 5  UDP: protect the payload as the SRTP peer would (else sent as is);
 *          raw: fix the IPv4 header, ICMP and ICMPv6 checksums
 *   bit 6  raw: the NIC validated the IPv4 header checksum
 * Flows, neighbours, SRTP contexts and clocks are reset before each input.
 * Properties: every frame transmitted has consistent IP lengths and a valid
 * IPv4 header checksum; no mbuf is left anywhere after an input.
 */
#include <errno.h>
#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "common/log.h"
#include "common/addr.h"
#include "control/ctl.h"
#include "control/ctl_pkt.h"
#include "control/neigh.h"
#include "crypto/srtp.h"
#include "dataplane/dp.h"
#include "dataplane/dp_priv.h"
#include "dp_harness.h"
#include "fuzz.h"

#define HEADROOM 128
#define BURST 64
#define T0 (1ull << 40) /* TSC at the start of every input */

/* one relay socket: (address index, port) -> (address index, port) */
struct flow_def {
	uint8_t addr;
	uint16_t port;
	uint8_t out_addr;
	uint16_t out_port;
	uint32_t flags;
	const char *peer;
	uint16_t peer_port;
	uint8_t learn;
};

/* addresses: 0 198.18.1.1, 1 198.18.2.1, 2 2001:db8:2::1 (dp_harness.c); ports
 * 0 mod 4 belong to worker 0, 2 mod 4 to worker 1 */
static const struct flow_def flows[] = {
	{0, 30000, 1, 30004, 0, "198.18.1.10", 4000, CFG_LEARN_HEURISTIC},
	{0, 30001, 1, 30005, DP_F_RTCP, "198.18.1.10", 4001, CFG_LEARN_HEURISTIC},
	{1, 30004, 0, 30000, DP_F_STRICT, "198.18.2.10", 5000, CFG_LEARN_HEURISTIC},
	{1, 30005, 0, 30001, DP_F_STRICT | DP_F_RTCP, "198.18.2.10", 5001, CFG_LEARN_HEURISTIC},
	{0, 30008, 2, 30012, DP_F_MUX, "198.18.1.11", 4002, CFG_LEARN_IMMEDIATE},
	{2, 30012, 0, 30008, DP_F_MUX | DP_F_STRIP_FB | DP_F_HANDOVER, "2001:db8:2::10", 6000,
		CFG_LEARN_DELAYED},
	{0, 30016, 1, 30020, DP_F_RAW, "198.18.1.12", 4004, CFG_LEARN_OFF},
	{1, 30020, 0, 30016, DP_F_RAW | DP_F_ASYMMETRIC, "198.18.2.12", 5004, CFG_LEARN_HEURISTIC},
	{0, 30024, 1, 30028, DP_F_SECURE, "198.18.1.13", 4006, CFG_LEARN_HEURISTIC},
	{1, 30028, 0, 30024, DP_F_SECURE | DP_F_NO_RTP_IN, "198.18.2.13", 5006,
		CFG_LEARN_HEURISTIC},
	{0, 30032, 1, 30036, DP_F_TAP | DP_F_STRIP_FB, "198.18.1.14", 4008, CFG_LEARN_HEURISTIC},
	{1, 30036, 0, 30032, DP_F_TAP, "198.18.2.14", 5008, CFG_LEARN_HEURISTIC},
	{0, 30002, 1, 30006, 0, "198.18.1.15", 4010, CFG_LEARN_HEURISTIC},
	{1, 30006, 0, 30002, 0, "198.18.2.15", 5010, CFG_LEARN_HEURISTIC},
};
#define N_FLOWS (sizeof(flows) / sizeof(flows[0]))
#define SRTP_IN_FLOW 8	/* receives SRTP from its peer */
#define SRTP_OUT_FLOW 9 /* sends SRTP to its peer */

static const struct rte_ether_addr peer_mac2 = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x11}};
static struct rte_ring *tap;
static unsigned mbufs_idle; /* mbufs in use between inputs */
/* per input: the relay's contexts and the SRTP peer of flow SRTP_IN_FLOW */
static struct srtp_ctx *rx8, *tx8, *rx9, *tx9, *peer;

static void
master(struct srtp_master *m)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	m->suite = &srtp_suites[SRTP_AES_128_CM_SHA1_80];
	for (i = 0; i < SRTP_MAX_KEY_LEN; i++)
		m->key[i] = (uint8_t)(0x11 * i);
	for (i = 0; i < SRTP_MAX_SALT_LEN; i++)
		m->salt[i] = (uint8_t)(0xF0 - i);
}

static void
srtp_set(unsigned fi, struct srtp_ctx *in, struct srtp_ctx *out)
{
	const struct flow_def *f = &flows[fi];
	struct dp_msg m;

	memset(&m, 0, sizeof(m));
	m.op = DP_OP_SRTP_SET;
	m.flow_idx = dp_flow_index(f->addr, f->port);
	m.u.srtp.in = in;
	m.u.srtp.out = out;
	m.u.srtp.rtcp_too = 1;
	dp_mbox_apply(dp_lcores[dp_owner(f->port)], &m);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	/* errors only: per-call notices would drown libFuzzer's output */
	sl_log_init(SL_LOG_ERR, 1);
	if (th_setup("fuzz_dp") < 0) {
		fprintf(stderr, "fuzz_dp: EAL/data plane set-up failed\n");
		exit(1);
	}
	th_cfg.n_listen_ng = 0;
	if (ctl_init(&th_cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_dp: %s\n", err);
		exit(1);
	}
	/* a recording tap as rec.c would install it (RO after launch: not launched) */
	tap = rte_ring_create("fuzz_tap", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (tap == NULL) {
		fprintf(stderr, "fuzz_dp: tap ring\n");
		exit(1);
	}
	dp_conf.tap = tap;
	mbufs_idle = rte_mempool_in_use_count(dp_mempool());
	atexit(th_teardown);
	return 0;
}

static void
reset(void)
{
	struct srtp_master m;
	unsigned i, w;

	for (w = 0; w < dp_conf.n_workers; w++) {
		dp_lcores[w]->now_tsc = T0;
		memset(dp_lcores[w]->neigh, 0, sizeof(dp_lcores[w]->neigh));
		dp_lcores[w]->neigh_gen++;
		th_neigh(w, "198.18.1.10", &th_peer_mac);
		th_neigh(w, "198.18.2.10", &peer_mac2);
		th_neigh(w, "2001:db8:2::10", &peer_mac2);
	}
	neigh_init();
	for (i = 0; i < N_FLOWS; i++)
		th_flow(flows[i].addr, flows[i].port, flows[i].out_addr, flows[i].out_port,
			flows[i].flags, flows[i].peer, flows[i].peer_port, flows[i].learn);
	master(&m);
	rx8 = srtp_ctx_create(&m);
	tx8 = srtp_ctx_create(&m);
	rx9 = srtp_ctx_create(&m);
	tx9 = srtp_ctx_create(&m);
	peer = srtp_ctx_create(&m);
	FUZZ_CHECK(rx8 != NULL && tx8 != NULL && rx9 != NULL && tx9 != NULL && peer != NULL);
	/* the context state (ROC, replay) must not carry over from the last input */
	srtp_set(SRTP_IN_FLOW, NULL, NULL);
	srtp_set(SRTP_OUT_FLOW, NULL, NULL);
	srtp_set(SRTP_IN_FLOW, rx8, tx8);
	srtp_set(SRTP_OUT_FLOW, rx9, tx9);
}

static void
release(void)
{
	unsigned w;

	for (w = 0; w < dp_conf.n_workers; w++) {
		/* packets still waiting for a next hop: their deadline has passed */
		dp_lcores[w]->now_tsc = UINT64_MAX / 2;
		dp_held_retry(dp_lcores[w], true);
		FUZZ_CHECK(dp_lcores[w]->n_held == 0);
	}
	srtp_set(SRTP_IN_FLOW, NULL, NULL);
	srtp_set(SRTP_OUT_FLOW, NULL, NULL);
	srtp_ctx_free(rx8);
	srtp_ctx_free(tx8);
	srtp_ctx_free(rx9);
	srtp_ctx_free(tx9);
	srtp_ctx_free(peer);
}

/* what a worker transmitted must be a well-formed frame */
static void
check_tx(struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	FUZZ_CHECK(m->data_len >= sizeof(*eth) && m->pkt_len == m->data_len);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
		unsigned ihl = (ip->version_ihl & 0xf) * 4u;

		FUZZ_CHECK(m->data_len >= sizeof(*eth) + sizeof(*ip) && ihl >= sizeof(*ip));
		FUZZ_CHECK(rte_be_to_cpu_16(ip->total_length) == m->data_len - sizeof(*eth));
		FUZZ_CHECK(rte_raw_cksum(ip, ihl) == 0xffff);
	} else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(eth + 1);

		FUZZ_CHECK(m->data_len >= sizeof(*eth) + sizeof(*ip6));
		FUZZ_CHECK(rte_be_to_cpu_16(ip6->payload_len) ==
			   m->data_len - sizeof(*eth) - sizeof(*ip6));
	}
}

/* run everything a packet may have left behind until the rings are empty */
static void
drain(void)
{
	struct rte_mbuf *pkts[BURST];
	unsigned w, n, i;
	bool more = true;

	while (more) {
		more = false;
		for (w = 0; w < dp_conf.n_workers; w++) {
			n = rte_ring_dequeue_burst(
				dp_lcores[w]->handoff, (void **)pkts, BURST, NULL);
			if (n > 0) {
				dp_burst(dp_lcores[w], pkts, n, true);
				dp_tx_flush(dp_lcores[w]);
				more = true;
			}
			while ((n = th_tx(w, pkts, BURST)) > 0) {
				for (i = 0; i < n; i++)
					check_tx(pkts[i]);
				th_free(pkts, n);
			}
		}
		/* the control thread: ARP/NDP teach it neighbours, STUN/DTLS find no call */
		while ((n = dp_punt_take(pkts, BURST)) > 0) {
			for (i = 0; i < n; i++) {
				ctl_pkt_input(pkts[i]);
				rte_pktmbuf_free(pkts[i]);
			}
			more = true;
		}
		while ((n = dp_rtcp_take(pkts, BURST)) > 0) {
			for (i = 0; i < n; i++) {
				const struct dp_rtcp_copy *h =
					rte_pktmbuf_mtod(pkts[i], const struct dp_rtcp_copy *);

				FUZZ_CHECK(pkts[i]->data_len == sizeof(*h) + h->len);
			}
			th_free(pkts, n);
		}
		while ((n = rte_ring_dequeue_burst(tap, (void **)pkts, BURST, NULL)) > 0)
			th_free(pkts, n);
		if (th_drain() > 0)
			more = true;
	}
}

static void
ext_free(void *addr, void *opaque)
{
	(void)addr;
	free(opaque);
}

/* an mbuf whose data is @p len bytes of an exact-size heap block */
static struct rte_mbuf *
frame(const uint8_t *p, size_t len, size_t tail)
{
	struct rte_mbuf_ext_shared_info *sh;
	struct rte_mbuf *m = dp_ctl_alloc();
	uint8_t *blk;

	FUZZ_CHECK(m != NULL);
	blk = malloc(sizeof(*sh) + HEADROOM + len + tail);
	FUZZ_CHECK(blk != NULL);
	sh = (struct rte_mbuf_ext_shared_info *)blk;
	memset(sh, 0, sizeof(*sh));
	sh->free_cb = ext_free;
	sh->fcb_opaque = blk;
	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(
		m, blk + sizeof(*sh), RTE_BAD_IOVA, (uint16_t)(HEADROOM + len + tail), sh);
	m->data_off = HEADROOM;
	if (len > 0)
		memcpy(blk + sizeof(*sh) + HEADROOM, p, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	m->port = 0;
	return m;
}

/* raw mode bit 5: make the checksums the fuzzer cannot compute right */
static void
fix_checksums(uint8_t *f, size_t len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;

	if (len < sizeof(*eth) + sizeof(struct rte_ipv4_hdr))
		return;
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		unsigned ihl = (ip->version_ihl & 0xf) * 4u,
			 tot = rte_be_to_cpu_16(ip->total_length);

		if (ihl < sizeof(*ip) || sizeof(*eth) + ihl > len)
			return;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		if (ip->next_proto_id == IPPROTO_ICMP && tot >= ihl + 4 &&
			sizeof(*eth) + tot <= len) {
			uint16_t *ck = (uint16_t *)(f + sizeof(*eth) + ihl + 2);

			*ck = 0;
			*ck = (uint16_t)~rte_raw_cksum(f + sizeof(*eth) + ihl, tot - ihl);
		}
	} else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6) &&
		   len >= sizeof(*eth) + sizeof(struct rte_ipv6_hdr) + 4) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
		unsigned pl = rte_be_to_cpu_16(ip6->payload_len);
		uint16_t *ck = (uint16_t *)((uint8_t *)(ip6 + 1) + 2);

		if (ip6->proto != IPPROTO_ICMPV6 || pl < 4 ||
			sizeof(*eth) + sizeof(*ip6) + pl > len)
			return;
		*ck = 0;
		*ck = rte_ipv6_udptcp_cksum(ip6, ip6 + 1);
	}
}

/* UDP mode: Ethernet/IP/UDP headers to flow @p fi around @p pl */
static size_t
build_udp(
	uint8_t *f, unsigned fi, bool stranger, uint16_t sport_add, const uint8_t *pl, size_t plen)
{
	const struct flow_def *fd = &flows[fi];
	const struct sl_ip *dst = &dp_conf.addrs[fd->addr].ip;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_udp_hdr *udp;
	struct sl_ip src;
	size_t hl;

	sl_ip_parse(
		stranger ? (dst->family == AF_INET ? "198.18.1.99" : "2001:db8:2::99") : fd->peer,
		&src);
	eth->src_addr = th_peer_mac;
	eth->dst_addr = dp_conf.port_mac[0];
	if (dst->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + plen));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = sl_ip_v4(&src);
		ip->dst_addr = sl_ip_v4(dst);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + plen));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, src.a, 16);
		memcpy(ip6->dst_addr, dst->a, 16);
		udp = (struct rte_udp_hdr *)(ip6 + 1);
	}
	udp->src_port = rte_cpu_to_be_16((uint16_t)(fd->peer_port + sport_add));
	udp->dst_port = rte_cpu_to_be_16(fd->port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + plen));
	udp->dgram_cksum = 0;
	hl = (size_t)((uint8_t *)(udp + 1) - f);
	memcpy(f + hl, pl, plen);
	return hl + plen;
}

static void
one(uint8_t mode, uint8_t arg, const uint8_t *p, size_t len)
{
	uint8_t buf[2048 + 128 + SRTP_MAX_TRAILER_LEN];
	struct dp_lcore *lc = dp_lcores[(mode >> 1) & 1];
	struct rte_mbuf *m;
	size_t n = len, plen;

	if (mode & 1) {
		uint8_t pl[2048 + SRTP_MAX_TRAILER_LEN];

		plen = len > 2048 ? 2048 : len;
		memcpy(pl, p, plen);
		if (mode & 32) {
			size_t l = plen;

			if (plen >= 2 && pl[1] >= 194 && pl[1] <= 223)
				srtcp_protect(peer, pl, &l, sizeof(pl));
			else
				srtp_rtp_protect(peer, pl, &l, sizeof(pl));
			plen = l;
		}
		n = build_udp(buf, arg % N_FLOWS, mode & 64, arg >> 4, pl, plen);
		p = buf;
	} else {
		if (n > sizeof(buf))
			n = sizeof(buf);
		memcpy(buf, p, n);
		if (mode & 32)
			fix_checksums(buf, n);
		p = buf;
	}
	m = frame(p, n, mode & 8 ? 64 : 0);
	if (!(mode & 1) && (mode & 64))
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	lc->now_tsc = mode & 4 ? T0 + dp_conf.learn_window_tsc + 1 : T0;
	dp_burst(lc, &m, 1, false);
	dp_tx_flush(lc);
	drain();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	const uint8_t *p;
	uint8_t mode, arg;
	size_t len;

	reset();
	while (in.n >= 4) {
		mode = fuzz_u8(&in);
		arg = fuzz_u8(&in);
		len = fuzz_take(&in, fuzz_u16(&in), &p);
		one(mode, arg, p, len);
	}
	release();
	drain();
	/* every mbuf the input took is back in the pool */
	FUZZ_CHECK(rte_mempool_in_use_count(dp_mempool()) == mbufs_idle);
	return 0;
}
