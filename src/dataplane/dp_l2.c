/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Answers for our own addresses on a worker lcore: ARP requests, IPv6
 * neighbour solicitations and ICMP/ICMPv6 echo. Requests are answered in
 * place; ARP replies, neighbour advertisements and a copy of every
 * request (the sender's MAC is worth gleaning) go to the control thread,
 * which owns the neighbour table and pushes it to the workers.
 */
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dataplane/dp_priv.h"

#define ND_NS 135
#define ND_NA 136
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2

static void
dp_punt_copy(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, lc->pool, 0, UINT32_MAX);

	if (c != NULL)
		dp_punt(lc, c);
}

void
dp_arp_input(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp;
	uint32_t tip;
	int idx;

	if (m->data_len < sizeof(*eth) + sizeof(*arp)) {
		DP_STAT(lc, drop_l2);
		goto drop;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
		arp->arp_plen != 4) {
		DP_STAT(lc, drop_l2);
		goto drop;
	}
	tip = arp->arp_data.arp_tip;
	idx = dp_addr_find_v4(tip);
	if (idx < 0 || dp_conf.addrs[idx].port_id != m->port) {
		DP_STAT(lc, drop_not_local);
		goto drop;
	}
	if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY)) {
		dp_punt(lc, m);
		return;
	}
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST)) {
		DP_STAT(lc, drop_l2);
		goto drop;
	}
	dp_punt_copy(lc, m);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	rte_ether_addr_copy(&dp_conf.port_mac[m->port], &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = tip;
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&dp_conf.port_mac[m->port], &eth->src_addr);
	DP_STAT(lc, arp_reply);
	dp_tx(lc, m, m->port);
	return;
drop:
	dp_drop(m);
}

void
dp_icmp4_input(struct dp_lcore *lc, struct rte_mbuf *m, unsigned l3_off, unsigned ihl)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l3_off);
	struct rte_icmp_hdr *icmp;
	unsigned len = rte_be_to_cpu_16(ip->total_length) - ihl;
	uint32_t tmp;

	if (len < sizeof(*icmp)) {
		DP_STAT(lc, drop_ip_bad);
		goto drop;
	}
	icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, l3_off + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		DP_STAT(lc, drop_proto);
		goto drop;
	}
	if (rte_raw_cksum(icmp, len) != 0xffff) {
		DP_STAT(lc, drop_ip_bad);
		goto drop;
	}
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len);
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&dp_conf.port_mac[m->port], &eth->src_addr);
	DP_STAT(lc, icmp_echo);
	dp_tx(lc, m, m->port);
	return;
drop:
	dp_drop(m);
}

/* Neighbour solicitation for one of our addresses: answer with an advertisement. */
static void
dp_nd_solicit(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ipv6_hdr *ip6, uint8_t *icmp,
	unsigned len)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
	static const uint8_t unspec[16];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const struct rte_ether_addr *mymac = &dp_conf.port_mac[m->port];
	uint8_t target[16];
	bool dad;
	int idx;

	if (len < 24 || ip6->hop_limits != 255) {
		DP_STAT(lc, drop_ip_bad);
		goto drop;
	}
	memcpy(target, icmp + 8, 16);
	idx = dp_addr_find_v6(target);
	if (idx < 0 || dp_conf.addrs[idx].port_id != m->port) {
		DP_STAT(lc, drop_not_local);
		goto drop;
	}
	dad = memcmp(ip6->src_addr, unspec, 16) == 0;
	if (!dad)
		dp_punt_copy(lc, m); /* carries the sender's link-layer address */

	/* NA: type, code, cksum, R|S|O flags, target, target link-layer address option */
	if (m->data_len < sizeof(*eth) + sizeof(*ip6) + 32 &&
		rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + sizeof(*ip6) + 32 - m->data_len)) == NULL) {
		DP_STAT(lc, drop_too_big);
		goto drop;
	}
	if (m->data_len > sizeof(*eth) + sizeof(*ip6) + 32)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - sizeof(*eth) - sizeof(*ip6) - 32));
	memset(icmp, 0, 32);
	icmp[0] = ND_NA;
	icmp[4] = dad ? 0x20 : 0x60; /* Solicited only when unicast back, Override */
	memcpy(icmp + 8, target, 16);
	icmp[24] = ND_OPT_TLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, mymac, 6);
	if (dad) {
		memcpy(ip6->dst_addr, all_nodes, 16);
		eth->dst_addr = (struct rte_ether_addr){{0x33, 0x33, 0, 0, 0, 1}};
	} else {
		memcpy(ip6->dst_addr, ip6->src_addr, 16);
		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	}
	memcpy(ip6->src_addr, target, 16);
	ip6->payload_len = RTE_BE16(32);
	ip6->hop_limits = 255;
	*(uint16_t *)(icmp + 2) = rte_ipv6_udptcp_cksum(ip6, icmp);
	rte_ether_addr_copy(mymac, &eth->src_addr);
	DP_STAT(lc, nd_reply);
	dp_tx(lc, m, m->port);
	return;
drop:
	dp_drop(m);
}

void
dp_icmp6_input(struct dp_lcore *lc, struct rte_mbuf *m, unsigned l3_off)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, l3_off);
	unsigned len = rte_be_to_cpu_16(ip6->payload_len);
	uint8_t *icmp = (uint8_t *)(ip6 + 1);
	uint8_t tmp[16];

	if (len < 8 || rte_ipv6_udptcp_cksum_verify(ip6, icmp) != 0) {
		DP_STAT(lc, drop_ip_bad);
		goto drop;
	}
	switch (icmp[0]) {
	case ND_NS:
		dp_nd_solicit(lc, m, ip6, icmp, len);
		return;
	case ND_NA:
		if (ip6->hop_limits != 255) {
			DP_STAT(lc, drop_ip_bad);
			goto drop;
		}
		dp_punt(lc, m);
		return;
	case ICMP6_ECHO_REQUEST:
		if (ip6->dst_addr[0] == 0xff) /* not answering multicast pings */
			break;
		icmp[0] = ICMP6_ECHO_REPLY;
		memcpy(tmp, ip6->src_addr, 16);
		memcpy(ip6->src_addr, ip6->dst_addr, 16);
		memcpy(ip6->dst_addr, tmp, 16);
		ip6->hop_limits = 64;
		*(uint16_t *)(icmp + 2) = 0;
		*(uint16_t *)(icmp + 2) = rte_ipv6_udptcp_cksum(ip6, icmp);
		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
		rte_ether_addr_copy(&dp_conf.port_mac[m->port], &eth->src_addr);
		DP_STAT(lc, icmp_echo);
		dp_tx(lc, m, m->port);
		return;
	default:
		break;
	}
	DP_STAT(lc, drop_proto);
drop:
	dp_drop(m);
}
