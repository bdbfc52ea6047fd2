// Secrets leave no copy behind in freed heap memory: operator new/delete are replaced here so that, while a
// test watches, every block freed is copied aside (into malloc'd memory of the test's own) before it goes
// back to the allocator; the test then searches those copies for the secret. A std::ifstream's buffer or a
// std::string temporary holding the secret shows up; memory from sodium_malloc or Botan's secure_vector is
// not operator new's and is wiped by its owner anyway.
#include <sodium.h>
#include <stdlib.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "keys_test_util.h"
#include "wathiq/keys/backup.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/secret_text.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // the replaced pairs below are matched: malloc/free
#endif

namespace {

constexpr size_t kHeader = alignof(std::max_align_t);
std::atomic<bool> g_watching{false};
// Freed blocks, concatenated with a separator, in plain malloc'd memory (never operator new's).
char* g_freed = nullptr;
size_t g_freed_len = 0;
size_t g_freed_cap = 0;

void Record(const unsigned char* p, size_t n) {
  if (g_freed_len + n + 1 > g_freed_cap) {
    size_t cap = (g_freed_cap + n + 1) * 2;
    char* q = static_cast<char*>(std::realloc(g_freed, cap));
    if (!q) std::abort();
    g_freed = q;
    g_freed_cap = cap;
  }
  std::memcpy(g_freed + g_freed_len, p, n);
  g_freed_len += n;
  g_freed[g_freed_len++] = '\0';
}

void* Alloc(size_t n) {
  auto* raw = static_cast<unsigned char*>(std::malloc(kHeader + n));
  if (!raw) return nullptr;
  std::memcpy(raw, &n, sizeof n);
  return raw + kHeader;
}

void Free(void* p) {
  if (!p) return;
  auto* raw = static_cast<unsigned char*>(p) - kHeader;
  size_t n;
  std::memcpy(&n, raw, sizeof n);
  if (g_watching) Record(raw + kHeader, n);
  std::free(raw);
}

void Watch() {
  g_freed_len = 0;
  g_watching = true;
}

// True if any block freed while watching held `needle`.
bool FreedMemoryHolds(std::string_view needle) {
  g_watching = false;
  std::string_view all(g_freed ? g_freed : "", g_freed_len);
  return all.find(needle) != std::string_view::npos;
}

}  // namespace

void* operator new(size_t n) {
  if (void* p = Alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = Alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return Alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return Alloc(n); }
void operator delete(void* p) noexcept { Free(p); }
void operator delete(void* p, size_t) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete[](void* p, size_t) noexcept { Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Free(p); }

using namespace wathiq;
using namespace wathiq::keys;

TEST_CASE("a secret file is read into protected memory only", "[keys][secret][memory]") {
  test::TempDir dir;
  const std::string secret = "marker-passphrase-8c1f2e7d5a9b4c3e";
  test::WriteBytes(dir / "pass", AsBytes(secret + "\n"));
  Watch();
  {
    auto s = SecretText::FromFile(dir / "pass");
    REQUIRE(s);
    CHECK(s->text() == secret);
  }
  // Before: the ifstream's filebuf (operator new[]) held the whole file and was freed unwiped.
  CHECK_FALSE(FreedMemoryHolds(secret));

  // The same for the failure paths that read the file.
  test::WriteBytes(dir / "big", AsBytes(secret + std::string(5000, 'x')));
  Watch();
  CHECK(SecretText::FromFile(dir / "big").error().code == Errc::kLimit);
  CHECK_FALSE(FreedMemoryHolds(secret));
}

TEST_CASE("a secret taken from the environment is wiped there and unset", "[keys][secret][memory]") {
  const std::string secret = "marker-env-pin-3b7e91d04f";
  REQUIRE(setenv("WATHIQ_TEST_TAKEN", secret.c_str(), 1) == 0);
  const char* where = std::getenv("WATHIQ_TEST_TAKEN");
  REQUIRE(where);
  Watch();
  auto s = SecretText::FromEnv("WATHIQ_TEST_TAKEN");
  CHECK_FALSE(FreedMemoryHolds(secret));
  REQUIRE(s);
  CHECK(s->text() == secret);
  CHECK(std::getenv("WATHIQ_TEST_TAKEN") == nullptr);
  // glibc never frees a setenv string, so the old value's bytes can be looked at: all zero now.
  for (size_t i = 0; i < secret.size(); ++i) CHECK(where[i] == '\0');
  // A second read finds nothing (the CLI reads each variable once).
  CHECK(SecretText::FromEnv("WATHIQ_TEST_TAKEN").error().code == Errc::kNotFound);
}

TEST_CASE("backup shares are built and parsed in protected memory only", "[keys][backup][memory]") {
  auto root = KeyHandle::GenerateSoftware(Alg::kES256, "root");
  REQUIRE(root);
  Watch();
  auto shares = SplitKeyForBackup(*root, 2, 3);
  bool split_leaked = false;
  REQUIRE(shares);
  std::vector<std::string> bodies;  // the base64url share bodies, the secret part of each line
  for (const auto& s : *shares) {
    std::string_view t = s.text();
    size_t end = t.rfind('.');
    size_t start = t.rfind('.', end - 1) + 1;
    bodies.emplace_back(t.substr(start, end - start));
  }
  g_watching = false;
  {
    std::string_view all(g_freed ? g_freed : "", g_freed_len);
    for (const auto& b : bodies) split_leaked = split_leaked || all.find(b) != std::string_view::npos;
  }
  // Before: each line was assembled from std::string temporaries freed unwiped.
  CHECK_FALSE(split_leaked);

  std::vector<std::string_view> views;
  for (const auto& s : *shares) views.push_back(s.text());
  // The decoded share bytes (binary) must not be left in freed memory by recovery either.
  std::vector<std::string> raw_bodies;
  for (const auto& b : bodies) {
    auto raw = Base64UrlDecode(b);
    REQUIRE(raw);
    raw_bodies.emplace_back(raw->begin() + 16, raw->end());  // past the public identifier
  }
  Watch();
  {
    auto rec = RecoverKeyFromShares({views[0], views[2]}, "recovered");
    REQUIRE(rec);
    CHECK(rec->key_id() == root->key_id());
  }
  g_watching = false;
  std::string_view all(g_freed ? g_freed : "", g_freed_len);
  for (size_t i : {size_t{0}, size_t{2}}) CHECK(all.find(raw_bodies[i]) == std::string_view::npos);
}
