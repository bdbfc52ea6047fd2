// `wathiq audit …`: an auditor's offline checks of the transparency log's formats (design/STATUS-AND-LOG.md).
//   check-proof FILE|-                                   RFC 9162 inclusion / consistency proof, JSON in and out
//   verify-checkpoint --key VKEY --origin ORIGIN FILE|-  a C2SP signed checkpoint note
// Exit codes (commands.h): 0 valid, 1 invalid (the proof or signature does not verify, another log's
// checkpoint), 2 usage (an unusable --key), 3 input unreadable or malformed, 4 internal.
// check-proof always answers in JSON (log/proof_json.h); errors follow the other commands (--json: one
// object on stdout; always one line on stderr).
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli_util.h"
#include "wathiq/core/text.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/note.h"
#include "wathiq/log/proof_json.h"

namespace wathiq::cli {
namespace {

using nlohmann::json;
constexpr int64_t kMaxClock = 253402300799;  // 9999-12-31T23:59:59Z

// A file, or standard input for "-", of at most `max` bytes (kLimit beyond).
Result<std::string> ReadInput(const std::string& path, size_t max) {
  if (path == "-") {
    std::string s;
    char buf[4096];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      s.append(buf, static_cast<size_t>(std::cin.gcount()));
      if (s.size() > max) return Fail(Errc::kLimit, "standard input is larger than " + std::to_string(max) + " bytes");
    }
    return s;
  }
  WQ_ASSIGN(Bytes b, keys::ReadFileBytes(path, max));
  return std::string(b.begin(), b.end());
}

std::string HexOf(const log::Hash& h) { return ToHex(ByteView(h.data(), h.size())); }

Status RunCheckProof(const Ctx& ctx, const std::string& input) {
  WQ_ASSIGN(std::string text, ReadInput(input, log::kMaxProofJsonBytes));
  WQ_ASSIGN(log::ProofCheck check, log::CheckProofJson(text));
  std::cout << check.ToJson() << "\n";
  ctx.exit->value = check.valid ? kExitOk : kExitCheckFailed;
  return Ok();
}

struct CheckpointOpts {
  std::string key, origin, input;
};

Status RunVerifyCheckpoint(const Ctx& ctx, const CheckpointOpts& o) {
  auto key = log::NoteVerifier::FromVerifierKey(o.key);
  if (!key) return Fail(Errc::kInvalidArgument, "--key: " + key.error().message);
  WQ_ASSIGN(std::string note, ReadInput(o.input, log::kMaxNoteBytes));
  auto cp = log::OpenCheckpoint(note, *key, o.origin);
  if (!cp) {
    const Error& e = cp.error();
    bool invalid = e.code == Errc::kBadSignature || e.code == Errc::kNotFound || e.code == Errc::kInvalidArgument;
    if (!invalid) return Fail(e);
    // A well-formed note that this log's key did not sign, or a checkpoint of another log: an outcome.
    ctx.exit->value = kExitCheckFailed;
    json j = {{"command", "verify-checkpoint"}, {"valid", false}, {"reason", SafeText(e.message, 512)}};
    if (ctx.json_out) std::cout << Dump(j) << "\n";
    else std::cout << "checkpoint INVALID: " << SafeText(e.message, 512) << "\n";
    return Ok();
  }
  json j = {{"command", "verify-checkpoint"},
            {"valid", true},
            {"origin", SafeText(cp->origin)},
            {"size", cp->size},
            {"root", HexOf(cp->root)},
            {"extensions", json::array()}};
  for (const auto& e : cp->extensions) j["extensions"].push_back(SafeText(e));
  ctx.Success(j, "checkpoint valid: origin " + Quoted(cp->origin, 256) + ", size " + std::to_string(cp->size) +
                     ", root " + HexOf(cp->root) + "\n");
  return Ok();
}

template <class F>
std::function<void()> Action(std::shared_ptr<Ctx> ctx, std::string name, F f) {
  return [ctx, name, f] {
    Status s = f();
    if (!s) ctx->Fail(name, s.error());
  };
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, ExitCode& exit_code) {
  auto ctx = std::make_shared<Ctx>();
  ctx->exit = &exit_code;
  ctx->component = "audit";
  CLI::App* group = app.add_subcommand("audit", "check the transparency log's proofs and checkpoints offline");
  group->require_subcommand(1);
  group->fallthrough();
  group->add_flag("--json", ctx->json_out, "one JSON object on stdout");
  group->add_option("--now", ctx->now, "the clock, seconds since the epoch (default: system clock)")
      ->check(CLI::Range(int64_t{1}, kMaxClock));

  auto proof_in = std::make_shared<std::string>();
  CLI::App* proof = group->add_subcommand(
      "check-proof", "an RFC 9162 inclusion or consistency proof as JSON (see log/proof_json.h); prints "
                     "{\"type\", \"valid\", \"reason\"}; exit 0 valid, 1 invalid, 3 unreadable");
  proof->add_option("input", *proof_in, "the proof JSON file, or - for standard input")->required();
  proof->callback(Action(ctx, "check-proof", [ctx, proof_in] { return RunCheckProof(*ctx, *proof_in); }));

  auto co = std::make_shared<CheckpointOpts>();
  CLI::App* cp = group->add_subcommand("verify-checkpoint",
                                       "a C2SP signed checkpoint: signed by the log's key, for the expected origin");
  cp->add_option("--key", co->key, "the log's signed-note verifier key: name+keyid+base64 (from the trust list)")
      ->required();
  cp->add_option("--origin", co->origin, "the log's origin line (from the trust list)")->required();
  cp->add_option("input", co->input, "the checkpoint note file, or - for standard input")->required();
  cp->callback(Action(ctx, "verify-checkpoint", [ctx, co] { return RunVerifyCheckpoint(*ctx, *co); }));
  for (CLI::App* sub : group->get_subcommands([](CLI::App*) { return true; })) sub->fallthrough();
}

}  // namespace wathiq::cli
