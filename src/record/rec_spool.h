/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_REC_SPOOL_H
#define SL_REC_SPOOL_H

/**
 * @file
 * The pcap method's spool, as rtpengine lays it out (rtpengine-compat.md
 * 7.2): DIR/pcaps/<call-id>-<tag>.pcap (written by the recording lcore),
 * DIR/tmp/rtpengine-meta-<call-id>-<tag>.tmp while the call exists, renamed
 * to DIR/metadata/rtpengine-meta-<call-id>-<tag>.txt when it is destroyed
 * and the pcap is complete. The control thread writes the files (small, on
 * signalling events); the recording lcore publishes them (rec_meta_publish)
 * once it has closed the pcap.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rec_meta {
	char tmp_path[PATH_MAX];
	char final_path[PATH_MAX];
	char pcap_path[PATH_MAX];
};

/**
 * Name the files of a recording (call-id escaped for file names) and start
 * the metadata file with the pcap path.
 * @return 0 or -errno.
 */
int rec_meta_open(struct rec_meta *m, const char *spool, const char *call_id, const char *tag);

/** Append one SDP section ("Label:", timestamp, mode, packet index, the SDP). */
int rec_meta_sdp(const struct rec_meta *m, const char *label, const char *mode,
	uint64_t now_real_us, uint64_t pcap_index, const char *sdp, size_t sdp_len);

/** Append "Recording paused at: ..." */
int rec_meta_paused(const struct rec_meta *m, uint64_t now_real_us);

/**
 * Finish: append termination time, call start/end times, the metadata
 * string (or delete the file when @p discard). The file stays in tmp/ until
 * rec_meta_publish(). @return 0 or -errno.
 */
int rec_meta_close(const struct rec_meta *m, uint64_t start_real_us, uint64_t end_real_us,
	const char *metadata, bool discard);

/** Move a closed metadata file to metadata/. @return 0 or -errno. */
int rec_meta_publish(const struct rec_meta *m);

/** Escape a call-id for a file name (%XX for anything not [A-Za-z0-9._~@-]). */
void rec_escape(const char *in, char *out, size_t cap);

#endif /* SL_REC_SPOOL_H */
