/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "crypto/srtp.h"
#include "dp_harness.h"

struct sl_config th_cfg;
const struct rte_ether_addr th_peer_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x10}};
static struct rte_ring *rings[2];
static char prefix[64];

static void
iface(unsigned i, const char *name, const char *ip, uint8_t plen)
{
	struct cfg_iface *c = &th_cfg.ifaces[i];

	snprintf(c->name, sizeof(c->name), "%s", name);
	sl_ip_parse(ip, &c->addr);
	c->prefixlen = plen;
	c->port_id = 0;
}

int
th_setup(const char *name)
{
	char pfx[80];
	/* --no-telemetry: no socket in /var/run/dpdk (the fuzz harnesses share this) */
	char *argv[] = {(char *)name, "--lcores", "0@0,1@0,2@0", "--no-pci", "--no-huge", "-m",
		"128", pfx, "--log-level=*:warning", "--no-telemetry", NULL};
	char err[256];
	unsigned i;
	int port;

	snprintf(prefix, sizeof(prefix), "t-%s-%d", name, (int)getpid());
	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", prefix);
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		char rn[32];

		snprintf(rn, sizeof(rn), "th_ring%u", i);
		rings[i] = rte_ring_create(rn, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rings[i] == NULL)
			return -1;
	}
	port = rte_eth_from_rings("th_port", rings, 2, rings, 2, 0);
	if (port != 0)
		return -1;
	cfg_defaults(&th_cfg);
	iface(0, "a", "198.18.1.1", 24);
	iface(1, "b", "198.18.2.1", 24);
	iface(2, "b", "2001:db8:2::1", 64);
	th_cfg.n_ifaces = 3;
	th_cfg.port_min = 30000;
	th_cfg.port_max = 30199;
	th_cfg.mbufs = 2047;
	th_cfg.poll_mode = CFG_POLL_BUSY;
	if (dp_init(&th_cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "dp_init: %s\n", err);
		return -1;
	}
	/* this thread runs the bursts, as a worker lcore would: it gets its managers */
	if (srtp_engine_thread_init() < 0)
		return -1;
	return 0;
}

void
th_teardown(void)
{
	char path[160];

	dp_fini();
	rte_eal_cleanup();
	snprintf(path, sizeof(path), "rm -rf /var/run/dpdk/%s", prefix);
	if (system(path) != 0)
		fprintf(stderr, "cleanup of %s failed\n", prefix);
}

struct rte_mbuf *
th_udp(const char *src_ip, uint16_t sport, const char *dst_ip, uint16_t dport,
	const void *payload, uint16_t plen)
{
	struct rte_mbuf *m = dp_ctl_alloc();
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *udp;
	struct sl_ip s, d;

	sl_ip_parse(src_ip, &s);
	sl_ip_parse(dst_ip, &d);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->src_addr = th_peer_mac;
	eth->dst_addr = dp_conf.port_mac[0];
	if (s.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*udp) + plen);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = sl_ip_v4(&s);
		ip->dst_addr = sl_ip_v4(&d);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
		m->data_len = sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + plen;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16(sizeof(*udp) + plen);
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, s.a, 16);
		memcpy(ip6->dst_addr, d.a, 16);
		udp = (struct rte_udp_hdr *)(ip6 + 1);
		m->data_len = sizeof(*eth) + sizeof(*ip6) + sizeof(*udp) + plen;
	}
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + plen);
	udp->dgram_cksum = 0;
	memcpy(udp + 1, payload, plen);
	m->pkt_len = m->data_len;
	m->port = 0;
	return m;
}

struct rte_mbuf *
th_rtp(const char *src_ip, uint16_t sport, const char *dst_ip, uint16_t dport, uint8_t pt,
	uint16_t seq)
{
	uint8_t pl[172] = {0x80, pt, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 0, 0xde, 0xca,
		0xfb, 0xad};
	unsigned i;

	for (i = 12; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i + seq);
	return th_udp(src_ip, sport, dst_ip, dport, pl, sizeof(pl));
}

void
th_rx(unsigned w, struct rte_mbuf *m)
{
	struct dp_lcore *lc = dp_lcores[w];

	if (lc->now_tsc == 0)
		lc->now_tsc = rte_rdtsc();
	dp_burst(lc, &m, 1, false);
	dp_tx_flush(lc);
}

unsigned
th_tx(unsigned w, struct rte_mbuf **out, unsigned max)
{
	return rte_eth_rx_burst(0, (uint16_t)w, out, (uint16_t)max);
}

void
th_free(struct rte_mbuf **m, unsigned n)
{
	rte_pktmbuf_free_bulk(m, n);
}

struct dp_flow *
th_flowp(unsigned addr, uint16_t lport)
{
	return &dp_lcores[dp_owner(lport)]->flows[dp_flow_index(addr, lport)];
}

void
th_flow(unsigned addr, uint16_t lport, unsigned out_addr, uint16_t out_port, uint32_t flags,
	const char *expect_ip, uint16_t expect_port, int learn)
{
	static uint64_t gen;
	struct dp_msg m;

	memset(&m, 0, sizeof(m));
	m.op = DP_OP_FLOW_SET;
	m.has = DP_HAS_FLAGS | DP_HAS_RESET | DP_HAS_EXPECT | DP_HAS_LEARN;
	m.flow_idx = dp_flow_index(addr, lport);
	m.gen = ++gen;
	m.u.flow.flags = DP_F_ACTIVE | flags;
	m.u.flow.out_idx = dp_flow_index(out_addr, out_port);
	m.u.flow.lport = lport;
	m.u.flow.addr_idx = (uint8_t)addr;
	m.u.flow.learn = (uint8_t)learn;
	if (expect_ip != NULL)
		sl_ip_parse(expect_ip, &m.u.flow.expect.ip);
	m.u.flow.expect.port = expect_port;
	dp_mbox_apply(dp_lcores[dp_owner(lport)], &m);
}

void
th_neigh(unsigned w, const char *ip, const struct rte_ether_addr *mac)
{
	struct dp_msg m;

	memset(&m, 0, sizeof(m));
	m.op = DP_OP_NEIGH_SET;
	m.u.neigh.port_id = 0;
	m.u.neigh.mac = *mac;
	sl_ip_parse(ip, &m.u.neigh.ip);
	dp_mbox_apply(dp_lcores[w], &m);
}

unsigned
th_drain(void)
{
	struct dp_msg msgs[64];
	void *pkts[64];
	unsigned w, n, i, total = 0;

	for (w = 0; w < dp_conf.n_workers; w++) {
		while ((n = rte_ring_dequeue_burst_elem(dp_lcores[w]->mbox, msgs, sizeof(msgs[0]), 64,
				NULL)) > 0) {
			for (i = 0; i < n; i++)
				dp_mbox_apply(dp_lcores[w], &msgs[i]);
			total += n;
		}
		/* ARP/NDP requests the control thread wanted sent: discard */
		while ((n = rte_ring_dequeue_burst(dp_lcores[w]->ctl_tx, pkts, 64, NULL)) > 0)
			rte_pktmbuf_free_bulk((struct rte_mbuf **)pkts, n);
	}
	return total;
}
