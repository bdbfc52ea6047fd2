#include "wathiq/core/zlib.h"

#include <zlib.h>
#include <zopfli/zopfli.h>

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

Bytes DeflateSmallest(ByteView data, int iterations) {
  ZopfliOptions options;
  ZopfliInitOptions(&options);
  options.numiterations = iterations;
  unsigned char* out = nullptr;
  size_t out_size = 0;
  ZopfliCompress(&options, ZOPFLI_FORMAT_ZLIB, data.data(), data.size(), &out, &out_size);
  if (!out) std::abort();  // allocation failure
  Bytes result(out, out + out_size);
  free(out);
  Bytes standard = Deflate(data, 9);
  return standard.size() < result.size() ? standard : result;
}

Result<Bytes> Inflate(ByteView data, size_t max_output) {
  if (data.size() > UINT32_MAX) return Fail(Errc::kLimit, "zlib: input too large");
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
  bool padding_checked = false;
  while (true) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    // Z_BLOCK stops at block boundaries, so the padding after the final block can be inspected.
    int rc = inflate(&zs, Z_BLOCK);
    size_t produced = sizeof(chunk) - zs.avail_out;
    if (out.size() + produced > max_output) {
      return Fail(Errc::kLimit, "zlib: inflated size exceeds the cap of " + std::to_string(max_output) + " bytes");
    }
    out.insert(out.end(), chunk, chunk + produced);
    if (rc == Z_DATA_ERROR) {
      return Fail(Errc::kMalformed, std::string("zlib: corrupt stream (") + (zs.msg ? zs.msg : "data error") + ")");
    }
    if (rc == Z_NEED_DICT) return Fail(Errc::kMalformed, "zlib: stream needs a preset dictionary");
    if (rc == Z_MEM_ERROR) return Fail(Errc::kInternal, "zlib: out of memory");
    // Just after the final block's end code (64: last block, 128: at a block boundary): the bits left in
    // the current byte are padding. They must be zero, or the same content has many encodings and a
    // changed QR would verify as the original.
    if (!padding_checked && (zs.data_type & 0xC0) == 0xC0) {
      padding_checked = true;
      unsigned bits = static_cast<unsigned>(zs.data_type) & 63;
      unsigned whole = bits / 8, partial = bits % 8;
      size_t consumed = data.size() - zs.avail_in;
      if (partial && consumed >= whole + 1) {
        uint8_t byte = data[consumed - whole - 1];
        if (byte >> (8 - partial)) return Fail(Errc::kMalformed, "zlib: non-zero padding bits after the final block");
      }
    }
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR || (zs.avail_in == 0 && produced == 0 && rc != Z_OK)) {
      return Fail(Errc::kMalformed, "zlib: truncated stream");
    }
    if (zs.avail_in == 0 && produced == 0) return Fail(Errc::kMalformed, "zlib: truncated stream");
  }
  if (zs.avail_in != 0) {
    return Fail(Errc::kMalformed, "zlib: " + std::to_string(zs.avail_in) + " trailing bytes after the stream");
  }
  return out;
}

}  // namespace wathiq::zlib
