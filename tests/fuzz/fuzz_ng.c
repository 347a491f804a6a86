/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ng request path as a whole (control/ng.c: ng_process): cookie, bencode
 * or JSON document, command dispatch, and behind it the command handlers
 * with their SDP parsing and rewriting, ICE, SDES and DTLS-SRTP set-up, port
 * allocation and the mailbox messages to the data plane. The data plane is
 * the unit tests' one (tests/dataplane/dp_harness.c): EAL with --no-huge, a
 * ring port, workers that are never launched; the harness applies their
 * mailboxes after each request. Nothing opens a socket (no --listen-ng).
 *
 * Input: datagrams separated by a line "%%" ("\n%%\n"), so that one input
 * can be an offer, its answer, a query and a delete. A part that starts with
 * '@' is media instead: [@][socket][flags][UDP payload], sent from a peer to
 * one of the relay sockets the replies so far advertised (socket % known;
 * flags bit 0: to its RTCP port, bit 1: from another port, bit 2: run the
 * calls' ICE/DTLS timers (flags >> 4) s later, bit 3: run the timeout sweep
 * an hour later). It goes through the owner worker's packet path, and what the
 * worker punts (STUN, DTLS) or copies (RTCP) through the control thread's
 * handlers (ctl_pkt_input, call_mon_rtcp): ICE agents, DTLS associations and
 * RTCP statistics of real calls.
 * After each input every call is destroyed and the cookie cache dropped, so
 * inputs are independent.
 * Properties: every datagram with a cookie gets a reply that starts with the
 * cookie and holds a dictionary with a "result"; a datagram without one
 * gets none; nothing is left behind after the calls are destroyed.
 */
#include <errno.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "common/log.h"
#include "common/addr.h"
#include "common/arena.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/ctl.h"
#include "control/ctl_pkt.h"
#include "control/defer.h"
#include "control/ng.h"
#include "control/ports.h"
#include "dataplane/dp.h"
#include "dataplane/dp_priv.h"
#include "dp_harness.h"
#include "fuzz.h"

#define SEP "\n%%\n"
#define SEP_LEN 4
#define MAX_SOCKS 16
#define BURST 32

static char out[NG_MAX_DGRAM + 1];
static struct sl_ep src;
static bool verbose; /* FUZZ_VERBOSE set: print requests and replies (corpus work) */
/* relay sockets (RTP port; RTCP is + 1) seen in the SDP of replies */
static struct sl_ep socks[MAX_SOCKS];
static unsigned n_socks;
static unsigned mbufs_idle; /* mbufs in use between inputs */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	/* errors only: per-call notices would drown libFuzzer's output */
	sl_log_init(SL_LOG_ERR, 1);
	if (th_setup("fuzz_ng") < 0) {
		fprintf(stderr, "fuzz_ng: EAL/data plane set-up failed\n");
		exit(1);
	}
	th_cfg.n_listen_ng = 0;
	th_cfg.timeout = 60;
	th_cfg.silent_timeout = 3600;
	th_cfg.offer_timeout = 3600;
	th_cfg.delete_delay = 30;
	if (ctl_init(&th_cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_ng: %s\n", err);
		exit(1);
	}
	atexit(th_teardown);
	mbufs_idle = rte_mempool_in_use_count(dp_mempool());
	sl_ip_parse("127.0.0.1", &src.ip);
	src.port = 9999;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	return 0;
}

/* the m= ports of an SDP we sent, with the c= address that applies to them */
static void
remember_socks(const char *sdp)
{
	char addr[64] = "";
	const char *l;
	unsigned port;
	struct sl_ep ep;

	for (l = sdp; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l != NULL ? l + 1 : NULL) {
		if (sscanf(l, "c=IN IP%*1[46] %63[0-9a-fA-F.:]", addr) == 1)
			continue;
		if (sscanf(l, "m=%*s %u", &port) != 1 || port == 0 || port > 65535 ||
			sl_ip_parse(addr, &ep.ip) < 0 || n_socks == MAX_SOCKS)
			continue;
		ep.port = (uint16_t)port;
		socks[n_socks++] = ep;
	}
}

static void
check_reply(const char *req, size_t len, size_t n)
{
	const char *sp = memchr(req, ' ', len), *err;
	struct sl_arena a;
	struct ng_val *v;
	size_t clen, dlen;

	if (sp == NULL || sp == req) {
		FUZZ_CHECK(n == 0);
		return;
	}
	clen = (size_t)(sp - req);
	FUZZ_CHECK(n > clen && memcmp(out, req, clen) == 0 && out[clen] == ' ');
	dlen = n - clen - 1;
	sl_arena_init(&a, 16384);
	/* in the request's format, or in the one of an earlier request with this
	 * cookie (a retransmission is answered from the cookie cache) */
	if (dlen > 0 && out[clen + 1] == '{')
		v = ng_json_decode(&a, out + clen + 1, dlen, &err);
	else
		v = ng_bencode_decode(&a, out + clen + 1, dlen, &err);
	FUZZ_CHECK(v != NULL && v->type == NG_DICT);
	FUZZ_CHECK(ng_dict_get_str(v, "result", NULL) != NULL);
	remember_socks(ng_dict_get_str(v, "sdp", NULL));
	sl_arena_free(&a);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* what the workers handed to the control thread, handled as ctl.c does */
static void
drain_punts(void)
{
	struct rte_mbuf *pkts[BURST];
	unsigned n, i, w;

	for (w = 0; w < dp_conf.n_workers; w++)
		while ((n = th_tx(w, pkts, BURST)) > 0)
			th_free(pkts, n);
	while ((n = dp_punt_take(pkts, BURST)) > 0) {
		for (i = 0; i < n; i++)
			ctl_pkt_input(pkts[i]);
		th_free(pkts, n);
	}
	while ((n = dp_rtcp_take(pkts, BURST)) > 0) {
		for (i = 0; i < n; i++) {
			const struct dp_rtcp_copy *h =
				rte_pktmbuf_mtod(pkts[i], const struct dp_rtcp_copy *);
			struct call_media *m = call_sock_media(h->addr_idx, h->lport);

			if (m != NULL)
				call_mon_rtcp(m, h, (const uint8_t *)(h + 1));
		}
		th_free(pkts, n);
	}
	th_drain();
}

static void
media(const uint8_t *p, size_t len)
{
	char dst[SL_ADDRSTRLEN];
	struct sl_ep to;
	uint8_t flags;

	if (len < 3 || n_socks == 0)
		return;
	to = socks[p[1] % n_socks];
	flags = p[2];
	to.port = (uint16_t)(to.port + (flags & 1));
	sl_ip_fmt(&to.ip, dst, sizeof(dst));
	if (dp_addr_find(&to.ip) >= 0 && len - 3 <= 1400)
		th_rx(dp_owner(to.port),
			th_udp(to.ip.family == AF_INET6 ? "2001:db8:2::10" : "198.18.1.10",
				flags & 2 ? 4002 : 4000, dst, to.port, p + 3, (uint16_t)(len - 3)));
	drain_punts();
	if (flags & 4) {
		call_timers_run(mono_ms() + 1000u * (flags >> 4));
		drain_punts();
	}
	if (flags & 8) {
		calls_sweep(mono_ms() / 1000u + 3600);
		drain_punts();
	}
}

static void
one(const char *p, size_t len)
{
	char *req = fuzz_dup(p, len, 0);
	size_t n;

	if (len > 0 && p[0] == '@') {
		media((const uint8_t *)req, len);
		free(req);
		return;
	}
	n = ng_process(req, len, &src, out, NG_MAX_DGRAM);
	FUZZ_CHECK(n <= NG_MAX_DGRAM);
	if (verbose)
		printf("<<< %.*s\n>>> %.*s\n", (int)len, req, (int)n, out);
	check_reply(req, len, n);
	th_drain();
	free(req);
}

/* forget everything the input created: calls, their ports, the cookie cache */
static void
reset(void)
{
	char err[256];
	struct call *c;
	unsigned w;

	while ((c = call_first()) != NULL)
		call_destroy(c, CALL_END_FORCED);
	th_drain();
	/* packets waiting for a next hop: their flows are gone */
	for (w = 0; w < dp_conf.n_workers; w++)
		dp_held_retry(dp_lcores[w], true);
	drain_punts();
	n_socks = 0;
	ports_reclaim(dp_applied_gen);
	defer_reclaim(dp_applied_gen);
	ng_fini();
	FUZZ_CHECK(ng_init(&th_cfg, err, sizeof(err)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *sep;

	while (p < end) {
		sep = memmem(p, (size_t)(end - p), SEP, SEP_LEN);
		one(p, sep != NULL ? (size_t)(sep - p) : (size_t)(end - p));
		if (sep == NULL)
			break;
		p = sep + SEP_LEN;
	}
	reset();
	FUZZ_CHECK(calls_count() == 0);
	/* every mbuf the input took is back in the pool */
	FUZZ_CHECK(rte_mempool_in_use_count(dp_mempool()) == mbufs_idle);
	return 0;
}
