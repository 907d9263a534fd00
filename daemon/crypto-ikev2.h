/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 key derivation (RFC 7296 2.14, 2.17, 2.18) and the shared-key AUTH
 * payload (2.15, 2.16). IKEv1's derivation is different and lives apart.
 *
 * Key structs hold secrets: release them with crypto_ike_keys_wipe() /
 * crypto_child_keys_wipe() (the structs themselves are plain values, so
 * they can be embedded in an IKE SA).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define CRYPTO_IKE_SPI_LEN   8
#define CRYPTO_NONCE_MIN     16     /* RFC 7296 2.10 */
#define CRYPTO_NONCE_MAX     256

/* The negotiated IKE SA transforms. integ is NULL with an AEAD cipher (and
 * must not be NULL without one); dh is not needed for the derivation. */
struct crypto_ike_suite {
    const struct crypto_encr *encr;
    const struct crypto_integ *integ;
    const struct crypto_prf *prf;
    const struct crypto_dh_group *dh;
};

/* An IKE SA's keys. "i"/"r" refer to the original initiator/responder of
 * this IKE SA (after a rekey: of the rekeying exchange). With AEAD, sk_ai /
 * sk_ar are empty (len 0) and sk_ei / sk_er end with the 4-byte salt. */
struct crypto_ike_keys {
    struct crypto_ike_suite suite;
    uint8_t sk_d[CRYPTO_KEY_MAX];   size_t sk_d_len;
    uint8_t sk_ai[CRYPTO_KEY_MAX];  size_t sk_ai_len;
    uint8_t sk_ar[CRYPTO_KEY_MAX];  size_t sk_ar_len;
    uint8_t sk_ei[CRYPTO_KEY_MAX];  size_t sk_ei_len;
    uint8_t sk_er[CRYPTO_KEY_MAX];  size_t sk_er_len;
    uint8_t sk_pi[CRYPTO_KEY_MAX];  size_t sk_pi_len;
    uint8_t sk_pr[CRYPTO_KEY_MAX];  size_t sk_pr_len;
};

/* SKEYSEED = prf(Ni | Nr, g^ir);
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 * Nonces must be 16..256 bytes (-EINVAL otherwise); spi_i / spi_r are the
 * 8-byte SPIs as on the wire. With HMAC PRFs the nonces are the key as is
 * (RFC 7296 2.14: no truncation for HMAC-based PRFs). */
int crypto_ikev2_derive_ike_keys(const struct crypto_ike_suite *suite,
                                 const uint8_t *shared, size_t shared_len,
                                 const uint8_t *ni, size_t ni_len,
                                 const uint8_t *nr, size_t nr_len,
                                 const uint8_t spi_i[CRYPTO_IKE_SPI_LEN],
                                 const uint8_t spi_r[CRYPTO_IKE_SPI_LEN],
                                 struct crypto_ike_keys *out);

/* IKE SA rekey (RFC 7296 2.18): SKEYSEED = prf_old(SK_d old, g^ir new | Ni | Nr)
 * with the OLD SA's prf, then the same prf+ as above with the NEW suite's
 * prf, the new nonces and the new SA's SPIs. */
int crypto_ikev2_derive_rekeyed_ike_keys(const struct crypto_ike_keys *old,
                                         const struct crypto_ike_suite *suite,
                                         const uint8_t *shared, size_t shared_len,
                                         const uint8_t *ni, size_t ni_len,
                                         const uint8_t *nr, size_t nr_len,
                                         const uint8_t spi_i[CRYPTO_IKE_SPI_LEN],
                                         const uint8_t spi_r[CRYPTO_IKE_SPI_LEN],
                                         struct crypto_ike_keys *out);

void crypto_ike_keys_wipe(struct crypto_ike_keys *keys);

/* One CHILD_SA's ESP keys, ready for struct xfrm_sa: enc_* is the kernel's
 * key (AES-GCM: key | 4-byte salt), integ_* empty with AEAD.
 * i_to_r protects traffic from the initiator of the exchange that created
 * the CHILD_SA to its responder (that is: the SA whose SPI the responder
 * chose; the responder installs it inbound). */
struct crypto_esp_keys {
    const struct crypto_encr *encr;
    const struct crypto_integ *integ;   /* NULL with AEAD */
    uint8_t enc_key[CRYPTO_KEY_MAX];    size_t enc_key_len;
    uint8_t integ_key[CRYPTO_KEY_MAX];  size_t integ_key_len;
};

struct crypto_child_keys {
    struct crypto_esp_keys i_to_r;
    struct crypto_esp_keys r_to_i;
};

/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), split (RFC 7296 2.17) as
 * encryption key then integrity key for initiator->responder, then the same
 * for responder->initiator. shared may be NULL (shared_len 0) without PFS.
 * Ni / Nr are the nonces of the exchange creating the CHILD_SA
 * (IKE_SA_INIT's for the first one). -EINVAL: integ NULL without AEAD or
 * non-NULL with it, bad nonce lengths. */
int crypto_ikev2_derive_child_keys(const struct crypto_ike_keys *ike,
                                   const struct crypto_encr *encr,
                                   const struct crypto_integ *integ,
                                   const uint8_t *shared, size_t shared_len,
                                   const uint8_t *ni, size_t ni_len,
                                   const uint8_t *nr, size_t nr_len,
                                   struct crypto_child_keys *out);

void crypto_child_keys_wipe(struct crypto_child_keys *keys);

/*
 * AUTH (RFC 7296 2.15). <SignedOctets> for the peer that is (or was) the
 * IKE SA's initiator:
 *     RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
 * and for the responder:
 *     RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
 * `initiator` says whose AUTH is computed (selects SK_pi or SK_pr); the
 * caller passes that side's IKE_SA_INIT message as sent (the whole UDP
 * payload without the non-ESP marker), the OTHER side's nonce data, and the
 * ID payload's body (ID type, 3 reserved bytes, identification data: the
 * payload without its 4-byte generic header).
 */
struct crypto_auth_input {
    bool initiator;
    const uint8_t *message;  size_t message_len;
    const uint8_t *nonce;    size_t nonce_len;
    const uint8_t *id_body;  size_t id_body_len;
};

/* Builds <SignedOctets> in a new buffer (free it with free(); it contains no
 * secret but a MAC of one). For signatures (certificates) later. */
int crypto_ikev2_signed_octets(const struct crypto_ike_keys *keys,
                               const struct crypto_auth_input *in,
                               uint8_t **ret, size_t *ret_len);

/* Shared Key Message Integrity Code (auth method 2):
 * AUTH = prf(prf(secret, "Key Pad for IKEv2"), <SignedOctets>).
 * Writes prf->out_len bytes to `out` (out_max >= that); returns the length. */
int crypto_ikev2_psk_auth(const struct crypto_ike_keys *keys,
                          const struct crypto_auth_input *in,
                          const void *secret, size_t secret_len,
                          uint8_t *out, size_t out_max);

/* The same in two steps, for a caller that keeps the first one per secret
 * (ikev2-psk-pad.c): crypto_ikev2_psk_pad writes prf(secret, "Key Pad for
 * IKEv2") (prf->out_len bytes; key material: wipe it) and returns its
 * length; the _padded calls take it (padded_len must be the IKE SA's PRF's
 * output length) instead of the secret, with the results and return values
 * of crypto_ikev2_psk_auth and crypto_ikev2_psk_auth_verify. */
int crypto_ikev2_psk_pad(const struct crypto_prf *prf, const void *secret, size_t secret_len,
                         uint8_t *out, size_t out_max);
int crypto_ikev2_psk_auth_padded(const struct crypto_ike_keys *keys,
                                 const struct crypto_auth_input *in,
                                 const uint8_t *padded, size_t padded_len,
                                 uint8_t *out, size_t out_max);
int crypto_ikev2_psk_auth_padded_verify(const struct crypto_ike_keys *keys,
                                        const struct crypto_auth_input *in,
                                        const uint8_t *padded, size_t padded_len,
                                        const uint8_t *auth, size_t auth_len);

/* After EAP (RFC 7296 2.16): the same computation with the EAP MSK as the
 * shared secret, or SK_pi / SK_pr (the side's own, per in->initiator) when
 * the method produced no MSK (msk NULL / msk_len 0, e.g. EAP-GTC, EAP-MD5). */
int crypto_ikev2_eap_auth(const struct crypto_ike_keys *keys,
                          const struct crypto_auth_input *in,
                          const uint8_t *msk, size_t msk_len,
                          uint8_t *out, size_t out_max);

/* Checks a received shared-key AUTH payload's data in constant time:
 * computes the expected value (psk: secret; EAP: use crypto_ikev2_eap_auth
 * yourself and crypto_memequal). Returns 1 match, 0 mismatch (also on a
 * length mismatch), negative errno on failure. */
int crypto_ikev2_psk_auth_verify(const struct crypto_ike_keys *keys,
                                 const struct crypto_auth_input *in,
                                 const void *secret, size_t secret_len,
                                 const uint8_t *auth, size_t auth_len);
