#include "support/status_fixture.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace wathiq::test {

status::StatusList MustStatusList(uint64_t entries) {
  auto l = status::StatusList::Create(2, entries);
  if (!l) {
    std::fprintf(stderr, "MustStatusList: %s\n", l.error().ToString().c_str());
    std::abort();
  }
  return std::move(*l);
}

Bytes MustSignStatusToken(const TestAgency& signer, const status::StatusList& list, const std::string& uri, int64_t iat,
                          int64_t exp) {
  status::StatusListClaims c;
  c.sub = uri;
  c.iat = static_cast<uint64_t>(iat);
  c.exp = static_cast<uint64_t>(exp ? exp : iat + kDay);
  c.ttl = std::min<uint64_t>(3600, c.exp > c.iat ? c.exp - c.iat : 0);  // exp >= iat + ttl, as the draft asks
  Bytes empty_root = Sha256(Bytes{});
  status::LogCheckpointRef cp{"wathiq.example/log", 0, {}};
  std::copy(empty_root.begin(), empty_root.end(), cp.root.begin());
  c.log_checkpoint = cp;
  auto token = status::SignStatusListToken(c, list, signer.status_key, signer.status_cert.kid());
  if (!token) {
    std::fprintf(stderr, "MustSignStatusToken: %s\n", token.error().ToString().c_str());
    std::abort();
  }
  return std::move(*token);
}

}  // namespace wathiq::test
