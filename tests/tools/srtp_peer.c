/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtp_peer: an SDES-SRTP (or plain RTP) endpoint for sluice's integration
 * tests. SRTP is Debian's libsrtp2, so this is an oracle independent of
 * sluice's own SRTP code (src/crypto is never linked in).
 *
 * It sends --count RTP packets (paced at --pps) protected with its own
 * master key (--key, base64 key||salt as in a=crypto inline:), receives what
 * comes back, unprotects it with the relay's key for this leg (--peer-key)
 * and checks the payloads; optionally SRTCP (SR + SDES CNAME) every
 * --rtcp-every packets. Payloads are sltest's Pattern (tests/lib/sltest/rtp.py):
 *   'SLT1' | tag | index | filler(tag, index), tag = crc32("call_id|direction")
 * given here as --tx-pattern / --rx-pattern "call_id|direction"; the RTCP
 * CNAME is "slt-<tag>@sluice.test". --suite NONE makes it a plain RTP peer
 * (fast sender/receiver for long calls).
 *
 * Attacks on the relay's SRTP leg (each counted in the summary):
 *   --forge-every K   before every K-th packet, one with the same SEQ/SSRC but
 *                     protected with a random key (payload: tx pattern with
 *                     direction + "#forged")
 *   --tamper-every K  before every K-th packet, a copy of it with one
 *                     ciphertext byte flipped
 *   --replay-every K  after every K-th packet, that packet again, and the one
 *                     sent 300 packets earlier (outside any replay window)
 *
 * --start-delay S: receive only, for S seconds, before sending.
 * Prints "READY" once its sockets are bound, then one JSON line at the end.
 * Every loop is bounded by --max-time. Run it with `ip netns exec NS`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#define BUF 2048
#define MAX_IDX (1u << 20)  /* pattern indices tracked */
#define MAX_SSRC 8
#define MAX_SRC 8
#define RING 512
#define STALE_BACK 300
#define GRACE 0.3 /* s of receiving after the last expected packet */

struct suite {
	const char *name;
	void (*rtp)(srtp_crypto_policy_t *p);
	void (*rtcp)(srtp_crypto_policy_t *p);
	unsigned key_len; /* master key + salt */
};

static void
null_sha1_32(srtp_crypto_policy_t *p)
{
	srtp_crypto_policy_set_null_cipher_hmac_sha1_80(p);
	p->auth_tag_len = 4;
}

static const struct suite suites[] = {
	{"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default,
		srtp_crypto_policy_set_rtcp_default, 30},
	/* RFC 4568 6.2: the SRTCP tag of the _32 suites stays 80 bits */
	{"AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
		srtp_crypto_policy_set_rtcp_default, 30},
	{"AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 46},
	{"AES_256_CM_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 46},
	{"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth,
		srtp_crypto_policy_set_aes_gcm_128_16_auth, 28},
	{"AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth,
		srtp_crypto_policy_set_aes_gcm_256_16_auth, 44},
	{"NULL_HMAC_SHA1_80", srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80, 30},
	{"NULL_HMAC_SHA1_32", null_sha1_32, srtp_crypto_policy_set_null_cipher_hmac_sha1_80, 30},
	/* AES_192_CM_*: libsrtp 2.5's AES-192 key derivation is not RFC 6188's (issue #763) */
};

struct opts {
	const struct suite *suite; /* NULL: plain RTP */
	uint8_t key[64], peer_key[64];
	size_t key_len, peer_key_len;
	struct sockaddr_storage bind, dst, rtcp_dst;
	socklen_t bind_len, dst_len, rtcp_dst_len;
	int rtcp_port;
	unsigned long count, rtcp_every, ssrc_change_at, expect;
	unsigned long forge_every, tamper_every, replay_every;
	double pps, idle, max_time, start_delay;
	uint32_t tx_tag, rx_tag, forged_tag, ssrc, ssrc2, ts0;
	uint16_t seq0, seq2;
	unsigned payload_len;
};

struct ssrc_st {
	uint32_t ssrc;
	unsigned long packets;
	uint16_t seq_off;
	bool have_off;
};

struct stats {
	unsigned long sent, rtcp_sent, forged, tampered, replayed, stale, tx_errors;
	unsigned long rx, rx_rtp, rx_rtcp, rx_other, ok, auth_fail, replay_fail, other_fail;
	unsigned long valid, invalid, dups, hdr_mismatch, rtcp_ok, rtcp_auth_fail, rtcp_valid;
	long max_index;
	struct ssrc_st ssrcs[MAX_SSRC];
	unsigned n_ssrcs;
	char srcs[MAX_SRC][64];
	unsigned long src_pkts[MAX_SRC];
	unsigned n_srcs;
};

static struct opts o;
static struct stats st = {.max_index = -1};
static uint8_t *seen;
static srtp_t tx_sess, rx_sess, forge_sess;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *msg, const char *arg)
{
	fprintf(stderr, "srtp_peer: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

/* zlib's crc32 (what sltest's Pattern hashes "call_id|direction" with) */
static uint32_t
crc32_str(const char *s)
{
	uint32_t c = 0xffffffffu;
	int k;

	for (; *s; s++) {
		c ^= (uint8_t)*s;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

/* base64 (RFC 4648), '=' padding optional; @return bytes or -1 */
static int
b64_decode(const char *in, uint8_t *out, size_t cap)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;
	const char *p;

	for (; *in && *in != '='; in++) {
		p = strchr(tab, *in);
		if (p == NULL || *in == '\0')
			return -1;
		acc = acc << 6 | (uint32_t)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)n;
}

static void
parse_ep(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - s)) == 0 || hl >= sizeof(host))
		die("bad endpoint (IP:PORT, [IPv6]:PORT)", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			die("bad IPv6 address", s);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)atoi(colon + 1));
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			die("bad IPv4 address", s);
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)atoi(colon + 1));
		*len = sizeof(*a4);
	}
}

static void
ep_str(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, cap, "[%s]:%u", ip, ntohs(a6->sin6_port));
	} else {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip));
		snprintf(buf, cap, "%s:%u", ip, ntohs(a4->sin_port));
	}
}

static srtp_t
session(const uint8_t *key, bool outbound)
{
	srtp_policy_t pol;
	srtp_t s;

	memset(&pol, 0, sizeof(pol));
	o.suite->rtp(&pol.rtp);
	o.suite->rtcp(&pol.rtcp);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = (unsigned char *)key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		die("srtp_create failed", o.suite->name);
	return s;
}

/* ---- packets ---- */

static size_t
pattern_payload(uint8_t *p, uint32_t tag, uint32_t index, unsigned len)
{
	uint8_t base = (uint8_t)((tag ^ (uint32_t)(index * 2654435761u)) & 0xff);
	unsigned i;

	memcpy(p, "SLT1", 4);
	p[4] = (uint8_t)(tag >> 24), p[5] = (uint8_t)(tag >> 16);
	p[6] = (uint8_t)(tag >> 8), p[7] = (uint8_t)tag;
	p[8] = (uint8_t)(index >> 24), p[9] = (uint8_t)(index >> 16);
	p[10] = (uint8_t)(index >> 8), p[11] = (uint8_t)index;
	for (i = 12; i < len; i++)
		p[i] = (uint8_t)(base + (i - 12) * 13u);
	return len;
}

/* index of an intact pattern payload with @p tag, or -1 */
static long
pattern_check(const uint8_t *p, size_t len, uint32_t tag)
{
	uint32_t t, index;
	uint8_t base;
	size_t i;

	if (len < 12 || memcmp(p, "SLT1", 4) != 0)
		return -1;
	t = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	index = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	if (t != tag)
		return -1;
	base = (uint8_t)((tag ^ (uint32_t)(index * 2654435761u)) & 0xff);
	for (i = 12; i < len; i++)
		if (p[i] != (uint8_t)(base + (i - 12) * 13u))
			return -1;
	return (long)index;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t
build_rtp(uint8_t *p, unsigned long i, uint32_t tag)
{
	bool second = o.ssrc_change_at && i >= o.ssrc_change_at;
	unsigned long k = second ? i - o.ssrc_change_at : i;
	uint16_t seq = (uint16_t)((second ? o.seq2 : o.seq0) + k);

	p[0] = 0x80;
	p[1] = (uint8_t)((k == 0 ? 0x80 : 0) | 0); /* PT 0, marker on each SSRC's first */
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	put32(p + 4, o.ts0 + (uint32_t)i * 160u);
	put32(p + 8, second ? o.ssrc2 : o.ssrc);
	return 12 + pattern_payload(p + 12, tag, (uint32_t)i, o.payload_len);
}

static size_t
build_sr(uint8_t *p, unsigned long i)
{
	char cname[40];
	size_t n, cl;
	uint32_t ssrc = o.ssrc_change_at && i >= o.ssrc_change_at ? o.ssrc2 : o.ssrc;

	p[0] = 0x80, p[1] = 200, p[2] = 0, p[3] = 6;
	put32(p + 4, ssrc);
	put32(p + 8, (uint32_t)time(NULL) + 2208988800u);
	put32(p + 12, 0);
	put32(p + 16, o.ts0 + (uint32_t)i * 160u);
	put32(p + 20, (uint32_t)st.sent);
	put32(p + 24, (uint32_t)(st.sent * o.payload_len));
	n = 28;
	/* SDES: one chunk, CNAME, zero-padded to 32 bits */
	snprintf(cname, sizeof(cname), "slt-%08x@sluice.test", o.tx_tag);
	cl = strlen(cname);
	memset(p + n, 0, 40 + cl);
	put32(p + n + 4, ssrc);
	p[n + 8] = 1, p[n + 9] = (uint8_t)cl;
	memcpy(p + n + 10, cname, cl);
	cl = (10 + cl + 1 + 3) & ~(size_t)3; /* chunk + terminating zero, padded */
	p[n] = 0x81, p[n + 1] = 202, p[n + 2] = 0, p[n + 3] = (uint8_t)(cl / 4 - 1);
	return n + cl;
}

static void
tx(int fd, const void *p, size_t len, const struct sockaddr_storage *to, socklen_t tl)
{
	if (sendto(fd, p, len, 0, (const struct sockaddr *)to, tl) != (ssize_t)len)
		st.tx_errors++;
}

static int fd_rtp = -1, fd_rtcp = -1;
static uint8_t ring[RING][BUF];
static size_t ring_len[RING];

static void
send_one(unsigned long i)
{
	uint8_t pkt[BUF], bad[BUF];
	int len, blen;

	len = (int)build_rtp(pkt, i, o.tx_tag);
	if (o.suite != NULL && o.forge_every && i % o.forge_every == o.forge_every - 1) {
		blen = (int)build_rtp(bad, i, o.forged_tag);
		if (srtp_protect(forge_sess, bad, &blen) == srtp_err_status_ok) {
			tx(fd_rtp, bad, (size_t)blen, &o.dst, o.dst_len);
			st.forged++;
		}
	}
	if (o.suite != NULL && srtp_protect(tx_sess, pkt, &len) != srtp_err_status_ok) {
		st.tx_errors++;
		return;
	}
	if (o.suite != NULL && o.tamper_every && i % o.tamper_every == o.tamper_every - 1) {
		memcpy(bad, pkt, (size_t)len);
		bad[12 + 17] ^= 0x04; /* one payload bit: the tag no longer matches */
		tx(fd_rtp, bad, (size_t)len, &o.dst, o.dst_len);
		st.tampered++;
	}
	tx(fd_rtp, pkt, (size_t)len, &o.dst, o.dst_len);
	st.sent++;
	memcpy(ring[i % RING], pkt, (size_t)len);
	ring_len[i % RING] = (size_t)len;
	if (o.replay_every && i % o.replay_every == o.replay_every - 1) {
		tx(fd_rtp, pkt, (size_t)len, &o.dst, o.dst_len);
		st.replayed++;
		if (i >= STALE_BACK) {
			unsigned long j = (i - STALE_BACK) % RING;

			tx(fd_rtp, ring[j], ring_len[j], &o.dst, o.dst_len);
			st.stale++;
		}
	}
	if (o.rtcp_every && i % o.rtcp_every == o.rtcp_every / 2) {
		len = (int)build_sr(pkt, i);
		if (o.suite != NULL &&
			srtp_protect_rtcp(tx_sess, pkt, &len) != srtp_err_status_ok) {
			st.tx_errors++;
			return;
		}
		tx(fd_rtcp >= 0 ? fd_rtcp : fd_rtp, pkt, (size_t)len, &o.rtcp_dst, o.rtcp_dst_len);
		st.rtcp_sent++;
	}
}

/* ---- receiving ---- */

static void
count_src(const struct sockaddr_storage *from)
{
	char s[64];
	unsigned i;

	ep_str(from, s, sizeof(s));
	for (i = 0; i < st.n_srcs; i++)
		if (strcmp(st.srcs[i], s) == 0)
			break;
	if (i == st.n_srcs) {
		if (i == MAX_SRC)
			return;
		snprintf(st.srcs[i], sizeof(st.srcs[i]), "%s", s);
		st.n_srcs++;
	}
	st.src_pkts[i]++;
}

static void
rx_rtcp(uint8_t *p, int len)
{
	char cname[40];
	size_t cl;
	int off = 0, k;

	st.rx_rtcp++;
	if (o.suite != NULL) {
		srtp_err_status_t rc = srtp_unprotect_rtcp(rx_sess, p, &len);

		if (rc == srtp_err_status_auth_fail) {
			st.rtcp_auth_fail++;
			return;
		}
		if (rc != srtp_err_status_ok) {
			st.other_fail++;
			return;
		}
	}
	st.rtcp_ok++;
	snprintf(cname, sizeof(cname), "slt-%08x@sluice.test", o.rx_tag);
	cl = strlen(cname);
	for (k = 0; k < 16 && off + 8 <= len; k++) { /* compound: look for our SDES CNAME */
		int plen = ((p[off + 2] << 8 | p[off + 3]) + 1) * 4;

		if (off + plen > len)
			break;
		if (p[off + 1] == 202 && plen >= 10 + (int)cl && p[off + 8] == 1 &&
			p[off + 9] == cl && memcmp(p + off + 10, cname, cl) == 0) {
			st.rtcp_valid++;
			return;
		}
		off += plen;
	}
}

static void
rx_rtp(uint8_t *p, int len)
{
	srtp_err_status_t rc;
	unsigned hl, i;
	uint32_t ssrc;
	uint16_t seq;
	long idx;

	st.rx_rtp++;
	if (o.suite != NULL) {
		rc = srtp_unprotect(rx_sess, p, &len);
		if (rc == srtp_err_status_auth_fail) {
			st.auth_fail++;
			return;
		}
		if (rc == srtp_err_status_replay_fail || rc == srtp_err_status_replay_old) {
			st.replay_fail++;
			return;
		}
		if (rc != srtp_err_status_ok) {
			st.other_fail++;
			return;
		}
	}
	st.ok++;
	hl = 12u + 4u * (p[0] & 0x0f);
	if (len >= (int)hl + 4 && (p[0] & 0x10))
		hl += 4u + 4u * (unsigned)(p[hl + 2] << 8 | p[hl + 3]);
	if ((p[0] & 0x20) && len > (int)hl)
		len -= p[len - 1];
	idx = len > (int)hl ? pattern_check(p + hl, (size_t)len - hl, o.rx_tag) : -1;
	if (idx < 0 || idx >= (long)MAX_IDX) {
		st.invalid++;
		return;
	}
	seq = (uint16_t)(p[2] << 8 | p[3]);
	ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	for (i = 0; i < st.n_ssrcs && st.ssrcs[i].ssrc != ssrc; i++)
		;
	if (i == st.n_ssrcs && i < MAX_SSRC)
		st.ssrcs[st.n_ssrcs++].ssrc = ssrc;
	if (i < MAX_SSRC) {
		struct ssrc_st *s = &st.ssrcs[i];

		s->packets++;
		if (!s->have_off) {
			s->seq_off = (uint16_t)(seq - (uint16_t)idx);
			s->have_off = true;
		} else if (s->seq_off != (uint16_t)(seq - (uint16_t)idx)) {
			st.hdr_mismatch++;
		}
	}
	if (seen[idx >> 3] & (1u << (idx & 7))) {
		st.dups++;
		return;
	}
	seen[idx >> 3] |= (uint8_t)(1u << (idx & 7));
	st.valid++;
	if (idx > st.max_index)
		st.max_index = idx;
}

static bool
drain(int fd)
{
	struct sockaddr_storage from;
	socklen_t fl;
	uint8_t p[BUF];
	bool any = false;
	int k;
	ssize_t n;

	for (k = 0; k < 512; k++) {
		fl = sizeof(from);
		n = recvfrom(fd, p, sizeof(p) - 64, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		any = true;
		st.rx++;
		count_src(&from);
		if (n < 12 || (p[0] >> 6) != 2) {
			st.rx_other++;
			continue;
		}
		if (p[1] >= 192 && p[1] <= 223) /* RFC 5761 demux */
			rx_rtcp(p, (int)n);
		else
			rx_rtp(p, (int)n);
	}
	return any;
}

static int
udp_bind(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0), big = 16 << 20, one = 1;

	if (fd < 0)
		die("socket", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		die("bind", strerror(errno));
	return fd;
}

static void
usage(void)
{
	fputs("usage: srtp_peer --suite NAME|NONE [--key B64 --peer-key B64] --bind IP:PORT\n"
	      "  --dst IP:PORT [--rtcp-dst IP:PORT] [--rtcp-port PORT] [--count N] [--pps R]\n"
	      "  [--rtcp-every K] [--tx-pattern CID|DIR] [--rx-pattern CID|DIR] [--ssrc X]\n"
	      "  [--seq S] [--ts T] [--ssrc-change-at K] [--seq2 S] [--payload-len L]\n"
	      "  [--forge-every K] [--tamper-every K] [--replay-every K] [--expect N]\n"
	      "  [--idle S] [--max-time S] [--start-delay S]\n", stderr);
	exit(2);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{"suite", 1, 0, 's'}, {"key", 1, 0, 'k'}, {"peer-key", 1, 0, 'K'},
		{"bind", 1, 0, 'b'}, {"dst", 1, 0, 'd'}, {"rtcp-dst", 1, 0, 'D'},
		{"rtcp-port", 1, 0, 'r'}, {"count", 1, 0, 'n'}, {"pps", 1, 0, 'p'},
		{"rtcp-every", 1, 0, 'R'}, {"tx-pattern", 1, 0, 't'}, {"rx-pattern", 1, 0, 'T'},
		{"ssrc", 1, 0, 'S'}, {"seq", 1, 0, 'q'}, {"ts", 1, 0, 'Z'},
		{"ssrc-change-at", 1, 0, 'c'}, {"seq2", 1, 0, 'Q'}, {"payload-len", 1, 0, 'L'},
		{"forge-every", 1, 0, 'F'}, {"tamper-every", 1, 0, 'M'},
		{"replay-every", 1, 0, 'P'}, {"expect", 1, 0, 'e'}, {"idle", 1, 0, 'i'},
		{"max-time", 1, 0, 'x'}, {"start-delay", 1, 0, 'w'}, {0, 0, 0, 0}};
	char forged[256] = "sltest|tx#forged";
	bool have_dst = false, have_bind = false, have_rdst = false;
	unsigned i;
	int c, n;

	o.count = 50, o.pps = 250, o.idle = 1.0, o.max_time = 60, o.payload_len = 160;
	o.tx_tag = crc32_str("sltest|tx"), o.rx_tag = crc32_str("sltest|rx");
	o.ssrc = 0x5e000000u | (uint32_t)getpid(), o.ts0 = 1000, o.seq0 = 1000, o.seq2 = 65500;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o.suite = NULL;
			if (strcmp(optarg, "NONE") == 0)
				break;
			for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
				if (strcmp(optarg, suites[i].name) == 0)
					o.suite = &suites[i];
			if (o.suite == NULL)
				die("unsupported suite", optarg);
			break;
		case 'k':
		case 'K':
			n = b64_decode(optarg, c == 'k' ? o.key : o.peer_key, sizeof(o.key));
			if (n < 0)
				die("bad base64 key", optarg);
			*(c == 'k' ? &o.key_len : &o.peer_key_len) = (size_t)n;
			break;
		case 'b': parse_ep(optarg, &o.bind, &o.bind_len), have_bind = true; break;
		case 'd': parse_ep(optarg, &o.dst, &o.dst_len), have_dst = true; break;
		case 'D': parse_ep(optarg, &o.rtcp_dst, &o.rtcp_dst_len), have_rdst = true; break;
		case 'r': o.rtcp_port = atoi(optarg); break;
		case 'n': o.count = strtoul(optarg, NULL, 0); break;
		case 'p': o.pps = atof(optarg); break;
		case 'R': o.rtcp_every = strtoul(optarg, NULL, 0); break;
		case 't':
			o.tx_tag = crc32_str(optarg);
			snprintf(forged, sizeof(forged), "%s#forged", optarg);
			break;
		case 'T': o.rx_tag = crc32_str(optarg); break;
		case 'S': o.ssrc = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': o.seq0 = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'Z': o.ts0 = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'c': o.ssrc_change_at = strtoul(optarg, NULL, 0); break;
		case 'Q': o.seq2 = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'L': o.payload_len = (unsigned)atoi(optarg); break;
		case 'F': o.forge_every = strtoul(optarg, NULL, 0); break;
		case 'M': o.tamper_every = strtoul(optarg, NULL, 0); break;
		case 'P': o.replay_every = strtoul(optarg, NULL, 0); break;
		case 'e': o.expect = strtoul(optarg, NULL, 0); break;
		case 'i': o.idle = atof(optarg); break;
		case 'x': o.max_time = atof(optarg); break;
		case 'w': o.start_delay = atof(optarg); break;
		default: usage();
		}
	}
	if (!have_bind || (!have_dst && o.count > 0))
		usage();
	if (o.payload_len < 30 || o.payload_len > 1200 || o.pps <= 0 || o.count >= MAX_IDX ||
		o.max_time > 600)
		die("--payload-len 30..1200, --pps > 0, --count < 2^20, --max-time <= 600", NULL);
	if (o.suite != NULL &&
		(o.key_len != o.suite->key_len || o.peer_key_len != o.suite->key_len))
		die("--key and --peer-key must be the suite's key||salt length", o.suite->name);
	o.forged_tag = crc32_str(forged);
	o.ssrc2 = o.ssrc2 ? o.ssrc2 : o.ssrc ^ 0x00ff00ffu;
	if (!have_rdst) {
		o.rtcp_dst = o.dst;
		o.rtcp_dst_len = o.dst_len;
	}
}

int
main(int argc, char **argv)
{
	unsigned long i = 0, k;
	double t0, now, done_at = 0, last_rx = 0, got_all = 0, due;
	struct pollfd pf[2];
	struct timespec to;
	uint8_t rnd[64];
	int nfd = 1;

	parse_args(argc, argv);
	seen = calloc(MAX_IDX / 8, 1);
	if (seen == NULL)
		die("out of memory", NULL);
	if (o.suite != NULL) {
		FILE *ur = fopen("/dev/urandom", "rb");

		if (ur == NULL || fread(rnd, 1, sizeof(rnd), ur) != sizeof(rnd))
			die("/dev/urandom", NULL);
		fclose(ur);
		if (srtp_init() != srtp_err_status_ok)
			die("srtp_init failed", NULL);
		tx_sess = session(o.key, true);
		rx_sess = session(o.peer_key, false);
		forge_sess = session(rnd, true); /* an attacker's guess at the key */
	}
	fd_rtp = udp_bind(&o.bind, o.bind_len);
	pf[0].fd = fd_rtp, pf[0].events = POLLIN;
	if (o.rtcp_port > 0) {
		struct sockaddr_storage rb = o.bind;

		/* sin_port and sin6_port share their offset */
		((struct sockaddr_in *)&rb)->sin_port = htons((uint16_t)o.rtcp_port);
		fd_rtcp = udp_bind(&rb, o.bind_len);
		pf[1].fd = fd_rtcp, pf[1].events = POLLIN;
		nfd = 2;
	}
	printf("READY\n");
	fflush(stdout);

	t0 = now_s() + o.start_delay; /* sending starts then; receiving now */
	for (;;) {
		now = now_s();
		if (now - t0 > o.max_time)
			break;
		/* send what is due (bounded per round so that receiving keeps up) */
		for (k = 0; i < o.count && k < 64 && now >= t0 + (double)i / o.pps; k++)
			send_one(i++);
		if (i == o.count && done_at == 0)
			done_at = now;
		if (o.expect && st.valid >= o.expect && got_all == 0)
			got_all = now;
		if (done_at != 0) {
			/* all expected: a moment more for trailing RTCP (and duplicates, if any) */
			if (got_all != 0 && now - got_all >= GRACE)
				break;
			if (now - (last_rx > done_at ? last_rx : done_at) >= o.idle)
				break;
		}
		due = i < o.count ? t0 + (double)i / o.pps - now : 0.02;
		if (due < 0)
			due = 0;
		to.tv_sec = (time_t)due;
		to.tv_nsec = (long)((due - (double)to.tv_sec) * 1e9);
		if (ppoll(pf, (nfds_t)nfd, &to, NULL) > 0) {
			bool got = false;

			if (pf[0].revents & POLLIN)
				got |= drain(fd_rtp);
			if (nfd == 2 && (pf[1].revents & POLLIN))
				got |= drain(fd_rtcp);
			if (got)
				last_rx = now_s();
		}
	}

	printf("{\"suite\": \"%s\", \"seconds\": %.3f, \"sent\": %lu, \"rtcp_sent\": %lu, "
	       "\"forged_sent\": %lu, \"tampered_sent\": %lu, \"replayed_sent\": %lu, "
	       "\"stale_sent\": %lu, \"tx_errors\": %lu, \"tx_ssrc\": %u, \"tx_ssrc2\": %u, "
	       "\"received\": %lu, \"rx_rtp\": %lu, \"rx_rtcp\": %lu, \"rx_other\": %lu, "
	       "\"unprotected\": %lu, \"auth_fail\": %lu, \"replay_fail\": %lu, "
	       "\"other_fail\": %lu, \"valid\": %lu, \"invalid\": %lu, \"duplicates\": %lu, "
	       "\"header_mismatch\": %lu, \"max_index\": %ld, \"rtcp_ok\": %lu, "
	       "\"rtcp_auth_fail\": %lu, \"rtcp_valid\": %lu, \"ssrcs\": {",
		o.suite ? o.suite->name : "NONE", now_s() - t0, st.sent, st.rtcp_sent, st.forged,
		st.tampered, st.replayed, st.stale, st.tx_errors, o.ssrc, o.ssrc2, st.rx,
		st.rx_rtp, st.rx_rtcp, st.rx_other, st.ok, st.auth_fail, st.replay_fail,
		st.other_fail, st.valid, st.invalid, st.dups, st.hdr_mismatch, st.max_index,
		st.rtcp_ok, st.rtcp_auth_fail, st.rtcp_valid);
	for (k = 0; k < st.n_ssrcs; k++)
		printf("%s\"%u\": %lu", k ? ", " : "", st.ssrcs[k].ssrc, st.ssrcs[k].packets);
	printf("}, \"srcs\": {");
	for (k = 0; k < st.n_srcs; k++)
		printf("%s\"%s\": %lu", k ? ", " : "", st.srcs[k], st.src_pkts[k]);
	printf("}}\n");
	fflush(stdout);
	if (o.suite != NULL) {
		srtp_dealloc(tx_sess);
		srtp_dealloc(rx_sess);
		srtp_dealloc(forge_sess);
	}
	free(seen);
	return 0;
}
