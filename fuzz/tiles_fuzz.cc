// libFuzzer: tlog-tiles parsing — tile paths (canonical: a parsed path prints back identically), hash
// tiles and entry bundles (a parsed bundle encodes back to exactly its input). The first byte picks the width.
#include <cstdlib>
#include <string_view>

#include "wathiq/log/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wathiq::log;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto path = ParseTilePath(text);
  if (path && TilePath(*path) != text) std::abort();
  if (size == 0) return 0;
  unsigned width = data[0] == 0 ? 256u : data[0];
  wathiq::ByteView rest(data + 1, size - 1);
  auto tile = ParseHashTile(rest, width);
  if (tile && tile->size() * 32 != rest.size()) std::abort();
  auto bundle = ParseEntryBundle(rest, width);
  if (bundle) {
    if (bundle->size() != width) std::abort();
    auto again = EncodeEntryBundle(*bundle);
    if (!again || *again != wathiq::Bytes(rest.begin(), rest.end())) std::abort();
  }
  return 0;
}
