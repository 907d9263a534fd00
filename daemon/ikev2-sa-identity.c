/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer's identity on its IKE SA, as text (ikev2-sa.h): allocated to its
 * length rather than a fixed SESSION_NAME_MAX buffer in every SA, since
 * most are a short e-mail address; never NULL, so that every log line and
 * view can print it as it is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2-sa.h"

char ikev2_no_identity[1];

int ikev2_sa_set_identity(struct ikev2_ike_sa *sa, const char *text)
{
    char *copy = strndup(text ? text : "", SESSION_NAME_MAX - 1);
    if (!copy)
        return -ENOMEM;
    ikev2_sa_clear_identity(sa);
    sa->identity = copy;
    return 0;
}

void ikev2_sa_clear_identity(struct ikev2_ike_sa *sa)
{
    if (sa->identity != ikev2_no_identity)
        free(sa->identity);
    sa->identity = ikev2_no_identity;
}
