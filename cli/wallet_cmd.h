// `wathiq wallet init | unlock | new-device-key | import | list | batch | delete | change-pin`, and the store forms of `wallet show`
// and `wallet present` (--id, --batch): the citizen's encrypted wallet (wallet/store.h) on a desktop. The PIN comes
// from a file or an environment variable, never argv.
#pragma once

#include <memory>
#include <string>

#include "cli_util.h"

namespace wathiq::cli {

struct WalletStoreOpts {
  std::string wallet_dir;    // app data: $WATHIQ_WALLET_DIR, else ~/.local/share/wathiq/wallet
  std::string keystore_dir;  // the file keystore: $WATHIQ_KEYSTORE_DIR, else ~/.local/state/wathiq/keystore
  SecretOpts pin;            // --pin-file / --pin-env (default WATHIQ_PIN)
};

// --wallet, --keystore and (with_pin) --pin-file / --pin-env.
void AddWalletStoreOptions(CLI::App* c, WalletStoreOpts& o, bool with_pin = true);

// Adds init, unlock, new-device-key, import, list, batch, delete and change-pin to the `wallet` group.
void RegisterWalletStoreCommands(CLI::App* wallet_cmd, const std::shared_ptr<Ctx>& ctx);

Status RunStoreShow(const Ctx& ctx, const WalletStoreOpts& o, int64_t id);

struct StorePresentOpts {
  int64_t id = 0;
  std::string batch;  // or: the next unused credential of this single-use batch
  std::string profile;
  std::string disclose;   // comma separated
  std::string challenge;  // a file with the WQC text
  std::string png;
  std::string svg;
  std::string text_out;
  bool terminal = false;
};
Status RunStorePresent(const Ctx& ctx, const WalletStoreOpts& o, const StorePresentOpts& p);

}  // namespace wathiq::cli
