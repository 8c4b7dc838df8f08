// The slice of OpenSSL 3's libssl that FastReceiver's HTTPS server uses, behind small prefixed
// wrappers, in the same style as shim.h: every wrapper takes `void *`, integers and byte
// buffers, and the Swift side (FastReceiverCrypto's TLS* types) is the only place that calls them.
//
// Three callbacks have to be C because OpenSSL calls them: ALPN selection, the session-ticket
// key callback, and a socket BIO that sends with MSG_NOSIGNAL. None keeps static state: what they
// need hangs off the SSL_CTX's application data slot as one `fr_tls_server`.
#ifndef FAST_RECEIVER_COPENSSL_TLS_H
#define FAST_RECEIVER_COPENSSL_TLS_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

// MARK: the server context bundle

/// One session-ticket key: a name that travels in the ticket, an AES-256-CBC key that encrypts
/// the ticket, and an HMAC-SHA256 key that authenticates it (the ticket format OpenSSL defines).
typedef struct {
    unsigned char name[16];
    unsigned char cipher_key[32];
    unsigned char mac_key[32];
} fr_tls_ticket_key;

/// An SSL_CTX with everything its callbacks need. Owned by one Swift `TLSServerContext`, which
/// outlives every SSL made from it (each `TLSConnection` retains its context).
typedef struct {
    SSL_CTX *ctx;
    BIO_METHOD *socket_method;
    EVP_CIPHER *ticket_cipher;
    CRYPTO_RWLOCK *ticket_lock;
    fr_tls_ticket_key ticket_current;
    fr_tls_ticket_key ticket_previous;
    int ticket_has_previous;
    uint64_t ticket_current_since_ns;
    uint64_t ticket_rotation_ns;
} fr_tls_server;

static inline uint64_t fr_tls_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

// MARK: session-ticket keys

/// Makes a fresh current key and keeps the old current one as previous, so tickets issued
/// before the rotation still resume. With `only_if_due`, does so only once the current key is
/// older than the rotation interval (checked under the lock, so two threads never rotate twice).
/// Returns 1 on success (rotated or not due).
static inline int fr_tls_server_rotate_ticket_keys(void *server, int only_if_due) {
    fr_tls_server *s = (fr_tls_server *)server;
    fr_tls_ticket_key fresh;
    if (RAND_bytes((unsigned char *)&fresh, (int)sizeof(fresh)) != 1) return 0;
    if (!CRYPTO_THREAD_write_lock(s->ticket_lock)) {
        OPENSSL_cleanse(&fresh, sizeof(fresh));
        return 0;
    }
    uint64_t now = fr_tls_monotonic_ns();
    if (!only_if_due || now - s->ticket_current_since_ns >= s->ticket_rotation_ns) {
        s->ticket_previous = s->ticket_current;
        s->ticket_has_previous = 1;
        s->ticket_current = fresh;
        s->ticket_current_since_ns = now;
    }
    CRYPTO_THREAD_unlock(s->ticket_lock);
    OPENSSL_cleanse(&fresh, sizeof(fresh));
    return 1;
}

/// OpenSSL's ticket key callback (SSL_CTX_set_tlsext_ticket_key_evp_cb). Encrypts new tickets
/// under the current key; decrypts a ticket under whichever of current or previous named it.
/// The current key is rotated here once it is older than the rotation interval, so rotation
/// needs no timer. Returns 1 (encrypted; or decrypted, resume), 2 (decrypted: resume, and
/// issue a fresh ticket), 0 (unknown key: full handshake) or -1 (error).
static int fr_tls_ticket_key_callback(SSL *ssl, unsigned char key_name[16], unsigned char *iv,
                                      EVP_CIPHER_CTX *cipher_ctx, EVP_MAC_CTX *mac_ctx, int encrypt) {
    fr_tls_server *s = (fr_tls_server *)SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (s == NULL) return -1;
    if (!CRYPTO_THREAD_read_lock(s->ticket_lock)) return -1;
    int due = fr_tls_monotonic_ns() - s->ticket_current_since_ns >= s->ticket_rotation_ns;
    CRYPTO_THREAD_unlock(s->ticket_lock);
    // A failed rotation keeps the old keys, which is still safe; the next callback retries.
    if (due) (void)fr_tls_server_rotate_ticket_keys(s, 1);

    fr_tls_ticket_key key;
    int found = 1;  // 0: no key of that name; 2: the previous key
    if (!CRYPTO_THREAD_read_lock(s->ticket_lock)) return -1;
    if (encrypt || memcmp(key_name, s->ticket_current.name, 16) == 0) {
        key = s->ticket_current;
    } else if (s->ticket_has_previous && memcmp(key_name, s->ticket_previous.name, 16) == 0) {
        key = s->ticket_previous;
        found = 2;
    } else {
        found = 0;
    }
    CRYPTO_THREAD_unlock(s->ticket_lock);
    if (found == 0) return 0;

    int result = -1;
    char digest[] = "SHA256";
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.mac_key, sizeof(key.mac_key));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[2] = OSSL_PARAM_construct_end();
    if (encrypt) {
        memcpy(key_name, key.name, 16);
        if (RAND_bytes(iv, 16) != 1) goto done;
        if (EVP_EncryptInit_ex(cipher_ctx, s->ticket_cipher, NULL, key.cipher_key, iv) != 1) goto done;
    } else {
        if (EVP_DecryptInit_ex(cipher_ctx, s->ticket_cipher, NULL, key.cipher_key, iv) != 1) goto done;
    }
    if (EVP_MAC_CTX_set_params(mac_ctx, params) != 1) goto done;
    // 2 on a decryption asks OpenSSL to issue a fresh ticket on the resumed connection: for a
    // ticket under the previous key, and always with TLS 1.3, whose clients use a ticket once
    // (RFC 8446, C.4) and would otherwise fall back to a full handshake on every other
    // connection. A TLS 1.2 client keeps resuming with the ticket it has.
    if (encrypt) {
        result = 1;
    } else {
        result = found == 2 || SSL_version(ssl) >= TLS1_3_VERSION ? 2 : 1;
    }
done:
    OPENSSL_cleanse(&key, sizeof(key));
    return result;
}

// MARK: ALPN

/// Selects `http/1.1` from the client's ALPN list. A client that offers ALPN without it gets the
/// fatal no_application_protocol alert (RFC 7301 §3.2); a client without ALPN is not called here.
static int fr_tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                              const unsigned char *in, unsigned int in_len, void *arg) {
    (void)ssl;
    (void)arg;
    static const unsigned char http11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned int index = 0;
    while (index < in_len) {
        unsigned int length = in[index];
        if (length == 0 || length > in_len - index - 1) break;
        if (length == sizeof(http11) && memcmp(in + index + 1, http11, sizeof(http11)) == 0) {
            *out = in + index + 1;
            *out_len = (unsigned char)length;
            return SSL_TLSEXT_ERR_OK;
        }
        index += 1 + length;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// MARK: the socket BIO

// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE on a socket the peer has
// reset; this one sends with MSG_NOSIGNAL, like the rest of the server, and is otherwise the same.
// The descriptor lives in the BIO's data pointer; the BIO never closes it.

static int fr_tls_socket_read(BIO *bio, char *out, int length) {
    int fd = (int)(intptr_t)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (out == NULL || length <= 0) return 0;
    ssize_t n = recv(fd, out, (size_t)length, 0);
    if (n > 0) return (int)n;
    if (n == 0) {
        BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(bio);
    return -1;
}

static int fr_tls_socket_write(BIO *bio, const char *in, int length) {
    int fd = (int)(intptr_t)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (length <= 0) return 0;
    ssize_t n = send(fd, in, (size_t)length, MSG_NOSIGNAL);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
    return -1;
}

static long fr_tls_socket_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)number;
    switch (command) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_EOF:
        return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0;
    case BIO_C_GET_FD:
        if (pointer != NULL) *(int *)pointer = (int)(intptr_t)BIO_get_data(bio);
        return (long)(intptr_t)BIO_get_data(bio);
    default:
        return 0;
    }
}

static int fr_tls_socket_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

/// The socket BIO method above; NULL on failure. Each context owns one.
static inline BIO_METHOD *fr_tls_socket_method_new(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_TYPE_SOCKET, "fast-receiver socket");
    if (method == NULL) return NULL;
    if (BIO_meth_set_read(method, fr_tls_socket_read) != 1
        || BIO_meth_set_write(method, fr_tls_socket_write) != 1
        || BIO_meth_set_ctrl(method, fr_tls_socket_ctrl) != 1
        || BIO_meth_set_create(method, fr_tls_socket_create) != 1) {
        BIO_meth_free(method);
        return NULL;
    }
    return method;
}

// MARK: context

/// Frees a context bundle; every SSL made from it must be gone (each holds the SSL_CTX, and
/// the callbacks read the bundle).
static inline void fr_tls_server_free(void *server) {
    fr_tls_server *s = (fr_tls_server *)server;
    SSL_CTX_free(s->ctx);
    BIO_meth_free(s->socket_method);
    EVP_CIPHER_free(s->ticket_cipher);
    CRYPTO_THREAD_lock_free(s->ticket_lock);
    OPENSSL_clear_free(s, sizeof(fr_tls_server));
}

/// A server SSL_CTX with FastReceiver's fixed policy; NULL on failure (the error queue says why).
///
/// TLS 1.2 and 1.3 only; for TLS 1.2 the forward-secret AEAD suites of Mozilla's "intermediate"
/// profile, for TLS 1.3 OpenSSL's defaults (all AEAD, all forward-secret); X25519 and P-256; the
/// client's suite preference (Mozilla: off for intermediate, every suite offered being strong);
/// no renegotiation, no compression; ALPN http/1.1; stateless tickets under rotating keys plus a
/// server-side cache of `cache_capacity` sessions, both living `session_lifetime` seconds, which
/// is also how often the ticket key rotates (so a key outlives every ticket it sealed).
static inline void *fr_tls_server_new(long cache_capacity, long session_lifetime) {
    if (cache_capacity < 1 || session_lifetime < 1) return NULL;
    static const unsigned char session_id_context[] = "fast-receiver";
    fr_tls_server *s = (fr_tls_server *)OPENSSL_zalloc(sizeof(fr_tls_server));
    if (s == NULL) return NULL;
    s->ticket_rotation_ns = (uint64_t)session_lifetime * 1000000000u;
    s->ticket_lock = CRYPTO_THREAD_lock_new();
    s->ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    s->socket_method = fr_tls_socket_method_new();
    SSL_CTX *ctx = s->ctx = SSL_CTX_new_ex(NULL, NULL, TLS_server_method());
    if (s->ticket_lock == NULL || s->ticket_cipher == NULL || s->socket_method == NULL || s->ctx == NULL) goto fail;
    if (RAND_bytes((unsigned char *)&s->ticket_current, (int)sizeof(s->ticket_current)) != 1) goto fail;
    s->ticket_current_since_ns = fr_tls_monotonic_ns();

    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) goto fail;
    if (SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) goto fail;
    if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1) goto fail;
    SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    // A TCP close without close_notify reads as a close, not a fatal error: HTTP's own framing
    // tells a cut request, and a fatal error would also drop the session from the cache.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Idle connections give their record buffers back; a write returns after each record, as a
    // socket write returns what fitted, and may be retried from wherever the caller's bytes now
    // sit; a read takes everything the socket holds in one recv instead of a header and a body.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_alpn_select_cb(ctx, fr_tls_alpn_select, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, cache_capacity);
    (void)SSL_CTX_set_timeout(ctx, session_lifetime);
    if (SSL_CTX_set_session_id_context(ctx, session_id_context, sizeof(session_id_context) - 1) != 1) goto fail;
    if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, fr_tls_ticket_key_callback) != 1) goto fail;
    if (SSL_CTX_set_app_data(ctx, s) != 1) goto fail;
    return s;
fail:
    fr_tls_server_free(s);
    return NULL;
}

/// The number of sessions in the server-side cache.
static inline long fr_tls_server_cached_sessions(void *server) {
    return SSL_CTX_sess_number(((fr_tls_server *)server)->ctx);
}

// MARK: certificate and key

/// Outcomes of loading PEM data, for Swift to turn into typed errors.
enum {
    FR_TLS_LOAD_OK = 1,
    FR_TLS_LOAD_NO_PEM = 0,         // not one PEM block of the wanted kind
    FR_TLS_LOAD_UNDECODABLE = -1,   // a PEM block of that kind that OpenSSL cannot decode
    FR_TLS_LOAD_REFUSED = -2,       // decoded, but the context refuses it (e.g. too weak a key)
    FR_TLS_LOAD_KEY_MISMATCH = -3,  // the private key does not belong to the leaf certificate
    FR_TLS_LOAD_ENCRYPTED = -4,     // the private key is encrypted with a passphrase
};

/// Never prompts: an encrypted key fails to decode instead of reading a passphrase from a tty.
static int fr_tls_no_passphrase(char *buffer, int size, int writing, void *user) {
    (void)buffer; (void)size; (void)writing; (void)user;
    return -1;
}

/// Whether the newest error on the queue is PEM's "no start line": the input held no more blocks.
static inline int fr_tls_error_is_end_of_pem(void) {
    unsigned long code = ERR_peek_last_error();
    return ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
}

/// Loads a PEM chain, leaf first, as the context's certificate and chain. Other PEM blocks (a
/// key in the same file) are skipped. Returns an FR_TLS_LOAD_* code; on OK, `*count` certificates.
static inline int fr_tls_server_use_certificate_chain(void *server, const void *pem, size_t length, int *count) {
    SSL_CTX *ctx = ((fr_tls_server *)server)->ctx;
    *count = 0;
    if (length > INT_MAX) return FR_TLS_LOAD_UNDECODABLE;
    BIO *bio = BIO_new_mem_buf(pem, (int)length);
    if (bio == NULL) return FR_TLS_LOAD_REFUSED;
    int result = FR_TLS_LOAD_OK;
    int used = 0;
    X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, fr_tls_no_passphrase, NULL);
    if (leaf == NULL) {
        result = fr_tls_error_is_end_of_pem() ? FR_TLS_LOAD_NO_PEM : FR_TLS_LOAD_UNDECODABLE;
        goto done;
    }
    used = SSL_CTX_use_certificate(ctx, leaf);
    X509_free(leaf); // the context holds its own reference
    if (used != 1 || SSL_CTX_clear_chain_certs(ctx) != 1) {
        result = FR_TLS_LOAD_REFUSED;
        goto done;
    }
    *count = 1;
    for (;;) {
        X509 *issuer = PEM_read_bio_X509(bio, NULL, fr_tls_no_passphrase, NULL);
        if (issuer == NULL) {
            if (fr_tls_error_is_end_of_pem()) {
                ERR_clear_error();
            } else {
                result = FR_TLS_LOAD_UNDECODABLE;
            }
            break;
        }
        if (SSL_CTX_add0_chain_cert(ctx, issuer) != 1) { // takes the reference on success
            X509_free(issuer);
            result = FR_TLS_LOAD_REFUSED;
            break;
        }
        *count += 1;
    }
done:
    BIO_free(bio);
    return result;
}

/// Whether the `length` bytes at `bytes` contain `needle` (short, NUL-terminated).
static inline int fr_tls_contains(const void *bytes, size_t length, const char *needle) {
    const unsigned char *haystack = (const unsigned char *)bytes;
    size_t count = strlen(needle);
    for (size_t start = 0; count <= length && start <= length - count; start++) {
        if (memcmp(haystack + start, needle, count) == 0) return 1;
    }
    return 0;
}

/// Loads a PEM private key and checks it against the leaf already loaded. Returns an
/// FR_TLS_LOAD_* code.
///
/// OpenSSL 3's key decoder reports "unsupported" alike for a file without a key and for a key it
/// cannot read, so the PEM labels decide which it was.
static inline int fr_tls_server_use_private_key(void *server, const void *pem, size_t length) {
    SSL_CTX *ctx = ((fr_tls_server *)server)->ctx;
    if (length > INT_MAX) return FR_TLS_LOAD_UNDECODABLE;
    BIO *bio = BIO_new_mem_buf(pem, (int)length);
    if (bio == NULL) return FR_TLS_LOAD_REFUSED;
    int result = FR_TLS_LOAD_OK;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, fr_tls_no_passphrase, NULL);
    BIO_free(bio);
    if (key == NULL) {
        if (!fr_tls_contains(pem, length, "PRIVATE KEY-----")) return FR_TLS_LOAD_NO_PEM;
        if (fr_tls_contains(pem, length, "ENCRYPTED")) return FR_TLS_LOAD_ENCRYPTED;
        return FR_TLS_LOAD_UNDECODABLE;
    }
    X509 *leaf = SSL_CTX_get0_certificate(ctx);
    if (leaf == NULL || X509_check_private_key(leaf, key) != 1) {
        result = FR_TLS_LOAD_KEY_MISMATCH;
    } else if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        result = FR_TLS_LOAD_REFUSED;
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        result = FR_TLS_LOAD_KEY_MISMATCH;
    }
    EVP_PKEY_free(key);
    return result;
}

/// The leaf's notAfter as Unix seconds into `*seconds`. Returns 1 on success.
static inline int fr_tls_server_leaf_not_after(void *server, int64_t *seconds) {
    X509 *leaf = SSL_CTX_get0_certificate(((fr_tls_server *)server)->ctx);
    struct tm tm;
    if (leaf == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) != 1) return 0;
    *seconds = (int64_t)timegm(&tm);
    return 1;
}

/// The leaf's subject in RFC 2253 form into `buffer` (truncated to fit, NUL-terminated).
/// Returns the length written, or -1.
static inline int fr_tls_server_leaf_subject(void *server, char *buffer, size_t capacity) {
    X509 *leaf = SSL_CTX_get0_certificate(((fr_tls_server *)server)->ctx);
    if (leaf == NULL || capacity == 0 || capacity > INT_MAX) return -1;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return -1;
    int written = -1;
    if (X509_NAME_print_ex(bio, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253) >= 0) {
        written = BIO_read(bio, buffer, (int)capacity - 1);
        if (written < 0) written = 0;
        buffer[written] = 0;
    }
    BIO_free(bio);
    return written;
}

// MARK: connections

/// An SSL from `ctx` (it takes a reference) on the socket `fd`, through one BIO of `method` for
/// both directions, which the SSL owns and which never closes `fd`; NULL on failure.
static inline SSL *fr_tls_ssl_on_socket(SSL_CTX *ctx, const BIO_METHOD *method, int fd) {
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL) return NULL;
    BIO *bio = BIO_new(method);
    if (bio == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    BIO_set_data(bio, (void *)(intptr_t)fd);
    SSL_set_bio(ssl, bio, bio);
    return ssl;
}

/// A server-side SSL on the non-blocking socket `fd` (which it never closes); NULL on failure.
static inline void *fr_tls_connection_new(void *server, int fd) {
    fr_tls_server *s = (fr_tls_server *)server;
    SSL *ssl = fr_tls_ssl_on_socket(s->ctx, s->socket_method, fd);
    if (ssl != NULL) SSL_set_accept_state(ssl);
    return ssl;
}

// MARK: the client side (send and healthcheck)

/// A client SSL_CTX and the socket BIO method its connections use.
typedef struct {
    SSL_CTX *ctx;
    BIO_METHOD *socket_method;
} fr_tls_client;

static inline void fr_tls_client_free(void *client) {
    fr_tls_client *c = (fr_tls_client *)client;
    SSL_CTX_free(c->ctx);
    BIO_meth_free(c->socket_method);
    OPENSSL_free(c);
}

/// Outcomes of making a client context.
enum {
    FR_TLS_CLIENT_OK = 0,
    FR_TLS_CLIENT_FAILED = 1,    // OpenSSL could not make the context (the error queue says why)
    FR_TLS_CLIENT_BAD_CA = 2,    // the CA file holds no certificate OpenSSL can load
};

/// A client context into `*client`: TLS 1.2 and 1.3, ALPN http/1.1, and the server's chain
/// verified against `ca_file` (the system's trust store when NULL) unless `verify` is 0.
/// Returns an FR_TLS_CLIENT_* code.
static inline int fr_tls_client_new(const char *ca_file, int verify, void **client) {
    static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    *client = NULL;
    fr_tls_client *c = (fr_tls_client *)OPENSSL_zalloc(sizeof(fr_tls_client));
    if (c == NULL) return FR_TLS_CLIENT_FAILED;
    c->socket_method = fr_tls_socket_method_new();
    c->ctx = SSL_CTX_new_ex(NULL, NULL, TLS_client_method());
    int result = FR_TLS_CLIENT_FAILED;
    if (c->socket_method == NULL || c->ctx == NULL) goto fail;
    if (SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1) goto fail;
    if (SSL_CTX_set_alpn_protos(c->ctx, alpn, sizeof(alpn)) != 0) goto fail;
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (verify) {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        if (ca_file != NULL) {
            if (SSL_CTX_load_verify_file(c->ctx, ca_file) != 1) {
                result = FR_TLS_CLIENT_BAD_CA;
                goto fail;
            }
        } else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
            goto fail;
        }
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    }
    *client = c;
    return FR_TLS_CLIENT_OK;
fail:
    fr_tls_client_free(c);
    return result;
}

/// A client SSL on the connected socket `fd` (which it never closes) for the server `host`: an
/// IP address is checked against the certificate's IP addresses, a name against its DNS names
/// and sent as SNI. NULL on failure.
static inline void *fr_tls_client_connection_new(void *client, int fd, const char *host) {
    fr_tls_client *c = (fr_tls_client *)client;
    SSL *ssl = fr_tls_ssl_on_socket(c->ctx, c->socket_method, fd);
    if (ssl == NULL) return NULL;
    SSL_set_connect_state(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) {
        ERR_clear_error();
        if (SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1) {
            SSL_free(ssl);
            return NULL;
        }
    }
    return ssl;
}

/// Why the peer's certificate did not verify ("certificate has expired"), or NULL if it did.
static inline const char *fr_tls_verify_failure(void *ssl) {
    long result = SSL_get_verify_result((SSL *)ssl);
    return result == X509_V_OK ? NULL : X509_verify_cert_error_string(result);
}

/// Frees an SSL. With `keep_session`, first marks it as properly shut down, so that its
/// session stays in the cache however the TCP connection ended (OpenSSL drops the session of a
/// connection freed without close_notify).
static inline void fr_tls_connection_free(void *ssl, int keep_session) {
    if (keep_session) SSL_set_shutdown((SSL *)ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free((SSL *)ssl);
}

/// Outcomes of an SSL I/O call, for Swift to switch on.
enum {
    FR_TLS_IO_DONE = 0,        // succeeded; a byte count, if any, is in *count
    FR_TLS_IO_WANT_READ = 1,   // retry once the socket is readable
    FR_TLS_IO_WANT_WRITE = 2,  // retry once the socket is writable
    FR_TLS_IO_CLOSED = 3,      // the peer sent close_notify
    FR_TLS_IO_EOF = 4,         // the peer closed the TCP connection without close_notify
    FR_TLS_IO_SYSCALL = 5,     // the socket failed; errno in *detail
    FR_TLS_IO_FAILED = 6,      // a TLS failure; OpenSSL's first error code in *detail (0 if none)
};

/// Classifies a failed SSL call and empties this thread's error queue, so one connection's
/// failure never shows up in the next connection's call on the same thread.
static inline int fr_tls_outcome(SSL *ssl, int ret, int saved_errno, unsigned long *detail) {
    int error = SSL_get_error(ssl, ret);
    unsigned long first = ERR_get_error();
    ERR_clear_error();
    *detail = 0;
    switch (error) {
    case SSL_ERROR_WANT_READ:
        return FR_TLS_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return FR_TLS_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return FR_TLS_IO_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (first == 0 && saved_errno == 0) return FR_TLS_IO_EOF;
        if (first != 0) {
            *detail = first;
            return FR_TLS_IO_FAILED;
        }
        *detail = (unsigned long)saved_errno;
        return FR_TLS_IO_SYSCALL;
    case SSL_ERROR_SSL:
        if (ERR_GET_LIB(first) == ERR_LIB_SSL && ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            return FR_TLS_IO_EOF;
        }
        *detail = first;
        return FR_TLS_IO_FAILED;
    default:
        *detail = first;
        return FR_TLS_IO_FAILED;
    }
}

/// Runs or continues the server handshake. Returns an FR_TLS_IO_* code.
static inline int fr_tls_handshake(void *ssl, unsigned long *detail) {
    ERR_clear_error();
    errno = 0;
    int ret = SSL_do_handshake((SSL *)ssl);
    if (ret == 1) return FR_TLS_IO_DONE;
    return fr_tls_outcome((SSL *)ssl, ret, errno, detail);
}

/// Reads up to `length` bytes of plaintext into `buffer`. Returns an FR_TLS_IO_* code.
static inline int fr_tls_read(void *ssl, void *buffer, size_t length, size_t *count, unsigned long *detail) {
    ERR_clear_error();
    errno = 0;
    *count = 0;
    int ret = SSL_read_ex((SSL *)ssl, buffer, length, count);
    if (ret == 1) return FR_TLS_IO_DONE;
    return fr_tls_outcome((SSL *)ssl, ret, errno, detail);
}

/// Writes up to `length` bytes of plaintext from `buffer`; with partial writes on, `*count` may
/// be less than `length`. Returns an FR_TLS_IO_* code.
static inline int fr_tls_write(void *ssl, const void *buffer, size_t length, size_t *count, unsigned long *detail) {
    ERR_clear_error();
    errno = 0;
    *count = 0;
    int ret = SSL_write_ex((SSL *)ssl, buffer, length, count);
    if (ret == 1) return FR_TLS_IO_DONE;
    return fr_tls_outcome((SSL *)ssl, ret, errno, detail);
}

/// Sends close_notify once, without waiting for the peer's. Returns an FR_TLS_IO_* code.
static inline int fr_tls_shutdown(void *ssl, unsigned long *detail) {
    ERR_clear_error();
    errno = 0;
    int ret = SSL_shutdown((SSL *)ssl);
    if (ret >= 0) return FR_TLS_IO_DONE;
    return fr_tls_outcome((SSL *)ssl, ret, errno, detail);
}

/// Whether OpenSSL holds input already taken off the socket (decrypted or not), which epoll will
/// never report again.
static inline int fr_tls_has_pending(void *ssl) { return SSL_has_pending((SSL *)ssl); }

static inline int fr_tls_is_handshake_done(void *ssl) { return SSL_is_init_finished((SSL *)ssl); }
static inline int fr_tls_session_reused(void *ssl) { return SSL_session_reused((SSL *)ssl); }
static inline const char *fr_tls_version_name(void *ssl) { return SSL_get_version((SSL *)ssl); }

/// The negotiated cipher suite's OpenSSL name, or NULL before the handshake.
static inline const char *fr_tls_cipher_name(void *ssl) {
    const SSL_CIPHER *cipher = SSL_get_current_cipher((SSL *)ssl);
    return cipher == NULL ? NULL : SSL_CIPHER_get_name(cipher);
}

/// The ALPN protocol selected, as bytes (not NUL-terminated); length 0 when none.
static inline const unsigned char *fr_tls_alpn_selected(void *ssl, unsigned int *length) {
    const unsigned char *data = NULL;
    *length = 0;
    SSL_get0_alpn_selected((SSL *)ssl, &data, length);
    return data;
}

// MARK: errors and hygiene

/// Overwrites `length` bytes at `bytes` with zeros in a way the compiler cannot drop (key material).
static inline void fr_cleanse(void *bytes, size_t length) {
    if (bytes != NULL) OPENSSL_cleanse(bytes, length);
}

/// OpenSSL's reason text for an error code ("wrong version number"), or NULL; static storage.
static inline const char *fr_error_reason(unsigned long code) { return ERR_reason_error_string(code); }

#endif
