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

#include "finder_count.h"
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

// The smallest integer factor that brings width x height within kMaxWorkingPixels.
int ShrinkFactor(int64_t width, int64_t height) {
  int k = 1;
  while (((width + k - 1) / k) * ((height + k - 1) / k) > kMaxWorkingPixels) ++k;
  return k;
}

// Box-averages an image by an integer factor as its rows arrive, so that a large image never exists at
// full size: memory is one row of sums and the result. Averaging (not picking every k-th pixel) keeps
// thin modules as grey rather than dropping them, and smooths the sensor noise of a large photo.
class BoxShrinker {
 public:
  BoxShrinker(int width, int height, int factor)
      : in_width_(width), in_height_(height), k_(factor), sums_((static_cast<size_t>(width) + factor - 1) / factor) {
    out_.width = (width + factor - 1) / factor;
    out_.height = (height + factor - 1) / factor;
    out_.pixels.resize(static_cast<size_t>(out_.width) * static_cast<size_t>(out_.height));
  }

  // One row of width grey pixels, top to bottom. Never allocates.
  void AddRow(const uint8_t* row) {
    if (rows_ >= in_height_) return;
    if (k_ == 1) {
      std::copy_n(row, in_width_, out_.pixels.begin() + static_cast<ptrdiff_t>(rows_) * in_width_);
      ++rows_;
      return;
    }
    for (int x = 0; x < in_width_; ++x) sums_[static_cast<size_t>(x / k_)] += row[x];
    ++rows_;
    if (rows_ % k_ != 0 && rows_ != in_height_) return;
    const int oy = (rows_ - 1) / k_;
    const int rows_in_band = rows_ - oy * k_;
    uint8_t* out = out_.pixels.data() + static_cast<size_t>(oy) * static_cast<size_t>(out_.width);
    for (int ox = 0; ox < out_.width; ++ox) {
      const uint32_t n = static_cast<uint32_t>(std::min(k_, in_width_ - ox * k_) * rows_in_band);
      out[ox] = static_cast<uint8_t>((sums_[static_cast<size_t>(ox)] + n / 2) / n);
    }
    std::fill(sums_.begin(), sums_.end(), 0u);
  }

  bool complete() const { return rows_ == in_height_; }
  Grey Take() { return std::move(out_); }

 private:
  int in_width_, in_height_, k_;
  int rows_ = 0;
  std::vector<uint32_t> sums_;
  Grey out_;
};

// ---- PNG: libpng's row-by-row API, so that a large image is box-shrunk while it is read (the simplified
// API wants the whole image in one buffer: 64 MB for the largest one we accept). libpng reports errors
// by longjmp: each function that calls setjmp holds nothing with a destructor and changes no local
// after it; the state lives in PngDecoder, owned by the caller.

struct PngDecoder {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ByteView data;
  size_t offset = 0;
  char message[160] = "";
  int passes = 1;  // 7 for an interlaced image
  PngDecoder() = default;
  PngDecoder(const PngDecoder&) = delete;
  PngDecoder& operator=(const PngDecoder&) = delete;
  ~PngDecoder() { png_destroy_read_struct(&png, &info, nullptr); }  // safe with nulls
};

void PngError(png_structp png, png_const_charp message) {
  auto* d = static_cast<PngDecoder*>(png_get_error_ptr(png));
  std::snprintf(d->message, sizeof d->message, "%s", message);
  png_longjmp(png, 1);
}

void PngWarning(png_structp, png_const_charp) {}  // ancillary-chunk trouble (a bad iCCP): not our concern

void PngRead(png_structp png, png_bytep out, size_t length) {
  auto* d = static_cast<PngDecoder*>(png_get_io_ptr(png));
  if (length > d->data.size() - d->offset) png_error(png, "truncated PNG");
  std::memcpy(out, d->data.data() + d->offset, length);
  d->offset += length;
}

// Reads the header and sets the conversions to 8-bit grey, with alpha kept as a second channel.
bool PngReadHeader(PngDecoder* d) {
  d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, PngError, PngWarning);
  if (d->png == nullptr) return std::snprintf(d->message, sizeof d->message, "out of memory"), false;
  if (setjmp(png_jmpbuf(d->png))) return false;
  d->info = png_create_info_struct(d->png);
  if (d->info == nullptr) png_error(d->png, "out of memory");
  png_set_read_fn(d->png, d, PngRead);
  png_read_info(d->png, d->info);
  const int color = png_get_color_type(d->png, d->info);
  png_set_expand(d->png);    // palette to RGB, grey below 8 bits to 8, tRNS to alpha
  png_set_scale_16(d->png);  // 16 bits to 8
  if (color & PNG_COLOR_MASK_COLOR) png_set_rgb_to_gray_fixed(d->png, 1, -1, -1);
  d->passes = png_set_interlace_handling(d->png);
  png_read_update_info(d->png, d->info);
  return true;
}

// Reads the rows: a plain image one row at a time into the shrinker; an interlaced one (whose rows are
// complete only after the last pass) whole into `whole`, which the caller sized.
bool PngReadRows(PngDecoder* d, uint8_t* row, uint8_t* whole, BoxShrinker* shrinker) {
  if (setjmp(png_jmpbuf(d->png))) return false;
  const png_uint_32 width = png_get_image_width(d->png, d->info);
  const png_uint_32 height = png_get_image_height(d->png, d->info);
  const int channels = png_get_channels(d->png, d->info);
  auto composite = [&](uint8_t* src) {
    // A transparent background is composited onto white: how a QR with alpha is meant to be shown.
    if (channels == 2) {
      for (png_uint_32 x = 0; x < width; ++x) {
        const unsigned g = src[2 * x], a = src[2 * x + 1];
        src[x] = static_cast<uint8_t>((g * a + 255 * (255 - a) + 127) / 255);
      }
    }
    shrinker->AddRow(src);
  };
  const size_t row_bytes = static_cast<size_t>(width) * static_cast<size_t>(channels);
  if (whole != nullptr) {
    for (int pass = 0; pass < d->passes; ++pass) {
      for (png_uint_32 y = 0; y < height; ++y) png_read_row(d->png, whole + y * row_bytes, nullptr);
    }
    for (png_uint_32 y = 0; y < height; ++y) composite(whole + y * row_bytes);
  } else {
    for (png_uint_32 y = 0; y < height; ++y) {
      png_read_row(d->png, row, nullptr);
      composite(row);
    }
  }
  png_read_end(d->png, nullptr);  // the CRCs and chunks after the image data: a truncated file fails here
  return true;
}

Result<Grey> LoadPng(ByteView data) {
  auto decoder = std::make_unique<PngDecoder>();
  PngDecoder* d = decoder.get();
  d->data = data;
  if (!PngReadHeader(d)) return Fail(Errc::kMalformed, std::string("PNG: ") + d->message);
  const int64_t width = png_get_image_width(d->png, d->info), height = png_get_image_height(d->png, d->info);
  WQ_TRY(CheckDimensions("PNG", width, height));
  const int channels = png_get_channels(d->png, d->info);
  if (png_get_bit_depth(d->png, d->info) != 8 || (channels != 1 && channels != 2) ||
      png_get_rowbytes(d->png, d->info) != static_cast<size_t>(width) * static_cast<size_t>(channels)) {
    return Fail(Errc::kInternal, "PNG: unexpected row format after conversion to grey");
  }
  const int factor = ShrinkFactor(width, height);
  const bool interlaced = d->passes > 1;
  if (interlaced && factor > 1) {
    return Fail(Errc::kLimit, "PNG: interlaced image is " + std::to_string(width) + "x" + std::to_string(height) +
                                  "; interlaced images are read only up to " + std::to_string(kMaxWorkingPixels) +
                                  " pixels (they cannot be shrunk row by row)");
  }
  BoxShrinker shrinker(static_cast<int>(width), static_cast<int>(height), factor);
  std::vector<uint8_t> row(static_cast<size_t>(width) * static_cast<size_t>(channels));
  std::vector<uint8_t> whole(interlaced ? row.size() * static_cast<size_t>(height) : 0);
  if (!PngReadRows(d, row.data(), interlaced ? whole.data() : nullptr, &shrinker)) {
    return Fail(Errc::kMalformed, std::string("PNG: ") + d->message);
  }
  if (!shrinker.complete()) return Fail(Errc::kMalformed, "PNG: image data ended early");
  return shrinker.Take();
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

// Decodes at the DCT scale the caller set (cinfo.scale_num / 8), so a large JPEG is never expanded to
// full size; the shrinker takes whatever is left above the working size.
bool JpegReadPixels(JpegDecoder* d, uint8_t* row, BoxShrinker* shrinker) {
  if (setjmp(d->err.jump)) return false;
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW rows[1] = {row};
    if (jpeg_read_scanlines(&d->cinfo, rows, 1) != 1) {
      std::snprintf(d->err.message, sizeof d->err.message, "decoder stalled");
      return false;
    }
    shrinker->AddRow(row);
  }
  jpeg_finish_decompress(&d->cinfo);
  return true;
}

bool JpegStart(JpegDecoder* d, unsigned scale_num) {
  if (setjmp(d->err.jump)) return false;
  d->cinfo.out_color_space = JCS_GRAYSCALE;
  d->cinfo.scale_num = scale_num;
  d->cinfo.scale_denom = 8;
  jpeg_start_decompress(&d->cinfo);
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
  const int64_t width = d->cinfo.image_width, height = d->cinfo.image_height;
  WQ_TRY(CheckDimensions("JPEG", width, height));
  if (d->cinfo.jpeg_color_space == JCS_CMYK || d->cinfo.jpeg_color_space == JCS_YCCK) {
    return Fail(Errc::kUnsupported, "JPEG: CMYK images are not supported");
  }
  // The largest DCT scale M/8 that fits the working size (libjpeg-turbo scales by any M/8 while
  // decoding, which costs less than decoding in full and shrinking).
  unsigned scale = 8;
  while (scale > 1 && ((width * scale + 7) / 8) * ((height * scale + 7) / 8) > kMaxWorkingPixels) --scale;
  if (!JpegStart(d, scale)) return failure();
  const int out_width = static_cast<int>(d->cinfo.output_width), out_height = static_cast<int>(d->cinfo.output_height);
  if (d->cinfo.output_components != 1 || out_width <= 0 || out_height <= 0 || out_width > width ||
      out_height > height) {
    return Fail(Errc::kInternal, "JPEG: unexpected output geometry");
  }
  BoxShrinker shrinker(out_width, out_height, ShrinkFactor(out_width, out_height));
  std::vector<uint8_t> row(static_cast<size_t>(out_width));
  if (!JpegReadPixels(d, row.data(), &shrinker)) return failure();
  if (!shrinker.complete()) return Fail(Errc::kMalformed, "JPEG: image data ended early");
  return shrinker.Take();
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

// pixels is at most kMaxWorkingPixels.
Result<std::string> DecodeWorkingImage(const uint8_t* pixels, int width, int height) {
  // zxing-cpp 1.4's finder search is cubic in the finder-like patterns it meets (finder_count.h): a
  // reading with more candidates than a photo of one code has skips it, in the image or its negative.
  // The grid fallback below is bounded on its own (qr_grid.h), so such an image is still searched.
  // The negative is counted only when it is about to be searched.
  const int dark = internal::CountFinderCandidates(pixels, width, height, false, kMaxFinderCandidates);
  int light = 0;
  ZXing::Result result;
  if (dark <= kMaxFinderCandidates) result = ReadQr(pixels, width, height, width);
  if (!result.isValid()) light = internal::CountFinderCandidates(pixels, width, height, true, kMaxFinderCandidates);
  if (!result.isValid() && light <= kMaxFinderCandidates) {
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
  if (!result.isValid()) {
    std::string message = "no readable QR code in the image";
    if (dark > kMaxFinderCandidates || light > kMaxFinderCandidates) {
      message += std::string("; too many finder-pattern candidates (more than the cap of ") +
                 std::to_string(kMaxFinderCandidates) + (dark > kMaxFinderCandidates ? " dark" : "") +
                 (dark > kMaxFinderCandidates && light > kMaxFinderCandidates ? " and" : "") +
                 (light > kMaxFinderCandidates ? " light" : "") + "), so only the bounded fallback searched it";
    }
    return Fail(Errc::kNotFound, message);
  }
  if (result.isPartOfSequence()) {
    return Fail(Errc::kUnsupported, "the QR code is one part of a structured-append sequence");
  }
  return result.text();
}

// Turns the libraries' exceptions (zxing-cpp throws, std::vector may) into Results.
template <class F>
Result<std::string> Guarded(F&& decode) {
  try {
    return decode();
  } catch (const std::bad_alloc&) {
    return Fail(Errc::kLimit, "out of memory while decoding the QR code");
  } catch (const std::exception& e) {
    return Fail(Errc::kInternal, std::string("QR decoder failed: ") + e.what());
  } catch (...) {
    return Fail(Errc::kInternal, "QR decoder failed with an unknown exception");
  }
}

}  // namespace

Result<std::string> DecodeQrGrey(const uint8_t* pixels, int width, int height) {
  if (pixels == nullptr) return Fail(Errc::kInvalidArgument, "no pixels");
  if (width <= 0 || height <= 0) {
    return Fail(Errc::kInvalidArgument,
                "image has zero size (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  WQ_TRY(CheckDimensions("grey", width, height));
  return Guarded([&]() -> Result<std::string> {
    const int factor = ShrinkFactor(width, height);
    if (factor == 1) return DecodeWorkingImage(pixels, width, height);
    BoxShrinker shrinker(width, height, factor);
    for (int y = 0; y < height; ++y) shrinker.AddRow(pixels + static_cast<size_t>(y) * static_cast<size_t>(width));
    const Grey small = shrinker.Take();
    return DecodeWorkingImage(small.pixels.data(), small.width, small.height);
  });
}

Result<std::string> DecodeQrImage(ByteView encoded_image) {
  return Guarded([&]() -> Result<std::string> {
    WQ_ASSIGN(Grey img, LoadImage(encoded_image));  // already within kMaxWorkingPixels
    return DecodeWorkingImage(img.pixels.data(), img.width, img.height);
  });
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
