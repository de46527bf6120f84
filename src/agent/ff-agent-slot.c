/* Slot writing with read-back verification (see ff-agent-slot.h), and the power cut in the middle
 * of it and the write error that the fault hook simulates. */
#include "config.h"

#include "ff-agent-slot.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "ff-agent-config.h"
#include "ff-agent-fault.h"
#include "ff-agent-files.h"
#include "ff-crypto.h"
#include "ff-package.h"

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

typedef struct
{
  int out;
  const char *slot_path;
  gint64 written;
  gint64 cut;
  guint8 *buffer;               /* SLOT_CHUNK bytes */
  gsize pending;
} SlotSink;

/* Writes the buffered bytes at the slot's current end; the fault hook may cut the power after N
 * bytes or fail a write as a worn flash would. */
static gboolean
flush_slot (SlotSink *sink, GError **error)
{
  gsize length = sink->pending;

  if (sink->cut >= 0 && sink->written + (gint64) length >= sink->cut)
    {
      if (write (sink->out, sink->buffer, sink->cut - sink->written) == sink->cut - sink->written)
        fsync (sink->out);
      ff_agent_fault_power_cut ();
    }
  if (write (sink->out, sink->buffer, length) != (gssize) length)
    return slot_error (error, sink->slot_path, errno != 0 ? errno : EIO);
  sink->written += length;
  sink->pending = 0;
  /* The first chunk went in, then the device fails (once per run of the agent). */
  if (ff_agent_fault_take_slot_write_error ())
    return slot_error (error, sink->slot_path, EIO);
  return TRUE;
}

/* Gathers the image's bytes into whole chunks: a write that starts or ends inside a page of the
 * slot makes the kernel read that page from the device first, and libarchive hands a tar
 * member's data over in pieces that end wherever its read blocks do (writing the slot from the
 * package took three times as long as from a file before this). */
static gboolean
write_to_slot (const guint8 *data, gsize length, gpointer user_data, GError **error)
{
  SlotSink *sink = user_data;

  while (length > 0)
    {
      gsize n = MIN (length, SLOT_CHUNK - sink->pending);

      memcpy (sink->buffer + sink->pending, data, n);
      sink->pending += n;
      data += n;
      length -= n;
      if (sink->pending == SLOT_CHUNK && !flush_slot (sink, error))
        return FALSE;
    }
  return TRUE;
}

/* Feeds the image's bytes to the sink (write_to_slot, or whole chunks straight to flush_slot). */
typedef gboolean (*SlotFill) (gconstpointer source, SlotSink *sink, GError **error);

static gboolean
fill_from_file (gconstpointer source, SlotSink *sink, GError **error)
{
  const char *image_path = source;
  gssize n;
  int in = open (image_path, O_RDONLY | O_CLOEXEC);

  if (in < 0)
    return slot_error (error, image_path, errno);
  while ((n = read (in, sink->buffer, SLOT_CHUNK)) > 0)
    {
      sink->pending = n;
      if (!flush_slot (sink, error))
        {
          close (in);
          return FALSE;
        }
    }
  close (in);
  return n == 0 || slot_error (error, image_path, errno);
}

typedef struct
{
  FfPackage *package;
  const char *kind;
} PayloadSource;

static gboolean
fill_from_payload (gconstpointer source, SlotSink *sink, GError **error)
{
  const PayloadSource *payload = source;

  return ff_package_read_payload (payload->package, payload->kind, write_to_slot, sink, error);
}

/* Writes the image @fill gives into the slot in place, fsyncs, reads the slot back and compares
 * its SHA-256, then writes SLOT.sha256. */
static gboolean
write_slot (const char *slot_path, const char *expected_sha256, SlotFill fill,
            gconstpointer source, GError **error)
{
  g_autofree guint8 *buffer = NULL;
  SlotSink sink = { -1, slot_path, 0, ff_agent_fault_slot_cut_bytes (), NULL, 0 };
  gboolean copied;

  sink.out = open (slot_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (sink.out < 0)
    return slot_error (error, slot_path, errno);
  sink.buffer = buffer = g_malloc (SLOT_CHUNK);
  copied = fill (source, &sink, error) && (sink.pending == 0 || flush_slot (&sink, error));
  /* A file-backed slot takes the image's size; a block device keeps its own. */
  if (copied && ftruncate (sink.out, sink.written) != 0 && errno != EINVAL)
    copied = slot_error (error, slot_path, errno);
  if (copied && fsync (sink.out) != 0)
    copied = slot_error (error, slot_path, errno);
  if (close (sink.out) != 0 && copied)
    return slot_error (error, slot_path, errno);
  return copied && ff_agent_slot_holds (slot_path, expected_sha256, error);
}

gboolean
ff_agent_slot_holds (const char *slot_path, const char *expected_sha256, GError **error)
{
  g_autofree char *digest_path = g_strconcat (slot_path, ".sha256", NULL);
  g_autofree char *digest_line = NULL;
  g_autofree char *recorded = NULL;
  g_autofree char *read_back = ff_agent_slot_sha256 (slot_path, error);

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
  if (g_file_get_contents (digest_path, &recorded, NULL, NULL)
      && g_str_equal (recorded, digest_line))
    return TRUE;
  return ff_agent_write_file (digest_path, digest_line, -1, error);
}

gboolean
ff_agent_slot_write (const char *slot_path, const char *image_path, const char *expected_sha256,
                     GError **error)
{
  return write_slot (slot_path, expected_sha256, fill_from_file, image_path, error);
}

gboolean
ff_agent_slot_write_payload (const char *slot_path, FfPackage *package, const char *kind,
                             const char *expected_sha256, GError **error)
{
  PayloadSource source = { package, kind };

  return write_slot (slot_path, expected_sha256, fill_from_payload, &source, error);
}
