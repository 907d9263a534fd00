/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The detailed view of a CHILD SA (child-sa-describe.c), for the protocols'
 * session_ops.describe.
 */
#pragma once

#include <json-c/json.h>

#include "child-sa.h"

/* Appends to `list` an object describing c: selectors, SPIs, transform,
 * mode, encapsulation and, per direction, what the kernel reports (from
 * snap when given, else one netlink SA get each; "kernel_error" in place of
 * the numbers when it does not answer or the snapshot lacks the SA).
 * role: "current", "rekeyed" (the pair a rekey replaced, until it is
 * deleted). -ENOMEM. */
struct xfrm_snapshot;
int child_sa_describe(struct xfrm_handle *x, const struct xfrm_snapshot *snap, const struct child_sa *c,
                      const char *transform, const char *role, json_object *list);
