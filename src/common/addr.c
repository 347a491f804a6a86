/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

int
sl_ip_parse_n(const char *s, size_t len, struct sl_ip *out)
{
	char buf[SL_ADDRSTRLEN + 2];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return -EINVAL;
		s++;
		len -= 2;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int
sl_ip_parse(const char *s, struct sl_ip *out)
{
	return sl_ip_parse_n(s, strlen(s), out);
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int
sl_ep_parse(const char *s, const struct sl_ip *def_ip, uint16_t def_port, struct sl_ep *out)
{
	const char *colon;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || sl_ip_parse_n(s, (size_t)(rb - s) + 1, &out->ip) < 0)
			return -EINVAL;
		if (rb[1] == '\0') {
			if (def_port == 0)
				return -EINVAL;
			out->port = def_port;
			return 0;
		}
		if (rb[1] != ':')
			return -EINVAL;
		return parse_port(rb + 2, &out->port);
	}
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		/* bare IPv6 literal without port */
		if (sl_ip_parse(s, &out->ip) < 0 || def_port == 0)
			return -EINVAL;
		out->port = def_port;
		return 0;
	}
	if (colon != NULL) {
		if (sl_ip_parse_n(s, (size_t)(colon - s), &out->ip) < 0)
			return -EINVAL;
		return parse_port(colon + 1, &out->port);
	}
	if (strchr(s, '.') != NULL) {
		if (sl_ip_parse(s, &out->ip) < 0 || def_port == 0)
			return -EINVAL;
		out->port = def_port;
		return 0;
	}
	if (def_ip == NULL)
		return -EINVAL;
	out->ip = *def_ip;
	return parse_port(s, &out->port);
}

const char *
sl_ip_fmt(const struct sl_ip *ip, char *buf, size_t len)
{
	if (ip->family != AF_INET && ip->family != AF_INET6) {
		snprintf(buf, len, "(none)");
		return buf;
	}
	if (inet_ntop(ip->family, ip->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "(invalid)");
	return buf;
}

const char *
sl_ep_fmt(const struct sl_ep *ep, char *buf, size_t len)
{
	char ip[SL_ADDRSTRLEN];

	sl_ip_fmt(&ep->ip, ip, sizeof(ip));
	if (ep->ip.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, ep->port);
	else
		snprintf(buf, len, "%s:%u", ip, ep->port);
	return buf;
}

socklen_t
sl_ep_to_sockaddr(const struct sl_ep *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->ip.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ep->port);
		memcpy(&s6->sin6_addr, ep->ip.a, 16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep->port);
		memcpy(&s4->sin_addr, ep->ip.a, 4);
		return sizeof(*s4);
	}
}

int
sl_ep_from_sockaddr(const struct sockaddr *sa, struct sl_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		ep->ip.family = AF_INET;
		memcpy(ep->ip.a, &s4->sin_addr, 4);
		ep->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		ep->ip.family = AF_INET6;
		memcpy(ep->ip.a, &s6->sin6_addr, 16);
		ep->port = ntohs(s6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

void
sl_ip_from_v4(struct sl_ip *ip, uint32_t be_addr)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET;
	memcpy(ip->a, &be_addr, 4);
}

bool
sl_ip_same_prefix(const struct sl_ip *a, const struct sl_ip *b, unsigned prefixlen)
{
	unsigned max = a->family == AF_INET ? 32 : 128;
	unsigned full, rem;

	if (a->family != b->family)
		return false;
	if (prefixlen > max)
		prefixlen = max;
	full = prefixlen / 8;
	rem = prefixlen % 8;
	if (memcmp(a->a, b->a, full) != 0)
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((a->a[full] & mask) != (b->a[full] & mask))
			return false;
	}
	return true;
}

/* The IPv4 address inside ::ffff:a.b.c.d; @return false for anything else. */
static bool
unmap_v4(const struct sl_ip *ip, struct sl_ip *v4)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (ip->family != AF_INET6 || memcmp(ip->a, pfx, sizeof(pfx)) != 0)
		return false;
	memset(v4, 0, sizeof(*v4));
	v4->family = AF_INET;
	memcpy(v4->a, ip->a + 12, 4);
	return true;
}

int
sl_cidr_parse(const char *s, struct sl_cidr *out)
{
	const char *slash = strchr(s, '/');
	unsigned long v;
	unsigned max;
	char *end;
	bool host_bits;
	unsigned i;

	memset(out, 0, sizeof(*out));
	if (sl_ip_parse_n(s, slash != NULL ? (size_t)(slash - s) : strlen(s), &out->net) < 0)
		return -EINVAL;
	max = out->net.family == AF_INET ? 32 : 128;
	out->prefixlen = (uint8_t)max;
	if (slash == NULL)
		return 0;
	slash++;
	if (*slash < '0' || *slash > '9' || strlen(slash) > 3)
		return -EINVAL;
	v = strtoul(slash, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	out->prefixlen = (uint8_t)v;
	/* clear the host bits; a set one means the user wrote a host, not a network */
	host_bits = false;
	for (i = 0; i < 16; i++) {
		unsigned keep = out->prefixlen > i * 8 ? out->prefixlen - i * 8 : 0;
		uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);

		host_bits |= (out->net.a[i] & (uint8_t)~mask) != 0;
		out->net.a[i] &= mask;
	}
	return host_bits ? -EDOM : 0;
}

bool
sl_cidr_match(const struct sl_cidr *c, const struct sl_ip *ip)
{
	struct sl_ip v4;

	if (ip->family == c->net.family)
		return sl_ip_same_prefix(&c->net, ip, c->prefixlen);
	return unmap_v4(ip, &v4) && v4.family == c->net.family &&
	       sl_ip_same_prefix(&c->net, &v4, c->prefixlen);
}

bool
sl_ip_is_loopback(const struct sl_ip *ip)
{
	static const uint8_t v6_lo[16] = {[15] = 1};
	struct sl_ip v4;

	if (ip->family == AF_INET)
		return ip->a[0] == 127;
	if (ip->family != AF_INET6)
		return false;
	if (unmap_v4(ip, &v4))
		return v4.a[0] == 127;
	return memcmp(ip->a, v6_lo, 16) == 0;
}
