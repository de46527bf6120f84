/* ram-probe.c: the state a firmware keeps for each libc-only library, as objects whose sizes
 * build-aux/cross-build reads from the target's symbol table (sizeof as the target's compiler lays
 * the structs out, without running anything on the target). */
#include "ffdelta.h"
#include "ffmeter-download.h"
#include "ffmeter.h"

FfMeterScheduler ram_FfMeterScheduler;
FfMeterDownload ram_FfMeterDownload;
FfDeltaPatcher ram_FfDeltaPatcher;
