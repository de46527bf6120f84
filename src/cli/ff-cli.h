/* fieldflash-cli: the verb table entry and the exit codes every verb shares. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes let scripts tell a refusal by the terminal or platform from a link that never came up. */
typedef enum
{
  FF_CLI_EXIT_OK         = 0,
  FF_CLI_EXIT_FAILURE    = 1,  /* anything else that went wrong: bad file, verification failed… */
  FF_CLI_EXIT_USAGE      = 2,  /* bad command line */
  FF_CLI_EXIT_REFUSED    = 3,  /* the terminal or platform answered, and said no */
  FF_CLI_EXIT_CONNECTION = 4,  /* could not connect, or the link was lost */
} FfCliExit;

typedef struct
{
  const char *name;
  const char *summary;  /* N_() marked, translated when shown */
  int       (*run) (int argc, char **argv);
} FfCliVerb;

/* Diagnostics against one terminal over IEC 104 (ff-cli-diag.c). */
int ff_cli_diag_info    (int argc, char **argv);
int ff_cli_diag_measure (int argc, char **argv);
int ff_cli_diag_push    (int argc, char **argv);

/* The tablet's field work (ff-cli-field.c). */
int ff_cli_key      (int argc, char **argv);
int ff_cli_login    (int argc, char **argv);
int ff_cli_sync     (int argc, char **argv);
int ff_cli_tasks    (int argc, char **argv);
int ff_cli_run      (int argc, char **argv);
int ff_cli_rollback (int argc, char **argv);
int ff_cli_reports  (int argc, char **argv);
int ff_cli_upload   (int argc, char **argv);

G_END_DECLS
