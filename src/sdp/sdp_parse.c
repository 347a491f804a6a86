/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP parser. The input comes from the network through Kamailio and is
 * treated as hostile: every read is bounded by the buffer length (the buffer
 * need not be NUL-terminated), every count is bounded by the SDP_MAX_*
 * limits, and anything the relay depends on (ports, addresses, payload types)
 * is validated strictly rather than guessed.
 *
 * Two passes over the lines: the first validates the line structure and
 * counts lines per section so that the second can take exactly-sized arrays
 * from the arena (the arena cannot grow an allocation).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "common/arena.h"
#include "sdp/sdp.h"

#define NSECT (SDP_MAX_MEDIA + 1) /* session part + media sections */

/* per-section line counts from the first pass */
struct sect_count {
	unsigned lines;
	unsigned attrs;
};

static void
set_err(const char **err, const char *msg)
{
	if (err != NULL)
		*err = msg;
}

static bool
tok_eq(const struct sdp_line *t, const char *lit)
{
	size_t n = strlen(lit);

	return t->len == n && memcmp(t->s, lit, n) == 0;
}

static bool
tok_caseeq(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len == n && strncasecmp(s, lit, n) == 0;
}

/*
 * Next line from buf[*pos..len): without its line ending and without trailing
 * blanks or CR (some stacks pad lines, some send CR CR LF).
 * @return 1 with a line, 0 at the end, -EINVAL for NUL or a bare CR inside the
 * line: RFC 8866 excludes both from SDP text, and passing a CR on would let a
 * peer inject lines into the SDP we send out.
 */
static int
next_line(const char *buf, size_t len, size_t *pos, struct sdp_line *l)
{
	const char *s, *nl;
	size_t n;

	if (*pos >= len)
		return 0;
	s = buf + *pos;
	nl = memchr(s, '\n', len - *pos);
	n = nl != NULL ? (size_t)(nl - s) : len - *pos;
	*pos += nl != NULL ? n + 1 : n;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (memchr(s, '\0', n) != NULL || memchr(s, '\r', n) != NULL)
		return -EINVAL;
	l->s = s;
	l->len = n;
	return 1;
}

/* Next blank-separated token of [*p, end); false when there is none. */
static bool
next_tok(const char **p, const char *end, struct sdp_line *t)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end) {
		*p = s;
		return false;
	}
	t->s = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	t->len = (size_t)(s - t->s);
	*p = s;
	return true;
}

/* Decimal digits only, value <= max; no sign, no blanks, no overflow. */
static int
parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v;

	if (parse_uint(s, len, 65535, &v) < 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "IP4"/"IP6" + literal address; the family must match the address type. */
static int
parse_addr(const struct sdp_line *type, const struct sdp_line *addr, bool allow_suffix,
	struct sl_ip *ip)
{
	size_t n = addr->len;
	const char *slash = memchr(addr->s, '/', n);
	int family;

	if (tok_eq(type, "IP4"))
		family = AF_INET;
	else if (tok_eq(type, "IP6"))
		family = AF_INET6;
	else
		return -EINVAL;
	if (slash != NULL) {
		/* multicast "/ttl[/count]" (IP4) or "/count" (IP6) */
		size_t i;

		if (!allow_suffix)
			return -EINVAL;
		n = (size_t)(slash - addr->s);
		for (i = n; i < addr->len; i++)
			if (addr->s[i] != '/' && (addr->s[i] < '0' || addr->s[i] > '9'))
				return -EINVAL;
	}
	if (sl_ip_parse_n(addr->s, n, ip) < 0 || ip->family != family)
		return -EINVAL;
	return 0;
}

/* c=IN IP4|IP6 <addr>[/ttl[/n]] */
static int
parse_conn(const struct sdp_line *l, struct sdp_conn *c)
{
	const char *p = l->s + 2, *end = l->s + l->len;
	struct sdp_line net, type, addr, extra;

	if (!next_tok(&p, end, &net) || !next_tok(&p, end, &type) || !next_tok(&p, end, &addr) ||
		next_tok(&p, end, &extra) || !tok_eq(&net, "IN"))
		return -EINVAL;
	if (parse_addr(&type, &addr, true, &c->ip) < 0)
		return -EINVAL;
	c->present = true;
	return 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static int
parse_origin(const struct sdp_line *l, struct sdp_origin *o)
{
	const char *p = l->s + 2, *end = l->s + l->len;
	struct sdp_line extra;

	if (!next_tok(&p, end, &o->username) || !next_tok(&p, end, &o->sess_id) ||
		!next_tok(&p, end, &o->sess_version) || !next_tok(&p, end, &o->nettype) ||
		!next_tok(&p, end, &o->addrtype) || !next_tok(&p, end, &o->address) ||
		next_tok(&p, end, &extra))
		return -EINVAL;
	o->present = true;
	return 0;
}

/* m=<type> <port>[/<n>] <proto> <fmt>... */
static int
parse_mline(const struct sdp_line *l, struct sdp_media *m, const char **err)
{
	const char *p = l->s + 2, *end = l->s + l->len;
	struct sdp_line port, t;
	const char *slash;
	unsigned long v;

	m->line = *l;
	if (!next_tok(&p, end, &m->type) || !next_tok(&p, end, &port) ||
		!next_tok(&p, end, &m->proto)) {
		set_err(err, "incomplete m= line");
		return -EINVAL;
	}
	m->num_ports = 1;
	slash = memchr(port.s, '/', port.len);
	if (slash != NULL) {
		size_t plen = (size_t)(slash - port.s);

		if (parse_uint(slash + 1, port.len - plen - 1, 65535, &v) < 0 || v == 0) {
			set_err(err, "invalid port count in m= line");
			return -EINVAL;
		}
		m->num_ports = (uint16_t)v;
		port.len = plen;
	}
	if (parse_port(port.s, port.len, &m->port) < 0) {
		set_err(err, "invalid port in m= line");
		return -EINVAL;
	}
	if (!next_tok(&p, end, &t)) {
		set_err(err, "m= line without formats");
		return -EINVAL;
	}
	m->fmt.s = t.s;
	m->fmt.len = (size_t)(end - t.s);
	m->is_rtp = memmem(m->proto.s, m->proto.len, "RTP/", 4) != NULL;
	if (!m->is_rtp)
		return 0;
	p = m->fmt.s;
	while (next_tok(&p, end, &t)) {
		if (parse_uint(t.s, t.len, 127, &v) < 0) {
			set_err(err, "invalid payload type in m= line");
			return -EINVAL;
		}
		if (m->n_pt == SDP_MAX_PT) {
			set_err(err, "too many payload types in m= line");
			return -EINVAL;
		}
		m->pt[m->n_pt++] = (uint8_t)v;
	}
	return 0;
}

static void
split_attr(const struct sdp_line *l, struct sdp_attr *a)
{
	const char *colon = memchr(l->s + 2, ':', l->len - 2);

	a->line = *l;
	a->name = l->s + 2;
	if (colon == NULL) {
		a->name_len = l->len - 2;
		a->value = NULL;
		a->value_len = 0;
		return;
	}
	a->name_len = (size_t)(colon - a->name);
	a->value = colon + 1;
	a->value_len = (size_t)(l->s + l->len - a->value);
}

static enum sdp_dir
attr_dir(const struct sdp_attr *a)
{
	enum sdp_dir d;

	if (a->value != NULL)
		return SDP_DIR_NONE;
	for (d = SDP_DIR_SENDRECV; d <= SDP_DIR_INACTIVE; d++)
		if (tok_caseeq(a->name, a->name_len, sdp_dir_name(d)))
			return d;
	return SDP_DIR_NONE;
}

/* a=rtcp:<port>[ IN IP4|IP6 <addr>] (RFC 3605) */
static int
parse_rtcp(const struct sdp_attr *a, struct sdp_media *m)
{
	const char *p, *end;
	struct sdp_line port, net, type, addr, extra;

	if (a->value == NULL)
		return -EINVAL;
	p = a->value;
	end = a->value + a->value_len;
	if (!next_tok(&p, end, &port) || parse_port(port.s, port.len, &m->rtcp_port) < 0)
		return -EINVAL;
	memset(&m->rtcp_ip, 0, sizeof(m->rtcp_ip));
	if (next_tok(&p, end, &net)) {
		if (!tok_eq(&net, "IN") || !next_tok(&p, end, &type) || !next_tok(&p, end, &addr) ||
			next_tok(&p, end, &extra) ||
			parse_addr(&type, &addr, false, &m->rtcp_ip) < 0)
			return -EINVAL;
	}
	m->has_rtcp = true;
	return 0;
}

/*
 * a=ptime is advisory: a value we cannot read ("20.5", garbage) is ignored
 * instead of failing the call, the relay only echoes it.
 */
static unsigned
parse_ptime(const struct sdp_attr *a)
{
	unsigned long v;

	if (a->value == NULL || parse_uint(a->value, a->value_len, 100000, &v) < 0)
		return 0;
	return (unsigned)v;
}

static int
media_attr(const struct sdp_attr *a, struct sdp_media *m, const char **err)
{
	enum sdp_dir d = attr_dir(a);

	if (d != SDP_DIR_NONE) {
		m->dir = d;
	} else if (tok_caseeq(a->name, a->name_len, "rtcp")) {
		if (parse_rtcp(a, m) < 0) {
			set_err(err, "invalid a=rtcp line");
			return -EINVAL;
		}
	} else if (tok_caseeq(a->name, a->name_len, "rtcp-mux")) {
		m->rtcp_mux = true;
	} else if (tok_caseeq(a->name, a->name_len, "ptime")) {
		m->ptime = parse_ptime(a);
	}
	return 0;
}

/* First pass: line syntax, v=0 first, section and line counts. */
static int
count_lines(const char *buf, size_t len, struct sect_count *cnt, const char **err)
{
	struct sdp_line l;
	size_t pos = 0;
	unsigned sect = 0;
	bool first = true;
	int rc;

	while ((rc = next_line(buf, len, &pos, &l)) > 0) {
		if (first) {
			if (l.len != 3 || memcmp(l.s, "v=0", 3) != 0) {
				set_err(err, "SDP does not start with v=0");
				return -EINVAL;
			}
			first = false;
		}
		if (l.len == 0)
			continue; /* tolerated: blank lines, e.g. a trailing CRLF CRLF */
		if (l.len < 2 || l.s[0] < 'a' || l.s[0] > 'z' || l.s[1] != '=') {
			set_err(err, "SDP line is not <letter>=<value>");
			return -EINVAL;
		}
		if (l.s[0] == 'm') {
			if (sect == SDP_MAX_MEDIA) {
				set_err(err, "too many media sections");
				return -EINVAL;
			}
			sect++;
			continue; /* the m= line is kept in media->line, not in lines[] */
		}
		if (cnt[sect].lines == SDP_MAX_LINES) {
			set_err(err, "too many lines in an SDP section");
			return -EINVAL;
		}
		cnt[sect].lines++;
		if (l.s[0] == 'a')
			cnt[sect].attrs++;
	}
	if (rc < 0) {
		set_err(err, "invalid character in SDP line");
		return rc;
	}
	if (first) {
		set_err(err, "SDP does not start with v=0");
		return -EINVAL;
	}
	return 0;
}

static int
alloc_section(struct sl_arena *a, const struct sect_count *c, struct sdp_line **lines,
	struct sdp_attr **attrs, const char **err)
{
	/* counts are bounded by SDP_MAX_LINES, so the products cannot overflow */
	if (c->lines > 0) {
		*lines = sl_arena_alloc(a, c->lines * sizeof(**lines));
		if (*lines == NULL)
			goto nomem;
	}
	if (c->attrs > 0) {
		*attrs = sl_arena_alloc(a, c->attrs * sizeof(**attrs));
		if (*attrs == NULL)
			goto nomem;
	}
	return 0;
nomem:
	set_err(err, "out of memory");
	return -ENOMEM;
}

static int
session_line(const struct sdp_line *l, struct sdp_session *s, const char **err)
{
	struct sdp_attr *a;
	enum sdp_dir d;

	s->lines[s->n_lines++] = *l;
	switch (l->s[0]) {
	case 'o':
		if (s->origin.present) {
			set_err(err, "duplicate o= line");
			return -EINVAL;
		}
		if (parse_origin(l, &s->origin) < 0) {
			set_err(err, "invalid o= line");
			return -EINVAL;
		}
		break;
	case 'c':
		if (s->conn.present) {
			set_err(err, "duplicate c= line");
			return -EINVAL;
		}
		if (parse_conn(l, &s->conn) < 0) {
			set_err(err, "invalid c= line");
			return -EINVAL;
		}
		break;
	case 'a':
		a = &s->attrs[s->n_attrs++];
		split_attr(l, a);
		d = attr_dir(a);
		if (d != SDP_DIR_NONE)
			s->dir = d;
		break;
	}
	return 0;
}

static int
media_line(const struct sdp_line *l, struct sdp_media *m, const char **err)
{
	struct sdp_attr *a;

	m->lines[m->n_lines++] = *l;
	if (l->s[0] == 'c') {
		/* several c= per media only exist for layered multicast */
		if (m->conn.present) {
			set_err(err, "duplicate c= line");
			return -EINVAL;
		}
		if (parse_conn(l, &m->conn) < 0) {
			set_err(err, "invalid c= line");
			return -EINVAL;
		}
	} else if (l->s[0] == 'a') {
		a = &m->attrs[m->n_attrs++];
		split_attr(l, a);
		return media_attr(a, m, err);
	}
	return 0;
}

int
sdp_parse(
	struct sl_arena *a, const char *buf, size_t len, struct sdp_session *out, const char **err)
{
	struct sect_count cnt[NSECT];
	struct sdp_media *m = NULL;
	struct sdp_line l;
	size_t pos = 0;
	unsigned i;
	int rc;

	set_err(err, NULL);
	memset(out, 0, sizeof(*out));
	memset(cnt, 0, sizeof(cnt));
	if (buf == NULL) {
		set_err(err, "SDP does not start with v=0");
		return -EINVAL;
	}
	rc = count_lines(buf, len, cnt, err);
	if (rc < 0)
		return rc;
	rc = alloc_section(a, &cnt[0], &out->lines, &out->attrs, err);
	for (i = 1; rc == 0 && i < NSECT; i++)
		rc = alloc_section(
			a, &cnt[i], &out->media[i - 1].lines, &out->media[i - 1].attrs, err);
	if (rc < 0)
		return rc;

	/* second pass: the first one validated line syntax and every bound */
	while (next_line(buf, len, &pos, &l) > 0) {
		if (l.len == 0)
			continue;
		if (l.s[0] == 'm') {
			m = &out->media[out->n_media++];
			rc = parse_mline(&l, m, err);
		} else if (m == NULL) {
			rc = session_line(&l, out, err);
		} else {
			rc = media_line(&l, m, err);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

const struct sdp_conn *
sdp_media_conn(const struct sdp_session *s, unsigned idx)
{
	if (idx >= s->n_media)
		return NULL;
	if (s->media[idx].conn.present)
		return &s->media[idx].conn;
	if (s->conn.present)
		return &s->conn;
	return NULL;
}

enum sdp_dir
sdp_media_dir(const struct sdp_session *s, unsigned idx)
{
	if (idx >= s->n_media)
		return SDP_DIR_NONE;
	if (s->media[idx].dir != SDP_DIR_NONE)
		return s->media[idx].dir;
	if (s->dir != SDP_DIR_NONE)
		return s->dir;
	return SDP_DIR_SENDRECV;
}

const char *
sdp_dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_SENDONLY:
		return "sendonly";
	case SDP_DIR_RECVONLY:
		return "recvonly";
	case SDP_DIR_INACTIVE:
		return "inactive";
	default:
		return "sendrecv";
	}
}
