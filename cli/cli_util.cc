// Helpers every `wathiq` subcommand shares: exit codes, JSON output, secrets, keys and files.
#include "cli_util.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

#include "wathiq/verifier/qr_decode.h"

namespace wathiq::cli {

using nlohmann::json;
using namespace wathiq::keys;

int ExitFor(Errc e) {
  switch (e) {
    case Errc::kMalformed:
    case Errc::kNotFound:
    case Errc::kIo:
    case Errc::kLimit:
    case Errc::kUnsupported: return kExitInput;
    case Errc::kInvalidArgument: return kExitUsage;
    case Errc::kPermission:
    case Errc::kBadSignature:
    case Errc::kState: return kExitCheckFailed;
    case Errc::kCrypto:
    case Errc::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

std::string Dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

// Secrets ------------------------------------------------------------------------------------------------

Result<SecretText> ReadSecret(const SecretOpts& o, const std::string& default_env, const char* what) {
  if (!o.file.empty()) return SecretText::FromFile(o.file);
  const std::string& var = o.env.empty() ? default_env : o.env;
  auto s = SecretText::FromEnv(var);
  if (!s) {
    return Fail(Errc::kInvalidArgument, std::string("no ") + what + ": give --" + what + "-file or set " + var +
                                            " (secrets are never read from the command line)");
  }
  if (s->empty()) return Fail(Errc::kInvalidArgument, std::string(what) + " in " + var + " is empty");
  return s;
}

namespace {

// The terminal's settings while a prompt has echo off, for the signal handler to put back.
struct termios g_saved_termios;
volatile sig_atomic_t g_prompt_fd = -1;

void RestoreTerminalAndDie(int sig) {
  if (g_prompt_fd >= 0) tcsetattr(g_prompt_fd, TCSAFLUSH, &g_saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

Result<SecretText> PromptSecret(const std::string& prompt, const char* what, const std::string& env, int fd) {
  if (!isatty(fd)) {
    return Fail(Errc::kInvalidArgument, std::string("no ") + what + ": give --" + what + "-file or set " + env +
                                            " (secrets are never read from the command line; stdin is not a "
                                            "terminal, so there is no prompt)");
  }
  struct termios old {};
  if (tcgetattr(fd, &old) != 0)
    return Fail(Errc::kIo, std::string("cannot read the terminal's settings: ") + std::strerror(errno));
  struct termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK);
  quiet.c_lflag |= ECHONL | ICANON;
  g_saved_termios = old;
  g_prompt_fd = fd;
  const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  using Handler = void (*)(int);
  Handler previous[4];
  for (size_t i = 0; i < 4; ++i) previous[i] = std::signal(signals[i], RestoreTerminalAndDie);
  Status set = Ok();
  if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
    set = Fail(Errc::kIo, std::string("cannot turn echo off: ") + std::strerror(errno));
  SecureBuffer buf(1025);
  size_t n = 0;
  bool too_long = false, got_line = false;
  if (set) {
    std::cerr << prompt << std::flush;
    while (true) {
      char ch = 0;
      ssize_t r = ::read(fd, &ch, 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      if (ch == '\n') {
        got_line = true;
        break;
      }
      if (n == 1024) {
        too_long = true;
        continue;
      }
      buf.data()[n++] = static_cast<uint8_t>(ch);
    }
  }
  tcsetattr(fd, TCSAFLUSH, &old);
  g_prompt_fd = -1;
  for (size_t i = 0; i < 4; ++i) std::signal(signals[i], previous[i]);
  WQ_TRY(set);
  if (n > 0 && buf.data()[n - 1] == '\r') --n;
  if (too_long) return Fail(Errc::kInvalidArgument, std::string(what) + " is over 1024 bytes");
  if (!got_line && n == 0) return Fail(Errc::kInvalidArgument, std::string("no ") + what + " typed");
  if (n == 0) return Fail(Errc::kInvalidArgument, std::string(what) + " is empty");
  return SecretText::FromBuffer(std::move(buf), n);
}

Result<SecretText> ReadSecretOrPrompt(const SecretOpts& o, const std::string& default_env, const char* what,
                                      const std::string& prompt) {
  if (!o.file.empty()) return SecretText::FromFile(o.file);
  const std::string& var = o.env.empty() ? default_env : o.env;
  if (std::getenv(var.c_str()) != nullptr) return ReadSecret(o, default_env, what);
  return PromptSecret(prompt, what, var, STDIN_FILENO);
}

void AddSecretOptions(CLI::App* c, SecretOpts& o, const std::string& what, const std::string& default_env) {
  c->add_option("--" + what + "-file", o.file,
                "read the " + what + " from this file (one trailing newline is dropped)");
  c->add_option("--" + what + "-env", o.env,
                "read the " + what + " from this environment variable (default " + default_env + ")");
}

// Keys: a sealed file or a PKCS#11 token ----------------------------------------------------------------

void AddPkcs11Options(CLI::App* c, KeyOpts& k) {
  c->add_option("--pkcs11-module", k.module, "PKCS#11 module (e.g. " + std::string(kSoftHsmModulePath) + ")");
  c->add_option("--token-label", k.token, "label of the PKCS#11 token");
  c->add_option("--key-label", k.key_label, "label of the key in the token");
  AddSecretOptions(c, k.pin, "pin", "WATHIQ_PIN");
}

void AddKeyOptions(CLI::App* c, KeyOpts& k, const std::string& key_flag, const std::string& help) {
  c->add_option(key_flag, k.file, help + " (sealed key file), or use the --pkcs11-* options");
  AddSecretOptions(c, k.pass, "passphrase", "WATHIQ_PASSPHRASE");
  AddPkcs11Options(c, k);
}

Result<std::shared_ptr<Pkcs11Token>> OpenTokenFrom(const KeyOpts& k) {
  if (k.module.empty() || k.token.empty()) {
    return Fail(Errc::kInvalidArgument, "PKCS#11 needs --pkcs11-module and --token-label");
  }
  WQ_ASSIGN(SecretText pin, ReadSecret(k.pin, "WATHIQ_PIN", "pin"));
  WQ_ASSIGN(auto module, Pkcs11Module::Load(k.module));
  return module->OpenToken(k.token, pin);
}

Result<KeyHandle> OpenKey(const KeyOpts& k) {
  if (k.pkcs11()) {
    if (!k.file.empty()) return Fail(Errc::kInvalidArgument, "give either a key file or PKCS#11 options, not both");
    if (k.key_label.empty()) return Fail(Errc::kInvalidArgument, "PKCS#11 needs --key-label");
    WQ_ASSIGN(auto token, OpenTokenFrom(k));
    return token->FindKey(k.key_label);
  }
  if (k.file.empty()) return Fail(Errc::kInvalidArgument, "no key given");
  WQ_ASSIGN(SecretText pass, ReadSecret(k.pass, "WATHIQ_PASSPHRASE", "passphrase"));
  return OpenSealedKeyFile(k.file, pass);
}

// Creates a key where `k` says: in the token, or in memory to be sealed into k.file by the caller.
Result<KeyHandle> CreateKey(const KeyOpts& k, Alg alg, const std::string& label) {
  if (k.pkcs11()) {
    if (!k.file.empty()) return Fail(Errc::kInvalidArgument, "give either --key-out or PKCS#11 options, not both");
    WQ_ASSIGN(auto token, OpenTokenFrom(k));
    return token->GenerateKey({alg, k.key_label.empty() ? label : k.key_label, {}});
  }
  if (k.file.empty()) return Fail(Errc::kInvalidArgument, "give --key-out (sealed file) or PKCS#11 options");
  return KeyHandle::GenerateSoftware(alg, label);
}

Result<Alg> ParseAlg(const std::string& s) {
  if (s == "ES256") return Alg::kES256;
  if (s == "EdDSA" || s == "Ed25519") return Alg::kEdDSA;
  return Fail(Errc::kInvalidArgument, "algorithm must be ES256 or EdDSA");
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status CheckOutputFolder(const std::string& dir, const std::string& what) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    int e = errno;
    return Fail(e == ENOENT ? Errc::kNotFound : Errc::kIo,
                "folder " + dir + " for the " + what + " cannot be used: " + std::strerror(e));
  }
  if (!S_ISDIR(st.st_mode)) return Fail(Errc::kInvalidArgument, dir + " (for the " + what + ") is not a folder");
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return Fail(Errc::kPermission, "folder " + dir + " for the " + what + " is not writable: " + std::strerror(errno));
  }
  return Ok();
}

Result<std::string> ReadScannedCode(const std::string& path, size_t max_text) {
  WQ_ASSIGN(Bytes head, keys::ReadFileBytes(path, verifier::kMaxImageFileBytes));
  const bool png = head.size() >= 8 && head[0] == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G';
  const bool jpeg = head.size() >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
  std::string text;
  if (png || jpeg) {
    WQ_ASSIGN(text, verifier::DecodeQrImage(head));
  } else {
    text.assign(head.begin(), head.end());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  }
  if (text.size() > max_text) {
    return Fail(Errc::kLimit, path + ": more than " + std::to_string(max_text) + " characters");
  }
  return text;
}

Status CheckNewOutput(const std::string& path, const std::string& what) {
  if (path.empty()) return Fail(Errc::kInvalidArgument, "no path for the " + what);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) return Fail(Errc::kState, path + " already exists; refusing to replace it");
  if (errno != ENOENT) return Fail(Errc::kIo, "cannot check " + path + ": " + std::strerror(errno));
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (slash == path.size() - 1)
    return Fail(Errc::kInvalidArgument, "path for the " + what + " names a folder: " + path);
  return CheckOutputFolder(dir, what);
}

Status WriteCert(const std::string& path, const Certificate& c) {
  if (EndsWith(path, ".pem")) return WriteFileAtomically(path, AsBytes(c.ToPem()), WriteMode::kCreateNew, 0644);
  return WriteFileAtomically(path, c.der(), WriteMode::kCreateNew, 0644);
}

Result<Certificate> ReadCert(const std::string& path) {
  WQ_ASSIGN(Bytes b, ReadFileBytes(path, 256 * 1024));
  auto c = Certificate::FromBytes(b);
  if (!c) return Wrap(path, c.error());
  return c;
}

// A public key from a sealed key file (header only, no passphrase), a certificate, or SPKI DER/PEM.
Result<PublicKey> ReadPublicKey(const std::string& path) {
  WQ_ASSIGN(Bytes b, ReadFileBytes(path, 256 * 1024));
  if (LooksLikeSealedKey(b)) {
    WQ_ASSIGN(SealedKeyInfo info, InspectSealedKey(b));
    return info.public_key;
  }
  std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
  static constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----";
  static constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";
  if (auto p = text.find(kBegin); p != std::string_view::npos) {
    auto e = text.find(kEnd, p);
    if (e == std::string_view::npos) return Fail(Errc::kMalformed, path + ": unterminated PEM public key");
    std::string body;
    for (char ch : text.substr(p + kBegin.size(), e - p - kBegin.size())) {
      if (ch != '\n' && ch != '\r' && ch != ' ') body.push_back(ch);
    }
    WQ_ASSIGN(Bytes der, Base64Decode(body));
    return PublicKey::FromSpki(der);
  }
  if (auto c = Certificate::FromBytes(b)) return c->public_key();
  auto k = PublicKey::FromSpki(b);
  if (!k) return Fail(Errc::kMalformed, path + " is neither a sealed key, a certificate nor a public key");
  return k;
}

}  // namespace wathiq::cli
