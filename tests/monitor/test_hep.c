/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEPv3 encoder and rtpengine's RTCP-as-JSON payload: our output decoded
 * chunk by chunk with an independent decoder, exact JSON strings, buffer
 * limits, and (when tshark is installed) a cross-check through tshark: the
 * HEP packet goes into a pcap as a UDP datagram to port 9060, and tshark
 * dissects it with a HEP3 Lua dissector written from the HEP3 spec
 * (Wireshark 4.0 has no built-in HEP dissector) and parses the payload
 * with its own JSON dissector.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/addr.h"
#include "monitor/hep.h"
#include "monitor/rtcp.h"

/* SR + SDES captured in the wild (also used by test_rtcp) */
static const uint8_t wild_sr_sdes[] = {
	0x81, 0xc8, 0x00, 0x0c, 0x63, 0x9e, 0xda, 0x7b, 0xe8, 0x40, 0x07, 0x5b,
	0x1c, 0xc5, 0x64, 0x80, 0x00, 0x0e, 0x7e, 0xd0, 0x00, 0x00, 0x03, 0xde,
	0x00, 0x01, 0xb0, 0x52, 0x07, 0x5b, 0xcd, 0x15, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x1c, 0x28, 0x00, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x81, 0xca, 0x00, 0x0b, 0x63, 0x9e, 0xda, 0x7b, 0x01, 0x24, 0x34, 0x65,
	0x34, 0x35, 0x33, 0x39, 0x33, 0x33, 0x2d, 0x65, 0x38, 0x33, 0x62, 0x2d,
	0x34, 0x65, 0x35, 0x64, 0x2d, 0x62, 0x36, 0x61, 0x34, 0x2d, 0x34, 0x65,
	0x33, 0x36, 0x32, 0x36, 0x31, 0x64, 0x35, 0x32, 0x39, 0x35, 0x00, 0x00,
};
static const char wild_json[] =
	"{ \"sender_information\":{\"ntp_timestamp_sec\":3896510299,"
	"\"ntp_timestamp_usec\":482698368,\"octets\":110674,\"rtp_timestamp\":949968, "
	"\"packets\":990},\"ssrc\":1671355003,\"type\":200,\"report_count\":1,"
	"\"report_blocks\":[{\"source_ssrc\":123456789,\"highest_seq_no\":7208,"
	"\"fraction_lost\":0,\"ia_jitter\":46,\"packets_lost\":0,\"lsr\":0,\"dlsr\":0}],"
	"\"sdes_report_count\":1,\"sdes_information\": [ {\"sdes_chunk_ssrc\":1671355003,"
	"\"type\":1,\"text\":\"4e453933-e83b-4e5d-b6a4-4e36261d5295\"}] }";

/* Firefox RR + SDES + BYE + PLI + RRR + APP (pion/rtcp test vector, MIT) */
static const uint8_t firefox_compound[] = {
	0x81, 0xc9, 0x00, 0x07, 0x90, 0x2f, 0x9e, 0x2e, 0xbc, 0x5e, 0x9a, 0x40,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0xe1, 0x00, 0x00, 0x01, 0x11,
	0x09, 0xf3, 0x64, 0x32, 0x00, 0x02, 0x4a, 0x79,
	0x81, 0xca, 0x00, 0x0c, 0x90, 0x2f, 0x9e, 0x2e, 0x01, 0x26, 0x7b, 0x39,
	0x63, 0x30, 0x30, 0x65, 0x62, 0x39, 0x32, 0x2d, 0x31, 0x61, 0x66, 0x62,
	0x2d, 0x39, 0x64, 0x34, 0x39, 0x2d, 0x61, 0x34, 0x37, 0x64, 0x2d, 0x39,
	0x31, 0x66, 0x36, 0x34, 0x65, 0x65, 0x65, 0x36, 0x39, 0x66, 0x35, 0x7d,
	0x00, 0x00, 0x00, 0x00,
	0x81, 0xcb, 0x00, 0x01, 0x90, 0x2f, 0x9e, 0x2e,
	0x81, 0xce, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e,
	0x85, 0xcd, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e,
	0x80, 0xcc, 0x00, 0x03, 0x4b, 0xaa, 0xe1, 0xab, 0x4e, 0x41, 0x4d, 0x45,
	0x41, 0x42, 0x43, 0x44,
};
static const char firefox_json[] =
	"{ \"ssrc\":2419039790,\"type\":201,\"report_count\":1,\"report_blocks\":["
	"{\"source_ssrc\":3160316480,\"highest_seq_no\":18145,\"fraction_lost\":0,"
	"\"ia_jitter\":273,\"packets_lost\":0,\"lsr\":166945842,\"dlsr\":150137}],"
	"\"sdes_report_count\":1,\"sdes_information\": [ {\"sdes_chunk_ssrc\":2419039790,"
	"\"type\":1,\"text\":\"{9c00eb92-1afb-9d49-a47d-91f64eee69f5}\"}] }";

#define CALL_ID "a84b4c76e66710@pc33.atlanta.example.com"
#define TS_US 1795693417123456ull

static void
parse(const uint8_t *p, size_t len, struct rtcp_report *r)
{
	assert_int_equal(rtcp_parse(p, len, r), 0);
}

static ssize_t
json_of(const uint8_t *p, size_t len, char *out, size_t cap)
{
	static struct rtcp_report r;

	parse(p, len, &r);
	return hep_rtcp_json(&r, out, cap);
}

static void
test_json_exact(void **state)
{
	char j[2048];
	ssize_t n;

	n = json_of(wild_sr_sdes, sizeof(wild_sr_sdes), j, sizeof(j));
	assert_int_equal(n, strlen(wild_json));
	assert_memory_equal(j, wild_json, (size_t)n);

	n = json_of(firefox_compound, sizeof(firefox_compound), j, sizeof(j));
	assert_int_equal(n, strlen(firefox_json));
	assert_memory_equal(j, firefox_json, (size_t)n);
}

static void
test_json_cases(void **state)
{
	/* SR with a negative cumulative loss, two blocks; SDES with escapes */
	static const uint8_t sr2[] = {
		0x82, 0xc8, 0x00, 0x12, 0x11, 0x11, 0x11, 0x11, 0xe9, 0x2a, 0x5c, 0x10, 0x80, 0x00,
		0x00, 0x00, 0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x01, 0xf4, 0x00, 0x01, 0x38, 0x80,
		0x22, 0x22, 0x22, 0x22, 0x19, 0x00, 0x00, 0x2a, 0x00, 0x01, 0x03, 0xe8, 0x00, 0x00,
		0x00, 0x50, 0x5c, 0x10, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x33, 0x33, 0x33, 0x33,
		0x00, 0xff, 0xff, 0xfd, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		/* SDES: chunk 0x44444444, NOTE with every escape class, END */
		0x81, 0xca, 0x00, 0x05, 0x44, 0x44, 0x44, 0x44, 0x07, 0x0b, '"', '\\', '\b', '\f',
		'\n', '\r', '\t', 0x01, 0x7f, 0xc3, 'A', 0x00, 0x00, 0x00,
		/* BYE: no JSON */
		0x81, 0xcb, 0x00, 0x01, 0x11, 0x11, 0x11, 0x11,
	};
	static const char sr2_json[] =
		"{ \"sender_information\":{\"ntp_timestamp_sec\":3911867408,"
		"\"ntp_timestamp_usec\":2147483648,\"octets\":80000,\"rtp_timestamp\":123456, "
		"\"packets\":500},\"ssrc\":286331153,\"type\":200,\"report_count\":2,"
		"\"report_blocks\":[{\"source_ssrc\":572662306,\"highest_seq_no\":66536,"
		"\"fraction_lost\":25,\"ia_jitter\":80,\"packets_lost\":42,\"lsr\":1544585216,"
		"\"dlsr\":65536},{\"source_ssrc\":858993459,\"highest_seq_no\":7,"
		"\"fraction_lost\":0,\"ia_jitter\":0,\"packets_lost\":16777213,\"lsr\":0,"
		"\"dlsr\":0}],\"sdes_report_count\":1,\"sdes_information\": [ "
		"{\"sdes_chunk_ssrc\":1145324612,\"type\":7,"
		"\"text\":\"\\\"\\\\\\b\\f\\n\\r\\t___A\"}] }";
	static const uint8_t rr0[] = {0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05};
	static const uint8_t sdes0[] = {0x80, 0xca, 0x00, 0x00};
	static const uint8_t bye[] = {0x81, 0xcb, 0x00, 0x01, 0x11, 0x11, 0x11, 0x11};
	static const uint8_t xr[] = {0x80, 0xcf, 0x00, 0x04, 1, 1, 1, 1, 4, 0, 0, 2, 0, 0, 0, 1,
		0, 0, 0, 2};
	char j[2048];
	ssize_t n;

	n = json_of(sr2, sizeof(sr2), j, sizeof(j));
	assert_int_equal(n, strlen(sr2_json));
	assert_memory_equal(j, sr2_json, (size_t)n);

	n = json_of(rr0, sizeof(rr0), j, sizeof(j));
	j[n] = 0;
	assert_string_equal(j,
		"{ \"ssrc\":5,\"type\":201,\"report_count\":0,\"report_blocks\":[] }");
	n = json_of(sdes0, sizeof(sdes0), j, sizeof(j));
	j[n] = 0;
	assert_string_equal(j, "{ \"sdes_report_count\":0,\"sdes_information\": [] }");
	/* nothing rtpengine would send */
	assert_int_equal(json_of(bye, sizeof(bye), j, sizeof(j)), -ENODATA);
	assert_int_equal(json_of(xr, sizeof(xr), j, sizeof(j)), -ENODATA);
	assert_int_equal(hep_rtcp_json(NULL, j, sizeof(j)), -EINVAL);
}

static void
test_json_space(void **state)
{
	size_t need = strlen(firefox_json), cap;
	char *j;

	for (cap = 0; cap <= need; cap++) {
		j = malloc(cap + 1);
		assert_non_null(j);
		assert_int_equal(json_of(firefox_compound, sizeof(firefox_compound), j, cap),
			-ENOSPC);
		free(j);
	}
	j = malloc(need + 1); /* one spare byte */
	assert_int_equal(json_of(firefox_compound, sizeof(firefox_compound), j, need + 1),
		(ssize_t)need);
	free(j);
	assert_int_equal(json_of(firefox_compound, sizeof(firefox_compound), NULL, 100), -ENOSPC);
}

/* ---- an independent HEPv3 decoder ---- */

struct hep_dec {
	uint16_t total;
	uint16_t order[32];
	unsigned int n_chunks;
	uint8_t family, ip_proto, proto_type;
	uint8_t src[16], dst[16];
	size_t alen;
	uint16_t sport, dport;
	uint32_t sec, usec, capture_id;
	const uint8_t *corr, *payload;
	size_t corr_len, payload_len;
	unsigned int seen_mask;
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
hep_decode(const uint8_t *p, size_t len, struct hep_dec *d)
{
	size_t off = 6, cl, dl;
	uint16_t type;
	const uint8_t *v;

	memset(d, 0, sizeof(*d));
	assert_true(len >= 6);
	assert_memory_equal(p, "HEP3", 4);
	d->total = rd16(p + 4);
	assert_int_equal(d->total, len);
	while (off < len) {
		assert_true(off + 6 <= len);
		assert_int_equal(rd16(p + off), 0); /* generic vendor */
		type = rd16(p + off + 2);
		cl = rd16(p + off + 4);
		assert_true(cl >= 6);             /* the length includes the chunk header */
		assert_true(off + cl <= len);
		v = p + off + 6;
		dl = cl - 6;
		assert_true(d->n_chunks < 32);
		d->order[d->n_chunks++] = type;
		assert_false(d->seen_mask & (1u << type)); /* no chunk twice */
		d->seen_mask |= 1u << type;
		switch (type) {
		case HEP_IP_FAMILY:
			assert_int_equal(dl, 1);
			d->family = v[0];
			break;
		case HEP_IP_PROTO:
			assert_int_equal(dl, 1);
			d->ip_proto = v[0];
			break;
		case HEP_IP4_SRC:
		case HEP_IP4_DST:
		case HEP_IP6_SRC:
		case HEP_IP6_DST:
			assert_int_equal(dl, type <= HEP_IP4_DST ? 4 : 16);
			memcpy(type % 2 ? d->src : d->dst, v, dl);
			d->alen = dl;
			break;
		case HEP_SRC_PORT:
		case HEP_DST_PORT:
			assert_int_equal(dl, 2);
			*(type == HEP_SRC_PORT ? &d->sport : &d->dport) = rd16(v);
			break;
		case HEP_TS_SEC:
		case HEP_TS_USEC:
		case HEP_CAPTURE_ID:
			assert_int_equal(dl, 4); /* capture id is 32-bit in HEPv3 */
			*(type == HEP_TS_SEC ? &d->sec : type == HEP_TS_USEC ? &d->usec :
				&d->capture_id) = rd32(v);
			break;
		case HEP_PROTO_TYPE:
			assert_int_equal(dl, 1);
			d->proto_type = v[0];
			break;
		case HEP_CORRELATION:
			d->corr = v;
			d->corr_len = dl;
			break;
		case HEP_PAYLOAD:
			d->payload = v;
			d->payload_len = dl;
			break;
		default:
			fail_msg("unexpected chunk type %u", type);
		}
		off += cl;
	}
	assert_int_equal(off, len);
}

static struct hep_msg
msg_v4(const char *json, size_t jlen)
{
	struct hep_msg m = {
		.ts_us = TS_US,
		.proto_type = HEP_PROTO_RTCP_JSON,
		.capture_id = HEP_CAPTURE_ID_DEFAULT,
		.corr = CALL_ID,
		.corr_len = strlen(CALL_ID),
		.payload = json,
		.payload_len = jlen,
	};

	assert_int_equal(sl_ep_parse("198.51.100.7:30002", NULL, 0, &m.src), 0);
	assert_int_equal(sl_ep_parse("203.0.113.1:40001", NULL, 0, &m.dst), 0);
	return m;
}

static void
test_hep_v4(void **state)
{
	static const uint16_t rtpengine_order[] = {1, 2, 7, 8, 9, 10, 11, 12, 3, 4, 17, 15};
	struct hep_msg m = msg_v4(firefox_json, strlen(firefox_json));
	uint8_t buf[1024];
	struct hep_dec d;
	ssize_t n;
	unsigned int i;

	n = hep_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(n, 6 + 3 * 7 + 2 * 8 + 3 * 10 + 2 * 10 + 6 + strlen(CALL_ID) + 6 +
				    strlen(firefox_json));
	/* the fixed start byte for byte: HEP3, length, family chunk, proto chunk */
	assert_memory_equal(buf, "HEP3", 4);
	assert_int_equal(rd16(buf + 4), n);
	assert_memory_equal(buf + 6, "\x00\x00\x00\x01\x00\x07\x02", 7);
	assert_memory_equal(buf + 13, "\x00\x00\x00\x02\x00\x07\x11", 7);

	hep_decode(buf, (size_t)n, &d);
	assert_int_equal(d.n_chunks, 12);
	for (i = 0; i < 12; i++)
		assert_int_equal(d.order[i], rtpengine_order[i]);
	assert_int_equal(d.family, AF_INET);
	assert_int_equal(d.ip_proto, 17);
	assert_int_equal(d.alen, 4);
	assert_memory_equal(d.src, "\xc6\x33\x64\x07", 4);
	assert_memory_equal(d.dst, "\xcb\x00\x71\x01", 4);
	assert_int_equal(d.sport, 30002);
	assert_int_equal(d.dport, 40001);
	assert_int_equal(d.sec, 1795693417);
	assert_int_equal(d.usec, 123456);
	assert_int_equal(d.proto_type, 5);
	assert_int_equal(d.capture_id, 2001);
	assert_int_equal(d.corr_len, strlen(CALL_ID));
	assert_memory_equal(d.corr, CALL_ID, d.corr_len);
	assert_int_equal(d.payload_len, strlen(firefox_json));
	assert_memory_equal(d.payload, firefox_json, d.payload_len);

	/* a capture id that does not fit 16 bits survives */
	m.capture_id = 0x12345678;
	n = hep_encode(&m, buf, sizeof(buf));
	hep_decode(buf, (size_t)n, &d);
	assert_int_equal(d.capture_id, 0x12345678);

	/* ng tracing: proto 0x3d, no correlation chunk when there is no id */
	m.proto_type = HEP_PROTO_NG;
	m.corr = NULL;
	m.corr_len = 0;
	m.payload = "5323_1 d7:command4:pinge";
	m.payload_len = strlen(m.payload);
	n = hep_encode(&m, buf, sizeof(buf));
	hep_decode(buf, (size_t)n, &d);
	assert_int_equal(d.n_chunks, 11);
	assert_int_equal(d.proto_type, 0x3d);
	assert_null(d.corr);
	assert_memory_equal(d.payload, "5323_1 d7:command4:pinge", d.payload_len);
}

static void
test_hep_v6_and_errors(void **state)
{
	struct hep_msg m = msg_v4("{}", 2);
	uint8_t buf[256], *big;
	struct hep_dec d;
	ssize_t n, need;
	size_t cap;

	assert_int_equal(sl_ep_parse("[2001:db8::7]:30002", NULL, 0, &m.src), 0);
	/* mixed families are refused */
	assert_int_equal(hep_encode(&m, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sl_ep_parse("[2001:db8:4321::1]:40001", NULL, 0, &m.dst), 0);
	n = hep_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	hep_decode(buf, (size_t)n, &d);
	assert_int_equal(d.family, AF_INET6);
	assert_int_equal(d.alen, 16);
	assert_true(d.seen_mask & (1u << HEP_IP6_SRC));
	assert_false(d.seen_mask & (1u << HEP_IP4_SRC));
	assert_memory_equal(d.src, m.src.ip.a, 16);
	assert_memory_equal(d.dst, m.dst.ip.a, 16);

	/* every buffer one byte too small or less */
	need = n;
	for (cap = 0; cap < (size_t)need; cap++) {
		big = malloc(cap + 1);
		assert_int_equal(hep_encode(&m, big, cap), -ENOSPC);
		free(big);
	}
	assert_int_equal(hep_encode(&m, NULL, 0), -ENOSPC);
	/* 65535 bytes in total at most */
	{
		char *pl = calloc(1, 70000);

		big = malloc(70000);
		m.payload = pl;
		m.payload_len = 65535 - (size_t)need + 2;
		assert_int_equal(hep_encode(&m, big, 70000), 65535);
		m.payload_len++;
		assert_int_equal(hep_encode(&m, big, 70000), -EMSGSIZE);
		free(big);
		free(pl);
	}
	/* no family, payload pointer missing */
	m = msg_v4("{}", 2);
	m.src.ip.family = m.dst.ip.family = 0;
	assert_int_equal(hep_encode(&m, buf, sizeof(buf)), -EINVAL);
	m = msg_v4(NULL, 5);
	assert_int_equal(hep_encode(&m, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(hep_encode(NULL, buf, sizeof(buf)), -EINVAL);
}

/* ---- tshark cross-check ---- */

static const char hep_lua[] =
	"-- HEP3 dissector written from the HEP3 specification, for sluice's tests\n"
	"local p = Proto('hep', 'HEP3')\n"
	"local F = {\n"
	"  version = ProtoField.string('hep.version', 'ID'),\n"
	"  length = ProtoField.uint16('hep.length', 'Total length'),\n"
	"  consumed = ProtoField.uint16('hep.consumed', 'Bytes walked'),\n"
	"  chunks = ProtoField.uint16('hep.chunks', 'Chunk count'),\n"
	"  bad = ProtoField.string('hep.bad', 'Malformed chunk'),\n"
	"  family = ProtoField.uint8('hep.ip_family', 'IP family'),\n"
	"  ipproto = ProtoField.uint8('hep.ip_proto', 'IP protocol'),\n"
	"  src4 = ProtoField.ipv4('hep.src_ip4', 'Source IPv4'),\n"
	"  dst4 = ProtoField.ipv4('hep.dst_ip4', 'Destination IPv4'),\n"
	"  src6 = ProtoField.ipv6('hep.src_ip6', 'Source IPv6'),\n"
	"  dst6 = ProtoField.ipv6('hep.dst_ip6', 'Destination IPv6'),\n"
	"  sport = ProtoField.uint16('hep.src_port', 'Source port'),\n"
	"  dport = ProtoField.uint16('hep.dst_port', 'Destination port'),\n"
	"  sec = ProtoField.uint32('hep.ts_sec', 'Seconds'),\n"
	"  usec = ProtoField.uint32('hep.ts_usec', 'Microseconds'),\n"
	"  ptype = ProtoField.uint8('hep.proto_type', 'Protocol type'),\n"
	"  capid = ProtoField.uint32('hep.capture_id', 'Capture ID'),\n"
	"  corr = ProtoField.string('hep.correlation_id', 'Correlation ID'),\n"
	"  plen = ProtoField.uint32('hep.payload_len', 'Payload length'),\n"
	"}\n"
	"p.fields = { F.version, F.length, F.consumed, F.chunks, F.bad, F.family, F.ipproto,\n"
	"  F.src4, F.dst4, F.src6, F.dst6, F.sport, F.dport, F.sec, F.usec, F.ptype, F.capid,\n"
	"  F.corr, F.plen }\n"
	"local json = Dissector.get('json')\n"
	"local byid = { [1] = F.family, [2] = F.ipproto, [3] = F.src4, [4] = F.dst4,\n"
	"  [5] = F.src6, [6] = F.dst6, [7] = F.sport, [8] = F.dport, [9] = F.sec,\n"
	"  [10] = F.usec, [11] = F.ptype, [12] = F.capid, [17] = F.corr }\n"
	"function p.dissector(tvb, pinfo, tree)\n"
	"  if tvb:len() < 6 or tvb(0, 4):string() ~= 'HEP3' then return 0 end\n"
	"  pinfo.cols.protocol = 'HEP3'\n"
	"  local t = tree:add(p, tvb())\n"
	"  t:add(F.version, tvb(0, 4))\n"
	"  t:add(F.length, tvb(4, 2))\n"
	"  local total = tvb(4, 2):uint()\n"
	"  local off, n = 6, 0\n"
	"  while off + 6 <= total and off + 6 <= tvb:len() do\n"
	"    local vendor = tvb(off, 2):uint()\n"
	"    local id, len = tvb(off + 2, 2):uint(), tvb(off + 4, 2):uint()\n"
	"    if vendor ~= 0 or len < 6 or off + len > total then\n"
	"      t:add(F.bad, tvb(off, 6), 'chunk at ' .. off)\n"
	"      break\n"
	"    end\n"
	"    local dlen = len - 6\n"
	"    if id == 15 then\n"
	"      t:add(F.plen, dlen)\n"
	"      if dlen > 0 then json:call(tvb(off + 6, dlen):tvb(), pinfo, tree) end\n"
	"    elseif byid[id] ~= nil then\n"
	"      t:add(byid[id], tvb(off + 6, dlen))\n"
	"    end\n"
	"    off = off + len\n"
	"    n = n + 1\n"
	"  end\n"
	"  t:add(F.consumed, off)\n"
	"  t:add(F.chunks, n)\n"
	"  return total\n"
	"end\n"
	"DissectorTable.get('udp.port'):add_for_decode_as(p)\n";

static void
le32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* pcap files are written in host order, x86 here */
}

static void
pcap_udp(FILE *f, const uint8_t *payload, size_t len, uint32_t sec)
{
	uint8_t h[14 + 20 + 8];
	uint32_t sum = 0;
	size_t i, ip_len = 20 + 8 + len;

	memset(h, 0, sizeof(h));
	memcpy(h, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	h[14] = 0x45;
	h[16] = (uint8_t)(ip_len >> 8);
	h[17] = (uint8_t)ip_len;
	h[22] = 64;
	h[23] = 17;
	memcpy(h + 26, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8); /* 192.0.2.1 -> .2 */
	for (i = 14; i < 34; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	h[24] = (uint8_t)(~sum >> 8);
	h[25] = (uint8_t)~sum;
	h[34] = 0xaf; /* source port 45000 */
	h[35] = 0xc8;
	h[36] = 0x23; /* 9060 */
	h[37] = 0x64;
	h[38] = (uint8_t)((8 + len) >> 8);
	h[39] = (uint8_t)(8 + len);
	le32(f, sec);
	le32(f, 0);
	le32(f, (uint32_t)(sizeof(h) + len));
	le32(f, (uint32_t)(sizeof(h) + len));
	fwrite(h, sizeof(h), 1, f);
	fwrite(payload, len, 1, f);
}

static void
test_tshark(void **state)
{
	char pcap[] = "/tmp/sl_hep_XXXXXX.pcap", lua[] = "/tmp/sl_hep_XXXXXX.lua", cmd[1024];
	char j[2048], line[8192];
	uint8_t hep4[2048], hep6[512];
	ssize_t jn, n4, n6;
	struct hep_msg m;
	unsigned int frames = 0;
	FILE *f, *p;
	int fd;

	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		print_message("tshark not installed: cross-check skipped\n");
		skip();
	}
	jn = json_of(wild_sr_sdes, sizeof(wild_sr_sdes), j, sizeof(j));
	assert_true(jn > 0);
	m = msg_v4(j, (size_t)jn);
	m.capture_id = 0x00abcdef; /* > 16 bits on purpose */
	n4 = hep_encode(&m, hep4, sizeof(hep4));
	assert_true(n4 > 0);
	m.payload = "{\"x\":1}";
	m.payload_len = 7;
	assert_int_equal(sl_ep_parse("[2001:db8::7]:30002", NULL, 0, &m.src), 0);
	assert_int_equal(sl_ep_parse("[2001:db8:4321::1]:40001", NULL, 0, &m.dst), 0);
	n6 = hep_encode(&m, hep6, sizeof(hep6));
	assert_true(n6 > 0);

	fd = mkstemps(pcap, 5);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	le32(f, 0xa1b2c3d4);
	le32(f, 0x00040002); /* version 2.4 */
	le32(f, 0);
	le32(f, 0);
	le32(f, 65535);
	le32(f, 1); /* Ethernet */
	pcap_udp(f, hep4, (size_t)n4, 1795693417);
	pcap_udp(f, hep6, (size_t)n6, 1795693418);
	fclose(f);
	fd = mkstemps(lua, 4);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(hep_lua, f);
	fclose(f);

	snprintf(cmd, sizeof(cmd),
		"tshark -n -r %s -X lua_script:%s -d udp.port==9060,hep -T fields "
		"-E separator='|' -E occurrence=a -E aggregator=';' "
		"-e ip.len -e udp.length -e hep.version -e hep.length -e hep.consumed "
		"-e hep.chunks -e hep.bad -e hep.ip_family -e hep.ip_proto -e hep.src_ip4 "
		"-e hep.dst_ip4 -e hep.src_ip6 -e hep.dst_ip6 -e hep.src_port -e hep.dst_port "
		"-e hep.ts_sec -e hep.ts_usec -e hep.proto_type -e hep.capture_id "
		"-e hep.correlation_id -e hep.payload_len -e json.member_with_value "
		"-e _ws.malformed -e _ws.expert 2>/dev/null",
		pcap, lua);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char want[2048];

		line[strcspn(line, "\n")] = 0;
		print_message("tshark: %s\n", line);
		if (frames == 0)
			snprintf(want, sizeof(want),
				"%zd|%zd|HEP3|%zd|%zd|12||2|17|198.51.100.7|203.0.113.1|||"
				"30002|40001|"
				"1795693417|123456|5|11259375|%s|%zd|"
				"ntp_timestamp_sec:3896510299;ntp_timestamp_usec:482698368;"
				"octets:110674;rtp_timestamp:949968;packets:990;ssrc:1671355003;"
				"type:200;report_count:1;source_ssrc:123456789;highest_seq_no:7208;"
				"fraction_lost:0;ia_jitter:46;packets_lost:0;lsr:0;dlsr:0;"
				"sdes_report_count:1;sdes_chunk_ssrc:1671355003;type:1;"
				"text:4e453933-e83b-4e5d-b6a4-4e36261d5295||",
				20 + 8 + n4, 8 + n4, n4, n4, CALL_ID, jn);
		else
			snprintf(want, sizeof(want),
				"%zd|%zd|HEP3|%zd|%zd|12||10|17|||2001:db8::7|"
				"2001:db8:4321::1|30002|"
				"40001|1795693417|123456|5|11259375|%s|7|x:1||",
				20 + 8 + n6, 8 + n6, n6, n6, CALL_ID);
		assert_string_equal(line, want);
		frames++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(frames, 2);
	unlink(pcap);
	unlink(lua);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_exact),
		cmocka_unit_test(test_json_cases),
		cmocka_unit_test(test_json_space),
		cmocka_unit_test(test_hep_v4),
		cmocka_unit_test(test_hep_v6_and_errors),
		cmocka_unit_test(test_tshark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
