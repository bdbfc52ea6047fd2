// Wathiq verifier: finding and reading the QR code in a camera frame or an image file.
//
// Guarantees:
// - Input is treated as hostile. Images are recognised by magic bytes (PNG, JPEG); the dimensions are
//   read from the header and checked against kMaxImagePixels / kMaxImageSide BEFORE any pixel buffer is
//   allocated; truncated or corrupt data is an error, never a partly grey image (JPEG warnings such as
//   "premature end of data" count as errors); progressive JPEGs are limited in scans and memory.
// - Bounded work for every accepted image (an outside review found a 4 KB PNG that cost 71 s): an
//   image above kMaxWorkingPixels is shrunk while it is read — JPEG by libjpeg's DCT scaling, PNG and
//   grey pixels by box-averaging rows as they arrive — so no more than kMaxWorkingPixels of pixels ever
//   exist; interlaced PNGs, which cannot be shrunk row by row, are refused above that size. Before zxing
//   runs, the QR finder-pattern candidates are counted (src/finder_count.h) in the image and in its
//   negative; zxing-cpp 1.4's search, which costs the cube of their number, is skipped for a reading
//   with more than kMaxFinderCandidates, leaving the bounded grid fallback (an image of white noise has
//   that many; an image of one code has a few dozen).
// - Only QR codes are looked for (not Micro QR, not other symbologies), with zxing-cpp trying harder and
//   all rotations; then the negative (a light-on-dark code); then our own locator (src/qr_grid.h),
//   which reads the version information to fix zxing-cpp 1.4's weakness with large symbols at few
//   pixels per module, and hands zxing a clean resampled symbol, so error correction stays zxing's.
//   The text comes back exactly as encoded for alphanumeric-mode codes (the Base45 alphabet). It is
//   NOT validated: the WQ1 envelope parser does that.
// - Cost: a frame with a code decodes in one pass (about 1-8 ms for versions 10-40 at 4 px/module on
//   this machine); a frame without one costs all three attempts (about 10-30 ms at 740x740). The
//   worst accepted inputs measured (bench/qr_bench.cc): an 8000x8000 PNG, most of it libpng inflating
//   64 MB, and a working-size image full of finder look-alikes just under the cap; see the bench for
//   CPU time and peak memory.
// - Nothing throws: the libraries' exceptions and errors become Results. Errors: kInvalidArgument (null
//   or zero-sized pixels), kMalformed (not a PNG/JPEG, corrupt or truncated image), kUnsupported (a
//   JPEG colour space we do not convert, a structured-append part), kLimit (image too large),
//   kNotFound (no readable QR code in the image — the message says when zxing was skipped for too many
//   finder-pattern candidates — or no such file), kIo (the file cannot be read).
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
// Larger images are shrunk to this while read: a 4K UHD camera frame (3840x2160) is read as it is, a
// 12-megapixel photo is averaged 2x2. A version-40 code needs about 2 px per module, 370 px, so a code
// that fills a third of a 12 MP photo's width still has over 3 px per module after shrinking.
inline constexpr int64_t kMaxWorkingPixels = int64_t{3840} * 2160;
// Finder-pattern candidates above which zxing-cpp's finder search is skipped for that reading (the image
// or its negative) and only the bounded grid fallback runs. A code has 3 and its data a few dozen
// look-alikes: at most 57 in the robustness images (v40, rotated, blurred and noisy; the census in
// tests/qr_image/qr_robustness_test.cc); zxing-cpp 1.4 spends about 0.1 s on 192 finders in a grid,
// 1.2 s on 400 and 71 s on 1,600.
inline constexpr int kMaxFinderCandidates = 192;

// An image file: PNG or JPEG, recognised by its first bytes (not its name).
Result<std::string> DecodeQrImageFile(const std::string& path);

// An encoded image in memory: PNG or JPEG.
Result<std::string> DecodeQrImage(ByteView encoded_image);

// 8-bit greyscale pixels (0 = black), row-major, width * height bytes, no row padding: e.g. the Y plane
// of a camera frame.
Result<std::string> DecodeQrGrey(const uint8_t* pixels, int width, int height);

}  // namespace wathiq::verifier
