// FUZZ_CHECK: what a fuzz target asserts beyond "no crash, no sanitizer report". A failed check
// prints the condition and aborts, which libFuzzer (and the standalone driver) report as a
// crash with the input saved.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
