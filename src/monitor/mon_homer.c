/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEPv3 export to Homer (--homer, --homer-protocol, --homer-id,
 * --homer-enable-ng): control thread. UDP sends each message as one
 * datagram; TCP keeps a bounded queue (200 messages, as rtpengine) while
 * connecting. Nothing here ever blocks the control loop.
 *
 * TCP reconnects after a drop with a backoff of 1, 2, 4 ... 30 s (rtpengine
 * waits 30 s every time, losing up to 30 s of RTCP after a collector
 * restart); a connection that carried a message whole resets the backoff.
 * A collector never sends anything, so a readable socket means it closed
 * (or reset) the connection: that is checked before every send and five
 * times a second when idle, so a restart is noticed before messages are
 * written into a dead connection.
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
#define HOMER_RECONNECT_S 30 /* longest wait before reconnecting */
#define HOMER_CHECK_MS 200   /* idle: look for a closed connection this often */

struct homer_msg {
	size_t len, off;
	uint8_t *data;
};

static struct {
	bool on, tcp, ng;
	uint32_t capture_id;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;
	bool connected;
	uint64_t retry_at_ms, next_check_ms;
	unsigned backoff_s; /* next wait after a drop */
	struct homer_msg q[HOMER_QUEUE];
	unsigned head, n;
	uint64_t sent, dropped, connects; /* connects: TCP connection attempts */
} H = {.fd = -1};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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
	H.ng = cfg->homer_enable_ng;
	H.backoff_s = 1;
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
	SL_NOTICE("mon", "HEP export to %s over %s, capture id %u%s", cfg->homer,
		H.tcp ? "TCP" : "UDP", H.capture_id, H.ng ? ", with ng traffic" : "");
	return 0;
}

bool
mon_homer_enabled(void)
{
	return H.on;
}

bool
mon_homer_ng_enabled(void)
{
	return H.on && H.ng;
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
	if (H.n > 0)
		H.q[H.head].off = 0; /* resend the message whole on the next connection */
	H.retry_at_ms = mono_ms() + (uint64_t)H.backoff_s * 1000u;
	H.backoff_s = H.backoff_s * 2 > HOMER_RECONNECT_S ? HOMER_RECONNECT_S : H.backoff_s * 2;
}

static void
tcp_connect(void)
{
	if (H.fd >= 0 || mono_ms() < H.retry_at_ms)
		return;
	H.fd = socket(H.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (H.fd < 0) {
		tcp_drop();
		return;
	}
	if (connect(H.fd, (struct sockaddr *)&H.ss, H.sl) < 0 && errno != EINPROGRESS) {
		tcp_drop();
		return;
	}
	H.connects++;
}

/*
 * Has the collector closed the connection? It never sends, so anything
 * readable is EOF, a reset or a failed connect (bytes it did send are
 * discarded, a bounded amount).
 * @return 0 open (or still connecting), -errno or -EPIPE (EOF) when dead.
 */
static int
tcp_check(void)
{
	char buf[256];
	unsigned i;
	ssize_t r;

	for (i = 0; i < 4; i++) {
		r = recv(H.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0)
			return -EPIPE;
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN ||
				errno == EINTR)
				return 0; /* open, or still connecting */
			return -errno;
		}
	}
	return 0;
}

/* push queued messages as far as the socket takes them */
static void
tcp_flush(void)
{
	uint64_t now = mono_ms();
	int rc;

	if (H.fd >= 0 && (H.n > 0 || now >= H.next_check_ms)) {
		H.next_check_ms = now + HOMER_CHECK_MS;
		rc = tcp_check();
		if (rc < 0) {
			SL_LOG_RL(SL_LOG_WARNING, "mon", "HEP TCP connection lost: %s",
				rc == -EPIPE ? "closed by the collector" : strerror(-rc));
			tcp_drop();
		}
	}
	tcp_connect();
	while (H.fd >= 0 && H.n > 0) {
		struct homer_msg *m = &H.q[H.head];
		ssize_t w = send(H.fd, m->data + m->off, m->len - m->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINPROGRESS || errno == ENOTCONN)
				return; /* not writable yet */
			SL_LOG_RL(SL_LOG_WARNING, "mon", "HEP TCP connection lost: %s", strerror(errno));
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
		H.backoff_s = 1; /* this connection works */
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

uint64_t
mon_homer_connects(void)
{
	return H.connects;
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
