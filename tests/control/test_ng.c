/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ng end to end inside one process: datagram in, reply out, through the real
 * control code (calls, ports, SDP) and the data plane's mailboxes, which the
 * test drains the way the workers do. Wire formats, rtpengine's error strings,
 * the cookie cache, offer/answer/re-offer/hold, address families, timeouts.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_cycles.h>

#include "control/call.h"
#include "control/ctl.h"
#include "control/neigh.h"
#include "control/ng.h"
#include "control/ports.h"
#include "dp_harness.h"

static char out[NG_MAX_DGRAM + 1];
static struct sl_ep src;
static unsigned cookie_seq;

/* send raw bytes, return the reply (NUL-terminated; "" when none) */
static const char *
raw(const char *req)
{
	size_t n = ng_process(req, strlen(req), &src, out, NG_MAX_DGRAM);

	out[n] = '\0';
	th_drain();
	return out;
}

static const char *
bstr(char *buf, size_t cap, const char *s)
{
	snprintf(buf, cap, "%zu:%s", strlen(s), s);
	return buf;
}

/* a bencoded request built from key/value pairs; values starting with '#' are
 * inserted raw (lists, integers) */
static const char *
req(const char *cmd, ...)
{
	static char buf[16384];
	char tmp[8192];
	const char *k, *v;
	size_t n;
	va_list ap;

	n = (size_t)snprintf(buf, sizeof(buf), "c%u d7:command%s", ++cookie_seq,
		bstr(tmp, sizeof(tmp), cmd));
	va_start(ap, cmd);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", bstr(tmp, sizeof(tmp), k));
		if (v[0] == '#')
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", v + 1);
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
				bstr(tmp, sizeof(tmp), v));
	}
	va_end(ap);
	snprintf(buf + n, sizeof(buf) - n, "e");
	return raw(buf);
}

/* decode the reply with the real decoder */
static struct sl_arena arena;

static struct ng_val *
decode(const char *reply)
{
	const char *sp = strchr(reply, ' '), *err;
	struct ng_val *v;

	assert_non_null(sp);
	v = ng_bencode_decode(&arena, sp + 1, strlen(sp + 1), &err);
	assert_non_null(v);
	return v;
}

static void
assert_error(const char *reply, const char *reason)
{
	struct ng_val *r = decode(reply);

	assert_string_equal(ng_dict_get_str(r, "result", NULL), "error");
	assert_string_equal(ng_dict_get_str(r, "error-reason", NULL), reason);
}

static const char *
sdp_of(const char *reply)
{
	struct ng_val *r = decode(reply);
	const char *s = ng_dict_get_str(r, "sdp", NULL);

	if (s == NULL)
		fail_msg("no sdp in reply: %s", reply);
	return s;
}

static unsigned
m_port(const char *sdp)
{
	const char *m = strstr(sdp, "m=audio ");
	unsigned p;

	assert_non_null(m);
	assert_int_equal(sscanf(m, "m=audio %u", &p), 1);
	return p;
}

static char *
sdp4(const char *ip, unsigned port, const char *extra)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		"v=0\r\no=alice 2890844526 2890844526 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
		"t=0 0\r\nm=audio %u RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
		"a=fmtp:101 0-16\r\na=ptime:20\r\n%s",
		ip, ip, port, extra);
	return buf;
}

static void
offer_answer(const char *cid, unsigned *to_b, unsigned *to_a)
{
	const char *r;

	r = req("offer", "call-id", cid, "from-tag", "ta", "sdp", sdp4("198.18.1.10", 4000, ""),
		"direction", "#l1:a1:be", NULL);
	*to_b = m_port(sdp_of(r));
	r = req("answer", "call-id", cid, "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, ""), NULL);
	*to_a = m_port(sdp_of(r));
}

static void
test_framing(void **state)
{
	(void)state;
	/* no cookie: no reply at all */
	assert_string_equal(raw("d7:command4:pinge"), "");
	assert_string_equal(raw(" d7:command4:pinge"), "");
	/* captured rtpengine exchanges, byte for byte */
	assert_string_equal(raw("5323_1 d7:command4:pinge"), "5323_1 d6:result4:ponge");
	assert_string_equal(raw("5323_2 {\"command\":\"ping\"}"), "5323_2 {\"result\":\"pong\"}");
	assert_string_equal(raw("x1 d7:command5:boguse"),
		"x1 d6:result5:error12:error-reason20:Unrecognized commande");
	assert_string_equal(raw("x3 d7:command6:delete7:call-id4:nope8:from-tag1:ae"),
		"x3 d7:warning38:Call-ID not found or tags didn't match6:result2:oke");
	assert_error(raw("x4 garbage"), "Invalid NG data format");
	assert_error(raw("x5 d3:foo"), "Could not decode dictionary");
	assert_error(raw("x6 li1ee"), "Invalid NG data format");
	assert_error(raw("x7 d4:call2:ide"), "Dictionary contains no key \"command\"");
	assert_string_equal(raw("x8 {\"command\":\"list\"}"), "x8 {\"calls\":[],\"result\":\"ok\"}");
	assert_string_equal(raw("x9 {\"command\": 5}"),
		"x9 {\"result\":\"error\",\"error-reason\":\"Unrecognized command\"}");
}

static void
test_error_strings(void **state)
{
	const char *sdp = sdp4("198.18.1.10", 4000, "");

	(void)state;
	assert_error(req("offer", "call-id", "e1", "from-tag", "t", NULL), "No SDP body in message");
	assert_error(req("offer", "from-tag", "t", "sdp", sdp, NULL), "No call-id in message");
	assert_error(req("offer", "call-id", "e1", "sdp", sdp, NULL), "No from-tag in message");
	assert_error(req("answer", "call-id", "e1", "from-tag", "t", "sdp", sdp, NULL),
		"No to-tag in message");
	assert_error(req("answer", "call-id", "nope", "from-tag", "t", "to-tag", "u", "sdp", sdp,
			     NULL),
		"Unknown call-id");
	assert_error(req("query", "call-id", "nope", NULL), "Unknown call-id");
	assert_error(req("offer", "call-id", "e1", "from-tag", "t", "sdp", "v=0\r\nm=audio x\r\n",
			     NULL),
		"Failed to parse SDP");
	assert_error(req("offer", "call-id", "e1", "from-tag", "t", "sdp",
			     "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
			     NULL),
		"Incomplete SDP specification");
	assert_error(req("offer", "call-id", "e1", "from-tag", "t", "sdp",
			     "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", NULL),
		"Incomplete SDP specification");
	assert_error(req("delete", "call-id", "nope", "flags", "#l5:fatale", NULL),
		"Call-ID not found or tags didn't match");
	/* failed offers leave no call behind */
	assert_int_equal(calls_count(), 0);
	/* answer with a from-tag the call does not know */
	req("offer", "call-id", "e2", "from-tag", "t", "sdp", sdp, NULL);
	assert_error(req("answer", "call-id", "e2", "from-tag", "zz", "to-tag", "u", "sdp", sdp,
			     NULL),
		"Invalid dialogue association");
	assert_error(req("offer", "call-id", "e2", "from-tag", "t", "sdp", sdp, "direction",
			     "#l4:nonee", NULL),
		"Unknown interface in direction");
	req("delete", "call-id", "e2", "delete delay", "#i0e", NULL);
	assert_int_equal(calls_count(), 0);
}

static void
test_offer_answer_rewrite(void **state)
{
	const char *r, *s;
	unsigned to_b, to_a;
	struct dp_flow *fa, *fb;
	char want[128];

	(void)state;
	r = req("offer", "call-id", "c1", "from-tag", "ta", "sdp", sdp4("198.18.1.10", 4000, ""),
		"direction", "#l1:a1:be", "replace", "#l6:origine", NULL);
	s = sdp_of(r);
	to_b = m_port(s);
	assert_true(to_b >= 30000 && to_b <= 30199 && to_b % 2 == 0);
	/* the callee sees the relay on interface b, in rtpengine's layout */
	snprintf(want, sizeof(want), "c=IN IP4 198.18.2.1\r\nt=0 0\r\nm=audio %u RTP/AVP 0 8 101\r\n",
		to_b);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "o=alice 2890844526 2890844526 IN IP4 198.18.2.1\r\n"));
	snprintf(want, sizeof(want), "a=sendrecv\r\na=rtcp:%u\r\na=ptime:20\r\n", to_b + 1);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "a=fmtp:101 0-16\r\n"));

	r = req("answer", "call-id", "c1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, ""), NULL);
	s = sdp_of(r);
	to_a = m_port(s);
	assert_non_null(strstr(s, "c=IN IP4 198.18.1.1\r\n"));
	/* without replace-origin the answerer's o= address is untouched */
	assert_non_null(strstr(s, "o=alice 2890844526 2890844526 IN IP4 198.18.2.10\r\n"));
	/* both legs share the owner worker, and the flows point at each other */
	assert_int_equal(dp_owner((uint16_t)to_a), dp_owner((uint16_t)to_b));
	fa = th_flowp(0, (uint16_t)to_a);
	fb = th_flowp(1, (uint16_t)to_b);
	assert_true(fa->flags & DP_F_ACTIVE);
	assert_int_equal(fa->out_idx, dp_flow_index(1, (uint16_t)to_b));
	assert_int_equal(fb->out_idx, dp_flow_index(0, (uint16_t)to_a));
	assert_int_equal(fa->expect.port, 4000);
	assert_int_equal(fb->expect.port, 5000);
	assert_int_equal(th_flowp(0, (uint16_t)(to_a + 1))->expect.port, 4001);
	assert_true(th_flowp(0, (uint16_t)(to_a + 1))->flags & DP_F_RTCP);
	req("delete", "call-id", "c1", "delete delay", "#i0e", NULL);
	th_drain();
	assert_false(fa->flags & DP_F_ACTIVE);
	assert_false(fb->flags & DP_F_ACTIVE);
}

static void
test_cookie_replay(void **state)
{
	const char *offer = "dup1 d7:command5:offer7:call-id2:d18:from-tag1:a3:sdp";
	static char buf[2048], first[NG_MAX_DGRAM + 1];
	const char *sdp = sdp4("198.18.1.10", 4000, "");
	uint64_t managed = calls_totals.managed;

	(void)state;
	snprintf(buf, sizeof(buf), "%s%zu:%se", offer, strlen(sdp), sdp);
	snprintf(first, sizeof(first), "%s", raw(buf));
	/* Kamailio retransmits the same datagram: same reply, executed once */
	assert_string_equal(raw(buf), first);
	assert_int_equal(calls_totals.managed, managed + 1);
	/* same cookie, different request: still the cached reply */
	assert_string_equal(raw("dup1 d7:command4:pinge"), first);
	req("delete", "call-id", "d1", "delete delay", "#i0e", NULL);
}

static void
test_reoffer_hold(void **state)
{
	unsigned to_b, to_a, p;
	const char *s;

	(void)state;
	offer_answer("r1", &to_b, &to_a);
	/* re-INVITE with the same endpoint keeps the ports */
	s = sdp_of(req("offer", "call-id", "r1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.1.10", 4000, ""), NULL));
	assert_int_equal(m_port(s), to_b);
	s = sdp_of(req("answer", "call-id", "r1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, ""), NULL));
	assert_int_equal(m_port(s), to_a);
	/* hold: zero address passes through, sendonly, same ports */
	s = sdp_of(req("offer", "call-id", "r1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("0.0.0.0", 4000, ""), NULL));
	assert_int_equal(m_port(s), to_b);
	assert_non_null(strstr(s, "c=IN IP4 0.0.0.0\r\n"));
	assert_non_null(strstr(s, "a=sendonly\r\n"));
	assert_int_equal(th_flowp(0, (uint16_t)to_a)->dest.port, 0);
	s = sdp_of(req("answer", "call-id", "r1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, "a=recvonly\r\n"), NULL));
	assert_int_equal(m_port(s), to_a);
	assert_non_null(strstr(s, "a=recvonly\r\n"));
	/* the held party's RTP is blackholed (it said it does not send) */
	assert_true(th_flowp(1, (uint16_t)to_b)->flags & DP_F_NO_RTP_IN);
	/* unhold */
	s = sdp_of(req("offer", "call-id", "r1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.1.10", 4000, "a=sendrecv\r\n"), NULL));
	assert_int_equal(m_port(s), to_b);
	assert_non_null(strstr(s, "a=sendrecv\r\n"));
	assert_int_equal(th_flowp(0, (uint16_t)to_a)->dest.port, 4000);
	/* the caller moved: new local port toward it, callee side unchanged */
	s = sdp_of(req("offer", "call-id", "r1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.1.11", 4100, ""), NULL));
	assert_int_equal(m_port(s), to_b);
	s = sdp_of(req("answer", "call-id", "r1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, ""), NULL));
	p = m_port(s);
	assert_int_not_equal(p, to_a);
	assert_int_equal(th_flowp(0, (uint16_t)p)->expect.port, 4100);
	assert_false(th_flowp(0, (uint16_t)to_a)->flags & DP_F_ACTIVE);
	/* re-INVITE from the callee: roles swap, ports stay */
	s = sdp_of(req("offer", "call-id", "r1", "from-tag", "tb", "to-tag", "ta", "sdp",
		sdp4("198.18.2.10", 5000, ""), NULL));
	assert_int_equal(m_port(s), p);
	req("delete", "call-id", "r1", "delete delay", "#i0e", NULL);
}

static void
test_families_and_interfaces(void **state)
{
	const char *s;

	(void)state;
	s = sdp_of(req("offer", "call-id", "f1", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, ""), "direction", "#l1:a1:be", "address-family", "IP6",
		NULL));
	assert_non_null(strstr(s, "c=IN IP6 2001:db8:2::1\r\n"));
	s = sdp_of(req("answer", "call-id", "f1", "from-tag", "ta", "to-tag", "tb", "sdp",
		"v=0\r\no=- 1 1 IN IP6 2001:db8:2::10\r\ns=-\r\nc=IN IP6 2001:db8:2::10\r\nt=0 0\r\n"
		"m=audio 5000 RTP/AVP 0\r\n", NULL));
	assert_non_null(strstr(s, "c=IN IP4 198.18.1.1\r\n"));
	req("delete", "call-id", "f1", "delete delay", "#i0e", NULL);

	/* direction picks the interfaces; media-address overrides what SDP shows */
	s = sdp_of(req("offer", "call-id", "f2", "from-tag", "ta", "sdp",
		sdp4("198.18.2.10", 4000, ""), "direction", "#l1:b1:ae", "media-address",
		"198.19.0.5", NULL));
	assert_non_null(strstr(s, "c=IN IP4 198.19.0.5\r\n"));
	req("delete", "call-id", "f2", "delete delay", "#i0e", NULL);
	s = sdp_of(req("offer", "call-id", "f3", "from-tag", "ta", "sdp",
		sdp4("198.18.2.10", 4000, ""), "direction", "#l1:b1:ae", NULL));
	assert_non_null(strstr(s, "c=IN IP4 198.18.1.1\r\n"));
	req("delete", "call-id", "f3", "delete delay", "#i0e", NULL);
}

static void
test_query_list_stats(void **state)
{
	unsigned to_b, to_a;
	struct ng_val *r, *tags, *tb, *media, *stream, *totals;

	(void)state;
	offer_answer("q1", &to_b, &to_a);
	r = decode(req("query", "call-id", "q1", NULL));
	assert_string_equal(ng_dict_get_str(r, "result", NULL), "ok");
	assert_non_null(ng_dict_get(r, "created"));
	assert_non_null(ng_dict_get(r, "last signal"));
	tags = ng_dict_get(r, "tags");
	tb = ng_dict_get(tags, "tb");
	assert_non_null(ng_dict_get(tags, "ta"));
	assert_non_null(tb);
	media = ng_dict_get(tb, "medias")->c.first;
	assert_string_equal(ng_dict_get_str(media, "type", NULL), "audio");
	assert_string_equal(ng_dict_get_str(media, "codec", NULL), "PCMU/8000");
	stream = ng_dict_get(media, "streams")->c.first;
	assert_int_equal(ng_dict_get(stream, "local port")->i, to_b);
	assert_int_equal(ng_dict_get(ng_dict_get(stream, "advertised endpoint"), "port")->i, 5000);
	assert_non_null(ng_dict_get(ng_dict_get(stream, "stats"), "packets"));
	totals = ng_dict_get(r, "totals");
	assert_non_null(ng_dict_get(ng_dict_get(totals, "RTP"), "bytes"));
	assert_non_null(ng_dict_get(ng_dict_get(totals, "RTCP"), "errors"));

	r = decode(req("list", NULL));
	assert_int_equal(ng_dict_get(r, "calls")->c.n, 1);
	assert_string_equal(ng_dict_get(r, "calls")->c.first->str.s, "q1");
	r = decode(req("list", "limit", "#i0e", NULL));
	assert_int_equal(ng_dict_get(r, "calls")->c.n, 0);
	r = decode(req("statistics", NULL));
	assert_int_equal(ng_dict_get(ng_dict_get(ng_dict_get(r, "statistics"), "currentstatistics"),
				 "sessionstotal")->i,
		1);
	/* delete keeps the call (and forwarding) for delete-delay */
	r = decode(req("delete", "call-id", "q1", "from-tag", "ta", NULL));
	assert_non_null(ng_dict_get(r, "tags"));
	assert_int_equal(calls_count(), 1);
	assert_true(th_flowp(0, (uint16_t)to_a)->flags & DP_F_ACTIVE);
	calls_sweep(call_first()->destroy_at_mono - 1);
	assert_int_equal(calls_count(), 1);
	calls_sweep(call_first()->destroy_at_mono);
	assert_int_equal(calls_count(), 0);
	th_drain();
	assert_false(th_flowp(0, (uint16_t)to_a)->flags & DP_F_ACTIVE);
}

static void
test_timeouts(void **state)
{
	unsigned to_b, to_a;
	uint64_t t0, to = calls_totals.ended[CALL_END_OFFER_TIMEOUT];
	uint64_t tt = calls_totals.ended[CALL_END_TIMEOUT];
	uint64_t ft = calls_totals.ended[CALL_END_FINAL_TIMEOUT];
	uint64_t st = calls_totals.ended[CALL_END_SILENT_TIMEOUT];

	(void)state;
	/* never answered */
	req("offer", "call-id", "t1", "from-tag", "ta", "sdp", sdp4("198.18.1.10", 4000, ""), NULL);
	t0 = call_first()->last_signal_mono;
	calls_sweep(t0 + th_cfg.offer_timeout - 1);
	assert_int_equal(calls_count(), 1);
	calls_sweep(t0 + th_cfg.offer_timeout);
	assert_int_equal(calls_count(), 0);
	assert_int_equal(calls_totals.ended[CALL_END_OFFER_TIMEOUT], to + 1);

	/* answered, no media at all */
	offer_answer("t2", &to_b, &to_a);
	t0 = call_first()->last_signal_mono;
	calls_sweep(t0 + th_cfg.timeout - 1);
	assert_int_equal(calls_count(), 1);
	calls_sweep(t0 + th_cfg.timeout);
	assert_int_equal(calls_count(), 0);
	assert_int_equal(calls_totals.ended[CALL_END_TIMEOUT], tt + 1);

	/* on hold both ways: only the silent timeout applies */
	offer_answer("t3", &to_b, &to_a);
	req("offer", "call-id", "t3", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.1.10", 4000, "a=inactive\r\n"), NULL);
	req("answer", "call-id", "t3", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, "a=inactive\r\n"), NULL);
	t0 = call_first()->last_signal_mono;
	calls_sweep(t0 + th_cfg.timeout + 5);
	assert_int_equal(calls_count(), 1);
	calls_sweep(t0 + th_cfg.silent_timeout);
	assert_int_equal(calls_count(), 0);
	assert_int_equal(calls_totals.ended[CALL_END_SILENT_TIMEOUT], st + 1);

	/* final timeout ends even a live call */
	th_cfg.final_timeout = 100;
	offer_answer("t4", &to_b, &to_a);
	t0 = call_first()->created_mono;
	calls_sweep(t0 + 100);
	assert_int_equal(calls_count(), 0);
	assert_int_equal(calls_totals.ended[CALL_END_FINAL_TIMEOUT], ft + 1);
	th_cfg.final_timeout = 0;
}

/*
 * A packet stamped after the sweep read its clock (workers keep receiving
 * while it runs) is newer than `now`: its age is 0, not a wrapped-around
 * huge number that timed out calls in the middle of streaming.
 */
static void
test_timeout_packet_after_now(void **state)
{
	unsigned to_b, to_a, k;
	uint64_t t0, tt = calls_totals.ended[CALL_END_TIMEOUT];
	uint64_t soon = rte_rdtsc() + 3 * rte_get_tsc_hz();

	(void)state;
	offer_answer("t5", &to_b, &to_a);
	t0 = call_first()->last_signal_mono;
	for (k = 0; k < 2; k++) {
		th_flowp(0, (uint16_t)(to_a + k))->last_rx_tsc = soon;
		th_flowp(1, (uint16_t)(to_b + k))->last_rx_tsc = soon;
	}
	calls_sweep(t0 + 1);
	assert_int_equal(calls_count(), 1);
	assert_int_equal(calls_totals.ended[CALL_END_TIMEOUT], tt);
	req("delete", "call-id", "t5", "delete delay", "#i0e", NULL);
	calls_sweep(t0 + 1);
	assert_int_equal(calls_count(), 0);
}

static uint64_t
applied(unsigned w)
{
	return dp_applied_gen(w);
}

static void
test_ports_exhausted(void **state)
{
	char cid[32];
	const char *r;
	unsigned i, ok = 0, free0, free1;

	(void)state;
	/* earlier tests' deleted calls: their ports come back once the owner applied */
	th_drain();
	ports_reclaim(applied);
	free0 = ports_free_count(0);
	free1 = ports_free_count(1);
	assert_int_equal(free0, ports_total(0));
	/* 100 pairs per address: each call takes one on a and one on b */
	for (i = 0; i < 200; i++) {
		snprintf(cid, sizeof(cid), "px%u", i);
		r = req("offer", "call-id", cid, "from-tag", "ta", "sdp",
			sdp4("198.18.1.10", 4000, ""), "direction", "#l1:a1:be", NULL);
		if (strstr(r, "Ran out of ports") != NULL)
			break;
		assert_null(strstr(r, "error"));
		ok++;
	}
	assert_true(ok > 0 && ok <= free0 && ok <= free1);
	assert_int_equal(calls_count(), ok); /* the failed offer left nothing */
	while (call_first() != NULL)
		call_destroy(call_first(), CALL_END_FORCED);
	th_drain();
	ports_reclaim(applied);
	assert_int_equal(ports_free_count(0), free0);
	assert_int_equal(ports_free_count(1), free1);
}

static void
test_json_offer(void **state)
{
	char buf[2048], body[1024];
	const char *r, *sdp = sdp4("198.18.1.10", 4000, "");
	size_t i, n = 0;

	(void)state;
	for (i = 0; sdp[i]; i++) {
		if (sdp[i] == '\r')
			n += (size_t)snprintf(body + n, sizeof(body) - n, "\\r");
		else if (sdp[i] == '\n')
			n += (size_t)snprintf(body + n, sizeof(body) - n, "\\n");
		else
			body[n++] = sdp[i];
	}
	body[n] = '\0';
	snprintf(buf, sizeof(buf),
		"j1 {\"command\":\"offer\",\"call-id\":\"js\",\"from-tag\":\"a\",\"sdp\":\"%s\"}", body);
	r = raw(buf);
	assert_non_null(strstr(r, "j1 {\"sdp\":\"v=0\\r\\no=alice"));
	assert_non_null(strstr(r, "\"result\":\"ok\"}"));
	req("delete", "call-id", "js", "delete delay", "#i0e", NULL);
}

static void
test_rtcp_mux(void **state)
{
	unsigned to_b, to_a;
	const char *s;
	char want[96];

	(void)state;
	/* offerer muxes, answerer accepts: both sides muxed */
	s = sdp_of(req("offer", "call-id", "mx1", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, "a=rtcp-mux\r\n"), "direction", "#l1:a1:be", NULL));
	to_b = m_port(s);
	snprintf(want, sizeof(want), "a=rtcp:%u\r\na=rtcp-mux\r\n", to_b + 1);
	if (strstr(s, want) == NULL)
		fail_msg("want %s in:\n%s", want, s); /* offered: fallback RTCP port stays */
	s = sdp_of(req("answer", "call-id", "mx1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, "a=rtcp-mux\r\n"), NULL));
	to_a = m_port(s);
	snprintf(want, sizeof(want), "a=rtcp:%u\r\na=rtcp-mux\r\n", to_a);
	if (strstr(s, want) == NULL)
		fail_msg("want %s in:\n%s", want, s); /* in use: RTCP on the RTP port */
	assert_true(th_flowp(0, (uint16_t)to_a)->flags & DP_F_MUX);
	assert_int_equal(th_flowp(0, (uint16_t)to_a)->out_rtcp_idx, dp_flow_index(1, (uint16_t)to_b));
	assert_int_equal(th_flowp(1, (uint16_t)(to_b + 1))->out_idx, dp_flow_index(0, (uint16_t)to_a));
	req("delete", "call-id", "mx1", "delete delay", "#i0e", NULL);

	/* demux: the browser side keeps mux, the SIP side gets separate RTCP */
	s = sdp_of(req("offer", "call-id", "mx2", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, "a=rtcp-mux\r\n"), "direction", "#l1:a1:be", "rtcp-mux",
		"#l5:demuxe", NULL));
	to_b = m_port(s);
	assert_null(strstr(s, "a=rtcp-mux"));
	s = sdp_of(req("answer", "call-id", "mx2", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, ""), NULL));
	to_a = m_port(s);
	snprintf(want, sizeof(want), "a=rtcp:%u\r\na=rtcp-mux\r\n", to_a);
	assert_non_null(strstr(s, want));
	/* b's RTCP socket sends to a's RTP port; a's RTCP arriving muxed goes to b's RTCP port */
	assert_int_equal(th_flowp(1, (uint16_t)(to_b + 1))->out_idx, dp_flow_index(0, (uint16_t)to_a));
	assert_int_equal(th_flowp(0, (uint16_t)to_a)->out_rtcp_idx,
		dp_flow_index(1, (uint16_t)(to_b + 1)));
	req("delete", "call-id", "mx2", "delete delay", "#i0e", NULL);

	/* require: offered as already in use, no separate RTCP port advertised */
	s = sdp_of(req("offer", "call-id", "mx3", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, ""), "flags", "#l16:rtcp-mux-requiree", NULL));
	to_b = m_port(s);
	snprintf(want, sizeof(want), "a=rtcp:%u\r\na=rtcp-mux\r\n", to_b);
	assert_non_null(strstr(s, want));
	req("delete", "call-id", "mx3", "delete delay", "#i0e", NULL);
}

static void
test_transport_protocol(void **state)
{
	unsigned to_b, to_a;
	const char *s;
	char sdp[1024];

	(void)state;
	snprintf(sdp, sizeof(sdp),
		"v=0\r\no=- 1 1 IN IP4 198.18.1.10\r\ns=-\r\nc=IN IP4 198.18.1.10\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVPF 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
		"a=rtcp-fb:0 nack\r\na=rtcp-fb:* ccm fir\r\n");
	s = sdp_of(req("offer", "call-id", "tp1", "from-tag", "ta", "sdp", sdp, "direction",
		"#l1:a1:be", "transport-protocol", "RTP/AVP", NULL));
	to_b = m_port(s);
	assert_non_null(strstr(s, " RTP/AVP 0 8 101\r\n"));
	assert_null(strstr(s, "rtcp-fb")); /* AVP peers get no feedback attributes */
	s = sdp_of(req("answer", "call-id", "tp1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, ""), NULL));
	to_a = m_port(s);
	assert_non_null(strstr(s, " RTP/AVPF 0 8 101\r\n")); /* the offerer keeps its profile */
	/* RTCP feedback the AVPF side sends is filtered before it reaches the AVP side */
	assert_true(th_flowp(1, (uint16_t)to_b)->flags & DP_F_STRIP_FB);
	assert_true(th_flowp(1, (uint16_t)(to_b + 1))->flags & DP_F_STRIP_FB);
	assert_false(th_flowp(0, (uint16_t)to_a)->flags & DP_F_STRIP_FB);
	req("delete", "call-id", "tp1", "delete delay", "#i0e", NULL);
	assert_error(req("offer", "call-id", "tp2", "from-tag", "ta", "sdp", sdp,
			     "transport-protocol", "RTP/XYZ", NULL),
		"Invalid transport protocol");
}

static unsigned
count(const char *s, const char *needle)
{
	unsigned n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s++;
	}
	return n;
}

static void
test_sdes_toward_srtp_party(void **state)
{
	static const char *const order[] = {"AEAD_AES_256_GCM", "AEAD_AES_128_GCM",
		"AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32", "AES_192_CM_HMAC_SHA1_80",
		"AES_192_CM_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
		"F8_128_HMAC_SHA1_80", "F8_128_HMAC_SHA1_32", "NULL_HMAC_SHA1_80", "NULL_HMAC_SHA1_32"};
	unsigned to_b, to_a, i;
	const char *s, *p;
	char want[96];

	(void)state;
	s = sdp_of(req("offer", "call-id", "sd1", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, ""), "direction", "#l1:a1:be", "transport-protocol",
		"RTP/SAVP", "ICE", "remove", NULL));
	to_b = m_port(s);
	assert_non_null(strstr(s, " RTP/SAVP 0 8 101\r\n"));
	/* all twelve suites, in rtpengine's order, tags 1..12 */
	for (i = 0, p = s; i < 12; i++) {
		snprintf(want, sizeof(want), "a=crypto:%u %s inline:", i + 1, order[i]);
		p = strstr(p, want);
		if (p == NULL)
			fail_msg("missing %s in\n%s", want, s);
	}
	assert_non_null(strstr(s, "a=setup:actpass\r\n"));
	assert_non_null(strstr(s, "a=fingerprint:sha-256 "));
	assert_non_null(strstr(s, "a=tls-id:"));
	assert_null(strstr(s, "a=ice-"));
	/* no keys yet: the SRTP leg carries nothing in the clear */
	assert_true(th_flowp(1, (uint16_t)to_b)->flags & DP_F_SECURE);
	assert_null(th_flowp(1, (uint16_t)to_b)->srtp_out);

	s = sdp_of(req("answer", "call-id", "sd1", "from-tag", "ta", "to-tag", "tb", "sdp",
		"v=0\r\no=- 1 1 IN IP4 198.18.2.10\r\ns=-\r\nc=IN IP4 198.18.2.10\r\nt=0 0\r\n"
		"m=audio 5000 RTP/SAVP 0\r\na=crypto:7 AES_CM_128_HMAC_SHA1_80 "
		"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n",
		NULL));
	to_a = m_port(s);
	if (strstr(s, " RTP/AVP 0\r\n") == NULL) /* the callee's codecs, the caller's profile */
		fail_msg("answer to the caller:\n%s", s);
	assert_null(strstr(s, "a=crypto"));
	assert_null(strstr(s, "a=fingerprint"));
	/* the callee's leg is keyed, the caller's stays plain */
	assert_non_null(th_flowp(1, (uint16_t)to_b)->srtp_in);
	assert_non_null(th_flowp(1, (uint16_t)to_b)->srtp_out);
	assert_ptr_equal(th_flowp(1, (uint16_t)(to_b + 1))->srtp_in,
		th_flowp(1, (uint16_t)to_b)->srtp_in);
	assert_null(th_flowp(0, (uint16_t)to_a)->srtp_in);
	assert_false(th_flowp(0, (uint16_t)to_a)->flags & DP_F_SECURE);
	req("delete", "call-id", "sd1", "delete delay", "#i0e", NULL);

	/* SDES options */
	s = sdp_of(req("offer", "call-id", "sd2", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, ""), "transport-protocol", "RTP/SAVP", "SDES",
		"#l3:offe", NULL));
	assert_null(strstr(s, "a=crypto"));
	req("delete", "call-id", "sd2", "delete delay", "#i0e", NULL);
	s = sdp_of(req("offer", "call-id", "sd3", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, ""), "transport-protocol", "RTP/SAVP", "DTLS", "off",
		"SDES", "#l28:only-AES_CM_128_HMAC_SHA1_80e", NULL));
	assert_int_equal(count(s, "a=crypto:"), 1);
	assert_non_null(strstr(s, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	assert_null(strstr(s, "a=fingerprint"));
	req("delete", "call-id", "sd3", "delete delay", "#i0e", NULL);
	s = sdp_of(req("offer", "call-id", "sd4", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, ""), "transport-protocol", "RTP/SAVP", "flags",
		"#l24:SDES-no-AEAD_AES_256_GCMe", NULL));
	assert_non_null(strstr(s, "a=crypto:1 AEAD_AES_128_GCM inline:"));
	assert_int_equal(count(s, "a=crypto:"), 11);
	req("delete", "call-id", "sd4", "delete delay", "#i0e", NULL);
}

static void
test_sdes_offerer(void **state)
{
	unsigned to_b, to_a;
	const char *s;

	(void)state;
	/* the caller offers SDES; the callee is plain */
	s = sdp_of(req("offer", "call-id", "so1", "from-tag", "ta", "sdp",
		"v=0\r\no=- 1 1 IN IP4 198.18.1.10\r\ns=-\r\nc=IN IP4 198.18.1.10\r\nt=0 0\r\n"
		"m=audio 4000 RTP/SAVP 0\r\n"
		"a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB\r\n"
		"a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n",
		"direction", "#l1:a1:be", "transport-protocol", "RTP/AVP", NULL));
	to_b = m_port(s);
	assert_non_null(strstr(s, " RTP/AVP 0\r\n"));
	assert_null(strstr(s, "a=crypto"));
	s = sdp_of(req("answer", "call-id", "so1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, ""), NULL));
	to_a = m_port(s);
	/* one line: the caller's first suite and tag, with our own key */
	assert_non_null(strstr(s, " RTP/SAVP 0 8 101\r\n"));
	assert_int_equal(count(s, "a=crypto:"), 1);
	assert_non_null(strstr(s, "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:"));
	assert_null(strstr(s, "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB"));
	assert_non_null(th_flowp(0, (uint16_t)to_a)->srtp_in);
	assert_null(th_flowp(1, (uint16_t)to_b)->srtp_in);
	req("delete", "call-id", "so1", "delete delay", "#i0e", NULL);
}

static void
test_dtls_ice_browser_offer(void **state)
{
	unsigned to_a;
	const char *s;
	char want[96];

	(void)state;
	/* a browser calls a SIP phone */
	s = sdp_of(req("offer", "call-id", "br1", "from-tag", "ta", "sdp",
		"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
		"a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\na=ice-options:trickle\r\n"
		"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:"
		"55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:actpass\r\na=mid:0\r\n"
		"a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
		"a=candidate:1 1 udp 2122260223 198.18.1.10 50000 typ host\r\n",
		"direction", "#l1:a1:be", "transport-protocol", "RTP/AVP", "ICE", "remove",
		"rtcp-mux", "#l5:demuxe", NULL));
	assert_non_null(strstr(s, " RTP/AVP 111 0\r\n"));
	assert_null(strstr(s, "a=ice-"));
	assert_null(strstr(s, "a=fingerprint"));
	assert_null(strstr(s, "a=rtcp-mux"));
	assert_null(strstr(s, "a=group")); /* the browser's BUNDLE and mid stay on its leg */
	assert_null(strstr(s, "a=mid"));
	assert_null(strstr(s, "c=IN IP4 0.0.0.0")); /* not a hold: ICE decides */
	assert_non_null(strstr(s, "a=sendrecv\r\n"));
	s = sdp_of(req("answer", "call-id", "br1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, ""), "transport-protocol", "UDP/TLS/RTP/SAVPF", "ICE",
		"force", NULL));
	to_a = m_port(s);
	assert_non_null(strstr(s, " UDP/TLS/RTP/SAVPF 0 8 101\r\n"));
	assert_non_null(strstr(s, "a=setup:active\r\n"));
	assert_non_null(strstr(s, "a=fingerprint:sha-256 "));
	assert_non_null(strstr(s, "a=ice-ufrag:"));
	assert_non_null(strstr(s, "a=ice-pwd:"));
	snprintf(want, sizeof(want), " 1 UDP 2130706431 198.18.1.1 %u typ host\r\n", to_a);
	assert_non_null(strstr(s, want));
	snprintf(want, sizeof(want), "a=rtcp:%u\r\na=rtcp-mux\r\n", to_a);
	assert_non_null(strstr(s, want));
	assert_int_equal(count(s, "a=candidate:"), 1); /* one component: muxed */
	/* a max-bundle browser rejects an answer that drops its BUNDLE group */
	assert_non_null(strstr(s, "t=0 0\r\na=group:BUNDLE 0\r\nm=audio "));
	snprintf(want, sizeof(want), "SAVPF 0 8 101\r\na=mid:0\r\na=rtpmap:0 PCMU");
	if (strstr(s, want) == NULL)
		fail_msg("want a=mid after c= in:\n%s", s);
	assert_null(strstr(s, "a=crypto")); /* DTLS leg: no SDES */
	/* ICE media: no latching, and nothing flows before a pair is selected */
	assert_int_equal(th_flowp(0, (uint16_t)to_a)->learn, CFG_LEARN_OFF);
	assert_int_equal(th_flowp(0, (uint16_t)to_a)->dest.port, 0);
	assert_true(th_flowp(0, (uint16_t)to_a)->flags & DP_F_SECURE);
	req("delete", "call-id", "br1", "delete delay", "#i0e", NULL);
}

/* a SIP phone calls a WebRTC party: ICE toward the callee only, never in the
 * answer to the phone, whose leg keeps latching (found by test_webrtc) */
static void
test_ice_not_in_answer_to_plain_offerer(void **state)
{
	unsigned to_a;
	const char *s;

	(void)state;
	s = sdp_of(req("offer", "call-id", "ice1", "from-tag", "ta", "sdp",
		sdp4("198.18.1.10", 4000, ""), "direction", "#l1:a1:be", "ICE", "force", NULL));
	assert_non_null(strstr(s, "a=ice-ufrag:"));
	s = sdp_of(req("answer", "call-id", "ice1", "from-tag", "ta", "to-tag", "tb", "sdp",
		sdp4("198.18.2.10", 5000, "a=ice-ufrag:wxyz\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
		"a=candidate:1 1 udp 2122260223 198.18.2.10 5000 typ host\r\n"), NULL));
	to_a = m_port(s);
	assert_null(strstr(s, "a=ice-"));
	assert_null(strstr(s, "a=candidate"));
	assert_int_not_equal(th_flowp(0, (uint16_t)to_a)->learn, CFG_LEARN_OFF);
	assert_int_not_equal(th_flowp(0, (uint16_t)to_a)->dest.port, 0);
	req("delete", "call-id", "ice1", "delete delay", "#i0e", NULL);
}

/* --ng-allow: a source outside every network gets no reply at all and is counted */
static void
test_ng_allow(void **state)
{
	static const struct {
		const char *ip;
		bool allowed;
	} srcs[] = {
		{"127.0.0.1", false},
		{"198.18.7.7", true},
		{"198.20.0.1", false},
		{"::ffff:198.19.0.1", true}, /* IPv4 through a dual-stack socket */
		{"2001:db8:1::5", true},
		{"2001:db9::5", false},
	};
	struct sl_ep saved = src;
	uint64_t denied = ng_counters.denied, malformed = ng_counters.malformed;
	struct ng_val *ctl;
	int64_t v;
	char err[256];
	unsigned i, n_denied = 0;

	(void)state;
	ng_fini();
	th_cfg.n_ng_allow = 2;
	assert_int_equal(sl_cidr_parse("198.18.0.0/15", &th_cfg.ng_allow[0]), 0);
	assert_int_equal(sl_cidr_parse("2001:db8::/32", &th_cfg.ng_allow[1]), 0);
	assert_int_equal(ng_init(&th_cfg, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		const char *r;

		assert_int_equal(sl_ip_parse(srcs[i].ip, &src.ip), 0);
		r = req("ping", NULL);
		if (srcs[i].allowed) {
			assert_non_null(strstr(r, "pong"));
			continue;
		}
		assert_string_equal(r, "");
		/* not even an error reply for garbage, and it does not count as malformed */
		assert_string_equal(raw("x1 garbage"), "");
		n_denied += 2;
	}
	assert_int_equal(ng_counters.denied, denied + n_denied);
	assert_int_equal(ng_counters.malformed, malformed);
	assert_int_equal(sl_ip_parse("198.18.0.1", &src.ip), 0);
	ctl = ng_dict_get(ng_dict_get(decode(req("statistics", NULL)), "statistics"),
		"controlstatistics");
	assert_int_equal(ng_dict_get_int(ctl, "totaldeniedcount", &v), 0);
	assert_int_equal(v, (int64_t)(denied + n_denied));

	/* back to no list: every source is answered again */
	ng_fini();
	th_cfg.n_ng_allow = 0;
	assert_int_equal(ng_init(&th_cfg, err, sizeof(err)), 0);
	src = saved;
	assert_non_null(strstr(req("ping", NULL), "pong"));
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	if (th_setup("test_ng") < 0)
		return -1;
	th_cfg.n_listen_ng = 0;
	th_cfg.timeout = 60;
	th_cfg.silent_timeout = 3600;
	th_cfg.offer_timeout = 3600;
	th_cfg.delete_delay = 30;
	if (ctl_init(&th_cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	sl_ip_parse("127.0.0.1", &src.ip);
	src.port = 9999;
	sl_arena_init(&arena, 65536);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sl_arena_free(&arena);
	calls_fini();
	th_teardown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_error_strings),
		cmocka_unit_test(test_offer_answer_rewrite),
		cmocka_unit_test(test_cookie_replay),
		cmocka_unit_test(test_reoffer_hold),
		cmocka_unit_test(test_families_and_interfaces),
		cmocka_unit_test(test_query_list_stats),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_timeout_packet_after_now),
		cmocka_unit_test(test_ports_exhausted),
		cmocka_unit_test(test_json_offer),
		cmocka_unit_test(test_rtcp_mux),
		cmocka_unit_test(test_transport_protocol),
		cmocka_unit_test(test_sdes_toward_srtp_party),
		cmocka_unit_test(test_sdes_offerer),
		cmocka_unit_test(test_dtls_ice_browser_offer),
		cmocka_unit_test(test_ice_not_in_answer_to_plain_offerer),
		cmocka_unit_test(test_ng_allow),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
