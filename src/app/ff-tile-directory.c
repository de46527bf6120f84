/* FfTileDirectory: a libshumate data source that reads raster tiles from a directory laid out as
 * {z}/{x}/{y}.png, asynchronously through GIO, so the map works with no network at all.
 * libshumate 1.0's raster renderer draws a tile only from the data source's "received-data" signal
 * (the async result just marks the tile done), so each tile read is announced there first. */
#include "config.h"

#include "ff-tile-directory.h"

struct _FfTileDirectory
{
  ShumateDataSource parent_instance;

  GFile *root;
};

G_DEFINE_FINAL_TYPE (FfTileDirectory, ff_tile_directory, SHUMATE_TYPE_DATA_SOURCE)

typedef struct
{
  int x;
  int y;
  int zoom_level;
} TileKey;

static void
tile_loaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const TileKey *key = g_task_get_task_data (task);
  GError *error = NULL;
  GBytes *bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);

  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_signal_emit_by_name (g_task_get_source_object (task), "received-data", key->x, key->y,
                         key->zoom_level, bytes);
  g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
ff_tile_directory_get_tile_data_async (ShumateDataSource   *source,
                                       int                  x,
                                       int                  y,
                                       int                  zoom_level,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  FfTileDirectory *self = FF_TILE_DIRECTORY (source);
  g_autofree char *relative = g_strdup_printf ("%d/%d/%d.png", zoom_level, x, y);
  g_autoptr(GFile) tile = g_file_resolve_relative_path (self->root, relative);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  TileKey *key = g_new (TileKey, 1);

  *key = (TileKey) { x, y, zoom_level };
  g_task_set_task_data (task, key, g_free);
  g_task_set_source_tag (task, ff_tile_directory_get_tile_data_async);
  g_file_load_bytes_async (tile, cancellable, tile_loaded, task);
}

static GBytes *
ff_tile_directory_get_tile_data_finish (ShumateDataSource  *source,
                                        GAsyncResult       *result,
                                        GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
ff_tile_directory_dispose (GObject *object)
{
  FfTileDirectory *self = FF_TILE_DIRECTORY (object);

  g_clear_object (&self->root);

  G_OBJECT_CLASS (ff_tile_directory_parent_class)->dispose (object);
}

static void
ff_tile_directory_class_init (FfTileDirectoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ShumateDataSourceClass *source_class = SHUMATE_DATA_SOURCE_CLASS (klass);

  object_class->dispose = ff_tile_directory_dispose;
  source_class->get_tile_data_async = ff_tile_directory_get_tile_data_async;
  source_class->get_tile_data_finish = ff_tile_directory_get_tile_data_finish;
}

static void
ff_tile_directory_init (FfTileDirectory *self)
{
}

FfTileDirectory *
ff_tile_directory_new (const char *path)
{
  FfTileDirectory *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (FF_TYPE_TILE_DIRECTORY, NULL);
  self->root = g_file_new_for_path (path);
  return self;
}
