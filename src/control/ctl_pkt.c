/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/ctl_pkt.h"
#include "control/neigh.h"
#include "dataplane/dp.h"

struct ctl_pkt_stats ctl_pkt_stats;

int
ctl_pkt_send(unsigned addr_idx, uint16_t lport, const struct sl_ep *dst, const uint8_t *dmac,
	const void *data, size_t len)
{
	const struct dp_addr *a;
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *udp;
	struct rte_mbuf *m;
	uint8_t mac[6];
	size_t hl;

	if (addr_idx >= dp_conf.n_addrs || dst->ip.family != dp_conf.addrs[addr_idx].ip.family ||
		len > 1400)
		return -EINVAL;
	a = &dp_conf.addrs[addr_idx];
	if (dmac == NULL) {
		if (neigh_lookup(addr_idx, &dst->ip, mac) < 0) {
			ctl_pkt_stats.send_fail++;
			return -EHOSTUNREACH;
		}
		dmac = mac;
	}
	m = dp_ctl_alloc();
	if (m == NULL) {
		ctl_pkt_stats.send_fail++;
		return -ENOBUFS;
	}
	hl = sizeof(*eth) + (a->ip.family == AF_INET6 ? sizeof(struct rte_ipv6_hdr) :
		sizeof(struct rte_ipv4_hdr)) + sizeof(*udp);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memcpy(eth->dst_addr.addr_bytes, dmac, 6);
	rte_ether_addr_copy(&dp_conf.port_mac[a->port_id], &eth->src_addr);
	if (a->ip.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + len));
		ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = sl_ip_v4(&a->ip);
		ip->dst_addr = sl_ip_v4(&dst->ip);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->src_port = rte_cpu_to_be_16(lport);
		udp->dst_port = rte_cpu_to_be_16(dst->port);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
		udp->dgram_cksum = 0;
		memcpy(udp + 1, data, len);
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, a->ip.a, 16);
		memcpy(ip6->dst_addr, dst->ip.a, 16);
		udp = (struct rte_udp_hdr *)(ip6 + 1);
		udp->src_port = rte_cpu_to_be_16(lport);
		udp->dst_port = rte_cpu_to_be_16(dst->port);
		udp->dgram_len = ip6->payload_len;
		udp->dgram_cksum = 0;
		memcpy(udp + 1, data, len);
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
	}
	m->data_len = m->pkt_len = (uint32_t)(hl + len);
	m->port = a->port_id;
	if (dp_ctl_tx(dp_owner(lport), m) < 0) {
		ctl_pkt_stats.send_fail++;
		return -ENOBUFS;
	}
	ctl_pkt_stats.sent++;
	return 0;
}

/* UDP to one of our relay sockets: STUN to the ICE agent, DTLS to the DTLS association */
static void
ctl_udp_input(struct rte_mbuf *m, const struct rte_ether_hdr *eth, unsigned l4_off,
	const struct sl_ep *src, const struct sl_ip *dst_ip)
{
	const struct rte_udp_hdr *udp;
	struct call_media *cm;
	struct sl_ep local;
	const uint8_t *pl;
	unsigned ulen, comp;
	int addr_idx;

	if (m->data_len < l4_off + sizeof(*udp))
		return;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, l4_off);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) + 1 || l4_off + ulen > m->data_len)
		return;
	pl = (const uint8_t *)(udp + 1);
	addr_idx = dp_addr_find(dst_ip);
	local.ip = *dst_ip;
	local.port = rte_be_to_cpu_16(udp->dst_port);
	cm = addr_idx < 0 ? NULL : call_sock_media((unsigned)addr_idx, local.port);
	if (cm == NULL) {
		ctl_pkt_stats.no_media++;
		return;
	}
	comp = (unsigned)(local.port - cm->sock.port) + 1;
	ulen -= sizeof(*udp);
	if (pl[0] <= 3) {
		ctl_pkt_stats.stun_in++;
		call_ice_input(cm, comp, &local, src, eth->src_addr.addr_bytes, pl, ulen);
	} else if (pl[0] >= 20 && pl[0] <= 63) {
		ctl_pkt_stats.dtls_in++;
		call_sec_input(cm, comp, src, eth->src_addr.addr_bytes, pl, ulen);
	} else {
		ctl_pkt_stats.unknown_in++;
	}
}

void
ctl_pkt_input(struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct sl_ep src;
	struct sl_ip dst;

	if (m->data_len < sizeof(*eth))
		return;
	if (neigh_input(m))
		return;
	memset(&src, 0, sizeof(src));
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
		unsigned ihl;

		if (m->data_len < sizeof(*eth) + sizeof(*ip) || ip->next_proto_id != IPPROTO_UDP)
			return;
		ihl = (ip->version_ihl & 0xf) * 4u;
		sl_ip_from_v4(&src.ip, ip->src_addr);
		sl_ip_from_v4(&dst, ip->dst_addr);
		src.port = rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
			sizeof(*eth) + ihl)->src_port);
		ctl_udp_input(m, eth, (unsigned)(sizeof(*eth) + ihl), &src, &dst);
	} else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(eth + 1);

		if (m->data_len < sizeof(*eth) + sizeof(*ip6) + 8 || ip6->proto != IPPROTO_UDP)
			return;
		src.ip.family = AF_INET6;
		memcpy(src.ip.a, ip6->src_addr, 16);
		memset(&dst, 0, sizeof(dst));
		dst.family = AF_INET6;
		memcpy(dst.a, ip6->dst_addr, 16);
		src.port = rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
			sizeof(*eth) + sizeof(*ip6))->src_port);
		ctl_udp_input(m, eth, (unsigned)(sizeof(*eth) + sizeof(*ip6)), &src, &dst);
	}
}
