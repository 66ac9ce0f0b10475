// Lead attributes once every row is read: --recode and --bucket applied to the values, the
// --where columns kept apart from the segment key. Private to src/ingest/.
#pragma once

#include "funnel/ingest.h"
#include "funnel/lead_path.h"

namespace funnel::ingest_detail {

/// With --where columns (options.columns.attributes), --recode or --bucket: fills
/// data.attribute_* and renumbers the store's segments to the --by values as recoded and
/// bucketed (segments that now read the same are one). A --bucket of the --amount column
/// bands each lead's deal value (data.amounts). Does nothing otherwise.
void settle_attributes(LeadData& data, LeadStore& store, const IngestOptions& options);

}  // namespace funnel::ingest_detail
