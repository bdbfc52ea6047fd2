#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "commands.h"

namespace wathiq::cli {
void RegisterKeysCommands(CLI::App& app, ExitCode& exit_code);  // keys_cmd.cc
void RegisterCredentialCommands(CLI::App& app, ExitCode& exit_code);  // mdoc_cmd.cc (issuer, wallet, verify)
void RegisterDemoCommand(CLI::App& app, ExitCode& exit_code);  // demo_cmd.cc
void RegisterAuditCommands(CLI::App& app, ExitCode& exit_code);  // audit_cmd.cc
}  // namespace wathiq::cli

namespace {

// Our code throws nothing, but the standard library and CLI11 can (std::bad_alloc under an address-space
// limit, std::length_error ...). Nothing may escape main as an abort: one line on stderr, the internal-error
// exit code. fputs, not iostreams: under memory exhaustion the message must not need to allocate.
int InternalError(const char* what) {
  std::fflush(stdout);
  std::fputs("wathiq: internal error: ", stderr);
  std::fputs(what, stderr);
  std::fputs("\n", stderr);
  return wathiq::cli::kExitInternal;
}

int Run(int argc, char** argv) {
  CLI::App app{"wathiq: digital identity documents — issue, carry, verify offline, audit"};
  app.require_subcommand(1);
  wathiq::cli::ExitCode exit_code;
  // Component registrations go here, in layer order.
  wathiq::cli::RegisterKeysCommands(app, exit_code);
  wathiq::cli::RegisterCredentialCommands(app, exit_code);
  wathiq::cli::RegisterDemoCommand(app, exit_code);
  wathiq::cli::RegisterAuditCommands(app, exit_code);
  // CLI11 reports usage errors by exception with its own exit codes (106, 109 ...); map them to ours.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? wathiq::cli::kExitOk : wathiq::cli::kExitUsage;
  }
  return exit_code.value;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::bad_alloc&) {
    return InternalError("out of memory");
  } catch (const std::exception& e) {
    return InternalError(e.what());
  } catch (...) {
    return InternalError("unexpected exception");
  }
}
