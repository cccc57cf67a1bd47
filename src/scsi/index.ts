/**
 * The SCSI knowledge base: T10 names for opcodes, service actions, statuses, sense keys and
 * ASC/ASCQ; CDB and sense data decoders; hex text in and out.
 */
export type { CdbField, DataTransferDirection, DecodedCdb, DecodedSense, SenseDescriptor, SenseKeySpecific } from './types.js';
export { cdbFieldsAt, decodeCdb, decodedCommands, type CdbFieldAt } from './cdb/decode.js';
export { cdbHeadline, cdbSummary, type CdbHeadline } from './quick.js';
export {
  ascName,
  cdbLength,
  cdbServiceAction,
  cdbServiceActionAt,
  commandName,
  hasServiceActionName,
  isKnownAsc,
  opcodeName,
  serviceActionName,
} from './names.js';
export { decodeSense, decodeSenseKeySpecific, quickSense, senseDescriptorName } from './sense.js';
export {
  DELIVERY_STATUS_NAMES,
  deliveryStatusName,
  isGoodStatus,
  SAM_STATUS_NAMES,
  samStatusName,
  SENSE_KEY_NAMES,
  senseKeyName,
  SERVICE_RESPONSE_NAMES,
  serviceResponseName,
  taskStatusName,
} from './status.js';
export { formatCdbHex, formatFieldValue, MAX_HEX_BYTES, parseHexBytes, renderDecodedCdb, renderDecodedSense } from './format.js';
export { BLOCK_COMMANDS, BlockKind, blockCommand, blockCommandAt, lbaOf, lengthOf, type BlockCommand } from './block-commands.js';
export { commandKey, commandKeyAt, commandServiceAction, commandServiceActionAt } from './command-key.js';
