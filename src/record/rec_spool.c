/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record/rec_spool.h"

void
rec_escape(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *in != '\0' && n + 4 < cap; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			ch == '.' || ch == '_' || ch == '~' || ch == '@' || ch == '-') {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
}

static int
append(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
append(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "a");
	va_list ap;
	int rc = 0;

	if (f == NULL)
		return -errno;
	va_start(ap, fmt);
	if (vfprintf(f, fmt, ap) < 0)
		rc = -EIO;
	va_end(ap);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int
rec_meta_open(struct rec_meta *m, const char *spool, const char *call_id, const char *tag)
{
	char esc[512];
	int n;

	rec_escape(call_id, esc, sizeof(esc));
	n = snprintf(m->pcap_path, sizeof(m->pcap_path), "%s/pcaps/%s-%s.pcap", spool, esc, tag);
	if (n < 0 || (size_t)n >= sizeof(m->pcap_path))
		return -ENAMETOOLONG;
	snprintf(m->tmp_path, sizeof(m->tmp_path), "%s/tmp/rtpengine-meta-%s-%s.tmp", spool, esc,
		tag);
	snprintf(m->final_path, sizeof(m->final_path), "%s/metadata/rtpengine-meta-%s-%s.txt",
		spool, esc, tag);
	unlink(m->tmp_path);
	/* the pcap's path, then two empty lines */
	return append(m->tmp_path, "%s\n\n\n", m->pcap_path);
}

int
rec_meta_sdp(const struct rec_meta *m, const char *label, const char *mode, uint64_t now_real_us,
	uint64_t pcap_index, const char *sdp, size_t sdp_len)
{
	FILE *f = fopen(m->tmp_path, "a");
	int rc = 0;

	if (f == NULL)
		return -errno;
	if (label != NULL && label[0] != '\0')
		fprintf(f, "Label: %s\n", label);
	fprintf(f, "Timestamp started ms: %llu.%03llu\nSDP mode: %s\nSDP before RTP packet: %llu\n\n",
		(unsigned long long)(now_real_us / 1000u), (unsigned long long)(now_real_us % 1000u),
		mode, (unsigned long long)pcap_index);
	if (fwrite(sdp, 1, sdp_len, f) != sdp_len)
		rc = -EIO;
	fprintf(f, "\n");
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int
rec_meta_paused(const struct rec_meta *m, uint64_t now_real_us)
{
	char when[64];
	time_t t = (time_t)(now_real_us / 1000000u);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	return append(m->tmp_path, "Recording paused at: %s (%llu ms)\n", when,
		(unsigned long long)(now_real_us / 1000u));
}

static void
fmt_time(uint64_t real_us, char *out, size_t cap)
{
	time_t t = (time_t)(real_us / 1000000u);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
}

int
rec_meta_close(const struct rec_meta *m, uint64_t start_real_us, uint64_t end_real_us,
	const char *metadata, bool discard)
{
	char start[64], end[64];
	int rc;

	if (discard) {
		unlink(m->tmp_path);
		return 0;
	}
	fmt_time(start_real_us, start, sizeof(start));
	fmt_time(end_real_us, end, sizeof(end));
	rc = append(m->tmp_path,
		"Timestamp terminated ms(first monologue): %llu.%03llu\n\ncall start time: %s\n"
		"call end time: %s\n\n\n%s%s",
		(unsigned long long)(end_real_us / 1000u), (unsigned long long)(end_real_us % 1000u),
		start, end, metadata != NULL ? metadata : "",
		metadata != NULL && metadata[0] != '\0' ? "\n" : "");
	return rc;
}

int
rec_meta_publish(const struct rec_meta *m)
{
	if (rename(m->tmp_path, m->final_path) < 0)
		return -errno;
	return 0;
}
