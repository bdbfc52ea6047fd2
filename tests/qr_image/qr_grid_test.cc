// The verifier's fallback grid sampler (verifier/src/qr_grid.h, internal): its tables checked against
// the symbols libqrencode draws, and its grids against the modules that were drawn.
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "../../verifier/src/qr_grid.h"
#include "qr_test_util.h"
#include "wathiq/verifier/qr_decode.h"
#include "wathiq/wallet/qr_render.h"

namespace wathiq {
namespace {

using verifier::internal::AlignmentPatternCentres;
using verifier::internal::VersionInformationWord;

wallet::QrCode CodeOfVersion(int version) {
  wallet::QrOptions options;
  options.min_version = version;
  auto code = wallet::EncodeQr("WQ1:TEST", options);
  REQUIRE(code.has_value());
  REQUIRE(code->version == version);
  return *code;
}

TEST_CASE("version information words and alignment centres match libqrencode's symbols", "[qr]") {
  CHECK(VersionInformationWord(6) == 0);
  CHECK(VersionInformationWord(7) == 0x07C94);  // ISO/IEC 18004 annex D
  CHECK(VersionInformationWord(40) == 0x28C69);
  CHECK(AlignmentPatternCentres(1).empty());
  CHECK(AlignmentPatternCentres(32) == std::vector<int>{6, 34, 60, 86, 112, 138});  // the irregular one
  CHECK(AlignmentPatternCentres(40) == std::vector<int>{6, 30, 58, 86, 114, 142, 170});

  for (int v = 2; v <= 40; ++v) {
    CAPTURE(v);
    const wallet::QrCode code = CodeOfVersion(v);
    const int d = code.size;
    const std::vector<int> centres = AlignmentPatternCentres(v);
    REQUIRE(centres.size() == static_cast<size_t>(v / 7 + 2));
    CHECK(centres.front() == 6);
    CHECK(centres.back() == d - 7);
    for (int cy : centres) {
      for (int cx : centres) {
        if ((cx < 9 && cy < 9) || (cx > d - 10 && cy < 9) || (cx < 9 && cy > d - 10)) continue;
        for (int j = -2; j <= 2; ++j) {
          for (int i = -2; i <= 2; ++i) {
            CHECK(code.Dark(cx + i, cy + j) == (std::max(std::abs(i), std::abs(j)) != 1));
          }
        }
      }
    }
    if (v >= 7) {
      uint32_t top_right = 0, bottom_left = 0;
      for (int i = 17; i >= 0; --i) {
        top_right = (top_right << 1) | (code.Dark(d - 11 + i % 3, i / 3) ? 1u : 0u);
        bottom_left = (bottom_left << 1) | (code.Dark(i / 3, d - 11 + i % 3) ? 1u : 0u);
      }
      CHECK(top_right == VersionInformationWord(v));
      CHECK(bottom_left == VersionInformationWord(v));
    }
  }
}

TEST_CASE("the fallback sampler recovers every module of a clean symbol", "[qr]") {
  qrtest::Rng rng(30);
  for (int v : {2, 6, 7, 15, 27, 40}) {
    CAPTURE(v);
    const std::string text = qrtest::Wq1Text(wallet::AlnumCapacity(v, 'M'), rng);
    auto code = wallet::EncodeQr(text);
    REQUIRE(code.has_value());
    for (int px : {3, 4, 7}) {
      CAPTURE(px);
      wallet::QrOptions options;
      options.module_px = px;
      auto img = wallet::RenderGrey(*code, options);
      REQUIRE(img.has_value());
      bool exact = false;
      verifier::internal::VisitQrGrids(img->pixels.data(), img->width, img->height, 8,
                                       [&](const verifier::internal::SampledGrid& grid) {
                                         exact = grid.dimension == code->size && grid.dark == code->modules;
                                         return exact;
                                       });
      CHECK(exact);
    }
  }
}

TEST_CASE("the fallback sampler gives up quickly on images without finder patterns", "[qr][negative]") {
  std::vector<uint8_t> flat(500 * 400, 128);
  int calls = 0;
  auto count = [&](const verifier::internal::SampledGrid&) { return ++calls, false; };
  CHECK_FALSE(verifier::internal::VisitQrGrids(flat.data(), 500, 400, 8, count));
  qrtest::Rng rng(31);
  std::vector<uint8_t> noise(500 * 400);
  for (auto& p : noise) p = static_cast<uint8_t>(rng.Next());
  CHECK_FALSE(verifier::internal::VisitQrGrids(noise.data(), 500, 400, 8, count));
  CHECK(calls <= 8);
  const uint8_t one = 0;
  CHECK_FALSE(verifier::internal::VisitQrGrids(&one, 1, 1, 8, count));
}

// libFuzzer found this JPEG (crash-17b13bf7...): the fallback handed zxing-cpp's pure-symbol reader a
// grid whose finders were garbage, and Debian's libZXing, built with assertions on, aborted in
// QRDetector.cpp (EstimateModuleSize: Assertion `cur.isBlack()'). Grids now get exact function
// patterns before zxing sees them (StampFunctionPatterns).
constexpr const char kFuzzCrashJpegBase64[] =
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAAUDBAQEAwUEBAQFBQUGBwwIBwcHBw8LCwkMEQ8SEhEPERETFhwXExQaFRERGCEYGh0d"
    "Hx8fExciJCIeJBweHx4BBQUFBwYHDggIDh4UERQeHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4e"
    "Hh4eHv/AABEIADoAOgMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQEC"
    "AwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVm"
    "Z2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq"
    "8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIy"
    "gQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SF"
    "hoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEA"
    "AhEDEQA/APsuiivzntoPhP4L+BPw88TeJvhX/wAJZq3iX+0/tFx/wkF1ZbPs11sX5UypyrKOAv3e5NAH6MUV8Z/B/R/An/Cz/gT4"
    "18FeDv8AhFf+Ej/4SH7Xaf2nPe/8e8DxJ88p/wB48Afewc4Brs/ib8I/+Er/ALP8FfFX4tf274s1nzf+EQu/+Ed+zfYfJ2S3vyQO"
    "I5N8axj96Rt25TJJFAH0zRXxnpngXwJr/wDwzz4K/tT/AITLwnP/AMJL/pf2eew+1bcy/c3CRNsgx152Z6HFcZ8Err4E/Er4n6R4"
    "K/4UT/ZX9o+d/pf/AAlt7N5flwSS/c+XOdmOoxnPtQB9/wBFeM/sS/8AJsXhH/t9/wDS2evZqACvjPw/8N/Hf/CsPDHgrxr+zZ/w"
    "lX/COfa/sl3/AMJxBZf8fE5lf5In/wB0ck/dyMZIr7Mr4z/5Bv7MX/C6/Cf/ABIv7G/5EvSv+Pn/AIR7zr37LffvpM/a/tGWf98h"
    "8vdhMYzQB2fw/wDB/jv/AIWf8Mf+LO/8IJ4T8Hf2t/zMsGpf8fkDf7Xmf6z/AHvv9gK4z4ZeOvAnwE+J+oaTq2l/8Ir/AMJH5X9t"
    "aL9onvf+EY+zwO0H79Vf7Z9p84P8hHlbsHOOD4JeIv7Z/sjX/hp8Ov8AhKv+Ec877B4a/tr7F/wiH2jzEk/0qcD7f9rxJJ8wPk7d"
    "oxkVjW3hbQvGnx2+Hnhn4pWP2/4g3n9p/wDCd2/mvHv2Wu/T/mgIhGIVjP7gjp8/zZoA2fg/o/jv/hWHwJ8a+CvB3/CVf8I5/wAJ"
    "D9rtP7Tgsv8Aj4neJPnlP+8eAfu4OMg1teCfBGu+C/E9p4m8M/sk/YNWs9/2e4/4WKkmzejI3yuxU5VmHIPX1rs/jJ8Qdd0nwx4T"
    "1DxN4/8A+FK6tf8A2z7Rpv8AY6eIPP8ALdAv71FKrtUq3GM+djqleZf8hn/jGj/kVf8AhI/+YD/x+/8ACIfZ/wDTv+Pjj7f9rx5n"
    "+sHk7tvONtAH0B+y54W13wX8CfDvhnxNY/YNWs/tX2i381JNm+6ldfmQlTlWU8E9fWvTK4z4Jax/b/ww0jVv+Ex/4TLz/O/4nX9m"
    "fYPtW2eRf9RgbNuNnTnZnvXZ0AFfJv7Pmt67pPhiXxN8JP2ZvJ0nXsb7j/hOkbz/ACHkQfLcAsu1jIOgz7jFfWVfAF78LfHfxK/Z"
    "i+EH/CFaF/av9nf219r/ANLgh8vzL35P9a65zsbpnGOe1AHs3w/uv7A+J/wy8Fa/8Cf+EN8j+1v+Eau/+Et+3/Zd0DS3XyJnfuyB"
    "+3bG/K9MVxnxt+Efjv4a/wBr/tA/8La/tXxZp3k/vP8AhHYIfM8zy7PpvaMYjfH+rOcevNbXw28La74L8T/s3eGfE1j9g1az/wCE"
    "o+0W/mpJs3ozr8yEqcqyngnr61i+H/8ATfif4Y+A+rf8SrwnqP2v+2vh5/rv7H8uA3cH/EyX95P5sgFx8jjZnyzxxQAfDL/iuPif"
    "qGgfB3/RvCfhXyv+EW8S/f8A+Ea+1QO93/otztkvPtMiSx/vS4lQTkcNChoKHXgT4LfDDUPirpOl/Y/+E78r+xfCH2ieSyfsNr28"
    "/wDprK+7Pmmb51XGdg3dR2fi3/hBPCnxP8EfGv4l/wDFuPFl19v+36V+/wBW+3bYBax/voMxx7I2jf5U+bzMHlSa8Z8P+HfAl7+z"
    "F4Y/4Wr8Rf7K/tH7X/wiH/Elnm/sfy70/bf9Qf3/AJuI/wDW42Z+TvQB9/0V5n+y5qOhat8CfDuoeGfDn/COaTL9q+z6b9te78jF"
    "1KG/euAzbmDNz03Y6CvTKACvGf8Ahlz4E/8AQjf+Va9/+PV7NRQBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADmfgn4CfCfwX4ntPE3hnwp9g1az3/Z7j+0LqTZvRkb5XkKnKsw5B6+tdn4J8La"
    "F4L8MWnhnwzY/YNJs9/2e3815Nm92dvmcljlmY8k9fStmigDzPV/gJ8J9W8MaH4Z1Dwp52k6D9o/s23/ALQul8jznDy/MJAzbmAP"
    "zE47YFbP/CrfAn/Cz/8AhZf9hf8AFWf8/wD9rn/54eR/q9/l/wCr+X7vv15rs6KAMbwT4W0LwX4YtPDPhmx+waTZ7/s9v5rybN7s"
    "7fM5LHLMx5J6+lbNFFAH/9k=";

Bytes FromBase64(std::string_view b64) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Bytes out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    const size_t v = kAlphabet.find(c);
    REQUIRE(v != std::string_view::npos);
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

TEST_CASE("fuzz regression: a corrupt JPEG must not abort in zxing's pure-symbol detector", "[qr][negative]") {
  const Bytes jpeg = FromBase64(kFuzzCrashJpegBase64);
  REQUIRE(jpeg.size() == 2267);
  auto r = verifier::DecodeQrImage(jpeg);  // an abort() here kills the test binary
  CHECK_FALSE(r.has_value());
}

TEST_CASE("stamping function patterns leaves a real symbol unchanged, for every version", "[qr]") {
  for (int v = 1; v <= 40; ++v) {
    CAPTURE(v);
    const wallet::QrCode code = CodeOfVersion(v);
    verifier::internal::SampledGrid grid{code.size, code.modules};
    REQUIRE(verifier::internal::StampFunctionPatterns(grid));
    CHECK(grid.dark == code.modules);
  }
  verifier::internal::SampledGrid bad{22, std::vector<uint8_t>(22 * 22)};
  CHECK_FALSE(verifier::internal::StampFunctionPatterns(bad));
}

}  // namespace
}  // namespace wathiq
