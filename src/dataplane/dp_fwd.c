/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet path of a worker: parse, find the flow, learn the
 * endpoint, rewrite and queue for transmit. Everything here runs on a
 * worker lcore: no locks, no syscalls, no allocation.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_memcpy.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "control/config.h"
#include "crypto/srtp.h"
#include "dataplane/dp_demux.h"
#include "dataplane/dp_priv.h"
#include "monitor/rtpstat.h"
#include "record/rec_tap.h"

/* Per-packet context: inputs filled by the parser, used by the stages. */
struct dp_pkt {
	struct rte_mbuf *m;
	const struct rte_ether_hdr *eth;
	uint8_t family;
	int addr_idx;        /* local address the packet was sent to */
	unsigned l4_off;     /* offset of the UDP header */
	struct sl_ep src;    /* remote endpoint it came from */
	uint16_t dport;      /* local port */
	uint16_t plen;       /* UDP payload length */
	uint16_t ucsum;      /* IPv4 UDP checksum as received while the payload is as received;
			      * 0: none, or the payload changed (SRTP, feedback stripped) */
	bool rtcp;           /* payload is RTCP */
};

/*
 * A big-endian 32-bit field of a payload. The UDP payload sits 42 bytes
 * (IPv4) or 62 bytes (IPv6) after the Ethernet header, so it is only
 * 2-byte aligned: a plain uint32_t load there is undefined behaviour
 * (UBSan: misaligned load). memcpy compiles to the same single mov on x86.
 */
static inline uint32_t
dp_rd_be32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return rte_be_to_cpu_32(v);
}

/* heuristic learning: how well a source matches the signalled endpoint */
static inline uint8_t
dp_match_score(const struct sl_ep *src, const struct sl_ep *expect)
{
	bool ip = sl_ip_eq(&src->ip, &expect->ip);
	bool port = src->port == expect->port;

	if (ip && port)
		return 3;
	if (ip)
		return 2;
	if (port)
		return 1;
	return 0;
}

/* Latch on @p src. Writes dest/learned under the seqlock the control thread reads. */
static inline void
dp_set_learned(struct dp_flow *f, const struct sl_ep *src, const struct rte_ether_addr *smac)
{
	__atomic_store_n(&f->peer_seq, f->peer_seq + 1, __ATOMIC_RELAXED);
	rte_smp_wmb();
	f->learned = *src;
	if (!(f->flags & DP_F_ASYMMETRIC)) {
		f->dest = *src;
		f->dst_mac = *smac;
		f->mac_src = DP_MAC_PACKET;
	}
	rte_smp_wmb();
	__atomic_store_n(&f->peer_seq, f->peer_seq + 1, __ATOMIC_RELAXED);
}

/*
 * Endpoint learning (rtpengine-compat.md 5.2). @return false when the packet
 * must be dropped (strict source). Once confirmed, only signalling (a new
 * expect restarts learning) or media-handover moves an endpoint; with SRTP
 * only packets that authenticated get here. `delayed` and `immediate` latch
 * on any source as rtpengine does; `heuristic` (the default) never latches on
 * a foreign address unless the signalled one is behind a NAT.
 */
static inline bool
dp_learn(struct dp_lcore *lc, struct dp_flow *f, const struct dp_pkt *p, bool stray_rtcp)
{
	uint8_t score;

	if (likely(f->learn_state == DP_LS_CONFIRMED)) {
		if (likely(sl_ep_eq(&p->src, &f->learned)))
			return true;
		if (f->flags & DP_F_HANDOVER) {
			dp_set_learned(f, &p->src, &p->eth->src_addr);
			return true;
		}
		return !(f->flags & DP_F_STRICT);
	}
	/* RTCP arriving on an RTP port never decides where RTP goes */
	if (stray_rtcp)
		return true;

	switch (f->learn) {
	case CFG_LEARN_IMMEDIATE:
		dp_set_learned(f, &p->src, &p->eth->src_addr);
		f->learn_state = DP_LS_CONFIRMED;
		return true;
	case CFG_LEARN_DELAYED:
		dp_set_learned(f, &p->src, &p->eth->src_addr);
		if (lc->now_tsc >= f->learn_until_tsc)
			f->learn_state = DP_LS_CONFIRMED;
		return true;
	case CFG_LEARN_HEURISTIC:
		score = dp_match_score(&p->src, &f->expect);
		/*
		 * A source at another address than the signalled one never moves
		 * the endpoint unless a NAT is expected (dp_nat_expected()): an
		 * attacker spraying relay ports before the party speaks, or while
		 * it is silent, gets no media (RTP Bleed). Its packets are treated
		 * as after confirmation: forwarded, or dropped with strict-source.
		 */
		if (score < 2 && !f->learn_foreign)
			return !(f->flags & DP_F_STRICT);
		if (lc->now_tsc >= f->learn_until_tsc) {
			/* window over: confirm the best source seen, or this one */
			if (f->learned.port == 0)
				dp_set_learned(f, &p->src, &p->eth->src_addr);
			f->learn_state = DP_LS_CONFIRMED;
			return sl_ep_eq(&p->src, &f->learned) || !(f->flags & DP_F_STRICT);
		}
		if (f->learned.port == 0 || score >= f->learn_score) {
			if (!sl_ep_eq(&p->src, &f->learned))
				dp_set_learned(f, &p->src, &p->eth->src_addr);
			f->learn_score = score;
		}
		if (score == 3)
			f->learn_state = DP_LS_CONFIRMED;
		return true;
	default: /* off: confirmed when set, never here */
		return true;
	}
}

/* Next-hop MAC for packets leaving through @p o, or NULL if unresolved. */
const struct rte_ether_addr *
dp_out_mac(struct dp_lcore *lc, struct dp_flow *o)
{
	const struct dp_addr *a = &dp_conf.addrs[o->addr_idx];
	const struct rte_ether_addr *mac;
	const struct sl_ip *nh = &o->dest.ip;

	if (o->mac_src == DP_MAC_PACKET ||
		(o->mac_src == DP_MAC_NEIGH && o->mac_gen == lc->neigh_gen))
		return &o->dst_mac;
	if (a->has_gw && !sl_ip_same_prefix(nh, &a->ip, a->prefixlen))
		nh = &a->gw;
	mac = dp_neigh_lookup(lc, a->port_id, nh);
	if (mac == NULL)
		return NULL;
	o->dst_mac = *mac;
	o->mac_src = DP_MAC_NEIGH;
	o->mac_gen = lc->neigh_gen;
	return &o->dst_mac;
}

/*
 * Remove RTCP feedback packets (RFC 4585 RTPFB 205, PSFB 206) from a
 * compound RTCP packet going to a party that negotiated plain AVP.
 * @return the new length; 0 when nothing is left (drop the packet).
 */
static uint16_t
dp_rtcp_strip_fb(uint8_t *pl, uint16_t len)
{
	/* 32 bits: a length word of 0x3FFF is 65536 bytes, 0 in 16 bits (no progress) */
	unsigned in = 0, out = 0, sub;

	while (in + 4u <= len) {
		sub = ((unsigned)(pl[in + 2] << 8 | pl[in + 3]) + 1u) * 4u;
		if (sub > len - in)
			return len; /* malformed: leave it as it was, the peer decides */
		if (pl[in + 1] != 205 && pl[in + 1] != 206) {
			if (out != in)
				memmove(pl + out, pl + in, sub);
			out += sub;
		}
		in += sub;
	}
	return (uint16_t)out;
}

/* one's complement sum of the two 16-bit halves of a 32-bit word as stored */
static inline uint32_t
dp_sum32(uint32_t w)
{
	return (w & 0xffff) + (w >> 16);
}

/*
 * IPv4 to IPv4 with the payload untouched: the UDP checksum of the outgoing
 * packet from the received one, changing only what differs (the pseudo-
 * header addresses and the ports), HC' = ~(~HC + ~m + m') (RFC 1624, eqn. 3),
 * instead of summing the whole payload again. A packet that arrived with a
 * bad checksum leaves with a bad one: the relay does not launder corruption.
 */
static inline uint16_t
dp_udp4_cksum_update(const struct dp_pkt *p, const struct rte_ipv4_hdr *ip,
	const struct rte_udp_hdr *udp)
{
	uint32_t old_src = sl_ip_v4(&p->src.ip);
	uint32_t old_dst = sl_ip_v4(&dp_conf.addrs[p->addr_idx].ip);
	uint32_t s = (uint16_t)~p->ucsum;

	s += dp_sum32(~old_src) + dp_sum32(~old_dst);
	s += (uint16_t)~rte_cpu_to_be_16(p->src.port) + (uint16_t)~rte_cpu_to_be_16(p->dport);
	s += dp_sum32(ip->src_addr) + dp_sum32(ip->dst_addr) + udp->src_port + udp->dst_port;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (uint16_t)~s;
	return s == 0 ? 0xffff : (uint16_t)s; /* 0 means "no checksum" in IPv4 UDP */
}

/*
 * Send the payload of @p p out through flow @p o: strip the old headers,
 * write fresh Ethernet/IP/UDP headers for the other leg (which may be of the
 * other address family) and queue it.
 */
static void
dp_forward(struct dp_lcore *lc, struct dp_pkt *p, struct dp_flow *o)
{
	const struct dp_addr *a = &dp_conf.addrs[o->addr_idx];
	const struct rte_ether_addr *mac;
	struct rte_mbuf *m = p->m;
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *udp;
	unsigned hl;

	if (unlikely(!(o->flags & DP_F_ACTIVE))) {
		DP_STAT(lc, drop_no_flow);
		goto drop;
	}
	if (unlikely(o->dest.port == 0 || sl_ip_is_any(&o->dest.ip) ||
		     o->dest.ip.family != a->ip.family)) {
		DP_STAT(lc, drop_no_dest);
		goto drop;
	}
	mac = dp_out_mac(lc, o);

	hl = sizeof(*eth) + (a->ip.family == AF_INET6 ? sizeof(struct rte_ipv6_hdr) :
		sizeof(struct rte_ipv4_hdr)) + sizeof(*udp);
	rte_pktmbuf_adj(m, (uint16_t)(p->l4_off + sizeof(*udp)));
	if (unlikely((o->flags & DP_F_STRIP_FB) && p->rtcp)) {
		uint16_t n = dp_rtcp_strip_fb(rte_pktmbuf_mtod(m, uint8_t *), p->plen);

		if (n == 0) {
			DP_STAT(lc, drop_rtcp_fb);
			goto drop;
		}
		if (n != p->plen)
			p->ucsum = 0;
		rte_pktmbuf_trim(m, (uint16_t)(p->plen - n));
		p->plen = n;
	}
	if (unlikely(o->srtp_out == NULL && (o->flags & DP_F_SECURE))) {
		DP_STAT(lc, drop_srtp_nokey);
		goto drop;
	}
	if (o->srtp_out != NULL) {
		uint8_t *pl = rte_pktmbuf_mtod(m, uint8_t *);
		size_t len = p->plen, cap = rte_pktmbuf_tailroom(m) + p->plen;
		int rc = p->rtcp ? srtcp_protect(o->srtp_out, pl, &len, cap) :
				   srtp_rtp_protect(o->srtp_out, pl, &len, cap);

		if (unlikely(rc < 0 || rte_pktmbuf_append(m, (uint16_t)(len - p->plen)) == NULL)) {
			DP_STAT(lc, drop_srtp_out);
			goto drop;
		}
		p->plen = (uint16_t)len;
		p->ucsum = 0;
		DP_STAT(lc, srtp_out);
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, (uint16_t)hl);
	if (unlikely(eth == NULL)) {
		DP_STAT(lc, drop_too_big);
		goto drop;
	}
	if (likely(mac != NULL))
		rte_ether_addr_copy(mac, &eth->dst_addr);
	rte_ether_addr_copy(&dp_conf.port_mac[a->port_id], &eth->src_addr);
	if (a->ip.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*udp) + p->plen);
		ip->packet_id = 0; /* atomic datagram (DF set): RFC 6864 */
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = sl_ip_v4(&a->ip);
		ip->dst_addr = sl_ip_v4(&o->dest.ip);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->src_port = rte_cpu_to_be_16(o->lport);
		udp->dst_port = rte_cpu_to_be_16(o->dest.port);
		udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + p->plen);
		if (likely(p->ucsum != 0)) {
			udp->dgram_cksum = dp_udp4_cksum_update(p, ip, udp);
		} else {
			udp->dgram_cksum = 0;
			udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
		}
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16(sizeof(*udp) + p->plen);
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, a->ip.a, 16);
		memcpy(ip6->dst_addr, o->dest.ip.a, 16);
		udp = (struct rte_udp_hdr *)(ip6 + 1);
		udp->src_port = rte_cpu_to_be_16(o->lport);
		udp->dst_port = rte_cpu_to_be_16(o->dest.port);
		udp->dgram_len = ip6->payload_len;
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
	}
	DP_CNT_ADD(o->pkts_out, 1);
	DP_CNT_ADD(o->bytes_out, p->plen);
	DP_STAT(lc, fwd_pkts);
	DP_CNT_ADD(lc->stats.fwd_bytes, p->plen);
	if (unlikely(mac == NULL)) {
		/* next hop being resolved (the control thread asked): keep it a moment */
		if (lc->n_held == DP_HOLD_MAX) {
			DP_STAT(lc, drop_no_neigh);
			goto drop;
		}
		m->port = a->port_id;
		lc->held[lc->n_held].m = m;
		lc->held[lc->n_held].flow_idx = (uint32_t)(o - lc->flows);
		lc->held[lc->n_held].deadline_tsc =
			lc->now_tsc + dp_conf.tsc_hz / 1000 * DP_HOLD_MS;
		lc->n_held++;
		DP_STAT(lc, held);
		return;
	}
	dp_tx(lc, m, a->port_id);
	return;
drop:
	dp_drop(m);
}

/*
 * Copy an accepted packet (plaintext) for the recording lcore. Never waits:
 * no buffer or a full ring loses the copy and counts it.
 */
static void
dp_tap(struct dp_lcore *lc, const struct dp_flow *f, const struct dp_pkt *p, const uint8_t *pl)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(lc->pool);
	struct rec_tap_hdr *h;

	if (unlikely(c == NULL))
		goto lost;
	h = (struct rec_tap_hdr *)rte_pktmbuf_append(c, (uint16_t)(sizeof(*h) + p->plen));
	if (unlikely(h == NULL)) {
		rte_pktmbuf_free(c);
		goto lost;
	}
	h->rec_id = f->rec_id;
	h->len = p->plen;
	h->flags = p->rtcp ? REC_TAP_RTCP : 0;
	h->pad = 0;
	h->tsc = lc->now_tsc;
	h->src = p->src;
	h->dst.ip = dp_conf.addrs[f->addr_idx].ip;
	h->dst.port = f->lport;
	rte_memcpy(h + 1, pl, p->plen);
	if (unlikely(rte_ring_enqueue(dp_conf.tap, c) != 0)) {
		rte_pktmbuf_free(c);
		goto lost;
	}
	DP_STAT(lc, tap);
	return;
lost:
	DP_STAT(lc, tap_drop);
}

/* RTCP, decrypted, for the control thread's statistics (MOS, HEP); never waits */
static void
dp_rtcp_copy(struct dp_lcore *lc, const struct dp_flow *f, const struct dp_pkt *p,
	const uint8_t *pl)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(lc->pool);
	struct dp_rtcp_copy *h;

	if (unlikely(c == NULL))
		goto lost;
	h = (struct dp_rtcp_copy *)rte_pktmbuf_append(c, (uint16_t)(sizeof(*h) + p->plen));
	if (unlikely(h == NULL)) {
		rte_pktmbuf_free(c);
		goto lost;
	}
	h->tsc = lc->now_tsc;
	h->src = p->src;
	h->lport = f->lport;
	h->addr_idx = f->addr_idx;
	h->pad = 0;
	h->len = p->plen;
	rte_memcpy(h + 1, pl, p->plen);
	if (unlikely(rte_ring_enqueue(lc->rtcp, c) != 0)) {
		rte_pktmbuf_free(c);
		goto lost;
	}
	DP_STAT(lc, rtcp_copy);
	return;
lost:
	DP_STAT(lc, rtcp_copy_drop);
}

/* count an SRTP failure by reason */
static inline void
dp_srtp_drop_stat(struct dp_lcore *lc, int rc)
{
	if (rc == -EBADMSG)
		DP_STAT(lc, drop_srtp_auth);
	else if (rc == -EALREADY || rc == -ESTALE)
		DP_STAT(lc, drop_srtp_replay);
	else
		DP_STAT(lc, drop_srtp_bad);
}

/* UDP addressed to one of our addresses. Consumes the packet. */
static void
dp_udp_input(struct dp_lcore *lc, struct dp_pkt *p)
{
	struct rte_mbuf *m = p->m;
	const struct rte_udp_hdr *udp;
	uint8_t *pl;
	struct dp_flow *f;
	unsigned owner, ulen;
	enum dp_demux demux;
	bool rtcp_pt;

	if (unlikely(m->data_len < p->l4_off + sizeof(*udp))) {
		DP_STAT(lc, drop_udp_bad);
		goto drop;
	}
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, p->l4_off);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(ulen < sizeof(*udp) || p->l4_off + ulen > m->data_len)) {
		DP_STAT(lc, drop_udp_bad);
		goto drop;
	}
	/*
	 * Bytes after the UDP datagram but inside the IP packet belong to nothing:
	 * left in the mbuf, a rewritten packet would carry them (or, after SRTP
	 * grows it, stale bytes of an earlier packet) beyond its IP length.
	 */
	if (unlikely(p->l4_off + ulen < m->data_len))
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - p->l4_off - ulen));
	p->dport = rte_be_to_cpu_16(udp->dst_port);
	p->src.port = rte_be_to_cpu_16(udp->src_port);
	p->plen = (uint16_t)(ulen - sizeof(*udp));
	p->ucsum = p->family == AF_INET ? udp->dgram_cksum : 0;
	if (unlikely(p->dport < dp_conf.port_min || p->dport > dp_conf.port_max)) {
		DP_STAT(lc, drop_no_flow);
		goto drop;
	}
	owner = dp_owner(p->dport);
	if (owner != lc->id) {
		/* the owner lcore is the only writer of this flow: hand it over */
		if (rte_ring_enqueue(dp_lcores[owner]->handoff, m) != 0) {
			DP_STAT(lc, drop_handoff_full);
			goto drop;
		}
		DP_STAT(lc, handoff_out);
		return;
	}
	f = &lc->flows[dp_flow_index((unsigned)p->addr_idx, p->dport)];
	if (unlikely(!(f->flags & DP_F_ACTIVE))) {
		DP_STAT(lc, drop_no_flow);
		goto drop;
	}
	pl = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l4_off + sizeof(*udp));
	if (unlikely(f->flags & DP_F_RAW)) {
		/* non-RTP media (T.38 udptl...): relay whatever arrives */
		rtcp_pt = false;
		p->rtcp = false;
		goto learn;
	}
	/* RFC 7983 demultiplexing on the first byte, RFC 5761 on the second */
	demux = dp_demux(pl, p->plen);
	if (unlikely(demux == DP_DEMUX_PUNT)) {
		dp_punt(lc, m); /* STUN or DTLS: the control thread's business */
		return;
	}
	if (unlikely(demux == DP_DEMUX_DROP)) {
		DP_STAT(lc, drop_unknown);
		DP_CNT_ADD(f->errors, 1);
		goto drop;
	}
	rtcp_pt = demux == DP_DEMUX_RTCP;
	p->rtcp = rtcp_pt;
	if (unlikely(!rtcp_pt && (f->flags & DP_F_NO_RTP_IN))) {
		DP_STAT(lc, drop_blackhole);
		DP_CNT_ADD(f->errors, 1);
		goto drop;
	}
	if (unlikely(f->srtp_in == NULL && (f->flags & DP_F_SECURE))) {
		DP_STAT(lc, drop_srtp_nokey);
		goto drop;
	}
	if (f->srtp_in != NULL) {
		/* before learning: only authenticated packets may move an endpoint */
		size_t len = p->plen;
		int rc = rtcp_pt ? srtcp_unprotect(f->srtp_in, pl, &len) :
				   srtp_rtp_unprotect(f->srtp_in, pl, &len);

		if (unlikely(rc < 0)) {
			dp_srtp_drop_stat(lc, rc);
			DP_CNT_ADD(f->errors, 1);
			goto drop;
		}
		rte_pktmbuf_trim(m, (uint16_t)(p->plen - len));
		p->plen = (uint16_t)len;
		p->ucsum = 0;
		DP_STAT(lc, srtp_in);
	}
learn:
	if (unlikely(!dp_learn(lc, f, p, rtcp_pt && !(f->flags & (DP_F_RTCP | DP_F_MUX))))) {
		DP_STAT(lc, drop_strict);
		DP_CNT_ADD(f->errors, 1);
		goto drop;
	}
	DP_CNT_ADD(f->pkts, 1);
	DP_CNT_ADD(f->bytes, p->plen);
	__atomic_store_n(&f->last_rx_tsc, lc->now_tsc, __ATOMIC_RELAXED);
	if (unlikely(f->flags & DP_F_TAP) && dp_conf.tap != NULL)
		dp_tap(lc, f, p, pl);
	if (p->rtcp) {
		dp_rtcp_copy(lc, f, p, pl);
	} else if (likely(!(f->flags & DP_F_RAW) && p->plen >= DP_RTP_HDR_LEN)) {
		/*
		 * RFC 3550 A.1/A.8 receive statistics of what this socket receives.
		 * Plain "RTP" of 4..11 bytes is still relayed, but it has no SSRC or
		 * timestamp: the bytes after such a payload are not part of it.
		 */
		rtpstat_update(&lc->rtps[f - lc->flows], dp_rd_be32(pl + 8),
			(uint16_t)(pl[2] << 8 | pl[3]), dp_rd_be32(pl + 4),
			pl[1] & 0x7f, (uint64_t)(((unsigned __int128)lc->now_tsc * lc->ns_mult) >> 32),
			f->clock_rate);
	}
	/* rtcp-mux: RTCP arriving on the RTP socket goes wherever the peer takes RTCP */
	dp_forward(lc, p, &lc->flows[rtcp_pt && (f->flags & DP_F_MUX) ? f->out_rtcp_idx :
		f->out_idx]);
	return;
drop:
	dp_drop(m);
}

static void
dp_ipv4_input(struct dp_lcore *lc, struct dp_pkt *p)
{
	struct rte_mbuf *m = p->m;
	const struct rte_ipv4_hdr *ip;
	unsigned ihl, tot, avail = m->data_len - sizeof(struct rte_ether_hdr);

	if (unlikely(avail < sizeof(*ip)))
		goto bad;
	ip = (const struct rte_ipv4_hdr *)(p->eth + 1);
	ihl = (ip->version_ihl & 0xf) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || tot < ihl || tot > avail))
		goto bad;
	if (!(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD) && rte_raw_cksum(ip, ihl) != 0xffff)
		goto bad;
	if (unlikely(ip->fragment_offset &
		     rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		DP_STAT(lc, drop_frag);
		goto drop;
	}
	if (tot < avail) /* Ethernet padding */
		rte_pktmbuf_trim(m, (uint16_t)(avail - tot));
	p->addr_idx = dp_addr_find_v4(ip->dst_addr);
	if (unlikely(p->addr_idx < 0)) {
		DP_STAT(lc, drop_not_local);
		goto drop;
	}
	switch (ip->next_proto_id) {
	case IPPROTO_UDP:
		p->family = AF_INET;
		sl_ip_from_v4(&p->src.ip, ip->src_addr);
		p->l4_off = sizeof(struct rte_ether_hdr) + ihl;
		dp_udp_input(lc, p);
		return;
	case IPPROTO_ICMP:
		dp_icmp4_input(lc, m, sizeof(struct rte_ether_hdr), ihl);
		return;
	default:
		DP_STAT(lc, drop_proto);
		goto drop;
	}
bad:
	DP_STAT(lc, drop_ip_bad);
drop:
	dp_drop(m);
}

static void
dp_ipv6_input(struct dp_lcore *lc, struct dp_pkt *p)
{
	struct rte_mbuf *m = p->m;
	const struct rte_ipv6_hdr *ip6;
	unsigned plen, avail = m->data_len - sizeof(struct rte_ether_hdr);

	if (unlikely(avail < sizeof(*ip6)))
		goto bad;
	ip6 = (const struct rte_ipv6_hdr *)(p->eth + 1);
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if (unlikely((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6 || plen > avail - sizeof(*ip6)))
		goto bad;
	if (plen < avail - sizeof(*ip6))
		rte_pktmbuf_trim(m, (uint16_t)(avail - sizeof(*ip6) - plen));
	if (unlikely(ip6->proto == IPPROTO_FRAGMENT)) {
		DP_STAT(lc, drop_frag);
		goto drop;
	}
	p->addr_idx = dp_addr_find_v6(ip6->dst_addr);
	if (p->addr_idx < 0) {
		/* neighbour solicitations go to the solicited-node multicast group */
		if (ip6->proto == IPPROTO_ICMPV6 && ip6->dst_addr[0] == 0xff) {
			dp_icmp6_input(lc, m, sizeof(struct rte_ether_hdr));
			return;
		}
		DP_STAT(lc, drop_not_local);
		goto drop;
	}
	switch (ip6->proto) {
	case IPPROTO_UDP:
		p->family = AF_INET6;
		memset(&p->src.ip, 0, sizeof(p->src.ip));
		p->src.ip.family = AF_INET6;
		memcpy(p->src.ip.a, ip6->src_addr, 16);
		p->l4_off = sizeof(struct rte_ether_hdr) + sizeof(*ip6);
		dp_udp_input(lc, p);
		return;
	case IPPROTO_ICMPV6:
		dp_icmp6_input(lc, m, sizeof(struct rte_ether_hdr));
		return;
	default:
		DP_STAT(lc, drop_proto);
		goto drop;
	}
bad:
	DP_STAT(lc, drop_ip_bad);
drop:
	dp_drop(m);
}

static inline void
dp_rx_one(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct dp_pkt p;

	if (unlikely(m->nb_segs != 1 || m->data_len < sizeof(struct rte_ether_hdr))) {
		DP_STAT(lc, drop_l2);
		dp_drop(m);
		return;
	}
	p.m = m;
	p.eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	switch (p.eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		dp_ipv4_input(lc, &p);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		dp_ipv6_input(lc, &p);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		dp_arp_input(lc, m);
		break;
	default:
		DP_STAT(lc, drop_l2);
		dp_drop(m);
	}
}

/*
 * The flow an IPv4/UDP packet to one of this worker's relay ports will hit,
 * read without side effects, or NULL (anything else: no prefetch). The real
 * classification in dp_rx_one() checks everything again.
 */
static inline const struct dp_flow *
dp_flow_guess(const struct dp_lcore *lc, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	uint16_t dport;
	int ai;

	if (m->data_len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp) ||
	    eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_UDP)
		return NULL;
	dport = rte_be_to_cpu_16(udp->dst_port);
	if (dport < dp_conf.port_min || dport > dp_conf.port_max || dp_owner(dport) != lc->id)
		return NULL;
	ai = dp_addr_find_v4(ip->dst_addr);
	return ai < 0 ? NULL : &lc->flows[dp_flow_index((unsigned)ai, dport)];
}

static inline void
dp_prefetch_flow(const struct dp_flow *f)
{
	rte_prefetch0(f);
	rte_prefetch0((const char *)f + RTE_CACHE_LINE_SIZE);
	rte_prefetch0((const char *)f + 2 * RTE_CACHE_LINE_SIZE);
}

/*
 * A burst in stages: all packet headers are prefetched, then the flows they
 * arrive on, then the flows they leave through (whose index is in the first),
 * and only then is each packet processed. The two dependent cache misses per
 * packet on a large flow table then overlap across the burst instead of
 * stalling packet after packet (BENCHMARKS.md, "Profiling").
 */
void
dp_burst(struct dp_lcore *lc, struct rte_mbuf **pkts, unsigned n, bool from_handoff)
{
	const struct dp_flow *f[DP_BURST];
	unsigned base, k, i;

	for (base = 0; base < n; base += k) {
		k = RTE_MIN(n - base, (unsigned)DP_BURST);
		for (i = 0; i < k; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[base + i], void *));
		for (i = 0; i < k; i++) {
			f[i] = dp_flow_guess(lc, pkts[base + i]);
			if (f[i] != NULL)
				dp_prefetch_flow(f[i]);
		}
		for (i = 0; i < k; i++) {
			if (f[i] == NULL)
				continue;
			if (f[i]->out_idx < dp_conf.flows_per_worker)
				dp_prefetch_flow(&lc->flows[f[i]->out_idx]);
			if (f[i]->srtp_in != NULL)
				rte_prefetch0(f[i]->srtp_in);
		}
		/*
		 * SRTP: the first line of the receiving context (keys pointer, SSRCs)
		 * and then its keys were the largest stalls left in
		 * srtp_rtp_unprotect (BENCHMARKS.md). Only lines already fetched
		 * are read here: reading the out-flows too cost the plain relay ~40
		 * cycles at 100k flows, so their contexts are not prefetched.
		 */
		for (i = 0; i < k; i++) {
			if (f[i] != NULL && f[i]->srtp_in != NULL)
				srtp_ctx_prefetch(f[i]->srtp_in);
		}
		for (i = base; i < base + k; i++) {
			if (from_handoff) {
				DP_STAT(lc, handoff_in);
			} else {
				DP_STAT(lc, rx_pkts);
				DP_CNT_ADD(lc->stats.rx_bytes, pkts[i]->pkt_len);
			}
			dp_rx_one(lc, pkts[i]);
		}
	}
}
