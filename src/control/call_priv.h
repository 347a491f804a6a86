/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CALL_PRIV_H
#define SL_CALL_PRIV_H

/* Shared between call.c, call_sdp.c and call_stats.c; not a public API. */

#include <stdbool.h>
#include <stdint.h>

#include "control/call.h"
#include "crypto/dtls.h"
#include "sdp/sdp.h"

/** A logical interface: --interface entries sharing a NAME. */
struct call_lif {
	char name[CFG_NAME_LEN];
	int addr4; /* cfg/dp address index of its first IPv4 address, -1 = none */
	int addr6;
};

extern const struct sl_config *call_cfg;
extern struct call_lif call_lifs[CFG_MAX_ADDRS];
extern unsigned call_n_lifs;

uint64_t call_mono_s(void);
uint64_t call_real_us(void);
uint64_t call_tsc_to_mono_s(uint64_t tsc);
/*
 * call_tsc_to_*() use a TSC rate measured against CLOCK_MONOTONIC, not
 * rte_get_tsc_hz() (rounded to 10 MHz: up to 0.2 % off). init: at start-up;
 * calibrate: once a second (calls_sweep), moves the anchor, refines the rate.
 */
void call_clock_init(void);
void call_clock_calibrate(void);

bool call_mbox_room(unsigned owner, unsigned n_media);
int call_media_push(const struct call_media *m, const struct call_media *peer, bool reset,
	bool expect_changed);
void call_sock_free(struct call_sock *s);
void call_media_fini(struct call_media *m);
/** Media @p i of party @p p, allocated on first use; NULL on ENOMEM. */
struct call_media *call_media_get(struct call *c, struct call_party *p, unsigned i);
uint64_t call_media_last_packet_mono(const struct call_media *m);
const char *call_end_name(enum call_end why);

/* address a party sees for local address @p addr_idx (advertised or media-address) */
struct sl_ip call_advertised(const struct call_party *p, unsigned addr_idx);
/* program both sides' flow flags again (recording started/stopped) */
void call_media_repush_flags(struct call_media *m);

/* call_rec.c: recording */
const char *call_rec_start(struct call *c, uint64_t now_us);
void call_rec_pause(struct call *c, uint64_t now_us);
void call_rec_stop(struct call *c, bool discard, uint64_t now_us, bool repush);
void call_rec_sdp(struct call *c, struct call_party *from, bool answer, const char *sdp,
	size_t len, uint64_t now_us);
bool call_rec_active(const struct call *c);
int call_rec_id(const struct call *c);
const char *call_rec_pcap(const struct call *c);

/* call_mon.c: RTCP, MOS, SSRC dictionary, HEP */
struct dp_rtcp_copy;
struct ng_val;
struct call_mon_totals {
	uint64_t rtcp, rtcp_bad, mos_samples, mos_sum, hep_sent;
};
extern struct call_mon_totals call_mon_totals;
void call_mon_rtcp(struct call_media *m, const struct dp_rtcp_copy *h, const uint8_t *pl);
void call_mon_ssrc_dict(struct call *c, struct sl_arena *a, struct ng_val *dict);
uint32_t call_mon_stream_ssrc(const struct call_media *m);
void call_mon_fini(struct call *c);
/* once a second: sample the streams' jitter (calls_sweep) */
void call_mon_tick(void);
uint64_t call_tsc_to_real_us(uint64_t tsc);

/* the same media of the other party */
struct call_media *call_media_peer(const struct call_media *m);
/* program the flows of both sides of @p m again (ICE selection changed) */
void call_media_repush(struct call_media *m);

/* which media owns local socket (addr_idx, port); NULL if none */
struct call_media *call_sock_media(unsigned addr_idx, uint16_t port);
/* record that @p m owns its (newly allocated) socket */
void call_sock_bind(struct call_media *m);

/* timers: put @p m on the list; run the due ones (ms, monotonic) */
void call_timer_arm(struct call_media *m);
void call_timers_run(uint64_t now_ms);

/* call_sec.c: SRTP keying (SDES, DTLS-SRTP) of a leg */
int call_sec_from_sdp(struct call_media *m, const struct sdp_session *s, const struct sdp_media *sm,
	bool answer, const struct call_opts *o);
int call_sec_to_sdp(struct call_media *m, bool answer, const struct call_opts *o, struct sl_arena *a,
	const char **lines, unsigned max);
void call_sec_start(struct call_media *m, enum dtls_role role);
void call_sec_path(struct call_media *m);
void call_sec_input(struct call_media *m, unsigned comp, const struct sl_ep *src, const uint8_t *smac,
	const uint8_t *data, size_t len);
uint64_t call_sec_timer(struct call_media *m, uint64_t now_ms);
void call_sec_resync(struct call_media *m);
void call_sec_fini(struct call_media *m);
const char *call_sec_describe(const struct call_media *m, const char **suite);

/* call_ice.c: ICE with a party */
void call_ice_init(void);
bool call_ice_in_sdp(const struct sdp_session *s, const struct sdp_media *sm);
int call_ice_from_sdp(struct call_media *m, const struct sdp_session *s, const struct sdp_media *sm,
	bool answer);
int call_ice_to_sdp(struct call_media *m, bool sender_ice, bool answer, const struct call_opts *o,
	struct sl_arena *a, const char **lines, unsigned max);
int call_ice_path(const struct call_media *m, struct sl_ep *remote);
void call_ice_input(struct call_media *m, unsigned comp, const struct sl_ep *local,
	const struct sl_ep *src, const uint8_t *smac, const uint8_t *data, size_t len);
uint64_t call_ice_timer(struct call_media *m, uint64_t now_ms);
void call_ice_fini(struct call_media *m);

#endif /* SL_CALL_PRIV_H */
