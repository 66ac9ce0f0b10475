#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include "funnel/cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  funnel::Streams streams{nullptr, std::cout, std::cerr, ::isatty(1) == 1,
                          std::getenv("NO_COLOR") != nullptr && *std::getenv("NO_COLOR") != '\0', ::isatty(2) == 1};
  return funnel::run(argc, argv, streams);
}
