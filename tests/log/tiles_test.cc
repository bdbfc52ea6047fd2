// C2SP tlog-tiles: paths, tile contents, atomic files, and proofs served from the tiles alone.
#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "test_util.h"
#include "wathiq/log/tiles.h"

using namespace wathiq;
using namespace wathiq::log;

namespace {

Bytes Entry(uint64_t i) {
  std::string s = "entry " + std::to_string(i) + std::string(i % 17, '*');
  return Bytes(s.begin(), s.end());
}

}  // namespace

TEST_CASE("tile paths follow C2SP tlog-tiles", "[log][tiles][kat]") {
  CHECK(FormatTileIndex(0) == "000");
  CHECK(FormatTileIndex(67) == "067");
  CHECK(FormatTileIndex(999) == "999");
  CHECK(FormatTileIndex(1000) == "x001/000");
  CHECK(FormatTileIndex(1234067) == "x001/x234/067");
  CHECK(TilePath({false, 0, 1234067, 256}) == "tile/0/x001/x234/067");
  CHECK(TilePath({false, 1, 5, 8}) == "tile/1/005.p/8");
  CHECK(TilePath({true, 0, 1234067, 256}) == "tile/entries/x001/x234/067");
  CHECK(TilePath({true, 0, 0, 255}) == "tile/entries/000.p/255");
  for (const TileId& t : {TileId{false, 0, 1234067, 256}, TileId{false, 3, 0, 1}, TileId{true, 0, 999999, 17},
                          TileId{false, 7, 1000000000000000ull, 256}}) {
    auto back = ParseTilePath(TilePath(t));
    REQUIRE(back);
    CHECK(*back == t);
  }
  for (const char* bad : {"tile/0/67", "tile/0/x000/067", "tile/0/x1/067", "tile/00/067", "tile/64/000",
                          "tile/0/067.p/0", "tile/0/067.p/256", "tile/0/067.p/08", "tile/0/067/", "tile/entries/067.p/",
                          "tiles/0/000", "tile/0/x001/x002/x003/x004/x005/x006/007", "tile/-1/000", "tile/0/0a7"}) {
    INFO(bad);
    CHECK_FALSE(ParseTilePath(bad));
  }
}

TEST_CASE("which tiles a growing tree writes", "[log][tiles]") {
  auto t = TilesToWrite(0, 70000);
  REQUIRE(t);
  // level 0: 273 full + 1 partial (112); level 1: 273 hashes = 1 full + partial 17; level 2: 1 hash; entries like level 0.
  size_t l0 = 0, l1 = 0, l2 = 0, e = 0;
  for (const auto& x : *t) {
    if (x.entries) ++e;
    else if (x.level == 0) ++l0;
    else if (x.level == 1) ++l1;
    else if (x.level == 2) ++l2;
  }
  CHECK(l0 == 274);
  CHECK(l1 == 2);
  CHECK(l2 == 1);
  CHECK(e == 274);
  CHECK(std::find(t->begin(), t->end(), TileId{false, 0, 273, 112}) != t->end());
  CHECK(std::find(t->begin(), t->end(), TileId{false, 1, 1, 17}) != t->end());
  CHECK(std::find(t->begin(), t->end(), TileId{false, 2, 0, 1}) != t->end());
  // Growing 256 -> 300 touches only the new partial tiles; 256 -> 256 nothing.
  auto g = TilesToWrite(256, 300);
  REQUIRE(g);
  CHECK(*g == std::vector<TileId>{{false, 0, 1, 44}, {true, 0, 1, 44}});
  CHECK(TilesToWrite(256, 256)->empty());
  CHECK_FALSE(TilesToWrite(10, 5));
}

TEST_CASE("hash tiles and entry bundles round-trip and refuse bad shapes", "[log][tiles][negative]") {
  std::vector<Bytes> entries = {Bytes{}, Bytes{1, 2, 3}, Bytes(65535, 7)};
  auto bundle = EncodeEntryBundle(entries);
  REQUIRE(bundle);
  CHECK(bundle->size() == 2 + 0 + 2 + 3 + 2 + 65535);
  CHECK((*bundle)[2] == 0x00);
  CHECK((*bundle)[3] == 0x03);
  auto back = ParseEntryBundle(*bundle, 3);
  REQUIRE(back);
  CHECK(*back == entries);
  CHECK_FALSE(ParseEntryBundle(*bundle, 2));  // more entries than the width
  CHECK_FALSE(ParseEntryBundle(*bundle, 4));  // fewer
  Bytes truncated(bundle->begin(), bundle->end() - 1);
  CHECK_FALSE(ParseEntryBundle(truncated, 3));
  CHECK_FALSE(ParseEntryBundle(Bytes{0x00}, 1));
  CHECK_FALSE(EncodeEntryBundle(std::vector<Bytes>{Bytes(65536, 0)}));
  CHECK_FALSE(EncodeEntryBundle(std::vector<Bytes>{}));

  CHECK(ParseHashTile(Bytes(32 * 5, 0), 5));
  CHECK_FALSE(ParseHashTile(Bytes(32 * 5 + 1, 0), 5));
  CHECK_FALSE(ParseHashTile(Bytes(32 * 4, 0), 5));
  CHECK_FALSE(ParseHashTile(Bytes{}, 0));
}

TEST_CASE("entry bundles written in bundle-aligned windows are the files of one call", "[log][tiles]") {
  // The issuer's publication writes a large log's bundles a window at a time (bounded memory); the windows
  // must compose, including a first window that starts inside a partial bundle.
  test::TempDir dir("bundles");
  std::vector<Bytes> all;
  for (uint64_t i = 0; i < 3 * kTileWidth + 100; ++i) all.push_back(Entry(i));
  auto files = [](const std::filesystem::path& root) {
    std::map<std::string, Bytes> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (e.is_regular_file())
        out[std::filesystem::relative(e.path(), root).string()] = *ReadFileBounded(e.path(), 1 << 20);
    }
    return out;
  };
  for (uint64_t old : {0ull, 100ull, 256ull, 300ull}) {
    INFO(old);
    uint64_t size = all.size();
    uint64_t first = old / kTileWidth * kTileWidth;
    auto once = dir.path() / ("once-" + std::to_string(old));
    auto windows = dir.path() / ("windows-" + std::to_string(old));
    REQUIRE(WriteEntryBundles(once, std::span<const Bytes>(all).subspan(first), old, size));
    for (uint64_t from = first; from < size; from += kTileWidth) {
      uint64_t to = std::min<uint64_t>(size, from + kTileWidth);
      REQUIRE(
          WriteEntryBundles(windows, std::span<const Bytes>(all).subspan(from, to - from), std::max(old, from), to));
    }
    auto a = files(once);
    CHECK(a.size() == 4 - first / kTileWidth);
    CHECK(a == files(windows));
  }
}

TEST_CASE("tiles written as the tree grows serve the same roots and proofs as memory", "[log][tiles]") {
  test::TempDir dir("tiles");
  MemoryTree mem;
  std::vector<Bytes> all;
  uint64_t written = 0;
  std::mt19937_64 rng(8);
  for (uint64_t target : {1ull, 2ull, 255ull, 256ull, 257ull, 1000ull, 65536ull, 65537ull, 70123ull}) {
    while (mem.size() < target) {
      all.push_back(Entry(mem.size()));
      mem.Append(LeafHash(all.back()));
    }
    REQUIRE(WriteHashTiles(dir.path(), mem, written, target));
    uint64_t first = written / kTileWidth * kTileWidth;
    REQUIRE(WriteEntryBundles(dir.path() / "audit", std::span<const Bytes>(all).subspan(first), written, target));
    written = target;

    TileNodeSource tiles(dir.path(), target);
    auto r1 = TreeRoot(tiles, target);
    auto r2 = TreeRoot(mem, target);
    REQUIRE(r1);
    REQUIRE(r2);
    CHECK(*r1 == *r2);
    for (int i = 0; i < 20; ++i) {
      uint64_t m = rng() % target;
      auto p1 = InclusionProof(tiles, m, target);
      auto p2 = InclusionProof(mem, m, target);
      REQUIRE(p1);
      REQUIRE(p2);
      CHECK(*p1 == *p2);
      CHECK(VerifyInclusion(m, target, LeafHash(all[m]), *p1, *r1));
      uint64_t old = 1 + rng() % target;
      auto c1 = ConsistencyProof(tiles, old, target);
      REQUIRE(c1);
      CHECK(*c1 == *ConsistencyProof(mem, old, target));
    }
  }
  // Every entry bundle reads back, and no temporary file is left behind.
  for (uint64_t n = 0; n * kTileWidth < written; ++n) {
    unsigned w = static_cast<unsigned>(std::min<uint64_t>(kTileWidth, written - n * kTileWidth));
    auto data = ReadTile(dir.path() / "audit", TileId{true, 0, n, w});
    REQUIRE(data);
    auto bundle = ParseEntryBundle(*data, w);
    REQUIRE(bundle);
    CHECK((*bundle)[0] == all[n * kTileWidth]);
  }
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (e.is_regular_file()) {
      ++files;
      CHECK(e.path().string().find(".tmp-") == std::string::npos);
    }
  }
  CHECK(files > 500);
  // A full tile is 8,192 bytes.
  auto full = ReadTile(dir.path(), TileId{false, 0, 0, 256});
  REQUIRE(full);
  CHECK(full->size() == 8192);
  // A missing tile is reported, not invented.
  TileNodeSource bigger(dir.path(), written + 256);
  CHECK_FALSE(TreeRoot(bigger, written + 256));
}
