#include "wathiq/core/zlib.h"

#include <zlib.h>

#include <cstdlib>

namespace wathiq::zlib {

Bytes Deflate(ByteView data, int level) {
  uLongf bound = compressBound(static_cast<uLong>(data.size()));
  Bytes out(bound);
  int rc = compress2(out.data(), &bound, data.data(), static_cast<uLong>(data.size()), level);
  if (rc != Z_OK) std::abort();  // only on out-of-memory or a bad level: a broken invariant
  out.resize(bound);
  return out;
}

Result<Bytes> Inflate(ByteView data, size_t max_output) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Fail(Errc::kInternal, "zlib: inflateInit failed");
  struct Guard {
    z_stream* z;
    ~Guard() { inflateEnd(z); }
  } guard{&zs};

  Bytes out;
  uint8_t chunk[16384];
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  if (data.size() > UINT32_MAX) return Fail(Errc::kLimit, "zlib: input too large");
  int rc = Z_OK;
  while (true) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = sizeof(chunk) - zs.avail_out;
    if (out.size() + produced > max_output) {
      return Fail(Errc::kLimit, "zlib: inflated size exceeds the cap of " + std::to_string(max_output) + " bytes");
    }
    out.insert(out.end(), chunk, chunk + produced);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_DATA_ERROR) {
      return Fail(Errc::kMalformed, std::string("zlib: corrupt stream (") + (zs.msg ? zs.msg : "data error") + ")");
    }
    if (rc == Z_NEED_DICT) return Fail(Errc::kMalformed, "zlib: stream needs a preset dictionary");
    if (rc == Z_MEM_ERROR) return Fail(Errc::kInternal, "zlib: out of memory");
    if (rc == Z_BUF_ERROR || (zs.avail_in == 0 && produced == 0)) {
      return Fail(Errc::kMalformed, "zlib: truncated stream");
    }
  }
  if (zs.avail_in != 0) {
    return Fail(Errc::kMalformed, "zlib: " + std::to_string(zs.avail_in) + " trailing bytes after the stream");
  }
  return out;
}

}  // namespace wathiq::zlib
