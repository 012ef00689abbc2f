/* ws_mbox.c - mailboxes between the WebSocket threads. */
#include "ws_mbox.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ws_frame.h"

gw_ws_blob_t *gw_ws_blob_new(uint8_t opcode, const void *payload, size_t len)
{
    gw_ws_blob_t *b = malloc(sizeof *b + len + 10);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    size_t h = ws_frame_header(b->data, opcode, len);
    if (len)
        memcpy(b->data + h, payload, len);
    b->len = h + len;
    return b;
}

void gw_ws_blob_unref(gw_ws_blob_t *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

gw_ws_msg_t *gw_ws_msg_new(gw_ws_msg_kind_t kind)
{
    gw_ws_msg_t *m = calloc(1, sizeof *m);
    if (m) {
        m->kind = kind;
        m->fd = -1;
    }
    return m;
}

void gw_ws_msg_free(gw_ws_msg_t *m)
{
    if (!m)
        return;
    gw_ws_blob_unref(m->blob);
    json_decref(m->json);
    free(m->text);
    free(m->client_msg_id);
    free(m);
}

int gw_ws_mbox_init(gw_ws_mbox_t *mb)
{
    memset(mb, 0, sizeof *mb);
    mb->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (mb->efd < 0)
        return -1;
    pthread_mutex_init(&mb->lock, NULL);
    return 0;
}

void gw_ws_mbox_clear(gw_ws_mbox_t *mb)
{
    if (mb->efd < 0)
        return;
    gw_ws_msg_t *m = gw_ws_mbox_take(mb);
    while (m) {
        gw_ws_msg_t *next = m->next;
        gw_ws_msg_free(m);
        m = next;
    }
    close(mb->efd);
    mb->efd = -1;
    pthread_mutex_destroy(&mb->lock);
}

/* Appends the chain head..tail; wakes the owner when the list was empty. */
static void s_post_chain(gw_ws_mbox_t *mb, gw_ws_msg_t *head, gw_ws_msg_t *tail)
{
    tail->next = NULL;
    pthread_mutex_lock(&mb->lock);
    int was_empty = mb->head == NULL;
    if (mb->tail)
        mb->tail->next = head;
    else
        mb->head = head;
    mb->tail = tail;
    pthread_mutex_unlock(&mb->lock);
    if (was_empty) {
        uint64_t one = 1;
        ssize_t n = write(mb->efd, &one, sizeof one);
        (void)n; /* a full counter is still readable: nothing is lost */
    }
}

void gw_ws_mbox_post(gw_ws_mbox_t *mb, gw_ws_msg_t *m)
{
    s_post_chain(mb, m, m);
}

void gw_ws_batch_add(gw_ws_batch_t *b, gw_ws_msg_t *m)
{
    m->next = NULL;
    if (b->tail)
        b->tail->next = m;
    else
        b->head = m;
    b->tail = m;
    b->n++;
}

void gw_ws_batch_post(gw_ws_batch_t *b, gw_ws_mbox_t *mb)
{
    if (b->head)
        s_post_chain(mb, b->head, b->tail);
    b->head = b->tail = NULL;
    b->n = 0;
}

void gw_ws_batch_clear(gw_ws_batch_t *b)
{
    gw_ws_msg_t *m = b->head;
    while (m) {
        gw_ws_msg_t *next = m->next;
        gw_ws_msg_free(m);
        m = next;
    }
    b->head = b->tail = NULL;
    b->n = 0;
}

gw_ws_msg_t *gw_ws_mbox_take(gw_ws_mbox_t *mb)
{
    uint64_t v;
    ssize_t n = read(mb->efd, &v, sizeof v); /* reset before taking: a later post re-arms */
    (void)n;
    pthread_mutex_lock(&mb->lock);
    gw_ws_msg_t *all = mb->head;
    mb->head = mb->tail = NULL;
    pthread_mutex_unlock(&mb->lock);
    return all;
}
