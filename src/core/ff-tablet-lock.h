/* The tablet directory's lock: one program at a time works on a tablet. The one place that knows
 * how the platform locks a file (flock on Linux), so a port changes only ff-tablet-lock.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FfTabletLock FfTabletLock;

/* Takes the lock of @data_dir (made when missing) for this process and records this program's
 * name and PID as its holder. Taking it again in the same process shares the lock; another
 * process holding it is FF_TABLET_ERROR_IN_USE, naming that process, and nothing is written.
 * A holder that died lets go of it by itself (the kernel drops its lock). */
FfTabletLock *ff_tablet_lock_acquire (const char    *data_dir,
                                      GError       **error);
void          ff_tablet_lock_release (FfTabletLock  *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTabletLock, ff_tablet_lock_release)

G_END_DECLS
