// CRC-32 (the polynomial and bit order of zlib's `crc32`) folded 64 bytes at a time with
// carry-less multiplication (PCLMULQDQ), after Intel's "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ Instruction" (2009). zlib 1.2's own `crc32` uses tables only.
// The header needs nothing but <stddef.h> and <stdint.h>; CRC32Fold.c holds the implementation.
#ifndef FAST_RECEIVER_CCRC32_H
#define FAST_RECEIVER_CCRC32_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has PCLMULQDQ and SSE4.1, so that `fr_crc32_fold` may be called; else 0.
int fr_crc32_fold_supported(void);

/// Folds `len` bytes (at least 64, a multiple of 16) into `state`, the CRC register before
/// them (the CRC-32 so far, bit-inverted), and returns the register after them (the CRC-32
/// including them, bit-inverted). Only when `fr_crc32_fold_supported()`.
uint32_t fr_crc32_fold(uint32_t state, const void *data, size_t len);

#endif
