/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv1 cryptography (RFC 2409, with RFC 3947 NAT-D and RFC 4106 ESP
 * AES-GCM keys): SKEYID and its three children, the phase-1 HASH_I/HASH_R,
 * the hashes that protect Quick Mode, Informational and Transaction
 * (Mode Config / XAuth) exchanges, KEYMAT for ESP, and the CBC state of an
 * ISAKMP SA (phase-1 IV chain, per-Message-ID IVs).
 *
 * IKEv1 negotiates a hash, not a prf: "prf" is HMAC with that hash (RFC
 * 2409 section 4; the PRF attribute was never defined in practice). So the
 * functions take a struct crypto_prf from the registry;
 * crypto_ikev1_hash_find() maps the phase-1 Hash Algorithm attribute to it,
 * and crypto_ikev1_encr_find() the Encryption Algorithm attribute to the
 * registry's cipher. Plain hash() (the IV, NAT-D) is the same digest.
 *
 * Byte strings are passed as they are on the wire: "_b" bodies are
 * payloads without their 4-byte generic header (RFC 2409 section 5), g^x
 * values are KE payload data, cookies the 8 bytes of the ISAKMP header.
 * Message IDs are passed in host order and hashed big-endian, as the
 * header carries them.
 *
 * Key structs hold secrets and are plain values (embed them in the SA):
 * release them with crypto_ikev1_keys_wipe() / crypto_ikev1_esp_keys_wipe();
 * crypto_ikev1_cbc_free() wipes its cipher key and IVs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-ikev2.h"   /* struct crypto_esp_keys */

#define CRYPTO_IKEV1_COOKIE_LEN  8
#define CRYPTO_IKEV1_NONCE_MIN   8      /* RFC 2409 section 5: 8..256 bytes */
#define CRYPTO_IKEV1_NONCE_MAX   256
#define CRYPTO_IKEV1_PROTO_ESP   3      /* RFC 2407 PROTO_IPSEC_ESP, hashed into KEYMAT */

/* Phase-1 attribute values (RFC 2409 Appendix A). */
enum {
    CRYPTO_IKEV1_ENCR_3DES_CBC = 5,
    CRYPTO_IKEV1_ENCR_AES_CBC  = 7,     /* with Key Length 128/192/256 */

    CRYPTO_IKEV1_HASH_MD5      = 1,     /* legacy */
    CRYPTO_IKEV1_HASH_SHA1     = 2,
    CRYPTO_IKEV1_HASH_SHA2_256 = 4,
    CRYPTO_IKEV1_HASH_SHA2_384 = 5,
    CRYPTO_IKEV1_HASH_SHA2_512 = 6,
};

/* The registry entry computing a phase-1 Hash Algorithm (its HMAC is the
 * prf); NULL when vpnd does not implement it (Tiger, ...). */
const struct crypto_prf *crypto_ikev1_hash_find(uint16_t ikev1_hash);

/* The registry cipher for a phase-1 Encryption Algorithm and Key Length
 * attribute (3DES has none: 0). NULL when not implemented (DES, ...). */
const struct crypto_encr *crypto_ikev1_encr_find(uint16_t ikev1_encr, uint16_t key_bits);

/* An ISAKMP SA's keys (RFC 2409 section 5): each is one prf output. */
struct crypto_ikev1_keys {
    const struct crypto_prf *prf;
    uint8_t skeyid[CRYPTO_PRF_OUT_MAX];    size_t skeyid_len;
    uint8_t skeyid_d[CRYPTO_PRF_OUT_MAX];  size_t skeyid_d_len;
    uint8_t skeyid_a[CRYPTO_PRF_OUT_MAX];  size_t skeyid_a_len;
    uint8_t skeyid_e[CRYPTO_PRF_OUT_MAX];  size_t skeyid_e_len;
};

/* SKEYID = prf(pre-shared-key, Ni_b | Nr_b)    when psk is non-NULL
 *          prf(Ni_b | Nr_b, g^xy)              for signature methods (psk NULL)
 * SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * XAuth-PSK (65001/65002) is the PSK method here; hybrid RSA (64221..)
 * the signature one. An empty PSK (psk_len 0, psk non-NULL) is refused.
 * -EINVAL: bad lengths (nonces 8..256). On failure *out is wiped. */
int crypto_ikev1_derive_keys(const struct crypto_prf *prf,
                             const void *psk, size_t psk_len,
                             const uint8_t *shared, size_t shared_len,
                             const uint8_t *ni, size_t ni_len,
                             const uint8_t *nr, size_t nr_len,
                             const uint8_t cky_i[CRYPTO_IKEV1_COOKIE_LEN],
                             const uint8_t cky_r[CRYPTO_IKEV1_COOKIE_LEN],
                             struct crypto_ikev1_keys *out);

void crypto_ikev1_keys_wipe(struct crypto_ikev1_keys *keys);

/* The phase-1 cipher key from SKEYID_e (RFC 2409 Appendix B): its first
 * key_len bytes, or when SKEYID_e is shorter (3DES or AES-256 with SHA-1)
 * K1 | K2 | ... with K1 = prf(SKEYID_e, 0x00), Kn = prf(SKEYID_e, Kn-1).
 * Returns encr->key_len. -EOPNOTSUPP for AEAD ciphers (no IKEv1 phase 1). */
int crypto_ikev1_encryption_key(const struct crypto_ikev1_keys *keys,
                                const struct crypto_encr *encr,
                                uint8_t *out, size_t out_max);

/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * (Main and Aggressive Mode). The fields are always the initiator's and
 * responder's values; `initiator` chooses which hash, and id_body is that
 * side's ID payload body. sa_i_body is the initiator's SA payload body
 * (DOI, situation, proposals) as it sent it, whoever computes. */
struct crypto_ikev1_phase1_input {
    bool initiator;
    const uint8_t *g_xi;       size_t g_xi_len;
    const uint8_t *g_xr;       size_t g_xr_len;
    const uint8_t *cky_i;      /* 8 bytes */
    const uint8_t *cky_r;      /* 8 bytes */
    const uint8_t *sa_i_body;  size_t sa_i_body_len;
    const uint8_t *id_body;    size_t id_body_len;
};

/* Writes prf->out_len bytes; returns that length. */
int crypto_ikev1_phase1_hash(const struct crypto_ikev1_keys *keys,
                             const struct crypto_ikev1_phase1_input *in,
                             uint8_t *out, size_t out_max);

/* Checks a received HASH payload body in constant time. 1 match, 0
 * mismatch (also a length mismatch), negative errno on failure. */
int crypto_ikev1_phase1_hash_verify(const struct crypto_ikev1_keys *keys,
                                    const struct crypto_ikev1_phase1_input *in,
                                    const uint8_t *hash, size_t hash_len);

/* The HASH payload of exchanges under the ISAKMP SA:
 *     prf(SKEYID_a, M-ID | [Ni_b |] rest)
 * `rest` is the message from the payload after HASH to the end of the
 * last payload (padding excluded: the ISAKMP length minus the header, the
 * HASH payload and whatever follows the payload chain).
 *   Quick Mode HASH(1), Informational, Transaction:  ni NULL
 *   Quick Mode HASH(2):                               ni = initiator's Ni_b
 * Returns prf->out_len. */
int crypto_ikev1_message_hash(const struct crypto_ikev1_keys *keys, uint32_t message_id,
                              const uint8_t *ni, size_t ni_len,
                              const uint8_t *rest, size_t rest_len,
                              uint8_t *out, size_t out_max);

/* 1 match, 0 mismatch, negative errno (constant time). */
int crypto_ikev1_message_hash_verify(const struct crypto_ikev1_keys *keys, uint32_t message_id,
                                     const uint8_t *ni, size_t ni_len,
                                     const uint8_t *rest, size_t rest_len,
                                     const uint8_t *hash, size_t hash_len);

/* Quick Mode HASH(3) = prf(SKEYID_a, 0x00 | M-ID | Ni_b | Nr_b). */
int crypto_ikev1_qm_hash3(const struct crypto_ikev1_keys *keys, uint32_t message_id,
                          const uint8_t *ni, size_t ni_len,
                          const uint8_t *nr, size_t nr_len,
                          uint8_t *out, size_t out_max);

/* KEYMAT for one ESP SA (RFC 2409 section 5.5):
 *     K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 *     Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 * split as encryption key (AES-GCM, RFC 4106 section 8.1: key | 4-byte
 * salt) then integrity key, ready for struct xfrm_sa. `spi` (host order) is
 * the SPI of the SA being keyed, that is the one its receiver chose: call
 * once with our inbound SPI and once with the peer's. Ni_b / Nr_b are the
 * Quick Mode initiator's and responder's nonces whoever computes; shared
 * is the Quick Mode DH result with PFS, NULL without. integ is NULL with
 * AEAD and required without. */
int crypto_ikev1_derive_esp_keys(const struct crypto_ikev1_keys *keys,
                                 const struct crypto_encr *encr,
                                 const struct crypto_integ *integ,
                                 uint8_t protocol, uint32_t spi,
                                 const uint8_t *shared, size_t shared_len,
                                 const uint8_t *ni, size_t ni_len,
                                 const uint8_t *nr, size_t nr_len,
                                 struct crypto_esp_keys *out);

void crypto_ikev1_esp_keys_wipe(struct crypto_esp_keys *keys);

/* NAT-D (RFC 3947 section 3.2): HASH(CKY-I | CKY-R | IP | Port) with the
 * negotiated hash (not keyed). addr is 4 (IPv4) or 16 (IPv6) bytes in
 * network order, port in host order. Returns the digest length. */
int crypto_ikev1_natd_hash(const struct crypto_prf *hash,
                           const uint8_t cky_i[CRYPTO_IKEV1_COOKIE_LEN],
                           const uint8_t cky_r[CRYPTO_IKEV1_COOKIE_LEN],
                           const uint8_t *addr, size_t addr_len, uint16_t port,
                           uint8_t *out, size_t out_max);

/*
 * The CBC state of an ISAKMP SA (RFC 2409 Appendix B).
 *
 * Phase 1 (Message ID 0): the first IV is hash(g^xi | g^xr) cut to the
 * block size; each message's IV is the last ciphertext block of the
 * previous encrypted message of the exchange, sent or received.
 * Any other Message ID (Quick Mode, Informational, Transaction): the first
 * IV is hash(last phase-1 CBC block | M-ID), then chained the same way
 * within that exchange. The object keeps the phase-1 state and a small
 * table of Message IDs (the least recently used is dropped when full;
 * forget an exchange when it ends).
 *
 * A received message only advances the chain once the caller has checked
 * its HASH: decrypt() remembers the last block, confirm() adopts it. So a
 * forged packet (which fails the hash) cannot desynchronise the exchange.
 * Sent messages advance it at once. A retransmitted message is sent again
 * as the same bytes, never re-encrypted.
 *
 * Padding: receivers find the end of the payloads from the payload
 * lengths, so the padding's content does not matter to them. We pad as
 * strongSwan 5.9 does, 1 to block-size zero bytes (a whole block when the
 * payloads are aligned; the unit test reproduces charon's packets byte for
 * byte). Not checked here: what Cisco sends (any padding decrypts the
 * same). Received padding is returned with the plaintext for the payload
 * parser to skip; it is never interpreted.
 *
 * One object belongs to one thread at a time (like struct crypto_dh).
 */
struct crypto_ikev1_cbc;

/* g_xi / g_xr: the phase-1 KE data. -EOPNOTSUPP: an AEAD cipher. */
int crypto_ikev1_cbc_new(const struct crypto_ikev1_keys *keys,
                         const struct crypto_encr *encr,
                         const uint8_t *g_xi, size_t g_xi_len,
                         const uint8_t *g_xr, size_t g_xr_len,
                         struct crypto_ikev1_cbc **ret);

/* NULL is allowed. Wipes key and IVs. */
void crypto_ikev1_cbc_free(struct crypto_ikev1_cbc *cbc);

size_t crypto_ikev1_cbc_block_len(const struct crypto_ikev1_cbc *cbc);

/* Ciphertext length for plaintext_len bytes of payloads (padding
 * included); 0 when plaintext_len exceeds 64 KiB. */
size_t crypto_ikev1_cbc_encrypted_len(const struct crypto_ikev1_cbc *cbc, size_t plaintext_len);

/* Encrypts with the current IV of message_id and advances its chain.
 * out_len must be crypto_ikev1_cbc_encrypted_len() (-EINVAL otherwise). */
int crypto_ikev1_cbc_encrypt(struct crypto_ikev1_cbc *cbc, uint32_t message_id,
                             const uint8_t *plaintext, size_t plaintext_len,
                             uint8_t *out, size_t out_len);

/* Decrypts with the current IV of message_id; out (capacity >= in_len)
 * receives in_len bytes, padding included; returns in_len.
 * -EINVAL: in_len 0 or not a multiple of the block size (nothing written).
 * The chain does not advance until crypto_ikev1_cbc_confirm(). */
int crypto_ikev1_cbc_decrypt(struct crypto_ikev1_cbc *cbc, uint32_t message_id,
                             const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t out_max);

/* After the decrypted message's HASH checked out: its last ciphertext
 * block becomes message_id's IV. -ENOENT when nothing is pending. */
int crypto_ikev1_cbc_confirm(struct crypto_ikev1_cbc *cbc, uint32_t message_id);

/* The exchange with message_id is over (Quick Mode done, Informational
 * answered): its IV state is dropped. Message ID 0 is never dropped. */
void crypto_ikev1_cbc_forget(struct crypto_ikev1_cbc *cbc, uint32_t message_id);

/* The IV the next message of message_id will use (creating the state as
 * encrypt/decrypt would). For tests and diagnostics; an IV is not secret
 * but is not logged either. Returns the block length. */
int crypto_ikev1_cbc_iv(struct crypto_ikev1_cbc *cbc, uint32_t message_id,
                        uint8_t *out, size_t out_max);
