/* The rig the agent-remote tests share: the real fieldflash-agent on a simulated device, a real
 * Mosquitto broker (TLS, client certificates) on a free loopback port, the test as the platform
 * (signed commands over MQTT, packages over HTTPS) and as a minimal bootloader. Each test program
 * (test-agent-remote-*.c) links it. */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <mosquitto.h>

#include "ff-agent-state.h"
#include "ff-crypto.h"
#include "ff-package.h"
#include "ff-remote-doc.h"
#include "ff-test-fixtures.h"

G_BEGIN_DECLS

#define DEVICE "DTU-0001"

typedef struct _Rig
{
  char *root;
  char *device;
  char *layout;
  guint16 broker_port;
  GSubprocess *broker;
  FfKey *platform_key;
  FfKey *terminal_key;
  SoupServer *server;
  char *base_url;
  GHashTable *packages;        /* sha256 → path */
  gboolean tamper_downloads;
  guint package_gets;          /* the packages' GETs served */
  struct mosquitto *platform;
  GAsyncQueue *results;        /* GBytes envelopes */
  GAsyncQueue *states;         /* GBytes state documents */
  GSubprocess *agent;
  char *fault;                 /* for each start of the agent until a power cut struck */
  guint boots;
  guint power_cuts;
  /* Called after a power cut, before the terminal boots again (NULL: nothing). */
  void (*after_power_cut) (struct _Rig *rig);
  gboolean stopping;
} Rig;

typedef struct
{
  const char *kind;
  const char *version;
  GBytes *content;
  const char *delta_from;      /* NULL, or the SHA-256 of the image the ffdelta1 content patches */
} Payload;

/* ---- files of the simulated device ---- */

/* The path of @name among the device's files. */
char *device_file (Rig *rig, const char *name);
/* Writes @path (its directories made) with @mode: a failure fails the test. */
void write_file (const char *path, const char *contents, gssize length, int mode);

/* A slot image: the header the bootloader reads, then bytes. */
GBytes *make_image (const char *kind, const char *version, gsize size);

/* A program that prints @version; with @healthy FALSE it fails to start. */
char *program_script (const char *version, gboolean healthy);

/* What the installed program @name prints for --version, or NULL when it does not start. */
char *program_version (Rig *rig, const char *name);

/* The version in a slot's header. */
char *slot_version (Rig *rig, const char *slot_name);

/* Whether a slot's digest file (SLOT.sha256) matches the slot. */
gboolean slot_digest_matches (Rig *rig, const char *slot_name);

/* The inode, modification time (ns) and size of the device's file @name: a write that replaces
 * or changes it changes them. */
char *file_stamp (Rig *rig, const char *name);

/* ---- the bootloader ---- */

/* A variable of the device's U-Boot environment, or NULL. */
char *env_get (Rig *rig, const char *name);

/* Plays U-Boot: chooses the mode (recovery layout) or slot (A/B, with the boot counter), writes
 * run/versions from the booted slots' headers and starts the agent. A slot whose digest fails is
 * never booted: the recovery layout starts the recovery system instead. */
void boot (Rig *rig);

/* Stops the agent (SIGTERM) and waits until it exited: no reboot follows. */
void stop_agent (Rig *rig);

/* ---- the rig ---- */

/* A device of @layout ("recovery" or "ab") with V1.0 programs, K1.0 and R1.0 in its slots and
 * its parameter files, the broker, the HTTPS server and the platform's MQTT client; nothing
 * booted yet. */
Rig *rig_new (const char *layout);

void rig_free (Rig *rig);

/* ---- packages, commands, results ---- */

/* Builds and serves a package; returns its SHA-256. */
char *make_package (Rig *rig, const char *hardware, const Payload *payloads, guint n_payloads);

/* A command for DEVICE valid for an hour, for the package @package_sha256 the rig serves (NULL:
 * none). */
FfRemoteCommand *new_command (Rig *rig, FfRemoteCommandKind kind, const char *package_sha256);

/* Publishes @envelope on DEVICE's command topic, not retained. */
void publish_envelope (Rig *rig, GBytes *envelope);

/* Seals @command with @key and publishes it. */
void send_command (Rig *rig, const FfRemoteCommand *command, FfKey *key);

/* Boots the device and waits until its agent is online (subscribed to its commands). */
void boot_online (Rig *rig);
/* As boot_online(); returns the first retained state document that says it is online. */
GBytes *boot_online_state (Rig *rig);

/* The next result the platform receives, verified with the terminal's key. */
FfRemoteResult *wait_result (Rig *rig);
/* Boots the device, sends it the platform's upgrade command for @package_sha256 and returns the
 * result the platform receives next. */
FfRemoteResult *boot_and_upgrade (Rig *rig, const char *package_sha256);

/* Acknowledges @result_id with an ack signed by @key. */
void send_ack (Rig *rig, const char *result_id, FfKey *key);

/* How many results the agent's outbox holds. */
guint outbox_size (Rig *rig);

/* The state record, found in @state, replaced by one a newer agent would have written (another
 * format_version) that still names its command: a record the agent cannot read. */
void damage_record (Rig *rig, FfAgentStateName state);

/* The parameter files are as rig_new() wrote them. */
void assert_params_intact (Rig *rig);

/* No backup, no staging, the main program still V1.0 (on the recovery layout, kernel K1.0
 * intact too). */
void assert_nothing_written (Rig *rig);

/* A package of the main program @version (one that fails to start unless @healthy) for
 * @hardware; returns its SHA-256. */
char *main_program_package (Rig *rig, const char *version, gboolean healthy, const char *hardware);
/* A package of kernel K2.0 whose image says it is K2.1-broken: it boots, but the health check
 * finds another version than the package's. */
char *unhealthy_kernel_package (Rig *rig);

G_END_DECLS
