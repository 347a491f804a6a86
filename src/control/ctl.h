/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CTL_H
#define SL_CTL_H

/**
 * @file
 * The control thread: one small event loop on the main lcore that serves
 * ng, drains the workers' punt rings (ARP/NDP learning; STUN/DTLS later),
 * and runs the timers (timeouts, neighbour retries, cookie rotation, port
 * reclaim). It never blocks for more than a millisecond so punted packets
 * are handled promptly.
 */

#include <signal.h>
#include <stddef.h>

struct sl_config;

/** Set up calls, ports, neighbours and the ng sockets. @return 0 or -errno. */
int ctl_init(const struct sl_config *cfg, char *err, size_t errlen);

/** Run until *quit becomes non-zero. */
void ctl_run(volatile sig_atomic_t *quit);

/**
 * Watch @p fd for input in the control loop; @p cb runs there.
 * @return 0 or -errno.
 */
int ctl_watch_fd(int fd, void (*cb)(int fd, void *arg), void *arg);
/** Stop watching @p fd (the caller closes it). */
void ctl_unwatch_fd(int fd);

/** Run @p fn once per loop iteration (e.g. monitoring requests); NULL clears it. */
void ctl_set_service_hook(void (*fn)(void));

/** Tear down: destroy every call (flows deleted), close sockets. */
void ctl_fini(void);

#endif /* SL_CTL_H */
