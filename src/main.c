/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice: a userspace DPDK media relay driven by rtpengine's ng protocol.
 *
 *   sluice [OPTIONS] -- [EAL ARGS]
 *
 * The main lcore runs the control thread (ng, calls, timers); every other
 * lcore is a forwarding worker. Without EAL arguments sluice picks
 * "--in-memory" when free hugepages exist and "--no-huge -m 256" otherwise,
 * so it starts on any machine.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "common/host.h"
#include "common/log.h"
#include "control/config.h"
#include "control/ctl.h"
#include "crypto/srtp.h"
#include "dataplane/dp.h"
#include "monitor/mon.h"
#include "record/rec.h"

#define EAL_MAX_ARGS 256

static volatile sig_atomic_t quit;
static char runtime_dir[PATH_MAX];

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static int
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

static int
write_pidfile(const char *path)
{
	FILE *f;

	if (path[0] == '\0')
		return 0;
	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	return 0;
}

/*
 * Remove what EAL leaves in its runtime directory (/var/run/dpdk/<prefix>)
 * after rte_eal_cleanup(): a primary process owns its prefix, so these
 * files are ours. The directory itself goes when it is empty.
 */
static void
remove_runtime_dir(const char *dir)
{
	static const char *const ours[] = {"config", "mp_socket", "fbarray_", "hugepage_info"};
	char path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	size_t i;

	if (dir[0] == '\0')
		return;
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
			if (strncmp(de->d_name, ours[i], strlen(ours[i])) == 0) {
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				unlink(path);
				break;
			}
		}
	}
	closedir(d);
	rmdir(dir);
	/* /var/run/dpdk itself, if nobody else uses it */
	snprintf(path, sizeof(path), "%s", dir);
	if (strrchr(path, '/') != NULL) {
		*strrchr(path, '/') = '\0';
		rmdir(path);
	}
}

/*
 * Registered before rte_eal_init(): atexit handlers run in reverse order,
 * so this runs after DPDK's own (telemetry unlinks its socket at exit).
 */
static void
at_exit(void)
{
	remove_runtime_dir(runtime_dir);
}

int
main(int argc, char **argv)
{
	static struct sl_config cfg;
	char *eal_argv[EAL_MAX_ARGS + 4];
	char err[512] = "";
	struct sigaction sa;
	int eal_argc = 0, i, rc, status = 1;

	rc = cfg_load(argc, argv, &cfg, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "sluice: %s\n", err);
		return 1;
	}
	sl_log_init(cfg.log_level, cfg.log_stderr);

	eal_argv[eal_argc++] = argv[0];
	if (cfg.eal_argc == 0) {
		if (sl_hugepages_free() > 0) {
			eal_argv[eal_argc++] = "--in-memory";
			SL_NOTICE("main", "no EAL arguments: using --in-memory (free hugepages found)");
		} else {
			eal_argv[eal_argc++] = "--no-huge";
			eal_argv[eal_argc++] = "-m";
			eal_argv[eal_argc++] = "256";
			SL_NOTICE("main", "no EAL arguments: using --no-huge -m 256 (no free hugepages)");
		}
	}
	for (i = 0; i < cfg.eal_argc && eal_argc < EAL_MAX_ARGS; i++)
		eal_argv[eal_argc++] = cfg.eal_argv[i];
	eal_argv[eal_argc] = NULL;

	if (!cfg.foreground && daemonize() < 0) {
		fprintf(stderr, "sluice: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}

	/*
	 * Handlers before EAL: a SIGTERM during start-up then only sets quit,
	 * ctl_run() returns at once and the normal clean shutdown removes the
	 * runtime files EAL already created.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	atexit(at_exit);
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		SL_ERR("main", "DPDK EAL initialisation failed: %s", rte_strerror(rte_errno));
		fprintf(stderr, "sluice: DPDK EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());

	/* which engine does SRTP per packet; the control thread gets managers for key set-up */
	if (srtp_engine_thread_init() < 0)
		SL_WARN("main", "srtp: no intel-ipsec-mb manager for the control thread");
	SL_NOTICE("main", "srtp: per-packet crypto by %s", srtp_engine_name());
	rc = dp_init(&cfg, err, sizeof(err));
	if (rc < 0)
		goto fail;
	rc = rec_init(&cfg, dp_mempool(), (unsigned)dp_conf.rec_lcore, err, sizeof(err));
	if (rc < 0)
		goto fail;
	dp_conf.tap = rec_tap_ring();
	rc = ctl_init(&cfg, err, sizeof(err));
	if (rc < 0)
		goto fail;
	if (mon_init() < 0)
		SL_WARN("main", "telemetry commands not registered");
	rc = mon_http_init(&cfg, err, sizeof(err));
	if (rc == 0)
		rc = mon_homer_init(&cfg, err, sizeof(err));
	if (rc < 0)
		goto fail;
	ctl_set_service_hook(mon_service);
	rc = dp_start();
	if (rc == 0)
		rc = rec_start();
	if (rc < 0) {
		snprintf(err, sizeof(err), "cannot launch workers: %s", strerror(-rc));
		goto fail;
	}
	if (write_pidfile(cfg.pidfile) < 0)
		SL_WARN("main", "cannot write pidfile %s: %s", cfg.pidfile, strerror(errno));
	SL_NOTICE("main", "sluice %s ready: %u worker(s), %u address(es)", SL_VERSION,
		dp_conf.n_workers, dp_conf.n_addrs);

	ctl_run(&quit);

	SL_NOTICE("main", "shutting down");
	status = 0;
	mon_fini();
	mon_http_fini();
	ctl_set_service_hook(NULL);
	ctl_fini();
	mon_homer_fini();
	dp_stop();
	rec_fini();
	dp_fini();
	goto done;
fail:
	SL_ERR("main", "%s", err);
	if (!cfg.log_stderr)
		fprintf(stderr, "sluice: %s\n", err);
	ctl_fini();
	dp_stop();
	rec_fini();
	dp_fini();
done:
	rte_eal_cleanup();
	if (cfg.pidfile[0] != '\0' && status == 0)
		unlink(cfg.pidfile);
	return status;
}
