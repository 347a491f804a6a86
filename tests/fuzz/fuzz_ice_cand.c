/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * a=candidate values (ice.c: ice_candidate_parse/ice_candidate_format), one
 * per input line, as call_ice.c takes them from an offer or a trickle.
 * Properties: what parses formats, and the formatted line parses back to
 * the same candidate (what we would send on describes what we received).
 */
#include <errno.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "control/ice.h"
#include "fuzz.h"

static void
one(const char *s, size_t len)
{
	struct ice_cand c, c2;
	char buf[512];
	int n, rc;

	rc = ice_candidate_parse(s, len, &c);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EPROTONOSUPPORT);
	if (rc < 0)
		return;
	FUZZ_CHECK(c.component >= 1 && c.component <= 256 && c.priority != 0);
	FUZZ_CHECK(c.type <= ICE_CAND_RELAY);
	FUZZ_CHECK(strlen(c.foundation) > 0);
	n = ice_candidate_format(&c, buf, sizeof(buf));
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(ice_candidate_format(&c, buf, (size_t)n) == -ENOSPC);
	n = ice_candidate_format(&c, buf, sizeof(buf));
	FUZZ_CHECK(ice_candidate_parse(buf, (size_t)n, &c2) == 0);
	FUZZ_CHECK(strcmp(c.foundation, c2.foundation) == 0);
	FUZZ_CHECK(c.component == c2.component && c.priority == c2.priority);
	FUZZ_CHECK(c.type == c2.type && c.mdns == c2.mdns);
	if (c.mdns)
		FUZZ_CHECK(strcmp(c.hostname, c2.hostname) == 0);
	else
		FUZZ_CHECK(sl_ep_eq(&c.addr, &c2.addr));
	if (c.type != ICE_CAND_HOST && c.rel.ip.family != 0)
		FUZZ_CHECK(sl_ep_eq(&c.rel, &c2.rel));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	char *line;
	size_t len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		line = fuzz_dup(p, len, 0);
		one(line, len);
		free(line);
		p += len + (nl != NULL);
	}
	return 0;
}
