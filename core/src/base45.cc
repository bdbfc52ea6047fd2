#include "wathiq/core/base45.h"

#include <array>

namespace wathiq::base45 {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

constexpr std::array<int8_t, 256> MakeIndex() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kIndex = MakeIndex();

}  // namespace

std::string Encode(ByteView data) {
  std::string out;
  out.reserve(data.size() / 2 * 3 + 2);
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    unsigned n = data[i] * 256u + data[i + 1];
    out.push_back(kAlphabet[n % 45]);
    out.push_back(kAlphabet[(n / 45) % 45]);
    out.push_back(kAlphabet[n / 2025]);
  }
  if (i < data.size()) {
    unsigned n = data[i];
    out.push_back(kAlphabet[n % 45]);
    out.push_back(kAlphabet[n / 45]);
  }
  return out;
}

Result<Bytes> Decode(std::string_view text) {
  if (text.size() % 3 == 1) {
    return Fail(Errc::kMalformed,
                "base45: length " + std::to_string(text.size()) + " leaves a single dangling character");
  }
  Bytes out;
  out.reserve(text.size() / 3 * 2 + 1);
  for (size_t i = 0; i < text.size(); i += 3) {
    size_t chunk = std::min<size_t>(3, text.size() - i);
    unsigned n = 0, mul = 1;
    for (size_t k = 0; k < chunk; ++k) {
      int8_t v = kIndex[static_cast<uint8_t>(text[i + k])];
      if (v < 0) {
        return Fail(Errc::kMalformed,
                    "base45: character at offset " + std::to_string(i + k) + " is not in the alphabet");
      }
      n += static_cast<unsigned>(v) * mul;
      mul *= 45;
    }
    if (chunk == 3) {
      if (n > 0xFFFF) {
        return Fail(Errc::kMalformed, "base45: triple at offset " + std::to_string(i) + " exceeds 65535");
      }
      out.push_back(static_cast<uint8_t>(n >> 8));
      out.push_back(static_cast<uint8_t>(n & 0xFF));
    } else {
      if (n > 0xFF) {
        return Fail(Errc::kMalformed, "base45: final pair at offset " + std::to_string(i) + " exceeds 255");
      }
      out.push_back(static_cast<uint8_t>(n));
    }
  }
  return out;
}

}  // namespace wathiq::base45
