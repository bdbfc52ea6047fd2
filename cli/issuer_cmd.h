// `wathiq issuer` commands on a deployment (issuer_cmd.cc); `issuer issue --deployment` comes here from
// mdoc_cmd.cc.
#pragma once

#include <memory>
#include <string>

#include "cli_util.h"
#include "wathiq/issuer/deployment.h"

namespace wathiq::cli {

struct DeploymentIssueArgs {
  std::string deployment;
  SecretOpts pass;
  SecretOpts pin;
  std::string agency;
  std::string actor;
  std::string document_number;  // empty: from the record
  std::string record, doc_type, device_key, out, only_profile;
  int valid_days = 365;
};

Status RunDeploymentIssue(const Ctx& ctx, const DeploymentIssueArgs& args);
// init, batch, revoke, suspend, reinstate, replace, publish, show under `wathiq issuer`.
void RegisterIssuerDeploymentCommands(CLI::App* issuer_cmd, std::shared_ptr<Ctx> ctx);
// Keys of a deployment: sealed files under the deployment passphrase, or token keys with the PIN.
issuer::KeyOpener MakeOpener(std::shared_ptr<keys::SecretText> pass, SecretOpts pin);
// backup and restore under `wathiq issuer` (issuer_backup_cmd.cc).
void RegisterIssuerBackupCommands(CLI::App* issuer_cmd, std::shared_ptr<Ctx> ctx);

}  // namespace wathiq::cli
