#include "wathiq/auditor/findings.h"

namespace wathiq::auditor {

void Findings::Add(Finding f) {
  ++total_;
  ++counts_[f.kind];
  if (list_.size() < max_) list_.push_back(std::move(f));
}

uint64_t Findings::Count(std::string_view kind) const {
  auto it = counts_.find(std::string(kind));
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace wathiq::auditor
