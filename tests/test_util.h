// Shared helpers for tests: reading vector files and hex.
#pragma once

#include <sys/wait.h>

#include <cstdio>
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

// Runs a shell command line and collects stdout and stderr together; rc is -1 if it did not exit normally.
struct ShellRun {
  int rc;
  std::string text;
};
inline ShellRun RunShell(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace wathiq::test
