/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A scratch directory holding the files configurations under test refer
 * to (certificates, keys, key files, systemd credentials), so that test
 * configurations can use relative paths and need nothing installed.
 *
 *   certs/vpn-gateway.pem    self-signed EC P-256 certificate
 *   private/vpn-gateway.key  its key
 *   private/other.key        a key that belongs to no certificate
 *   private/encrypted.key    a passphrase-protected key
 *   certs/vpn-gateway-rsa.pem, private/vpn-gateway-rsa.key  the same with RSA-2048
 *   certs/ca.pem             a CA certificate (the same self-signed one)
 *   certs/garbage.pem        not PEM at all
 *   psk/group.psk            "secret-from-file\n", mode 0600
 *   psk/crlf.psk             "secret-crlf\r\n", mode 0600
 *   psk/open.psk             "open-secret", mode 0644 (warned about)
 *   psk/empty.psk            empty
 *   psk/long.psk             600 bytes
 *   creds/ez-key             "credential-secret\n" ($CREDENTIALS_DIRECTORY)
 */
#pragma once

#include <stddef.h>

/* Creates the directory and its files; 0 or a negative errno. */
int fixture_create(char *dir, size_t len);
/* Removes it recursively. */
void fixture_remove(const char *dir);
/* Copies file `src` to `dir`/basename(src); the new path in `dst`. */
int fixture_copy(const char *src, const char *dir, char *dst, size_t len);
