/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TC_PRIV_H
#define SL_TC_PRIV_H

/*
 * Transcoder internals shared by tc.c (lifecycle, RTP, timeline), tc_mix.c
 * (mixer), tc_out.c (files, names) and tc_g711.c. Everything here is owned
 * by the one thread that drives the call.
 *
 * Positions are in samples at TC_RATE since the call start (int64_t).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/tc.h"

#define TC_LOG "rec"
#define TC_RATE 8000
#define TC_NS_PER_SAMPLE (1000000000ull / TC_RATE) /* 125000 */
#define TC_MAX_STREAMS 16
#define TC_MAX_PARTIES 16
#define TC_MAX_NOTES 32
#define TC_MAX_LABEL 128
/* samples in one packet at most: 256 ms; longer is not voice RTP */
#define TC_MAX_FRAME 2048
/* per-SSRC reorder ring for the single file (power of two): 1.024 s; it is
 * flushed down to half when full, so reordering up to ~0.5 s is repaired */
#define TC_SRING 8192
/* per-slot mix ring (power of two): 2.048 s, which must hold the mix delay
 * + one batch + the 1 s an RTP position may lead arrival time */
#define TC_MRING 16384
#define TC_MIX_DELAY 4000 /* 500 ms behind the newest arrival */
#define TC_MIX_BATCH 2000 /* write the mix in >= 250 ms pieces */
#define TC_JUMP_TOL 8000  /* 1 s: RTP vs arrival disagreement that re-anchors */
#define TC_MAX_MISORDER 100
#define TC_MAX_DROPOUT 3000
#define TC_QUIET_NS 1000000000ull   /* a stream silent this long is flushed */
#define TC_CHUNK 1024		    /* frames per mixer/silence write */
#define TC_HDR_EVERY (10 * TC_RATE) /* rewrite the WAV header every 10 s */

enum tc_codec {
	TC_C_UNMAPPED = 0, /* dynamic PT without rtpmap */
	TC_C_PCMU,
	TC_C_PCMA,
	TC_C_G722,
	TC_C_EVENT, /* telephone-event: ignored */
	TC_C_CN,    /* comfort noise: ignored, the gap becomes silence */
	TC_C_OTHER, /* known but not decoded */
};

struct tc_out;

/* G.722 lower sub-band decoder state (tc_g722.c); [0] is the newest */
struct tc_g722 {
	int s, sp, sz;	 /* predicted signal, pole and zero parts */
	int nb, det;	 /* log scale factor, scale factor */
	int r[3], p[3];	 /* reconstructed signal, partial reconstruction */
	int a[3], ap[3]; /* pole coefficients, updated ones */
	int d[7];	 /* quantised differences */
	int b[7], bp[7]; /* zero coefficients, updated ones */
};

struct tc_party {
	uint32_t id;
	char *label; /* NULL until known */
	int slot;    /* mix slot, or -1: not mixed */
};

struct tc_stream {
	uint32_t ssrc;
	struct tc_party *party;
	struct tc_out *out; /* single file; NULL if none */
	/* timeline: the newest packet (highest seq) */
	uint16_t last_seq;
	uint16_t anchor_seq; /* seq where the current anchor began */
	uint32_t last_ts;
	int64_t last_pos;
	uint64_t seen; /* bit i: last_seq - i was received */
	/* reorder ring for the single file; NULL without single output */
	int16_t *ring;
	int64_t wpos;	 /* next position to write to the file */
	int64_t head;	 /* end of the newest placed samples */
	int64_t start;	 /* position of the first sample of the file */
	uint64_t placed; /* samples decoded into the timeline */
	uint64_t last_arr_ns;
	struct tc_g722 g722; /* ADPCM state: G.722 is decoded in arrival order */
	uint8_t codec;	     /* enum tc_codec of the newest packet */
	uint8_t ts_shift;    /* 1: G.722 sender with a 16 kHz RTP clock */
	uint8_t ts_2x;	     /* consecutive packets that looked like it */
	bool written;	     /* wpos is fixed: the file has begun */
};

struct tc_call {
	/* parameters, strings owned */
	struct tc_params p;
	char *pattern, *dir, *call_id, *tag, *meta;
	uint8_t ptmap[128]; /* enum tc_codec by PT */
	uint64_t start_mono_ns;
	bool have_start;
	uint64_t now_ns; /* newest arrival or tick */
	struct tc_party parties[TC_MAX_PARTIES];
	unsigned n_parties;
	struct tc_stream streams[TC_MAX_STREAMS];
	unsigned n_streams;
	/* mixer */
	unsigned nslots;	    /* mix inputs */
	unsigned nch;		    /* output channels: 1 direct, nslots channels */
	int16_t *mring[TC_MIX_MAX]; /* per slot, TC_MRING samples, zero when free */
	int64_t mpos;		    /* mixed output written up to here */
	int64_t mhead;		    /* end of the newest mixed samples */
	struct tc_out *mix;
	/* results */
	struct tc_stats st;
	struct tc_file *files;
	unsigned n_files;
	char *notes[TC_MAX_NOTES];
	unsigned n_notes;
	int err;	      /* first file error */
	uint8_t noted_pt[16]; /* PTs already noted as skipped */
	/* scratch, so that the packet path does not allocate */
	int16_t pcm[TC_MAX_FRAME];
	int16_t mixbuf[TC_CHUNK * TC_MIX_MAX];
};

/* Call position (samples since the call start) of a CLOCK_MONOTONIC time. */
static inline int64_t
tc_pos_of(const struct tc_call *c, uint64_t ns)
{
	return ns > c->start_mono_ns ? (int64_t)((ns - c->start_mono_ns) / TC_NS_PER_SAMPLE) : 0;
}

/* tc.c */
struct tc_party *tc_party_get(struct tc_call *c, uint32_t id, const char *label, int *err);
void tc_note(struct tc_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* tc_rtp.c: write a stream's single file up to position 'to' */
void tc_stream_flush(struct tc_stream *s, int64_t to);

/* tc_g722.c: n octets -> n lower sub-band samples at 8 kHz */
void tc_g722_init(struct tc_g722 *g);
void tc_g722_decode(struct tc_g722 *g, const uint8_t *in, int16_t *out, unsigned n);

/* tc_mix.c; tc_mix_put and stream puts return 1 if any sample was kept */
int tc_mix_init(struct tc_call *c);
int tc_mix_slot(struct tc_call *c, struct tc_party *pa);
int tc_mix_put(
	struct tc_call *c, const struct tc_party *pa, int64_t pos, const int16_t *s, unsigned n);
void tc_mix_poll(struct tc_call *c);
void tc_mix_finish(struct tc_call *c);
void tc_mix_free(struct tc_call *c);

/* tc_out.c */
struct tc_out *tc_out_open(
	struct tc_call *c, uint32_t ssrc, int mixed, const char *label, unsigned channels);
void tc_out_write(struct tc_out *o, const int16_t *frames, unsigned n);
void tc_out_silence(struct tc_out *o, uint64_t n);
int tc_out_close(struct tc_call *c, struct tc_out *o);

#endif /* SL_TC_PRIV_H */
