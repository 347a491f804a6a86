/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICE agent without a peer: candidate attribute syntax and the priority
 * formula, credentials, validation of hand-made Binding requests (400, 401,
 * 420, dropped), and the bounds that hostile SDP or floods run into.
 * Agents talking to each other are in test_ice.c.
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

#include "control/ice.h"
#include "control/stun.h"

static struct sl_ep
ep(const char *s)
{
	struct sl_ep e;

	assert_int_equal(sl_ep_parse(s, NULL, 0, &e), 0);
	return e;
}

static bool
alnum(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
			    (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

static void
test_credentials(void **state)
{
	struct ice_agent *a = ice_agent_create(2, true, NULL),
			 *b = ice_agent_create(1, false, NULL);
	char longpwd[300];

	assert_non_null(a);
	assert_non_null(b);
	assert_true(alnum(ice_local_ufrag(a), 8));
	assert_true(alnum(ice_local_pwd(a), 26));
	assert_string_not_equal(ice_local_ufrag(a), ice_local_ufrag(b));
	assert_string_not_equal(ice_local_pwd(a), ice_local_pwd(b));
	assert_null(ice_agent_create(3, true, NULL));
	assert_int_equal(errno, EINVAL);
	/* RFC 8839 lengths and ice-char */
	assert_int_equal(
		ice_set_remote_credentials(a, "abc", "0123456789012345678901", 0), -EINVAL);
	assert_int_equal(
		ice_set_remote_credentials(a, "abcd", "012345678901234567890", 0), -EINVAL);
	assert_int_equal(
		ice_set_remote_credentials(a, "ab:d", "0123456789012345678901", 0), -EINVAL);
	memset(longpwd, 'x', sizeof(longpwd));
	longpwd[257] = '\0';
	assert_int_equal(ice_set_remote_credentials(a, "abcd", longpwd, 0), -EINVAL);
	longpwd[256] = '\0';
	assert_int_equal(ice_set_remote_credentials(a, "abcd", longpwd, 0), 0);
	assert_int_equal(ice_state(a), ICE_ST_CHECKING);
	assert_int_equal(ice_state(b), ICE_ST_NEW);
	/* a lite peer makes us controlling */
	assert_false(ice_is_controlling(b));
	assert_int_equal(
		ice_set_remote_credentials(b, "abcd", "0123456789012345678901", ICE_REMOTE_LITE),
		0);
	assert_true(ice_is_controlling(b));
	ice_set_role(b, false);
	assert_true(ice_is_controlling(b));
	ice_agent_free(a);
	ice_agent_free(b);
}

static void
test_candidate_parse(void **state)
{
	struct ice_cand c;
	struct sl_ep e;
	const char *s;

	s = "842163049 1 udp 1677729535 198.51.100.7 54321 typ srflx raddr 10.0.0.5 rport 5000 "
	    "generation 0 ufrag Ab12 network-cost 999";
	assert_int_equal(ice_candidate_parse(s, strlen(s), &c), 0);
	assert_string_equal(c.foundation, "842163049");
	assert_int_equal(c.component, 1);
	assert_int_equal(c.priority, 1677729535u);
	assert_int_equal(c.type, ICE_CAND_SRFLX);
	e = ep("198.51.100.7:54321");
	assert_true(sl_ep_eq(&c.addr, &e));
	e = ep("10.0.0.5:5000");
	assert_true(sl_ep_eq(&c.rel, &e));
	assert_false(c.mdns);

	/* the browser trickle form, IPv6, CRLF */
	s = "candidate:1 2 UDP 2122262783 2001:db8::5 40000 typ host\r\n";
	assert_int_equal(ice_candidate_parse(s, strlen(s), &c), 0);
	assert_int_equal(c.component, 2);
	e = ep("[2001:db8::5]:40000");
	assert_true(sl_ep_eq(&c.addr, &e));

	/* mDNS */
	s = "a=candidate:3 1 udp 2122260223 5c4b7e8a-0b8e-4e2f-9d6a-0a1b2c3d4e5f.local 61234 typ "
	    "host";
	assert_int_equal(ice_candidate_parse(s, strlen(s), &c), 0);
	assert_true(c.mdns);
	assert_string_equal(c.hostname, "5c4b7e8a-0b8e-4e2f-9d6a-0a1b2c3d4e5f.local");
	assert_int_equal(c.addr.port, 61234);
	assert_int_equal(c.addr.ip.family, 0);

	/* relay with a hidden raddr */
	s = "4 1 udp 16777215 203.0.113.9 3478 typ relay raddr 0.0.0.0 rport 0";
	assert_int_equal(ice_candidate_parse(s, strlen(s), &c), 0);
	assert_int_equal(c.type, ICE_CAND_RELAY);

	/* rejected */
	s = "1 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active";
	assert_int_equal(ice_candidate_parse(s, strlen(s), &c), -EPROTONOSUPPORT);
	static const char *const bad[] = {
		"",
		"1 1 udp 100 192.0.2.1 5000 typ",
		"1 1 udp 100 192.0.2.1 5000 type host",
		"1 1 udp 100 192.0.2.1 5000 typ bogus",
		"1 0 udp 100 192.0.2.1 5000 typ host",
		"1 257 udp 100 192.0.2.1 5000 typ host",
		"1 1 udp 4294967296 192.0.2.1 5000 typ host",
		"1 1 udp 0 192.0.2.1 5000 typ host",
		"1 1 udp 100 192.0.2.1 65536 typ host",
		"1 1 udp 100 192.0.2.1 -1 typ host",
		"1 1 udp 100 example.com 5000 typ host",
		"1 1 udp 100 [::1] 5000 typ host",
		"1 1 udp 100 192.0.2.1 5000 typ host raddr",
		"1 1 udp 100 192.0.2.1 5000 typ srflx raddr 1.2.3.4 rport 99999",
		"f_o 1 udp 100 192.0.2.1 5000 typ host",
		"123456789012345678901234567890123 1 udp 100 192.0.2.1 5000 typ host",
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ice_candidate_parse(bad[i], strlen(bad[i]), &c), -EINVAL);
	/* not NUL-terminated: the length bounds the parse */
	s = "1 1 udp 100 192.0.2.1 5000 typ host";
	assert_int_equal(ice_candidate_parse(s, strlen(s) - 5, &c), -EINVAL);
}

static void
test_candidate_format(void **state)
{
	struct ice_agent *a = ice_agent_create(2, true, NULL);
	struct sl_ep e1 = ep("127.0.0.1:30058"), e2 = ep("127.0.0.1:30059");
	struct sl_ep e3 = ep("192.0.2.1:30058"), e4 = ep("[2001:db8::1]:30058");
	char line[200];
	struct ice_cand c;

	assert_non_null(a);
	assert_int_equal(ice_add_local(a, 1, &e1, NULL, 0, "GyWK3LYccej0F5BA"), 0);
	assert_int_equal(ice_add_local(a, 2, &e2, NULL, 0, "GyWK3LYccej0F5BA"), 0);
	assert_int_equal(ice_add_local(a, 1, &e3, NULL, 1, NULL), 0);
	assert_int_equal(ice_add_local(a, 1, &e1, NULL, 0, NULL), -EEXIST);
	assert_int_equal(ice_add_local(a, 3, &e4, NULL, 0, NULL), -EINVAL);
	assert_int_equal(ice_add_local(a, 1, &e4, NULL, 2, NULL), 0);
	assert_int_equal(ice_candidate_format(ice_local_get(a, 0), line, sizeof(line)),
		strlen("GyWK3LYccej0F5BA 1 UDP 2130706431 127.0.0.1 30058 typ host"));
	assert_string_equal(line, "GyWK3LYccej0F5BA 1 UDP 2130706431 127.0.0.1 30058 typ host");
	ice_candidate_format(ice_local_get(a, 1), line, sizeof(line));
	assert_string_equal(line, "GyWK3LYccej0F5BA 2 UDP 2130706430 127.0.0.1 30059 typ host");
	/* second address: local_pref 1; its own foundation, 16 alnum chars */
	assert_int_equal(ice_local_get(a, 2)->priority, 2130706175u);
	assert_true(alnum(ice_local_get(a, 2)->foundation, 16));
	assert_string_not_equal(ice_local_get(a, 2)->foundation, "GyWK3LYccej0F5BA");
	ice_candidate_format(ice_local_get(a, 3), line, sizeof(line));
	assert_non_null(strstr(line, " 2001:db8::1 30058 typ host"));
	assert_int_equal(ice_candidate_format(ice_local_get(a, 0), line, 20), -ENOSPC);
	/* round trip of a relay line with raddr */
	static const char relay[] = "x1 1 UDP 16777215 203.0.113.9 3478 typ relay raddr 10.0.0.1 "
				    "rport 5000";
	assert_int_equal(ice_candidate_parse(relay, strlen(relay), &c), 0);
	ice_candidate_format(&c, line, sizeof(line));
	assert_string_equal(line, relay);
	assert_int_equal(ice_priority(ICE_TYPE_PREF_RELAY, 0, 1), 16777215u);
	ice_agent_free(a);
}

/* ---- one agent, hand-made requests ---- */

static int
request(struct ice_agent *a, const char *user, const char *pwd, uint16_t extra, bool prio,
	bool fp_ok, struct ice_out *out)
{
	static const uint8_t tid[12] = "tidtidtidtid";
	struct sl_ep local = ep("10.0.0.1:1000"), src = ep("10.0.0.2:2000");
	uint8_t buf[256];
	struct stun_builder b;
	int len;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	if (user != NULL)
		stun_add_attr(&b, STUN_ATTR_USERNAME, user, strlen(user));
	if (prio)
		stun_add_u32(&b, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_add_u64(&b, STUN_ATTR_ICE_CONTROLLING, 42);
	if (extra != 0)
		stun_add_attr(&b, extra, "\x00\x00\x00\x01", 4);
	if (pwd != NULL)
		stun_add_integrity(&b, pwd, strlen(pwd));
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	assert_true(len > 0);
	if (!fp_ok)
		buf[len - 1] ^= 1;
	out->n = 0;
	return ice_input_stun(a, &local, &src, buf, (size_t)len, 5000, out);
}

static uint16_t
reply_code(struct ice_agent *a, const struct ice_out *out, bool *auth)
{
	struct stun_msg m;

	assert_int_equal(out->n, 1);
	assert_int_equal(stun_parse(&m, out->pkt[0].data, out->pkt[0].len), 0);
	assert_memory_equal(m.tid, "tidtidtidtid", 12);
	*auth = stun_check_integrity(&m, ice_local_pwd(a), strlen(ice_local_pwd(a))) == 0;
	if (m.cls == STUN_SUCCESS) {
		struct sl_ep src = ep("10.0.0.2:2000");

		assert_true(m.has & STUN_HAS_XOR_MAPPED);
		assert_true(sl_ep_eq(&m.mapped, &src));
		return 0;
	}
	assert_int_equal(m.cls, STUN_ERROR);
	if (m.error_code == 420) {
		assert_int_equal(m.n_unknown_attrs, 1);
		assert_int_equal(m.unknown_attrs[0], 0x0031);
	}
	return m.error_code;
}

static void
test_request_validation(void **state)
{
	struct ice_conf conf = {.tiebreaker = 7};
	struct ice_agent *a = ice_agent_create(1, false, &conf);
	struct ice_pkt pkts[4];
	struct ice_out out = {.pkt = pkts, .cap = 4};
	struct sl_ep local = ep("10.0.0.1:1000"), other = ep("10.0.0.1:1001");
	char user[64];
	const char *pwd = ice_local_pwd(a);
	bool auth;

	assert_int_equal(ice_add_local(a, 1, &local, NULL, 0, NULL), 0);
	snprintf(user, sizeof(user), "%s:peer", ice_local_ufrag(a));

	/* good request, before any remote credentials are known: answered */
	assert_int_equal(request(a, user, pwd, 0, true, true, &out), 0);
	assert_int_equal(reply_code(a, &out, &auth), 0);
	assert_true(auth);
	assert_true(sl_ep_eq(&out.pkt[0].local, &local));
	/* comprehension-optional (Chrome 0xC057): ignored */
	assert_int_equal(request(a, user, pwd, 0xC057, true, true, &out), 0);
	assert_int_equal(reply_code(a, &out, &auth), 0);
	/* no MESSAGE-INTEGRITY: 400, unauthenticated */
	assert_int_equal(request(a, user, NULL, 0, true, true, &out), -EBADMSG);
	assert_int_equal(reply_code(a, &out, &auth), 400);
	assert_false(auth);
	/* no USERNAME */
	assert_int_equal(request(a, NULL, pwd, 0, true, true, &out), -EBADMSG);
	assert_int_equal(reply_code(a, &out, &auth), 400);
	/* wrong ufrag, then wrong password: 401 */
	assert_int_equal(request(a, "nobody:peer", pwd, 0, true, true, &out), -EACCES);
	assert_int_equal(reply_code(a, &out, &auth), 401);
	assert_false(auth);
	assert_int_equal(request(a, ice_local_ufrag(a), pwd, 0, true, true, &out), -EACCES);
	assert_int_equal(reply_code(a, &out, &auth), 401);
	assert_int_equal(request(a, user, "not-the-password", 0, true, true, &out), -EACCES);
	assert_int_equal(reply_code(a, &out, &auth), 401);
	/* unknown comprehension-required attribute: 420 listing it, authenticated */
	assert_int_equal(request(a, user, pwd, 0x0031, true, true, &out), -ENOTSUP);
	assert_int_equal(reply_code(a, &out, &auth), 420);
	assert_true(auth);
	/* no PRIORITY */
	assert_int_equal(request(a, user, pwd, 0, false, true, &out), -EBADMSG);
	assert_int_equal(reply_code(a, &out, &auth), 400);
	/* bad FINGERPRINT: silently dropped */
	assert_int_equal(request(a, user, pwd, 0, true, false, &out), -EILSEQ);
	assert_int_equal(out.n, 0);
	/* not one of our sockets */
	out.n = 0;
	assert_int_equal(ice_input_stun(a, &other, &local, "\0\1\0\0\x21\x12\xa4\x42tidtidtidtid",
				 20, 1, &out),
		-ENXIO);
	/* a response nobody asked for */
	assert_int_equal(ice_input_stun(a, &local, &other, "\1\1\0\0\x21\x12\xa4\x42tidtidtidtid",
				 20, 1, &out),
		-ENOENT);
	/* output full: the reply is counted as dropped, nothing overflows */
	out.cap = 0;
	assert_int_equal(request(a, user, pwd, 0, true, true, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(out.dropped, 1);
	/* the first good request taught a peer-reflexive candidate */
	assert_int_equal(ice_remote_count(a), 1);
	assert_int_equal(ice_remote_get(a, 0)->type, ICE_CAND_PRFLX);
	assert_int_equal(ice_remote_get(a, 0)->priority, 0x6e0001ffu);
	ice_agent_free(a);
}

static void
test_limits(void **state)
{
	struct ice_conf conf = {.max_remote = 16, .max_pairs = 8};
	struct ice_pkt pkts[16];
	struct ice_out out = {.pkt = pkts, .cap = 16};
	struct ice_agent *a = ice_agent_create(1, false, &conf);
	struct sl_ep local = ep("10.0.0.1:1000"), dst[64];
	unsigned int i, k, ndst = 0;
	char user[64];
	uint64_t now;

	assert_non_null(a);
	assert_int_equal(ice_add_local(a, 1, &local, NULL, 0, NULL), 0);
	assert_int_equal(ice_set_remote_credentials(a, "abcd", "0123456789012345678901", 0), 0);
	for (i = 0; i < 40; i++) {
		char line[100];
		struct ice_cand c;
		int rc;

		snprintf(line, sizeof(line), "f%u 1 udp %u 10.1.%u.%u 5000 typ host", i, 1000 + i,
			i / 200, i % 200 + 1);
		assert_int_equal(ice_candidate_parse(line, strlen(line), &c), 0);
		rc = ice_add_remote(a, &c);
		assert_int_equal(rc, i < 16 ? 0 : -ENOSPC);
	}
	assert_int_equal(ice_remote_count(a), 16);
	/* never more distinct targets than pairs, never more than max_tx each */
	for (now = 0; now < 60000; now += 10) {
		out.n = 0;
		ice_tick(a, now, &out);
		for (k = 0; k < out.n; k++) {
			unsigned int j;

			for (j = 0; j < ndst; j++)
				if (sl_ep_eq(&dst[j], &out.pkt[k].remote))
					break;
			if (j == ndst)
				dst[ndst++] = out.pkt[k].remote;
		}
	}
	assert_int_equal(ndst, 8);

	/* a flood from random sources: all answered, table stays bounded */
	snprintf(user, sizeof(user), "%s:abcd", ice_local_ufrag(a));
	for (i = 0; i < 1000; i++) {
		uint8_t buf[200], tid[12] = {0};
		struct stun_builder b;
		struct sl_ep src;
		char s[40];

		memcpy(tid, &i, sizeof(i));
		snprintf(s, sizeof(s), "172.16.%u.%u:%u", i / 250, i % 250 + 1, 1024 + i);
		src = ep(s);
		stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
		stun_add_attr(&b, STUN_ATTR_USERNAME, user, strlen(user));
		stun_add_u32(&b, STUN_ATTR_PRIORITY, 5);
		stun_add_u64(&b, STUN_ATTR_ICE_CONTROLLING, 1);
		stun_add_integrity(&b, ice_local_pwd(a), strlen(ice_local_pwd(a)));
		stun_add_fingerprint(&b);
		out.n = 0;
		assert_int_equal(ice_input_stun(a, &local, &src, buf, (size_t)stun_finish(&b),
					 70000 + i, &out),
			0);
		assert_true(out.n >= 1);
	}
	assert_int_equal(ice_remote_count(a), 16);
	ice_agent_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_candidate_parse),
		cmocka_unit_test(test_candidate_format),
		cmocka_unit_test(test_request_validation),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
