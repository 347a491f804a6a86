/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP writer: re-emits a parsed session in the layout documented in sdp.h.
 * Output goes through a bounded buffer that stops at the first byte that does
 * not fit, so a short buffer yields -ENOSPC and never a partial write past cap.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "sdp/sdp.h"

struct wbuf {
	char *p;
	size_t cap;
	size_t len;
	bool full; /* something did not fit: the result is -ENOSPC */
};

/* What an input attribute is to the writer. */
enum akind {
	AK_OTHER = 0, /* copied in input order */
	AK_RTPMAP,
	AK_FMTP,
	AK_RTCPFB,
	AK_PTIME, /* ptime and maxptime */
	AK_DIR,
	AK_RTCP,
	AK_RTCPMUX,
	AK_DROP, /* a SDP_STRIP_* class the caller asked to drop */
};

/* Attributes that belong to a SDP_STRIP_* class (see sdp.h). */
static const struct {
	const char *name;
	unsigned cls;
} strip_names[] = {
	{"ice-ufrag", SDP_STRIP_ICE},
	{"ice-pwd", SDP_STRIP_ICE},
	{"ice-options", SDP_STRIP_ICE},
	{"ice-lite", SDP_STRIP_ICE},
	{"candidate", SDP_STRIP_ICE},
	{"remote-candidates", SDP_STRIP_ICE},
	{"end-of-candidates", SDP_STRIP_ICE},
	{"ice-mismatch", SDP_STRIP_ICE},
	{"crypto", SDP_STRIP_CRYPTO},
	{"fingerprint", SDP_STRIP_DTLS},
	{"setup", SDP_STRIP_DTLS},
	{"tls-id", SDP_STRIP_DTLS},
	{"rtcp-fb", SDP_STRIP_RTCPFB},
	{"mid", SDP_STRIP_BUNDLE},
	{"group", SDP_STRIP_BUNDLE},
	{"bundle-only", SDP_STRIP_BUNDLE},
};

/* RFC 3551 tables 4 and 5: encoding names of the static payload types. */
static const char *const static_rtpmap[] = {
	[0] = "PCMU/8000",
	[3] = "GSM/8000",
	[4] = "G723/8000",
	[5] = "DVI4/8000",
	[6] = "DVI4/16000",
	[7] = "LPC/8000",
	[8] = "PCMA/8000",
	[9] = "G722/8000", /* 8000 by RFC 3551's own erratum, not 16000 */
	[10] = "L16/44100/2",
	[11] = "L16/44100",
	[12] = "QCELP/8000",
	[13] = "CN/8000",
	[14] = "MPA/90000",
	[15] = "G728/8000",
	[16] = "DVI4/11025",
	[17] = "DVI4/22050",
	[18] = "G729/8000",
	[25] = "CelB/90000",
	[26] = "JPEG/90000",
	[28] = "nv/90000",
	[31] = "H261/90000",
	[32] = "MPV/90000",
	[33] = "MP2T/90000",
	[34] = "H263/90000",
};

#define N_STATIC_RTPMAP (sizeof(static_rtpmap) / sizeof(static_rtpmap[0]))
#define PT_STAR (-1) /* rtcp-fb:* */
#define PT_NONE (-2) /* no payload type could be read */

static void
put(struct wbuf *w, const char *s, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
put_str(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
put_tok(struct wbuf *w, const struct sdp_line *t)
{
	put(w, t->s, t->len);
}

static void
put_uint(struct wbuf *w, unsigned v)
{
	char tmp[16];
	int n = snprintf(tmp, sizeof(tmp), "%u", v);

	put(w, tmp, (size_t)n);
}

static void
put_line(struct wbuf *w, const struct sdp_line *l)
{
	put(w, l->s, l->len);
	put(w, "\r\n", 2);
}

/*
 * "IP4 1.2.3.4" or "IP6 ::1" per the family rule in sdp.h: the address's own
 * family, else @p fallback (the family of the line being replaced), and the
 * zero address when the address is unset or @p zero asks for it.
 */
static void
put_addr(struct wbuf *w, const struct sl_ip *ip, int fallback, bool zero)
{
	static const uint8_t any[16];
	char tmp[SL_ADDRSTRLEN];
	int family = ip->family != 0 ? ip->family : fallback;
	const uint8_t *a = ip->family != 0 && !zero ? ip->a : any;

	if (family != AF_INET6)
		family = AF_INET;
	if (inet_ntop(family, a, tmp, sizeof(tmp)) == NULL) {
		w->full = true; /* cannot happen with a 46-byte buffer */
		return;
	}
	put_str(w, family == AF_INET6 ? "IP6 " : "IP4 ");
	put_str(w, tmp);
}

static void
put_conn(struct wbuf *w, const struct sl_ip *ip, int fallback, bool zero)
{
	put_str(w, "c=IN ");
	put_addr(w, ip, fallback, zero);
	put(w, "\r\n", 2);
}

static void
put_origin(struct wbuf *w, const struct sdp_origin *o, const struct sl_ip *ip)
{
	bool v6 = o->addrtype.len == 3 && memcmp(o->addrtype.s, "IP6", 3) == 0;

	put_str(w, "o=");
	put_tok(w, &o->username);
	put(w, " ", 1);
	put_tok(w, &o->sess_id);
	put(w, " ", 1);
	put_tok(w, &o->sess_version);
	put(w, " ", 1);
	put_tok(w, &o->nettype);
	put(w, " ", 1);
	put_addr(w, ip, v6 ? AF_INET6 : AF_INET, false);
	put(w, "\r\n", 2);
}

static bool
name_is(const struct sdp_attr *a, const char *lit)
{
	size_t n = strlen(lit);

	return a->name_len == n && strncasecmp(a->name, lit, n) == 0;
}

static unsigned
attr_class(const struct sdp_attr *a)
{
	size_t i;

	for (i = 0; i < sizeof(strip_names) / sizeof(strip_names[0]); i++)
		if (name_is(a, strip_names[i].name))
			return strip_names[i].cls;
	return 0;
}

static bool
is_dir(const struct sdp_attr *a)
{
	enum sdp_dir d;

	if (a->value != NULL)
		return false;
	for (d = SDP_DIR_SENDRECV; d <= SDP_DIR_INACTIVE; d++)
		if (name_is(a, sdp_dir_name(d)))
			return true;
	return false;
}

/* Payload type an rtpmap/fmtp/rtcp-fb value starts with ("96 ...", "* nack"). */
static int
attr_pt(const struct sdp_attr *a)
{
	size_t i, n = a->value_len;
	int pt = 0;

	if (a->value == NULL || n == 0)
		return PT_NONE;
	if (a->value[0] == '*' && (n == 1 || a->value[1] == ' '))
		return PT_STAR;
	for (i = 0; i < n && a->value[i] != ' ' && a->value[i] != '\t'; i++) {
		if (a->value[i] < '0' || a->value[i] > '9' || i >= 3)
			return PT_NONE;
		pt = pt * 10 + (a->value[i] - '0');
	}
	return i > 0 && pt <= 127 ? pt : PT_NONE;
}

static enum akind
attr_kind(const struct sdp_attr *a, bool is_rtp, unsigned strip)
{
	if (attr_class(a) & strip)
		return AK_DROP;
	if (is_rtp && name_is(a, "rtpmap"))
		return AK_RTPMAP;
	if (is_rtp && name_is(a, "fmtp"))
		return AK_FMTP;
	if (is_rtp && name_is(a, "rtcp-fb"))
		return AK_RTCPFB;
	if (name_is(a, "ptime") || name_is(a, "maxptime"))
		return AK_PTIME;
	if (name_is(a, "rtcp"))
		return AK_RTCP;
	if (name_is(a, "rtcp-mux"))
		return AK_RTCPMUX;
	if (is_dir(a))
		return AK_DIR;
	return AK_OTHER;
}

/* Extra lines are built by the caller, possibly from ng input: no CR/LF. */
static bool
safe_str(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

static bool
safe_lines(unsigned n, const char *const *l)
{
	unsigned i;

	if (n > 0 && l == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (!safe_str(l[i]))
			return false;
	return true;
}

static void
put_extra(struct wbuf *w, unsigned n, const char *const *l)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		put_str(w, l[i]);
		put(w, "\r\n", 2);
	}
}

/*
 * Session-level attributes of a strip class apply to every media; drop them
 * only when no media keeps the class, or a media that still needs them (a
 * passthrough one, or one where the caller keeps e.g. the peer's ICE) breaks.
 */
static unsigned
session_strip(const struct sdp_session *in, const struct sdp_out *out)
{
	unsigned i, strip = ~0u;

	if (in->n_media == 0)
		return 0;
	for (i = 0; i < in->n_media; i++)
		strip &= out->media[i].passthrough ? 0 : out->media[i].strip;
	return strip;
}

static void
write_session(struct wbuf *w, const struct sdp_session *in, const struct sdp_out *out)
{
	unsigned i, k = 0, strip = session_strip(in, out);
	const struct sdp_attr *a;

	for (i = 0; i < in->n_lines; i++) {
		const struct sdp_line *l = &in->lines[i];

		switch (l->s[0]) {
		case 'o':
			if (out->replace_origin && in->origin.present)
				put_origin(w, &in->origin, &out->origin_addr);
			else
				put_line(w, l);
			break;
		case 'c':
			put_conn(w, &out->session_addr, in->conn.ip.family, false);
			break;
		case 'a':
			a = &in->attrs[k++];
			if (!is_dir(a) && !(attr_class(a) & strip))
				put_line(w, l);
			break;
		default:
			put_line(w, l);
		}
	}
	for (i = 0; i < out->n_session_extra; i++) {
		put_str(w, out->session_extra[i]);
		put(w, "\r\n", 2);
	}
}

static const struct sdp_line *
session_conn_line(const struct sdp_session *in)
{
	unsigned i;

	for (i = 0; i < in->n_lines; i++)
		if (in->lines[i].s[0] == 'c')
			return &in->lines[i];
	return NULL;
}

/*
 * Verbatim, except that what the media inherited from the session part and
 * the session part no longer says (its c= is the relay's now, its direction
 * attribute is gone) is written into the media itself.
 */
static void
write_passthrough(struct wbuf *w, const struct sdp_session *in, const struct sdp_media *m)
{
	const struct sdp_line *conn = m->conn.present ? NULL : session_conn_line(in);
	unsigned i;

	put_line(w, &m->line);
	for (i = 0; i < m->n_lines; i++) {
		if (conn != NULL && m->lines[i].s[0] != 'i') {
			put_line(w, conn);
			conn = NULL;
		}
		put_line(w, &m->lines[i]);
	}
	if (conn != NULL)
		put_line(w, conn);
	if (m->dir == SDP_DIR_NONE && in->dir != SDP_DIR_NONE) {
		put_str(w, "a=");
		put_str(w, sdp_dir_name(in->dir));
		put(w, "\r\n", 2);
	}
}

/* i=, c=, b=, k= (and any unknown letter) in input order, c= replaced. */
static void
write_media_lines(struct wbuf *w, const struct sdp_session *in, const struct sdp_media *m,
	const struct sdp_media_out *mo)
{
	/* an added c= follows i= (RFC 8866 field order: i c b k a) */
	bool need_conn = mo->add_conn && !m->conn.present;
	int fallback = in->conn.present ? in->conn.ip.family : AF_INET;
	unsigned i;

	for (i = 0; i < m->n_lines; i++) {
		const struct sdp_line *l = &m->lines[i];

		if (l->s[0] == 'a')
			continue;
		if (need_conn && l->s[0] != 'i') {
			put_conn(w, &mo->addr, fallback, mo->port == 0);
			need_conn = false;
		}
		if (l->s[0] == 'c')
			put_conn(w, &mo->addr, m->conn.ip.family, mo->port == 0);
		else
			put_line(w, l);
	}
	if (need_conn)
		put_conn(w, &mo->addr, fallback, mo->port == 0);
}

/* Codec attributes grouped per payload type, in m= order. */
static void
write_codecs(struct wbuf *w, const struct sdp_media *m, const uint8_t *kind, const int16_t *pt)
{
	unsigned i, j;

	for (i = 0; i < m->n_pt; i++) {
		uint8_t p = m->pt[i];
		bool dup = false, mapped = false;

		for (j = 0; j < i; j++)
			dup |= m->pt[j] == p;
		if (dup)
			continue; /* "0 0 8": the attributes are written once */
		for (j = 0; j < m->n_attrs; j++) {
			if (kind[j] == AK_RTPMAP && pt[j] == p) {
				put_line(w, &m->attrs[j].line);
				mapped = true;
			}
		}
		if (!mapped && p < N_STATIC_RTPMAP && static_rtpmap[p] != NULL) {
			put_str(w, "a=rtpmap:");
			put_uint(w, p);
			put(w, " ", 1);
			put_str(w, static_rtpmap[p]);
			put(w, "\r\n", 2);
		}
		for (j = 0; j < m->n_attrs; j++)
			if (kind[j] == AK_FMTP && pt[j] == p)
				put_line(w, &m->attrs[j].line);
		for (j = 0; j < m->n_attrs; j++)
			if (kind[j] == AK_RTCPFB && pt[j] == p)
				put_line(w, &m->attrs[j].line);
	}
	for (j = 0; j < m->n_attrs; j++)
		if (kind[j] == AK_RTCPFB && pt[j] == PT_STAR)
			put_line(w, &m->attrs[j].line);
}

static void
write_media(struct wbuf *w, const struct sdp_session *in, const struct sdp_media *m,
	const struct sdp_media_out *mo)
{
	uint8_t kind[SDP_MAX_LINES];
	int16_t pt[SDP_MAX_LINES];
	unsigned j;

	/* classify once: write_codecs scans the attributes per payload type */
	for (j = 0; j < m->n_attrs; j++) {
		kind[j] = (uint8_t)attr_kind(&m->attrs[j], m->is_rtp, mo->strip);
		pt[j] = PT_NONE;
		if (kind[j] == AK_RTPMAP || kind[j] == AK_FMTP || kind[j] == AK_RTCPFB)
			pt[j] = (int16_t)attr_pt(&m->attrs[j]);
	}

	put_str(w, "m=");
	put_tok(w, &m->type);
	put(w, " ", 1);
	put_uint(w, mo->port);
	put(w, " ", 1);
	if (mo->proto != NULL)
		put_str(w, mo->proto);
	else
		put_tok(w, &m->proto);
	put(w, " ", 1);
	put_line(w, &m->fmt);

	write_media_lines(w, in, m, mo);
	if (mo->mid != NULL) {
		put_str(w, "a=mid:");
		put_str(w, mo->mid);
		put(w, "\r\n", 2);
	}
	if (m->is_rtp)
		write_codecs(w, m, kind, pt);
	for (j = 0; j < m->n_attrs; j++)
		if (kind[j] == AK_OTHER)
			put_line(w, &m->attrs[j].line);

	put_str(w, "a=");
	put_str(w, sdp_dir_name(mo->dir));
	put(w, "\r\n", 2);
	if (mo->rtcp_port != 0) {
		put_str(w, "a=rtcp:");
		put_uint(w, mo->rtcp_port);
		put(w, "\r\n", 2);
	}
	if (mo->rtcp_mux)
		put_str(w, "a=rtcp-mux\r\n");
	put_extra(w, mo->n_extra_mid, mo->extra_mid);

	if (mo->ptime != 0) {
		put_str(w, "a=ptime:");
		put_uint(w, mo->ptime);
		put(w, "\r\n", 2);
	}
	for (j = 0; j < m->n_attrs; j++)
		if (kind[j] == AK_PTIME && (mo->ptime == 0 || !name_is(&m->attrs[j], "ptime")))
			put_line(w, &m->attrs[j].line);
	put_extra(w, mo->n_extra_tail, mo->extra_tail);
}

static bool
out_valid(const struct sdp_session *in, const struct sdp_out *out)
{
	unsigned i;

	if (in->n_media > SDP_MAX_MEDIA || in->n_lines > SDP_MAX_LINES)
		return false;
	for (i = 0; i < in->n_media; i++) {
		const struct sdp_media_out *mo = &out->media[i];

		if (in->media[i].n_attrs > SDP_MAX_LINES || in->media[i].n_pt > SDP_MAX_PT)
			return false;
		if (mo->proto != NULL && (!safe_str(mo->proto) || mo->proto[0] == '\0'))
			return false;
		if (!safe_lines(mo->n_extra_mid, mo->extra_mid) ||
			!safe_lines(mo->n_extra_tail, mo->extra_tail))
			return false;
		if (mo->mid != NULL && !safe_str(mo->mid))
			return false;
	}
	return safe_lines(out->n_session_extra, out->session_extra);
}

long
sdp_write(const struct sdp_session *in, const struct sdp_out *out, char *buf, size_t cap)
{
	struct wbuf w = {.p = buf, .cap = cap > LONG_MAX ? LONG_MAX : cap};
	unsigned i;

	if (!out_valid(in, out))
		return -EINVAL;
	write_session(&w, in, out);
	for (i = 0; i < in->n_media; i++) {
		if (out->media[i].passthrough)
			write_passthrough(&w, in, &in->media[i]);
		else
			write_media(&w, in, &in->media[i], &out->media[i]);
	}
	return w.full ? -ENOSPC : (long)w.len;
}
