/* Slot writing with read-back verification (see ff-agent-slot.h), and the power cut in the middle
 * of it and the write error that the fault hook simulates. */
#include "config.h"

#include "ff-agent-slot.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "ff-agent-config.h"
#include "ff-agent-fault.h"
#include "ff-agent-files.h"
#include "ff-crypto.h"

#define SLOT_CHUNK (64 * 1024)

static gboolean
slot_error (GError **error, const char *slot_path, int saved_errno)
{
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO, _("Writing slot %s failed: %s"),
               slot_path, g_strerror (saved_errno));
  return FALSE;
}

char *
ff_agent_slot_sha256 (const char *slot_path, GError **error)
{
  return ff_sha256_file_hex (slot_path, NULL, error);
}

/* Copies the image into the slot; the fault hook may cut the power after N bytes or fail a write
 * as a worn flash would. */
static gboolean
copy_into_slot (int in, int out, const char *slot_path, GError **error)
{
  g_autofree char *buffer = g_malloc (SLOT_CHUNK);
  gint64 cut = ff_agent_fault_slot_cut_bytes ();
  gint64 written = 0;
  gssize n;

  while ((n = read (in, buffer, SLOT_CHUNK)) > 0)
    {
      if (cut >= 0 && written + n >= cut)
        {
          if (write (out, buffer, cut - written) == cut - written)
            fsync (out);
          ff_agent_fault_power_cut ();
        }
      if (write (out, buffer, n) != n)
        return slot_error (error, slot_path, errno != 0 ? errno : EIO);
      written += n;
      /* The first chunk went in, then the device fails (once per run of the agent). */
      if (ff_agent_fault_take_slot_write_error ())
        return slot_error (error, slot_path, EIO);
    }
  if (n < 0)
    return slot_error (error, slot_path, errno);
  /* A file-backed slot takes the image's size; a block device keeps its own. */
  if (ftruncate (out, written) != 0 && errno != EINVAL)
    return slot_error (error, slot_path, errno);
  if (fsync (out) != 0)
    return slot_error (error, slot_path, errno);
  return TRUE;
}

gboolean
ff_agent_slot_write (const char *slot_path, const char *image_path, const char *expected_sha256,
                     GError **error)
{
  g_autofree char *digest_path = g_strconcat (slot_path, ".sha256", NULL);
  g_autofree char *digest_line = NULL;
  g_autofree char *read_back = NULL;
  gboolean copied;
  int in, out;

  in = open (image_path, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return slot_error (error, image_path, errno);
  out = open (slot_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (out < 0)
    {
      int saved_errno = errno;

      close (in);
      return slot_error (error, slot_path, saved_errno);
    }
  copied = copy_into_slot (in, out, slot_path, error);
  close (in);
  if (close (out) != 0 && copied)
    return slot_error (error, slot_path, errno);
  if (!copied)
    return FALSE;

  read_back = ff_agent_slot_sha256 (slot_path, error);
  if (read_back == NULL)
    return FALSE;
  if (!g_str_equal (read_back, expected_sha256))
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO,
                   _("Slot %s reads back with SHA-256 %s, not the image’s %s."),
                   slot_path, read_back, expected_sha256);
      return FALSE;
    }
  digest_line = g_strconcat (read_back, "\n", NULL);
  return ff_agent_write_file (digest_path, digest_line, -1, error);
}
