/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording transcoder: parameters, the call's lifecycle, parties and
 * payload type maps, and the result handed back at close. The packet path
 * is in tc_rtp.c, the mixer in tc_mix.c, files and names in tc_out.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "record/tc_priv.h"

void
tc_note(struct tc_call *c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	SL_NOTICE(TC_LOG, "recording %s: %s", c->call_id, buf);
	if (c->n_notes < TC_MAX_NOTES) {
		c->notes[c->n_notes] = strdup(buf);
		if (c->notes[c->n_notes] != NULL)
			c->n_notes++;
	}
}

/* Does the pattern use %<ch> (not counting %%)? */
static int
pattern_has(const char *pat, char ch)
{
	for (; *pat != '\0'; pat++) {
		if (*pat != '%')
			continue;
		if (pat[1] == ch)
			return 1;
		if (pat[1] == '\0')
			break;
		pat++;
	}
	return 0;
}

static const char *
pattern_of(const struct tc_params *p)
{
	if (p->output_pattern != NULL && p->output_pattern[0] != '\0')
		return p->output_pattern;
	return TC_DEFAULT_PATTERN;
}

int
tc_params_check(const struct tc_params *p)
{
	const char *pat;
	unsigned nin;

	if (p == NULL)
		return -EINVAL;
	pat = pattern_of(p);
	if (p->call_id == NULL || p->call_id[0] == '\0') {
		SL_WARN(TC_LOG, "recording: no call-id");
		return -EINVAL;
	}
	if ((p->formats & ~(TC_FMT_WAV | TC_FMT_MP3)) != 0 ||
		(p->outputs & ~(TC_OUT_SINGLE | TC_OUT_MIXED)) != 0 ||
		(p->mix_method != TC_MIX_DIRECT && p->mix_method != TC_MIX_CHANNELS) ||
		p->mix_inputs > TC_MIX_MAX) {
		SL_WARN(TC_LOG, "recording: bad format/output/mix settings");
		return -EINVAL;
	}
	if (p->formats != 0 && (p->output_dir == NULL || p->output_dir[0] == '\0')) {
		SL_WARN(TC_LOG, "recording: no output directory");
		return -EINVAL;
	}
	if (!pattern_has(pat, 'c') || !pattern_has(pat, 't')) {
		SL_WARN(TC_LOG, "recording: output pattern '%s' needs %%c and %%t", pat);
		return -EINVAL;
	}
	nin = p->mix_inputs != 0 ? p->mix_inputs : p->mix_method == TC_MIX_CHANNELS ? 2 : 4;
	if (p->formats & TC_FMT_MP3) {
		/* MPEG-2.5 layer III, the only MP3 at 8 kHz, stops at 64 kbit/s */
		if (p->mp3_bitrate < 8000 || p->mp3_bitrate > 64000) {
			SL_WARN(TC_LOG, "recording: mp3 bitrate %u bit/s: 8000..64000 at 8 kHz",
				p->mp3_bitrate);
			return -EINVAL;
		}
		if (p->mix_method == TC_MIX_CHANNELS && nin > 2 &&
			(p->outputs == 0 || (p->outputs & TC_OUT_MIXED))) {
			SL_WARN(TC_LOG,
				"recording: mp3 holds at most 2 channels: "
				"mix %u inputs into wav or use mix_inputs <= 2",
				nin);
			return -EINVAL;
		}
	}
	return 0;
}

static void
ptmap_defaults(uint8_t *map)
{
	unsigned pt;

	/* RFC 3551 table 4: static audio PTs; 96..127 need an rtpmap */
	for (pt = 0; pt < 128; pt++)
		map[pt] = pt < 96 ? TC_C_OTHER : TC_C_UNMAPPED;
	map[0] = TC_C_PCMU;
	map[8] = TC_C_PCMA;
	map[9] = TC_C_G722;
	map[13] = TC_C_CN;
}

static void
call_free(struct tc_call *c)
{
	unsigned i;

	tc_mix_free(c);
	for (i = 0; i < c->n_streams; i++)
		free(c->streams[i].ring);
	for (i = 0; i < c->n_parties; i++)
		free(c->parties[i].label);
	for (i = 0; i < c->n_notes; i++)
		free(c->notes[i]);
	for (i = 0; i < c->n_files; i++)
		free(c->files[i].path);
	free(c->files);
	free(c->pattern);
	free(c->dir);
	free(c->call_id);
	free(c->tag);
	free(c->meta);
	free(c);
}

struct tc_call *
tc_call_open(const struct tc_params *p)
{
	struct tc_call *c;
	struct timespec ts;
	int rc;

	rc = tc_params_check(p);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->p = *p;
	c->pattern = strdup(pattern_of(p));
	c->dir = strdup(p->output_dir != NULL ? p->output_dir : "");
	c->call_id = strdup(p->call_id);
	c->tag = strdup(p->random_tag != NULL ? p->random_tag : "");
	c->meta = strdup(p->metadata != NULL ? p->metadata : "");
	if (c->pattern == NULL || c->dir == NULL || c->call_id == NULL || c->tag == NULL ||
		c->meta == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	/* from here on c->p only points at our own copies */
	c->p.output_pattern = c->pattern;
	c->p.output_dir = c->dir;
	c->p.call_id = c->call_id;
	c->p.random_tag = c->tag;
	c->p.metadata = c->meta;
	if (c->p.outputs == 0)
		c->p.outputs = TC_OUT_SINGLE | TC_OUT_MIXED;
	if (c->p.mix_inputs == 0)
		c->p.mix_inputs = c->p.mix_method == TC_MIX_CHANNELS ? 2 : 4;
	if (c->p.start_wall_ns == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		c->p.start_wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	}
	if (c->p.file_mode == 0)
		c->p.file_mode = 0640;
	if (c->p.dir_mode == 0)
		c->p.dir_mode = 0700;
	if (p->start_mono_ns != 0) {
		c->start_mono_ns = p->start_mono_ns;
		c->now_ns = p->start_mono_ns;
		c->have_start = true;
	}
	ptmap_defaults(c->ptmap);
	rc = tc_mix_init(c);
	if (rc < 0)
		goto fail;
	SL_INFO(TC_LOG, "recording %s: open (formats %#x outputs %#x mix %s/%u)", c->call_id,
		c->p.formats, c->p.outputs,
		c->p.mix_method == TC_MIX_CHANNELS ? "channels" : "direct", c->p.mix_inputs);
	return c;
fail:
	call_free(c);
	errno = -rc;
	return NULL;
}

struct tc_party *
tc_party_get(struct tc_call *c, uint32_t id, const char *label, int *err)
{
	struct tc_party *pa;
	unsigned i;

	for (i = 0; i < c->n_parties; i++) {
		pa = &c->parties[i];
		if (pa->id != id)
			continue;
		if (pa->label == NULL && label != NULL)
			pa->label = strndup(label, TC_MAX_LABEL - 1); /* NULL: stays unset */
		return pa;
	}
	if (c->n_parties == TC_MAX_PARTIES) {
		*err = -ENOSPC;
		return NULL;
	}
	pa = &c->parties[c->n_parties];
	pa->id = id;
	pa->slot = -1;
	pa->label = NULL;
	if (label != NULL) {
		pa->label = strndup(label, TC_MAX_LABEL - 1);
		if (pa->label == NULL) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	c->n_parties++;
	tc_mix_slot(c, pa);
	return pa;
}

int
tc_call_party(struct tc_call *c, uint32_t party, const char *label)
{
	int err = 0;

	if (c == NULL)
		return -EINVAL;
	return tc_party_get(c, party, label, &err) != NULL ? 0 : err;
}

int
tc_call_ptmap(struct tc_call *c, unsigned pt, const char *rtpmap)
{
	const char *slash;
	size_t n;
	long rate;
	char *end;
	uint8_t cd;

	if (c == NULL || pt > 127 || rtpmap == NULL)
		return -EINVAL;
	slash = strchr(rtpmap, '/');
	if (slash == NULL || slash == rtpmap)
		return -EINVAL;
	n = slash - rtpmap;
	rate = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || (*end != '\0' && *end != '/') || rate <= 0)
		return -EINVAL;
	/* RFC 4855: encoding names are case-insensitive */
	if (n == 4 && strncasecmp(rtpmap, "PCMU", 4) == 0 && rate == 8000)
		cd = TC_C_PCMU;
	else if (n == 4 && strncasecmp(rtpmap, "PCMA", 4) == 0 && rate == 8000)
		cd = TC_C_PCMA;
	else if (n == 4 && strncasecmp(rtpmap, "G722", 4) == 0)
		cd = TC_C_G722;
	else if (n == 15 && strncasecmp(rtpmap, "telephone-event", 15) == 0)
		cd = TC_C_EVENT;
	else if (n == 2 && strncasecmp(rtpmap, "CN", 2) == 0)
		cd = TC_C_CN;
	else
		cd = TC_C_OTHER;
	c->ptmap[pt] = cd;
	return 0;
}

void
tc_call_stats(const struct tc_call *c, struct tc_stats *st)
{
	*st = c->st;
}

int
tc_call_close(struct tc_call *c, struct tc_result **res)
{
	struct tc_result *r;
	struct tc_stream *s;
	unsigned i;
	int rc;

	if (res != NULL)
		*res = NULL;
	if (c == NULL)
		return -EINVAL;
	for (i = 0; i < c->n_streams; i++) {
		s = &c->streams[i];
		if (s->head - s->start > (int64_t)s->placed)
			c->st.fill_samples += s->head - s->start - s->placed;
		if (s->out == NULL)
			continue;
		tc_stream_flush(s, s->head);
		tc_out_close(c, s->out);
		s->out = NULL;
	}
	tc_mix_finish(c);
	SL_INFO(TC_LOG,
		"recording %s: closed, %u files, %" PRIu64 " packets (%" PRIu64 " decoded, %" PRIu64
		" lost to lateness, %" PRIu64 " skipped)",
		c->call_id, c->n_files, c->st.packets, c->st.decoded, c->st.late, c->st.skipped);
	rc = c->err;
	if (res != NULL) {
		r = calloc(1, sizeof(*r));
		if (r != NULL && c->n_notes > 0)
			r->notes = calloc(c->n_notes, sizeof(*r->notes));
		if (r != NULL && (c->n_notes == 0 || r->notes != NULL)) {
			/* hand the paths and notes over instead of copying them */
			r->files = c->files;
			r->n_files = c->n_files;
			c->files = NULL;
			c->n_files = 0;
			if (c->n_notes > 0)
				memcpy(r->notes, c->notes, c->n_notes * sizeof(*r->notes));
			r->n_notes = c->n_notes;
			c->n_notes = 0;
			r->stats = c->st;
			*res = r;
		} else {
			free(r);
			if (rc == 0)
				rc = -ENOMEM;
		}
	}
	call_free(c);
	return rc;
}

void
tc_result_free(struct tc_result *r)
{
	unsigned i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_files; i++)
		free(r->files[i].path);
	for (i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->files);
	free(r->notes);
	free(r);
}
