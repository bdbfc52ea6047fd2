// Wathiq verifier: finding and reading the QR code in a camera frame or an image file.
//
// Guarantees:
// - Input is treated as hostile. Images are recognised by magic bytes (PNG, JPEG); the dimensions are
//   read from the header and checked against kMaxImagePixels / kMaxImageSide BEFORE any pixel buffer is
//   allocated; truncated or corrupt data is an error, never a partly grey image (JPEG warnings such as
//   "premature end of data" count as errors); progressive JPEGs are limited in scans and memory.
// - Only QR codes are looked for (not Micro QR, not other symbologies), trying harder and all rotations;
//   an inverted (light-on-dark) code is tried when a normal one is not found. The text comes back
//   exactly as encoded for alphanumeric-mode codes (the Base45 alphabet). The text is NOT validated:
//   the WQ1 envelope parser does that.
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
