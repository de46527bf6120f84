/* iec104-profile.h: vendor profiles as data: every setting on which terminal vendors differ. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "iec104-asdu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the segment number of OP5/OP9 counts. */
typedef enum
{
  IEC104_SEGMENT_NUMBER_OFFSET = 0,  /* byte offset of the segment in the file (most vendors) */
  IEC104_SEGMENT_NUMBER_COUNTER = 1, /* 0, 1, 2, ... (LK101-style terminals) */
} Iec104SegmentNumbering;

/* A bit set of causes of transmission: bit n stands for COT n (1..63). */
#define IEC104_COT_BIT(cot) (UINT64_C (1) << (cot))

#define IEC104_PROFILE_NAME_MAX 255

/* One vendor's profile. Every item the protocol reference marks uncertain ([U]) is a field, so a
 * data file (a data/profiles INI file, loaded by src/core) can adapt the library to a terminal
 * without code. iec104_profile_init_state_grid() gives the generic State Grid defaults listed
 * after each field. Times are in milliseconds. Strings are NUL-terminated. */
typedef struct
{
  /* ---- link layer (APCI) ---- */
  uint32_t t0_ms;   /* 30000: TCP connect timeout; the adapter applies it, the link does not */
  uint32_t t1_ms;   /* 15000: wait for the ack of an I-frame or the con of a U act, then close */
  uint32_t t2_ms;   /* 10000: send an S-frame at the latest this long after an unacked I-frame */
  uint32_t t3_ms;   /* 20000: send TESTFR act after this long without any received frame */
  uint16_t k;       /* 12: most I-frames sent and not yet acknowledged (1..32767) */
  uint16_t w;       /* 8: acknowledge at the latest after w received I-frames (1..k) */
  bool ack_when_drained; /* false: also acknowledge (S-frame) at the end of each batch of received
                          * input the adapter feeds, unless an own I-frame carried the N(R): the
                          * sender's window reopens after one round trip instead of w frames */

  /* ---- application layer ---- */
  uint16_t common_address;   /* 1: CA sent by the master and answered by the outstation */
  uint16_t param_sn;         /* 0: setting-area number SN used to read terminal information */
  uint32_t reply_timeout_ms; /* 15000: wait for a confirmation (and between frames of a multi-
                              * frame reply) before a master request fails with TIMEOUT */
  uint32_t file_confirm_timeout_ms; /* 60000: wait for the final OP10 after the last segment */
  bool sq_blocks;            /* false: an outstation sends each monitoring point with its own
                              * IOA (SQ = 0); true: runs of consecutive IOAs of one type go as
                              * SQ = 1 blocks (one IOA, then the elements), as many terminals
                              * answer a GI ([U]). A master reads both either way. */

  /* ---- information object address ranges ([U]: vendors differ; used to classify points) ---- */
  uint32_t status_ioa_first;       /* 0x0001: single/double points (遥信) */
  uint32_t status_ioa_last;        /* 0x4000 */
  uint32_t measurement_ioa_first;  /* 0x4001: measured values (遥测) */
  uint32_t measurement_ioa_last;   /* 0x5000 */
  uint32_t control_ioa_first;      /* 0x6001: remote control (遥控) */
  uint32_t control_ioa_last;       /* 0x6200 */
  uint32_t energy_ioa_first;       /* 0x6401: energy counters (电度) */
  uint32_t energy_ioa_last;        /* 0x6600 */
  uint32_t info_param_ioa_first;   /* 0x8001: fixed terminal information parameters */
  uint32_t info_param_ioa_last;    /* 0x800A: the standard ten (type .. MAC); vendors add more */
  uint32_t running_param_ioa_first;    /* 0x8020 (SOJO: 0x8101) */
  uint32_t protection_param_ioa_first; /* 0x8220 (SOJO: 0x8301) */

  /* ---- file service 210 ---- */
  char upgrade_file_name[IEC104_PROFILE_NAME_MAX + 1]; /* "UpdateProgram.bin": name sent in OP7
                                                        * for a firmware image (SOJO needs
                                                        * "UpdateProgram" in it) */
  char directory_name[IEC104_PROFILE_NAME_MAX + 1];    /* "HISTORY/SOE": directory to list */
  uint32_t write_file_id;          /* 0: file ID the master chooses for OP7/OP9 */
  uint16_t segment_size;           /* 200: data bytes per OP5/OP9 segment, 1..228 */
  Iec104SegmentNumbering segment_numbering; /* OFFSET */
  uint8_t file_pkt;                /* 2: PKT byte sent in every 210 ASDU */
  /* COT used when sending each operation (master: 1, 3, 6, 7, 9; outstation: 2, 4, 5, 8, 10). */
  uint8_t cot_dir_call;            /* 5 */
  uint8_t cot_dir_confirm;         /* 5 (outstation side) */
  uint8_t cot_read_act;            /* 6 */
  uint8_t cot_read_act_con;        /* 7 (outstation side) */
  uint8_t cot_read_data;           /* 5 (outstation side) */
  uint8_t cot_read_data_con;       /* 5 */
  uint8_t cot_write_act;           /* 6 */
  uint8_t cot_write_act_con;       /* 7 (outstation side) */
  uint8_t cot_write_data;          /* 5 */
  uint8_t cot_write_data_con;      /* 5 (outstation side; SOJO sends 7) */
  /* COTs accepted on receive, as IEC104_COT_BIT sets (a reply with any other COT is negative). */
  uint64_t accepted_cots_dir_confirm;     /* {5, 7} */
  uint64_t accepted_cots_write_data_con;  /* {5, 7} */
  bool read_resume_supported;      /* false: the Zhejiang OP11/OP12 resume extension ([U]); this
                                    * library never sends them, the field records the vendor */

  /* ---- software upgrade 211 and reset 105 ---- */
  bool upgrade_start_before_write; /* true: bracket the file write with 211 start ... finish */
  bool reboots_after_upgrade_finish; /* false: the terminal applies the image on 211 finish
                                      * and restarts on 105 (§6(d)); true (SOJO): it restarts
                                      * by itself after the 211 finish confirmation, so a
                                      * closed link then is success, and so is one instead of
                                      * the 105 confirmation */
  bool reset_after_upgrade_finish; /* true: send 105 (QRP 1) after 211 finish; a closed link
                                    * instead of its confirmation is success only for a terminal
                                    * that restarts by itself (the field above) */
  uint32_t reboot_wait_ms;         /* 180000: how long the tablet retries reconnecting */

  /* ---- private type 42 fault events (parsed by consumers; [U]) ---- */
  uint8_t fault_event_ioa_size;    /* 3: IOA width in M_FT_NA_1 status entries, 2 or 3 */
} Iec104Profile;

/* Fills `profile` with the generic State Grid defaults given above. */
void iec104_profile_init_state_grid (Iec104Profile *profile);

/* IEC104_OK, or IEC104_ERROR_INVALID_ARGUMENT when a field is out of range (k 0, w > k, t2 >= t1,
 * segment size 0 or above 228, empty upgrade file name, fault IOA size not 2 or 3...). Loaders
 * call this after filling a profile from a file. */
Iec104Error iec104_profile_validate (const Iec104Profile *profile);

#ifdef __cplusplus
}
#endif
