/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * OpenSSL 3 builds its tables of a provider's algorithms (one per kind of
 * operation: ciphers, MACs, digests, key management, key exchange,
 * signatures) and its random generator the first time each kind is used:
 * about 2.5 MB and some milliseconds, once per process. Done at start
 * (crypto_preload), that cost is paid before the first client instead of
 * by it, and shows as the daemon's size at start rather than growing with
 * the first sessions. It is a fixed cost moved, not saved.
 */
#pragma once

/* Fetches one algorithm of every kind IKE uses and draws a random byte.
 * 0, or -EOPNOTSUPP naming nothing: whatever is missing is reported again,
 * with its name, where the configuration asks for it. */
int crypto_preload(void);
