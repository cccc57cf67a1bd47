/**
 * The symbolic names Linux prints in SCSI tracepoints (include/trace/events/scsi.h,
 * include/scsi/scsi_status.h, include/scsi/scsi.h), as data. Values the kernel's tables do
 * not name are printed by __print_symbolic as hex ("0x11"); parseSymbol accepts both.
 */

/** Host byte, bits 16..23 of scsi_cmnd->result. */
export const HOST_BYTE: Readonly<Record<string, number>> = {
  DID_OK: 0x00,
  DID_NO_CONNECT: 0x01,
  DID_BUS_BUSY: 0x02,
  DID_TIME_OUT: 0x03,
  DID_BAD_TARGET: 0x04,
  DID_ABORT: 0x05,
  DID_PARITY: 0x06,
  DID_ERROR: 0x07,
  DID_RESET: 0x08,
  DID_BAD_INTR: 0x09,
  DID_PASSTHROUGH: 0x0a,
  DID_SOFT_ERROR: 0x0b,
  DID_IMM_RETRY: 0x0c,
  DID_REQUEUE: 0x0d,
  DID_TRANSPORT_DISRUPTED: 0x0e,
  DID_TRANSPORT_FAILFAST: 0x0f,
  DID_TARGET_FAILURE: 0x10,
  DID_NEXUS_FAILURE: 0x11,
  DID_ALLOC_FAILURE: 0x12,
  DID_MEDIUM_ERROR: 0x13,
  DID_TRANSPORT_MARGINAL: 0x14,
};

/** Driver byte, bits 24..31 of the result; printed up to Linux 5.13, "DRIVER_OK" literally after. */
export const DRIVER_BYTE: Readonly<Record<string, number>> = {
  DRIVER_OK: 0x00,
  DRIVER_BUSY: 0x01,
  DRIVER_SOFT: 0x02,
  DRIVER_MEDIA: 0x03,
  DRIVER_ERROR: 0x04,
  DRIVER_INVALID: 0x05,
  DRIVER_TIMEOUT: 0x06,
  DRIVER_HARD: 0x07,
  DRIVER_SENSE: 0x08,
};

/** SAM-6 status codes under Linux's SAM_STAT_* names. */
export const STATUS_BYTE: Readonly<Record<string, number>> = {
  SAM_STAT_GOOD: 0x00,
  SAM_STAT_CHECK_CONDITION: 0x02,
  SAM_STAT_CONDITION_MET: 0x04,
  SAM_STAT_BUSY: 0x08,
  SAM_STAT_INTERMEDIATE: 0x10,
  SAM_STAT_INTERMEDIATE_CONDITION_MET: 0x14,
  SAM_STAT_RESERVATION_CONFLICT: 0x18,
  SAM_STAT_COMMAND_TERMINATED: 0x22,
  SAM_STAT_TASK_SET_FULL: 0x28,
  SAM_STAT_ACA_ACTIVE: 0x30,
  SAM_STAT_TASK_ABORTED: 0x40,
};

/** What queuecommand() returns when it refuses a command (scsi_dispatch_cmd_error rtn=). */
export const QUEUECOMMAND_RETURN: Readonly<Record<number, string>> = {
  0x1055: 'SCSI_MLQUEUE_HOST_BUSY',
  0x1056: 'SCSI_MLQUEUE_DEVICE_BUSY',
  0x1057: 'SCSI_MLQUEUE_EH_RETRY',
  0x1058: 'SCSI_MLQUEUE_TARGET_BUSY',
};

/** A __print_symbolic value: a known name, or the hex (or decimal) the kernel prints for others. */
export function parseSymbol(table: Readonly<Record<string, number>>, text: string): number | undefined {
  const known = Object.hasOwn(table, text) ? table[text] : undefined;
  if (known !== undefined) return known;
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}
