/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

/**
 * @file
 * Command line and config file. Option names follow rtpengine's. Everything
 * before "--" is ours, everything after it goes to rte_eal_init() verbatim.
 * Sources, later wins: built-in defaults, the [sluice] section of
 * --config-file, the command line. A list option (interface, gateway,
 * listen-ng, ng-allow) given on the command line replaces the file's list.
 * The option table lives in options.def (one X-macro, also used by --help).
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/addr.h"

#define CFG_MAX_ADDRS 32     /* local addresses over all logical interfaces */
#define CFG_MAX_GATEWAYS 16
#define CFG_MAX_LISTEN 8
#define CFG_MAX_NG_ALLOW 32
#define CFG_NAME_LEN 32

enum cfg_learning {
	CFG_LEARN_HEURISTIC = 0, /* rtpengine's code default */
	CFG_LEARN_DELAYED,
	CFG_LEARN_IMMEDIATE,
	CFG_LEARN_OFF,
};

enum cfg_poll_mode {
	CFG_POLL_AUTO = 0, /* busy on physical NICs, adaptive when every port is virtual */
	CFG_POLL_BUSY,
	CFG_POLL_ADAPTIVE,
};

/** One address of a logical interface: --interface=NAME/ADDR[/PREFIXLEN][!ADVERTISED][@PORT] */
struct cfg_iface {
	char name[CFG_NAME_LEN]; /* "default" when the option had no NAME/ */
	struct sl_ip addr;
	uint8_t prefixlen;       /* default 24 (IPv4) or 64 (IPv6) */
	bool has_adv;
	struct sl_ip adv;        /* what SDP shows; addr when !has_adv */
	uint16_t port_id;        /* DPDK port, default 0 */
};

/** --gateway=NAME/ADDR: next hop for off-link peers of that interface's family */
struct cfg_gateway {
	char name[CFG_NAME_LEN];
	struct sl_ip addr;
};

struct sl_config {
	struct cfg_iface ifaces[CFG_MAX_ADDRS];
	unsigned n_ifaces;
	struct cfg_gateway gateways[CFG_MAX_GATEWAYS];
	unsigned n_gateways;
	struct sl_ep listen_ng[CFG_MAX_LISTEN]; /* default 127.0.0.1:2223 */
	unsigned n_listen_ng;
	struct sl_cidr ng_allow[CFG_MAX_NG_ALLOW]; /* ng sources answered; none: any */
	unsigned n_ng_allow;

	unsigned port_min;       /* 30000 */
	unsigned port_max;       /* 39999, inclusive */
	unsigned timeout;        /* s, 60 */
	unsigned silent_timeout; /* s, 3600 */
	unsigned offer_timeout;  /* s, 3600 */
	unsigned final_timeout;  /* s, 0 = off */
	unsigned delete_delay;   /* s, 30 */
	enum cfg_learning endpoint_learning;

	char pidfile[PATH_MAX]; /* empty = none */
	bool foreground;
	int log_level;          /* syslog level 3..7, default 6 */
	bool log_stderr;
	char config_file[PATH_MAX];
	char config_section[CFG_NAME_LEN]; /* "sluice" */

	/* recording */
	char recording_dir[PATH_MAX]; /* empty: no recording */
	unsigned recording_method;    /* 0 pcap, 1 proc (built-in recorder), 2 all */
	unsigned recording_format;    /* 0 raw, 1 eth */
	char output_dir[PATH_MAX];
	char output_pattern[256];
	unsigned output_format;       /* 0 wav, 1 mp3, 2 none */
	unsigned mp3_bitrate;         /* bit/s */
	bool output_single, output_mixed;
	unsigned mix_method;          /* 0 direct, 1 channels */

	char listen_http[64];        /* "[IP:]PORT" for /metrics; empty: off */
	char homer[64];              /* HEP collector "IP:PORT"; empty: off */
	unsigned homer_protocol;     /* 0 udp, 1 tcp */
	unsigned homer_id;           /* capture id */
	bool homer_enable_ng;
	unsigned mos;                /* 0 CQ, 1 LQ */

	char dtls_cert[PATH_MAX];    /* PEM certificate; empty: generate one */
	char dtls_key[PATH_MAX];
	bool dtls_passive;

	enum cfg_poll_mode poll_mode;
	unsigned idle_sleep_us; /* adaptive mode: sleep this long after idle polls, default 100 */
	unsigned mbufs;         /* packet buffers per NUMA socket, default 8191 */

	int eal_argc;           /* arguments after "--" (argv[0] added by the caller) */
	char **eal_argv;        /* points into the caller's argv */
};

/**
 * Fill @p cfg from the defaults, the config file and the command line.
 * Handles --help and --version by printing to stdout and returning 1.
 * @param err  one line naming the bad option/key and why (no newline)
 * @return 0 ok, 1 done (help/version printed), -EINVAL bad option or
 *         value, -ENOENT config file missing.
 */
int cfg_load(int argc, char **argv, struct sl_config *cfg, char *err, size_t errlen);

/** Set the built-in defaults (cfg_load starts with this). */
void cfg_defaults(struct sl_config *cfg);

/**
 * Parse one --interface value into @p out.
 * @return 0 or -EINVAL (err explains).
 */
int cfg_parse_interface(const char *val, struct cfg_iface *out, char *err, size_t errlen);

/** Print --help (every option with its default and meaning). */
void cfg_usage(FILE *f);

/** @return "heuristic", "delayed", "immediate" or "off". */
const char *cfg_learning_name(enum cfg_learning l);

#endif /* SL_CONFIG_H */
