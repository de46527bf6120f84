/* fieldflash-agent's key file (agent.conf): what the agent may touch and where its peers are. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FF_AGENT_ERROR (ff_agent_error_quark ())

typedef enum
{
  FF_AGENT_ERROR_CONFIG,
  FF_AGENT_ERROR_IO,
  FF_AGENT_ERROR_REFUSED,
  FF_AGENT_ERROR_FAILED,
  FF_AGENT_ERROR_DAMAGED,      /* a record the agent cannot read (data/state.json) */
} FfAgentError;

GQuark ff_agent_error_quark (void);

typedef enum
{
  FF_AGENT_LAYOUT_RECOVERY,
  FF_AGENT_LAYOUT_AB,
} FfAgentLayout;

/* The kinds of image a slot holds and of program the agent replaces, as the package names them. */
typedef enum
{
  FF_AGENT_IMAGE_KERNEL,
  FF_AGENT_IMAGE_ROOTFS,
  FF_AGENT_N_IMAGES,
} FfAgentImage;

typedef enum
{
  FF_AGENT_PROGRAM_MAIN,
  FF_AGENT_PROGRAM_UPDATER,
  FF_AGENT_N_PROGRAMS,
} FfAgentProgram;

typedef struct
{
  char *device_id;
  char *vendor;
  char *model;
  char *hardware_version;
  char *broker_host;
  guint16 broker_port;
  char *platform_url;
  char *credentials;
  char *data;
  /* Minutes after local midnight, sorted, no duplicates; empty without scheduled queries. */
  GArray *query_times;

  FfAgentLayout layout;
  char *env_config;
  /* Recovery layout: slots[image][0] is the one slot. A/B: [0] is slot a, [1] slot b. */
  char *slots[FF_AGENT_N_IMAGES][2];
  char *running_versions;

  char *programs[FF_AGENT_N_PROGRAMS];
  char *program_backups[FF_AGENT_N_PROGRAMS];
  char *version_command;

  char **parameter_files;
  char *parameter_backup;
} FfAgentConfig;

FfAgentConfig *ff_agent_config_load (const char     *path,
                                     GError        **error);
void           ff_agent_config_free (FfAgentConfig  *config);

/* "kernel", "rootfs"; "main-program", "updater": the names of the package's payload kinds. */
const char    *ff_agent_image_name   (FfAgentImage    image);
const char    *ff_agent_program_name (FfAgentProgram  program);
gboolean       ff_agent_image_from_name   (const char     *name,
                                           FfAgentImage   *image);
gboolean       ff_agent_program_from_name (const char     *name,
                                           FfAgentProgram *program);

/* A file under the data partition: data/FIRST/... */
char          *ff_agent_config_data_file (FfAgentConfig  *config,
                                          const char     *first_element,
                                          ...) G_GNUC_NULL_TERMINATED;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfAgentConfig, ff_agent_config_free)

G_END_DECLS
