/* media_handlers.h - one function per pigeon-media method
 * (proto/media.proto says what each takes and answers). */
#ifndef PIGEON_MEDIA_HANDLERS_H
#define PIGEON_MEDIA_HANDLERS_H

#include "rpc_server.h"

int media_h_upload(pc_call_t *call);
int media_h_get(pc_call_t *call);
int media_h_read(pc_call_t *call);
int media_h_thumbnail(pc_call_t *call);
int media_h_check(pc_call_t *call);

#endif
