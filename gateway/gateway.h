/* gateway.h - the pigeon-gateway process: wiring, run loop, graceful stop. */
#ifndef PIGEON_GW_GATEWAY_H
#define PIGEON_GW_GATEWAY_H

#include <stddef.h>

typedef struct gw_gateway gw_gateway_t;

/* Reads the configuration, starts the registry, the events thread and the
 * HTTP workers. SIGTERM/SIGINT must already be blocked in the calling
 * thread (threads inherit the mask) and czmq's handler disabled. NULL with
 * one line in err. */
gw_gateway_t *gw_gateway_new(char *err, size_t errlen);

/* Serves until SIGTERM/SIGINT arrives on sigfd (a signalfd); then stops
 * accepting, lets requests in flight finish within the grace period and
 * returns the exit code (0). */
int gw_gateway_run(gw_gateway_t *gw, int sigfd);

void gw_gateway_destroy(gw_gateway_t **gw);

#endif
