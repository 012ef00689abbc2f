/* router_perm.c - cache of may_message answers (see router_perm.h). */
#include "router_perm.h"

#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "random.h"

typedef struct {
    int64_t sender;     /* 0: empty slot */
    int64_t recipient;  /* the other side of the pair */
    bool allowed;       /* pigeon-relationship's answer */
    int64_t expires_ms; /* monotonic time it stops being believed */
} s_entry_t;

struct router_perm {
    pthread_mutex_t lock;               /* guards everything below */
    int ttl_ms;                         /* 0: cache off */
    uint64_t gen;                       /* bumped by every invalidation */
    s_entry_t slots[ROUTER_PERM_SLOTS]; /* direct-mapped */
};

static size_t s_slot(int64_t a, int64_t b)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull ^ (uint64_t)b * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    return (size_t)(h % ROUTER_PERM_SLOTS);
}

router_perm_t *router_perm_new(int ttl_ms)
{
    router_perm_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->ttl_ms = ttl_ms;
    return p;
}

void router_perm_destroy(router_perm_t **pp)
{
    if (pp == NULL || *pp == NULL)
        return;
    pthread_mutex_destroy(&(*pp)->lock);
    free(*pp);
    *pp = NULL;
}

int router_perm_get(router_perm_t *p, int64_t sender, int64_t recipient, uint64_t *gen)
{
    int rc = -1;
    pthread_mutex_lock(&p->lock);
    *gen = p->gen;
    s_entry_t *e = &p->slots[s_slot(sender, recipient)];
    if (p->ttl_ms > 0 && e->sender == sender && e->recipient == recipient &&
        e->expires_ms > pc_mono_ms())
        rc = e->allowed ? 1 : 0;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void router_perm_put(router_perm_t *p, int64_t sender, int64_t recipient, bool allowed,
                     uint64_t gen)
{
    pthread_mutex_lock(&p->lock);
    if (p->ttl_ms > 0 && gen == p->gen) {
        s_entry_t *e = &p->slots[s_slot(sender, recipient)];
        *e = (s_entry_t){sender, recipient, allowed,
                         pc_mono_ms() + pc_random_lifetime_ms(p->ttl_ms)};
    }
    pthread_mutex_unlock(&p->lock);
}

void router_perm_invalidate(router_perm_t *p, int64_t a, int64_t b)
{
    pthread_mutex_lock(&p->lock);
    p->gen++;
    s_entry_t *e = &p->slots[s_slot(a, b)];
    if (e->sender == a && e->recipient == b)
        e->sender = 0;
    e = &p->slots[s_slot(b, a)];
    if (e->sender == b && e->recipient == a)
        e->sender = 0;
    pthread_mutex_unlock(&p->lock);
}
