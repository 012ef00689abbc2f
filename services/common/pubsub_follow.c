/* pubsub_follow.c - a SUB socket's connections follow the registry (see pubsub_follow.h). */
#include "pubsub_follow.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct pc_sub_follow {
    pc_subscriber_t *sub;                   /* borrowed */
    pc_registry_t *registry;                /* borrowed */
    const char *const *services;            /* borrowed */
    size_t nservices;                       /* entries in services */
    const char *log_connected;              /* info prefix, or NULL */
    const char *log_disconnected;           /* info prefix, or NULL */
    uint64_t version;                       /* registry version at the last sync */
    bool synced;                            /* a sync has run */
    char endpoints[PC_SUB_FOLLOW_MAX][128]; /* connected publishers */
    size_t count;                           /* entries in endpoints */
    char ids[PC_SUB_FOLLOW_MAX][64];        /* live publishers' instances, last sync */
    size_t nids;                            /* entries in ids */
};

pc_sub_follow_t *pc_sub_follow_new(pc_subscriber_t *sub, pc_registry_t *reg,
                                   const char *const *services, size_t nservices)
{
    pc_sub_follow_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->sub = sub;
    f->registry = reg;
    f->services = services;
    f->nservices = nservices;
    return f;
}

void pc_sub_follow_destroy(pc_sub_follow_t **fp)
{
    if (fp == NULL || *fp == NULL)
        return;
    free(*fp);
    *fp = NULL;
}

void pc_sub_follow_set_log(pc_sub_follow_t *f, const char *connected, const char *disconnected)
{
    f->log_connected = connected;
    f->log_disconnected = disconnected;
}

static bool s_in(char (*list)[128], size_t n, const char *endpoint)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], endpoint) == 0)
            return true;
    return false;
}

/* Connections = live publishers. */
static void s_sync(pc_sub_follow_t *f)
{
    char want[PC_SUB_FOLLOW_MAX][128];
    size_t nwant = 0;
    for (size_t s = 0; s < f->nservices; s++) {
        pc_instance_t inst[PC_SUB_FOLLOW_MAX];
        size_t n = pc_registry_lookup(f->registry, f->services[s], inst, PC_SUB_FOLLOW_MAX);
        if (n > PC_SUB_FOLLOW_MAX)
            n = PC_SUB_FOLLOW_MAX;
        for (size_t i = 0; i < n && nwant < PC_SUB_FOLLOW_MAX; i++)
            if (inst[i].pub[0] && !s_in(want, nwant, inst[i].pub)) {
                snprintf(f->ids[nwant], sizeof f->ids[0], "%s", inst[i].instance);
                snprintf(want[nwant++], sizeof want[0], "%s", inst[i].pub);
            }
    }
    f->nids = nwant;
    for (size_t i = 0; i < f->count;) {
        if (s_in(want, nwant, f->endpoints[i])) {
            i++;
            continue;
        }
        pc_subscriber_disconnect(f->sub, f->endpoints[i]);
        if (f->log_disconnected)
            pc_info("%s %s", f->log_disconnected, f->endpoints[i]);
        f->count--;
        if (i != f->count)
            memcpy(f->endpoints[i], f->endpoints[f->count], sizeof f->endpoints[0]);
    }
    for (size_t i = 0; i < nwant; i++) {
        if (s_in(f->endpoints, f->count, want[i]))
            continue;
        if (pc_subscriber_connect(f->sub, want[i]) < 0) {
            pc_warn("could not connect to publisher %s", want[i]);
            continue;
        }
        if (f->log_connected)
            pc_info("%s %s", f->log_connected, want[i]);
        memcpy(f->endpoints[f->count++], want[i], sizeof want[0]);
    }
}

bool pc_sub_follow_update(pc_sub_follow_t *f)
{
    uint64_t v = pc_registry_version(f->registry);
    if (f->synced && v == f->version)
        return false;
    s_sync(f);
    f->version = v;
    f->synced = true;
    return true;
}

size_t pc_sub_follow_count(const pc_sub_follow_t *f)
{
    return f->count;
}

size_t pc_sub_follow_instances(const pc_sub_follow_t *f, char (*ids)[64], size_t max)
{
    size_t n = f->nids < max ? f->nids : max;
    if (n > 0)
        memcpy(ids, f->ids, n * sizeof f->ids[0]);
    return n;
}
