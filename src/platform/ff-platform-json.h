/* The JSON of each record, as the CLI's --json prints it and the console's API answers it. Each
 * adds the members of one record (@row, of the type its name says) to an open object. */
#pragma once

#include "ff-platform-fleet.h"
#include "ff-platform-fleet-db.h"
#include "ff-platform-operators.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void ff_json_add_firmware        (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_terminal        (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_blacklist_entry (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_handheld        (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_task            (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_report          (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_history         (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_technician      (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_supervisor      (JsonBuilder   *builder,
                                  gconstpointer  row);
void ff_json_add_operator        (JsonBuilder   *builder,
                                  gconstpointer  row);

G_END_DECLS
