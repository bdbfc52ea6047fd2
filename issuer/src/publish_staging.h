// Wathiq issuer (internal): the token history of a publication survives a crash or a full disk between the
// registry commit and the audit folder's files.
//
// A token's bytes live nowhere but in the files publish writes, and its SHA-256 is in a
// status_list_published entry. So Publish stages the token history under <audit>/staging/<S>-<iat>/
// (mirroring <audit>/tokens/) before its transaction commits, and promotes it into <audit>/tokens/ after.
// RecoverStagedTokens, run at the start of every publication, finishes what a killed one left: a staged
// folder whose tokens all have their status_list_published entries in the log (its transaction committed)
// is promoted; one whose tokens are not logged (it never committed) is removed. Either way the audit folder
// never holds a logged token's absence or an unlogged token.
// A publication killed part way also leaves the temporary files of its atomic writes (".<name>.tmp-XXXXXX")
// in the public and audit folders; a static server must not serve them. So Publish records where it writes
// (DIR/publishing) before it starts and removes the record when every file is written; the next publication
// that finds the record finishes the staged history as above and sweeps those temporary files.
// Thread-safety: one publication at a time (the deployment's lock).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wathiq/core/result.h"
#include "wathiq/issuer/registry.h"

namespace wathiq::issuer {

// Writes every (uri, token) under a new staging folder for log size `reflected` and `iat`; returns it.
Result<std::string> StageTokenHistory(const std::string& audit_dir, uint64_t reflected, int64_t iat,
                                      const std::vector<std::pair<std::string, Bytes>>& tokens);
// Moves a staged folder's files into <audit>/tokens/ and removes it.
Status PromoteStagedTokens(const std::string& audit_dir, const std::string& staged);
// Promotes or removes what an interrupted publication left in <audit>/staging.
Status RecoverStagedTokens(const std::string& audit_dir, Registry& registry);
// DIR/publishing: {"public": ..., "audit": ...}, written atomically.
Status BeginPublication(const std::string& deployment_dir, const std::string& public_dir, const std::string& audit_dir);
Status EndPublication(const std::string& deployment_dir);
// When DIR/publishing is there: RecoverStagedTokens on its audit folder, the temporary files of atomic writes
// removed from its public and audit folders and from DIR itself, the record removed.
Status RecoverInterruptedPublication(const std::string& deployment_dir, Registry& registry);

}  // namespace wathiq::issuer
