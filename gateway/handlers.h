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

/* messages.c. gw_h_send_message and gw_h_mark_read also serve the WebSocket
 * "send" and "read" frames: messages.c says which request fields they read. */
void gw_h_send_message(gw_request_t *req, gw_reply_t *out);
void gw_h_list_conversations(gw_request_t *req, gw_reply_t *out);
void gw_h_history(gw_request_t *req, gw_reply_t *out);
void gw_h_mark_read(gw_request_t *req, gw_reply_t *out);
void gw_h_recall(gw_request_t *req, gw_reply_t *out);

/* groups.c */
void gw_h_create_group(gw_request_t *req, gw_reply_t *out);
void gw_h_get_group(gw_request_t *req, gw_reply_t *out);
void gw_h_patch_group(gw_request_t *req, gw_reply_t *out);
void gw_h_dismiss_group(gw_request_t *req, gw_reply_t *out);
void gw_h_search_groups(gw_request_t *req, gw_reply_t *out);
void gw_h_my_groups(gw_request_t *req, gw_reply_t *out);
void gw_h_group_members(gw_request_t *req, gw_reply_t *out);
void gw_h_add_members(gw_request_t *req, gw_reply_t *out);
void gw_h_set_member(gw_request_t *req, gw_reply_t *out);
void gw_h_remove_member(gw_request_t *req, gw_reply_t *out);
void gw_h_transfer_group(gw_request_t *req, gw_reply_t *out);
void gw_h_join_group(gw_request_t *req, gw_reply_t *out);
void gw_h_join_requests(gw_request_t *req, gw_reply_t *out);
void gw_h_approve_join(gw_request_t *req, gw_reply_t *out);
void gw_h_reject_join(gw_request_t *req, gw_reply_t *out);

/* ws.c: POST /v1/ws/ticket (GET /v1/ws is upgraded in http.c) */
void gw_h_ws_ticket(gw_request_t *req, gw_reply_t *out);

/* media.c: API.md "Media" (pigeon-media; access through pigeon-router and pigeon-auth) */
void gw_h_upload_media(gw_request_t *req, gw_reply_t *out);
void gw_h_get_media(gw_request_t *req, gw_reply_t *out);
void gw_h_media_thumbnail(gw_request_t *req, gw_reply_t *out);

/* ops.c */
void gw_h_healthz(gw_request_t *req, gw_reply_t *out);
void gw_h_readyz(gw_request_t *req, gw_reply_t *out);
void gw_h_metrics(gw_request_t *req, gw_reply_t *out);

#endif
