// Wathiq core: Base45 (RFC 9285). Decode rejects characters outside the alphabet, a dangling single
// character and triples or pairs whose value overflows, naming the offset.
#pragma once

#include <string>
#include <string_view>

#include "wathiq/core/result.h"

namespace wathiq::base45 {
std::string Encode(ByteView data);
Result<Bytes> Decode(std::string_view text);
}  // namespace wathiq::base45
