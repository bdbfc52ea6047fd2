// Hostile images for the QR decoder, shared by the tests (tests/qr_image/qr_dos_test.cc) and the
// benchmark (bench/qr_bench.cc): the two inputs of the outside review's denial-of-service finding.
// Plain pixel generators plus libpng's simplified writer; no test framework in here.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <png.h>

#include "wathiq/core/result.h"

namespace wathiq::qrtest {

// A side x side grey image tiled with (side / tile_px)^2 QR finder patterns: each tile is a 7-module
// 1:1:3:1:1 finder (dark ring, light ring, 3x3 dark core) at module_px pixels per module, followed by
// light space. The review's image: side 960, tile 24, module 3 (40 x 40 = 1,600 finders, a 4 KB PNG).
// Every three of them that form a right angle look like a QR symbol's corners to a finder-based
// detector, which is what makes zxing-cpp 1.4's candidate search cubic in their number.
inline std::vector<uint8_t> FinderTiles(int side, int tile_px = 24, int module_px = 3) {
  std::vector<uint8_t> px(static_cast<size_t>(side) * static_cast<size_t>(side), 255);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const int mx = (x % tile_px) / module_px, my = (y % tile_px) / module_px;
      if (mx > 6 || my > 6) continue;
      const int ring = std::max(std::abs(mx - 3), std::abs(my - 3));
      if (ring != 2) px[static_cast<size_t>(y) * static_cast<size_t>(side) + static_cast<size_t>(x)] = 0;
    }
  }
  return px;
}

// 8-bit greyscale (or any simplified-API format) pixels as a PNG, or an empty vector on failure.
inline Bytes EncodePng(const std::vector<uint8_t>& pixels, int width, int height, uint32_t format = PNG_FORMAT_GRAY) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = format;
  png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(png);
  Bytes out(size);
  if (png_image_write_to_memory(&png, out.data(), &size, 0, pixels.data(), 0, nullptr) == 0) return {};
  out.resize(size);
  return out;
}

// The review's tiled PNG: 960 x 960, 1,600 finder patterns.
inline Bytes TiledFindersPng() { return EncodePng(FinderTiles(960), 960, 960); }

// A blank side x side PNG (8000 x 8000 is the largest image the decoder accepts; it compresses to
// about 60 KB as one grey level, so the cost is all in decompression and in the pixel buffers).
inline Bytes BlankPng(int side, uint8_t grey = 255) {
  return EncodePng(std::vector<uint8_t>(static_cast<size_t>(side) * static_cast<size_t>(side), grey), side, side);
}

}  // namespace wathiq::qrtest
