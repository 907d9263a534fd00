/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The array of an IKEv1 session's pairs of IPsec SAs grows as Quick Modes
 * add them (daemon/ikev1-child.c, ikev1_children_reserve): room for one
 * more each time, the children already there unchanged, new slots zeroed,
 * never beyond IKEV1_CHILDREN_MAX.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"
#include "testing.h"

static void test_reserve_grows_to_the_maximum(void)
{
    struct ikev1_isakmp_sa *sa = calloc(1, sizeof(*sa));
    CHECK(sa != NULL);
    CHECK(sa->children == NULL);
    for (size_t i = 0; i < IKEV1_CHILDREN_MAX; i++) {
        CHECK_INT_EQ(ikev1_children_reserve(sa), 0);
        CHECK(sa->children_cap > sa->n_children && sa->children_cap <= IKEV1_CHILDREN_MAX);
        struct ikev1_child *ch = &sa->children[sa->n_children++];
        CHECK_INT_EQ(ch->sa.reqid, 0);          /* a fresh slot */
        CHECK(!ch->has_old);
        ch->sa.reqid = (uint32_t)(100 + i);
        ch->sa.spi_in = (uint32_t)(0xc0de0000 + i);
    }
    for (size_t i = 0; i < IKEV1_CHILDREN_MAX; i++) {
        CHECK_INT_EQ(sa->children[i].sa.reqid, 100 + i);
        CHECK_INT_EQ(sa->children[i].sa.spi_in, 0xc0de0000 + i);
    }
    CHECK_INT_EQ(ikev1_children_reserve(sa), -ENOSPC);
    CHECK_INT_EQ(sa->n_children, IKEV1_CHILDREN_MAX);

    /* One removed (by hand, as ikev1_child_remove ends): room again
     * without growing. */
    sa->n_children--;
    size_t cap = sa->children_cap;
    CHECK_INT_EQ(ikev1_children_reserve(sa), 0);
    CHECK_INT_EQ(sa->children_cap, cap);
    free(sa->children);
    free(sa);
}

TEST_MAIN(TEST(test_reserve_grows_to_the_maximum))
