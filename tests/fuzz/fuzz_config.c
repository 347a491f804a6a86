/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration parsing (control/config.c): the INI config file, the command
 * line and the --interface syntax. Input byte 0 selects what the rest is:
 *   0 mod 3: a config file (given to cfg_load as --config-file=, through a
 *            memfd: no file on disk is touched)
 *   1 mod 3: command line arguments, one per line (--config-file dropped:
 *            the harness must not read other files)
 *   2 mod 3: one --interface value
 * Properties: parsing ends in 0, 1 (help/version) or an error with a
 * message; an accepted --interface formats back into a value that parses
 * to the same interface. stdout (--help) goes to /dev/null.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "control/config.h"
#include "fuzz.h"

#define MAX_ARGS 32

static int memfd = -1, devnull = -1;
static char memfd_opt[64];
static struct sl_config cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("sluice-fuzz-config", MFD_CLOEXEC);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (memfd < 0 || devnull < 0) {
		perror("fuzz_config");
		exit(1);
	}
	snprintf(memfd_opt, sizeof(memfd_opt), "--config-file=/proc/self/fd/%d", memfd);
	return 0;
}

static int
load(int argc, char **argv)
{
	char err[512];
	int saved, rc;

	fflush(stdout);
	saved = dup(1);
	dup2(devnull, 1);
	err[0] = '\0';
	rc = cfg_load(argc, argv, &cfg, err, sizeof(err));
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc < 0);
	if (rc < 0)
		FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
	if (rc == 0) {
		FUZZ_CHECK(cfg.n_ifaces >= 1 && cfg.n_ifaces <= CFG_MAX_ADDRS);
		FUZZ_CHECK(cfg.port_min <= cfg.port_max);
	}
	return rc;
}

static void
file_mode(const uint8_t *p, size_t n)
{
	char *argv[] = {"sluice", memfd_opt, NULL};

	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(pwrite(memfd, p, n, 0) == (ssize_t)n);
	load(2, argv);
}

static void
cli_mode(const uint8_t *p, size_t n)
{
	char *copy = fuzz_dup(p, n, 1), *argv[MAX_ARGS + 2], *s, *nl;
	int argc = 0;

	argv[argc++] = "sluice";
	for (s = copy; s != NULL && argc < MAX_ARGS + 1; s = nl) {
		nl = strchr(s, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (strncmp(s, "--config-f", 10) == 0)
			continue;
		argv[argc++] = s;
	}
	argv[argc] = NULL;
	load(argc, argv);
	free(copy);
}

static void
iface_mode(const uint8_t *p, size_t n)
{
	char *val = fuzz_dup(p, n, 1), err[512], name[CFG_NAME_LEN + 1], a[SL_ADDRSTRLEN],
	     adv[SL_ADDRSTRLEN], back[256];
	struct cfg_iface ifc, ifc2;

	if (cfg_parse_interface(val, &ifc, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != '\0');
		free(val);
		return;
	}
	FUZZ_CHECK(ifc.addr.family == AF_INET || ifc.addr.family == AF_INET6);
	FUZZ_CHECK(ifc.prefixlen >= 1 && ifc.prefixlen <= (ifc.addr.family == AF_INET ? 32 : 128));
	FUZZ_CHECK(ifc.port_id <= 1023 && ifc.name[0] != '\0');
	snprintf(name, sizeof(name), "%s", ifc.name);
	snprintf(back, sizeof(back), "%s/%s/%u%s%s@%u", name, sl_ip_fmt(&ifc.addr, a, sizeof(a)),
		ifc.prefixlen, ifc.has_adv ? "!" : "",
		ifc.has_adv ? sl_ip_fmt(&ifc.adv, adv, sizeof(adv)) : "", ifc.port_id);
	FUZZ_CHECK(cfg_parse_interface(back, &ifc2, err, sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(ifc.name, ifc2.name) == 0 && sl_ip_eq(&ifc.addr, &ifc2.addr));
	FUZZ_CHECK(ifc.prefixlen == ifc2.prefixlen && ifc.has_adv == ifc2.has_adv);
	FUZZ_CHECK(sl_ip_eq(&ifc.adv, &ifc2.adv) && ifc.port_id == ifc2.port_id);
	free(val);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		file_mode(data + 1, size - 1);
		break;
	case 1:
		cli_mode(data + 1, size - 1);
		break;
	default:
		iface_mode(data + 1, size - 1);
	}
	return 0;
}
