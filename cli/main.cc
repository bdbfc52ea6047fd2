#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"wathiq: digital identity documents — issue, carry, verify offline, audit"};
  app.require_subcommand(1);
  wathiq::cli::ExitCode exit_code;
  // Component registrations go here, in layer order.
  (void)exit_code;
  CLI11_PARSE(app, argc, argv);
  return exit_code.value;
}
