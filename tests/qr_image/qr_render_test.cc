// QR encoding and rendering in the wallet: capacity, version choice, images, terminal output.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "qr_test_util.h"
#include "test_util.h"
#include "wathiq/verifier/qr_decode.h"
#include "wathiq/wallet/qr_render.h"

namespace wathiq {
namespace {

using qrtest::Rng;
using qrtest::Wq1Text;
using wallet::AlnumCapacity;
using wallet::EncodeQr;
using wallet::MinVersionFor;
using wallet::QrOptions;

TEST_CASE("alphanumeric capacity matches the standard's table", "[qr]") {
  // ISO/IEC 18004 table 7, alphanumeric column.
  CHECK(AlnumCapacity(1, 'L') == 25);
  CHECK(AlnumCapacity(1, 'M') == 20);
  CHECK(AlnumCapacity(1, 'Q') == 16);
  CHECK(AlnumCapacity(1, 'H') == 10);
  CHECK(AlnumCapacity(10, 'M') == 311);
  CHECK(AlnumCapacity(20, 'M') == 970);
  CHECK(AlnumCapacity(27, 'M') == 1637);
  CHECK(AlnumCapacity(40, 'L') == 4296);
  CHECK(AlnumCapacity(40, 'M') == 3391);
  CHECK(AlnumCapacity(40, 'Q') == 2420);
  CHECK(AlnumCapacity(40, 'H') == 1852);
  CHECK(AlnumCapacity(0, 'M') == 0);
  CHECK(AlnumCapacity(41, 'M') == 0);
  CHECK(AlnumCapacity(5, 'm') == 0);
  CHECK(MinVersionFor(3391, 'M') == 40);
  CHECK(MinVersionFor(3392, 'M') == 0);
  CHECK(MinVersionFor(1, 'M') == 1);
  CHECK(MinVersionFor(10, 'X') == 0);
}

TEST_CASE("libqrencode picks exactly the version our capacity table predicts, at every boundary", "[qr]") {
  Rng rng(1);
  for (char ecc : {'L', 'M', 'Q', 'H'}) {
    QrOptions options;
    options.ecc = ecc;
    for (int v = 1; v <= 40; ++v) {
      const size_t cap = AlnumCapacity(v, ecc);
      CAPTURE(ecc, v, cap);
      auto full = EncodeQr(Wq1Text(cap, rng), options);  // EncodeQr itself fails on any other version
      REQUIRE(full.has_value());
      CHECK(full->version == v);
      CHECK(full->size == 17 + 4 * v);
      CHECK(full->alphanumeric);
      CHECK(full->ecc == ecc);
      CHECK(full->modules.size() == static_cast<size_t>(full->size * full->size));
      auto over = EncodeQr(Wq1Text(cap + 1, rng), options);
      if (v < 40) {
        REQUIRE(over.has_value());
        CHECK(over->version == v + 1);
      } else {
        REQUIRE_FALSE(over.has_value());
        CHECK(over.error().code == Errc::kLimit);
      }
    }
  }
}

TEST_CASE("a whole WQ1 text is one alphanumeric segment even when it has long digit runs", "[qr]") {
  // QRcode_encodeString would switch to numeric mode for the digits; one AN segment must still be the
  // smallest version our table gives (and EncodeQr checks that).
  std::string text = "WQ1:" + std::string(300, '7') + "ABC";
  auto code = EncodeQr(text);
  REQUIRE(code.has_value());
  CHECK(code->alphanumeric);
  CHECK(code->version == MinVersionFor(text.size(), 'M'));
}

TEST_CASE("EncodeQr options and limits", "[qr][negative]") {
  auto check_error = [](const Result<wallet::QrCode>& r, Errc code) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == code);
    CHECK_FALSE(r.error().message.empty());
  };
  check_error(EncodeQr(""), Errc::kInvalidArgument);
  QrOptions bad_ecc;
  bad_ecc.ecc = 'm';
  check_error(EncodeQr("WQ1:ABC", bad_ecc), Errc::kInvalidArgument);
  QrOptions bad_version;
  bad_version.min_version = 41;
  check_error(EncodeQr("WQ1:ABC", bad_version), Errc::kInvalidArgument);
  Rng rng(2);
  check_error(EncodeQr(Wq1Text(3392, rng)), Errc::kLimit);
  check_error(EncodeQr(std::string(100000, 'A')), Errc::kLimit);
  check_error(EncodeQr(std::string(2400, 'a')), Errc::kLimit);  // byte mode: 2331 bytes at 40-M

  QrOptions at_least_10;
  at_least_10.min_version = 10;
  auto forced = EncodeQr("WQ1:ABC", at_least_10);
  REQUIRE(forced.has_value());
  CHECK(forced->version == 10);

  auto bytes = EncodeQr("wq1:lower case goes in byte mode");
  REQUIRE(bytes.has_value());
  CHECK_FALSE(bytes->alphanumeric);
}

TEST_CASE("RenderGrey and RenderPng geometry and option checks", "[qr]") {
  auto code = EncodeQr("WQ1:HELLO");
  REQUIRE(code.has_value());
  REQUIRE(code->version == 1);
  QrOptions options;
  options.module_px = 3;
  options.quiet_zone = 2;
  auto img = wallet::RenderGrey(*code, options);
  REQUIRE(img.has_value());
  CHECK(img->width == (21 + 4) * 3);
  CHECK(img->height == img->width);
  // The top-left finder's corner module is dark and sits just inside the quiet zone.
  CHECK(img->pixels[0] == 255);
  CHECK(img->pixels[static_cast<size_t>(6 * img->width + 6)] == 0);

  options.module_px = 0;
  auto bad = wallet::RenderPng(*code, options);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == Errc::kInvalidArgument);

  Rng rng(3);
  auto big = EncodeQr(Wq1Text(3391, rng));
  REQUIRE(big.has_value());
  options.module_px = 64;
  options.quiet_zone = 4;
  auto too_big = wallet::RenderPng(*big, options);
  REQUIRE_FALSE(too_big.has_value());
  CHECK(too_big.error().code == Errc::kLimit);

  wallet::QrCode broken = *code;
  broken.modules.pop_back();
  auto inconsistent = wallet::RenderPng(broken, {});
  REQUIRE_FALSE(inconsistent.has_value());
  CHECK(inconsistent.error().code == Errc::kInvalidArgument);
  CHECK(wallet::RenderTerminal(broken).empty());
}

// Rasterises terminal output: each code point is one column, each line two module rows.
// ink_value is what a glyph's ink looks like on screen, the background the opposite.
std::vector<uint8_t> RasteriseTerminal(const std::string& text, int* width, int* height, uint8_t ink_value) {
  std::vector<std::vector<bool>> rows;  // true = ink
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<bool> top, bottom;
    for (size_t i = 0; i < line.size();) {
      if (line[i] == '\x1b') {  // skip an ANSI SGR sequence
        while (i < line.size() && line[i] != 'm') ++i;
        ++i;
        continue;
      }
      if (line[i] == ' ') {
        top.push_back(false), bottom.push_back(false), ++i;
        continue;
      }
      const std::string glyph = line.substr(i, 3);
      REQUIRE((glyph == "\u2580" || glyph == "\u2584" || glyph == "\u2588"));
      top.push_back(glyph != "\u2584");
      bottom.push_back(glyph != "\u2580");
      i += 3;
    }
    rows.push_back(top);
    rows.push_back(bottom);
  }
  const int scale = 4;
  *height = static_cast<int>(rows.size()) * scale;
  *width = static_cast<int>(rows[0].size()) * scale;
  std::vector<uint8_t> px(static_cast<size_t>(*width) * static_cast<size_t>(*height));
  for (int y = 0; y < *height; ++y) {
    for (int x = 0; x < *width; ++x) {
      const bool ink = rows[static_cast<size_t>(y / scale)][static_cast<size_t>(x / scale)];
      px[static_cast<size_t>(y) * static_cast<size_t>(*width) + static_cast<size_t>(x)] =
          ink ? ink_value : static_cast<uint8_t>(255 - ink_value);
    }
  }
  return px;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

TEST_CASE("terminal rendering: dimensions, and it scans on light and dark themes", "[qr]") {
  Rng rng(4);
  const std::string text = Wq1Text(AlnumCapacity(6, 'M'), rng);
  auto code = EncodeQr(text);
  REQUIRE(code.has_value());
  REQUIRE(code->version == 6);
  const int total = code->size + 8;

  const std::string dark_ink = wallet::RenderTerminal(*code, wallet::TerminalInk::kDark);
  std::istringstream in(dark_ink);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    CHECK(CodePoints(line) == static_cast<size_t>(total));
  }
  CHECK(lines == (total + 1) / 2);
  CHECK(dark_ink.back() == '\n');

  int w = 0, h = 0;
  SECTION("dark ink on a light theme") {
    auto px = RasteriseTerminal(dark_ink, &w, &h, 0);
    auto decoded = verifier::DecodeQrGrey(px.data(), w, h);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == text);
  }
  SECTION("light ink on a dark theme") {
    auto px = RasteriseTerminal(wallet::RenderTerminal(*code, wallet::TerminalInk::kLight), &w, &h, 255);
    auto decoded = verifier::DecodeQrGrey(px.data(), w, h);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == text);
  }
  SECTION("ANSI black on white") {
    const std::string ansi = wallet::RenderTerminal(*code, wallet::TerminalInk::kAnsiBlackOnWhite);
    CHECK(ansi.find("\x1b[30;107m") == 0);
    auto px = RasteriseTerminal(ansi, &w, &h, 0);
    auto decoded = verifier::DecodeQrGrey(px.data(), w, h);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == text);
  }
  SECTION("dark ink shown on a dark theme is a negative code, which the verifier still reads") {
    auto px = RasteriseTerminal(dark_ink, &w, &h, 255);
    auto decoded = verifier::DecodeQrGrey(px.data(), w, h);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == text);
  }
}

// Rasterises the SVG RenderSvg writes (a white rect, then one path of "Mx yhNv1h-Nz" squares) at
// `px` pixels per module, refusing anything else: the test reads back exactly the grammar it promises.
std::vector<uint8_t> RasteriseSvg(const std::string& svg, int px, int* side) {
  const auto vb = svg.find("viewBox=\"0 0 ");
  REQUIRE(vb != std::string::npos);
  const int modules = std::stoi(svg.substr(vb + 13));
  *side = modules * px;
  std::vector<uint8_t> img(static_cast<size_t>(*side) * static_cast<size_t>(*side), 255);
  const auto d = svg.find(" d=\"");
  REQUIRE(d != std::string::npos);
  std::istringstream path(svg.substr(d + 4, svg.find('"', d + 4) - d - 4));
  char m = 0, h = 0, v = 0, h2 = 0, z = 0;
  int x = 0, y = 0, run = 0, one = 0, back = 0;
  while (path >> m) {
    REQUIRE(m == 'M');
    path >> x >> y >> h >> run >> v >> one >> h2 >> back >> z;
    REQUIRE((h == 'h' && v == 'v' && one == 1 && h2 == 'h' && back == -run && z == 'z'));
    REQUIRE((x >= 0 && y >= 0 && run > 0 && x + run <= modules && y < modules));
    for (int yy = y * px; yy < (y + 1) * px; ++yy) {
      for (int xx = x * px; xx < (x + run) * px; ++xx)
        img[static_cast<size_t>(yy) * static_cast<size_t>(*side) + static_cast<size_t>(xx)] = 0;
    }
  }
  return img;
}

TEST_CASE("SVG rendering: well-formed XML, exactly the modules, and it scans", "[qr]") {
  Rng rng(9);
  const std::string text = Wq1Text(AlnumCapacity(10, 'M'), rng);
  auto code = EncodeQr(text);
  REQUIRE(code.has_value());
  auto svg = wallet::RenderSvg(*code);
  REQUIRE(svg.has_value());
  const int modules = code->size + 8;
  CHECK(svg->find("width=\"" + std::to_string(modules * 4) + "\"") != std::string::npos);

  int side = 0;
  auto img = RasteriseSvg(*svg, 3, &side);
  REQUIRE(side == modules * 3);
  for (int y = 0; y < modules; ++y) {
    for (int x = 0; x < modules; ++x) {
      const bool inside = x >= 4 && y >= 4 && x < 4 + code->size && y < 4 + code->size;
      const bool dark = inside && code->Dark(x - 4, y - 4);
      INFO("module " << x << "," << y);
      REQUIRE((img[static_cast<size_t>(y * 3) * static_cast<size_t>(side) + static_cast<size_t>(x * 3)] == 0) == dark);
    }
  }
  auto decoded = verifier::DecodeQrGrey(img.data(), side, side);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == text);

  // An independent XML parser (Python's) reads it as an SVG document.
  test::TempDir dir("svg");
  const std::string file = dir / "qr.svg";
  REQUIRE(wallet::WriteSvg(*code, {}, file));
  const std::string cmd = std::string(WATHIQ_PYTHON3) +
                          " -c \"import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
                          "sys.exit(0 if r.tag == '{http://www.w3.org/2000/svg}svg' else 1)\" " +
                          file;
  CHECK(std::system(cmd.c_str()) == 0);

  QrOptions bad;
  bad.module_px = 0;
  CHECK_FALSE(wallet::RenderSvg(*code, bad).has_value());
}

TEST_CASE("WritePng writes atomically and the file decodes", "[qr]") {
  const test::TempDir tmp("qr");
  const std::filesystem::path& dir = tmp.path();
  const std::string path = tmp / "qr.png";
  Rng rng(5);
  const std::string text = Wq1Text(500, rng);
  auto code = EncodeQr(text);
  REQUIRE(code.has_value());

  REQUIRE(wallet::WritePng(*code, {}, path).has_value());
  REQUIRE(wallet::WritePng(*code, {}, path).has_value());  // replaces the previous file
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    CHECK(entry.path().filename() == "qr.png");
  }
  CHECK(files == 1);
  auto decoded = verifier::DecodeQrImageFile(path);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == text);

  auto bad = wallet::WritePng(*code, {}, (dir / "missing" / "qr.png").string());
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == Errc::kIo);
}

}  // namespace
}  // namespace wathiq
