/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_STATS_H
#define SL_DP_STATS_H

/**
 * @file
 * Per-lcore data-plane counters, generated from one list. Each counter is
 * written only by its worker; readers (control thread, telemetry) take
 * snapshots with relaxed loads, so the hot path needs no atomics.
 */

#include <stdint.h>

/* X(name, description) */
#define DP_STATS_LIST(X)                                                                         \
	X(rx_pkts, "frames received from the ports")                                                \
	X(rx_bytes, "bytes of those frames")                                                        \
	X(tx_pkts, "frames transmitted")                                                            \
	X(tx_drop, "frames the tx queue did not take")                                               \
	X(fwd_pkts, "RTP/RTCP packets forwarded to the other leg")                                  \
	X(fwd_bytes, "UDP payload bytes forwarded")                                                 \
	X(arp_reply, "ARP requests for our addresses answered")                                     \
	X(nd_reply, "IPv6 neighbour solicitations answered")                                        \
	X(icmp_echo, "ICMP/ICMPv6 echo requests answered")                                          \
	X(handoff_out, "packets handed to the owner lcore")                                         \
	X(handoff_in, "packets received from other lcores")                                         \
	X(punt, "packets passed to the control thread")                                             \
	X(ctl_tx, "packets sent for the control thread")                                            \
	X(mbox_msgs, "mailbox messages applied")                                                    \
	X(drop_l2, "dropped: runt frame or unsupported ethertype")                                  \
	X(drop_ip_bad, "dropped: malformed IP header or bad IPv4 header checksum")                  \
	X(drop_frag, "dropped: IP fragment")                                                        \
	X(drop_not_local, "dropped: not addressed to one of our addresses")                         \
	X(drop_proto, "dropped: IP protocol not handled")                                           \
	X(drop_udp_bad, "dropped: bad UDP length")                                                  \
	X(drop_no_flow, "dropped: UDP to a port without a flow")                                    \
	X(drop_unknown, "dropped: payload neither RTP/RTCP nor STUN/DTLS")                           \
	X(drop_no_dest, "dropped: the other leg has no destination yet")                            \
	X(held, "packets queued while their next hop was being resolved")                           \
	X(drop_no_neigh, "dropped: next-hop MAC not resolved in time, or hold queue full")           \
	X(drop_strict, "dropped: strict-source, packet from a foreign address")                     \
	X(drop_blackhole, "dropped: RTP from a party that declared it does not send")               \
	X(drop_handoff_full, "dropped: owner lcore's hand-off ring full")                           \
	X(drop_punt_full, "dropped: control thread's punt ring full")                               \
	X(drop_too_big, "dropped: rewritten packet larger than the buffer")                         \
	X(drop_rtcp_fb, "dropped: RTCP made only of feedback, toward an AVP party")                  \
	X(srtp_in, "SRTP/SRTCP packets authenticated and decrypted")                                \
	X(srtp_out, "packets encrypted to SRTP/SRTCP")                                              \
	X(drop_srtp_auth, "dropped: SRTP/SRTCP authentication failed")                              \
	X(drop_srtp_replay, "dropped: SRTP/SRTCP replayed or older than the replay window")         \
	X(drop_srtp_bad, "dropped: SRTP/SRTCP malformed, unknown MKI or index exhausted")           \
	X(drop_srtp_out, "dropped: could not encrypt (repeated/old sequence number, no room)")       \
	X(drop_srtp_nokey, "dropped: SRTP leg whose keys are not negotiated yet")                   \
	X(tap, "packet copies put on the recording tap ring")                                      \
	X(tap_drop, "recording copies lost: tap ring full or no buffer (forwarding unaffected)")   \
	X(rtcp_copy, "RTCP packets copied to the control thread for statistics/MOS/HEP")            \
	X(rtcp_copy_drop, "RTCP copies lost: ring full or no buffer (forwarding unaffected)")

struct dp_stats {
#define DP_STATS_FIELD(name, desc) uint64_t name;
	DP_STATS_LIST(DP_STATS_FIELD)
#undef DP_STATS_FIELD
};

#endif /* SL_DP_STATS_H */
