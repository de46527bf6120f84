/* iec104-asdu.h: the ASDU codec of the Chinese 104 profile (COT 2, CA 2, IOA 3 bytes). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iec104-apci.h"
#include "iec104-error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Type identifications this library encodes and decodes. 210 and 211 are the Chinese file and
 * upgrade services; IEC 101 already uses the mnemonics F_FR_NA_1/F_SR_NA_1 for 120/121, so they
 * get distinct names here. */
typedef enum
{
  IEC104_TI_M_SP_NA_1 = 1,   /* single point */
  IEC104_TI_M_DP_NA_1 = 3,   /* double point */
  IEC104_TI_M_ME_NA_1 = 9,   /* normalised measured value */
  IEC104_TI_M_ME_NB_1 = 11,  /* scaled measured value */
  IEC104_TI_M_ME_NC_1 = 13,  /* short float measured value */
  IEC104_TI_M_SP_TB_1 = 30,  /* single point with CP56Time2a */
  IEC104_TI_M_DP_TB_1 = 31,  /* double point with CP56Time2a */
  IEC104_TI_M_ME_TF_1 = 36,  /* short float with CP56Time2a */
  IEC104_TI_M_EI_NA_1 = 70,  /* end of initialisation */
  IEC104_TI_C_IC_NA_1 = 100, /* interrogation */
  IEC104_TI_C_CS_NA_1 = 103, /* clock synchronisation (COT 6) and clock read (COT 5) */
  IEC104_TI_C_RP_NA_1 = 105, /* reset process */
  IEC104_TI_C_SR_NA_1 = 200, /* switch setting area */
  IEC104_TI_C_RR_NA_1 = 201, /* read setting area */
  IEC104_TI_C_RS_NA_1 = 202, /* read parameters (no leading IOA) */
  IEC104_TI_C_WS_NA_1 = 203, /* write parameters (no leading IOA) */
  IEC104_TI_FILE_210 = 210,  /* Chinese file service F_FR_NA_1 */
  IEC104_TI_UPGRADE_211 = 211, /* Chinese software upgrade F_SR_NA_1 */
} Iec104TypeId;

/* Causes of transmission (bits 0..5 of the first COT byte). */
typedef enum
{
  IEC104_COT_PERIODIC = 1,
  IEC104_COT_BACKGROUND = 2,
  IEC104_COT_SPONTANEOUS = 3,
  IEC104_COT_INITIALISED = 4,
  IEC104_COT_REQUEST = 5,
  IEC104_COT_ACTIVATION = 6,
  IEC104_COT_ACTIVATION_CON = 7,
  IEC104_COT_DEACTIVATION = 8,
  IEC104_COT_DEACTIVATION_CON = 9,
  IEC104_COT_ACTIVATION_TERM = 10,
  IEC104_COT_FILE_TRANSFER = 13,
  IEC104_COT_INTERROGATED_BY_STATION = 20,
  IEC104_COT_UNKNOWN_TYPE = 44,
  IEC104_COT_UNKNOWN_COT = 45,
  IEC104_COT_UNKNOWN_CA = 46,
  IEC104_COT_UNKNOWN_IOA = 47,
} Iec104Cot;

#define IEC104_ASDU_HEADER_SIZE 6
#define IEC104_IOA_SIZE         3
#define IEC104_CA_BROADCAST     0xFFFF
#define IEC104_QOI_STATION      20   /* qualifier of station interrogation */
#define IEC104_QRP_GENERAL_RESET 1
#define IEC104_QRP_RESET_EVENTS  2
#define IEC104_MAX_OBJECTS      127  /* VSQ bits 0..6 */

/* An encoded ASDU: plain storage that encoders fill. */
typedef struct
{
  uint8_t bytes[IEC104_ASDU_MAX];
  size_t len;
} Iec104Asdu;

typedef struct
{
  uint8_t type_id;
  bool sq;               /* VSQ bit 7: one IOA, then consecutive elements */
  uint8_t count;         /* VSQ bits 0..6 */
  uint8_t cot;           /* bits 0..5 */
  bool negative;         /* P/N bit */
  bool test;             /* T bit */
  uint8_t originator;    /* OA, normally 0 */
  uint16_t common_address;
} Iec104AsduHeader;

/* Decodes the 6-byte header; IEC104_ERROR_TRUNCATED if len < 6. */
Iec104Error iec104_asdu_header_decode (const uint8_t *asdu, size_t len, Iec104AsduHeader *header);
/* Writes the 6-byte header to out. */
void iec104_asdu_header_encode (const Iec104AsduHeader *header, uint8_t *out);
/* Returns a static mnemonic ("M_ME_NC_1", "C_RS_NA_1", "FILE_210"...) or "unknown". */
const char *iec104_type_name (unsigned type_id);

/* CP56Time2a: 7 bytes. Fields hold the values as transmitted (year 0..99, month 1..12, day of week
 * 1..7 or 0 when unused). */
typedef struct
{
  uint16_t milliseconds; /* 0..59999: seconds * 1000 + ms */
  uint8_t minute;
  uint8_t hour;
  uint8_t day;
  uint8_t weekday;
  uint8_t month;
  uint8_t year;
  bool invalid;          /* IV bit of the minute byte */
  bool summer_time;      /* SU bit of the hour byte */
} Iec104Cp56Time;

#define IEC104_CP56_SIZE 7
void iec104_cp56_encode (const Iec104Cp56Time *time, uint8_t *out);
void iec104_cp56_decode (const uint8_t *in, Iec104Cp56Time *time);

/* ---- monitoring points: types 1, 3, 9, 11, 13, 30, 31, 36 ------------------------------------ */

/* Double point states (DPI). */
typedef enum
{
  IEC104_DPI_INDETERMINATE = 0,
  IEC104_DPI_OFF = 1,
  IEC104_DPI_ON = 2,
  IEC104_DPI_INDETERMINATE_3 = 3,
} Iec104DoublePoint;

/* Quality bits (QDS; in SIQ/DIQ the same upper bits). */
#define IEC104_QUALITY_OVERFLOW    0x01
#define IEC104_QUALITY_BLOCKED     0x10
#define IEC104_QUALITY_SUBSTITUTED 0x20
#define IEC104_QUALITY_NOT_TOPICAL 0x40
#define IEC104_QUALITY_INVALID     0x80

/* One information object of a monitoring type. `raw` holds the transmitted value: SPI 0/1, DPI
 * 0..3, NVA or SVA (int16), and for floats the IEEE-754 bit pattern. `value` is the engineering
 * value: the float itself for 13/36 (bit-exact), NVA / 32768 for 9, SVA for 11, the state for
 * 1/3. */
typedef struct
{
  uint32_t ioa;
  uint8_t type_id;       /* one of the eight monitoring types */
  uint8_t quality;       /* IEC104_QUALITY_* bits */
  int32_t raw;
  float value;
  bool has_time;         /* types 30, 31, 36 */
  Iec104Cp56Time time;
} Iec104Point;

/* Fill an Iec104Point of the given type from an engineering value (raw and value agree). */
void iec104_point_init_single (Iec104Point *point, uint32_t ioa, bool on, uint8_t quality);
void iec104_point_init_double (Iec104Point *point, uint32_t ioa, Iec104DoublePoint state,
                               uint8_t quality);
void iec104_point_init_normalized (Iec104Point *point, uint32_t ioa, int16_t nva, uint8_t quality);
void iec104_point_init_scaled (Iec104Point *point, uint32_t ioa, int16_t sva, uint8_t quality);
void iec104_point_init_float (Iec104Point *point, uint32_t ioa, float value, uint8_t quality);
/* Turns a point of type 1, 3 or 13 into its time-tagged form 30, 31 or 36. */
void iec104_point_set_time (Iec104Point *point, const Iec104Cp56Time *time);

/* True for the eight monitoring types above. */
bool iec104_type_is_point (unsigned type_id);

/* Encodes up to n_points points of one type (all points[i].type_id must equal type_id) into one
 * ASDU and stores how many fitted in *n_encoded; call again with the rest. With sq = true only
 * points[0].ioa is sent and the following points must have consecutive IOAs. */
Iec104Error iec104_asdu_encode_points (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot,
                                       uint8_t type_id, bool sq, const Iec104Point *points,
                                       size_t n_points, size_t *n_encoded);
/* Decodes every object of a monitoring-type ASDU (SQ = 0 or 1) into points, which must hold
 * IEC104_MAX_OBJECTS entries. */
Iec104Error iec104_asdu_decode_points (const uint8_t *asdu, size_t len, Iec104Point *points,
                                       size_t *n_points);

/* ---- single-object commands: 70, 100, 103, 105, 200, 201, 211 ------------------------------- */

/* One-byte qualifier commands with IOA 0: 70 (COI), 100 (QOI), 105 (QRP), 211 (CTYPE). */
Iec104Error iec104_asdu_encode_qualifier (Iec104Asdu *asdu, uint8_t type_id,
                                          uint16_t common_address, uint8_t cot, bool negative,
                                          uint8_t qualifier);
Iec104Error iec104_asdu_decode_qualifier (const uint8_t *asdu, size_t len, uint32_t *ioa,
                                          uint8_t *qualifier);

/* 103 clock: COT 6 set, COT 5 read (the reply to a read carries the terminal's time). */
Iec104Error iec104_asdu_encode_clock (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot,
                                      bool negative, const Iec104Cp56Time *time);
Iec104Error iec104_asdu_decode_clock (const uint8_t *asdu, size_t len, Iec104Cp56Time *time);

/* 200 switch setting area: IOA 0, SN. */
Iec104Error iec104_asdu_encode_switch_area (Iec104Asdu *asdu, uint16_t common_address,
                                            uint8_t cot, bool negative, uint16_t sn);
Iec104Error iec104_asdu_decode_switch_area (const uint8_t *asdu, size_t len, uint16_t *sn);

/* 201 read setting area: the request carries IOA 0 only (area == NULL); the reply carries the
 * current, minimum and maximum SN. */
typedef struct
{
  uint16_t current;
  uint16_t minimum;
  uint16_t maximum;
} Iec104SettingArea;

Iec104Error iec104_asdu_encode_read_area (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot,
                                          bool negative, const Iec104SettingArea *area);
/* *has_area is false for a request (no SN fields). */
Iec104Error iec104_asdu_decode_read_area (const uint8_t *asdu, size_t len, bool *has_area,
                                          Iec104SettingArea *area);

/* CTYPE of 211: bit 7 S/E. Start = 0x80, finish (and cancel, with COT 8) = 0x00. */
#define IEC104_UPGRADE_START  0x80
#define IEC104_UPGRADE_FINISH 0x00

/* ---- parameters: 202 read, 203 write ------------------------------------------------------- */

/* TAG codes of parameter values. */
typedef enum
{
  IEC104_TAG_BOOL = 1,
  IEC104_TAG_INT32 = 2,
  IEC104_TAG_STRING = 4,
  IEC104_TAG_UINT8 = 32,
  IEC104_TAG_INT16 = 33,
  IEC104_TAG_UINT32 = 35,
  IEC104_TAG_INT64 = 36,
  IEC104_TAG_UINT64 = 37,
  IEC104_TAG_FLOAT32 = 38,
  IEC104_TAG_FLOAT64 = 39,
  IEC104_TAG_INT8 = 43,
  IEC104_TAG_UINT16 = 45,
} Iec104Tag;

/* PI byte of 202 replies and 203 requests. */
#define IEC104_PI_CONT   0x01 /* more frames follow */
#define IEC104_PI_CR     0x40 /* cancel preset */
#define IEC104_PI_SE     0x80 /* 1 = preset (select), 0 = execute (solidify) */

/* The largest value that fits one 202/203 ASDU: 249 - 6 header - 2 SN - 1 PI - 3 IOA - 2. */
#define IEC104_PARAM_VALUE_MAX 235

/* One parameter: its IOA, TAG and the value bytes as transmitted (little-endian numbers, strings
 * without terminator). */
typedef struct
{
  uint32_t ioa;
  uint8_t tag;
  uint8_t len;
  uint8_t data[IEC104_PARAM_VALUE_MAX];
} Iec104Param;

/* Fixed length of a numeric tag's value, 0 for strings, -1 for an unknown tag. */
int iec104_tag_size (unsigned tag);
/* Returns a static name ("string", "float32"...) or "unknown". */
const char *iec104_tag_name (unsigned tag);

/* Setters validate the length; numeric setters pick the smallest natural encoding of `tag`. */
Iec104Error iec104_param_set_string (Iec104Param *param, uint32_t ioa, const char *value);
Iec104Error iec104_param_set_bytes (Iec104Param *param, uint32_t ioa, uint8_t tag,
                                    const uint8_t *value, size_t len);
Iec104Error iec104_param_set_int (Iec104Param *param, uint32_t ioa, uint8_t tag, int64_t value);
Iec104Error iec104_param_set_uint (Iec104Param *param, uint32_t ioa, uint8_t tag, uint64_t value);
Iec104Error iec104_param_set_float (Iec104Param *param, uint32_t ioa, uint8_t tag, double value);

/* Copies a string value into out (size bytes, always NUL-terminated) with trailing NULs and
 * spaces removed, as terminals pad their information strings to a fixed width. Works for any tag
 * (the bytes are copied). Returns the string length. */
size_t iec104_param_get_string (const Iec104Param *param, char *out, size_t size);
/* Numeric accessors: IEC104_ERROR_INVALID_ARGUMENT when the tag is not numeric or the length does
 * not match the tag. get_double converts integer tags too. */
Iec104Error iec104_param_get_int (const Iec104Param *param, int64_t *value);
Iec104Error iec104_param_get_uint (const Iec104Param *param, uint64_t *value);
Iec104Error iec104_param_get_double (const Iec104Param *param, double *value);

/* 202 request: SN, then n_ioas IOAs (VSQ = n); n_ioas = 0 means "read all". */
Iec104Error iec104_asdu_encode_param_read (Iec104Asdu *asdu, uint16_t common_address,
                                           uint16_t sn, const uint32_t *ioas, size_t n_ioas);
/* ioas must hold IEC104_MAX_OBJECTS entries. */
Iec104Error iec104_asdu_decode_param_read (const uint8_t *asdu, size_t len, uint16_t *sn,
                                           uint32_t *ioas, size_t *n_ioas);

/* 202 reply or 203 request/reply: SN, PI, then [IOA TAG LEN VALUE] x n. Encodes as many
 * parameters as fit and stores the count in *n_encoded; the caller sets IEC104_PI_CONT in pi when
 * more frames follow. n_params = 0 gives the execute (pi 0) and cancel (pi IEC104_PI_CR, COT 8)
 * forms of 203. */
Iec104Error iec104_asdu_encode_params (Iec104Asdu *asdu, uint8_t type_id,
                                       uint16_t common_address, uint8_t cot, bool negative,
                                       uint16_t sn, uint8_t pi, const Iec104Param *params,
                                       size_t n_params, size_t *n_encoded);
/* params must hold IEC104_MAX_OBJECTS entries. An ASDU that ends right after SN (some terminals
 * send that for negative replies) decodes with pi 0 and no parameters. */
Iec104Error iec104_asdu_decode_params (const uint8_t *asdu, size_t len, uint16_t *sn, uint8_t *pi,
                                       Iec104Param *params, size_t *n_params);

/* ---- file service 210 ---------------------------------------------------------------------- */

typedef enum
{
  IEC104_FILE_OP_DIR_CALL = 1,
  IEC104_FILE_OP_DIR_CONFIRM = 2,
  IEC104_FILE_OP_READ_ACT = 3,
  IEC104_FILE_OP_READ_ACT_CON = 4,
  IEC104_FILE_OP_READ_DATA = 5,
  IEC104_FILE_OP_READ_DATA_CON = 6,
  IEC104_FILE_OP_WRITE_ACT = 7,
  IEC104_FILE_OP_WRITE_ACT_CON = 8,
  IEC104_FILE_OP_WRITE_DATA = 9,
  IEC104_FILE_OP_WRITE_DATA_CON = 10,
} Iec104FileOp;

#define IEC104_FILE_PKT_TRANSFER 2   /* the PKT byte for file transfer */
#define IEC104_SEGMENT_SIZE_DEFAULT 200
#define IEC104_SEGMENT_SIZE_MAX 228  /* 249 - 21 fixed bytes of an OP5/OP9 ASDU */
#define IEC104_FILE_NAME_MAX 255
/* The most directory entries one OP2 ASDU can carry (13 bytes each with an empty name). */
#define IEC104_DIR_ENTRIES_MAX 17

/* OP8 (write activation) results. */
typedef enum
{
  IEC104_WRITE_ACT_OK = 0,
  IEC104_WRITE_ACT_UNKNOWN_ERROR = 1,
  IEC104_WRITE_ACT_NAME_NOT_SUPPORTED = 2,
  IEC104_WRITE_ACT_LENGTH_OUT_OF_RANGE = 3,
} Iec104WriteActResult;

/* OP10 (write data confirm) results. */
typedef enum
{
  IEC104_WRITE_DATA_OK = 0,
  IEC104_WRITE_DATA_UNKNOWN_ERROR = 1,
  IEC104_WRITE_DATA_CHECKSUM_ERROR = 2,
  IEC104_WRITE_DATA_LENGTH_MISMATCH = 3,
  IEC104_WRITE_DATA_FILE_ID_MISMATCH = 4,
} Iec104WriteDataResult;

/* Static English meanings of the result codes of OP8 and OP10 ("file name not supported"...). */
const char *iec104_write_act_result_name (unsigned result);
const char *iec104_write_data_result_name (unsigned result);

typedef struct
{
  char name[IEC104_FILE_NAME_MAX + 1]; /* NUL-terminated */
  uint8_t attributes;                  /* vendor-defined */
  uint32_t size;
  Iec104Cp56Time time;
} Iec104DirEntry;

/* Any 210 ASDU. Only the fields of the given op are encoded or decoded:
 *   OP1  dir_id name call_flag start_time end_time
 *   OP2  result dir_id follow entries/n_entries
 *   OP3  name
 *   OP4  result name file_id file_size
 *   OP5  file_id segment follow data/data_len (checksum computed on encode, stored on decode)
 *   OP6  file_id segment follow
 *   OP7  name file_id file_size
 *   OP8  result name file_id file_size
 *   OP9  as OP5
 *   OP10 file_id segment result
 * On decode `data` points into the decoded ASDU. */
typedef struct
{
  Iec104FileOp op;
  uint8_t pkt;                          /* IEC104_FILE_PKT_TRANSFER when encoding */
  uint8_t result;
  uint32_t dir_id;
  uint32_t file_id;
  uint32_t file_size;
  uint32_t segment;                     /* byte offset or counter, per the profile */
  bool follow;
  char name[IEC104_FILE_NAME_MAX + 1];  /* NUL-terminated */
  uint8_t call_flag;                    /* OP1: 0 all files, 1 files within the time range */
  Iec104Cp56Time start_time;
  Iec104Cp56Time end_time;
  const uint8_t *data;
  size_t data_len;
  uint8_t checksum;                     /* sum-8 as received */
  size_t n_entries;
  Iec104DirEntry entries[IEC104_DIR_ENTRIES_MAX];
} Iec104FileMessage;

/* Sum of the bytes modulo 256: the checksum of OP5/OP9 segments. */
uint8_t iec104_checksum_sum8 (const uint8_t *data, size_t len);

/* IOA 0, PKT, OP, then the op's fields. IEC104_ERROR_TOO_LONG when it does not fit one ASDU
 * (e.g. data_len above 228, too many entries for the names). */
Iec104Error iec104_asdu_encode_file (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot,
                                     const Iec104FileMessage *message);
/* Tolerant of PKT and VSQ values (vendors differ) and of trailing padding; strict on lengths. */
Iec104Error iec104_asdu_decode_file (const uint8_t *asdu, size_t len, Iec104FileMessage *message);

#ifdef __cplusplus
}
#endif
