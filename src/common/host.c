/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "common/host.h"

unsigned long
sl_hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}
