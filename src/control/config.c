/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_common.h>

#include "common/log.h"
#include "control/config.h"

#ifndef SL_VERSION
#define SL_VERSION "0.1.0"
#endif

/*
 * Address used for a bare "--listen-ng=PORT". rtpengine binds such a port to
 * the wildcard address (endpoint_parse_any() leaves the address unspecified),
 * so "listen-ng = 2223" from an rtpengine config keeps working for a Kamailio
 * on another host. The ng protocol has no authentication: configure an
 * explicit address (the default is 127.0.0.1:2223) or firewall the port.
 */
#define CFG_LISTEN_BARE_IP "0.0.0.0"

/* in enum order (config.h); referenced by options.def */
static const char *const cfg_learning_names[] = {"heuristic", "delayed", "immediate", "off", NULL};
static const char *const cfg_poll_names[] = {"auto", "busy", "adaptive", NULL};
static const char *const cfg_rec_method_names[] = {"pcap", "proc", "all", NULL};
static const char *const cfg_rec_format_names[] = {"raw", "eth", NULL};
static const char *const cfg_out_format_names[] = {"wav", "mp3", "none", NULL};
static const char *const cfg_mix_names[] = {"direct", "channels", NULL};
static const char *const cfg_homer_proto_names[] = {"udp", "tcp", NULL};
static const char *const cfg_mos_names[] = {"CQ", "LQ", NULL};

/* see the kinds in options.def */
enum opt_kind {
	K_UINT,
	K_STR,
	K_BOOL,
	K_ENUM,
	K_IFACE,
	K_GATEWAY,
	K_LISTEN,
	K_CIDR,
	K_EARLY,
	K_HELP,
	K_VERSION
};

struct opt {
	const char *name;
	int sh;
	enum opt_kind kind;
	size_t off, size;
	unsigned long long lo, hi;
	const char *const *names;
	const char *arg, *def, *group, *help;
};

static const struct opt opts[] = {
#define SL_OPT(name, sh, kind, field, lo, hi, names, arg, def, group, help)                        \
	{name, sh, K_##kind, field, lo, hi, names, arg, def, group, help},
#include "control/options.def"
};

#define N_OPTS RTE_DIM(opts)
#define OPT_VAL_BASE 256 /* getopt_long val of opts[i] is OPT_VAL_BASE + i */

/*
 * Known rtpengine options that sluice does not implement. In a config file
 * they are skipped with a warning, so that an rtpengine config can be reused
 * with --config-section; on the command line they are an error. A trailing
 * '*' matches a prefix.
 */
/* clang-format off */
static const char *const rtpengine_only[] = {
	"table", "no-fallback", "save-interface-ports", "subscribe-keyspace", "listen-tcp",
	"listen-udp", "listen-tcp-ng", "listen-cli", "listen-http", "listen-https", "https-cert",
	"https-key", "http-threads", "graphite*", "tos", "control-tos", "control-pmtu", "redis*",
	"no-redis-required", "active-switchover", "b2b-url", "xmlrpc-format", "log-facility*",
	"log-format", "log-name", "log-mark-prefix", "log-mark-suffix", "log-srtp-keys",
	"log-level-*", "split-logs", "max-log-line-length", "no-log-timestamps", "dtmf-*",
	"num-threads", "media-num-threads", "codec-num-threads", "poller-size",
	"poller-per-thread", "thread-stack", "io-uring*", "sip-source", "dtls-*", "max-sessions",
	"max-load", "max-cpu", "max-bandwidth", "max-recv-iters", "homer-disable-rtcp-stats", "homer-ng-capture-proto", "record-egress",
	"record-egress", "iptables-chain", "nftables-*", "scheduling", "priority",
	"idle-scheduling", "idle-priority", "mysql-*", "jitter-buffer", "jb-clock-drift",
	"debug-srtp", "reject-invalid-sdp", "software-id", "dtx-*", "max-dtx", "amr-dtx",
	"silence-detect", "cn-payload", "reorder-codecs", "player-cache", "kernel-player*",
	"audio-buffer-*", "audio-player", "evs-lib-path", "mqtt-*", "measure-rtp",
	"rtcp-interval", "socket-cpu-affinity", "codecs",
};
/* clang-format on */

enum src { SRC_DEFAULT, SRC_FILE, SRC_CLI }; /* a later source wins */

struct loadctx {
	struct sl_config *cfg;
	uint8_t set_by[N_OPTS]; /* lists: the source that owns the current entries */
	bool help, version;
};

/* Format the error into @p err; @return -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Strict unsigned decimal: digits only, no sign, no blanks, no overflow. */
static int
parse_ull(const char *s, unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *const names[] = {"false", "true", "no", "yes", "0", "1"};
	unsigned i;

	for (i = 0; i < RTE_DIM(names); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = i & 1;
			return 0;
		}
	}
	return -EINVAL;
}

/* Store into a bool or a 4-byte unsigned, int or enum field (cfg_defaults checks). */
static void
store_uint(struct sl_config *cfg, const struct opt *o, unsigned long long v)
{
	uint32_t v32 = (uint32_t)v;
	bool b = v != 0;

	memcpy((char *)cfg + o->off, o->size == sizeof(b) ? (void *)&b : (void *)&v32, o->size);
}

static int
check_name(const char *name, char *err, size_t errlen)
{
	const char *p;

	if (*name == '\0')
		return fail(err, errlen, "empty interface name");
	if (strlen(name) >= CFG_NAME_LEN)
		return fail(err, errlen, "interface name '%s' too long (max %d characters)", name,
			CFG_NAME_LEN - 1);
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("_.:-", *p) == NULL)
			return fail(err, errlen, "invalid character '%c' in interface name '%s'",
				*p, name);
	}
	return 0;
}

static int
parse_addr(const char *what, const char *s, struct sl_ip *ip, char *err, size_t errlen)
{
	if (*s == '\0')
		return fail(err, errlen, "missing %s", what);
	if (sl_ip_parse(s, ip) < 0)
		return fail(err, errlen, "invalid %s '%s' (IP literal required)", what, s);
	if (sl_ip_is_any(ip))
		return fail(err, errlen, "%s '%s' is the unspecified address", what, s);
	return 0;
}

/* Split @p buf in place at '/'; @return the number of fields or -EINVAL. */
static int
split_fields(char *buf, char **f, unsigned maxf, char *err, size_t errlen)
{
	unsigned nf = 0;
	char *p;

	f[nf++] = buf;
	for (p = buf; (p = strchr(p, '/')) != NULL;) {
		*p++ = '\0';
		if (nf == maxf)
			return fail(err, errlen, "too many '/' fields");
		f[nf++] = p;
	}
	return (int)nf;
}

static int
parse_iface(char *buf, struct cfg_iface *out, char *err, size_t errlen)
{
	char *f[3], *at, *bang, *name = NULL, *addr, *prefix = NULL;
	unsigned maxpfx;
	unsigned long long v;
	struct sl_ip tmp;
	int nf;

	at = strchr(buf, '@');
	if (at != NULL)
		*at++ = '\0';
	bang = strchr(buf, '!');
	if (bang != NULL)
		*bang++ = '\0';
	if (at != NULL && (parse_ull(at, &v) < 0 || v > 1023))
		return fail(err, errlen, "invalid DPDK port id '%s' (0..1023)", at);
	out->port_id = at != NULL ? (uint16_t)v : 0;

	nf = split_fields(buf, f, RTE_DIM(f), err, errlen);
	if (nf < 0)
		return nf;
	addr = f[0];
	if (nf == 3) {
		name = f[0];
		addr = f[1];
		prefix = f[2];
	} else if (nf == 2 && sl_ip_parse(f[0], &tmp) == 0) {
		prefix = f[1]; /* ADDR/PREFIXLEN: the first field is an IP literal */
	} else if (nf == 2) {
		name = f[0]; /* NAME/ADDR */
		addr = f[1];
	}
	if (name != NULL && check_name(name, err, errlen) < 0)
		return -EINVAL;
	snprintf(out->name, sizeof(out->name), "%s", name != NULL ? name : "default");
	if (parse_addr("address", addr, &out->addr, err, errlen) < 0)
		return -EINVAL;

	maxpfx = out->addr.family == AF_INET ? 32 : 128;
	out->prefixlen = out->addr.family == AF_INET ? 24 : 64;
	if (prefix != NULL) {
		if (parse_ull(prefix, &v) < 0 || v < 1 || v > maxpfx)
			return fail(err, errlen, "invalid prefix length '%s' (1..%u for %s)",
				prefix, maxpfx, out->addr.family == AF_INET ? "IPv4" : "IPv6");
		out->prefixlen = (uint8_t)v;
	}
	out->adv = out->addr;
	if (bang != NULL) {
		if (parse_addr("advertised address", bang, &out->adv, err, errlen) < 0)
			return -EINVAL;
		if (out->adv.family != out->addr.family)
			return fail(err, errlen, "advertised address '%s' is not of ADDR's family",
				bang);
		out->has_adv = true;
	}
	return 0;
}

int
cfg_parse_interface(const char *val, struct cfg_iface *out, char *err, size_t errlen)
{
	char buf[256], why[192];

	memset(out, 0, sizeof(*out));
	if (strlen(val) >= sizeof(buf))
		return fail(err, errlen, "value too long");
	strcpy(buf, val);
	if (parse_iface(buf, out, why, sizeof(why)) < 0) {
		memset(out, 0, sizeof(*out));
		return fail(err, errlen, "%s in '%s'", why, val);
	}
	return 0;
}

static int
parse_gateway(const char *val, struct cfg_gateway *out, char *err, size_t errlen)
{
	char buf[256], why[192], *f[2];
	int nf;

	memset(out, 0, sizeof(*out));
	if (strlen(val) >= sizeof(buf))
		return fail(err, errlen, "value too long");
	strcpy(buf, val);
	nf = split_fields(buf, f, RTE_DIM(f), why, sizeof(why));
	if (nf == 2 && check_name(f[0], why, sizeof(why)) < 0)
		nf = -EINVAL;
	if (nf > 0 && parse_addr("address", f[nf - 1], &out->addr, why, sizeof(why)) < 0)
		nf = -EINVAL;
	if (nf < 0)
		return fail(err, errlen, "%s in '%s'", why, val);
	snprintf(out->name, sizeof(out->name), "%s", nf == 2 ? f[0] : "default");
	return 0;
}

static int
add_iface(struct sl_config *cfg, const char *val, char *err, size_t errlen)
{
	struct cfg_iface ifc;
	char a[SL_ADDRSTRLEN];
	unsigned i;

	if (cfg_parse_interface(val, &ifc, err, errlen) < 0)
		return -EINVAL;
	if (cfg->n_ifaces == CFG_MAX_ADDRS)
		return fail(err, errlen, "too many addresses (max %d)", CFG_MAX_ADDRS);
	for (i = 0; i < cfg->n_ifaces; i++) {
		if (sl_ip_eq(&cfg->ifaces[i].addr, &ifc.addr))
			return fail(err, errlen, "address %s given twice",
				sl_ip_fmt(&ifc.addr, a, sizeof(a)));
	}
	cfg->ifaces[cfg->n_ifaces++] = ifc;
	return 0;
}

static int
add_gateway(struct sl_config *cfg, const char *val, char *err, size_t errlen)
{
	struct cfg_gateway gw;

	if (parse_gateway(val, &gw, err, errlen) < 0)
		return -EINVAL;
	if (cfg->n_gateways == CFG_MAX_GATEWAYS)
		return fail(err, errlen, "too many gateways (max %d)", CFG_MAX_GATEWAYS);
	cfg->gateways[cfg->n_gateways++] = gw;
	return 0;
}

static int
add_listen(struct sl_config *cfg, const char *val, char *err, size_t errlen)
{
	struct sl_ip bare;
	struct sl_ep ep;
	unsigned i;

	sl_ip_parse(CFG_LISTEN_BARE_IP, &bare);
	if (sl_ep_parse(val, &bare, 0, &ep) < 0)
		return fail(err, errlen,
			"invalid address '%s' (expected [IP:]PORT, IPv6 as [ADDR]:PORT)", val);
	if (cfg->n_listen_ng == CFG_MAX_LISTEN)
		return fail(err, errlen, "too many addresses (max %d)", CFG_MAX_LISTEN);
	for (i = 0; i < cfg->n_listen_ng; i++) {
		if (sl_ep_eq(&cfg->listen_ng[i], &ep))
			return fail(err, errlen, "address '%s' given twice", val);
	}
	cfg->listen_ng[cfg->n_listen_ng++] = ep;
	return 0;
}

static int
add_allow(struct sl_config *cfg, const char *val, char *err, size_t errlen)
{
	char net[SL_ADDRSTRLEN];
	struct sl_cidr c;
	unsigned i;

	switch (sl_cidr_parse(val, &c)) {
	case 0:
		break;
	case -ERANGE:
		return fail(err, errlen, "invalid prefix length in '%s' (0..%u for %s)", val,
			c.net.family == AF_INET ? 32 : 128,
			c.net.family == AF_INET ? "IPv4" : "IPv6");
	case -EDOM:
		return fail(err, errlen, "'%s' has host bits set (the network is %s/%u)", val,
			sl_ip_fmt(&c.net, net, sizeof(net)), c.prefixlen);
	default:
		return fail(err, errlen,
			"invalid network '%s' (expected ADDR[/PREFIXLEN], e.g. 192.0.2.0/24 "
			"or 2001:db8::/32)",
			val);
	}
	if (cfg->n_ng_allow == CFG_MAX_NG_ALLOW)
		return fail(err, errlen, "too many networks (max %d)", CFG_MAX_NG_ALLOW);
	for (i = 0; i < cfg->n_ng_allow; i++) {
		if (sl_ip_eq(&cfg->ng_allow[i].net, &c.net) &&
			cfg->ng_allow[i].prefixlen == c.prefixlen)
			return fail(err, errlen, "network '%s' given twice", val);
	}
	cfg->ng_allow[cfg->n_ng_allow++] = c;
	return 0;
}

static int
set_enum(struct sl_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	size_t n;
	unsigned i;

	for (i = 0; o->names[i] != NULL; i++) {
		if (strcasecmp(val, o->names[i]) == 0) {
			store_uint(cfg, o, i);
			return 0;
		}
	}
	n = (size_t)snprintf(err, errlen, "invalid value '%s' (expected ", val);
	for (i = 0; o->names[i] != NULL && n < errlen; i++)
		n += (size_t)snprintf(err + n, errlen - n, "%s%s", o->names[i],
			o->names[i + 1] == NULL	  ? ")"
			: o->names[i + 2] == NULL ? " or "
						  : ", ");
	return -EINVAL;
}

/* Apply one value (one list item) of option @p o. */
static int
apply_item(struct loadctx *lc, const struct opt *o, const char *val, char *err, size_t errlen)
{
	struct sl_config *cfg = lc->cfg;
	unsigned long long v;
	bool b;

	switch (o->kind) {
	case K_UINT:
		if (parse_ull(val, &v) < 0)
			return fail(err, errlen, "invalid integer '%s'", val);
		if (v < o->lo || v > o->hi)
			return fail(err, errlen, "value %llu out of range (%llu..%llu)", v, o->lo,
				o->hi);
		store_uint(cfg, o, v);
		return 0;
	case K_BOOL:
		if (parse_bool(val, &b) < 0)
			return fail(err, errlen,
				"invalid boolean '%s' (expected true, false, yes, no, 1 or 0)",
				val);
		store_uint(cfg, o, b);
		return 0;
	case K_ENUM:
		return set_enum(cfg, o, val, err, errlen);
	case K_STR:
	case K_EARLY:
		if (strlen(val) >= o->size)
			return fail(
				err, errlen, "value too long (max %zu characters)", o->size - 1);
		memcpy((char *)cfg + o->off, val, strlen(val) + 1);
		return 0;
	case K_IFACE:
		return add_iface(cfg, val, err, errlen);
	case K_GATEWAY:
		return add_gateway(cfg, val, err, errlen);
	case K_LISTEN:
		return add_listen(cfg, val, err, errlen);
	case K_CIDR:
		return add_allow(cfg, val, err, errlen);
	case K_HELP:
		lc->help = true;
		return 0;
	case K_VERSION:
		lc->version = true;
		return 0;
	}
	return -EINVAL;
}

/*
 * Apply a value from @p src. A list value may hold several ';'-separated
 * items; the first item from a source replaces a weaker source's list.
 */
static int
apply_value(struct loadctx *lc, const struct opt *o, const char *val, enum src src, char *err,
	size_t errlen)
{
	unsigned idx = (unsigned)(o - opts), n = 0;
	char *copy, *item, *save = NULL;
	int ret = 0;

	if (o->kind != K_IFACE && o->kind != K_GATEWAY && o->kind != K_LISTEN && o->kind != K_CIDR)
		return apply_item(lc, o, val, err, errlen);
	if (lc->set_by[idx] < src) {
		lc->set_by[idx] = (uint8_t)src;
		if (o->kind == K_IFACE)
			lc->cfg->n_ifaces = 0;
		else if (o->kind == K_GATEWAY)
			lc->cfg->n_gateways = 0;
		else if (o->kind == K_LISTEN)
			lc->cfg->n_listen_ng = 0;
		else
			lc->cfg->n_ng_allow = 0;
	}
	copy = strdup(val);
	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (item = strtok_r(copy, ";", &save); item != NULL && ret == 0;
		item = strtok_r(NULL, ";", &save)) {
		item = trim(item);
		if (*item == '\0')
			continue; /* "a;b;" as GKeyFile writes lists */
		n++;
		ret = apply_item(lc, o, item, err, errlen);
	}
	free(copy);
	if (ret == 0 && n == 0)
		return fail(err, errlen, "empty value");
	return ret;
}

static const struct opt *
find_opt(const char *name)
{
	unsigned i;

	for (i = 0; i < N_OPTS; i++) {
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	}
	return NULL;
}

static bool
is_cli_only(const struct opt *o)
{
	return o->kind == K_EARLY || o->kind == K_HELP || o->kind == K_VERSION;
}

static bool
is_rtpengine_option(const char *name)
{
	unsigned i;

	for (i = 0; i < RTE_DIM(rtpengine_only); i++) {
		const char *k = rtpengine_only[i];
		size_t len = strlen(k);

		if (k[len - 1] == '*' ? strncmp(name, k, len - 1) == 0 : strcmp(name, k) == 0)
			return true;
	}
	return false;
}

/* One line of our section: "key = value". */
static int
file_line(struct loadctx *lc, char *s, char *err, size_t errlen)
{
	char *eq = strchr(s, '='), *key, *val, why[384];
	const struct opt *o;

	if (eq == NULL || eq == s)
		return fail(err, errlen, "expected 'key = value'");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	o = find_opt(key);
	if (o == NULL && is_rtpengine_option(key)) {
		fprintf(stderr, "config: ignoring rtpengine option '%s' (not used by sluice)\n",
			key);
		return 0;
	}
	if (o == NULL)
		return fail(err, errlen, "key '%s': unknown option", key);
	if (is_cli_only(o))
		return fail(err, errlen, "key '%s': only valid on the command line", key);
	if (apply_value(lc, o, val, SRC_FILE, why, sizeof(why)) < 0)
		return fail(err, errlen, "key '%s': %s", key, why);
	return 0;
}

static int
load_file(struct loadctx *lc, char *err, size_t errlen)
{
	const char *path = lc->cfg->config_file;
	const char *section = lc->cfg->config_section;
	bool any_section = false, in_section = false, seen = false;
	char *line = NULL, *s, *end, why[512];
	unsigned lineno = 0;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "config file %s: %s", path, strerror(-ret));
		return ret;
	}
	while (ret == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		s = line;
		if (lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3; /* UTF-8 byte order mark */
		s = trim(s);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		end = s + strlen(s) - 1;
		if (*s == '[' && *end == ']') {
			*end = '\0';
			any_section = true;
			in_section = strcmp(trim(s + 1), section) == 0;
			seen |= in_section;
		} else if (*s == '[') {
			ret = fail(why, sizeof(why), "malformed section header");
		} else if (!any_section) {
			ret = fail(why, sizeof(why), "line outside of any [section]");
		} else if (in_section) {
			ret = file_line(lc, s, why, sizeof(why));
		}
	}
	if (ret < 0)
		snprintf(err, errlen, "config file %s line %u: %s", path, lineno, why);
	else if (ferror(f))
		ret = fail(err, errlen, "config file %s: read error", path);
	else if (!seen)
		ret = fail(err, errlen, "config file %s: no [%s] section (see --config-section)",
			path, section);
	free(line);
	fclose(f);
	return ret;
}

static const struct opt *
opt_by_val(int c)
{
	unsigned i;

	if (c >= OPT_VAL_BASE && c < OPT_VAL_BASE + (int)N_OPTS)
		return &opts[c - OPT_VAL_BASE];
	for (i = 0; i < N_OPTS; i++) {
		if (c != 0 && opts[i].sh == c)
			return &opts[i];
	}
	return NULL;
}

static bool
takes_value(const struct opt *o)
{
	return o->kind != K_BOOL && o->kind != K_HELP && o->kind != K_VERSION;
}

/*
 * Leave glibc's getopt as a fresh process has it: rte_eal_init() sets
 * optind = 1, which does not re-initialise getopt, so it would inherit our
 * "+" (stop at the first non-option) ordering.
 */
static void
getopt_reset(void)
{
	static char prog[] = "sluice";
	char *argv[] = {prog, NULL};

	optind = 0;
	opterr = 0;
	(void)getopt(1, argv, "");
	optind = 1;
	opterr = 1;
}

/* The "--name" token of the long option just returned, up to any '='. */
static const char *
long_token(char **argv, char *name, size_t len)
{
	const char *tok = argv[optind - (optarg != NULL && optarg == argv[optind - 1] ? 2 : 1)];

	tok += strncmp(tok, "--", 2) == 0 ? 2 : 0;
	snprintf(name, len, "%.*s", (int)strcspn(tok, "="), tok);
	return name;
}

/* Describe why getopt_long() returned '?' or ':', or a long option abbreviation. */
static int
cli_error(int c, char **argv, char *err, size_t errlen)
{
	const struct opt *o = opt_by_val(optopt);
	char name[64];

	if (c >= OPT_VAL_BASE)
		return fail(err, errlen, "option --%s: unknown option (did you mean --%s?)",
			long_token(argv, name, sizeof(name)), opts[c - OPT_VAL_BASE].name);
	if (c == ':' && o != NULL)
		return fail(err, errlen, "option --%s: missing value", o->name);
	if (o != NULL && optopt >= OPT_VAL_BASE)
		return fail(err, errlen, "option --%s: takes no value", o->name);
	if (optopt != 0)
		return fail(err, errlen, "option -%c: unknown option (EAL arguments go after '--')",
			optopt);
	long_token(argv, name, sizeof(name));
	if (is_rtpengine_option(name))
		return fail(
			err, errlen, "option --%s: rtpengine option not supported by sluice", name);
	return fail(err, errlen,
		"option --%s: unknown or ambiguous option (EAL arguments go after '--')", name);
}

/*
 * One getopt_long() pass over our part of argv. The early pass applies the
 * command line only options (--config-file, --config-section, --help,
 * --version) and ignores errors; the second pass applies the others.
 */
static int
scan_cli(struct loadctx *lc, int argc, char **argv, bool early, char *err, size_t errlen)
{
	struct option lopts[N_OPTS + 1];
	char sopts[3 + 2 * N_OPTS], why[512];
	const struct opt *o;
	unsigned i, n = 0;
	int c, ret = 0;

	memset(lopts, 0, sizeof(lopts));
	sopts[n++] = '+'; /* stop at the first non-option, do not permute */
	sopts[n++] = ':'; /* report a missing value as ':' */
	for (i = 0; i < N_OPTS; i++) {
		lopts[i].name = opts[i].name;
		lopts[i].has_arg = takes_value(&opts[i]) ? required_argument : no_argument;
		lopts[i].val = OPT_VAL_BASE + (int)i;
		if (opts[i].sh != 0) {
			sopts[n++] = (char)opts[i].sh;
			if (takes_value(&opts[i]))
				sopts[n++] = ':';
		}
	}
	sopts[n] = '\0';

	optind = 0; /* glibc: full re-initialisation */
	opterr = 0;
	while (ret == 0 && (c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		o = opt_by_val(c);
		/* getopt_long() takes unique prefixes; the file and rtpengine do not */
		if (o == NULL || (c >= OPT_VAL_BASE &&
					 strcmp(long_token(argv, why, sizeof(why)), o->name) != 0))
			ret = early ? 0 : cli_error(c, argv, err, errlen);
		else if (early == is_cli_only(o) &&
			 apply_value(lc, o, optarg != NULL ? optarg : "true", SRC_CLI, why,
				 sizeof(why)) < 0)
			ret = fail(err, errlen, "option --%s: %s", o->name, why);
	}
	if (ret == 0 && !early && optind < argc)
		ret = fail(err, errlen, "unexpected argument '%s' (EAL arguments go after '--')",
			argv[optind]);
	getopt_reset();
	return ret;
}

#define FAMILY(ip) ((ip)->family == AF_INET ? "IPv4" : "IPv6")

static int
check_gateway(const struct sl_config *cfg, unsigned g, char *err, size_t errlen)
{
	const struct cfg_gateway *gw = &cfg->gateways[g];
	bool named = false, family = false;
	char a[SL_ADDRSTRLEN];
	unsigned i;

	sl_ip_fmt(&gw->addr, a, sizeof(a));
	for (i = 0; i < cfg->n_ifaces; i++) {
		if (strcmp(cfg->ifaces[i].name, gw->name) != 0)
			continue;
		named = true;
		family |= cfg->ifaces[i].addr.family == gw->addr.family;
		if (sl_ip_eq(&cfg->ifaces[i].addr, &gw->addr))
			return fail(err, errlen, "--gateway %s/%s: that is a local address",
				gw->name, a);
	}
	if (!named)
		return fail(err, errlen, "--gateway %s/%s: no --interface named '%s'", gw->name, a,
			gw->name);
	if (!family)
		return fail(err, errlen, "--gateway %s/%s: interface '%s' has no %s address",
			gw->name, a, gw->name, FAMILY(&gw->addr));
	for (i = 0; i < g; i++) {
		if (strcmp(cfg->gateways[i].name, gw->name) == 0 &&
			cfg->gateways[i].addr.family == gw->addr.family)
			return fail(err, errlen,
				"--gateway %s/%s: interface '%s' already has an %s "
				"gateway",
				gw->name, a, gw->name, FAMILY(&gw->addr));
	}
	return 0;
}

static int
validate(struct sl_config *cfg, char *err, size_t errlen)
{
	unsigned i;

	if (cfg->n_ifaces == 0)
		return fail(err, errlen, "no --interface given");
	if (cfg->port_min > cfg->port_max)
		return fail(err, errlen, "--port-min %u is above --port-max %u", cfg->port_min,
			cfg->port_max);
	if (cfg->port_max - cfg->port_min + 1 < 4)
		return fail(err, errlen, "--port-min %u to --port-max %u holds fewer than 4 ports",
			cfg->port_min, cfg->port_max);
	for (i = 0; i < cfg->n_gateways; i++) {
		if (check_gateway(cfg, i, err, errlen) < 0)
			return -EINVAL;
	}
	if (cfg->log_level < SL_LOG_ERR)
		cfg->log_level = SL_LOG_ERR; /* 1 and 2 (alert, crit) act as error */
	return 0;
}

void
cfg_defaults(struct sl_config *cfg)
{
	struct loadctx lc = {.cfg = cfg};
	char err[256];
	unsigned i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];

		if ((o->kind == K_UINT || o->kind == K_ENUM || o->kind == K_BOOL) &&
			o->size != (o->kind == K_BOOL ? sizeof(bool) : sizeof(uint32_t)))
			snprintf(err, sizeof(err), "field size %zu not supported", o->size);
		else if (o->def[0] == '\0' ||
			 apply_value(&lc, o, o->def, SRC_DEFAULT, err, sizeof(err)) == 0)
			continue;
		fprintf(stderr, "options.def: bad entry --%s: %s\n", o->name, err);
		abort();
	}
}

int
cfg_load(int argc, char **argv, struct sl_config *cfg, char *err, size_t errlen)
{
	struct loadctx lc = {.cfg = cfg};
	int ours = argc, i, ret;
	char dummy[8];

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	cfg_defaults(cfg);

	/* everything after the first bare "--" belongs to rte_eal_init() */
	for (i = 1; i < argc && ours == argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			ours = i;
	}
	cfg->eal_argc = ours < argc ? argc - ours - 1 : 0;
	cfg->eal_argv = argv + RTE_MIN(ours + 1, argc);

	ret = scan_cli(&lc, ours, argv, true, err, errlen);
	if (ret < 0)
		return ret;
	if (lc.help) {
		cfg_usage(stdout);
		return 1;
	}
	if (lc.version) {
		printf("sluice %s\n", SL_VERSION);
		return 1;
	}
	if (cfg->config_section[0] == '\0')
		return fail(err, errlen, "option --config-section: empty section name");
	if (strcmp(cfg->config_file, "none") == 0)
		cfg->config_file[0] = '\0';
	if (cfg->config_file[0] != '\0') {
		ret = load_file(&lc, err, errlen);
		if (ret < 0)
			return ret;
	}
	ret = scan_cli(&lc, ours, argv, false, err, errlen);
	if (ret < 0)
		return ret;
	return validate(cfg, err, errlen);
}

/* Print @p text indented by @p indent, wrapped at 79 columns. */
static void
wrap(FILE *f, const char *text, unsigned indent)
{
	unsigned col = 0;
	size_t wl;

	for (;;) {
		text += strspn(text, " ");
		wl = strcspn(text, " ");
		if (wl == 0)
			break;
		if (col > indent && col + 1 + wl > 79) {
			fputc('\n', f);
			col = 0;
		}
		col += (unsigned)fprintf(f, "%*s", col == 0 ? (int)indent : 1, "");
		col += (unsigned)fwrite(text, 1, wl, f);
		text += wl;
	}
	fputc('\n', f);
}

void
cfg_usage(FILE *f)
{
	const char *group = "";
	char arg[128], text[1024];
	unsigned i, j;
	size_t n;

	fprintf(f, "Usage: sluice [OPTIONS] -- [EAL ARGS]\n\n");
	wrap(f,
		"sluice is a DPDK media relay controlled with rtpengine's ng protocol; its "
		"options are named as rtpengine's. Everything after the first '--' is passed "
		"unchanged to DPDK's rte_eal_init(), e.g. sluice -i pub/192.0.2.10 -- -l 0-1 "
		"-a 0000:03:00.0",
		0);
	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];

		if (strcmp(group, o->group) != 0)
			fprintf(f, "\n%s:\n", o->group);
		group = o->group;
		n = 0;
		arg[0] = '\0';
		for (j = 0; o->kind == K_ENUM && o->names[j] != NULL && n < sizeof(arg); j++)
			n += (size_t)snprintf(
				arg + n, sizeof(arg) - n, "%s%s", j > 0 ? "|" : "", o->names[j]);
		if (o->arg != NULL)
			snprintf(arg, sizeof(arg), "%s", o->arg);
		if (o->sh != 0)
			fprintf(f, "  -%c, --%s", o->sh, o->name);
		else
			fprintf(f, "      --%s", o->name);
		fprintf(f, "%s%s\n", arg[0] != '\0' ? "=" : "", arg);

		n = (size_t)snprintf(text, sizeof(text), "%s", o->help);
		if (o->kind == K_UINT && n < sizeof(text))
			n += (size_t)snprintf(
				text + n, sizeof(text) - n, " Range %llu..%llu.", o->lo, o->hi);
		if (o->def[0] != '\0' && n < sizeof(text))
			snprintf(text + n, sizeof(text) - n, " Default: %s.", o->def);
		wrap(f, text, 10);
	}
}

const char *
cfg_learning_name(enum cfg_learning l)
{
	if ((unsigned)l >= RTE_DIM(cfg_learning_names) - 1)
		return "?";
	return cfg_learning_names[l];
}
