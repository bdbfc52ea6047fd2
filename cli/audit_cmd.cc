// `wathiq audit …`: an auditor's offline checks of the transparency log's formats (design/STATUS-AND-LOG.md).
//   check-proof FILE|-                                   RFC 9162 inclusion / consistency proof, JSON in and out
//   verify-checkpoint --key VKEY --origin ORIGIN FILE|-  a C2SP signed checkpoint note
//   rebuild --audit DIR --public DIR --trust-list F --root F   replay the log, rebuild every status list bit
//       [--log-url URL] [--held-checkpoint F]                 for bit, compare with every published token
//                                                             (auditor/audit.h); exit 0 all match, 1 differences
//   revocations --audit DIR --trust-list F --root F           who revoked, suspended, reinstated what, when, why
// Exit codes (commands.h): 0 valid, 1 invalid (the proof or signature does not verify, another log's
// checkpoint), 2 usage (an unusable --key), 3 input unreadable or malformed, 4 internal.
// check-proof always answers in JSON (log/proof_json.h); errors follow the other commands (--json: one
// object on stdout; always one line on stderr).
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli_util.h"
#include "wathiq/auditor/audit.h"
#include "wathiq/auditor/revocations.h"
#include "wathiq/keys/trust_list.h"
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

struct AuditOpts {
  std::string audit, pub, trust_list, root, log_url, held;
  int64_t max_staleness = 0;
};

// The trust list the auditor holds, checked under the pinned root at --now (an auditor may read an
// older deployment with --max-staleness).
Result<std::shared_ptr<const keys::TrustList>> LoadTrust(const Ctx& ctx, const AuditOpts& o) {
  WQ_ASSIGN(Bytes bytes, keys::ReadFileBytes(o.trust_list, 16u << 20));
  WQ_ASSIGN(keys::Certificate root, ReadCert(o.root));
  keys::TrustListPolicy p;
  p.now = ctx.Now();
  p.max_staleness = o.max_staleness;
  auto tl = keys::TrustList::Load(bytes, root, p);
  if (!tl) return Fail(Errc::kBadSignature, "--trust-list: " + tl.error().ToString());
  return *tl;
}

Result<auditor::AuditInput> AuditInputFrom(const Ctx& ctx, const AuditOpts& o) {
  WQ_ASSIGN(auto tl, LoadTrust(ctx, o));
  auditor::AuditInput in;
  in.audit_dir = o.audit;
  in.public_dir = o.pub;
  in.trust = auditor::AuditTrust::FromTrustList(*tl);
  if (!o.log_url.empty()) in.log_url = o.log_url;
  if (!o.held.empty()) {
    WQ_ASSIGN(std::string note, ReadInput(o.held, log::kMaxNoteBytes));
    auto key = log::NoteVerifier::FromVerifierKey(in.trust.log_verifier_key);
    if (!key) return Fail(Errc::kMalformed, "the trust list's log key: " + key.error().message);
    auto cp = log::OpenCheckpoint(note, *key, in.trust.log_origin);
    if (!cp) return Fail(Errc::kBadSignature, "--held-checkpoint: " + cp.error().message);
    in.held_checkpoint = *cp;
  }
  return in;
}

Status RunRebuild(const Ctx& ctx, const AuditOpts& o) {
  WQ_ASSIGN(auditor::AuditInput in, AuditInputFrom(ctx, o));
  WQ_ASSIGN(auditor::AuditReport r, auditor::RebuildAndCompare(in));
  ctx.exit->value = r.clean() ? kExitOk : kExitCheckFailed;
  if (ctx.json_out) {
    json j = json::parse(r.ToJson(), nullptr, false);
    j["ok"] = r.clean();
    j["command"] = "rebuild";
    std::cout << Dump(j) << "\n";
    return Ok();
  }
  size_t compared = 0;
  for (const auto& t : r.tokens) compared += t.compared;
  std::string text = "log " + Quoted(r.origin, 256) + ": " + std::to_string(r.entries_replayed) + " of " +
                     std::to_string(r.log_size) + " entries replayed, " + std::to_string(r.credentials) + " credentials, " +
                     std::to_string(r.lists.size()) + " lists; " + std::to_string(compared) + " of " +
                     std::to_string(r.tokens.size()) + " tokens rebuilt and compared; " +
                     std::to_string(r.checkpoints_checked) + " checkpoints, " + std::to_string(r.tiles_checked) + " tiles\n";
  if (r.clean()) {
    text += "every list matches its published tokens bit for bit\n";
  } else {
    text += std::to_string(r.findings.total()) + " finding(s):\n";
    for (const auto& f : r.findings.list()) {
      text += "  " + f.kind + ": " + SafeText(f.message, 1024);
      if (!f.file.empty()) text += " [" + SafeText(f.file, 512) + "]";
      text += "\n";
    }
    if (r.findings.dropped()) text += "  ... " + std::to_string(r.findings.dropped()) + " more not shown\n";
  }
  std::cout << SafeLines(text);
  return Ok();
}

Status RunRevocations(const Ctx& ctx, const AuditOpts& o) {
  WQ_ASSIGN(auditor::AuditInput in, AuditInputFrom(ctx, o));
  WQ_ASSIGN(auditor::RevocationReport r, auditor::ReadRevocations(in));
  ctx.exit->value = kExitOk;
  if (ctx.json_out) {
    json j = json::parse(r.ToJson(), nullptr, false);
    j["ok"] = true;
    j["command"] = "revocations";
    std::cout << Dump(j) << "\n";
    return Ok();
  }
  json j = json::parse(r.ToJson(), nullptr, false);
  std::string text = "log " + Quoted(r.origin, 256) + " at size " + std::to_string(r.log_size) + ": " +
                     std::to_string(r.events.size()) + " status event(s)\n";
  for (const auto& e : j["events"]) {
    text += e["time_utc"].get<std::string>() + "  " + e["event"].get<std::string>() + "  agency " +
            e["agency"].get<std::string>() + "  actor " + e["actor"].get<std::string>() + "  reason " +
            (e["reason"].is_null() ? std::string("-") : e["reason"].get<std::string>()) + "  credential " +
            e["credential_id"].get<std::string>() + "  " + e["status_uri"].get<std::string>() + "#" +
            std::to_string(e["status_idx"].get<uint64_t>()) + "  (entry " + std::to_string(e["entry"].get<uint64_t>()) + ")\n";
  }
  std::cout << SafeLines(text);
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

  auto ao = std::make_shared<AuditOpts>();
  auto add_common = [ao](CLI::App* c) {
    c->add_option("--audit", ao->audit, "the deployment's audit folder (docs/PUBLICATION.md)")->required();
    c->add_option("--trust-list", ao->trust_list, "the signed trust list (the log's key, agencies, status signers)")->required();
    c->add_option("--root", ao->root, "the pinned national root certificate")->required();
    c->add_option("--max-staleness", ao->max_staleness, "seconds past the trust list's next_update still accepted")
        ->check(CLI::Range(int64_t{0}, kMaxClock));
  };
  CLI::App* rb = group->add_subcommand(
      "rebuild", "replay the log's entries, rebuild every status list bit for bit and compare with every published "
                 "token; exit 0 all match, 1 differences, 3 unreadable");
  add_common(rb);
  rb->add_option("--public", ao->pub, "the deployment's public folder")->required();
  rb->add_option("--log-url", ao->log_url, "the log's URL (default https://<origin>)");
  rb->add_option("--held-checkpoint", ao->held, "a checkpoint held from before: the log must still be consistent with it");
  rb->callback(Action(ctx, "rebuild", [ctx, ao] { return RunRebuild(*ctx, *ao); }));
  CLI::App* rv = group->add_subcommand(
      "revocations", "who revoked, suspended or reinstated what, when and why, from the log's signed entries");
  add_common(rv);
  rv->callback(Action(ctx, "revocations", [ctx, ao] { return RunRevocations(*ctx, *ao); }));
  for (CLI::App* sub : group->get_subcommands([](CLI::App*) { return true; })) sub->fallthrough();
}

}  // namespace wathiq::cli
