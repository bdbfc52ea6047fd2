// QR image decoding in the verifier: round trips through PNG and JPEG, and hostile images.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <zlib.h>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <catch2/catch.hpp>

#include "qr_test_util.h"
#include "wathiq/verifier/qr_decode.h"
#include "wathiq/wallet/qr_render.h"

namespace wathiq {
namespace {

using qrtest::GreyToPng;
using qrtest::Rng;
using qrtest::Wq1Text;
using verifier::DecodeQrGrey;
using verifier::DecodeQrImage;
using verifier::DecodeQrImageFile;

Bytes GreyToJpeg(const std::vector<uint8_t>& pixels, int width, int height, int quality) {
  Bytes out;
  auto sink = [](void* context, void* data, int size) {
    auto* o = static_cast<Bytes*>(context);
    const auto* p = static_cast<const uint8_t*>(data);
    o->insert(o->end(), p, p + size);
  };
  REQUIRE(stbi_write_jpg_to_func(sink, &out, width, height, 1, pixels.data(), quality) != 0);
  return out;
}

void AppendBe32(Bytes& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(v >> shift));
}

void AppendChunk(Bytes& png, const char* type, const Bytes& data) {
  AppendBe32(png, static_cast<uint32_t>(data.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  AppendBe32(png, static_cast<uint32_t>(crc32(0, body.data(), static_cast<uInt>(body.size()))));
}

// A well-formed PNG header for a greyscale image of any claimed size, with a little pixel data.
Bytes PngClaiming(uint32_t width, uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  AppendBe32(ihdr, width);
  AppendBe32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit grey, deflate, adaptive filter, no interlace
  AppendChunk(png, "IHDR", ihdr);
  Bytes raw(32 * 33, 0);  // exactly a 32x32 8-bit image: a filter byte and 32 pixels per row
  Bytes idat(compressBound(raw.size()));
  uLongf idat_len = idat.size();
  REQUIRE(compress(idat.data(), &idat_len, raw.data(), raw.size()) == Z_OK);
  idat.resize(idat_len);
  AppendChunk(png, "IDAT", idat);
  AppendChunk(png, "IEND", {});
  return png;
}

void RequireError(const Result<std::string>& r, Errc code) {
  REQUIRE_FALSE(r.has_value());
  CAPTURE(r.error().ToString());
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().message.empty());
}

TEST_CASE("round trip text -> QR -> PNG -> text for every version 5..40 at ECC M", "[qr]") {
  Rng rng(10);
  for (int v = 5; v <= 40; ++v) {
    // The shortest and the longest text that need version v.
    for (size_t len : {wallet::AlnumCapacity(v - 1, 'M') + 1, wallet::AlnumCapacity(v, 'M')}) {
      CAPTURE(v, len);
      const std::string text = Wq1Text(len, rng);
      auto code = wallet::EncodeQr(text);
      REQUIRE(code.has_value());
      CHECK(code->version == v);
      CHECK(code->version == wallet::MinVersionFor(len, 'M'));
      auto png = wallet::RenderPng(*code);
      REQUIRE(png.has_value());
      auto decoded = DecodeQrImage(*png);
      REQUIRE(decoded.has_value());
      CHECK(*decoded == text);
    }
  }
}

TEST_CASE("every character of the Base45 alphabet round-trips exactly", "[qr]") {
  const std::string alphabet(qrtest::kBase45Alphabet);
  for (const std::string& text : {"WQ1:" + alphabet, " " + alphabet + "  ", std::string("%%$$**++--..//::  "),
                                  std::string("WQ1:%"), std::string("0"), std::string(" ")}) {
    CAPTURE(text);
    auto code = wallet::EncodeQr(text);
    REQUIRE(code.has_value());
    CHECK(code->alphanumeric);
    auto png = wallet::RenderPng(*code);
    REQUIRE(png.has_value());
    auto decoded = DecodeQrImage(*png);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == text);
  }
}

TEST_CASE("byte-mode texts round-trip too", "[qr]") {
  for (const std::string& text : {std::string("wq1:lower case"), std::string("https://example.org/?a=1&b=2")}) {
    CAPTURE(text);
    auto code = wallet::EncodeQr(text);
    REQUIRE(code.has_value());
    CHECK_FALSE(code->alphanumeric);
    auto png = wallet::RenderPng(*code);
    REQUIRE(png.has_value());
    auto decoded = DecodeQrImage(*png);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == text);
  }
}

TEST_CASE("a QR written as JPEG (quality 85) decodes, from memory and from a file", "[qr]") {
  Rng rng(11);
  const std::string text = Wq1Text(wallet::AlnumCapacity(20, 'M'), rng);
  auto img = qrtest::Render(text);
  const Bytes jpeg = GreyToJpeg(img.pixels, img.width, img.height, 85);
  auto decoded = DecodeQrImage(jpeg);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == text);

  std::string path = (std::filesystem::temp_directory_path() / "wathiq-qr-XXXXXX.jpg").string();
  const int fd = ::mkstemps(path.data(), 4);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, jpeg.data(), jpeg.size()) == static_cast<ssize_t>(jpeg.size()));
  ::close(fd);
  auto from_file = DecodeQrImageFile(path);
  ::unlink(path.c_str());
  REQUIRE(from_file.has_value());
  CHECK(*from_file == text);
}

TEST_CASE("PNG variants: alpha over white, 16-bit, RGB", "[qr]") {
  Rng rng(12);
  const std::string text = Wq1Text(300, rng);
  auto img = qrtest::Render(text);
  SECTION("dark modules on a transparent background") {
    std::vector<uint8_t> ga;
    for (uint8_t v : img.pixels) {
      ga.push_back(0);                              // grey
      ga.push_back(static_cast<uint8_t>(255 - v));  // alpha: opaque where dark
    }
    auto decoded = DecodeQrImage(GreyToPng(ga, img.width, img.height, PNG_FORMAT_GA));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == text);
  }
  SECTION("RGB") {
    std::vector<uint8_t> rgb;
    for (uint8_t v : img.pixels) rgb.insert(rgb.end(), {v, v, static_cast<uint8_t>(v / 2 + 100)});
    auto decoded = DecodeQrImage(GreyToPng(rgb, img.width, img.height, PNG_FORMAT_RGB));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == text);
  }
}

TEST_CASE("must reject: not an image", "[qr][negative]") {
  RequireError(DecodeQrImage({}), Errc::kMalformed);
  RequireError(DecodeQrImage(AsBytes("hello, this is not an image")), Errc::kMalformed);
  RequireError(DecodeQrImage(AsBytes("GIF89a\x01\x00\x01\x00")), Errc::kMalformed);
  RequireError(DecodeQrImage(AsBytes("\x89PNG")), Errc::kMalformed);  // a signature cut short
  RequireError(DecodeQrImage(Bytes{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}), Errc::kMalformed);
  RequireError(DecodeQrImage(Bytes{0xff, 0xd8, 0xff}), Errc::kMalformed);
  RequireError(DecodeQrImageFile("/nonexistent/wathiq/qr.png"), Errc::kNotFound);
  RequireError(DecodeQrImageFile(std::filesystem::temp_directory_path().string()), Errc::kIo);
}

TEST_CASE("must reject: truncated PNG and JPEG", "[qr][negative]") {
  Rng rng(13);
  auto img = qrtest::Render(Wq1Text(800, rng));
  const Bytes png = GreyToPng(img.pixels, img.width, img.height);
  for (size_t keep : {size_t{8}, size_t{20}, size_t{33}, size_t{60}, png.size() / 2, png.size() - 13}) {
    CAPTURE(keep, png.size());
    RequireError(DecodeQrImage(ByteView(png).first(keep)), Errc::kMalformed);
  }
  Bytes bad_crc = png;
  bad_crc[20] ^= 1;  // inside IHDR
  RequireError(DecodeQrImage(bad_crc), Errc::kMalformed);

  const Bytes jpeg = GreyToJpeg(img.pixels, img.width, img.height, 85);
  for (size_t keep : {size_t{4}, size_t{100}, jpeg.size() / 2, jpeg.size() - 2}) {
    CAPTURE(keep, jpeg.size());
    RequireError(DecodeQrImage(ByteView(jpeg).first(keep)), Errc::kMalformed);
  }
}

TEST_CASE("must reject: huge and zero-size images, before allocating pixels", "[qr][negative]") {
  RequireError(DecodeQrImage(PngClaiming(100000, 100000)), Errc::kLimit);
  RequireError(DecodeQrImage(PngClaiming(8001, 8000)), Errc::kLimit);
  RequireError(DecodeQrImage(PngClaiming(20000, 1)), Errc::kLimit);
  RequireError(DecodeQrImage(PngClaiming(0, 100)), Errc::kMalformed);  // libpng rejects the IHDR
  // The small valid PNG the helper builds decodes to a black 32x32 image with no code in it.
  RequireError(DecodeQrImage(PngClaiming(32, 32)), Errc::kNotFound);

  // A JPEG whose frame header claims 60000x60000 (patched SOF0 of a real JPEG).
  std::vector<uint8_t> small(64 * 64, 200);
  Bytes jpeg = GreyToJpeg(small, 64, 64, 85);
  bool patched = false;
  for (size_t i = 0; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xff && jpeg[i + 1] == 0xc0) {
      jpeg[i + 5] = 0xea, jpeg[i + 6] = 0x60;  // height 60000
      jpeg[i + 7] = 0xea, jpeg[i + 8] = 0x60;  // width 60000
      patched = true;
      break;
    }
  }
  REQUIRE(patched);
  RequireError(DecodeQrImage(jpeg), Errc::kLimit);

  const uint8_t pixel = 0;
  RequireError(DecodeQrGrey(nullptr, 10, 10), Errc::kInvalidArgument);
  RequireError(DecodeQrGrey(&pixel, 0, 0), Errc::kInvalidArgument);
  RequireError(DecodeQrGrey(&pixel, 1, -1), Errc::kInvalidArgument);
  RequireError(DecodeQrGrey(&pixel, 100000, 100000), Errc::kLimit);  // never read: checked first
}

TEST_CASE("must reject: images without a QR code", "[qr][negative]") {
  std::vector<uint8_t> white(300 * 200, 255);
  RequireError(DecodeQrImage(GreyToPng(white, 300, 200)), Errc::kNotFound);
  Rng rng(14);
  std::vector<uint8_t> noise(400 * 400);
  for (auto& v : noise) v = static_cast<uint8_t>(rng.Next());
  RequireError(DecodeQrImage(GreyToPng(noise, 400, 400)), Errc::kNotFound);
  RequireError(DecodeQrImage(GreyToJpeg(noise, 400, 400, 85)), Errc::kNotFound);
  const uint8_t one = 0;
  RequireError(DecodeQrGrey(&one, 1, 1), Errc::kNotFound);
}

}  // namespace
}  // namespace wathiq
