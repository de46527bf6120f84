/* Process-wide settings the app makes before its first window, for memory a tablet can spare:
 *
 * - Without a GPU render node, Mesa runs GL on the CPU (llvmpipe): GTK's GL renderer then costs
 *   about 70 MB more resident memory than its cairo renderer, and draws no faster. GSK_RENDERER,
 *   when set, still decides.
 * - glibc raises its mmap threshold each time a large block is freed, so after the first firmware
 *   image (megabytes) later ones come from the heap and stay resident once freed. A fixed threshold
 *   keeps such buffers in their own mappings, returned to the system when freed. */
#include "config.h"

#include "ff-runtime.h"

#include <malloc.h>

#define FF_MMAP_THRESHOLD (128 * 1024)

static gboolean
has_gpu_render_node (void)
{
  g_autoptr(GDir) dri = g_dir_open ("/dev/dri", 0, NULL);
  const char *name;

  while (dri != NULL && (name = g_dir_read_name (dri)) != NULL)
    if (g_str_has_prefix (name, "renderD"))
      return TRUE;
  return FALSE;
}

void
ff_runtime_init (void)
{
  if (g_getenv ("GSK_RENDERER") == NULL && !has_gpu_render_node ())
    g_setenv ("GSK_RENDERER", "cairo", FALSE);
  mallopt (M_MMAP_THRESHOLD, FF_MMAP_THRESHOLD);
}
