// Wathiq wallet: turning a presentation text ("WQ1:" + Base45) into a QR code and an image of it.
//
// Guarantees:
// - A text made only of the Base45 alphabet (0-9 A-Z space $ % * + - . / :) is encoded as ONE
//   alphanumeric-mode segment, in the smallest version that holds it at the requested error correction
//   (or options.min_version if larger). EncodeQr checks the version libqrencode chose against our own
//   capacity table (MinVersionFor) and fails with kInternal on a mismatch rather than hand back a code
//   that is larger than the profile promises. Any other text is encoded as one 8-bit (byte) segment.
// - Images are dark modules on white, with the quiet zone the caller asks for (the QR standard wants
//   4 modules; scanners are much less reliable with less). Rendered images are capped at
//   kMaxRenderSide pixels per side.
// - Nothing throws; failures are Results with an Errc and a message.
// Thread-safety: all functions are reentrant and may run concurrently (libqrencode 4 is thread-safe).
// Warning: a QR code shown on screen is a bearer token for its freshness window; do not log the text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/result.h"

namespace wathiq::wallet {

inline constexpr int kMaxRenderSide = 8000;  // pixels, per side, for RenderPng/WritePng

struct QrOptions {
  char ecc = 'M';       // 'L', 'M', 'Q' or 'H' (upper case only)
  int module_px = 4;    // pixels per module in images, 1..64
  int quiet_zone = 4;   // light modules around the symbol in images, 0..40
  int min_version = 0;  // 0 = smallest that fits; 1..40 = at least this version
};

struct QrCode {
  int version = 0;               // 1..40
  int size = 0;                  // modules per side = 17 + 4 * version
  std::vector<uint8_t> modules;  // size * size, row-major, 1 = dark, 0 = light
  char ecc = 'M';
  bool alphanumeric = false;  // true when encoded as a single alphanumeric-mode segment

  bool Dark(int x, int y) const { return modules[static_cast<size_t>(y) * size + x] != 0; }
};

// True when every character of text is in the QR alphanumeric alphabet, which is exactly Base45's.
bool IsQrAlphanumeric(std::string_view text);

// Smallest QR version (1..40) whose data capacity at ecc holds alnum_chars characters in one
// alphanumeric segment; 0 when nothing does (more than 4296 at L, 3391 at M, 2420 at Q, 1852 at H) or
// ecc is not one of L/M/Q/H.
int MinVersionFor(size_t alnum_chars, char ecc);

// The largest number of alphanumeric characters that fits in one segment of version at ecc; 0 when
// version or ecc is out of range.
size_t AlnumCapacity(int version, char ecc);

// Encodes text. Errors: kInvalidArgument (empty text, bad options), kLimit (too long for version 40 at
// this ecc), kInternal (libqrencode failed or chose an unexpected version).
Result<QrCode> EncodeQr(std::string_view text, const QrOptions& options = {});

struct GreyImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height, row-major, 0 = black, 255 = white
};

// The code as an 8-bit greyscale image, width = height = (size + 2 * quiet_zone) * module_px.
// Errors: kInvalidArgument (bad options or code), kLimit (side > kMaxRenderSide).
Result<GreyImage> RenderGrey(const QrCode& code, const QrOptions& options = {});

// The image above as a PNG, in memory: 1 bit per pixel (a black and white palette), which deflates
// several times faster and smaller than 8-bit grey.
Result<Bytes> RenderPng(const QrCode& code, const QrOptions& options = {});

// Writes the PNG atomically: a temporary file in the same directory, fsync, then rename over path. On
// failure path is untouched and the temporary file removed. Errors: those of RenderPng, kIo.
Status WritePng(const QrCode& code, const QrOptions& options, const std::string& path);

// The code as an SVG document: a white square of (size + 2 * quiet_zone) modules and one black path of
// unit squares (runs of dark modules joined per row), in module units scaled by module_px for the
// document's width and height, with crisp edges. Any browser, print pipeline or vector tool renders it at
// any size. Errors: kInvalidArgument (bad options or code).
Result<std::string> RenderSvg(const QrCode& code, const QrOptions& options = {});
// Writes the SVG atomically (core/file.h), mode 0600, replacing `path`.
Status WriteSvg(const QrCode& code, const QrOptions& options, const std::string& path);

enum class TerminalInk {
  kDark,              // glyphs draw the dark modules: scans when shown dark-on-light (light terminal
                      // themes, paper, most log viewers)
  kLight,             // glyphs draw the light modules and the quiet zone: scans on a dark terminal theme
  kAnsiBlackOnWhite,  // kDark with ANSI colours forcing black on white per line: scans on any
                      // ANSI terminal whatever its theme, but escape codes show up if piped to a file
};

// The code as UTF-8 text with Unicode half blocks (U+2580 ▀, U+2584 ▄, U+2588 █ and space), two module
// rows per line, with a 4-module quiet zone. Lines end with '\n'; every line has the same number of
// code points, (size + 8), and there are (size + 8 + 1) / 2 lines.
std::string RenderTerminal(const QrCode& code, TerminalInk ink = TerminalInk::kDark);

}  // namespace wathiq::wallet
