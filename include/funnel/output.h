// Output files written atomically: the text goes to a temporary file beside the target,
// which is renamed over it only when complete, so a cron job never sees half a report.
#pragma once

#include <string>
#include <string_view>

namespace funnel {

/// Writes `content` to `path` atomically (temp file in the same directory, fsync, rename).
/// Throws funnel::Error(ExitCode::io) naming the file.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace funnel
