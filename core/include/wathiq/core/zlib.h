// Wathiq core: zlib (RFC 1950) with a hard output cap on inflate. Inflate stops as soon as the output
// would pass max_output (kLimit), rejects a truncated stream, a bad checksum and trailing bytes
// (kMalformed). Never allocates more than max_output plus a small buffer.
#pragma once

#include "wathiq/core/result.h"

namespace wathiq::zlib {
Bytes Deflate(ByteView data, int level = 9);
// The smallest zlib stream we know how to make (Zopfli's exhaustive search; any inflate reads it). About
// 100 times slower than level 9: for a QR code, where every byte costs a module, not for bulk data.
Bytes DeflateSmallest(ByteView data, int iterations = 15);
Result<Bytes> Inflate(ByteView data, size_t max_output);
}  // namespace wathiq::zlib
