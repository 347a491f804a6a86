/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_MON_H
#define SL_MON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @file
 * Monitoring: sluice's commands on the DPDK telemetry socket, under /sluice/
 * (read them with dpdk-telemetry.py -f <file-prefix>).
 *
 * DPDK runs telemetry callbacks on its own thread. Call state belongs to the
 * control thread, so every /sluice/ command is handed to the control thread,
 * which fills the reply between two loop iterations (mon_service()); the
 * telemetry thread waits for it (bounded). Workers are never involved: their
 * counters are read with relaxed loads.
 */

/** Register the /sluice/ telemetry commands. @return 0 or -errno. */
int mon_init(void);

/** Control thread: run a pending telemetry request, if any. Cheap when idle. */
void mon_service(void);

/** Stop accepting requests (shutdown); waiting callers get -ESHUTDOWN. */
void mon_fini(void);

struct sl_config;
/** Prometheus /metrics on --listen-http (control loop). @return 0 or -errno. */
int mon_http_init(const struct sl_config *cfg, char *err, size_t errlen);
void mon_http_fini(void);
/** The exposition text (malloc'd into *out); @return its length. */
size_t mon_metrics_text(char **out);

/* HEPv3 export (mon_homer.c), control thread */
struct hep_msg;
int mon_homer_init(const struct sl_config *cfg, char *err, size_t errlen);
void mon_homer_fini(void);
bool mon_homer_enabled(void);
uint32_t mon_homer_capture_id(void);
/** Encode and send (UDP) or queue (TCP); @return 0 or -errno (counted as dropped). */
int mon_homer_send(const struct hep_msg *msg);
/** Push queued TCP messages; reconnect when due. */
void mon_homer_tick(void);
void mon_homer_counts(uint64_t *sent, uint64_t *dropped);
/** TCP connection attempts so far (the first one included). */
uint64_t mon_homer_connects(void);
/** --homer-enable-ng is on (and HEP export configured). */
bool mon_homer_ng_enabled(void);

struct sl_ep;
/**
 * --homer-enable-ng (mon_homer_ng.c): send one ng exchange on socket @p fd
 * with @p peer to Homer, rtpengine's way: the request (peer -> our socket)
 * and the reply (our socket -> peer), each as "cookie SP document" with
 * protocol type 0x3d and the request's call-id as correlation id; nothing
 * for ping or when there was no reply (@p reply_len 0). No-op when disabled.
 */
void mon_homer_ng(int fd, const struct sl_ep *peer, const char *req, size_t req_len,
	const char *reply, size_t reply_len);

#endif /* SL_MON_H */
