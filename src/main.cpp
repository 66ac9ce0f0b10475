#include <cstdlib>
#include <iostream>
#include <malloc.h>
#include <unistd.h>

#include "funnel/cli.h"
#include "funnel/output.h"
#include "funnel/terminal.h"

int main(int argc, char** argv) {
  funnel::reserve_standard_descriptors();
  // The reading threads' heaps grow in large steps and are not handed back piece by piece:
  // with glibc's defaults each thread's arena grew and shrank by 40-80 KiB (about 230
  // mprotect calls on the 1M-lead file), and every call waits on the address-space lock
  // that the other threads' huge-page faults hold. Address space only until touched.
  mallopt(M_TOP_PAD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  std::ios::sync_with_stdio(false);
  funnel::Streams streams{nullptr,
                          std::cout,
                          std::cerr,
                          ::isatty(1) == 1,
                          std::getenv("NO_COLOR") != nullptr && *std::getenv("NO_COLOR") != '\0',
                          ::isatty(2) == 1,
                          funnel::terminal_columns(1)};
  return funnel::run(argc, argv, streams);
}
