/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_NG_H
#define SL_NG_H

/**
 * @file
 * The ng control protocol (rtpengine-compat.md 1): UDP sockets, cookie
 * framing, bencode/JSON documents, the duplicate-cookie cache and the
 * command dispatch. Control thread only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/arena.h"
#include "control/ng_tree.h"

struct sl_config;

#define NG_MAX_DGRAM 65535

/** What a command handler works with. */
struct ng_ctx {
	struct sl_arena *arena;     /* freed after the reply is sent */
	const struct ng_val *req;   /* request dictionary */
	struct ng_val *reply;       /* reply dictionary ("result" is appended last) */
	struct sl_ep src;           /* where the request came from */
	uint64_t now_mono;          /* s */
	uint64_t now_real_us;
	const char *error;          /* set: reply is result=error, error-reason=error */
	const char *warning;        /* set: reply gets a warning key */
	const char *result;         /* overrides "ok" (ping: "pong") */
};

/* ng commands: X(name string, handler) -- one source of truth */
#define NG_COMMANDS(X)                                                                            \
	X("ping", ping)                                                                            \
	X("offer", offer)                                                                          \
	X("answer", answer)                                                                        \
	X("delete", delete)                                                                        \
	X("query", query)                                                                          \
	X("list", list)                                                                            \
	X("statistics", statistics)                                                                \
	X("start recording", start_recording)                                                      \
	X("stop recording", stop_recording)                                                        \
	X("pause recording", pause_recording)

#define NG_CMD_ENUM(str, name) NG_CMD_##name,
enum ng_cmd {
	NG_COMMANDS(NG_CMD_ENUM) NG_CMD_COUNT
};
#undef NG_CMD_ENUM

/* handlers (ng_cmds.c) */
#define NG_CMD_DECL(str, name) void ng_cmd_##name(struct ng_ctx *ctx);
NG_COMMANDS(NG_CMD_DECL)
#undef NG_CMD_DECL

/** Per-command counters for `statistics` */
struct ng_counters {
	uint64_t requests[NG_CMD_COUNT];
	uint64_t errors[NG_CMD_COUNT];
	uint64_t duplicates;   /* answered from the cookie cache */
	uint64_t malformed;    /* no cookie, bad document, no command */
	uint64_t denied;       /* dropped unanswered: source not in --ng-allow */
	uint64_t total_us[NG_CMD_COUNT]; /* processing time */
};
extern struct ng_counters ng_counters;

/** Bind every --listen-ng socket. @return 0 or -errno (err explains). */
int ng_init(const struct sl_config *cfg, char *err, size_t errlen);
void ng_fini(void);

/** Sockets to poll (for the control loop). */
unsigned ng_fds(int *fds, unsigned max);

/** Read and answer up to a bounded number of datagrams waiting on @p fd. */
void ng_handle_fd(int fd);

/**
 * Process one datagram (cookie SP document) from @p src and write the reply
 * datagram. A source outside a non-empty --ng-allow list gets no reply and
 * counts in ng_counters.denied. Exposed for unit tests.
 * @return reply length, or 0 when nothing must be sent back.
 */
size_t ng_process(const char *buf, size_t len, const struct sl_ep *src, char *out, size_t cap);

/** Rotate the cookie cache; call once a second. */
void ng_tick(uint64_t now_mono);

/** Name of a command (for statistics). */
const char *ng_cmd_name(enum ng_cmd cmd);

#endif /* SL_NG_H */
