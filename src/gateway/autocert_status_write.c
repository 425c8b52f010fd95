/* src/gateway/autocert_status_write.c: the manager's snapshot, formatted (gateway/autocert_status.h). Kept
 * apart from the formatter so that its unit test links without the manager. */
#include "gateway/autocert_status.h"

#include <stdlib.h>

int gw_autocert_status_write(struct gw_autocert *autocert, bool is_json, struct buf_writer *out, struct err *err)
{
        struct gw_autocert_status *list = NULL;
        size_t num = 0;
        TRY(gw_autocert_status_list(autocert, &list, &num, err));
        int status = gw_autocert_status_format(list, num, is_json, time(NULL), out, err);
        free(list);
        return status;
}
