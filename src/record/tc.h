/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TC_H
#define SL_TC_H

/**
 * @file
 * Recording transcoder: decrypted RTP packets in, per-SSRC ("single") and
 * mixed WAV/MP3 files out, with the naming of rtpengine-recording
 * (rtpengine-compat.md 7.4). Library only: no threads, no sockets, no
 * global state; one struct tc_call per recorded call, all of a call's
 * functions called from one thread (the transcoder thread may hold many).
 *
 * Call sequence:
 *   tc_params_check(&p)                 once, when the config is loaded
 *   c = tc_call_open(&p)                mixed output files are created here
 *   tc_call_party(c, id, "caller")      optional: declares a party (mix slot
 *                                       order, label); implicit on 1st packet
 *   tc_call_ptmap(c, 96, "PCMA/8000")   per SDP rtpmap line, any time
 *   tc_call_packet(c, &pk) ...          every tapped RTP packet
 *   tc_call_tick(c, now_ns)             optional, e.g. once a second
 *   tc_call_close(c, &res)              finalises every file, frees c
 *   ... log res->files / res->notes; tc_result_free(res)
 *
 * Codecs: PCMU (0), PCMA (8), G.722 (9) and dynamic PTs mapped to them;
 * all output is 8000 Hz 16-bit. G.722 is recorded narrowband: its lower
 * sub-band (0-4 kHz), bit-exact with spandsp's 8 kHz decoder; a G.722
 * packet older than the newest of its stream is dropped (ADPCM state).
 * telephone-event and CN are ignored; anything else is skipped + noted.
 *
 * Timeline: a stream is one SSRC of one party. Its first packet is placed
 * by arrival time relative to the call start, later ones by RTP timestamp,
 * so losses become silence of exactly the missing length, reordered
 * packets (up to ~0.5 s) land in place, duplicates are dropped, and a
 * timestamp/sequence discontinuity or more than 1 s of drift against
 * arrival time re-anchors on arrival (no overlap, no invented gap).
 * Single file: one per SSRC with decodable audio, first to last packet.
 * Mixed file: call start to the end of the last mixed packet (not to a
 * media timeout); slots go to the first mix_inputs parties in order of
 * appearance; a late party has leading silence, a party that never sends
 * has a silent channel ("channels") and no single file.
 */

#include <stdint.h>

#define TC_FMT_WAV (1u << 0)
#define TC_FMT_MP3 (1u << 1)
#define TC_OUT_SINGLE (1u << 0)
#define TC_OUT_MIXED (1u << 1)
#define TC_DEFAULT_PATTERN "%c-%r-%t"
#define TC_MIX_MAX 4 /* mixed inputs, as rtpengine's --mix-num-inputs */

enum tc_mix_method {
	TC_MIX_DIRECT,	 /* mono sum, saturated to 16 bits */
	TC_MIX_CHANNELS, /* one channel per mix slot */
};

/** Per call; strings are copied by tc_call_open. 0/NULL means the default. */
struct tc_params {
	const char *output_dir;	    /* base directory; it and pattern dirs are created */
	const char *output_pattern; /* NULL: TC_DEFAULT_PATTERN; needs %c and %t */
	const char *call_id;	    /* %c; mandatory, non-empty */
	const char *random_tag;	    /* %r; NULL: "" */
	const char *metadata;	    /* "k:v|k:v" for %{k}; NULL: none */
	unsigned formats;	    /* TC_FMT_* bits; 0: no files ("none") */
	unsigned outputs;	    /* TC_OUT_* bits; 0: both */
	unsigned mp3_bitrate;	    /* bit/s as --mp3-bitrate (8000..64000 at 8 kHz) */
	enum tc_mix_method mix_method;
	unsigned mix_inputs;	/* 1..TC_MIX_MAX; 0: 4 direct, 2 channels */
	uint64_t start_wall_ns; /* CLOCK_REALTIME at call start: %Y..%S %u; 0: now */
	uint64_t start_mono_ns; /* same instant on the arrival_ns clock; 0: 1st packet */
	unsigned file_mode;	/* 0: 0640 */
	unsigned dir_mode;	/* 0: 0700 (rtpengine's --output-chmod-dir) */
};

/** One tapped RTP packet (plain RTP, SRTP already removed). */
struct tc_packet {
	const uint8_t *data; /* RTP header + payload; borrowed for the call only */
	uint32_t len;	     /* bytes at data */
	uint32_t party;	     /* caller's party id (e.g. monologue index) */
	uint64_t arrival_ns; /* CLOCK_MONOTONIC (the clock of start_mono_ns) */
	const char *label;   /* party label for %l if not yet known; may be NULL */
};

/** Counters of one call (packets unless stated). */
struct tc_stats {
	uint64_t packets;      /* tc_call_packet calls */
	uint64_t decoded;      /* audio placed on a timeline */
	uint64_t malformed;    /* bad RTP header or RTCP: -EINVAL */
	uint64_t duplicates;   /* same SSRC+seq seen again */
	uint64_t late;	       /* too late for every output */
	uint64_t reordered;    /* older seq than the newest, still placed */
	uint64_t jumps;	       /* timeline re-anchored on arrival time */
	uint64_t events;       /* telephone-event / comfort noise, ignored */
	uint64_t skipped;      /* unsupported or unmapped payload type */
	uint64_t no_slot;      /* stream table full: -ENOSPC */
	uint64_t fill_samples; /* silence written into single files for gaps */
};

/** A file written; path is under output_dir. */
struct tc_file {
	char *path;
	uint32_t ssrc;	  /* single: the SSRC; mixed: 0 */
	int mixed;	  /* 1: mixed output */
	unsigned format;  /* TC_FMT_WAV or TC_FMT_MP3 */
	unsigned rate_hz; /* 8000 */
	unsigned channels;
	uint64_t frames; /* samples per channel written */
	int error;	 /* 0, or the first -errno: file may be short */
};

/** What tc_call_close hands back; free with tc_result_free. */
struct tc_result {
	unsigned n_files;
	struct tc_file *files;
	unsigned n_notes;
	char **notes; /* one line each, e.g. "ssrc 0000abcd pt 9 G722: skipped: ..." */
	struct tc_stats stats;
};

/**
 * Validate parameters without opening anything (for config load time).
 * @return 0, or -EINVAL (the reason is logged).
 */
int tc_params_check(const struct tc_params *p);

/**
 * Start recording a call; creates the mixed output files now so that a
 * call without media still leaves a (0 s) mixed file.
 * @return the call, or NULL with errno: EINVAL, ENOMEM, or the errno of a
 *   failed mkdir/open (EACCES, ENOSPC...).
 */
struct tc_call *tc_call_open(const struct tc_params *p);

/**
 * Declare a party; its mix slot is the order of first declaration/packet.
 * @param label  for %l (copied, may be NULL); sets the label if unset.
 * @return 0, -ENOSPC (more than 16 parties) or -ENOMEM.
 */
int tc_call_party(struct tc_call *c, uint32_t party, const char *label);

/**
 * Map a payload type from an SDP rtpmap value ("PCMA/8000", "PCMU/8000/1",
 * "telephone-event/8000", ...). Unknown encodings map to "skip".
 * @return 0, or -EINVAL (pt > 127, malformed value).
 */
int tc_call_ptmap(struct tc_call *c, unsigned pt, const char *rtpmap);

/**
 * Feed one packet. Never blocks beyond file writes of ~0.25 s of audio.
 * @return 0 when consumed (also when ignored and counted: events, duplicates,
 *   late, unsupported codec), -EINVAL malformed RTP, -ENOSPC too many SSRCs
 *   (16), -ENOMEM. File write errors are latched per file (tc_file.error).
 */
int tc_call_packet(struct tc_call *c, const struct tc_packet *pk);

/** Advance the call's clock without a packet: flushes quiet streams. */
void tc_call_tick(struct tc_call *c, uint64_t now_ns);

/** Copy the counters so far. */
void tc_call_stats(const struct tc_call *c, struct tc_stats *st);

/**
 * Flush and finalise every file (WAV header lengths, MP3 flush + LAME tag)
 * and free the call, also on error.
 * @param res  if not NULL: receives the files/notes/stats (or NULL on ENOMEM)
 * @return 0, or the first -errno of a file that failed (see tc_file.error).
 */
int tc_call_close(struct tc_call *c, struct tc_result **res);

void tc_result_free(struct tc_result *r);

/**
 * Expand an output pattern as tc_call_open does: %c %r %t %l %Y %m %d %H %M
 * %S (local time of start_wall_ns) %u (its microseconds) %<N> (next N
 * call-id bytes) %{key} (metadata) %%. Values cannot add '/' (replaced by
 * '_'), components "." and ".." are defused, each is cut to 200 bytes.
 * @return length, or -ENAMETOOLONG if it does not fit in len.
 */
int tc_pattern_expand(
	const struct tc_params *p, const char *type, const char *label, char *buf, unsigned len);

/** G.711 (ITU-T G.711) expansion to 16-bit linear; n samples. */
void tc_ulaw_decode(const uint8_t *in, int16_t *out, unsigned n);
void tc_alaw_decode(const uint8_t *in, int16_t *out, unsigned n);

#endif /* SL_TC_H */
