/* The quality of a reading as IEC 104 carries it: flag names and their meaning for people. */
#include "config.h"

#include "ff-quality.h"

#include <glib/gi18n-lib.h>

#include "iec104-asdu.h"

static const struct
{
  guint8      flag;
  const char *name;
  const char *label;
} flags[] = {
  { IEC104_QUALITY_INVALID, "invalid", N_("invalid (IV)") },
  { IEC104_QUALITY_NOT_TOPICAL, "not-topical", N_("not topical (NT)") },
  { IEC104_QUALITY_SUBSTITUTED, "substituted", N_("substituted (SB)") },
  { IEC104_QUALITY_BLOCKED, "blocked", N_("blocked (BL)") },
  { IEC104_QUALITY_OVERFLOW, "overflow", N_("overflow (OV)") },
};

gboolean
ff_quality_is_good (guint8 quality)
{
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (quality & flags[i].flag)
      return FALSE;
  return TRUE;
}

GStrv
ff_quality_to_names (guint8 quality)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (quality & flags[i].flag)
      g_strv_builder_add (builder, flags[i].name);
  return g_strv_builder_end (builder);
}

guint8
ff_quality_from_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (g_strcmp0 (name, flags[i].name) == 0)
      return flags[i].flag;
  return 0;
}

char *
ff_quality_describe (guint8 quality)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (quality & flags[i].flag)
      {
        if (text->len > 0)
          /* Translators: separates two quality flags, as in "invalid (IV), substituted (SB)". */
          g_string_append (text, _(", "));
        g_string_append (text, _(flags[i].label));
      }
  if (text->len == 0)
    /* Translators: the quality of a reading without any flag set. */
    g_string_append (text, _("good"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}
