// The jadedb shell: reads commands line by line (same syntax as the command line, words split
// as by SplitWords) and runs them on one open DB until `quit`, `exit` or end of input.
//
// Single-threaded; uses the runner and the FILEs it is given.
#pragma once

#include <cstdio>

#include "commands.h"

namespace jadedb::cli {

// Runs the shell reading from in. Prints the prompt "jadedb> " to out only when interactive
// (stdin is a terminal). Each command's output is flushed before the next line is read, so a
// program driving the shell through pipes sees every answer at once. Returns kExitOk, or
// kExitError when any command failed with an error (a `get` of an absent key is not one).
int RunShell(CommandRunner* runner, std::FILE* in, std::FILE* out, bool interactive);

}  // namespace jadedb::cli
