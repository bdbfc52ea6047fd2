// Internal to keys/: the single place keys/ calls core's ExportSoftwareSecretForSealing. The secret goes
// straight into a SecureBuffer and the temporary vector core returns is wiped.
#pragma once

#include "wathiq/core/crypto.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/key_handle.h"

namespace wathiq::keys::internal {

inline Result<SecureBuffer> ExportSecretForSealing(const Signer& key) {
  const Signer* s = &key;
  if (const auto* h = dynamic_cast<const KeyHandle*>(&key)) {
    if (!h->valid()) return Fail(Errc::kInvalidArgument, "empty key handle");
    if (h->source() != KeySource::kSoftware) {
      return Fail(Errc::kInvalidArgument, "key " + h->key_id() + " lives in a PKCS#11 token and cannot be exported");
    }
    s = h->inner().get();
  }
  auto raw = ExportSoftwareSecretForSealing(*s);
  if (!raw) return Fail(raw.error());
  SecureBuffer out(ByteView(raw->data(), raw->size()));
  SecureWipe(*raw);
  return out;
}

}  // namespace wathiq::keys::internal
