/* A TCP relay on 127.0.0.1 that cuts the link once after a number of bytes towards the client
 * (a download cut at N bytes) and then holds new connections until told to resume: the network
 * fault of a networked terminal, between the real agent and the real platform. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _FfSimCutLink FfSimCutLink;

typedef void (*FfSimCutLinkLog) (const char *line,
                                 gpointer    user_data);

/* Listens on 127.0.0.1:`listen_port` (0: a free port) and relays each connection to
 * 127.0.0.1:`target_port`. After `cut_at` bytes towards the clients (all connections together; 0:
 * never) it closes that connection in the middle of the stream; the connections that come after
 * wait until ff_sim_cut_link_resume(). */
FfSimCutLink *ff_sim_cut_link_new      (guint16          listen_port,
                                        guint16          target_port,
                                        guint64          cut_at,
                                        FfSimCutLinkLog  log,
                                        gpointer         user_data,
                                        GError         **error);
guint16       ff_sim_cut_link_get_port (FfSimCutLink    *link);
void          ff_sim_cut_link_resume   (FfSimCutLink    *link);
void          ff_sim_cut_link_free     (FfSimCutLink    *link);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSimCutLink, ff_sim_cut_link_free)

G_END_DECLS
