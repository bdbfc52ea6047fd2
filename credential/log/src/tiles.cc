#include "wathiq/log/tiles.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wathiq/core/crypto.h"
#include "wathiq/core/file.h"

namespace wathiq::log {
namespace {

constexpr size_t kMaxTileFile = kTileWidth * 32;
constexpr size_t kMaxBundleFile = kTileWidth * (2 + kMaxEntryBytes);
constexpr size_t kTileCacheSize = 64;

// Hashes at tree level 8*L in a tree of `size` leaves.
uint64_t CountAtTileLevel(uint64_t size, unsigned tile_level) {
  unsigned shift = tile_level * kTileHeight;
  return shift >= 64 ? 0 : size >> shift;
}

Result<uint64_t> ParseDecimal(std::string_view s, uint64_t max, const char* what) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) {
    return Fail(Errc::kMalformed, std::string("tile path: bad ") + what);
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Fail(Errc::kMalformed, std::string("tile path: bad ") + what);
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return Fail(Errc::kMalformed, std::string("tile path: ") + what + " out of range");
  return v;
}

}  // namespace

std::string FormatTileIndex(uint64_t n) {
  std::string out;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(n % 1000));
  out = buf;
  for (n /= 1000; n > 0; n /= 1000) {
    std::snprintf(buf, sizeof buf, "x%03u/", static_cast<unsigned>(n % 1000));
    out = buf + out;
  }
  return out;
}

std::string TilePath(const TileId& t) {
  std::string p = t.entries ? "tile/entries/" : "tile/" + std::to_string(t.level) + "/";
  p += FormatTileIndex(t.index);
  if (t.width < kTileWidth) p += ".p/" + std::to_string(t.width);
  return p;
}

Result<TileId> ParseTilePath(std::string_view path) {
  if (path.size() > 128) return Fail(Errc::kMalformed, "tile path: too long");
  if (path.substr(0, 5) != "tile/") return Fail(Errc::kMalformed, "tile path: must start with tile/");
  path.remove_prefix(5);
  TileId t;
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return Fail(Errc::kMalformed, "tile path: missing index");
  std::string_view kind = path.substr(0, slash);
  if (kind == "entries") {
    t.entries = true;
  } else {
    WQ_ASSIGN(uint64_t level, ParseDecimal(kind, 63, "level"));
    t.level = static_cast<unsigned>(level);
  }
  path.remove_prefix(slash + 1);
  // The index groups, then an optional ".p/<W>".
  std::string_view width_part;
  if (size_t p = path.find(".p/"); p != std::string_view::npos) {
    width_part = path.substr(p + 3);
    path = path.substr(0, p);
    WQ_ASSIGN(uint64_t w, ParseDecimal(width_part, kTileWidth - 1, "width"));
    if (w == 0) return Fail(Errc::kMalformed, "tile path: width 0");
    t.width = static_cast<unsigned>(w);
  }
  uint64_t n = 0;
  bool last = false;
  size_t groups = 0;
  while (!last) {
    size_t s = path.find('/');
    std::string_view g = path.substr(0, s);
    last = s == std::string_view::npos;
    if (!last) path.remove_prefix(s + 1);
    if (!last) {
      if (g.size() != 4 || g[0] != 'x') return Fail(Errc::kMalformed, "tile path: inner index groups are xNNN");
      g.remove_prefix(1);
    } else if (g.size() != 3) {
      return Fail(Errc::kMalformed, "tile path: the last index group has three digits");
    }
    if (!std::all_of(g.begin(), g.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(Errc::kMalformed, "tile path: index digits");
    }
    // Six groups reach 10^18, beyond any tile of a tree below 2^63 leaves.
    if (++groups > 6) return Fail(Errc::kMalformed, "tile path: index too large");
    uint64_t d = static_cast<uint64_t>((g[0] - '0') * 100 + (g[1] - '0') * 10 + (g[2] - '0'));
    // Canonical only: a leading x000 group would give the same N a second path.
    if (groups == 1 && !last && d == 0) return Fail(Errc::kMalformed, "tile path: leading zero group");
    n = n * 1000 + d;
  }
  t.index = n;
  return t;
}

Result<std::vector<TileId>> TilesToWrite(uint64_t old_size, uint64_t new_size) {
  if (new_size >= kTreeSizeLimit || old_size > new_size) {
    return Fail(Errc::kInvalidArgument, "tiles: sizes must satisfy old <= new < 2^63");
  }
  std::vector<TileId> out;
  for (unsigned level = 0; level < 8; ++level) {
    uint64_t now = CountAtTileLevel(new_size, level), before = CountAtTileLevel(old_size, level);
    if (now == 0) break;
    for (uint64_t n = before / kTileWidth; n * kTileWidth < now; ++n) {
      unsigned w = static_cast<unsigned>(std::min<uint64_t>(kTileWidth, now - n * kTileWidth));
      unsigned w_before = static_cast<unsigned>(before > n * kTileWidth ? std::min<uint64_t>(kTileWidth, before - n * kTileWidth) : 0);
      if (w != w_before) out.push_back(TileId{false, level, n, w});
    }
  }
  for (uint64_t n = old_size / kTileWidth; n * kTileWidth < new_size; ++n) {
    unsigned w = static_cast<unsigned>(std::min<uint64_t>(kTileWidth, new_size - n * kTileWidth));
    unsigned w_before = static_cast<unsigned>(old_size > n * kTileWidth ? std::min<uint64_t>(kTileWidth, old_size - n * kTileWidth) : 0);
    if (w != w_before) out.push_back(TileId{true, 0, n, w});
  }
  return out;
}

Result<Bytes> ComputeHashTile(const NodeSource& source, const TileId& tile) {
  if (tile.entries || tile.width == 0 || tile.width > kTileWidth || tile.level > 7) {
    return Fail(Errc::kInvalidArgument, "tiles: not a hash tile of this tree");
  }
  Bytes out;
  out.reserve(tile.width * 32);
  for (unsigned i = 0; i < tile.width; ++i) {
    WQ_ASSIGN(Hash h, source.Node(tile.level * kTileHeight, tile.index * kTileWidth + i));
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

Result<std::vector<Hash>> ParseHashTile(ByteView data, unsigned width) {
  if (width == 0 || width > kTileWidth) return Fail(Errc::kInvalidArgument, "hash tile: width must be 1..256");
  if (data.size() != size_t{width} * 32) {
    return Fail(Errc::kMalformed, "hash tile: " + std::to_string(data.size()) + " bytes, expected " +
                                      std::to_string(width * 32));
  }
  std::vector<Hash> out(width);
  for (unsigned i = 0; i < width; ++i) std::memcpy(out[i].data(), data.data() + i * 32, 32);
  return out;
}

Result<Bytes> EncodeEntryBundle(std::span<const Bytes> entries) {
  if (entries.empty() || entries.size() > kTileWidth) return Fail(Errc::kInvalidArgument, "entry bundle: 1..256 entries");
  Bytes out;
  for (const Bytes& e : entries) {
    if (e.size() > kMaxEntryBytes) return Fail(Errc::kInvalidArgument, "entry bundle: an entry is longer than 65,535 bytes");
    out.push_back(static_cast<uint8_t>(e.size() >> 8));
    out.push_back(static_cast<uint8_t>(e.size()));
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

Result<std::vector<Bytes>> ParseEntryBundle(ByteView data, unsigned width) {
  if (width == 0 || width > kTileWidth) return Fail(Errc::kInvalidArgument, "entry bundle: width must be 1..256");
  if (data.size() > kMaxBundleFile) return Fail(Errc::kLimit, "entry bundle: too large");
  std::vector<Bytes> out;
  size_t pos = 0;
  while (pos < data.size()) {
    if (out.size() == width) return Fail(Errc::kMalformed, "entry bundle: more entries than the bundle's width");
    if (data.size() - pos < 2) return Fail(Errc::kMalformed, "entry bundle: truncated length prefix");
    size_t len = (size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    if (data.size() - pos < len) return Fail(Errc::kMalformed, "entry bundle: truncated entry");
    out.emplace_back(data.begin() + static_cast<ptrdiff_t>(pos), data.begin() + static_cast<ptrdiff_t>(pos + len));
    pos += len;
  }
  if (out.size() != width) {
    return Fail(Errc::kMalformed, "entry bundle: " + std::to_string(out.size()) + " entries, expected " + std::to_string(width));
  }
  return out;
}

Status WriteFileAtomic(const std::filesystem::path& path, ByteView data) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Fail(Errc::kIo, "cannot create " + path.parent_path().string() + ": " + ec.message());
  // Public tiles are world-readable; the data is on disk before the name points at it (core/file.h).
  return WriteFileAtomically(path.string(), data, WriteMode::kReplace, 0644);
}

Result<Bytes> ReadFileBounded(const std::filesystem::path& path, size_t max_bytes) {
  return ReadFileBytes(path.string(), max_bytes);
}

Status WriteHashTiles(const std::filesystem::path& dir, const NodeSource& source, uint64_t old_size, uint64_t new_size) {
  WQ_ASSIGN(std::vector<TileId> tiles, TilesToWrite(old_size, new_size));
  for (const TileId& t : tiles) {
    if (t.entries) continue;
    std::filesystem::path p = dir / TilePath(t);
    std::error_code ec;
    if (t.width == kTileWidth && std::filesystem::exists(p, ec)) continue;  // full tiles are immutable
    WQ_ASSIGN(Bytes data, ComputeHashTile(source, t));
    WQ_TRY(WriteFileAtomic(p, data));
  }
  return Ok();
}

Status WriteEntryBundles(const std::filesystem::path& dir, std::span<const Bytes> entries, uint64_t old_size,
                         uint64_t new_size) {
  WQ_ASSIGN(std::vector<TileId> tiles, TilesToWrite(old_size, new_size));
  const uint64_t first = old_size / kTileWidth * kTileWidth;
  if (entries.size() != new_size - first) {
    return Fail(Errc::kInvalidArgument, "entry bundles: expected entries [" + std::to_string(first) + ", " +
                                            std::to_string(new_size) + ")");
  }
  for (const TileId& t : tiles) {
    if (!t.entries) continue;
    size_t from = static_cast<size_t>(t.index * kTileWidth - first);
    WQ_ASSIGN(Bytes data, EncodeEntryBundle(entries.subspan(from, t.width)));
    WQ_TRY(WriteFileAtomic(dir / TilePath(t), data));
  }
  return Ok();
}

Result<Bytes> ReadTile(const std::filesystem::path& dir, const TileId& tile) {
  return ReadFileBounded(dir / TilePath(tile), tile.entries ? kMaxBundleFile : kMaxTileFile);
}

Result<const std::vector<Hash>*> TileNodeSource::Tile(unsigned tile_level, uint64_t tile_index) const {
  auto key = std::make_pair(tile_level, tile_index);
  if (auto it = cache_.find(key); it != cache_.end()) return &it->second;
  uint64_t count = CountAtTileLevel(size_, tile_level);
  if (tile_index * kTileWidth >= count) return Fail(Errc::kNotFound, "tiles: tile beyond the tree");
  TileId t{false, tile_level, tile_index,
           static_cast<unsigned>(std::min<uint64_t>(kTileWidth, count - tile_index * kTileWidth))};
  WQ_ASSIGN(Bytes data, ReadTile(dir_, t));
  WQ_ASSIGN(std::vector<Hash> hashes, ParseHashTile(data, t.width));
  if (cache_.size() >= kTileCacheSize) cache_.erase(cache_.begin());
  return &(cache_[key] = std::move(hashes));
}

Result<Hash> TileNodeSource::Node(unsigned level, uint64_t index) const {
  if (level >= 63 || (index >> (63 - level)) != 0 || ((index + 1) << level) > size_) {
    return Fail(Errc::kNotFound, "tiles: node (" + std::to_string(level) + ", " + std::to_string(index) +
                                     ") is not complete in a tree of " + std::to_string(size_));
  }
  // A node at level 8L + r is the root of 2^r consecutive hashes of one tile at level L.
  unsigned tile_level = level / kTileHeight, r = level % kTileHeight;
  uint64_t first = index << r;
  WQ_ASSIGN(const std::vector<Hash>* tile, Tile(tile_level, first / kTileWidth));
  size_t off = static_cast<size_t>(first % kTileWidth);
  size_t n = size_t{1} << r;
  if (off + n > tile->size()) return Fail(Errc::kMalformed, "tiles: tile shorter than the tree needs");
  std::vector<Hash> row(tile->begin() + static_cast<ptrdiff_t>(off), tile->begin() + static_cast<ptrdiff_t>(off + n));
  while (row.size() > 1) {
    for (size_t i = 0; i < row.size() / 2; ++i) row[i] = NodeHash(row[2 * i], row[2 * i + 1]);
    row.resize(row.size() / 2);
  }
  return row[0];
}

}  // namespace wathiq::log
