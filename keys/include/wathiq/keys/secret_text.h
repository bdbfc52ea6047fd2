// Wathiq keys: SecretText, a passphrase or PIN held in sodium_malloc'd memory.
//
// Guarantees: the bytes live only in a SecureBuffer (guard pages, wiped on destruction); the type cannot be
// copied, printed or compared except in constant time. Reading from a file strips one trailing "\n" or
// "\r\n" (so `echo secret > file` works) and refuses files larger than 4 KiB; the file is read with
// open/read straight into protected memory, so no stdio or iostream buffer ever holds it. Reading from an
// environment variable takes it: the value is wiped in place (also what /proc/<pid>/environ shows) and the
// variable removed, so the secret does not stay in the environment for the life of the process. The CLI
// reads secrets from a file or an environment variable, never from argv (argv is visible to every user
// through /proc).
// Thread-safety: immutable after construction.
#pragma once

#include <string>
#include <string_view>

#include "wathiq/core/result.h"
#include "wathiq/core/secure_buffer.h"

namespace wathiq::keys {

class SecretText {
 public:
  SecretText() = default;
  // Copies `text` into protected memory; the caller wipes its own copy.
  static SecretText FromString(std::string_view text);
  // Takes a buffer whose first `size` bytes are the secret (no copy). Aborts if size > buf.size().
  static SecretText FromBuffer(SecureBuffer buf, size_t size);
  // kNotFound if the file does not exist, kIo if it is not a readable regular file, kLimit above 4 KiB.
  static Result<SecretText> FromFile(const std::string& path);
  // kNotFound if the variable is unset. Otherwise the value is copied, then wiped in place and the
  // variable unset: a second call for the same name finds nothing. Not thread-safe (getenv/unsetenv).
  static Result<SecretText> FromEnv(const std::string& name);

  ByteView view() const { return ByteView(buf_.data(), size_); }
  std::string_view text() const { return {reinterpret_cast<const char*>(buf_.data()), size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool Equals(const SecretText& other) const;  // constant time for equal lengths

 private:
  SecureBuffer buf_;
  size_t size_ = 0;
};

}  // namespace wathiq::keys
