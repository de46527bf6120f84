/* What the operator CLI's verbs share: the data directory layout, opening it, and output. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char         *data_dir;
  FfPlatformDb *db;         /* opened on demand */
} FfCli;

/* A verb: parses its own options from @argv (argv[0] is the verb) and runs. */
typedef gboolean (*FfCliVerb) (FfCli   *cli,
                               int      argc,
                               char   **argv,
                               GError **error);

char         *ff_cli_default_data_dir (void);
char         *ff_cli_path             (FfCli       *cli,
                                       const char  *name);
FfPlatformDb *ff_cli_open_db          (FfCli       *cli,
                                       GError     **error);
FfKey        *ff_cli_load_key         (FfCli       *cli,
                                       GError     **error);
/* Parses @argv with @entries (plus --data-dir) under the summary @parameter_string. */
gboolean      ff_cli_parse            (FfCli        *cli,
                                       const char   *parameter_string,
                                       const char   *summary,
                                       GOptionEntry *entries,
                                       int          *argc,
                                       char       ***argv,
                                       GError      **error);
gboolean      ff_cli_usage_error      (GError     **error,
                                       const char  *message);
void          ff_cli_print_json       (JsonBuilder *builder);
/* Prints @rows one line each with @print_line or, when @json, as one JSON array of objects whose
 * members @add_members adds (NULL when the verb has no JSON). */
void          ff_cli_print_rows       (GPtrArray   *rows,
                                       gboolean     json,
                                       void       (*print_line)  (gconstpointer row),
                                       void       (*add_members) (JsonBuilder   *builder,
                                                                  gconstpointer  row));
char         *ff_cli_format_time      (gint64       unix_seconds);
/* A usage error unless @name (a person's) has 1 to FF_NAME_MAX_LENGTH bytes of UTF-8. */
gboolean      ff_cli_check_name       (const char  *name,
                                       GError     **error);
/* Whether @argv (argv[0] is the verb) goes on with the sub-verb @name. */
gboolean      ff_cli_sub_verb_is      (int          argc,
                                       char       **argv,
                                       const char  *name);
/* Sets @error to name the sub-verbs @choices of @verb; returns FALSE. */
gboolean      ff_cli_unknown_sub_verb (GError     **error,
                                       const char  *verb,
                                       const char  *choices);
/* "90", "90s", "45m", "12h", "7d": seconds (ff-platform-cli-remote.c). */
gboolean      ff_cli_parse_duration   (const char  *text,
                                       gint64      *seconds);
/* Reads a PIN from the terminal without echo, or as one line from a pipe (NULL at end of input);
 * the caller clears it after use. */
char         *ff_cli_read_pin         (void);
/* The longest secret ff_cli_read_secret() reads whole (bytes); a longer line is cut there. */
#define FF_CLI_SECRET_MAX 256
/* The same for any secret, asking with @prompt on a terminal. */
char         *ff_cli_read_secret      (const char  *prompt);

gboolean ff_cli_init          (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_serve         (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_export_key    (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_terminals     (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_firmware      (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_blacklist     (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_handhelds     (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_technicians   (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_supervisors   (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_tasks         (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_reports       (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_history       (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_operators     (FfCli *cli, int argc, char **argv, GError **error);
/* smart meters (ff-platform-cli-meters.c) */
gboolean ff_cli_meters        (FfCli *cli, int argc, char **argv, GError **error);
/* For `history`: whether @meter_id is a meter in the ledger, and its history as `meters history`
 * prints it (or as JSON). */
gboolean ff_cli_meter_exists        (FfCli *cli, const char *meter_id);
gboolean ff_cli_print_meter_history (FfCli *cli, const char *meter_id, gboolean json,
                                     GError **error);
/* One report as `reports list` prints it (ff-platform-cli-tasks.c). */
void     ff_cli_print_report_line (gconstpointer row);
/* networked terminals (ff-platform-cli-remote.c) */
gboolean ff_cli_terminals_show (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_mqtt          (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_remote        (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_packages      (FfCli *cli, int argc, char **argv, GError **error);
/* campaigns (ff-platform-cli-campaigns.c) */
gboolean ff_cli_campaigns     (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_terminals_credentials (FfCli *cli, int argc, char **argv, GError **error);
gboolean ff_cli_terminals_set_link    (FfCli *cli, int argc, char **argv, GError **error);
/* For `firmware add` of a package: sets each option left NULL from its signed manifest, and
 * refuses an option given that differs. */
gboolean ff_cli_package_fill_firmware (FfCli       *cli,
                                       const char  *path,
                                       char       **vendor,
                                       char       **model,
                                       char       **version,
                                       char       **hardware,
                                       char       **notes,
                                       GError     **error);

G_END_DECLS
