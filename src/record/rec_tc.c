/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in recorder's thread (--recording-method=proc|all). Until the
 * transcoder is wired in, those methods are refused at start-up with a clear
 * message; the pcap method does not use this file.
 */
#include <errno.h>
#include <stdio.h>

#include "control/config.h"
#include "record/rec_priv.h"

int
rec_tc_init(const struct sl_config *cfg, char *err, size_t errlen)
{
	if (cfg->recording_method != 0) {
		snprintf(err, errlen, "--recording-method=%s: the built-in recorder is not "
			"available in this build; use pcap", cfg->recording_method == 1 ? "proc" : "all");
		return -ENOTSUP;
	}
	return 0;
}

int
rec_tc_start(void)
{
	return 0;
}

void
rec_tc_stop(void)
{
}

void
rec_tc_open(unsigned id, const struct rec_open *o)
{
	(void)id;
	(void)o;
}

void
rec_tc_packet(unsigned id, struct rte_mbuf *m)
{
	(void)id;
	rte_pktmbuf_free(m);
	rec_count_tc(true);
}

void
rec_tc_close(unsigned id)
{
	(void)id;
}
