/* sipgw - transfers through routing's door (route_transfer.c), and what they
 * use of route.c. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_ROUTE_ROUTE_TRANSFER_H
#define SIPGW_ROUTE_ROUTE_TRANSFER_H

#include "route/route.h"

struct xfer_watch;
struct su_root_s;

/** sip_refer_h: the far end of transferor asks that its peer be connected to
 * xi's target (blind: a new leg, routed as if the transferor had dialled the
 * number, with its rights: the toll-fraud door of route_incoming_sip) or to
 * the far party of the call xi->replaces is in (attended). 0 under way (or
 * joined); at the door, -EACCES when credentials are due (a registrar can
 * challenge, or they were bad: xi->auth_status) or -EPERM (cause 21); else
 * -errno with the cause. */
int route_transfer(void *arg, struct leg *transferor, const struct leg_transfer *xi, int *causep);

/** An INVITE with Replaces past the door: it takes si->replaces's place. 0,
 * or -EBUSY with *causep (that call is not answered, or in a transfer). */
int route_replace(struct route *r, struct leg *a, const struct leg_setup_info *si, int *causep);

/** Either call of a transfer handed to the switch has ended: the watch on
 * them goes (route_call_ended). */
void route_xfer_watch_end(struct xfer_watch *xw, struct call *c);

/* route.c */
struct su_root_s *route_root(const struct route *r);
/** Where the call's transfer watch is kept (NULL: routing has no data for it). */
struct xfer_watch **route_call_xfer_watch(struct call *c);
const struct gw_config *route_config(const struct route *r);
int route_factory_alloc(struct route *r, enum route_leg_kind kind, struct leg **legp,
			const struct route_target *t);
/** A registrar is there to authenticate against (digest challenges can be sent). */
int route_has_registrar(const struct route *r);
int route_user_contacts(struct route *r, const char *user, char uris[][ROUTE_URI_LEN], int max);

#endif
