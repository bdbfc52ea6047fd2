// Wathiq verifier: finding and reading the QR code in a camera frame or an image file.
//
// Guarantees:
// - Input is treated as hostile. Images are recognised by magic bytes (PNG, JPEG); the dimensions are
//   read from the header and checked against kMaxImagePixels / kMaxImageSide BEFORE any pixel buffer is
//   allocated; truncated or corrupt data is an error, never a partly grey image (JPEG warnings such as
//   "premature end of data" count as errors); progressive JPEGs are limited in scans and memory.
// - Only QR codes are looked for (not Micro QR, not other symbologies), with zxing-cpp trying harder and
//   all rotations; then the negative (a light-on-dark code); then our own locator (src/qr_grid.h),
//   which reads the version information to fix zxing-cpp 1.4's weakness with large symbols at few
//   pixels per module, and hands zxing a clean resampled symbol, so error correction stays zxing's.
//   The text comes back exactly as encoded for alphanumeric-mode codes (the Base45 alphabet). It is
//   NOT validated: the WQ1 envelope parser does that.
// - Cost: a frame with a code decodes in one pass (about 1-8 ms for versions 10-40 at 4 px/module on
//   this machine); a frame without one costs all three attempts (about 10-30 ms at 740x740), and the
//   largest accepted image needs a few hundred MB while it is decoded.
// - Nothing throws: the libraries' exceptions and errors become Results. Errors: kInvalidArgument (null
//   or zero-sized pixels), kMalformed (not a PNG/JPEG, corrupt or truncated image), kUnsupported (a
//   JPEG colour space we do not convert, a structured-append part), kLimit (image too large),
//   kNotFound (no readable QR code in the image, or no such file), kIo (the file cannot be read).
// Thread-safety: reentrant; calls may run concurrently on different images.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "wathiq/core/result.h"

namespace wathiq::verifier {

inline constexpr int kMaxImageSide = 16384;                       // pixels, per side
inline constexpr int64_t kMaxImagePixels = int64_t{8000} * 8000;  // width * height
inline constexpr size_t kMaxImageFileBytes = size_t{64} << 20;    // encoded image, 64 MiB

// An image file: PNG or JPEG, recognised by its first bytes (not its name).
Result<std::string> DecodeQrImageFile(const std::string& path);

// An encoded image in memory: PNG or JPEG.
Result<std::string> DecodeQrImage(ByteView encoded_image);

// 8-bit greyscale pixels (0 = black), row-major, width * height bytes, no row padding: e.g. the Y plane
// of a camera frame.
Result<std::string> DecodeQrGrey(const uint8_t* pixels, int width, int height);

}  // namespace wathiq::verifier
