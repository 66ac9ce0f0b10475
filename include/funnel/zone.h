// Time zones: reading wall-clock times in an IANA zone (--tz Europe/Oslo) and finding the
// local calendar day of an instant, from the system's compiled zone files ($TZDIR or
// /usr/share/zoneinfo; TZif, RFC 8536).
#pragma once

#include <memory>
#include <string>

#include "funnel/timestamp.h"

namespace funnel {

/// What happened when a wall-clock time was turned into an instant.
enum class LocalKind {
  unique,
  gap,      ///< the clocks skipped it (spring forward): read as that many minutes after the jump
  overlap,  ///< it happened twice (autumn back): the earlier instant is taken
};

/// An IANA time zone, or UTC.
class Zone {
 public:
  /// UTC.
  Zone();
  /// Throws funnel::Error(ExitCode::usage) for an unknown name, with a suggestion.
  explicit Zone(const std::string& name);
  ~Zone();
  Zone(Zone&&) noexcept;
  Zone& operator=(Zone&&) noexcept;

  bool is_utc() const { return impl_ == nullptr; }
  const std::string& name() const { return name_; }
  /// The instant of a wall-clock time given as seconds since 1970-01-01 00:00 local.
  Timestamp to_utc(Timestamp local, LocalKind& kind) const;
  /// Wall-clock seconds since 1970-01-01 00:00 local of an instant.
  Timestamp to_local(Timestamp utc) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string name_ = "UTC";
};

}  // namespace funnel
