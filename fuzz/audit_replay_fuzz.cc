// libFuzzer: the auditor's replay over hostile entries — an entry bundle (the first byte picks its width)
// whose entries are decoded strictly and replayed, then every list rebuilt. Whatever the history, the
// replay must end with findings and lists, never a crash, an abort or unbounded memory (indices are capped).
#include <cstdlib>

#include "wathiq/auditor/replay.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wathiq;
  if (size == 0) return 0;
  unsigned width = data[0] == 0 ? 256u : data[0];
  auto bundle = log::ParseEntryBundle(ByteView(data + 1, size - 1), width);
  if (!bundle) return 0;
  auditor::Findings findings(64);
  auditor::ReplayOptions options;
  options.max_index = 4096;
  options.keep_status_events = true;
  auditor::Replayer replay(&findings, options);
  for (const Bytes& b : *bundle) {
    auto e = log::DecodeEntry(b);
    if (e) {
      replay.Apply(*e);
    } else {
      replay.Skip();
    }
  }
  if (replay.size() != bundle->size()) std::abort();
  for (const auto& [uri, first] : replay.Lists()) {
    if (first >= replay.size()) std::abort();
    auto list = replay.Rebuild(uri, 1024);
    if (!list || list->size() != 1024) std::abort();
  }
  return 0;
}
