/* iec104-segment-private.h: the number a 210 OP5/OP9 segment carries under a profile. */
#pragma once

#include <stdint.h>

#include "iec104-profile.h"

/* The segment starting at `byte_offset`, the `segment_index`-th of its file (0-based), is
 * numbered by its offset or by its index, as the profile's segment_numbering says. Both senders
 * (master OP9, outstation OP5) and both checkers (outstation OP9, master OP5) use this one rule. */
static inline uint32_t
iec104_segment_number (const Iec104Profile *profile, uint64_t byte_offset, uint32_t segment_index)
{
  return profile->segment_numbering == IEC104_SEGMENT_NUMBER_OFFSET ? (uint32_t) byte_offset
                                                                    : segment_index;
}
