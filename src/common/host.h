/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_COMMON_HOST_H
#define SL_COMMON_HOST_H

/**
 * @file
 * Facts about the machine, read before DPDK is initialised.
 */

/** Free hugepages of the default size (HugePages_Free in /proc/meminfo); 0 if unknown. */
unsigned long sl_hugepages_free(void);

#endif /* SL_COMMON_HOST_H */
