/* iec104-profile.c: the generic State Grid profile and profile validation. */
#include "iec104-profile.h"

#include <string.h>

void
iec104_profile_init_state_grid (Iec104Profile *profile)
{
  memset (profile, 0, sizeof *profile);
  profile->t0_ms = 30000;
  profile->t1_ms = 15000;
  profile->t2_ms = 10000;
  profile->t3_ms = 20000;
  profile->k = 12;
  profile->w = 8;

  profile->common_address = 1;
  profile->param_sn = 0;
  profile->reply_timeout_ms = 15000;
  profile->file_confirm_timeout_ms = 60000;
  profile->sq_blocks = false;

  profile->status_ioa_first = 0x0001;
  profile->status_ioa_last = 0x4000;
  profile->measurement_ioa_first = 0x4001;
  profile->measurement_ioa_last = 0x5000;
  profile->control_ioa_first = 0x6001;
  profile->control_ioa_last = 0x6200;
  profile->energy_ioa_first = 0x6401;
  profile->energy_ioa_last = 0x6600;
  profile->info_param_ioa_first = 0x8001;
  profile->info_param_ioa_last = 0x800A;
  profile->running_param_ioa_first = 0x8020;
  profile->protection_param_ioa_first = 0x8220;

  strcpy (profile->upgrade_file_name, "UpdateProgram.bin");
  strcpy (profile->directory_name, "HISTORY/SOE");
  profile->write_file_id = 0;
  profile->segment_size = IEC104_SEGMENT_SIZE_DEFAULT;
  profile->segment_numbering = IEC104_SEGMENT_NUMBER_OFFSET;
  profile->file_pkt = IEC104_FILE_PKT_TRANSFER;
  profile->cot_dir_call = IEC104_COT_REQUEST;
  profile->cot_dir_confirm = IEC104_COT_REQUEST;
  profile->cot_read_act = IEC104_COT_ACTIVATION;
  profile->cot_read_act_con = IEC104_COT_ACTIVATION_CON;
  profile->cot_read_data = IEC104_COT_REQUEST;
  profile->cot_read_data_con = IEC104_COT_REQUEST;
  profile->cot_write_act = IEC104_COT_ACTIVATION;
  profile->cot_write_act_con = IEC104_COT_ACTIVATION_CON;
  profile->cot_write_data = IEC104_COT_REQUEST;
  profile->cot_write_data_con = IEC104_COT_REQUEST;
  profile->accepted_cots_dir_confirm =
    IEC104_COT_BIT (IEC104_COT_REQUEST) | IEC104_COT_BIT (IEC104_COT_ACTIVATION_CON);
  profile->accepted_cots_write_data_con =
    IEC104_COT_BIT (IEC104_COT_REQUEST) | IEC104_COT_BIT (IEC104_COT_ACTIVATION_CON);
  profile->read_resume_supported = false;

  profile->upgrade_start_before_write = true;
  profile->reboots_after_upgrade_finish = false;
  profile->reset_after_upgrade_finish = true;
  profile->reboot_wait_ms = 180000;

  profile->fault_event_ioa_size = 3;
}

static bool
cot_is_valid (unsigned cot)
{
  return cot >= 1 && cot <= 63;
}

Iec104Error
iec104_profile_validate (const Iec104Profile *profile)
{
  const uint8_t cots[] = {
    profile->cot_dir_call, profile->cot_dir_confirm, profile->cot_read_act,
    profile->cot_read_act_con, profile->cot_read_data, profile->cot_read_data_con,
    profile->cot_write_act, profile->cot_write_act_con, profile->cot_write_data,
    profile->cot_write_data_con,
  };

  if (profile->k == 0 || profile->k >= IEC104_SEQ_MODULO || profile->w == 0
      || profile->w > profile->k)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (profile->t1_ms == 0 || profile->t2_ms == 0 || profile->t3_ms == 0
      || profile->t2_ms >= profile->t1_ms)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (profile->reply_timeout_ms == 0 || profile->file_confirm_timeout_ms == 0)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (profile->segment_size == 0 || profile->segment_size > IEC104_SEGMENT_SIZE_MAX)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (profile->segment_numbering != IEC104_SEGMENT_NUMBER_OFFSET
      && profile->segment_numbering != IEC104_SEGMENT_NUMBER_COUNTER)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (memchr (profile->upgrade_file_name, '\0', sizeof profile->upgrade_file_name) == NULL
      || profile->upgrade_file_name[0] == '\0'
      || memchr (profile->directory_name, '\0', sizeof profile->directory_name) == NULL)
    return IEC104_ERROR_INVALID_ARGUMENT;
  for (size_t i = 0; i < sizeof cots; i++)
    if (!cot_is_valid (cots[i]))
      return IEC104_ERROR_INVALID_ARGUMENT;
  if ((profile->accepted_cots_dir_confirm & ~UINT64_C (1)) == 0
      || (profile->accepted_cots_write_data_con & ~UINT64_C (1)) == 0)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (profile->fault_event_ioa_size != 2 && profile->fault_event_ioa_size != 3)
    return IEC104_ERROR_INVALID_ARGUMENT;
  return IEC104_OK;
}
