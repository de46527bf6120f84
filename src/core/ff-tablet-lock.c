/* The tablet directory's lock (flock) and the record of its holder, so a second program is
 * refused with a message that names the first one. */
#include "config.h"

#include "ff-tablet-lock.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ff-tablet.h"

#define LOCK_FILE "tablet.lock"
/* Written after the lock is taken, atomically, so a refused program reads a whole record: the
 * lock file itself is never replaced (a new inode would be a second, separate lock). */
#define HOLDER_FILE "tablet.lock-holder"

struct _FfTabletLock
{
  char *key;          /* the directory's device and inode: two spellings are one tablet */
  char *holder_path;
  int   fd;
  guint users;        /* FfTablets of this process that share it */
};

/* flock() locks belong to an open file, so a second open in this process would be refused by
 * the first: the process keeps one lock per directory and counts its users. */
static GMutex held_lock;
static GHashTable *held;

static void
set_in_use (GError **error, const char *holder_path)
{
  g_autofree char *record = NULL;
  g_auto(GStrv) lines = NULL;

  if (g_file_get_contents (holder_path, &record, NULL, NULL))
    lines = g_strsplit (record, "\n", 3);
  if (lines != NULL && lines[0] != NULL && lines[1] != NULL && lines[0][0] != '\0'
      && lines[1][0] != '\0')
    /* Translators: the first %s is a program (fieldflash-cli, fieldflash), the second its PID. */
    g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_IN_USE,
                 _("The tablet is in use by %s (process %s). Close it there first; nothing was "
                   "changed."), lines[1], lines[0]);
  else
    g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_IN_USE,
                 _("The tablet is in use by another program. Close it there first; nothing was "
                   "changed."));
}

static gboolean
record_holder (FfTabletLock *lock, GError **error)
{
  const char *program = g_get_prgname ();
  g_autofree char *record = g_strdup_printf ("%d\n%s\n", (int) getpid (),
                                             program != NULL ? program : "?");

  return g_file_set_contents_full (lock->holder_path, record, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static FfTabletLock *
take (const char *data_dir, const char *key, GError **error)
{
  g_autofree char *path = g_build_filename (data_dir, LOCK_FILE, NULL);
  g_autofree char *holder_path = g_build_filename (data_dir, HOLDER_FILE, NULL);
  FfTabletLock *lock;
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  int saved_errno;

  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot open %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      saved_errno = errno;
      close (fd);
      if (saved_errno == EWOULDBLOCK)
        set_in_use (error, holder_path);
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                     _("Cannot lock %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  lock = g_new0 (FfTabletLock, 1);
  lock->key = g_strdup (key);
  lock->holder_path = g_steal_pointer (&holder_path);
  lock->fd = fd;
  lock->users = 1;
  /* A record left by a holder that died names the wrong process: it is rewritten at once. */
  if (!record_holder (lock, error))
    {
      close (fd);
      g_free (lock->key);
      g_free (lock->holder_path);
      g_free (lock);
      return NULL;
    }
  return lock;
}

FfTabletLock *
ff_tablet_lock_acquire (const char  *data_dir,
                        GError     **error)
{
  g_autofree char *key = NULL;
  FfTabletLock *lock;
  GStatBuf info;
  int saved_errno;

  if (g_mkdir_with_parents (data_dir, 0700) != 0 || g_stat (data_dir, &info) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot open the tablet directory %s: %s"), data_dir,
                   g_strerror (saved_errno));
      return NULL;
    }
  key = g_strdup_printf ("%ju:%ju", (uintmax_t) info.st_dev, (uintmax_t) info.st_ino);
  g_mutex_lock (&held_lock);
  if (held == NULL)
    held = g_hash_table_new (g_str_hash, g_str_equal);
  lock = g_hash_table_lookup (held, key);
  if (lock != NULL)
    lock->users++;
  else if ((lock = take (data_dir, key, error)) != NULL)
    g_hash_table_insert (held, lock->key, lock);
  g_mutex_unlock (&held_lock);
  return lock;
}

void
ff_tablet_lock_release (FfTabletLock *lock)
{
  if (lock == NULL)
    return;
  g_mutex_lock (&held_lock);
  if (--lock->users == 0)
    {
      g_hash_table_remove (held, lock->key);
      /* Removed while still held, so it never names a process that let go. */
      g_unlink (lock->holder_path);
      close (lock->fd);
      g_free (lock->key);
      g_free (lock->holder_path);
      g_free (lock);
    }
  g_mutex_unlock (&held_lock);
}
