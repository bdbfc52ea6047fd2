// Helpers every `wathiq` subcommand shares: exit codes (commands.h), JSON output, secrets (never from
// argv), keys from sealed files or PKCS#11 tokens, certificates and public keys from files.
#pragma once

#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "wathiq/core/text.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/pkcs11.h"
#include "wathiq/keys/secret_text.h"
#include "wathiq/keys/x509.h"

namespace wathiq::cli {

int ExitFor(Errc e);
std::string Dump(const nlohmann::json& j);

struct Ctx {
  ExitCode* exit = nullptr;
  bool json_out = false;
  int64_t now = 0;  // --now, 0 = the system clock
  std::string component = "keys";

  int64_t Now() const { return now ? now : static_cast<int64_t>(std::time(nullptr)); }
  void Report(const std::string& cmd, const Error& e, int code) const {
    exit->value = code;
    if (json_out) {
      std::cout
          << Dump({{"ok", false},
                   {"command", cmd},
                   {"error",
                    {{"code", ErrcName(e.code)}, {"reason", std::string(e.reason_code())}, {"message", e.message}}}})
          << "\n";
    }
    std::cerr << "wathiq " << component << " " << cmd << ": " << SafeLines(e.ToString()) << "\n";
  }
  void Fail(const std::string& cmd, const Error& e) const { Report(cmd, e, ExitFor(e.code)); }
  void Success(const nlohmann::json& j, const std::string& text) const {
    exit->value = kExitOk;
    if (json_out) {
      nlohmann::json out = j;
      out["ok"] = true;
      std::cout << Dump(out) << "\n";
    } else {
      std::cout << SafeLines(text);  // outside text never reaches the terminal as controls
    }
  }
};

struct SecretOpts {
  std::string file;
  std::string env;
};

struct KeyOpts {
  std::string file;
  SecretOpts pass;
  std::string module;
  std::string token;
  std::string key_label;
  SecretOpts pin;
  bool pkcs11() const { return !module.empty() || !token.empty(); }
};

Result<keys::SecretText> ReadSecret(const SecretOpts& o, const std::string& default_env, const char* what);
// A secret typed on the terminal: `prompt` on stderr, the answer read from `fd` (stdin) with echo off
// (termios; restored afterwards, also on SIGINT/SIGTERM/SIGHUP/SIGQUIT), up to 1024 bytes, ending at a newline.
// When `fd` is not a terminal: kInvalidArgument naming --<what>-file and the variable (no prompt without a tty).
Result<keys::SecretText> PromptSecret(const std::string& prompt, const char* what, const std::string& env, int fd = 0);
// --<what>-file, else the variable, else (stdin a terminal) a prompt with echo off; never argv.
Result<keys::SecretText> ReadSecretOrPrompt(const SecretOpts& o, const std::string& default_env, const char* what,
                                            const std::string& prompt);
void AddSecretOptions(CLI::App* c, SecretOpts& o, const std::string& what, const std::string& default_env);
void AddPkcs11Options(CLI::App* c, KeyOpts& k);
void AddKeyOptions(CLI::App* c, KeyOpts& k, const std::string& key_flag, const std::string& help);
Result<std::shared_ptr<keys::Pkcs11Token>> OpenTokenFrom(const KeyOpts& k);
Result<keys::KeyHandle> OpenKey(const KeyOpts& k);
// Creates a key where `k` says: in the token, or in memory to be sealed into k.file by the caller.
Result<keys::KeyHandle> CreateKey(const KeyOpts& k, Alg alg, const std::string& label);
Result<Alg> ParseAlg(const std::string& s);
bool EndsWith(const std::string& s, std::string_view suffix);
// Checks, before anything is created, that `path` can be written as a new file: it does not exist and its
// folder exists and is writable. kState if it exists, kNotFound / kInvalidArgument / kPermission for the
// folder. Commands that write several outputs check them all first, so none is left without the others.
Status CheckNewOutput(const std::string& path, const std::string& what);
// A scanned code handed over as a file: a PNG or JPEG image of the QR (decoded by the verifier's bounded
// decoder) or its text (one line; the trailing newline dropped). At most `max_text` characters of text.
Result<std::string> ReadScannedCode(const std::string& path, size_t max_text);
// The same for a folder that files will be created in.
Status CheckOutputFolder(const std::string& dir, const std::string& what);
Status WriteCert(const std::string& path, const keys::Certificate& c);
Result<keys::Certificate> ReadCert(const std::string& path);
// A public key from a sealed key file (header only, no passphrase), a certificate, or SPKI DER/PEM.
Result<PublicKey> ReadPublicKey(const std::string& path);

}  // namespace wathiq::cli
