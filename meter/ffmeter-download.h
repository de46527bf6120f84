/* ffmeter-download.h: the meter side of seed 004's download: numbered packets with checksums,
 * progress kept across cycles, sleep after three failed requests, then the apply step. */
#pragma once

#include "ffmeter.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The download protocol (seed 004): messages, little-endian, carried as CoAP payloads. */
typedef enum
{
  FFMETER_MSG_START   = 0x01,   /* platform -> meter: a package is there for an app */
  FFMETER_MSG_PACKET  = 0x02,   /* platform -> meter: one numbered packet */
  FFMETER_MSG_COMMAND = 0x03,   /* platform -> meter: an operation on an app (FfMeterOp) */
  FFMETER_MSG_REQUEST = 0x81,   /* meter -> platform: send packet number seq */
  FFMETER_MSG_REPORT  = 0x82,   /* meter -> platform: how it ended */
} FfMeterMessageType;

typedef enum
{
  FFMETER_KIND_IMAGE = 0,       /* the app's whole new image */
  FFMETER_KIND_FFDELTA1 = 1,    /* an ffdelta1 patch from the running version's image */
} FfMeterPackageKind;

typedef enum
{
  FFMETER_REPORT_READY = 0,          /* the new version is installed and ready */
  FFMETER_REPORT_UP_TO_DATE,         /* the version offered is not newer: nothing fetched */
  FFMETER_REPORT_BAD_START,          /* the start message does not describe a package */
  FFMETER_REPORT_BAD_CHECKSUM,       /* all packets in, but the file's checksum is wrong */
  FFMETER_REPORT_APPLY_FAILED,       /* the image or patch could not be applied */
  FFMETER_REPORT_REFUSED,            /* the scheduler refused it; detail is its FfMeterResult */
  FFMETER_REPORT_STORAGE,            /* the meter could not store packets or its progress */
  FFMETER_REPORT_COMMAND,            /* a command's outcome; detail is its FfMeterResult (0: done) */
} FfMeterReportStatus;

#define FFMETER_START_SIZE 29
#define FFMETER_PACKET_OVERHEAD 9     /* type, seq, length, then the data, then CRC-32 */
#define FFMETER_REQUEST_SIZE 17
#define FFMETER_REPORT_SIZE 9
#define FFMETER_COMMAND_SIZE 8
#define FFMETER_MAX_PACKET_DATA 1024  /* CoAP's largest block */
/* A package's entity tag (CoAP's ETag, RFC 7252 §5.10.6): the platform's name for the exact bytes
 * offered (the first 8 bytes of their SHA-256), so a meter that resumes after the offer changed
 * (an image instead of a patch, a patch from another base) never mixes the packets of two. */
#define FFMETER_ETAG_SIZE 8
/* A packet that fills a transport block of block_size bytes (CoAP's Block2: 16 … 1024) carries this
 * much of the package. */
#define FFMETER_BLOCK_PACKET_DATA(block_size) ((block_size) - FFMETER_PACKET_OVERHEAD)

typedef struct
{
  uint8_t type;                 /* FfMeterMessageType */
  uint8_t kind;                 /* start: FfMeterPackageKind */
  uint8_t app_flags;            /* start: FFMETER_APP_RESIDENT for an app that keeps running */
  uint8_t status;               /* report */
  uint8_t detail;               /* report */
  uint8_t op;                   /* command: FfMeterOp */
  uint16_t app_id;              /* start, command, request, report */
  uint16_t seq;                 /* packet, request */
  uint16_t total_packets;       /* start */
  uint16_t packet_size;         /* start: every packet's length but the last */
  uint16_t data_len;            /* packet */
  uint32_t version;             /* start, command (0: the app's current row), request, report */
  uint32_t total_size;          /* start */
  uint32_t total_crc;           /* start: CRC-32 of the whole file */
  uint8_t etag[FFMETER_ETAG_SIZE];   /* start, request: the package's entity tag */
  const uint8_t *data;          /* packet: points into the parsed bytes */
} FfMeterMessage;

typedef enum
{
  FFMETER_PARSE_OK = 0,
  FFMETER_PARSE_TRUNCATED,      /* shorter than its type needs */
  FFMETER_PARSE_TRAILING,       /* bytes after the message */
  FFMETER_PARSE_UNKNOWN_TYPE,
  FFMETER_PARSE_BAD_CHECKSUM,   /* a packet whose CRC-32 does not match */
  FFMETER_PARSE_BAD_VALUE,      /* a field out of range (a start that describes no package) */
} FfMeterParse;

/* Parses one message; a packet's checksum is checked here. Never reads outside data[0..len). */
FfMeterParse ffmeter_message_parse (const uint8_t *data, size_t len, FfMeterMessage *message);
/* Writes a message (its type says which fields count) into out, which has room for len bytes;
 * returns its size, or 0 when it does not fit. A packet's CRC-32 is computed here. */
size_t ffmeter_message_write (const FfMeterMessage *message, uint8_t *out, size_t len);

/* The firmware's side of a download: the radio (send), the staging area beside the running image
 * where packets are kept (write_package), and the apply step, which turns the complete package into
 * a new image slot beside the running version: a full image as it is, an ffdelta1 patch through
 * delta/'s patcher (meter/ does not link delta/: the firmware wires them together here). apply
 * returns 0 and the new image's slot and size, or non-zero when the package cannot be applied. */
typedef struct
{
  int (*send)          (void *user, const uint8_t *data, size_t len);
  int (*write_package) (void *user, uint32_t offset, const uint8_t *data, size_t len);
  int (*apply)         (void *user, uint8_t kind, uint16_t app_id, uint32_t version,
                        uint32_t package_size, uint32_t *slot, uint32_t *size);
  void *user;
} FfMeterTransport;

typedef enum
{
  FFMETER_DOWNLOAD_IDLE = 0,    /* nothing to fetch: waits for a start message */
  FFMETER_DOWNLOAD_RECEIVING,   /* a request is out: the firmware arms its reply timer */
  FFMETER_DOWNLOAD_SLEEPING,    /* three requests failed in a row: radio off until the next wake */
} FfMeterDownloadState;

#define FFMETER_MAX_FAILURES 3
#define FFMETER_PROGRESS_PAYLOAD 36
#define FFMETER_PROGRESS_COPY_SIZE (FFMETER_RECORD_OVERHEAD + FFMETER_PROGRESS_PAYLOAD)

/* What is recorded after every packet, so that a later cycle resumes where this one stopped. */
typedef struct
{
  uint8_t  active;             /* a download is under way */
  uint8_t  kind;
  uint8_t  app_flags;
  uint16_t app_id;
  uint32_t version;
  uint16_t total_packets;
  uint16_t packet_size;
  uint32_t total_size;
  uint32_t total_crc;
  uint16_t next_seq;           /* packets 0..next_seq-1 are stored */
  uint32_t crc_so_far;         /* CRC-32 of those packets */
  uint8_t  etag[FFMETER_ETAG_SIZE];   /* the package's, named in every request */
} FfMeterProgress;

typedef struct
{
  FfMeterScheduler       *scheduler;
  const FfMeterTransport *transport;
  const FfMeterStore     *store;
  uint32_t        sequence;
  uint8_t         copy;
  uint8_t         state;       /* FfMeterDownloadState */
  uint8_t         failures;    /* failed requests in a row */
  FfMeterProgress progress;
  uint8_t         buf[FFMETER_PROGRESS_COPY_SIZE];
} FfMeterDownload;

/* Reads the recorded progress (at power-on; a download under way resumes at the next wake). */
void ffmeter_download_init (FfMeterDownload *download, FfMeterScheduler *scheduler,
                            const FfMeterTransport *transport, const FfMeterStore *store);
/* The events that drive it: a message came in, the reply timer expired, the next cycle began. */
void ffmeter_download_message (FfMeterDownload *download, const uint8_t *data, size_t len);
void ffmeter_download_timeout (FfMeterDownload *download);
void ffmeter_download_wake (FfMeterDownload *download);
FfMeterDownloadState ffmeter_download_state (const FfMeterDownload *download);
/* The recorded progress (next_seq is how many packets are stored). */
const FfMeterProgress *ffmeter_download_progress (const FfMeterDownload *download);

#ifdef __cplusplus
}
#endif
