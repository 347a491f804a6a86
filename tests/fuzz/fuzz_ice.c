/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ICE agent (control/ice.c, ice_check.c) driven by a hostile peer: the
 * input is a script of what the peer signals and sends and of how time
 * passes. The harness signs what the peer sends with the credentials the
 * agent expects, so the script gets past MESSAGE-INTEGRITY into pairing,
 * triggered checks, role conflicts, nomination, consent and restarts.
 *
 * Input: [config: 1 byte], then operations [op: 1 byte][arguments]:
 *   0 add a remote candidate: [len: 1][a=candidate value]
 *   1 a signed Binding request from remote candidate [idx] (or, with bit 7
 *     of idx, from a new address) to local [lidx]: [idx][lidx][flags]
 *     [tiebreaker: 1] (flags: USE-CANDIDATE, CONTROLLING/CONTROLLED,
 *     PRIORITY, wrong password, wrong ufrag, unknown required attribute)
 *   2 answer check [n] the agent sent: [n][flags] (success, 487, 400;
 *     from the wrong address; unsigned)
 *   3 raw bytes as a STUN packet: [len: 1][bytes]
 *   4 time passes: [ms: 2]; the agent's timers run
 *   5 end-of-candidates   6 role switch   7 local ICE restart
 *   8 new remote credentials (ICE restart by the peer)   9 drop to one component
 * config: bit 0 two components, bit 1 controlling, bit 2 peer is ice-lite,
 * bit 3 peer trickles.
 * Properties: every packet the agent sends parses; its requests carry the
 * peer's credentials and verify with the peer's password, its success
 * responses verify with its own and carry the address they answer; packets
 * leave from our sockets only, and a selected pair starts at one of them.
 */
#include <errno.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "control/ice.h"
#include "control/stun.h"
#include "fuzz.h"

#define OUT_CAP 16
#define MAX_SENT 32
/* the peer's credentials, two generations (op 8 switches) */
static const char *const rufrag[2] = {"rUfr", "rUf2"};
static const char *const rpwd[2] = {"remotepasswordremotepw", "remotepassword2remotep"};

struct run {
	struct ice_agent *a;
	uint64_t now;
	struct sl_ep local[3];
	unsigned n_local;
	unsigned gen; /* index into rufrag[], rpwd[] */
	/* requests the agent sent, to answer */
	struct {
		uint8_t tid[STUN_TID_LEN];
		struct sl_ep local, remote;
	} sent[MAX_SENT];
	unsigned n_sent;
	struct ice_pkt pkts[OUT_CAP];
	struct ice_out out;
};

static bool
is_local(const struct run *r, const struct sl_ep *ep)
{
	unsigned i;

	for (i = 0; i < r->n_local; i++)
		if (sl_ep_eq(&r->local[i], ep))
			return true;
	return false;
}

/* check what the agent sent and remember its requests */
static void
collect(struct run *r)
{
	char user[ICE_CRED_MAX + ICE_UFRAG_LEN + 2];
	struct stun_msg m;
	unsigned i;
	int n;

	for (i = 0; i < r->out.n; i++) {
		const struct ice_pkt *p = &r->pkts[i];

		FUZZ_CHECK(is_local(r, &p->local));
		FUZZ_CHECK(stun_parse(&m, p->data, p->len) == 0);
		FUZZ_CHECK(m.method == STUN_BINDING && (m.has & STUN_HAS_FINGERPRINT));
		if (m.cls == STUN_REQUEST) {
			n = snprintf(
				user, sizeof(user), "%s:%s", rufrag[r->gen], ice_local_ufrag(r->a));
			FUZZ_CHECK(stun_username_eq(&m, user, (size_t)n));
			FUZZ_CHECK(
				stun_check_integrity(&m, rpwd[r->gen], strlen(rpwd[r->gen])) == 0);
			if (r->n_sent < MAX_SENT) {
				memcpy(r->sent[r->n_sent].tid, m.tid, STUN_TID_LEN);
				r->sent[r->n_sent].local = p->local;
				r->sent[r->n_sent].remote = p->remote;
				r->n_sent++;
			}
		} else if (m.cls == STUN_SUCCESS) {
			FUZZ_CHECK(stun_check_integrity(&m, ice_local_pwd(r->a),
					   strlen(ice_local_pwd(r->a))) == 0);
			FUZZ_CHECK(sl_ep_eq(&m.mapped, &p->remote));
		}
	}
	r->out.n = 0;
	r->out.dropped = 0;
}

static void
deliver(struct run *r, const struct sl_ep *local, const struct sl_ep *remote, const uint8_t *b,
	size_t len)
{
	char *copy = fuzz_dup(b, len, 0);

	ice_input_stun(r->a, local, remote, copy, len, r->now, &r->out);
	free(copy);
	collect(r);
}

static void
remote_ep(struct run *r, uint8_t idx, struct sl_ep *ep)
{
	unsigned n = ice_remote_count(r->a);
	const struct ice_cand *c;

	if (!(idx & 0x80) && n > 0) {
		c = ice_remote_get(r->a, idx % n);
		if (!c->mdns) {
			*ep = c->addr;
			return;
		}
	}
	sl_ip_parse(idx & 1 ? "2001:db8:9::9" : "198.51.100.9", &ep->ip);
	ep->port = (uint16_t)(40000 + (idx & 0x3f));
}

static void
op_request(struct run *r, struct fuzz_in *in)
{
	uint8_t idx = fuzz_u8(in), lidx = fuzz_u8(in), fl = fuzz_u8(in), tb = fuzz_u8(in);
	uint8_t buf[STUN_MAX_MSG_LEN], tid[STUN_TID_LEN];
	char user[ICE_CRED_MAX + ICE_UFRAG_LEN + 2];
	const char *pwd = ice_local_pwd(r->a);
	struct stun_builder b;
	struct sl_ep remote;
	int n, len;

	remote_ep(r, idx, &remote);
	memset(tid, 0, sizeof(tid));
	memcpy(tid, &r->now, sizeof(r->now));
	tid[11] = fl;
	tid[10] = idx;
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	n = snprintf(user, sizeof(user), "%s:%s", fl & 16 ? "nope" : ice_local_ufrag(r->a),
		rufrag[r->gen]);
	stun_add_attr(&b, STUN_ATTR_USERNAME, user, (size_t)n);
	if (!(fl & 4))
		stun_add_u32(&b, STUN_ATTR_PRIORITY, 0x6e0001ffu - idx);
	if (fl & 2)
		stun_add_u64(&b, fl & 64 ? STUN_ATTR_ICE_CONTROLLED : STUN_ATTR_ICE_CONTROLLING,
			(uint64_t)tb << 56);
	if (fl & 1)
		stun_add_attr(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (fl & 32)
		stun_add_attr(&b, 0x0031, "x", 1); /* comprehension-required, unknown */
	stun_add_integrity(&b, fl & 8 ? "wrong-password-wrong-pw" : pwd, fl & 8 ? 23 : strlen(pwd));
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	FUZZ_CHECK(len > 0);
	deliver(r, &r->local[lidx % r->n_local], &remote, buf, (size_t)len);
}

static void
op_response(struct run *r, struct fuzz_in *in)
{
	uint8_t n = fuzz_u8(in), fl = fuzz_u8(in);
	uint8_t buf[STUN_MAX_MSG_LEN];
	struct stun_builder b;
	struct sl_ep from;
	int len;

	if (r->n_sent == 0)
		return;
	n %= r->n_sent;
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, fl & 3 ? STUN_ERROR : STUN_SUCCESS,
		r->sent[n].tid);
	if ((fl & 3) == 0)
		stun_add_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &r->sent[n].local);
	else
		stun_add_error(&b, (fl & 3) == 1 ? 487 : 400, NULL);
	if (!(fl & 8))
		stun_add_integrity(&b, rpwd[r->gen], strlen(rpwd[r->gen]));
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	FUZZ_CHECK(len > 0);
	from = r->sent[n].remote;
	if (fl & 4)
		from.port++; /* asymmetric: the pair fails */
	deliver(r, &r->sent[n].local, &from, buf, (size_t)len);
}

static void
check_selected(struct run *r)
{
	struct sl_ep l, rem;
	unsigned c;

	for (c = 1; c <= ice_components(r->a); c++) {
		if (ice_selected(r->a, c, &l, &rem) == 0)
			FUZZ_CHECK(is_local(r, &l));
	}
	ice_state(r->a);
	ice_events(r->a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct ice_conf conf = {.tiebreaker = 0x8000000000000000ull};
	struct ice_cand c;
	struct run *r = calloc(1, sizeof(*r));
	const uint8_t *p;
	char *line;
	uint8_t cfg = fuzz_u8(&in), op;
	size_t n;
	unsigned i;

	FUZZ_CHECK(r != NULL);
	r->out.pkt = r->pkts;
	r->out.cap = OUT_CAP;
	r->now = 1000;
	r->a = ice_agent_create(cfg & 1 ? 2 : 1, cfg & 2, &conf);
	FUZZ_CHECK(r->a != NULL);
	sl_ip_parse("198.18.1.1", &r->local[0].ip);
	r->local[0].port = 30000;
	sl_ip_parse("2001:db8:2::1", &r->local[1].ip);
	r->local[1].port = 30000;
	r->n_local = 2;
	FUZZ_CHECK(ice_add_local(r->a, 1, &r->local[0], NULL, 65535, NULL) == 0);
	FUZZ_CHECK(ice_add_local(r->a, 1, &r->local[1], NULL, 65534, NULL) == 0);
	if (cfg & 1) {
		r->local[2] = r->local[0];
		r->local[2].port = 30001;
		r->n_local = 3;
		FUZZ_CHECK(ice_add_local(r->a, 2, &r->local[2], NULL, 65535, NULL) == 0);
	}
	FUZZ_CHECK(
		ice_set_remote_credentials(r->a, rufrag[0], rpwd[0],
			(cfg & 4 ? ICE_REMOTE_LITE : 0) | (cfg & 8 ? ICE_REMOTE_TRICKLE : 0)) >= 0);

	while (in.n > 0) {
		op = fuzz_u8(&in);
		switch (op % 10) {
		case 0:
			n = fuzz_chunk(&in, 255, &p);
			line = fuzz_dup(p, n, 0);
			if (ice_candidate_parse(line, n, &c) == 0)
				ice_add_remote(r->a, &c);
			free(line);
			break;
		case 1:
			op_request(r, &in);
			break;
		case 2:
			op_response(r, &in);
			break;
		case 3:
			n = fuzz_chunk(&in, 255, &p);
			deliver(r, &r->local[0], &r->local[0], p, n);
			break;
		case 4:
			r->now += fuzz_u16(&in);
			/* at most a few rounds per step, as the control loop would */
			for (i = 0; i < 8 && ice_next_tick(r->a) <= r->now; i++) {
				ice_tick(r->a, r->now, &r->out);
				collect(r);
			}
			break;
		case 5:
			ice_end_of_candidates(r->a);
			break;
		case 6:
			ice_set_role(r->a, !ice_is_controlling(r->a));
			break;
		case 7:
			ice_restart(r->a);
			break;
		case 8:
			r->gen ^= 1;
			ice_set_remote_credentials(r->a, rufrag[r->gen], rpwd[r->gen], 0);
			r->n_sent = 0;
			break;
		default:
			ice_set_components(r->a, 1);
			break;
		}
		check_selected(r);
	}
	ice_agent_free(r->a);
	free(r);
	return 0;
}
