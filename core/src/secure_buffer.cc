#include "wathiq/core/secure_buffer.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace wathiq {

SecureBuffer::SecureBuffer(size_t n) : size_(n) {
  if (sodium_init() < 0) std::abort();
  data_ = static_cast<uint8_t*>(sodium_malloc(n ? n : 1));
  if (!data_) std::abort();
}

SecureBuffer::SecureBuffer(ByteView b) : SecureBuffer(b.size()) {
  if (!b.empty()) std::memcpy(data_, b.data(), b.size());
}

SecureBuffer::SecureBuffer(SecureBuffer&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& o) noexcept {
  if (this != &o) {
    Reset();
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

SecureBuffer::~SecureBuffer() { Reset(); }

void SecureBuffer::Reset() {
  if (data_) sodium_free(data_);  // wipes before freeing
  data_ = nullptr;
  size_ = 0;
}

void SecureWipe(void* p, size_t n) {
  if (p && n) sodium_memzero(p, n);
}

}  // namespace wathiq
