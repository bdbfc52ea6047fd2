// Test support: signed status-list tokens from the test PKI's status-list signers, as an agency publishes
// them (design/STATUS-AND-LOG.md), for the verifier's, the bridge's and the CLI's tests.
//
//   auto list = test::MustStatusList();                          // 131,072 entries of 2 bits, all valid
//   list.Set(7, status::kStatusInvalid);
//   Bytes token = test::MustSignStatusToken(pki.agency("paci"), list, paci.status_list_uri, pki.now - 60);
#pragma once

#include <string>

#include "support/pki_fixture.h"
#include "wathiq/status/token.h"

namespace wathiq::test {

// 2 bits per entry, all VALID.
status::StatusList MustStatusList(uint64_t entries = 131072);

// Signed by `signer`'s status-list key (its certificate's kid), sub = `uri`, issued at `iat`, refreshed hourly
// (or sooner when exp comes sooner), expiring at `exp` (default iat + 1 day), naming an empty log checkpoint. Aborts on failure (a test bug).
Bytes MustSignStatusToken(const TestAgency& signer, const status::StatusList& list, const std::string& uri, int64_t iat,
                          int64_t exp = 0);

}  // namespace wathiq::test
