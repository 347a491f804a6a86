/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_REC_H
#define SL_REC_H

/**
 * @file
 * Recording (rtpengine-compat.md 7). Workers copy the packets of recorded
 * calls, SRTP-decrypted, onto the tap ring (rec_tap.h); the recording lcore
 * drains it into one pcap per call (libpcap, synthetic IP/UDP headers: source
 * the remote peer, destination our socket) and, for the built-in recorder,
 * hands the packets on to the transcoder thread. The control thread opens and
 * closes recordings through the recording lcore's mailbox and writes the
 * metadata files of the spool itself (rec_spool.c).
 *
 * A recording is a slot id the workers stamp on their copies; a slot is
 * reused only after the recording lcore applied its close.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rec_meta;
struct rte_mempool;
struct rte_ring;
struct sl_config;

#define REC_SLOTS 8192 /* concurrent recordings */

/** What to do with one recording. */
struct rec_open {
	char pcap_path[PATH_MAX]; /* empty: no pcap (proc method only) */
	bool transcode;           /* feed the built-in recorder (tc) */
	char call_id[256];        /* for the recorder's file names */
	char tag[17];             /* random tag (%r) */
	char metadata[1024];      /* "key:value|..." (%{key}) */
	uint64_t start_real_us;   /* call start, wall clock */
	/* built-in recorder: parties (by the RTP port of their socket) and payload types */
	unsigned n_parties;
	struct {
		uint16_t port;
		char label[32];
	} parties[4];
	unsigned n_pt;
	struct {
		uint8_t pt;
		char map[32]; /* "PCMA/8000" */
	} pt[16];
};

/**
 * Prepare recording if --recording-dir is set: spool directories, rings, the
 * transcoder thread. @p lcore is the EAL lcore reserved for it.
 * @return 0 (also when recording is off), or -errno with @p err set.
 */
int rec_init(const struct sl_config *cfg, struct rte_mempool *pool, unsigned lcore, char *err,
	size_t errlen);
/** Launch the recording lcore. */
int rec_start(void);
/** Stop it: open recordings are closed, files completed. */
void rec_stop(void);
void rec_fini(void);

/** @return true when --recording-dir is set. */
bool rec_enabled(void);
/** The ring workers put their copies on (NULL when recording is off). */
struct rte_ring *rec_tap_ring(void);
/** Spool directory (empty when off). */
const char *rec_spool_dir(void);

/* ---- control thread ---- */

/** Take a free slot; @return its id or -ENOSPC. */
int rec_slot_alloc(void);
/** Ask the recording lcore to start writing slot @p id. @return 0 or -ENOBUFS. */
int rec_slot_open(unsigned id, const struct rec_open *o);
/**
 * Tell the built-in recorder of slot @p id about parties and payload types
 * that appeared since the open (an answer, a re-INVITE): only @p o's
 * parties[] and pt[] are read. @return 0 or -ENOBUFS/-ENOMEM.
 */
int rec_slot_info(unsigned id, const struct rec_open *o);
/** Pause/resume (packets are dropped while paused). @return 0 or -ENOBUFS. */
int rec_slot_pause(unsigned id, bool paused);
/**
 * Close slot @p id (files completed; @p discard deletes the pcap) and give the
 * slot back once the recording lcore applied it. @p publish (NULL: none) is a
 * finished metadata file (rec_meta_close()) that the recording lcore moves to
 * metadata/ after closing the pcap, so that its appearance means the pcap is
 * complete, as with rtpengine.
 */
void rec_slot_close(unsigned id, bool discard, const struct rec_meta *publish);
/** Packets written to slot @p id's pcap so far. */
uint64_t rec_slot_packets(unsigned id);
/** Make closed slots reusable (call from the control loop). */
void rec_reclaim(void);

struct rec_stats {
	uint64_t taps;         /* copies received from the workers */
	uint64_t written;      /* pcap records written */
	uint64_t not_open;     /* copies for a slot that is closed or paused */
	uint64_t to_tc;        /* packets handed to the transcoder */
	uint64_t tc_drop;      /* transcoder ring full */
	uint64_t errors;       /* pcap open/write failures */
	uint64_t open_slots;
};
void rec_stats_get(struct rec_stats *out);

#endif /* SL_REC_H */
