/* FfTileDirectory: offline map tiles from a directory on the tablet ({z}/{x}/{y}.png). */
#pragma once

#include <shumate/shumate.h>

G_BEGIN_DECLS

#define FF_TYPE_TILE_DIRECTORY (ff_tile_directory_get_type ())
G_DECLARE_FINAL_TYPE (FfTileDirectory, ff_tile_directory, FF, TILE_DIRECTORY, ShumateDataSource)

FfTileDirectory *ff_tile_directory_new (const char *path);

G_END_DECLS
