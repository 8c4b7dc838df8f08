// The slice of OpenSSL 3's libcrypto that FastReceiver uses, behind small prefixed wrappers.
//
// Every wrapper takes plain `void *` / `size_t` so that Swift sees no OpenSSL struct type and
// the Swift side (the FastReceiverCrypto module) is the only place that touches these calls.
// Only OpenSSL 3 APIs: one-shot HMAC/SHA1/SHA256, EVP digests and EVP_MAC for reusable
// contexts, CRYPTO_memcmp. The deprecated HMAC_CTX_* and SHA*_Init families are not used.
#ifndef FAST_RECEIVER_COPENSSL_SHIM_H
#define FAST_RECEIVER_COPENSSL_SHIM_H

#include <stddef.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/sha.h>

// MARK: one-shot calls

/// HMAC-SHA256 of `data` under `key` into `out` (32 bytes). Returns 1 on success, 0 on failure.
static inline int fr_hmac_sha256(const void *key, size_t key_len, const void *data, size_t data_len, void *out) {
    if (key_len > 0x7fffffff) return 0;
    unsigned int out_len = 0;
    // OpenSSL rejects a NULL key even when its length is zero.
    static const unsigned char empty_key[1] = {0};
    const void *k = key_len == 0 ? empty_key : key;
    unsigned char *r = HMAC(EVP_sha256(), k, (int)key_len, (const unsigned char *)data, data_len,
                            (unsigned char *)out, &out_len);
    return r != NULL && out_len == 32;
}

/// SHA-256 of `data` into `out` (32 bytes). Returns 1 on success.
static inline int fr_sha256(const void *data, size_t data_len, void *out) {
    return SHA256((const unsigned char *)data, data_len, (unsigned char *)out) != NULL;
}

/// SHA-1 of `data` into `out` (20 bytes). Returns 1 on success.
static inline int fr_sha1(const void *data, size_t data_len, void *out) {
    return SHA1((const unsigned char *)data, data_len, (unsigned char *)out) != NULL;
}

/// Constant-time comparison: 0 when the `len` bytes at `a` and `b` are equal.
static inline int fr_memcmp(const void *a, const void *b, size_t len) {
    return CRYPTO_memcmp(a, b, len);
}

// MARK: reusable contexts (no per-call fetch or key setup)

/// Fetches a digest implementation by name ("SHA256", "SHA1"); NULL when unavailable.
static inline void *fr_md_fetch(const char *name) { return EVP_MD_fetch(NULL, name, NULL); }
static inline void fr_md_free(void *md) { EVP_MD_free((EVP_MD *)md); }
static inline void *fr_md_ctx_new(void) { return EVP_MD_CTX_new(); }
static inline void fr_md_ctx_free(void *ctx) { EVP_MD_CTX_free((EVP_MD_CTX *)ctx); }

/// Digest of `data` with a fetched `md` on a reused `ctx`; `out` must hold the digest size.
/// Returns the digest length, or 0 on failure.
static inline size_t fr_md_digest(void *ctx, void *md, const void *data, size_t data_len, void *out) {
    unsigned int out_len = 0;
    if (EVP_DigestInit_ex2((EVP_MD_CTX *)ctx, (const EVP_MD *)md, NULL) != 1) return 0;
    if (EVP_DigestUpdate((EVP_MD_CTX *)ctx, data, data_len) != 1) return 0;
    if (EVP_DigestFinal_ex((EVP_MD_CTX *)ctx, (unsigned char *)out, &out_len) != 1) return 0;
    return out_len;
}

/// A new HMAC-SHA256 context keyed with `key`, or NULL on failure.
/// The key is processed once here; every later `fr_mac_sha256` reuses it.
static inline void *fr_mac_sha256_new(const void *key, size_t key_len) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac); // the context keeps its own reference
    if (ctx == NULL) return NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    static const unsigned char empty_key[1] = {0};
    const unsigned char *k = key_len == 0 ? empty_key : (const unsigned char *)key;
    if (EVP_MAC_init(ctx, k, key_len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}
static inline void fr_mac_free(void *ctx) { EVP_MAC_CTX_free((EVP_MAC_CTX *)ctx); }

/// HMAC-SHA256 of `data` under the context's key into `out` (32 bytes). Returns 1 on success.
static inline int fr_mac_sha256(void *ctx, const void *data, size_t data_len, void *out) {
    size_t out_len = 0;
    if (EVP_MAC_init((EVP_MAC_CTX *)ctx, NULL, 0, NULL) != 1) return 0;
    if (EVP_MAC_update((EVP_MAC_CTX *)ctx, (const unsigned char *)data, data_len) != 1) return 0;
    if (EVP_MAC_final((EVP_MAC_CTX *)ctx, (unsigned char *)out, &out_len, 32) != 1) return 0;
    return out_len == 32;
}

// MARK: errors

/// Pops the oldest error off this thread's OpenSSL error queue (0 when empty) and writes its
/// text into `buf`.
static inline unsigned long fr_error_pop(char *buf, size_t len) {
    unsigned long code = ERR_get_error();
    if (code != 0 && buf != NULL && len > 0) ERR_error_string_n(code, buf, len);
    return code;
}

#endif
