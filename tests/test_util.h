// Shared helpers for tests: reading vector files and hex, temporary folders, running commands.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

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

// A fresh folder under the system's temporary directory ($TMPDIR or /tmp), removed with everything in it
// when the object goes: wathiq-<tag>-XXXXXX, made by mkdtemp (mode 0700, a name no other run has).
class TempDir {
 public:
  explicit TempDir(std::string_view tag = "test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("wathiq-" + std::string(tag) + "-XXXXXX")).string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside the folder, as a string (for commands and the libraries' path arguments).
  std::string operator/(std::string_view name) const { return (path_ / name).string(); }
  // Writes a file inside the folder (replacing it) and returns its path.
  std::string Write(std::string_view name, std::string_view content) const {
    std::string p = *this / name;
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.close();
    REQUIRE(f.good());
    return p;
  }
  std::string Write(std::string_view name, ByteView content) const {
    return Write(name, std::string_view(reinterpret_cast<const char*>(content.data()), content.size()));
  }

 private:
  std::filesystem::path path_;
};

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

// The JSON object a --json command printed: from its first '{' to its last '}', so the error line a failing
// command writes to stderr (merged by RunShell) after the object is left out.
inline nlohmann::json JsonOf(const ShellRun& r) {
  auto at = r.text.find('{');
  auto end = r.text.rfind('}');
  REQUIRE(at != std::string::npos);
  REQUIRE(end != std::string::npos);
  auto j = nlohmann::json::parse(r.text.substr(at, end - at + 1), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

}  // namespace wathiq::test
