/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Output files of the transcoder: names (rtpengine-recording's
 * --output-pattern), WAV through libsndfile, MP3 through LAME.
 *
 * Files are created with O_EXCL: an existing recording is never truncated,
 * the new one gets "-1", "-2"... before the extension (noted). WAV headers
 * are rewritten every TC_HDR_EVERY frames so that a file left by a crash
 * is playable up to the last rewrite; sf_close writes the final lengths.
 * MP3 starts with LAME's placeholder frame, replaced at close by the LAME
 * "Info" tag (frame count, encoder delay and padding) so that decoders
 * that honour it (mpg123, libsndfile) give back the exact duration.
 * A write error is latched per file and logged once: the file stops there
 * and the other format and outputs go on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lame/lame.h>
#include <sndfile.h>

#include "common/log.h"
#include "record/tc_priv.h"

#define TC_COMP_MAX 200	   /* bytes per path component, leaves room for -99.wav */
#define TC_ENC_FRAMES 4096 /* frames per LAME call */
#define TC_MP3_QUALITY 5   /* LAME -q: 0 best .. 9 fastest; 5 is its "fast good" */
#define TC_MP3BUF (TC_ENC_FRAMES * 5 / 4 + 7200) /* lame.h's worst case */

struct tc_out {
	unsigned channels;
	uint32_t ssrc;
	int mixed;
	uint64_t frames;     /* per channel, written */
	uint64_t hdr_frames; /* since the last WAV header rewrite */
	SNDFILE *wav;
	int wav_fd;
	int wav_err;
	char *wav_path;
	lame_t lame;
	int mp3_fd;
	int mp3_err;
	char *mp3_path;
	uint8_t *mp3buf; /* TC_MP3BUF bytes, MP3 outputs only */
};

/* ---- names ---- */

struct sbuf {
	char *b;
	unsigned len;  /* capacity */
	unsigned n;    /* used */
	unsigned comp; /* start of the current path component */
	int over;
};

static void
sb_end_comp(struct sbuf *s)
{
	unsigned k = s->n - s->comp, i;

	/* "." and ".." made of values must not walk the tree */
	if ((k == 1 || k == 2) && s->b[s->comp] == '.' && s->b[s->n - 1] == '.')
		for (i = s->comp; i < s->n; i++)
			s->b[i] = '_';
}

static void
sb_putc(struct sbuf *s, char ch)
{
	if (ch == '/') {
		sb_end_comp(s);
		s->comp = s->n + 1;
	} else if (s->n - s->comp >= TC_COMP_MAX) {
		return; /* component cut at TC_COMP_MAX */
	}
	if (s->n + 1 >= s->len) {
		s->over = 1;
		return;
	}
	s->b[s->n++] = ch;
}

/* A substituted value: no '/', no control characters. */
static void
sb_putv(struct sbuf *s, const char *v, size_t n)
{
	size_t i;
	unsigned char ch;

	for (i = 0; i < n && v[i] != '\0'; i++) {
		ch = v[i];
		sb_putc(s, ch == '/' || ch < 0x20 || ch == 0x7f ? '_' : ch);
	}
}

/* "k:v|k:v" -> value of key, or NULL */
static const char *
meta_find(const char *meta, const char *key, size_t klen, size_t *vlen)
{
	const char *e, *colon, *bar;

	for (e = meta; e != NULL && *e != '\0'; e = bar != NULL ? bar + 1 : NULL) {
		bar = strchr(e, '|');
		colon = memchr(e, ':', bar != NULL ? (size_t)(bar - e) : strlen(e));
		if (colon == NULL || (size_t)(colon - e) != klen || memcmp(e, key, klen) != 0)
			continue;
		*vlen = bar != NULL ? (size_t)(bar - colon - 1) : strlen(colon + 1);
		return colon + 1;
	}
	return NULL;
}

int
tc_pattern_expand(
	const struct tc_params *p, const char *type, const char *label, char *buf, unsigned len)
{
	struct sbuf s = {.b = buf, .len = len};
	const char *pat = p->output_pattern != NULL && p->output_pattern[0] != '\0'
				  ? p->output_pattern
				  : TC_DEFAULT_PATTERN;
	const char *cid = p->call_id != NULL ? p->call_id : "", *v, *close;
	size_t cid_off = 0, cid_len = strlen(cid), vlen;
	time_t sec = p->start_wall_ns / 1000000000ull;
	char tmp[32];
	struct tm tm;
	unsigned long k;
	char *end;

	if (len == 0)
		return -ENAMETOOLONG;
	localtime_r(&sec, &tm);
	for (; *pat != '\0'; pat++) {
		if (*pat != '%' || pat[1] == '\0') {
			sb_putc(&s, *pat);
			continue;
		}
		pat++;
		switch (*pat) {
		case '%':
			sb_putc(&s, '%');
			break;
		case 'c':
			sb_putv(&s, cid, cid_len);
			break;
		case 'r':
			sb_putv(&s, p->random_tag != NULL ? p->random_tag : "", SIZE_MAX);
			break;
		case 't':
			sb_putv(&s, type, SIZE_MAX);
			break;
		case 'l':
			sb_putv(&s, label != NULL ? label : "", SIZE_MAX);
			break;
		case 'Y':
		case 'm':
		case 'd':
		case 'H':
		case 'M':
		case 'S':
			snprintf(tmp, sizeof(tmp), *pat == 'Y' ? "%04d" : "%02d",
				*pat == 'Y'   ? tm.tm_year + 1900
				: *pat == 'm' ? tm.tm_mon + 1
				: *pat == 'd' ? tm.tm_mday
				: *pat == 'H' ? tm.tm_hour
				: *pat == 'M' ? tm.tm_min
					      : tm.tm_sec);
			sb_putv(&s, tmp, SIZE_MAX);
			break;
		case 'u':
			snprintf(tmp, sizeof(tmp), "%06u",
				(unsigned)(p->start_wall_ns % 1000000000ull / 1000));
			sb_putv(&s, tmp, SIZE_MAX);
			break;
		case '{':
			close = strchr(pat, '}');
			if (close == NULL) {
				sb_putc(&s, '%');
				sb_putc(&s, '{');
				break;
			}
			v = meta_find(p->metadata != NULL ? p->metadata : "", pat + 1,
				close - pat - 1, &vlen);
			if (v != NULL)
				sb_putv(&s, v, vlen);
			pat = close;
			break;
		default:
			if (*pat >= '1' && *pat <= '9') {
				/* %<N>: the next N bytes of the call-id (cumulative) */
				k = strtoul(pat, &end, 10);
				if (k > cid_len - cid_off)
					k = cid_len - cid_off;
				sb_putv(&s, cid + cid_off, k);
				cid_off += k;
				pat = end - 1;
				break;
			}
			sb_putc(&s, '%');
			sb_putc(&s, *pat);
			break;
		}
	}
	sb_end_comp(&s);
	if (s.over)
		return -ENAMETOOLONG;
	buf[s.n] = '\0';
	return s.n;
}

/* mkdir -p of the directories above path; new ones get mode exactly */
static int
make_dirs(char *path, mode_t mode)
{
	char *q;

	for (q = strchr(path + 1, '/'); q != NULL; q = strchr(q + 1, '/')) {
		*q = '\0';
		if (mkdir(path, mode) == 0) {
			chmod(path, mode);
		} else if (errno != EEXIST) {
			*q = '/';
			return -errno;
		}
		*q = '/';
	}
	return 0;
}

/* Create dir/base.ext, or dir/base-N.ext if taken. @return fd or -errno. */
static int
create_file(struct tc_call *c, const char *base, const char *ext, char **pathp)
{
	char path[PATH_MAX];
	int fd, n, i, rc;

	for (i = 0; i < 100; i++) {
		if (i == 0)
			n = snprintf(path, sizeof(path), "%s/%s.%s", c->dir, base, ext);
		else
			n = snprintf(path, sizeof(path), "%s/%s-%d.%s", c->dir, base, i, ext);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		if (i == 0) {
			rc = make_dirs(path, c->p.dir_mode);
			if (rc < 0)
				return rc;
		}
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, c->p.file_mode);
		if (fd >= 0) {
			fchmod(fd, c->p.file_mode); /* exact, whatever the umask */
			*pathp = strdup(path);
			if (*pathp == NULL) {
				close(fd);
				unlink(path);
				return -ENOMEM;
			}
			if (i > 0)
				tc_note(c, "%s/%s.%s exists: writing %s", c->dir, base, ext, path);
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static void
lame_log_err(const char *fmt, va_list ap)
{
	sl_vlog(SL_LOG_WARNING, TC_LOG, fmt, ap);
}

static void
lame_log_none(const char *fmt, va_list ap)
{
}

static int
open_wav(struct tc_call *c, struct tc_out *o, const char *base)
{
	SF_INFO info = {
		.samplerate = TC_RATE,
		.channels = o->channels,
		/* WAVE_FORMAT_EXTENSIBLE is what players expect beyond stereo */
		.format = (o->channels > 2 ? SF_FORMAT_WAVEX : SF_FORMAT_WAV) | SF_FORMAT_PCM_16,
	};
	int fd;

	fd = create_file(c, base, "wav", &o->wav_path);
	if (fd < 0)
		return fd;
	/* the fd stays ours (close_desc false): closed after sf_close */
	o->wav = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE);
	if (o->wav == NULL) {
		SL_WARN(TC_LOG, "recording %s: %s: %s", c->call_id, o->wav_path, sf_strerror(NULL));
		close(fd);
		unlink(o->wav_path);
		free(o->wav_path);
		o->wav_path = NULL;
		return -EIO;
	}
	o->wav_fd = fd;
	return 0;
}

static int
open_mp3(struct tc_call *c, struct tc_out *o, const char *base)
{
	int fd;

	o->mp3buf = malloc(TC_MP3BUF);
	o->lame = lame_init();
	if (o->lame == NULL || o->mp3buf == NULL) {
		if (o->lame != NULL)
			lame_close(o->lame);
		o->lame = NULL;
		return -ENOMEM;
	}
	lame_set_errorf(o->lame, lame_log_err);
	lame_set_msgf(o->lame, lame_log_none);
	lame_set_debugf(o->lame, lame_log_none);
	lame_set_num_channels(o->lame, o->channels);
	lame_set_in_samplerate(o->lame, TC_RATE);
	lame_set_out_samplerate(o->lame, TC_RATE);
	lame_set_brate(o->lame, c->p.mp3_bitrate / 1000);
	/* plain stereo: the channels are different parties, M/S buys nothing */
	lame_set_mode(o->lame, o->channels == 1 ? MONO : STEREO);
	lame_set_quality(o->lame, TC_MP3_QUALITY);
	lame_set_bWriteVbrTag(o->lame, 1);
	lame_set_write_id3tag_automatic(o->lame, 0); /* keeps the tag frame at offset 0 */
	if (lame_init_params(o->lame) < 0) {
		SL_WARN(TC_LOG, "recording %s: LAME rejects %u ch %u bit/s", c->call_id,
			o->channels, c->p.mp3_bitrate);
		lame_close(o->lame);
		o->lame = NULL;
		return -EINVAL;
	}
	fd = create_file(c, base, "mp3", &o->mp3_path);
	if (fd < 0) {
		lame_close(o->lame);
		o->lame = NULL;
		return fd;
	}
	o->mp3_fd = fd;
	return 0;
}

struct tc_out *
tc_out_open(struct tc_call *c, uint32_t ssrc, int mixed, const char *label, unsigned channels)
{
	char base[PATH_MAX], type[16];
	struct tc_out *o;
	int rc = 0, n;

	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->channels = channels;
	o->ssrc = ssrc;
	o->mixed = mixed;
	o->wav_fd = o->mp3_fd = -1;
	if (mixed)
		snprintf(type, sizeof(type), "mix");
	else
		snprintf(type, sizeof(type), "%08x", ssrc);
	n = tc_pattern_expand(&c->p, type, label, base, sizeof(base));
	if (n < 0) {
		rc = n;
		goto fail;
	}
	if (c->p.formats & TC_FMT_WAV) {
		rc = open_wav(c, o, base);
		if (rc < 0)
			goto fail;
	}
	if (c->p.formats & TC_FMT_MP3) {
		rc = open_mp3(c, o, base);
		if (rc < 0)
			goto fail;
	}
	return o;
fail:
	SL_WARN(TC_LOG, "recording %s: cannot create the %s output under %s: %s", c->call_id, type,
		c->dir, strerror(-rc));
	if (o->wav != NULL) {
		sf_close(o->wav);
		close(o->wav_fd);
		unlink(o->wav_path);
	}
	free(o->wav_path);
	free(o->mp3buf);
	free(o);
	errno = -rc;
	return NULL;
}

static void
out_fail(struct tc_out *o, int *err, const char *path, int rc)
{
	if (*err != 0)
		return;
	*err = rc;
	SL_WARN(TC_LOG, "recording: writing %s failed (%s): the file stops here", path,
		strerror(-rc));
}

static int
write_all(int fd, const uint8_t *b, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += w;
		n -= w;
	}
	return 0;
}

static void
mp3_encode(struct tc_out *o, const int16_t *frames, unsigned n)
{
	unsigned k;
	int r;

	while (n > 0 && o->mp3_err == 0) {
		k = n < TC_ENC_FRAMES ? n : TC_ENC_FRAMES;
		if (o->channels == 1)
			r = lame_encode_buffer(o->lame, frames, NULL, k, o->mp3buf, TC_MP3BUF);
		else /* LAME does not write to pcm[] but its prototype lacks const */
			r = lame_encode_buffer_interleaved(
				o->lame, (short *)frames, k, o->mp3buf, TC_MP3BUF);
		if (r < 0)
			out_fail(o, &o->mp3_err, o->mp3_path, -EIO);
		else if (r > 0 && (r = write_all(o->mp3_fd, o->mp3buf, r)) < 0)
			out_fail(o, &o->mp3_err, o->mp3_path, r);
		frames += k * o->channels;
		n -= k;
	}
}

void
tc_out_write(struct tc_out *o, const int16_t *frames, unsigned n)
{
	if (o == NULL || n == 0)
		return;
	if (o->wav != NULL && o->wav_err == 0) {
		errno = 0;
		if (sf_writef_short(o->wav, frames, n) != (sf_count_t)n) {
			out_fail(o, &o->wav_err, o->wav_path, errno != 0 ? -errno : -EIO);
		} else {
			o->hdr_frames += n;
			if (o->hdr_frames >= TC_HDR_EVERY) {
				sf_command(o->wav, SFC_UPDATE_HEADER_NOW, NULL, 0);
				o->hdr_frames = 0;
			}
		}
	}
	if (o->lame != NULL)
		mp3_encode(o, frames, n);
	o->frames += n;
}

void
tc_out_silence(struct tc_out *o, uint64_t n)
{
	static const int16_t zero[TC_CHUNK * TC_MIX_MAX]; /* read-only */
	unsigned k;

	while (n > 0) {
		k = n < TC_CHUNK ? n : TC_CHUNK;
		tc_out_write(o, zero, k);
		n -= k;
	}
}

static void
add_file(struct tc_call *c, struct tc_out *o, unsigned fmt, char *path, int err)
{
	struct tc_file *f;

	if (err != 0 && c->err == 0)
		c->err = err;
	f = realloc(c->files, (c->n_files + 1) * sizeof(*f));
	if (f == NULL) {
		SL_WARN(TC_LOG, "recording %s: wrote %s (not reported: out of memory)", c->call_id,
			path);
		free(path);
		return;
	}
	c->files = f;
	f += c->n_files++;
	f->path = path;
	f->ssrc = o->ssrc;
	f->mixed = o->mixed;
	f->format = fmt;
	f->rate_hz = TC_RATE;
	f->channels = o->channels;
	f->frames = o->frames;
	f->error = err;
}

int
tc_out_close(struct tc_call *c, struct tc_out *o)
{
	size_t tag;
	int r;

	if (o->lame != NULL) {
		if (o->mp3_err == 0) {
			r = lame_encode_flush(o->lame, o->mp3buf, TC_MP3BUF);
			if (r > 0 && (r = write_all(o->mp3_fd, o->mp3buf, r)) < 0)
				out_fail(o, &o->mp3_err, o->mp3_path, r);
		}
		if (o->mp3_err == 0) {
			/* replace LAME's placeholder first frame by the Info tag */
			tag = lame_get_lametag_frame(o->lame, o->mp3buf, TC_MP3BUF);
			if (tag > 0 && tag <= TC_MP3BUF &&
				pwrite(o->mp3_fd, o->mp3buf, tag, 0) != (ssize_t)tag)
				out_fail(o, &o->mp3_err, o->mp3_path, -EIO);
		}
		lame_close(o->lame);
		if (close(o->mp3_fd) < 0)
			out_fail(o, &o->mp3_err, o->mp3_path, -errno);
		add_file(c, o, TC_FMT_MP3, o->mp3_path, o->mp3_err);
	}
	if (o->wav != NULL) {
		if (sf_close(o->wav) != 0)
			out_fail(o, &o->wav_err, o->wav_path, -EIO);
		if (close(o->wav_fd) < 0)
			out_fail(o, &o->wav_err, o->wav_path, -errno);
		add_file(c, o, TC_FMT_WAV, o->wav_path, o->wav_err);
	}
	r = o->wav_err != 0 ? o->wav_err : o->mp3_err;
	free(o->mp3buf);
	free(o);
	return r;
}
