/* The area the training terminals stand in (ff-training.c), with a margin for walking around
 * them: the build renders the training map tiles of exactly this (src/app/tiles). */
#pragma once

#define FF_TRAINING_AREA_SOUTH 31.2260
#define FF_TRAINING_AREA_NORTH 31.2430
#define FF_TRAINING_AREA_WEST 121.4680
#define FF_TRAINING_AREA_EAST 121.4840
/* The zoom levels rendered; the Navigate page opens at 17. */
#define FF_TRAINING_AREA_MIN_ZOOM 15
#define FF_TRAINING_AREA_MAX_ZOOM 18
