#include "wathiq/auditor/folders.h"

#include <algorithm>

#include "wathiq/keys/status_uri.h"
#include "wathiq/log/tiles.h"

namespace wathiq::auditor {

Status ForEachEntry(const std::filesystem::path& audit_dir, uint64_t size,
                    const std::function<Status(uint64_t, ByteView)>& visit, uint64_t* read) {
  if (read) *read = 0;
  if (size >= log::kTreeSizeLimit) return Fail(Errc::kInvalidArgument, "entries: size is 2^63 or more");
  for (uint64_t n = 0; n * log::kTileWidth < size; ++n) {
    const unsigned width = static_cast<unsigned>(std::min<uint64_t>(log::kTileWidth, size - n * log::kTileWidth));
    // The exact bundle, else a wider one (a later, larger partial bundle or the full one) whose prefix
    // holds the same entries.
    Result<Bytes> data = Fail(Errc::kNotFound, "");
    unsigned found_width = width;
    for (unsigned w = width; w <= log::kTileWidth; ++w) {
      log::TileId t{true, 0, n, w};
      std::error_code ec;
      if (w != width && !std::filesystem::exists(audit_dir / log::TilePath(t), ec)) continue;
      data = log::ReadTile(audit_dir, t);
      found_width = w;
      if (data || data.error().code != Errc::kNotFound) break;
    }
    const std::string name = log::TilePath(log::TileId{true, 0, n, width});
    if (!data) {
      if (data.error().code == Errc::kNotFound) {
        return Fail(Error(Errc::kNotFound, "entry bundle " + name + " is missing", "entry_bundle_missing"));
      }
      return Fail(
          Error(data.error().code, "entry bundle " + name + ": " + data.error().message, "entry_bundle_malformed"));
    }
    auto entries = log::ParseEntryBundle(*data, found_width);
    if (!entries) {
      return Fail(
          Error(Errc::kMalformed,
                "entry bundle " + log::TilePath(log::TileId{true, 0, n, found_width}) + ": " + entries.error().message,
                "entry_bundle_malformed"));
    }
    for (unsigned i = 0; i < width; ++i) {
      WQ_TRY(visit(n * log::kTileWidth + i, (*entries)[i]));
      if (read) ++*read;
    }
  }
  return Ok();
}

}  // namespace wathiq::auditor
