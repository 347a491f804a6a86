/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording of a call (control thread): the slot on the recording lcore,
 * the spool's metadata file, and the tap flag on the call's flows.
 * rtpengine-compat.md 3.7 and 7.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "crypto/crypto.h"
#include "record/rec.h"
#include "record/rec_spool.h"

struct call_rec {
	int id;               /* recording slot */
	char tag[17];         /* random 16 hex */
	bool pcap;            /* pcap method: metadata file + pcap */
	bool paused;
	uint64_t start_us;
	struct rec_meta meta;
};

static void
repush_all(struct call *c)
{
	unsigned k, i;

	for (k = 0; k < 2; k++)
		for (i = 0; i < c->party[k].n_media; i++)
			if (c->party[k].media[i] != NULL)
				call_media_repush_flags(c->party[k].media[i]);
}

bool
call_rec_active(const struct call *c)
{
	return c->rec != NULL;
}

int
call_rec_id(const struct call *c)
{
	return c->rec != NULL ? c->rec->id : -1;
}

const char *
call_rec_pcap(const struct call *c)
{
	return c->rec != NULL && c->rec->pcap ? c->rec->meta.pcap_path : NULL;
}

/* the SDPs the parties were sent so far, for a recording that starts mid-call */
static void
rec_old_sdps(struct call *c, uint64_t now_us)
{
	unsigned k;

	for (k = 0; k < 2; k++) {
		const struct call_party *p = &c->party[k];

		if (p->sdp_out != NULL)
			rec_meta_sdp(&c->rec->meta, p->label, p->sdp_out_answer ? "answer" : "offer",
				now_us, rec_slot_packets((unsigned)c->rec->id) + 1, p->sdp_out,
				strlen(p->sdp_out));
	}
}

/* the built-in recorder names files by party and decodes by payload type */
static void
rec_parties(const struct call *c, struct rec_open *o)
{
	unsigned k, i;

	for (k = 0; k < 2; k++) {
		const struct call_party *p = &c->party[k];
		const char *s;

		for (i = 0; i < p->n_media && o->n_parties < 4; i++) {
			const struct call_media *m = p->media[i];

			if (m == NULL || !m->sock.allocated || strcmp(m->type, "audio") != 0)
				continue;
			o->parties[o->n_parties].port = m->sock.port;
			snprintf(o->parties[o->n_parties].label, sizeof(o->parties[0].label), "%s",
				p->label != NULL ? p->label : "");
			o->n_parties++;
			break;
		}
		/* a=rtpmap lines of what the party was sent: payload type -> encoding */
		for (s = p->sdp_out; s != NULL && (s = strstr(s, "a=rtpmap:")) != NULL; s++) {
			unsigned pt;
			char map[32];

			if (o->n_pt < 16 && sscanf(s, "a=rtpmap:%u %31[^\r\n]", &pt, map) == 2 &&
				pt < 128) {
				o->pt[o->n_pt].pt = (uint8_t)pt;
				snprintf(o->pt[o->n_pt].map, sizeof(o->pt[0].map), "%s", map);
				o->n_pt++;
			}
		}
	}
}

const char *
call_rec_start(struct call *c, uint64_t now_us)
{
	const struct sl_config *cfg = call_cfg;
	struct rec_open o;
	struct call_rec *r;
	int id, rc;

	if (!rec_enabled())
		return "Recording not enabled (no --recording-dir)";
	if (c->rec != NULL) {
		if (c->rec->paused) {
			c->rec->paused = false;
			rec_slot_pause((unsigned)c->rec->id, false);
		}
		return NULL;
	}
	id = rec_slot_alloc();
	if (id < 0)
		return "Too many recordings";
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rec_slot_close((unsigned)id, true, NULL);
		return "Out of memory";
	}
	r->id = id;
	r->start_us = now_us;
	sl_random_hex(r->tag, 8);
	r->pcap = cfg->recording_method != 1;
	memset(&o, 0, sizeof(o));
	if (r->pcap) {
		rc = rec_meta_open(&r->meta, rec_spool_dir(), c->call_id, r->tag);
		if (rc < 0) {
			SL_WARN("rec", "call %s: cannot write metadata: %s", c->call_id, strerror(-rc));
			rec_slot_close((unsigned)id, true, NULL);
			free(r);
			return "Cannot write recording files";
		}
		snprintf(o.pcap_path, sizeof(o.pcap_path), "%s", r->meta.pcap_path);
	}
	o.transcode = cfg->recording_method != 0;
	snprintf(o.call_id, sizeof(o.call_id), "%s", c->call_id);
	snprintf(o.tag, sizeof(o.tag), "%s", r->tag);
	snprintf(o.metadata, sizeof(o.metadata), "%s", c->metadata != NULL ? c->metadata : "");
	o.start_real_us = c->created_us;
	rec_parties(c, &o);
	if (rec_slot_open((unsigned)id, &o) < 0) {
		if (r->pcap)
			rec_meta_close(&r->meta, 0, 0, NULL, true);
		rec_slot_close((unsigned)id, true, NULL);
		free(r);
		return "Recording busy";
	}
	c->rec = r;
	if (r->pcap)
		rec_old_sdps(c, now_us);
	repush_all(c);
	SL_INFO("rec", "call %s: recording (slot %d)%s%s", c->call_id, id, r->pcap ? " to " : "",
		r->pcap ? r->meta.pcap_path : "");
	return NULL;
}

void
call_rec_pause(struct call *c, uint64_t now_us)
{
	if (c->rec == NULL || c->rec->paused)
		return;
	c->rec->paused = true;
	rec_slot_pause((unsigned)c->rec->id, true);
	if (c->rec->pcap)
		rec_meta_paused(&c->rec->meta, now_us);
}

void
call_rec_stop(struct call *c, bool discard, uint64_t now_us, bool repush)
{
	struct call_rec *r = c->rec;
	bool publish = false;

	if (r == NULL)
		return;
	if (r->pcap) {
		int rc = rec_meta_close(&r->meta, c->created_us, now_us, c->metadata, discard);

		if (rc < 0)
			SL_WARN("rec", "call %s: metadata: %s", c->call_id, strerror(-rc));
		publish = rc == 0 && !discard;
	}
	/* the recording lcore moves the metadata to metadata/ after closing the pcap */
	rec_slot_close((unsigned)r->id, discard, publish ? &r->meta : NULL);
	c->rec = NULL;
	free(r);
	if (repush)
		repush_all(c);
}

void
call_rec_sdp(struct call *c, struct call_party *from, bool answer, const char *sdp, size_t len,
	uint64_t now_us)
{
	char *copy = malloc(len + 1);

	if (copy != NULL) {
		memcpy(copy, sdp, len);
		copy[len] = '\0';
		free(from->sdp_out);
		from->sdp_out = copy;
		from->sdp_out_answer = answer;
	}
	if (c->rec != NULL && call_cfg->recording_method != 0) {
		struct rec_open o;

		memset(&o, 0, sizeof(o));
		rec_parties(c, &o);
		if (rec_slot_info((unsigned)c->rec->id, &o) < 0)
			SL_WARN("rec", "call %s: recorder not told about the new SDP", c->call_id);
	}
	if (c->rec != NULL && c->rec->pcap)
		rec_meta_sdp(&c->rec->meta, from->label, answer ? "answer" : "offer", now_us,
			rec_slot_packets((unsigned)c->rec->id) + 1, sdp, len);
}
