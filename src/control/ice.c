/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICE agent lifecycle: credentials, candidates (SDP syntax and limits) and
 * the checklist (pairing, priorities, freezing). The STUN side and timers
 * are in ice_check.c. Everything is sized at creation so that hostile SDP
 * or a flood of peer-reflexive sources cannot grow memory or scan time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "control/ice_priv.h"
#include "crypto/crypto.h"

#define DEF_MAX_REMOTE 32
#define DEF_MAX_PAIRS 64
#define LIM_MAX_REMOTE 256 /* hard caps on what a caller may configure */
#define LIM_MAX_PAIRS 1024

/* ---- candidate attribute syntax (RFC 8839 5.1) ---- */

static bool
is_ice_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '+' || c == '/';
}

/* next space-separated token of [*p, end) */
static bool
next_tok(const char **p, const char *end, const char **tok, size_t *len)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end)
		return false;
	*tok = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return true;
}

static int
tok_u32(const char *t, size_t len, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static bool
tok_eq(const char *t, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(t, lit, len) == 0;
}

/* an mDNS name (RFC 8828 hides host addresses behind "<uuid>.local") */
static bool
is_mdns(const char *t, size_t len)
{
	size_t i;

	if (len <= 6 || len > ICE_HOSTNAME_MAX || strncasecmp(t + len - 6, ".local", 6) != 0)
		return false;
	for (i = 0; i < len; i++)
		if (!is_ice_char(t[i]) && t[i] != '-' && t[i] != '.')
			return false;
	return true;
}

int
ice_candidate_parse(const char *s, size_t len, struct ice_cand *c)
{
	const char *p = s, *end = s + len, *t, *t2;
	size_t tl, tl2, i;
	uint32_t v;

	memset(c, 0, sizeof(*c));
	if (len >= 12 && strncasecmp(p, "a=candidate:", 12) == 0)
		p += 12;
	else if (len >= 10 && strncasecmp(p, "candidate:", 10) == 0)
		p += 10;
	while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
		end--;

	if (!next_tok(&p, end, &t, &tl) || tl > ICE_FOUNDATION_MAX)
		return -EINVAL;
	for (i = 0; i < tl; i++)
		if (!is_ice_char(t[i]))
			return -EINVAL;
	memcpy(c->foundation, t, tl);
	if (!next_tok(&p, end, &t, &tl) || tok_u32(t, tl, 256, &v) < 0 || v == 0)
		return -EINVAL;
	c->component = (uint16_t)v;
	if (!next_tok(&p, end, &t, &tl))
		return -EINVAL;
	if (!tok_eq(t, tl, "udp"))
		return -EPROTONOSUPPORT; /* TCP candidates (RFC 6544) are not served */
	if (!next_tok(&p, end, &t, &tl) || tok_u32(t, tl, UINT32_MAX, &c->priority) < 0 ||
		c->priority == 0)
		return -EINVAL;
	if (!next_tok(&p, end, &t, &tl) || !next_tok(&p, end, &t2, &tl2))
		return -EINVAL;
	if (sl_ip_parse_n(t, tl, &c->addr.ip) == 0) {
		if (t[0] == '[')
			return -EINVAL;
	} else if (is_mdns(t, tl)) {
		c->mdns = true;
		memcpy(c->hostname, t, tl);
	} else {
		return -EINVAL; /* other FQDNs: we resolve nothing on this thread */
	}
	if (tok_u32(t2, tl2, 65535, &v) < 0)
		return -EINVAL;
	c->addr.port = (uint16_t)v;
	if (!next_tok(&p, end, &t, &tl) || !tok_eq(t, tl, "typ") || !next_tok(&p, end, &t, &tl))
		return -EINVAL;
	if (tok_eq(t, tl, "host"))
		c->type = ICE_CAND_HOST;
	else if (tok_eq(t, tl, "srflx"))
		c->type = ICE_CAND_SRFLX;
	else if (tok_eq(t, tl, "prflx"))
		c->type = ICE_CAND_PRFLX;
	else if (tok_eq(t, tl, "relay"))
		c->type = ICE_CAND_RELAY;
	else
		return -EINVAL;

	/* name/value extensions: raddr, rport, generation, ufrag, network-id ... */
	while (next_tok(&p, end, &t, &tl)) {
		if (!next_tok(&p, end, &t2, &tl2))
			return -EINVAL;
		if (tok_eq(t, tl, "raddr")) {
			/* browsers may hide it ("0.0.0.0" or a .local name): keep IPs only */
			if (sl_ip_parse_n(t2, tl2, &c->rel.ip) < 0)
				memset(&c->rel.ip, 0, sizeof(c->rel.ip));
		} else if (tok_eq(t, tl, "rport")) {
			if (tok_u32(t2, tl2, 65535, &v) < 0)
				return -EINVAL;
			c->rel.port = (uint16_t)v;
		}
	}
	return 0;
}

static const char *const type_names[] = {"host", "srflx", "prflx", "relay"};

int
ice_candidate_format(const struct ice_cand *c, char *buf, size_t len)
{
	char addr[ICE_HOSTNAME_MAX + 1], raddr[SL_ADDRSTRLEN]; /* a name is longer than an IP */
	int n;

	if (c->type > ICE_CAND_RELAY)
		return -EINVAL;
	if (c->mdns)
		snprintf(addr, sizeof(addr), "%s", c->hostname);
	else
		sl_ip_fmt(&c->addr.ip, addr, sizeof(addr));
	if (c->type != ICE_CAND_HOST && c->rel.ip.family != 0)
		n = snprintf(buf, len, "%s %u UDP %u %s %u typ %s raddr %s rport %u", c->foundation,
			c->component, c->priority, addr, c->addr.port, type_names[c->type],
			sl_ip_fmt(&c->rel.ip, raddr, sizeof(raddr)), c->rel.port);
	else
		n = snprintf(buf, len, "%s %u UDP %u %s %u typ %s", c->foundation, c->component,
			c->priority, addr, c->addr.port, type_names[c->type]);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* ---- agent lifecycle ---- */

static void
conf_defaults(struct ice_conf *c)
{
	if (c->max_remote == 0)
		c->max_remote = DEF_MAX_REMOTE;
	if (c->max_pairs == 0)
		c->max_pairs = DEF_MAX_PAIRS;
	if (c->ta_ms == 0)
		c->ta_ms = 50;
	if (c->rto_ms == 0)
		c->rto_ms = 500;
	if (c->rto_max_ms == 0)
		c->rto_max_ms = 3000;
	if (c->max_tx == 0)
		c->max_tx = 7;
	if (c->nominate_wait_ms == 0)
		c->nominate_wait_ms = 1000;
	if (c->connect_timeout_ms == 0)
		c->connect_timeout_ms = 30000;
	if (c->consent_interval_ms == 0)
		c->consent_interval_ms = 5000;
	if (c->consent_timeout_ms == 0)
		c->consent_timeout_ms = 30000;
}

static void
new_credentials(struct ice_agent *a)
{
	sl_random_alnum(a->ufrag, ICE_UFRAG_LEN);
	sl_random_alnum(a->pwd, ICE_PWD_LEN);
}

struct ice_agent *
ice_agent_create(unsigned int components, bool controlling, const struct ice_conf *conf)
{
	struct ice_agent *a;
	unsigned int i;

	if (components < 1 || components > ICE_MAX_COMPONENTS) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		goto err;
	if (conf != NULL)
		a->conf = *conf;
	conf_defaults(&a->conf);
	if (a->conf.max_remote > LIM_MAX_REMOTE || a->conf.max_pairs > LIM_MAX_PAIRS ||
		a->conf.max_tx > 20) {
		errno = EINVAL;
		goto err_agent;
	}
	a->remote = calloc(a->conf.max_remote, sizeof(*a->remote));
	if (a->remote == NULL)
		goto err_agent;
	a->pairs = calloc(a->conf.max_pairs, sizeof(*a->pairs));
	if (a->pairs == NULL)
		goto err_remote;
	a->n_comp = components;
	a->controlling = controlling;
	a->tiebreaker = a->conf.tiebreaker;
	while (a->tiebreaker == 0)
		if (sl_random_bytes(&a->tiebreaker, sizeof(a->tiebreaker)) < 0)
			goto err_pairs;
	new_credentials(a);
	for (i = 0; i < ICE_MAX_COMPONENTS; i++) {
		a->comp[i].sel_pair = -1;
		a->comp[i].nominating = -1;
	}
	return a;

err_pairs:
	free(a->pairs);
	errno = EIO;
err_remote:
	free(a->remote);
err_agent:
	free(a);
err:
	return NULL;
}

void
ice_agent_free(struct ice_agent *a)
{
	if (a == NULL)
		return;
	free(a->pairs);
	free(a->remote);
	free(a);
}

const char *
ice_local_ufrag(const struct ice_agent *a)
{
	return a->ufrag;
}

const char *
ice_local_pwd(const struct ice_agent *a)
{
	return a->pwd;
}

unsigned int
ice_local_count(const struct ice_agent *a)
{
	return a->n_local;
}

const struct ice_cand *
ice_local_get(const struct ice_agent *a, unsigned int i)
{
	return i < a->n_local ? &a->local[i] : NULL;
}

unsigned int
ice_remote_count(const struct ice_agent *a)
{
	return a->n_remote;
}

const struct ice_cand *
ice_remote_get(const struct ice_agent *a, unsigned int i)
{
	return i < a->n_remote ? &a->remote[i] : NULL;
}

bool
ice_is_controlling(const struct ice_agent *a)
{
	return a->controlling;
}

static bool
ep_usable(const struct sl_ep *ep)
{
	return (ep->ip.family == AF_INET || ep->ip.family == AF_INET6) && ep->port != 0 &&
	       !sl_ip_is_any(&ep->ip);
}

/* pair local @p li with every usable remote candidate of its component */
static void
pair_local(struct ice_agent *a, unsigned int li)
{
	unsigned int ri;

	for (ri = 0; ri < a->n_remote; ri++)
		ice_pair_add(a, li, ri);
}

int
ice_add_local(struct ice_agent *a, unsigned int component, const struct sl_ep *base,
	const struct sl_ep *advertised, unsigned int local_pref, const char *foundation)
{
	struct ice_cand *c;
	unsigned int i;

	if (component < 1 || component > a->n_comp || !ep_usable(base) || local_pref > 65535 ||
		(foundation != NULL &&
			(foundation[0] == '\0' || strlen(foundation) > ICE_FOUNDATION_MAX)))
		return -EINVAL;
	if (advertised == NULL)
		advertised = base;
	for (i = 0; i < a->n_local; i++)
		if (sl_ep_eq(&a->base[i], base))
			return -EEXIST;
	if (a->n_local == ICE_MAX_LOCAL)
		return -ENOSPC;
	c = &a->local[a->n_local];
	memset(c, 0, sizeof(*c));
	c->component = (uint16_t)component;
	c->type = ICE_CAND_HOST;
	c->priority = ice_priority(ICE_TYPE_PREF_HOST, local_pref, component);
	c->addr = *advertised;
	if (foundation != NULL) {
		snprintf(c->foundation, sizeof(c->foundation), "%s", foundation);
	} else {
		/* same IP, same foundation (RFC 8445 5.1.1.3) */
		for (i = 0; i < a->n_local; i++)
			if (sl_ip_eq(&a->local[i].addr.ip, &advertised->ip))
				break;
		if (i < a->n_local)
			memcpy(c->foundation, a->local[i].foundation, sizeof(c->foundation));
		else
			sl_random_alnum(c->foundation, 16);
	}
	a->base[a->n_local] = *base;
	a->n_local++;
	pair_local(a, a->n_local - 1);
	return 0;
}

static int
check_cred(const char *s, size_t min)
{
	size_t i, n = strnlen(s, ICE_CRED_MAX + 1);

	if (n < min || n > ICE_CRED_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!is_ice_char(s[i]))
			return -EINVAL;
	return 0;
}

/* forget the remote side of this generation; the selected paths stay so that
 * media keeps flowing until the new generation nominates (RFC 8445 9) */
void
ice_reset_generation(struct ice_agent *a)
{
	unsigned int i;

	a->have_remote = false;
	a->rufrag[0] = '\0';
	a->rpwd[0] = '\0';
	a->eoc = false;
	a->started = false;
	a->failed = false;
	a->n_remote = 0;
	a->n_pairs = 0;
	a->trig_counter = 0;
	for (i = 0; i < ICE_MAX_COMPONENTS; i++) {
		a->comp[i].sel_pair = -1;
		a->comp[i].nominating = -1;
		a->comp[i].has_valid = false;
	}
}

void
ice_restart(struct ice_agent *a)
{
	new_credentials(a);
	ice_reset_generation(a);
}

int
ice_set_remote_credentials(
	struct ice_agent *a, const char *ufrag, const char *pwd, unsigned int flags)
{
	int restart = 0;

	if (ufrag == NULL || pwd == NULL || check_cred(ufrag, 4) < 0 || check_cred(pwd, 22) < 0)
		return -EINVAL;
	if (a->have_remote && (strcmp(ufrag, a->rufrag) != 0 || strcmp(pwd, a->rpwd) != 0)) {
		ice_restart(a);
		a->events |= ICE_EV_RESTART;
		restart = 1;
	}
	snprintf(a->rufrag, sizeof(a->rufrag), "%s", ufrag);
	snprintf(a->rpwd, sizeof(a->rpwd), "%s", pwd);
	a->have_remote = true;
	a->dirty = true;
	a->remote_lite = (flags & ICE_REMOTE_LITE) != 0;
	a->remote_trickle = (flags & ICE_REMOTE_TRICKLE) != 0;
	if (a->remote_lite && !a->controlling)
		ice_switch_role(a, true); /* a lite peer is always controlled */
	return restart;
}

void
ice_set_role(struct ice_agent *a, bool controlling)
{
	if (a->remote_lite)
		controlling = true;
	if (controlling != a->controlling)
		ice_switch_role(a, controlling);
}

void
ice_end_of_candidates(struct ice_agent *a)
{
	a->eoc = true;
	a->dirty = true; /* may decide failure */
}

int
ice_remote_find(const struct ice_agent *a, unsigned int component, const struct sl_ep *ep)
{
	unsigned int i;

	for (i = 0; i < a->n_remote; i++)
		if (a->remote[i].component == component && !a->remote[i].mdns &&
			sl_ep_eq(&a->remote[i].addr, ep))
			return (int)i;
	return -1;
}

static void
pair_remote(struct ice_agent *a, unsigned int ri)
{
	unsigned int li;

	for (li = 0; li < a->n_local; li++)
		ice_pair_add(a, li, ri);
}

int
ice_add_remote(struct ice_agent *a, const struct ice_cand *c)
{
	struct ice_cand *r;
	unsigned int i;
	int ri;

	if (c->component < 1 || c->component > a->n_comp || c->type > ICE_CAND_RELAY ||
		c->foundation[0] == '\0' ||
		memchr(c->foundation, '\0', sizeof(c->foundation)) == NULL)
		return -EINVAL;
	if (c->mdns) {
		/* kept for the record; never paired (RFC 8828: prflx learning covers it) */
		for (i = 0; i < a->n_remote; i++)
			if (a->remote[i].mdns && a->remote[i].component == c->component &&
				strcasecmp(a->remote[i].hostname, c->hostname) == 0)
				return -EEXIST;
	} else {
		ri = ice_remote_find(a, c->component, &c->addr);
		if (ri >= 0) {
			r = &a->remote[ri];
			if (r->type != ICE_CAND_PRFLX)
				return -EEXIST;
			/* signalled late: it replaces what we learned (RFC 8445 7.3.1.3) */
			*r = *c;
			for (i = 0; i < a->n_pairs; i++)
				if (a->pairs[i].remote == ri)
					ice_pair_prio(a, &a->pairs[i]);
			return 0;
		}
	}
	if (a->n_remote == a->conf.max_remote)
		return -ENOSPC;
	a->remote[a->n_remote++] = *c;
	if (!c->mdns)
		pair_remote(a, a->n_remote - 1);
	a->dirty = true;
	return 0;
}

int
ice_remote_add_prflx(
	struct ice_agent *a, unsigned int component, const struct sl_ep *ep, uint32_t priority)
{
	struct ice_cand *r;

	if (a->n_remote == a->conf.max_remote)
		return -ENOSPC;
	r = &a->remote[a->n_remote];
	memset(r, 0, sizeof(*r));
	/* any unique foundation will do (RFC 8445 7.3.1.3) */
	snprintf(r->foundation, sizeof(r->foundation), "prflx%u", a->prflx_counter++);
	r->component = (uint16_t)component;
	r->type = ICE_CAND_PRFLX;
	r->priority = priority;
	r->addr = *ep;
	a->n_remote++;
	return (int)(a->n_remote - 1);
}

/* ---- queries ---- */

int
ice_selected(const struct ice_agent *a, unsigned int component, struct sl_ep *local,
	struct sl_ep *remote)
{
	const struct ice_comp *c;

	if (component < 1 || component > a->n_comp)
		return -EINVAL;
	c = &a->comp[component - 1];
	if (!c->selected)
		return -EAGAIN;
	if (c->consent_lost)
		return -ETIMEDOUT;
	if (local != NULL)
		*local = c->sel_local;
	if (remote != NULL)
		*remote = c->sel_remote;
	return 0;
}

enum ice_state
ice_state(const struct ice_agent *a)
{
	bool all = true;
	unsigned int i;

	for (i = 0; i < a->n_comp; i++) {
		if (a->comp[i].consent_lost)
			return ICE_ST_FAILED;
		if (!a->comp[i].selected)
			all = false;
	}
	if (a->failed)
		return ICE_ST_FAILED;
	if (all)
		return ICE_ST_CONNECTED;
	return a->have_remote ? ICE_ST_CHECKING : ICE_ST_NEW;
}

uint32_t
ice_events(struct ice_agent *a)
{
	uint32_t ev = a->events;

	a->events = 0;
	return ev;
}

/* ---- checklist ---- */

void
ice_pair_prio(struct ice_agent *a, struct ice_pair *p)
{
	uint64_t l = a->local[p->local].priority, r = a->remote[p->remote].priority;
	uint64_t g = a->controlling ? l : r, d = a->controlling ? r : l;

	/* RFC 8445 6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0) */
	p->prio = ((g < d ? g : d) << 32) + 2 * (g > d ? g : d) + (g > d ? 1 : 0);
}

bool
ice_same_foundation(const struct ice_agent *a, const struct ice_pair *p, const struct ice_pair *q)
{
	return strcmp(a->local[p->local].foundation, a->local[q->local].foundation) == 0 &&
	       strcmp(a->remote[p->remote].foundation, a->remote[q->remote].foundation) == 0;
}

/* a new pair starts Waiting unless its foundation already has a check
 * queued or running (the freezing rule of RFC 8445 6.1.2.6, applied as pairs
 * trickle in, RFC 8838 11) */
static uint8_t
initial_state(const struct ice_agent *a, const struct ice_pair *p)
{
	unsigned int i;

	for (i = 0; i < a->n_pairs; i++) {
		const struct ice_pair *q = &a->pairs[i];

		if (q != p && (q->state == ICE_PAIR_WAITING || q->state == ICE_PAIR_IN_PROGRESS) &&
			ice_same_foundation(a, p, q))
			return ICE_PAIR_FROZEN;
	}
	return ICE_PAIR_WAITING;
}

/* @return the pair index, or -1 if the pair makes no sense or does not fit
 * (a full list only takes a pair better than its worst idle one) */
int
ice_pair_add(struct ice_agent *a, unsigned int li, unsigned int ri)
{
	const struct ice_cand *l = &a->local[li], *r = &a->remote[ri];
	struct ice_pair np, *p = NULL;
	unsigned int i;

	if (l->component != r->component || r->mdns || !ep_usable(&r->addr) ||
		a->base[li].ip.family != r->addr.ip.family)
		return -1;
	for (i = 0; i < a->n_pairs; i++)
		if (a->pairs[i].local == li && a->pairs[i].remote == ri)
			return (int)i;
	memset(&np, 0, sizeof(np));
	np.local = (uint8_t)li;
	np.remote = (uint16_t)ri;
	np.component = (uint8_t)l->component;
	ice_pair_prio(a, &np);
	if (a->n_pairs < a->conf.max_pairs) {
		p = &a->pairs[a->n_pairs++];
	} else {
		for (i = 0; i < a->n_pairs; i++) {
			struct ice_pair *q = &a->pairs[i];

			if ((q->state == ICE_PAIR_FROZEN || q->state == ICE_PAIR_WAITING ||
				    q->state == ICE_PAIR_FAILED) &&
				q->trig_seq == 0 && !q->cur.active && q->prio < np.prio &&
				(p == NULL || q->prio < p->prio))
				p = q;
		}
		if (p == NULL)
			return -1;
	}
	*p = np;
	p->state = initial_state(a, p);
	return (int)(p - a->pairs);
}

int
ice_set_components(struct ice_agent *a, unsigned int components)
{
	int16_t *map;
	uint8_t lmap[ICE_MAX_LOCAL];
	unsigned int i, n;

	if (components < 1 || components > a->n_comp)
		return -EINVAL;
	if (components == a->n_comp)
		return 0;
	map = malloc(sizeof(*map) * (a->n_pairs ? a->n_pairs : 1));
	if (map == NULL)
		return -ENOMEM;
	/* drop the local candidates of the components that go away */
	for (i = n = 0; i < a->n_local; i++) {
		if (a->local[i].component > components) {
			lmap[i] = UINT8_MAX;
			continue;
		}
		lmap[i] = (uint8_t)n;
		a->local[n] = a->local[i];
		a->base[n] = a->base[i];
		n++;
	}
	a->n_local = n;
	/* and their pairs; the survivors' local index and the selections follow */
	for (i = n = 0; i < a->n_pairs; i++) {
		if (a->pairs[i].component > components || lmap[a->pairs[i].local] == UINT8_MAX) {
			map[i] = -1;
			continue;
		}
		map[i] = (int16_t)n;
		a->pairs[n] = a->pairs[i];
		a->pairs[n].local = lmap[a->pairs[n].local];
		n++;
	}
	a->n_pairs = n;
	for (i = 0; i < components; i++) {
		struct ice_comp *c = &a->comp[i];

		if (c->sel_pair >= 0)
			c->sel_pair = map[c->sel_pair];
		if (c->nominating >= 0)
			c->nominating = map[c->nominating];
	}
	for (; i < a->n_comp; i++)
		memset(&a->comp[i], 0, sizeof(a->comp[i]));
	a->n_comp = components;
	a->dirty = true;
	free(map);
	return 0;
}

unsigned int
ice_components(const struct ice_agent *a)
{
	return a->n_comp;
}
