/* The agent's HTTPS client to the platform: the platform certificate pinned, every request signed
 * with the terminal key (Authorization: FF-Terminal …), and package downloads with Range resume. */
#pragma once

#include <libsoup/soup.h>

#include "ff-crypto.h"

G_BEGIN_DECLS

typedef struct _FfAgentHttps FfAgentHttps;

/* NULL with @error when @pinned_path holds no PEM certificate. */
FfAgentHttps *ff_agent_https_new   (const char       *base_url,
                                    const char       *pinned_path,
                                    FfKey            *terminal_key,
                                    const char       *device_id,
                                    GError          **error);
void          ff_agent_https_free  (FfAgentHttps     *https);

/* "FF-Terminal device=…, time=…, signature=…" over "METHOD\nPATH\nTIME\nSHA256-hex(BODY)". */
char         *ff_agent_https_authorization (FfKey       *terminal_key,
                                            const char  *device_id,
                                            const char  *method,
                                            const char  *path,
                                            gint64       unix_time,
                                            GBytes      *body);

/* A signed request to @url (absolute, on the platform) with @body (NULL: none). */
SoupMessage  *ff_agent_https_new_message (FfAgentHttps *https,
                                          const char   *method,
                                          const char   *url,
                                          GBytes       *body,
                                          const char   *content_type,
                                          GError      **error);
SoupSession  *ff_agent_https_get_session (FfAgentHttps *https);
/* TRUE when @message (answered) came from the pinned certificate; else FALSE with @error. */
gboolean      ff_agent_https_check_peer  (FfAgentHttps *https,
                                          SoupMessage  *message,
                                          GError      **error);

typedef void (*FfAgentDownloadProgress) (gint64   bytes,
                                         gint64   total,
                                         gpointer user_data);

/* Downloads @url to @dest_path: bytes go to DEST.part and are resumed from its size with Range
 * and If-Range after a cut; once @size bytes are in and their SHA-256 is @sha256 the file is
 * renamed to @dest_path. A file with other bytes is deleted; when it continued a part file, the
 * package is downloaded once more from byte 0, and only that whole download's mismatch is the
 * error (FF_AGENT_ERROR_REFUSED). */
void          ff_agent_https_download_async  (FfAgentHttps            *https,
                                              const char              *url,
                                              const char              *dest_path,
                                              gint64                   size,
                                              const char              *sha256,
                                              FfAgentDownloadProgress  progress,
                                              gpointer                 progress_data,
                                              GCancellable            *cancellable,
                                              GAsyncReadyCallback      callback,
                                              gpointer                 user_data);
gboolean      ff_agent_https_download_finish (FfAgentHttps            *https,
                                              GAsyncResult            *result,
                                              GError                 **error);

G_END_DECLS
