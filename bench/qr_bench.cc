// QR benchmark: wallet side (text -> QR -> PNG bytes) and verifier side (PNG bytes -> pixels -> text),
// per QR version at ECC M, 4 px per module, 4-module quiet zone, full-capacity "WQ1:" texts; then the
// hostile images of the denial-of-service review (CPU time and peak memory, each in its own process).
// Usage: qr_bench [iterations]   (default 25; medians printed, one thread)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "qr_hostile_images.h"

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

// VmHWM or VmRSS of this process, in KiB.
long StatusKib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

struct Cost {
  double cpu_ms = 0;
  long peak_kib = -1;  // growth of the peak resident set during the decode
  std::string result;
};

// Decodes in a forked child, so the peak memory is this decode's alone: the child resets its
// high-water mark (clear_refs 5) before decoding and reports VmHWM minus VmRSS at the start.
Cost DecodeInChild(const wathiq::Bytes& image) {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  const pid_t pid = ::fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    ::close(fds[0]);
    { std::ofstream("/proc/self/clear_refs") << "5"; }
    const long base = StatusKib("VmRSS:");
    timespec t0{}, t1{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    auto r = wathiq::verifier::DecodeQrImage(image);
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    const double ms =
        static_cast<double>(t1.tv_sec - t0.tv_sec) * 1e3 + static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e6;
    const std::string what = r ? std::string("decoded") : r.error().ToString().substr(0, 60);
    char line[256];
    const int n = std::snprintf(line, sizeof line, "%.3f %ld %s", ms, StatusKib("VmHWM:") - base, what.c_str());
    ::_exit(::write(fds[1], line, static_cast<size_t>(n)) == n ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Cost cost;
  int consumed = 0;
  if (std::sscanf(out.c_str(), "%lf %ld %n", &cost.cpu_ms, &cost.peak_kib, &consumed) >= 2) {
    cost.result = out.substr(static_cast<size_t>(consumed));
  } else {
    cost.result = "child failed";
  }
  return cost;
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
    std::printf("no code in a %dx%d frame: noise %.3f ms, blank %.3f ms (decode only)\n", side, side, Median(t_noise),
                Median(t_white));
  }
  // Hostile images (outside review, denial of service). Before the fix, measured on this machine: the
  // tiled PNG cost 71 s of CPU (7 MB peak RSS), the 8000x8000 PNG 1.05 s and 196 MB peak RSS.
  std::printf("\nhostile images (one process each; CPU time of the decode, growth of peak RSS)\n");
  std::printf("%-52s %9s %10s %12s  %s\n", "image", "PNG bytes", "CPU ms", "peak MiB", "result");
  struct Hostile {
    const char* name;
    wathiq::Bytes png;
  };
  const std::vector<Hostile> hostile = {
      {"960x960 tiled with 1,600 finder patterns", wathiq::qrtest::TiledFindersPng()},
      {"8000x8000 blank (largest accepted)", wathiq::qrtest::BlankPng(8000)},
      // The worst the finder search itself may still cost: 13 x 13 = 169 finders in a grid, under the cap.
      {"312x312 tiled with 169 finders (under the cap)",
       wathiq::qrtest::EncodePng(wathiq::qrtest::FinderTiles(312), 312, 312)},
  };
  for (const Hostile& h : hostile) {
    std::vector<double> cpu;
    long peak = 0;
    std::string result;
    for (int i = 0; i < std::min(iterations, 5); ++i) {
      const Cost c = DecodeInChild(h.png);
      cpu.push_back(c.cpu_ms);
      peak = std::max(peak, c.peak_kib);
      result = c.result;
    }
    std::printf("%-52s %9zu %10.1f %12.1f  %s\n", h.name, h.png.size(), Median(cpu), static_cast<double>(peak) / 1024,
                result.c_str());
  }
  if (failures) std::printf("FAILED: %d decodes did not return the text\n", failures);
  return failures ? 1 : 0;
}
