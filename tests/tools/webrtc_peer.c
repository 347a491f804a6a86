/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * webrtc_peer: a DTLS-SRTP + ICE endpoint for sluice's integration tests,
 * independent of sluice's code: DTLS 1.2 with use_srtp is OpenSSL 3 with its
 * own P-256 certificate, STUN/ICE is written here from RFC 8489/8445 (one
 * host candidate, one component: rtcp-mux), SRTP is libsrtp2 with the keys
 * exported per RFC 5764 4.2 (client_key|server_key|client_salt|server_salt).
 *
 *   --offer:  write our offer (actpass) to --local-sdp, wait for the relay's
 *             answer in --remote-sdp; we are the controlling ICE agent.
 *   --answer: read the relay's offer from --remote-sdp, write our answer
 *             (a=setup from --setup) to --local-sdp; we are controlled
 *             (controlling if the relay is ice-lite).
 * Then ICE (when the relay's SDP has it; regular nomination, consent checks
 * every 2 s), DTLS (client or server from the a=setup pair; the relay's
 * certificate must hash to its a=fingerprint), and --count RTP packets
 * (sltest Pattern payloads, see srtp_peer.c) plus an SR every --rtcp-every
 * packets, all on the one socket; what comes back is unprotected and checked
 * against --rx-pattern. Progress lines on stdout ("READY", "EVENT
 * ice-selected ADDR", "EVENT dtls-connected ROLE PROFILE", "EVENT dtls-failed
 * WHY"), then one JSON summary line. --bad-fingerprint advertises a
 * fingerprint that is not our certificate's; --dtls-delay S holds DTLS for S
 * seconds after ICE completed; --browser writes c=0.0.0.0, port 9 and
 * trickle lines like a browser. Everything is bounded by --max-time.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

#define BUF 2048
#define MAX_PAIRS 8
#define MAX_IDX (1u << 20)
#define MAGIC 0x2112a442u
#define FP_XOR 0x5354554eu
enum { A_USERNAME = 0x0006, A_MI = 0x0008, A_XOR_MAPPED = 0x0020, A_PRIORITY = 0x0024,
	A_USE_CAND = 0x0025, A_FINGERPRINT = 0x8028, A_CONTROLLED = 0x8029,
	A_CONTROLLING = 0x802a };

#define GET16(p) ((unsigned)(p)[0] << 8 | (p)[1])
#define GET32(p) ((uint32_t)GET16(p) << 16 | GET16((p) + 2))
#define EP_EQ(a, b) ((a)->sin6_port == (b)->sin6_port && \
	memcmp(&(a)->sin6_addr, &(b)->sin6_addr, 16) == 0)

struct pair {
	struct sockaddr_in6 remote; /* v4-mapped for IPv4 */
	uint8_t tid[12];
	bool in_flight, succeeded, nominated, use_sent;
	double sent_at;
};

static struct {
	bool offer, answer, browser, bad_fp, no_ice;
	const char *local_sdp, *remote_sdp, *setup, *profiles, *proto;
	char ip[64];
	int port;
	unsigned long count, rtcp_every, expect;
	double pps, idle, max_time, dtls_delay, media_delay;
	uint32_t tx_tag, rx_tag;
} o;

static struct {
	char lufrag[9], lpwd[25], rufrag[64], rpwd[128], fp[100], rfp_alg[16];
	uint8_t rfp[64];
	unsigned rfp_len, n_pairs, rr, sel; /* sel: index + 1 */
	bool remote_known, remote_ice, remote_lite, controlling, rfp_ok, r_passive;
	struct pair pairs[MAX_PAIRS];
	uint64_t tiebreak;
	double next_check, next_consent, sel_at, t0;
	unsigned long checks_sent, reqs_in, resp_ok, use_cand_in, consent_sent, consent_ok, bad;
} ice;

static struct {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;
	bool client, started, connected, failed, have_peer;
	double start_at, failed_at;
	char profile[40], error[200];
	struct sockaddr_in6 peer;
	unsigned long before_ice; /* DTLS records that came before our ICE selection */
	uint8_t early[BUF]; /* the last record that came before we started (held) */
	int early_len;
	unsigned long held; /* records that came while we had not started */
	struct sockaddr_in6 early_from;
} dt;

static struct {
	srtp_t tx, rx;
	unsigned long sent, rtcp_sent, rx_before, rx_pkts, ok, auth_fail, replay_fail, other_fail;
	unsigned long valid, invalid, dups, rtcp_ok, rtcp_valid;
	double start, done, last_rx, got_all;
	uint8_t *seen;
	uint32_t ssrc;
} mx;

static int fd = -1;

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
	fprintf(stderr, "webrtc_peer: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static uint32_t
crc32_buf(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16), put16(p + 2, v & 0xffff);
}

static const char *
ep_str(const struct sockaddr_in6 *a, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
		inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
	snprintf(buf, cap, "%s:%u", ip, ntohs(a->sin6_port));
	return buf;
}

static bool
ep_make(const char *ip, unsigned port, struct sockaddr_in6 *a)
{
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	a->sin6_port = htons((uint16_t)port);
	if (inet_pton(AF_INET6, ip, &a->sin6_addr) == 1)
		return true;
	a->sin6_addr.s6_addr[10] = a->sin6_addr.s6_addr[11] = 0xff;
	return inet_pton(AF_INET, ip, &a->sin6_addr.s6_addr[12]) == 1;
}

static void
send_to(const struct sockaddr_in6 *to, const void *p, size_t len)
{
	(void)sendto(fd, p, len, 0, (const struct sockaddr *)to, sizeof(*to));
}

static void
event(const char *name, const char *text)
{
	printf("EVENT %s %s\n", name, text);
	fflush(stdout);
}

/* ---- STUN (RFC 8489) ---- */

static size_t
stun_attr(uint8_t *b, size_t len, unsigned type, const void *v, unsigned vl)
{
	put16(b + len, type), put16(b + len + 2, vl);
	memcpy(b + len + 4, v, vl);
	memset(b + len + 4 + vl, 0, (4 - vl % 4) % 4);
	len += 4 + ((vl + 3) & ~3u);
	put16(b + 2, (unsigned)len - 20);
	return len;
}

/* MESSAGE-INTEGRITY (HMAC-SHA1 keyed with @p pwd), then FINGERPRINT */
static size_t
stun_finish(uint8_t *b, size_t len, const char *pwd)
{
	uint8_t mac[20];
	unsigned ml = 0;

	put16(b + 2, (unsigned)len + 24 - 20); /* the length covers MI when it is computed */
	HMAC(EVP_sha1(), pwd, (int)strlen(pwd), b, len, mac, &ml);
	len = stun_attr(b, len, A_MI, mac, 20);
	put16(b + 2, (unsigned)len + 8 - 20);
	put32(mac, crc32_buf(b, len) ^ FP_XOR);
	return stun_attr(b, len, A_FINGERPRINT, mac, 4);
}

static const uint8_t *
stun_find(const uint8_t *b, size_t len, unsigned type, unsigned *vl, size_t *at)
{
	size_t off = 20;

	while (off + 4 <= len) {
		unsigned t = GET16(b + off), l = GET16(b + off + 2);

		if (off + 4 + l > len)
			return NULL;
		if (t == type) {
			*vl = l;
			*at = off;
			return b + off + 4;
		}
		off += 4 + ((l + 3) & ~3u);
	}
	return NULL;
}

/* FINGERPRINT last and right, MESSAGE-INTEGRITY right for @p pwd */
static bool
stun_valid(const uint8_t *b, size_t len, const char *pwd)
{
	uint8_t tmp[BUF], mac[20];
	const uint8_t *v;
	unsigned vl, ml = 0;
	size_t at;

	if (len < 28 || len > sizeof(tmp) || GET16(b + len - 8) != A_FINGERPRINT)
		return false;
	memcpy(tmp, b, len);
	put16(tmp + 2, (unsigned)len - 20);
	if (GET32(b + len - 4) != (crc32_buf(tmp, len - 8) ^ FP_XOR))
		return false;
	v = stun_find(b, len, A_MI, &vl, &at);
	if (v == NULL || vl != 20)
		return false;
	put16(tmp + 2, (unsigned)at + 24 - 20);
	HMAC(EVP_sha1(), pwd, (int)strlen(pwd), tmp, at, mac, &ml);
	return CRYPTO_memcmp(mac, v, 20) == 0;
}

static void
send_check(struct pair *p, bool use_cand, bool consent)
{
	uint8_t b[512], v[8];
	char user[200];
	size_t len;

	memset(b, 0, 20);
	put16(b, 0x0001), put32(b + 4, MAGIC);
	RAND_bytes(p->tid, 12);
	memcpy(b + 8, p->tid, 12);
	snprintf(user, sizeof(user), "%s:%s", ice.rufrag, ice.lufrag);
	len = stun_attr(b, 20, A_USERNAME, user, (unsigned)strlen(user));
	put32(v, (110u << 24) | (65535u << 8) | 255u); /* as a peer-reflexive candidate */
	len = stun_attr(b, len, A_PRIORITY, v, 4);
	put32(v, (uint32_t)(ice.tiebreak >> 32)), put32(v + 4, (uint32_t)ice.tiebreak);
	len = stun_attr(b, len, ice.controlling ? A_CONTROLLING : A_CONTROLLED, v, 8);
	if (use_cand)
		len = stun_attr(b, len, A_USE_CAND, "", 0);
	len = stun_finish(b, len, ice.rpwd);
	send_to(&p->remote, b, len);
	p->in_flight = true;
	p->use_sent |= use_cand;
	p->sent_at = now_s();
	*(consent ? &ice.consent_sent : &ice.checks_sent) += 1;
}

static struct pair *
pair_for(const struct sockaddr_in6 *src)
{
	unsigned i;

	for (i = 0; i < ice.n_pairs; i++)
		if (EP_EQ(&ice.pairs[i].remote, src))
			return &ice.pairs[i];
	if (ice.n_pairs == MAX_PAIRS)
		return NULL;
	memset(&ice.pairs[ice.n_pairs], 0, sizeof(ice.pairs[0]));
	ice.pairs[ice.n_pairs].remote = *src;
	return &ice.pairs[ice.n_pairs++];
}

static void
select_pair(struct pair *p)
{
	char s[80];

	if (ice.sel != 0)
		return;
	ice.sel = (unsigned)(p - ice.pairs) + 1;
	ice.sel_at = now_s();
	ice.next_consent = ice.sel_at + 2.0;
	dt.peer = p->remote;
	dt.have_peer = true;
	event("ice-selected", ep_str(&p->remote, s, sizeof(s)));
}

/* a binding request: answer it (XOR-MAPPED-ADDRESS), then the ICE bookkeeping */
static void
stun_request(const uint8_t *b, size_t len, const struct sockaddr_in6 *src)
{
	uint8_t r[256], x[20];
	const uint8_t *v;
	struct pair *p;
	size_t rl, at, ul = strlen(ice.lufrag);
	unsigned vl, i;

	v = stun_find(b, len, A_USERNAME, &vl, &at);
	if (v == NULL || vl <= ul || memcmp(v, ice.lufrag, ul) != 0 || v[ul] != ':' ||
		!stun_valid(b, len, ice.lpwd)) {
		ice.bad++;
		return;
	}
	ice.reqs_in++;
	memset(r, 0, 20);
	put16(r, 0x0101), put32(r + 4, MAGIC);
	memcpy(r + 8, b + 8, 12);
	memset(x, 0, sizeof(x));
	put16(x + 2, ntohs(src->sin6_port) ^ (MAGIC >> 16));
	put32(x + 4, MAGIC);
	memcpy(x + 8, b + 8, 12); /* IPv6: XOR with magic cookie | transaction id */
	x[1] = IN6_IS_ADDR_V4MAPPED(&src->sin6_addr) ? 0x01 : 0x02;
	for (i = 0; i < (x[1] == 1 ? 4u : 16u); i++)
		x[4 + i] ^= src->sin6_addr.s6_addr[(x[1] == 1 ? 12 : 0) + i];
	rl = stun_finish(r, stun_attr(r, 20, A_XOR_MAPPED, x, x[1] == 1 ? 8 : 20), ice.lpwd);
	send_to(src, r, rl);
	if (!ice.remote_known || (p = pair_for(src)) == NULL)
		return; /* a new source becomes a peer-reflexive pair: triggered check */
	if (stun_find(b, len, A_USE_CAND, &vl, &at) != NULL && !ice.controlling) {
		ice.use_cand_in++;
		p->nominated = true;
	}
	if (!p->succeeded && !p->in_flight)
		send_check(p, false, false);
	if (p->nominated && p->succeeded)
		select_pair(p);
}

static void
stun_input(const uint8_t *b, size_t len, const struct sockaddr_in6 *src)
{
	unsigned type = GET16(b), i;
	struct pair *p;

	if (len < 20 || GET32(b + 4) != MAGIC || GET16(b + 2) + 20u != len) {
		ice.bad++;
		return;
	}
	if (type == 0x0001) {
		stun_request(b, len, src);
		return;
	}
	for (i = 0; i < ice.n_pairs; i++)
		if (ice.pairs[i].in_flight && memcmp(ice.pairs[i].tid, b + 8, 12) == 0)
			break;
	if ((type != 0x0101 && type != 0x0111) || i == ice.n_pairs ||
		!stun_valid(b, len, ice.rpwd)) {
		ice.bad++;
		return;
	}
	p = &ice.pairs[i];
	p->in_flight = false;
	if (type == 0x0111) { /* an error response: the check failed (counted as invalid) */
		ice.bad++;
		return;
	}
	if (ice.sel != 0 && p == &ice.pairs[ice.sel - 1] && p->succeeded) {
		ice.consent_ok++;
		return;
	}
	ice.resp_ok++;
	p->succeeded = true;
	if (ice.controlling && p->use_sent)
		select_pair(p);
	else if (ice.controlling)
		send_check(p, true, false); /* regular nomination */
	else if (p->nominated)
		select_pair(p);
}

static void
ice_tick(double now)
{
	struct pair *p;
	unsigned k;

	if (ice.sel != 0) {
		if (now >= ice.next_consent) { /* consent freshness (RFC 7675), as browsers do */
			send_check(&ice.pairs[ice.sel - 1], false, true);
			ice.next_consent = now + 2.0;
		}
		return;
	}
	if (now < ice.next_check || ice.n_pairs == 0)
		return;
	ice.next_check = now + 0.05; /* Ta; an unanswered check is repeated after 200 ms */
	for (k = 0; k < ice.n_pairs; k++) {
		p = &ice.pairs[(ice.rr + k) % ice.n_pairs];
		if ((p->succeeded && !(ice.controlling && p->in_flight)) ||
			(p->in_flight && now - p->sent_at < 0.2))
			continue;
		ice.rr = (ice.rr + k + 1) % ice.n_pairs;
		send_check(p, ice.controlling && p->succeeded, false);
		return;
	}
}

/* ---- SDP ---- */

static void
remote_sdp_parse(char *text)
{
	char addr[64] = "", c_sess[64] = "", *line, *save = NULL, tr[16], ip[64];
	unsigned port = 0, comp, cport;
	int m_lines = 0;
	struct sockaddr_in6 a;

	for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		if (strncmp(line, "m=", 2) == 0 && ++m_lines > 1)
			break; /* the first m= line only */
		if (m_lines == 0 && sscanf(line, "c=IN IP%*c %63s", c_sess) == 1)
			continue;
		sscanf(line, "c=IN IP%*c %63s", addr);
		sscanf(line, "m=audio %u", &port);
		if (strcmp(line, "a=ice-lite") == 0)
			ice.remote_lite = true;
		if (sscanf(line, "a=ice-ufrag:%63s", ice.rufrag) == 1 ||
			sscanf(line, "a=ice-pwd:%127s", ice.rpwd) == 1)
			ice.remote_ice = true;
		if (sscanf(line, "a=fingerprint:%15s", ice.rfp_alg) == 1) {
			const char *h = strchr(line, ' ');

			for (ice.rfp_len = 0; h && ice.rfp_len < sizeof(ice.rfp);
				h = strchr(h + 1, ':'))
				ice.rfp[ice.rfp_len++] = (uint8_t)strtoul(h + 1, NULL, 16);
		}
		if (strcmp(line, "a=setup:passive") == 0)
			ice.r_passive = true;
		if (m_lines == 1 && sscanf(line, "a=candidate:%*s %u %15s %*u %63s %u", &comp, tr,
					    ip, &cport) == 4 &&
			comp == 1 && strcasecmp(tr, "udp") == 0 && ep_make(ip, cport, &a))
			pair_for(&a);
	}
	if (!ice.remote_ice) { /* no ICE: DTLS and media go to the SDP endpoint */
		ice.n_pairs = 0;
		if (!ep_make(addr[0] ? addr : c_sess, port, &dt.peer))
			die("no usable c=/m= in the remote SDP", addr);
		dt.have_peer = true;
	}
	ice.controlling = ice.remote_ice && (o.offer || ice.remote_lite);
	ice.remote_known = true;
	/* DTLS client iff we answered active or the relay answered passive */
	dt.client = o.offer ? ice.r_passive : strcmp(o.setup, "active") == 0;
}

static bool
load_remote(void)
{
	static char text[16384];
	FILE *f = fopen(o.remote_sdp, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	remote_sdp_parse(text);
	return true;
}

static void
write_local_sdp(void)
{
	const char *fam = strchr(o.ip, ':') ? "IP6" : "IP4";
	const char *host = !o.browser ? o.ip : fam[2] == '6' ? "::" : "0.0.0.0";
	int port = o.browser ? 9 : o.port;
	char tmp[512];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", o.local_sdp);
	f = fopen(tmp, "w");
	if (f == NULL)
		die("cannot write", tmp);
	fprintf(f, "v=0\r\no=- %u 2 IN %s %s\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
		"m=audio %d %s 0 8\r\nc=IN %s %s\r\na=rtcp:%d IN %s %s\r\n", (unsigned)getpid(),
		fam, o.ip, port, o.proto, fam, host, port, fam, host);
	if (!o.no_ice)
		fprintf(f, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n%s", ice.lufrag, ice.lpwd,
			o.browser ? "a=ice-options:trickle\r\n" : "");
	fprintf(f, "a=fingerprint:sha-256 %s\r\na=setup:%s\r\na=mid:0\r\na=sendrecv\r\n"
		"a=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", ice.fp,
		o.offer ? "actpass" : o.setup);
	if (!o.no_ice)
		fprintf(f, "a=candidate:1 1 udp 2130706431 %s %d typ host\r\n%s", o.ip, o.port,
			o.browser ? "a=end-of-candidates\r\n" : "");
	if (fclose(f) != 0 || rename(tmp, o.local_sdp) != 0)
		die("cannot write", o.local_sdp);
}

/* ---- DTLS ---- */

static int
verify_cb(int ok, X509_STORE_CTX *x)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned ml = 0;
	char alg[16];
	size_t i, j = 0;
	const EVP_MD *h;

	(void)ok; /* self-signed: only the fingerprint counts */
	if (X509_STORE_CTX_get_error_depth(x) != 0)
		return 1;
	for (i = 0; ice.rfp_alg[i] && j + 1 < sizeof(alg); i++) /* "sha-256" -> "SHA256" */
		if (ice.rfp_alg[i] != '-')
			alg[j++] = (char)toupper((unsigned char)ice.rfp_alg[i]);
	alg[j] = '\0';
	h = EVP_get_digestbyname(alg);
	ice.rfp_ok = h != NULL && X509_digest(X509_STORE_CTX_get_current_cert(x), h, md, &ml) &&
		ml == ice.rfp_len && memcmp(md, ice.rfp, ml) == 0;
	if (!ice.rfp_ok)
		snprintf(dt.error, sizeof(dt.error), "relay cert does not match a=fingerprint");
	return ice.rfp_ok;
}

static void
make_identity(void)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	uint8_t md[32];
	unsigned ml = 0, i;

	if (pk == NULL || x == NULL)
		die("cannot create a certificate", NULL);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(getpid() & 0x7fffffff));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pk);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"webrtc_peer",
		-1, -1, 0);
	X509_set_issuer_name(x, n);
	if (!X509_sign(x, pk, EVP_sha256()) || !X509_digest(x, EVP_sha256(), md, &ml))
		die("cannot sign the certificate", NULL);
	if (o.bad_fp)
		md[5] ^= 0x5a; /* advertise a fingerprint that is not ours */
	for (i = 0; i < ml; i++)
		sprintf(ice.fp + 3 * i, "%02X%s", md[i], i + 1 < ml ? ":" : "");
	dt.ctx = SSL_CTX_new(DTLS_method());
	if (dt.ctx == NULL || !SSL_CTX_use_certificate(dt.ctx, x) ||
		!SSL_CTX_use_PrivateKey(dt.ctx, pk) ||
		SSL_CTX_set_tlsext_use_srtp(dt.ctx, o.profiles) != 0) /* 0 is success */
		die("cannot set up DTLS", o.profiles);
	SSL_CTX_set_min_proto_version(dt.ctx, DTLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(dt.ctx, DTLS1_2_VERSION);
	SSL_CTX_set_verify(dt.ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static void
dtls_fail(const char *why)
{
	char *c;

	if (dt.error[0] == '\0')
		snprintf(dt.error, sizeof(dt.error), "%s", why);
	for (c = dt.error; *c; c++) /* it goes into JSON */
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			*c = '\'';
	dt.failed = true;
	dt.failed_at = now_s();
	event("dtls-failed", dt.error);
}

/* what OpenSSL wrote (a flight fits one datagram: MTU 1200, an EC certificate) */
static void
dtls_flush(void)
{
	uint8_t b[BUF];
	int n;

	while (BIO_ctrl_pending(dt.wbio) > 0 && (n = BIO_read(dt.wbio, b, sizeof(b))) > 0)
		if (dt.have_peer)
			send_to(&dt.peer, b, (size_t)n);
}

static const struct {
	unsigned long id;
	void (*rtp)(srtp_crypto_policy_t *p);
	void (*rtcp)(srtp_crypto_policy_t *p);
	unsigned key, salt;
} profiles[] = {
	{SRTP_AES128_CM_SHA1_80, srtp_crypto_policy_set_rtp_default,
		srtp_crypto_policy_set_rtcp_default, 16, 14},
	/* SRTCP keeps the 80-bit tag */
	{SRTP_AES128_CM_SHA1_32, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
		srtp_crypto_policy_set_rtcp_default, 16, 14},
	{SRTP_AEAD_AES_128_GCM, srtp_crypto_policy_set_aes_gcm_128_16_auth,
		srtp_crypto_policy_set_aes_gcm_128_16_auth, 16, 12},
	{SRTP_AEAD_AES_256_GCM, srtp_crypto_policy_set_aes_gcm_256_16_auth,
		srtp_crypto_policy_set_aes_gcm_256_16_auth, 32, 12},
};

static void
srtp_keys(void)
{
	const SRTP_PROTECTION_PROFILE *pr = SSL_get_selected_srtp_profile(dt.ssl);
	uint8_t km[2 * (32 + 14)], ktx[46], krx[46];
	srtp_policy_t pol;
	unsigned i, kl, sl;
	int c = dt.client;

	for (i = 0; pr != NULL && i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (profiles[i].id == pr->id)
			break;
	if (pr == NULL || i == sizeof(profiles) / sizeof(profiles[0])) {
		dtls_fail(pr ? pr->name : "no SRTP profile negotiated");
		return;
	}
	snprintf(dt.profile, sizeof(dt.profile), "%s", pr->name);
	memset(&pol, 0, sizeof(pol));
	profiles[i].rtp(&pol.rtp);
	profiles[i].rtcp(&pol.rtcp);
	kl = profiles[i].key, sl = profiles[i].salt;
	if (SSL_export_keying_material(dt.ssl, km, 2 * (kl + sl), "EXTRACTOR-dtls_srtp", 19,
		    NULL, 0, 0) != 1)
		die("keying material export failed", NULL);
	/* client_key | server_key | client_salt | server_salt */
	memcpy(ktx, km + (c ? 0 : kl), kl);
	memcpy(ktx + kl, km + 2 * kl + (c ? 0 : sl), sl);
	memcpy(krx, km + (c ? kl : 0), kl);
	memcpy(krx + kl, km + 2 * kl + (c ? sl : 0), sl);
	pol.window_size = 128;
	pol.ssrc.type = ssrc_any_outbound, pol.key = ktx;
	if (srtp_create(&mx.tx, &pol) != srtp_err_status_ok)
		die("srtp_create (tx)", dt.profile);
	pol.ssrc.type = ssrc_any_inbound, pol.key = krx;
	if (srtp_create(&mx.rx, &pol) != srtp_err_status_ok)
		die("srtp_create (rx)", dt.profile);
	dt.connected = true;
	mx.start = now_s() + o.media_delay; /* the relay may be a round trip behind */
	printf("EVENT dtls-connected %s %s\n", c ? "client" : "server", dt.profile);
	fflush(stdout);
}

static void
dtls_drive(void)
{
	uint8_t b[BUF];
	int rc;

	if (dt.failed)
		return;
	if (dt.connected) {
		while (SSL_read(dt.ssl, b, sizeof(b)) > 0) /* retransmitted flights, alerts */
			;
		dtls_flush();
		return;
	}
	rc = SSL_do_handshake(dt.ssl);
	dtls_flush();
	if (rc == 1) {
		srtp_keys();
	} else if (SSL_get_error(dt.ssl, rc) != SSL_ERROR_WANT_READ) {
		char why[200];

		ERR_error_string_n(ERR_peek_last_error(), why, sizeof(why));
		dtls_fail(why);
	}
}

static void
dtls_start(void)
{
	dt.ssl = SSL_new(dt.ctx);
	dt.rbio = BIO_new(BIO_s_mem());
	dt.wbio = BIO_new(BIO_s_mem());
	if (dt.ssl == NULL || dt.rbio == NULL || dt.wbio == NULL)
		die("SSL_new", NULL);
	BIO_set_mem_eof_return(dt.rbio, -1);
	SSL_set_bio(dt.ssl, dt.rbio, dt.wbio);
	SSL_set_options(dt.ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(dt.ssl, 1200);
	DTLS_set_link_mtu(dt.ssl, 1200);
	if (dt.client)
		SSL_set_connect_state(dt.ssl);
	else
		SSL_set_accept_state(dt.ssl);
	dt.started = true;
	dt.start_at = now_s();
	if (!dt.client && dt.early_len > 0) { /* a ClientHello that came early (lesson #23) */
		dt.peer = dt.early_from, dt.have_peer = true;
		BIO_write(dt.rbio, dt.early, dt.early_len);
	}
	if (dt.client || dt.early_len > 0)
		dtls_drive();
}

/* ---- media ---- */

static uint8_t
filler(uint32_t tag, uint32_t idx)
{
	return (uint8_t)((tag ^ (uint32_t)(idx * 2654435761u)) & 0xff);
}

static void
media_send(unsigned long i)
{
	uint8_t p[BUF], base = filler(o.tx_tag, (uint32_t)i);
	char cname[40];
	size_t cl;
	int len = 12 + 160, k;

	p[0] = 0x80, p[1] = i == 0 ? 0x80 : 0; /* PT 0 */
	put16(p + 2, (unsigned)((4000 + i) & 0xffff));
	put32(p + 4, 8000u + (uint32_t)i * 160u);
	put32(p + 8, mx.ssrc);
	memcpy(p + 12, "SLT1", 4);
	put32(p + 16, o.tx_tag), put32(p + 20, (uint32_t)i);
	for (k = 0; k < 148; k++)
		p[24 + k] = (uint8_t)(base + k * 13u);
	if (srtp_protect(mx.tx, p, &len) == srtp_err_status_ok) {
		send_to(&dt.peer, p, (size_t)len);
		mx.sent++;
	}
	if (!o.rtcp_every || i % o.rtcp_every != o.rtcp_every / 2)
		return;
	/* SR + SDES CNAME, muxed on the RTP port */
	snprintf(cname, sizeof(cname), "slt-%08x@sluice.test", o.tx_tag);
	cl = strlen(cname);
	memset(p, 0, 80);
	p[0] = 0x80, p[1] = 200, put16(p + 2, 6);
	put32(p + 4, mx.ssrc);
	put32(p + 20, (uint32_t)mx.sent);
	p[28] = 0x81, p[29] = 202;
	put16(p + 30, (unsigned)((10 + cl + 1 + 3) / 4 - 1));
	put32(p + 32, mx.ssrc);
	p[36] = 1, p[37] = (uint8_t)cl;
	memcpy(p + 38, cname, cl);
	len = (int)(28 + ((10 + cl + 1 + 3) & ~(size_t)3));
	if (srtp_protect_rtcp(mx.tx, p, &len) == srtp_err_status_ok) {
		send_to(&dt.peer, p, (size_t)len);
		mx.rtcp_sent++;
	}
}

static void
media_input(uint8_t *p, int len)
{
	srtp_err_status_t rc;
	char cname[40];
	const uint8_t *pl;
	uint32_t idx;
	int k;

	mx.rx_pkts++;
	if (!dt.connected) {
		mx.rx_before++; /* nothing but STUN/DTLS may reach us before the keys */
		return;
	}
	if (p[1] >= 192 && p[1] <= 223) { /* RFC 5761 */
		if (srtp_unprotect_rtcp(mx.rx, p, &len) != srtp_err_status_ok) {
			mx.auth_fail++;
			return;
		}
		mx.rtcp_ok++;
		snprintf(cname, sizeof(cname), "slt-%08x@sluice.test", o.rx_tag);
		for (k = 8; k + (int)strlen(cname) <= len; k++)
			if (memcmp(p + k, cname, strlen(cname)) == 0) {
				mx.rtcp_valid++;
				break;
			}
		return;
	}
	rc = srtp_unprotect(mx.rx, p, &len);
	if (rc != srtp_err_status_ok) {
		if (rc == srtp_err_status_auth_fail)
			mx.auth_fail++;
		else if (rc == srtp_err_status_replay_fail || rc == srtp_err_status_replay_old)
			mx.replay_fail++;
		else
			mx.other_fail++;
		return;
	}
	mx.ok++;
	pl = p + 12 + 4 * (p[0] & 0x0f);
	len -= (int)(pl - p);
	idx = len >= 12 ? GET32(pl + 8) : 0;
	for (k = 12; k < len && pl[k] == (uint8_t)(filler(o.rx_tag, idx) + (k - 12) * 13u); k++)
		;
	if (len < 12 || memcmp(pl, "SLT1", 4) != 0 || GET32(pl + 4) != o.rx_tag || k != len ||
		idx >= MAX_IDX) {
		mx.invalid++;
	} else if (mx.seen[idx >> 3] & (1u << (idx & 7))) {
		mx.dups++;
	} else {
		mx.seen[idx >> 3] |= (uint8_t)(1u << (idx & 7));
		mx.valid++;
	}
}

/* ---- main ---- */

/* --name value options (flags take none); kinds: u long, d double, s string, f flag,
 * t pattern tag (crc32 of "call_id|direction"), e IP:PORT */
static void
parse_args(int argc, char **argv)
{
	static const struct { const char *name; char kind; void *p; } opt[] = {
		{"offer", 'f', &o.offer}, {"answer", 'f', &o.answer}, {"bind", 'e', o.ip},
		{"local-sdp", 's', &o.local_sdp}, {"remote-sdp", 's', &o.remote_sdp},
		{"setup", 's', &o.setup}, {"profiles", 's', &o.profiles}, {"count", 'u', &o.count},
		{"pps", 'd', &o.pps}, {"rtcp-every", 'u', &o.rtcp_every},
		{"tx-pattern", 't', &o.tx_tag}, {"rx-pattern", 't', &o.rx_tag},
		{"expect", 'u', &o.expect}, {"idle", 'd', &o.idle}, {"max-time", 'd', &o.max_time},
		{"browser", 'f', &o.browser}, {"bad-fingerprint", 'f', &o.bad_fp},
		{"dtls-delay", 'd', &o.dtls_delay}, {"media-delay", 'd', &o.media_delay},
		{"no-ice", 'f', &o.no_ice}, {"proto", 's', &o.proto}};
	const char *v, *colon;
	unsigned k;
	int i;

	o.count = 100, o.pps = 250, o.idle = 1.0, o.max_time = 30, o.media_delay = 0.2;
	o.setup = "active", o.proto = "UDP/TLS/RTP/SAVPF";
	o.profiles = "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:"
		     "SRTP_AES128_CM_SHA1_32";
	o.tx_tag = crc32_buf("sltest|tx", 9), o.rx_tag = crc32_buf("sltest|rx", 9);
	for (i = 1; i < argc; i++) {
		for (k = 0; k < sizeof(opt) / sizeof(opt[0]); k++)
			if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, opt[k].name) == 0)
				break;
		if (k == sizeof(opt) / sizeof(opt[0]) || (opt[k].kind != 'f' && i + 1 == argc))
			goto usage;
		v = opt[k].kind == 'f' ? NULL : argv[++i];
		switch (opt[k].kind) {
		case 'f': *(bool *)opt[k].p = true; break;
		case 's': *(const char **)opt[k].p = v; break;
		case 'u': *(unsigned long *)opt[k].p = strtoul(v, NULL, 0); break;
		case 'd': *(double *)opt[k].p = atof(v); break;
		case 't': *(uint32_t *)opt[k].p = crc32_buf(v, strlen(v)); break;
		default: /* 'e' */
			colon = strrchr(v, ':');
			if (colon == NULL || (size_t)(colon - v) >= sizeof(o.ip))
				goto usage;
			snprintf(o.ip, (size_t)(colon - v) + 1, "%s", v);
			o.port = atoi(colon + 1);
		}
	}
	if (o.offer != o.answer && o.port > 0 && o.local_sdp && o.remote_sdp && o.pps > 0 &&
		o.max_time <= 600 && o.count < MAX_IDX &&
		(strcmp(o.setup, "active") == 0 || strcmp(o.setup, "passive") == 0))
		return;
usage:
	die("usage: webrtc_peer --offer|--answer --bind IP:PORT --local-sdp F --remote-sdp F "
	    "[--setup active|passive] [--profiles P1:P2] [--count N] [--pps R] [--rtcp-every K] "
	    "[--tx-pattern CID|DIR] [--rx-pattern CID|DIR] [--expect N] [--idle S] "
	    "[--max-time S<=600] [--browser] [--bad-fingerprint] [--dtls-delay S] "
	    "[--media-delay S] [--no-ice] [--proto P]", NULL);
}

/* one round of the event loop's timers; false when we are done */
static bool
tick(double now, unsigned long *next_pkt, double *hold_until)
{
	struct timeval tv;

	if (!ice.remote_known)
		load_remote();
	if (ice.remote_known && ice.remote_ice)
		ice_tick(now);
	if (!dt.started && ice.remote_known) {
		/* a client needs the path; a server may wait for a ClientHello at once */
		bool path = !ice.remote_ice || ice.sel != 0;

		if (*hold_until == 0 && (path || (!dt.client && o.dtls_delay == 0)))
			*hold_until = now + (path ? o.dtls_delay : 0);
		if (*hold_until != 0 && now >= *hold_until)
			dtls_start();
	}
	if (dt.started && !dt.connected && !dt.failed) {
		if (DTLSv1_get_timeout(dt.ssl, &tv) && tv.tv_sec == 0 && tv.tv_usec == 0) {
			DTLSv1_handle_timeout(dt.ssl);
			dtls_flush();
		}
		if (now - dt.start_at > 10.0)
			dtls_fail("handshake timeout (10 s)");
	}
	if (dt.failed)
		return now - dt.failed_at < o.idle; /* linger: what still arrives is counted */
	if (!dt.connected)
		return true;
	for (; *next_pkt < o.count && now >= mx.start + (double)*next_pkt / o.pps; ++*next_pkt)
		media_send(*next_pkt);
	if (*next_pkt == o.count && mx.done == 0)
		mx.done = now;
	if (o.expect && mx.valid >= o.expect && mx.got_all == 0)
		mx.got_all = now;
	/* all expected: a moment more for trailing RTCP (and duplicates, if any) */
	return mx.done == 0 || !((mx.got_all != 0 && now - mx.got_all >= 0.3) ||
		now - (mx.last_rx > mx.done ? mx.last_rx : mx.done) >= o.idle);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in6 me, from;
	double now, wait, hold_until = 0;
	unsigned long next_pkt = 0;
	struct pollfd pf;
	socklen_t fl;
	uint8_t b[BUF], rnd[28];
	ssize_t n;
	int zero = 0, big = 8 << 20, k;
	char s1[80], s2[80];

	parse_args(argc, argv);
	mx.seen = calloc(MAX_IDX / 8, 1);
	if (srtp_init() != srtp_err_status_ok || mx.seen == NULL)
		die("srtp_init", NULL);
	RAND_bytes(rnd, sizeof(rnd)); /* ICE credentials in hex: ufrag 8, pwd 24 characters */
	for (k = 0; k < 16; k++)
		sprintf(k < 4 ? ice.lufrag + 2 * k : ice.lpwd + 2 * (k - 4), "%02x", rnd[k]);
	memcpy(&ice.tiebreak, rnd + 16, 8);
	memcpy(&mx.ssrc, rnd + 24, 4);
	make_identity();
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (!ep_make(o.ip, (unsigned)o.port, &me) || fd < 0 ||
		bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		die("bind", strerror(errno));
	if (!o.offer && !load_remote())
		die("cannot read", o.remote_sdp);
	write_local_sdp();
	printf("READY\n");
	fflush(stdout);

	ice.t0 = now_s();
	pf.fd = fd, pf.events = POLLIN;
	while ((now = now_s()) < ice.t0 + o.max_time && tick(now, &next_pkt, &hold_until)) {
		wait = dt.connected && next_pkt < o.count ?
			mx.start + (double)next_pkt / o.pps - now : 0.01;
		if (poll(&pf, 1, wait > 0 ? (int)(wait * 1000) + 1 : 0) <= 0)
			continue;
		for (k = 0; k < 256; k++) {
			fl = sizeof(from);
			n = recvfrom(fd, b, sizeof(b) - 64, MSG_DONTWAIT, (struct sockaddr *)&from,
				&fl);
			if (n <= 0)
				break;
			if (b[0] <= 3) { /* RFC 7983 */
				stun_input(b, (size_t)n, &from);
			} else if (b[0] >= 20 && b[0] <= 63) {
				dt.before_ice += ice.remote_ice && ice.sel == 0;
				if (!dt.started && n <= BUF) {
					dt.held++;
					memcpy(dt.early, b, (size_t)n);
					dt.early_len = (int)n, dt.early_from = from;
				}
				if (!dt.started || dt.failed)
					continue;
				if (!dt.client) /* a server answers where the record came from */
					dt.peer = from, dt.have_peer = true;
				BIO_write(dt.rbio, b, (int)n);
				dtls_drive();
			} else if (b[0] >= 128 && b[0] <= 191 && n >= 12) {
				media_input(b, (int)n);
				mx.last_rx = now_s();
			}
		}
	}

	printf("{\"ice_used\": %s, \"ice_controlling\": %s, \"ice_selected\": %s, "
	       "\"ice_remote\": \"%s\", \"ice_local\": \"%s\", \"ice_ms\": %.0f, "
	       "\"checks_sent\": %lu, \"requests_in\": %lu, \"responses_ok\": %lu, "
	       "\"use_candidate_in\": %lu, \"consent_sent\": %lu, \"consent_ok\": %lu, "
	       "\"bad_stun\": %lu, \"dtls_role\": \"%s\", \"dtls_connected\": %s, "
	       "\"dtls_failed\": %s, \"dtls_error\": \"%s\", \"dtls_before_ice\": %lu, "
	       "\"dtls_held\": %lu, \"profile\": \"%s\", \"peer_fp_ok\": %s, \"sent\": %lu, "
	       "\"rtcp_sent\": %lu, \"received\": %lu, \"rx_before_keys\": %lu, "
	       "\"unprotected\": %lu, \"auth_fail\": %lu, \"replay_fail\": %lu, "
	       "\"other_fail\": %lu, \"valid\": %lu, \"invalid\": %lu, \"duplicates\": %lu, "
	       "\"rtcp_ok\": %lu, \"rtcp_valid\": %lu, \"seconds\": %.3f}\n",
		ice.remote_ice ? "true" : "false", ice.controlling ? "true" : "false",
		ice.sel ? "true" : "false",
		ice.sel ? ep_str(&ice.pairs[ice.sel - 1].remote, s1, sizeof(s1)) : "",
		ep_str(&me, s2, sizeof(s2)), ice.sel ? (ice.sel_at - ice.t0) * 1000 : -1.0,
		ice.checks_sent, ice.reqs_in, ice.resp_ok, ice.use_cand_in, ice.consent_sent,
		ice.consent_ok, ice.bad, !dt.started ? "" : dt.client ? "client" : "server",
		dt.connected ? "true" : "false", dt.failed ? "true" : "false", dt.error,
		dt.before_ice, dt.held, dt.profile, ice.rfp_ok ? "true" : "false", mx.sent,
		mx.rtcp_sent, mx.rx_pkts, mx.rx_before, mx.ok, mx.auth_fail, mx.replay_fail,
		mx.other_fail, mx.valid, mx.invalid, mx.dups, mx.rtcp_ok, mx.rtcp_valid,
		now_s() - ice.t0);
	fflush(stdout);
	return 0;
}
