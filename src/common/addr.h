/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ADDR_H
#define SL_ADDR_H

/**
 * @file
 * IP addresses and UDP endpoints shared by every module. Addresses are kept
 * in network byte order; an IPv4 address lives in the first 4 bytes of @c a
 * (the rest zero) so that a 16-byte compare works for both families.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define SL_ADDRSTRLEN 46 /* INET6_ADDRSTRLEN */
#define SL_EPSTRLEN (SL_ADDRSTRLEN + 8)

struct sl_ip {
	uint8_t a[16];  /* network order; IPv4 in a[0..3] */
	uint8_t family; /* AF_INET, AF_INET6 or 0 (unset) */
};

struct sl_ep {
	struct sl_ip ip;
	uint16_t port; /* host order; 0 = unset */
};

/** An address prefix ADDR/PREFIXLEN; the host bits of @c net are zero. */
struct sl_cidr {
	struct sl_ip net;
	uint8_t prefixlen; /* 0..32 (IPv4) or 0..128 (IPv6) */
};

/**
 * Parse a literal IPv4 or IPv6 address (IPv6 may be bracketed).
 * @return 0, or -EINVAL.
 */
int sl_ip_parse(const char *s, struct sl_ip *out);

/** Same, for a string of @p len bytes that is not NUL-terminated. */
int sl_ip_parse_n(const char *s, size_t len, struct sl_ip *out);

/**
 * Parse "IP:PORT", "[IP6]:PORT", "PORT" (address from @p def_ip) or "IP"
 * (port from @p def_port).
 * @return 0, or -EINVAL.
 */
int sl_ep_parse(const char *s, const struct sl_ip *def_ip, uint16_t def_port, struct sl_ep *out);

/** Format an address; @return @p buf. */
const char *sl_ip_fmt(const struct sl_ip *ip, char *buf, size_t len);

/** Format "ip:port" or "[ip6]:port"; @return @p buf. */
const char *sl_ep_fmt(const struct sl_ep *ep, char *buf, size_t len);

/** Fill a sockaddr_storage; @return its length. */
socklen_t sl_ep_to_sockaddr(const struct sl_ep *ep, struct sockaddr_storage *ss);

/** The reverse; @return 0 or -EAFNOSUPPORT. */
int sl_ep_from_sockaddr(const struct sockaddr *sa, struct sl_ep *ep);

/** IPv4 address from a network-order uint32. */
void sl_ip_from_v4(struct sl_ip *ip, uint32_t be_addr);

/** @return true if @p a and @p b lie in the same /prefixlen network. */
bool sl_ip_same_prefix(const struct sl_ip *a, const struct sl_ip *b, unsigned prefixlen);

/**
 * Parse "ADDR/PREFIXLEN" or a bare "ADDR" (a host: /32 or /128); IPv6 may
 * be bracketed ("[2001:db8::]/32").
 * @return 0; -EINVAL bad address or prefix length syntax; -ERANGE prefix
 *   length above 32 (IPv4) or 128 (IPv6); -EDOM host bits set (e.g.
 *   198.18.0.1/15: @p out then holds the network, 198.18.0.0/15, so the
 *   caller can say what was meant).
 */
int sl_cidr_parse(const char *s, struct sl_cidr *out);

/**
 * @return true if @p ip lies in @p c. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, an IPv4 client of a dual-stack socket) also matches as
 * the IPv4 address it carries.
 */
bool sl_cidr_match(const struct sl_cidr *c, const struct sl_ip *ip);

/** @return true for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool sl_ip_is_loopback(const struct sl_ip *ip);

static inline bool
sl_ip_eq(const struct sl_ip *a, const struct sl_ip *b)
{
	return a->family == b->family && memcmp(a->a, b->a, 16) == 0;
}

static inline bool
sl_ep_eq(const struct sl_ep *a, const struct sl_ep *b)
{
	return a->port == b->port && sl_ip_eq(&a->ip, &b->ip);
}

/** @return true for 0.0.0.0 and :: (SDP hold), and for an unset address. */
static inline bool
sl_ip_is_any(const struct sl_ip *ip)
{
	static const uint8_t zero[16];

	return memcmp(ip->a, zero, 16) == 0;
}

static inline uint32_t
sl_ip_v4(const struct sl_ip *ip)
{
	uint32_t v;

	memcpy(&v, ip->a, 4);
	return v;
}

#endif /* SL_ADDR_H */
