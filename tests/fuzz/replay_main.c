/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stand-in for libFuzzer's main() in the normal (gcc) build: runs every file
 * named on the command line, or found directly inside a named directory,
 * once through LLVMFuzzerTestOneInput(). meson registers one such replay per
 * harness with its seed corpus and regression inputs, so every `meson test`
 * re-checks them. Each input is handed over in an exact-size heap buffer, as
 * libFuzzer does, so a sanitizer build catches reads past its end.
 *
 *   replay_fuzz_<target> PATH...     exit 0: all inputs ran; 1: bad usage/IO
 *
 * A missing .../regress/... directory counts as empty; at least one input
 * must have run.
 *
 * A crash or a violated property aborts the process, which fails the test.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT (1u << 20) /* as libFuzzer's default -max_len is far below */

static int
replay_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if ((size_t)st.st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: %s: larger than %u bytes\n", path, REPLAY_MAX_INPUT);
		fclose(f);
		return -1;
	}
	/* never zero bytes: malloc(0) may return NULL */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* @return inputs run, or -1 */
static int
replay_path(const char *path)
{
	struct dirent **ents;
	struct stat st;
	char sub[4096];
	int n, i, ran = 0;

	if (stat(path, &st) < 0) {
		/* regress/<target>/ only exists once that harness found a bug */
		if (errno == ENOENT && strstr(path, "/regress/") != NULL)
			return 0;
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) < 0 ? -1 : 1;
	n = scandir(path, &ents, skip_dot, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
		if (ran >= 0 && stat(sub, &st) == 0 && S_ISREG(st.st_mode))
			ran = replay_file(sub) < 0 ? -1 : ran + 1;
		free(ents[i]);
	}
	free(ents);
	return ran;
}

int
main(int argc, char **argv)
{
	int i, n, total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 1;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		n = replay_path(argv[i]);
		if (n < 0)
			return 1;
		printf("%s: %d input(s)\n", argv[i], n);
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	printf("replayed %d input(s), no crash\n", total);
	return 0;
}
