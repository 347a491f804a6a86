/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEPv3 export to Homer (--homer, --homer-protocol, --homer-id): control
 * thread. UDP sends each message as one datagram; TCP keeps a bounded queue
 * (200 messages, as rtpengine) while connecting and reconnects 30 s after a
 * drop. Nothing here ever blocks the control loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "control/config.h"
#include "monitor/hep.h"
#include "monitor/mon.h"

#define HOMER_QUEUE 200
#define HOMER_RECONNECT_S 30

struct homer_msg {
	size_t len, off;
	uint8_t *data;
};

static struct {
	bool on, tcp;
	uint32_t capture_id;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;
	bool connected;
	uint64_t retry_at;
	struct homer_msg q[HOMER_QUEUE];
	unsigned head, n;
	uint64_t sent, dropped;
} H = {.fd = -1};

static uint64_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

int
mon_homer_init(const struct sl_config *cfg, char *err, size_t errlen)
{
	struct sl_ep ep;

	memset(&H, 0, sizeof(H));
	H.fd = -1;
	if (cfg->homer[0] == '\0')
		return 0;
	if (sl_ep_parse(cfg->homer, NULL, HEP_PORT_DEFAULT, &ep) < 0) {
		snprintf(err, errlen, "option --homer: invalid address '%s'", cfg->homer);
		return -EINVAL;
	}
	H.sl = sl_ep_to_sockaddr(&ep, &H.ss);
	H.tcp = cfg->homer_protocol == 1;
	H.capture_id = cfg->homer_id;
	H.on = true;
	if (!H.tcp) {
		H.fd = socket(H.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (H.fd < 0 || connect(H.fd, (struct sockaddr *)&H.ss, H.sl) < 0) {
			snprintf(err, errlen, "--homer=%s: %s", cfg->homer, strerror(errno));
			if (H.fd >= 0)
				close(H.fd);
			return -errno;
		}
		H.connected = true;
	}
	SL_NOTICE("mon", "HEP export to %s over %s, capture id %u", cfg->homer,
		H.tcp ? "TCP" : "UDP", H.capture_id);
	return 0;
}

bool
mon_homer_enabled(void)
{
	return H.on;
}

uint32_t
mon_homer_capture_id(void)
{
	return H.capture_id;
}

static void
tcp_drop(void)
{
	if (H.fd >= 0)
		close(H.fd);
	H.fd = -1;
	H.connected = false;
	H.retry_at = mono_s() + HOMER_RECONNECT_S;
}

static void
tcp_connect(void)
{
	if (H.fd >= 0 || mono_s() < H.retry_at)
		return;
	H.fd = socket(H.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (H.fd < 0) {
		H.retry_at = mono_s() + HOMER_RECONNECT_S;
		return;
	}
	if (connect(H.fd, (struct sockaddr *)&H.ss, H.sl) < 0 && errno != EINPROGRESS) {
		tcp_drop();
		return;
	}
}

/* push queued messages as far as the socket takes them */
static void
tcp_flush(void)
{
	tcp_connect();
	while (H.fd >= 0 && H.n > 0) {
		struct homer_msg *m = &H.q[H.head];
		ssize_t w = send(H.fd, m->data + m->off, m->len - m->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINPROGRESS || errno == ENOTCONN)
				return; /* not writable yet */
			SL_LOG_RL(SL_LOG_WARNING, "mon", "HEP TCP connection lost: %s", strerror(errno));
			m->off = 0; /* resend the message whole on the next connection */
			tcp_drop();
			return;
		}
		H.connected = true;
		m->off += (size_t)w;
		if (m->off < m->len)
			return;
		free(m->data);
		m->data = NULL;
		H.head = (H.head + 1) % HOMER_QUEUE;
		H.n--;
		H.sent++;
	}
}

void
mon_homer_tick(void)
{
	if (H.on && H.tcp)
		tcp_flush();
}

int
mon_homer_send(const struct hep_msg *msg)
{
	uint8_t buf[8192];
	ssize_t n;

	if (!H.on)
		return 0;
	n = hep_encode(msg, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (!H.tcp) {
		if (send(H.fd, buf, (size_t)n, MSG_DONTWAIT) != n) {
			H.dropped++;
			return -EAGAIN;
		}
		H.sent++;
		return 0;
	}
	if (H.n == HOMER_QUEUE) {
		H.dropped++;
		return -ENOBUFS;
	}
	{
		struct homer_msg *m = &H.q[(H.head + H.n) % HOMER_QUEUE];

		m->data = malloc((size_t)n);
		if (m->data == NULL) {
			H.dropped++;
			return -ENOMEM;
		}
		memcpy(m->data, buf, (size_t)n);
		m->len = (size_t)n;
		m->off = 0;
		H.n++;
	}
	tcp_flush();
	return 0;
}

void
mon_homer_counts(uint64_t *sent, uint64_t *dropped)
{
	*sent = H.sent;
	*dropped = H.dropped;
}

void
mon_homer_fini(void)
{
	if (H.fd >= 0)
		close(H.fd);
	while (H.n > 0) {
		free(H.q[H.head].data);
		H.head = (H.head + 1) % HOMER_QUEUE;
		H.n--;
	}
	H.fd = -1;
	H.on = false;
}
