// QR benchmark: wallet side (text -> QR -> PNG bytes) and verifier side (PNG bytes -> pixels -> text),
// per QR version at ECC M, 4 px per module, 4-module quiet zone, full-capacity "WQ1:" texts.
// Usage: qr_bench [iterations]   (default 25; medians printed, one thread)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "wathiq/verifier/qr_decode.h"
#include "wathiq/wallet/qr_render.h"

namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

template <class F>
double TimeMs(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string Wq1Text(size_t len, uint64_t seed) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  std::string s = "WQ1:";
  while (s.size() < len) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    s += kAlphabet[(seed >> 33) % 45];
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 25;
  wathiq::wallet::QrOptions options;  // ECC M, 4 px/module, quiet zone 4
  std::printf("QR benchmark: ECC M, %d px/module, quiet zone %d, median of %d runs\n", options.module_px,
              options.quiet_zone, iterations);
  std::printf("%-7s %6s %8s %9s %9s %10s %12s %12s %12s\n", "version", "chars", "modules", "image px", "PNG bytes",
              "encode ms", "enc+PNG ms", "decode ms", "PNG+dec ms");
  int failures = 0;
  for (int version : {10, 20, 27, 33, 40}) {
    const std::string text = Wq1Text(wathiq::wallet::AlnumCapacity(version, 'M'), 42 + version);
    std::vector<double> encode, encode_png, decode_grey, decode_png;
    wathiq::Bytes png;
    wathiq::wallet::GreyImage grey;
    int size = 0;
    for (int i = 0; i < iterations; ++i) {
      encode.push_back(TimeMs([&] {
        auto code = wathiq::wallet::EncodeQr(text, options);
        if (!code) std::abort();
        size = code->size;
      }));
      encode_png.push_back(TimeMs([&] {
        auto code = wathiq::wallet::EncodeQr(text, options);
        if (!code) std::abort();
        auto bytes = wathiq::wallet::RenderPng(*code, options);
        if (!bytes) std::abort();
        png = std::move(*bytes);
      }));
      if (grey.pixels.empty()) {
        auto code = wathiq::wallet::EncodeQr(text, options);
        if (!code) std::abort();
        auto img = wathiq::wallet::RenderGrey(*code, options);
        if (!img) std::abort();
        grey = std::move(*img);
      }
      bool ok = true;
      decode_grey.push_back(TimeMs([&] {
        auto t = wathiq::verifier::DecodeQrGrey(grey.pixels.data(), grey.width, grey.height);
        ok = ok && t && *t == text;
      }));
      decode_png.push_back(TimeMs([&] {
        auto t = wathiq::verifier::DecodeQrImage(png);
        ok = ok && t && *t == text;
      }));
      failures += ok ? 0 : 1;
    }
    std::printf("%-7d %6zu %8d %9d %9zu %10.3f %12.3f %12.3f %12.3f\n", version, text.size(), size, grey.width,
                png.size(), Median(encode), Median(encode_png), Median(decode_grey), Median(decode_png));
  }
  // The failure path: a camera frame without a code runs zxing twice (normal, inverted) and the grid
  // fallback once, so it costs more than a success.
  for (int side : {740, 1280}) {
    std::vector<uint8_t> noise(static_cast<size_t>(side) * static_cast<size_t>(side));
    uint64_t seed = 1;
    for (auto& p : noise) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      p = static_cast<uint8_t>(seed >> 56);
    }
    std::vector<uint8_t> white(noise.size(), 235);
    std::vector<double> t_noise, t_white;
    for (int i = 0; i < iterations; ++i) {
      t_noise.push_back(TimeMs([&] {
        if (wathiq::verifier::DecodeQrGrey(noise.data(), side, side)) ++failures;
      }));
      t_white.push_back(TimeMs([&] {
        if (wathiq::verifier::DecodeQrGrey(white.data(), side, side)) ++failures;
      }));
    }
    std::printf("no code in a %dx%d frame: noise %.3f ms, blank %.3f ms (decode only)\n", side, side,
                Median(t_noise), Median(t_white));
  }
  if (failures) std::printf("FAILED: %d decodes did not return the text\n", failures);
  return failures ? 1 : 0;
}
