#include "wathiq/wallet/qr_render.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <png.h>
#include <qrencode.h>

#include "wathiq/core/file.h"

namespace wathiq::wallet {
namespace {

// ISO/IEC 18004:2015 table 7: data codewords per version (index 1..40) and level (L, M, Q, H).
constexpr std::array<std::array<int, 4>, 41> kDataCodewords = {{
    {0, 0, 0, 0},
    {19, 16, 13, 9},
    {34, 28, 22, 16},
    {55, 44, 34, 26},
    {80, 64, 48, 36},
    {108, 86, 62, 46},
    {136, 108, 76, 60},
    {156, 124, 88, 66},
    {194, 154, 110, 86},
    {232, 182, 132, 100},
    {274, 216, 154, 122},
    {324, 254, 180, 140},
    {370, 290, 206, 158},
    {428, 334, 244, 180},
    {461, 365, 261, 197},
    {523, 415, 295, 223},
    {589, 453, 325, 253},
    {647, 507, 367, 283},
    {721, 563, 397, 313},
    {795, 627, 445, 341},
    {861, 669, 485, 385},
    {932, 714, 512, 406},
    {1006, 782, 568, 442},
    {1094, 860, 614, 464},
    {1174, 914, 664, 514},
    {1276, 1000, 718, 538},
    {1370, 1062, 754, 596},
    {1468, 1128, 808, 628},
    {1531, 1193, 871, 661},
    {1631, 1267, 911, 701},
    {1735, 1373, 985, 745},
    {1843, 1455, 1033, 793},
    {1955, 1541, 1115, 845},
    {2071, 1631, 1171, 901},
    {2191, 1725, 1231, 961},
    {2306, 1812, 1286, 986},
    {2434, 1914, 1354, 1054},
    {2566, 1992, 1426, 1096},
    {2702, 2102, 1502, 1142},
    {2812, 2216, 1582, 1222},
    {2956, 2334, 1666, 1276},
}};

constexpr int kMaxVersion = 40;
constexpr size_t kMaxInput = 7089;  // numeric capacity of 40-L: nothing longer can ever fit
constexpr int kTerminalQuietZone = 4;

int LevelIndex(char ecc) {
  switch (ecc) {
    case 'L': return 0;
    case 'M': return 1;
    case 'Q': return 2;
    case 'H': return 3;
    default: return -1;
  }
}

QRecLevel ToQrLevel(int index) {
  static constexpr QRecLevel kLevels[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
  return kLevels[index];
}

// Bits left for data after the mode indicator and character count of one segment.
int PayloadBits(int version, int level, int count_bits) { return kDataCodewords[version][level] * 8 - 4 - count_bits; }

int AlnumCountBits(int version) { return version <= 9 ? 9 : version <= 26 ? 11 : 13; }
int ByteCountBits(int version) { return version <= 9 ? 8 : 16; }

size_t ByteCapacity(int version, int level) {
  return static_cast<size_t>(PayloadBits(version, level, ByteCountBits(version)) / 8);
}

// Smallest version holding one byte-mode segment of n bytes at level, 0 if none.
int MinByteVersion(size_t n, int level) {
  for (int v = 1; v <= kMaxVersion; ++v) {
    if (ByteCapacity(v, level) >= n) return v;
  }
  return 0;
}

struct QrInputDeleter {
  void operator()(QRinput* p) const { QRinput_free(p); }
};
struct QrCodeDeleter {
  void operator()(::QRcode* p) const { QRcode_free(p); }
};

Status ValidateImageOptions(const QrOptions& o) {
  if (o.module_px < 1 || o.module_px > 64) {
    return Fail(Errc::kInvalidArgument, "module_px must be 1..64, got " + std::to_string(o.module_px));
  }
  if (o.quiet_zone < 0 || o.quiet_zone > 40) {
    return Fail(Errc::kInvalidArgument, "quiet_zone must be 0..40, got " + std::to_string(o.quiet_zone));
  }
  return Ok();
}

Status ValidateCode(const QrCode& code) {
  if (code.version < 1 || code.version > kMaxVersion || code.size != 17 + 4 * code.version ||
      code.modules.size() != static_cast<size_t>(code.size) * static_cast<size_t>(code.size)) {
    return Fail(Errc::kInvalidArgument, "QrCode is inconsistent (version, size and modules disagree)");
  }
  return Ok();
}

struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::string ErrnoText(int err) { return std::string(std::strerror(err)); }

}  // namespace

bool IsQrAlphanumeric(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '$' || c == '%' || c == '*' ||
           c == '+' || c == '-' || c == '.' || c == '/' || c == ':';
  });
}

size_t AlnumCapacity(int version, char ecc) {
  const int level = LevelIndex(ecc);
  if (level < 0 || version < 1 || version > kMaxVersion) return 0;
  const int bits = PayloadBits(version, level, AlnumCountBits(version));
  // Pairs take 11 bits, a trailing single character 6.
  return static_cast<size_t>(bits / 11) * 2 + (bits % 11 >= 6 ? 1 : 0);
}

int MinVersionFor(size_t alnum_chars, char ecc) {
  for (int v = 1; v <= kMaxVersion; ++v) {
    if (AlnumCapacity(v, ecc) >= alnum_chars) return v;  // AlnumCapacity is 0 for a bad ecc
  }
  return 0;
}

Result<QrCode> EncodeQr(std::string_view text, const QrOptions& options) {
  const int level = LevelIndex(options.ecc);
  if (level < 0) return Fail(Errc::kInvalidArgument, "ecc must be one of L, M, Q, H");
  if (options.min_version < 0 || options.min_version > kMaxVersion) {
    return Fail(Errc::kInvalidArgument, "min_version must be 0..40");
  }
  if (text.empty()) return Fail(Errc::kInvalidArgument, "cannot encode an empty text");

  const bool alnum = IsQrAlphanumeric(text);
  const std::string ecc_name(1, options.ecc);
  if (text.size() > kMaxInput) {
    return Fail(Errc::kLimit, "text of " + std::to_string(text.size()) + " characters is too long for any QR code");
  }
  int expected = alnum ? MinVersionFor(text.size(), options.ecc) : MinByteVersion(text.size(), level);
  if (expected == 0) {
    const size_t cap = alnum ? AlnumCapacity(kMaxVersion, options.ecc) : ByteCapacity(kMaxVersion, level);
    return Fail(Errc::kLimit, "text of " + std::to_string(text.size()) + (alnum ? " alphanumeric" : " byte-mode") +
                                  " characters exceeds version 40 at ECC " + ecc_name + " (" + std::to_string(cap) +
                                  ")");
  }
  expected = std::max(expected, options.min_version);

  std::unique_ptr<QRinput, QrInputDeleter> input(QRinput_new2(options.min_version, ToQrLevel(level)));
  if (!input) return Fail(Errc::kInternal, "QRinput_new2 failed: " + ErrnoText(errno));
  // One segment, the whole text: QRcode_encodeString would split runs of digits into numeric segments.
  if (QRinput_append(input.get(), alnum ? QR_MODE_AN : QR_MODE_8, static_cast<int>(text.size()),
                     reinterpret_cast<const unsigned char*>(text.data())) != 0) {
    return Fail(Errc::kInternal, "QRinput_append failed: " + ErrnoText(errno));
  }
  errno = 0;
  std::unique_ptr<::QRcode, QrCodeDeleter> qr(QRcode_encodeInput(input.get()));
  if (!qr) {
    const int err = errno;
    if (err == ERANGE) return Fail(Errc::kLimit, "text is too long for a QR code at ECC " + ecc_name);
    return Fail(Errc::kInternal, "QRcode_encodeInput failed: " + ErrnoText(err));
  }
  if (qr->version != expected || qr->width != 17 + 4 * qr->version) {
    return Fail(Errc::kInternal, "libqrencode chose version " + std::to_string(qr->version) + " (width " +
                                     std::to_string(qr->width) + "), expected version " + std::to_string(expected));
  }

  QrCode code;
  code.version = qr->version;
  code.size = qr->width;
  code.ecc = options.ecc;
  code.alphanumeric = alnum;
  const size_t n = static_cast<size_t>(code.size) * static_cast<size_t>(code.size);
  code.modules.resize(n);
  for (size_t i = 0; i < n; ++i) code.modules[i] = qr->data[i] & 1;  // bit 0: dark; others are internal
  return code;
}

Result<GreyImage> RenderGrey(const QrCode& code, const QrOptions& options) {
  WQ_TRY(ValidateCode(code));
  WQ_TRY(ValidateImageOptions(options));
  const int modules = code.size + 2 * options.quiet_zone;
  const int side = modules * options.module_px;
  if (side > kMaxRenderSide) {
    return Fail(Errc::kLimit,
                "image would be " + std::to_string(side) + " px wide, more than " + std::to_string(kMaxRenderSide));
  }
  GreyImage img;
  img.width = side;
  img.height = side;
  img.pixels.assign(static_cast<size_t>(side) * static_cast<size_t>(side), 255);
  const int q = options.quiet_zone;
  const int px = options.module_px;
  for (int my = 0; my < code.size; ++my) {
    uint8_t* row = img.pixels.data() + static_cast<size_t>((my + q) * px) * side;
    for (int mx = 0; mx < code.size; ++mx) {
      if (code.Dark(mx, my)) std::fill_n(row + (mx + q) * px, px, uint8_t{0});
    }
    for (int r = 1; r < px; ++r) std::copy_n(row, side, row + static_cast<size_t>(r) * side);
  }
  return img;
}

Result<Bytes> RenderPng(const QrCode& code, const QrOptions& options) {
  WQ_ASSIGN(GreyImage img, RenderGrey(code, options));
  // A two-entry palette makes libpng write 1 bit per pixel: an eighth of the data to deflate, so
  // smaller and several times faster than 8-bit grey. Every PNG reader handles palettes.
  for (uint8_t& p : img.pixels) p = p != 0 ? 1 : 0;  // palette index: 0 black, 1 white
  static constexpr uint8_t kPalette[2] = {0, 255};
  // libpng's simplified API reports errors by return value and keeps its setjmp to itself.
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(img.width);
  png.height = static_cast<png_uint_32>(img.height);
  png.format = PNG_FORMAT_GRAY | PNG_FORMAT_FLAG_COLORMAP;
  png.colormap_entries = 2;
  const png_alloc_size_t max_size = PNG_IMAGE_PNG_SIZE_MAX(png);
  Bytes out(max_size);
  png_alloc_size_t written = max_size;
  const int ok = png_image_write_to_memory(&png, out.data(), &written, 0, img.pixels.data(), 0, kPalette);
  const std::string message = png.message;
  png_image_free(&png);
  if (!ok) return Fail(Errc::kInternal, "libpng: " + message);
  out.resize(written);
  return out;
}

Result<std::string> RenderSvg(const QrCode& code, const QrOptions& options) {
  WQ_TRY(ValidateCode(code));
  WQ_TRY(ValidateImageOptions(options));
  const int q = options.quiet_zone;
  const std::string modules = std::to_string(code.size + 2 * q);
  const std::string side = std::to_string((code.size + 2 * q) * options.module_px);
  std::string svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
      side + "\" height=\"" + side + "\" viewBox=\"0 0 " + modules + " " + modules +
      "\" shape-rendering=\"crispEdges\">\n<rect width=\"" + modules + "\" height=\"" + modules +
      "\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"";
  for (int y = 0; y < code.size; ++y) {
    for (int x = 0; x < code.size;) {
      if (!code.Dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < code.size && code.Dark(x + run, y)) ++run;
      svg += "M" + std::to_string(x + q) + " " + std::to_string(y + q) + "h" + std::to_string(run) + "v1h-" +
             std::to_string(run) + "z";
      x += run;
    }
  }
  svg += "\"/>\n</svg>\n";
  return svg;
}

Status WriteSvg(const QrCode& code, const QrOptions& options, const std::string& path) {
  if (path.empty()) return Fail(Errc::kInvalidArgument, "empty output path");
  WQ_ASSIGN(std::string svg, RenderSvg(code, options));
  return WriteFileAtomically(path, AsBytes(svg), WriteMode::kReplace, 0600);
}

Status WritePng(const QrCode& code, const QrOptions& options, const std::string& path) {
  if (path.empty()) return Fail(Errc::kInvalidArgument, "empty output path");
  WQ_ASSIGN(Bytes png, RenderPng(code, options));

  std::string tmp = path + ".tmp-XXXXXX";
  FdCloser fd{::mkstemp(tmp.data())};  // mode 0600: a presentation QR is not for other users
  if (fd.fd < 0) return Fail(Errc::kIo, "cannot create a temporary file next to " + path + ": " + ErrnoText(errno));
  auto fail = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    return Fail(Errc::kIo, what + " " + tmp + ": " + ErrnoText(err));
  };
  size_t off = 0;
  while (off < png.size()) {
    const ssize_t w = ::write(fd.fd, png.data() + off, png.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", errno);
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd.fd) != 0) return fail("cannot fsync", errno);
  const int fd_value = fd.fd;
  fd.fd = -1;
  if (::close(fd_value) != 0) return fail("cannot close", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename to " + path + " from", errno);
  return Ok();
}

std::string RenderTerminal(const QrCode& code, TerminalInk ink) {
  if (!ValidateCode(code)) return {};
  const int q = kTerminalQuietZone;
  const int total = code.size + 2 * q;
  const bool ink_is_dark = ink != TerminalInk::kLight;
  // Inside the quiet zone: ink where the module matches the ink colour. Below the last row (odd total):
  // never ink, which is the terminal background in both themes.
  auto inked = [&](int x, int y) {
    if (y >= total) return false;
    const bool dark = x >= q && y >= q && x < q + code.size && y < q + code.size && code.Dark(x - q, y - q);
    return dark == ink_is_dark;
  };
  std::string out;
  out.reserve(static_cast<size_t>((total + 1) / 2) * (static_cast<size_t>(total) * 3 + 16));
  for (int y = 0; y < total; y += 2) {
    if (ink == TerminalInk::kAnsiBlackOnWhite) out += "\x1b[30;107m";
    for (int x = 0; x < total; ++x) {
      const bool top = inked(x, y);
      const bool bottom = inked(x, y + 1);
      if (top && bottom) {
        out += "\u2588";
      } else if (top) {
        out += "\u2580";
      } else if (bottom) {
        out += "\u2584";
      } else {
        out += ' ';
      }
    }
    if (ink == TerminalInk::kAnsiBlackOnWhite) out += "\x1b[0m";
    out += '\n';
  }
  return out;
}

}  // namespace wathiq::wallet
