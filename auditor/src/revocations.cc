#include "wathiq/auditor/revocations.h"

#include <nlohmann/json.hpp>

#include "internal.h"
#include "wathiq/core/calendar.h"
#include "wathiq/core/text.h"

namespace wathiq::auditor {

Result<RevocationReport> ReadRevocations(const AuditInput& in) {
  Findings ignored(0);  // the public folder is not this report's business
  WQ_ASSIGN(internal::LogView v, internal::OpenLog(in, ignored));
  const log::Checkpoint& cp = v.checkpoints.rbegin()->second;
  Findings f(1);
  ReplayOptions ro;
  ro.keep_status_events = true;
  ro.max_index = in.limits.max_list_entries;
  Replayer rp(&f, std::move(ro));
  log::MemoryTree tree;
  WQ_TRY(ForEachEntry(in.audit_dir, cp.size, [&](uint64_t pos, ByteView bytes) -> Status {
    tree.Append(log::LeafHash(bytes));
    auto e = log::DecodeEntry(bytes);
    if (!e)
      return Fail(
          Error(Errc::kMalformed, "entry " + std::to_string(pos) + ": " + e.error().message, "entry_malformed"));
    rp.Apply(*e);
    return Ok();
  }));
  WQ_ASSIGN(log::Hash root, log::TreeRoot(tree, cp.size));
  if (root != cp.root) {
    return Fail(
        Error(Errc::kBadSignature,
              "the audit folder's entries do not hash to the root the log signed at size " + std::to_string(cp.size),
              "checkpoint_root_mismatch"));
  }
  RevocationReport r;
  r.origin = cp.origin;
  r.log_size = cp.size;
  r.root = root;
  r.events = rp.status_events();
  return r;
}

std::string RevocationReport::ToJson() const {
  using nlohmann::json;
  json events_json = json::array();
  uint64_t n_revoke = 0, n_suspend = 0, n_reinstate = 0;
  for (const StatusEvent& e : events) {
    (e.event == log::Event::kRevoke ? n_revoke : e.event == log::Event::kSuspend ? n_suspend : n_reinstate)++;
    const std::string when = FormatTdate(static_cast<int64_t>(e.time));
    json o = {{"entry", e.entry},
              {"event", std::string(log::EventName(e.event))},
              {"time", e.time},
              {"time_utc", when},
              {"agency", SafeText(e.agency)},
              {"actor", SafeText(e.actor)},
              {"reason", e.reason ? json(SafeText(*e.reason)) : json(nullptr)},
              {"credential_id", ToHex(ByteView(e.credential_id.data(), e.credential_id.size()))},
              {"doc_type", SafeText(e.doc_type)},
              {"status_uri", SafeText(e.uri)},
              {"status_idx", e.index}};
    events_json.push_back(std::move(o));
  }
  json j = {{"origin", SafeText(origin)},
            {"log_size", log_size},
            {"root", internal::HexOf(root)},
            {"counts", {{"revoke", n_revoke}, {"suspend", n_suspend}, {"reinstate", n_reinstate}}},
            {"events", events_json}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace wathiq::auditor
