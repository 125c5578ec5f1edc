/* sipgw - the one error convention of the tree.
 *
 * A function returns 0 on success or a negative errno (-ENOMEM, -EINVAL,
 * -EBUSY...), never a positive code and never a bare -1. When a failure
 * also has a protocol meaning the caller passes on — the Q.850 cause a call
 * is refused or cleared with, the SIP status a request is answered with —
 * that value travels beside the errno in a named out-parameter (`int
 * *causep`, `int *statusp`), written with the CAUSE_* (bridge/cause.h) or
 * PRI_CAUSE_* names, not bare numbers. So a caller that only cares whether
 * it worked tests `if (rc)`, and one that maps the failure reads the cause.
 * Counts and lengths are returned as unsigned or size_t and say so.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_ERR_H
#define SIPGW_CORE_ERR_H

/** Fail with err (a negative errno) and the protocol value beside it. */
static inline int err_with(int err, int *valp, int val)
{
	*valp = val;
	return err;
}

#endif
