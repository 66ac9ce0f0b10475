// The version `funnel --version` prints: the release, and the commit it was built from.
#pragma once

#include <string>

namespace funnel {

/// "funnel 0.2.0 (commit 1a2b3c4d5e6f)"; without the commit when not built from git, and
/// with "-modified" after it when the work tree had uncommitted changes.
std::string version_text();

/// The release alone ("0.2.0"): what outputs that must not change with every commit record.
std::string version_number();

}  // namespace funnel
