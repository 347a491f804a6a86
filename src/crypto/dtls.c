/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DTLS-SRTP associations over OpenSSL 3.0, without sockets.
 *
 * I/O goes through a small custom BIO rather than BIO_s_mem: a memory BIO
 * concatenates what OpenSSL writes, losing datagram boundaries, and would
 * copy every input. Ours hands OpenSSL the caller's datagram in place and
 * turns each BIO_write into one datagram of the caller's struct dtls_out.
 * OpenSSL packs a flight into datagrams of at most the MTU itself (it pushes
 * a buffering BIO on top during the handshake and flushes before the MTU
 * would be exceeded), so one write is one datagram on the wire.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "crypto/dtls.h"
#include "crypto/dtls_priv.h"

/* ECDHE-ECDSA only (our certificates are P-256), AEAD first */
#define DTLS_CIPHERS                                                                               \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                             \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
#define DTLS_GROUPS "X25519:P-256:P-384"
#define DTLS_EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 §4.2 */
#define DTLS_RECORD_HDR 13			  /* type, version, epoch, seq48, length */
#define DTLS_HS_HDR 12 /* msg_type, len24, seq16, frag_off24, frag_len24 */
#define ALL_SUITES ((1u << DTLS_SRTP_NUM) - 1)

/*
 * ClientHellos that arrive while we do not yet know our role or the peer's
 * fingerprint (field lesson #23). Bounded: a ClientHello is one or two
 * datagrams (more with post-quantum key shares), the rest are retransmits.
 */
#define EARLY_MAX 4
#define EARLY_BYTES 4096

struct dtls_early {
	unsigned int n;
	uint16_t used; /* bytes of buf[] in use */
	uint16_t off[EARLY_MAX];
	uint16_t len[EARLY_MAX];
	uint8_t buf[EARLY_BYTES];
};

struct dtls_conn {
	enum dtls_state state;
	enum dtls_role role;	/* valid unless pending */
	struct dtls_cert *cert; /* reference held: our identity */
	SSL *ssl;		/* NULL while pending and once released */
	uint8_t *peer_der;	/* verified peer certificate (DER), for re-offers */
	int peer_der_len;
	unsigned int suites;		   /* 1u << enum dtls_srtp_suite */
	struct dtls_fingerprint remote_fp; /* what the peer's certificate must hash to */
	bool verified;			   /* peer certificate matched remote_fp */
	bool have_keys;
	unsigned int rtx_flight; /* retransmissions of the current flight */
	/* bound for the duration of one driving call only */
	const uint8_t *in; /* datagram OpenSSL reads next, not owned */
	size_t in_len;
	struct dtls_out *out;	  /* caller's, not owned */
	struct dtls_early *early; /* lazily allocated while pending */
	struct dtls_srtp_keys keys;
	struct dtls_conn_stats stats;
	char tls_id[DTLS_TLS_ID_LEN + 1];
	char remote_tls_id[DTLS_TLS_ID_MAX + 1];
	char reason[160];
};

/* ---- the datagram BIO ---- */

static BIO_METHOD *bio_meth; /* created once, lives as long as the process */

static int
bio_write(BIO *b, const char *data, int len)
{
	struct dtls_conn *c = BIO_get_data(b);
	struct dtls_out *o = c->out;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	/* like UDP: a datagram that cannot go out is lost, not retried;
	 * the retransmission timer repairs it */
	if (o == NULL || o->n >= DTLS_OUT_MAX || len > DTLS_MTU) {
		const char *why = len > DTLS_MTU ? "over MTU" : "output full";

		c->stats.tx_dropped++;
		SL_LOG_RL(SL_LOG_WARNING, DTLS_LOG, "dropped a %d-byte datagram (%s)", len,
			o == NULL ? "no output" : why);
		return len;
	}
	memcpy(o->dg[o->n].data, data, (size_t)len);
	o->dg[o->n].len = (uint16_t)len;
	o->n++;
	c->stats.tx_dgrams++;
	return len;
}

static int
bio_read(BIO *b, char *buf, int size)
{
	struct dtls_conn *c = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (c->in == NULL || size <= 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	/* datagram semantics: one read per datagram; excess is cut (OpenSSL's
	 * DTLS read buffer is larger than any UDP payload we accept anyway) */
	n = c->in_len < (size_t)size ? c->in_len : (size_t)size;
	memcpy(buf, c->in, n);
	c->in = NULL;
	c->in_len = 0;
	return (int)n;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dtls_conn *c = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return c != NULL && c->in != NULL ? (long)c->in_len : 0;
	case BIO_CTRL_DGRAM_QUERY_MTU: /* not asked with SSL_OP_NO_QUERY_MTU */
		return DTLS_MTU;
	default:
		/* WPENDING, DGRAM_GET_MTU_OVERHEAD (0: DTLS_MTU is the payload),
		 * DGRAM_SET_NEXT_TIMEOUT, MTU_EXCEEDED...: nothing to report */
		return 0;
	}
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *
bio_method(void)
{
	BIO_METHOD *m;

	if (bio_meth != NULL)
		return bio_meth;
	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sluice dtls datagram");
	if (m == NULL || BIO_meth_set_write(m, bio_write) != 1 ||
		BIO_meth_set_read(m, bio_read) != 1 || BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
		BIO_meth_set_create(m, bio_create) != 1) {
		BIO_meth_free(m);
		return NULL;
	}
	bio_meth = m;
	return m;
}

/* ---- state helpers ---- */

static void __attribute__((format(printf, 2, 3)))
fail(struct dtls_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->state == DTLS_ST_FAILED)
		return;
	c->state = DTLS_ST_FAILED;
	/* a reason recorded earlier (by the verify callback) is the real one */
	if (c->reason[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
		va_end(ap);
	}
	if (c->out != NULL)
		c->out->events |= DTLS_EV_FAILED;
	SL_DEBUG(DTLS_LOG, "association failed: %s", c->reason);
}

static void
fail_ssl(struct dtls_conn *c, int err)
{
	unsigned long e = ERR_peek_error();
	char buf[120];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		fail(c, "DTLS error: %s", buf);
	} else {
		fail(c, "DTLS error %d", err);
	}
	ERR_clear_error();
}

static void
out_begin(struct dtls_conn *c, struct dtls_out *out)
{
	out->n = 0;
	out->events = 0;
	out->next_ms = DTLS_NO_DEADLINE;
	c->out = out;
}

static uint64_t
out_end(struct dtls_conn *c, uint64_t now_ms)
{
	struct dtls_out *out = c->out;
	struct timeval tv;

	c->out = NULL;
	if (c->ssl != NULL && (c->state == DTLS_ST_HANDSHAKING || c->state == DTLS_ST_CONNECTED) &&
		DTLSv1_get_timeout(c->ssl, &tv) == 1)
		out->next_ms =
			now_ms + (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;
	return out->next_ms;
}

/* ---- OpenSSL callbacks ---- */

/*
 * Replaces X509 chain verification: WebRTC certificates are self-signed and
 * authenticated only by the a=fingerprint the peer signalled (RFC 5763 §5).
 * Expiry is not checked either, as browsers do not check it.
 */
static int
verify_cb(X509_STORE_CTX *store, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_conn *c = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *peer = X509_STORE_CTX_get0_cert(store);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (c == NULL || peer == NULL) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if (X509_digest(peer, dtls_hashes[c->remote_fp.hash].md(), md, &len) != 1 ||
		len != c->remote_fp.len || memcmp(md, c->remote_fp.digest, len) != 0) {
		snprintf(c->reason, sizeof(c->reason),
			"peer certificate does not match a=fingerprint (%s)",
			dtls_hashes[c->remote_fp.hash].name);
		X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	c->verified = true;
	return 1;
}

/* OpenSSL calls this with 0 when it arms the timer for a new flight and
 * with the current interval when that interval expired */
static unsigned int
timer_cb(SSL *ssl, unsigned int timer_us)
{
	struct dtls_conn *c = SSL_get_app_data(ssl);

	if (timer_us == 0) {
		c->rtx_flight = 0;
		return DTLS_RTX_INITIAL_MS * 1000u;
	}
	c->rtx_flight++;
	c->stats.retransmits++;
	if (timer_us >= DTLS_RTX_MAX_MS * 1000u / 2)
		return DTLS_RTX_MAX_MS * 1000u;
	return timer_us * 2;
}

int
dtls_ctx_setup(SSL_CTX *ctx)
{
	char profiles[128];
	size_t o = 0;
	int i;

	for (i = 0; i < DTLS_SRTP_NUM; i++)
		o += (size_t)snprintf(profiles + o, sizeof(profiles) - o, "%s%s", i ? ":" : "",
			dtls_suites[i].ossl);
	/* OpenSSL 3.0 has no DTLS 1.3; pin 1.2 so nothing older is accepted */
	if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
		SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
		SSL_CTX_set_cipher_list(ctx, DTLS_CIPHERS) != 1 ||
		SSL_CTX_set1_groups_list(ctx, DTLS_GROUPS) != 1 ||
		SSL_CTX_set_tlsext_use_srtp(ctx, profiles) != 0) { /* 0 is success */
		SL_ERR(DTLS_LOG, "SSL_CTX setup failed");
		ERR_clear_error();
		return -EIO;
	}
	/* we set the MTU, never probe it (there is no socket to ask); one
	 * association per SDP negotiation, so no tickets, cache or renegotiation */
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* we never send application data, and handshake records are cut to the
	 * MTU anyway: a small send fragment shrinks the write buffer by ~15 KiB */
	SSL_CTX_set_max_send_fragment(ctx, 1024);
	/* both roles demand the peer's certificate: it is the peer's identity */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify_cb, NULL);
	return 0;
}

/* ---- handshake ---- */

static void
on_connected(struct dtls_conn *c)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(c->ssl);
	const struct dtls_suite_info *si = NULL;
	uint8_t km[2 * (32 + 14)];
	struct dtls_srtp_keys *k = &c->keys;
	const uint8_t *ck, *sk, *cs, *ss;
	size_t kl, sl;
	int i;

	if (!c->verified || SSL_get0_peer_certificate(c->ssl) == NULL) {
		fail(c, "peer certificate was not verified");
		return;
	}
	/* DER, not X509: ~350 bytes instead of ~4 KiB, and all a fingerprint
	 * needs; it outlives dtls_conn_release() */
	OPENSSL_free(c->peer_der);
	c->peer_der = NULL;
	c->peer_der_len = i2d_X509(SSL_get0_peer_certificate(c->ssl), &c->peer_der);
	if (c->peer_der_len <= 0) {
		c->peer_der = NULL;
		fail(c, "out of memory");
		return;
	}
	for (i = 0; p != NULL && i < DTLS_SRTP_NUM; i++)
		if ((c->suites & (1u << i)) && dtls_suites[i].id == p->id)
			si = &dtls_suites[i];
	if (si == NULL) {
		fail(c, "no SRTP profile negotiated (use_srtp)");
		return;
	}
	kl = si->key_len;
	sl = si->salt_len;
	/* RFC 5764 §4.2: client_key | server_key | client_salt | server_salt */
	ERR_clear_error();
	if (SSL_export_keying_material(c->ssl, km, 2 * (kl + sl), DTLS_EXPORTER_LABEL,
		    strlen(DTLS_EXPORTER_LABEL), NULL, 0, 0) != 1) {
		fail_ssl(c, 0);
		return;
	}
	ck = km;
	sk = km + kl;
	cs = km + 2 * kl;
	ss = km + 2 * kl + sl;
	memset(k, 0, sizeof(*k));
	k->suite = (enum dtls_srtp_suite)(si - dtls_suites);
	k->suite_name = si->sdes;
	k->profile = si->id;
	k->key_len = (uint8_t)kl;
	k->salt_len = (uint8_t)sl;
	/* by DTLS role, not SDP role: the client sends with client_write_* */
	memcpy(k->local_key, c->role == DTLS_ROLE_CLIENT ? ck : sk, kl);
	memcpy(k->local_salt, c->role == DTLS_ROLE_CLIENT ? cs : ss, sl);
	memcpy(k->remote_key, c->role == DTLS_ROLE_CLIENT ? sk : ck, kl);
	memcpy(k->remote_salt, c->role == DTLS_ROLE_CLIENT ? ss : cs, sl);
	OPENSSL_cleanse(km, sizeof(km));
	c->have_keys = true;
	c->state = DTLS_ST_CONNECTED;
	c->out->events |= DTLS_EV_CONNECTED;
	SL_DEBUG(DTLS_LOG, "connected as %s: %s, %s",
		c->role == DTLS_ROLE_CLIENT ? "client" : "server", SSL_get_cipher_name(c->ssl),
		si->sdes);
}

/* Post-handshake records: close_notify, alerts, retransmitted final flights
 * (OpenSSL answers those itself) and application data, which nothing uses. */
static void
drain(struct dtls_conn *c)
{
	uint8_t sink[512]; /* application data is discarded: no data channels here */
	int i, n, err;

	for (i = 0; i < 64; i++) { /* bounded: one datagram holds few records */
		ERR_clear_error();
		n = SSL_read(c->ssl, sink, sizeof(sink));
		if (n > 0)
			continue;
		err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			return;
		if (err == SSL_ERROR_ZERO_RETURN) {
			c->state = DTLS_ST_CLOSED;
			c->out->events |= DTLS_EV_CLOSED;
			return;
		}
		fail_ssl(c, err);
		return;
	}
}

static void
drive(struct dtls_conn *c)
{
	int rc, err;

	if (c->state == DTLS_ST_HANDSHAKING) {
		/* stale errors of another SSL would make SSL_get_error lie */
		ERR_clear_error();
		rc = SSL_do_handshake(c->ssl);
		if (rc == 1) {
			on_connected(c);
		} else {
			err = SSL_get_error(c->ssl, rc);
			if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
				fail_ssl(c, err);
		}
	}
	if (c->state == DTLS_ST_CONNECTED)
		drain(c);
}

static int
ssl_setup(struct dtls_conn *c)
{
	char profiles[128];
	size_t o = 0;
	BIO *bio;
	int i;

	if (bio_method() == NULL)
		return -ENOMEM;
	c->ssl = SSL_new(c->cert->ctx);
	if (c->ssl == NULL)
		goto nomem;
	if (c->suites != ALL_SUITES) {
		for (i = 0; i < DTLS_SRTP_NUM; i++)
			if (c->suites & (1u << i))
				o += (size_t)snprintf(profiles + o, sizeof(profiles) - o, "%s%s",
					o ? ":" : "", dtls_suites[i].ossl);
		if (SSL_set_tlsext_use_srtp(c->ssl, profiles) != 0) /* 0 is success */
			goto nomem;
	}
	bio = BIO_new(bio_meth);
	if (bio == NULL)
		goto nomem;
	BIO_set_data(bio, c);
	SSL_set_bio(c->ssl, bio, bio); /* same BIO twice: SSL takes one reference */
	SSL_set_app_data(c->ssl, c);
	if (SSL_set_mtu(c->ssl, DTLS_MTU) == 0)
		goto nomem;
	DTLS_set_timer_cb(c->ssl, timer_cb);
	if (c->role == DTLS_ROLE_CLIENT)
		SSL_set_connect_state(c->ssl);
	else
		SSL_set_accept_state(c->ssl);
	return 0;

nomem:
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
	return -ENOMEM;
}

/* ---- public ---- */

struct dtls_conn *
dtls_conn_create(struct dtls_cert *cert, unsigned int suites)
{
	struct dtls_conn *c;

	if (cert == NULL)
		cert = dtls_cert_current();
	if (cert == NULL || (suites & ~ALL_SUITES) != 0) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cert = dtls_cert_ref(cert);
	c->suites = suites != 0 ? suites : ALL_SUITES;
	c->state = DTLS_ST_PENDING;
	dtls_tls_id_generate(c->tls_id);
	return c;
}

void
dtls_conn_destroy(struct dtls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	OPENSSL_free(c->peer_der);
	free(c->early);
	dtls_cert_unref(c->cert);
	OPENSSL_cleanse(&c->keys, sizeof(c->keys));
	free(c);
}

static bool
is_client_hello(const uint8_t *b, size_t len)
{
	/* handshake record, DTLS version (0xfeXX), epoch 0, msg_type client_hello */
	return len >= DTLS_RECORD_HDR + DTLS_HS_HDR && b[0] == 22 && b[1] == 0xfe && b[3] == 0 &&
	       b[4] == 0 && b[DTLS_RECORD_HDR] == 1;
}

static void
early_keep(struct dtls_conn *c, const uint8_t *buf, size_t len)
{
	struct dtls_early *e = c->early;

	if (!is_client_hello(buf, len)) {
		c->stats.rx_ignored++;
		return;
	}
	if (e == NULL) {
		/* control thread, once per association: allowed to allocate */
		e = c->early = calloc(1, sizeof(*e));
		if (e == NULL) {
			c->stats.early_dropped++;
			return;
		}
	}
	if (e->n >= EARLY_MAX || len > (size_t)(EARLY_BYTES - e->used)) {
		c->stats.early_dropped++;
		return;
	}
	memcpy(e->buf + e->used, buf, len);
	e->off[e->n] = e->used;
	e->len[e->n] = (uint16_t)len;
	e->used = (uint16_t)(e->used + len);
	e->n++;
	c->stats.early_queued++;
}

int
dtls_conn_start(struct dtls_conn *c, enum dtls_role role, const struct dtls_fingerprint *fp,
	const char *tls_id, uint64_t now_ms, struct dtls_out *out)
{
	unsigned int i;
	int rc;

	if (c == NULL || out == NULL || fp == NULL ||
		(role != DTLS_ROLE_CLIENT && role != DTLS_ROLE_SERVER) ||
		(unsigned int)fp->hash >= DTLS_HASH_NUM || fp->len != dtls_hashes[fp->hash].len ||
		(tls_id != NULL && !dtls_tls_id_valid(tls_id, strlen(tls_id))))
		return -EINVAL;
	if (c->state != DTLS_ST_PENDING)
		return -EALREADY;
	out_begin(c, out);
	c->role = role;
	c->remote_fp = *fp;
	snprintf(c->remote_tls_id, sizeof(c->remote_tls_id), "%s", tls_id != NULL ? tls_id : "");
	rc = ssl_setup(c);
	if (rc < 0) {
		out_end(c, now_ms);
		return rc;
	}
	c->state = DTLS_ST_HANDSHAKING;
	if (role == DTLS_ROLE_CLIENT) {
		/* a ClientHello kept while pending means the peer also wants to
		 * be client; the answer said otherwise, so it is stale */
		drive(c);
	} else if (c->early != NULL) {
		for (i = 0; i < c->early->n && c->state == DTLS_ST_HANDSHAKING; i++) {
			c->in = c->early->buf + c->early->off[i];
			c->in_len = c->early->len[i];
			drive(c);
			c->in = NULL;
		}
	}
	free(c->early);
	c->early = NULL;
	out_end(c, now_ms);
	return 0;
}

int
dtls_input(
	struct dtls_conn *c, const uint8_t *buf, size_t len, uint64_t now_ms, struct dtls_out *out)
{
	if (c == NULL || out == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	out_begin(c, out);
	c->stats.rx_dgrams++;
	/* RFC 7983: DTLS records start with 20..63; anything else is not ours */
	if (len < DTLS_RECORD_HDR || buf[0] < 20 || buf[0] > 63) {
		c->stats.rx_ignored++;
	} else if (c->state == DTLS_ST_PENDING) {
		early_keep(c, buf, len);
	} else if (c->ssl != NULL &&
		   (c->state == DTLS_ST_HANDSHAKING || c->state == DTLS_ST_CONNECTED)) {
		c->in = buf;
		c->in_len = len;
		drive(c);
		c->in = NULL;
		c->in_len = 0;
	} else {
		c->stats.rx_ignored++;
	}
	out_end(c, now_ms);
	return (int)out->events;
}

uint64_t
dtls_tick(struct dtls_conn *c, uint64_t now_ms, struct dtls_out *out)
{
	struct timeval tv;

	if (c == NULL || out == NULL)
		return DTLS_NO_DEADLINE;
	out_begin(c, out);
	if (c->ssl != NULL && (c->state == DTLS_ST_HANDSHAKING || c->state == DTLS_ST_CONNECTED) &&
		DTLSv1_get_timeout(c->ssl, &tv) == 1 && tv.tv_sec == 0 && tv.tv_usec == 0) {
		if (c->rtx_flight >= DTLS_RTX_LIMIT) {
			fail(c, "handshake timed out after %u retransmissions", c->rtx_flight);
		} else {
			ERR_clear_error();
			if (DTLSv1_handle_timeout(c->ssl) < 0)
				fail_ssl(c, 0);
		}
	}
	return out_end(c, now_ms);
}

int
dtls_close(struct dtls_conn *c, struct dtls_out *out)
{
	if (c == NULL || out == NULL)
		return -EINVAL;
	out_begin(c, out);
	if (c->state == DTLS_ST_CONNECTED && c->ssl != NULL) {
		ERR_clear_error();
		SSL_shutdown(c->ssl); /* writes close_notify; we do not wait for theirs */
		ERR_clear_error();
	}
	if (c->state != DTLS_ST_FAILED)
		c->state = DTLS_ST_CLOSED;
	out_end(c, 0);
	return 0;
}

int
dtls_conn_release(struct dtls_conn *c)
{
	if (c == NULL)
		return -EINVAL;
	if (c->state == DTLS_ST_PENDING || c->state == DTLS_ST_HANDSHAKING)
		return -EBUSY;
	SSL_free(c->ssl);
	c->ssl = NULL;
	return 0;
}

enum dtls_state
dtls_conn_state(const struct dtls_conn *c)
{
	return c->state;
}

int
dtls_conn_role(const struct dtls_conn *c)
{
	if (c->state == DTLS_ST_PENDING)
		return -EAGAIN;
	return (int)c->role;
}

int
dtls_conn_keys(const struct dtls_conn *c, struct dtls_srtp_keys *keys)
{
	if (c == NULL || keys == NULL)
		return -EINVAL;
	if (!c->have_keys)
		return -EAGAIN;
	*keys = c->keys;
	return 0;
}

const char *
dtls_conn_reason(const struct dtls_conn *c)
{
	return c->reason;
}

const char *
dtls_conn_tls_id(const struct dtls_conn *c)
{
	return c->tls_id;
}

const char *
dtls_conn_fingerprint(const struct dtls_conn *c, enum dtls_hash hash)
{
	return dtls_cert_fingerprint(c->cert, hash);
}

bool
dtls_conn_remote_changed(
	const struct dtls_conn *c, const struct dtls_fingerprint *fp, const char *tls_id)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (c->state == DTLS_ST_PENDING)
		return false; /* nothing fixed yet: dtls_conn_start() takes it */
	if ((unsigned int)fp->hash >= DTLS_HASH_NUM)
		return true;
	/* the same certificate may be signalled with another hash this time */
	if (c->peer_der != NULL) {
		if (EVP_Digest(c->peer_der, (size_t)c->peer_der_len, md, &len,
			    dtls_hashes[fp->hash].md(), NULL) != 1 ||
			len != fp->len || memcmp(md, fp->digest, len) != 0)
			return true;
	} else if (!dtls_fingerprint_equal(&c->remote_fp, fp)) {
		return true;
	}
	/* a peer without tls-id support (or one that dropped it) keeps the
	 * association: restarting on an unchanged fingerprint breaks calls (#1096) */
	return tls_id != NULL && c->remote_tls_id[0] != '\0' &&
	       strcmp(tls_id, c->remote_tls_id) != 0;
}

const struct dtls_conn_stats *
dtls_conn_stats(const struct dtls_conn *c)
{
	return &c->stats;
}
