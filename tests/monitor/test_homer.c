/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEP export (mon_homer.c, mon_homer_ng.c) against real sockets on
 * 127.0.0.1: the TCP sender notices a collector that closed the connection,
 * reconnects after 1 s (not rtpengine's 30) and delivers the next message
 * whole on the new connection; --homer-enable-ng sends an ng request and
 * its reply with rtpengine's protocol type, addresses and call-id, and
 * nothing for ping or an unanswered request. Every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/addr.h"
#include "control/config.h"
#include "monitor/hep.h"
#include "monitor/mon.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* a socket bound to 127.0.0.1 on a free port; *port gets it */
static int
bound(int type, uint16_t *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
homer_up(uint16_t port, bool tcp, bool ng)
{
	static struct sl_config cfg; /* large: not on the stack */
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.homer, sizeof(cfg.homer), "127.0.0.1:%u", port);
	cfg.homer_protocol = tcp ? 1 : 0;
	cfg.homer_id = 99;
	cfg.homer_enable_ng = ng;
	assert_int_equal(mon_homer_init(&cfg, err, sizeof(err)), 0);
}

static struct hep_msg
rtcp_msg(const char *payload)
{
	struct hep_msg m;

	memset(&m, 0, sizeof(m));
	assert_int_equal(sl_ep_parse("198.18.1.10:20001", NULL, 0, &m.src), 0);
	assert_int_equal(sl_ep_parse("198.18.1.1:30001", NULL, 0, &m.dst), 0);
	m.ts_us = 1795693417123456ull;
	m.proto_type = HEP_PROTO_RTCP_JSON;
	m.capture_id = 99;
	m.corr = "call-1";
	m.corr_len = 6;
	m.payload = payload;
	m.payload_len = strlen(payload);
	return m;
}

/* tick the sender until @p fd is readable (accept or data); bounded */
static bool
tick_until_readable(int fd, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (now_ms() < end) {
		mon_homer_tick();
		if (poll(&p, 1, 5) == 1)
			return true;
	}
	return false;
}

/* one whole HEP message from a TCP stream (length from the header) */
static ssize_t
read_hep(int fd, uint8_t *buf, size_t cap)
{
	size_t n = 0, want = 6;
	uint64_t end = now_ms() + 2000;

	while (n < want && now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		mon_homer_tick();
		if (poll(&p, 1, 5) != 1)
			continue;
		r = recv(fd, buf + n, want - n, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		if (n == 6) {
			assert_memory_equal(buf, "HEP3", 4);
			want = (size_t)buf[4] << 8 | buf[5];
			assert_true(want <= cap);
		}
	}
	return n == want ? (ssize_t)n : -1;
}

static void
test_tcp_reconnect(void **state)
{
	uint8_t want1[2048], want2[2048], got[2048];
	struct hep_msg m1 = rtcp_msg("{\"n\":1}"), m2 = rtcp_msg("{\"n\":2}");
	ssize_t n1, n2;
	uint16_t port;
	uint64_t t_drop, sent, dropped;
	int ls, c1, c2;

	(void)state;
	n1 = hep_encode(&m1, want1, sizeof(want1));
	n2 = hep_encode(&m2, want2, sizeof(want2));
	ls = bound(SOCK_STREAM, &port);
	assert_int_equal(listen(ls, 4), 0);
	homer_up(port, true, false);

	assert_int_equal(mon_homer_send(&m1), 0);
	assert_true(tick_until_readable(ls, 2000));
	c1 = accept(ls, NULL, NULL);
	assert_true(c1 >= 0);
	assert_int_equal(read_hep(c1, got, sizeof(got)), n1);
	assert_memory_equal(got, want1, (size_t)n1);
	assert_int_equal(mon_homer_connects(), 1);

	/* the collector restarts: the connection goes away between two messages */
	close(c1);
	t_drop = now_ms();
	usleep(50 * 1000);
	assert_int_equal(mon_homer_send(&m2), 0);
	/* rtpengine would wait 30 s; sluice reconnects after 1 s */
	assert_true(tick_until_readable(ls, 5000));
	c2 = accept(ls, NULL, NULL);
	assert_true(c2 >= 0);
	print_message(
		"reconnected %llu ms after the drop\n", (unsigned long long)(now_ms() - t_drop));
	assert_true(now_ms() - t_drop >= 900); /* the backoff was respected */
	assert_int_equal(read_hep(c2, got, sizeof(got)), n2);
	assert_memory_equal(got, want2, (size_t)n2); /* whole, not lost in the dead one */
	assert_int_equal(mon_homer_connects(), 2);
	mon_homer_counts(&sent, &dropped);
	assert_int_equal(sent, 2);
	assert_int_equal(dropped, 0);

	close(c2);
	close(ls);
	mon_homer_fini();
}

/* decoded generic chunks of one HEP3 datagram */
struct hep_dec {
	uint8_t family, ipproto, ptype;
	uint32_t capid, src4, dst4, sec, usec;
	uint16_t sport, dport;
	char corr[128];
	const uint8_t *payload;
	size_t plen;
	unsigned chunks;
};

static uint32_t
be32(const uint8_t *v)
{
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

static void
hep_decode(const uint8_t *b, size_t len, struct hep_dec *d)
{
	size_t off = 6;

	memset(d, 0, sizeof(*d));
	assert_true(len >= 6);
	assert_memory_equal(b, "HEP3", 4);
	assert_int_equal((size_t)(b[4] << 8 | b[5]), len);
	while (off + 6 <= len) {
		unsigned vendor = (unsigned)(b[off] << 8 | b[off + 1]);
		unsigned type = (unsigned)(b[off + 2] << 8 | b[off + 3]);
		size_t cl = (size_t)(b[off + 4] << 8 | b[off + 5]), dl = cl - 6;
		const uint8_t *v = b + off + 6;
		uint32_t u32 = dl >= 4 ? be32(v) : 0;

		assert_int_equal(vendor, 0);
		assert_true(cl >= 6 && off + cl <= len);
		switch (type) {
		case 1:
			d->family = v[0];
			break;
		case 2:
			d->ipproto = v[0];
			break;
		case 3:
			d->src4 = u32;
			break;
		case 4:
			d->dst4 = u32;
			break;
		case 7:
			d->sport = (uint16_t)(v[0] << 8 | v[1]);
			break;
		case 8:
			d->dport = (uint16_t)(v[0] << 8 | v[1]);
			break;
		case 9:
			d->sec = u32;
			break;
		case 10:
			d->usec = u32;
			break;
		case 11:
			d->ptype = v[0];
			break;
		case 12:
			d->capid = u32;
			break;
		case 15:
			d->payload = v;
			d->plen = dl;
			break;
		case 17:
			assert_true(dl < sizeof(d->corr));
			memcpy(d->corr, v, dl);
			break;
		default:
			break;
		}
		off += cl;
		d->chunks++;
	}
	assert_int_equal(off, len);
}

static ssize_t
recv_wait(int fd, uint8_t *buf, size_t cap, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) != 1)
		return -1;
	return recv(fd, buf, cap, 0);
}

static void
test_ng_exchange(void **state)
{
	static const char req[] = "5213_1 d7:call-id9:ng-call-17:command5:offer3:sdp3:v=0e";
	static const char rep[] = "5213_1 d6:result2:oke";
	static const char jreq[] = "77 {\"command\":\"delete\",\"call-id\":\"j-call\"}";
	static const char jrep[] = "77 {\"result\":\"ok\"}";
	static const char ping[] = "9 d7:command4:pinge";
	static const char pong[] = "9 d6:result4:ponge";
	uint8_t buf[4096];
	struct hep_dec d;
	struct sl_ep peer;
	uint16_t hport, ngport, peerport = 40123;
	ssize_t n;
	uint32_t lo = INADDR_LOOPBACK;
	int hs, ngfd;

	(void)state;
	hs = bound(SOCK_DGRAM, &hport);
	ngfd = bound(SOCK_DGRAM, &ngport); /* stands for a --listen-ng socket */
	assert_int_equal(sl_ep_parse("127.0.0.1:40123", NULL, 0, &peer), 0);
	homer_up(hport, false, true);
	assert_true(mon_homer_ng_enabled());

	mon_homer_ng(ngfd, &peer, req, strlen(req), rep, strlen(rep));
	/* the request: client -> our ng socket */
	n = recv_wait(hs, buf, sizeof(buf), 1000);
	assert_true(n > 0);
	hep_decode(buf, (size_t)n, &d);
	assert_int_equal(d.family, AF_INET);
	assert_int_equal(d.ipproto, 17);
	assert_int_equal(d.ptype, 0x3d);
	assert_int_equal(d.capid, 99);
	assert_int_equal(d.src4, lo);
	assert_int_equal(d.sport, peerport);
	assert_int_equal(d.dst4, lo);
	assert_int_equal(d.dport, ngport);
	assert_true(d.sec > 1700000000u && d.usec < 1000000u);
	assert_string_equal(d.corr, "ng-call-1");
	assert_int_equal(d.plen, strlen(req));
	assert_memory_equal(d.payload, req, d.plen);
	/* the reply: our ng socket -> client */
	n = recv_wait(hs, buf, sizeof(buf), 1000);
	assert_true(n > 0);
	hep_decode(buf, (size_t)n, &d);
	assert_int_equal(d.ptype, 0x3d);
	assert_int_equal(d.sport, ngport);
	assert_int_equal(d.dport, peerport);
	assert_string_equal(d.corr, "ng-call-1");
	assert_int_equal(d.plen, strlen(rep));
	assert_memory_equal(d.payload, rep, d.plen);

	/* JSON works the same way */
	mon_homer_ng(ngfd, &peer, jreq, strlen(jreq), jrep, strlen(jrep));
	n = recv_wait(hs, buf, sizeof(buf), 1000);
	assert_true(n > 0);
	hep_decode(buf, (size_t)n, &d);
	assert_string_equal(d.corr, "j-call");
	assert_memory_equal(d.payload, jreq, d.plen);
	n = recv_wait(hs, buf, sizeof(buf), 1000);
	assert_true(n > 0);
	hep_decode(buf, (size_t)n, &d);
	assert_memory_equal(d.payload, jrep, d.plen);

	/* not sent: ping, and a request that got no reply */
	mon_homer_ng(ngfd, &peer, ping, strlen(ping), pong, strlen(pong));
	mon_homer_ng(ngfd, &peer, req, strlen(req), rep, 0);
	assert_int_equal(recv_wait(hs, buf, sizeof(buf), 200), -1);

	/* a request that does not decode still goes, without a correlation id */
	mon_homer_ng(ngfd, &peer, "x1 garbage", 10, "x1 d6:result5:errore", 20);
	n = recv_wait(hs, buf, sizeof(buf), 1000);
	assert_true(n > 0);
	hep_decode(buf, (size_t)n, &d);
	assert_string_equal(d.corr, "");
	assert_memory_equal(d.payload, "x1 garbage", 10);
	n = recv_wait(hs, buf, sizeof(buf), 1000);
	assert_true(n > 0);

	mon_homer_fini();
	assert_false(mon_homer_ng_enabled());
	/* disabled: nothing */
	mon_homer_ng(ngfd, &peer, req, strlen(req), rep, strlen(rep));
	assert_int_equal(recv_wait(hs, buf, sizeof(buf), 100), -1);
	close(hs);
	close(ngfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_reconnect),
		cmocka_unit_test(test_ng_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
