// Wathiq core: SecureBuffer, fixed-size memory for secrets: sodium_malloc'd (guard pages, mlock where
// allowed), wiped and freed on destruction, never copied. The only way secret key material is held.
#pragma once

#include <cstdint>

#include "wathiq/core/result.h"

namespace wathiq {

class SecureBuffer {
 public:
  SecureBuffer() = default;
  explicit SecureBuffer(size_t n);
  explicit SecureBuffer(ByteView b);
  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  SecureBuffer(SecureBuffer&& o) noexcept;
  SecureBuffer& operator=(SecureBuffer&& o) noexcept;
  ~SecureBuffer();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  ByteView view() const { return {data_, size_}; }
  bool empty() const { return size_ == 0; }

 private:
  void Reset();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Wipes a buffer that held a secret (sodium_memzero, not optimized away).
void SecureWipe(void* p, size_t n);
inline void SecureWipe(Bytes& b) { SecureWipe(b.data(), b.size()); }

}  // namespace wathiq
