/* ws_jobs.c - the workers that run WebSocket `read` frames (and `send`
 * frames when the sends thread, ws_sends.c, is not there).
 *
 * The handlers block on RPC, so they never run on a loop thread. A loop
 * hands a socket's jobs over one at a time (the next one after the answer
 * came back), which keeps one socket's frames in order; different sockets
 * run in parallel on PIGEON_WS_WORKERS threads. Each worker has its own RPC
 * clients (backend.c, per thread). A finished job travels back to its loop
 * as the DONE message itself (gw_ws_job_done), so no allocation can fail on
 * the way back. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "log.h"
#include "status.h"
#include "ws_cmd.h"
#include "ws_internal.h"

static bool s_success(int status)
{
    return status >= 200 && status < 300;
}

/* Runs one job; returns the frame to send back (malloc'd) or NULL. */
static char *s_run_job(gw_ws_t *ws, gw_ws_msg_t *j)
{
    bool send = j->job_kind == GW_WS_CMD_SEND;
    const char *body = send ? "" : j->text + strlen(j->text) + 1;
    gw_request_t req = {
        .ctx = ws->ctx,
        .method = "POST",
        .path = send ? "/v1/messages" : j->text,
        .body = body,
        .body_len = strlen(body),
        .body_json = send ? j->json : NULL, /* parsed by the loop (ws_io.c) */
        .client_ip = "websocket",
        .trace_id = j->trace_id,
        .caller_id = j->user,
        .origin = j->tag,
    };
    memcpy(req.request_id, j->request_id, sizeof req.request_id);
    gw_reply_t out = {.status = PC_INTERNAL};
    if (send)
        gw_h_send_message(&req, &out); /* messages.c: which fields of req it reads */
    else
        gw_h_mark_read(&req, &out);
    return gw_ws_job_frame(j, &out);
}

char *gw_ws_job_frame(const gw_ws_msg_t *j, gw_reply_t *out)
{
    bool send = j->job_kind == GW_WS_CMD_SEND;
    char *frame = NULL;
    if (s_success(out->status)) {
        if (send) {
            frame = gw_ws_ack_frame(j->client_msg_id, out->body, out->body_len);
            if (!frame)
                frame = gw_ws_error_frame(j->client_msg_id, PC_INTERNAL, NULL, 0,
                                          "malformed answer of the message handler");
        }
    } else {
        frame = gw_ws_error_frame(send ? j->client_msg_id : NULL, out->status, out->body,
                                  out->body_len, "request failed");
    }
    gw_reply_clear(out);
    return frame;
}

void gw_ws_job_done(gw_ws_t *ws, gw_ws_msg_t *j, char *frame)
{
    /* The job message goes back to its loop as the DONE message: no
     * allocation on the way back, so the socket can never stay busy. */
    json_decref(j->json);
    j->json = NULL;
    free(j->text);
    free(j->client_msg_id);
    j->client_msg_id = NULL;
    j->kind = GW_WS_M_DONE;
    j->text = frame;
    j->text_len = frame ? strlen(frame) : 0;
    gw_ws_mbox_post(gw_ws_loop_mbox(ws->loops[j->loop]), j);
}

static void *s_worker(void *arg)
{
    gw_ws_t *ws = arg;
    for (;;) {
        pthread_mutex_lock(&ws->jobs_lock);
        while (!ws->jobs_head && !ws->jobs_quit)
            pthread_cond_wait(&ws->jobs_cond, &ws->jobs_lock);
        if (ws->jobs_quit) {
            pthread_mutex_unlock(&ws->jobs_lock);
            return NULL;
        }
        gw_ws_msg_t *j = ws->jobs_head;
        ws->jobs_head = j->next;
        if (!ws->jobs_head)
            ws->jobs_tail = NULL;
        pthread_mutex_unlock(&ws->jobs_lock);

        gw_ws_job_done(ws, j, s_run_job(ws, j));
    }
}

int gw_ws_jobs_start(gw_ws_t *ws, int nworkers)
{
    pthread_mutex_init(&ws->jobs_lock, NULL);
    pthread_cond_init(&ws->jobs_cond, NULL);
    ws->jobs_cond_ready = true;
    if (nworkers > (int)(sizeof ws->workers / sizeof ws->workers[0]))
        nworkers = (int)(sizeof ws->workers / sizeof ws->workers[0]);
    for (int i = 0; i < nworkers; i++) {
        if (pthread_create(&ws->workers[i], NULL, s_worker, ws) != 0)
            return -1;
        ws->nworkers++;
    }
    return 0;
}

void gw_ws_jobs_post(gw_ws_t *ws, gw_ws_msg_t *job)
{
    job->next = NULL;
    pthread_mutex_lock(&ws->jobs_lock);
    if (ws->jobs_tail)
        ws->jobs_tail->next = job;
    else
        ws->jobs_head = job;
    ws->jobs_tail = job;
    pthread_cond_signal(&ws->jobs_cond);
    pthread_mutex_unlock(&ws->jobs_lock);
}

void gw_ws_jobs_stop(gw_ws_t *ws)
{
    if (ws->jobs_quit && ws->nworkers == 0)
        return;
    pthread_mutex_lock(&ws->jobs_lock);
    ws->jobs_quit = true;
    pthread_cond_broadcast(&ws->jobs_cond);
    pthread_mutex_unlock(&ws->jobs_lock);
    for (int i = 0; i < ws->nworkers; i++)
        pthread_join(ws->workers[i], NULL);
    ws->nworkers = 0;
    while (ws->jobs_head) {
        gw_ws_msg_t *j = ws->jobs_head;
        ws->jobs_head = j->next;
        gw_ws_msg_free(j);
    }
    ws->jobs_tail = NULL;
}
