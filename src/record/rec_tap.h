/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_REC_TAP_H
#define SL_REC_TAP_H

/**
 * @file
 * What a worker puts on the tap ring for the recording lcore: an mbuf whose
 * data starts with this header, followed by the packet's UDP payload as it
 * arrived, already SRTP-decrypted. The copy is the worker's only cost; a
 * full ring drops the copy (counted), never the packet.
 */

#include <stdint.h>

#include "common/addr.h"

#define REC_TAP_RTCP 1u /* payload is RTCP */

struct rec_tap_hdr {
	uint32_t rec_id;  /* recording slot of the call */
	uint16_t len;     /* payload bytes after this header */
	uint8_t flags;    /* REC_TAP_* */
	uint8_t pad;
	uint64_t tsc;     /* arrival (worker's TSC) */
	struct sl_ep src; /* remote peer */
	struct sl_ep dst; /* our socket */
};

#endif /* SL_REC_TAP_H */
