/* pigeon-gateway: HTTP REST edge of Pigeon. See gateway.h. */
#include <czmq.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>

#include "gateway.h"

int main(void)
{
    /* Media bodies are MBs each (POST /v1/media): serve them from mmap so
     * that freeing one gives the memory back instead of leaving it in
     * glibc's per-thread heaps (whose mmap threshold would otherwise grow
     * past 10 MiB after the first free). */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    /* Setting the mmap threshold fixes the trim threshold at 128 KiB: the
     * loops' heaps then gave their top back (madvise, with a TLB shoot-down
     * on the other CPU) and grew it again (page faults) about every second
     * WebSocket flush under load. Up to 4 MiB free at the top of a heap is
     * kept; the large bodies above are mmap'd and unaffected. */
    mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
    /* Blocked before any thread starts, so every thread inherits the mask
     * and the signals are read only from the signalfd. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    zsys_handler_set(NULL); /* czmq's handler would make every socket call fail at once */

    int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sigfd < 0) {
        perror("pigeon-gateway: could not create signalfd");
        return 1;
    }
    char err[256] = "";
    gw_gateway_t *gw = gw_gateway_new(err, sizeof err);
    if (!gw) {
        fprintf(stderr, "pigeon-gateway: %s\n", err);
        return 1;
    }
    int rc = gw_gateway_run(gw, sigfd);
    gw_gateway_destroy(&gw);
    return rc;
}
