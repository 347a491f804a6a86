/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP parser and writer tests. Golden pairs live in tests/sdp/golden/ as
 * NAME.in.sdp / NAME.out.sdp; they are stored with LF line endings so that
 * they read and diff well, and load_sdp() turns them into CRLF (the wire
 * form) unless a test wants the LF-only input. The rewrite parameters of
 * each golden pair are in golden_cases[] below.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "common/addr.h"
#include "common/arena.h"
#include "sdp/sdp.h"

#define GOLDEN_DIR SL_TEST_SRCDIR "/sdp/golden/"

/* -------------------------------------------------------------------------- helpers */

/*
 * Read a golden file into an exactly-sized heap buffer (so that ASan sees any
 * read past the end), with every line ending normalised to CRLF or LF.
 */
static char *
load_sdp(const char *name, bool crlf, size_t *len)
{
	char path[512];
	FILE *f;
	char *raw, *out;
	long n;
	size_t i, o = 0;

	snprintf(path, sizeof(path), GOLDEN_DIR "%s", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	raw = malloc((size_t)n);
	assert_non_null(raw);
	assert_int_equal(fread(raw, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	out = malloc(2 * (size_t)n);
	assert_non_null(out);
	for (i = 0; i < (size_t)n; i++) {
		if (raw[i] == '\r')
			continue;
		if (raw[i] == '\n' && crlf)
			out[o++] = '\r';
		out[o++] = raw[i];
	}
	free(raw);
	*len = o;
	return out;
}

static struct sl_ip
ip(const char *s)
{
	struct sl_ip a;

	assert_int_equal(sl_ip_parse(s, &a), 0);
	return a;
}

static int
parse_str(struct sl_arena *a, const char *s, struct sdp_session *sess, const char **err)
{
	/* exact-size copy without NUL: the parser must not rely on one */
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, n);
	rc = sdp_parse(a, copy, n, sess, err);
	/* the session points into the copy: only its return code is used here */
	free(copy);
	return rc;
}

static void
assert_mem_equal(const char *got, size_t got_len, const char *want, size_t want_len)
{
	if (got_len != want_len || memcmp(got, want, want_len) != 0) {
		print_message("--- expected (%zu bytes)\n%.*s--- got (%zu bytes)\n%.*s---\n",
			want_len, (int)want_len, want, got_len, (int)got_len, got);
		fail_msg("SDP output differs from the golden file");
	}
}

/* ------------------------------------------------------------------ golden cases */

static void
relay_media(struct sdp_media_out *m, const char *addr, uint16_t port, enum sdp_dir dir)
{
	m->addr = ip(addr);
	m->port = port;
	m->rtcp_port = port ? port + 1 : 0;
	m->dir = dir;
}

/* rtpengine-compat.md 4.3, offer toward the callee ("replace-origin") */
static void
setup_offer(struct sdp_out *o)
{
	o->replace_origin = true;
	o->origin_addr = ip("127.0.0.1");
	o->session_addr = ip("127.0.0.1");
	relay_media(&o->media[0], "127.0.0.1", 30028, SDP_DIR_SENDRECV);
}

/* 4.3, callee's answer toward the caller; 10.5 echoes the offerer's ptime */
static void
setup_answer(struct sdp_out *o)
{
	o->replace_origin = true;
	o->origin_addr = ip("127.0.0.1");
	o->session_addr = ip("127.0.0.1");
	relay_media(&o->media[0], "127.0.0.1", 30048, SDP_DIR_SENDRECV);
	o->media[0].ptime = 20;
}

static void
setup_v6_to_v4(struct sdp_out *o)
{
	o->replace_origin = true;
	o->origin_addr = ip("203.0.113.5");
	o->session_addr = ip("203.0.113.5");
	relay_media(&o->media[0], "203.0.113.5", 30000, SDP_DIR_NONE);
}

static void
setup_v4_to_v6(struct sdp_out *o)
{
	o->replace_origin = true;
	o->origin_addr = ip("2001:db8:1::1");
	o->session_addr = ip("2001:db8:1::1");
	relay_media(&o->media[0], "2001:db8:1::1", 31000, SDP_DIR_SENDRECV);
}

static void
setup_two_media(struct sdp_out *o)
{
	relay_media(&o->media[0], "10.0.0.1", 30100, SDP_DIR_SENDRECV);
	relay_media(&o->media[1], "10.0.0.1", 30102, SDP_DIR_RECVONLY);
	o->media[1].rtcp_mux = true;
}

/* AVPF caller toward an AVP callee: rtcp-fb goes, proto changes */
static void
setup_two_media_avp(struct sdp_out *o)
{
	setup_two_media(o);
	o->media[1].proto = "RTP/AVP";
	o->media[1].strip = SDP_STRIP_RTCPFB;
}

/* zero-address hold passed through: family-0 address keeps the input's family */
static void
setup_hold(struct sdp_out *o)
{
	o->replace_origin = true;
	o->origin_addr = ip("127.0.0.1");
	memset(&o->session_addr, 0, sizeof(o->session_addr));
	relay_media(&o->media[0], "127.0.0.1", 30028, SDP_DIR_SENDONLY);
}

static void
setup_hold6(struct sdp_out *o)
{
	relay_media(&o->media[0], "127.0.0.1", 30500, SDP_DIR_SENDONLY);
	memset(&o->media[0].addr, 0, sizeof(o->media[0].addr));
}

static void
setup_rejected(struct sdp_out *o)
{
	relay_media(&o->media[0], "10.0.0.2", 30200, SDP_DIR_SENDRECV);
	/* a rejected media prints the zero address even if given a real one */
	relay_media(&o->media[1], "10.0.0.2", 0, SDP_DIR_INACTIVE);
	memset(&o->media[2], 0, sizeof(o->media[2]));
}

static void
setup_ice(struct sdp_out *o)
{
	o->session_addr = ip("127.0.0.1");
	relay_media(&o->media[0], "127.0.0.1", 30300, SDP_DIR_SENDRECV);
	o->media[0].strip = SDP_STRIP_ICE;
}

static void
setup_ice_plain(struct sdp_out *o)
{
	setup_ice(o);
	o->media[0].strip = SDP_STRIP_ICE | SDP_STRIP_CRYPTO | SDP_STRIP_DTLS;
	o->media[0].proto = "RTP/AVP";
}

/* rtpengine-compat.md 4.4 (1) layout: SDES+DTLS before ptime, ICE after */
static const char *const extras_mid[] = {
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj",
	"a=setup:actpass",
	"a=fingerprint:sha-256 DE:E9:F0:C4:F9",
};
static const char *const extras_tail[] = {
	"a=ice-ufrag:YdjjD2f8",
	"a=ice-pwd:ic1yipRA58Tes2oNYm2HqgKeDh",
	"a=candidate:GyWK3LYccej0F5BA 1 UDP 2130706431 127.0.0.1 30058 typ host",
	"a=candidate:GyWK3LYccej0F5BA 2 UDP 2130706430 127.0.0.1 30059 typ host",
};

static void
setup_extras(struct sdp_out *o)
{
	setup_offer(o);
	relay_media(&o->media[0], "127.0.0.1", 30058, SDP_DIR_SENDRECV);
	o->media[0].proto = "RTP/SAVPF";
	o->media[0].strip = SDP_STRIP_CRYPTO | SDP_STRIP_DTLS | SDP_STRIP_ICE;
	o->media[0].n_extra_mid = 3;
	o->media[0].extra_mid = extras_mid;
	o->media[0].n_extra_tail = 4;
	o->media[0].extra_tail = extras_tail;
}

static void
setup_passthrough(struct sdp_out *o)
{
	o->session_addr = ip("10.0.0.3");
	relay_media(&o->media[0], "10.0.0.3", 30400, SDP_DIR_SENDONLY);
	o->media[1].passthrough = true;
}

struct golden {
	const char *in;
	const char *out;
	void (*setup)(struct sdp_out *o);
	bool lf_in; /* feed the input with LF line endings */
};

static const struct golden golden_cases[] = {
	{"offer_4_3.in.sdp", "offer_4_3.out.sdp", setup_offer, false},
	{"offer_4_3.in.sdp", "offer_4_3.out.sdp", setup_offer, true},
	{"answer_4_3.in.sdp", "answer_4_3.out.sdp", setup_answer, false},
	{"ipv6_to_ipv4.in.sdp", "ipv6_to_ipv4.out.sdp", setup_v6_to_v4, false},
	{"ipv4_to_ipv6.in.sdp", "ipv4_to_ipv6.out.sdp", setup_v4_to_v6, false},
	{"two_media.in.sdp", "two_media.out.sdp", setup_two_media, false},
	{"two_media.in.sdp", "two_media_avp.out.sdp", setup_two_media_avp, true},
	{"hold.in.sdp", "hold.out.sdp", setup_hold, false},
	{"hold6.in.sdp", "hold6.out.sdp", setup_hold6, false},
	{"rejected.in.sdp", "rejected.out.sdp", setup_rejected, false},
	{"ice_crypto.in.sdp", "ice_crypto.out.sdp", setup_ice, false},
	{"ice_crypto.in.sdp", "ice_crypto_plain.out.sdp", setup_ice_plain, false},
	{"offer_4_3.in.sdp", "extras.out.sdp", setup_extras, false},
	{"passthrough.in.sdp", "passthrough.out.sdp", setup_passthrough, false},
};

#define N_GOLDEN (sizeof(golden_cases) / sizeof(golden_cases[0]))

static void
run_golden(const struct golden *g)
{
	struct sl_arena a;
	struct sdp_session s, again;
	struct sdp_out o;
	const char *err = NULL;
	size_t in_len, want_len;
	char *in = load_sdp(g->in, !g->lf_in, &in_len);
	char *want = load_sdp(g->out, true, &want_len);
	char *buf = malloc(want_len + 64);
	long n, m;
	size_t cap;

	print_message("golden %s -> %s%s\n", g->in, g->out, g->lf_in ? " (LF input)" : "");
	assert_non_null(buf);
	sl_arena_init(&a, 0);
	memset(&o, 0, sizeof(o));
	g->setup(&o);
	assert_int_equal(sdp_parse(&a, in, in_len, &s, &err), 0);
	n = sdp_write(&s, &o, buf, want_len + 64);
	assert_true(n >= 0);
	assert_mem_equal(buf, (size_t)n, want, want_len);

	/* the exact size fits; one byte less is -ENOSPC and nothing past cap */
	assert_int_equal(sdp_write(&s, &o, buf, want_len), (long)want_len);
	for (cap = 0; cap < want_len; cap++) {
		memset(buf, 0x5a, want_len + 64);
		assert_int_equal(sdp_write(&s, &o, buf, cap), -ENOSPC);
		for (size_t i = cap; i < want_len + 64; i++)
			assert_int_equal((unsigned char)buf[i], 0x5a);
	}

	/* what we send must parse again, with the same media */
	m = sdp_write(&s, &o, buf, want_len + 64);
	assert_int_equal(sdp_parse(&a, buf, (size_t)m, &again, &err), 0);
	assert_int_equal(again.n_media, s.n_media);

	sl_arena_free(&a);
	free(buf);
	free(want);
	free(in);
}

static void
test_golden(void **state)
{
	size_t i;

	for (i = 0; i < N_GOLDEN; i++)
		run_golden(&golden_cases[i]);
}

/* ------------------------------------------------------------------ parser fields */

static void
test_parse_offer_fields(void **state)
{
	struct sl_arena a;
	struct sdp_session s;
	const struct sdp_media *m;
	const char *err = NULL;
	size_t len;
	char *in = load_sdp("offer_4_3.in.sdp", true, &len);
	struct sl_ip want = ip("192.0.2.10");

	sl_arena_init(&a, 0);
	assert_int_equal(sdp_parse(&a, in, len, &s, &err), 0);
	assert_null(err);
	assert_true(s.origin.present);
	assert_int_equal(s.origin.username.len, 5);
	assert_memory_equal(s.origin.username.s, "alice", 5);
	assert_memory_equal(s.origin.sess_id.s, "2890844526", 10);
	assert_memory_equal(s.origin.nettype.s, "IN", 2);
	assert_memory_equal(s.origin.addrtype.s, "IP4", 3);
	assert_int_equal(s.origin.address.len, 10);
	assert_true(s.conn.present);
	assert_true(sl_ip_eq(&s.conn.ip, &want));
	assert_int_equal(s.dir, SDP_DIR_NONE);
	assert_int_equal(s.n_lines, 5); /* v o s c t */
	assert_int_equal(s.n_attrs, 0);
	assert_memory_equal(s.lines[0].s, "v=0", 3);
	assert_int_equal(s.lines[4].len, 5);

	assert_int_equal(s.n_media, 1);
	m = &s.media[0];
	assert_int_equal(m->line.len, strlen("m=audio 49170 RTP/AVP 0 8 101"));
	assert_memory_equal(m->type.s, "audio", 5);
	assert_int_equal(m->port, 49170);
	assert_int_equal(m->num_ports, 1);
	assert_int_equal(m->proto.len, 7);
	assert_int_equal(m->fmt.len, 7);
	assert_memory_equal(m->fmt.s, "0 8 101", 7);
	assert_true(m->is_rtp);
	assert_int_equal(m->n_pt, 3);
	assert_int_equal(m->pt[0], 0);
	assert_int_equal(m->pt[1], 8);
	assert_int_equal(m->pt[2], 101);
	assert_false(m->conn.present);
	assert_int_equal(m->dir, SDP_DIR_SENDRECV);
	assert_false(m->has_rtcp);
	assert_false(m->rtcp_mux);
	assert_int_equal(m->ptime, 20);
	assert_int_equal(m->n_lines, 6);
	assert_int_equal(m->n_attrs, 6);
	assert_int_equal(m->attrs[3].name_len, 4);
	assert_memory_equal(m->attrs[3].name, "fmtp", 4);
	assert_int_equal(m->attrs[3].value_len, 8);
	assert_memory_equal(m->attrs[3].value, "101 0-16", 8);
	assert_null(m->attrs[5].value);
	assert_int_equal(m->attrs[5].name_len, 8);

	assert_ptr_equal(sdp_media_conn(&s, 0), &s.conn);
	assert_null(sdp_media_conn(&s, 1));
	assert_int_equal(sdp_media_dir(&s, 0), SDP_DIR_SENDRECV);
	sl_arena_free(&a);
	free(in);
}

static const char rich_sdp[] = "v=0\n"
			       "o=- 1 1 IN IP4 192.0.2.1\n"
			       "s=-\n"
			       "t=0 0\n"
			       "a=recvonly\n"
			       "a=group:BUNDLE a\n"
			       "m=audio 4000/2 RTP/AVP 0\n"
			       "c=IN IP4 224.2.1.1/127/2\n"
			       "a=rtcp:53020 IN IP4 126.16.64.4\n"
			       "a=rtcp-mux\n"
			       "a=ptime:30.5\n"
			       "m=video 5000 RTP/SAVPF 96\n"
			       "c=IN IP6 ::\n"
			       "a=rtcp:5001 IN IP6 2001:db8::1\n"
			       "a=inactive\n"
			       "m=image 6000 udptl t38\n"
			       "m=audio 0 RTP/AVP 8\n"
			       "c=IN IP4 0.0.0.0\n"
			       "a=rtcp:9\n";

static void
test_parse_attrs(void **state)
{
	struct sl_arena a;
	struct sdp_session s;
	const char *err = NULL;
	struct sl_ip want;

	sl_arena_init(&a, 0);
	assert_int_equal(sdp_parse(&a, rich_sdp, sizeof(rich_sdp) - 1, &s, &err), 0);
	assert_false(s.conn.present);
	assert_int_equal(s.dir, SDP_DIR_RECVONLY);
	assert_int_equal(s.n_attrs, 2);
	assert_int_equal(s.n_media, 4);

	assert_int_equal(s.media[0].port, 4000);
	assert_int_equal(s.media[0].num_ports, 2);
	want = ip("224.2.1.1");
	assert_true(sl_ip_eq(&s.media[0].conn.ip, &want));
	assert_true(s.media[0].has_rtcp);
	assert_int_equal(s.media[0].rtcp_port, 53020);
	want = ip("126.16.64.4");
	assert_true(sl_ip_eq(&s.media[0].rtcp_ip, &want));
	assert_true(s.media[0].rtcp_mux);
	assert_int_equal(s.media[0].ptime, 0); /* unreadable ptime is ignored */
	assert_int_equal(s.media[0].dir, SDP_DIR_NONE);
	assert_int_equal(sdp_media_dir(&s, 0), SDP_DIR_RECVONLY);
	assert_ptr_equal(sdp_media_conn(&s, 0), &s.media[0].conn);

	/* hold address: bytes zero, family kept */
	assert_true(sl_ip_is_any(&s.media[1].conn.ip));
	assert_int_equal(s.media[1].conn.ip.family, AF_INET6);
	want = ip("2001:db8::1");
	assert_true(sl_ip_eq(&s.media[1].rtcp_ip, &want));
	assert_int_equal(sdp_media_dir(&s, 1), SDP_DIR_INACTIVE);
	assert_int_equal(s.media[1].pt[0], 96);

	assert_false(s.media[2].is_rtp);
	assert_int_equal(s.media[2].n_pt, 0);
	assert_int_equal(s.media[2].fmt.len, 3);
	assert_null(sdp_media_conn(&s, 2)); /* incomplete: caller must decide */
	assert_int_equal(s.media[2].n_lines, 0);
	assert_null(s.media[2].lines);

	assert_int_equal(s.media[3].port, 0);
	assert_true(sl_ip_is_any(&s.media[3].conn.ip));
	assert_int_equal(s.media[3].conn.ip.family, AF_INET);
	assert_int_equal(s.media[3].rtcp_port, 9);
	assert_int_equal(s.media[3].rtcp_ip.family, 0);

	assert_int_equal(sdp_media_dir(&s, 9), SDP_DIR_NONE);
	assert_null(sdp_media_conn(&s, 9));
	sl_arena_free(&a);
}

/* missing final line ending, trailing blanks, CR CR LF, blank lines */
static void
test_parse_line_endings(void **state)
{
	static const char in[] = "v=0 \r\n"
				 "o=- 1 1 IN IP4 192.0.2.1\t\r\r\n"
				 "s=-\n"
				 "t=0 0\r\n"
				 "\r\n"
				 "m=audio 4000 RTP/AVP 0 8  \n"
				 "a=sendonly";
	static const char want[] = "v=0\r\n"
				   "o=- 1 1 IN IP4 192.0.2.1\r\n"
				   "s=-\r\n"
				   "t=0 0\r\n"
				   "m=audio 4000 RTP/AVP 0 8\r\n"
				   "a=rtpmap:0 PCMU/8000\r\n"
				   "a=rtpmap:8 PCMA/8000\r\n"
				   "a=sendonly\r\n";
	struct sl_arena a;
	struct sdp_session s;
	struct sdp_out o;
	const char *err = NULL;
	char buf[512];
	long n;

	sl_arena_init(&a, 0);
	assert_int_equal(sdp_parse(&a, in, sizeof(in) - 1, &s, &err), 0);
	assert_int_equal(s.media[0].n_pt, 2);
	assert_int_equal(s.media[0].dir, SDP_DIR_SENDONLY);
	memset(&o, 0, sizeof(o));
	o.media[0].port = 4000;
	o.media[0].dir = SDP_DIR_SENDONLY;
	n = sdp_write(&s, &o, buf, sizeof(buf));
	assert_mem_equal(buf, n < 0 ? 0 : (size_t)n, want, sizeof(want) - 1);
	sl_arena_free(&a);
}

/* ------------------------------------------------------------------ parser errors */

struct bad {
	const char *sdp;
	const char *err; /* expected error string */
};

static const struct bad bad_cases[] = {
	{"", "SDP does not start with v=0"},
	{"o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", "SDP does not start with v=0"},
	{"v=1\r\n", "SDP does not start with v=0"},
	{"\r\nv=0\r\n", "SDP does not start with v=0"},
	{"v=0\r\nm=audio 99999 RTP/AVP 0\r\n", "invalid port in m= line"},
	{"v=0\r\nm=audio abc RTP/AVP 0\r\n", "invalid port in m= line"},
	{"v=0\r\nm=audio -1 RTP/AVP 0\r\n", "invalid port in m= line"},
	{"v=0\r\nm=audio 65536 RTP/AVP 0\r\n", "invalid port in m= line"},
	{"v=0\r\nm=audio 99999999999999999999999 RTP/AVP 0\r\n", "invalid port in m= line"},
	{"v=0\r\nm=audio /2 RTP/AVP 0\r\n", "invalid port in m= line"},
	{"v=0\r\nm=audio 4000/0 RTP/AVP 0\r\n", "invalid port count in m= line"},
	{"v=0\r\nm=audio 4000/ RTP/AVP 0\r\n", "invalid port count in m= line"},
	{"v=0\r\nm=audio 4000 RTP/AVP\r\n", "m= line without formats"},
	{"v=0\r\nm=audio 4000 RTP/AVP   \r\n", "m= line without formats"},
	{"v=0\r\nm=audio 4000\r\n", "incomplete m= line"},
	{"v=0\r\nm=\r\n", "incomplete m= line"},
	{"v=0\r\nm=audio 4000 RTP/AVP 128\r\n", "invalid payload type in m= line"},
	{"v=0\r\nm=audio 4000 RTP/AVP 0 x\r\n", "invalid payload type in m= line"},
	{"v=0\r\nm=audio 4000 RTP/AVP 0 -8\r\n", "invalid payload type in m= line"},
	{"v=0\r\nc=IN IP4 999.1.1.1\r\n", "invalid c= line"},
	{"v=0\r\nc=IN IP4 ::1\r\n", "invalid c= line"},
	{"v=0\r\nc=IN IP6 192.0.2.1\r\n", "invalid c= line"},
	{"v=0\r\nc=IN IP4 host.example.com\r\n", "invalid c= line"},
	{"v=0\r\nc=IN IP5 192.0.2.1\r\n", "invalid c= line"},
	{"v=0\r\nc=XX IP4 192.0.2.1\r\n", "invalid c= line"},
	{"v=0\r\nc=IN IP4\r\n", "invalid c= line"},
	{"v=0\r\nc=IN IP4 192.0.2.1 x\r\n", "invalid c= line"},
	{"v=0\r\nc=IN IP4 224.2.1.1/x\r\n", "invalid c= line"},
	{"v=0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 1.2.3\r\n", "invalid c= line"},
	{"v=0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", "duplicate c= line"},
	{"v=0\r\no=- 1 1 IN IP4\r\n", "invalid o= line"},
	{"v=0\r\no=- 1 1 IN IP4 1.2.3.4 x\r\n", "invalid o= line"},
	{"v=0\r\no=- 1 1 IN IP4 a\r\no=- 1 1 IN IP4 a\r\n", "duplicate o= line"},
	{"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:abc\r\n", "invalid a=rtcp line"},
	{"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp\r\n", "invalid a=rtcp line"},
	{"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:70000\r\n", "invalid a=rtcp line"},
	{"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:5 IN IP4\r\n", "invalid a=rtcp line"},
	{"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:5 IN IP4 ::1\r\n", "invalid a=rtcp line"},
	{"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:5 IN IP4 1.2.3.4/8\r\n", "invalid a=rtcp line"},
	{"v=0\r\ns\r\n", "SDP line is not <letter>=<value>"},
	{"v=0\r\ns=-\r\nt", "SDP line is not <letter>=<value>"},
	{"v=0\r\nS=-\r\n", "SDP line is not <letter>=<value>"},
	{"v=0\r\n=x\r\n", "SDP line is not <letter>=<value>"},
	{"v=0\r\n s=x\r\n", "SDP line is not <letter>=<value>"},
	{"v=0\r\ns=a\rb=c\r\n", "invalid character in SDP line"},
	{"\x7f\x45\x4c\x46\x02\x01\x01\x00\xff\xfe", "SDP does not start with v=0"},
	{"v=0\r\n\x89PNG\r\n\x1a\n", "SDP line is not <letter>=<value>"},
};

static void
test_parse_errors(void **state)
{
	struct sl_arena a;
	struct sdp_session s;
	const char *err;
	size_t i;

	sl_arena_init(&a, 0);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		err = NULL;
		print_message("bad SDP #%zu\n", i);
		assert_int_equal(parse_str(&a, bad_cases[i].sdp, &s, &err), -EINVAL);
		assert_non_null(err);
		assert_string_equal(err, bad_cases[i].err);
	}
	/* NUL inside a line (strlen-based parse_str cannot carry it) */
	err = NULL;
	assert_int_equal(sdp_parse(&a, "v=0\r\ns=a\0b\r\n", 12, &s, &err), -EINVAL);
	assert_string_equal(err, "invalid character in SDP line");
	assert_int_equal(sdp_parse(&a, NULL, 0, &s, NULL), -EINVAL);
	sl_arena_free(&a);
}

/* Build "v=0\r\n" + @p n copies of @p line; caller frees. */
static char *
repeat_sdp(const char *head, const char *line, unsigned n, size_t *len)
{
	size_t hl = strlen(head), ll = strlen(line);
	char *buf = malloc(hl + ll * n + 1);
	unsigned i;

	assert_non_null(buf);
	memcpy(buf, head, hl);
	for (i = 0; i < n; i++)
		memcpy(buf + hl + ll * i, line, ll);
	*len = hl + ll * n;
	return buf;
}

static void
check_limit(const char *head, const char *line, unsigned ok_n, const char *errstr)
{
	struct sl_arena a;
	struct sdp_session s;
	const char *err = NULL;
	size_t len;
	char *buf;

	sl_arena_init(&a, 0);
	buf = repeat_sdp(head, line, ok_n, &len);
	assert_int_equal(sdp_parse(&a, buf, len, &s, &err), 0);
	free(buf);
	buf = repeat_sdp(head, line, ok_n + 1, &len);
	assert_int_equal(sdp_parse(&a, buf, len, &s, &err), -EINVAL);
	assert_string_equal(err, errstr);
	free(buf);
	sl_arena_free(&a);
}

static void
test_parse_limits(void **state)
{
	char mline[16 + 4 * (SDP_MAX_PT + 1)];
	struct sl_arena a;
	struct sdp_session s;
	const char *err = NULL;
	unsigned i;
	size_t n;

	check_limit(
		"v=0\r\n", "m=audio 4000 RTP/AVP 0\r\n", SDP_MAX_MEDIA, "too many media sections");
	/* v= is a session line too */
	check_limit("v=0\r\n", "a=x\r\n", SDP_MAX_LINES - 1, "too many lines in an SDP section");
	check_limit("v=0\r\nm=audio 1 RTP/AVP 0\r\n", "b=AS:1\r\n", SDP_MAX_LINES,
		"too many lines in an SDP section");

	sl_arena_init(&a, 0);
	n = (size_t)snprintf(mline, sizeof(mline), "v=0\nm=audio 1 RTP/AVP");
	for (i = 0; i < SDP_MAX_PT; i++)
		n += (size_t)snprintf(mline + n, sizeof(mline) - n, " %u", 96 + i % 32);
	assert_int_equal(sdp_parse(&a, mline, n, &s, &err), 0);
	assert_int_equal(s.media[0].n_pt, SDP_MAX_PT);
	n += (size_t)snprintf(mline + n, sizeof(mline) - n, " 0");
	assert_int_equal(sdp_parse(&a, mline, n, &s, &err), -EINVAL);
	assert_string_equal(err, "too many payload types in m= line");
	sl_arena_free(&a);
}

/* ------------------------------------------------------------------ writer */

static void
test_write_errors(void **state)
{
	static const char *const bad_extra[] = {"a=x\r\nb=y"};
	static const char *const null_extra[] = {NULL};
	struct sl_arena a;
	struct sdp_session s;
	struct sdp_out o;
	const char *err = NULL;
	char buf[1024];
	size_t len;
	char *in = load_sdp("offer_4_3.in.sdp", true, &len);

	sl_arena_init(&a, 0);
	assert_int_equal(sdp_parse(&a, in, len, &s, &err), 0);
	memset(&o, 0, sizeof(o));
	setup_offer(&o);
	assert_int_equal(sdp_write(&s, &o, buf, 0), -ENOSPC);
	assert_int_equal(sdp_write(&s, &o, NULL, 0), -ENOSPC);
	assert_int_equal(sdp_write(&s, &o, buf, 10), -ENOSPC);

	o.media[0].n_extra_mid = 1;
	o.media[0].extra_mid = bad_extra;
	assert_int_equal(sdp_write(&s, &o, buf, sizeof(buf)), -EINVAL);
	o.media[0].extra_mid = null_extra;
	assert_int_equal(sdp_write(&s, &o, buf, sizeof(buf)), -EINVAL);
	o.media[0].n_extra_mid = 0;
	o.media[0].proto = "RTP/AVP\nx=1";
	assert_int_equal(sdp_write(&s, &o, buf, sizeof(buf)), -EINVAL);
	o.media[0].proto = NULL;
	assert_true(sdp_write(&s, &o, buf, sizeof(buf)) > 0);
	sl_arena_free(&a);
	free(in);
}

/* add_conn: a media c= after i= even when the input had none; ptime override */
static void
test_write_add_conn(void **state)
{
	static const char in[] = "v=0\r\n"
				 "o=- 1 1 IN IP6 ::1\r\n"
				 "s=-\r\n"
				 "c=IN IP6 2001:db8::5\r\n"
				 "t=0 0\r\n"
				 "m=audio 4000 RTP/AVP 96 0 0\r\n"
				 "i=x\r\n"
				 "b=AS:80\r\n"
				 "a=rtpmap:96 opus/48000/2\r\n"
				 "a=ptime:30\r\n"
				 "a=maxptime:60\r\n"
				 "a=ptime:40\r\n";
	static const char want[] = "v=0\r\n"
				   "o=- 1 1 IN IP6 ::1\r\n"
				   "s=-\r\n"
				   "c=IN IP6 ::\r\n"
				   "t=0 0\r\n"
				   "m=audio 5000 RTP/AVP 96 0 0\r\n"
				   "i=x\r\n"
				   "c=IN IP6 ::\r\n"
				   "b=AS:80\r\n"
				   "a=rtpmap:96 opus/48000/2\r\n"
				   "a=rtpmap:0 PCMU/8000\r\n"
				   "a=inactive\r\n"
				   "a=ptime:20\r\n"
				   "a=maxptime:60\r\n";
	struct sl_arena a;
	struct sdp_session s;
	struct sdp_out o;
	const char *err = NULL;
	char buf[512];
	long n;

	sl_arena_init(&a, 0);
	assert_int_equal(sdp_parse(&a, in, sizeof(in) - 1, &s, &err), 0);
	memset(&o, 0, sizeof(o));
	o.media[0].port = 5000;
	o.media[0].add_conn = true; /* family-0 address: the session c= family */
	o.media[0].dir = SDP_DIR_INACTIVE;
	o.media[0].ptime = 20;
	n = sdp_write(&s, &o, buf, sizeof(buf));
	assert_mem_equal(buf, n < 0 ? 0 : (size_t)n, want, sizeof(want) - 1);
	sl_arena_free(&a);
}

static void
test_dir_name(void **state)
{
	assert_string_equal(sdp_dir_name(SDP_DIR_NONE), "sendrecv");
	assert_string_equal(sdp_dir_name(SDP_DIR_SENDRECV), "sendrecv");
	assert_string_equal(sdp_dir_name(SDP_DIR_SENDONLY), "sendonly");
	assert_string_equal(sdp_dir_name(SDP_DIR_RECVONLY), "recvonly");
	assert_string_equal(sdp_dir_name(SDP_DIR_INACTIVE), "inactive");
}

/* ------------------------------------------------------------------ hostile input */

static uint32_t
lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

/* Parse @p len bytes from an exact-size heap copy; write and re-parse on success. */
static void
parse_write_reparse(struct sl_arena *a, const char *data, size_t len, const struct sdp_out *o)
{
	struct sdp_session s, again;
	const char *err = NULL;
	char *copy = malloc(len ? len : 1);
	static char out[65536];
	long n;

	assert_non_null(copy);
	memcpy(copy, data, len);
	if (sdp_parse(a, copy, len, &s, &err) == 0) {
		n = sdp_write(&s, o, out, sizeof(out));
		assert_true(n > 0);
		assert_int_equal(sdp_parse(a, out, (size_t)n, &again, &err), 0);
		assert_int_equal(again.n_media, s.n_media);
	} else {
		assert_non_null(err);
	}
	free(copy);
}

static void
test_hostile(void **state)
{
	static const char pool[] = " \r\n\t:/=0123456789amcv*.\xff";
	struct sl_arena a;
	struct sdp_out o;
	uint32_t seed = 12345;
	size_t i, len, k;
	unsigned it, j;

	memset(&o, 0, sizeof(o));
	for (j = 0; j < SDP_MAX_MEDIA; j++) {
		relay_media(&o.media[j], "10.9.8.7", (uint16_t)(30000 + 2 * j), SDP_DIR_SENDRECV);
		o.media[j].strip = j % 2 ? SDP_STRIP_ICE | SDP_STRIP_RTCPFB : 0;
		o.media[j].passthrough = j == 2;
		o.media[j].add_conn = j == 1;
	}
	o.replace_origin = true;
	o.origin_addr = ip("10.9.8.7");
	o.session_addr = ip("10.9.8.7");

	for (i = 0; i < N_GOLDEN; i++) {
		char *in = load_sdp(golden_cases[i].in, true, &len);
		char *mut = malloc(len + 16);

		assert_non_null(mut);
		sl_arena_init(&a, 0);
		/* every truncation */
		for (k = 0; k <= len; k++)
			parse_write_reparse(&a, in, k, &o);
		/* random byte edits, insertions and deletions */
		for (it = 0; it < 3000; it++) {
			size_t mlen = len;
			unsigned edits = 1 + lcg(&seed) % 4;

			memcpy(mut, in, len);
			for (j = 0; j < edits && mlen > 0; j++) {
				size_t pos = lcg(&seed) % mlen;
				char c = lcg(&seed) % 4 ? pool[lcg(&seed) % (sizeof(pool) - 1)]
							: (char)lcg(&seed);

				switch (lcg(&seed) % 3) {
				case 0:
					mut[pos] = c;
					break;
				case 1:
					if (mlen < len + 16) {
						memmove(mut + pos + 1, mut + pos, mlen - pos);
						mut[pos] = c;
						mlen++;
					}
					break;
				default:
					memmove(mut + pos, mut + pos + 1, mlen - pos - 1);
					mlen--;
				}
			}
			parse_write_reparse(&a, mut, mlen, &o);
			if (it % 256 == 255) {
				sl_arena_free(&a);
				sl_arena_init(&a, 0);
			}
		}
		/* pure noise */
		for (it = 0; it < 500; it++) {
			size_t n = lcg(&seed) % (len + 1);

			for (k = 0; k < n; k++)
				mut[k] = (char)lcg(&seed);
			if (n >= 4 && it % 2)
				memcpy(mut, "v=0\n", 4);
			parse_write_reparse(&a, mut, n, &o);
		}
		sl_arena_free(&a);
		free(mut);
		free(in);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_parse_offer_fields),
		cmocka_unit_test(test_parse_attrs),
		cmocka_unit_test(test_parse_line_endings),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_write_add_conn),
		cmocka_unit_test(test_dir_name),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
