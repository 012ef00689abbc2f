/* contacts_map.c - contacts JSON <-> protobuf. */
#include "contacts_map.h"

#include <stdio.h>
#include <string.h>

#include "account_map.h"
#include "api_json.h"
#include "fields.h"

int gw_map_add_contact(json_t *body, Pigeon__Rel__AddRequest *out, char *err, size_t errlen)
{
    pigeon__rel__add_request__init(out);
    if (gw_field_id(body, "user_id", &out->user_id, err, errlen) < 0 ||
        gw_field_string(body, "mode", &out->mode, err, errlen) < 0)
        return -1;
    /* The mode is the shape of the call, not a value to judge: a typo gets
     * the same 400 here as a wrong type. */
    if (strcmp(out->mode, "one_way") != 0 && strcmp(out->mode, "two_way") != 0) {
        snprintf(err, errlen, "field \"mode\" must be \"one_way\" or \"two_way\"");
        return -1;
    }
    if (gw_field_string_opt(body, "message", &out->message, err, errlen) < 0 ||
        gw_field_string_opt(body, "remark", &out->remark, err, errlen) < 0)
        return -1;
    return 0;
}

int gw_map_block(json_t *body, Pigeon__Rel__UserIdRequest *out, char *err, size_t errlen)
{
    pigeon__rel__user_id_request__init(out);
    return gw_field_id(body, "user_id", &out->user_id, err, errlen);
}

json_t *gw_add_reply_json(const Pigeon__Rel__AddReply *r)
{
    if (r->contact)
        return json_pack("{s:o}", "contact", pc_api_contact(r->contact));
    if (r->request)
        return json_pack("{s:o}", "request", pc_api_friend_request(r->request));
    return NULL; /* neither: a malformed reply, answered 500 */
}

json_t *gw_contact_list_json(const Pigeon__Rel__ContactList *l)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < l->n_contacts; i++)
        if (json_array_append_new(arr, pc_api_contact(l->contacts[i])) < 0)
            goto fail;
    return json_pack("{s:o}", "contacts", arr); /* takes arr, even on failure */
fail:
    json_decref(arr);
    return NULL;
}

json_t *gw_request_list_json(const Pigeon__Rel__FriendRequestList *l)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < l->n_requests; i++)
        if (json_array_append_new(arr, pc_api_friend_request(l->requests[i])) < 0)
            goto fail;
    return json_pack("{s:o}", "requests", arr); /* takes arr, even on failure */
fail:
    json_decref(arr);
    return NULL;
}

json_t *gw_block_list_json(const Pigeon__Rel__BlockList *l)
{
    json_t *users = gw_users_json(l->users, l->n_users);
    return users ? json_pack("{s:o}", "users", users) : NULL;
}
