// Each component's subcommands register themselves on the root app. Exit codes scripts can rely on:
//   0 success / valid, 1 a check failed (invalid credential, bad signature ...), 2 usage error,
//   3 input could not be read or parsed, 4 internal error.
#pragma once

#include <CLI/CLI.hpp>

namespace wathiq::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInput = 3;
inline constexpr int kExitInternal = 4;

// A subcommand's action sets the process exit code through this.
struct ExitCode {
  int value = kExitOk;
};

}  // namespace wathiq::cli
