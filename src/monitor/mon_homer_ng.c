/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --homer-enable-ng: ng requests and replies to Homer as HEPv3
 * (rtpengine-compat.md 6.4). Each exchange gives two messages, the request
 * from the client to our ng socket and the reply back, each carrying the
 * datagram as it crossed the wire ("cookie SP document", bencode or JSON),
 * protocol type 0x3d and the request's call-id as correlation id, so Homer
 * shows the ng commands next to the call's SIP and RTCP. ping is not sent
 * (rtpengine neither); replies answered from the cookie cache are, like
 * rtpengine's. Undecodable requests are sent without a correlation id.
 * Datagrams that get no reply at all (no cookie, a source outside
 * --ng-allow) are not: a stranger must not be able to fill Homer.
 *
 * Called from ng_handle_fd() after the reply went out; it decodes the
 * request a second time (only while enabled) so that ng.c needs no change
 * beyond the call. Control thread.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/addr.h"
#include "common/arena.h"
#include "control/ng_tree.h"
#include "monitor/hep.h"
#include "monitor/mon.h"

static uint64_t
real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Command and call-id of a request. @return false for ping (not traced).
 * *call_id stays NULL when the request has none or does not decode.
 */
static bool
ng_fields(struct sl_arena *a, const char *req, size_t len, const char **call_id)
{
	const char *sp = memchr(req, ' ', len), *cmd;
	const struct ng_val *d = NULL;
	size_t dlen;

	*call_id = NULL;
	if (sp == NULL)
		return true;
	dlen = len - (size_t)(sp + 1 - req);
	if (dlen > 0 && sp[1] == 'd')
		d = ng_bencode_decode(a, sp + 1, dlen, NULL);
	else if (dlen > 0 && sp[1] == '{')
		d = ng_json_decode(a, sp + 1, dlen, NULL);
	if (d == NULL || d->type != NG_DICT)
		return true;
	cmd = ng_dict_get_str(d, "command", NULL);
	if (cmd != NULL && strcmp(cmd, "ping") == 0)
		return false;
	*call_id = ng_dict_get_str(d, "call-id", NULL);
	return true;
}

static void
send_one(const struct sl_ep *src, const struct sl_ep *dst, uint64_t ts_us, const char *call_id,
	const char *data, size_t len)
{
	struct hep_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.src = *src;
	msg.dst = *dst;
	msg.ts_us = ts_us;
	msg.proto_type = HEP_PROTO_NG;
	msg.capture_id = mon_homer_capture_id();
	if (call_id != NULL && call_id[0] != '\0') {
		msg.corr = call_id;
		msg.corr_len = strlen(call_id);
	}
	msg.payload = data;
	msg.payload_len = len;
	mon_homer_send(&msg); /* failures are counted as dropped there */
}

void
mon_homer_ng(int fd, const struct sl_ep *peer, const char *req, size_t req_len, const char *reply,
	size_t reply_len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct sl_arena arena;
	struct sl_ep local;
	const char *call_id;
	uint64_t now;

	if (!mon_homer_ng_enabled() || req_len == 0 || reply_len == 0)
		return;
	/* our end of the exchange: the ng socket's own address */
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
		sl_ep_from_sockaddr((struct sockaddr *)&ss, &local) < 0 ||
		local.ip.family != peer->ip.family)
		return;
	sl_arena_init(&arena, 4096);
	if (ng_fields(&arena, req, req_len, &call_id)) {
		now = real_us();
		send_one(peer, &local, now, call_id, req, req_len);
		send_one(&local, peer, real_us(), call_id, reply, reply_len);
	}
	sl_arena_free(&arena);
}
