// Wathiq core: files, read with a bound and written atomically. Every component uses these two; none
// writes a file another way.
//
// Guarantees: ReadFileBytes reads only regular files and never more than max_size bytes (kLimit beyond).
// WriteFileAtomically writes a temporary file in the same folder, sets its mode, writes, fsyncs, then
// renames it into place (or, for kCreateNew, links it, failing with kState when the path exists), and fsyncs
// the folder: a reader sees the old file or the new one, never a partial write, even across a crash.
// Thread-safety: reentrant.
#pragma once

#include <cstddef>
#include <string>

#include "wathiq/core/result.h"

namespace wathiq {

enum class WriteMode { kCreateNew, kReplace };

Status WriteFileAtomically(const std::string& path, ByteView data, WriteMode mode, unsigned mode_bits = 0600);
Result<Bytes> ReadFileBytes(const std::string& path, size_t max_size = 64u << 20);

}  // namespace wathiq
