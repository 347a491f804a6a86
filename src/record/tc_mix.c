/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mixed output. Each mix slot (one per party, first come first served, at
 * most mix_inputs) has a ring of TC_MRING samples covering call positions
 * [mpos, mpos + TC_MRING). Streams write decoded samples into their
 * party's ring as they arrive, in any order (a duplicate overwrites the
 * same samples, so nothing is summed twice). The mixer writes the file up
 * to TC_MIX_DELAY behind the newest arrival, in pieces of at least
 * TC_MIX_BATCH, and never past the newest mixed sample, so that a call
 * ended by a media timeout does not end in the timeout's silence. A packet
 * too far ahead for the ring pushes the mixer forward instead of being
 * dropped; one behind mpos is late for the mix.
 *
 * "direct" sums the slots with saturation to 16 bits: two talkers are not
 * attenuated (as dividing by the number of inputs would) and loud double
 * talk clips instead of wrapping around. "channels" gives each slot a
 * channel; a slot whose party never sent stays silent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "record/tc_priv.h"

int
tc_mix_init(struct tc_call *c)
{
	c->nslots = 0;
	if (c->p.formats == 0 || !(c->p.outputs & TC_OUT_MIXED))
		return 0;
	c->nslots = c->p.mix_inputs;
	c->nch = c->p.mix_method == TC_MIX_CHANNELS ? c->nslots : 1;
	c->mix = tc_out_open(c, 0, 1, "mix", c->nch);
	if (c->mix == NULL)
		return -errno;
	return 0;
}

int
tc_mix_slot(struct tc_call *c, struct tc_party *pa)
{
	unsigned used = 0, i;

	if (c->mix == NULL)
		return 0;
	for (i = 0; i < c->n_parties; i++)
		if (c->parties[i].slot >= 0)
			used++;
	if (used >= c->nslots) {
		tc_note(c, "party %u (%s) not mixed: the mix takes %u parties", pa->id,
			pa->label != NULL ? pa->label : "", c->nslots);
		return -ENOSPC;
	}
	c->mring[used] = calloc(TC_MRING, sizeof(int16_t));
	if (c->mring[used] == NULL) {
		tc_note(c, "party %u not mixed: out of memory", pa->id);
		return -ENOMEM;
	}
	pa->slot = used;
	return 0;
}

/* Write the mix up to position 'to'. */
static void
mix_emit(struct tc_call *c, int64_t to)
{
	int16_t *out = c->mixbuf;
	unsigned idx, k, i, ch;
	int32_t sum;

	while (c->mpos < to) {
		if (c->mpos >= c->mhead) {
			/* nothing was placed from here on: every ring is zero */
			tc_out_silence(c->mix, to - c->mpos);
			c->mpos = to;
			return;
		}
		idx = c->mpos & (TC_MRING - 1);
		k = TC_MRING - idx;
		if (k > TC_CHUNK)
			k = TC_CHUNK;
		if (k > to - c->mpos)
			k = to - c->mpos;
		if (c->nch == 1) {
			for (i = 0; i < k; i++) {
				sum = 0;
				for (ch = 0; ch < c->nslots; ch++)
					if (c->mring[ch] != NULL)
						sum += c->mring[ch][idx + i];
				out[i] = sum > INT16_MAX   ? INT16_MAX
					 : sum < INT16_MIN ? INT16_MIN
							   : sum;
			}
		} else {
			for (ch = 0; ch < c->nch; ch++) {
				if (c->mring[ch] == NULL) {
					for (i = 0; i < k; i++)
						out[i * c->nch + ch] = 0;
					continue;
				}
				for (i = 0; i < k; i++)
					out[i * c->nch + ch] = c->mring[ch][idx + i];
			}
		}
		for (ch = 0; ch < c->nslots; ch++)
			if (c->mring[ch] != NULL)
				memset(c->mring[ch] + idx, 0, k * sizeof(int16_t));
		tc_out_write(c->mix, out, k);
		c->mpos += k;
	}
}

int
tc_mix_put(struct tc_call *c, const struct tc_party *pa, int64_t pos, const int16_t *s, unsigned n)
{
	int16_t *ring;
	unsigned idx, k, skip;

	if (pa->slot < 0)
		return 0;
	ring = c->mring[pa->slot];
	if (pos < c->mpos) {
		if (c->mpos - pos >= n)
			return 0;
		skip = c->mpos - pos;
		pos += skip;
		s += skip;
		n -= skip;
	}
	if (pos + n > c->mpos + TC_MRING)
		mix_emit(c, pos + n - TC_MRING);
	idx = pos & (TC_MRING - 1);
	k = n < TC_MRING - idx ? n : TC_MRING - idx;
	memcpy(ring + idx, s, k * sizeof(*s));
	memcpy(ring, s + k, (n - k) * sizeof(*s));
	if (pos + n > c->mhead)
		c->mhead = pos + n;
	return 1;
}

void
tc_mix_poll(struct tc_call *c)
{
	int64_t to;

	if (c->mix == NULL)
		return;
	to = tc_pos_of(c, c->now_ns) - TC_MIX_DELAY;
	if (to > c->mhead)
		to = c->mhead;
	if (to - c->mpos >= TC_MIX_BATCH)
		mix_emit(c, to);
}

void
tc_mix_finish(struct tc_call *c)
{
	if (c->mix == NULL)
		return;
	mix_emit(c, c->mhead);
	tc_out_close(c, c->mix);
	c->mix = NULL;
}

void
tc_mix_free(struct tc_call *c)
{
	unsigned i;

	for (i = 0; i < TC_MIX_MAX; i++) {
		free(c->mring[i]);
		c->mring[i] = NULL;
	}
	if (c->mix != NULL) {
		/* only on an error path of tc_call_open */
		tc_out_close(c, c->mix);
		c->mix = NULL;
	}
}
