// Where a command's output goes: standard output, checked write by write; -o FILE, written
// atomically (a temporary file beside the target renamed over it only when complete, so a
// cron job never sees half a report, and removed if the run fails or is interrupted by
// SIGINT, SIGTERM or SIGHUP); or, for what is not a regular file (a FIFO, a device,
// /dev/stdout), written into. The --rejects file is committed only together with the output.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace funnel {

/// Gives each of the descriptors 0, 1 and 2 that is closed at start-up /dev/null opened the
/// wrong way round (read-only for 1 and 2, write-only for 0), so that no file funnel opens
/// takes their place and a write to a closed standard output fails (EBADF) instead of
/// vanishing. Called first thing in main().
void reserve_standard_descriptors();

/// True when an -o value means standard output: none, "-", /dev/stdout, /dev/fd/1 or
/// /proc/self/fd/1.
bool names_stdout(const std::string& path);

/// Text for a terminal: control characters (C0 but LF and tab, DEL, C1) become '?', so data
/// cannot drive the terminal (escape sequences, title changes, cursor moves).
std::string terminal_text(std::string_view text);

/// Writes `text` to standard output (`out`) and flushes it; when `terminal` is set the text is
/// shown through terminal_text(). Throws funnel::Error(ExitCode::io) naming standard output
/// when a write fails (a full disk, a closed descriptor, EPIPE with SIGPIPE ignored).
void write_stdout(std::ostream& out, std::string_view text, bool terminal);

/// One output file being written. A regular file (or a new one; a symbolic link is followed
/// to its target) gets `content` in a temporary file TARGET.funnel-XXXXXX beside the target,
/// flushed to disk, which commit() renames over the target; it is removed when the object is
/// destroyed uncommitted and when SIGINT, SIGTERM or SIGHUP ends the process. A FIFO, a
/// device or an open descriptor (/dev/fd/N) is written into by commit(), nothing is replaced.
/// `content` must outlive the object. Errors throw funnel::Error(ExitCode::io) naming `path`.
class PendingFile {
 public:
  PendingFile(const std::string& path, std::string_view content);
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  void commit();

 private:
  void discard() noexcept;
  std::string path_;    ///< as given, for messages
  std::string target_;  ///< symbolic links resolved
  std::string_view content_;
  int slot_ = -1;        ///< the temporary file's slot for the signal handler; -1: none
  bool direct_ = false;  ///< written into at commit(), not replaced
};

/// Writes `content` to `path` as PendingFile does and commits it.
void write_file_atomically(const std::string& path, std::string_view content);

/// A command's output and, when `rejects` is set, its rejects file. The rejects file is
/// written to its temporary file first and renamed over its target only after the output
/// was written in full (to a file or standard output), so a failed run leaves both as they
/// were. Standard output (see names_stdout()) is written by write_stdout().
void write_command_output(std::ostream& out, const std::string& output, std::string_view text, bool terminal,
                          const std::string& rejects = {}, std::string_view rejects_text = {});

/// Refuses (usage error) outputs that would destroy what the run reads or each other: -o or
/// --rejects naming one of `inputs`, or both naming one file. Files are compared by device
/// and inode where they exist, else by their absolute paths; outputs that are not regular
/// files (a FIFO, /dev/null) are not compared.
void check_output_targets(const std::string& output, const std::string& rejects,
                          const std::vector<std::string>& inputs);

}  // namespace funnel
