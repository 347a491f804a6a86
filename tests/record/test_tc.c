/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording transcoder (src/record/tc.h): G.711 RTP streams of a 1 kHz tone
 * (party A) and a 400 Hz tone (party B), 20 ms packets, fed in arrival
 * order, closed, and the WAV/MP3 files read back with libsndfile (which
 * decodes MP3 through mpg123, honouring LAME's gapless Info tag). Checks:
 * durations to within one 20 ms frame, dominant frequency per file and per
 * channel (Goertzel), silent gaps for lost packets, late and silent
 * parties, duplicates/reordering/events/odd headers changing nothing,
 * G.711 values against the Recommendation's formulas and libsndfile's
 * decoder, and file naming.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>

#include "record/tc.h"

#define RATE 8000
#define FRAME 160		    /* samples per packet */
#define PKT_NS 20000000ull	    /* 20 ms */
#define T0 1000000000000ull	    /* monotonic call start */
#define WALL 1795693416186742000ull /* realtime call start */
#define OFF_NS 10000000ull	    /* first packets arrive 10 ms after start */
#define OFF (OFF_NS / 125000)	    /* ... = 80 samples */
#define NPK 500			    /* 10 s */
#define AMP 10000.0

/* ---- G.711 encoders (test side only: the library only decodes) ---- */

static uint8_t
ulaw_enc(int x)
{
	int sign = x < 0 ? 0x80 : 0, mag, e = 0;

	mag = (x < 0 ? -x : x);
	if (mag > 32635)
		mag = 32635;
	mag += 0x84;
	while (e < 7 && mag >= (0x100 << e))
		e++;
	return ~(sign | e << 4 | ((mag >> (e + 3)) & 0x0f));
}

static uint8_t
alaw_enc(int x)
{
	int sign = x >= 0 ? 0x80 : 0, mag, e = 1;

	mag = (x < 0 ? -x : x) >> 3;
	if (mag > 4095)
		mag = 4095;
	if (mag < 32)
		return (sign | mag >> 1) ^ 0x55;
	while (e < 7 && mag >= (64 << (e - 1)))
		e++;
	return (sign | e << 4 | ((mag >> e) & 0x0f)) ^ 0x55;
}

/* ---- packet streams ---- */

struct pkt {
	uint64_t t_ns;
	uint32_t party;
	uint32_t order; /* for a stable sort */
	uint16_t len;
	uint8_t b[400];
};

struct feed {
	struct pkt *v;
	unsigned n, cap;
};

struct src {
	uint32_t party, ssrc;
	uint8_t pt; /* payload type written */
	int alaw;   /* 1: A-law payload */
	double hz;
	uint16_t seq;
	uint32_t ts;
	uint64_t phase; /* tone sample index */
};

static struct pkt *
feed_add(struct feed *f)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 1024;
		f->v = realloc(f->v, f->cap * sizeof(*f->v));
		assert_non_null(f->v);
	}
	memset(&f->v[f->n], 0, sizeof(f->v[0]));
	f->v[f->n].order = f->n;
	return &f->v[f->n++];
}

static void
put_hdr(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = pt;
	b[2] = seq >> 8;
	b[3] = seq;
	b[4] = ts >> 24;
	b[5] = ts >> 16;
	b[6] = ts >> 8;
	b[7] = ts;
	b[8] = ssrc >> 24;
	b[9] = ssrc >> 16;
	b[10] = ssrc >> 8;
	b[11] = ssrc;
}

/* npk packets of s's tone, the first arriving at t_ns */
static void
gen(struct feed *f, struct src *s, uint64_t t_ns, unsigned npk)
{
	struct pkt *p;
	unsigned k, i;
	int x;

	for (k = 0; k < npk; k++) {
		p = feed_add(f);
		p->t_ns = t_ns + k * PKT_NS;
		p->party = s->party;
		put_hdr(p->b, s->pt, s->seq++, s->ts, s->ssrc);
		s->ts += FRAME;
		for (i = 0; i < FRAME; i++) {
			x = lrint(AMP * sin(2 * M_PI * s->hz * (double)s->phase++ / RATE));
			p->b[12 + i] = s->alaw ? alaw_enc(x) : ulaw_enc(x);
		}
		p->len = 12 + FRAME;
	}
}

static int
pkt_cmp(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
feed_sort(struct feed *f)
{
	qsort(f->v, f->n, sizeof(*f->v), pkt_cmp);
}

static void
feed_run(struct tc_call *c, const struct feed *f)
{
	struct tc_packet pk;
	unsigned i;

	for (i = 0; i < f->n; i++) {
		pk = (struct tc_packet){.data = f->v[i].b,
			.len = f->v[i].len,
			.party = f->v[i].party,
			.arrival_ns = f->v[i].t_ns};
		assert_int_equal(tc_call_packet(c, &pk), 0);
	}
}

static struct src
party_a(void)
{
	return (struct src){.party = 1,
		.ssrc = 0xa,
		.pt = 0,
		.hz = 1000,
		.seq = 65000,
		.ts = 0xfffff000}; /* both counters wrap during the call */
}

static struct src
party_b(void)
{
	return (struct src){
		.party = 2, .ssrc = 0xb, .pt = 8, .alaw = 1, .hz = 400, .seq = 7, .ts = 123456};
}

/* ---- output directory and files ---- */

static char dir[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
setup_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_tc.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown_dir(void **state)
{
	if (getenv("TC_TEST_KEEP") != NULL) { /* to listen to the files */
		print_message("kept %s\n", dir);
		return 0;
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct tc_params
params(const char *call_id, unsigned formats, enum tc_mix_method mm, unsigned nin)
{
	return (struct tc_params){.output_dir = dir,
		.call_id = call_id,
		.random_tag = "tag",
		.formats = formats,
		.mp3_bitrate = 24000,
		.mix_method = mm,
		.mix_inputs = nin,
		.start_wall_ns = WALL,
		.start_mono_ns = T0};
}

static const struct tc_file *
find(const struct tc_result *r, int mixed, uint32_t ssrc, unsigned fmt)
{
	unsigned i;

	for (i = 0; i < r->n_files; i++)
		if (r->files[i].mixed == mixed && r->files[i].format == fmt &&
			(mixed || r->files[i].ssrc == ssrc))
			return &r->files[i];
	return NULL;
}

static unsigned
count(const struct tc_result *r, int mixed, unsigned fmt)
{
	unsigned i, n = 0;

	for (i = 0; i < r->n_files; i++)
		n += r->files[i].mixed == mixed && r->files[i].format == fmt;
	return n;
}

struct audio {
	int16_t *s;
	long frames;
	int ch;
	int rate;
};

static void
audio_read(const char *path, struct audio *a)
{
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	long got = 0, r;

	if (sf == NULL)
		fail_msg("%s: %s", path, sf_strerror(NULL));
	a->ch = info.channels;
	a->rate = info.samplerate;
	/* MP3 frame counts may be estimates: read until the end */
	a->s = malloc(sizeof(int16_t) * info.channels * (info.frames + 100000));
	assert_non_null(a->s);
	while ((r = sf_readf_short(sf, a->s + got * a->ch, 4096)) > 0)
		got += r;
	a->frames = got;
	sf_close(sf);
}

static void
audio_file(const struct tc_result *r, int mixed, uint32_t ssrc, unsigned fmt, struct audio *a)
{
	const struct tc_file *f = find(r, mixed, ssrc, fmt);

	assert_non_null(f);
	assert_int_equal(f->error, 0);
	audio_read(f->path, a);
	if (fmt == TC_FMT_WAV)
		assert_int_equal(a->frames, f->frames);
}

/* Goertzel power per sample at hz over [from, to) of channel ch */
static double
tone(const struct audio *a, int ch, long from, long to, double hz)
{
	double coeff = 2 * cos(2 * M_PI * hz / a->rate), s0, s1 = 0, s2 = 0;
	long i;

	for (i = from; i < to; i++) {
		s0 = a->s[i * a->ch + ch] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / ((double)(to - from) * (to - from));
}

static double
energy(const struct audio *a, int ch, long from, long to)
{
	double e = 0;
	long i;

	for (i = from; i < to; i++)
		e += (double)a->s[i * a->ch + ch] * a->s[i * a->ch + ch];
	return to > from ? e / (to - from) : 0;
}

/* hz dominates other by 20 dB over [from, to) */
static void
dominant(const struct audio *a, int ch, long from, long to, double hz, double other)
{
	double p = tone(a, ch, from, to, hz), q = tone(a, ch, from, to, other);

	if (!(p > 100 * q && p > 1e5))
		fail_msg("ch %d [%ld,%ld): %.0f Hz %.3g vs %.0f Hz %.3g", ch, from, to, hz, p,
			other, q);
}

/* the MP3 against the WAV of the same output, sample by sample: ~26 dB at
 * 24 kbit/s when aligned, < 3 dB one sample off, so this checks alignment */
static void
mp3_matches_wav(const struct tc_result *r, int mixed, uint32_t ssrc)
{
	struct audio w, m;
	double e = 0, d = 0, x;
	long i;

	audio_file(r, mixed, ssrc, TC_FMT_WAV, &w);
	audio_file(r, mixed, ssrc, TC_FMT_MP3, &m);
	assert_int_equal(m.frames, w.frames); /* LAME's Info tag: exact length */
	assert_int_equal(m.ch, w.ch);
	for (i = 0; i < w.frames * w.ch; i++) {
		x = w.s[i] - m.s[i];
		e += (double)w.s[i] * w.s[i];
		d += x * x;
	}
	if (e < 15 * d)
		fail_msg("mp3 vs wav: %.1f dB", 10 * log10(e / d));
	free(w.s);
	free(m.s);
}

static void
near(long got, long want, long tol)
{
	if (labs(got - want) > tol)
		fail_msg("length %ld, want %ld +- %ld", got, want, tol);
}

static struct tc_result *
run(const struct tc_params *p, struct feed *f, void (*declare)(struct tc_call *))
{
	struct tc_result *r = NULL;
	struct tc_call *c = tc_call_open(p);

	assert_non_null(c);
	if (declare != NULL)
		declare(c);
	feed_sort(f);
	feed_run(c, f);
	assert_int_equal(tc_call_close(c, &r), 0);
	assert_non_null(r);
	return r;
}

/* ---- tests ---- */

static void
test_g711_values(void **state)
{
	int16_t u[256], a[256], ref[256];
	uint8_t codes[256];
	SF_INFO info = {.samplerate = RATE, .channels = 1};
	SNDFILE *sf;
	char path[96];
	int i, e, m, v, fd;

	for (i = 0; i < 256; i++)
		codes[i] = i;
	tc_ulaw_decode(codes, u, 256);
	tc_alaw_decode(codes, a, 256);
	for (i = 0; i < 256; i++) {
		/* G.711 mu-law: (33 + 2m) * 2^e - 33 in 14 bits, x4 */
		e = (~i >> 4) & 7;
		m = ~i & 15;
		v = 4 * (((33 + 2 * m) << e) - 33);
		assert_int_equal(u[i], (~i & 0x80) ? -v : v);
		/* A-law: 2m + 1 (e = 0) or (2m + 33) * 2^(e-1) in 13 bits, x8 */
		e = ((i ^ 0x55) >> 4) & 7;
		m = (i ^ 0x55) & 15;
		v = 8 * (e == 0 ? 2 * m + 1 : (2 * m + 33) << (e - 1));
		assert_int_equal(a[i], ((i ^ 0x55) & 0x80) ? v : -v);
	}
	/* the Recommendation's extremes */
	assert_int_equal(u[0x80], 32124);
	assert_int_equal(u[0x00], -32124);
	assert_int_equal(u[0xff], 0);
	assert_int_equal(u[0x7f], 0);
	assert_int_equal(u[0xfe], 8);
	assert_int_equal(a[0xaa], 32256);
	assert_int_equal(a[0x2a], -32256);
	assert_int_equal(a[0xd5], 8);
	assert_int_equal(a[0x55], -8);
	/* encoders used below invert the decoders on every code's value */
	for (i = 0; i < 256; i++) {
		assert_int_equal(u[ulaw_enc(u[i])], u[i]);
		assert_int_equal(a[alaw_enc(a[i])], a[i]);
	}
	/* an independent decoder: libsndfile's raw mu-law and A-law */
	snprintf(path, sizeof(path), "%s/codes.raw", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, codes, 256), 256);
	close(fd);
	info.format = SF_FORMAT_RAW | SF_FORMAT_ULAW;
	sf = sf_open(path, SFM_READ, &info);
	assert_non_null(sf);
	assert_int_equal(sf_read_short(sf, ref, 256), 256);
	sf_close(sf);
	assert_memory_equal(ref, u, sizeof(u));
	info = (SF_INFO){
		.samplerate = RATE, .channels = 1, .format = SF_FORMAT_RAW | SF_FORMAT_ALAW};
	sf = sf_open(path, SFM_READ, &info);
	assert_non_null(sf);
	assert_int_equal(sf_read_short(sf, ref, 256), 256);
	sf_close(sf);
	assert_memory_equal(ref, a, sizeof(a));
}

/* A PCMU 1 kHz + B PCMA 400 Hz, 10 s, WAV + MP3, single + mixed direct */
static void
test_two_parties(void **state)
{
	struct tc_params p = params("two", TC_FMT_WAV | TC_FMT_MP3, TC_MIX_DIRECT, 0);
	struct src a = party_a(), b = party_b();
	struct feed f = {0};
	struct tc_result *r;
	struct audio au;
	char want[128];

	gen(&f, &a, T0 + OFF_NS, NPK);
	gen(&f, &b, T0 + OFF_NS + 3000000, NPK);
	r = run(&p, &f, NULL);
	assert_int_equal(r->n_files, 6);
	assert_int_equal(r->stats.decoded, 2 * NPK);
	snprintf(want, sizeof(want), "%s/two-tag-0000000a.wav", dir);
	assert_string_equal(find(r, 0, 0xa, TC_FMT_WAV)->path, want);
	snprintf(want, sizeof(want), "%s/two-tag-mix.mp3", dir);
	assert_string_equal(find(r, 1, 0, TC_FMT_MP3)->path, want);
	for (unsigned fmt = TC_FMT_WAV; fmt <= TC_FMT_MP3; fmt <<= 1) {
		audio_file(r, 0, 0xa, fmt, &au);
		assert_int_equal(au.rate, RATE);
		near(au.frames, NPK * FRAME, FRAME);
		dominant(&au, 0, 0, au.frames, 1000, 400);
		free(au.s);
		audio_file(r, 0, 0xb, fmt, &au);
		near(au.frames, NPK * FRAME, FRAME);
		dominant(&au, 0, 0, au.frames, 400, 1000);
		free(au.s);
		audio_file(r, 1, 0, fmt, &au);
		assert_int_equal(au.ch, 1);
		/* from the call start to the end of B's last packet */
		near(au.frames, OFF + 24 + NPK * FRAME, FRAME);
		assert_true(tone(&au, 0, OFF, au.frames, 1000) > 1e5);
		assert_true(tone(&au, 0, OFF, au.frames, 400) > 1e5);
		/* before anyone spoke (MP3: pre-echo of the onset, -37 dB) */
		assert_true(energy(&au, 0, 0, OFF) < (fmt == TC_FMT_WAV ? 1 : 1e4));
		free(au.s);
	}
	mp3_matches_wav(r, 0, 0xa);
	mp3_matches_wav(r, 0, 0xb);
	mp3_matches_wav(r, 1, 0);
	tc_result_free(r);
	free(f.v);
}

static void
declare_abc(struct tc_call *c)
{
	assert_int_equal(tc_call_party(c, 1, "caller"), 0);
	assert_int_equal(tc_call_party(c, 2, "callee"), 0);
	assert_int_equal(tc_call_party(c, 3, "silent"), 0);
}

/* channels: one channel per party; B joins at 3 s, C never sends */
static void
test_channels_late_silent(void **state)
{
	struct tc_params p = params("chan", TC_FMT_WAV, TC_MIX_CHANNELS, 3);
	struct src a = party_a(), b = party_b();
	struct feed f = {0};
	struct tc_result *r;
	struct audio au;
	long bstart = OFF + 3 * RATE;

	gen(&f, &a, T0 + OFF_NS, NPK);
	gen(&f, &b, T0 + OFF_NS + 3000000000ull, NPK - 150);
	r = run(&p, &f, declare_abc);
	assert_int_equal(count(r, 0, TC_FMT_WAV), 2); /* no single file for C */
	audio_file(r, 1, 0, TC_FMT_WAV, &au);
	assert_int_equal(au.ch, 3);
	near(au.frames, OFF + NPK * FRAME, FRAME);
	dominant(&au, 0, OFF, au.frames, 1000, 400);
	assert_true(energy(&au, 1, 0, bstart) < 1);
	dominant(&au, 1, bstart, au.frames, 400, 1000);
	assert_true(energy(&au, 2, 0, au.frames) == 0);
	assert_true(tone(&au, 0, OFF, au.frames, 400) * 1e4 < tone(&au, 0, OFF, au.frames, 1000));
	free(au.s);
	audio_file(r, 0, 0xb, TC_FMT_WAV, &au);
	near(au.frames, (NPK - 150) * FRAME, FRAME);
	free(au.s);
	tc_result_free(r);
	free(f.v);
}

/* 5 % random loss: the lost frames are exact silence, lengths unchanged */
static void
test_loss(void **state)
{
	struct tc_params p = params("loss", TC_FMT_WAV | TC_FMT_MP3, TC_MIX_CHANNELS, 2);
	struct src a = party_a(), b = party_b();
	struct feed f = {0}, g = {0};
	struct tc_result *r;
	struct audio au, mx;
	bool lost[NPK] = {false};
	unsigned i, nlost = 0, seed = 12345;

	gen(&f, &a, T0 + OFF_NS, NPK);
	for (i = 0; i < f.n; i++) {
		seed = seed * 1103515245 + 12345;
		lost[i] = i > 0 && i < NPK - 1 && (seed >> 16) % 100 < 5;
		nlost += lost[i];
		if (!lost[i])
			*feed_add(&g) = f.v[i];
	}
	assert_true(nlost > 10);
	gen(&g, &b, T0 + OFF_NS, NPK);
	r = run(&p, &g, NULL);
	audio_file(r, 0, 0xa, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, NPK * FRAME);
	audio_file(r, 1, 0, TC_FMT_WAV, &mx);
	assert_int_equal(mx.frames, OFF + NPK * FRAME);
	for (i = 0; i < NPK; i++) {
		if (lost[i]) {
			assert_true(energy(&au, 0, i * FRAME, (i + 1) * FRAME) == 0);
			assert_true(energy(&mx, 0, OFF + i * FRAME, OFF + (i + 1) * FRAME) == 0);
		} else {
			assert_true(energy(&au, 0, i * FRAME, (i + 1) * FRAME) > 1e6);
		}
	}
	dominant(&mx, 1, OFF, mx.frames, 400, 1000);
	free(au.s);
	free(mx.s);
	audio_file(r, 0, 0xa, TC_FMT_MP3, &au);
	near(au.frames, NPK * FRAME, FRAME);
	free(au.s);
	audio_file(r, 1, 0, TC_FMT_MP3, &mx);
	assert_int_equal(mx.ch, 2);
	near(mx.frames, OFF + NPK * FRAME, FRAME);
	free(mx.s);
	mp3_matches_wav(r, 0, 0xa);
	mp3_matches_wav(r, 1, 0);
	assert_int_equal(r->stats.fill_samples, nlost * FRAME);
	tc_result_free(r);
	free(f.v);
	free(g.v);
}

/* A's single file (and the call's stats) after feeding f under call_id */
static void
single_a(struct feed *f, const char *call_id, struct audio *au, struct tc_stats *st)
{
	struct tc_params p = params(call_id, TC_FMT_WAV, TC_MIX_DIRECT, 0);
	struct tc_result *r;

	p.outputs = TC_OUT_SINGLE;
	r = run(&p, f, NULL);
	audio_file(r, 0, 0xa, TC_FMT_WAV, au);
	*st = r->stats;
	tc_result_free(r);
}

/* duplicates, reordering, telephone-event, CSRC/extension/padding: the file
 * is the same, sample for sample, as the clean stream's */
static void
test_same_audio(void **state)
{
	struct src a = party_a();
	struct feed f = {0}, g = {0}, h = {0};
	struct audio ref, au;
	struct tc_stats st;
	struct pkt *q, tmp;
	unsigned i;

	gen(&f, &a, T0 + OFF_NS, NPK);
	single_a(&f, "clean", &ref, &st);
	assert_int_equal(ref.frames, NPK * FRAME);

	/* every 5th packet twice, every 7th swapped with the next, #100 late by 6 */
	for (i = 0; i < f.n; i++) {
		*feed_add(&g) = f.v[i];
		if (i % 5 == 0) {
			q = feed_add(&g);
			*q = f.v[i];
			q->t_ns += 1000;
			q->order = g.n;
		}
	}
	for (i = 0; i + 1 < g.n; i++) {
		g.v[i].order = i;
		if (i % 7 == 3) {
			tmp = g.v[i];
			g.v[i] = g.v[i + 1];
			g.v[i + 1] = tmp;
			g.v[i].order = i;
			g.v[i + 1].order = i + 1;
			g.v[i].t_ns = g.v[i + 1].t_ns;
			i++;
		}
	}
	for (i = 0; i < g.n; i++)
		if (g.v[i].b[2] == (uint8_t)((65000 + 100) >> 8) &&
			g.v[i].b[3] == (uint8_t)(65000 + 100))
			g.v[i].t_ns += 6 * PKT_NS + 1;
	single_a(&g, "mangled", &au, &st);
	assert_int_equal(au.frames, ref.frames);
	assert_memory_equal(au.s, ref.s, ref.frames * sizeof(int16_t));
	assert_true(st.duplicates >= NPK / 5);
	assert_true(st.reordered > 50);
	assert_int_equal(st.late, 0);
	free(au.s);

	/* PT 0 -> 96 by rtpmap, RFC 4733 events on PT 101, CSRC+extension+padding */
	for (i = 0; i < f.n; i++) {
		q = feed_add(&h);
		*q = f.v[i];
		q->b[1] = 96;
		if (i % 3 == 0) {
			/* CC=2, X with one 4-byte word (RFC 8285 0xBEDE), P with 3 bytes */
			q->b[0] = 0x80 | 0x20 | 0x10 | 2;
			memmove(q->b + 12 + 8 + 8, f.v[i].b + 12, FRAME);
			memset(q->b + 12, 0x11, 8);
			memcpy(q->b + 20, "\xbe\xde\x00\x01\x10\xaa\x00\x00", 8);
			memcpy(q->b + 28 + FRAME, "\0\0\3", 3);
			q->len = 28 + FRAME + 3;
		}
		if (i >= 200 && i < 210) {
			q = feed_add(&h);
			*q = f.v[i];
			q->b[1] = 101 | (i == 200 ? 0x80 : 0);
			q->b[2] = q->b[3] = 0; /* own sequence space is not required */
			memcpy(q->b + 12, "\x05\x0a\x00\xa0", 4);
			q->len = 16;
		}
	}
	{
		struct tc_params p = params("mapped", TC_FMT_WAV, TC_MIX_DIRECT, 0);
		struct tc_call *c = tc_call_open(&p);
		struct tc_result *r;

		assert_non_null(c);
		assert_int_equal(tc_call_ptmap(c, 96, "pcmu/8000/1"), 0);
		assert_int_equal(tc_call_ptmap(c, 101, "telephone-event/8000"), 0);
		assert_int_equal(tc_call_ptmap(c, 128, "PCMU/8000"), -EINVAL);
		assert_int_equal(tc_call_ptmap(c, 97, "PCMU"), -EINVAL);
		feed_sort(&h);
		feed_run(c, &h);
		assert_int_equal(tc_call_close(c, &r), 0);
		assert_int_equal(r->stats.events, 10);
		audio_file(r, 0, 0xa, TC_FMT_WAV, &au);
		assert_int_equal(au.frames, ref.frames);
		assert_memory_equal(au.s, ref.s, ref.frames * sizeof(int16_t));
		free(au.s);
		tc_result_free(r);
	}
	free(ref.s);
	free(f.v);
	free(g.v);
	free(h.v);
}

static void
test_malformed_and_skipped(void **state)
{
	struct tc_params p = params("bad", TC_FMT_WAV, TC_MIX_DIRECT, 0);
	struct tc_call *c = tc_call_open(&p);
	struct tc_result *r;
	struct tc_packet pk = {.party = 1, .arrival_ns = T0};
	bool gsm = false, nomap = false;
	uint8_t b[64];
	unsigned i;

	assert_non_null(c);
#define TRY(len_, want_)                                                                           \
	do {                                                                                       \
		pk.data = b;                                                                       \
		pk.len = (len_);                                                                   \
		assert_int_equal(tc_call_packet(c, &pk), (want_));                                 \
	} while (0)
	memset(b, 0, sizeof(b));
	put_hdr(b, 0, 1, 0, 0x77);
	TRY(11, -EINVAL); /* short */
	b[0] = 0x40;
	TRY(40, -EINVAL); /* version 1 */
	b[0] = 0x8f;
	TRY(40, -EINVAL); /* 15 CSRCs do not fit */
	b[0] = 0x90;
	b[14] = 0;
	b[15] = 9;
	TRY(40, -EINVAL); /* extension longer than the packet */
	b[0] = 0xa0;
	b[39] = 0;
	TRY(40, -EINVAL); /* padding count 0 */
	b[39] = 29;
	TRY(40, -EINVAL); /* padding beyond the payload */
	b[0] = 0x80;
	b[1] = 200;
	TRY(40, -EINVAL); /* RTCP SR */
	b[1] = 3;
	TRY(40, 0); /* GSM: noted, skipped */
	b[1] = 97;
	TRY(40, 0); /* dynamic PT without rtpmap */
	b[1] = 18;
	TRY(40, 0); /* G.729: not decoded */
	b[1] = 13;
	TRY(13, 0); /* comfort noise: ignored */
	pk.data = NULL;
	assert_int_equal(tc_call_packet(c, &pk), -EINVAL);
	for (i = 0; i < 17; i++) { /* 16 streams at most */
		put_hdr(b, 0, 1, 0, 0x1000 + i);
		TRY(12 + 20, i < 16 ? 0 : -ENOSPC);
	}
#undef TRY
	assert_int_equal(tc_call_close(c, &r), 0);
	assert_int_equal(r->stats.malformed, 8);
	assert_int_equal(r->stats.skipped, 3);
	assert_int_equal(r->stats.events, 1);
	assert_int_equal(r->stats.no_slot, 1);
	assert_int_equal(count(r, 0, TC_FMT_WAV), 16);
	for (i = 0; i < r->n_notes; i++) {
		gsm |= strstr(r->notes[i], "pt 3: skipped: codec not decoded") != NULL;
		nomap |= strstr(r->notes[i], "pt 97: skipped: no rtpmap") != NULL;
	}
	assert_true(gsm && nomap);
	tc_result_free(r);
	assert_int_equal(tc_call_close(NULL, &r), -EINVAL);
	assert_null(r);
}

/* SSRC change mid-call and a timestamp jump: no gap in the mix */
static void
test_restart_and_jump(void **state)
{
	struct tc_params p = params("jump", TC_FMT_WAV, TC_MIX_DIRECT, 0);
	struct src a = party_a(), a2;
	struct feed f = {0};
	struct tc_result *r;
	struct audio au;
	unsigned k;

	gen(&f, &a, T0 + OFF_NS, 250);
	a2 = a;
	a2.ssrc = 0xa2;
	a2.seq = 40000;
	a2.ts = 77;
	gen(&f, &a2, T0 + OFF_NS + 250 * PKT_NS, 125);
	a2.ts += 5000000; /* same SSRC, seq goes on, ts leaps */
	gen(&f, &a2, T0 + OFF_NS + 375 * PKT_NS, 125);
	r = run(&p, &f, NULL);
	assert_int_equal(r->stats.jumps, 1);
	audio_file(r, 0, 0xa, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, 250 * FRAME);
	free(au.s);
	audio_file(r, 0, 0xa2, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, 250 * FRAME);
	free(au.s);
	audio_file(r, 1, 0, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, OFF + NPK * FRAME);
	for (k = 0; k < NPK; k++) /* every 20 ms of the call has the tone */
		assert_true(energy(&au, 0, OFF + k * FRAME, OFF + (k + 1) * FRAME) > 1e6);
	free(au.s);
	tc_result_free(r);
	free(f.v);
}

/* a 30 s pause with timestamps that follow, jitter, then a media timeout */
static void
test_pause_jitter_timeout(void **state)
{
	struct tc_params p = params("pause", TC_FMT_WAV, TC_MIX_DIRECT, 0);
	struct src a = party_a();
	struct feed f = {0};
	struct tc_result *r;
	struct tc_call *c;
	struct audio au;
	unsigned i, seed = 7;
	uint64_t t;
	long gap_at = 100 * FRAME, gap = 30 * RATE;

	gen(&f, &a, T0 + OFF_NS, 100);
	a.ts += gap;
	a.phase += gap;
	gen(&f, &a, T0 + OFF_NS + 100 * PKT_NS + 30000000000ull, 100);
	for (i = 0; i < f.n; i++) { /* up to 30 ms late */
		seed = seed * 1103515245 + 12345;
		f.v[i].t_ns += (seed >> 16) % 30000000;
	}
	c = tc_call_open(&p);
	assert_non_null(c);
	feed_sort(&f);
	feed_run(c, &f);
	for (t = f.v[f.n - 1].t_ns; t < f.v[f.n - 1].t_ns + 60000000000ull; t += 1000000000ull)
		tc_call_tick(c, t); /* a minute until the media timeout */
	assert_int_equal(tc_call_close(c, &r), 0);
	audio_file(r, 0, 0xa, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, 200 * FRAME + gap);
	assert_true(energy(&au, 0, gap_at, gap_at + gap) == 0);
	dominant(&au, 0, gap_at + gap, au.frames, 1000, 400);
	free(au.s);
	audio_file(r, 1, 0, TC_FMT_WAV, &au);
	/* ends with the last packet, not with the timeout; the first packet's
	 * jitter shifts the whole stream by up to 30 ms */
	near(au.frames, OFF + 200 * FRAME + gap, 240);
	free(au.s);
	assert_int_equal(r->stats.jumps, 0);
	tc_result_free(r);
	free(f.v);
}

static void
test_no_media(void **state)
{
	struct tc_params p = params("empty", TC_FMT_WAV | TC_FMT_MP3, TC_MIX_DIRECT, 0);
	struct tc_call *c = tc_call_open(&p);
	struct tc_result *r;
	struct audio au;

	assert_non_null(c);
	assert_int_equal(tc_call_close(c, &r), 0);
	assert_int_equal(r->n_files, 2);
	audio_file(r, 1, 0, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, 0);
	free(au.s);
	tc_result_free(r);

	/* "none": nothing written, packets still counted */
	p = params("none", 0, TC_MIX_DIRECT, 0);
	p.output_dir = NULL;
	c = tc_call_open(&p);
	assert_non_null(c);
	{
		struct src a = party_a();
		struct feed f = {0};

		gen(&f, &a, T0, 10);
		feed_run(c, &f);
		free(f.v);
	}
	assert_int_equal(tc_call_close(c, &r), 0);
	assert_int_equal(r->n_files, 0);
	assert_int_equal(r->stats.decoded, 10);
	tc_result_free(r);
}

static void
test_names(void **state)
{
	struct tc_params p = params("ab/cdefgh", TC_FMT_WAV, TC_MIX_DIRECT, 0);
	char buf[256], want[256], small[8];
	time_t sec = WALL / 1000000000ull;
	struct tc_result *r;
	struct tc_call *c;
	struct src a = party_a();
	struct feed f = {0};
	struct tm tm;
	struct stat st;

	localtime_r(&sec, &tm);
	p.metadata = "foo:bar|x:y/z|empty:";
	p.output_pattern = "%Y%m%d/%H%M%S.%u/%c-%r-%t-%l-%{foo}-%{x}-%{nope}-%2-%3-%%-%q-%{";
	assert_true(tc_pattern_expand(&p, "mix", "lbl", buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want),
		"%04d%02d%02d/%02d%02d%02d.186742/ab_cdefgh-tag-mix-lbl-bar-y_z--ab-_cd-%%-%%q-%%{",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	assert_string_equal(buf, want);
	p.output_pattern = "%c/%t";
	p.call_id = "..";
	assert_true(tc_pattern_expand(&p, "0000000a", NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "__/0000000a");
	assert_int_equal(
		tc_pattern_expand(&p, "0000000a", NULL, small, sizeof(small)), -ENAMETOOLONG);

	/* end to end: subdirectories, %l from the packet's party label */
	p = params("n1", TC_FMT_WAV, TC_MIX_DIRECT, 0);
	p.output_pattern = "%Y/%c/%l-%t";
	c = tc_call_open(&p);
	assert_non_null(c);
	assert_int_equal(tc_call_party(c, 1, "caller"), 0);
	gen(&f, &a, T0, 5);
	feed_run(c, &f);
	assert_int_equal(tc_call_close(c, &r), 0);
	snprintf(want, sizeof(want), "%s/%04d/n1/caller-0000000a.wav", dir, tm.tm_year + 1900);
	assert_string_equal(find(r, 0, 0xa, TC_FMT_WAV)->path, want);
	snprintf(want, sizeof(want), "%s/%04d/n1/mix-mix.wav", dir, tm.tm_year + 1900);
	assert_string_equal(find(r, 1, 0, TC_FMT_WAV)->path, want);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	tc_result_free(r);

	/* the same names again: nothing is overwritten */
	c = tc_call_open(&p);
	assert_non_null(c);
	assert_int_equal(tc_call_party(c, 1, "caller"), 0);
	feed_run(c, &f);
	assert_int_equal(tc_call_close(c, &r), 0);
	snprintf(want, sizeof(want), "%s/%04d/n1/mix-mix-1.wav", dir, tm.tm_year + 1900);
	assert_string_equal(find(r, 1, 0, TC_FMT_WAV)->path, want);
	tc_result_free(r);
	free(f.v);
}

static void
test_params(void **state)
{
	struct tc_params p = params("x", TC_FMT_WAV, TC_MIX_DIRECT, 0), q;

	assert_int_equal(tc_params_check(&p), 0);
	assert_int_equal(tc_params_check(NULL), -EINVAL);
	q = p;
	q.call_id = "";
	assert_int_equal(tc_params_check(&q), -EINVAL);
	q = p;
	q.output_pattern = "%c-only";
	assert_int_equal(tc_params_check(&q), -EINVAL);
	q = p;
	q.output_pattern = "%t-%%c";
	assert_int_equal(tc_params_check(&q), -EINVAL);
	q = p;
	q.formats = TC_FMT_MP3;
	q.mp3_bitrate = 0;
	assert_int_equal(tc_params_check(&q), -EINVAL);
	q.mp3_bitrate = 32000;
	assert_int_equal(tc_params_check(&q), 0);
	q.mix_method = TC_MIX_CHANNELS;
	q.mix_inputs = 4;
	assert_int_equal(tc_params_check(&q), -EINVAL); /* LAME: 2 channels at most */
	q.formats = TC_FMT_WAV;
	assert_int_equal(tc_params_check(&q), 0);
	q.mix_inputs = 5;
	assert_int_equal(tc_params_check(&q), -EINVAL);
	q = p;
	q.output_dir = NULL;
	assert_int_equal(tc_params_check(&q), -EINVAL);
	errno = 0;
	assert_null(tc_call_open(&q));
	assert_int_equal(errno, EINVAL);
	q = p;
	q.output_dir = "/proc/no/such/dir";
	errno = 0;
	assert_null(tc_call_open(&q));
	assert_true(errno != 0);
}

/* direct mix of two full-scale talkers clips instead of wrapping around */
static void
test_direct_clipping(void **state)
{
	struct tc_params p = params("clip", TC_FMT_WAV, TC_MIX_DIRECT, 0);
	struct feed f = {0};
	struct tc_result *r;
	struct audio au;
	struct pkt *q;
	unsigned k, party;
	long i;

	for (party = 1; party <= 2; party++)
		for (k = 0; k < 50; k++) {
			q = feed_add(&f);
			q->t_ns = T0 + k * PKT_NS;
			q->party = party;
			put_hdr(q->b, 0, k, k * FRAME, party);
			memset(q->b + 12, 0x80, FRAME); /* mu-law +32124 */
			q->len = 12 + FRAME;
		}
	p.outputs = TC_OUT_MIXED;
	r = run(&p, &f, NULL);
	audio_file(r, 1, 0, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, 50 * FRAME);
	for (i = 0; i < au.frames; i++)
		assert_int_equal(au.s[i], 32767);
	free(au.s);
	tc_result_free(r);
	free(f.v);
}

/* test data: spandsp's G.722 encoder (64 kbit/s) on 40 ms of a 1 kHz tone
 * sampled at 16 kHz */
static const char g722_tone[] = "\xfa\x92\x23\x8d\x23\x93\xa0\xa0\x20\xb0\xca\xc8\xce\xdc\xed\xe9"
				"\xeb\x7a\xd1\xce\xd1\xdf\xae\xea\xee\xfc\x53\xcf\x92\xdf\xf0\xab"
				"\xf0\xfc\xd4\x50\xd3\xbe\xf0\xec\xf0\xbc\xd5\x50\xd4\xbe\xf1\xed"
				"\xf1\xfd\xd5\xd2\x96\xff\xf2\xef\x73\xff\x96\xd4\x96\xfd\xf2\xaf"
				"\xf3\x7e\xd7\x95\xd7\xfc\xb2\xf0\x72\xfe\xd6\x54\x96\xbc\xf2\xf0"
				"\x72\xdf\xd8\xd3\x98\xff\xf3\xf0\xf2\xfe\xd6\xd4\x97\xfb\xf4\xaf"
				"\xf4\xfc\xd7\xd4\x96\xff\xf3\xb1\xf2\xfe\xd7\xd5\xd7\xfc\xb3\xf2"
				"\xf3\xfe\xd8\xd3\x9a\xff\xf4\xaf\x75\xba\xd6\xd5\x97\xfc\xf3\xf2"
				"\xf2\xfd\xda\xd4\x95\xfc\xf2\xf0\xf1\xfc\xda\xd3\x98\xdd\xf4\xee"
				"\x75\xba\x97\xd6\x96\xde\xb4\xf0\x72\x9f\x5a\xd2\xd6\x9c\xf9\xef"
				"\x78\xb9\x56\xd3\x96\xdb\xf7\xf6\x74\xbd\x55\xd1\x92\xdd\xfc\x74"
				"\xf6\xdc\xd4\x8f\xd6\xd7\x7d\xf8\xf9\xda\xd2\x8f\x93\xd6\x5b\xbb"
				"\xdb\xdb\xd1\x4e\x92\x56\xdb\xbd\xdd\xd8\xd2\xd2\xd3\xd8\x9a\xf8"
				"\x7c\x9b\xd7\xd2\xd4\xd5\xfc\x77\xdf\xba\xd4\xd3\x98\xd5\xf8\xf6"
				"\xf9\xbb\x55\xd7\x96\xd9\xba\xf6\x74\xfa\x96\xd7\x56\x99\xfb\xf5"
				"\x72\xfe\x99\xd5\xd4\xd9\xf8\xf0\x73\xde\xbe\xd2\x97\xdb\xb7\x75"
				"\xf3\xfc\x5e\xd2\x96\xdc\xfc\xef\xfa\xf6\x57\xd8\x91\x9e\xf6\xf5"
				"\xf2\xff\xdc\xd2\x97\xfe\xfe\xf0\xf1\xfc\xd9\xd2\x99\xd9\xf8\xf0"
				"\x73\x9c\x99\xd5\x94\xd9\xb5\x71\xf5\xfe\xd8\xd3\x99\xd8\xf9\xef"
				"\xfc\xf6\xd3\xdb\x93\xdf\xf8\xb5\x76\x9a\xda\xd1\xd3\x9f\xfc\xf6";

/* G.722 packets of 160 octets (20 ms), PT pt, timestamps stepping ts_step */
static void
gen_g722(
	struct feed *f, uint32_t ssrc, const uint8_t *oct, unsigned n, uint32_t ts_step, uint8_t pt)
{
	struct pkt *q;
	unsigned k;

	for (k = 0; k < n / FRAME; k++) {
		q = feed_add(f);
		q->t_ns = T0 + OFF_NS + k * PKT_NS;
		q->party = 1;
		put_hdr(q->b, pt, 100 + k, 5000 + k * ts_step, ssrc);
		memcpy(q->b + 12, oct + k * FRAME, FRAME);
		q->len = 12 + FRAME;
	}
}

/* G.722: lower sub-band at 8 kHz, bit-exact with spandsp's 8 kHz decoder */
static void
test_g722(void **state)
{
	struct tc_params p = params("g722", TC_FMT_WAV, TC_MIX_DIRECT, 0);
	static uint8_t oct[100 * FRAME];
	struct feed f = {0}, g = {0}, h = {0};
	struct tc_result *r;
	struct tc_call *c;
	struct audio au;
	uint64_t hash = 1469598103934665603ull;
	uint32_t seed = 12345;
	struct pkt tmp;
	bool noted = false;
	long i;

	for (i = 0; i < (long)sizeof(oct); i++) {
		seed = seed * 1103515245u + 12345u;
		oct[i] = seed >> 16;
	}
	p.outputs = TC_OUT_SINGLE;
	gen_g722(&f, 0x722, oct, sizeof(oct), FRAME, 9);
	r = run(&p, &f, NULL);
	audio_file(r, 0, 0x722, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, 100 * FRAME); /* 8000 Hz RTP clock, 1 sample/octet */
	for (i = 0; i < au.frames; i++) {
		hash ^= (uint16_t)au.s[i];
		hash *= 1099511628211ull; /* FNV-1a */
	}
	/* spandsp 0.0.6 g722_decode(G722_SAMPLE_RATE_8000) of the same octets */
	assert_true(hash == 0x57da1d87b4249fe5ull);
	free(au.s);
	tc_result_free(r);

	/* a sender stepping 320 per packet (16 kHz clock): no hole per packet */
	p.call_id = "g722-16k";
	gen_g722(&g, 0x722, oct, sizeof(oct), 2 * FRAME, 9);
	r = run(&p, &g, NULL);
	audio_file(r, 0, 0x722, TC_FMT_WAV, &au);
	near(au.frames, 100 * FRAME, FRAME);
	free(au.s);
	for (i = 0; i < r->n_notes; i++)
		noted |= strstr(r->notes[i], "G.722 timestamps run at 16 kHz") != NULL;
	assert_true(noted);
	tc_result_free(r);

	/* ADPCM cannot decode an older packet after a newer one: dropped */
	p.call_id = "g722-reorder";
	tmp = f.v[40];
	f.v[40] = f.v[41];
	f.v[41] = tmp;
	f.v[40].t_ns = f.v[41].t_ns;
	f.v[41].t_ns += 1;
	r = run(&p, &f, NULL);
	assert_int_equal(r->stats.late, 1);
	assert_int_equal(find(r, 0, 0x722, TC_FMT_WAV)->frames, 100 * FRAME);
	tc_result_free(r);

	/* a tone on a dynamic PT: 1 kHz in the 8 kHz output */
	p.call_id = "g722-tone";
	c = tc_call_open(&p);
	assert_non_null(c);
	assert_int_equal(tc_call_ptmap(c, 96, "G722/8000"), 0);
	gen_g722(&h, 0x723, (const uint8_t *)g722_tone, sizeof(g722_tone) - 1, FRAME, 96);
	feed_run(c, &h);
	assert_int_equal(tc_call_close(c, &r), 0);
	audio_file(r, 0, 0x723, TC_FMT_WAV, &au);
	assert_int_equal(au.frames, 2 * FRAME);
	dominant(&au, 0, FRAME, 2 * FRAME, 1000, 400);
	free(au.s);
	tc_result_free(r);
	free(f.v);
	free(g.v);
	free(h.v);
}

/* random headers, sequence and timestamp chaos, jittery arrivals: nothing
 * breaks and no file is longer than the call (field-lessons 2H #1874) */
static void
test_hostile(void **state)
{
	struct tc_params p = params("hostile", TC_FMT_WAV, TC_MIX_CHANNELS, 2);
	struct tc_packet pk = {0};
	struct tc_result *r;
	struct tc_call *c;
	uint8_t b[400];
	uint64_t t = T0, seed = 99, span_ns = 0;
	uint32_t ts[4] = {0};
	uint16_t seq[4] = {0};
	unsigned i, k, len, s;

	c = tc_call_open(&p);
	assert_non_null(c);
#define RND() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, seed >> 33)
	for (i = 0; i < 30000; i++) {
		s = RND() % 4;
		switch (RND() % 16) {
		case 0: /* timestamp leap */
			ts[s] += RND();
			break;
		case 1: /* sequence leap */
			seq[s] += RND();
			break;
		case 2: /* step back */
			seq[s] -= RND() % 200;
			ts[s] -= (RND() % 200) * FRAME;
			break;
		default:
			seq[s]++;
			ts[s] += FRAME;
		}
		len = 12 + RND() % 300;
		for (k = 0; k < len; k++)
			b[k] = RND();
		if (RND() % 8 != 0) {
			b[0] = 0x80 | (RND() % 4 == 0 ? b[0] & 0x3f : 0);
			put_hdr(b, RND() % 3 == 0 ? RND() % 128 : (RND() % 2) * 8, seq[s], ts[s],
				s + 1);
			b[0] |= RND() % 4 == 0 ? RND() & 0x3f : 0;
		}
		t += RND() % 12000000; /* 0..12 ms: about 6 ms a packet */
		pk = (struct tc_packet){
			.data = b, .len = len, .party = s % 3, .arrival_ns = t - RND() % 40000000};
		tc_call_packet(c, &pk);
		if (i % 500 == 0)
			tc_call_tick(c, t);
	}
#undef RND
	span_ns = t - T0;
	assert_int_equal(tc_call_close(c, &r), 0);
	assert_true(r->stats.decoded > 1000);
	for (i = 0; i < r->n_files; i++) {
		assert_int_equal(r->files[i].error, 0);
		if (r->files[i].frames > span_ns / 125000 + RATE)
			fail_msg("%s: %llu frames for a %llu ms call", r->files[i].path,
				(unsigned long long)r->files[i].frames,
				(unsigned long long)span_ns / 1000000);
	}
	tc_result_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_g711_values, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_two_parties, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_channels_late_silent, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_loss, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_same_audio, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(
			test_malformed_and_skipped, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_restart_and_jump, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_pause_jitter_timeout, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_no_media, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_names, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_params, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_direct_clipping, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_g722, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_hostile, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
