/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A real IKEv1 Main Mode with RSA signatures (auth method 3,
 * aes128-sha256-modp2048): strongSwan 5.9.8's charon (swanctl version = 1,
 * local auth pubkey with carol's certificate) against vpnd in the test bed,
 * charon logging with ike = 4, enc = 4 (ss_start --log). The byte strings
 * come from the capture on gw (messages 1 to 6; 5 and 6 decrypted with the
 * Ka and IV charon logged) and from charon's labelled dumps (g^xy, SKEYID,
 * HASH_I, HASH_R); charon's "HASH_I data" / "HASH_R data" dumps equal the
 * concatenations built from the packets. The certificates and carol's key
 * are the test bed's throw-away PKI of that run (ss_pki_*), kept here so
 * that the signatures can be checked and reproduced.
 */
#pragma once

static const char v_cky_i[] =
    "b3878d907740e0bb";
static const char v_cky_r[] =
    "6cc0d769616b1246";
static const char v_sai_b[] =
    "00000001000000010000002c01010001000000240101000080010007800e0080800200048004000e80030003800b0001"
    "800c3de0";
static const char v_gxi[] =
    "6a470a39849da2020c33d03823135abf7f22e146cfa6474c5835e579d7269c039a5ff00db20fe5caa38662cd2ecbd6a9"
    "4a0ff435087f4152c7f69f0a675df57d446fe4dee3b82434ecb6abe70e57dc153dfa104d22c789e34d69fa07fe3c0280"
    "96c071f4fec623aa53419e90dec2c58395ff88aebd1b5c01299cafcc7e2b7e55ba2aa7377a5680e279d583068da52d62"
    "f74c45a315c92a23f71282ea160cd5663245cbb1fc0afaa955bad8c7cb903e19790fdd7358f3be5ae06e0e75a3611db3"
    "a80ff8bbe5655aeb1549f2db9311c84be5773604976f0abd5f159037b101fefa9c7c842c9fdeac8900a9933aa8ad11a1"
    "d0b6a4effe80b2461b4c1ae2a0d24eb3";
static const char v_ni[] =
    "57a1ad5ddc0a24cc8450f3970143e85c4c0a2237c5d4129e659fe8ebeb182b68";
static const char v_gxr[] =
    "b2cd43667872561e8f49ca561376a815041de11025398c0131cd235a10f7128ad1b12e90be99f3c4a2a777073089d4a7"
    "117f1e1e2a0ee989cc3632d0aa9daa665141d2f65c1fc2f9e1f7a3c7bf3c493dcc06663398ac752aaa40b20ebd0c7e87"
    "b70b5486874727f48dca4d30c12ea44a8f151d98806d13bd9ee1739f0528f578efe558bbfe583b4f4a7098205361bc2b"
    "cfcbe2c7dc401267b323bcecb1e0dfff43cd334537a7bec73068a65334706a86d792a996d3e6fe7490e7ff3bde81c201"
    "c12b50ba85157144a67b82d48d6087efe08b7c91360759bf549a23f87b8a97d6776c7273c3ba89319e8d45ac0c750e24"
    "1498a3eafded996daa945bf8fa811003";
static const char v_nr[] =
    "1125a7448a331ef1082d6a4cd5b78fd6c2195da8aba5be0dbdd4e41db529b4f5";
static const char v_idii_b[] =
    "09000000303e310b300906035504061302585831133011060355040a130a76706e64207465737473311a301806035504"
    "0313116361726f6c2e6578616d706c652e636f6d";
static const char v_sig_i[] =
    "7b1db9b3fa34778eaeca812cc3d45682b6657e392a53fbc9de71a3b88b66292fc02bd0b1b27d9d8848cadbe3d20c3e86"
    "0b00888c4a6fcb3813960bfe86525b85b29fb5179ae876c7464c9fe51c784a386dd0a475128e9ee8c1ac974c8998fe9a"
    "b57117c01bdbbcd320a5204bc181ebb44d293bcc9c83e6e0b2c820bc94b4fa97c66982a9e76147d30a9bb1a7653018f8"
    "c83b56769c53fc54fde855fc8891e33de7676e2b5de99eecaef385fa3d061b1e0b3cfba855f3d038b6473c1c2009335b"
    "dba7f28133ea207cf5ad3b29e48c9cd084b2c6cb65f6190b05b3b0fb4f916c464a547efa4c84938ef82057bca7e7d85d"
    "5140469a210b3bde2a216d35be7dfd07";
static const char v_idir_b[] =
    "09000000303c310b300906035504061302585831133011060355040a130a76706e642074657374733118301606035504"
    "03130f76706e2e6578616d706c652e636f6d";
static const char v_sig_r[] =
    "74d119d30f35136b16eb4984658487090939bd74d3c006908b1adc16a6959f67f553519b7ae5e57f3d86b7ef5fba64b6"
    "dc0c03e50c28ea783ac326143294fe8de422cf80564851548f3ba210b5a981052f02cb8c1ecf06ca32f97b9d9569fea9"
    "236a8ff537dc658e980ce0acf001d2ddb14c80464d67a5c2f90da361c41c68adc8d29b3fe849c34075101ad184c499cc"
    "0cdf8fbe86d6b7d9c5e06e4b0e6a831d14794d1e2b38601ed7656fa2e2d1b78296bbdd4325b1e43dc5d91979ed4f0a44"
    "49b0dc48d103a39339bae29a2e8f3984c250602bd805eda8f6d3307f19003c15589f890ea9f1919cef291fed35501680"
    "4d23ee52cb49bcb76c4835777900827e";
static const char v_gxy[] =
    "8e3d422e92f69d74fe6bc8a5f392018f141d823dcdbed1abd0cfdbea23f08702d05491739bfea79b01b9e3ac7136f76c"
    "51ae0e721cb01f991a76b6b3713641c69beb6529cb485cbe177b5ccaee2478e706064ac59b658ff09e7701756d051840"
    "4f7e5e762f2cc2f3b3d75670223e9e6666784225321f601b8d4031282eecd6f174c5981dc1c6c3d9deb416f12148cd75"
    "2cce63162a81a43a0034165bd3c349d8bcbd105d790441aeb987352fdac40569164001529f0e209b4d0231e0d9d269e0"
    "b7a684464652a439aa92410db6ae00c86811c102073a2702c298b4f8ea3e67132bb7f69b9aec1917afb33b6cda093304"
    "f67ba53fb8c4260819eab30623771a04";
static const char v_skeyid[] =
    "24b4b72944bb56ac54c76c8049d30704dee349ff764c13d970ab4ecd2749ef50";
static const char v_hash_i[] =
    "23da94445bac92b33d9494f2ff50c7a8d024b88f9060322642f5c5b4c62d557e";
static const char v_hash_r[] =
    "8e0b2f6fa198e6eaec596b5fdb9c998f7aaf996677f4f247e50c6c57777e529c";

/* carol: the client (its RSA key signed SIG_I) */
static const char v_carol_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDOjCCAiKgAwIBAgIISQDqsws2RxUwDQYJKoZIhvcNAQELBQAwOTELMAkGA1UE\n"
    "BhMCWFgxEzARBgNVBAoTCnZwbmQgdGVzdHMxFTATBgNVBAMTDHZwbmQgdGVzdCBD\n"
    "QTAeFw0yNjExMjIxNDQyMDFaFw0yNzExMjIxNDQyMDFaMD4xCzAJBgNVBAYTAlhY\n"
    "MRMwEQYDVQQKEwp2cG5kIHRlc3RzMRowGAYDVQQDExFjYXJvbC5leGFtcGxlLmNv\n"
    "bTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAIZM+Tkac6TFXxobD8De\n"
    "vRTglBX+OjRTyJY3PLbmrx+zha0c5V3idR9jvT5pP6pCqDLxgPvo5jqPVOHkeiCo\n"
    "6qC6EI5w93VZDKoMzuAwmTY9u/GYZC6okjgvl/fveojUdDpUv9PVOKZunjN3pmoY\n"
    "kTHP1gWE2zhtvHLI3/ivZAaLAXlw/KDeEV+vEfaAvcX9Fmj6AY7sgzsIXyFq5QFe\n"
    "VqT7R+bH+dwiT44FPAbyCmtwgeSmJbvV5xXFbrEc+b0p+6iGufM4OnmYKLODF0Ia\n"
    "oBgcD2XykV7KP1wCVdbwslZ/6GOTLKn/95LOZaLPdgVgOW6NT5h2T47D5+Yy10n4\n"
    "9usCAwEAAaNBMD8wHwYDVR0jBBgwFoAUMriZrxzvvNKhNOArIgaz4W7BpLMwHAYD\n"
    "VR0RBBUwE4IRY2Fyb2wuZXhhbXBsZS5jb20wDQYJKoZIhvcNAQELBQADggEBAGYv\n"
    "liWretDJSg+gKMNyTpZ8WYxoofdZbCUtyfdpJnMNkC2ZUMaonl4tbaJHVNrp76+U\n"
    "eMVu9zsS+H+Mbnlg9I+GdC5ik5wXGB0tOPQZb+hUu7bbEmc3hr48ARoudX/T6UhD\n"
    "TQH5ArwwB2ZAAnWqh6j+hNMYAeAUMwI8XhObVc2QjELnM+QZXmR1tdEifCaZonYL\n"
    "c67sds+IZNRpRiLj2q1YUglB5PwE9eZR7vqlcsUCF5Ki59j3KzHYgtm1vf1Xnkcj\n"
    "p4P6b4jtt7klqddmKp1STSJuIDcYuIdQGI8FSRPvtOFlBzC+lgwi2OGzyOfeBODO\n"
    "bi896WqvalrAChAcXLU=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char v_carol_key[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEogIBAAKCAQEAhkz5ORpzpMVfGhsPwN69FOCUFf46NFPIljc8tuavH7OFrRzl\n"
    "XeJ1H2O9Pmk/qkKoMvGA++jmOo9U4eR6IKjqoLoQjnD3dVkMqgzO4DCZNj278Zhk\n"
    "LqiSOC+X9+96iNR0OlS/09U4pm6eM3emahiRMc/WBYTbOG28csjf+K9kBosBeXD8\n"
    "oN4RX68R9oC9xf0WaPoBjuyDOwhfIWrlAV5WpPtH5sf53CJPjgU8BvIKa3CB5KYl\n"
    "u9XnFcVusRz5vSn7qIa58zg6eZgos4MXQhqgGBwPZfKRXso/XAJV1vCyVn/oY5Ms\n"
    "qf/3ks5los92BWA5bo1PmHZPjsPn5jLXSfj26wIDAQABAoIBADisct9uEi8OOzvA\n"
    "/7zcQd51hwhg6B783EDHvo9QecZe86JB92jPD63XYRzdPUiUKHaXA19KwR0lLyTE\n"
    "TeVKYvjAjAwQD90tXvLDxOlGmOES3CTvshcee9XJ/89Y99SWExYqfWjfKbDSLWB6\n"
    "tXdANsVWd3KMxhXh+QxXSGyhVwyLL+zrgOk9ZzqRs44grMuXsREdGA//CAqs2vnD\n"
    "hZ8zvTkdi6Zn8t1gdqXgqyULxwVhufQ2fpbmyRPILfL6e25oSa02pIl1LyOtmFz2\n"
    "+eiIxW5TEulNqOEUg+IaPPyXDDbKL71wVD2mW3z9dttnzN+RuuNdArKaq3bLStun\n"
    "xlFAXcECgYEAunckylpdJpNNyxX8Akj69Yf5OqV6o8VJtE/JKUJWmuvuQVZt1D54\n"
    "pRJ62DdtLJyp0/bNdXRw1l2N/ZDMIG8CEYw7mpw3OAitKR21sYFW9L3QO0IGXBW6\n"
    "9pnllAP6X6PK+dDKbfBO7Kk7M4c2gDefcKkZcsPDEsA1dH5HGEg4t68CgYEAuGHx\n"
    "Ibe+5Ri4O2aDvh1dZGhQcl7mlFrRf5W8sblQyERRevAkmFkiHMLcD3xeLF3ptmPh\n"
    "2F2PklytBX+eGbkNsvbk1upaT757NyzNQoIqQEftLY4u1dfbebhH3TwBbGoTb8x4\n"
    "dNbrFuDA/6t+hVLWrlyFW2PxPMsWZWtzd2NwR4UCgYA1+eU5ejz6vKtJPXzswGl9\n"
    "B7Zahqpgm+yA+JOXkO92+xLF8Rnr1YWg6x+KVUkSH+t9QzUoaeN7+irvGqosPVYQ\n"
    "9FIQqGXHn6NYgpQk5Pbh88xCSxOCNnwfhF8ToK8qXkSUWh8vAeAm27oaaWqaZP+P\n"
    "YjPOp+JhHCidJyy3V7irWwKBgGcqPd4Mzl2nCCYMRPhRu9ibWS+1E7S8X+3QHUUf\n"
    "mCiFuUVdKkynyqNnD/QGNTcD0OnBVzNVnihZfGHQNujTluukowPxGlj2DkEf6zUk\n"
    "WXmgBP/xRxlVbrLbPjJ2CaHcdEWglWFigyVI2hPzo5X7dK0YjXFGKUtHop9akL+j\n"
    "PsZ1AoGAGLlGH63dM5B1Uu/oc3PTcecJYKwswwZsf7xMq5TSaiJINXgodv9bWchM\n"
    "DMBQuxNrlDxPbn8d/E6dpojsGDl1ij9U6xl4qm2ANYie3scv04xkxE3sd+zn9r5W\n"
    "3s1OdLn7Dao0wUOefsQYk/TGPiTNMxho9f8RN5DAN6ScUBaUjIY=\n"
    "-----END RSA PRIVATE KEY-----\n"
    ;
/* gw: vpnd (its RSA key signed SIG_R) */
static const char v_gw_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDWzCCAkOgAwIBAgIIHquM3rmo9jEwDQYJKoZIhvcNAQELBQAwOTELMAkGA1UE\n"
    "BhMCWFgxEzARBgNVBAoTCnZwbmQgdGVzdHMxFTATBgNVBAMTDHZwbmQgdGVzdCBD\n"
    "QTAeFw0yNjExMjIxNDQxNTdaFw0yNzExMjIxNDQxNTdaMDwxCzAJBgNVBAYTAlhY\n"
    "MRMwEQYDVQQKEwp2cG5kIHRlc3RzMRgwFgYDVQQDEw92cG4uZXhhbXBsZS5jb20w\n"
    "ggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDEeIWkbFYPB1+h9b9zGsJa\n"
    "3mUv21oQy3i5rF/8Bm2NqxnY0pFb+bATtJUbYNNScvZu0NuvuJqBJs0iVEIUsUKb\n"
    "2rQsr9oFB22ktOYGxURSPTdF/dQeFWh0gf9aNo+NSBLYQHS+7lJ9TQkNtyL1I8nL\n"
    "oJ1fmgmseIql2533l5wpy7Ux9OLhwZ+qkC4EU4vUf3VsZxh28aRmXNNFzp2Qihyt\n"
    "cwIDG/K/2YVWaojDOhUv1lzklDsrgkF9ovz+1wDAVejvSXOAMUiilD7RroB9z0wU\n"
    "UxOewehI9gn9+XI8IUaYaO4YIPZ832b7vLLbUbjsvF68a3Bc8PvUhnmRYE6WmjQJ\n"
    "AgMBAAGjZDBiMB8GA1UdIwQYMBaAFDK4ma8c77zSoTTgKyIGs+FuwaSzMCAGA1Ud\n"
    "EQQZMBeCD3Zwbi5leGFtcGxlLmNvbYcEywBxATAdBgNVHSUEFjAUBggrBgEFBQcD\n"
    "AQYIKwYBBQUIAgIwDQYJKoZIhvcNAQELBQADggEBADo5+aL5KfN3lOkoJ8JBsLYo\n"
    "LlNLxYkU80DOmLjLn//Z/Y9xutLnQJKDeVaQqy3NJ0ILl+9JMEMjUk7/N2Y0d4G1\n"
    "X92q8pIo70ODOvla/GlcquKDpcvXpAfVmtGZD1iQObQciOaEBjLnW7tUtiaOtZsn\n"
    "xHCJnn6y5KMStCx+4Fa+5GrpI324MklO7bbJZyeKsHx6BqHeq3UUPAI3CcXn0IrO\n"
    "HNA33C33CdR5NR6zoe6a5yOkrHfeyFvLvanglWZl6cSzO6NPRpNoFj1rDm2AQbkA\n"
    "7qWsFn+HALkHrUrTEHy5W5VTO5/TsE2Xt7BRlwE2XDP4rfkEMLgCsJQASbF9i1w=\n"
    "-----END CERTIFICATE-----\n"
    ;
