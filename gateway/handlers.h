/* handlers.h - one function per REST route (see routes.c). */
#ifndef PIGEON_GW_HANDLERS_H
#define PIGEON_GW_HANDLERS_H

#include "reply.h"
#include "request.h"

/* accounts.c */
void gw_h_register(gw_request_t *req, gw_reply_t *out);
void gw_h_login(gw_request_t *req, gw_reply_t *out);
void gw_h_logout(gw_request_t *req, gw_reply_t *out);
void gw_h_me(gw_request_t *req, gw_reply_t *out);
void gw_h_patch_me(gw_request_t *req, gw_reply_t *out);
void gw_h_get_user(gw_request_t *req, gw_reply_t *out);
void gw_h_users(gw_request_t *req, gw_reply_t *out);

/* contacts.c */
void gw_h_add_contact(gw_request_t *req, gw_reply_t *out);
void gw_h_list_contacts(gw_request_t *req, gw_reply_t *out);
void gw_h_remove_contact(gw_request_t *req, gw_reply_t *out);
void gw_h_list_requests(gw_request_t *req, gw_reply_t *out);
void gw_h_accept_request(gw_request_t *req, gw_reply_t *out);
void gw_h_decline_request(gw_request_t *req, gw_reply_t *out);
void gw_h_cancel_request(gw_request_t *req, gw_reply_t *out);
void gw_h_block(gw_request_t *req, gw_reply_t *out);
void gw_h_unblock(gw_request_t *req, gw_reply_t *out);
void gw_h_list_blocks(gw_request_t *req, gw_reply_t *out);

/* ops.c */
void gw_h_healthz(gw_request_t *req, gw_reply_t *out);
void gw_h_readyz(gw_request_t *req, gw_reply_t *out);
void gw_h_metrics(gw_request_t *req, gw_reply_t *out);

#endif
