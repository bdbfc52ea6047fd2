// Wathiq keys: SecretText, a passphrase or PIN held in sodium_malloc'd memory.
//
// Guarantees: the bytes live only in a SecureBuffer (guard pages, wiped on destruction); the type cannot be
// copied, printed or compared except in constant time. Reading from a file strips one trailing "\n" or
// "\r\n" (so `echo secret > file` works) and refuses files larger than 4 KiB. The CLI reads secrets from a
// file or an environment variable, never from argv (argv is visible to every user through /proc).
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
  static Result<SecretText> FromFile(const std::string& path);
  // kNotFound if the variable is unset; the variable is left in place (the caller may unsetenv).
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
