/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in recorder's input (record/tc_rtp.c: tc_call_packet): tapped,
 * decrypted RTP packets of a call, as the transcoder thread gets them, and
 * the SDP rtpmap values it maps payload types with (tc_call_ptmap).
 *
 * Input: [config: 1 byte][payload type: 1 byte][rtpmap value up to '\n'],
 * then packets [party: 1 byte][arrival step ms: 1 byte][length: 2 bytes][RTP].
 * config bit 0: write WAV files (into a private temporary directory, emptied
 * after each input), bit 1: channels mix instead of direct, bits 2-3: mix
 * inputs, bits 4-5: outputs (single, mixed). Arrival steps stay below 256 ms
 * so that a recording of one input stays small.
 * Properties: every packet is either consumed or refused with the documented
 * errors; the counters add up; close finalises without error.
 */
#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include "common/log.h"
#include "record/tc.h"
#include "fuzz.h"

static char dir[] = "/tmp/sluice-fuzz-tc-XXXXXX";

static void
empty_dir(void)
{
	char path[sizeof(dir) + 300];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

static void
cleanup(void)
{
	empty_dir();
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* errors only: per-call notices would drown libFuzzer's output */
	sl_log_init(SL_LOG_ERR, 1);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct tc_params p;
	struct tc_result *res = NULL;
	struct tc_packet pk;
	struct tc_stats st;
	struct tc_call *c;
	const uint8_t *raw, *nl;
	uint64_t now = 5000000000ull;
	uint8_t cfg, pt;
	char *rtpmap, *pl;
	size_t n;
	unsigned sent = 0;
	int rc;

	cfg = fuzz_u8(&in);
	pt = fuzz_u8(&in);
	nl = memchr(in.p, '\n', in.n);
	n = fuzz_take(&in, nl != NULL ? (size_t)(nl - in.p) : in.n, &raw);
	fuzz_u8(&in); /* the '\n' */
	rtpmap = fuzz_dup(raw, n > 64 ? 64 : n, 1);

	memset(&p, 0, sizeof(p));
	p.output_dir = dir;
	p.call_id = "fuzz-call";
	p.random_tag = "0123abcd";
	p.formats = cfg & 1 ? TC_FMT_WAV : 0;
	p.mix_method = cfg & 2 ? TC_MIX_CHANNELS : TC_MIX_DIRECT;
	p.mix_inputs = (cfg >> 2) & 3;
	p.outputs = (cfg >> 4) & 3;
	p.start_wall_ns = 1700000000ull * 1000000000ull;
	p.start_mono_ns = now;
	FUZZ_CHECK(tc_params_check(&p) == 0);
	c = tc_call_open(&p);
	FUZZ_CHECK(c != NULL);
	tc_call_party(c, 0, "caller");
	tc_call_ptmap(c, pt, rtpmap);
	tc_call_ptmap(c, 96, "PCMA/8000");
	tc_call_ptmap(c, 101, "telephone-event/8000");

	while (in.n >= 4) {
		pk.party = fuzz_u8(&in) & 3;
		now += (uint64_t)fuzz_u8(&in) * 1000000u;
		n = fuzz_take(&in, fuzz_u16(&in) % 4096, &raw);
		pl = fuzz_dup(raw, n, 0);
		pk.data = (const uint8_t *)pl;
		pk.len = (uint32_t)n;
		pk.arrival_ns = now;
		pk.label = pk.party == 1 ? "callee" : NULL;
		rc = tc_call_packet(c, &pk);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOSPC);
		sent++;
		free(pl);
	}
	tc_call_tick(c, now + 2000000000ull);
	tc_call_stats(c, &st);
	FUZZ_CHECK(st.packets == sent);
	FUZZ_CHECK(st.decoded + st.malformed + st.duplicates + st.late + st.events + st.skipped +
			   st.no_slot <=
		   sent);
	rc = tc_call_close(c, &res);
	FUZZ_CHECK(rc == 0);
	tc_result_free(res);
	free(rtpmap);
	if (p.formats != 0)
		empty_dir();
	return 0;
}
