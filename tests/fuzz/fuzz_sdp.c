/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP parser (sdp_parse.c) on a hostile body, then the writer (sdp_write.c)
 * on what was parsed, with rewrite options taken from the input.
 *
 * Input: 4 option bytes, then the SDP.
 *   [0] bit 0 replace o=, bit 1 IPv6 addresses, bit 2 session extra line,
 *       bit 3 add c= per media, bits 4-7 passthrough mask (media 0..3)
 *   [1] SDP_STRIP_* classes
 *   [2] port seed (0: reject every media)
 *   [3] bit 0 rtcp-mux, bit 1 a=rtcp, bit 2 ptime, bit 3 RTP profile override,
 *       bit 4 mid, bits 5-6 direction, bit 7 extra lines
 *
 * Properties: the writer never overruns (one byte short gives -ENOSPC and
 * the exact size the same bytes), its output parses again with the media,
 * ports, protocols, directions, a=rtcp and rtcp-mux it was asked to write.
 */
#include <errno.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "common/arena.h"
#include "sdp/sdp.h"
#include "fuzz.h"

/* the relay only changes the profile of RTP media (transport-protocol) */
static const char *const protos[] = {"RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF", "RTP/AVPF"};
static const char *const extra_mid[] = {"a=ice-ufrag:abcd", "a=ice-pwd:0123456789abcdefghijkl"};
static const char *const extra_tail[] = {"a=end-of-candidates"};
static const char *const session_extra[] = {"a=group:BUNDLE 0"};

static void
options(const uint8_t *o, const struct sdp_session *in, struct sdp_out *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	sl_ip_parse(o[0] & 2 ? "2001:db8::1" : "198.18.0.1", &out->session_addr);
	out->replace_origin = o[0] & 1;
	out->origin_addr = out->session_addr;
	if (o[0] & 4) {
		out->n_session_extra = 1;
		out->session_extra = session_extra;
	}
	for (i = 0; i < in->n_media; i++) {
		struct sdp_media_out *mo = &out->media[i];

		mo->passthrough = i < 4 && (o[0] >> (4 + i)) & 1;
		mo->port = o[2] == 0 ? 0 : (uint16_t)(30000 + 2 * (o[2] + i));
		mo->addr = out->session_addr;
		mo->add_conn = o[0] & 8;
		mo->strip = o[1];
		mo->rtcp_mux = o[3] & 1;
		mo->rtcp_port = o[3] & 2 ? (uint16_t)(mo->port + 1) : 0;
		mo->ptime = o[3] & 4 ? 20 : 0;
		mo->proto = (o[3] & 8) && in->media[i].is_rtp ? protos[(o[2] + i) % 4] : NULL;
		mo->mid = o[3] & 16 ? "0" : NULL;
		mo->dir = (enum sdp_dir)((o[3] >> 5) & 3);
		if (o[3] & 128) {
			mo->n_extra_mid = 2;
			mo->extra_mid = extra_mid;
			mo->n_extra_tail = 1;
			mo->extra_tail = extra_tail;
		}
	}
}

static void
check_reparse(const char *buf, long n, const struct sdp_session *in, const struct sdp_out *out)
{
	struct sdp_session s2;
	struct sl_arena a;
	const char *err;
	unsigned i;

	/* written bytes are SDP text: no NUL, no CR outside a CRLF */
	for (i = 0; i < (unsigned long)n; i++) {
		FUZZ_CHECK(buf[i] != '\0');
		if (buf[i] == '\r')
			FUZZ_CHECK(i + 1 < (unsigned long)n && buf[i + 1] == '\n');
	}
	sl_arena_init(&a, 16384);
	FUZZ_CHECK(sdp_parse(&a, buf, (size_t)n, &s2, &err) == 0);
	FUZZ_CHECK(s2.n_media == in->n_media);
	for (i = 0; i < in->n_media; i++) {
		const struct sdp_media_out *mo = &out->media[i];
		const struct sdp_media *m = &s2.media[i];
		enum sdp_dir d = mo->dir == SDP_DIR_NONE ? SDP_DIR_SENDRECV : mo->dir;

		if (mo->passthrough) {
			FUZZ_CHECK(m->port == in->media[i].port);
			continue;
		}
		FUZZ_CHECK(m->port == mo->port);
		FUZZ_CHECK(m->n_pt == in->media[i].n_pt);
		if (mo->proto != NULL)
			FUZZ_CHECK(m->proto.len == strlen(mo->proto) &&
				   memcmp(m->proto.s, mo->proto, m->proto.len) == 0);
		FUZZ_CHECK(m->dir == d);
		FUZZ_CHECK(m->rtcp_mux == mo->rtcp_mux);
		FUZZ_CHECK(m->has_rtcp == (mo->rtcp_port != 0));
		if (mo->rtcp_port != 0)
			FUZZ_CHECK(m->rtcp_port == mo->rtcp_port);
	}
	sl_arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_session s;
	struct sdp_out out;
	struct sl_arena a;
	const char *err = NULL;
	char *body, *buf, *buf2;
	size_t cap;
	long n;
	unsigned i;

	if (size < 4)
		return 0;
	body = fuzz_dup(data + 4, size - 4, 0);
	sl_arena_init(&a, 16384);
	if (sdp_parse(&a, body, size - 4, &s, &err) < 0) {
		FUZZ_CHECK(err != NULL);
		goto out;
	}
	options(data, &s, &out);
	/* lines at most double (c=, CRLF); per media up to 64 added rtpmaps and fixed lines */
	cap = 3 * size + 2048 * (s.n_media + 1) + 4096;
	buf = malloc(cap);
	FUZZ_CHECK(buf != NULL);
	n = sdp_write(&s, &out, buf, cap);
	FUZZ_CHECK(n >= 0);
	buf2 = malloc((size_t)n + 1);
	FUZZ_CHECK(buf2 != NULL);
	FUZZ_CHECK(sdp_write(&s, &out, buf2, (size_t)n) == n);
	FUZZ_CHECK(memcmp(buf, buf2, (size_t)n) == 0);
	if (n > 0)
		FUZZ_CHECK(sdp_write(&s, &out, buf2, (size_t)n - 1) == -ENOSPC);
	free(buf2);
	/* the writer adds lines per section; the reader caps them at SDP_MAX_LINES */
	for (i = 0; i < s.n_media && s.media[i].n_lines < SDP_MAX_LINES - 2 * SDP_MAX_PT - 16; i++)
		;
	if (i == s.n_media && s.n_lines < SDP_MAX_LINES - 1)
		check_reparse(buf, n, &s, &out);
	free(buf);
	for (i = 0; i < s.n_media; i++) {
		sdp_media_conn(&s, i);
		sdp_media_dir(&s, i);
	}
out:
	sl_arena_free(&a);
	free(body);
	return 0;
}
