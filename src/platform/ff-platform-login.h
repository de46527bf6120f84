/* The login back-off: wrong PINs are counted per phone number before the PIN is even checked. */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

/* Consecutive failures allowed before the back-off starts. */
#define FF_LOGIN_FREE_FAILURES 3

/* Seconds a phone number waits, from its last failure, after @failures consecutive failures:
 * 30 s × 2^(failures − 3), at most 15 minutes; 0 while failures are below the free ones. */
gint64        ff_platform_login_delay     (gint64         failures);
/* The seconds left to wait at @now after @failures failures, the last at @last_failure_at (0:
 * none): the back-off technicians and the console's operators share. */
gint64        ff_platform_login_wait      (gint64         failures,
                                           gint64         last_failure_at,
                                           gint64         now);
/* Starts a login attempt for @phone at @now and returns its technician, or NULL without an error
 * when the phone is not registered. While the phone waits out its back-off, *@retry_after is the
 * seconds left and nothing changes. Otherwise *@retry_after is 0 and the attempt is already
 * counted as a failure, in the same transaction as the check, so that guesses sent in parallel
 * are each counted before their (slow) PIN checks run; ff_platform_login_succeeded() clears the
 * count when the PIN is right. */
FfTechnician *ff_platform_login_begin     (FfPlatformDb  *db,
                                           const char    *phone,
                                           gint64         now,
                                           gint64        *retry_after,
                                           GError       **error);
/* Clears the failures of @phone after a right PIN. */
gboolean      ff_platform_login_succeeded (FfPlatformDb  *db,
                                           const char    *phone,
                                           GError       **error);

/* The failures of phone numbers that are not registered, kept in memory (never in the
 * database, which an attacker could fill with made-up numbers) and held back exactly as a
 * registered number is: a 429 that only registered numbers got told which numbers they were.
 * Thread-safe. */
typedef struct _FfLoginStrangers FfLoginStrangers;

/* At most this many unregistered numbers are remembered; past it, numbers whose back-off has
 * long passed are forgotten first, and a new number is not counted while none can be. */
#define FF_LOGIN_MAX_STRANGERS 65536

FfLoginStrangers *ff_login_strangers_new     (void);
void              ff_login_strangers_free    (FfLoginStrangers *strangers);
/* An attempt for the unregistered @phone at @now, as ff_platform_login_begin() does it: the
 * seconds it has left to wait (nothing counted), or 0 when it is counted as a failure. */
gint64            ff_login_strangers_attempt (FfLoginStrangers *strangers,
                                              const char       *phone,
                                              gint64            now);

G_END_DECLS
