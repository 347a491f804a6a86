/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_jhash.h>

#include "common/log.h"
#include "control/neigh.h"
#include "dataplane/dp.h"

#define NEIGH_TRIES 3
#define NEIGH_RETRY_MS 1000
#define NEIGH_FAIL_BACKOFF_MS 10000
#define ND_NS 135
#define ND_NA 136

enum neigh_state {
	NEIGH_EMPTY = 0,
	NEIGH_PENDING,
	NEIGH_RESOLVED,
	NEIGH_FAILED,
};

struct neigh_entry {
	uint8_t state;
	uint8_t tries;
	uint8_t addr_idx; /* local address the requests come from */
	uint16_t port;
	struct sl_ip ip;
	struct rte_ether_addr mac;
	uint64_t next_ms;  /* next retransmission / retry after failure */
};

static struct neigh_entry neigh_tab[NEIGH_MAX];
static unsigned neigh_resolved;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
neigh_init(void)
{
	memset(neigh_tab, 0, sizeof(neigh_tab));
	neigh_resolved = 0;
	return 0;
}

void
neigh_fini(void)
{
}

unsigned
neigh_count(void)
{
	return neigh_resolved;
}

/* find the entry, or the slot where it would go (NULL if the table is full) */
static struct neigh_entry *
neigh_slot(uint16_t port, const struct sl_ip *ip, bool *found)
{
	uint32_t key[4], h;
	unsigned i;

	/*
	 * rte_jhash() reads the key as 32-bit words on x86 and struct sl_ip is
	 * only byte aligned (UBSan: misaligned load): hash an aligned copy.
	 */
	memcpy(key, ip->a, sizeof(key));
	h = rte_jhash(key, sizeof(key), port) & (NEIGH_MAX - 1);

	for (i = 0; i < NEIGH_MAX; i++) {
		struct neigh_entry *e = &neigh_tab[(h + i) & (NEIGH_MAX - 1)];

		if (e->state == NEIGH_EMPTY) {
			*found = false;
			return e;
		}
		if (e->port == port && sl_ip_eq(&e->ip, ip)) {
			*found = true;
			return e;
		}
	}
	*found = false;
	return NULL;
}

static void
neigh_push(const struct neigh_entry *e)
{
	struct dp_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.op = DP_OP_NEIGH_SET;
	msg.gen = dp_next_gen();
	msg.u.neigh.port_id = e->port;
	msg.u.neigh.ip = e->ip;
	msg.u.neigh.mac = e->mac;
	if (dp_send_all(&msg) < 0)
		SL_LOG_RL(SL_LOG_WARNING, "neigh", "out of memory; neighbour update lost");
}

void
neigh_learn(uint16_t port, const struct sl_ip *ip, const uint8_t mac[6])
{
	struct neigh_entry *e;
	bool found;
	char buf[SL_ADDRSTRLEN];

	if (rte_is_zero_ether_addr((const struct rte_ether_addr *)mac) ||
		rte_is_multicast_ether_addr((const struct rte_ether_addr *)mac))
		return;
	e = neigh_slot(port, ip, &found);
	if (e == NULL)
		return;
	if (found && e->state == NEIGH_RESOLVED && memcmp(e->mac.addr_bytes, mac, 6) == 0)
		return;
	if (!found || e->state != NEIGH_RESOLVED)
		neigh_resolved++;
	e->port = port;
	e->ip = *ip;
	memcpy(e->mac.addr_bytes, mac, 6);
	e->state = NEIGH_RESOLVED;
	e->tries = 0;
	SL_DEBUG("neigh", "port %u: %s is " RTE_ETHER_ADDR_PRT_FMT, port,
		sl_ip_fmt(ip, buf, sizeof(buf)), RTE_ETHER_ADDR_BYTES(&e->mac));
	neigh_push(e);
}

static void
neigh_send_request(const struct neigh_entry *e)
{
	const struct dp_addr *a = &dp_conf.addrs[e->addr_idx];
	const struct rte_ether_addr *mymac = &dp_conf.port_mac[e->port];
	struct rte_mbuf *m = dp_ctl_alloc();
	struct rte_ether_hdr *eth;

	if (m == NULL)
		return;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(mymac, &eth->src_addr);
	if (e->ip.family == AF_INET) {
		struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
		arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
		arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		arp->arp_hlen = 6;
		arp->arp_plen = 4;
		arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
		arp->arp_data.arp_sha = *mymac;
		arp->arp_data.arp_sip = sl_ip_v4(&a->ip);
		memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
		arp->arp_data.arp_tip = sl_ip_v4(&e->ip);
		m->data_len = m->pkt_len = sizeof(*eth) + sizeof(*arp);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
		uint8_t *icmp = (uint8_t *)(ip6 + 1);
		static const uint8_t snm[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

		eth->dst_addr = (struct rte_ether_addr){
			{0x33, 0x33, 0xff, e->ip.a[13], e->ip.a[14], e->ip.a[15]}};
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->payload_len = RTE_BE16(32);
		ip6->proto = IPPROTO_ICMPV6;
		ip6->hop_limits = 255;
		memcpy(ip6->src_addr, a->ip.a, 16);
		memcpy(ip6->dst_addr, snm, 13); /* solicited-node multicast ff02::1:ffXX:XXXX */
		memcpy(ip6->dst_addr + 13, e->ip.a + 13, 3);
		memset(icmp, 0, 32);
		icmp[0] = ND_NS;
		memcpy(icmp + 8, e->ip.a, 16);
		icmp[24] = 1; /* source link-layer address */
		icmp[25] = 1;
		memcpy(icmp + 26, mymac->addr_bytes, 6);
		*(uint16_t *)(icmp + 2) = rte_ipv6_udptcp_cksum(ip6, icmp);
		m->data_len = m->pkt_len = sizeof(*eth) + sizeof(*ip6) + 32;
	}
	m->port = e->port;
	dp_ctl_tx(0, m);
}

void
neigh_resolve(unsigned addr_idx, const struct sl_ip *dst)
{
	const struct dp_addr *a;
	const struct sl_ip *nh = dst;
	struct neigh_entry *e;
	bool found;
	uint64_t now;

	if (addr_idx >= dp_conf.n_addrs)
		return;
	a = &dp_conf.addrs[addr_idx];
	if (a->has_gw && !sl_ip_same_prefix(dst, &a->ip, a->prefixlen))
		nh = &a->gw;
	if (nh->family != a->ip.family)
		return;
	e = neigh_slot(a->port_id, nh, &found);
	if (e == NULL)
		return;
	now = now_ms();
	if (found && (e->state == NEIGH_RESOLVED || e->state == NEIGH_PENDING))
		return;
	if (found && e->state == NEIGH_FAILED && now < e->next_ms)
		return;
	e->state = NEIGH_PENDING;
	e->port = a->port_id;
	e->ip = *nh;
	e->addr_idx = (uint8_t)addr_idx;
	e->tries = 1;
	e->next_ms = now + NEIGH_RETRY_MS;
	neigh_send_request(e);
}

int
neigh_lookup(unsigned addr_idx, const struct sl_ip *dst, uint8_t mac[6])
{
	const struct dp_addr *a;
	const struct sl_ip *nh = dst;
	struct neigh_entry *e;
	bool found;

	if (addr_idx >= dp_conf.n_addrs)
		return -EHOSTUNREACH;
	a = &dp_conf.addrs[addr_idx];
	if (a->has_gw && !sl_ip_same_prefix(dst, &a->ip, a->prefixlen))
		nh = &a->gw;
	e = neigh_slot(a->port_id, nh, &found);
	if (e != NULL && found && e->state == NEIGH_RESOLVED) {
		memcpy(mac, e->mac.addr_bytes, 6);
		return 0;
	}
	neigh_resolve(addr_idx, dst);
	return -EHOSTUNREACH;
}

void
neigh_tick(uint64_t now)
{
	unsigned i;

	for (i = 0; i < NEIGH_MAX; i++) {
		struct neigh_entry *e = &neigh_tab[i];

		if (e->state != NEIGH_PENDING || now < e->next_ms)
			continue;
		if (e->tries >= NEIGH_TRIES) {
			char buf[SL_ADDRSTRLEN];

			e->state = NEIGH_FAILED;
			e->next_ms = now + NEIGH_FAIL_BACKOFF_MS;
			SL_LOG_RL(SL_LOG_WARNING, "neigh", "port %u: no answer resolving %s", e->port,
				sl_ip_fmt(&e->ip, buf, sizeof(buf)));
			continue;
		}
		e->tries++;
		e->next_ms = now + NEIGH_RETRY_MS;
		neigh_send_request(e);
	}
}

/* IPv6 ND option of @p type in [opt, end), or NULL */
static const uint8_t *
nd_option(const uint8_t *opt, const uint8_t *end, uint8_t type)
{
	while (opt + 2 <= end) {
		unsigned len = opt[1] * 8u;

		if (len == 0 || opt + len > end)
			return NULL;
		if (opt[0] == type && len >= 8)
			return opt + 2;
		opt += len;
	}
	return NULL;
}

bool
neigh_input(struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct sl_ip ip;

	if (m->data_len < sizeof(*eth))
		return false;
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

		if (m->data_len < sizeof(*eth) + sizeof(*arp))
			return true;
		sl_ip_from_v4(&ip, arp->arp_data.arp_sip);
		neigh_learn(m->port, &ip, arp->arp_data.arp_sha.addr_bytes);
		return true;
	}
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(eth + 1);
		const uint8_t *icmp = (const uint8_t *)(ip6 + 1), *end, *lla;

		if (m->data_len < sizeof(*eth) + sizeof(*ip6) + 24 || ip6->proto != IPPROTO_ICMPV6)
			return false;
		end = rte_pktmbuf_mtod(m, const uint8_t *) + m->data_len;
		memset(&ip, 0, sizeof(ip));
		ip.family = AF_INET6;
		if (icmp[0] == ND_NS) {
			lla = nd_option(icmp + 24, end, 1);
			memcpy(ip.a, ip6->src_addr, 16);
		} else if (icmp[0] == ND_NA) {
			lla = nd_option(icmp + 24, end, 2);
			memcpy(ip.a, icmp + 8, 16);
		} else {
			return false;
		}
		if (lla != NULL)
			neigh_learn(m->port, &ip, lla);
		return true;
	}
	return false;
}
