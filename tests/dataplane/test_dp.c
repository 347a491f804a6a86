/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-plane unit tests: the worker's real packet path on a ring port.
 * Forwarding and rewrite, endpoint learning modes, strict source,
 * hand-off, punting, ARP/NDP/ICMP answers, malformed packets, mailbox ops.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto/srtp.h"
#include "dp_harness.h"

#define A "198.18.1.10"
#define B "198.18.2.10"
#define RA "198.18.1.1"
#define RB "198.18.2.1"

static const struct rte_ether_addr mac_a = {{0x02, 0, 0, 0, 0, 0x0a}};
static const struct rte_ether_addr mac_b = {{0x02, 0, 0, 0, 0, 0x0b}};

#define STAT(w, name) (__atomic_load_n(&dp_lcores[w]->stats.name, __ATOMIC_RELAXED))

/* one packet in, at most one out */
static struct rte_mbuf *
fwd1(unsigned w, struct rte_mbuf *in)
{
	struct rte_mbuf *out[4];
	unsigned n;

	th_rx(w, in);
	n = th_tx(w, out, 4);
	assert_true(n <= 1);
	return n ? out[0] : NULL;
}

static struct rte_mbuf *
rtp(const char *sip, uint16_t sport, const char *dip, uint16_t dport, uint8_t pt, uint16_t seq)
{
	return th_rtp(sip, sport, dip, dport, pt, seq);
}

/* the frame is an IPv4/UDP packet from src:sport to dst:dport, valid checksums, our payload */
static void
check_v4(struct rte_mbuf *m, const char *src, uint16_t sport, const char *dst, uint16_t dport,
	const struct rte_ether_addr *dmac, uint16_t seq)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *pl = (uint8_t *)(udp + 1);
	struct sl_ip s, d;
	unsigned i;

	assert_non_null(m);
	sl_ip_parse(src, &s);
	sl_ip_parse(dst, &d);
	assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, dmac));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &dp_conf.port_mac[0]));
	assert_int_equal(ip->src_addr, sl_ip_v4(&s));
	assert_int_equal(ip->dst_addr, sl_ip_v4(&d));
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 20 + 8 + 172);
	assert_int_equal(m->pkt_len, 14 + 20 + 8 + 172);
	assert_int_equal(rte_be_to_cpu_16(udp->src_port), sport);
	assert_int_equal(rte_be_to_cpu_16(udp->dst_port), dport);
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, udp), 0);
	assert_int_equal(pl[0], 0x80);
	assert_int_equal((pl[2] << 8) | pl[3], seq);
	for (i = 12; i < 172; i++)
		assert_int_equal(pl[i], (uint8_t)(i + seq));
}

/* a bridged call: a-side socket 30000 <-> b-side socket 30004 (both owner 0) */
static void
call_ab(uint16_t pa, uint16_t pb, uint32_t flags_a, int learn)
{
	th_flow(0, pa, 1, pb, flags_a, A, 4000, learn);
	th_flow(1, pb, 0, pa, 0, B, 5000, CFG_LEARN_HEURISTIC);
	th_neigh(dp_owner(pa), A, &mac_a);
	th_neigh(dp_owner(pa), B, &mac_b);
}

static void
test_forward_v4(void **state)
{
	struct rte_mbuf *m;
	struct dp_flow_view v;

	(void)state;
	call_ab(30000, 30004, 0, CFG_LEARN_HEURISTIC);
	m = fwd1(0, rtp(A, 4000, RA, 30000, 0, 7));
	check_v4(m, RB, 30004, B, 5000, &mac_b, 7);
	th_free(&m, 1);
	m = fwd1(0, rtp(B, 5000, RB, 30004, 0, 9));
	check_v4(m, RA, 30000, A, 4000, &th_peer_mac, 9);
	th_free(&m, 1);
	dp_flow_read(0, dp_flow_index(0, 30000), &v);
	assert_int_equal(v.pkts, 1);
	assert_int_equal(v.bytes, 172);
	assert_int_equal(v.pkts_out, 1);
	assert_int_equal(v.learn_state, DP_LS_CONFIRMED); /* exact SDP match */
	assert_int_equal(v.learned.port, 4000);
	assert_true(v.last_rx_tsc != 0);
}

/* the IPv4 UDP checksum a sender computes (the harness sends none) */
static void
set_udp4_cksum(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
		sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

static int
out_udp4_cksum_verify(struct rte_mbuf *m, uint16_t *cksum)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
		sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	*cksum = udp->dgram_cksum;
	return rte_ipv4_udptcp_cksum_verify(ip, udp);
}

/*
 * IPv4 -> IPv4 with an untouched payload: the outgoing UDP checksum is
 * updated from the received one (RFC 1624) instead of summed again. It must
 * be valid for any addresses, ports and payload (carries), never 0, and a
 * packet that arrived corrupted must leave with a checksum that still fails.
 */
static void
test_forward_v4_cksum_incremental(void **state)
{
	struct rte_mbuf *m;
	uint16_t ck;
	unsigned i, j, bad = 0, zero = 0;

	(void)state;
	srand(7);
	for (j = 0; j < 8; j++)
		call_ab((uint16_t)(30000 + 8 * j), (uint16_t)(30004 + 8 * j), 0,
			CFG_LEARN_HEURISTIC);
	for (i = 0; i < 4000; i++) {
		bool ab = i & 1;
		uint16_t pa = (uint16_t)(30000 + 8 * ((i >> 1) % 8));
		uint8_t *pl;
		unsigned k;

		m = ab ? rtp(A, 4000, RA, pa, 0, (uint16_t)i) :
			 rtp(B, 5000, RB, (uint16_t)(pa + 4), 0, (uint16_t)i);
		pl = rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 8);
		for (k = 12; k < 172; k++)
			pl[k] = (uint8_t)rand();
		set_udp4_cksum(m);
		m = fwd1(0, m);
		assert_non_null(m);
		bad += out_udp4_cksum_verify(m, &ck) != 0;
		zero += ck == 0;
		th_free(&m, 1);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(zero, 0);

	/* corrupted on the way in (a payload bit flipped after the checksum) */
	m = rtp(A, 4000, RA, 30000, 0, 1);
	set_udp4_cksum(m);
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 8 + 40) ^= 0x10;
	m = fwd1(0, m);
	assert_non_null(m);
	assert_int_not_equal(out_udp4_cksum_verify(m, &ck), 0);
	th_free(&m, 1);

	/* none on the way in: a full checksum on the way out (B's MAC latched from its packets) */
	m = fwd1(0, rtp(A, 4000, RA, 30000, 0, 2));
	check_v4(m, RB, 30004, B, 5000, &th_peer_mac, 2);
	th_free(&m, 1);
}

static void
test_rtcp_socket(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	th_flow(0, 30001, 1, 30005, DP_F_RTCP, A, 4001, CFG_LEARN_HEURISTIC);
	th_flow(1, 30005, 0, 30001, DP_F_RTCP, B, 5001, CFG_LEARN_HEURISTIC);
	m = fwd1(0, rtp(A, 4001, RA, 30001, 200, 3)); /* SR */
	check_v4(m, RB, 30005, B, 5001, &mac_b, 3);
	th_free(&m, 1);
}

static void
test_latch_nat_heuristic(void **state)
{
	struct dp_flow *f;
	struct rte_mbuf *m;

	(void)state;
	call_ab(30008, 30012, 0, CFG_LEARN_HEURISTIC);
	f = th_flowp(0, 30008);
	/* behind NAT: same address, other port than SDP */
	m = fwd1(0, rtp(A, 4444, RA, 30008, 0, 1));
	check_v4(m, RB, 30012, B, 5000, &mac_b, 1);
	th_free(&m, 1);
	assert_int_equal(f->learned.port, 4444);
	assert_int_equal(f->learn_state, DP_LS_LEARNING);
	/* replies go where the packets came from, to the MAC they came from */
	m = fwd1(0, rtp(B, 5000, RB, 30012, 0, 2));
	check_v4(m, RA, 30008, A, 4444, &th_peer_mac, 2);
	th_free(&m, 1);
	/* a worse match in the window does not move it */
	m = fwd1(0, rtp("198.18.1.99", 7777, RA, 30008, 0, 3));
	th_free(&m, 1);
	assert_int_equal(f->learned.port, 4444);
	/* the exact SDP endpoint wins and confirms */
	m = fwd1(0, rtp(A, 4000, RA, 30008, 0, 4));
	th_free(&m, 1);
	assert_int_equal(f->learned.port, 4000);
	assert_int_equal(f->learn_state, DP_LS_CONFIRMED);
	/* confirmed: other sources are forwarded (not strict) but do not move it */
	m = fwd1(0, rtp(A, 4444, RA, 30008, 0, 5));
	assert_non_null(m);
	th_free(&m, 1);
	assert_int_equal(f->dest.port, 4000);
}

static void
test_heuristic_window_end(void **state)
{
	struct dp_lcore *lc = dp_lcores[0];
	struct dp_flow *f;
	struct rte_mbuf *m;

	(void)state;
	call_ab(30016, 30020, 0, CFG_LEARN_HEURISTIC);
	f = th_flowp(0, 30016);
	/* the party's address, another port (a NAT keeping the address) */
	m = fwd1(0, rtp(A, 6000, RA, 30016, 0, 1));
	th_free(&m, 1);
	assert_int_equal(f->learn_state, DP_LS_LEARNING);
	/* after the window the best source seen is confirmed */
	lc->now_tsc = f->learn_until_tsc + 1;
	m = fwd1(0, rtp(A, 6001, RA, 30016, 0, 2));
	th_free(&m, 1);
	assert_int_equal(f->learn_state, DP_LS_CONFIRMED);
	assert_int_equal(f->learned.port, 6000);
	lc->now_tsc = 0;
}

/* RTP Bleed: a third address never becomes the destination (heuristic) */
static void
test_heuristic_bleed(void **state)
{
	struct dp_lcore *lc = dp_lcores[0];
	struct dp_flow *f;
	struct rte_mbuf *m;
	uint64_t strict0;

	(void)state;
	/* a routable SDP address: before the party speaks, in and after the window */
	call_ab(30016, 30020, 0, CFG_LEARN_HEURISTIC);
	f = th_flowp(0, 30016);
	m = fwd1(0, rtp("198.18.9.9", 4000, RA, 30016, 0, 1));
	assert_non_null(m); /* forwarded (no strict-source), not latched */
	th_free(&m, 1);
	assert_int_equal(f->learned.port, 0);
	m = fwd1(0, rtp(B, 5000, RB, 30020, 0, 2));
	check_v4(m, RA, 30016, A, 4000, &mac_a, 2); /* still to the SDP endpoint */
	th_free(&m, 1);
	lc->now_tsc = f->learn_until_tsc + 1;
	m = fwd1(0, rtp("198.18.9.9", 4002, RA, 30016, 0, 3));
	th_free(&m, 1);
	assert_int_equal(f->learn_state, DP_LS_LEARNING);
	assert_int_equal(f->dest.port, 4000);
	/* the party, late: confirmed at once */
	m = fwd1(0, rtp(A, 4000, RA, 30016, 0, 4));
	th_free(&m, 1);
	assert_int_equal(f->learn_state, DP_LS_CONFIRMED);
	lc->now_tsc = 0;

	/* strict-source: foreign packets are dropped from the start */
	call_ab(30016, 30020, DP_F_STRICT, CFG_LEARN_HEURISTIC);
	strict0 = STAT(0, drop_strict);
	assert_null(fwd1(0, rtp("198.18.9.9", 4000, RA, 30016, 0, 5)));
	assert_int_equal(STAT(0, drop_strict), strict0 + 1);

	/* a private SDP address: the party is behind a NAT, another address may latch */
	th_flow(0, 30016, 1, 30020, 0, "192.168.1.20", 4000, CFG_LEARN_HEURISTIC);
	f = th_flowp(0, 30016);
	m = fwd1(0, rtp("198.18.9.10", 4444, RA, 30016, 0, 6));
	th_free(&m, 1);
	assert_int_equal(f->learned.port, 4444);
	assert_int_equal(f->dest.port, 4444);

	/* no endpoint signalled yet (offer only): nothing latches */
	th_flow(0, 30016, 1, 30020, 0, NULL, 0, CFG_LEARN_HEURISTIC);
	f = th_flowp(0, 30016);
	m = fwd1(0, rtp("198.18.9.10", 4444, RA, 30016, 0, 7));
	th_free(&m, 1);
	assert_int_equal(f->learned.port, 0);
}

static void
test_strict_source(void **state)
{
	struct dp_flow *f;
	struct rte_mbuf *m;
	uint64_t drops = STAT(0, drop_strict);

	(void)state;
	call_ab(30024, 30028, DP_F_STRICT, CFG_LEARN_HEURISTIC);
	f = th_flowp(0, 30024);
	m = fwd1(0, rtp(A, 4000, RA, 30024, 0, 1));
	th_free(&m, 1);
	assert_int_equal(f->learn_state, DP_LS_CONFIRMED);
	/* a third party (RTP Bleed/inject) is dropped and counted */
	assert_null(fwd1(0, rtp("198.18.1.66", 4000, RA, 30024, 0, 2)));
	assert_null(fwd1(0, rtp(A, 4002, RA, 30024, 0, 3)));
	assert_int_equal(STAT(0, drop_strict), drops + 2);
	assert_int_equal(f->errors, 2);
	assert_int_equal(f->dest.port, 4000);
	m = fwd1(0, rtp(A, 4000, RA, 30024, 0, 4));
	assert_non_null(m);
	th_free(&m, 1);
}

static void
test_learning_modes(void **state)
{
	struct dp_lcore *lc = dp_lcores[0];
	struct dp_flow *f;
	struct rte_mbuf *m;

	(void)state;
	/* immediate: the first source is it */
	call_ab(30032, 30036, 0, CFG_LEARN_IMMEDIATE);
	f = th_flowp(0, 30032);
	m = fwd1(0, rtp(A, 4100, RA, 30032, 0, 1));
	th_free(&m, 1);
	assert_int_equal(f->learn_state, DP_LS_CONFIRMED);
	m = fwd1(0, rtp(A, 4000, RA, 30032, 0, 2));
	th_free(&m, 1);
	assert_int_equal(f->dest.port, 4100);

	/* off: always the signalled endpoint */
	call_ab(30040, 30044, 0, CFG_LEARN_OFF);
	f = th_flowp(0, 30040);
	m = fwd1(0, rtp(A, 4100, RA, 30040, 0, 1));
	th_free(&m, 1);
	assert_int_equal(f->dest.port, 4000);
	m = fwd1(0, rtp(B, 5000, RB, 30044, 0, 2));
	check_v4(m, RA, 30040, A, 4000, &mac_a, 2);
	th_free(&m, 1);

	/* delayed: follows every source in the window, confirms the first after it */
	call_ab(30048, 30052, 0, CFG_LEARN_DELAYED);
	f = th_flowp(0, 30048);
	m = fwd1(0, rtp(A, 4000, RA, 30048, 0, 1));
	th_free(&m, 1);
	m = fwd1(0, rtp(A, 4200, RA, 30048, 0, 2));
	th_free(&m, 1);
	assert_int_equal(f->dest.port, 4200);
	assert_int_equal(f->learn_state, DP_LS_LEARNING);
	lc->now_tsc = f->learn_until_tsc + 1;
	m = fwd1(0, rtp(A, 4300, RA, 30048, 0, 3));
	th_free(&m, 1);
	assert_int_equal(f->learn_state, DP_LS_CONFIRMED);
	assert_int_equal(f->dest.port, 4300);
	lc->now_tsc = 0;
}

static void
test_asymmetric_and_handover(void **state)
{
	struct dp_flow *f;
	struct rte_mbuf *m;

	(void)state;
	call_ab(30056, 30060, DP_F_ASYMMETRIC, CFG_LEARN_IMMEDIATE);
	f = th_flowp(0, 30056);
	m = fwd1(0, rtp(A, 4500, RA, 30056, 0, 1));
	th_free(&m, 1);
	assert_int_equal(f->learned.port, 4500);
	assert_int_equal(f->dest.port, 4000); /* still sends to the SDP endpoint */

	call_ab(30064, 30068, DP_F_HANDOVER, CFG_LEARN_IMMEDIATE);
	f = th_flowp(0, 30064);
	m = fwd1(0, rtp(A, 4000, RA, 30064, 0, 1));
	th_free(&m, 1);
	m = fwd1(0, rtp("198.18.1.77", 4600, RA, 30064, 0, 2));
	th_free(&m, 1);
	assert_int_equal(f->dest.port, 4600); /* followed the move */
	assert_int_equal(f->learn_state, DP_LS_CONFIRMED);
}

static void
test_blackhole_and_stray_rtcp(void **state)
{
	struct dp_flow *f;
	struct rte_mbuf *m;
	uint64_t bh = STAT(0, drop_blackhole);

	(void)state;
	call_ab(30072, 30076, DP_F_NO_RTP_IN, CFG_LEARN_HEURISTIC);
	assert_null(fwd1(0, rtp(A, 4000, RA, 30072, 0, 1)));
	assert_int_equal(STAT(0, drop_blackhole), bh + 1);
	/* RTCP from a recvonly party still passes */
	m = fwd1(0, rtp(A, 4000, RA, 30072, 201, 2));
	assert_non_null(m);
	th_free(&m, 1);

	/* stray RTCP on the RTP port is forwarded but does not decide the endpoint */
	call_ab(30080, 30084, 0, CFG_LEARN_IMMEDIATE);
	f = th_flowp(0, 30080);
	m = fwd1(0, rtp(A, 4999, RA, 30080, 200, 1));
	th_free(&m, 1);
	assert_int_equal(f->learn_state, DP_LS_LEARNING);
	assert_int_equal(f->learned.port, 0);
}

static void
test_handoff_and_punt(void **state)
{
	struct rte_mbuf *m;
	void *obj = NULL;
	uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
	uint64_t ho = STAT(0, handoff_out);

	(void)state;
	/* port 30002 belongs to worker 1: worker 0 hands the packet over untouched */
	th_flow(0, 30002, 1, 30006, 0, A, 4000, CFG_LEARN_HEURISTIC);
	th_flow(1, 30006, 0, 30002, 0, B, 5000, CFG_LEARN_HEURISTIC);
	th_neigh(1, B, &mac_b);
	assert_null(fwd1(0, rtp(A, 4000, RA, 30002, 0, 5)));
	assert_int_equal(STAT(0, handoff_out), ho + 1);
	assert_int_equal(rte_ring_dequeue(dp_lcores[1]->handoff, &obj), 0);
	/* the owner forwards it */
	dp_lcores[1]->now_tsc = rte_rdtsc();
	m = obj;
	dp_burst(dp_lcores[1], &m, 1, true);
	dp_tx_flush(dp_lcores[1]);
	assert_int_equal(th_tx(1, &m, 1), 1);
	check_v4(m, RB, 30006, B, 5000, &mac_b, 5);
	th_free(&m, 1);
	assert_int_equal(th_flowp(0, 30002)->pkts, 1);

	/* STUN on a relay port goes to the control thread */
	th_rx(0, th_udp(A, 4000, RA, 30000, stun, sizeof(stun)));
	assert_int_equal(rte_ring_dequeue(dp_lcores[0]->punt, &obj), 0);
	rte_pktmbuf_free(obj);
}

static void
test_malformed(void **state)
{
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	struct dp_stats before, after;
	uint8_t junk[8] = {0x45, 0, 0, 0, 1, 2, 3, 4};

	(void)state;
	call_ab(30088, 30092, 0, CFG_LEARN_HEURISTIC);
	dp_stats_worker(0, &before);

	m = rtp(A, 4000, RA, 30088, 0, 1); /* bad IPv4 header checksum */
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->hdr_checksum ^= 0x1234;
	assert_null(fwd1(0, m));
	m = rtp(A, 4000, RA, 30088, 0, 1); /* fragment */
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	assert_null(fwd1(0, m));
	m = rtp(A, 4000, RA, 30088, 0, 1); /* IP total length beyond the frame */
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->total_length = RTE_BE16(1400);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	assert_null(fwd1(0, m));
	m = rtp(A, 4000, RA, 30088, 0, 1); /* UDP length beyond the IP payload */
	rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 34)->dgram_len = RTE_BE16(900);
	assert_null(fwd1(0, m));
	m = rtp(A, 4000, RA, 30088, 0, 1); /* runt frame */
	m->data_len = m->pkt_len = 10;
	assert_null(fwd1(0, m));
	assert_null(fwd1(0, rtp(A, 4000, "198.18.1.200", 30088, 0, 1))); /* not ours */
	assert_null(fwd1(0, rtp(A, 4000, RA, 30196, 0, 1)));  /* no flow on that port */
	assert_null(fwd1(0, rtp(A, 4000, RA, 2000, 0, 1)));   /* outside the range */
	assert_null(fwd1(0, th_udp(A, 4000, RA, 30088, junk, sizeof(junk)))); /* not RTP */
	assert_null(fwd1(0, th_udp(A, 4000, RA, 30088, junk, 0)));          /* empty */

	dp_stats_worker(0, &after);
	assert_int_equal(after.drop_ip_bad - before.drop_ip_bad, 2);
	assert_int_equal(after.drop_frag - before.drop_frag, 1);
	assert_int_equal(after.drop_udp_bad - before.drop_udp_bad, 1);
	assert_int_equal(after.drop_l2 - before.drop_l2, 1);
	assert_int_equal(after.drop_not_local - before.drop_not_local, 1);
	assert_int_equal(after.drop_no_flow - before.drop_no_flow, 2);
	assert_int_equal(after.drop_unknown - before.drop_unknown, 2);
	/* and the call still works */
	m = fwd1(0, rtp(A, 4000, RA, 30088, 0, 9));
	check_v4(m, RB, 30092, B, 5000, &mac_b, 9);
	th_free(&m, 1);
}

static void
test_bridge_v4_v6(void **state)
{
	struct rte_mbuf *m;
	struct rte_ipv6_hdr *ip6;
	struct rte_udp_hdr *udp;
	struct sl_ip src, dst;
	const uint8_t *pl;

	(void)state;
	th_flow(0, 30096, 2, 30100, 0, A, 4000, CFG_LEARN_HEURISTIC);
	th_flow(2, 30100, 0, 30096, 0, "2001:db8:2::10", 5000, CFG_LEARN_HEURISTIC);
	th_neigh(0, "2001:db8:2::10", &mac_b);
	th_neigh(0, A, &mac_a);
	m = fwd1(0, rtp(A, 4000, RA, 30096, 0, 11));
	assert_non_null(m);
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	udp = (struct rte_udp_hdr *)(ip6 + 1);
	sl_ip_parse("2001:db8:2::1", &src);
	sl_ip_parse("2001:db8:2::10", &dst);
	assert_int_equal(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type,
		RTE_BE16(RTE_ETHER_TYPE_IPV6));
	assert_memory_equal(ip6->src_addr, src.a, 16);
	assert_memory_equal(ip6->dst_addr, dst.a, 16);
	assert_int_equal(rte_be_to_cpu_16(ip6->payload_len), 8 + 172);
	assert_int_equal(rte_be_to_cpu_16(udp->src_port), 30100);
	assert_int_equal(rte_be_to_cpu_16(udp->dst_port), 5000);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip6, udp), 0);
	pl = (const uint8_t *)(udp + 1);
	assert_int_equal(pl[3], 11);
	th_free(&m, 1);
	/* and back: IPv6 in, IPv4 out */
	m = fwd1(0, rtp("2001:db8:2::10", 5000, "2001:db8:2::1", 30100, 0, 12));
	check_v4(m, RA, 30096, A, 4000, &th_peer_mac, 12); /* MAC latched from the packet */
	th_free(&m, 1);
}

static void
test_arp_icmp(void **state)
{
	struct rte_mbuf *m, *out[2];
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	void *obj = NULL;
	struct sl_ip me, peer;

	(void)state;
	sl_ip_parse(RA, &me);
	sl_ip_parse(A, &peer);
	m = dp_ctl_alloc();
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(&eth->dst_addr, 0xff, 6);
	eth->src_addr = mac_a;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = mac_a;
	arp->arp_data.arp_sip = sl_ip_v4(&peer);
	arp->arp_data.arp_tip = sl_ip_v4(&me);
	m->data_len = m->pkt_len = 14 + sizeof(*arp);
	m->port = 0;
	th_rx(0, m);
	assert_int_equal(th_tx(0, out, 2), 1);
	eth = rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *);
	arp = (struct rte_arp_hdr *)(eth + 1);
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &dp_conf.port_mac[0]));
	assert_int_equal(arp->arp_data.arp_sip, sl_ip_v4(&me));
	assert_int_equal(arp->arp_data.arp_tip, sl_ip_v4(&peer));
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &mac_a));
	th_free(out, 1);
	/* a copy went to the control thread to learn the sender */
	assert_int_equal(rte_ring_dequeue(dp_lcores[0]->punt, &obj), 0);
	rte_pktmbuf_free(obj);

	/* ICMP echo */
	{
		uint8_t body[16] = {RTE_IP_ICMP_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'};

		m = th_udp(A, 0, RA, 0, body, sizeof(body)); /* reuse the builder, then fix up */
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
		ip->next_proto_id = IPPROTO_ICMP;
		ip->total_length = RTE_BE16(20 + sizeof(body));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		icmp = (struct rte_icmp_hdr *)(ip + 1);
		memcpy(icmp, body, sizeof(body));
		icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(body));
		m->data_len = m->pkt_len = 14 + 20 + sizeof(body);
		th_rx(0, m);
		assert_int_equal(th_tx(0, out, 2), 1);
		ip = rte_pktmbuf_mtod_offset(out[0], struct rte_ipv4_hdr *, 14);
		icmp = (struct rte_icmp_hdr *)(ip + 1);
		assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
		assert_int_equal(ip->src_addr, sl_ip_v4(&me));
		assert_int_equal(ip->dst_addr, sl_ip_v4(&peer));
		assert_int_equal(rte_raw_cksum(icmp, sizeof(body)), 0xffff);
		assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
		th_free(out, 1);
	}
}

static void
test_ndp(void **state)
{
	struct rte_mbuf *m, *out[2];
	struct rte_ipv6_hdr *ip6;
	uint8_t *icmp;
	struct sl_ip me, peer;
	void *obj = NULL;
	static const uint8_t snm[16] = {0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 1};

	(void)state;
	sl_ip_parse("2001:db8:2::1", &me);
	sl_ip_parse("2001:db8:2::10", &peer);
	m = th_udp("2001:db8:2::10", 0, "2001:db8:2::1", 0, "", 0);
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->dst_addr, snm, 16);
	ip6->payload_len = RTE_BE16(32);
	icmp = (uint8_t *)(ip6 + 1);
	memset(icmp, 0, 32);
	icmp[0] = 135;
	memcpy(icmp + 8, me.a, 16);
	icmp[24] = 1;
	icmp[25] = 1;
	memcpy(icmp + 26, mac_b.addr_bytes, 6);
	*(uint16_t *)(icmp + 2) = rte_ipv6_udptcp_cksum(ip6, icmp);
	m->data_len = m->pkt_len = 14 + 40 + 32;
	th_rx(0, m);
	assert_int_equal(th_tx(0, out, 2), 1);
	ip6 = rte_pktmbuf_mtod_offset(out[0], struct rte_ipv6_hdr *, 14);
	icmp = (uint8_t *)(ip6 + 1);
	assert_int_equal(icmp[0], 136);
	assert_int_equal(icmp[4] & 0x40, 0x40); /* solicited */
	assert_memory_equal(icmp + 8, me.a, 16);
	assert_int_equal(icmp[24], 2);
	assert_memory_equal(icmp + 26, dp_conf.port_mac[0].addr_bytes, 6);
	assert_memory_equal(ip6->dst_addr, peer.a, 16);
	assert_int_equal(ip6->hop_limits, 255);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip6, icmp), 0);
	th_free(out, 1);
	assert_int_equal(rte_ring_dequeue(dp_lcores[0]->punt, &obj), 0);
	rte_pktmbuf_free(obj);
}

static void
test_mailbox_ops(void **state)
{
	struct dp_msg msg;
	struct rte_mbuf *m;
	struct dp_flow *f;
	struct rte_ether_addr mac_b2 = {{0x02, 0, 0, 0, 0, 0xbb}};

	(void)state;
	call_ab(30104, 30108, 0, CFG_LEARN_OFF);
	f = th_flowp(1, 30108);
	/* neighbour MAC change reaches flows that cached the old one */
	m = fwd1(0, rtp(A, 4000, RA, 30104, 0, 1));
	check_v4(m, RB, 30108, B, 5000, &mac_b, 1);
	th_free(&m, 1);
	th_neigh(0, B, &mac_b2);
	m = fwd1(0, rtp(A, 4000, RA, 30104, 0, 2));
	check_v4(m, RB, 30108, B, 5000, &mac_b2, 2);
	th_free(&m, 1);
	th_neigh(0, B, &mac_b);

	/* a partial update: new expect only */
	memset(&msg, 0, sizeof(msg));
	msg.op = DP_OP_FLOW_SET;
	msg.has = DP_HAS_EXPECT;
	msg.flow_idx = dp_flow_index(1, 30108);
	msg.gen = 1000;
	sl_ip_parse(B, &msg.u.flow.expect.ip);
	msg.u.flow.expect.port = 5100;
	dp_mbox_apply(dp_lcores[0], &msg);
	assert_int_equal(f->dest.port, 5100);
	assert_int_equal(f->flags & DP_F_ACTIVE, DP_F_ACTIVE); /* flags untouched */
	assert_int_equal(dp_applied_gen(0), 1000);
	m = fwd1(0, rtp(A, 4000, RA, 30104, 0, 3));
	check_v4(m, RB, 30108, B, 5100, &mac_b, 3);
	th_free(&m, 1);

	/* delete: the socket stops forwarding */
	memset(&msg, 0, sizeof(msg));
	msg.op = DP_OP_FLOW_DEL;
	msg.flow_idx = dp_flow_index(0, 30104);
	msg.gen = 1001;
	dp_mbox_apply(dp_lcores[0], &msg);
	assert_int_equal(dp_applied_gen(0), 1001);
	assert_null(fwd1(0, rtp(A, 4000, RA, 30104, 0, 4)));
	/* reset on reuse zeroes the counters */
	call_ab(30104, 30108, 0, CFG_LEARN_OFF);
	assert_int_equal(th_flowp(0, 30104)->pkts, 0);
	/* an index out of range from a broken sender is ignored */
	msg.op = DP_OP_FLOW_SET;
	msg.flow_idx = dp_conf.flows_per_worker + 5;
	msg.gen = 1002;
	dp_mbox_apply(dp_lcores[0], &msg);
	assert_int_equal(dp_applied_gen(0), 1002);
}

static void
test_hold_until_resolved(void **state)
{
	struct dp_lcore *lc = dp_lcores[0];
	struct rte_ether_addr mac_c = {{0x02, 0, 0, 0, 0, 0x0c}};
	struct rte_mbuf *m, *out[4];
	uint64_t held = STAT(0, held), nn = STAT(0, drop_no_neigh);

	(void)state;
	/* callee 198.18.2.20 is not in the neighbour table yet */
	th_flow(0, 30112, 1, 30116, 0, A, 4000, CFG_LEARN_HEURISTIC);
	th_flow(1, 30116, 0, 30112, 0, "198.18.2.20", 5000, CFG_LEARN_HEURISTIC);
	lc->now_tsc = rte_rdtsc();
	assert_null(fwd1(0, rtp(A, 4000, RA, 30112, 0, 1)));
	assert_null(fwd1(0, rtp(A, 4000, RA, 30112, 0, 2)));
	assert_int_equal(STAT(0, held), held + 2);
	assert_int_equal(lc->n_held, 2);
	/* the answer to our ARP request arrives: both go out, in order, to that MAC */
	th_neigh(0, "198.18.2.20", &mac_c);
	dp_tx_flush(lc);
	assert_int_equal(th_tx(0, out, 4), 2);
	check_v4(out[0], RB, 30116, "198.18.2.20", 5000, &mac_c, 1);
	check_v4(out[1], RB, 30116, "198.18.2.20", 5000, &mac_c, 2);
	th_free(out, 2);
	assert_int_equal(lc->n_held, 0);

	/* nobody answers: after the hold time the packet is dropped and counted */
	th_flow(1, 30116, 0, 30112, 0, "198.18.2.21", 5000, CFG_LEARN_HEURISTIC);
	assert_null(fwd1(0, rtp(A, 4000, RA, 30112, 0, 3)));
	assert_int_equal(lc->n_held, 1);
	lc->now_tsc = lc->held[0].deadline_tsc;
	dp_held_retry(lc, true);
	assert_int_equal(lc->n_held, 0);
	assert_int_equal(STAT(0, drop_no_neigh), nn + 1);
	lc->now_tsc = 0;
	m = NULL;
	(void)m;
}

/* an RTCP compound packet: SR, then feedback (205 NACK, 206 PLI) */
static struct rte_mbuf *
rtcp_compound(const char *sip, uint16_t sport, const char *dip, uint16_t dport, bool only_fb)
{
	uint8_t pl[64];
	uint16_t n = 0;

	if (!only_fb) {
		uint8_t sr[28] = {0x80, 200, 0, 6, 1, 2, 3, 4};

		memcpy(pl + n, sr, sizeof(sr));
		n += sizeof(sr);
	}
	{
		uint8_t nack[16] = {0x81, 205, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 0};
		uint8_t pli[12] = {0x81, 206, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};

		memcpy(pl + n, nack, sizeof(nack));
		n += sizeof(nack);
		memcpy(pl + n, pli, sizeof(pli));
		n += sizeof(pli);
	}
	return th_udp(sip, sport, dip, dport, pl, n);
}

static void
test_rtcp_mux_and_fb_strip(void **state)
{
	struct dp_msg msg;
	struct rte_mbuf *m;
	const uint8_t *pl;
	uint64_t fbdrop = STAT(0, drop_rtcp_fb);

	(void)state;
	/* a: WebRTC-style rtcp-mux on 30120; b: separate RTP 30124 / RTCP 30125, plain AVP */
	memset(&msg, 0, sizeof(msg));
	msg.op = DP_OP_FLOW_SET;
	msg.has = DP_HAS_FLAGS | DP_HAS_RESET | DP_HAS_EXPECT | DP_HAS_LEARN;
	msg.flow_idx = dp_flow_index(0, 30120);
	msg.u.flow.flags = DP_F_ACTIVE | DP_F_MUX;
	msg.u.flow.out_idx = dp_flow_index(1, 30124);
	msg.u.flow.out_rtcp_idx = dp_flow_index(1, 30125);
	msg.u.flow.lport = 30120;
	msg.u.flow.addr_idx = 0;
	msg.u.flow.learn = CFG_LEARN_HEURISTIC;
	sl_ip_parse(A, &msg.u.flow.expect.ip);
	msg.u.flow.expect.port = 4000;
	dp_mbox_apply(dp_lcores[0], &msg);
	th_flow(1, 30124, 0, 30120, DP_F_STRIP_FB, B, 5000, CFG_LEARN_HEURISTIC);
	th_flow(1, 30125, 0, 30120, DP_F_RTCP | DP_F_STRIP_FB, B, 5001, CFG_LEARN_HEURISTIC);
	th_neigh(0, A, &mac_a);
	th_neigh(0, B, &mac_b);

	/* RTP on the mux port -> b's RTP port */
	m = fwd1(0, rtp(A, 4000, RA, 30120, 0, 1));
	check_v4(m, RB, 30124, B, 5000, &mac_b, 1);
	th_free(&m, 1);
	/* RTCP on the mux port -> b's RTCP port, feedback stripped for the AVP side */
	m = fwd1(0, rtcp_compound(A, 4000, RA, 30120, false));
	assert_non_null(m);
	assert_int_equal(rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
						   34)->src_port),
		30125);
	assert_int_equal(rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
						   34)->dst_port),
		5001);
	assert_int_equal(m->pkt_len, 42 + 28); /* only the SR is left */
	pl = rte_pktmbuf_mtod_offset(m, const uint8_t *, 42);
	assert_int_equal(pl[1], 200);
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(
				 rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14),
				 rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 34)),
		0);
	th_free(&m, 1);
	/* a compound made only of feedback has nothing left for the AVP side */
	assert_null(fwd1(0, rtcp_compound(A, 4000, RA, 30120, true)));
	assert_int_equal(STAT(0, drop_rtcp_fb), fbdrop + 1);
	/* RTCP on a mux socket is legitimate: it may confirm the endpoint */
	assert_int_equal(th_flowp(0, 30120)->learn_state, DP_LS_CONFIRMED);
	/* b's RTCP (separate port) goes to a's mux port */
	m = fwd1(0, rtp(B, 5001, RB, 30125, 200, 7));
	check_v4(m, RA, 30120, A, 4000, &th_peer_mac, 7);
	th_free(&m, 1);
}

static void
master(struct srtp_master *m, const char *suite, uint8_t seed)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	m->suite = srtp_suite_find(suite, strlen(suite));
	assert_non_null(m->suite);
	for (i = 0; i < SRTP_MAX_KEY_LEN; i++)
		m->key[i] = (uint8_t)(seed + i);
	for (i = 0; i < SRTP_MAX_SALT_LEN; i++)
		m->salt[i] = (uint8_t)(seed * 3 + i);
}

/* an SRTP packet as the peer would send it, protected with @p tx */
static struct rte_mbuf *
srtp_pkt(struct srtp_ctx *tx, const char *sip, uint16_t sport, const char *dip, uint16_t dport,
	uint16_t seq)
{
	struct rte_mbuf *m = rtp(sip, sport, dip, dport, 0, seq);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	size_t len = 172;

	assert_int_equal(srtp_rtp_protect(tx, (uint8_t *)(udp + 1), &len, 172 + 64), 0);
	m->data_len = m->pkt_len = (uint32_t)(42 + len);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + len));
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

static void
srtp_install(unsigned addr, uint16_t port, struct srtp_ctx *in, struct srtp_ctx *out)
{
	struct dp_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.op = DP_OP_SRTP_SET;
	msg.flow_idx = dp_flow_index(addr, port);
	msg.u.srtp.in = in;
	msg.u.srtp.out = out;
	msg.u.srtp.rtcp_too = 1;
	dp_mbox_apply(dp_lcores[dp_owner(port)], &msg);
}

static void
test_srtp_bridge(void **state)
{
	static const char *const suites[] = {"AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"};
	struct srtp_master km_a, km_b;
	struct srtp_ctx *peer_tx, *relay_in, *relay_out, *peer_rx, *relay_in2;
	struct rte_mbuf *m, *bad;
	struct dp_flow *f;
	struct dp_stats before, after;
	unsigned s, i;

	(void)state;
	for (s = 0; s < 2; s++) {
		uint16_t pa = (uint16_t)(30128 + 8 * s), pb = (uint16_t)(30132 + 8 * s);

		/* a speaks SRTP with key A; b is plain RTP */
		master(&km_a, suites[s], 0x10);
		master(&km_b, suites[s], 0x40);
		peer_tx = srtp_ctx_create(&km_a);
		relay_in = srtp_ctx_create(&km_a);
		relay_out = srtp_ctx_create(&km_b);
		peer_rx = srtp_ctx_create(&km_b);
		assert_non_null(peer_tx);
		assert_non_null(peer_rx);
		call_ab(pa, pb, DP_F_STRICT, CFG_LEARN_HEURISTIC);
		srtp_install(0, pa, relay_in, relay_out);
		f = th_flowp(0, pa);
		dp_stats_worker(0, &before);

		/* SRTP in, plain RTP out, bytes intact */
		for (i = 1; i <= 3; i++) {
			m = fwd1(0, srtp_pkt(peer_tx, A, 4000, RA, pa, (uint16_t)i));
			check_v4(m, RB, pb, B, 5000, &mac_b, (uint16_t)i);
			th_free(&m, 1);
		}
		/* plain in from b, SRTP out to a: the peer's receiver decrypts it */
		m = fwd1(0, rtp(B, 5000, RB, pb, 0, 77));
		assert_non_null(m);
		{
			struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 34);
			size_t len = rte_be_to_cpu_16(udp->dgram_len) - 8u;
			uint8_t *pl = (uint8_t *)(udp + 1);

			assert_int_equal(len, 172 + m->nb_segs * 0 + (s == 0 ? 10 : 16));
			assert_int_equal(rte_ipv4_udptcp_cksum_verify(
						 rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14), udp),
				0);
			assert_int_equal(srtp_rtp_unprotect(peer_rx, pl, &len), 0);
			assert_int_equal(len, 172);
			assert_int_equal((pl[2] << 8) | pl[3], 77);
			for (i = 12; i < 172; i++)
				assert_int_equal(pl[i], (uint8_t)(i + 77));
		}
		th_free(&m, 1);

		/* a forged packet from elsewhere fails authentication: not forwarded, not latched */
		bad = rtp("198.18.1.66", 4000, RA, pa, 0, 4);
		assert_null(fwd1(0, bad));
		/* a replayed packet is dropped */
		{
			struct srtp_ctx *replay = srtp_ctx_create(&km_a);

			assert_null(fwd1(0, srtp_pkt(replay, A, 4000, RA, pa, 2)));
			srtp_ctx_free(replay);
		}
		dp_stats_worker(0, &after);
		assert_int_equal(after.srtp_in - before.srtp_in, 3);
		assert_int_equal(after.srtp_out - before.srtp_out, 1);
		assert_int_equal(after.drop_srtp_auth - before.drop_srtp_auth, 1);
		assert_int_equal(after.drop_srtp_replay - before.drop_srtp_replay, 1);
		assert_int_equal(f->learned.port, 4000);
		assert_int_equal(f->errors, 2);

		/* re-keying keeps the ROC/replay state of the old context */
		relay_in2 = srtp_ctx_create(&km_a);
		srtp_install(0, pa, relay_in2, relay_out);
		{
			/* a fresh sender restarting at seq 3: the adopted replay window drops it */
			struct srtp_ctx *again = srtp_ctx_create(&km_a);

			assert_null(fwd1(0, srtp_pkt(again, A, 4000, RA, pa, 3)));
			srtp_ctx_free(again);
		}
		m = fwd1(0, srtp_pkt(peer_tx, A, 4000, RA, pa, 4));
		check_v4(m, RB, pb, B, 5000, &th_peer_mac, 4); /* b latched from its packet */
		th_free(&m, 1);

		srtp_install(0, pa, NULL, NULL);
		srtp_ctx_free(peer_tx);
		srtp_ctx_free(relay_in);
		srtp_ctx_free(relay_in2);
		srtp_ctx_free(relay_out);
		srtp_ctx_free(peer_rx);
	}
}

static void
test_send_and_room(void **state)
{
	struct dp_msg msg;
	unsigned before = dp_mbox_free(1);

	(void)state;
	memset(&msg, 0, sizeof(msg));
	msg.op = DP_OP_NOP;
	msg.gen = dp_next_gen();
	assert_int_equal(dp_send(1, &msg), 0);
	assert_int_equal(dp_mbox_free(1), before - 1);
	/* fill it: back-pressure, not blocking */
	while (dp_send(1, &msg) == 0)
		;
	assert_int_equal(dp_mbox_free(1), 0);
	assert_int_equal(dp_send(1, &msg), -ENOBUFS);
	/* drain as the worker would */
	{
		struct dp_msg tmp[64];

		while (rte_ring_dequeue_burst_elem(dp_lcores[1]->mbox, tmp, sizeof(tmp[0]), 64,
			       NULL) > 0)
			;
	}
	assert_int_equal(dp_mbox_free(1), before);
}

/* operations that cannot fail wait in order behind a full mailbox */
static void
test_send_queued(void **state)
{
	struct dp_msg msg, tmp[64];
	uint64_t gens[3];
	unsigned i, n, got = 0;

	(void)state;
	memset(&msg, 0, sizeof(msg));
	msg.op = DP_OP_NOP;
	while (dp_send(1, &msg) == 0)
		;
	for (i = 0; i < 3; i++) {
		msg.gen = gens[i] = dp_next_gen();
		assert_int_equal(dp_send_queued(1, &msg), 0);
	}
	assert_int_equal(dp_backlog_count(), 3);
	/* nothing may overtake the backlog */
	assert_int_equal(dp_mbox_free(1), 0);
	assert_int_equal(dp_send(1, &msg), -ENOBUFS);
	assert_int_equal(dp_backlog_flush(), 3);
	/* the worker makes room: the backlog moves on, in order */
	n = rte_ring_dequeue_burst_elem(dp_lcores[1]->mbox, tmp, sizeof(tmp[0]), 64, NULL);
	assert_true(n >= 3);
	assert_int_equal(dp_backlog_flush(), 0);
	assert_int_equal(dp_backlog_count(), 0);
	while ((n = rte_ring_dequeue_burst_elem(dp_lcores[1]->mbox, tmp, sizeof(tmp[0]), 64,
			NULL)) > 0)
		for (i = 0; i < n; i++)
			if (tmp[i].gen != 0) {
				assert_true(got < 3);
				assert_int_equal(tmp[i].gen, gens[got]);
				got++;
			}
	assert_int_equal(got, 3);
	assert_int_equal(dp_send(1, &msg), 0);
	rte_ring_dequeue_burst_elem(dp_lcores[1]->mbox, tmp, sizeof(tmp[0]), 64, NULL);
}

static int
setup(void **state)
{
	(void)state;
	return th_setup("test_dp");
}

static int
teardown(void **state)
{
	(void)state;
	th_teardown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_v4),
		cmocka_unit_test(test_forward_v4_cksum_incremental),
		cmocka_unit_test(test_rtcp_socket),
		cmocka_unit_test(test_latch_nat_heuristic),
		cmocka_unit_test(test_heuristic_window_end),
		cmocka_unit_test(test_heuristic_bleed),
		cmocka_unit_test(test_strict_source),
		cmocka_unit_test(test_learning_modes),
		cmocka_unit_test(test_asymmetric_and_handover),
		cmocka_unit_test(test_blackhole_and_stray_rtcp),
		cmocka_unit_test(test_handoff_and_punt),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bridge_v4_v6),
		cmocka_unit_test(test_arp_icmp),
		cmocka_unit_test(test_ndp),
		cmocka_unit_test(test_mailbox_ops),
		cmocka_unit_test(test_hold_until_resolved),
		cmocka_unit_test(test_rtcp_mux_and_fb_strip),
		cmocka_unit_test(test_srtp_bridge),
		cmocka_unit_test(test_send_and_room),
		cmocka_unit_test(test_send_queued),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
