/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DTLS_H
#define SL_DTLS_H

/**
 * @file
 * DTLS-SRTP (RFC 5763/5764/8842) for the control thread. No sockets: the
 * caller feeds datagrams the workers punted (first byte 20..63, RFC 7983)
 * and sends what comes back in a struct dtls_out through a worker, to the
 * 5-tuple the input came from. Control thread only: nothing here locks.
 *
 * Offer/answer sequences (role = DTLS role, not SDP role; RFC 5763 §5):
 * - we offer:  c = dtls_conn_create(NULL, 0); a=setup:actpass, our fingerprint,
 *   dtls_conn_tls_id(c). Datagrams arriving before the answer (Chrome's early
 *   ClientHello) go to dtls_input() and are kept. On the answer:
 *   role = dtls_setup_role(DTLS_SETUP_ACTPASS, their setup);
 *   dtls_conn_start(c, role, &their_fp, their_tls_id, now, out).
 * - we answer: create, local = dtls_setup_answer(their setup, DTLS=passive),
 *   start with dtls_setup_role(local, their setup) right away.
 * - re-offer/re-answer: if dtls_conn_remote_changed() keep c, else destroy it
 *   and create a new one (new tls-id).
 * Then: dtls_input() per datagram, dtls_tick() at out->next_ms, and on
 * DTLS_EV_CONNECTED hand dtls_conn_keys() to the workers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtls_cert;
struct dtls_conn;

#define DTLS_MTU 1200	    /* bytes: largest datagram we emit */
#define DTLS_OUT_MAX 8	    /* datagrams per dtls_out (a flight is 1-3) */
#define DTLS_FP_MAX 64	    /* bytes: sha-512 digest */
#define DTLS_FP_STR_MAX 200 /* "sha-512 " + 64 * "XX:" - 1 + NUL */
#define DTLS_TLS_ID_LEN 32  /* hex chars we generate (RFC 8842: 20..255) */
#define DTLS_TLS_ID_MAX 255
#define DTLS_NO_DEADLINE UINT64_MAX
/* retransmission of an unanswered flight (RFC 6347 §4.2.4.1: 1 s, doubling) */
#define DTLS_RTX_INITIAL_MS 1000
#define DTLS_RTX_MAX_MS 8000 /* cap, well under RFC 6347's 60 s: ICE gives up at ~30 s */
#define DTLS_RTX_LIMIT 6     /* retransmissions of one flight before we fail (~39 s) */

enum dtls_hash {
	DTLS_HASH_SHA1,
	DTLS_HASH_SHA224,
	DTLS_HASH_SHA256,
	DTLS_HASH_SHA384,
	DTLS_HASH_SHA512,
	DTLS_HASH_NUM
};

/** a=setup values (RFC 4145); NONE = attribute absent. */
enum dtls_setup {
	DTLS_SETUP_NONE,
	DTLS_SETUP_ACTPASS,
	DTLS_SETUP_ACTIVE,
	DTLS_SETUP_PASSIVE,
	DTLS_SETUP_HOLDCONN
};

enum dtls_role { DTLS_ROLE_CLIENT, DTLS_ROLE_SERVER };

/** In preference order (ours, as DTLS server); the bit for s is 1u << s. */
enum dtls_srtp_suite {
	DTLS_SRTP_AEAD_AES_256_GCM,
	DTLS_SRTP_AEAD_AES_128_GCM,
	DTLS_SRTP_AES_CM_128_HMAC_SHA1_80,
	DTLS_SRTP_AES_CM_128_HMAC_SHA1_32,
	DTLS_SRTP_NUM
};

enum dtls_state {
	DTLS_ST_PENDING,
	DTLS_ST_HANDSHAKING,
	DTLS_ST_CONNECTED,
	DTLS_ST_FAILED,
	DTLS_ST_CLOSED
};

/* events, a bit set: one call can finish the handshake and see close_notify */
#define DTLS_EV_CONNECTED 1u /* keys ready: dtls_conn_keys() */
#define DTLS_EV_FAILED 2u    /* handshake or association failed: dtls_conn_reason() */
#define DTLS_EV_CLOSED 4u    /* peer sent close_notify */

struct dtls_fingerprint {
	enum dtls_hash hash;
	uint8_t len; /* bytes in digest[] */
	uint8_t digest[DTLS_FP_MAX];
};

/** SRTP master keys, split by DTLS role: local protects what we send. */
struct dtls_srtp_keys {
	enum dtls_srtp_suite suite;
	const char *suite_name; /* SDES name, static: "AEAD_AES_128_GCM" */
	uint16_t profile;	/* RFC 5764 / RFC 7714 id, e.g. 0x0007 */
	uint8_t key_len;	/* bytes: 16 or 32 */
	uint8_t salt_len;	/* bytes: 14 (AES-CM) or 12 (GCM) */
	uint8_t local_key[32];
	uint8_t local_salt[14];
	uint8_t remote_key[32];
	uint8_t remote_salt[14];
};

/**
 * Output of one driving call; caller-owned (one per control thread, ~9.7 KiB,
 * so that connections themselves stay small). Cleared by every call.
 */
struct dtls_out {
	unsigned int n;	     /* datagrams in dg[], send in order */
	unsigned int events; /* DTLS_EV_* raised by this call */
	uint64_t next_ms;    /* call dtls_tick() then; DTLS_NO_DEADLINE if none */
	struct {
		uint16_t len;
		uint8_t data[DTLS_MTU];
	} dg[DTLS_OUT_MAX];
};

struct dtls_conn_stats {
	uint32_t rx_dgrams;	/* datagrams given to dtls_input() */
	uint32_t rx_ignored;	/* not DTLS, or not a ClientHello while pending */
	uint32_t early_queued;	/* ClientHello datagrams kept while pending */
	uint32_t early_dropped; /* ... not kept: early queue full */
	uint32_t tx_dgrams;	/* datagrams handed out */
	uint32_t tx_dropped;	/* datagrams that did not fit a dtls_out */
	uint32_t retransmits;	/* timer-driven flight retransmissions */
};

/* ---- certificates (dtls_cert.c) ---- */

/**
 * Make the process certificate: load PEM files if both paths are given
 * (--dtls-cert/--dtls-key), generate one if both are NULL.
 * @return 0, -EINVAL (one path only, non-EC key, mismatched pair), -ENOENT, -EIO
 */
int dtls_init(const char *cert_path, const char *key_path);
/** Drop the process certificate; connections keep theirs until destroyed. */
void dtls_fini(void);
/** New process certificate (regenerated, or files re-read); @return as dtls_init(). */
int dtls_rotate(void);
/** @return the process certificate (borrowed; dtls_cert_ref() to keep it), or NULL. */
struct dtls_cert *dtls_cert_current(void);

/** Self-signed EC P-256, CN "sluice", random serial, 30 days; NULL + errno. */
struct dtls_cert *dtls_cert_generate(void);
/** From PEM files (first certificate, EC key); NULL + errno as dtls_init(). */
struct dtls_cert *dtls_cert_load(const char *cert_path, const char *key_path);
struct dtls_cert *dtls_cert_ref(struct dtls_cert *cert);
void dtls_cert_unref(struct dtls_cert *cert);
/** @return "sha-256 AB:CD:..." for a=fingerprint, owned by @p cert. */
const char *dtls_cert_fingerprint(const struct dtls_cert *cert, enum dtls_hash hash);
/** @return notAfter as seconds since the epoch (for rotation policy). */
int64_t dtls_cert_expiry(const struct dtls_cert *cert);

/* ---- SDP helpers (dtls_sdp.c) ---- */

/** @return enum dtls_hash for "sha-256"/"SHA-256" etc., or -EINVAL. */
int dtls_hash_parse(const char *s, size_t len);
const char *dtls_hash_name(enum dtls_hash hash); /* "sha-256" */
/** Parse an a=fingerprint value "sha-256 AB:CD:..."; @return 0 or -EINVAL. */
int dtls_fingerprint_parse(struct dtls_fingerprint *fp, const char *s, size_t len);
/** Format as above, uppercase; @return length, -ENOSPC or -EINVAL. */
int dtls_fingerprint_format(const struct dtls_fingerprint *fp, char *out, size_t cap);
bool dtls_fingerprint_equal(const struct dtls_fingerprint *a, const struct dtls_fingerprint *b);

/** @return enum dtls_setup for an a=setup value, or -EINVAL. */
int dtls_setup_parse(const char *s, size_t len);
const char *dtls_setup_name(enum dtls_setup setup); /* "actpass"; NULL for NONE */
/** Our a=setup in an offer: actpass (RFC 5763 §5). */
enum dtls_setup dtls_setup_offer(void);
/** Our a=setup in an answer: active unless they are active or we prefer passive. */
enum dtls_setup dtls_setup_answer(enum dtls_setup offered, bool prefer_passive);
/** a=setup that keeps an established role in a re-offer (RFC 8842 §5.4). */
enum dtls_setup dtls_setup_from_role(enum dtls_role role);
/**
 * DTLS role from the two a=setup values (absent remote = active, RFC 4145).
 * @return enum dtls_role, or -EINVAL (e.g. both passive, answer actpass)
 */
int dtls_setup_role(enum dtls_setup local, enum dtls_setup remote);

/** Write DTLS_TLS_ID_LEN random hex chars plus NUL into @p out. */
void dtls_tls_id_generate(char out[DTLS_TLS_ID_LEN + 1]);
/** @return true for a syntactically valid a=tls-id value (RFC 8842 §4). */
bool dtls_tls_id_valid(const char *s, size_t len);

/** SDES name of a suite ("AES_CM_128_HMAC_SHA1_80"); NULL if out of range. */
const char *dtls_srtp_suite_name(enum dtls_srtp_suite suite);
/** @return enum dtls_srtp_suite for an SDES name, or -EINVAL. */
int dtls_srtp_suite_parse(const char *s, size_t len);

/* ---- connections (dtls.c) ---- */

/**
 * New association in DTLS_ST_PENDING: role and peer fingerprint unknown.
 * @param cert  identity (a reference is taken); NULL = dtls_cert_current()
 * @param suites  mask of 1u << enum dtls_srtp_suite to offer/accept; 0 = all
 * @return the connection, or NULL with errno EINVAL (no certificate) / ENOMEM
 */
struct dtls_conn *dtls_conn_create(struct dtls_cert *cert, unsigned int suites);
/** Free; sends nothing (see dtls_close()). Wipes keys. NULL is a no-op. */
void dtls_conn_destroy(struct dtls_conn *c);

/**
 * Fix role and expected peer fingerprint; a client sends its ClientHello, a
 * server replays ClientHellos kept while pending.
 * @param tls_id  peer's a=tls-id, NULL if none
 * @return 0, -EINVAL (bad args), -EALREADY (not pending), -ENOMEM
 */
int dtls_conn_start(struct dtls_conn *c, enum dtls_role role, const struct dtls_fingerprint *fp,
	const char *tls_id, uint64_t now_ms, struct dtls_out *out);

/**
 * One received datagram. Pending: ClientHellos are kept (bounded), the rest
 * ignored. Failed/closed: ignored.
 * @return DTLS_EV_* set (>= 0), or -EINVAL
 */
int dtls_input(
	struct dtls_conn *c, const uint8_t *buf, size_t len, uint64_t now_ms, struct dtls_out *out);

/**
 * Retransmission timer (DTLS_RTX_*). now_ms is any monotonic ms clock of
 * the caller's; OpenSSL 3.0 keeps its own timer on gettimeofday(), so only
 * the remaining time is translated into the caller's clock.
 * @return the next deadline in that clock, or DTLS_NO_DEADLINE
 */
uint64_t dtls_tick(struct dtls_conn *c, uint64_t now_ms, struct dtls_out *out);

/**
 * Free OpenSSL's state of a settled association (~58 KiB down to ~1.2 KiB);
 * keys, tls-id and the peer certificate stay. Afterwards datagrams are
 * ignored and dtls_close() sends nothing. Settled: a client at once on
 * DTLS_EV_CONNECTED; a server once the peer's SRTP authenticates (so it got
 * our Finished) or a minute after connecting. Failed/closed: any time.
 * @return 0, -EBUSY (pending or handshaking), -EINVAL
 */
int dtls_conn_release(struct dtls_conn *c);

/** Send close_notify (if connected) and enter DTLS_ST_CLOSED; @return 0 or -EINVAL. */
int dtls_close(struct dtls_conn *c, struct dtls_out *out);

enum dtls_state dtls_conn_state(const struct dtls_conn *c);
/** @return 0 (client) or 1 (server), -EAGAIN while pending. */
int dtls_conn_role(const struct dtls_conn *c);
/** Copy the SRTP keys; @return 0, or -EAGAIN if not connected. */
int dtls_conn_keys(const struct dtls_conn *c, struct dtls_srtp_keys *keys);
/** @return why the association failed ("" if it has not). */
const char *dtls_conn_reason(const struct dtls_conn *c);
/** @return our a=tls-id for this association. */
const char *dtls_conn_tls_id(const struct dtls_conn *c);
/** @return our a=fingerprint for this association (its cert, not the current one). */
const char *dtls_conn_fingerprint(const struct dtls_conn *c, enum dtls_hash hash);
/**
 * Does a new remote description need a new association (RFC 8842 §5)?
 * True if the fingerprint changed or both tls-ids are known and differ.
 */
bool dtls_conn_remote_changed(
	const struct dtls_conn *c, const struct dtls_fingerprint *fp, const char *tls_id);
const struct dtls_conn_stats *dtls_conn_stats(const struct dtls_conn *c);

#endif /* SL_DTLS_H */
