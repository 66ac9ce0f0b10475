#include "funnel/version.h"

#include <fmt/format.h>

#include "funnel_version.h"  // generated into the build tree (cmake/write_version.cmake)

namespace funnel {

std::string version_text() {
  if (*kCommit == '\0') return fmt::format("funnel {}", kVersion);
  return fmt::format("funnel {} (commit {})", kVersion, kCommit);
}

std::string version_number() { return kVersion; }

}  // namespace funnel
