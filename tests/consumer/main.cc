// Uses an installed Wathiq through find_package(Wathiq): the C ABI (libwathiq.so) and the C++ libraries.
// Exits 0 when every call behaved as documented.
#include <wathiq/wathiq.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "wathiq/core/base45.h"
#include "wathiq/core/text.h"
#include "wathiq/verifier/qr_decode.h"

int main() {
  int failures = 0;
  auto check = [&failures](bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) ++failures;
  };

  check(wathiq_abi_version() == WATHIQ_ABI_VERSION, "wathiq_abi_version() matches the header");

  // RFC 9285's example: "AB" is "BB8".
  const std::vector<uint8_t> ab = {'A', 'B'};
  check(wathiq::base45::Encode(ab) == "BB8", "base45::Encode");
  auto decoded = wathiq::base45::Decode("BB8");
  check(decoded.has_value() && *decoded == ab, "base45::Decode");

  check(wathiq::SafeText("plain") == "plain", "SafeText keeps plain text");
  check(wathiq::SafeText("a\u202Eb") != "a\u202Eb", "SafeText escapes a bidi override");

  // Not an image: a refusal, through the static verifier library and its private image decoders.
  const std::vector<uint8_t> junk = {0x00, 0x01, 0x02, 0x03};
  check(!wathiq::verifier::DecodeQrImage(junk).has_value(), "verifier::DecodeQrImage refuses junk");

  std::printf("consumer: %s\n", failures == 0 ? "all checks passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
