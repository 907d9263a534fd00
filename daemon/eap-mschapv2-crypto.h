/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The MS-CHAPv2 computations (RFC 2759 section 8) and its MPPE keys
 * (RFC 3079 section 3), shared by the EAP-MSCHAPv2 server and the unit
 * tests' peer. Names follow the RFCs' pseudo-code.
 *
 * MD4 and single DES exist only in OpenSSL 3's legacy provider. They are
 * fetched from a private library context that loads "legacy" and "default",
 * so the daemon's default context never offers legacy algorithms to anything
 * else. Functions needing them return -ENOPKG when that provider cannot be
 * loaded; eap_mschapv2_crypto_check() says so up front.
 *
 * All return 0 on success or a negative errno; outputs are fixed-size.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSCHAPV2_CHALLENGE_LEN      16
#define MSCHAPV2_NT_RESPONSE_LEN    24
#define MSCHAPV2_NT_HASH_LEN        16
#define MSCHAPV2_AUTH_RESPONSE_LEN  42     /* "S=" and 40 upper-case hex digits */

/* 0 when MD4 and DES can be used, -ENOPKG when the legacy provider is
 * missing. Thread-safe; the library context is set up once per process. */
int eap_mschapv2_crypto_check(void);

/* NtPasswordHash: MD4 of the password in UTF-16LE. The password is UTF-8
 * (code points above U+FFFF become surrogate pairs); -EINVAL for invalid
 * UTF-8 or more than 256 characters. */
int eap_mschapv2_nt_password_hash(const uint8_t *password, size_t len, uint8_t hash[MSCHAPV2_NT_HASH_LEN]);

/* ChallengeHash: the first 8 bytes of SHA1(PeerChallenge | AuthenticatorChallenge | UserName).
 * `user` is the name without any "DOMAIN\" prefix. */
int eap_mschapv2_challenge_hash(const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                const char *user, size_t user_len, uint8_t challenge[8]);

/* GenerateNTResponse: ChallengeResponse(ChallengeHash(...), PasswordHash). */
int eap_mschapv2_nt_response(const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                             const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                             const char *user, size_t user_len,
                             const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                             uint8_t response[MSCHAPV2_NT_RESPONSE_LEN]);

/* GenerateAuthenticatorResponse: "S=" and 40 hex digits, NUL-terminated. */
int eap_mschapv2_authenticator_response(const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                                        const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
                                        const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                        const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                        const char *user, size_t user_len,
                                        char out[MSCHAPV2_AUTH_RESPONSE_LEN + 1]);

/* RFC 3079 3.4: GetMasterKey(HashNtPasswordHash(nt_hash), NT-Response). */
int eap_mschapv2_master_key(const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                            const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN], uint8_t master[16]);

/* RFC 3079 3.4: GetAsymmetricStartKey for 128-bit keys. The server's send
 * key is the client's receive key (Magic3), and the other way round. */
int eap_mschapv2_asymmetric_start_key(const uint8_t master[16], bool is_send, bool is_server, uint8_t key[16]);

/* The EAP-MSCHAPv2 MSK as Windows and strongSwan derive it: the server's
 * MasterReceiveKey, then its MasterSendKey, then 32 zero bytes. Both ends
 * compute the same 64 bytes (the peer's send key is the server's receive key). */
int eap_mschapv2_msk(const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                     const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN], uint8_t msk[64]);
