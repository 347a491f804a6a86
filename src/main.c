/* SPDX-License-Identifier: BSD-3-Clause */
int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
