/* ld_scen.h - pigeon-load's options and scenarios. Each scenario sets up
 * what it needs, runs for a bounded time and returns its results as one
 * JSON object (the caller prints the table and the JSON line). */
#ifndef PIGEON_LD_SCEN_H
#define PIGEON_LD_SCEN_H

#include "ld_hist.h"
#include "ld_net.h"
#include "ld_users.h"

#include <jansson.h>

#define LD_METRICS_MAX 8

typedef struct {
    char host[64];                       /* gateway address (loopback) */
    int port;                            /* gateway port */
    const char *scenario;                /* pairs, group, connections, login, prepare */
    size_t users;                        /* simulated users */
    double rate;                         /* offered messages/s (0: closed loop) */
    double duration;                     /* seconds of load */
    double drain;                        /* seconds to wait for the last acks and pushes */
    size_t connections;                  /* connections: sockets to hold; login: concurrency */
    size_t window;                       /* closed loop: messages in flight per sender */
    size_t members;                      /* group: members (users 0..members-1) */
    size_t senders;                      /* group: members that send */
    const char *prefix;                  /* usernames: <prefix><i> */
    const char *users_file;              /* prepared users ("id name token" lines) */
    int pool;                            /* REST connections for set-up calls */
    bool json;                           /* print only the JSON line */
    const char *slow_log;                /* pairs/group: deliveries over LD_SLOW_MS go here */
    int gateway_pid;                     /* for RSS; 0: looked up */
    const char *metrics[LD_METRICS_MAX]; /* extra /metrics URLs (publishers) */
    int nmetrics;
} ld_opts_t;

/* --slow-log: a message whose slowest push took longer is listed. */
#define LD_SLOW_MS 10

int ld_scen_pairs(const ld_opts_t *o, ld_loop_t *loop, json_t *res);
int ld_scen_group(const ld_opts_t *o, ld_loop_t *loop, json_t *res);
int ld_scen_connections(const ld_opts_t *o, ld_loop_t *loop, json_t *res);
int ld_scen_login(const ld_opts_t *o, ld_loop_t *loop, json_t *res);
int ld_scen_prepare(const ld_opts_t *o, ld_loop_t *loop, json_t *res);

/* {"p50","p95","p99","max","mean","n"} of a histogram, in ms. */
json_t *ld_hist_json(const ld_hist_t *h);
/* Sum of every series of metric `name` over the gateway's /metrics and the
 * extra URLs; -1 when no endpoint had it. */
double ld_metric_sum(const ld_opts_t *o, ld_loop_t *loop, const char *name);

#endif
