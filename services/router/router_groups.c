/* router_groups.c - cache of group rosters and objects (see router_groups.h). */
#include "router_groups.h"

#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "random.h"

struct router_groups {
    pthread_mutex_t lock;                          /* guards everything below */
    int ttl_ms;                                    /* how long an entry is believed */
    uint64_t gen;                                  /* bumped by every invalidation */
    int64_t seen;                                  /* newest change id seen */
    router_ginfo_t *slots[ROUTER_GROUPS_SLOTS];    /* direct-mapped by group id */
};

static size_t s_slot(int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)((h >> 17) % ROUTER_GROUPS_SLOTS);
}

/* Under the lock (or with the only reference). */
static void s_unref(router_ginfo_t *i)
{
    if (i == NULL || --i->refs > 0)
        return;
    if (i->roster)
        protobuf_c_message_free_unpacked(&i->roster->base, NULL);
    if (i->about)
        protobuf_c_message_free_unpacked(&i->about->base, NULL);
    free(i);
}

router_groups_t *router_groups_new(int ttl_ms)
{
    router_groups_t *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    g->ttl_ms = ttl_ms > 0 ? ttl_ms : 1;
    return g;
}

void router_groups_clear(router_groups_t *g)
{
    pthread_mutex_lock(&g->lock);
    g->gen++;
    for (size_t i = 0; i < ROUTER_GROUPS_SLOTS; i++) {
        s_unref(g->slots[i]);
        g->slots[i] = NULL;
    }
    pthread_mutex_unlock(&g->lock);
}

void router_groups_destroy(router_groups_t **gp)
{
    if (gp == NULL || *gp == NULL)
        return;
    router_groups_clear(*gp);
    pthread_mutex_destroy(&(*gp)->lock);
    free(*gp);
    *gp = NULL;
}

router_ginfo_t *router_groups_get(router_groups_t *g, int64_t group_id, uint64_t *gen)
{
    router_ginfo_t *out = NULL;
    pthread_mutex_lock(&g->lock);
    *gen = g->gen;
    router_ginfo_t *i = g->slots[s_slot(group_id)];
    if (i != NULL && i->group_id == group_id && i->expires_ms > pc_mono_ms()) {
        i->refs++;
        out = i;
    }
    pthread_mutex_unlock(&g->lock);
    return out;
}

/* router_ginfo_member binary-searches user_ids, which the proto promises
 * ascending; a roster out of order would hide members (owner listed first:
 * 403 to the owner), so it is put in order here, with roles and mute times
 * moved alongside when parallel (as grp.roster sends them). Insertion sort:
 * O(n) for the usual sorted roster, O(n^2) only for a misordered one
 * (n <= 2000). */
static void s_order_roster(Pigeon__Grp__Roster *r)
{
    size_t n = r->n_user_ids;
    bool roles = r->n_roles == n, muted = r->n_muted_until_us == n;
    for (size_t i = 1; i < n; i++) {
        int64_t id = r->user_ids[i];
        char *role = roles ? r->roles[i] : NULL;
        int64_t until = muted ? r->muted_until_us[i] : 0;
        size_t j = i;
        for (; j > 0 && r->user_ids[j - 1] > id; j--) {
            r->user_ids[j] = r->user_ids[j - 1];
            if (roles)
                r->roles[j] = r->roles[j - 1];
            if (muted)
                r->muted_until_us[j] = r->muted_until_us[j - 1];
        }
        if (j == i)
            continue;
        r->user_ids[j] = id;
        if (roles)
            r->roles[j] = role;
        if (muted)
            r->muted_until_us[j] = until;
    }
}

router_ginfo_t *router_groups_put(router_groups_t *g, Pigeon__Grp__Roster *roster,
                                  Pigeon__Grp__Membership *about, uint64_t gen)
{
    router_ginfo_t *i = calloc(1, sizeof *i);
    if (i == NULL) {
        protobuf_c_message_free_unpacked(&roster->base, NULL);
        protobuf_c_message_free_unpacked(&about->base, NULL);
        return NULL;
    }
    s_order_roster(roster);
    i->refs = 1;
    i->group_id = roster->group_id;
    i->roster = roster;
    i->about = about;
    i->expires_ms = pc_mono_ms() + pc_random_lifetime_ms(g->ttl_ms);
    pthread_mutex_lock(&g->lock);
    if (gen == g->gen) {
        size_t at = s_slot(i->group_id);
        s_unref(g->slots[at]);
        g->slots[at] = i;
        i->refs++;
    }
    pthread_mutex_unlock(&g->lock);
    return i;
}

void router_ginfo_release(router_groups_t *g, router_ginfo_t **ip)
{
    if (ip == NULL || *ip == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    s_unref(*ip);
    pthread_mutex_unlock(&g->lock);
    *ip = NULL;
}

void router_groups_invalidate(router_groups_t *g, int64_t group_id)
{
    pthread_mutex_lock(&g->lock);
    g->gen++;
    size_t at = s_slot(group_id);
    if (g->slots[at] != NULL && g->slots[at]->group_id == group_id) {
        s_unref(g->slots[at]);
        g->slots[at] = NULL;
    }
    pthread_mutex_unlock(&g->lock);
}

bool router_ginfo_member(const router_ginfo_t *i, int64_t user, const char **role,
                         int64_t *muted_until_us)
{
    const Pigeon__Grp__Roster *r = i->roster;
    size_t lo = 0, hi = r->n_user_ids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->user_ids[mid] == user) {
            *role = mid < r->n_roles ? r->roles[mid] : "member";
            *muted_until_us = mid < r->n_muted_until_us ? r->muted_until_us[mid] : 0;
            return true;
        }
        if (r->user_ids[mid] < user)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

int64_t router_groups_seen(router_groups_t *g)
{
    pthread_mutex_lock(&g->lock);
    int64_t v = g->seen;
    pthread_mutex_unlock(&g->lock);
    return v;
}

void router_groups_set_seen(router_groups_t *g, int64_t change_id)
{
    pthread_mutex_lock(&g->lock);
    if (change_id > g->seen)
        g->seen = change_id;
    pthread_mutex_unlock(&g->lock);
}
