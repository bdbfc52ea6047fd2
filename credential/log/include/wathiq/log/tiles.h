// Wathiq log: C2SP tlog-tiles (c2sp.org/tlog-tiles) — the static publication layout of the log.
//
// Layout: hash tiles `tile/<L>/<N>[.p/<W>]` hold up to 256 consecutive hashes of tree level 8*L (32 bytes
// each, 8,192 bytes when full); entry bundles `tile/entries/<N>[.p/<W>]` hold up to 256 entries, each
// prefixed by its 16-bit big-endian length. N is written as zero-padded three-digit groups, all but the
// last prefixed with "x" (1234067 -> x001/x234/067). W (1..255) marks a partial tile at the right edge.
//
// Guarantees:
//  - Parsing is strict: a hash tile is exactly 32*W bytes; an entry bundle holds exactly the expected
//    number of entries, no trailing bytes; tile paths are in canonical form only (no leading zeros beyond
//    the three-digit groups, W in 1..255).
//  - Files are written atomically (a temporary file in the same folder, fsync, rename, fsync of the
//    folder), so a reader sees a whole old tile or a whole new one. Full tiles never change and are not
//    rewritten; partial tiles are replaced as the tree grows.
//  - TileNodeSource serves any complete-subtree hash of a tree of known size from the hash tiles alone,
//    so inclusion and consistency proofs (merkle.h) come from the public tiles.
// Thread-safety: free functions are reentrant (concurrent writers to one folder must be serialised by
// the caller); TileNodeSource keeps a small cache and is not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/result.h"
#include "wathiq/log/merkle.h"

namespace wathiq::log {

inline constexpr unsigned kTileHeight = 8;
inline constexpr unsigned kTileWidth = 256;
inline constexpr size_t kMaxEntryBytes = 65535;  // an entry's length must fit the 16-bit prefix

struct TileId {
  bool entries = false;         // an entry bundle rather than a hash tile
  unsigned level = 0;           // hash tiles only: 0..63
  uint64_t index = 0;           // N
  unsigned width = kTileWidth;  // 1..256; 256 is a full tile
  bool operator==(const TileId&) const = default;
};

// "x001/x234/067" for 1234067, "000" for 0.
std::string FormatTileIndex(uint64_t n);
// "tile/0/x001/x234/067.p/8", "tile/entries/000".
std::string TilePath(const TileId& tile);
Result<TileId> ParseTilePath(std::string_view path);

// Every hash tile and entry bundle of a tree of size new_size that is new or different from those of a
// tree of size old_size (old_size 0: all of them), hash tiles level by level, then entry bundles.
Result<std::vector<TileId>> TilesToWrite(uint64_t old_size, uint64_t new_size);

// The bytes of one hash tile, read from a source that holds every node it covers.
Result<Bytes> ComputeHashTile(const NodeSource& source, const TileId& tile);
Result<std::vector<Hash>> ParseHashTile(ByteView data, unsigned width);

Result<Bytes> EncodeEntryBundle(std::span<const Bytes> entries);
Result<std::vector<Bytes>> ParseEntryBundle(ByteView data, unsigned width);

// Atomic replace of `path` (parent folders created).
Status WriteFileAtomic(const std::filesystem::path& path, ByteView data);
// Reads at most max_bytes (kLimit beyond).
Result<Bytes> ReadFileBounded(const std::filesystem::path& path, size_t max_bytes);

// Writes the hash tiles of the tree grown from old_size to new_size under `dir` (dir/tile/...).
Status WriteHashTiles(const std::filesystem::path& dir, const NodeSource& source, uint64_t old_size, uint64_t new_size);
// Writes the entry bundles for entries [old_size, new_size) under `dir`; `entries` holds entries
// [first, first + entries.size()) where first is old_size rounded down to a bundle boundary (the
// partial bundle at old_size is rewritten whole).
Status WriteEntryBundles(const std::filesystem::path& dir, std::span<const Bytes> entries, uint64_t old_size,
                         uint64_t new_size);
Result<Bytes> ReadTile(const std::filesystem::path& dir, const TileId& tile);

// Node hashes of a tree of `size` leaves, served from the hash tiles under `dir`.
class TileNodeSource final : public NodeSource {
 public:
  TileNodeSource(std::filesystem::path dir, uint64_t size) : dir_(std::move(dir)), size_(size) {}
  Result<Hash> Node(unsigned level, uint64_t index) const override;

 private:
  Result<const std::vector<Hash>*> Tile(unsigned tile_level, uint64_t tile_index) const;
  std::filesystem::path dir_;
  uint64_t size_;
  mutable std::map<std::pair<unsigned, uint64_t>, std::vector<Hash>> cache_;
};

}  // namespace wathiq::log
