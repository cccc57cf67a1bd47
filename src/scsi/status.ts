/**
 * Sense keys, SAM status codes, DriverKit service responses and delivery statuses, as tables.
 * Lookups are by array index, so they cost nothing per task.
 */
import { DeliveryStatus, SamStatus, ServiceResponse } from '../model/events.js';
import { hexByte } from './hex.js';

/** SPC-6 sense key names, indexed by the 4-bit SENSE KEY. */
export const SENSE_KEY_NAMES = [
  'NO SENSE',
  'RECOVERED ERROR',
  'NOT READY',
  'MEDIUM ERROR',
  'HARDWARE ERROR',
  'ILLEGAL REQUEST',
  'UNIT ATTENTION',
  'DATA PROTECT',
  'BLANK CHECK',
  'VENDOR SPECIFIC',
  'COPY ABORTED',
  'ABORTED COMMAND',
  'EQUAL', // obsolete since SPC-3
  'VOLUME OVERFLOW',
  'MISCOMPARE',
  'COMPLETED',
] as const;

export function senseKeyName(key: number): string {
  return SENSE_KEY_NAMES[key] ?? `SENSE KEY 0x${hexByte(key)}`;
}

/** SAM-6 status codes. INTERMEDIATE*, COMMAND TERMINATED are obsolete but still seen. */
export const SAM_STATUS_NAMES: ReadonlyArray<readonly [number, string]> = [
  [SamStatus.Good, 'GOOD'],
  [SamStatus.CheckCondition, 'CHECK CONDITION'],
  [SamStatus.ConditionMet, 'CONDITION MET'],
  [SamStatus.Busy, 'BUSY'],
  [SamStatus.Intermediate, 'INTERMEDIATE'],
  [SamStatus.IntermediateConditionMet, 'INTERMEDIATE-CONDITION MET'],
  [SamStatus.ReservationConflict, 'RESERVATION CONFLICT'],
  [SamStatus.CommandTerminated, 'COMMAND TERMINATED'],
  [SamStatus.TaskSetFull, 'TASK SET FULL'],
  [SamStatus.AcaActive, 'ACA ACTIVE'],
  [SamStatus.TaskAborted, 'TASK ABORTED'],
];

/** DriverKit SCSIServiceResponse (kSCSIServiceResponse_*), SAM-6 service responses. */
export const SERVICE_RESPONSE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [ServiceResponse.RequestInProcess, 'REQUEST IN PROCESS'],
  [ServiceResponse.ServiceDeliveryOrTargetFailure, 'SERVICE DELIVERY OR TARGET FAILURE'],
  [ServiceResponse.TaskComplete, 'TASK COMPLETE'],
  [ServiceResponse.LinkedCommandComplete, 'LINKED COMMAND COMPLETE'],
  [ServiceResponse.FunctionComplete, 'FUNCTION COMPLETE'],
  [ServiceResponse.FunctionRejected, 'FUNCTION REJECTED'],
];

/**
 * DriverKit kSCSITaskStatus_* values reported with SERVICE_DELIVERY_OR_TARGET_FAILURE. They
 * reuse numbers SAM gives to real statuses (0x02 is PROTOCOL TIMEOUT here, CHECK CONDITION there).
 */
export const DELIVERY_STATUS_NAMES: ReadonlyArray<readonly [number, string]> = [
  [DeliveryStatus.TaskTimeoutOccurred, 'TASK TIMEOUT'],
  [DeliveryStatus.ProtocolTimeoutOccurred, 'PROTOCOL TIMEOUT'],
  [DeliveryStatus.DeviceNotResponding, 'DEVICE NOT RESPONDING'],
  [DeliveryStatus.DeviceNotPresent, 'DEVICE NOT PRESENT'],
  [DeliveryStatus.DeliveryFailure, 'DELIVERY FAILURE'],
  [DeliveryStatus.NoStatus, 'NO STATUS'],
];

/** Builds a 256-entry name array with hex fallbacks, so every byte value has a cached name. */
function byteNameArray(rows: ReadonlyArray<readonly [number, string]>, fallback: string): string[] {
  const names = Array.from({ length: 256 }, (_, i) => `${fallback} 0x${hexByte(i)}`);
  for (const [code, name] of rows) names[code] = name;
  return names;
}

const SAM_STATUS_BY_CODE = byteNameArray(SAM_STATUS_NAMES, 'STATUS');
const DELIVERY_STATUS_BY_CODE = byteNameArray(DELIVERY_STATUS_NAMES, 'DELIVERY STATUS');
const SERVICE_RESPONSE_BY_CODE = byteNameArray(SERVICE_RESPONSE_NAMES, 'SERVICE RESPONSE');

function byteName(table: string[], value: number, fallback: string): string {
  return value >>> 0 === value && value < 256 ? table[value]! : `${fallback} ${value}`;
}

/** "GOOD", "CHECK CONDITION", ...; unknown codes as "STATUS 0x3C". */
export function samStatusName(status: number): string {
  return byteName(SAM_STATUS_BY_CODE, status, 'STATUS');
}

/** "TASK COMPLETE", "SERVICE DELIVERY OR TARGET FAILURE", ... */
export function serviceResponseName(sr: number): string {
  return byteName(SERVICE_RESPONSE_BY_CODE, sr, 'SERVICE RESPONSE');
}

/** DriverKit delivery-failure status name ("PROTOCOL TIMEOUT"). */
export function deliveryStatusName(status: number): string {
  return byteName(DELIVERY_STATUS_BY_CODE, status, 'DELIVERY STATUS');
}

/**
 * The status as the completion means it: a SAM status under TASK_COMPLETE, a DriverKit delivery
 * status under SERVICE_DELIVERY_OR_TARGET_FAILURE, otherwise the service response itself.
 */
export function taskStatusName(serviceResponse: number, status: number): string {
  if (serviceResponse === ServiceResponse.TaskComplete) return samStatusName(status);
  if (serviceResponse === ServiceResponse.ServiceDeliveryOrTargetFailure) return deliveryStatusName(status);
  return serviceResponseName(serviceResponse);
}

/**
 * A task that completed and succeeded: TASK COMPLETE with GOOD or CONDITION MET (SAM-6 5.3;
 * CONDITION MET is PRE-FETCH's success). The one place that says what success is.
 */
export function isGoodStatus(serviceResponse: number, status: number): boolean {
  return serviceResponse === ServiceResponse.TaskComplete && (status === SamStatus.Good || status === SamStatus.ConditionMet);
}
