/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ng framing: sockets, cookie, document format, cookie cache, dispatch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "control/config.h"
#include "control/cookie.h"
#include "control/ng.h"
#include "monitor/mon.h"

#define NG_COOKIE_INTERVAL_S 30 /* rtpengine: replies replayed for 30-60 s */
#define NG_BURST 64             /* datagrams per wake-up per socket */

struct ng_counters ng_counters;

static int ng_sock[CFG_MAX_LISTEN];
static unsigned ng_nsock;
static struct cookie_cache *ng_cookies;
static char ng_rxbuf[NG_MAX_DGRAM + 1];
static char ng_txbuf[NG_MAX_DGRAM + 1];
/* --ng-allow: copied at init; empty = every source is answered */
static struct sl_cidr ng_allow[CFG_MAX_NG_ALLOW];
static unsigned ng_n_allow;

static const struct {
	const char *name;
	void (*fn)(struct ng_ctx *ctx);
} ng_table[NG_CMD_COUNT] = {
#define NG_CMD_ROW(str, name) [NG_CMD_##name] = {str, ng_cmd_##name},
	NG_COMMANDS(NG_CMD_ROW)
#undef NG_CMD_ROW
};

const char *
ng_cmd_name(enum ng_cmd cmd)
{
	return cmd < NG_CMD_COUNT ? ng_table[cmd].name : "?";
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool
ng_allowed(const struct sl_ip *ip)
{
	unsigned i;

	if (ng_n_allow == 0)
		return true;
	for (i = 0; i < ng_n_allow; i++) {
		if (sl_cidr_match(&ng_allow[i], ip))
			return true;
	}
	return false;
}

/*
 * ng has no authentication: whoever reaches the socket controls the relay.
 * Say so when it is reachable from elsewhere and nothing restricts it.
 */
static void
ng_allow_log(const struct sl_config *cfg)
{
	char buf[SL_EPSTRLEN];
	unsigned i;

	for (i = 0; i < cfg->n_listen_ng && cfg->n_ng_allow == 0; i++) {
		if (sl_ip_is_loopback(&cfg->listen_ng[i].ip))
			continue;
		SL_WARN("ng",
			"--listen-ng=%s is not a loopback address and no --ng-allow is set: "
			"anyone who can reach it controls the relay (ng has no authentication)",
			sl_ep_fmt(&cfg->listen_ng[i], buf, sizeof(buf)));
	}
	if (cfg->n_ng_allow > 0)
		SL_NOTICE("ng", "answering ng only from the %u network(s) of --ng-allow",
			cfg->n_ng_allow);
}

int
ng_init(const struct sl_config *cfg, char *err, size_t errlen)
{
	unsigned i;

	ng_cookies = cookie_cache_create(NG_COOKIE_INTERVAL_S);
	if (ng_cookies == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ng_n_allow = cfg->n_ng_allow;
	memcpy(ng_allow, cfg->ng_allow, sizeof(ng_allow[0]) * ng_n_allow);
	ng_allow_log(cfg);
	for (i = 0; i < cfg->n_listen_ng; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sl_ep_to_sockaddr(&cfg->listen_ng[i], &ss);
		char buf[SL_EPSTRLEN];
		int fd, one = 1, sz = 4 << 20;

		fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* Kamailio retransmits on loss: a deep queue absorbs bursts of requests */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			close(fd);
			goto fail;
		}
		ng_sock[ng_nsock++] = fd;
		SL_NOTICE("ng", "listening on %s", sl_ep_fmt(&cfg->listen_ng[i], buf, sizeof(buf)));
		continue;
fail:
		snprintf(err, errlen, "--listen-ng=%s: %s",
			sl_ep_fmt(&cfg->listen_ng[i], buf, sizeof(buf)), strerror(errno));
		ng_fini();
		return -errno;
	}
	return 0;
}

void
ng_fini(void)
{
	unsigned i;

	for (i = 0; i < ng_nsock; i++)
		close(ng_sock[i]);
	ng_nsock = 0;
	cookie_cache_destroy(ng_cookies);
	ng_cookies = NULL;
}

unsigned
ng_fds(int *fds, unsigned max)
{
	unsigned i;

	for (i = 0; i < ng_nsock && i < max; i++)
		fds[i] = ng_sock[i];
	return i;
}

void
ng_tick(uint64_t now_mono)
{
	size_t len;

	/* a lookup rotates the generations when due */
	cookie_cache_lookup(ng_cookies, "", 0, now_mono, &len);
}

static struct ng_val *
ng_error_reply(struct sl_arena *a, const char *reason)
{
	struct ng_val *r = ng_new_dict(a);

	ng_dict_add_str(a, r, "result", "error");
	ng_dict_add_str(a, r, "error-reason", reason);
	return r;
}

static const struct ng_val *
ng_find_cmd(const struct ng_val *req, int *cmd)
{
	const struct ng_val *v = ng_dict_get(req, "command");
	unsigned i;

	*cmd = -1;
	if (v == NULL || v->type != NG_STR)
		return v;
	for (i = 0; i < NG_CMD_COUNT; i++)
		if (strcmp(v->str.s, ng_table[i].name) == 0)
			*cmd = (int)i;
	return v;
}

size_t
ng_process(const char *buf, size_t len, const struct sl_ep *src, char *out, size_t cap)
{
	const char *sp = memchr(buf, ' ', len), *doc, *derr = NULL;
	size_t clen, dlen, rlen;
	struct sl_arena arena;
	struct ng_val *req = NULL, *reply;
	struct ng_ctx ctx;
	bool json;
	long n;
	int cmd = -1;
	uint64_t t0, now_mono;
	const char *cached;

	/* outside --ng-allow: no reply at all, not even an error (nothing to probe or reflect) */
	if (!ng_allowed(&src->ip)) {
		ng_counters.denied++;
		return 0;
	}
	/* no cookie: no reply at all (rtpengine drops it silently) */
	if (sp == NULL || sp == buf) {
		ng_counters.malformed++;
		return 0;
	}
	clen = (size_t)(sp - buf);
	doc = sp + 1;
	dlen = len - clen - 1;
	t0 = mono_us();
	now_mono = t0 / 1000000u;
	cached = cookie_cache_lookup(ng_cookies, buf, clen, now_mono, &rlen);
	if (cached != NULL) {
		if (rlen > cap)
			return 0;
		memcpy(out, cached, rlen);
		ng_counters.duplicates++;
		return rlen;
	}

	sl_arena_init(&arena, 16384);
	json = dlen > 0 && doc[0] == '{';
	if (dlen > 0 && doc[0] == 'd')
		req = ng_bencode_decode(&arena, doc, dlen, &derr);
	else if (json)
		req = ng_json_decode(&arena, doc, dlen, &derr);
	else
		derr = "Invalid NG data format";

	memset(&ctx, 0, sizeof(ctx));
	if (req == NULL || req->type != NG_DICT) {
		ng_counters.malformed++;
		reply = ng_error_reply(&arena, derr != NULL && dlen > 0 && (doc[0] == 'd' ||
			json) ? "Could not decode dictionary" : "Invalid NG data format");
	} else if (ng_find_cmd(req, &cmd) == NULL) {
		ng_counters.malformed++;
		reply = ng_error_reply(&arena, "Dictionary contains no key \"command\"");
	} else if (cmd < 0) {
		reply = ng_error_reply(&arena, "Unrecognized command");
	} else {
		ctx.arena = &arena;
		ctx.req = req;
		ctx.reply = ng_new_dict(&arena);
		ctx.src = *src;
		ctx.now_mono = now_mono;
		ctx.now_real_us = real_us();
		ng_counters.requests[cmd]++;
		ng_table[cmd].fn(&ctx);
		if (ctx.error != NULL) {
			ng_counters.errors[cmd]++;
			reply = ng_error_reply(&arena, ctx.error);
		} else {
			reply = ctx.reply;
			if (ctx.warning != NULL)
				ng_dict_add_str(&arena, reply, "warning", ctx.warning);
			ng_dict_add_str(&arena, reply, "result", ctx.result ? ctx.result : "ok");
		}
		ng_counters.total_us[cmd] += mono_us() - t0;
	}

	/* cookie SP reply document, in the request's format */
	if (clen + 1 >= cap) {
		sl_arena_free(&arena);
		return 0;
	}
	memcpy(out, buf, clen);
	out[clen] = ' ';
	n = json ? ng_json_encode(reply, out + clen + 1, cap - clen - 1) :
		   ng_bencode_encode(reply, out + clen + 1, cap - clen - 1);
	if (n < 0) {
		/* did not fit in one datagram */
		reply = ng_error_reply(&arena, "Reply too large");
		n = json ? ng_json_encode(reply, out + clen + 1, cap - clen - 1) :
			   ng_bencode_encode(reply, out + clen + 1, cap - clen - 1);
	}
	sl_arena_free(&arena);
	if (n < 0)
		return 0;
	rlen = clen + 1 + (size_t)n;
	if (cmd != NG_CMD_ping)
		cookie_cache_insert(ng_cookies, buf, clen, out, rlen, now_mono);
	return rlen;
}

void
ng_handle_fd(int fd)
{
	unsigned i;

	for (i = 0; i < NG_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct sl_ep src;
		ssize_t n;
		size_t r;

		n = recvfrom(fd, ng_rxbuf, NG_MAX_DGRAM, 0, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN: drained */
		}
		if (sl_ep_from_sockaddr((struct sockaddr *)&ss, &src) < 0)
			continue;
		ng_rxbuf[n] = '\0';
		r = ng_process(ng_rxbuf, (size_t)n, &src, ng_txbuf, NG_MAX_DGRAM);
		if (r > 0)
			sendto(fd, ng_txbuf, r, 0, (struct sockaddr *)&ss, sl);
		mon_homer_ng(fd, &src, ng_rxbuf, (size_t)n, ng_txbuf, r); /* --homer-enable-ng */
	}
}
