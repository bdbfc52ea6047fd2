// Helpers shared by the QR image tests: reproducible random texts and greyscale images as PNG.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <png.h>

#include <catch2/catch.hpp>

#include "wathiq/core/result.h"
#include "wathiq/wallet/qr_render.h"

namespace wathiq::qrtest {

inline constexpr std::string_view kBase45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// SplitMix64: the same numbers with every compiler and standard library, unlike <random>'s distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int Uniform(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  double Unit() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }  // [0, 1)

 private:
  uint64_t state_;
};

// "WQ1:" followed by random Base45-alphabet characters, total_len characters in all.
inline std::string Wq1Text(size_t total_len, Rng& rng) {
  std::string s = "WQ1:";
  while (s.size() < total_len) s += kBase45Alphabet[rng.Next() % kBase45Alphabet.size()];
  s.resize(total_len);
  return s;
}

inline Bytes GreyToPng(const std::vector<uint8_t>& pixels, int width, int height, uint32_t format = PNG_FORMAT_GRAY) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = format;
  png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(png);
  Bytes out(size);
  REQUIRE(png_image_write_to_memory(&png, out.data(), &size, 0, pixels.data(), 0, nullptr) != 0);
  out.resize(size);
  return out;
}

inline wallet::GreyImage Render(std::string_view text, int module_px = 4) {
  wallet::QrOptions options;
  options.module_px = module_px;
  auto code = wallet::EncodeQr(text, options);
  REQUIRE(code.has_value());
  auto img = wallet::RenderGrey(*code, options);
  REQUIRE(img.has_value());
  return std::move(*img);
}

}  // namespace wathiq::qrtest
