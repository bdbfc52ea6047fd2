// Denial of service through image decoding (outside review): a 4 KB PNG tiled with 1,600 QR finder
// patterns cost 71 s of CPU inside zxing-cpp 1.4, and an 8000x8000 PNG about 200 MB. Each hostile image
// is decoded in a forked child under real limits (RLIMIT_CPU, and RLIMIT_AS where the build allows it),
// so a regression shows up as a child killed by SIGXCPU or failing to allocate, not as a slow test.
// Legitimate large images (a QR filling an 8000x8000 PNG, a 16-megapixel JPEG) must still decode.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <catch2/catch.hpp>

#include "../../verifier/src/finder_count.h"
#include "qr_hostile_images.h"
#include "qr_test_util.h"
#include "wathiq/verifier/qr_decode.h"
#include "wathiq/wallet/qr_render.h"

#if defined(__SANITIZE_ADDRESS__)
#define WATHIQ_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WATHIQ_TEST_ASAN 1
#endif
#endif

namespace wathiq {
namespace {

using verifier::DecodeQrImage;

struct ChildOutcome {
  bool exited = false;  // false: killed by a signal
  int exit_code = -1;
  int signal = 0;
  std::string result;  // "ok:<text>" or "<errc>: <message>", as the child reported it
  double cpu_seconds = 0;
};

// Address space of this process now (VmSize), in bytes.
size_t CurrentAddressSpace() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoul(line.substr(7)) * 1024;
  }
  return 0;
}

// Decodes `image` in a forked child limited to cpu_seconds of CPU and, if extra_address_space is not
// zero, to that many bytes of address space beyond what it starts with.
ChildOutcome DecodeLimited(const Bytes& image, int cpu_seconds, size_t extra_address_space) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    // SIGXCPU at the soft limit; SIGKILL two seconds later should the process survive that.
    const rlimit cpu{static_cast<rlim_t>(cpu_seconds), static_cast<rlim_t>(cpu_seconds + 2)};
    if (::setrlimit(RLIMIT_CPU, &cpu) != 0) ::_exit(90);
    if (extra_address_space != 0) {
      const size_t limit = CurrentAddressSpace() + extra_address_space;
      const rlimit as{limit, limit};
      if (::setrlimit(RLIMIT_AS, &as) != 0) ::_exit(91);
    }
    auto r = DecodeQrImage(image);
    const std::string report = r ? "ok:" + *r : r.error().ToString();
    const ssize_t n = ::write(fds[1], report.data(), report.size());
    ::_exit(n == static_cast<ssize_t>(report.size()) ? 0 : 92);
  }
  ::close(fds[1]);
  ChildOutcome out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.result.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  rusage usage{};
  REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
  out.exited = WIFEXITED(status);
  out.exit_code = out.exited ? WEXITSTATUS(status) : -1;
  out.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  out.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  return out;
}

// The address-space limit used for the large images: the old decoder needed about 200 MB for an
// 8000x8000 PNG (three full-size copies of the pixels); the bounded one needs about 25 MB.
[[maybe_unused]] constexpr size_t kExtraAddressSpace = size_t{128} << 20;  // unused under ASan

size_t AddressSpaceLimitForBuild() {
#ifdef WATHIQ_TEST_ASAN
  return 0;  // ASan reserves terabytes of shadow memory: RLIMIT_AS would stop it at start-up
#else
  return kExtraAddressSpace;
#endif
}

void RequireChildOutcome(const ChildOutcome& out, const std::string& expected_prefix,
                         const std::string& contains = "") {
  CAPTURE(out.exited, out.exit_code, out.signal, out.result, out.cpu_seconds);
  REQUIRE(out.signal != SIGXCPU);  // the CPU limit was hit: unbounded work is back
  REQUIRE(out.signal != SIGKILL);
  REQUIRE(out.exited);
  REQUIRE(out.exit_code == 0);
  CHECK(out.result.rfind(expected_prefix, 0) == 0);
  if (!contains.empty()) CHECK(out.result.find(contains) != std::string::npos);
}

TEST_CASE("dos: a PNG tiled with 1,600 finder patterns decodes to an error within a 10 s CPU limit",
          "[qr][negative][dos]") {
  const Bytes png = qrtest::TiledFindersPng();
  REQUIRE_FALSE(png.empty());
  CHECK(png.size() < 8192);  // a few KB: the cost is all in the search, none in the input
  // The old decoder spent 71 s here (zxing-cpp 1.4's cubic finder search); now the finder count is over
  // the cap, zxing's search is skipped and the bounded fallback finds nothing.
  const ChildOutcome out = DecodeLimited(png, 10, AddressSpaceLimitForBuild());
  RequireChildOutcome(out, "not_found:", "too many finder-pattern candidates");
  CHECK(out.cpu_seconds < 2);
}

TEST_CASE("dos: variants of the tiling (light on dark, 1-pixel modules, low contrast) stay bounded",
          "[qr][negative][dos]") {
  struct Variant {
    const char* name;
    std::vector<uint8_t> pixels;
    int side;
  };
  std::vector<Variant> variants;
  {
    std::vector<uint8_t> px = qrtest::FinderTiles(960);
    for (auto& v : px) v = static_cast<uint8_t>(255 - v);
    variants.push_back({"light on dark", std::move(px), 960});
  }
  variants.push_back({"1-pixel modules, 8-pixel tiles", qrtest::FinderTiles(480, 8, 1), 480});
  {
    std::vector<uint8_t> px = qrtest::FinderTiles(960);
    for (auto& v : px) v = static_cast<uint8_t>(v ? 130 : 100);  // contrast 30, just over zxing's 24
    variants.push_back({"contrast 30", std::move(px), 960});
  }
  for (const Variant& v : variants) {
    CAPTURE(v.name);
    const ChildOutcome out = DecodeLimited(qrtest::EncodePng(v.pixels, v.side, v.side), 10, 0);
    RequireChildOutcome(out, "not_found:", "too many finder-pattern candidates");
  }
}

TEST_CASE("dos: an 8000x8000 PNG decodes within the CPU limit and 128 MB of address space", "[qr][negative][dos]") {
  const Bytes png = qrtest::BlankPng(8000);
  REQUIRE_FALSE(png.empty());
  const ChildOutcome out = DecodeLimited(png, 10, AddressSpaceLimitForBuild());
  RequireChildOutcome(out, "not_found:");
}

TEST_CASE("dos: a QR filling an 8000x8000 PNG is shrunk while read and still decodes", "[qr][dos]") {
  qrtest::Rng rng(41);
  const std::string text = qrtest::Wq1Text(wallet::AlnumCapacity(27, 'M'), rng);
  // Version 27: 125 modules and a 4-module quiet zone each side, 133 in all; 60 px each is 7980 px,
  // shrunk 3x3 to 20 px per module.
  const wallet::GreyImage img = qrtest::Render(text, 60);
  REQUIRE(img.width > 7900);
  const Bytes png = qrtest::EncodePng(img.pixels, img.width, img.height);
  const ChildOutcome out = DecodeLimited(png, 10, AddressSpaceLimitForBuild());
  RequireChildOutcome(out, "ok:" + text);
}

TEST_CASE("dos: a 16-megapixel JPEG is decoded at a reduced DCT scale and still reads", "[qr][dos]") {
  qrtest::Rng rng(42);
  const std::string text = qrtest::Wq1Text(wallet::AlnumCapacity(25, 'M'), rng);
  // Version 25: 117 + 8 modules; 32 px each is 4000 px, more than kMaxWorkingPixels (4000^2 = 16 MP).
  const wallet::GreyImage img = qrtest::Render(text, 32);
  REQUIRE(static_cast<int64_t>(img.width) * img.height > verifier::kMaxWorkingPixels);
  Bytes jpeg;
  auto sink = [](void* context, void* data, int size) {
    auto* o = static_cast<Bytes*>(context);
    const auto* p = static_cast<const uint8_t*>(data);
    o->insert(o->end(), p, p + size);
  };
  REQUIRE(stbi_write_jpg_to_func(sink, &jpeg, img.width, img.height, 1, img.pixels.data(), 85) != 0);
  const ChildOutcome out = DecodeLimited(jpeg, 10, AddressSpaceLimitForBuild());
  RequireChildOutcome(out, "ok:" + text);
}

TEST_CASE("dos: large grey frames are box-shrunk too (DecodeQrGrey)", "[qr][dos]") {
  qrtest::Rng rng(43);
  const std::string text = qrtest::Wq1Text(wallet::AlnumCapacity(40, 'M'), rng);
  // Version 40 at 17 px per module: 185 * 17 = 3145 px square, 9.9 MP, shrunk 2x2 to 8.5 px per module.
  const wallet::GreyImage img = qrtest::Render(text, 17);
  REQUIRE(static_cast<int64_t>(img.width) * img.height > verifier::kMaxWorkingPixels);
  auto r = verifier::DecodeQrGrey(img.pixels.data(), img.width, img.height);
  REQUIRE(r.has_value());
  CHECK(*r == text);
}

// An interlaced (Adam7) PNG through libpng's writer: the simplified API cannot write one.
Bytes InterlacedPng(const std::vector<uint8_t>& pixels, int width, int height) {
  struct Sink {
    Bytes out;
  } sink;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return {};
  }
  png_set_write_fn(
      png, &sink,
      [](png_structp p, png_bytep data, size_t n) {
        auto* s = static_cast<Sink*>(png_get_io_ptr(p));
        s->out.insert(s->out.end(), data, data + n);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_ADAM7, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const int passes = png_set_interlace_handling(png);
  for (int pass = 0; pass < passes; ++pass) {
    for (int y = 0; y < height; ++y) {
      png_write_row(png, pixels.data() + static_cast<size_t>(y) * static_cast<size_t>(width));
    }
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::move(sink.out);
}

TEST_CASE("dos: interlaced PNGs decode up to the working size and are refused above it", "[qr][dos]") {
  qrtest::Rng rng(44);
  const std::string text = qrtest::Wq1Text(wallet::AlnumCapacity(15, 'M'), rng);
  const wallet::GreyImage img = qrtest::Render(text);
  const Bytes small = InterlacedPng(img.pixels, img.width, img.height);
  REQUIRE_FALSE(small.empty());
  auto r = DecodeQrImage(small);
  REQUIRE(r.has_value());
  CHECK(*r == text);

  const int side = 3000;  // 9 MP: over kMaxWorkingPixels
  const Bytes big = InterlacedPng(std::vector<uint8_t>(static_cast<size_t>(side) * side, 255), side, side);
  REQUIRE_FALSE(big.empty());
  auto refused = DecodeQrImage(big);
  REQUIRE_FALSE(refused.has_value());
  CAPTURE(refused.error().ToString());
  CHECK(refused.error().code == Errc::kLimit);
  CHECK(refused.error().message.find("interlaced") != std::string::npos);
}

TEST_CASE("dos: the finder count sees the tiling, its negative, and real codes' three finders", "[qr][dos]") {
  using verifier::internal::CountFinderCandidates;
  const std::vector<uint8_t> tiles = qrtest::FinderTiles(240);  // 10 x 10 = 100 finders
  CHECK(CountFinderCandidates(tiles.data(), 240, 240, false, 1000) == 100);
  std::vector<uint8_t> negative = tiles;
  for (auto& v : negative) v = static_cast<uint8_t>(255 - v);
  CHECK(CountFinderCandidates(negative.data(), 240, 240, true, 1000) == 100);
  // Counting stops just past the cap it is given.
  CHECK(CountFinderCandidates(tiles.data(), 240, 240, false, 10) == 11);
  // A rendered code: its three finders, plus what its data happens to draw.
  qrtest::Rng rng(45);
  const wallet::GreyImage img = qrtest::Render(qrtest::Wq1Text(wallet::AlnumCapacity(2, 'M'), rng));
  const int n = CountFinderCandidates(img.pixels.data(), img.width, img.height, false, 1000);
  CHECK(n >= 3);
  CHECK(n <= 10);
}

}  // namespace
}  // namespace wathiq
