// Helpers for the storage tests: raw file bytes, the test rows (temporary folders: test::TempDir).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "test_util.h"
#include "wathiq/core/crypto.h"
#include "wathiq/storage/database.h"

namespace wathiq::storage::test {

// The claim values the plaintext scans look for, as UTF-8.
inline constexpr std::string_view kArabicName = "محمد عبدالله العلي";
inline constexpr std::string_view kLatinName = "Mohammad Abdullah Al-Ali";

using ::wathiq::test::TempDir;  // test_util.h

inline std::string ReadRaw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline void WriteRaw(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  REQUIRE(f.good());
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

inline std::string KeyHex(const SecureBuffer& key) { return ToHex(key.view()); }

inline Database OpenOk(const std::string& path, const SecureBuffer& key, OpenOptions options = {}) {
  auto db = Database::Open(path, key, options);
  INFO((db ? std::string() : db.error().ToString()));
  REQUIRE(db.has_value());
  return std::move(*db);
}

#define REQUIRE_OK(expr)                                      \
  do {                                                        \
    auto&& wq_r_ = (expr);                                    \
    INFO((wq_r_ ? std::string() : wq_r_.error().ToString())); \
    REQUIRE(wq_r_.has_value());                               \
  } while (0)

}  // namespace wathiq::storage::test
