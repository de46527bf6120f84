/* The upgrade of a simulated terminal: the upgrade file written into staging, the 211
 * start/finish/cancel around it, and the image checked and staged for the reboot
 * (ff-sim-terminal.c installs it). */
#include "config.h"

#include "ff-sim-terminal-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ff-delta.h"
#include "ff-sim-firmware.h"

/* The largest upgrade file a terminal accepts (write activation result 3 above it). */
#define MAX_UPGRADE_SIZE (64 * 1024 * 1024)

void
ff_sim_terminal_discard_staging (FfSimTerminal *terminal)
{
  g_clear_pointer (&terminal->staging, g_byte_array_unref);
  g_clear_pointer (&terminal->staging_name, g_free);
  terminal->segments_received = 0;
  terminal->file_bytes_received = 0;
}

/* A terminal whose profile brackets the upgrade with 211 start ... finish opens its upgrade
 * context at the start and refuses the upgrade file and the finish without one. */
static gboolean
upgrade_may_proceed (FfSimTerminal *terminal)
{
  return terminal->upgrade_started || !terminal->profile->iec104.upgrade_start_before_write;
}

uint8_t
ff_sim_terminal_on_begin_write (void       *user_data,
                                const char *name,
                                uint32_t    file_id,
                                uint32_t    size)
{
  FfSimTerminal *terminal = user_data;

  ff_sim_terminal_discard_staging (terminal);
  if (!g_str_equal (name, terminal->profile->iec104.upgrade_file_name))
    {
      ff_sim_terminal_log (terminal, _("refuses the file name “%s” (write activation result 2)"),
                           name);
      return IEC104_WRITE_ACT_NAME_NOT_SUPPORTED;
    }
  if (ff_sim_terminal_fault_refuses_file_name (terminal, name))
    return IEC104_WRITE_ACT_NAME_NOT_SUPPORTED;
  if (!upgrade_may_proceed (terminal))
    {
      ff_sim_terminal_log (terminal, _("refuses the upgrade file: no upgrade was started with 211 "
                                       "start first (write activation result 1)"));
      return IEC104_WRITE_ACT_UNKNOWN_ERROR;
    }
  if (size == 0 || size > MAX_UPGRADE_SIZE)
    {
      ff_sim_terminal_log (terminal, _("refuses a file of %u bytes (write activation result 3)"),
                           size);
      return IEC104_WRITE_ACT_LENGTH_OUT_OF_RANGE;
    }
  terminal->staging = g_byte_array_sized_new (size);
  g_byte_array_set_size (terminal->staging, size);
  terminal->staging_name = g_strdup (name);
  ff_sim_terminal_log (terminal, _("receives “%s” (%u bytes)"), name, size);
  return IEC104_WRITE_ACT_OK;
}

uint8_t
ff_sim_terminal_on_write_segment (void          *user_data,
                                  uint32_t       segment,
                                  uint32_t       offset,
                                  const uint8_t *data,
                                  size_t         len)
{
  FfSimTerminal *terminal = user_data;

  if (terminal->staging == NULL)
    return IEC104_WRITE_DATA_UNKNOWN_ERROR;
  terminal->segments_received++;
  if (ff_sim_terminal_fault_checksum_error (terminal))
    return IEC104_WRITE_DATA_CHECKSUM_ERROR;
  memcpy (terminal->staging->data + offset, data, len);
  terminal->file_bytes_received += len;
  ff_sim_terminal_fault_link_drop (terminal);
  return IEC104_WRITE_DATA_OK;
}

uint8_t
ff_sim_terminal_on_end_write (void *user_data)
{
  FfSimTerminal *terminal = user_data;

  if (terminal->staging == NULL || terminal->file_bytes_received != terminal->staging->len)
    {
      ff_sim_terminal_log (terminal, _("file incomplete (write confirm result 3)"));
      return IEC104_WRITE_DATA_LENGTH_MISMATCH;
    }
  ff_sim_terminal_log (terminal, _("file “%s” received completely (%u bytes)"),
                       terminal->staging_name, terminal->staging->len);
  return IEC104_WRITE_DATA_OK;
}

void
ff_sim_terminal_on_abort_write (void *user_data)
{
  FfSimTerminal *terminal = user_data;

  if (terminal->staging != NULL)
    ff_sim_terminal_log (terminal, _("discards the partial file “%s”"), terminal->staging_name);
  ff_sim_terminal_discard_staging (terminal);
}

bool
ff_sim_terminal_on_upgrade_start (void *user_data)
{
  FfSimTerminal *terminal = user_data;

  terminal->upgrade_started = TRUE;
  g_clear_pointer (&terminal->pending_image, g_bytes_unref);
  ff_sim_terminal_log (terminal, _("upgrade started (211 start)"));
  return true;
}

/* A terminal whose profile declares ffdelta1 takes a delta patch as its upgrade file: *@received
 * becomes the image the patch makes from the installed one (the patcher refuses a patch made for
 * another image). Any other file, or any file for another terminal, is taken as an image. */
static gboolean
unpack_delta (FfSimTerminal  *terminal,
              GBytes        **received,
              GError        **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (*received, &size);
  GBytes *image;

  if (terminal->profile->delta != FF_DELTA_FORMAT_FFDELTA1 || size < strlen (FFDELTA_MAGIC)
      || memcmp (data, FFDELTA_MAGIC, strlen (FFDELTA_MAGIC)) != 0)
    return TRUE;
  if ((image = ff_delta_apply (terminal->image, *received, error)) == NULL)
    return FALSE;
  ff_sim_terminal_log (terminal, _("applied a delta patch of %llu bytes to the running image: a "
                                   "%llu-byte image"), (unsigned long long) size,
                       (unsigned long long) g_bytes_get_size (image));
  g_bytes_unref (*received);
  *received = image;
  return TRUE;
}

bool
ff_sim_terminal_on_upgrade_finish (void *user_data)
{
  FfSimTerminal *terminal = user_data;
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(FfSimFirmwareInfo) info = { NULL };

  if (!upgrade_may_proceed (terminal))
    {
      ff_sim_terminal_log (terminal,
                           _("refuses 211 finish: no upgrade was started with 211 start"));
      return false;
    }
  if (terminal->staging == NULL || terminal->file_bytes_received != terminal->staging->len)
    {
      ff_sim_terminal_log (terminal,
                           _("refuses 211 finish: no complete upgrade file was received"));
      return false;
    }
  image = g_bytes_new (terminal->staging->data, terminal->staging->len);
  if (!unpack_delta (terminal, &image, &error) || !ff_sim_firmware_inspect (image, &info, &error))
    {
      ff_sim_terminal_log (terminal, _("refuses 211 finish: %s"), error->message);
      return false;
    }
  if (g_strcmp0 (info.vendor, terminal->vendor) != 0
      || g_strcmp0 (info.model, terminal->model) != 0)
    {
      ff_sim_terminal_log (terminal, _("refuses 211 finish: the image is for %s %s, not %s %s"),
                           info.vendor, info.model, terminal->vendor, terminal->model);
      return false;
    }
  g_clear_pointer (&terminal->pending_image, g_bytes_unref);
  terminal->pending_image = g_steal_pointer (&image);
  terminal->upgrade_started = FALSE;
  ff_sim_terminal_discard_staging (terminal);
  ff_sim_terminal_log (terminal, _("image %s checked (size and checksum) and staged; it runs after "
                                   "the restart"), info.version);
  ff_sim_terminal_fault_hold_finish (terminal);
  return true;
}

bool
ff_sim_terminal_on_upgrade_cancel (void *user_data)
{
  FfSimTerminal *terminal = user_data;

  if (!terminal->upgrade_started && terminal->pending_image == NULL)
    return false;
  terminal->upgrade_started = FALSE;
  g_clear_pointer (&terminal->pending_image, g_bytes_unref);
  ff_sim_terminal_discard_staging (terminal);
  ff_sim_terminal_log (terminal, _("upgrade cancelled (211 cancel)"));
  return true;
}
