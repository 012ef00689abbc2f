/* admin_http.h - the small HTTP port every service serves: /healthz, /readyz, /metrics.
 *
 * libmicrohttpd with its own internal thread; bound to PIGEON_BIND_ADDR. */
#ifndef PIGEON_ADMIN_HTTP_H
#define PIGEON_ADMIN_HTTP_H

#include <stdbool.h>

#include "metrics.h"

typedef struct pc_admin_http pc_admin_http_t;

/* ready() answers /readyz (NULL: always ready); it runs on the admin
 * server's own thread, so it must be thread-safe and quick. port 0 = any
 * free port; the chosen one goes to *bound_port. NULL when the address
 * cannot be resolved or bound (logged). */
pc_admin_http_t *pc_admin_http_new(const char *bind_addr, int port, pc_metrics_t *metrics,
                                   bool (*ready)(void *arg), void *arg, int *bound_port);
void pc_admin_http_destroy(pc_admin_http_t **admin);

#endif
