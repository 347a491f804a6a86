/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ICE_PRIV_H
#define SL_ICE_PRIV_H

/*
 * Agent internals shared by ice.c (lifecycle, credentials, candidates,
 * pairing) and ice_check.c (STUN handling and timers). Not for other modules.
 * Every field is owned by the control thread; times are ms on the caller's
 * clock (whatever it passes as now_ms).
 */

#include <stdbool.h>
#include <stdint.h>

#include "control/ice.h"
#include "control/stun.h"

enum ice_pair_state {
	ICE_PAIR_FROZEN,
	ICE_PAIR_WAITING,
	ICE_PAIR_IN_PROGRESS,
	ICE_PAIR_SUCCEEDED,
	ICE_PAIR_FAILED,
};

/* what an outstanding transaction is for */
#define ICE_TXN_CHECK (1u << 0)	   /* ordinary or triggered connectivity check */
#define ICE_TXN_USE_CAND (1u << 1) /* carries USE-CANDIDATE (we nominate) */
#define ICE_TXN_CONSENT (1u << 2)  /* RFC 7675 check on the selected pair */

/* one Binding request; retransmissions are rebuilt from it, byte-identical */
struct ice_txn {
	uint8_t tid[STUN_TID_LEN];
	uint8_t flags;	  /* ICE_TXN_* */
	uint8_t ntx;	  /* transmissions so far */
	bool active;	  /* retransmitting or waiting for the final timeout */
	bool controlling; /* role sent in the request (487 handling) */
	uint32_t rto_ms;  /* current retransmit interval */
	uint64_t next_ms; /* next retransmit or, after the last one, the timeout */
};

struct ice_pair {
	uint8_t local;	   /* index into ice_agent.local */
	uint8_t state;	   /* enum ice_pair_state */
	uint8_t component; /* 1-based */
	bool nominated;
	bool remote_nom;    /* controlled: USE-CANDIDATE arrived before our check succeeded */
	uint16_t remote;    /* index into ice_agent.remote */
	uint32_t trig_seq;  /* != 0: in the triggered-check FIFO, lower runs first */
	uint64_t prio;	    /* RFC 8445 6.1.2.3, depends on our role */
	struct ice_txn cur; /* the transaction in flight */
	struct ice_txn old; /* a cancelled one: a late success still counts */
};

struct ice_comp {
	bool selected; /* sel_local/sel_remote valid: media may flow */
	bool consent_lost;
	bool has_valid;		/* a pair succeeded in this generation */
	int16_t sel_pair;	/* index into pairs; -1 once a restart dropped them */
	int16_t nominating;	/* controlling: pair whose USE-CANDIDATE check is out */
	struct sl_ep sel_local; /* relay socket (candidate base) */
	struct sl_ep sel_remote;
	uint64_t first_valid_ms;  /* when has_valid became true */
	uint64_t consent_ok_ms;	  /* last response on the selected path */
	uint64_t consent_next_ms; /* next consent check */
};

struct ice_agent {
	struct ice_conf conf; /* defaults filled in */
	unsigned int n_comp;
	bool controlling;
	bool remote_lite;
	bool remote_trickle;
	bool eoc;	  /* remote end-of-candidates */
	bool have_remote; /* remote ufrag/pwd known: checks may be sent */
	bool started;	  /* first tick with remote credentials happened */
	bool failed;	  /* ICE_EV_FAILED raised for this generation */
	bool dirty;	  /* signalling changed: re-evaluate at the next tick */
	uint32_t events;  /* ICE_EV_* not yet collected */
	uint64_t tiebreaker;
	uint64_t start_ms;
	uint64_t next_ta_ms;	/* pacing: no new check before this */
	uint32_t trig_counter;	/* source of trig_seq */
	uint32_t prflx_counter; /* names learned peer-reflexive candidates */
	char ufrag[ICE_UFRAG_LEN + 1];
	char pwd[ICE_PWD_LEN + 1];
	char rufrag[ICE_CRED_MAX + 1];
	char rpwd[ICE_CRED_MAX + 1];
	struct ice_cand local[ICE_MAX_LOCAL];
	struct sl_ep base[ICE_MAX_LOCAL]; /* relay socket of each local candidate */
	unsigned int n_local;
	struct ice_cand *remote; /* conf.max_remote entries */
	unsigned int n_remote;
	struct ice_pair *pairs; /* conf.max_pairs entries */
	unsigned int n_pairs;
	struct ice_comp comp[ICE_MAX_COMPONENTS];
};

/* ice.c */
int ice_pair_add(struct ice_agent *a, unsigned int li, unsigned int ri);
void ice_pair_prio(struct ice_agent *a, struct ice_pair *p);
int ice_remote_find(const struct ice_agent *a, unsigned int component, const struct sl_ep *ep);
int ice_remote_add_prflx(
	struct ice_agent *a, unsigned int component, const struct sl_ep *ep, uint32_t priority);
bool ice_same_foundation(
	const struct ice_agent *a, const struct ice_pair *p, const struct ice_pair *q);
void ice_reset_generation(struct ice_agent *a);

/* ice_check.c */
void ice_switch_role(struct ice_agent *a, bool controlling);

#endif /* SL_ICE_PRIV_H */
