// libFuzzer: QR image decoding (PNG/JPEG sniffing, libpng, libjpeg-turbo, zxing-cpp, the grid fallback).
// Anything may fail; nothing may crash, abort (Debian's libZXing keeps its assertions) or hang.
#include <cstddef>
#include <cstdint>

#include "wathiq/verifier/qr_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (size_t{1} << 20)) return 0;  // the decoders cap dimensions; big inputs only slow the fuzzer
  auto text = wathiq::verifier::DecodeQrImage(wathiq::ByteView(data, size));
  (void)text;
  return 0;
}
