// zlib for FastReceiver: CRC-32 for journal records, gzip for sealed segments and for
// `Content-Encoding: gzip` request bodies. Only the FastReceiverCompression module imports it;
// everything else uses that module's Swift API.
#ifndef FAST_RECEIVER_CZLIB_SHIM_H
#define FAST_RECEIVER_CZLIB_SHIM_H

#include <stddef.h>
#include <stdlib.h>
#include <zlib.h>

/// CRC-32 (zlib's `crc32`) continuing from `crc` over `len` bytes.
static inline unsigned long fr_crc32(unsigned long crc, const void *data, size_t len) {
    return crc32_z(crc, (const Bytef *)data, len);
}

/// Inflates a gzip- (`window_bits` 31), zlib- (15) or raw-deflate (-15) stream in one call.
/// A gzip stream may hold several members, one after another (RFC 1952 §2.2): each must be
/// complete, and their output is concatenated. Returns the bytes written, -1 for a malformed
/// stream (trailing bytes that are not a whole member included), -2 when the output would
/// exceed `out_len` (the caller's cap on the inflated size, across all members).
static inline long fr_inflate(int window_bits, const void *in, size_t in_len, void *out, size_t out_len) {
    z_stream stream = {0};
    if (inflateInit2(&stream, window_bits) != Z_OK) return -1;
    stream.next_in = (Bytef *)in;
    stream.avail_in = (uInt)in_len;
    stream.next_out = (Bytef *)out;
    stream.avail_out = (uInt)out_len;
    long result = -1;
    for (;;) {
        int status = inflate(&stream, Z_FINISH);
        if (status == Z_STREAM_END) {
            if (stream.avail_in == 0) {
                result = (long)(out_len - stream.avail_out);
                break;
            }
            // More input after a member's trailer: only gzip allows another member. Every member
            // consumes at least its 18-byte header and trailer, so this loop ends.
            if (window_bits < 16 || inflateReset(&stream) != Z_OK) break;
            continue;
        }
        if (status == Z_BUF_ERROR && stream.avail_out == 0) result = -2;
        break;
    }
    inflateEnd(&stream);
    return result;
}

/// x^(8·`len`) modulo the CRC-32 polynomial: the operator `fr_crc32_combine_op` multiplies by to
/// append `len` bytes (zlib's `crc32_combine_gen`).
static inline unsigned long fr_crc32_combine_gen(long len) { return crc32_combine_gen((z_off_t)len); }
/// The CRC-32 of A followed by B from crc(A), crc(B) and `op` = `fr_crc32_combine_gen(|B|)`.
static inline unsigned long fr_crc32_combine_op(unsigned long crc1, unsigned long crc2, unsigned long op) {
    return crc32_combine_op(crc1, crc2, op);
}

/// Opens a gzip file for reading ("rb") or writing ("wb6"); NULL on failure.
static inline void *fr_gzopen(const char *path, const char *mode) { return gzopen(path, mode); }
/// Wraps a descriptor the caller opened (and may fdatasync while writing); gzclose closes it.
static inline void *fr_gzdopen(int fd, const char *mode) { return gzdopen(fd, mode); }
/// Pushes buffered compressed bytes to the descriptor (Z_SYNC_FLUSH keeps the stream valid).
static inline int fr_gzflush(void *file) { return gzflush((gzFile)file, Z_SYNC_FLUSH); }
static inline int fr_gzread(void *file, void *buf, unsigned len) { return gzread((gzFile)file, buf, len); }
static inline int fr_gzwrite(void *file, const void *buf, unsigned len) { return gzwrite((gzFile)file, buf, len); }
static inline int fr_gzclose(void *file) { return gzclose((gzFile)file); }
/// zlib's error code for the last gzread (Z_OK, Z_BUF_ERROR for a stream cut short, Z_DATA_ERROR ...).
static inline int fr_gzerror(void *file) {
    int error = Z_OK;
    (void)gzerror((gzFile)file, &error);
    return error;
}

#endif
