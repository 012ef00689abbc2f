/* ld_users.h - the simulated users: register (or log in) a set, make them
 * contacts, open their WebSockets and wait for `ready`. A set can be saved
 * to a file and reused, since Argon2id makes registering slow on purpose. */
#ifndef PIGEON_LD_USERS_H
#define PIGEON_LD_USERS_H

#include <jansson.h>

#include "ld_net.h"

#include <stdint.h>

#define LD_PASSWORD "pigeon-load-password" /* every simulated user's */

typedef struct {
    int64_t id;      /* Pigeon user id */
    char name[48];   /* username */
    char token[128]; /* bearer token */
} ld_user_t;

typedef struct {
    ld_user_t *u; /* users */
    size_t n;     /* how many */
} ld_users_t;

/* n users named <prefix><i>: read from file when it holds them all, else
 * registered (or logged in, if the name is taken) and written to file.
 * -1 with err set when fewer than n could be had. */
int ld_users_prepare(ld_loop_t *loop, const char *prefix, size_t n, const char *file, int pool,
                     ld_users_t *out, char *err, size_t errlen);
void ld_users_free(ld_users_t *us);

/* Users 2k and 2k+1 become friends (two_way request + accept; one already
 * made counts). Returns the pairs that failed. */
size_t ld_users_pair(ld_loop_t *loop, const ld_users_t *us, size_t n, int pool);
/* User 0 adds users 1..m-1 one_way (so it may put them in a group). */
size_t ld_users_star(ld_loop_t *loop, const ld_users_t *us, size_t m, int pool);

/* Live WebSockets: socket k belongs to user k % users. */
typedef struct {
    ld_conn_t **conn; /* per socket */
    bool *ready;      /* `ready` seen */
    size_t n;         /* sockets */
    size_t n_ready;   /* sockets that saw `ready` */
    size_t n_closed;  /* sockets that closed or failed */
    ld_ws_fn *cb;     /* the scenario's handler of every other frame */
    void *arg;
} ld_socks_t;

/* Opens n sockets (at most `burst` upgrades in flight) and waits up to
 * timeout_s for every `ready`. Returns the sockets that are ready. */
size_t ld_socks_open(ld_loop_t *loop, const ld_users_t *us, size_t n, size_t burst,
                     double timeout_s, ld_ws_fn *cb, void *arg, ld_socks_t *out);
/* The sockets without `ready`, counted by where they stopped (for a run
 * whose sockets did not all become ready): {"connecting": n, "upgrading":
 * n, "open": n (101 received, no `ready`), "closed": n, ...}; stages with
 * none are left out. */
json_t *ld_socks_not_ready(const ld_socks_t *s);
void ld_socks_close(ld_socks_t *s);

#endif
