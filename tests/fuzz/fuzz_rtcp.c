/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compound RTCP parser (monitor/rtcp.c), which the control thread runs on
 * every RTCP copy a worker hands it, then the RTCP-as-JSON HEP payload
 * (monitor/hep.c) that is exported to Homer from what was parsed.
 * Properties: a rejected compound leaves an empty report; an accepted one
 * is covered exactly by its packets and every index stays in its array;
 * the JSON is NUL-terminated text without raw control characters.
 */
#include <errno.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "monitor/hep.h"
#include "monitor/rtcp.h"
#include "fuzz.h"

static struct rtcp_report rep;
static char json[1 << 16];
static uint8_t hep[HEP_MAX_LEN];

static void
check_report(const struct rtcp_report *r, size_t len)
{
	size_t off = 0;
	unsigned i;

	FUZZ_CHECK(r->n_pkts <= RTCP_MAX_PKTS && r->n_sr <= RTCP_MAX_PKTS);
	FUZZ_CHECK(r->n_rb <= RTCP_MAX_RB && r->n_sdes <= RTCP_MAX_SDES);
	FUZZ_CHECK(r->n_bye <= RTCP_MAX_BYE && r->n_voip <= RTCP_MAX_XR);
	FUZZ_CHECK(r->n_rrt <= RTCP_MAX_XR && r->n_dlrr <= RTCP_MAX_XR);
	for (i = 0; i < r->n_pkts; i++) {
		const struct rtcp_pkt *p = &r->pkts[i];

		FUZZ_CHECK(p->off == off && p->len >= 4);
		off += p->len;
		FUZZ_CHECK(p->pt >= 192 && p->pt <= 223);
		if (p->pt == RTCP_PT_SR || p->pt == RTCP_PT_RR)
			FUZZ_CHECK(p->first + p->n <= r->n_rb);
		if (p->pt == RTCP_PT_SDES)
			FUZZ_CHECK(p->first + p->n <= r->n_sdes);
		if (p->pt == RTCP_PT_BYE)
			FUZZ_CHECK(p->first + p->n <= r->n_bye);
		if (p->pt == RTCP_PT_SR)
			FUZZ_CHECK(p->sr < r->n_sr);
	}
	FUZZ_CHECK(off == len);
	for (i = 0; i < r->n_sdes; i++)
		FUZZ_CHECK(r->sdes[i].pkt < r->n_pkts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pkt = (uint8_t *)fuzz_dup(data, size, 0);
	struct hep_msg m;
	ssize_t n, h;
	int rc;

	rc = rtcp_parse(pkt, size, &rep);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG);
	if (rc < 0) {
		FUZZ_CHECK(rep.n_pkts == 0 && rep.n_rb == 0 && rep.n_sdes == 0 && rep.n_bye == 0);
		goto out;
	}
	check_report(&rep, size);
	n = hep_rtcp_json(&rep, json, sizeof(json));
	FUZZ_CHECK(n >= 0 || n == -ENODATA);
	if (n < 0)
		goto out;
	FUZZ_CHECK(json[n] == '\0' && strlen(json) == (size_t)n);
	for (rc = 0; rc < n; rc++)
		FUZZ_CHECK((unsigned char)json[rc] >= 0x20);
	memset(&m, 0, sizeof(m));
	sl_ip_parse("198.18.0.2", &m.src.ip);
	m.src.port = 40001;
	sl_ip_parse("198.18.0.1", &m.dst.ip);
	m.dst.port = 30001;
	m.proto_type = HEP_PROTO_RTCP_JSON;
	m.capture_id = HEP_CAPTURE_ID_DEFAULT;
	m.corr = "fuzz-call";
	m.corr_len = 9;
	m.payload = json;
	m.payload_len = (size_t)n;
	h = hep_encode(&m, hep, sizeof(hep));
	FUZZ_CHECK(h > 0);
out:
	free(pkt);
	return 0;
}
