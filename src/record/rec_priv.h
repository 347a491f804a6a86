/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_REC_PRIV_H
#define SL_REC_PRIV_H

/* The recording lcore's side of the built-in recorder (rec_tc.c). */

#include <stdbool.h>
#include <stddef.h>

#include <rte_mbuf.h>

#include "record/rec.h"

struct sl_config;

int rec_tc_init(const struct sl_config *cfg, char *err, size_t errlen);
int rec_tc_start(void);
void rec_tc_stop(void);
/* recording lcore: a slot starts/ends being transcoded, learns parties and
 * payload types (info), a packet for it (mbuf taken; the tap header names the slot) */
void rec_tc_open(unsigned id, const struct rec_open *o);
void rec_tc_info(unsigned id, const struct rec_open *o);
void rec_tc_packet(struct rte_mbuf *m);
void rec_tc_close(unsigned id);
/* counters kept by rec.c */
void rec_count_tc(bool dropped);

#endif /* SL_REC_PRIV_H */
