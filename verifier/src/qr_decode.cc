#include "wathiq/verifier/qr_decode.h"

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <png.h>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>
#include <jerror.h>

// zxing-cpp 1.4: without this, Result::text() is a std::wstring (design/DEPENDENCIES.md, trap 5).
#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include "qr_grid.h"

namespace wathiq::verifier {
namespace {

constexpr int kMaxGridCandidates = 8;             // fallback grids tried per image
constexpr int kMaxJpegScans = 100;                 // progressive JPEGs: real ones have about 10
constexpr long kMaxJpegMemory = 320L * 1024 * 1024;  // libjpeg's working memory (progressive buffers)

struct Grey {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

Status CheckDimensions(const char* format, int64_t width, int64_t height) {
  if (width <= 0 || height <= 0) {
    return Fail(Errc::kMalformed, std::string(format) + " image has zero size");
  }
  if (width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels) {
    return Fail(Errc::kLimit, std::string(format) + " image is " + std::to_string(width) + "x" +
                                  std::to_string(height) + ", more than the " + std::to_string(kMaxImagePixels) +
                                  " pixels (at most " + std::to_string(kMaxImageSide) + " per side) we decode");
  }
  return Ok();
}

// ---- PNG: libpng's simplified API keeps its setjmp to itself and reports errors by return value.

Result<Grey> LoadPng(ByteView data) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  struct Freer {
    png_image* p;
    ~Freer() { png_image_free(p); }  // safe after a failed or finished read
  } freer{&png};
  if (!png_image_begin_read_from_memory(&png, data.data(), data.size())) {
    return Fail(Errc::kMalformed, std::string("PNG: ") + png.message);
  }
  WQ_TRY(CheckDimensions("PNG", png.width, png.height));
  Grey out;
  out.width = static_cast<int>(png.width);
  out.height = static_cast<int>(png.height);
  png.format = PNG_FORMAT_GRAY;  // any colour type, bit depth, palette or gamma, converted by libpng
  out.pixels.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height));
  // A transparent background is composited onto white: how a QR with alpha is meant to be shown.
  const png_color white{255, 255, 255};
  if (!png_image_finish_read(&png, &white, out.pixels.data(), 0, nullptr)) {
    return Fail(Errc::kMalformed, std::string("PNG: ") + png.message);
  }
  return out;
}

// ---- JPEG: libjpeg(-turbo) reports errors through error_exit, which must not return; we longjmp
// back. Each function that calls setjmp holds nothing with a destructor and changes no local after
// it, so the jump is well defined; the decoder state lives in JpegDecoder, owned by the caller.

struct JpegErrorMgr {
  jpeg_error_mgr pub;  // first: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool limit_hit;
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorMgr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (level -1: corrupt data, premature end of file, extraneous bytes) are errors here: a
// truncated image must not decode as a partly grey one. Trace messages (level >= 0) are ignored.
void JpegEmitMessage(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0) JpegErrorExit(cinfo);
}

void JpegOutputMessage(j_common_ptr) {}  // never print to stderr

void JpegProgress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  const int scan = reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number;
  if (scan > kMaxJpegScans) {
    auto* err = reinterpret_cast<JpegErrorMgr*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "progressive JPEG has more than %d scans", kMaxJpegScans);
    err->limit_hit = true;
    std::longjmp(err->jump, 1);
  }
}

struct JpegDecoder {
  jpeg_decompress_struct cinfo{};
  JpegErrorMgr err{};
  jpeg_progress_mgr progress{};
  JpegDecoder() = default;
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;
  ~JpegDecoder() { jpeg_destroy_decompress(&cinfo); }  // a no-op while cinfo.mem is null
};

bool JpegReadHeader(JpegDecoder* d, const uint8_t* data, size_t size) {
  d->cinfo.err = jpeg_std_error(&d->err.pub);
  d->err.pub.error_exit = JpegErrorExit;
  d->err.pub.emit_message = JpegEmitMessage;
  d->err.pub.output_message = JpegOutputMessage;
  if (setjmp(d->err.jump)) return false;
  jpeg_create_decompress(&d->cinfo);
  d->cinfo.mem->max_memory_to_use = kMaxJpegMemory;  // libjpeg-turbo has no backing store: over it, an error
  d->progress.progress_monitor = JpegProgress;
  d->cinfo.progress = &d->progress;
  jpeg_mem_src(&d->cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&d->cinfo, TRUE);
  return true;
}

bool JpegReadPixels(JpegDecoder* d, uint8_t* out) {
  if (setjmp(d->err.jump)) return false;
  d->cinfo.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&d->cinfo);
  if (d->cinfo.output_width != d->cinfo.image_width || d->cinfo.output_height != d->cinfo.image_height ||
      d->cinfo.output_components != 1) {
    std::snprintf(d->err.message, sizeof d->err.message, "unexpected output geometry");
    return false;
  }
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW row = out + static_cast<size_t>(d->cinfo.output_scanline) * d->cinfo.output_width;
    if (jpeg_read_scanlines(&d->cinfo, &row, 1) != 1) {
      std::snprintf(d->err.message, sizeof d->err.message, "decoder stalled");
      return false;
    }
  }
  jpeg_finish_decompress(&d->cinfo);
  return true;
}

Result<Grey> LoadJpeg(ByteView data) {
  auto decoder = std::make_unique<JpegDecoder>();
  JpegDecoder* d = decoder.get();
  auto failure = [d]() {
    if (d->err.pub.msg_code == JERR_NO_BACKING_STORE) {  // over kMaxJpegMemory: libjpeg-turbo has no disk spill
      return Fail(Errc::kLimit, "JPEG: decoding would need more than " + std::to_string(kMaxJpegMemory >> 20) +
                                    " MiB (a large progressive image)");
    }
    return Fail(d->err.limit_hit ? Errc::kLimit : Errc::kMalformed, std::string("JPEG: ") + d->err.message);
  };
  if (!JpegReadHeader(d, data.data(), data.size())) return failure();
  WQ_TRY(CheckDimensions("JPEG", d->cinfo.image_width, d->cinfo.image_height));
  if (d->cinfo.jpeg_color_space == JCS_CMYK || d->cinfo.jpeg_color_space == JCS_YCCK) {
    return Fail(Errc::kUnsupported, "JPEG: CMYK images are not supported");
  }
  Grey out;
  out.width = static_cast<int>(d->cinfo.image_width);
  out.height = static_cast<int>(d->cinfo.image_height);
  out.pixels.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height));
  if (!JpegReadPixels(d, out.pixels.data())) return failure();
  return out;
}

Result<Grey> LoadImage(ByteView data) {
  static constexpr uint8_t kPng[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static constexpr uint8_t kJpeg[] = {0xff, 0xd8, 0xff};
  if (data.empty()) return Fail(Errc::kMalformed, "not an image: empty input");
  if (data.size() > kMaxImageFileBytes) {
    return Fail(Errc::kLimit, "image of " + std::to_string(data.size()) + " bytes is larger than " +
                                  std::to_string(kMaxImageFileBytes));
  }
  if (data.size() >= sizeof kPng && std::equal(std::begin(kPng), std::end(kPng), data.begin())) {
    return LoadPng(data);
  }
  if (data.size() >= sizeof kJpeg && std::equal(std::begin(kJpeg), std::end(kJpeg), data.begin())) {
    return LoadJpeg(data);
  }
  return Fail(Errc::kMalformed, "not an image: neither PNG nor JPEG");
}

ZXing::Result ReadQr(const uint8_t* pixels, int width, int height, int stride, bool pure = false) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode)
      .setTryHarder(!pure)
      .setTryRotate(!pure)
      .setIsPure(pure)
      .setBinarizer(ZXing::Binarizer::LocalAverage);
  return ZXing::ReadBarcode(ZXing::ImageView(pixels, width, height, ZXing::ImageFormat::Lum, stride), hints);
}

// The fallback of qr_grid.h: each candidate module grid is drawn as a clean symbol (4 px per module,
// 4-module quiet zone) and handed to zxing's pure-symbol reader, which does all the error correction.
ZXing::Result ReadQrViaGrid(const uint8_t* pixels, int width, int height) {
  ZXing::Result found;
  internal::VisitQrGrids(pixels, width, height, kMaxGridCandidates, [&](const internal::SampledGrid& sampled) {
    internal::SampledGrid grid = sampled;
    if (!internal::StampFunctionPatterns(grid)) return false;  // never hand zxing a malformed symbol
    constexpr int kPx = 4, kQuiet = 4;
    const int side = (grid.dimension + 2 * kQuiet) * kPx;
    std::vector<uint8_t> img(static_cast<size_t>(side) * static_cast<size_t>(side), 255);
    for (int v = 0; v < grid.dimension; ++v) {
      for (int u = 0; u < grid.dimension; ++u) {
        if (!grid.dark[static_cast<size_t>(v) * static_cast<size_t>(grid.dimension) + static_cast<size_t>(u)]) continue;
        for (int y = (v + kQuiet) * kPx; y < (v + kQuiet + 1) * kPx; ++y) {
          std::fill_n(img.begin() + static_cast<ptrdiff_t>(y) * side + (u + kQuiet) * kPx, kPx, uint8_t{0});
        }
      }
    }
    ZXing::Result r = ReadQr(img.data(), side, side, side, /*pure=*/true);
    if (!r.isValid()) return false;
    found = std::move(r);
    return true;
  });
  return found;
}

Result<std::string> DecodeGreyUnchecked(const uint8_t* pixels, int width, int height) {
  ZXing::Result result = ReadQr(pixels, width, height, width);
  if (!result.isValid()) {
    // zxing-cpp 1.4 does not look for light-on-dark codes (a QR on a dark-mode screen or a dark
    // terminal): try the negative, at the cost of a second pass only when the first found nothing.
    std::vector<uint8_t> inverted(static_cast<size_t>(width) * static_cast<size_t>(height));
    for (int y = 0; y < height; ++y) {
      const uint8_t* src = pixels + static_cast<size_t>(y) * static_cast<size_t>(width);
      std::transform(src, src + width, inverted.begin() + static_cast<ptrdiff_t>(y) * width,
                     [](uint8_t v) { return static_cast<uint8_t>(255 - v); });
    }
    result = ReadQr(inverted.data(), width, height, width);
  }
  if (!result.isValid()) result = ReadQrViaGrid(pixels, width, height);
  if (!result.isValid()) return Fail(Errc::kNotFound, "no readable QR code in the image");
  if (result.isPartOfSequence()) {
    return Fail(Errc::kUnsupported, "the QR code is one part of a structured-append sequence");
  }
  return result.text();
}

}  // namespace

Result<std::string> DecodeQrGrey(const uint8_t* pixels, int width, int height) {
  if (pixels == nullptr) return Fail(Errc::kInvalidArgument, "no pixels");
  if (width <= 0 || height <= 0) {
    return Fail(Errc::kInvalidArgument,
                "image has zero size (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  WQ_TRY(CheckDimensions("grey", width, height));
  try {
    return DecodeGreyUnchecked(pixels, width, height);
  } catch (const std::bad_alloc&) {
    return Fail(Errc::kLimit, "out of memory while decoding the QR code");
  } catch (const std::exception& e) {
    return Fail(Errc::kInternal, std::string("QR decoder failed: ") + e.what());
  } catch (...) {
    return Fail(Errc::kInternal, "QR decoder failed with an unknown exception");
  }
}

Result<std::string> DecodeQrImage(ByteView encoded_image) {
  try {
    WQ_ASSIGN(Grey img, LoadImage(encoded_image));
    return DecodeQrGrey(img.pixels.data(), img.width, img.height);
  } catch (const std::bad_alloc&) {
    return Fail(Errc::kLimit, "out of memory while loading the image");
  }
}

Result<std::string> DecodeQrImageFile(const std::string& path) {
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int err = errno;
    return Fail(err == ENOENT ? Errc::kNotFound : Errc::kIo, "cannot open " + path + ": " + std::strerror(err));
  }
  try {
    // Read at most one byte more than the cap: no trust in a size reported before reading.
    Bytes data;
    std::vector<uint8_t> chunk(size_t{1} << 16);
    while (true) {
      const size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get());
      data.insert(data.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(n));
      if (data.size() > kMaxImageFileBytes) {
        return Fail(Errc::kLimit, path + " is larger than " + std::to_string(kMaxImageFileBytes) + " bytes");
      }
      if (n < chunk.size()) break;
    }
    if (std::ferror(file.get())) return Fail(Errc::kIo, "cannot read " + path);
    auto text = DecodeQrImage(data);
    if (!text) return Wrap(path, text.error());
    return text;
  } catch (const std::bad_alloc&) {
    return Fail(Errc::kLimit, "out of memory while reading " + path);
  }
}

}  // namespace wathiq::verifier
