// Shared helpers for tests: reading vector files and hex.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "wathiq/core/crypto.h"

namespace wathiq::test {

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline nlohmann::json ReadJson(const std::string& path) {
  auto j = nlohmann::json::parse(ReadFile(path), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

inline Bytes Hex(std::string_view h) {
  auto b = FromHex(h);
  REQUIRE(b.has_value());
  return *b;
}

inline std::string DataPath(const std::string& rel) { return std::string(WATHIQ_TEST_DATA_DIR) + "/" + rel; }

}  // namespace wathiq::test
