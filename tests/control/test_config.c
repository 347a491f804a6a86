/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/config.h"

#define ERRLEN 512

/* cfg_load() with argv = { "sluice", ..., NULL } */
#define LOAD(cfg, err, ...) load(cfg, err, (char *[]){"sluice", __VA_ARGS__, NULL})

/* every option of the table, by iterating the X-macro */
struct optname {
	const char *name;
	int sh;
};
static const struct optname all_opts[] = {
#define SL_OPT(name, sh, ...) {name, sh},
#include "control/options.def"
};

static struct sl_config cfg;
static char err[ERRLEN];

static int
load(struct sl_config *c, char *e, char **argv)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	e[0] = '\0';
	return cfg_load(argc, argv, c, e, ERRLEN);
}

/* Write @p text to a new temp file; its name goes to @p path (64 bytes). */
static const char *
tmpconf(char *path, const char *text)
{
	size_t len = strlen(text);
	int fd;

	strcpy(path, "/tmp/sluice-test-cfg-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Redirect file descriptor @p fd (1 or 2) into a temp file. */
struct capture {
	int fd;
	int saved;
	char path[64];
};

static void
capture_begin(struct capture *c, int fd)
{
	int t;

	fflush(NULL);
	c->fd = fd;
	strcpy(c->path, "/tmp/sluice-test-out-XXXXXX");
	t = mkstemp(c->path);
	assert_true(t >= 0);
	c->saved = dup(fd);
	assert_true(c->saved >= 0);
	assert_true(dup2(t, fd) >= 0);
	close(t);
}

static char *
capture_end(struct capture *c, char *buf, size_t len)
{
	ssize_t n;
	int t;

	fflush(NULL);
	assert_true(dup2(c->saved, c->fd) >= 0);
	close(c->saved);
	t = open(c->path, O_RDONLY);
	assert_true(t >= 0);
	n = read(t, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(t);
	unlink(c->path);
	return buf;
}

static const char *
ep_str(const struct sl_ep *ep)
{
	static char buf[4][SL_EPSTRLEN];
	static unsigned i;

	return sl_ep_fmt(ep, buf[i++ % 4], SL_EPSTRLEN);
}

static const char *
ip_str(const struct sl_ip *ip)
{
	static char buf[4][SL_ADDRSTRLEN];
	static unsigned i;

	return sl_ip_fmt(ip, buf[i++ % 4], SL_ADDRSTRLEN);
}

static void
check_defaults(const struct sl_config *c)
{
	assert_int_equal(c->port_min, 30000);
	assert_int_equal(c->port_max, 39999);
	assert_int_equal(c->timeout, 60);
	assert_int_equal(c->silent_timeout, 3600);
	assert_int_equal(c->offer_timeout, 3600);
	assert_int_equal(c->final_timeout, 0);
	assert_int_equal(c->delete_delay, 30);
	assert_int_equal(c->endpoint_learning, CFG_LEARN_HEURISTIC);
	assert_string_equal(c->pidfile, "");
	assert_false(c->foreground);
	assert_int_equal(c->log_level, 6);
	assert_false(c->log_stderr);
	assert_string_equal(c->config_file, "");
	assert_string_equal(c->config_section, "sluice");
	assert_int_equal(c->poll_mode, CFG_POLL_AUTO);
	assert_int_equal(c->idle_sleep_us, 100);
	assert_int_equal(c->mbufs, 8191);
	assert_int_equal(c->n_listen_ng, 1);
	assert_string_equal(ep_str(&c->listen_ng[0]), "127.0.0.1:2223");
	assert_int_equal(c->n_ng_allow, 0);
}

static void
test_defaults(void **state)
{
	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	cfg_defaults(&cfg);
	check_defaults(&cfg);
	assert_int_equal(cfg.n_ifaces, 0);
	assert_int_equal(cfg.n_gateways, 0);

	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.10"), 0);
	check_defaults(&cfg);
	assert_int_equal(cfg.n_ifaces, 1);
	assert_int_equal(cfg.n_gateways, 0);
	assert_string_equal(cfg.ifaces[0].name, "default");
	assert_int_equal(cfg.eal_argc, 0);
	assert_string_equal(err, "");
}

static void
test_cli_long(void **state)
{
	(void)state;
	assert_int_equal(
		LOAD(&cfg, err, "--interface=pub/192.0.2.10", "--interface", "priv/10.0.0.10/16",
			"--gateway=pub/192.0.2.1", "--listen-ng", "[::1]:2224",
			"--listen-ng=10.0.0.10:2225", "--port-min=40000", "--port-max", "40099",
			"--timeout=61", "--silent-timeout=3601", "--offer-timeout=3602",
			"--final-timeout=7200", "--delete-delay=0", "--endpoint-learning=immediate",
			"--pidfile=/run/sluice.pid", "--foreground", "--log-level=7",
			"--log-stderr", "--config-section=other", "--poll-mode", "adaptive",
			"--idle-sleep-us=250", "--mbufs=16383"),
		0);
	assert_int_equal(cfg.n_ifaces, 2);
	assert_string_equal(cfg.ifaces[0].name, "pub");
	assert_string_equal(ip_str(&cfg.ifaces[0].addr), "192.0.2.10");
	assert_int_equal(cfg.ifaces[0].prefixlen, 24);
	assert_string_equal(cfg.ifaces[1].name, "priv");
	assert_int_equal(cfg.ifaces[1].prefixlen, 16);
	assert_int_equal(cfg.n_gateways, 1);
	assert_string_equal(cfg.gateways[0].name, "pub");
	assert_string_equal(ip_str(&cfg.gateways[0].addr), "192.0.2.1");
	assert_int_equal(cfg.n_listen_ng, 2);
	assert_string_equal(ep_str(&cfg.listen_ng[0]), "[::1]:2224");
	assert_string_equal(ep_str(&cfg.listen_ng[1]), "10.0.0.10:2225");
	assert_int_equal(cfg.port_min, 40000);
	assert_int_equal(cfg.port_max, 40099);
	assert_int_equal(cfg.timeout, 61);
	assert_int_equal(cfg.silent_timeout, 3601);
	assert_int_equal(cfg.offer_timeout, 3602);
	assert_int_equal(cfg.final_timeout, 7200);
	assert_int_equal(cfg.delete_delay, 0);
	assert_int_equal(cfg.endpoint_learning, CFG_LEARN_IMMEDIATE);
	assert_string_equal(cfg.pidfile, "/run/sluice.pid");
	assert_true(cfg.foreground);
	assert_int_equal(cfg.log_level, 7);
	assert_true(cfg.log_stderr);
	assert_string_equal(cfg.config_section, "other");
	assert_int_equal(cfg.poll_mode, CFG_POLL_ADAPTIVE);
	assert_int_equal(cfg.idle_sleep_us, 250);
	assert_int_equal(cfg.mbufs, 16383);
}

static void
test_cli_short(void **state)
{
	(void)state;
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.10", "-n", "10.0.0.1:2224", "-m", "31000",
				 "-M", "31999", "-o", "5", "-s", "6", "-a", "7", "-d", "8", "-p",
				 "/tmp/x.pid", "-fE", "-L", "5"),
		0);
	assert_int_equal(cfg.n_ifaces, 1);
	assert_string_equal(ep_str(&cfg.listen_ng[0]), "10.0.0.1:2224");
	assert_int_equal(cfg.port_min, 31000);
	assert_int_equal(cfg.port_max, 31999);
	assert_int_equal(cfg.timeout, 5);
	assert_int_equal(cfg.silent_timeout, 6);
	assert_int_equal(cfg.final_timeout, 7);
	assert_int_equal(cfg.delete_delay, 8);
	assert_string_equal(cfg.pidfile, "/tmp/x.pid");
	assert_true(cfg.foreground);
	assert_true(cfg.log_stderr);
	assert_int_equal(cfg.log_level, 5);
	/* attached values */
	assert_int_equal(LOAD(&cfg, err, "-i192.0.2.10", "-m30002", "-M30005"), 0);
	assert_int_equal(cfg.port_min, 30002);
	assert_int_equal(cfg.port_max, 30005);
}

static const char full_file[] = "# sluice test config\n"
				"; another comment\n"
				"\n"
				"[sluice]\n"
				"interface = pub/192.0.2.10!198.51.100.10\n"
				"interface = priv/10.0.0.10/16@1\n"
				"gateway = pub/192.0.2.1\n"
				"listen-ng = 127.0.0.1:3000\n"
				"port-min = 20000\n"
				"port-max=20999\n"
				"  timeout   =   70  \n"
				"silent-timeout = 700\n"
				"offer-timeout = 800\n"
				"final-timeout = 900\n"
				"delete-delay = 5\n"
				"endpoint-learning = Delayed\n"
				"pidfile = /run/sluice/sluice.pid\n"
				"foreground = yes\n"
				"log-level = 4\n"
				"log-stderr = 1\n"
				"poll-mode = busy\n"
				"idle-sleep-us = 1\n"
				"mbufs = 1023\n";

static void
check_full_file(const struct sl_config *c)
{
	assert_int_equal(c->n_ifaces, 2);
	assert_string_equal(c->ifaces[0].name, "pub");
	assert_true(c->ifaces[0].has_adv);
	assert_string_equal(ip_str(&c->ifaces[0].adv), "198.51.100.10");
	assert_string_equal(c->ifaces[1].name, "priv");
	assert_int_equal(c->ifaces[1].prefixlen, 16);
	assert_int_equal(c->ifaces[1].port_id, 1);
	assert_int_equal(c->n_gateways, 1);
	assert_int_equal(c->n_listen_ng, 1);
	assert_string_equal(ep_str(&c->listen_ng[0]), "127.0.0.1:3000");
	assert_int_equal(c->port_max, 20999);
	assert_int_equal(c->timeout, 70);
	assert_int_equal(c->silent_timeout, 700);
	assert_int_equal(c->offer_timeout, 800);
	assert_int_equal(c->final_timeout, 900);
	assert_int_equal(c->delete_delay, 5);
	assert_int_equal(c->endpoint_learning, CFG_LEARN_DELAYED);
	assert_string_equal(c->pidfile, "/run/sluice/sluice.pid");
	assert_true(c->foreground);
	assert_int_equal(c->log_level, 4);
	assert_true(c->log_stderr);
	assert_int_equal(c->poll_mode, CFG_POLL_BUSY);
	assert_int_equal(c->idle_sleep_us, 1);
	assert_int_equal(c->mbufs, 1023);
}

static void
test_file_all(void **state)
{
	char path[64], arg[96];

	(void)state;
	tmpconf(path, full_file);
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	check_full_file(&cfg);
	assert_int_equal(cfg.port_min, 20000);
	assert_string_equal(cfg.config_file, path);

	/* --name=value form, CRLF line ends */
	unlink(path);
	tmpconf(path, "[sluice]\r\ninterface = 192.0.2.1\r\nport-min = 30100\r\n");
	snprintf(arg, sizeof(arg), "--config-file=%s", path);
	assert_int_equal(LOAD(&cfg, err, arg), 0);
	assert_int_equal(cfg.port_min, 30100);
	unlink(path);
}

static void
test_cli_overrides_file(void **state)
{
	char path[64];

	(void)state;
	tmpconf(path, full_file);
	assert_int_equal(LOAD(&cfg, err, "--port-min", "20500", "--config-file", path, "-L", "7",
				 "--endpoint-learning=off"),
		0);
	assert_int_equal(cfg.n_ifaces, 2);
	assert_true(cfg.foreground);
	assert_int_equal(cfg.port_min, 20500);
	assert_int_equal(cfg.port_max, 20999);
	assert_int_equal(cfg.log_level, 7);
	assert_int_equal(cfg.endpoint_learning, CFG_LEARN_OFF);
	assert_int_equal(cfg.timeout, 70);
	unlink(path);
}

static void
test_list_replacement(void **state)
{
	char path[64];

	(void)state;
	tmpconf(path, "[sluice]\n"
		      "interface = a/192.0.2.1;b/192.0.2.2\n"
		      "listen-ng = 127.0.0.1:3000\n"
		      "listen-ng = 127.0.0.1:3001\n");
	/* file replaces the default listen-ng, keeps its own two */
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	assert_int_equal(cfg.n_ifaces, 2);
	assert_int_equal(cfg.n_listen_ng, 2);
	assert_string_equal(ep_str(&cfg.listen_ng[0]), "127.0.0.1:3000");

	/* the command line replaces the file's interfaces, not its listen-ng */
	assert_int_equal(
		LOAD(&cfg, err, "--config-file", path, "-i", "c/192.0.2.3", "-i", "d/192.0.2.4"),
		0);
	assert_int_equal(cfg.n_ifaces, 2);
	assert_string_equal(cfg.ifaces[0].name, "c");
	assert_string_equal(cfg.ifaces[1].name, "d");
	assert_int_equal(cfg.n_listen_ng, 2);

	assert_int_equal(LOAD(&cfg, err, "--config-file", path, "-n", "4000"), 0);
	assert_int_equal(cfg.n_ifaces, 2);
	assert_int_equal(cfg.n_listen_ng, 1);
	assert_string_equal(ep_str(&cfg.listen_ng[0]), "0.0.0.0:4000");

	/* an address of the file's list may be given again on the command line */
	assert_int_equal(LOAD(&cfg, err, "--config-file", path, "-i", "a/192.0.2.1"), 0);
	assert_int_equal(cfg.n_ifaces, 1);
	unlink(path);
}

static void
test_semicolon_lists(void **state)
{
	char path[64];

	(void)state;
	tmpconf(path, "[sluice]\n"
		      "interface = a/192.0.2.1; b/2001:db8::1 ;\n"
		      "interface = c/192.0.2.3\n"
		      "gateway = a/192.0.2.254;b/fe80::1\n"
		      "listen-ng = 2223;[::1]:2223\n");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	assert_int_equal(cfg.n_ifaces, 3);
	assert_string_equal(cfg.ifaces[1].name, "b");
	assert_string_equal(ip_str(&cfg.ifaces[1].addr), "2001:db8::1");
	assert_string_equal(cfg.ifaces[2].name, "c");
	assert_int_equal(cfg.n_gateways, 2);
	assert_int_equal(cfg.n_listen_ng, 2);
	assert_string_equal(ep_str(&cfg.listen_ng[0]), "0.0.0.0:2223");
	assert_string_equal(ep_str(&cfg.listen_ng[1]), "[::1]:2223");
	unlink(path);

	/* the same on the command line */
	assert_int_equal(LOAD(&cfg, err, "-i", "a/192.0.2.1;b/192.0.2.2"), 0);
	assert_int_equal(cfg.n_ifaces, 2);

	tmpconf(path, "[sluice]\ninterface = ;\n");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), -EINVAL);
	assert_non_null(strstr(err, "key 'interface': empty value"));
	unlink(path);
}

static void
test_interface_forms(void **state)
{
	static const struct {
		const char *in, *name, *addr;
		unsigned prefix;
		const char *adv;
		unsigned port;
	} t[] = {
		{"192.0.2.10", "default", "192.0.2.10", 24, NULL, 0},
		{"192.0.2.10/28", "default", "192.0.2.10", 28, NULL, 0},
		{"pub/192.0.2.10", "pub", "192.0.2.10", 24, NULL, 0},
		{"pub/192.0.2.10/32", "pub", "192.0.2.10", 32, NULL, 0},
		{"pub/192.0.2.10!203.0.113.5", "pub", "192.0.2.10", 24, "203.0.113.5", 0},
		{"pub/192.0.2.10@3", "pub", "192.0.2.10", 24, NULL, 3},
		{"pub/10.1.2.3/8!203.0.113.5@1023", "pub", "10.1.2.3", 8, "203.0.113.5", 1023},
		{"2001:db8::10", "default", "2001:db8::10", 64, NULL, 0},
		{"2001:db8::10/48", "default", "2001:db8::10", 48, NULL, 0},
		{"v6/2001:db8::10", "v6", "2001:db8::10", 64, NULL, 0},
		{"v6/[2001:db8::10]/128!2001:db8:1::1@2", "v6", "2001:db8::10", 128,
			"2001:db8:1::1", 2},
		{"pub:1/192.0.2.10", "pub:1", "192.0.2.10", 24, NULL, 0},
		{"a-b_c.d/192.0.2.10", "a-b_c.d", "192.0.2.10", 24, NULL, 0},
		{"default/192.0.2.10", "default", "192.0.2.10", 24, NULL, 0},
		{"0123456789012345678901234567890/192.0.2.1", "0123456789012345678901234567890",
			"192.0.2.1", 24, NULL, 0},
	};
	struct cfg_iface ifc;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cfg_parse_interface(t[i].in, &ifc, err, sizeof(err)), 0);
		assert_string_equal(ifc.name, t[i].name);
		assert_string_equal(ip_str(&ifc.addr), t[i].addr);
		assert_int_equal(ifc.prefixlen, t[i].prefix);
		assert_int_equal(ifc.has_adv, t[i].adv != NULL);
		assert_string_equal(ip_str(&ifc.adv), t[i].adv != NULL ? t[i].adv : t[i].addr);
		assert_int_equal(ifc.port_id, t[i].port);
	}
}

static void
test_interface_malformed(void **state)
{
	static const struct {
		const char *in, *why;
	} t[] = {
		{"", "missing address"},
		{"192.0.2.256", "invalid address '192.0.2.256'"},
		{"pub/eth0", "invalid address 'eth0'"},
		{"pub/host.example.com", "invalid address 'host.example.com'"},
		{"pub/", "missing address"},
		{"/192.0.2.1", "empty interface name"},
		{"bad*name/192.0.2.1", "invalid character '*'"},
		{"01234567890123456789012345678901/192.0.2.1", "too long"},
		{"192.0.2.1/33", "invalid prefix length '33' (1..32 for IPv4)"},
		{"192.0.2.1/0", "invalid prefix length '0'"},
		{"192.0.2.1/24x", "invalid prefix length '24x'"},
		{"pub/192.0.2.1/", "invalid prefix length ''"},
		{"2001:db8::1/129", "invalid prefix length '129' (1..128 for IPv6)"},
		{"a/192.0.2.1/24/1", "too many '/' fields"},
		{"192.0.2.1@99999", "invalid DPDK port id '99999'"},
		{"192.0.2.1@1024", "invalid DPDK port id '1024'"},
		{"192.0.2.1@", "invalid DPDK port id ''"},
		{"192.0.2.1@-1", "invalid DPDK port id '-1'"},
		{"192.0.2.1@1@2", "invalid DPDK port id '1@2'"},
		{"192.0.2.1!", "missing advertised address"},
		{"192.0.2.1!nat.example.com", "invalid advertised address"},
		{"192.0.2.1!2001:db8::1", "not of ADDR's family"},
		{"192.0.2.1!0.0.0.0", "unspecified"},
		{"0.0.0.0", "unspecified"},
		{"pub/::", "unspecified"},
		{"192.0.2.1@1!198.51.100.1", "invalid DPDK port id"},
	};
	struct cfg_iface ifc;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cfg_parse_interface(t[i].in, &ifc, err, sizeof(err)), -EINVAL);
		if (strstr(err, t[i].why) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", t[i].in, err, t[i].why);
		assert_non_null(strstr(err, t[i].in));
	}
	/* through cfg_load: the option is named */
	assert_int_equal(LOAD(&cfg, err, "--interface=192.0.2.1/33"), -EINVAL);
	assert_string_equal(err, "option --interface: invalid prefix length '33' (1..32 for "
				 "IPv4) in '192.0.2.1/33'");
}

static void
test_interface_limits(void **state)
{
	char *argv[2 + 2 * (CFG_MAX_ADDRS + 1)];
	char addrs[CFG_MAX_ADDRS + 1][32];
	int i, argc = 1;

	(void)state;
	argv[0] = "sluice";
	for (i = 0; i < CFG_MAX_ADDRS; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "n%d/10.0.%d.1", i % 3, i);
		argv[argc++] = "-i";
		argv[argc++] = addrs[i];
	}
	argv[argc] = NULL;
	assert_int_equal(cfg_load(argc, argv, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_ifaces, CFG_MAX_ADDRS);

	snprintf(addrs[i], sizeof(addrs[i]), "n/10.0.%d.1", i);
	argv[argc++] = "-i";
	argv[argc++] = addrs[i];
	argv[argc] = NULL;
	assert_int_equal(cfg_load(argc, argv, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "option --interface: too many addresses (max 32)");

	assert_int_equal(LOAD(&cfg, err, "-i", "a/192.0.2.1", "-i", "b/192.0.2.1"), -EINVAL);
	assert_string_equal(err, "option --interface: address 192.0.2.1 given twice");
	assert_int_equal(LOAD(&cfg, err, "-i", "2001:db8::1", "-i", "[2001:db8::1]/56"), -EINVAL);
	assert_non_null(strstr(err, "given twice"));
}

static void
test_gateway(void **state)
{
	char path[64];

	(void)state;
	/* checked after loading: order does not matter */
	assert_int_equal(LOAD(&cfg, err, "--gateway=pub/192.0.2.1", "--gateway", "pub/2001:db8::1",
				 "-i", "pub/192.0.2.10", "-i", "pub/2001:db8::10",
				 "--gateway=192.0.2.129", "-i", "192.0.2.130/25"),
		0);
	assert_int_equal(cfg.n_gateways, 3);
	assert_string_equal(cfg.gateways[2].name, "default");

	assert_int_equal(
		LOAD(&cfg, err, "-i", "pub/192.0.2.10", "--gateway=priv/10.0.0.1"), -EINVAL);
	assert_string_equal(err, "--gateway priv/10.0.0.1: no --interface named 'priv'");
	assert_int_equal(
		LOAD(&cfg, err, "-i", "pub/192.0.2.10", "--gateway=pub/2001:db8::1"), -EINVAL);
	assert_string_equal(err, "--gateway pub/2001:db8::1: interface 'pub' has no IPv6 address");
	assert_int_equal(LOAD(&cfg, err, "-i", "pub/192.0.2.10", "--gateway=pub/192.0.2.1",
				 "--gateway=pub/192.0.2.2"),
		-EINVAL);
	assert_non_null(strstr(err, "already has an IPv4 gateway"));
	assert_int_equal(
		LOAD(&cfg, err, "-i", "pub/192.0.2.10", "--gateway=pub/192.0.2.10"), -EINVAL);
	assert_non_null(strstr(err, "local address"));
	assert_int_equal(LOAD(&cfg, err, "-i", "pub/192.0.2.10", "--gateway=pub/"), -EINVAL);
	assert_string_equal(err, "option --gateway: missing address in 'pub/'");
	assert_int_equal(
		LOAD(&cfg, err, "-i", "pub/192.0.2.10", "--gateway=pub/gw.local"), -EINVAL);
	assert_int_equal(
		LOAD(&cfg, err, "-i", "pub/192.0.2.10", "--gateway=a/b/192.0.2.1"), -EINVAL);

	/* file gateway naming a file interface that the command line replaced */
	tmpconf(path, "[sluice]\ninterface = pub/192.0.2.10\ngateway = pub/192.0.2.1\n");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	assert_int_equal(LOAD(&cfg, err, "--config-file", path, "-i", "priv/10.0.0.1"), -EINVAL);
	assert_string_equal(err, "--gateway pub/192.0.2.1: no --interface named 'pub'");
	unlink(path);
}

static void
test_file_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} t[] = {
		{"# c\n\n[sluice]\ninterface = 192.0.2.1\nport-min = abc\n",
			"line 5: key 'port-min': invalid integer 'abc'"},
		{"[sluice]\ninterface = 192.0.2.1/33\n",
			"line 2: key 'interface': invalid prefix length '33' (1..32 for IPv4) in "
			"'192.0.2.1/33'"},
		{"[sluice]\nforeground = maybe\n",
			"line 2: key 'foreground': invalid boolean 'maybe' (expected true, false, "
			"yes, no, 1 or 0)"},
		{"[sluice]\npoll-mode = fast\n",
			"line 2: key 'poll-mode': invalid value 'fast' (expected auto, busy or "
			"adaptive)"},
		{"[sluice]\nport-max = 70000\n",
			"line 2: key 'port-max': value 70000 out of range (1..65535)"},
		{"[sluice]\njust words\n", "line 2: expected 'key = value'"},
		{"[sluice]\n= 5\n", "line 2: expected 'key = value'"},
		{"[sluice\nport-min = 1\n", "line 1: malformed section header"},
		{"port-min = 1\n[sluice]\n", "line 1: line outside of any [section]"},
		{"[sluice]\nbogus = 1\n", "line 2: key 'bogus': unknown option"},
		{"[sluice]\nPort-Min = 1\n", "line 2: key 'Port-Min': unknown option"},
		{"[sluice]\nhelp = true\n", "line 2: key 'help': only valid on the command line"},
		{"[sluice]\nconfig-file = /x\n",
			"line 2: key 'config-file': only valid on the command line"},
		{"[other]\nport-min = 1\n", ": no [sluice] section (see --config-section)"},
	};
	char path[64], want[512];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tmpconf(path, t[i].text);
		assert_int_equal(
			LOAD(&cfg, err, "-i", "192.0.2.1", "--config-file", path), -EINVAL);
		snprintf(want, sizeof(want), "config file %s%s%s", path,
			t[i].msg[0] == ':' ? "" : " ", t[i].msg);
		assert_string_equal(err, want);
		unlink(path);
	}
	assert_int_equal(LOAD(&cfg, err, "--config-file", "/nonexistent/sluice.conf"), -ENOENT);
	assert_string_equal(err, "config file /nonexistent/sluice.conf: No such file or directory");
}

static void
test_rtpengine_keys(void **state)
{
	struct capture c;
	char path[64], out[1024];

	(void)state;
	tmpconf(path, "[rtpengine]\n"
		      "garbage in another section = is not looked at\n"
		      "[sluice]\n"
		      "interface = 192.0.2.1\n"
		      "table = 0\n"
		      "graphite = 192.0.2.9:2003\n"
		      "no-fallback = true\n"
		      "log-level-core = 7\n");
	capture_begin(&c, 2);
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	capture_end(&c, out, sizeof(out));
	assert_string_equal(out, "config: ignoring rtpengine option 'table' (not used by sluice)\n"
				 "config: ignoring rtpengine option 'graphite' (not used by "
				 "sluice)\n"
				 "config: ignoring rtpengine option 'no-fallback' (not used by "
				 "sluice)\n"
				 "config: ignoring rtpengine option 'log-level-core' (not used by "
				 "sluice)\n");
	unlink(path);

	/* an rtpengine config section, read with --config-section */
	tmpconf(path, "[rtpengine]\n"
		      "table = -1\n"
		      "interface = internal/10.0.0.5;external/192.0.2.5!203.0.113.5\n"
		      "listen-ng = 127.0.0.1:22222\n"
		      "tos = 184\n"
		      "port-min = 30000\n"
		      "port-max = 40000\n"
		      "log-facility = local1\n");
	capture_begin(&c, 2);
	assert_int_equal(LOAD(&cfg, err, "--config-file", path, "--config-section=rtpengine"), 0);
	capture_end(&c, out, sizeof(out));
	assert_non_null(strstr(out, "'tos'"));
	assert_int_equal(cfg.n_ifaces, 2);
	assert_int_equal(cfg.port_max, 40000);
	unlink(path);

	/* unknown keys are errors; rtpengine options are errors on the command line */
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--table=0"), -EINVAL);
	assert_string_equal(err, "option --table: rtpengine option not supported by sluice");
}

static void
test_eal_split(void **state)
{
	char *argv[] = {
		"sluice", "-i", "192.0.2.1", "--", "-l", "0-1", "--no-pci", "-i", "x", "--", NULL};

	(void)state;
	assert_int_equal(cfg_load(10, argv, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.eal_argc, 6);
	assert_ptr_equal(cfg.eal_argv, &argv[4]);
	assert_string_equal(cfg.eal_argv[0], "-l");
	assert_string_equal(cfg.eal_argv[2], "--no-pci");
	assert_string_equal(cfg.eal_argv[5], "--");
	assert_int_equal(cfg.n_ifaces, 1);
	/* argv is not reordered */
	assert_string_equal(argv[1], "-i");
	assert_string_equal(argv[3], "--");

	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--"), 0);
	assert_int_equal(cfg.eal_argc, 0);
	assert_null(cfg.eal_argv[0]);

	/* EAL options before "--" are ours, and unknown */
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--no-pci", "--", "-l", "0"), -EINVAL);
	assert_string_equal(err, "option --no-pci: unknown or ambiguous option (EAL arguments go "
				 "after '--')");
	assert_int_equal(LOAD(&cfg, err, "--", "-i", "192.0.2.1"), -EINVAL);
	assert_string_equal(err, "no --interface given");
}

/* rte_eal_init() parses with optind = 1: getopt must behave as in a fresh process */
static void
test_getopt_left_fresh(void **state)
{
	char *eal[] = {"prog", "positional", "-l", "0-1", NULL};
	int c, n = 0;

	(void)state;
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--", "-l", "0-1"), 0);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(4, eal, "l:", NULL, NULL)) != -1)
		n += c == 'l';
	assert_int_equal(n, 1); /* permuted past "positional", as by default */
	optind = 1;
	opterr = 1;
}

static char *
usage_text(void)
{
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	cfg_usage(f);
	fclose(f);
	return buf;
}

static void
test_help(void **state)
{
	char *text = usage_text(), want[64], out[16384];
	struct capture c;
	unsigned i;

	(void)state;
	assert_true(strlen(text) > 1000);
	assert_true(strlen(text) < 16000);
	assert_non_null(strstr(text, "Usage: sluice [OPTIONS] -- [EAL ARGS]"));
	assert_non_null(strstr(text, "rte_eal_init()"));
	for (i = 0; i < sizeof(all_opts) / sizeof(all_opts[0]); i++) {
		snprintf(want, sizeof(want), "--%s", all_opts[i].name);
		if (strstr(text, want) == NULL)
			fail_msg("--help lacks %s", want);
		if (all_opts[i].sh == 0)
			continue;
		snprintf(want, sizeof(want), "-%c, --%s", all_opts[i].sh, all_opts[i].name);
		if (strstr(text, want) == NULL)
			fail_msg("--help lacks %s", want);
	}
	assert_non_null(strstr(text, "--endpoint-learning=heuristic|delayed|immediate|off"));
	assert_non_null(strstr(text, "Default: 127.0.0.1:2223."));
	for (char *l = text; (l = strchr(l, '\n')) != NULL; l++)
		assert_true(strcspn(l + 1, "\n") <= 79);

	/* help wins over everything else, even bad options */
	capture_begin(&c, 1);
	assert_int_equal(LOAD(&cfg, err, "--bogus", "--help"), 1);
	capture_end(&c, out, sizeof(out));
	assert_string_equal(out, text);
	capture_begin(&c, 1);
	assert_int_equal(LOAD(&cfg, err, "-h", "--config-file=/nonexistent"), 1);
	capture_end(&c, out, sizeof(out));
	assert_string_equal(out, text);
}

static void
test_version(void **state)
{
	struct capture c;
	char out[256];

	(void)state;
	capture_begin(&c, 1);
	assert_int_equal(LOAD(&cfg, err, "--version"), 1);
	capture_end(&c, out, sizeof(out));
	assert_true(strncmp(out, "sluice ", 7) == 0);
	assert_true(strlen(out) > 8 && out[strlen(out) - 1] == '\n');
	capture_begin(&c, 1);
	assert_int_equal(LOAD(&cfg, err, "-v"), 1);
	capture_end(&c, out, sizeof(out));
	assert_true(strncmp(out, "sluice ", 7) == 0);
}

static void
test_strict_integers(void **state)
{
	static const char *const bad[] = {"--port-min=30000x", "--port-min=-1", "--port-min= 1",
		"--port-min=", "--port-min=+1", "--port-min=0x10", "--port-min=1.5",
		"--port-min=99999999999999999999999"};
	unsigned i;

	(void)state;
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--port-min=abc"), -EINVAL);
	assert_string_equal(err, "option --port-min: invalid integer 'abc'");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", (char *)bad[i]), -EINVAL);
		assert_non_null(strstr(err, "option --port-min: invalid integer"));
	}
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--port-min=0"), -EINVAL);
	assert_string_equal(err, "option --port-min: value 0 out of range (1..65535)");
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--mbufs=1022"), -EINVAL);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--idle-sleep-us=0"), -EINVAL);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--idle-sleep-us=100001"), -EINVAL);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--timeout=0"), -EINVAL);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--port-max=4294967297"), -EINVAL);
	assert_string_equal(err, "option --port-max: value 4294967297 out of range (1..65535)");
}

static void
test_port_range(void **state)
{
	(void)state;
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-m", "40000", "-M", "30000"), -EINVAL);
	assert_string_equal(err, "--port-min 40000 is above --port-max 30000");
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-m", "30000", "-M", "30002"), -EINVAL);
	assert_string_equal(err, "--port-min 30000 to --port-max 30002 holds fewer than 4 ports");
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-m", "30000", "-M", "30003"), 0);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-m", "65532", "-M", "65535"), 0);
	/* checked against the other bound's default too */
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-m", "50000"), -EINVAL);
}

static void
test_enums(void **state)
{
	static const char *const learn[] = {"heuristic", "delayed", "immediate", "off"};
	static const char *const poll[] = {"auto", "busy", "adaptive"};
	char arg[64];
	unsigned i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(arg, sizeof(arg), "--endpoint-learning=%s", learn[i]);
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", arg), 0);
		assert_int_equal(cfg.endpoint_learning, i);
		assert_string_equal(cfg_learning_name(cfg.endpoint_learning), learn[i]);
	}
	for (i = 0; i < 3; i++) {
		snprintf(arg, sizeof(arg), "--poll-mode=%s", poll[i]);
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", arg), 0);
		assert_int_equal(cfg.poll_mode, i);
	}
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--endpoint-learning=IMMEDIATE"), 0);
	assert_int_equal(cfg.endpoint_learning, CFG_LEARN_IMMEDIATE);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--endpoint-learning=bogus"), -EINVAL);
	assert_string_equal(err, "option --endpoint-learning: invalid value 'bogus' (expected "
				 "heuristic, delayed, immediate or off)");
}

static void
test_no_interface(void **state)
{
	char *argv[] = {"sluice", NULL};

	(void)state;
	assert_int_equal(cfg_load(1, argv, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no --interface given");
	assert_int_equal(cfg_load(1, argv, &cfg, NULL, 0), -EINVAL);
}

static void
test_bools(void **state)
{
	static const struct {
		const char *v;
		bool b;
	} t[] = {{"true", true}, {"TRUE", true}, {"yes", true}, {"1", true}, {"false", false},
		{"No", false}, {"0", false}};
	char path[64], text[128];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "[sluice]\ninterface=192.0.2.1\nlog-stderr = %s\n",
			t[i].v);
		tmpconf(path, text);
		assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
		assert_int_equal(cfg.log_stderr, t[i].b);
		unlink(path);
	}
	/* the command line flag overrides "false" in the file */
	tmpconf(path, "[sluice]\ninterface=192.0.2.1\nforeground = false\n");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path, "-f"), 0);
	assert_true(cfg.foreground);
	unlink(path);
}

static void
test_log_level(void **state)
{
	(void)state;
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-L", "1"), 0);
	assert_int_equal(cfg.log_level, 3);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-L", "2"), 0);
	assert_int_equal(cfg.log_level, 3);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-L", "3"), 0);
	assert_int_equal(cfg.log_level, 3);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-L", "0"), -EINVAL);
	assert_string_equal(err, "option --log-level: value 0 out of range (1..7)");
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "-L", "8"), -EINVAL);
}

static void
test_cli_errors(void **state)
{
	static const struct {
		const char *arg, *msg;
	} t[] = {
		{"--bogus", "option --bogus: unknown or ambiguous option (EAL arguments go after "
			    "'--')"},
		{"--bogus=1", "option --bogus: unknown or ambiguous option (EAL arguments go "
			      "after '--')"},
		{"--no-fallback", "option --no-fallback: rtpengine option not supported by "
				  "sluice"},
		{"--foreground=yes", "option --foreground: takes no value"},
		{"--inter=192.0.2.2", "option --inter: unknown option (did you mean --interface?)"},
		{"--log-s", "option --log-s: unknown option (did you mean --log-stderr?)"},
		{"--port", "option --port: unknown or ambiguous option (EAL arguments go after "
			   "'--')"},
		{"--port-min", "option --port-min: missing value"},
		{"-m", "option --port-min: missing value"},
		{"-Z", "option -Z: unknown option (EAL arguments go after '--')"},
		{"-l", "option -l: unknown option (EAL arguments go after '--')"},
		{"stray", "unexpected argument 'stray' (EAL arguments go after '--')"},
		{"--config-section=", "option --config-section: empty section name"},
	};
	char longpath[PATH_MAX + 32];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", (char *)t[i].arg), -EINVAL);
		assert_string_equal(err, t[i].msg);
	}
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	memcpy(longpath, "--pidfile=", 10);
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", longpath), -EINVAL);
	assert_string_equal(err, "option --pidfile: value too long (max 4095 characters)");
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--config-section",
				 "0123456789012345678901234567890123456789"),
		-EINVAL);
}

static void
test_config_section_and_none(void **state)
{
	char path[64];

	(void)state;
	tmpconf(path, "[sluice]\ninterface = 192.0.2.1\nport-min = 31000\n"
		      "[test]\ninterface = 192.0.2.2\nport-min = 32000\n"
		      "[sluice]\nport-max = 31099\n");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	assert_int_equal(cfg.port_min, 31000);
	assert_int_equal(cfg.port_max, 31099);
	assert_string_equal(ip_str(&cfg.ifaces[0].addr), "192.0.2.1");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path, "--config-section", "test"), 0);
	assert_int_equal(cfg.port_min, 32000);
	assert_int_equal(cfg.port_max, 39999);
	assert_string_equal(cfg.config_section, "test");
	unlink(path);

	assert_int_equal(LOAD(&cfg, err, "--config-file=none", "-i", "192.0.2.1"), 0);
	assert_string_equal(cfg.config_file, "");

	tmpconf(path, "\xef\xbb\xbf[sluice]\ninterface = 192.0.2.1\n");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	unlink(path);
}

static void
test_listen_forms(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"2224", "0.0.0.0:2224"},
		{"127.0.0.1:2223", "127.0.0.1:2223"},
		{"[::1]:2223", "[::1]:2223"},
		{"[2001:db8::1]:65535", "[2001:db8::1]:65535"},
		{"0.0.0.0:1", "0.0.0.0:1"},
	};
	static const char *const bad[] = {"::1:2223", "localhost:2223", "192.0.2.1", "70000", "0",
		"127.0.0.1:", "[::1]", "2223x", ""};
	char arg[64];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(arg, sizeof(arg), "--listen-ng=%s", ok[i].in);
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", arg), 0);
		assert_int_equal(cfg.n_listen_ng, 1);
		assert_string_equal(ep_str(&cfg.listen_ng[0]), ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(arg, sizeof(arg), "--listen-ng=%s", bad[i]);
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", arg), -EINVAL);
		assert_non_null(strstr(err, "option --listen-ng: "));
	}
	assert_int_equal(
		LOAD(&cfg, err, "-i", "192.0.2.1", "-n", "2223", "-n", "0.0.0.0:2223"), -EINVAL);
	assert_string_equal(err, "option --listen-ng: address '0.0.0.0:2223' given twice");
}

static const char *
cidr_str(const struct sl_cidr *c)
{
	static char buf[4][SL_ADDRSTRLEN + 8];
	static unsigned i;
	char a[SL_ADDRSTRLEN];
	char *b = buf[i++ % 4];

	snprintf(b, SL_ADDRSTRLEN + 8, "%s/%u", sl_ip_fmt(&c->net, a, sizeof(a)), c->prefixlen);
	return b;
}

static void
test_ng_allow(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"198.18.0.0/15", "198.18.0.0/15"},
		{"198.18.1.2", "198.18.1.2/32"},
		{"198.18.1.2/32", "198.18.1.2/32"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"[2001:db8::]/32", "2001:db8::/32"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"::/0", "::/0"},
		{"::ffff:198.18.0.0/111", "::ffff:198.18.0.0/111"},
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{"", "empty value"},
		{"198.18.0.0/", "invalid network '198.18.0.0/'"},
		{"198.18.0.0/33", "invalid prefix length in '198.18.0.0/33' (0..32 for IPv4)"},
		{"2001:db8::/129", "invalid prefix length in '2001:db8::/129' (0..128 for IPv6)"},
		{"198.18.0.1/15",
			"'198.18.0.1/15' has host bits set (the network is 198.18.0.0/15)"},
		{"2001:db8::1/32",
			"'2001:db8::1/32' has host bits set (the network is 2001:db8::/32)"},
		{"198.18.0.0/-1", "invalid network"},
		{"198.18.0.0/1x", "invalid network"},
		{"198.18.0.0/ 8", "invalid network"},
		{"198.18/16", "invalid network"},
		{"localhost", "invalid network"},
		{"198.18.0.0/16/1", "invalid network"},
		{"198.18.0.0:2223", "invalid network"},
	};
	char arg[96], path[64], want[160];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(arg, sizeof(arg), "--ng-allow=%s", ok[i].in);
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", arg), 0);
		assert_int_equal(cfg.n_ng_allow, 1);
		assert_string_equal(cidr_str(&cfg.ng_allow[0]), ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(arg, sizeof(arg), "--ng-allow=%s", bad[i].in);
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", arg), -EINVAL);
		snprintf(want, sizeof(want), "option --ng-allow: %s", bad[i].why);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("--ng-allow=%s: got '%s', want '%s...'", bad[i].in, err, want);
	}
	/* repeatable, ';' lists, both families; duplicates are an error */
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--ng-allow", "198.18.0.0/24",
				 "--ng-allow=2001:db8::/48;198.18.5.5"),
		0);
	assert_int_equal(cfg.n_ng_allow, 3);
	assert_string_equal(cidr_str(&cfg.ng_allow[0]), "198.18.0.0/24");
	assert_string_equal(cidr_str(&cfg.ng_allow[1]), "2001:db8::/48");
	assert_string_equal(cidr_str(&cfg.ng_allow[2]), "198.18.5.5/32");
	assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", "--ng-allow=198.18.0.0/24",
				 "--ng-allow=198.18.0.0/24"),
		-EINVAL);
	assert_string_equal(err, "option --ng-allow: network '198.18.0.0/24' given twice");

	/* the config file, and the command line replacing the file's list */
	tmpconf(path, "[sluice]\ninterface = 192.0.2.1\n"
		      "ng-allow = 198.18.0.0/16\n"
		      "ng-allow = 2001:db8::/32;198.19.0.1\n");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	assert_int_equal(cfg.n_ng_allow, 3);
	assert_string_equal(cidr_str(&cfg.ng_allow[2]), "198.19.0.1/32");
	snprintf(arg, sizeof(arg), "--config-file=%s", path);
	assert_int_equal(LOAD(&cfg, err, arg, "--ng-allow=198.18.7.0/24"), 0);
	assert_int_equal(cfg.n_ng_allow, 1);
	assert_string_equal(cidr_str(&cfg.ng_allow[0]), "198.18.7.0/24");
	unlink(path);
	tmpconf(path, "[sluice]\ninterface = 192.0.2.1\nng-allow = 198.18.0.1/8\n");
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), -EINVAL);
	assert_non_null(strstr(err, "key 'ng-allow': '198.18.0.1/8' has host bits set"));
	unlink(path);

	/* at most CFG_MAX_NG_ALLOW */
	{
		char list[CFG_MAX_NG_ALLOW * 20 + 64];
		size_t n = (size_t)snprintf(list, sizeof(list), "--ng-allow=");

		for (i = 0; i <= CFG_MAX_NG_ALLOW; i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "198.18.%u.0/24;", i);
		assert_int_equal(LOAD(&cfg, err, "-i", "192.0.2.1", list), -EINVAL);
		assert_string_equal(err, "option --ng-allow: too many networks (max 32)");
	}
}

/* config/sluice.conf loads and shows every option of the table */
static void
test_example_file(void **state)
{
	static char text[16384], want[64];
	char path[] = SL_TEST_SRCDIR "/../config/sluice.conf";
	size_t n;
	unsigned i;
	FILE *f;

	(void)state;
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	for (i = 0; i < sizeof(all_opts) / sizeof(all_opts[0]); i++) {
		snprintf(want, sizeof(want), "\n# %s = ", all_opts[i].name);
		if (strstr(text, want) != NULL)
			continue;
		snprintf(want, sizeof(want), "\n%s = ", all_opts[i].name);
		if (strstr(text, want) != NULL)
			continue;
		snprintf(want, sizeof(want), "--%s", all_opts[i].name);
		if (strstr(text, want) == NULL)
			fail_msg("config/sluice.conf lacks %s", all_opts[i].name);
	}
	assert_int_equal(LOAD(&cfg, err, "--config-file", path), 0);
	assert_int_equal(cfg.n_ifaces, 3);
	assert_int_equal(cfg.n_gateways, 3);
	assert_string_equal(cfg.ifaces[2].name, "priv");
	assert_int_equal(cfg.ifaces[2].port_id, 1);
	assert_string_equal(cfg.config_file, path);
	cfg.config_file[0] = '\0'; /* everything else is commented out at its default */
	check_defaults(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_cli_long),
		cmocka_unit_test(test_cli_short),
		cmocka_unit_test(test_file_all),
		cmocka_unit_test(test_cli_overrides_file),
		cmocka_unit_test(test_list_replacement),
		cmocka_unit_test(test_semicolon_lists),
		cmocka_unit_test(test_interface_forms),
		cmocka_unit_test(test_interface_malformed),
		cmocka_unit_test(test_interface_limits),
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_rtpengine_keys),
		cmocka_unit_test(test_eal_split),
		cmocka_unit_test(test_getopt_left_fresh),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_strict_integers),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_no_interface),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_cli_errors),
		cmocka_unit_test(test_config_section_and_none),
		cmocka_unit_test(test_listen_forms),
		cmocka_unit_test(test_ng_allow),
		cmocka_unit_test(test_example_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
