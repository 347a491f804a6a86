/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DTLS-SRTP associations (crypto/dtls.c over OpenSSL) fed by a hostile
 * network: two associations, ours (A) and a peer (B, the same code in the
 * other role), exchange their flights through a queue the fuzzer controls:
 * it delivers, drops, duplicates, corrupts and injects datagrams and lets
 * time pass. Datagrams punted before A knows its role (an early
 * ClientHello) are kept, as call_sec.c does it.
 *
 * Input: [config: 1 byte], then operations [op: 1 byte][arguments]:
 *   0 deliver the oldest datagram in flight to A, 1 to B
 *   2 the same but flip bit [arg >> 13] of byte [arg % len] first: [arg: 2]
 *   3 drop the oldest datagram to A, 4 to B   5 duplicate the oldest to A
 *   6 a datagram of the fuzzer's to A: [len: 1][bytes]
 *   7 time passes: [ms: 2]      8 A closes   9 start A (if still pending)
 * config: bit 0 A is the DTLS server, bit 1 A starts before B's first
 * flight, bits 2-3 the SRTP suites A accepts, bit 4 B expects a wrong
 * fingerprint.
 * Properties: no call fails with other than its documented errors; when
 * both ends are connected, they agree on the suite and each end's local key
 * is the other's remote key; an association connected to the wrong
 * fingerprint never happens.
 */
#include <errno.h>

#include "common/log.h"
#include "crypto/dtls.h"
#include "fuzz.h"

#define QMAX 32

struct queue {
	unsigned n;
	uint16_t len[QMAX];
	uint8_t *dg[QMAX];
};

struct run {
	struct dtls_conn *a, *b;
	struct dtls_fingerprint fa, fb; /* A's and B's certificate fingerprints */
	struct queue to_a, to_b;
	uint64_t now;
	bool a_started, b_wrong_fp;
	struct dtls_out out; /* ~10 KiB: not on the stack of every call */
};

static struct run run;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* errors only: per-call notices would drown libFuzzer's output */
	sl_log_init(SL_LOG_ERR, 1);
	if (dtls_init(NULL, NULL) < 0) {
		fprintf(stderr, "fuzz_dtls: no certificate\n");
		exit(1);
	}
	return 0;
}

static void
push(struct queue *q, const uint8_t *d, size_t len)
{
	if (q->n == QMAX)
		return; /* the network loses it */
	q->dg[q->n] = (uint8_t *)fuzz_dup(d, len, 0);
	q->len[q->n] = (uint16_t)len;
	q->n++;
}

static void
pop(struct queue *q)
{
	free(q->dg[0]);
	memmove(q->dg, q->dg + 1, (q->n - 1) * sizeof(q->dg[0]));
	memmove(q->len, q->len + 1, (q->n - 1) * sizeof(q->len[0]));
	q->n--;
}

/* what one end sent goes into the other end's queue */
static void
sent(struct queue *q)
{
	unsigned i;

	for (i = 0; i < run.out.n; i++)
		push(q, run.out.dg[i].data, run.out.dg[i].len);
}

static void
check_keys(void)
{
	struct dtls_srtp_keys ka, kb;

	if (dtls_conn_state(run.a) == DTLS_ST_CONNECTED)
		FUZZ_CHECK(dtls_conn_keys(run.a, &ka) == 0);
	if (dtls_conn_state(run.a) != DTLS_ST_CONNECTED ||
		dtls_conn_state(run.b) != DTLS_ST_CONNECTED)
		return;
	FUZZ_CHECK(!run.b_wrong_fp);
	FUZZ_CHECK(dtls_conn_keys(run.b, &kb) == 0);
	FUZZ_CHECK(ka.suite == kb.suite && ka.key_len == kb.key_len);
	FUZZ_CHECK(memcmp(ka.local_key, kb.remote_key, ka.key_len) == 0);
	FUZZ_CHECK(memcmp(ka.remote_key, kb.local_key, ka.key_len) == 0);
	FUZZ_CHECK(memcmp(ka.local_salt, kb.remote_salt, ka.salt_len) == 0);
}

static void
deliver(bool to_a, int flip)
{
	struct queue *q = to_a ? &run.to_a : &run.to_b;
	int rc;

	if (q->n == 0)
		return;
	if (flip >= 0 && q->len[0] > 0)
		q->dg[0][(unsigned)flip % q->len[0]] ^= (uint8_t)(1u << ((unsigned)flip >> 13));
	rc = dtls_input(to_a ? run.a : run.b, q->dg[0], q->len[0], run.now, &run.out);
	FUZZ_CHECK(rc >= 0 || rc == -EINVAL);
	sent(to_a ? &run.to_b : &run.to_a);
	pop(q);
}

static void
start_a(bool server)
{
	int rc;

	if (run.a_started)
		return;
	run.a_started = true;
	rc = dtls_conn_start(run.a, server ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT, &run.fb, NULL,
		run.now, &run.out);
	FUZZ_CHECK(rc == 0 || rc == -EALREADY); /* closed while pending */
	sent(&run.to_b);
}

static void
fingerprint(struct dtls_conn *c, struct dtls_fingerprint *fp)
{
	const char *s = dtls_conn_fingerprint(c, DTLS_HASH_SHA256);

	FUZZ_CHECK(s != NULL && dtls_fingerprint_parse(fp, s, strlen(s)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	static const unsigned suites[4] = {0, 1u << DTLS_SRTP_AES_CM_128_HMAC_SHA1_80,
		1u << DTLS_SRTP_AEAD_AES_128_GCM,
		1u << DTLS_SRTP_AES_CM_128_HMAC_SHA1_32 | 1u << DTLS_SRTP_AEAD_AES_256_GCM};
	struct dtls_fingerprint wrong;
	uint8_t cfg = fuzz_u8(&in), op;
	const uint8_t *p;
	bool server = cfg & 1;
	size_t n;

	memset(&run, 0, sizeof(run));
	run.now = 1000;
	run.a = dtls_conn_create(NULL, suites[(cfg >> 2) & 3]);
	run.b = dtls_conn_create(NULL, 0);
	FUZZ_CHECK(run.a != NULL && run.b != NULL);
	fingerprint(run.a, &run.fa);
	fingerprint(run.b, &run.fb);
	run.b_wrong_fp = cfg & 16;
	wrong = run.fa;
	wrong.digest[0] ^= 1;
	if (cfg & 2)
		start_a(server);
	FUZZ_CHECK(dtls_conn_start(run.b, server ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER,
			   run.b_wrong_fp ? &wrong : &run.fa, NULL, run.now, &run.out) == 0);
	sent(&run.to_a);

	while (in.n > 0) {
		op = fuzz_u8(&in);
		switch (op % 10) {
		case 0:
		case 1:
			deliver(op % 10 == 0, -1);
			break;
		case 2:
			deliver(true, fuzz_u16(&in));
			break;
		case 3:
			if (run.to_a.n > 0)
				pop(&run.to_a);
			break;
		case 4:
			if (run.to_b.n > 0)
				pop(&run.to_b);
			break;
		case 5:
			if (run.to_a.n > 0)
				push(&run.to_a, run.to_a.dg[0], run.to_a.len[0]);
			break;
		case 6:
			n = fuzz_chunk(&in, 255, &p);
			push(&run.to_a, p, n);
			deliver(true, -1);
			break;
		case 7:
			run.now += fuzz_u16(&in);
			dtls_tick(run.a, run.now, &run.out);
			sent(&run.to_b);
			dtls_tick(run.b, run.now, &run.out);
			sent(&run.to_a);
			break;
		case 8:
			dtls_close(run.a, &run.out);
			sent(&run.to_b);
			break;
		default:
			start_a(server);
			break;
		}
		check_keys();
		dtls_conn_stats(run.a);
	}
	if (getenv("FUZZ_VERBOSE") != NULL) /* corpus work: how far did it get */
		printf("A %d B %d (%s)\n", dtls_conn_state(run.a), dtls_conn_state(run.b),
			dtls_conn_reason(run.a));
	dtls_conn_release(run.a);
	dtls_conn_destroy(run.a);
	dtls_conn_destroy(run.b);
	while (run.to_a.n > 0)
		pop(&run.to_a);
	while (run.to_b.n > 0)
		pop(&run.to_b);
	return 0;
}
