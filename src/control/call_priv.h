/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CALL_PRIV_H
#define SL_CALL_PRIV_H

/* Shared between call.c, call_sdp.c and call_stats.c; not a public API. */

#include <stdbool.h>
#include <stdint.h>

#include "control/call.h"

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

bool call_mbox_room(unsigned owner, unsigned n_media);
int call_media_push(const struct call_media *m, const struct call_media *peer, bool reset,
	bool expect_changed);
void call_sock_free(struct call_sock *s);
void call_media_fini(struct call_media *m);
/** Media @p i of party @p p, allocated on first use; NULL on ENOMEM. */
struct call_media *call_media_get(struct call *c, struct call_party *p, unsigned i);
uint64_t call_media_last_packet_mono(const struct call_media *m);
const char *call_end_name(enum call_end why);

#endif /* SL_CALL_PRIV_H */
