/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_SDP_H
#define SL_SDP_H

/**
 * @file
 * SDP (RFC 8866) parser and rewriter for the relay. The parser keeps every
 * line of the input (pointers into the caller's buffer) and extracts what the
 * relay needs; the writer re-emits the session with addresses, ports and
 * relay-owned attributes replaced, everything else kept in input order.
 *
 * Output layout (rtpengine 10.5 compatible, see rtpengine-compat.md 4.2/4.3):
 *  - session part: lines in input order; o= address replaced when asked;
 *    session c= replaced; session-level direction attributes dropped (they are
 *    re-emitted per media).
 *  - per media: m= (port, proto replaced), then the input's i=/c=/b=/k= lines
 *    (c= replaced), then for each payload type in m= order its a=rtpmap
 *    (added for static PTs that had none), a=fmtp and a=rtcp-fb lines, then
 *    a=rtcp-fb:* lines, then the other attributes in input order, then the
 *    direction, a=rtcp and a=rtcp-mux, then extra_mid lines, then a=ptime and
 *    a=maxptime, then extra_tail lines. Lines end in CRLF.
 *
 * Writer rules the layout leaves open:
 *  - c= and o= family: an address of family AF_INET/AF_INET6 prints as
 *    IP4/IP6 with that address. Family 0 means "no address": it prints as
 *    0.0.0.0 or :: in the family of the input line it replaces (IP4 when there
 *    is none), so a zeroed sl_ip keeps a hold or a rejection in its family.
 *    Rejected media (port 0) print the zero address of that family.
 *  - The m= "/<n>" port count is dropped (the relay allocates one port pair).
 *  - rtpmap/fmtp/rtcp-fb for payload types not in the m= line are dropped;
 *    on non-RTP media (udptl...) they are ordinary attributes.
 *  - Session-level attributes of a SDP_STRIP_* class are dropped only when
 *    every media strips that class (a passthrough media strips nothing).
 *  - A passthrough media is copied verbatim, plus what it inherited from the
 *    session part and would otherwise lose: the input's session c= (inserted
 *    after its i= lines) when it has no c= of its own, and the session-level
 *    direction (appended) when it has no direction attribute of its own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/arena.h"

#define SDP_MAX_MEDIA 16
#define SDP_MAX_PT 64
#define SDP_MAX_LINES 1024 /* per section (session part, each media) */

enum sdp_dir {
	SDP_DIR_NONE = 0, /* no direction attribute */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

/** One input line without its line ending; @c s points into the input. */
struct sdp_line {
	const char *s;
	size_t len;
};

/** An a= line split at the first ':' */
struct sdp_attr {
	struct sdp_line line; /* whole line including "a=" */
	const char *name;     /* after "a=" */
	size_t name_len;
	const char *value; /* after ':' or NULL when the attribute has no value */
	size_t value_len;
};

struct sdp_conn {
	bool present;
	struct sl_ip ip; /* a[] all-zero for 0.0.0.0 / :: (hold; test with
			    sl_ip_is_any()); family is set from IP4/IP6 */
};

struct sdp_origin {
	bool present;
	struct sdp_line username, sess_id, sess_version, nettype, addrtype, address;
};

struct sdp_media {
	struct sdp_line line;  /* the whole m= line (for verbatim copies) */
	struct sdp_line type;  /* audio, video, image, application, ... */
	uint16_t port;         /* 0 = rejected */
	uint16_t num_ports;    /* the "/2" of "m=audio 4000/2 ...", default 1 */
	struct sdp_line proto; /* RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, udptl ... */
	struct sdp_line fmt;   /* raw format list after proto */
	bool is_rtp;           /* proto contains "RTP/" : fmt are payload types */
	unsigned n_pt;
	uint8_t pt[SDP_MAX_PT]; /* payload types in m= order (is_rtp only) */

	struct sdp_conn conn;  /* media-level c= */
	enum sdp_dir dir;      /* media-level direction attribute */
	bool has_rtcp;         /* a=rtcp present */
	uint16_t rtcp_port;
	struct sl_ip rtcp_ip;  /* family 0 unless "a=rtcp:PORT IN IP4 addr" */
	bool rtcp_mux;         /* a=rtcp-mux */
	unsigned ptime;        /* a=ptime, 0 if absent */

	unsigned n_lines;      /* every line after m= in input order */
	struct sdp_line *lines;
	unsigned n_attrs;      /* the a= lines among them, parsed */
	struct sdp_attr *attrs;
};

struct sdp_session {
	unsigned n_lines; /* every session-level line (before the first m=) */
	struct sdp_line *lines;
	unsigned n_attrs;
	struct sdp_attr *attrs;
	struct sdp_origin origin;
	struct sdp_conn conn; /* session-level c= */
	enum sdp_dir dir;     /* session-level direction attribute */
	unsigned n_media;
	struct sdp_media media[SDP_MAX_MEDIA];
};

/**
 * Parse @p len bytes of SDP. Lines may end in CRLF or LF. The result points
 * into @p buf, which must outlive it; arrays are allocated from @p a.
 * @param err  set to a short static description on failure
 * @return 0; -EINVAL for malformed SDP (bad m= port, bad c=, missing v=,
 *         more than SDP_MAX_MEDIA media...); -ENOMEM.
 */
int sdp_parse(struct sl_arena *a, const char *buf, size_t len, struct sdp_session *out,
	const char **err);

/**
 * @return the address a media section uses (media c=, else session c=), or
 * NULL if neither is present (an "Incomplete SDP specification").
 */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, unsigned idx);

/** Effective direction of a media (media attribute, else session, else sendrecv). */
enum sdp_dir sdp_media_dir(const struct sdp_session *s, unsigned idx);

/** @return "sendrecv", "sendonly", "recvonly", "inactive" (NONE -> "sendrecv"). */
const char *sdp_dir_name(enum sdp_dir d);

/** Attribute classes the writer drops from the input (the relay owns them). */
#define SDP_STRIP_ICE (1u << 0)    /* ice-ufrag ice-pwd ice-options ice-lite candidate
				      remote-candidates end-of-candidates ice-mismatch */
#define SDP_STRIP_CRYPTO (1u << 1) /* crypto */
#define SDP_STRIP_DTLS (1u << 2)   /* fingerprint setup tls-id */
#define SDP_STRIP_RTCPFB (1u << 3) /* rtcp-fb (AVPF -> AVP) */
#define SDP_STRIP_BUNDLE (1u << 4) /* mid group bundle-only: the relay writes its own */

struct sdp_media_out {
	bool passthrough;      /* copy this media section verbatim */
	uint16_t port;         /* m= port; 0 = rejected (c= then 0.0.0.0/::) */
	struct sl_ip addr;     /* c= address (all-zero for hold) */
	const char *proto;     /* m= proto; NULL keeps the input's */
	enum sdp_dir dir;      /* direction attribute to emit (NONE -> sendrecv) */
	unsigned ptime;        /* nonzero: a=ptime:N replaces (or adds) the input's */
	uint16_t rtcp_port;    /* a=rtcp:PORT; 0 omits the line */
	bool rtcp_mux;         /* emit a=rtcp-mux */
	unsigned strip;        /* SDP_STRIP_* */
	bool add_conn;         /* emit a media c= even if the input had none */
	unsigned n_extra_mid;  /* full lines ("a=...") before a=ptime */
	const char *const *extra_mid;
	unsigned n_extra_tail; /* full lines after a=ptime/a=maxptime */
	const char *const *extra_tail;
	const char *mid;       /* a=mid value written before the codecs; NULL: none */
};

struct sdp_out {
	bool replace_origin;
	struct sl_ip origin_addr;  /* with replace_origin: new o= address */
	struct sl_ip session_addr; /* session c= address (if the input had one) */
	unsigned n_session_extra;  /* full lines after the session attributes (a=group) */
	const char *const *session_extra;
	struct sdp_media_out media[SDP_MAX_MEDIA]; /* one per input media */
};

/**
 * Write the rewritten SDP of @p in per @p out into @p buf.
 * @return bytes written (not NUL-terminated); -ENOSPC when @p cap is too
 *         small (nothing is written past @p cap); -EINVAL when an extra line
 *         or proto contains CR/LF or @p in is out of bounds.
 */
long sdp_write(const struct sdp_session *in, const struct sdp_out *out, char *buf, size_t cap);

#endif /* SL_SDP_H */
